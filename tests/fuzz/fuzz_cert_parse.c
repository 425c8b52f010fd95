/* tests/fuzz/fuzz_cert_parse.c: targets cert_parse_der (src/crypto/cert.c) and cert_chain_parse_pem on the
 * same bytes, then every getter and check of src/crypto/cert_info.c, cert_describe.c and cert_verify.c on
 * what parsed: a certificate that parses must keep its exact DER, survive a PEM round trip, and never make a
 * getter crash or leave OpenSSL errors behind. Seeds: tests/fuzz/corpus/fuzz_cert_parse/, the shared TLCP
 * test PKI in DER (openssl x509 -outform der), throwaway P-256 and RSA certificates from openssl req, and
 * a PEM chain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto/cert.h"

static void fuzz_check_pem_round_trip(const struct cert *cert)
{
        struct buf_writer pem;
        struct cert_chain *chain = NULL;
        struct err err = {0};
        const uint8_t *a = NULL, *b = NULL;
        size_t a_len = 0, b_len = 0;
        buf_writer_init_heap(&pem, CERT_FILE_MAX * 2);
        if (cert_write_pem(cert, &pem, &err) != 0 || cert_chain_parse_pem(&chain, pem.data, pem.len, &err) != 0 ||
            cert_chain_count(chain) != 1)
                abort();
        cert_der(cert, &a, &a_len);
        cert_der(cert_chain_get(chain, 0), &b, &b_len);
        if (a_len != b_len || memcmp(a, b, a_len) != 0)
                abort();
        cert_chain_free(chain);
        buf_writer_cleanup(&pem);
}

/* fuzz_getters calls everything that reads a certificate; failures are fine, crashes and stray errors not. */
static void fuzz_getters(const struct cert *cert)
{
        struct err err = {0};
        char text[CERT_NAME_TEXT_MAX];
        time_t t = 0;
        struct cert_san sans[8];
        size_t count = 0;
        uint8_t digest[CERT_SHA256_LEN];
        struct key *key = NULL;
        struct buf_writer out;
        (void)!cert_subject_text(cert, text, sizeof text, &err);
        (void)!cert_issuer_text(cert, text, sizeof text, &err);
        (void)!cert_serial_hex(cert, text, sizeof text, &err);
        (void)!cert_not_before(cert, &t, &err);
        (void)!cert_not_after(cert, &t, &err);
        (void)!cert_san_list(cert, sans, 8, &count, &err);
        (void)!cert_sha256(cert, digest, &err);
        if (cert_public_key(cert, &key, &err) == 0)
                key_free(key);
        (void)!cert_check_key_usage(cert, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err);
        (void)!cert_check_key_usage_any(cert, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT, &err);
        (void)!cert_check_extended_usage(cert, CERT_EXTENDED_USAGE_SERVER_AUTH, &err);
        (void)!cert_check_host(cert, "localhost", &err);
        (void)!cert_check_host(cert, "127.0.0.1", &err);
        (void)cert_is_ca(cert);
        (void)cert_is_self_issued(cert);
        buf_writer_init_heap(&out, 64 * 1024);
        (void)!cert_describe(cert, &out, &err);
        buf_writer_cleanup(&out);
}

/* fuzz_verify checks the certificate against a store holding only itself: self-signed ones reach the
 * signature check, others fail to find an issuer; both must end with a status and a message. */
static void fuzz_verify(const struct cert *cert)
{
        struct cert_store *store = NULL;
        struct err err = {0};
        struct cert_verify_result result;
        if (cert_store_new(&store, &err) != 0)
                abort();
        if (cert_store_add(store, cert, &err) == 0) {
                int status = cert_verify_chain(store, cert, NULL, 1800000000, &result, &err);
                if ((status == 0) != (result.failure == CERT_VERIFY_OK) || (status != 0 && err.msg[0] == 0))
                        abort();
        }
        cert_store_free(store);
}

static void fuzz_der(const uint8_t *data, size_t len)
{
        struct cert *cert = NULL;
        struct err err = {0};
        int status = cert_parse_der(&cert, data, len, &err);
        if ((status == 0) != (cert != NULL) || (status != 0 && (status != CRYPTO_ECERT || err.msg[0] == 0)))
                abort();
        if (cert == NULL)
                return;
        const uint8_t *der = NULL;
        size_t der_len = 0;
        cert_der(cert, &der, &der_len);
        if (der_len != len || memcmp(der, data, len) != 0)
                abort();
        fuzz_check_pem_round_trip(cert);
        fuzz_getters(cert);
        fuzz_verify(cert);
        cert_free(cert);
}

static void fuzz_pem(const uint8_t *data, size_t len)
{
        struct cert_chain *chain = NULL;
        struct err err = {0};
        int status = cert_chain_parse_pem(&chain, data, len, &err);
        if ((status == 0) != (chain != NULL) || (status == 0 && cert_chain_count(chain) == 0) ||
            (status != 0 && err.msg[0] == 0))
                abort();
        cert_chain_free(chain);
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
