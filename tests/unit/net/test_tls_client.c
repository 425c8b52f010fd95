/* tests/unit/net/test_tls_client.c: net_tls_client against our own TLS server byte pump (net_tls_conn) and,
 * where the server's view matters (ALPN, TLS 1.2), against OpenSSL's server, all in memory. Certificates
 * come from cert_issue (tls_fixture.h): self-signed, expired, from the trusted CA, from an unknown CA. */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"
#include "net/tls_client.h"
#include "tls_fixture.h"

/* test_move hands one side's waiting bytes to the other; false when the receiver refuses them. */
static bool test_pump_quiet(struct net_tls_client *c, struct net_tls_conn *s)
{
        struct err err = {0};
        const uint8_t *data = NULL;
        size_t consumed = 0, n = net_tls_client_peek_output(c, &data);
        if (n > 0) {
                if (net_tls_conn_put_input(s, data, n, &consumed, &err) != 0)
                        return false;
                net_tls_client_consume_output(c, consumed);
        }
        n = net_tls_conn_peek_output(s, &data);
        if (n > 0) {
                if (net_tls_client_put_input(c, data, n, &consumed, &err) != 0)
                        return false;
                net_tls_conn_consume_output(s, consumed);
        }
        return true;
}

static void test_pump(struct net_tls_client *c, struct net_tls_conn *s)
{
        CHECK(test_pump_quiet(c, s));
}

/* test_handshake drives both ends until neither needs input; returns the client's status (its message in
 * err) and puts the server's in *server_status. */
static int test_handshake(struct net_tls_client *c, struct net_tls_conn *s, int *server_status, struct err *err)
{
        struct err server_err = {0};
        int cs = SMT_EAGAIN, ss = SMT_EAGAIN;
        for (int round = 0; round < 30 && (cs == SMT_EAGAIN || ss == SMT_EAGAIN); round++) {
                if (cs == SMT_EAGAIN)
                        cs = net_tls_client_handshake(c, err);
                if (!test_pump_quiet(c, s))
                        break;
                if (ss == SMT_EAGAIN)
                        ss = net_tls_conn_handshake(s, &server_err);
                if (!test_pump_quiet(c, s))
                        break;
        }
        *server_status = ss;
        return cs;
}

struct test_pair {
        struct net_tls_client *c;
        struct net_tls_conn *s;
        int client_status, server_status;
        struct err err; /* the client's */
};

/* test_pair_run makes a client on ctx and a server on server, and runs the handshake. */
static void test_pair_run(struct test_pair *p, struct net_tls_client_ctx *ctx, const struct net_tls_config *server)
{
        memset(p, 0, sizeof(*p));
        CHECK_OK(net_tls_client_new(&p->c, ctx, &p->err), &p->err);
        CHECK_OK(net_tls_conn_new(&p->s, server, &p->err), &p->err);
        p->client_status = test_handshake(p->c, p->s, &p->server_status, &p->err);
        ERR_clear_error();
}

static void test_pair_free(struct test_pair *p)
{
        net_tls_client_free(p->c);
        net_tls_conn_free(p->s);
}

/* test_read_all reads exactly len bytes from the server (to_server) or the client. */
static void test_read_all(struct test_pair *p, bool to_server, uint8_t *buf, size_t len)
{
        struct err err = {0};
        size_t got = 0, n = 0;
        for (int round = 0; round < 1000 && got < len; round++) {
                int status = to_server ? net_tls_conn_read(p->s, buf + got, len - got, &n, &err)
                                       : net_tls_client_read(p->c, buf + got, len - got, &n, &err);
                CHECK(status == 0 || status == SMT_EAGAIN);
                got += status == 0 ? n : 0;
                test_pump(p->c, p->s);
        }
        CHECK_EQ(got, len);
}

