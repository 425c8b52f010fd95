/* tests/fuzz/fuzz_ocsp_response.c: targets ocsp_response_parse and ocsp_response_verify (src/crypto/ocsp_parse.c,
 * ocsp_verify.c): a failure has a message and leaves nothing to free, a success respects the limits, and
 * verification against a fixed (leaf, issuer) pair never succeeds for bytes nobody with the issuer's key signed
 * (the pair is made fresh here, so only a real forgery could pass). Seeds: tests/fuzz/corpus/fuzz_ocsp_response/,
 * responses built by smtrust (SM2, ECC; good, revoked, unknown; nonce; delegated and issuer-signed), by
 * `openssl ocsp -index`, error responses, truncations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "crypto/ocsp.h"

static struct cert *fuzz_leaf, *fuzz_issuer;

static void fuzz_pair(void)
{
        struct key *key = NULL;
        struct err err = {0};
        if (fuzz_issuer != NULL)
                return;
        if (key_generate(&key, KEY_ALG_SM2, &err) != 0)
                abort();
        struct cert_issue_params params = {.subject_key = key, .common_name = "fuzz issuer",
                                           .not_after = time(NULL) + 86400, .is_ca = true};
        if (cert_issue(&fuzz_issuer, &params, &err) != 0)
                abort();
        params = (struct cert_issue_params){.subject_key = key, .issuer_key = key, .issuer_cert = fuzz_issuer,
                                            .common_name = "fuzz leaf", .not_after = time(NULL) + 3600};
        if (cert_issue(&fuzz_leaf, &params, &err) != 0)
                abort();
        key_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct ocsp_response resp;
        struct err err = {0};
        fuzz_pair();
        int status = ocsp_response_parse(&resp, data, len, &err);
        if (status > 0 || (status < 0 && (err.msg[0] == '\0' || resp.certs != NULL)))
                abort();
        if (status == 0) {
                if (resp.num_singles > OCSP_MAX_CERT_IDS || resp.nonce_len > OCSP_NONCE_MAX)
                        abort();
                if (resp.status == OCSP_RESPONSE_SUCCESSFUL && (resp.num_singles == 0 || resp.certs == NULL))
                        abort();
                struct ocsp_verify_params params = {.leaf = fuzz_leaf, .issuer = fuzz_issuer, .tolerance = 300};
                struct ocsp_single single;
                err.msg[0] = '\0';
                status = ocsp_response_verify(&resp, &params, &single, &err);
                if (status >= 0 || err.msg[0] == '\0')
                        abort();
                ocsp_response_cleanup(&resp);
        }
        if (ERR_peek_error() != 0)
                abort();
        return 0;
}
