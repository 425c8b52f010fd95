/* tests/unit/net/test_tls_conn.c: net_tls_conn against OpenSSL's own TLS client in memory. The client
 * verifies the server's chain (a P-256 CA and leaves made with cert_issue) and host name itself, so a
 * handshake that completes proves the server offered the certificate chosen for the SNI. Each case runs on
 * a config built per connection and on a prepared one (net_tls_config_prepare, prepared credentials). */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "check.h"
#include "net/tls_conn.h"
#include "tls_fixture.h"

/* test_prepare prepares config and every credentials of pki when asked to. */
static void test_prepare(struct net_tls_config *config, struct tls_fixture_pki *pki, bool prepared)
{
        struct err err = {0};
        if (!prepared)
                return;
        CHECK_OK(net_tls_credentials_prepare(&pki->cred_a, &err), &err);
        CHECK_OK(net_tls_credentials_prepare(&pki->cred_b, &err), &err);
        CHECK_OK(net_tls_credentials_prepare(&pki->cred_both, &err), &err);
        CHECK_OK(net_tls_config_prepare(config, &err), &err);
}

static void test_session(int version, const char *sni, const char *want_protocol, bool want_b, bool prepared)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        struct net_tls_config config = {.select = tls_fixture_select, .select_arg = &pki};
        test_prepare(&config, &pki, prepared);
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct tls_fixture_client c;
        bool client_ok = false;
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        CHECK_STR(net_tls_conn_get_certificate_alg(s), "");
        tls_fixture_client_new(&c, pki.ca, version, sni);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        CHECK_STR(net_tls_conn_get_protocol(s), want_protocol);
        CHECK_STR(net_tls_conn_get_cipher(s), SSL_get_cipher_name(c.ssl));
        CHECK_STR(net_tls_conn_get_certificate_alg(s), "ECDSA");
        CHECK(!net_tls_conn_is_resumed(s));
        if (sni != NULL)
                CHECK_STR(net_tls_conn_get_server_name(s), sni);
        CHECK(tls_fixture_peer_is(&c, want_b ? pki.b : pki.a));
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(c.ssl, &alpn, &alpn_len);
        CHECK_EQ(alpn_len, 8);
        CHECK_MEM(alpn, "http/1.1", 8);

        tls_fixture_exchange(&c, s, 100 * 1024);
        tls_fixture_close(&c, s);
        ERR_clear_error();
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        net_tls_config_release(&config);
        tls_fixture_pki_free(&pki);
}

static void test_tls12_localhost(void)
{
        test_session(TLS1_2_VERSION, "localhost", "TLSv1.2", false, false);
        test_session(TLS1_2_VERSION, "localhost", "TLSv1.2", false, true);
}

static void test_tls13_localhost(void)
{
        test_session(TLS1_3_VERSION, "localhost", "TLSv1.3", false, false);
        test_session(TLS1_3_VERSION, "localhost", "TLSv1.3", false, true);
}

static void test_tls13_sni_selects_b(void)
{
        test_session(TLS1_3_VERSION, "b.example", "TLSv1.3", true, false);
        test_session(TLS1_3_VERSION, "b.example", "TLSv1.3", true, true);
}

static void test_tls12_sni_selects_b(void)
{
        test_session(TLS1_2_VERSION, "b.example", "TLSv1.2", true, false);
        test_session(TLS1_2_VERSION, "b.example", "TLSv1.2", true, true);
}

/* Without SNI the select callback's default (a) is offered; the client checks no name then. */
static void test_no_sni_default(void)
{
        test_session(TLS1_3_VERSION, NULL, "TLSv1.3", false, false);
        test_session(TLS1_3_VERSION, NULL, "TLSv1.3", false, true);
}

/* An unknown name is refused: the server fails and the client gets the unrecognized_name alert. */
static void test_unknown_sni_refused_once(bool prepared)
{
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        struct net_tls_config config = {.select = tls_fixture_select, .select_arg = &pki};
        test_prepare(&config, &pki, prepared);
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct tls_fixture_client c;
        bool client_ok = true, alert_seen = false;
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        tls_fixture_client_new(&c, pki.ca, TLS1_3_VERSION, "other.example");
        CHECK_STATUS(tls_fixture_handshake(&c, s, &client_ok, &alert_seen), TLCP_EHANDSHAKE_FAILURE);
        CHECK(!client_ok);
        CHECK(alert_seen);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        net_tls_config_release(&config);
        tls_fixture_pki_free(&pki);
}

