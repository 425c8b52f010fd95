/* tests/unit/tlcp/test_messages.c: the handshake message codecs against the recorded Tongsuo/GmSSL
 * connections of vectors/tlcp/. Every handshake message of every file parses and, written back by our
 * writers from what was parsed, gives the recorded bytes; the hellos hold what the README and wire_facts
 * say they hold; the certificate lists are pki/sm2/'s files as OpenSSL encodes them. Signed and encrypted
 * contents are checked in test_messages_signed.c. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "message_vectors.h"
#include "tlcp/messages.h"
#include "vectors.h"

#define TEST_WRITER_MAX (1 << 17)

/* ---- round trip: parse each body, write it back with our writers ---- */

static void rewrite_client_hello(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_client_hello hello;
        uint16_t suites[16];
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_client_hello_parse(&hello, &body, &err), &err);
        CHECK(hello.num_cipher_suites <= 16);
        for (size_t i = 0; i < hello.num_cipher_suites; i++)
                suites[i] = tlcp_client_hello_suite_get(&hello, i);
        /* These clients send only null compression and no extension beside these two. */
        CHECK(hello.compression_methods.len == 1 && hello.compression_methods.data[0] == 0);
        CHECK_EQ(hello.extensions.num_extensions, hello.has_server_name + hello.has_session_ticket);
        struct tlcp_client_hello_params params = {
            .client_version = hello.client_version,
            .random = hello.random,
            .session_id = hello.session_id,
            .session_id_len = hello.session_id_len,
            .suites = suites,
            .num_suites = hello.num_cipher_suites,
            .server_name = hello.has_server_name ? hello.server_name : NULL,
            .send_session_ticket = hello.has_session_ticket,
        };
        CHECK_OK(tlcp_client_hello_write(w, &params, &err), &err);
}

static void rewrite_server_hello(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_server_hello hello;
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_server_hello_parse(&hello, &body, &err), &err);
        CHECK_EQ(hello.extensions.num_extensions, hello.has_server_name + hello.has_session_ticket);
        struct tlcp_server_hello_params params = {
            .server_version = hello.server_version,
            .random = hello.random,
            .session_id = hello.session_id,
            .session_id_len = hello.session_id_len,
            .cipher_suite = hello.cipher_suite,
            .send_server_name = hello.has_server_name,
            .send_session_ticket = hello.has_session_ticket,
        };
        CHECK_OK(tlcp_server_hello_write(w, &params, &err), &err);
}

static void rewrite_certificate(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_certificate certificate;
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_certificate_parse(&certificate, &body, &err), &err);
        CHECK_OK(tlcp_certificate_write(w, &certificate, &err), &err);
}

static void rewrite_server_key_exchange(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_server_key_exchange skx;
        struct err err = {0};
        CHECK_OK(tlcp_server_key_exchange_parse(&skx, v->suite->key_exchange, &body, &err), &err);
        CHECK_OK(tlcp_server_key_exchange_write(w, &skx, &err), &err);
}

static void rewrite_certificate_request(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_certificate_request request;
        struct buf_reader names[8], cursor;
        size_t num_names = 0;
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_certificate_request_parse(&request, &body, &err), &err);
        cursor = request.certificate_authorities;
        while (num_names < 8 && tlcp_certificate_request_next_authority(&cursor, &names[num_names]))
                num_names++;
        CHECK_EQ(num_names, request.num_certificate_authorities);
        CHECK_OK(tlcp_certificate_request_write(w, request.certificate_types.data, request.certificate_types.len, names,
                                                num_names, &err),
                 &err);
}

static void rewrite_server_hello_done(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_server_hello_done_parse(&body, &err), &err);
        CHECK_OK(tlcp_server_hello_done_write(w, &err), &err);
}

static void rewrite_client_key_exchange(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_client_key_exchange cke;
        struct err err = {0};
        CHECK_OK(tlcp_client_key_exchange_parse(&cke, v->suite->key_exchange, &body, &err), &err);
        CHECK_OK(tlcp_client_key_exchange_write(w, &cke, &err), &err);
}

static void rewrite_certificate_verify(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_certificate_verify verify;
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_certificate_verify_parse(&verify, &body, &err), &err);
        CHECK_OK(tlcp_certificate_verify_write(w, &verify, &err), &err);
}

static void rewrite_finished(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_finished finished;
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_finished_parse(&finished, &body, &err), &err);
        CHECK_OK(tlcp_finished_write(w, &finished, &err), &err);
}

static void rewrite_new_session_ticket(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_new_session_ticket ticket;
        struct err err = {0};
        (void)v;
        CHECK_OK(tlcp_new_session_ticket_parse(&ticket, &body, &err), &err);
        CHECK_OK(tlcp_new_session_ticket_write(w, &ticket, &err), &err);
}

typedef void (*rewrite_fn)(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w);

