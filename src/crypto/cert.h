/* src/crypto/cert.h: X.509 certificates over OpenSSL 3: parsing, chains, trust stores, verification,
 * usage and host-name checks, and issuing (for tests now, for the CA later).
 *
 * SM2 certificates (GB/T 20518 / GM/T 0015) are signed with SM2-with-SM3 over Z computed with the
 * distinguishing ID "1234567812345678" (GM/T 0009 clause 10, SM2_DEFAULT_ID). OpenSSL 3.0 verifies them only
 * when told that ID, so cert_verify_chain sets it on every certificate it checks, and cert_issue signs with it.
 * A struct cert is immutable once made; every getter borrows from it. */
#ifndef SMT_CRYPTO_CERT_H
#define SMT_CRYPTO_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"

struct x509_st; /* OpenSSL's X509, for src/crypto/ and the OpenSSL TLS back end only */

/* Certificate files and PEM bundles larger than this are refused. */
#define CERT_FILE_MAX (1024 * 1024)
/* Buffer sizes that hold any name, serial or SAN value these functions write (they fail with
 * SMT_ENOSPACE, never truncate, when a certificate carries a longer one). */
#define CERT_NAME_TEXT_MAX  512
#define CERT_SERIAL_HEX_MAX 65 /* 32 octets in hex + NUL; RFC 5280 4.1.2.2 allows 20 */
#define CERT_SAN_VALUE_MAX  256
#define CERT_SHA256_LEN     32

/* keyUsage bits (RFC 5280 4.2.1.3), as a bit set for the check functions and cert_issue. */
enum cert_key_usage {
        CERT_KEY_USAGE_DIGITAL_SIGNATURE = 1 << 0,
        CERT_KEY_USAGE_NON_REPUDIATION = 1 << 1,
        CERT_KEY_USAGE_KEY_ENCIPHERMENT = 1 << 2,
        CERT_KEY_USAGE_DATA_ENCIPHERMENT = 1 << 3,
        CERT_KEY_USAGE_KEY_AGREEMENT = 1 << 4,
        CERT_KEY_USAGE_KEY_CERT_SIGN = 1 << 5,
        CERT_KEY_USAGE_CRL_SIGN = 1 << 6,
};

/* extendedKeyUsage purposes (RFC 5280 4.2.1.12), as a bit set. */
enum cert_extended_usage {
        CERT_EXTENDED_USAGE_SERVER_AUTH = 1 << 0,
        CERT_EXTENDED_USAGE_CLIENT_AUTH = 1 << 1,
        CERT_EXTENDED_USAGE_CODE_SIGNING = 1 << 2,
        CERT_EXTENDED_USAGE_EMAIL_PROTECTION = 1 << 3,
        CERT_EXTENDED_USAGE_TIME_STAMPING = 1 << 4,
        CERT_EXTENDED_USAGE_OCSP_SIGNING = 1 << 5,
};

enum cert_san_type {
        CERT_SAN_DNS = 1,
        CERT_SAN_IP = 2,
        CERT_SAN_EMAIL = 3,
        CERT_SAN_URI = 4,
};

/* One subjectAltName entry as text (an IP address in its usual dotted or colon form). */
struct cert_san {
        enum cert_san_type type;
        char value[CERT_SAN_VALUE_MAX];
};

struct cert;       /* one X.509 certificate; opaque, wraps an OpenSSL X509 and its exact DER */
struct cert_chain; /* an ordered list of certificates (leaf first when it is a served chain) */
struct cert_store; /* trusted root certificates */

/* --- one certificate --- */

/* cert_parse_der reads one DER certificate that must use all in_len bytes; CRYPTO_ECERT otherwise.
 * The certificate keeps its own copy of the bytes. Free with cert_free. */
