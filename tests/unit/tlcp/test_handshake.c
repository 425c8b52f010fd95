/* tests/unit/tlcp/test_handshake.c: whole TLCP handshakes between our client and our server in memory, for
 * every suite, with and without client authentication, then application data both ways. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "handshake_fixture.h"
#include "tlcp/conn.h"
#include "tlcp/handshake.h"
#include "tlcp/messages.h"
#include "vectors.h"

static struct handshake_fixture_pki pki;

static void load_pki(void)
{
        if (pki.ca == NULL)
                handshake_fixture_pki_load(&pki);
}

/* expect_established checks both sides completed with suite id and agree on what they saw. */
static void expect_established(struct handshake_fixture *f, uint16_t id)
{
        if (f->client_status != 0 || f->server_status != 0)
                check_fail(__FILE__, __LINE__, "handshake: client %s (%s), server %s (%s)", err_name(f->client_status),
                           f->client_err.msg, err_name(f->server_status), f->server_err.msg);
        CHECK(tlcp_conn_get_suite(f->client) != NULL);
        CHECK_EQ(tlcp_conn_get_suite(f->client)->id, id);
        CHECK_EQ(tlcp_conn_get_suite(f->server)->id, id);
        CHECK(!tlcp_conn_is_resumed(f->client));
        CHECK(!tlcp_conn_is_resumed(f->server));
        CHECK(tlcp_conn_get_peer_sign_cert(f->client) != NULL);
        CHECK(tlcp_conn_get_peer_enc_cert(f->client) != NULL);
        CHECK_STR(tlcp_conn_get_server_name(f->server), "localhost");
}

/* exchange sends len bytes from one side to the other and checks they arrive unchanged. */
static void exchange(struct handshake_fixture *f, struct tlcp_conn *from, struct tlcp_conn *to, size_t len)
{
        struct err err = {0};
        uint8_t *sent = malloc(len), *received = malloc(len);
        CHECK(sent != NULL && received != NULL);
        for (size_t i = 0; i < len; i++)
                sent[i] = (uint8_t)(i * 7 + len);
        CHECK_OK(tlcp_conn_write(from, sent, len, &err), &err);
        handshake_fixture_transfer(f);
        CHECK_OK(handshake_fixture_read(f, to, received, len, &err), &err);
        CHECK_MEM(sent, received, len);
        free(sent);
        free(received);
}

static void run_suite(uint16_t id, enum tlcp_client_auth client_auth, bool has_client_credentials)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        uint16_t suites[] = {id};
        f.client_config.suites = suites;
        f.client_config.num_suites = 1;
        f.client_config.client_credentials = has_client_credentials ? &pki.client : NULL;
        f.server_config.client_auth = client_auth;
        f.server_config.trust = pki.trust;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_established(&f, id);
        bool is_authenticated = has_client_credentials && client_auth != TLCP_CLIENT_AUTH_NONE;
        CHECK_EQ(tlcp_conn_get_peer_sign_cert(f.server) != NULL, is_authenticated);
        exchange(&f, f.client, f.server, 35);
        exchange(&f, f.server, f.client, 1000);
        handshake_fixture_cleanup(&f);
}

static void test_ecc_sm4_gcm_sm3(void)
{
        run_suite(TLCP_ECC_SM4_GCM_SM3, TLCP_CLIENT_AUTH_NONE, false);
}

static void test_ecc_sm4_cbc_sm3(void)
{
        run_suite(TLCP_ECC_SM4_CBC_SM3, TLCP_CLIENT_AUTH_NONE, false);
}

static void test_ecdhe_sm4_gcm_sm3(void)
{
        run_suite(TLCP_ECDHE_SM4_GCM_SM3, TLCP_CLIENT_AUTH_OPTIONAL, true);
}

static void test_ecdhe_sm4_cbc_sm3(void)
{
        run_suite(TLCP_ECDHE_SM4_CBC_SM3, TLCP_CLIENT_AUTH_REQUIRED, true);
}

static void test_ecc_client_auth_required(void)
{
        run_suite(TLCP_ECC_SM4_GCM_SM3, TLCP_CLIENT_AUTH_REQUIRED, true);
        run_suite(TLCP_ECC_SM4_CBC_SM3, TLCP_CLIENT_AUTH_REQUIRED, true);
}

