/* tests/fuzz/fuzz_csr.c: targets csr_parse_der and csr_parse_pem (src/crypto/csr.c) on the same bytes, then
 * csr_verify, csr_common_name, csr_san_list, csr_requested_key_usage, csr_public_key(_der) and csr_write_pem
 * on what parsed: a request that parses keeps its exact DER, survives a PEM round trip, and no getter crashes,
 * fails without a message or leaves OpenSSL errors behind. Seeds: tests/fuzz/corpus/fuzz_csr/, requests from
 * `openssl req` (SM2 with the ID, P-256, P-384, RSA, RSA-PSS, SHA-1) with SANs and keyUsage, one without
 * extensions, one in PEM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto/csr.h"

static void fuzz_expect(int status, const struct err *err)
{
        if (status > 0 || (status < 0 && err->msg[0] == '\0'))
                abort();
}

static void fuzz_check_pem_round_trip(const struct csr *csr)
{
        struct buf_writer pem;
        struct csr *again = NULL;
        struct err err = {0};
        const uint8_t *a = NULL, *b = NULL;
        size_t a_len = 0, b_len = 0;
        buf_writer_init_heap(&pem, CSR_MAX * 2);
        if (csr_write_pem(csr, &pem, &err) != 0 || csr_parse_pem(&again, pem.data, pem.len, &err) != 0)
                abort();
        csr_der(csr, &a, &a_len);
        csr_der(again, &b, &b_len);
        if (a_len != b_len || memcmp(a, b, a_len) != 0)
                abort();
        csr_free(again);
        buf_writer_cleanup(&pem);
}

static void fuzz_getters(const struct csr *csr)
{
        struct err err = {0};
        char cn[256];
        struct cert_san sans[8];
        size_t count = 0;
        unsigned usage = 0;
        struct key *key = NULL;
        const uint8_t *spki = NULL;
        size_t spki_len = 0;
        int status = csr_verify(csr, &err);
        if (status != 0 && status != CRYPTO_EVERIFY && status != CA_ECSR)
                abort();
        fuzz_expect(status, &err);
        err_clear(&err);
        fuzz_expect(csr_common_name(csr, cn, sizeof cn, &err), &err);
        err_clear(&err);
        status = csr_san_list(csr, sans, 8, &count, &err);
        fuzz_expect(status, &err);
        if (status == 0 && count > 8)
                abort();
        err_clear(&err);
        fuzz_expect(csr_requested_key_usage(csr, &usage, &err), &err);
        if (usage & ~0x7fu)
                abort();
        err_clear(&err);
        if (csr_public_key(csr, &key, &err) == 0)
                key_free(key);
        if (csr_public_key_der(csr, &spki, &spki_len, &err) != 0 || spki_len == 0)
                abort();
}

static void fuzz_der(const uint8_t *data, size_t len)
{
        struct csr *csr = NULL;
        struct err err = {0};
        int status = csr_parse_der(&csr, data, len, &err);
        if ((status == 0) != (csr != NULL) || (status != 0 && (status != CA_ECSR || err.msg[0] == '\0')))
                abort();
        if (csr == NULL)
                return;
        const uint8_t *der = NULL;
        size_t der_len = 0;
        csr_der(csr, &der, &der_len);
        if (der_len != len || memcmp(der, data, len) != 0)
                abort();
        fuzz_check_pem_round_trip(csr);
        fuzz_getters(csr);
        csr_free(csr);
}

static void fuzz_pem(const uint8_t *data, size_t len)
{
        struct csr *csr = NULL;
        struct err err = {0};
        int status = csr_parse_pem(&csr, data, len, &err);
        if ((status == 0) != (csr != NULL) || (status != 0 && err.msg[0] == '\0'))
                abort();
        if (csr != NULL)
                fuzz_getters(csr);
        csr_free(csr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        fuzz_der(data, len);
        fuzz_pem(data, len);
        if (ERR_peek_error() != 0)
                abort();
        return 0;
}