static void test_unknown_sni_refused(void)
{
        test_unknown_sni_refused_once(false);
        test_unknown_sni_refused_once(true);
}

/* test_pair_for_cipher: with an ECC and an RSA pair, a TLS 1.2 client that only offers suite gets the leaf
 * whose key that suite authenticates with (RFC 5246 §7.4.2). */
static void test_pair_for_cipher(struct tls_fixture_pki *pki, const char *suite, const struct cert *want,
                                 const char *want_alg, bool prepared)
{
        struct net_tls_config config = {.credentials = &pki->cred_both};
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        struct tls_fixture_client c;
        bool client_ok = false;
        if (prepared)
                CHECK_OK(net_tls_config_prepare(&config, &err), &err);
        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
        tls_fixture_client_new(&c, pki->ca, TLS1_2_VERSION, "localhost");
        tls_fixture_client_trust(&c, pki->rsa_ca);
        CHECK(SSL_set_cipher_list(c.ssl, suite) == 1);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        CHECK_STR(net_tls_conn_get_cipher(s), suite);
        CHECK(tls_fixture_peer_is(&c, want));
        CHECK_STR(net_tls_conn_get_certificate_alg(s), want_alg);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        net_tls_config_release(&config);
}

static void test_ecc_and_rsa_pairs(void)
{
        struct tls_fixture_pki pki;
        struct err err = {0};
        tls_fixture_pki_make(&pki);
        for (int prepared = 0; prepared < 2; prepared++) {
                if (prepared)
                        CHECK_OK(net_tls_credentials_prepare(&pki.cred_both, &err), &err);
                test_pair_for_cipher(&pki, "ECDHE-RSA-AES128-GCM-SHA256", pki.rsa, "RSA", prepared);
                test_pair_for_cipher(&pki, "ECDHE-ECDSA-AES256-GCM-SHA384", pki.a, "ECDSA", prepared);
        }
        tls_fixture_pki_free(&pki);
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
        struct tls_fixture_pki pki;
        tls_fixture_pki_make(&pki);
        for (int prepared = 0; prepared < 2; prepared++) {
                struct net_tls_config config = {.credentials = &pki.cred_a};
                test_prepare(&config, &pki, prepared);
                for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                        struct net_tls_conn *s = NULL;
                        struct err err = {0};
                        struct tls_fixture_client c;
                        bool client_ok = true;
                        CHECK_OK(net_tls_conn_new(&s, &config, &err), &err);
                        tls_fixture_client_new(&c, pki.ca, cases[i].version, "localhost");
                        CHECK(SSL_set_cipher_list(c.ssl, cases[i].suites) == 1);
                        CHECK_STATUS(tls_fixture_handshake(&c, s, &client_ok, NULL), TLCP_EHANDSHAKE_FAILURE);
                        CHECK(!client_ok);
                        tls_fixture_client_free(&c);
                        net_tls_conn_free(s);
                }
                net_tls_config_release(&config);
        }
        tls_fixture_pki_free(&pki);
}

static void test_config_refused(void)
{
        struct net_tls_config config = {0};
        struct net_tls_credentials half = {.ecc_cert = NULL};
        struct net_tls_conn *s = NULL;
        struct err err = {0};
        CHECK_STATUS(net_tls_conn_new(&s, &config, &err), SMT_EINVAL);
        CHECK_STATUS(net_tls_config_prepare(&config, &err), SMT_EINVAL);
        config.credentials = &half;
        CHECK_STATUS(net_tls_conn_new(&s, &config, &err), SMT_EINVAL);
        CHECK_STATUS(net_tls_config_prepare(&config, &err), SMT_EINVAL);
        CHECK_STATUS(net_tls_credentials_prepare(&half, &err), SMT_EINVAL);
        CHECK(s == NULL);
        CHECK(config.prepared == NULL);
        CHECK(half.prepared == NULL);
}

CHECK_MAIN(CHECK_TEST(test_tls12_localhost), CHECK_TEST(test_tls13_localhost), CHECK_TEST(test_tls13_sni_selects_b),
           CHECK_TEST(test_tls12_sni_selects_b), CHECK_TEST(test_no_sni_default), CHECK_TEST(test_unknown_sni_refused),
           CHECK_TEST(test_config_refused), CHECK_TEST(test_ecc_and_rsa_pairs), CHECK_TEST(test_policy_refusals))
