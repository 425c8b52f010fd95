/* src/crypto/tsp_internal.h: what the tsp_*.c files share (object identifiers, DER reading and writing helpers,
 * times, the OpenSSL signing and verifying back end). Not an API: other modules use crypto/tsp.h. */
#ifndef SMT_CRYPTO_TSP_INTERNAL_H
#define SMT_CRYPTO_TSP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/der.h"
#include "base/err.h"
#include "crypto/tsp.h"

/* Tags beyond base/der.h's list (X.690 8.1.2). */
#define TSP_TAG_BOOLEAN          0x01
#define TSP_TAG_UTF8_STRING      0x0C
#define TSP_TAG_SET              0x31
#define TSP_TAG_GENERALIZED_TIME 0x18
#define TSP_TAG_CONTEXT_0        0xA0 /* [0] constructed */
#define TSP_TAG_CONTEXT_1        0xA1
#define TSP_TAG_IMPLICIT_0       0x80 /* [0] IMPLICIT INTEGER (Accuracy.millis) */
#define TSP_TAG_IMPLICIT_1       0x81 /* [1] IMPLICIT INTEGER (Accuracy.micros) */
#define TSP_TAG_DIRECTORY_NAME   0xA4 /* GeneralName directoryName [4] (EXPLICIT: Name is a CHOICE) */

#define TSP_OID_SHA256              "2.16.840.1.101.3.4.2.1"
#define TSP_OID_SHA384              "2.16.840.1.101.3.4.2.2"
#define TSP_OID_SHA512              "2.16.840.1.101.3.4.2.3"
#define TSP_OID_SHA1                "1.3.14.3.2.26"
#define TSP_OID_SM3                 "1.2.156.10197.1.401"
#define TSP_OID_SIGNING_CERTIFICATE "1.2.840.113549.1.9.16.2.12" /* RFC 2634 5.4 (ESSCertID, SHA-1) */

/* tsp_hash_oid returns the dotted OID of a known hash, NULL otherwise; tsp_hash_from_oid the reverse. */
const char *tsp_hash_oid(enum tsp_hash hash);
enum tsp_hash tsp_hash_from_oid(const struct buf_reader *oid);

/* tsp_writer_init starts a heap writer for one nested element (up to TSP_RESPONSE_MAX bytes). */
void tsp_writer_init(struct buf_writer *w);

/* tsp_write_element appends tag, length and len bytes of content. */
int tsp_write_element(struct buf_writer *out, uint8_t tag, const uint8_t *content, size_t len,
                      struct err *err) SMT_MUST_USE;

/* tsp_seal appends inner as the content of one tag element, then cleans inner up (also on failure). */
int tsp_seal(struct buf_writer *out, uint8_t tag, struct buf_writer *inner, struct err *err) SMT_MUST_USE;

/* tsp_oid_encode writes the content octets of dotted to out (CMS_OID_MAX bytes): arcs of any size, since the
 * default policy is a UUID OID (2.25.<128-bit number>, X.667); SMT_EINVAL when dotted is not an OID. */
int tsp_oid_encode(uint8_t out[CMS_OID_MAX], size_t *out_len, const char *dotted, struct err *err) SMT_MUST_USE;

/* tsp_oid_is says whether the content octets value are the OID dotted. */
bool tsp_oid_is(const struct buf_reader *value, const char *dotted);

/* tsp_write_oid appends the OID element of dotted (SMT_EINVAL when it is not one). */
int tsp_write_oid(struct buf_writer *out, const char *dotted, struct err *err) SMT_MUST_USE;

/* tsp_write_algorithm appends AlgorithmIdentifier { dotted } with absent parameters (RFC 5754 2). */
int tsp_write_algorithm(struct buf_writer *out, const char *dotted, struct err *err) SMT_MUST_USE;

/* tsp_write_imprint appends MessageImprint (RFC 3161 2.4.1). */
int tsp_write_imprint(struct buf_writer *out, const struct tsp_imprint *imprint, struct err *err) SMT_MUST_USE;

/* tsp_read_optional reads the next element only when its tag is tag: *present says whether it did. */
int tsp_read_optional(struct buf_reader *r, uint8_t tag, bool *present, struct buf_reader *content, const char *what,
                      struct err *err) SMT_MUST_USE;

/* tsp_read_algorithm reads an AlgorithmIdentifier whose parameters are absent or NULL; *oid gets its value. */
int tsp_read_algorithm(struct buf_reader *r, struct buf_reader *oid, const char *what, struct err *err) SMT_MUST_USE;

/* tsp_read_imprint reads a MessageImprint: an unknown algorithm leaves hash UNKNOWN (digest kept when it fits),
 * a known one needs its digest length. */
int tsp_read_imprint(struct buf_reader *r, struct tsp_imprint *out, struct err *err) SMT_MUST_USE;

/* tsp_read_integer reads an INTEGER of 1..max content octets, minimal (X.690 8.3.2), into out as encoded. */
int tsp_read_integer(struct buf_reader *r, uint8_t *out, size_t max, size_t *out_len, const char *what,
                     struct err *err) SMT_MUST_USE;

/* tsp_read_small reads a non-negative INTEGER that fits 31 bits. */
int tsp_read_small(struct buf_reader *r, uint8_t tag, int64_t *out, const char *what, struct err *err) SMT_MUST_USE;

/* tsp_time_read reads a GeneralizedTime "YYYYMMDDHHMMSS[.f+]Z" (RFC 3161 2.4.2) into us and its text. */
int tsp_time_read(struct buf_reader *r, int64_t *us, char text[TSP_TIME_TEXT_MAX], struct err *err) SMT_MUST_USE;

/* tsp_openssl_grant signs an EC/RSA token with OpenSSL's TS_RESP_CTX and appends the TimeStampResp. */
int tsp_openssl_grant(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                      const struct tsp_grant *grant, struct err *err) SMT_MUST_USE;

/* tsp_openssl_verify checks an EC/RSA token's signature, chain, ESS attribute and EKU with OpenSSL
 * (TS_VFY_SIGNATURE | TS_VFY_VERSION) and writes the signer's subject. */
int tsp_openssl_verify(const uint8_t *token, size_t token_len, const struct tsp_verify_params *params,
                       char subject[CERT_NAME_TEXT_MAX], struct err *err) SMT_MUST_USE;

/* tsp_sm2_verify checks an SM2 token: cms_verify against trust at genTime, the EKU, signingCertificateV2. */
int tsp_sm2_verify(const uint8_t *token, size_t token_len, const struct tsp_verify_params *params, int64_t gen_time_us,
                   char subject[CERT_NAME_TEXT_MAX], struct err *err) SMT_MUST_USE;

/* tsp_sm2_token signs an SM2 token (TSTInfo in cms_sign's SignedData) and appends it, the ContentInfo only. */
int tsp_sm2_token(struct buf_writer *out, const struct tsp_signer *signer, const struct tsp_request *req,
                  const struct tsp_grant *grant, struct err *err) SMT_MUST_USE;

/* tsp_status_info_write appends PKIStatusInfo { status, statusString (text, NULL = none), failInfo }. */
int tsp_status_info_write(struct buf_writer *out, enum tsp_status status, uint32_t failure_info, const char *text,
                          struct err *err) SMT_MUST_USE;

#endif
