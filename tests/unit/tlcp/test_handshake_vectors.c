/* tests/unit/tlcp/test_handshake_vectors.c: our handshake against the recorded Tongsuo and GmSSL connections
 * (vectors/tlcp/, README.md there). Fresh randoms make a whole replay impossible, so each test goes as far
 * as the recording allows:
 * - our client reads each recorded server flight, with the recorded client random put in its place: it
 *   verifies the certificates and the ServerKeyExchange signature (ECC over the encryption certificate,
 *   ECDHE over the point), reads CertificateRequest, skips Tongsuo's NewSessionTicket, and fails only at
 *   the server's Finished record, whose keys come from another pre-master secret;
 * - our server reads each recorded client flight: it decrypts Tongsuo's and GmSSL's ECC ClientKeyExchange
 *   to the recorded pre-master secret, and reads both ECDHE ClientKeyExchange forms;
 * - our CertificateVerify check accepts the recorded signatures in both forms (Tongsuo's over
 *   SM3(handshake_messages), GmSSL's over the raw messages), whichever form it tries first. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "handshake_fixture.h"
#include "tlcp/conn.h"
#include "tlcp/handshake.h"
#include "tlcp/key_schedule.h"
#include "vectors.h"

static struct handshake_fixture_pki pki;

static void load_pki(void)
{
        if (pki.ca == NULL)
                handshake_fixture_pki_load(&pki);
}

/* feed_record gives one recorded record to conn and runs its handshake; returns the handshake status. */
static int feed_record(struct tlcp_conn *conn, const struct tlcp_vector_record *r, struct err *err)
{
        size_t len = TLCP_RECORD_HEADER_LEN + r->fragment_len, at = 0;
        uint8_t *bytes = malloc(len);
        CHECK(bytes != NULL);
        const uint8_t header[] = {r->type, (uint8_t)(r->version >> 8), (uint8_t)r->version,
                                  (uint8_t)(r->fragment_len >> 8), (uint8_t)r->fragment_len};
        memcpy(bytes, header, sizeof header);
        memcpy(bytes + sizeof header, r->fragment, r->fragment_len);
        int status = SMT_EAGAIN;
        while (at < len && status == SMT_EAGAIN) {
                size_t consumed = 0;
                CHECK_OK(tlcp_conn_put_input(conn, bytes + at, len - at, &consumed, err), err);
                at += consumed;
                status = tlcp_conn_handshake(conn, err);
        }
        free(bytes);
        return status;
}

static void discard_output(struct tlcp_conn *conn)
{
        const uint8_t *data;
        tlcp_conn_consume_output(conn, tlcp_conn_peek_output(conn, &data));
}

static bool is_ecdhe(const struct tlcp_vector *v)
{
        return v->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE;
}

/* Our client against each recorded server flight (see the file comment). */
static void test_client_reads_recorded_server_flights(void)
{
        load_pki();
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct err err = {0};
                struct tlcp_config config;
                tlcp_config_init(&config, TLCP_ROLE_CLIENT);
                uint16_t suites[] = {(uint16_t)v.suite->id};
                config.suites = suites;
                config.num_suites = 1;
                config.trust = pki.trust;
                config.server_name = "localhost";
                config.verify_time = HANDSHAKE_FIXTURE_TIME;
                config.client_credentials = is_ecdhe(&v) ? &pki.client : NULL;
                struct tlcp_conn *client = NULL;
                CHECK_OK(tlcp_conn_new(&client, &config, &err), &err);
                CHECK_STATUS(tlcp_conn_handshake(client, &err), SMT_EAGAIN);
                memcpy(client->client_random, v.client_random, TLCP_RANDOM_LEN);
                int status = SMT_EAGAIN;
                for (size_t r = 0; r < v.num_records && status == SMT_EAGAIN; r++) {
                        if (v.records[r].is_from_client)
                                continue;
                        if (v.records[r].is_protected) /* the server's Finished: now the client must have sent */
                                CHECK(client->previous_step == TLCP_STEP_SERVER_CHANGE_CIPHER_SPEC);
                        discard_output(client);
                        status = feed_record(client, &v.records[r], &err);
                }
                if (status != TLCP_EBAD_RECORD_MAC)
                        check_fail(__FILE__, __LINE__, "%s: %s (%s), expected the server Finished record to fail",
                                   v.name, err_name(status), err.msg);
                CHECK(strstr(err.msg, "server finished") != NULL);
                CHECK(tlcp_conn_get_peer_enc_cert(client) != NULL);
                tlcp_conn_free(client);
                tlcp_vector_free(&v);
        }
}

/* new_server makes a server for the recorded clients; with client authentication (optional) ECDHE is
 * allowed, without it the server asks for no certificates, as the recorded ECC servers did not. */
static struct tlcp_conn *new_server(struct tlcp_config *config, enum tlcp_client_auth client_auth)
{
        struct err err = {0};
        tlcp_config_init(config, TLCP_ROLE_SERVER);
        config->credentials = &pki.server;
        config->client_auth = client_auth;
        config->trust = pki.trust;
        config->verify_time = HANDSHAKE_FIXTURE_TIME;
        struct tlcp_conn *server = NULL;
        CHECK_OK(tlcp_conn_new(&server, config, &err), &err);
        return server;
}

