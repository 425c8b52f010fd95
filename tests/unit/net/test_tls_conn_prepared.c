/* tests/unit/net/test_tls_conn_prepared.c: net_tls_conn on prepared contexts (net_tls_config_prepare,
 * net_tls_credentials_prepare) against OpenSSL's TLS client in memory: ticket resumption (RFC 5077, RFC 8446
 * §4.6.1) across connections and threads, the certificate chosen by the client's signature algorithms
 * (RFC 8446 §4.4.2.2), chains, and the lifetime of prepared contexts. OpenSSL's client judges each
 * handshake itself: SSL_session_reused is its view of resumption, and it verifies every chain. */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"
#include "net/tls_conn.h"
#include "tls_fixture.h"

struct test_expect {
        bool resumed;
        const char *alg;         /* net_tls_conn_get_certificate_alg */
        const struct cert *peer; /* the leaf the client must get on a full handshake */
};

/* test_connect runs one connection to config offering session (may be NULL) and returns the client's newest
 * session (tickets read), checking what expect says. */
static const struct cert *rsa_root; /* the fixture's RSA CA, trusted by every client too */

static SSL_SESSION *test_connect(const struct net_tls_config *config, const struct cert *root, int version,
                                 const char *sni, const char *sigalgs, SSL_SESSION *offer, struct test_expect expect)
{
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct tls_fixture_client c;
        bool client_ok = false;
        CHECK_OK(net_tls_conn_new(&s, config, &err), &err);
        tls_fixture_client_new(&c, root, version, sni);
        tls_fixture_client_trust(&c, rsa_root);
        if (sigalgs != NULL)
                CHECK(SSL_set1_sigalgs_list(c.ssl, sigalgs) == 1);
        if (offer != NULL)
                CHECK(SSL_set_session(c.ssl, offer) == 1);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        CHECK_EQ(SSL_session_reused(c.ssl), expect.resumed);
        CHECK_EQ(net_tls_conn_is_resumed(s), expect.resumed);
        CHECK_STR(net_tls_conn_get_certificate_alg(s), expect.alg);
        if (!expect.resumed)
                CHECK(tls_fixture_peer_is(&c, expect.peer));
        tls_fixture_exchange(&c, s, 1024);
        SSL_SESSION *session = SSL_get1_session(c.ssl);
        CHECK(session != NULL);
        tls_fixture_close(&c, s);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        return session;
}

static void test_prepare_all(struct net_tls_config *config, struct tls_fixture_pki *pki)
{
        struct err err = {0};
        CHECK_OK(net_tls_credentials_prepare(&pki->cred_a, &err), &err);
        CHECK_OK(net_tls_credentials_prepare(&pki->cred_b, &err), &err);
        CHECK_OK(net_tls_credentials_prepare(&pki->cred_both, &err), &err);
        CHECK_OK(net_tls_config_prepare(config, &err), &err);
}

/* A ticket from the first connection resumes the second, and the renewed ticket the third. */
static void test_resume(int version)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_config config = {.select = tls_fixture_select, .select_arg = &pki};
        test_prepare_all(&config, &pki);
        struct test_expect full = {false, "ECDSA", pki.a}, resumed = {true, "ECDSA", NULL};
        SSL_SESSION *first = test_connect(&config, pki.ca, version, "localhost", NULL, NULL, full);
        CHECK(SSL_SESSION_is_resumable(first) == 1);
        SSL_SESSION *second = test_connect(&config, pki.ca, version, "localhost", NULL, first, resumed);
        SSL_SESSION *third = test_connect(&config, pki.ca, version, "localhost", NULL, second, resumed);
        SSL_SESSION_free(first);
        SSL_SESSION_free(second);
        SSL_SESSION_free(third);
        net_tls_config_release(&config);
        tls_fixture_pki_free(&pki);
}

static void test_resume_tls13(void)
{
        test_resume(TLS1_3_VERSION);
}