static rewrite_fn rewriter(uint8_t type)
{
        switch (type) {
        case TLCP_HANDSHAKE_CLIENT_HELLO:
                return rewrite_client_hello;
        case TLCP_HANDSHAKE_SERVER_HELLO:
                return rewrite_server_hello;
        case TLCP_HANDSHAKE_NEW_SESSION_TICKET:
                return rewrite_new_session_ticket;
        case TLCP_HANDSHAKE_CERTIFICATE:
                return rewrite_certificate;
        case TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE:
                return rewrite_server_key_exchange;
        case TLCP_HANDSHAKE_CERTIFICATE_REQUEST:
                return rewrite_certificate_request;
        case TLCP_HANDSHAKE_SERVER_HELLO_DONE:
                return rewrite_server_hello_done;
        case TLCP_HANDSHAKE_CERTIFICATE_VERIFY:
                return rewrite_certificate_verify;
        case TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE:
                return rewrite_client_key_exchange;
        case TLCP_HANDSHAKE_FINISHED:
                return rewrite_finished;
        default:
                check_fail(__FILE__, __LINE__, "no codec for handshake type %u", type);
        }
}

static void check_round_trip(const struct tlcp_vector *v, const struct tlcp_vector_message *msg)
{
        struct buf_writer w;
        size_t mark;
        struct err err = {0};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_handshake_header_begin(&w, msg->msg_type, &mark, &err), &err);
        rewriter(msg->msg_type)(v, message_vectors_body(msg), &w);
        CHECK_OK(tlcp_handshake_header_end(&w, mark, &err), &err);
        if (w.len != msg->len || memcmp(w.data, msg->data, msg->len) != 0)
                check_fail(__FILE__, __LINE__, "%s: %s rewritten as %zu bytes differs from the %zu recorded", v->name,
                           tlcp_handshake_type_name(msg->msg_type), w.len, msg->len);
        buf_writer_cleanup(&w);
}

static void test_every_recorded_message_round_trips(void)
{
        size_t num_checked = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                for (size_t j = 0; j < v.num_messages; j++, num_checked++)
                        check_round_trip(&v, &v.messages[j]);
                tlcp_vector_free(&v);
        }
        CHECK(num_checked >= 60);
}

/* A record may carry several messages (the server's first flight): splitting the plaintext handshake
 * stream with tlcp_handshake_header_split gives the messages the README lists, in order. */
static void test_split_finds_recorded_messages(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                for (int side = 0; side < 2; side++) {
                        struct buf_writer stream;
                        buf_writer_init_heap(&stream, TEST_WRITER_MAX);
                        for (size_t r = 0; r < v.num_records; r++)
                                if (v.records[r].is_from_client == (side == 1) &&
                                    v.records[r].type == TLCP_CONTENT_HANDSHAKE)
                                        CHECK_OK(buf_write_bytes(&stream, v.records[r].plaintext,
                                                                 v.records[r].plaintext_len),
                                                 &(struct err){0});
                        struct buf_reader in = buf_reader_make(stream.data, stream.len);
                        for (size_t m = 0; m < v.num_messages; m++) {
                                struct tlcp_handshake_header header;
                                struct buf_reader body;
                                struct err err = {0};
                                if (v.messages[m].is_from_client != (side == 1))
                                        continue;
                                CHECK_OK(tlcp_handshake_header_split(&header, &body, &in, &err), &err);
                                CHECK_EQ(header.type, v.messages[m].msg_type);
                                CHECK_EQ(header.length + 4, v.messages[m].len);
                                CHECK_MEM(body.data, v.messages[m].data + 4, body.len);
                        }
                        CHECK(buf_reader_is_empty(&in));
                        buf_writer_cleanup(&stream);
                }
                tlcp_vector_free(&v);
        }
}

/* ---- facts read from the parse ---- */

static const char *client_command(const struct tlcp_vector *v)
{
        json_t *node = json_object_get(json_object_get(v->root, "client"), "command");
        CHECK(json_is_string(node));
        return json_string_value(node);
}

/* README: Tongsuo offers the suite and SCSV 0x00FF with an empty session_ticket as its only extension (none
 * at all with -no_ticket); GmSSL offers the suite alone with server_name "localhost" (its -host). */
