/* src/crypto/cms_internal.h: the DER pieces cms_write.c, cms_parse.c and cms_verify.c share (src/crypto/cms_der.c).
 * Not an API: other modules use crypto/cms.h. */
#ifndef SMT_CRYPTO_CMS_INTERNAL_H
#define SMT_CRYPTO_CMS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/der.h"
#include "base/err.h"

/* Tags the CMS structures use beyond base/der.h's (X.690 §8.1.2). */
#define CMS_TAG_SET              0x31
#define CMS_TAG_UTC_TIME         0x17
#define CMS_TAG_GENERALIZED_TIME 0x18
#define CMS_TAG_CONTEXT_0        0xA0 /* [0] constructed */
#define CMS_TAG_CONTEXT_1        0xA1 /* [1] constructed */

/* The OIDs the structure itself names (cms.h has the content types). */
#define CMS_OID_GBT_SIGNED_DATA     "1.2.156.10197.6.1.4.2.2" /* GB/T 35275 §7 signedData */
#define CMS_OID_PKCS7_SIGNED_DATA   "1.2.840.113549.1.7.2"    /* RFC 5652 §5.1 id-signedData */
#define CMS_OID_SM3                 "1.2.156.10197.1.401"     /* GM/T 0006 */
#define CMS_OID_SM2_SIGN            "1.2.156.10197.1.301.1"   /* GB/T 35275 §8.1 signatureAlgorithm */
#define CMS_OID_SM2_SIGN_WITH_SM3   "1.2.156.10197.1.501"     /* GM/T 0006 sm2sign-with-sm3 */
#define CMS_OID_ATTR_CONTENT_TYPE   "1.2.840.113549.1.9.3"    /* RFC 5652 §11.1 */
#define CMS_OID_ATTR_MESSAGE_DIGEST "1.2.840.113549.1.9.4"    /* RFC 5652 §11.2 */
#define CMS_OID_ATTR_SIGNING_TIME   "1.2.840.113549.1.9.5"    /* RFC 5652 §11.3 */

/* cms_der_write_element appends tag, length and content_len bytes of content. */
int cms_der_write_element(struct buf_writer *w, uint8_t tag, const uint8_t *content, size_t content_len) SMT_MUST_USE;

/* cms_der_write_oid appends the OID element of dotted. */
int cms_der_write_oid(struct buf_writer *w, const char *dotted, struct err *err) SMT_MUST_USE;

/* cms_der_write_time appends t as UTCTime for 1950..2049, else GeneralizedTime (RFC 5652 §11.3). */
int cms_der_write_time(struct buf_writer *w, time_t t, struct err *err) SMT_MUST_USE;

/* cms_der_read_time reads a UTCTime or GeneralizedTime in the DER form "YYMMDDHHMMSSZ" / "YYYYMMDDHHMMSSZ". */
int cms_der_read_time(struct buf_reader *r, time_t *out, const char *what, struct err *err) SMT_MUST_USE;

/* cms_der_read_any reads one element of any single-byte tag: *tag, its content and (whole may be NULL) the
 * whole element. */
int cms_der_read_any(struct buf_reader *r, uint8_t *tag, struct buf_reader *content, struct buf_reader *whole,
                     const char *what, struct err *err) SMT_MUST_USE;

/* cms_der_read_whole reads one element of tag and gives the whole element (tag and length included). */
int cms_der_read_whole(struct buf_reader *r, uint8_t tag, struct buf_reader *content, struct buf_reader *whole,
                       const char *what, struct err *err) SMT_MUST_USE;

/* cms_der_read_algorithm reads an AlgorithmIdentifier whose parameters are absent or NULL; *oid gets the
 * OID's value bytes. */
int cms_der_read_algorithm(struct buf_reader *r, struct buf_reader *oid, const char *what,
                           struct err *err) SMT_MUST_USE;

#endif