/* test_exchange_and_close: 64 KB each way, then close_notify from the client and the answer from the server. */
static void test_exchange_and_close(struct test_pair *p)
{
        enum { LEN = 64 * 1024 };
        struct err err = {0};
        uint8_t *sent = calloc(1, LEN), *recv = calloc(1, LEN), byte = 0;
        size_t n = 0;
        for (size_t i = 0; i < LEN; i++)
                sent[i] = (uint8_t)(i * 31 + 7);
        CHECK_OK(net_tls_client_write(p->c, sent, LEN, &err), &err);
        test_pump(p->c, p->s);
        test_read_all(p, true, recv, LEN);
        CHECK_MEM(sent, recv, LEN);
        memset(recv, 0, LEN);
        CHECK_OK(net_tls_conn_write(p->s, sent, LEN, &err), &err);
        test_pump(p->c, p->s);
        test_read_all(p, false, recv, LEN);
        CHECK_MEM(sent, recv, LEN);
        CHECK_STATUS(net_tls_client_read(p->c, recv, LEN, &n, &err), SMT_EAGAIN);

        CHECK_OK(net_tls_client_close(p->c, &err), &err);
        test_pump(p->c, p->s);
        CHECK_STATUS(net_tls_conn_read(p->s, &byte, 1, &n, &err), TLCP_ECLOSED);
        CHECK_OK(net_tls_conn_close(p->s, &err), &err);
        test_pump(p->c, p->s);
        CHECK_STATUS(net_tls_client_read(p->c, &byte, 1, &n, &err), TLCP_ECLOSED);
        free(sent);
        free(recv);
}

static struct cert_store *test_trust(const struct cert *root)
{
        struct err err = {0};
        struct cert_store *store = NULL;
        CHECK_OK(cert_store_new(&store, &err), &err);
        CHECK_OK(cert_store_add(store, root, &err), &err);
        return store;
}

/* test_expect_ok connects with config to a server serving credentials and runs data and close both ways. */
static void test_expect_ok(const struct net_tls_client_config *config, const struct net_tls_credentials *credentials,
                           const char *want_sni)
{
        struct net_tls_config server = {.credentials = credentials};
        struct net_tls_client_ctx *ctx = NULL;
        struct err err = {0};
        struct test_pair p;
        CHECK_OK(net_tls_client_ctx_new(&ctx, config, &err), &err);
        test_pair_run(&p, ctx, &server);
        CHECK_OK(p.client_status, &p.err);
        CHECK_EQ(p.server_status, 0);
        CHECK_STR(net_tls_client_get_protocol(p.c), "TLSv1.3");
        CHECK_STR(net_tls_client_get_cipher(p.c), net_tls_conn_get_cipher(p.s));
        CHECK(!net_tls_client_is_resumed(p.c));
        if (want_sni == NULL)
                CHECK(net_tls_conn_get_server_name(p.s) == NULL);
        else
                CHECK_STR(net_tls_conn_get_server_name(p.s), want_sni);
        test_exchange_and_close(&p);
        test_pair_free(&p);
        net_tls_client_ctx_free(ctx);
}

/* test_expect_refused connects and expects the client to refuse the server's certificate with code and a
 * message holding reason; the server gets the client's alert and fails too. */
static void test_expect_refused(const struct net_tls_client_config *config,
                                const struct net_tls_credentials *credentials, int code, const char *reason)
{
        struct net_tls_config server = {.credentials = credentials};
        struct net_tls_client_ctx *ctx = NULL;
        struct err err = {0};
        struct test_pair p;
        CHECK_OK(net_tls_client_ctx_new(&ctx, config, &err), &err);
        test_pair_run(&p, ctx, &server);
        CHECK_STATUS(p.client_status, code);
        CHECK(strstr(p.err.msg, config->server_name) != NULL);
        if (strstr(p.err.msg, reason) == NULL)
                check_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", p.err.msg, reason);
        CHECK_STATUS(p.server_status, TLCP_EHANDSHAKE_FAILURE);
        test_pair_free(&p);
        net_tls_client_ctx_free(ctx);
}