int cert_parse_der(struct cert **out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* cert_dup makes a copy of cert that shares its (immutable, reference-counted) parsed form; both must be freed. */
int cert_dup(struct cert **out, const struct cert *cert, struct err *err) SMT_MUST_USE;

/* cert_free releases cert (NULL is fine). */
void cert_free(struct cert *cert);

/* cert_der gives the certificate's exact DER encoding, borrowed (valid while cert lives): what the TLCP
 * Certificate message carries. */
void cert_der(const struct cert *cert, const uint8_t **data, size_t *len);

/* cert_public_key makes a new struct key (public only) from the subjectPublicKeyInfo; free with key_free.
 * CRYPTO_EWRONGALG for an algorithm smtrust does not use. */
int cert_public_key(const struct cert *cert, struct key **out, struct err *err) SMT_MUST_USE;

/* cert_subject_text / cert_issuer_text write the name as one line ("C=CN, O=Example, CN=localhost"),
 * NUL-terminated; SMT_ENOSPACE when out_cap is too small. */
int cert_subject_text(const struct cert *cert, char *out, size_t out_cap, struct err *err) SMT_MUST_USE;
int cert_issuer_text(const struct cert *cert, char *out, size_t out_cap, struct err *err) SMT_MUST_USE;

/* cert_subject_der / cert_issuer_der give the name's DER encoding (an X.509 Name SEQUENCE, as the
 * certificate carries it), borrowed (valid while cert lives): a TLS/TLCP CertificateRequest names
 * acceptable authorities this way (RFC 5246 §7.4.4 DistinguishedName). CRYPTO_ECERT if it cannot be encoded. */
int cert_subject_der(const struct cert *cert, const uint8_t **data, size_t *len, struct err *err) SMT_MUST_USE;
int cert_issuer_der(const struct cert *cert, const uint8_t **data, size_t *len, struct err *err) SMT_MUST_USE;

/* cert_serial_hex writes the serial number as lowercase hex without separators, NUL-terminated. */
int cert_serial_hex(const struct cert *cert, char *out, size_t out_cap, struct err *err) SMT_MUST_USE;

/* cert_authority_key_id copies the authorityKeyIdentifier's keyIdentifier (RFC 5280 4.2.1.1) to out and its
 * length to *out_len: CRYPTO_ECERT when the certificate has none, SMT_ENOSPACE when out_cap is too small. */
int cert_authority_key_id(const struct cert *cert, uint8_t *out, size_t out_cap, size_t *out_len,
                          struct err *err) SMT_MUST_USE;

/* cert_not_before / cert_not_after give the validity bounds as UTC seconds since the epoch. */
int cert_not_before(const struct cert *cert, time_t *out, struct err *err) SMT_MUST_USE;
int cert_not_after(const struct cert *cert, time_t *out, struct err *err) SMT_MUST_USE;

/* cert_is_ca says whether basicConstraints has CA:TRUE. */
bool cert_is_ca(const struct cert *cert);

/* cert_is_self_issued says whether the subject equals the issuer. */
bool cert_is_self_issued(const struct cert *cert);

/* cert_san_list writes up to out_cap subjectAltName entries of the types above to out (others are
 * skipped) and their number to *out_count; SMT_ENOSPACE when there are more or a value is too long. */
int cert_san_list(const struct cert *cert, struct cert_san *out, size_t out_cap, size_t *out_count,
                  struct err *err) SMT_MUST_USE;

/* cert_sha256 writes SHA-256 of the DER certificate (its usual fingerprint) to out. */
int cert_sha256(const struct cert *cert, uint8_t out[CERT_SHA256_LEN], struct err *err) SMT_MUST_USE;

/* cert_ocsp_url / cert_ca_issuers_url copy the first http(s) URI of the authorityInfoAccess extension with
 * access method id-ad-ocsp / id-ad-caIssuers (RFC 5280 4.2.2.1) to out, NUL-terminated: CRYPTO_ECERT when the
 * certificate names none, SMT_ENOSPACE when out_cap is too small (src/crypto/cert_aia.c). */
#define CERT_URL_MAX 1024
int cert_ocsp_url(const struct cert *cert, char *out, size_t out_cap, struct err *err) SMT_MUST_USE;
int cert_ca_issuers_url(const struct cert *cert, char *out, size_t out_cap, struct err *err) SMT_MUST_USE;

/* cert_describe appends a multi-line human description (subject, issuer, serial, validity, key, SANs,
 * usages, CA flag, SHA-256) to out, for `-v` output. */
int cert_describe(const struct cert *cert, struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* --- usage and name checks (change nothing) --- */

/* cert_check_key_usage fails with CRYPTO_ECERT_USAGE, naming the missing bits, unless the keyUsage
 * extension has every bit of all_of. A certificate without keyUsage passes (RFC 5280 4.2.1.3). */
int cert_check_key_usage(const struct cert *cert, unsigned all_of, struct err *err) SMT_MUST_USE;

/* cert_check_key_usage_any is the same but needs only one bit of any_of: a TLCP encryption certificate
 * needs keyEncipherment or dataEncipherment (GB/T 38636 dual certificates). */
int cert_check_key_usage_any(const struct cert *cert, unsigned any_of, struct err *err) SMT_MUST_USE;

/* cert_check_extended_usage fails with CRYPTO_ECERT_USAGE unless the extendedKeyUsage extension lists
 * every purpose of all_of (or anyExtendedKeyUsage); a certificate without the extension passes. */
int cert_check_extended_usage(const struct cert *cert, unsigned all_of, struct err *err) SMT_MUST_USE;

/* cert_check_host fails with CRYPTO_ECERT_NAME, naming the host and the certificate's names, unless the
 * certificate is valid for host: a DNS name matched against SAN dNSName entries with RFC 6125 6.4
 * wildcards (left-most label only), the subject CN only when there is no DNS SAN; an IPv4 or IPv6
 * literal (bare, no brackets) against SAN iPAddress entries. */
int cert_check_host(const struct cert *cert, const char *host, struct err *err) SMT_MUST_USE;

/* --- chains --- */

/* cert_chain_new makes an empty chain; free with cert_chain_free (which frees its certificates). */
int cert_chain_new(struct cert_chain **out, struct err *err) SMT_MUST_USE;

/* cert_chain_free releases chain and every certificate in it (NULL is fine). */
void cert_chain_free(struct cert_chain *chain);

/* cert_chain_append adds cert at the end; the chain owns cert from then on, also when this fails. */
int cert_chain_append(struct cert_chain *chain, struct cert *cert, struct err *err) SMT_MUST_USE;

/* cert_chain_count returns the number of certificates. */
size_t cert_chain_count(const struct cert_chain *chain);

/* cert_chain_get returns certificate index (< cert_chain_count), borrowed from the chain. */
const struct cert *cert_chain_get(const struct cert_chain *chain, size_t index);

/* cert_chain_parse_pem reads every CERTIFICATE block of in (other PEM blocks are skipped, the order is
 * kept); CRYPTO_ECERT when there is none or one is malformed. */
int cert_chain_parse_pem(struct cert_chain **out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* cert_chain_load_pem reads a PEM file of one or more certificates; errors name path. */
int cert_chain_load_pem(struct cert_chain **out, const char *path, struct err *err) SMT_MUST_USE;

/* --- writing --- */

/* cert_write_pem appends cert as a PEM CERTIFICATE block to out. */
int cert_write_pem(const struct cert *cert, struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* cert_chain_write_pem appends every certificate of chain, in order, as PEM to out. */
int cert_chain_write_pem(const struct cert_chain *chain, struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* cert_save_pem writes cert as PEM to path, mode 0644, atomically; SMT_EEXIST if path exists and
 * overwrite is false. */
int cert_save_pem(const struct cert *cert, const char *path, bool overwrite, struct err *err) SMT_MUST_USE;

/* cert_chain_save_pem does the same for every certificate of chain, in order. */
int cert_chain_save_pem(const struct cert_chain *chain, const char *path, bool overwrite, struct err *err) SMT_MUST_USE;

/* --- trust store and verification --- */

/* cert_store_new makes an empty trust store; free with cert_store_free. */
int cert_store_new(struct cert_store **out, struct err *err) SMT_MUST_USE;

/* cert_store_load makes a trust store from a PEM bundle of trusted certificates (at least one). */
int cert_store_load(struct cert_store **out, const char *path, struct err *err) SMT_MUST_USE;

/* cert_store_add trusts cert (the store keeps its own copy; the caller keeps cert). */
int cert_store_add(struct cert_store *store, const struct cert *cert, struct err *err) SMT_MUST_USE;

/* cert_store_count returns the number of distinct trusted certificates (one added twice counts once). */
size_t cert_store_count(const struct cert_store *store);

/* cert_store_get returns trusted certificate index (< cert_store_count, in the order added), borrowed
 * from the store. */
const struct cert *cert_store_get(const struct cert_store *store, size_t index);

/* cert_store_free releases store (NULL is fine). */
void cert_store_free(struct cert_store *store);

/* Why a verification failed, for callers that pick a protocol alert (bad_certificate, unknown_ca, ...). */
enum cert_verify_failure {
        CERT_VERIFY_OK = 0,
        CERT_VERIFY_UNKNOWN_ISSUER = 1, /* no path to a trusted certificate */
        CERT_VERIFY_BAD_SIGNATURE = 2,  /* a signature in the path does not verify */
        CERT_VERIFY_EXPIRED = 3,
        CERT_VERIFY_NOT_YET_VALID = 4,
        CERT_VERIFY_INVALID = 5, /* anything else: not a CA, path length, malformed extension, ... */
};

struct cert_verify_result {
        enum cert_verify_failure failure;
        int depth;          /* of the failing certificate, 0 = leaf; -1 when none failed */
        int openssl_reason; /* X509_V_ERR_*, 0 when none */
};

/* cert_verify_chain checks that leaf chains to a certificate of store through intermediates (NULL or a
 * chain that may also hold the leaf and other leaves: extras are ignored), with RFC 5280 strict checks, at
 * time now (0 = the current time). Failures: CRYPTO_ECERT_UNTRUSTED (unknown issuer, bad signature, invalid
 * path), CRYPTO_ECERT_EXPIRED (expired or not yet valid); the message names the failing certificate's subject
 * and OpenSSL's reason. result (may be NULL) receives the details in every case. */
int cert_verify_chain(const struct cert_store *store, const struct cert *leaf, const struct cert_chain *intermediates,
                      time_t now, struct cert_verify_result *result, struct err *err) SMT_MUST_USE;

/* --- issuing --- */

struct cert_issue_params {
        const struct key *subject_key;  /* its public half is certified */
        const struct key *issuer_key;   /* private; NULL = self-signed with subject_key (which must be private) */
        const struct cert *issuer_cert; /* NULL = self-signed; else its subject becomes the issuer name */
        const char *common_name;        /* subject CN (required) */
        const char *organization;       /* subject O, NULL = none */
        const char *country;            /* subject C (two letters), NULL = none */
        const char *const *dns_names;   /* SAN dNSName entries */
        size_t num_dns_names;
        const char *const *ip_addresses; /* SAN iPAddress entries as text ("127.0.0.1", "::1") */
        size_t num_ip_addresses;
        const uint8_t *serial; /* NULL = 16 random bytes, positive; else serial_len (4..20) bytes, positive */
        size_t serial_len;
        time_t not_before;       /* 0 = now */
        time_t not_after;        /* must be after not_before, at most 30 years later (roots) */
        bool is_ca;              /* basicConstraints CA:TRUE, critical; leaves get no basicConstraints at all */
        unsigned key_usage;      /* enum cert_key_usage bits, critical; a CA always gets keyCertSign|cRLSign too */
        unsigned extended_usage; /* enum cert_extended_usage bits; 0 = no extension */
        /* --- what a CA's profiles add (all optional: zero/NULL = absent) --- */
        const char *organizational_unit; /* subject OU */
        const char *province;            /* subject ST */
        const char *locality;            /* subject L */
        bool omit_common_name;           /* subject without CN (common_name may then be NULL): BR 7.1.4.2.2 allows it */
        const char *const *emails;       /* SAN rfc822Name entries */
        size_t num_emails;
        const char *const *uris; /* SAN uniformResourceIdentifier entries */
        size_t num_uris;
        int path_len;            /* CA only: basicConstraints pathLenConstraint; -1 = none (0 is "no sub-CA") */
        bool has_path_len;       /* path_len is meant (so a zeroed struct means "no constraint") */
        bool extended_usage_critical; /* RFC 3161 2.3: a TSA certificate's EKU is critical */
        const char *const *policy_oids; /* certificatePolicies, dotted OIDs (2.23.140.1.2.1 DV, ...2.2 OV) */
        size_t num_policy_oids;
        const char *ocsp_url;        /* authorityInfoAccess id-ad-ocsp */
        const char *ca_issuers_url;  /* authorityInfoAccess id-ad-caIssuers */
        const char *crl_url;         /* cRLDistributionPoints fullName URI */
        const char *const *permitted_dns; /* nameConstraints (critical) permittedSubtrees dNSName: "gov.cn" */
        size_t num_permitted_dns;
        const char *const *excluded_dns; /* nameConstraints excludedSubtrees dNSName */
        size_t num_excluded_dns;
        bool ocsp_no_check;          /* id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1), for OCSP responder certificates */
};

/* cert_issue makes an X.509 v3 certificate with SKI and AKI, signed with SM2-with-SM3 (ID 1234567812345678)
 * by an SM2 issuer key or with SHA-256 by an EC or RSA one. SMT_EINVAL for inconsistent parameters (issuer
 * key without issuer cert, issuer key not matching issuer cert, bad validity or serial). */
int cert_issue(struct cert **out, const struct cert_issue_params *params, struct err *err) SMT_MUST_USE;

/* cert_acme_tls_alpn01_new makes the tls-alpn-01 validation certificate (RFC 8737 3) and its key: a fresh
 * P-256 key, self-signed, valid from an hour ago for a week, one subjectAltName (a dNSName, or an iPAddress
 * when name is an IPv4/IPv6 literal, RFC 8738 6) and the critical id-pe-acmeIdentifier extension
 * (1.3.6.1.5.5.7.1.31) whose value is the DER OCTET STRING of digest, SHA-256 of the key authorization.
 * SMT_EINVAL for an empty or over-long name. Free both with cert_free and key_free. */
int cert_acme_tls_alpn01_new(struct cert **cert, struct key **key, const char *name, const uint8_t digest[32],
                             struct err *err) SMT_MUST_USE;

/* --- OpenSSL access, for src/crypto/ and the OpenSSL TLS back end only --- */

/* cert_wrap takes ownership of x509 (freed on failure too) and makes it a struct cert; an SM2-signed x509
 * gets the SM2 ID set on it (X509_set0_distinguishing_id). */
int cert_wrap(struct cert **out, struct x509_st *x509, struct err *err) SMT_MUST_USE;

/* cert_x509 returns the wrapped OpenSSL certificate, borrowed (valid while cert lives). */
struct x509_st *cert_x509(const struct cert *cert);

#endif
