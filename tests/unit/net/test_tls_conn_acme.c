/* tests/unit/net/test_tls_conn_acme.c: tls-alpn-01 (RFC 8737) in net_tls_conn, against OpenSSL's own client
 * in memory. A client offering "acme-tls/1" alone for a name the acme_select hook knows gets the validation
 * certificate (cert_acme_tls_alpn01_new) and ALPN acme-tls/1; one the hook does not know is refused with
 * unrecognized_name; acme-tls/1 next to http/1.1 is an ordinary handshake; without the hook nothing
 * changes. The extension is read back with OpenSSL's X509 API and compared with SHA-256 from EVP. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "crypto/cert.h"
#include "net/tls_conn.h"
#include "tls_fixture.h"

#define KEY_AUTHORIZATION "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define ACME_ALPN                                                                                                      \
        "\x0a"                                                                                                         \
        "acme-tls/1"
#define ACME_ALPN_LEN 11
#define BOTH_ALPN                                                                                                      \
        "\x0a"                                                                                                         \
        "acme-tls/1\x08http/1.1"
#define BOTH_ALPN_LEN 20

/* The hook's table: one pending name and its validation context; counts the calls. */
struct acme_pending {
        const char *name;
        SSL_CTX *ctx;
        int num_calls;
};

static SSL_CTX *acme_pending_select(void *arg, const char *server_name)
{
        struct acme_pending *pending = arg;
        pending->num_calls++;
        if (server_name == NULL || strcmp(server_name, pending->name) != 0 || SSL_CTX_up_ref(pending->ctx) != 1)
                return NULL;
        return pending->ctx;
}

struct acme_setup {
        struct tls_fixture_pki pki;
        struct cert *cert;
        struct key *key;
        uint8_t digest[32];
        struct acme_pending pending;
        struct net_tls_config config;
};

static void acme_setup_make(struct acme_setup *t, const char *name, bool has_hook, bool prepared)
{
        struct err err = {0};
        unsigned len = 0;
        memset(t, 0, sizeof *t);
        tls_fixture_pki_make(&t->pki);
        CHECK(EVP_Digest(KEY_AUTHORIZATION, strlen(KEY_AUTHORIZATION), t->digest, &len, EVP_sha256(), NULL) == 1);
        CHECK_OK(cert_acme_tls_alpn01_new(&t->cert, &t->key, name, t->digest, &err), &err);
        CHECK_OK(net_tls_acme_ctx_new(&t->pending.ctx, t->cert, t->key, &err), &err);
        t->pending.name = name;
        t->config = (struct net_tls_config){.select = tls_fixture_select, .select_arg = &t->pki};
        if (has_hook) {
                t->config.acme_select = acme_pending_select;
                t->config.acme_select_arg = &t->pending;
        }
        if (prepared) {
                CHECK_OK(net_tls_credentials_prepare(&t->pki.cred_a, &err), &err);
                CHECK_OK(net_tls_credentials_prepare(&t->pki.cred_b, &err), &err);
                CHECK_OK(net_tls_config_prepare(&t->config, &err), &err);
        }
}

static void acme_setup_free(struct acme_setup *t)
{
        net_tls_config_release(&t->config);
        net_tls_ctx_free(t->pending.ctx);
        cert_free(t->cert);
        key_free(t->key);
        tls_fixture_pki_free(&t->pki);
}

/* A validator's client (RFC 8737 3): it does not verify the self-signed certificate, offers alpn. */
static void acme_client_new(struct tls_fixture_client *c, int version, const char *sni, const char *alpn,
                            unsigned alpn_len)
{
        c->ctx = SSL_CTX_new(TLS_client_method());
        CHECK(c->ctx != NULL);
        CHECK(SSL_CTX_set_min_proto_version(c->ctx, version) == 1);
        CHECK(SSL_CTX_set_max_proto_version(c->ctx, version) == 1);
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
        CHECK(SSL_CTX_set_alpn_protos(c->ctx, (const unsigned char *)alpn, alpn_len) == 0);
        c->ssl = SSL_new(c->ctx);
        c->in = BIO_new(BIO_s_mem());
        c->out = BIO_new(BIO_s_mem());
        CHECK(c->ssl != NULL && c->in != NULL && c->out != NULL);
        BIO_set_mem_eof_return(c->in, -1);
        SSL_set_bio(c->ssl, c->in, c->out);
        SSL_set_connect_state(c->ssl);
        if (sni != NULL)
                CHECK(SSL_set_tlsext_host_name(c->ssl, sni) == 1);
}

static bool alpn_selected_is(const struct tls_fixture_client *c, const char *protocol)
{
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
        return alpn_len == strlen(protocol) && (alpn_len == 0 || memcmp(alpn, protocol, alpn_len) == 0);
}

