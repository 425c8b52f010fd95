/* tests/fuzz/fuzz_ocsp_request.c: targets ocsp_request_parse and ocsp_request_parse_get (src/crypto/ocsp_request.c)
 * on the same bytes: a failure has a message and a malformedRequest answer, a success respects the limits, and a
 * parsed request rebuilt with ocsp_request_build parses again to the same CertIDs and nonce. Seeds:
 * tests/fuzz/corpus/fuzz_ocsp_request/, requests from `openssl ocsp -reqout` (SHA-1 and SHA-256 CertIDs, with and
 * without nonce, two certificates), one with 17 CertIDs, one with an unknown hash, truncations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto/ocsp.h"

static void fuzz_check(int status, const struct ocsp_request *req, const struct err *err)
{
        if (status > 0 || (status < 0 && err->msg[0] == '\0'))
                abort();
        if (status < 0) {
                if (ocsp_request_failure_answer(status) != OCSP_RESPONSE_MALFORMED_REQUEST || req->num_cert_ids != 0)
                        abort();
                return;
        }
        if (req->num_cert_ids == 0 || req->num_cert_ids > OCSP_MAX_CERT_IDS || req->nonce_len > OCSP_NONCE_MAX ||
            req->has_nonce != (req->nonce_len > 0))
                abort();
}

static void fuzz_rebuild(const struct ocsp_request *req)
{
        struct buf_writer out;
        struct ocsp_request again;
        struct err err = {0};
        buf_writer_init_heap(&out, OCSP_REQUEST_MAX);
        if (ocsp_request_build(&out, req->cert_ids, req->num_cert_ids, req->has_nonce ? req->nonce : NULL,
                               req->nonce_len, &err) != 0 ||
            ocsp_request_parse(&again, out.data, out.len, &err) != 0)
                abort();
        if (again.num_cert_ids != req->num_cert_ids || again.nonce_len != req->nonce_len ||
            memcmp(again.nonce, req->nonce, req->nonce_len) != 0)
                abort();
        for (size_t i = 0; i < req->num_cert_ids; i++)
                if (!ocsp_cert_id_equal(&again.cert_ids[i], &req->cert_ids[i]))
                        abort();
        buf_writer_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct ocsp_request req;
        struct err err = {0};
        int status = ocsp_request_parse(&req, data, len, &err);
        fuzz_check(status, &req, &err);
        if (status == 0)
                fuzz_rebuild(&req);
        err.msg[0] = '\0';
        status = ocsp_request_parse_get(&req, (const char *)data, len, &err);
        fuzz_check(status, &req, &err);
        if (ERR_peek_error() != 0)
                abort();
        return 0;
}