static void test_resume_tls12(void)
{
        test_resume(TLS1_2_VERSION);
}

/* With an ECC and an RSA pair, a TLS 1.3 client's signature_algorithms decide the leaf; a resumed session
 * still reports the algorithm its ticket was first issued under. Prepared and per-connection alike. */
static void test_sigalgs_pick_pair(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        for (int prepared = 0; prepared < 2; prepared++) {
                struct net_tls_config config = {.credentials = &pki.cred_both};
                struct err err = {0};
                if (prepared) {
                        CHECK_OK(net_tls_credentials_prepare(&pki.cred_both, &err), &err);
                        CHECK_OK(net_tls_config_prepare(&config, &err), &err);
                }
                SSL_SESSION *rsa =
                    test_connect(&config, pki.ca, TLS1_3_VERSION, "localhost", "rsa_pss_rsae_sha256:rsa_pkcs1_sha256",
                                 NULL, (struct test_expect){false, "RSA", pki.rsa});
                SSL_SESSION *ecc = test_connect(&config, pki.ca, TLS1_3_VERSION, "localhost", "ecdsa_secp256r1_sha256",
                                                NULL, (struct test_expect){false, "ECDSA", pki.a});
                if (prepared) {
                        SSL_SESSION_free(test_connect(&config, pki.ca, TLS1_3_VERSION, "localhost", NULL, rsa,
                                                      (struct test_expect){true, "RSA", NULL}));
                        SSL_SESSION_free(test_connect(&config, pki.ca, TLS1_3_VERSION, "localhost", NULL, ecc,
                                                      (struct test_expect){true, "ECDSA", NULL}));
                }
                SSL_SESSION_free(rsa);
                SSL_SESSION_free(ecc);
                net_tls_config_release(&config);
        }
        tls_fixture_pki_free(&pki);
}

/* A config built per connection issues no tickets; a ticket from another prepared config (as after a
 * reload) is not accepted either: both give a full handshake. */
static void test_no_resumption_without_key(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_config plain = {.select = tls_fixture_select, .select_arg = &pki};
        struct net_tls_config one = plain, other = plain;
        test_prepare_all(&one, &pki);
        struct err err = {0};
        CHECK_OK(net_tls_config_prepare(&other, &err), &err);
        struct test_expect full = {false, "ECDSA", pki.a};
        SSL_SESSION *plain_session = test_connect(&plain, pki.ca, TLS1_3_VERSION, "localhost", NULL, NULL, full);
        CHECK(SSL_SESSION_is_resumable(plain_session) == 0);
        SSL_SESSION *ticket = test_connect(&one, pki.ca, TLS1_3_VERSION, "localhost", NULL, NULL, full);
        CHECK(SSL_SESSION_is_resumable(ticket) == 1);
        SSL_SESSION_free(test_connect(&other, pki.ca, TLS1_3_VERSION, "localhost", NULL, ticket, full));
        SSL_SESSION_free(test_connect(&plain, pki.ca, TLS1_3_VERSION, "localhost", NULL, ticket, full));
        SSL_SESSION_free(plain_session);
        SSL_SESSION_free(ticket);
        net_tls_config_release(&one);
        net_tls_config_release(&other);
        tls_fixture_pki_free(&pki);
}

/* A config given the ticket key of another (a reload) resumes that one's tickets. */
static void test_ticket_key_carried_over(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_config old = {.select = tls_fixture_select, .select_arg = &pki};
        struct net_tls_config new = old;
        test_prepare_all(&old, &pki);
        struct err err = {0};
        CHECK_OK(net_tls_config_prepare(&new, &err), &err);
        CHECK_OK(net_tls_config_share_ticket_key(&new, &old, &err), &err);
        SSL_SESSION *ticket = test_connect(&old, pki.ca, TLS1_3_VERSION, "localhost", NULL, NULL,
                                           (struct test_expect){false, "ECDSA", pki.a});
        SSL_SESSION_free(test_connect(&new, pki.ca, TLS1_3_VERSION, "localhost", NULL, ticket,
                                      (struct test_expect){true, "ECDSA", NULL}));
        struct net_tls_config unprepared = {.select = tls_fixture_select, .select_arg = &pki};
        CHECK_STATUS(net_tls_config_share_ticket_key(&unprepared, &old, &err), SMT_EINVAL);
        SSL_SESSION_free(ticket);
        net_tls_config_release(&old);
        net_tls_config_release(&new);
        tls_fixture_pki_free(&pki);
}

