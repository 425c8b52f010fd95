/* tests/unit/gateway/test_challenges.c: the table of ACME challenges the gateway answers (challenges.h):
 * http-01 tokens (add, replace, remove, lookup by a slice of a request target, base64url only, any number)
 * and tls-alpn-01 validation contexts (looked up by the SNI a CA sends, the reverse name for an IP, RFC
 * 8738 6), with threads adding and removing while others look up. The certificate a context serves is
 * read back with OpenSSL's X509 API and its acmeIdentifier compared with SHA-256 computed by EVP here. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "gateway/challenges.h"
#include "net/tls_conn.h"

#define TOKEN             "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEY_AUTHORIZATION TOKEN ".NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static struct gw_challenges *table_new(void)
{
        struct gw_challenges *challenges = NULL;
        struct err err = {0};
        CHECK_OK(gw_challenges_new(&challenges, &err), &err);
        return challenges;
}

static bool lookup(struct gw_challenges *challenges, const char *token, char out[GW_CHALLENGES_KEY_AUTH_MAX])
{
        return gw_challenges_http01(challenges, token, strlen(token), out, GW_CHALLENGES_KEY_AUTH_MAX);
}

static void http01_add_lookup_replace_remove(void)
{
        struct gw_challenges *challenges = table_new();
        struct err err = {0};
        char out[GW_CHALLENGES_KEY_AUTH_MAX];
        CHECK(!lookup(challenges, TOKEN, out));
        CHECK_OK(gw_challenges_add_http01(challenges, TOKEN, KEY_AUTHORIZATION, &err), &err);
        CHECK(lookup(challenges, TOKEN, out));
        CHECK_STR(out, KEY_AUTHORIZATION);
        /* The token is the rest of a request target: a slice, not a C string. */
        const char *target = TOKEN "?x=1";
        CHECK(gw_challenges_http01(challenges, target, strlen(TOKEN), out, sizeof out));
        CHECK_STR(out, KEY_AUTHORIZATION);
        CHECK(!gw_challenges_http01(challenges, target, strlen(TOKEN) - 1, out, sizeof out));
        CHECK(!gw_challenges_http01(challenges, target, strlen(target), out, sizeof out));
        /* An answer that does not fit is no answer (never a truncated key authorization). */
        CHECK(!gw_challenges_http01(challenges, TOKEN, strlen(TOKEN), out, strlen(KEY_AUTHORIZATION)));
        CHECK(gw_challenges_http01(challenges, TOKEN, strlen(TOKEN), out, strlen(KEY_AUTHORIZATION) + 1));
        CHECK_OK(gw_challenges_add_http01(challenges, TOKEN, "replaced.answer", &err), &err);
        CHECK(lookup(challenges, TOKEN, out));
        CHECK_STR(out, "replaced.answer");
        gw_challenges_remove_http01(challenges, TOKEN);
        CHECK(!lookup(challenges, TOKEN, out));
        gw_challenges_remove_http01(challenges, TOKEN); /* unknown: nothing happens */
        gw_challenges_free(challenges);
        gw_challenges_free(NULL);
}

static void http01_refuses_a_token_that_is_not_base64url(void)
{
        static const char *const bad[] = {"", "a/b", "a.b", "a=", "a b", "../x", "a%2F"};
        struct gw_challenges *challenges = table_new();
        struct err err = {0};
        char out[GW_CHALLENGES_KEY_AUTH_MAX];
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                CHECK_STATUS(gw_challenges_add_http01(challenges, bad[i], "x.y", &err), SMT_EINVAL);
        char long_token[300];
        memset(long_token, 'A', sizeof long_token - 1);
        long_token[sizeof long_token - 1] = '\0';
        CHECK_STATUS(gw_challenges_add_http01(challenges, long_token, "x.y", &err), SMT_EINVAL);
        char long_answer[GW_CHALLENGES_KEY_AUTH_MAX + 1];
        memset(long_answer, 'k', sizeof long_answer - 1);
        long_answer[sizeof long_answer - 1] = '\0';
        CHECK_STATUS(gw_challenges_add_http01(challenges, "ok", long_answer, &err), SMT_EINVAL);
        CHECK_STATUS(gw_challenges_add_http01(challenges, "ok", "", &err), SMT_EINVAL);
        CHECK(!lookup(challenges, "ok", out));
        CHECK(!lookup(challenges, "a", out));
        gw_challenges_free(challenges);
}

/* Many orders at once: the table grows past any fixed size and keeps every answer apart. */
static void http01_holds_many_tokens(void)
{
        struct gw_challenges *challenges = table_new();
        struct err err = {0};
        char token[32], answer[64], out[GW_CHALLENGES_KEY_AUTH_MAX];
        for (int i = 0; i < 1000; i++) {
                snprintf(token, sizeof token, "t%d", i);
                snprintf(answer, sizeof answer, "t%d.thumbprint", i);
                CHECK_OK(gw_challenges_add_http01(challenges, token, answer, &err), &err);
        }
        for (int i = 0; i < 1000; i += 2) {
                snprintf(token, sizeof token, "t%d", i);
                gw_challenges_remove_http01(challenges, token);
        }
        for (int i = 0; i < 1000; i++) {
                snprintf(token, sizeof token, "t%d", i);
                snprintf(answer, sizeof answer, "t%d.thumbprint", i);
                CHECK_EQ(lookup(challenges, token, out), i % 2 == 1);
                if (i % 2 == 1)
                        CHECK_STR(out, answer);
        }
        gw_challenges_free(challenges); /* frees the 500 left */
}

