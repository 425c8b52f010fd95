/* tests/unit/tlcp/test_handshake_errors.c: handshakes that must fail, each with the status the failing side
 * returns and the alert the other side receives (alert.c's table): bad certificates in every way the issue
 * names, no common suite, wrong keys behind good certificates, SNI credentials. */
#include <string.h>

#include "check.h"
#include "handshake_fixture.h"
#include "tlcp/conn.h"

#define DAY (24 * 60 * 60)

static struct handshake_fixture_pki pki;

static void load_pki(void)
{
        if (pki.ca == NULL)
                handshake_fixture_pki_load(&pki);
}

/* A second PKI made here: a root, and a server pair for "localhost" with the shared server keys. */
struct other_pki {
        struct key *ca_key;
        struct cert *ca;
        struct cert *sign, *enc;
        struct cert_store *trust;
        struct tlcp_credentials server;
};

static void other_pki_make(struct other_pki *o, const char *name, time_t not_before, time_t not_after)
{
        struct err err = {0};
        CHECK_OK(key_generate(&o->ca_key, KEY_ALG_SM2, &err), &err);
        o->ca = handshake_fixture_issue(o->ca_key, NULL, NULL, "Other Root", true, 0,
                                        HANDSHAKE_FIXTURE_TIME - 100 * DAY, HANDSHAKE_FIXTURE_TIME + 100 * DAY);
        o->sign = handshake_fixture_issue(pki.server_sign_key, o->ca, o->ca_key, name, false,
                                          CERT_KEY_USAGE_DIGITAL_SIGNATURE, not_before, not_after);
        o->enc = handshake_fixture_issue(pki.server_enc_key, o->ca, o->ca_key, name, false,
                                         CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT, not_before,
                                         not_after);
        CHECK_OK(cert_store_new(&o->trust, &err), &err);
        CHECK_OK(cert_store_add(o->trust, o->ca, &err), &err);
        o->server = (struct tlcp_credentials){o->sign, o->enc, NULL, pki.server_sign_key, pki.server_enc_key};
}

static void other_pki_free(struct other_pki *o)
{
        key_free(o->ca_key);
        cert_free(o->ca);
        cert_free(o->sign);
        cert_free(o->enc);
        cert_store_free(o->trust);
}

/* expect_failure checks that the failing side returned status and the other one received alert. */
static void expect_failure(struct handshake_fixture *f, bool is_client_failing, int status, int alert)
{
        int failing = is_client_failing ? f->client_status : f->server_status;
        int other = is_client_failing ? f->server_status : f->client_status;
        struct tlcp_conn *receiver = is_client_failing ? f->server : f->client;
        if (failing != status)
                check_fail(__FILE__, __LINE__, "%s: got %s (%s), expected %s", is_client_failing ? "client" : "server",
                           err_name(failing), is_client_failing ? f->client_err.msg : f->server_err.msg,
                           err_name(status));
        CHECK_STATUS(other, TLCP_EPEER_ALERT);
        CHECK_EQ(tlcp_conn_get_alert_received(receiver), alert);
}

static void run_with_server(struct handshake_fixture *f, const struct tlcp_credentials *server)
{
        handshake_fixture_init(f, &pki);
        f->server_config.credentials = server;
        handshake_fixture_start(f);
        handshake_fixture_run(f);
}

/* The issue's case: a signing certificate offered where the encryption one belongs (and the reverse). */
static void test_signing_certificate_in_encryption_place(void)
{
        load_pki();
        struct handshake_fixture f;
        struct tlcp_credentials swapped = {pki.server_sign, pki.server_sign, NULL, pki.server_sign_key,
                                           pki.server_sign_key};
        run_with_server(&f, &swapped);
        expect_failure(&f, true, TLCP_EUNSUPPORTED_CERTIFICATE, TLCP_ALERT_UNSUPPORTED_CERTIFICATE);
        CHECK(strstr(f.client_err.msg, "encryption certificate") != NULL);
        handshake_fixture_cleanup(&f);

        struct tlcp_credentials reversed = {pki.server_enc, pki.server_sign, NULL, pki.server_enc_key,
                                            pki.server_sign_key};
        run_with_server(&f, &reversed);
        expect_failure(&f, true, TLCP_EUNSUPPORTED_CERTIFICATE, TLCP_ALERT_UNSUPPORTED_CERTIFICATE);
        CHECK(strstr(f.client_err.msg, "signing certificate") != NULL);
        handshake_fixture_cleanup(&f);
}