/* Optional client authentication: a client with a pair authenticates, one without goes on unauthenticated. */
static void test_ecc_client_auth_optional(void)
{
        run_suite(TLCP_ECC_SM4_GCM_SM3, TLCP_CLIENT_AUTH_OPTIONAL, true);
        run_suite(TLCP_ECC_SM4_GCM_SM3, TLCP_CLIENT_AUTH_OPTIONAL, false);
}

/* A client that has a pair but is not asked sends none. */
static void test_ecc_client_credentials_not_asked(void)
{
        run_suite(TLCP_ECC_SM4_CBC_SM3, TLCP_CLIENT_AUTH_NONE, true);
}

/* Required client authentication and a client without certificates: handshake_failure at the server. */
static void test_ecc_client_auth_required_without_certificates(void)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
        f.server_config.trust = pki.trust;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        CHECK_STATUS(f.server_status, TLCP_EHANDSHAKE_FAILURE);
        CHECK_STATUS(f.client_status, TLCP_EPEER_ALERT);
        CHECK_EQ(tlcp_conn_get_alert_received(f.client), TLCP_ALERT_HANDSHAKE_FAILURE);
        handshake_fixture_cleanup(&f);
}

/* Application data larger than a record is split into records of 2^14 bytes and comes out whole; many
 * writes and partial reads work too. */
static void test_bulk_application_data(void)
{
        for (size_t i = 0; i < 2; i++) {
                load_pki();
                struct handshake_fixture f;
                handshake_fixture_init(&f, &pki);
                uint16_t suites[] = {i == 0 ? TLCP_ECC_SM4_GCM_SM3 : TLCP_ECC_SM4_CBC_SM3};
                f.client_config.suites = suites;
                f.client_config.num_suites = 1;
                handshake_fixture_start(&f);
                handshake_fixture_run(&f);
                expect_established(&f, suites[0]);
                exchange(&f, f.client, f.server, 100 * 1024);
                exchange(&f, f.server, f.client, 100 * 1024);
                exchange(&f, f.server, f.client, 16384);
                exchange(&f, f.client, f.server, 16385);
                exchange(&f, f.client, f.server, 1);
                handshake_fixture_cleanup(&f);
        }
}

/* The server's preference wins among the suites the client offers; without client authentication the
 * server never picks ECDHE, which needs a client pair. */
static void test_server_preference(void)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        uint16_t client_suites[] = {TLCP_ECDHE_SM4_GCM_SM3, TLCP_ECC_SM4_GCM_SM3, TLCP_ECC_SM4_CBC_SM3};
        uint16_t server_suites[] = {TLCP_ECDHE_SM4_CBC_SM3, TLCP_ECDHE_SM4_GCM_SM3, TLCP_ECC_SM4_CBC_SM3,
                                    TLCP_ECC_SM4_GCM_SM3};
        f.client_config.suites = client_suites;
        f.client_config.num_suites = 3;
        f.client_config.client_credentials = &pki.client;
        f.server_config.suites = server_suites;
        f.server_config.num_suites = 4;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_established(&f, TLCP_ECC_SM4_CBC_SM3);
        handshake_fixture_cleanup(&f);

        handshake_fixture_init(&f, &pki);
        f.client_config.suites = client_suites;
        f.client_config.num_suites = 3;
        f.client_config.client_credentials = &pki.client;
        f.server_config.suites = server_suites;
        f.server_config.num_suites = 4;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_OPTIONAL;
        f.server_config.trust = pki.trust;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        expect_established(&f, TLCP_ECDHE_SM4_GCM_SM3);
        CHECK(tlcp_conn_get_peer_enc_cert(f.server) != NULL);
        handshake_fixture_cleanup(&f);
}

/* Default configurations on both sides agree on the first suite of tlcp_suite_all. */
static void test_default_suites(void)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        size_t n;
        expect_established(&f, tlcp_suite_all(&n)[0].id);
        handshake_fixture_cleanup(&f);
}

/* A client in either ECDHE wire form (Tongsuo: bare ClientKeyExchange, CertificateVerify over SM3 of the
 * messages; GmSSL: uint16-prefixed, over the raw messages) completes with our server, for ECDHE and for ECC
 * with client authentication; the server saw the form the client sent. */