static void test_verify_off(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        time_t now = time(NULL);
        struct cert *self = tls_fixture_issue(pki.b_key, NULL, NULL, "origin.example", NULL, false, 0, 0);
        struct cert *expired =
            tls_fixture_issue(pki.a_key, pki.ca_key, pki.ca, "localhost", NULL, false, now - 2 * 86400, now - 86400);
        struct net_tls_credentials self_cred = {.ecc_cert = self, .ecc_key = pki.b_key};
        struct net_tls_credentials expired_cred = {.ecc_cert = expired, .ecc_key = pki.a_key};
        struct net_tls_client_config config = {.verify = NET_TLS_CLIENT_VERIFY_OFF, .server_name = "origin.example"};
        test_expect_ok(&config, &self_cred, "origin.example");
        test_expect_ok(&config, &expired_cred, "origin.example"); /* expired, and for another name */

        /* The same certificates with verification on are refused. */
        struct cert_store *trust = test_trust(pki.ca);
        struct net_tls_client_config on = {
            .verify = NET_TLS_CLIENT_VERIFY_ON, .trust = trust, .server_name = "localhost"};
        test_expect_refused(&on, &expired_cred, CRYPTO_ECERT_EXPIRED, "expired");
        on.server_name = "origin.example";
        test_expect_refused(&on, &self_cred, CRYPTO_ECERT_UNTRUSTED, "self-signed");
        cert_store_free(trust);
        cert_free(self);
        cert_free(expired);
        tls_fixture_pki_free(&pki);
}

/* Verification on: the trusted CA and the right name (a DNS name with SNI, or an IP literal against the
 * iPAddress SAN without SNI) pass; another name, another IP, an unknown CA or the system's CAs do not. */
static void test_verify_on(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        struct cert_store *trust = test_trust(pki.ca);
        struct net_tls_client_config config = {
            .verify = NET_TLS_CLIENT_VERIFY_ON, .trust = trust, .server_name = "localhost"};
        test_expect_ok(&config, &pki.cred_a, "localhost");
        config.server_name = "127.0.0.1";
        test_expect_ok(&config, &pki.cred_a, NULL);

        config.server_name = "wrong.example";
        test_expect_refused(&config, &pki.cred_a, CRYPTO_ECERT_UNTRUSTED, "hostname mismatch");
        config.server_name = "127.0.0.2";
        test_expect_refused(&config, &pki.cred_a, CRYPTO_ECERT_UNTRUSTED, "IP address mismatch");

        struct cert *other_ca = tls_fixture_issue(pki.b_key, NULL, NULL, "another CA", NULL, true, 0, 0);
        struct cert *stranger = tls_fixture_issue(pki.a_key, pki.b_key, other_ca, "localhost", NULL, false, 0, 0);
        struct net_tls_credentials stranger_cred = {.ecc_cert = stranger, .ecc_key = pki.a_key};
        config.server_name = "localhost";
        test_expect_refused(&config, &stranger_cred, CRYPTO_ECERT_UNTRUSTED, "unable to get local issuer");
        config.trust = NULL; /* the system's CAs do not know our test CA */
        test_expect_refused(&config, &pki.cred_a, CRYPTO_ECERT_UNTRUSTED, "unable to get local issuer");
        cert_free(other_ca);
        cert_free(stranger);
        cert_store_free(trust);
        tls_fixture_pki_free(&pki);
}

/* Pinning: the leaf's SHA-256 (computed by cert_sha256) among the pins passes whatever its chain, name or
 * dates; a leaf matching no pin is refused. */