static void test_expired_chain(void)
{
        load_pki();
        struct other_pki o = {0};
        other_pki_make(&o, "localhost", HANDSHAKE_FIXTURE_TIME - 20 * DAY, HANDSHAKE_FIXTURE_TIME - 10 * DAY);
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        f.client_config.trust = o.trust;
        f.server_config.credentials = &o.server;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, true, TLCP_ECERTIFICATE_EXPIRED, TLCP_ALERT_CERTIFICATE_EXPIRED);
        handshake_fixture_cleanup(&f);
        other_pki_free(&o);
}

static void test_untrusted_chain(void)
{
        load_pki();
        struct other_pki o = {0};
        other_pki_make(&o, "localhost", HANDSHAKE_FIXTURE_TIME - DAY, HANDSHAKE_FIXTURE_TIME + DAY);
        struct handshake_fixture f;
        run_with_server(&f, &o.server);
        expect_failure(&f, true, TLCP_EUNKNOWN_CA, TLCP_ALERT_UNKNOWN_CA);
        handshake_fixture_cleanup(&f);

        /* The same untrusted server is fine for a client that does not verify. */
        handshake_fixture_init(&f, &pki);
        f.client_config.verify_peer = false;
        f.client_config.trust = NULL;
        f.server_config.credentials = &o.server;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        CHECK_EQ(f.client_status, 0);
        CHECK_EQ(f.server_status, 0);
        handshake_fixture_cleanup(&f);
        other_pki_free(&o);
}

/* A server checks a client pair against its own trust: an untrusted client gets unknown_ca. */
static void test_untrusted_client(void)
{
        load_pki();
        struct other_pki o = {0};
        other_pki_make(&o, "localhost", HANDSHAKE_FIXTURE_TIME - DAY, HANDSHAKE_FIXTURE_TIME + DAY);
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        f.client_config.client_credentials = &pki.client;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
        f.server_config.trust = o.trust;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, false, TLCP_EUNKNOWN_CA, TLCP_ALERT_UNKNOWN_CA);
        handshake_fixture_cleanup(&f);
        other_pki_free(&o);
}

/* tampered_copy returns cert with the last byte of its signature flipped: still well-formed DER. */
static struct cert *tampered_copy(const struct cert *cert)
{
        struct err err = {0};
        const uint8_t *der;
        size_t len;
        cert_der(cert, &der, &len);
        uint8_t copy[4096];
        CHECK(len <= sizeof copy);
        memcpy(copy, der, len);
        copy[len - 1] ^= 1;
        struct cert *tampered = NULL;
        CHECK_OK(cert_parse_der(&tampered, copy, len, &err), &err);
        return tampered;
}

/* A certificate whose signature does not verify is bad_certificate (RFC 5246 §7.2.2), not unknown_ca: the
 * issuer is known, the certificate was changed. Checked both ways (Tongsuo's client printed "alert unknown
 * ca" for a tampered client certificate before). */
static void test_tampered_certificate(void)
{
        load_pki();
        struct cert *sign = tampered_copy(pki.server_sign);
        struct tlcp_credentials server = pki.server;
        server.sign_cert = sign;
        struct handshake_fixture f;
        run_with_server(&f, &server);
        expect_failure(&f, true, TLCP_EBAD_CERTIFICATE, TLCP_ALERT_BAD_CERTIFICATE);
        CHECK(strstr(f.client_err.msg, "signature") != NULL);
        handshake_fixture_cleanup(&f);
        cert_free(sign);

        struct cert *enc = tampered_copy(pki.client_enc);
        struct tlcp_credentials client = pki.client;
        client.enc_cert = enc;
        handshake_fixture_init(&f, &pki);
        f.client_config.client_credentials = &client;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
        f.server_config.trust = pki.trust;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, false, TLCP_EBAD_CERTIFICATE, TLCP_ALERT_BAD_CERTIFICATE);
        CHECK(strstr(f.server_err.msg, "client encryption certificate") != NULL);
        handshake_fixture_cleanup(&f);
        cert_free(enc);
}

