/* tests/fuzz/fuzz_tsp_request.c: targets tsp_request_parse and tsp_request_accept (src/crypto/tsp_request.c), what a
 * TSA runs on every body it is POSTed: a failure has a message and one PKIFailureInfo bit RFC 3161 2.4.2 names, a
 * rejection built from it reads back; a success respects the limits and, rebuilt with tsp_request_build, parses
 * again to the same imprint, policy, nonce and certReq. Seeds: tests/fuzz/corpus/fuzz_tsp_request/, queries from
 * `openssl ts -query` (SHA-256/384/512, SM3, SHA-1, with and without nonce, certReq, policy), one with an
 * extension, `smtrust ts query` output, truncations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tsp.h"

static const uint32_t fuzz_known_failures = TSP_FAILURE_BAD_ALG | TSP_FAILURE_BAD_REQUEST | TSP_FAILURE_BAD_DATA_FORMAT;

static void fuzz_reject(uint32_t failure, const char *text)
{
        struct buf_writer out;
        struct tsp_response resp;
        struct err err = {0};
        buf_writer_init_heap(&out, TSP_RESPONSE_MAX);
        if (tsp_response_reject(&out, failure, text, &err) != 0 ||
            tsp_response_parse(&resp, out.data, out.len, &err) != 0 || resp.status != TSP_STATUS_REJECTION ||
            resp.failure_info != failure || resp.token.len != 0)
                abort();
        buf_writer_cleanup(&out);
}

static void fuzz_rebuild(const struct tsp_request *req)
{
        char policy[256];
        struct buf_writer out;
        struct tsp_request again;
        uint32_t failure = 0;
        struct err err = {0};
        if (req->has_policy && tsp_oid_text(policy, sizeof policy, req->policy, req->policy_len, &err) != 0)
                return; /* an OID OpenSSL does not write as text (a huge arc): nothing to rebuild */
        struct tsp_request_params params = {.imprint = &req->imprint,
                                            .policy = req->has_policy ? policy : NULL,
                                            .nonce = req->has_nonce ? req->nonce : NULL,
                                            .nonce_len = req->nonce_len,
                                            .cert_req = req->cert_req};
        buf_writer_init_heap(&out, TSP_REQUEST_MAX);
        if (tsp_request_build(&out, &params, &err) != 0 ||
            tsp_request_parse(&again, out.data, out.len, &failure, &err) != 0)
                abort();
        if (again.imprint.hash != req->imprint.hash || again.imprint.digest_len != req->imprint.digest_len ||
            memcmp(again.imprint.digest, req->imprint.digest, req->imprint.digest_len) != 0 ||
            again.has_policy != req->has_policy || again.policy_len != req->policy_len ||
            memcmp(again.policy, req->policy, req->policy_len) != 0 || again.nonce_len != req->nonce_len ||
            memcmp(again.nonce, req->nonce, req->nonce_len) != 0 || again.cert_req != req->cert_req)
                abort();
        buf_writer_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct tsp_request req;
        uint32_t failure = 0;
        struct err err = {0};
        int status = tsp_request_parse(&req, data, len, &failure, &err);
        if (status > 0 || (status < 0 && (err.msg[0] == '\0' || (failure & fuzz_known_failures) == 0 ||
                                          (failure & (failure - 1)) != 0)))
                abort();
        if (status < 0) {
                fuzz_reject(failure, err.msg);
                return 0;
        }
        if (req.imprint.digest_len != tsp_hash_len(req.imprint.hash) || req.nonce_len > TSP_NONCE_MAX ||
            req.has_nonce != (req.nonce_len > 0) || req.der != data || req.der_len != len)
                abort();
        err.msg[0] = '\0';
        status = tsp_request_accept(&req, "2.25.221790257517122638238211225828340011145", &failure, &err);
        if (status < 0 && (failure != TSP_FAILURE_UNACCEPTED_POLICY && failure != TSP_FAILURE_UNACCEPTED_EXTENSION))
                abort();
        fuzz_rebuild(&req);
        return 0;
}
