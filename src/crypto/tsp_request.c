/* src/crypto/tsp_request.c: TimeStampReq (RFC 3161 2.4.1) read, checked against a TSA and built.
 *
 *   TimeStampReq ::= SEQUENCE { version INTEGER { v1(1) }, messageImprint MessageImprint,
 *     reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE,
 *     extensions [0] IMPLICIT Extensions OPTIONAL } */
#include <string.h>

#include "crypto/random.h"
#include "crypto/tsp_internal.h"

/* tsp_request_version accepts v1 only: another version is a request we do not support (badRequest). */
static int tsp_request_version(struct buf_reader *body, uint32_t *failure_info, struct err *err)
{
        struct buf_reader v;
        TRY(der_read_element(body, DER_TAG_INTEGER, &v, "TimeStampReq.version", err));
        if (v.len != 1 || v.data[0] != 1) {
                *failure_info = TSP_FAILURE_BAD_REQUEST;
                return SMT_ERR(err, SMT_EINVAL, "TimeStampReq: version of %zu octets (first 0x%02x), expected 1", v.len,
                               v.len > 0 ? v.data[0] : 0);
        }
        return SMT_OK;
}

static int tsp_request_nonce(struct buf_reader *body, struct tsp_request *out, uint32_t *failure_info, struct err *err)
{
        struct buf_reader v;
        TRY(tsp_read_optional(body, DER_TAG_INTEGER, &out->has_nonce, &v, "TimeStampReq.nonce", err));
        if (!out->has_nonce)
                return SMT_OK;
        if (v.len > TSP_NONCE_MAX) { /* RFC 3161 2.4.1 leaves its size open; 64 bits is what clients send */
                *failure_info = TSP_FAILURE_BAD_REQUEST;
                return SMT_ERR(err, SMT_EINVAL, "TimeStampReq: nonce of %zu octets exceeds %d", v.len, TSP_NONCE_MAX);
        }
        if (v.len == 0 ||
            (v.len > 1 && ((v.data[0] == 0x00 && v.data[1] < 0x80) || (v.data[0] == 0xFF && v.data[1] >= 0x80))))
                return SMT_ERR(err, SMT_EDECODE, "TimeStampReq: nonce INTEGER of %zu octets not minimal", v.len);
        out->nonce_len = v.len;
        return buf_read_bytes(&v, out->nonce, v.len);
}

static int tsp_request_cert_req(struct buf_reader *body, struct tsp_request *out, struct err *err)
{
        struct buf_reader v;
        bool present = false;
        TRY(tsp_read_optional(body, TSP_TAG_BOOLEAN, &present, &v, "TimeStampReq.certReq", err));
        if (!present)
                return SMT_OK;
        /* An explicit FALSE is not DER (X.690 11.5) but harmless; accept both values, nothing else. */
        if (v.len != 1 || (v.data[0] != 0x00 && v.data[0] != 0xFF))
                return SMT_ERR(err, SMT_EDECODE, "TimeStampReq: certReq BOOLEAN of %zu octets", v.len);
        out->cert_req = v.data[0] == 0xFF;
        return SMT_OK;
}

static int tsp_request_fields(struct buf_reader *body, struct tsp_request *out, uint32_t *failure_info, struct err *err)
{
        struct buf_reader policy, extensions;
        TRY(tsp_request_version(body, failure_info, err));
        TRY(tsp_read_imprint(body, &out->imprint, err));
        if (out->imprint.hash == TSP_HASH_UNKNOWN) {
                *failure_info = TSP_FAILURE_BAD_ALG;
                return SMT_ERR(err, CRYPTO_EWRONGALG,
                               "TimeStampReq: hash algorithm is none of sm3, sha256, sha384, "
                               "sha512");
        }
        TRY(tsp_read_optional(body, DER_TAG_OID, &out->has_policy, &policy, "TimeStampReq.reqPolicy", err));
        if (out->has_policy && (policy.len == 0 || policy.len > CMS_OID_MAX))
                return SMT_ERR(err, SMT_EDECODE, "TimeStampReq: reqPolicy of %zu octets", policy.len);
        if (out->has_policy) {
                out->policy_len = policy.len;
                TRY(buf_read_bytes(&policy, out->policy, policy.len));
        }
        TRY(tsp_request_nonce(body, out, failure_info, err));
        TRY(tsp_request_cert_req(body, out, err));
        TRY(tsp_read_optional(body, TSP_TAG_CONTEXT_0, &out->has_extensions, &extensions, "TimeStampReq.extensions",
                              err));
        if (out->has_extensions) { /* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, IMPLICIT: content only */
                struct buf_reader ext;
                TRY(der_read_element(&extensions, DER_TAG_SEQUENCE, &ext, "TimeStampReq.extensions[0]", err));
        }
        return buf_reader_expect_end(body, "TimeStampReq", err);
}