/* check_validation_cert reads what a CA reads (RFC 8737 3) from the certificate the client got. */
static void check_validation_cert(const struct tls_fixture_client *c, const char *dns_name, const uint8_t ip[4],
                                  const uint8_t digest[32])
{
        X509 *peer = SSL_get1_peer_certificate(c->ssl);
        CHECK(peer != NULL);
        GENERAL_NAMES *names = X509_get_ext_d2i(peer, NID_subject_alt_name, NULL, NULL);
        CHECK(names != NULL && sk_GENERAL_NAME_num(names) == 1);
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, 0);
        if (dns_name != NULL) {
                CHECK_EQ(name->type, GEN_DNS);
                CHECK_EQ(ASN1_STRING_length(name->d.dNSName), strlen(dns_name));
                CHECK_MEM(ASN1_STRING_get0_data(name->d.dNSName), dns_name, strlen(dns_name));
        } else {
                CHECK_EQ(name->type, GEN_IPADD);
                CHECK_EQ(ASN1_STRING_length(name->d.iPAddress), 4);
                CHECK_MEM(ASN1_STRING_get0_data(name->d.iPAddress), ip, 4);
        }
        GENERAL_NAMES_free(names);
        ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
        int at = X509_get_ext_by_OBJ(peer, oid, -1);
        CHECK(at >= 0);
        CHECK_EQ(X509_get_ext_by_OBJ(peer, oid, at), -1);
        X509_EXTENSION *extension = X509_get_ext(peer, at);
        CHECK_EQ(X509_EXTENSION_get_critical(extension), 1);
        const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(extension);
        uint8_t want[34] = {0x04, 0x20}; /* DER OCTET STRING (SIZE (32)) */
        memcpy(want + 2, digest, 32);
        CHECK_EQ(ASN1_STRING_length(value), sizeof want);
        CHECK_MEM(ASN1_STRING_get0_data(value), want, sizeof want);
        /* Self-signed by its own key, as the certificate a client makes for itself. */
        CHECK_EQ(X509_check_issued(peer, peer), X509_V_OK);
        CHECK_EQ(X509_verify(peer, X509_get0_pubkey(peer)), 1);
        ASN1_OBJECT_free(oid);
        X509_free(peer);
}

static void acme_only_gets_validation_cert_once(int version, bool prepared)
{
        struct acme_setup t;
        struct net_tls_conn *s = NULL;
        struct tls_fixture_client c;
        struct err err = {0};
        bool client_ok = false;
        acme_setup_make(&t, "a.test", true, prepared);
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        acme_client_new(&c, version, "a.test", ACME_ALPN, ACME_ALPN_LEN);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        CHECK(net_tls_conn_is_acme(s));
        CHECK(alpn_selected_is(&c, "acme-tls/1"));
        CHECK(tls_fixture_peer_is(&c, t.cert));
        CHECK(!tls_fixture_peer_is(&c, t.pki.a));
        check_validation_cert(&c, "a.test", NULL, t.digest);
        CHECK(t.pending.num_calls >= 1);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        acme_setup_free(&t);
}

static void acme_only_gets_validation_cert(void)
{
        acme_only_gets_validation_cert_once(TLS1_2_VERSION, false);
        acme_only_gets_validation_cert_once(TLS1_2_VERSION, true);
        acme_only_gets_validation_cert_once(TLS1_3_VERSION, false);
        acme_only_gets_validation_cert_once(TLS1_3_VERSION, true);
}

/* RFC 8738 6: an IP is asked for by its reverse name in SNI, and the SAN is the address itself. */
static void acme_ip_literal_gets_ip_san(void)
{
        static const uint8_t ip[4] = {192, 0, 2, 7};
        struct acme_setup t;
        struct net_tls_conn *s = NULL;
        struct tls_fixture_client c;
        struct err err = {0};
        bool client_ok = false;
        acme_setup_make(&t, "192.0.2.7", true, true);
        t.pending.name = "7.2.0.192.in-addr.arpa";
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        acme_client_new(&c, TLS1_3_VERSION, "7.2.0.192.in-addr.arpa", ACME_ALPN, ACME_ALPN_LEN);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok && net_tls_conn_is_acme(s));
        check_validation_cert(&c, NULL, ip, t.digest);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        acme_setup_free(&t);
}

/* A name without a pending challenge, even a site's name, or no SNI at all: refused, never the site's
 * certificate under acme-tls/1. */
static void acme_unknown_name_refused_once(const char *sni, bool prepared)
{
        struct acme_setup t;
        struct net_tls_conn *s = NULL;
        struct tls_fixture_client c;
        struct err err = {0};
        bool client_ok = true, alert_seen = false;
        acme_setup_make(&t, "a.test", true, prepared);
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        acme_client_new(&c, TLS1_3_VERSION, sni, ACME_ALPN, ACME_ALPN_LEN);
        CHECK_STATUS(tls_fixture_handshake(&c, s, &client_ok, &alert_seen), TLCP_EHANDSHAKE_FAILURE);
        CHECK(!client_ok);
        CHECK(alert_seen);
        CHECK(!net_tls_conn_is_acme(s));
        CHECK(SSL_get0_peer_certificate(c.ssl) == NULL);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        acme_setup_free(&t);
}

