/* tests/unit/gateway/test_sites_many.c: sites at scale and the machinery under the lookup: 10,000 generated
 * sites sharing certificate files, every one found by its names; SipHash-2-4 against the paper's vector and
 * OpenSSL's implementation; the table growing past its first size; and a TLCP handshake in memory whose
 * SNI picks the site (gw_sites_tlcp_select as the server's hook, the client verifying the pair it got), and
 * the same over TLS 1.3 with OpenSSL's client and gw_sites_tls_select (prepared credentials, chain sent). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gateway/sites.h"
#include "gateway/sites_internal.h"
#include "sites_fixture.h"

enum { MANY_SITES = 10000 };

/* Appends printf-style text to a growing heap string. */
static void text_append(char **text, size_t *len, size_t *cap, const char *fmt, ...) SMT_PRINTF(4, 5);
static void text_append(char **text, size_t *len, size_t *cap, const char *fmt, ...)
{
        va_list args;
        for (;;) {
                va_start(args, fmt);
                int n = vsnprintf(*text + *len, *cap - *len, fmt, args);
                va_end(args);
                CHECK(n >= 0);
                if ((size_t)n < *cap - *len) {
                        *len += (size_t)n;
                        return;
                }
                *cap *= 2;
                *text = realloc(*text, *cap);
                CHECK(*text != NULL);
        }
}

static void test_ten_thousand_sites(void)
{
        size_t len = 0, cap = 1 << 16;
        char *yaml = malloc(cap), name[64];
        CHECK(yaml != NULL);
        text_append(&yaml, &len, &cap, "listeners:\n  - listen: \":443\"\nsites:\n");
        for (int i = 0; i < MANY_SITES; i++)
                text_append(&yaml, &len, &cap,
                            "  - names: [site%d.example.com, \"*.w%d.example.com\"]\n"
                            "    sm2: {sign_cert: sign.crt, sign_key: sign.key, enc_cert: enc.crt, enc_key: enc.key}\n"
                            "    ecc: {cert: ecc.crt, key: ecc.key}\n"
                            "    origin: http://127.0.0.1:%d\n",
                            i, i, 1024 + i);
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, yaml);
        free(yaml);
        CHECK_EQ(gw_sites_count(sites), MANY_SITES);
        const struct gw_site *first = gw_sites_get(sites, 0);
        for (int i = 0; i < MANY_SITES; i++) {
                const struct gw_site *want = gw_sites_get(sites, (size_t)i);
                snprintf(name, sizeof name, "site%d.example.com", i);
                if (gw_sites_lookup(sites, name) != want)
                        check_fail(__FILE__, __LINE__, "%s did not find sites[%d]", name, i);
                snprintf(name, sizeof name, "Host.W%d.example.com:443", i);
                if (gw_sites_lookup_n(sites, name, strlen(name)) != want)
                        check_fail(__FILE__, __LINE__, "%s did not find sites[%d]", name, i);
                CHECK_STR(want->name, gw_sites_lookup(sites, want->name)->name);
                CHECK_EQ(want->origin.port, 1024 + i);
                /* The files were read once: every site holds the same objects. */
                CHECK(want->tlcp.sign_cert == first->tlcp.sign_cert && want->tlcp.enc_key == first->tlcp.enc_key);
                CHECK(want->tls.ecc_cert == first->tls.ecc_cert && want->tls.chain == first->tls.chain);
                CHECK(want->tls.prepared != NULL && want->tls.prepared == first->tls.prepared);
        }
        CHECK(gw_sites_lookup(sites, "site10000.example.com") == NULL);
        CHECK(gw_sites_lookup(sites, "a.b.w1.example.com") == NULL);
        gw_sites_free(sites);
        gw_config_free(&config);
}

static uint64_t openssl_siphash(const uint8_t key[16], const uint8_t *data, size_t len)
{
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
        CHECK(mac != NULL);
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        size_t size = 8, out_len = 0;
        uint8_t out[8];
        OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
        CHECK(ctx != NULL && EVP_MAC_init(ctx, key, 16, params) == 1);
        CHECK(EVP_MAC_update(ctx, data, len) == 1);
        CHECK(EVP_MAC_final(ctx, out, &out_len, sizeof out) == 1);
        CHECK_EQ(out_len, 8);
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
        uint64_t value = 0;
        for (int i = 7; i >= 0; i--)
                value = value << 8 | out[i]; /* the reference implementation writes the result little-endian */
        return value;
}

/* Aumasson and Bernstein, "SipHash: a fast short-input PRF" (2012), Appendix A: key 00..0f, message
 * 00..0e; then every length 0..64 against OpenSSL's SipHash-2-4, an independent implementation. */
static void test_siphash(void)
{
        uint8_t key[16], message[65];
        for (size_t i = 0; i < sizeof key; i++)
                key[i] = (uint8_t)i;
        for (size_t i = 0; i < sizeof message; i++)
                message[i] = (uint8_t)i;
        CHECK(gw_sites_siphash(key, message, 15) == 0xa129ca6149be45e5ULL);
        for (size_t len = 0; len <= 64; len++)
                if (gw_sites_siphash(key, message, len) != openssl_siphash(key, message, len))
                        check_fail(__FILE__, __LINE__, "SipHash of %zu bytes differs from OpenSSL's", len);
        key[0] ^= 1;
        CHECK(gw_sites_siphash(key, message, 15) != 0xa129ca6149be45e5ULL);
}