/* Prepared credentials send their chain: the client trusts only the root, the leaf's issuer is an
 * intermediate. */
static void test_chain_sent(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_config config = {.credentials = &pki.cred_inter};
        CHECK_OK(net_tls_credentials_prepare(&pki.cred_inter, &err), &err);
        CHECK_OK(net_tls_config_prepare(&config, &err), &err);
        for (int version = TLS1_2_VERSION; version <= TLS1_3_VERSION; version++)
                SSL_SESSION_free(test_connect(&config, pki.ca, version, "localhost", NULL, NULL,
                                              (struct test_expect){false, "ECDSA", pki.inter_a}));
        net_tls_config_release(&config);
        tls_fixture_pki_free(&pki);
}

/* A connection outlives the release of the prepared contexts it was made from (it holds references). */
static void test_release_while_connected(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_config config = {.select = tls_fixture_select, .select_arg = &pki};
        test_prepare_all(&config, &pki);
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct tls_fixture_client c;
        bool client_ok = false;
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        tls_fixture_client_new(&c, pki.ca, TLS1_3_VERSION, "b.example");
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        net_tls_config_release(&config);
        net_tls_credentials_release(&pki.cred_b);
        CHECK(config.prepared == NULL && pki.cred_b.prepared == NULL);
        tls_fixture_exchange(&c, s, 64 * 1024);
        CHECK_STR(net_tls_conn_get_certificate_alg(s), "ECDSA");
        tls_fixture_close(&c, s);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        tls_fixture_pki_free(&pki);
}

/* A key that is not the certificate's is refused at prepare time, not at the first handshake; preparing
 * again rebuilds. */
static void test_prepare_refusals(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_credentials wrong = {.ecc_cert = pki.a, .ecc_key = pki.b_key};
        CHECK_STATUS(net_tls_credentials_prepare(&wrong, &err), CRYPTO_EOPENSSL);
        CHECK(strstr(err.msg, "ECC key") != NULL);
        CHECK(wrong.prepared == NULL);
        struct net_tls_credentials wrong_rsa = {
            .ecc_cert = pki.a, .ecc_key = pki.a_key, .rsa_cert = pki.rsa, .rsa_key = pki.a_key};
        CHECK_STATUS(net_tls_credentials_prepare(&wrong_rsa, &err), CRYPTO_EWRONGALG);
        CHECK(wrong_rsa.prepared == NULL);
        CHECK_OK(net_tls_credentials_prepare(&pki.cred_a, &err), &err);
        CHECK_OK(net_tls_credentials_prepare(&pki.cred_a, &err), &err);
        net_tls_credentials_release(&wrong);
        tls_fixture_pki_free(&pki);
}

/* Worker threads share one prepared config: each makes a full handshake and resumes a ticket issued on the
 * main thread. The threads report instead of CHECKing (a failed CHECK may only end the main thread). */
#define TEST_THREADS 4
#define TEST_ROUNDS  10

struct test_worker {
        const struct net_tls_config *config;
        const struct cert *root;
        const uint8_t *ticket_der;
        long ticket_len;
        int full, resumed, failed;
};

