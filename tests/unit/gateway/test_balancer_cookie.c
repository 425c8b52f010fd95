/* tests/unit/gateway/test_balancer_cookie.c: the persistence cookie of gateway/balancer: values made for
 * servers 0..1023 read back to their server; the tag is HMAC-SHA256 as OpenSSL's EVP_MAC computes it
 * directly here over the documented message; a value for one server edited to name another, a tag with
 * one digit changed, a value made under another key and random tags are all refused as forgeries; and
 * every deviation from the format (leading zeros, uppercase, short or long tag, bytes after it, an
 * index of 1024 or more) is refused as malformed. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gateway/balancer.h"

static const uint8_t key[GW_BALANCER_COOKIE_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[GW_BALANCER_COOKIE_KEY_LEN] = "fedcba9876543210fedcba9876543210";

static void make(const uint8_t k[GW_BALANCER_COOKIE_KEY_LEN], size_t server, char out[GW_BALANCER_COOKIE_MAX])
{
        struct err err = {0};
        CHECK_OK(gw_balancer_cookie_make(k, server, out, &err), &err);
}

static int parse(const uint8_t k[GW_BALANCER_COOKIE_KEY_LEN], const char *text, size_t *server)
{
        struct err err = {0};
        return gw_balancer_cookie_parse(k, text, strlen(text), server, &err);
}

/* expected_tag_hex computes the documented tag with OpenSSL's EVP_MAC API, independently of the module:
 * HMAC-SHA256(key, "smtrust balancer cookie v1" || 0x00 || server as 4 bytes big endian), first 16
 * bytes, lowercase hex. */
static void expected_tag_hex(const uint8_t k[GW_BALANCER_COOKIE_KEY_LEN], size_t server, char out[33])
{
        static const char label[] = "smtrust balancer cookie v1";
        uint8_t message[sizeof label + 4];
        memcpy(message, label, sizeof label);
        for (int i = 0; i < 4; i++)
                message[sizeof label + (size_t)i] = (uint8_t)(server >> (24 - 8 * i));
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        CHECK(mac != NULL);
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        uint8_t tag[32];
        size_t tag_len = 0;
        CHECK(ctx != NULL && EVP_MAC_init(ctx, k, GW_BALANCER_COOKIE_KEY_LEN, params) == 1);
        CHECK(EVP_MAC_update(ctx, message, sizeof message) == 1);
        CHECK(EVP_MAC_final(ctx, tag, &tag_len, sizeof tag) == 1 && tag_len == 32);
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
        for (size_t i = 0; i < 16; i++)
                snprintf(out + 2 * i, 3, "%02x", tag[i]);
}

static void test_round_trip(void)
{
        for (size_t server = 0; server < GW_BALANCER_SERVERS_MAX; server++) {
                char value[GW_BALANCER_COOKIE_MAX], want[GW_BALANCER_COOKIE_MAX], tag[33];
                make(key, server, value);
                expected_tag_hex(key, server, tag);
                snprintf(want, sizeof want, "%zu.%s", server, tag);
                CHECK_STR(value, want);
                size_t parsed = SIZE_MAX;
                CHECK_EQ(parse(key, value, &parsed), 0);
                CHECK_EQ(parsed, server);
        }
        /* The value is read by length, as it sits inside a Cookie header. */
        char header[80], value[GW_BALANCER_COOKIE_MAX];
        make(key, 42, value);
        snprintf(header, sizeof header, "%s; other=1", value);
        size_t parsed = 0;
        struct err err = {0};
        CHECK_OK(gw_balancer_cookie_parse(key, header, strlen(value), &parsed, &err), &err);
        CHECK_EQ(parsed, 42);
        CHECK_STATUS(gw_balancer_cookie_make(key, GW_BALANCER_SERVERS_MAX, value, &err), SMT_EINVAL);
}

static void test_forgery_refused(void)
{
        char value[GW_BALANCER_COOKIE_MAX], forged[GW_BALANCER_COOKIE_MAX + 8];
        size_t server = 0;
        make(key, 1, value);
        /* The tag of server 1 under another index. */
        snprintf(forged, sizeof forged, "2%s", value + 1);
        CHECK_STATUS(parse(key, forged, &server), CRYPTO_EVERIFY);
        CHECK_EQ(server, SIZE_MAX);
        /* Each digit of the tag changed in turn. */
        for (size_t i = 2; i < strlen(value); i++) {
                strcpy(forged, value);
                forged[i] = forged[i] == '0' ? '1' : '0';
                CHECK_STATUS(parse(key, forged, &server), CRYPTO_EVERIFY);
        }
        /* A value made under another group's key. */
        make(other_key, 1, forged);
        CHECK_STATUS(parse(key, forged, &server), CRYPTO_EVERIFY);
        /* Made-up tags: a sequence of values no key would give for server 5. */
        for (unsigned i = 0; i < 1000; i++) {
                snprintf(forged, sizeof forged, "5.%08x%08x%08x%08x", i, i * 2654435761u, ~i, i ^ 0x5a5a5a5au);
                CHECK_STATUS(parse(key, forged, &server), CRYPTO_EVERIFY);
        }
        struct err err = {0};
        CHECK_STATUS(gw_balancer_cookie_parse(key, value, strlen(value) - 1, &server, &err), SMT_EDECODE);
}

static void test_malformed_refused(void)
{
        char value[GW_BALANCER_COOKIE_MAX], bad[GW_BALANCER_COOKIE_MAX + 8];
        size_t server = 0;
        make(key, 7, value);
        const char *tag = value + 2;
        static const char *const fixed[] = {"", ".", "7", "7.", "-1.0", " 7.0", "x.00000000000000000000000000000000"};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
                CHECK_STATUS(parse(key, fixed[i], &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "07.%s", tag); /* leading zero */
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "7%s", tag); /* no dot */
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "7.%.31s", tag); /* short tag */
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "7.%s0", tag); /* long tag */
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "%s;", value);
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "1024.%s", tag); /* beyond any server list */
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        snprintf(bad, sizeof bad, "10000.%s", tag);
        CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        strcpy(bad, value);
        for (char *p = bad; *p != '\0'; p++)
                *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
        if (strcmp(bad, value) != 0) /* uppercase hex is not the format */
                CHECK_STATUS(parse(key, bad, &server), SMT_EDECODE);
        char with_nul[GW_BALANCER_COOKIE_MAX];
        memcpy(with_nul, value, sizeof with_nul);
        with_nul[5] = '\0';
        struct err err = {0};
        CHECK_STATUS(gw_balancer_cookie_parse(key, with_nul, strlen(value), &server, &err), SMT_EDECODE);
        CHECK_EQ(server, SIZE_MAX);
}

CHECK_MAIN(CHECK_TEST(test_round_trip), CHECK_TEST(test_forgery_refused), CHECK_TEST(test_malformed_refused))