/* Inserted far beyond the size it was made for, the table still finds every key and only those. */
static void test_table_grows(void)
{
        static char keys[5000][16];
        uint8_t hash_key[GW_SITES_HASH_KEY_LEN] = {1, 2, 3};
        struct gw_sites_table table;
        struct err err = {0};
        void *existing = NULL;
        CHECK_OK(gw_sites_table_init(&table, 1, hash_key, &err), &err);
        for (size_t i = 0; i < 5000; i++) {
                snprintf(keys[i], sizeof keys[i], "k%zu", i);
                CHECK_OK(gw_sites_table_insert(&table, keys[i], strlen(keys[i]), keys[i], &existing, &err), &err);
                CHECK(existing == NULL);
        }
        CHECK_EQ(table.num, 5000);
        CHECK(2 * table.num <= table.mask + 1);
        CHECK_OK(gw_sites_table_insert(&table, "k42", 3, "other", &existing, &err), &err);
        CHECK(existing == keys[42]);
        CHECK_EQ(table.num, 5000);
        for (size_t i = 0; i < 5000; i++)
                CHECK(gw_sites_table_lookup(&table, keys[i], strlen(keys[i])) == keys[i]);
        CHECK(gw_sites_table_lookup(&table, "k5000", 5) == NULL);
        CHECK(gw_sites_table_lookup(&table, "k4", 1) == NULL);
        gw_sites_table_cleanup(&table);
}

/* Bytes one side queued and the other has not taken yet. */
struct wire {
        uint8_t data[1 << 16];
        size_t len;
};

/* Moves from's output onto wire, then as much of wire as to takes; true when a byte moved. */
static bool wire_pump(struct wire *wire, struct tlcp_conn *from, struct tlcp_conn *to)
{
        const uint8_t *out = NULL;
        size_t n = tlcp_conn_peek_output(from, &out), consumed = 0;
        struct err err = {0};
        CHECK(n <= sizeof wire->data - wire->len);
        if (n > 0) {
                memcpy(wire->data + wire->len, out, n);
                wire->len += n;
                tlcp_conn_consume_output(from, n);
        }
        if (wire->len > 0 && tlcp_conn_put_input(to, wire->data, wire->len, &consumed, &err) < 0)
                consumed = wire->len; /* the receiver failed: drop what it will never read */
        memmove(wire->data, wire->data + consumed, wire->len - consumed);
        wire->len -= consumed;
        return n > 0 || consumed > 0;
}

/* Runs a handshake of a client asking for server_name against a server picking credentials from sites;
 * returns the server's status and sets *client_status. */
static int tlcp_handshake(struct gw_sites *sites, const struct cert_store *trust, const char *server_name,
                          int *client_status)
{
        struct tlcp_config client_config, server_config;
        struct tlcp_conn *client = NULL, *server = NULL;
        struct err client_err = {0}, server_err = {0};
        static struct wire to_server, to_client;
        tlcp_config_init(&client_config, TLCP_ROLE_CLIENT);
        client_config.trust = trust;
        client_config.server_name = server_name;
        client_config.verify_time = 1811808000; /* 2027-06-01, inside the shared PKI's validity */
        tlcp_config_init(&server_config, TLCP_ROLE_SERVER);
        server_config.select = gw_sites_tlcp_select;
        server_config.select_arg = sites;
        CHECK_OK(tlcp_conn_new(&client, &client_config, &client_err), &client_err);
        CHECK_OK(tlcp_conn_new(&server, &server_config, &server_err), &server_err);
        to_server.len = to_client.len = 0;
        int client_status_now = SMT_EAGAIN, server_status = SMT_EAGAIN;
        for (bool moved = true; moved;) {
                if (client_status_now == SMT_EAGAIN)
                        client_status_now = tlcp_conn_handshake(client, &client_err);
                if (server_status == SMT_EAGAIN)
                        server_status = tlcp_conn_handshake(server, &server_err);
                moved = wire_pump(&to_server, client, server);
                moved = wire_pump(&to_client, server, client) || moved;
        }
        *client_status = client_status_now;
        tlcp_conn_free(client);
        tlcp_conn_free(server);
        return server_status;
}