/* check_served says whether ctx serves a validation certificate for the SAN san (a DNS name, or 4 or 16
 * address bytes) holding SHA-256(key_authorization). */
static void check_served(SSL_CTX *ctx, const void *san, int san_len, int san_type, const char *key_authorization)
{
        uint8_t want[34] = {0x04, 0x20};
        unsigned len = 0;
        CHECK(EVP_Digest(key_authorization, strlen(key_authorization), want + 2, &len, EVP_sha256(), NULL) == 1);
        X509 *cert = SSL_CTX_get0_certificate(ctx);
        CHECK(cert != NULL);
        GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
        CHECK(names != NULL && sk_GENERAL_NAME_num(names) == 1);
        GENERAL_NAME *name = sk_GENERAL_NAME_value(names, 0);
        CHECK_EQ(name->type, san_type);
        ASN1_STRING *value = san_type == GEN_DNS ? name->d.dNSName : name->d.iPAddress;
        CHECK_EQ(ASN1_STRING_length(value), san_len);
        CHECK_MEM(ASN1_STRING_get0_data(value), san, (size_t)san_len);
        GENERAL_NAMES_free(names);
        ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
        int at = X509_get_ext_by_OBJ(cert, oid, -1);
        ASN1_OBJECT_free(oid);
        CHECK(at >= 0);
        X509_EXTENSION *extension = X509_get_ext(cert, at);
        CHECK_EQ(X509_EXTENSION_get_critical(extension), 1);
        const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(extension);
        CHECK_EQ(ASN1_STRING_length(data), sizeof want);
        CHECK_MEM(ASN1_STRING_get0_data(data), want, sizeof want);
        /* Short-lived: valid now, expired within a month. */
        time_t in_a_month = time(NULL) + 30 * 86400;
        CHECK(X509_cmp_current_time(X509_get0_notBefore(cert)) < 0);
        CHECK(X509_cmp_current_time(X509_get0_notAfter(cert)) > 0);
        CHECK(X509_cmp_time(X509_get0_notAfter(cert), &in_a_month) < 0);
}

static void tls_alpn01_select_by_name(void)
{
        struct gw_challenges *challenges = table_new();
        struct err err = {0};
        CHECK(gw_challenges_tls_alpn01_select(challenges, "a.test") == NULL);
        CHECK_OK(gw_challenges_add_tls_alpn01(challenges, "a.test", KEY_AUTHORIZATION, &err), &err);
        SSL_CTX *first = gw_challenges_tls_alpn01_select(challenges, "a.test");
        CHECK(first != NULL);
        check_served(first, "a.test", 6, GEN_DNS, KEY_AUTHORIZATION);
        SSL_CTX *upper = gw_challenges_tls_alpn01_select(challenges, "A.Test"); /* SNI is a DNS name: no case */
        CHECK(upper == first);
        net_tls_ctx_free(upper);
        CHECK(gw_challenges_tls_alpn01_select(challenges, "b.test") == NULL);
        CHECK(gw_challenges_tls_alpn01_select(challenges, NULL) == NULL);
        CHECK(gw_challenges_tls_alpn01_select(NULL, "a.test") == NULL);
        /* Replacing gives a new certificate; a handshake holding the old context still has it whole. */
        CHECK_OK(gw_challenges_add_tls_alpn01(challenges, "a.test", "other.answer", &err), &err);
        SSL_CTX *second = gw_challenges_tls_alpn01_select(challenges, "a.test");
        CHECK(second != NULL && second != first);
        check_served(second, "a.test", 6, GEN_DNS, "other.answer");
        check_served(first, "a.test", 6, GEN_DNS, KEY_AUTHORIZATION);
        gw_challenges_remove_tls_alpn01(challenges, "a.test");
        CHECK(gw_challenges_tls_alpn01_select(challenges, "a.test") == NULL);
        check_served(second, "a.test", 6, GEN_DNS, "other.answer");
        net_tls_ctx_free(first);
        net_tls_ctx_free(second);
        CHECK_STATUS(gw_challenges_add_tls_alpn01(challenges, "", KEY_AUTHORIZATION, &err), SMT_EINVAL);
        CHECK_STATUS(gw_challenges_add_tls_alpn01(challenges, "a.test", "", &err), SMT_EINVAL);
        gw_challenges_free(challenges);
}

/* RFC 8738 6: the CA sends the reverse-mapping name of the address in SNI; the SAN is the address. The
 * expected names were written from RFC 1035 3.5 and RFC 3596 2.5 (and match Python's ipaddress). */
