/* src/crypto/ocsp_internal.h: what ocsp_der.c, ocsp_request.c, ocsp_response.c and ocsp_verify.c share (object
 * identifiers, times, CertIDs, extensions, nested DER writing). Not an API: other modules use crypto/ocsp.h. */
#ifndef SMT_CRYPTO_OCSP_INTERNAL_H
#define SMT_CRYPTO_OCSP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/der.h"
#include "base/err.h"
#include "crypto/ocsp.h"

/* Tags beyond base/der.h's list. */
enum ocsp_der_tag {
        OCSP_TAG_BOOLEAN = 0x01,
        OCSP_TAG_ENUMERATED = 0x0A,
        OCSP_TAG_GENERALIZED_TIME = 0x18,
        OCSP_TAG_CTX0 = 0xA0, /* [n] EXPLICIT (constructed) */
        OCSP_TAG_CTX1 = 0xA1,
        OCSP_TAG_CTX2 = 0xA2,
        OCSP_TAG_IMPLICIT0_NULL = 0x80, /* CertStatus good */
        OCSP_TAG_IMPLICIT2_NULL = 0x82, /* CertStatus unknown */
};

/* An object identifier's content octets. */
struct ocsp_oid {
        const uint8_t *data;
        size_t len;
};

extern const struct ocsp_oid ocsp_oid_basic;   /* id-pkix-ocsp-basic 1.3.6.1.5.5.7.48.1.1 */
extern const struct ocsp_oid ocsp_oid_nonce;   /* id-pkix-ocsp-nonce 1.3.6.1.5.5.7.48.1.2 */
extern const struct ocsp_oid ocsp_oid_sm2_sm3; /* SM2-with-SM3 1.2.156.10197.1.501 (GM/T 0006) */
extern const struct ocsp_oid ocsp_oid_ecdsa_sha256;
extern const struct ocsp_oid ocsp_oid_rsa_sha256;

/* ocsp_oid_equal says whether the content octets r are oid. */
bool ocsp_oid_equal(struct buf_reader r, const struct ocsp_oid *oid);

/* ocsp_hash_oid gives hash's OID (hash known); ocsp_hash_from_oid the algorithm of an OID or OCSP_HASH_UNKNOWN. */
const struct ocsp_oid *ocsp_hash_oid(enum ocsp_hash hash);
enum ocsp_hash ocsp_hash_from_oid(struct buf_reader oid);

/* ocsp_hash_md gives the OpenSSL digest of a known hash, NULL for OCSP_HASH_UNKNOWN. */
const EVP_MD *ocsp_hash_md(enum ocsp_hash hash);

/* ocsp_digest writes md(in) to out (at least EVP_MAX_MD_SIZE bytes) and its length to *out_len. */
int ocsp_digest(const EVP_MD *md, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len,
                struct err *err) SMT_MUST_USE;

/* ocsp_time_read reads a GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 5280 4.1.2.5.2) into *out. */
int ocsp_time_read(struct buf_reader *r, time_t *out, const char *what, struct err *err) SMT_MUST_USE;

/* ocsp_time_write appends t as a GeneralizedTime. */
int ocsp_time_write(struct buf_writer *w, time_t t, struct err *err) SMT_MUST_USE;

/* ocsp_cert_id_read reads one CertID SEQUENCE into *out, keeping its exact encoding. */
int ocsp_cert_id_read(struct buf_reader *r, struct ocsp_cert_id *out, struct err *err) SMT_MUST_USE;

/* ocsp_extensions_read walks an Extensions SEQUENCE (the content of its [n] wrapper in r): the nonce's extnValue
 * goes to nonce (when not NULL), an unknown critical extension is SMT_EDECODE (RFC 6960 4.4), others are skipped. */
int ocsp_extensions_read(struct buf_reader *r, bool *has_nonce, uint8_t nonce[OCSP_NONCE_MAX], size_t *nonce_len,
                         const char *what, struct err *err) SMT_MUST_USE;

/* ocsp_nonce_extensions_write appends "[tag] EXPLICIT Extensions" holding only the nonce with extnValue nonce. */
int ocsp_nonce_extensions_write(struct buf_writer *w, uint8_t tag, const uint8_t *nonce, size_t nonce_len,
                                struct err *err) SMT_MUST_USE;

/* ocsp_writer_init starts a heap writer for one nested element (up to OCSP_RESPONSE_MAX bytes). */
void ocsp_writer_init(struct buf_writer *w);

/* ocsp_seal appends tag, length and inner's bytes to out, then cleans inner up (also on failure). */
int ocsp_seal(struct buf_writer *out, uint8_t tag, struct buf_writer *inner, struct err *err) SMT_MUST_USE;

/* ocsp_write_element appends tag, length and len bytes of content. */
int ocsp_write_element(struct buf_writer *out, uint8_t tag, const uint8_t *content, size_t len,
                       struct err *err) SMT_MUST_USE;

/* ocsp_key_hash writes SHA-1 of cert's subjectPublicKey BIT STRING value (RFC 6960 4.2.1 KeyHash) or, with md,
 * that digest (CertID issuerKeyHash). */
int ocsp_key_hash(const struct cert *cert, const EVP_MD *md, uint8_t *out, size_t *out_len,
                  struct err *err) SMT_MUST_USE;

#endif
