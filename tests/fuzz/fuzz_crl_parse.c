/* tests/fuzz/fuzz_crl_parse.c: targets the CRL readers of src/crypto/crl*.c that see downloaded bytes
 * (`smtrust crl verify`, the gateway's and clients' checks): crl_decode (DER or PEM), crl_info_read,
 * crl_entry_lookup and crl_verify against a fixed SM2 issuer made here (so nothing the fuzzer writes can
 * carry a valid signature). A failure has a message; a success is consistent (thisUpdate before
 * nextUpdate when both are there is NOT required: a CRL says what it says). Seeds:
 * tests/fuzz/corpus/fuzz_crl_parse/: CRLs of smtrust ca (SM2 and ECC, empty and with entries), of
 * `openssl ca -gencrl`, PEM forms and truncations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crl.h"

static struct cert *fuzz_issuer;

static void fuzz_make_issuer(void)
{
        struct key *key = NULL;
        struct err err = {0};
        if (fuzz_issuer != NULL)
                return;
        if (key_generate(&key, KEY_ALG_SM2, &err) != 0)
                abort();
        struct cert_issue_params params = {.subject_key = key, .common_name = "fuzz CRL issuer",
                                           .not_after = time(NULL) + 86400, .is_ca = true};
        if (cert_issue(&fuzz_issuer, &params, &err) != 0)
                abort();
        key_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct err err = {0};
        uint8_t *der = NULL;
        size_t der_len = 0;
        fuzz_make_issuer();
        int status = crl_decode(&der, &der_len, data, len, &err);
        if (status > 0 || (status < 0 && err.msg[0] == '\0'))
                abort();
        if (status < 0)
                return 0;
        struct crl_info info;
        memset(&err, 0, sizeof err);
        status = crl_info_read(&info, der, der_len, &err);
        if (status > 0 || (status < 0 && err.msg[0] == '\0'))
                abort();
        bool found = false;
        int reason = 0;
        int64_t at = 0;
        memset(&err, 0, sizeof err);
        status = crl_entry_lookup(der, der_len, "0a01", &found, &reason, &at, &err);
        if (status > 0 || (status < 0 && err.msg[0] == '\0') || (status == 0 && found && (reason < 0 || reason > 10)))
                abort();
        memset(&err, 0, sizeof err);
        if (crl_verify(der, der_len, fuzz_issuer, &err) == 0)
                abort(); /* a signature by a key made in this process, which nobody else holds */
        free(der);
        return 0;
}
