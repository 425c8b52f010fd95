/* tests/fuzz/fuzz_tsp_response.c: targets what `smtrust ts verify|show` reads from a TSA (src/crypto/tsp_response.c,
 * tsp_tst_info.c, tsp_sm2.c): tsp_response_parse, tsp_token_content, tsp_tst_info_parse, and tsp_token_verify,
 * which must never accept these bytes (nothing here is signed by a trusted root: the store is empty of any TSA's
 * root). Seeds: tests/fuzz/corpus/fuzz_tsp_response/, SM2 and ECC replies of `smtrust ca`, rejections, truncations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tsp.h"

static struct cert_store *fuzz_trust(void)
{
        static struct cert_store *trust;
        struct err err = {0};
        if (trust == NULL && cert_store_new(&trust, &err) != 0)
                abort();
        return trust;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct tsp_response resp;
        struct err err = {0};
        if (tsp_response_parse(&resp, data, len, &err) != 0) {
                if (err.msg[0] == '\0')
                        abort();
                return 0;
        }
        if (resp.token.len == 0)
                return 0;
        struct buf_reader type, content;
        struct tsp_tst_info info;
        if (tsp_token_content(resp.token.data, resp.token.len, &type, &content, &err) == 0 &&
            tsp_tst_info_parse(&info, content.data, content.len, &err) == 0 &&
            (info.nonce_len > sizeof info.nonce || info.serial_len > sizeof info.serial ||
             info.imprint.digest_len > TSP_DIGEST_MAX))
                abort();
        struct tsp_verified verified;
        struct tsp_verify_params params = {.data = (const uint8_t *)"", .trust = fuzz_trust()};
        if (tsp_token_verify(&verified, resp.token.data, resp.token.len, &params, &err) == 0)
                abort();
        return 0;
}