static void tls_alpn01_ip_by_reverse_name(void)
{
        static const uint8_t v4[4] = {192, 0, 2, 7};
        static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
        struct gw_challenges *challenges = table_new();
        struct err err = {0};
        CHECK_OK(gw_challenges_add_tls_alpn01(challenges, "192.0.2.7", KEY_AUTHORIZATION, &err), &err);
        CHECK_OK(gw_challenges_add_tls_alpn01(challenges, "2001:db8::1", KEY_AUTHORIZATION, &err), &err);
        CHECK(gw_challenges_tls_alpn01_select(challenges, "192.0.2.7") == NULL);
        SSL_CTX *ctx = gw_challenges_tls_alpn01_select(challenges, "7.2.0.192.in-addr.arpa");
        CHECK(ctx != NULL);
        check_served(ctx, v4, 4, GEN_IPADD, KEY_AUTHORIZATION);
        net_tls_ctx_free(ctx);
        ctx = gw_challenges_tls_alpn01_select(
            challenges, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
        CHECK(ctx != NULL);
        check_served(ctx, v6, 16, GEN_IPADD, KEY_AUTHORIZATION);
        net_tls_ctx_free(ctx);
        gw_challenges_remove_tls_alpn01(challenges, "192.0.2.7");
        CHECK(gw_challenges_tls_alpn01_select(challenges, "7.2.0.192.in-addr.arpa") == NULL);
        gw_challenges_free(challenges); /* frees the IPv6 one */
}

/* --- threads: the ACME side adds and removes while workers look up --- */

#define NUM_WRITERS 3
#define NUM_READERS 3
#define ROUNDS      300

struct race {
        struct gw_challenges *challenges;
        int index;
        int failures;
};

static void *race_write(void *arg)
{
        struct race *r = arg;
        struct err err;
        char token[32], answer[64];
        for (int i = 0; i < ROUNDS; i++) {
                snprintf(token, sizeof token, "w%d_%d", r->index, i % 17);
                snprintf(answer, sizeof answer, "w%d_%d.answer", r->index, i % 17);
                if (gw_challenges_add_http01(r->challenges, token, answer, &err) != 0)
                        r->failures++;
                if (i % 3 == 0)
                        gw_challenges_remove_http01(r->challenges, token);
                if (i % 50 == 0 && gw_challenges_add_tls_alpn01(r->challenges, "race.test", answer, &err) != 0)
                        r->failures++;
                if (i % 50 == 25)
                        gw_challenges_remove_tls_alpn01(r->challenges, "race.test");
        }
        return NULL;
}

static void *race_read(void *arg)
{
        struct race *r = arg;
        char out[GW_CHALLENGES_KEY_AUTH_MAX], token[32], answer[64];
        for (int i = 0; i < ROUNDS * 10; i++) {
                if (!gw_challenges_http01(r->challenges, "stable", 6, out, sizeof out) ||
                    strcmp(out, "stable.answer") != 0)
                        r->failures++;
                int writer = i % NUM_WRITERS;
                snprintf(token, sizeof token, "w%d_%d", writer, i % 17);
                snprintf(answer, sizeof answer, "w%d_%d.answer", writer, i % 17);
                if (gw_challenges_http01(r->challenges, token, strlen(token), out, sizeof out) &&
                    strcmp(out, answer) != 0)
                        r->failures++;
                SSL_CTX *ctx = gw_challenges_tls_alpn01_select(r->challenges, "race.test");
                if (ctx != NULL && SSL_CTX_get0_certificate(ctx) == NULL)
                        r->failures++;
                net_tls_ctx_free(ctx);
        }
        return NULL;
}

static void threads_add_while_others_look_up(void)
{
        struct gw_challenges *challenges = table_new();
        struct err err = {0};
        CHECK_OK(gw_challenges_add_http01(challenges, "stable", "stable.answer", &err), &err);
        struct race races[NUM_WRITERS + NUM_READERS];
        pthread_t threads[NUM_WRITERS + NUM_READERS];
        for (int i = 0; i < NUM_WRITERS + NUM_READERS; i++) {
                races[i] = (struct race){.challenges = challenges, .index = i};
                CHECK_EQ(pthread_create(&threads[i], NULL, i < NUM_WRITERS ? race_write : race_read, &races[i]), 0);
        }
        int failures = 0;
        for (int i = 0; i < NUM_WRITERS + NUM_READERS; i++) {
                CHECK_EQ(pthread_join(threads[i], NULL), 0);
                failures += races[i].failures;
        }
        CHECK_EQ(failures, 0);
        char out[GW_CHALLENGES_KEY_AUTH_MAX];
        CHECK(lookup(challenges, "stable", out));
        gw_challenges_free(challenges);
}

CHECK_MAIN(CHECK_TEST(http01_add_lookup_replace_remove), CHECK_TEST(http01_refuses_a_token_that_is_not_base64url),
           CHECK_TEST(http01_holds_many_tokens), CHECK_TEST(tls_alpn01_select_by_name),
           CHECK_TEST(tls_alpn01_ip_by_reverse_name), CHECK_TEST(threads_add_while_others_look_up))