static void test_both_client_forms(void)
{
        load_pki();
        const uint16_t suites[] = {TLCP_ECDHE_SM4_GCM_SM3, TLCP_ECDHE_SM4_CBC_SM3, TLCP_ECC_SM4_GCM_SM3};
        const enum tlcp_ecdhe_form forms[] = {TLCP_ECDHE_FORM_TONGSUO, TLCP_ECDHE_FORM_GMSSL};
        for (size_t i = 0; i < 3; i++) {
                for (size_t j = 0; j < 2; j++) {
                        struct handshake_fixture f;
                        handshake_fixture_init(&f, &pki);
                        uint16_t suite[] = {suites[i]};
                        f.client_config.suites = suite;
                        f.client_config.num_suites = 1;
                        f.client_config.client_credentials = &pki.client;
                        f.client_config.ecdhe_form = forms[j];
                        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
                        f.server_config.trust = pki.trust;
                        handshake_fixture_start(&f);
                        handshake_fixture_run(&f);
                        expect_established(&f, suites[i]);
                        CHECK(tlcp_conn_get_peer_sign_cert(f.server) != NULL);
                        if (i < 2)
                                CHECK_EQ(f.server->client_key_exchange_form,
                                         forms[j] == TLCP_ECDHE_FORM_GMSSL
                                             ? TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED
                                             : TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE);
                        exchange(&f, f.client, f.server, 100);
                        handshake_fixture_cleanup(&f);
                }
        }
}

/* server_first_flight runs the client's ClientHello through the server and returns the body of the
 * handshake message of type in the server's plaintext first flight (malloc'ed into *storage). */
static struct buf_reader server_first_flight(struct handshake_fixture *f, uint8_t type, uint8_t **storage)
{
        struct err err = {0};
        CHECK_STATUS(tlcp_conn_handshake(f->client, &err), SMT_EAGAIN);
        handshake_fixture_transfer(f);
        size_t consumed = 0;
        CHECK_OK(tlcp_conn_put_input(f->server, f->to_server.data, f->to_server.len, &consumed, &err), &err);
        CHECK_EQ(consumed, f->to_server.len);
        f->to_server.len = 0;
        CHECK_STATUS(tlcp_conn_handshake(f->server, &err), SMT_EAGAIN);
        handshake_fixture_transfer(f);
        /* the records' fragments are the handshake stream: nothing is protected before ChangeCipherSpec */
        struct buf_reader wire = buf_reader_make(f->to_client.data, f->to_client.len), fragment, message;
        *storage = malloc(f->to_client.len);
        CHECK(*storage != NULL);
        size_t len = 0;
        while (!buf_reader_is_empty(&wire)) {
                uint8_t record_type;
                uint16_t version;
                CHECK_EQ(buf_read_u8(&wire, &record_type), SMT_OK);
                CHECK_EQ(record_type, TLCP_CONTENT_HANDSHAKE);
                CHECK_EQ(buf_read_u16(&wire, &version), SMT_OK);
                CHECK_EQ(buf_read_u16_vector(&wire, &fragment), SMT_OK);
                memcpy(*storage + len, fragment.data, fragment.len);
                len += fragment.len;
        }
        struct buf_reader stream = buf_reader_make(*storage, len);
        while (!buf_reader_is_empty(&stream)) {
                uint8_t message_type = 0;
                CHECK_EQ(buf_read_u8(&stream, &message_type), SMT_OK);
                CHECK_EQ(buf_read_u24_vector(&stream, &message), SMT_OK);
                if (message_type == type)
                        return message;
        }
        check_fail(__FILE__, __LINE__, "the server's first flight has no handshake message %u", type);
        return message;
}

/* The CertificateRequest names the trusted root by its DER subject (RFC 5246 §7.4.4): GmSSL's client
 * answers only when the issuer of its chain's last certificate is listed. The list is byte-equal to the
 * one Tongsuo's server sent with the same CA file (vector 03). */
