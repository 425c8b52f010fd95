/* src/crypto/csr.h: PKCS#10 certificate signing requests (RFC 2986) over OpenSSL 3: reading and checking
 * what a client sends (ACME finalize, the CA API), and making them (`smtrust cert req`, the project's own
 * ACME client).
 *
 * SM2 requests are signed SM2-with-SM3 over Z with the distinguishing ID "1234567812345678" (as GmSSL and
 * Tongsuo do); csr_verify checks them with that ID. A struct csr is immutable once made. */
#ifndef SMT_CRYPTO_CSR_H
#define SMT_CRYPTO_CSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#define CSR_MAX (64 * 1024)

struct csr;

/* csr_parse_der reads one DER request using all in_len bytes; CA_ECSR otherwise (message says why). */
int csr_parse_der(struct csr **out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* csr_parse_pem reads the first CERTIFICATE REQUEST (or NEW CERTIFICATE REQUEST) PEM block. */
int csr_parse_pem(struct csr **out, const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* csr_load reads a PEM or DER request file. */
int csr_load(struct csr **out, const char *path, struct err *err) SMT_MUST_USE;

void csr_free(struct csr *csr);

/* csr_verify checks the request's self-signature (SM2 with the default ID, ECDSA, RSA PKCS#1 v1.5 and
 * PSS); CRYPTO_EVERIFY when it does not verify, CA_ECSR for a signature algorithm not accepted (MD5, SHA-1). */
int csr_verify(const struct csr *csr, struct err *err) SMT_MUST_USE;

/* csr_public_key makes a struct key of the request's public key (SM2, P-256, P-384, RSA 2048..8192);
 * CRYPTO_EWRONGALG for anything else (Ed25519, P-521, small RSA). */
int csr_public_key(const struct csr *csr, struct key **out, struct err *err) SMT_MUST_USE;

/* csr_public_key_der gives the DER SubjectPublicKeyInfo, borrowed (valid while csr lives). */
int csr_public_key_der(const struct csr *csr, const uint8_t **data, size_t *len, struct err *err) SMT_MUST_USE;

/* csr_common_name writes the subject's CN (the last one), "" when there is none. */
int csr_common_name(const struct csr *csr, char *out, size_t out_cap, struct err *err) SMT_MUST_USE;

/* The subject attributes a plain issuing tool copies into a certificate (cert_issue_params has each). */
enum csr_subject_field {
        CSR_SUBJECT_COUNTRY = 1,
        CSR_SUBJECT_PROVINCE = 2,
        CSR_SUBJECT_LOCALITY = 3,
        CSR_SUBJECT_ORGANIZATION = 4,
        CSR_SUBJECT_ORGANIZATIONAL_UNIT = 5,
        CSR_SUBJECT_COMMON_NAME = 6,
};

/* csr_subject_field writes the subject's attribute field (the last one) as UTF-8, "" when there is none;
 * SMT_ENOSPACE when out_cap is too small, CA_ECSR for a value that is not a string or holds a NUL. */
int csr_subject_field(const struct csr *csr, enum csr_subject_field field, char *out, size_t out_cap,
                      struct err *err) SMT_MUST_USE;

/* csr_san_list writes the subjectAltName entries of the extensionRequest attribute (DNS, IP, email, URI;
 * others skipped) like cert_san_list; 0 entries when the request has none. */
int csr_san_list(const struct csr *csr, struct cert_san *out, size_t out_cap, size_t *out_count,
                 struct err *err) SMT_MUST_USE;

/* csr_requested_key_usage writes the keyUsage bits the extensionRequest asks for (enum cert_key_usage),
 * 0 when it asks none: an SM2 request asking keyEncipherment, dataEncipherment or keyAgreement without
 * digitalSignature is for the encryption certificate of a pair (docs/acme-sm2.md). */
int csr_requested_key_usage(const struct csr *csr, unsigned *out, struct err *err) SMT_MUST_USE;

/* csr_der gives the request's DER, borrowed. */
void csr_der(const struct csr *csr, const uint8_t **data, size_t *len);

struct csr_params {
        const struct key *key;        /* private: signs the request, its public half is requested */
        const char *common_name;      /* NULL = none */
        const char *organization;     /* NULL = none */
        const char *country;          /* NULL = none */
        const char *const *dns_names; /* SAN dNSName entries */
        size_t num_dns_names;
        const char *const *ip_addresses;
        size_t num_ip_addresses;
        const char *const *emails;
        size_t num_emails;
        unsigned key_usage; /* enum cert_key_usage bits asked in a keyUsage extension; 0 = none asked */
};

/* csr_create makes and signs a request (SM2 → SM2-with-SM3 with the default ID; EC → ECDSA-SHA256/384;
 * RSA → SHA-256). */
int csr_create(struct csr **out, const struct csr_params *params, struct err *err) SMT_MUST_USE;

/* csr_write_pem appends the request as a PEM CERTIFICATE REQUEST block. */
int csr_write_pem(const struct csr *csr, struct buf_writer *out, struct err *err) SMT_MUST_USE;

#endif