static void test_tlcp_handshake_picks_site(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, "listeners:\n  - listen: \":443\"\nsites:\n"
                                                              "  - names: localhost\n"
                                                              "    sm2: {sign_cert: sign.crt, sign_key: sign.key, "
                                                              "enc_cert: enc.crt, enc_key: enc.key}\n"
                                                              "    origin: http://127.0.0.1:8080\n"
                                                              "  - names: tls-only.example.com\n"
                                                              "    ecc: {cert: ecc.crt, key: ecc.key}\n"
                                                              "    origin: http://127.0.0.1:8080\n");
        struct cert_store *trust = NULL;
        struct err err = {0};
        char path[4200];
        int client_status = 0;
        CHECK_OK(cert_store_load(&trust, sites_fixture_path("sm2_ca.crt", path, sizeof path), &err), &err);
        CHECK_EQ(tlcp_handshake(sites, trust, "LocalHost", &client_status), 0);
        CHECK_EQ(client_status, 0);
        /* A name with no site, and a site without an SM2 pair, are refused by the server's hook. */
        CHECK_EQ(tlcp_handshake(sites, trust, "unknown.example.com", &client_status), TLCP_EUNSUPPORTED_SITE);
        CHECK(client_status < 0);
        CHECK_EQ(tlcp_handshake(sites, trust, "tls-only.example.com", &client_status), TLCP_EUNSUPPORTED_SITE);
        CHECK(client_status < 0);
        cert_store_free(trust);
        gw_sites_free(sites);
        gw_config_free(&config);
}

/* OpenSSL's TLS client in memory, trusting one root and checking the name it asks for. */
struct tls_client {
        SSL_CTX *ctx;
        SSL *ssl;
        BIO *in, *out;
};

static void tls_client_new(struct tls_client *c, const struct cert *root, const char *server_name)
{
        c->ctx = SSL_CTX_new(TLS_client_method());
        CHECK(c->ctx != NULL);
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), cert_x509(root)) == 1);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        c->ssl = SSL_new(c->ctx);
        c->in = BIO_new(BIO_s_mem());
        c->out = BIO_new(BIO_s_mem());
        CHECK(c->ssl != NULL && c->in != NULL && c->out != NULL);
        SSL_set_bio(c->ssl, c->in, c->out);
        CHECK(SSL_set_tlsext_host_name(c->ssl, server_name) == 1);
        CHECK(SSL_set1_host(c->ssl, server_name) == 1);
        SSL_set_connect_state(c->ssl);
}

/* Runs the handshake; returns the server's status and sets *client_ok. */
static int tls_handshake(struct tls_client *c, struct net_tls_conn *server, bool *client_ok)
{
        int server_status = SMT_EAGAIN;
        struct err err = {0};
        *client_ok = false;
        for (int round = 0; round < 100; round++) {
                int client_result = SSL_do_handshake(c->ssl);
                *client_ok = client_result == 1;
                char buf[1 << 14];
                int n;
                size_t consumed = 0;
                while ((n = BIO_read(c->out, buf, sizeof buf)) > 0)
                        CHECK(net_tls_conn_put_input(server, (const uint8_t *)buf, (size_t)n, &consumed, &err) == 0);
                if (server_status == SMT_EAGAIN)
                        server_status = net_tls_conn_handshake(server, &err);
                const uint8_t *out = NULL;
                size_t len = net_tls_conn_peek_output(server, &out);
                if (len > 0) {
                        CHECK(BIO_write(c->in, out, (int)len) == (int)len);
                        net_tls_conn_consume_output(server, len);
                } else if (server_status != SMT_EAGAIN && (*client_ok || client_result <= 0)) {
                        return server_status;
                }
        }
        return server_status;
}

static void test_tls_handshake_picks_site(void)
{
        struct gw_config config;
        struct gw_sites *sites = sites_fixture_build(&config, "listeners:\n  - listen: \":443\"\nsites:\n"
                                                              "  - names: shop.example.com\n"
                                                              "    ecc: {cert: ecc.crt, key: ecc.key}\n"
                                                              "    origin: http://127.0.0.1:8080\n");
        struct net_tls_config tls = {.select = gw_sites_tls_select, .select_arg = sites};
        struct cert *root = sites_fixture_cert("ecc_ca.crt");
        struct err err = {0};
        bool client_ok = false;
        CHECK_OK(net_tls_config_prepare(&tls, &err), &err);
        static const char *const names[] = {"shop.example.com", "other.example.com"};
        for (size_t i = 0; i < 2; i++) {
                struct tls_client c;
                struct net_tls_conn *server = NULL;
                CHECK_OK(net_tls_conn_new(&server, &tls, &err), &err);
                tls_client_new(&c, root, names[i]);
                int status = tls_handshake(&c, server, &client_ok);
                if (i == 0) {
                        /* The client verified the leaf through the intermediate sent after it. */
                        CHECK_EQ(status, 0);
                        CHECK(client_ok);
                        CHECK_EQ(SSL_get_verify_result(c.ssl), X509_V_OK);
                } else {
                        CHECK_STATUS(status, TLCP_EHANDSHAKE_FAILURE);
                        CHECK(!client_ok);
                }
                SSL_free(c.ssl);
                SSL_CTX_free(c.ctx);
                net_tls_conn_free(server);
        }
        net_tls_config_release(&tls);
        cert_free(root);
        gw_sites_free(sites);
        gw_config_free(&config);
}

CHECK_MAIN(CHECK_TEST(test_ten_thousand_sites), CHECK_TEST(test_siphash), CHECK_TEST(test_table_grows),
           CHECK_TEST(test_tlcp_handshake_picks_site), CHECK_TEST(test_tls_handshake_picks_site))