static void test_certificate_request_names_trusted_roots(void)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        f.client_config.client_credentials = &pki.client;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
        f.server_config.trust = pki.trust;
        handshake_fixture_start(&f);
        uint8_t *storage = NULL;
        struct buf_reader body = server_first_flight(&f, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, &storage);
        struct err err = {0};
        struct tlcp_certificate_request request;
        CHECK_OK(tlcp_certificate_request_parse(&request, &body, &err), &err);
        CHECK_EQ(request.num_certificate_authorities, 1);
        struct buf_reader cursor = request.certificate_authorities, name;
        CHECK(tlcp_certificate_request_next_authority(&cursor, &name));
        const uint8_t *ca_subject;
        size_t ca_subject_len;
        CHECK_OK(cert_subject_der(pki.ca, &ca_subject, &ca_subject_len, &err), &err);
        CHECK_EQ(name.len, ca_subject_len);
        CHECK_MEM(name.data, ca_subject, ca_subject_len);

        struct tlcp_vector v;
        tlcp_vector_load(&v, "03-tongsuo-tongsuo-ecdhe-sm4-cbc-sm3.json");
        size_t num_compared = 0;
        for (size_t i = 0; i < v.num_messages; i++) {
                if (v.messages[i].msg_type != TLCP_HANDSHAKE_CERTIFICATE_REQUEST)
                        continue;
                struct buf_reader theirs = buf_reader_make(v.messages[i].data + 4, v.messages[i].len - 4);
                struct tlcp_certificate_request tongsuo;
                CHECK_OK(tlcp_certificate_request_parse(&tongsuo, &theirs, &err), &err);
                CHECK_EQ(tongsuo.certificate_authorities.len, request.certificate_authorities.len);
                CHECK_MEM(tongsuo.certificate_authorities.data, request.certificate_authorities.data,
                          request.certificate_authorities.len);
                num_compared++;
        }
        CHECK_EQ(num_compared, 1);
        tlcp_vector_free(&v);
        free(storage);
        /* the client still authenticates against it */
        handshake_fixture_run(&f);
        CHECK_OK(f.server_status, &f.server_err);
        CHECK_OK(f.client_status, &f.client_err);
        CHECK(tlcp_conn_get_peer_sign_cert(f.server) != NULL);
        handshake_fixture_cleanup(&f);
}

/* A store of many roots names the first 64 only, in the store's order, and clients still get through. */
static void test_certificate_request_is_capped(void)
{
        load_pki();
        struct err err = {0};
        struct key *key = NULL;
        struct cert_store *trust = NULL;
        CHECK_OK(key_generate(&key, KEY_ALG_SM2, &err), &err);
        CHECK_OK(cert_store_new(&trust, &err), &err);
        CHECK_OK(cert_store_add(trust, pki.ca, &err), &err);
        for (int i = 0; i < 70; i++) {
                char name[32];
                snprintf(name, sizeof name, "Extra Root %d", i);
                struct cert *root = handshake_fixture_issue(key, NULL, NULL, name, true, 0, HANDSHAKE_FIXTURE_TIME - 60,
                                                            HANDSHAKE_FIXTURE_TIME + 86400);
                CHECK_OK(cert_store_add(trust, root, &err), &err);
                cert_free(root);
        }
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        f.client_config.client_credentials = &pki.client;
        f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
        f.server_config.trust = trust;
        handshake_fixture_start(&f);
        uint8_t *storage = NULL;
        struct buf_reader body = server_first_flight(&f, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, &storage);
        struct tlcp_certificate_request request;
        CHECK_OK(tlcp_certificate_request_parse(&request, &body, &err), &err);
        CHECK_EQ(request.num_certificate_authorities, 64);
        struct buf_reader cursor = request.certificate_authorities, name;
        for (size_t i = 0; tlcp_certificate_request_next_authority(&cursor, &name); i++) {
                const uint8_t *expected;
                size_t expected_len;
                CHECK_OK(cert_subject_der(cert_store_get(trust, i), &expected, &expected_len, &err), &err);
                CHECK_EQ(name.len, expected_len);
                CHECK_MEM(name.data, expected, expected_len);
        }
        free(storage);
        handshake_fixture_run(&f);
        CHECK_OK(f.server_status, &f.server_err);
        CHECK_OK(f.client_status, &f.client_err);
        handshake_fixture_cleanup(&f);
        cert_store_free(trust);
        key_free(key);
}

/* GmSSL's client, asked for certificates under an ECC suite, sends [signing certificate, CA] and no
 * encryption certificate (captured against tlcp-server: its Certificate body is exactly those two DERs).
 * Credentials whose second certificate is the CA make our client send the same list. The server takes it
 * for the ECC suites, which use only the client's signing key, and still refuses it for ECDHE. */
