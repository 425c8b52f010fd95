/* src/crypto/crl.h: X.509 v2 certificate revocation lists (RFC 5280 §5): making and signing the CRL of an
 * issuing CA, reading its fields, and checking its signature against the issuer's certificate.
 *
 * SM2 issuers sign SM2-with-SM3 over Z computed with the ID 1234567812345678 (GM/T 0009 §10), as their
 * certificates are signed (cert_issue.c); EC issuers ECDSA with SHA-256 (SHA-384 for P-384 keys), RSA ones
 * sha256WithRSAEncryption. OpenSSL 3.0's X509_CRL_verify cannot be given the SM2 ID, so crl_verify checks
 * the signature itself over the exact tbsCertList bytes. */
#ifndef SMT_CRYPTO_CRL_H
#define SMT_CRYPTO_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#define CRL_FILE_MAX (64 * 1024 * 1024) /* the largest CRL file read */

/* One revoked certificate. */
struct crl_entry {
        const char *serial_hex; /* the serial number in hex (as cert_serial_hex writes it) */
        int64_t revoked_at;     /* revocationDate, UTC seconds */
        int reason;             /* RFC 5280 §5.3.1 CRLReason 1..10; 0 (unspecified) or negative: no reasonCode,
                                   since §5.3.1 asks to leave the extension out rather than say unspecified */
};

struct crl_params {
        const struct cert *issuer_cert; /* issuer name and AKI (from its SKI) come from it */
        const struct key *issuer_key;   /* private; must be the key issuer_cert certifies */
        int64_t this_update;            /* UTC seconds */
        int64_t next_update;            /* UTC seconds, > this_update */
        uint64_t number;                /* cRLNumber (RFC 5280 §5.2.3): the caller keeps it increasing */
        const struct crl_entry *entries;
        size_t num_entries;
};

/* crl_sign builds the v2 CRL of params (entries sorted by serial; extensions AKI and cRLNumber) and signs it
 * with the issuer key. *out is a new heap buffer of *out_len DER bytes (free with free). SMT_EINVAL for a
 * bad serial, reason or time order, or a key that is not the certificate's; CRYPTO_EOPENSSL otherwise. */
int crl_sign(uint8_t **out, size_t *out_len, const struct crl_params *params, struct err *err) SMT_MUST_USE;

/* What crl_info_read finds in a CRL. */
struct crl_info {
        int64_t this_update;
        int64_t next_update; /* 0 when absent */
        bool has_number;
        uint64_t number;     /* cRLNumber, when has_number (and it fits 64 bits) */
        size_t num_entries;
        char issuer[CERT_NAME_TEXT_MAX]; /* one line, as cert_subject_text writes names */
};

/* crl_info_read parses a DER CRL (all der_len bytes) and fills *out; CRYPTO_ECERT when it is malformed. */
int crl_info_read(struct crl_info *out, const uint8_t *der, size_t der_len, struct err *err) SMT_MUST_USE;

/* crl_entry_lookup finds serial_hex (any case) among the CRL's entries: *found, and *reason (0 when the
 * entry has no reasonCode) and *revoked_at when found. CRYPTO_ECERT for a malformed CRL. */
int crl_entry_lookup(const uint8_t *der, size_t der_len, const char *serial_hex, bool *found, int *reason,
                     int64_t *revoked_at, struct err *err) SMT_MUST_USE;

/* crl_verify checks that the DER CRL names issuer's subject as its issuer, that its two signature algorithm
 * fields agree (RFC 5280 §5.1.1.2) and that its signature verifies with issuer's public key (SM2: with the
 * default ID). CRYPTO_EVERIFY when the signature or the issuer does not match, CRYPTO_ECERT when malformed.
 * It does not look at the dates. */
int crl_verify(const uint8_t *der, size_t der_len, const struct cert *issuer, struct err *err) SMT_MUST_USE;

/* crl_decode turns a CRL file's bytes (DER, or PEM "X509 CRL") into DER: *out is a new heap buffer (free).
 * CRYPTO_ECERT when it is neither. */
int crl_decode(uint8_t **out, size_t *out_len, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

#endif