static void test_wrong_host_name(void)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        f.client_config.server_name = "www.example.com";
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, true, TLCP_EBAD_CERTIFICATE, TLCP_ALERT_BAD_CERTIFICATE);
        CHECK(strstr(f.client_err.msg, "www.example.com") != NULL);
        handshake_fixture_cleanup(&f);
}

static void test_no_common_suite(void)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        uint16_t client_suites[] = {TLCP_ECC_SM4_CBC_SM3}, server_suites[] = {TLCP_ECC_SM4_GCM_SM3};
        f.client_config.suites = client_suites;
        f.client_config.num_suites = 1;
        f.server_config.suites = server_suites;
        f.server_config.num_suites = 1;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, false, TLCP_EHANDSHAKE_FAILURE, TLCP_ALERT_HANDSHAKE_FAILURE);
        CHECK(strstr(f.server_err.msg, "0xe013") != NULL);
        handshake_fixture_cleanup(&f);

        /* ECDHE offered, but the server does not ask for client certificates, so it cannot take it. */
        uint16_t ecdhe[] = {TLCP_ECDHE_SM4_GCM_SM3};
        handshake_fixture_init(&f, &pki);
        f.client_config.suites = ecdhe;
        f.client_config.num_suites = 1;
        f.client_config.client_credentials = &pki.client;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, false, TLCP_EHANDSHAKE_FAILURE, TLCP_ALERT_HANDSHAKE_FAILURE);
        handshake_fixture_cleanup(&f);
}

/* Good certificates with the wrong private keys behind them fail where each key is used. */
static void test_keys_not_matching_certificates(void)
{
        load_pki();
        struct handshake_fixture f;
        /* A signing key that is not the signing certificate's: ServerKeyExchange does not verify. */
        struct tlcp_credentials bad_sign = {pki.server_sign, pki.server_enc, NULL, pki.client_sign_key,
                                            pki.server_enc_key};
        run_with_server(&f, &bad_sign);
        expect_failure(&f, true, TLCP_EDECRYPT_ERROR, TLCP_ALERT_DECRYPT_ERROR);
        CHECK(strstr(f.client_err.msg, "server_key_exchange: signature does not verify with the server signing "
                                       "certificate (C=CN, O=SM2 Test Bench, CN=localhost)") != NULL);
        handshake_fixture_cleanup(&f);

        /* An encryption key that is not the encryption certificate's: the pre-master secret does not decrypt,
         * the server goes on with a random one, and the client's Finished record fails (RFC 5246 §7.4.7.1). */
        struct tlcp_credentials bad_enc = {pki.server_sign, pki.server_enc, NULL, pki.server_sign_key,
                                           pki.client_enc_key};
        run_with_server(&f, &bad_enc);
        expect_failure(&f, false, TLCP_EBAD_RECORD_MAC, TLCP_ALERT_BAD_RECORD_MAC);
        handshake_fixture_cleanup(&f);

        /* A client signing key that is not its certificate's: CertificateVerify fails in both forms. */
        struct tlcp_credentials bad_client = {pki.client_sign, pki.client_enc, NULL, pki.server_sign_key,
                                              pki.client_enc_key};
        handshake_fixture_init(&f, &pki);
        f.client_config.client_credentials = &bad_client;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
        f.server_config.trust = pki.trust;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_failure(&f, false, TLCP_EDECRYPT_ERROR, TLCP_ALERT_DECRYPT_ERROR);
        CHECK(strstr(f.server_err.msg, "certificate_verify") != NULL);
        handshake_fixture_cleanup(&f);
}

/* SNI: the select callback picks a credential set per name; the client's host check proves which. */
struct sites {
        struct other_pki a, b;
};

static int select_site(void *arg, const char *server_name, const struct tlcp_credentials **out)
{
        struct sites *sites = arg;
        if (server_name != NULL && strcmp(server_name, "a.example") == 0)
                *out = &sites->a.server;
        else if (server_name != NULL && strcmp(server_name, "b.example") == 0)
                *out = &sites->b.server;
        else
                return TLCP_EUNSUPPORTED_SITE;
        return SMT_OK;
}

static void connect_site(struct sites *sites, const char *name, const struct cert_store *trust,
                         struct handshake_fixture *f)
{
        handshake_fixture_init(f, &pki);
        f->client_config.server_name = name;
        f->client_config.trust = trust;
        f->server_config.credentials = NULL;
        f->server_config.select = select_site;
        f->server_config.select_arg = sites;
        handshake_fixture_start(f);
        handshake_fixture_run(f);
}