/* test_worker_connect runs one connection to the end of the handshake; returns 1 resumed, 0 full, -1 failed. */
static int test_worker_connect(struct test_worker *w, bool offer)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
        BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        int result = -1;
        if (ssl == NULL || in == NULL || out == NULL || net_tls_conn_new(&s, w->config, &err) != 0)
                goto done;
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert_x509(w->root));
        SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(ssl, in, out);
        in = out = NULL;
        SSL_set_connect_state(ssl);
        SSL_set_tlsext_host_name(ssl, "localhost");
        const uint8_t *p = w->ticket_der;
        SSL_SESSION *session = offer ? d2i_SSL_SESSION(NULL, &p, w->ticket_len) : NULL;
        if (session != NULL)
                SSL_set_session(ssl, session);
        SSL_SESSION_free(session);
        int server = SMT_EAGAIN, client = 0;
        for (int round = 0; round < 20 && (server != 0 || client != 1); round++) {
                client = SSL_do_handshake(ssl);
                const uint8_t *data = NULL;
                size_t n = net_tls_conn_peek_output(s, &data), consumed = 0;
                BIO_write(SSL_get_rbio(ssl), data, (int)n);
                net_tls_conn_consume_output(s, n);
                char *q = NULL;
                long m = BIO_get_mem_data(SSL_get_wbio(ssl), &q);
                if (m > 0 && net_tls_conn_put_input(s, (const uint8_t *)q, (size_t)m, &consumed, &err) == 0)
                        (void)BIO_reset(SSL_get_wbio(ssl));
                if (server != 0)
                        server = net_tls_conn_handshake(s, &err);
        }
        if (server == 0 && client == 1 && SSL_session_reused(ssl) == net_tls_conn_is_resumed(s))
                result = net_tls_conn_is_resumed(s) ? 1 : 0;
done:
        ERR_clear_error();
        BIO_free(in);
        BIO_free(out);
        net_tls_conn_free(s);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        return result;
}

static void *test_worker_run(void *arg)
{
        struct test_worker *w = arg;
        for (int i = 0; i < TEST_ROUNDS; i++) {
                int full = test_worker_connect(w, false), resumed = test_worker_connect(w, true);
                w->full += full == 0;
                w->resumed += resumed == 1;
                w->failed += (full != 0) + (resumed != 1);
        }
        return NULL;
}

static void test_ticket_key_shared_by_threads(void)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        rsa_root = pki.rsa_ca;
        struct net_tls_config config = {.select = tls_fixture_select, .select_arg = &pki};
        test_prepare_all(&config, &pki);
        SSL_SESSION *ticket = test_connect(&config, pki.ca, TLS1_3_VERSION, "localhost", NULL, NULL,
                                           (struct test_expect){false, "ECDSA", pki.a});
        uint8_t *der = NULL;
        int der_len = i2d_SSL_SESSION(ticket, &der);
        CHECK(der_len > 0);
        struct test_worker workers[TEST_THREADS];
        pthread_t threads[TEST_THREADS];
        for (int i = 0; i < TEST_THREADS; i++) {
                workers[i] =
                    (struct test_worker){.config = &config, .root = pki.ca, .ticket_der = der, .ticket_len = der_len};
                CHECK(pthread_create(&threads[i], NULL, test_worker_run, &workers[i]) == 0);
        }
        for (int i = 0; i < TEST_THREADS; i++) {
                CHECK(pthread_join(threads[i], NULL) == 0);
                CHECK_EQ(workers[i].failed, 0);
                CHECK_EQ(workers[i].full, TEST_ROUNDS);
                CHECK_EQ(workers[i].resumed, TEST_ROUNDS);
        }
        OPENSSL_free(der);
        SSL_SESSION_free(ticket);
        net_tls_config_release(&config);
        tls_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_resume_tls13), CHECK_TEST(test_resume_tls12), CHECK_TEST(test_sigalgs_pick_pair),
           CHECK_TEST(test_no_resumption_without_key), CHECK_TEST(test_chain_sent),
           CHECK_TEST(test_release_while_connected), CHECK_TEST(test_prepare_refusals),
           CHECK_TEST(test_ticket_key_shared_by_threads), CHECK_TEST(test_ticket_key_carried_over))