static void test_client_sends_signing_certificate_only(void)
{
        load_pki();
        struct tlcp_credentials gmssl_like = pki.client;
        gmssl_like.enc_cert = pki.ca;
        const uint16_t suites[] = {TLCP_ECC_SM4_GCM_SM3, TLCP_ECC_SM4_CBC_SM3, TLCP_ECDHE_SM4_GCM_SM3};
        for (size_t i = 0; i < 3; i++) {
                struct handshake_fixture f;
                handshake_fixture_init(&f, &pki);
                uint16_t suite[] = {suites[i]};
                f.client_config.suites = suite;
                f.client_config.num_suites = 1;
                f.client_config.client_credentials = &gmssl_like;
                f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
                f.server_config.trust = pki.trust;
                handshake_fixture_start(&f);
                handshake_fixture_run(&f);
                if (suites[i] == TLCP_ECDHE_SM4_GCM_SM3) {
                        CHECK_STATUS(f.server_status, TLCP_EUNSUPPORTED_CERTIFICATE);
                        CHECK(strstr(f.server_err.msg, "client encryption certificate") != NULL);
                        handshake_fixture_cleanup(&f);
                        continue;
                }
                expect_established(&f, suites[i]);
                char subject[CERT_NAME_TEXT_MAX];
                struct err err = {0};
                CHECK_OK(cert_subject_text(tlcp_conn_get_peer_sign_cert(f.server), subject, sizeof subject, &err),
                         &err);
                CHECK_STR(subject, "C=CN, O=SM2 Test Bench, CN=tlcp-client");
                CHECK(tlcp_conn_get_peer_enc_cert(f.server) == NULL);
                exchange(&f, f.client, f.server, 35);
                handshake_fixture_cleanup(&f);
        }
}

/* Under an ECC suite with client authentication the GmSSL form sends the signing certificate and its chain
 * (a GmSSL server refuses an encryption certificate in second place) and the Tongsuo form the pair; our
 * server authenticates both. */
static void test_ecc_client_certificates_follow_the_form(void)
{
        load_pki();
        struct cert_chain *chain = NULL;
        struct cert *ca_copy = NULL;
        struct err err = {0};
        CHECK_OK(cert_chain_new(&chain, &err), &err);
        CHECK_OK(cert_dup(&ca_copy, pki.ca, &err), &err);
        CHECK_OK(cert_chain_append(chain, ca_copy, &err), &err);
        struct tlcp_credentials with_chain = pki.client;
        with_chain.chain = chain;
        const enum tlcp_ecdhe_form forms[] = {TLCP_ECDHE_FORM_TONGSUO, TLCP_ECDHE_FORM_GMSSL};
        for (size_t i = 0; i < 2; i++) {
                struct handshake_fixture f;
                handshake_fixture_init(&f, &pki);
                uint16_t suite[] = {TLCP_ECC_SM4_CBC_SM3};
                f.client_config.suites = suite;
                f.client_config.num_suites = 1;
                f.client_config.client_credentials = &with_chain;
                f.client_config.ecdhe_form = forms[i];
                f.server_config.client_auth = TLCP_CLIENT_AUTH_REQUIRED;
                f.server_config.trust = pki.trust;
                handshake_fixture_start(&f);
                handshake_fixture_run(&f);
                expect_established(&f, TLCP_ECC_SM4_CBC_SM3);
                CHECK(tlcp_conn_get_peer_sign_cert(f.server) != NULL);
                CHECK_EQ(tlcp_conn_get_peer_enc_cert(f.server) != NULL, forms[i] == TLCP_ECDHE_FORM_TONGSUO);
                CHECK_EQ(cert_chain_count(f.server->peer.chain), 1);
                exchange(&f, f.client, f.server, 35);
                handshake_fixture_cleanup(&f);
        }
        cert_chain_free(chain);
}

static void test_cleanup(void)
{
        handshake_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_ecc_sm4_gcm_sm3), CHECK_TEST(test_ecc_sm4_cbc_sm3), CHECK_TEST(test_ecdhe_sm4_gcm_sm3),
           CHECK_TEST(test_ecdhe_sm4_cbc_sm3), CHECK_TEST(test_ecc_client_auth_required),
           CHECK_TEST(test_ecc_client_auth_optional), CHECK_TEST(test_ecc_client_credentials_not_asked),
           CHECK_TEST(test_ecc_client_auth_required_without_certificates), CHECK_TEST(test_bulk_application_data),
           CHECK_TEST(test_server_preference), CHECK_TEST(test_default_suites), CHECK_TEST(test_both_client_forms),
           CHECK_TEST(test_certificate_request_names_trusted_roots), CHECK_TEST(test_certificate_request_is_capped),
           CHECK_TEST(test_client_sends_signing_certificate_only),
           CHECK_TEST(test_ecc_client_certificates_follow_the_form), CHECK_TEST(test_cleanup))