static void acme_unknown_name_refused(void)
{
        acme_unknown_name_refused_once("b.example", false);
        acme_unknown_name_refused_once("localhost", true);
        acme_unknown_name_refused_once(NULL, true);
}

/* acme-tls/1 with http/1.1 is a browser-like client, not a validator: the site, verified, and http/1.1;
 * the hook is not even asked. */
static void acme_with_http_is_ordinary(void)
{
        struct acme_setup t;
        struct net_tls_conn *s = NULL;
        struct tls_fixture_client c;
        struct err err = {0};
        bool client_ok = false;
        acme_setup_make(&t, "localhost", true, true);
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        tls_fixture_client_new(&c, t.pki.ca, TLS1_3_VERSION, "localhost");
        CHECK(SSL_set_alpn_protos(c.ssl, (const unsigned char *)BOTH_ALPN, BOTH_ALPN_LEN) == 0);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        CHECK(tls_fixture_peer_is(&c, t.pki.a));
        CHECK(alpn_selected_is(&c, "http/1.1"));
        CHECK(!net_tls_conn_is_acme(s));
        CHECK_EQ(t.pending.num_calls, 0);
        tls_fixture_exchange(&c, s, 1000);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        acme_setup_free(&t);
}

/* Without the hook, acme-tls/1 alone is today's handshake: the site's certificate and no ALPN answer. */
static void acme_without_hook_is_unchanged(void)
{
        struct acme_setup t;
        struct net_tls_conn *s = NULL;
        struct tls_fixture_client c;
        struct err err = {0};
        bool client_ok = false;
        acme_setup_make(&t, "localhost", false, true);
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        acme_client_new(&c, TLS1_3_VERSION, "localhost", ACME_ALPN, ACME_ALPN_LEN);
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        CHECK(client_ok);
        CHECK(tls_fixture_peer_is(&c, t.pki.a));
        CHECK(alpn_selected_is(&c, ""));
        CHECK(!net_tls_conn_is_acme(s));
        CHECK_EQ(t.pending.num_calls, 0);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        acme_setup_free(&t);
}

/* A client holding a ticket from the site still gets a full handshake and the validation certificate. */
static void acme_does_not_resume_a_site_session_once(int version)
{
        struct acme_setup t;
        struct net_tls_conn *s = NULL;
        struct tls_fixture_client c, v;
        struct err err = {0};
        bool client_ok = false;
        acme_setup_make(&t, "localhost", true, true);
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        tls_fixture_client_new(&c, t.pki.ca, version, "localhost");
        CHECK_EQ(tls_fixture_handshake(&c, s, &client_ok, NULL), 0);
        tls_fixture_exchange(&c, s, 100); /* the client reads the TLS 1.3 tickets */
        SSL_SESSION *session = SSL_get1_session(c.ssl);
        CHECK(session != NULL && SSL_SESSION_is_resumable(session) == 1);
        net_tls_conn_free(s);
        CHECK_OK(net_tls_conn_new(&s, &t.config, &err), &err);
        acme_client_new(&v, version, "localhost", ACME_ALPN, ACME_ALPN_LEN);
        CHECK(SSL_set_session(v.ssl, session) == 1);
        CHECK_EQ(tls_fixture_handshake(&v, s, &client_ok, NULL), 0);
        CHECK(client_ok && net_tls_conn_is_acme(s));
        CHECK(!net_tls_conn_is_resumed(s));
        CHECK(tls_fixture_peer_is(&v, t.cert));
        SSL_SESSION_free(session);
        tls_fixture_client_free(&v);
        tls_fixture_client_free(&c);
        net_tls_conn_free(s);
        acme_setup_free(&t);
}

static void acme_does_not_resume_a_site_session(void)
{
        acme_does_not_resume_a_site_session_once(TLS1_2_VERSION);
        acme_does_not_resume_a_site_session_once(TLS1_3_VERSION);
}

static void acme_cert_refuses_an_empty_name(void)
{
        struct cert *cert = NULL;
        struct key *key = NULL;
        struct err err = {0};
        static const uint8_t digest[32] = {0};
        CHECK_STATUS(cert_acme_tls_alpn01_new(&cert, &key, "", digest, &err), SMT_EINVAL);
        CHECK(cert == NULL && key == NULL);
}

CHECK_MAIN(CHECK_TEST(acme_only_gets_validation_cert), CHECK_TEST(acme_ip_literal_gets_ip_san),
           CHECK_TEST(acme_unknown_name_refused), CHECK_TEST(acme_with_http_is_ordinary),
           CHECK_TEST(acme_without_hook_is_unchanged), CHECK_TEST(acme_does_not_resume_a_site_session),
           CHECK_TEST(acme_cert_refuses_an_empty_name))