static void test_client_hello_facts(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_client_hello hello;
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader body = message_vectors_find_body(&v, TLCP_HANDSHAKE_CLIENT_HELLO, true);
                CHECK_OK(tlcp_client_hello_parse(&hello, &body, &err), &err);
                CHECK_EQ(hello.client_version, TLCP_VERSION);
                CHECK_MEM(hello.random, v.client_random, TLCP_RANDOM_LEN);
                CHECK_EQ(tlcp_client_hello_suite_get(&hello, 0), v.suite->id);
                CHECK(tlcp_client_hello_offers_suite(&hello, v.suite->id));
                CHECK(!tlcp_client_hello_offers_suite(&hello, 0xC02F));
                if (message_vectors_is_gmssl(&v, "client")) {
                        CHECK_EQ(hello.num_cipher_suites, 1);
                        CHECK(!tlcp_client_hello_offers_suite(&hello, TLCP_SCSV_EMPTY_RENEGOTIATION_INFO));
                        CHECK(hello.has_server_name);
                        CHECK_STR(hello.server_name, "localhost");
                        CHECK_EQ(hello.server_name_len, 9);
                        CHECK(!hello.has_session_ticket);
                } else {
                        bool no_ticket = strstr(client_command(&v), "-no_ticket") != NULL;
                        CHECK_EQ(hello.num_cipher_suites, 2);
                        CHECK_EQ(tlcp_client_hello_suite_get(&hello, 1), TLCP_SCSV_EMPTY_RENEGOTIATION_INFO);
                        CHECK(!hello.has_server_name);
                        CHECK_EQ(hello.extensions.is_present, !no_ticket);
                        CHECK_EQ(hello.has_session_ticket, !no_ticket);
                        CHECK_EQ(hello.session_ticket.len, 0);
                }
                CHECK(!hello.has_renegotiation_info);
                tlcp_vector_free(&v);
        }
}

/* README: Tongsuo's server answers a ticket-offering client with an empty session ID and the session_ticket
 * acknowledgement, the GmSSL client (no ticket) with a 32-byte ID and no extensions; GmSSL's server
 * acknowledges server_name when it was sent. */
static void test_server_hello_facts(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_client_hello client;
                struct tlcp_server_hello hello;
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader client_body = message_vectors_find_body(&v, TLCP_HANDSHAKE_CLIENT_HELLO, true);
                struct buf_reader body = message_vectors_find_body(&v, TLCP_HANDSHAKE_SERVER_HELLO, false);
                CHECK_OK(tlcp_client_hello_parse(&client, &client_body, &err), &err);
                CHECK_OK(tlcp_server_hello_parse(&hello, &body, &err), &err);
                CHECK_EQ(hello.server_version, TLCP_VERSION);
                CHECK_MEM(hello.random, v.server_random, TLCP_RANDOM_LEN);
                CHECK_EQ(hello.cipher_suite, v.suite->id);
                CHECK(!hello.has_renegotiation_info);
                if (message_vectors_is_gmssl(&v, "server")) {
                        CHECK_EQ(hello.has_server_name, client.has_server_name);
                        CHECK_EQ(hello.extensions.is_present, client.has_server_name);
                } else {
                        CHECK_EQ(hello.has_session_ticket, client.has_session_ticket);
                        CHECK_EQ(hello.session_id_len, client.has_session_ticket ? 0 : 32);
                        CHECK_EQ(hello.extensions.is_present, client.has_session_ticket);
                }
                tlcp_vector_free(&v);
        }
}

static void check_certificate_list(const struct tlcp_vector *v, bool is_from_client, const char *sign_role,
                                   const char *enc_role)
{
        struct tlcp_certificate certificate;
        struct err err = {0};
        struct buf_reader body = message_vectors_find_body(v, TLCP_HANDSHAKE_CERTIFICATE, is_from_client);
        CHECK_OK(tlcp_certificate_parse(&certificate, &body, &err), &err);
        CHECK_EQ(certificate.num_certificates, 3);
        CHECK(message_vectors_cert_equals(tlcp_vector_pki_path(v, sign_role), certificate.certificates[0]));
        CHECK(message_vectors_cert_equals(tlcp_vector_pki_path(v, enc_role), certificate.certificates[1]));
        CHECK(message_vectors_cert_equals(tlcp_vector_pki_path(v, "ca_cert"), certificate.certificates[2]));
        CHECK(!message_vectors_cert_equals(tlcp_vector_pki_path(v, enc_role), certificate.certificates[0]));
}

/* README check 7: sign cert, enc cert, CA, byte-equal to pki/sm2/, for the server and (03-05) the client. */
static void test_certificates_match_pki(void)
{
        size_t num_client_lists = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                check_certificate_list(&v, false, "server_sign_cert", "server_enc_cert");
                if (tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CERTIFICATE, true) != NULL) {
                        check_certificate_list(&v, true, "client_sign_cert", "client_enc_cert");
                        num_client_lists++;
                }
                tlcp_vector_free(&v);
        }
        CHECK_EQ(num_client_lists, 3);
}

/* The server's encryption certificate as the Certificate message carries it (its second entry). */
CHECK_MAIN(CHECK_TEST(test_every_recorded_message_round_trips), CHECK_TEST(test_split_finds_recorded_messages),
           CHECK_TEST(test_client_hello_facts), CHECK_TEST(test_server_hello_facts),
           CHECK_TEST(test_certificates_match_pki))
