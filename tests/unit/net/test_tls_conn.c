/* tests/unit/net/test_tls_conn.c: net_tls_conn against OpenSSL's own TLS client in memory. The client
 * verifies the server's chain (a P-256 CA and leaves made with cert_issue) and host name itself, so a
 * handshake that completes proves the server offered the certificate chosen for the SNI. */
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"
#include "net/tls_conn.h"

struct test_pki {
        struct key *ca_key, *a_key, *b_key;
        struct cert *ca, *a, *b;
        struct net_tls_credentials cred_a, cred_b;
};

static struct cert *test_issue(const struct key *subject, const struct key *issuer_key, const struct cert *issuer,
                               const char *name, bool is_ca)
{
        struct err err = {0};
        struct cert *out = NULL;
        const char *names[] = {name};
        struct cert_issue_params p = {.subject_key = subject,
                                      .issuer_key = issuer_key,
                                      .issuer_cert = issuer,
                                      .common_name = name,
                                      .dns_names = is_ca ? NULL : names,
                                      .num_dns_names = is_ca ? 0 : 1,
                                      .not_after = time(NULL) + 86400,
                                      .is_ca = is_ca,
                                      .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE,
                                      .extended_usage = is_ca ? 0 : CERT_EXTENDED_USAGE_SERVER_AUTH};
        CHECK_OK(cert_issue(&out, &p, &err), &err);
        return out;
}

static void test_pki_make(struct test_pki *pki)
{
        struct err err = {0};
        memset(pki, 0, sizeof(*pki));
        CHECK_OK(key_generate(&pki->ca_key, KEY_ALG_EC_P256, &err), &err);
        CHECK_OK(key_generate(&pki->a_key, KEY_ALG_EC_P256, &err), &err);
        CHECK_OK(key_generate(&pki->b_key, KEY_ALG_EC_P256, &err), &err);
        pki->ca = test_issue(pki->ca_key, NULL, NULL, "smtrust test CA", true);
        pki->a = test_issue(pki->a_key, pki->ca_key, pki->ca, "localhost", false);
        pki->b = test_issue(pki->b_key, pki->ca_key, pki->ca, "b.example", false);
        pki->cred_a = (struct net_tls_credentials){.ecc_cert = pki->a, .ecc_key = pki->a_key};
        pki->cred_b = (struct net_tls_credentials){.ecc_cert = pki->b, .ecc_key = pki->b_key};
}

static void test_pki_free(struct test_pki *pki)
{
        cert_free(pki->ca);
        cert_free(pki->a);
        cert_free(pki->b);
        key_free(pki->ca_key);
        key_free(pki->a_key);
        key_free(pki->b_key);
}

/* test_select: b.example gets b, localhost or no SNI gets a, anything else is refused. */
static int test_select(void *arg, const char *name, const struct net_tls_credentials **out)
{
        const struct test_pki *pki = arg;
        if (name == NULL || strcmp(name, "localhost") == 0)
                *out = &pki->cred_a;
        else if (strcmp(name, "b.example") == 0)
                *out = &pki->cred_b;
        else
                return TLCP_EUNSUPPORTED_SITE;
        return 0;
}

struct test_client {
        SSL_CTX *ctx;
        SSL *ssl;
        BIO *in, *out;
};

static void test_client_new(struct test_client *c, const struct test_pki *pki, int version, const char *sni)
{
        c->ctx = SSL_CTX_new(TLS_client_method());
        CHECK(c->ctx != NULL);
        CHECK(SSL_CTX_set_min_proto_version(c->ctx, version) == 1);
        CHECK(SSL_CTX_set_max_proto_version(c->ctx, version) == 1);
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(c->ctx), cert_x509(pki->ca)) == 1);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        CHECK(SSL_CTX_set_alpn_protos(c->ctx, (const unsigned char *)"\x02h2\x08http/1.1", 12) == 0);
        c->ssl = SSL_new(c->ctx);
        c->in = BIO_new(BIO_s_mem());
        c->out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(c->in, -1);
        SSL_set_bio(c->ssl, c->in, c->out);
        SSL_set_connect_state(c->ssl);
        if (sni != NULL) {
                CHECK(SSL_set_tlsext_host_name(c->ssl, sni) == 1);
                CHECK(SSL_set1_host(c->ssl, sni) == 1);
        }
}

static void test_client_free(struct test_client *c)
{
        SSL_free(c->ssl);
        SSL_CTX_free(c->ctx);
}

/* test_pump moves every waiting byte both ways. */
static void test_pump(struct test_client *c, struct net_tls_conn *s)
{
        struct err err = {0};
        const uint8_t *data = NULL;
        size_t n = net_tls_conn_peek_output(s, &data), consumed = 0;
        if (n > 0) {
                CHECK_EQ(BIO_write(c->in, data, (int)n), n);
                net_tls_conn_consume_output(s, n);
        }
        char *p = NULL;
        long m = BIO_get_mem_data(c->out, &p);
        if (m > 0) {
                CHECK_OK(net_tls_conn_put_input(s, (const uint8_t *)p, (size_t)m, &consumed, &err), &err);
                CHECK_EQ(consumed, m);
                CHECK(BIO_reset(c->out) == 1);
        }
}

