/* tests/unit/net/test_sniff.c: net_sniff_classify on real first flights. The TLS ClientHellos in data/ were
 * captured once from `openssl s_client -tls1_2` and `-tls1_3 -servername localhost` (OpenSSL 3.0.19) by a
 * listener that saved the first record; the TLCP ones are the first c2s records of the shared interop
 * vectors (Tongsuo and GmSSL clients), /work/shared/vectors/tlcp. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "check.h"
#include "net/sniff.h"

#define TEST_HELLO_MAX 4096

static size_t test_read_data(uint8_t *out, const char *relative)
{
        FILE *f = fopen(check_source_path(relative), "rb");
        CHECK(f != NULL);
        size_t n = fread(out, 1, TEST_HELLO_MAX, f);
        fclose(f);
        CHECK(n > 5);
        return n;
}

/* test_every_prefix: the answer is NEED_MORE or final, and once final no longer prefix changes it. */
static void test_every_prefix(const uint8_t *hello, size_t len, enum net_sniff_kind want, size_t final_at)
{
        for (size_t i = 0; i <= len; i++) {
                enum net_sniff_kind got = net_sniff_classify(hello, i);
                CHECK_EQ(got, i < final_at ? NET_SNIFF_NEED_MORE : want);
        }
}

static void test_tls_client_hellos(void)
{
        static const char *const files[] = {"tests/unit/net/data/client_hello_tls1_2.bin",
                                            "tests/unit/net/data/client_hello_tls1_3.bin"};
        uint8_t hello[TEST_HELLO_MAX];
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                size_t len = test_read_data(hello, files[i]);
                test_every_prefix(hello, len, NET_SNIFF_TLS, NET_SNIFF_RECORD_LEN);
                CHECK_STR(net_sniff_kind_name(net_sniff_classify(hello, len)), "tls");
        }
}

/* test_vector_first_record rebuilds the first client record (header + fragment) of one vector file. */
static size_t test_vector_first_record(uint8_t *out, const char *path)
{
        json_error_t error;
        json_t *root = json_load_file(path, 0, &error);
        CHECK(root != NULL);
        json_t *record = json_array_get(json_object_get(root, "records"), 0);
        CHECK_STR(json_string_value(json_object_get(record, "dir")), "c2s");
        out[0] = (uint8_t)json_integer_value(json_object_get(record, "type"));
        check_hex(out + 1, 2, json_string_value(json_object_get(record, "version")));
        size_t len = check_hex(out + 5, TEST_HELLO_MAX - 5, json_string_value(json_object_get(record, "fragment_hex")));
        out[3] = (uint8_t)(len >> 8);
        out[4] = (uint8_t)len;
        json_decref(root);
        return len + 5;
}

static void test_tlcp_client_hellos(void)
{
        static const char *const files[] = {"vectors/tlcp/01-tongsuo-tongsuo-ecc-sm4-cbc-sm3.json",
                                            "vectors/tlcp/05-gmssl-gmssl-ecdhe-sm4-gcm-sm3.json"};
        uint8_t hello[TEST_HELLO_MAX];
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                const char *path = check_shared_path(files[i]);
                if (path == NULL)
                        check_skip_all("shared TLCP vectors are absent");
                size_t len = test_vector_first_record(hello, path);
                CHECK_EQ(hello[5], 1); /* handshake type client_hello */
                test_every_prefix(hello, len, NET_SNIFF_TLCP, NET_SNIFF_RECORD_LEN);
        }
}

static void test_http_methods(void)
{
        static const char *const requests[] = {"GET / HTTP/1.1\r\n", "HEAD / HTTP/1.0\r\n", "POST /x HTTP/1.1\r\n",
                                               "OPTIONS * HTTP/1.1\r\n", "VERSION-CONTROL /a HTTP/1.1\r\n"};
        for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
                const uint8_t *r = (const uint8_t *)requests[i];
                size_t space = (size_t)(strchr(requests[i], ' ') - requests[i]);
                test_every_prefix(r, strlen(requests[i]), NET_SNIFF_HTTP, space + 1);
        }
}

static void test_unknown(void)
{
        static const struct {
                const char *hex;
                enum net_sniff_kind want;
        } cases[] = {
            {"16 03 00", NET_SNIFF_UNKNOWN}, /* SSL 3.0 record: refused */
            {"16 03 04", NET_SNIFF_UNKNOWN}, /* no TLS record carries 0x0304 (RFC 8446 §5.1) */
            {"16 01 02", NET_SNIFF_UNKNOWN}, /* neither TLCP 0x0101 nor TLS */
            {"16 02", NET_SNIFF_UNKNOWN},    /* already neither */
            {"16 01", NET_SNIFF_NEED_MORE},  /* could be TLCP */
            {"16", NET_SNIFF_NEED_MORE},
            {"17 03 03 00 10", NET_SNIFF_UNKNOWN}, /* application data first */
            {"80 2e 01 03 01", NET_SNIFF_UNKNOWN}, /* SSLv2-style ClientHello */
            {"20 47 45 54", NET_SNIFF_UNKNOWN},    /* " GET": empty method */
            {"47 45 0d 0a", NET_SNIFF_UNKNOWN},    /* "GE\r\n" */
            {"00", NET_SNIFF_UNKNOWN},
        };
        uint8_t bytes[8];
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t len = check_hex(bytes, sizeof(bytes), cases[i].hex);
                CHECK_EQ(net_sniff_classify(bytes, len), cases[i].want);
        }
        CHECK_EQ(net_sniff_classify(NULL, 0), NET_SNIFF_NEED_MORE);
        /* A token as long as the limit with no space is final. */
        uint8_t long_token[NET_SNIFF_METHOD_MAX];
        memset(long_token, 'A', sizeof(long_token));
        CHECK_EQ(net_sniff_classify(long_token, NET_SNIFF_METHOD_MAX - 1), NET_SNIFF_NEED_MORE);
        CHECK_EQ(net_sniff_classify(long_token, NET_SNIFF_METHOD_MAX), NET_SNIFF_UNKNOWN);
}

CHECK_MAIN(CHECK_TEST(test_tls_client_hellos), CHECK_TEST(test_tlcp_client_hellos), CHECK_TEST(test_http_methods),
           CHECK_TEST(test_unknown))