static void test_verify_pin(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        time_t now = time(NULL);
        struct cert *self =
            tls_fixture_issue(pki.b_key, NULL, NULL, "origin.example", NULL, false, now - 2 * 86400, now - 86400);
        struct net_tls_credentials self_cred = {.ecc_cert = self, .ecc_key = pki.b_key};
        uint8_t pins[2][NET_TLS_CLIENT_PIN_LEN];
        CHECK_OK(cert_sha256(pki.a, pins[0], &err), &err);
        CHECK_OK(cert_sha256(self, pins[1], &err), &err);
        struct net_tls_client_config config = {
            .verify = NET_TLS_CLIENT_VERIFY_PIN, .pins = pins, .num_pins = 2, .server_name = "pinned.example"};
        test_expect_ok(&config, &self_cred, "pinned.example");
        test_expect_ok(&config, &pki.cred_a, "pinned.example");
        config.num_pins = 1; /* a's pin only */
        test_expect_refused(&config, &self_cred, CRYPTO_ECERT_UNTRUSTED, "origin certificate does not match any pin");
        test_expect_refused(&config, &pki.cred_b, CRYPTO_ECERT_UNTRUSTED, "origin certificate does not match any pin");
        cert_free(self);
        tls_fixture_pki_free(&pki);
}

/* test_resumption: the ctx keeps the newest session (a TLS 1.3 ticket, read with the first data), and the
 * next connections offer it to a server whose prepared config issued it; a resumed connection dropped
 * without close_notify (the second) does not spoil it for the next. */
static void test_resumption(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        struct cert_store *trust = test_trust(pki.ca);
        struct net_tls_config server = {.credentials = &pki.cred_a};
        CHECK_OK(net_tls_config_prepare(&server, &err), &err);
        struct net_tls_client_config config = {
            .verify = NET_TLS_CLIENT_VERIFY_ON, .trust = trust, .server_name = "localhost"};
        struct net_tls_client_ctx *ctx = NULL;
        CHECK_OK(net_tls_client_ctx_new(&ctx, &config, &err), &err);
        for (int i = 0; i < 4; i++) {
                struct test_pair p;
                test_pair_run(&p, ctx, &server);
                CHECK_OK(p.client_status, &p.err);
                CHECK_EQ(net_tls_client_is_resumed(p.c), i > 0);
                CHECK_EQ(net_tls_conn_is_resumed(p.s), i > 0);
                if (i != 1)
                        test_exchange_and_close(&p);
                test_pair_free(&p);
        }
        net_tls_client_ctx_free(ctx);
        net_tls_config_release(&server);
        cert_store_free(trust);
        tls_fixture_pki_free(&pki);
}

/* What OpenSSL's server saw the client offer in ALPN. */
static unsigned char test_alpn_offered[64];
static unsigned test_alpn_offered_len;