/* Set by test_handshake: the client's error queue named a received unrecognized_name alert (RFC 6066 §3). */
static bool test_alert_seen;

/* test_handshake runs both sides to the end; returns the server status (the client's result in *client_ok). */
static int test_handshake(struct test_client *c, struct net_tls_conn *s, bool *client_ok)
{
        struct err err = {0};
        int status = SMT_EAGAIN, client = 0;
        for (int round = 0; round < 20 && (status == SMT_EAGAIN || client != 1); round++) {
                client = SSL_do_handshake(c->ssl);
                test_pump(c, s);
                if (status == SMT_EAGAIN)
                        status = net_tls_conn_handshake(s, &err);
                test_pump(c, s);
                if (status != 0 && status != SMT_EAGAIN)
                        break;
        }
        client = SSL_do_handshake(c->ssl);
        *client_ok = client == 1;
        test_alert_seen = false;
        for (unsigned long e; (e = ERR_get_error()) != 0;)
                test_alert_seen |= ERR_GET_REASON(e) == SSL_R_TLSV1_UNRECOGNIZED_NAME;
        return status;
}

/* test_data_and_close sends 100 KB each way, then close_notify from the server and back. */
static void test_data_and_close(struct test_client *c, struct net_tls_conn *s)
{
        struct err err = {0};
        /* 100 KB each way. */
        size_t total = 100 * 1024, got = 0, len = 0;
        uint8_t *sent = malloc(total), *recv = malloc(total);
        for (size_t i = 0; i < total; i++)
                sent[i] = (uint8_t)(i * 7 + 3);
        CHECK_OK(net_tls_conn_write(s, sent, total, &err), &err);
        test_pump(c, s);
        for (size_t r; got < total && SSL_read_ex(c->ssl, recv + got, total - got, &r) == 1;)
                got += r;
        CHECK_EQ(got, total);
        CHECK_MEM(sent, recv, total);
        size_t w = 0;
        CHECK(SSL_write_ex(c->ssl, sent, total, &w) == 1);
        test_pump(c, s);
        memset(recv, 0, total);
        for (got = 0; got < total && net_tls_conn_read(s, recv + got, total - got, &len, &err) == 0;)
                got += len;
        CHECK_EQ(got, total);
        CHECK_MEM(sent, recv, total);
        CHECK_STATUS(net_tls_conn_read(s, recv, total, &len, &err), SMT_EAGAIN);

        /* close_notify both ways. */
        CHECK_OK(net_tls_conn_close(s, &err), &err);
        test_pump(c, s);
        CHECK(SSL_read_ex(c->ssl, recv, 1, &len) == 0);
        CHECK_EQ(SSL_get_error(c->ssl, 0), SSL_ERROR_ZERO_RETURN);
        SSL_shutdown(c->ssl);
        test_pump(c, s);
        CHECK_STATUS(net_tls_conn_read(s, recv, total, &len, &err), TLCP_ECLOSED);
        free(sent);
        free(recv);
}

static void test_session(int version, const char *sni, const char *want_protocol, bool want_b)
{
        struct test_pki pki;
        test_pki_make(&pki);
        const struct cert *want_cert = want_b ? pki.b : pki.a;
        struct net_tls_config config = {.select = test_select, .select_arg = &pki};
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct test_client c;
        bool client_ok = false;
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        test_client_new(&c, &pki, version, sni);
        CHECK_EQ(test_handshake(&c, s, &client_ok), 0);
        CHECK(client_ok);
        CHECK_STR(net_tls_conn_get_protocol(s), want_protocol);
        CHECK_STR(net_tls_conn_get_cipher(s), SSL_get_cipher_name(c.ssl));
        CHECK(!net_tls_conn_is_resumed(s));
        if (sni != NULL)
                CHECK_STR(net_tls_conn_get_server_name(s), sni);
        X509 *peer = SSL_get1_peer_certificate(c.ssl);
        CHECK(X509_cmp(peer, cert_x509(want_cert)) == 0);
        X509_free(peer);
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(c.ssl, &alpn, &alpn_len);
        CHECK_EQ(alpn_len, 8);
        CHECK_MEM(alpn, "http/1.1", 8);

        test_data_and_close(&c, s);
        ERR_clear_error();
        test_client_free(&c);
        net_tls_conn_free(s);
        test_pki_free(&pki);
}

static void test_tls12_localhost(void)
{
        test_session(TLS1_2_VERSION, "localhost", "TLSv1.2", false);
}

static void test_tls13_localhost(void)
{
        test_session(TLS1_3_VERSION, "localhost", "TLSv1.3", false);
}

static void test_tls13_sni_selects_b(void)
{
        test_session(TLS1_3_VERSION, "b.example", "TLSv1.3", true);
}