int tsp_request_parse(struct tsp_request *out, const uint8_t *in, size_t in_len, uint32_t *failure_info,
                      struct err *err)
{
        memset(out, 0, sizeof *out);
        *failure_info = TSP_FAILURE_BAD_DATA_FORMAT;
        if (in == NULL || in_len > TSP_REQUEST_MAX)
                return SMT_ERR(err, SMT_EDECODE, "TimeStampReq: %zu bytes, expected 1..%d", in_len, TSP_REQUEST_MAX);
        struct buf_reader r = buf_reader_make(in, in_len), body;
        TRY(der_read_element(&r, DER_TAG_SEQUENCE, &body, "TimeStampReq", err));
        TRY(buf_reader_expect_end(&r, "TimeStampReq (trailing bytes)", err));
        int status = tsp_request_fields(&body, out, failure_info, err);
        if (status < 0)
                return status;
        out->der = in;
        out->der_len = in_len;
        *failure_info = 0;
        return SMT_OK;
}

int tsp_request_accept(const struct tsp_request *req, const char *policy, uint32_t *failure_info, struct err *err)
{
        *failure_info = 0;
        if (req->has_policy) {
                struct buf_reader asked = buf_reader_make(req->policy, req->policy_len);
                if (!tsp_oid_is(&asked, policy)) {
                        *failure_info = TSP_FAILURE_UNACCEPTED_POLICY;
                        return SMT_ERR(err, SMT_EINVAL, "TimeStampReq: reqPolicy is not this TSA's policy %s", policy);
                }
        }
        if (req->has_extensions) { /* RFC 3161 2.4.2: we recognise no extension, critical or not */
                *failure_info = TSP_FAILURE_UNACCEPTED_EXTENSION;
                return SMT_ERR(err, SMT_EINVAL, "TimeStampReq: extensions present; this TSA accepts none");
        }
        return SMT_OK;
}

static int tsp_request_check_params(const struct tsp_request_params *p, struct err *err)
{
        if (p->nonce == NULL)
                return SMT_OK;
        if (p->nonce_len == 0 || p->nonce_len > TSP_NONCE_MAX ||
            (p->nonce_len > 1 &&
             ((p->nonce[0] == 0 && p->nonce[1] < 0x80) || (p->nonce[0] == 0xFF && p->nonce[1] >= 0x80))))
                return SMT_ERR(err, SMT_EINVAL, "tsp: nonce of %zu octets is not a minimal INTEGER of 1..%d",
                               p->nonce_len, TSP_NONCE_MAX);
        return SMT_OK;
}

int tsp_request_build(struct buf_writer *out, const struct tsp_request_params *params, struct err *err)
{
        TRY(tsp_request_check_params(params, err));
        struct buf_writer body;
        tsp_writer_init(&body);
        int status = der_write_unsigned_integer(&body, (const uint8_t[]){1}, 1) < 0
                         ? SMT_ERR(err, SMT_ENOSPACE, "tsp: request version")
                         : tsp_write_imprint(&body, params->imprint, err);
        if (status == SMT_OK && params->policy != NULL)
                status = tsp_write_oid(&body, params->policy, err);
        if (status == SMT_OK && params->nonce != NULL)
                status = tsp_write_element(&body, DER_TAG_INTEGER, params->nonce, params->nonce_len, err);
        if (status == SMT_OK && params->cert_req)
                status = tsp_write_element(&body, TSP_TAG_BOOLEAN, (const uint8_t[]){0xFF}, 1, err);
        if (status < 0) {
                buf_writer_cleanup(&body);
                return status;
        }
        return tsp_seal(out, DER_TAG_SEQUENCE, &body, err);
}

int tsp_nonce_generate(uint8_t out[TSP_NONCE_MAX], size_t *out_len, struct err *err)
{
        TRY(random_bytes(out, 16, err));
        out[0] = (uint8_t)((out[0] & 0x7F) | 0x01); /* positive, and the first octet non-zero: minimal */
        *out_len = 16;
        return SMT_OK;
}