/* feed_client_flight gives the server every recorded client record before the client's ChangeCipherSpec. */
static int feed_client_flight(struct tlcp_conn *server, const struct tlcp_vector *v, struct err *err)
{
        int status = SMT_EAGAIN;
        for (size_t r = 0; r < v->num_records && status == SMT_EAGAIN; r++) {
                const struct tlcp_vector_record *record = &v->records[r];
                if (!record->is_from_client)
                        continue;
                if (record->type == TLCP_CONTENT_CHANGE_CIPHER_SPEC)
                        break;
                discard_output(server);
                status = feed_record(server, record, err);
        }
        return status;
}

/* ECC: our server decrypts the recorded ClientKeyExchange (Tongsuo's and GmSSL's) to the recorded pre-master
 * secret: its master secret is the PRF of that pre-master secret with the recorded client random and its
 * own server random. */
static void test_server_decrypts_recorded_pre_master(void)
{
        load_pki();
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (is_ecdhe(&v)) {
                        tlcp_vector_free(&v);
                        continue;
                }
                CHECK(v.has_pre_master);
                struct err err = {0};
                struct tlcp_config config;
                struct tlcp_conn *server = new_server(&config, TLCP_CLIENT_AUTH_NONE);
                int fed = feed_client_flight(server, &v, &err);
                if (fed != SMT_EAGAIN)
                        check_fail(__FILE__, __LINE__, "%s: %s (%s)", v.name, err_name(fed), err.msg);
                CHECK_EQ(server->step, TLCP_STEP_CLIENT_CHANGE_CIPHER_SPEC);
                CHECK_EQ(server->suite->id, v.suite->id);
                uint8_t expected[TLCP_MASTER_SECRET_LEN];
                CHECK_OK(tlcp_key_schedule_master_secret(expected, v.pre_master, sizeof v.pre_master, v.client_random,
                                                         server->server_random, &err),
                         &err);
                CHECK_MEM(server->master_secret, expected, sizeof expected);
                tlcp_conn_free(server);
                tlcp_vector_free(&v);
        }
}

/* ECDHE: our server reads the recorded client Certificate and ClientKeyExchange in both forms (Tongsuo's
 * bare point, GmSSL's uint16-prefixed one) and fails only at CertificateVerify, which signed another
 * transcript. */
static void test_server_reads_recorded_ecdhe_client_flight(void)
{
        load_pki();
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (!is_ecdhe(&v)) {
                        tlcp_vector_free(&v);
                        continue;
                }
                struct err err = {0};
                struct tlcp_config config;
                struct tlcp_conn *server = new_server(&config, TLCP_CLIENT_AUTH_OPTIONAL);
                CHECK_STATUS(feed_client_flight(server, &v, &err), TLCP_EDECRYPT_ERROR);
                CHECK(strstr(err.msg, "certificate_verify") != NULL);
                CHECK(tlcp_conn_get_peer_sign_cert(server) != NULL);
                const struct tlcp_vector_message *cke =
                    tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE, true);
                CHECK_EQ(server->client_key_exchange_form, cke->len == 4 + 71
                                                               ? TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED
                                                               : TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE);
                tlcp_conn_free(server);
                tlcp_vector_free(&v);
        }
}

/* verify_recorded runs our CertificateVerify check on the recorded one, with the recorded transcript and
 * the server believing the ClientKeyExchange came in form; tamper changes one transcript byte first. */
static int verify_recorded(const struct tlcp_vector *v, enum tlcp_client_key_exchange_form form, bool tamper,
                           struct err *err)
{
        struct tlcp_config config;
        struct tlcp_conn *server = new_server(&config, TLCP_CLIENT_AUTH_OPTIONAL);
        size_t len = 0;
        uint8_t *transcript = tlcp_vector_transcript(v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true, &len);
        if (tamper)
                transcript[len / 2] ^= 1;
        CHECK_OK(tlcp_transcript_add(&server->transcript, transcript, len, err), err);
        free(transcript);
        server->suite = v->suite;
        server->client_key_exchange_form = form;
        CHECK_OK(cert_dup(&server->peer.sign_cert, pki.client_sign, err), err);
        CHECK_OK(cert_public_key(pki.client_sign, &server->peer.sign_key, err), err);
        const struct tlcp_vector_message *cv = tlcp_vector_find_message(v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true);
        struct buf_reader body = buf_reader_make(cv->data, cv->len);
        CHECK_OK(buf_skip(&body, TLCP_HANDSHAKE_HEADER_LEN), err);
        int status = tlcp_handshake_certificate_verify_recv(server, &body, err);
        tlcp_conn_free(server);
        return status;
}

static void test_certificate_verify_both_forms(void)
{
        load_pki();
        size_t checked = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true) == NULL) {
                        tlcp_vector_free(&v);
                        continue;
                }
                struct err err = {0};
                CHECK_OK(verify_recorded(&v, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE, false, &err), &err);
                CHECK_OK(verify_recorded(&v, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED, false, &err), &err);
                CHECK_STATUS(verify_recorded(&v, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE, true, &err),
                             TLCP_EDECRYPT_ERROR);
                CHECK_STATUS(verify_recorded(&v, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED, true, &err),
                             TLCP_EDECRYPT_ERROR);
                checked++;
                tlcp_vector_free(&v);
        }
        CHECK_EQ(checked, 3); /* 03 and 04 (Tongsuo, SM3 form), 05 (GmSSL, raw form) */
}

static void test_cleanup(void)
{
        handshake_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_client_reads_recorded_server_flights), CHECK_TEST(test_server_decrypts_recorded_pre_master),
           CHECK_TEST(test_server_reads_recorded_ecdhe_client_flight), CHECK_TEST(test_certificate_verify_both_forms),
           CHECK_TEST(test_cleanup))