static int test_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *out_len, const unsigned char *in,
                        unsigned in_len, void *arg)
{
        unsigned char *selected = NULL;
        (void)ssl;
        (void)arg;
        test_alpn_offered_len = in_len < sizeof test_alpn_offered ? in_len : 0;
        memcpy(test_alpn_offered, in, test_alpn_offered_len);
        if (SSL_select_next_proto(&selected, out_len, in, in_len, (const unsigned char *)"\x08http/1.1", 9) !=
            OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK;
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
}

/* test_openssl_connect runs a client on ctx against a new connection of OpenSSL's server server_ctx; returns
 * the server's SSL (the client in *c). */
static SSL *test_openssl_connect(struct net_tls_client_ctx *ctx, SSL_CTX *server_ctx, struct net_tls_client **c)
{
        struct err err = {0};
        SSL *server = SSL_new(server_ctx);
        BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
        CHECK(server != NULL && in != NULL && out != NULL);
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(server, in, out);
        SSL_set_accept_state(server);
        CHECK_OK(net_tls_client_new(c, ctx, &err), &err);
        int cs = SMT_EAGAIN, ss = 0;
        for (int round = 0; round < 20 && (cs != 0 || ss != 1); round++) {
                if (cs != 0)
                        cs = net_tls_client_handshake(*c, &err);
                CHECK(cs == 0 || cs == SMT_EAGAIN);
                const uint8_t *data = NULL;
                size_t n = net_tls_client_peek_output(*c, &data), consumed = 0;
                CHECK_EQ(BIO_write(in, data, (int)n), n);
                net_tls_client_consume_output(*c, n);
                ss = SSL_do_handshake(server);
                char *p = NULL;
                long m = BIO_get_mem_data(out, &p);
                if (m > 0) {
                        CHECK_OK(net_tls_client_put_input(*c, (const uint8_t *)p, (size_t)m, &consumed, &err), &err);
                        CHECK(BIO_reset(out) == 1);
                }
        }
        CHECK_EQ(cs, 0);
        CHECK_EQ(ss, 1);
        return server;
}

/* Against OpenSSL's server capped at TLS 1.2: the client offers exactly ALPN http/1.1 (RFC 7301 §3.1) and
 * resumes the session it kept at the end of the first handshake. */
static void test_openssl_server_tls12(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        SSL_CTX *server_ctx = SSL_CTX_new(TLS_server_method());
        CHECK(server_ctx != NULL);
        CHECK(SSL_CTX_set_max_proto_version(server_ctx, TLS1_2_VERSION) == 1);
        CHECK(SSL_CTX_use_certificate(server_ctx, cert_x509(pki.a)) == 1);
        CHECK(SSL_CTX_use_PrivateKey(server_ctx, key_evp(pki.a_key)) == 1);
        SSL_CTX_set_alpn_select_cb(server_ctx, test_alpn_cb, NULL);
        struct cert_store *trust = test_trust(pki.ca);
        struct net_tls_client_config config = {
            .verify = NET_TLS_CLIENT_VERIFY_ON, .trust = trust, .server_name = "localhost"};
        struct net_tls_client_ctx *ctx = NULL;
        CHECK_OK(net_tls_client_ctx_new(&ctx, &config, &err), &err);
        for (int i = 0; i < 2; i++) {
                struct net_tls_client *c = NULL;
                test_alpn_offered_len = 0;
                SSL *server = test_openssl_connect(ctx, server_ctx, &c);
                CHECK_STR(net_tls_client_get_protocol(c), "TLSv1.2");
                CHECK_STR(net_tls_client_get_cipher(c), SSL_get_cipher_name(server));
                CHECK_EQ(test_alpn_offered_len, 9);
                CHECK_MEM(test_alpn_offered, "\x08http/1.1", 9);
                const unsigned char *alpn = NULL;
                unsigned alpn_len = 0;
                SSL_get0_alpn_selected(server, &alpn, &alpn_len);
                CHECK_EQ(alpn_len, 8);
                CHECK_EQ(net_tls_client_is_resumed(c), i == 1);
                CHECK_EQ(SSL_session_reused(server), i == 1);
                if (i == 0) /* OpenSSL keeps SNI with a TLS 1.2 session only when a servername callback accepts it */
                        CHECK_STR(SSL_get_servername(server, TLSEXT_NAMETYPE_host_name), "localhost");
                net_tls_client_free(c);
                SSL_free(server);
        }
        net_tls_client_ctx_free(ctx);
        cert_store_free(trust);
        SSL_CTX_free(server_ctx);
        tls_fixture_pki_free(&pki);
}

static void test_config_refused(void)
{
        static const uint8_t pin[1][NET_TLS_CLIENT_PIN_LEN] = {{0}};
        struct net_tls_client_ctx *ctx = NULL;
        struct err err = {0};
        struct net_tls_client_config config = {.verify = NET_TLS_CLIENT_VERIFY_OFF};
        CHECK_STATUS(net_tls_client_ctx_new(&ctx, &config, &err), SMT_EINVAL);
        config.server_name = "";
        CHECK_STATUS(net_tls_client_ctx_new(&ctx, &config, &err), SMT_EINVAL);
        config.server_name = "origin.example";
        config.verify = 0;
        CHECK_STATUS(net_tls_client_ctx_new(&ctx, &config, &err), SMT_EINVAL);
        config.verify = NET_TLS_CLIENT_VERIFY_PIN;
        CHECK_STATUS(net_tls_client_ctx_new(&ctx, &config, &err), SMT_EINVAL);
        config.pins = pin;
        CHECK_STATUS(net_tls_client_ctx_new(&ctx, &config, &err), SMT_EINVAL); /* num_pins 0 */
        CHECK(ctx == NULL);
        config.num_pins = 1;
        CHECK_OK(net_tls_client_ctx_new(&ctx, &config, &err), &err);
        net_tls_client_ctx_free(ctx);
}

/* Worker threads share one ctx (and its session) while connecting to one prepared server config; they
 * report instead of CHECKing, since a failed CHECK may only end the main thread. */
#define TEST_THREADS 4
#define TEST_ROUNDS  8

struct test_worker {
        struct net_tls_client_ctx *ctx;
        const struct net_tls_config *server;
        int done, resumed;
};

static void *test_worker_run(void *arg)
{
        struct test_worker *w = arg;
        for (int i = 0; i < TEST_ROUNDS; i++) {
                struct net_tls_client *c = NULL;
                struct net_tls_conn *s = NULL;
                struct err err = {0};
                int server_status = SMT_EAGAIN;
                uint8_t buf[16];
                size_t n = 0;
                if (net_tls_client_new(&c, w->ctx, &err) == 0 && net_tls_conn_new(&s, w->server, &err) == 0 &&
                    test_handshake(c, s, &server_status, &err) == 0 && server_status == 0 &&
                    net_tls_client_is_resumed(c) == net_tls_conn_is_resumed(s) && test_pump_quiet(c, s) &&
                    net_tls_client_read(c, buf, sizeof buf, &n, &err) == SMT_EAGAIN) {
                        w->done++;
                        w->resumed += net_tls_client_is_resumed(c);
                }
                ERR_clear_error();
                net_tls_client_free(c);
                net_tls_conn_free(s);
        }
        return NULL;
}

static void test_ctx_shared_by_threads(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        struct cert_store *trust = test_trust(pki.ca);
        struct net_tls_config server = {.credentials = &pki.cred_a};
        CHECK_OK(net_tls_config_prepare(&server, &err), &err);
        struct net_tls_client_config config = {
            .verify = NET_TLS_CLIENT_VERIFY_ON, .trust = trust, .server_name = "localhost"};
        struct net_tls_client_ctx *ctx = NULL;
        CHECK_OK(net_tls_client_ctx_new(&ctx, &config, &err), &err);
        struct test_worker workers[TEST_THREADS];
        pthread_t threads[TEST_THREADS];
        for (int i = 0; i < TEST_THREADS; i++) {
                workers[i] = (struct test_worker){.ctx = ctx, .server = &server};
                CHECK(pthread_create(&threads[i], NULL, test_worker_run, &workers[i]) == 0);
        }
        int resumed = 0;
        for (int i = 0; i < TEST_THREADS; i++) {
                CHECK(pthread_join(threads[i], NULL) == 0);
                CHECK_EQ(workers[i].done, TEST_ROUNDS);
                resumed += workers[i].resumed;
        }
        /* Only connections that started before any ticket arrived may be full handshakes. */
        CHECK(resumed >= TEST_THREADS * (TEST_ROUNDS - 1));
        net_tls_client_ctx_free(ctx);
        net_tls_config_release(&server);
        cert_store_free(trust);
        tls_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_verify_off), CHECK_TEST(test_verify_on), CHECK_TEST(test_verify_pin),
           CHECK_TEST(test_resumption), CHECK_TEST(test_openssl_server_tls12), CHECK_TEST(test_config_refused),
           CHECK_TEST(test_ctx_shared_by_threads))