static void test_sni_selects_credentials(void)
{
        load_pki();
        struct sites sites = {0};
        other_pki_make(&sites.a, "a.example", HANDSHAKE_FIXTURE_TIME - DAY, HANDSHAKE_FIXTURE_TIME + DAY);
        other_pki_make(&sites.b, "b.example", HANDSHAKE_FIXTURE_TIME - DAY, HANDSHAKE_FIXTURE_TIME + DAY);
        struct handshake_fixture f;
        connect_site(&sites, "a.example", sites.a.trust, &f);
        CHECK_EQ(f.client_status, 0);
        CHECK_STR(tlcp_conn_get_server_name(f.server), "a.example");
        handshake_fixture_cleanup(&f);
        connect_site(&sites, "b.example", sites.b.trust, &f);
        CHECK_EQ(f.client_status, 0);
        CHECK_STR(tlcp_conn_get_server_name(f.server), "b.example");
        handshake_fixture_cleanup(&f);
        /* b's pair is not trusted through a's root: the callback really switched pairs. */
        connect_site(&sites, "b.example", sites.a.trust, &f);
        expect_failure(&f, true, TLCP_EUNKNOWN_CA, TLCP_ALERT_UNKNOWN_CA);
        handshake_fixture_cleanup(&f);
        connect_site(&sites, "c.example", sites.a.trust, &f);
        expect_failure(&f, false, TLCP_EUNSUPPORTED_SITE, TLCP_ALERT_HANDSHAKE_FAILURE);
        CHECK(strstr(f.server_err.msg, "c.example") != NULL);
        handshake_fixture_cleanup(&f);
        other_pki_free(&sites.a);
        other_pki_free(&sites.b);
}

/* Configurations that cannot work are refused when the connection is made. */
static void test_bad_configurations(void)
{
        load_pki();
        struct err err = {0};
        struct tlcp_conn *conn = NULL;
        struct tlcp_config config;
        tlcp_config_init(&config, TLCP_ROLE_CLIENT);
        CHECK_STATUS(tlcp_conn_new(&conn, &config, &err), SMT_EINVAL); /* verify_peer without trust */
        tlcp_config_init(&config, TLCP_ROLE_SERVER);
        CHECK_STATUS(tlcp_conn_new(&conn, &config, &err), SMT_EINVAL); /* no credentials */
        config.credentials = &pki.server;
        config.client_auth = TLCP_CLIENT_AUTH_OPTIONAL;
        CHECK_STATUS(tlcp_conn_new(&conn, &config, &err), SMT_EINVAL); /* client auth without trust */
        uint16_t unknown[] = {0xC02F};
        config.client_auth = TLCP_CLIENT_AUTH_NONE;
        config.suites = unknown;
        config.num_suites = 1;
        CHECK_STATUS(tlcp_conn_new(&conn, &config, &err), SMT_EINVAL);
        struct tlcp_credentials public_only = pki.server;
        public_only.enc_key = NULL;
        config.suites = NULL;
        config.credentials = &public_only;
        CHECK_STATUS(tlcp_conn_new(&conn, &config, &err), SMT_EINVAL);
        uint16_t ecdhe[] = {TLCP_ECDHE_SM4_GCM_SM3};
        tlcp_config_init(&config, TLCP_ROLE_CLIENT);
        config.trust = pki.trust;
        config.suites = ecdhe;
        config.num_suites = 1;
        CHECK_STATUS(tlcp_conn_new(&conn, &config, &err), SMT_EINVAL); /* ECDHE only, no client pair */
        CHECK(conn == NULL);
}

static void test_cleanup(void)
{
        handshake_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_signing_certificate_in_encryption_place), CHECK_TEST(test_expired_chain),
           CHECK_TEST(test_untrusted_chain), CHECK_TEST(test_untrusted_client), CHECK_TEST(test_tampered_certificate),
           CHECK_TEST(test_wrong_host_name), CHECK_TEST(test_no_common_suite),
           CHECK_TEST(test_keys_not_matching_certificates), CHECK_TEST(test_sni_selects_credentials),
           CHECK_TEST(test_bad_configurations), CHECK_TEST(test_cleanup))