static void test_tls12_sni_selects_b(void)
{
        test_session(TLS1_2_VERSION, "b.example", "TLSv1.2", true);
}

/* Without SNI the select callback's default (a) is offered; the client checks no name then. */
static void test_no_sni_default(void)
{
        test_session(TLS1_3_VERSION, NULL, "TLSv1.3", false);
}

/* An unknown name is refused: the server fails and the client gets the unrecognized_name alert. */
static void test_unknown_sni_refused(void)
{
        struct test_pki pki;
        test_pki_make(&pki);
        struct net_tls_config config = {.select = test_select, .select_arg = &pki};
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct test_client c;
        bool client_ok = true;
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        test_client_new(&c, &pki, TLS1_3_VERSION, "other.example");
        CHECK_STATUS(test_handshake(&c, s, &client_ok), TLCP_EHANDSHAKE_FAILURE);
        CHECK(!client_ok);
        CHECK(test_alert_seen);
        test_client_free(&c);
        net_tls_conn_free(s);
        test_pki_free(&pki);
}

/* test_pair_for_cipher: with an ECC and an RSA pair, a TLS 1.2 client that only offers suite gets the leaf
 * whose key that suite authenticates with (RFC 5246 §7.4.2). */
static void test_pair_for_cipher(struct test_pki *pki, const struct net_tls_credentials *both, const char *suite,
                                 const struct cert *want)
{
        struct net_tls_config config = {.credentials = both};
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct test_client c;
        bool client_ok = false;
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        test_client_new(&c, pki, TLS1_2_VERSION, "localhost");
        CHECK(SSL_set_cipher_list(c.ssl, suite) == 1);
        CHECK_EQ(test_handshake(&c, s, &client_ok), 0);
        CHECK(client_ok);
        CHECK_STR(net_tls_conn_get_cipher(s), suite);
        X509 *peer = SSL_get1_peer_certificate(c.ssl);
        CHECK(X509_cmp(peer, cert_x509(want)) == 0);
        X509_free(peer);
        test_client_free(&c);
        net_tls_conn_free(s);
}

static void test_ecc_and_rsa_pairs(void)
{
        struct test_pki pki;
        struct err err = {0};
        struct key *rsa_key = NULL;
        test_pki_make(&pki);
        CHECK_OK(key_generate(&rsa_key, KEY_ALG_RSA_2048, &err), &err);
        struct cert *rsa = test_issue(rsa_key, pki.ca_key, pki.ca, "localhost", false);
        struct net_tls_credentials both = {
            .ecc_cert = pki.a, .ecc_key = pki.a_key, .rsa_cert = rsa, .rsa_key = rsa_key};
        test_pair_for_cipher(&pki, &both, "ECDHE-RSA-AES128-GCM-SHA256", rsa);
        test_pair_for_cipher(&pki, &both, "ECDHE-ECDSA-AES256-GCM-SHA384", pki.a);
        cert_free(rsa);
        key_free(rsa_key);
        test_pki_free(&pki);
}

/* Static-RSA and CBC suites are outside the policy (RFC 9325 §4.2): a TLS 1.2 client offering only them, or
 * a client capped at TLS 1.1, gets no handshake. */
static void test_policy_refusals(void)
{
        static const struct {
                int version;
                const char *suites;
        } cases[] = {{TLS1_2_VERSION, "AES128-GCM-SHA256"},
                     {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA"},
                     {TLS1_1_VERSION, "ALL:@SECLEVEL=0"}};
        struct test_pki pki;
        test_pki_make(&pki);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct net_tls_config config = {.credentials = &pki.cred_a};
                struct net_tls_conn *s = NULL;
                struct err err = {0};
                struct test_client c;
                bool client_ok = true;
                CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
                test_client_new(&c, &pki, cases[i].version, "localhost");
                CHECK(SSL_set_cipher_list(c.ssl, cases[i].suites) == 1);
                CHECK_STATUS(test_handshake(&c, s, &client_ok), TLCP_EHANDSHAKE_FAILURE);
                CHECK(!client_ok);
                test_client_free(&c);
                net_tls_conn_free(s);
        }
        test_pki_free(&pki);
}

static void test_config_refused(void)
{
        struct net_tls_config config = {0};
        struct net_tls_credentials half = {.ecc_cert = NULL};
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        CHECK_STATUS(net_tls_conn_new(&s, &config, &err), SMT_EINVAL);
        config.credentials = &half;
        CHECK_STATUS(net_tls_conn_new(&s, &config, &err), SMT_EINVAL);
        CHECK(s == NULL);
}

CHECK_MAIN(CHECK_TEST(test_tls12_localhost), CHECK_TEST(test_tls13_localhost), CHECK_TEST(test_tls13_sni_selects_b),
           CHECK_TEST(test_tls12_sni_selects_b), CHECK_TEST(test_no_sni_default), CHECK_TEST(test_unknown_sni_refused),
           CHECK_TEST(test_config_refused), CHECK_TEST(test_ecc_and_rsa_pairs), CHECK_TEST(test_policy_refusals))
