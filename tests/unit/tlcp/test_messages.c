/* tests/unit/tlcp/test_messages.c: the handshake message codecs against the recorded Tongsuo/GmSSL
 * connections of vectors/tlcp/. Every handshake message of every file parses and, written back by our
 * writers from what was parsed, gives the recorded bytes; and what the parse finds is what the README and
 * wire_facts say is there, checked independently where possible: certificates against pki/sm2/ through
 * OpenSSL, signatures verified with OpenSSL's SM2, the ECC pre-master decrypted by OpenSSL. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "tlcp/messages.h"
#include "vectors.h"

#define TEST_WRITER_MAX (1 << 17)

/* ---- OpenSSL as the independent reference ---- */

static X509 *load_cert(const char *path)
{
        CHECK(path != NULL);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL);
        X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        CHECK(cert != NULL);
        return cert;
}

/* cert_der_equals says whether der is exactly the certificate at path, as OpenSSL encodes it. */
static bool cert_der_equals(const char *path, struct buf_reader der)
{
        X509 *cert = load_cert(path);
        uint8_t *encoded = NULL;
        int len = i2d_X509(cert, &encoded);
        bool same = len > 0 && (size_t)len == der.len && memcmp(encoded, der.data, der.len) == 0;
        OPENSSL_free(encoded);
        X509_free(cert);
        return same;
}

/* sm2_verifies checks an SM2-with-SM3 signature with the default ID (GB/T 35276 §5.4.2) using OpenSSL. */
static bool sm2_verifies(const char *cert_path, const uint8_t *msg, size_t msg_len, struct buf_reader sig)
{
        X509 *cert = load_cert(cert_path);
        EVP_PKEY *key = X509_get0_pubkey(cert);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
        CHECK(key != NULL && md != NULL && pctx != NULL);
        CHECK(EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16) == 1);
        EVP_MD_CTX_set_pkey_ctx(md, pctx);
        CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, key) == 1);
        bool ok = EVP_DigestVerify(md, sig.data, sig.len, msg, msg_len) == 1;
        EVP_MD_CTX_free(md);
        EVP_PKEY_CTX_free(pctx);
        X509_free(cert);
        return ok;
}

/* sm2_decrypt_matches decrypts a DER SM2Ciphertext with the PEM key at key_path and compares. */
static bool sm2_decrypt_matches(const char *key_path, struct buf_reader ciphertext, const uint8_t *expected,
                                size_t expected_len)
{
        FILE *f = fopen(key_path, "r");
        CHECK(f != NULL);
        EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        CHECK(key != NULL);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        uint8_t plain[256];
        size_t plain_len = sizeof plain;
        CHECK(ctx != NULL && EVP_PKEY_decrypt_init(ctx) == 1);
        bool ok = EVP_PKEY_decrypt(ctx, plain, &plain_len, ciphertext.data, ciphertext.len) == 1 &&
                  plain_len == expected_len && memcmp(plain, expected, expected_len) == 0;
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(key);
        return ok;
}

/* ---- helpers over the vectors ---- */

static struct buf_reader message_body(const struct tlcp_vector_message *msg)
{
        struct buf_reader in = buf_reader_make(msg->data, msg->len), body;
        struct tlcp_handshake_header header;
        struct err err = { 0 };
        CHECK_OK(tlcp_handshake_header_split(&header, &body, &in, &err), &err);
        CHECK(buf_reader_is_empty(&in));
        CHECK_EQ(header.type, msg->msg_type);
        return body;
}

static struct buf_reader find_body(const struct tlcp_vector *v, uint8_t type, bool is_from_client)
{
        const struct tlcp_vector_message *msg = tlcp_vector_find_message(v, type, is_from_client);
        CHECK(msg != NULL);
        return message_body(msg);
}

static bool is_gmssl(const struct tlcp_vector *v, const char *side)
{
        json_t *node = json_object_get(json_object_get(v->root, side), "implementation");
        CHECK(json_is_string(node));
        return strstr(json_string_value(node), "GmSSL") != NULL;
}

static bool buf_equals_hex(struct buf_reader got, const struct tlcp_vector *v, const char *path)
{
        uint8_t want[256];
        size_t want_len = tlcp_vector_get_hex(v, path, want, sizeof want);
        return got.len == want_len && memcmp(got.data, want, want_len) == 0;
}

/* ---- round trip: parse each body, write it back with our writers ---- */

static void rewrite_client_hello(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_client_hello hello;
        uint16_t suites[16];
        struct err err = { 0 };
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
        struct err err = { 0 };
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
        struct err err = { 0 };
        (void)v;
        CHECK_OK(tlcp_certificate_parse(&certificate, &body, &err), &err);
        CHECK_OK(tlcp_certificate_write(w, &certificate, &err), &err);
}

static void rewrite_server_key_exchange(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_server_key_exchange skx;
        struct err err = { 0 };
        CHECK_OK(tlcp_server_key_exchange_parse(&skx, v->suite->key_exchange, &body, &err), &err);
        CHECK_OK(tlcp_server_key_exchange_write(w, &skx, &err), &err);
}

static void rewrite_certificate_request(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_certificate_request request;
        struct buf_reader names[8], cursor;
        size_t num_names = 0;
        struct err err = { 0 };
        (void)v;
        CHECK_OK(tlcp_certificate_request_parse(&request, &body, &err), &err);
        cursor = request.certificate_authorities;
        while (num_names < 8 && tlcp_certificate_request_next_authority(&cursor, &names[num_names]))
                num_names++;
        CHECK_EQ(num_names, request.num_certificate_authorities);
        CHECK_OK(tlcp_certificate_request_write(w, request.certificate_types.data, request.certificate_types.len,
                                                names, num_names, &err),
                 &err);
}

static void rewrite_server_hello_done(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct err err = { 0 };
        (void)v;
        CHECK_OK(tlcp_server_hello_done_parse(&body, &err), &err);
        CHECK_OK(tlcp_server_hello_done_write(w, &err), &err);
}

static void rewrite_client_key_exchange(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_client_key_exchange cke;
        struct err err = { 0 };
        CHECK_OK(tlcp_client_key_exchange_parse(&cke, v->suite->key_exchange, &body, &err), &err);
        CHECK_OK(tlcp_client_key_exchange_write(w, &cke, &err), &err);
}

static void rewrite_certificate_verify(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_certificate_verify verify;
        struct err err = { 0 };
        (void)v;
        CHECK_OK(tlcp_certificate_verify_parse(&verify, &body, &err), &err);
        CHECK_OK(tlcp_certificate_verify_write(w, &verify, &err), &err);
}

static void rewrite_finished(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_finished finished;
        struct err err = { 0 };
        (void)v;
        CHECK_OK(tlcp_finished_parse(&finished, &body, &err), &err);
        CHECK_OK(tlcp_finished_write(w, &finished, &err), &err);
}

static void rewrite_new_session_ticket(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w)
{
        struct tlcp_new_session_ticket ticket;
        struct err err = { 0 };
        (void)v;
        CHECK_OK(tlcp_new_session_ticket_parse(&ticket, &body, &err), &err);
        CHECK_OK(tlcp_new_session_ticket_write(w, &ticket, &err), &err);
}

typedef void (*rewrite_fn)(const struct tlcp_vector *v, struct buf_reader body, struct buf_writer *w);

static rewrite_fn rewriter(uint8_t type)
{
        switch (type) {
        case TLCP_HANDSHAKE_CLIENT_HELLO: return rewrite_client_hello;
        case TLCP_HANDSHAKE_SERVER_HELLO: return rewrite_server_hello;
        case TLCP_HANDSHAKE_NEW_SESSION_TICKET: return rewrite_new_session_ticket;
        case TLCP_HANDSHAKE_CERTIFICATE: return rewrite_certificate;
        case TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE: return rewrite_server_key_exchange;
        case TLCP_HANDSHAKE_CERTIFICATE_REQUEST: return rewrite_certificate_request;
        case TLCP_HANDSHAKE_SERVER_HELLO_DONE: return rewrite_server_hello_done;
        case TLCP_HANDSHAKE_CERTIFICATE_VERIFY: return rewrite_certificate_verify;
        case TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE: return rewrite_client_key_exchange;
        case TLCP_HANDSHAKE_FINISHED: return rewrite_finished;
        default: check_fail(__FILE__, __LINE__, "no codec for handshake type %u", type);
        }
}

static void check_round_trip(const struct tlcp_vector *v, const struct tlcp_vector_message *msg)
{
        struct buf_writer w;
        size_t mark;
        struct err err = { 0 };
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_handshake_header_begin(&w, msg->msg_type, &mark, &err), &err);
        rewriter(msg->msg_type)(v, message_body(msg), &w);
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
                                                                 v.records[r].plaintext_len), &(struct err){ 0 });
                        struct buf_reader in = buf_reader_make(stream.data, stream.len);
                        for (size_t m = 0; m < v.num_messages; m++) {
                                struct tlcp_handshake_header header;
                                struct buf_reader body;
                                struct err err = { 0 };
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
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader body = find_body(&v, TLCP_HANDSHAKE_CLIENT_HELLO, true);
                CHECK_OK(tlcp_client_hello_parse(&hello, &body, &err), &err);
                CHECK_EQ(hello.client_version, TLCP_VERSION);
                CHECK_MEM(hello.random, v.client_random, TLCP_RANDOM_LEN);
                CHECK_EQ(tlcp_client_hello_suite_get(&hello, 0), v.suite->id);
                CHECK(tlcp_client_hello_offers_suite(&hello, v.suite->id));
                CHECK(!tlcp_client_hello_offers_suite(&hello, 0xC02F));
                if (is_gmssl(&v, "client")) {
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
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader client_body = find_body(&v, TLCP_HANDSHAKE_CLIENT_HELLO, true);
                struct buf_reader body = find_body(&v, TLCP_HANDSHAKE_SERVER_HELLO, false);
                CHECK_OK(tlcp_client_hello_parse(&client, &client_body, &err), &err);
                CHECK_OK(tlcp_server_hello_parse(&hello, &body, &err), &err);
                CHECK_EQ(hello.server_version, TLCP_VERSION);
                CHECK_MEM(hello.random, v.server_random, TLCP_RANDOM_LEN);
                CHECK_EQ(hello.cipher_suite, v.suite->id);
                CHECK(!hello.has_renegotiation_info);
                if (is_gmssl(&v, "server")) {
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
        struct err err = { 0 };
        struct buf_reader body = find_body(v, TLCP_HANDSHAKE_CERTIFICATE, is_from_client);
        CHECK_OK(tlcp_certificate_parse(&certificate, &body, &err), &err);
        CHECK_EQ(certificate.num_certificates, 3);
        CHECK(cert_der_equals(tlcp_vector_pki_path(v, sign_role), certificate.certificates[0]));
        CHECK(cert_der_equals(tlcp_vector_pki_path(v, enc_role), certificate.certificates[1]));
        CHECK(cert_der_equals(tlcp_vector_pki_path(v, "ca_cert"), certificate.certificates[2]));
        CHECK(!cert_der_equals(tlcp_vector_pki_path(v, enc_role), certificate.certificates[0]));
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
static struct buf_reader server_enc_cert(const struct tlcp_vector *v)
{
        struct tlcp_certificate certificate;
        struct err err = { 0 };
        struct buf_reader body = find_body(v, TLCP_HANDSHAKE_CERTIFICATE, false);
        CHECK_OK(tlcp_certificate_parse(&certificate, &body, &err), &err);
        return certificate.certificates[1];
}

/* README check 8: the parsed signature verifies over what tlcp-wire.md says is signed, which it cannot do
 * if the parser cut the signature or the ECDHE parameters one byte off. */
static void test_server_key_exchange_signature_verifies(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_server_key_exchange skx;
                struct buf_writer signed_data;
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader body = find_body(&v, TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE, false);
                size_t body_len = body.len;
                CHECK_OK(tlcp_server_key_exchange_parse(&skx, v.suite->key_exchange, &body, &err), &err);
                buf_writer_init_heap(&signed_data, TEST_WRITER_MAX);
                CHECK_OK(buf_write_bytes(&signed_data, v.client_random, TLCP_RANDOM_LEN), &err);
                CHECK_OK(buf_write_bytes(&signed_data, v.server_random, TLCP_RANDOM_LEN), &err);
                if (v.suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE) {
                        CHECK(buf_equals_hex(skx.point, &v, "wire_facts.server_ephemeral_point_hex"));
                        CHECK_EQ(skx.signed_params.len, 4 + 65);
                        CHECK_EQ(skx.signature.len, body_len - 4 - 65 - 2);
                        CHECK_OK(buf_write_bytes(&signed_data, skx.signed_params.data, skx.signed_params.len), &err);
                } else {
                        struct buf_reader enc = server_enc_cert(&v);
                        CHECK_EQ(skx.signature.len, body_len - 2);
                        CHECK_OK(buf_write_u24(&signed_data, (uint32_t)enc.len), &err);
                        CHECK_OK(buf_write_bytes(&signed_data, enc.data, enc.len), &err);
                }
                CHECK(sm2_verifies(tlcp_vector_pki_path(&v, "server_sign_cert"), signed_data.data, signed_data.len,
                                   skx.signature));
                signed_data.data[0] ^= 1; /* the check can fail: one flipped bit of client_random */
                CHECK(!sm2_verifies(tlcp_vector_pki_path(&v, "server_sign_cert"), signed_data.data, signed_data.len,
                                    skx.signature));
                buf_writer_cleanup(&signed_data);
                tlcp_vector_free(&v);
        }
}

/* wire_facts.client_key_exchange_form: Tongsuo's bare 69 bytes, GmSSL's 71 with a uint16 length; ECC: the
 * ciphertext OpenSSL decrypts with server_enc.key to the recorded pre-master. */
static void test_client_key_exchange_forms(void)
{
        size_t num_bare = 0, num_prefixed = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_client_key_exchange cke;
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader body = find_body(&v, TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE, true);
                size_t body_len = body.len;
                json_t *form = json_object_get(json_object_get(v.root, "wire_facts"), "client_key_exchange_form");
                CHECK(json_is_string(form));
                CHECK_OK(tlcp_client_key_exchange_parse(&cke, v.suite->key_exchange, &body, &err), &err);
                if (v.suite->key_exchange == TLCP_KEY_EXCHANGE_ECC) {
                        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC);
                        CHECK_EQ(cke.encrypted_pre_master.len, body_len - 2);
                        CHECK(sm2_decrypt_matches(tlcp_vector_pki_path(&v, "server_enc_key"), cke.encrypted_pre_master,
                                                  v.pre_master, sizeof v.pre_master));
                } else if (strstr(json_string_value(form), "no outer length") != NULL) {
                        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE);
                        CHECK_EQ(body_len, 69);
                        CHECK(buf_equals_hex(cke.point, &v, "wire_facts.client_ephemeral_point_hex"));
                        num_bare++;
                } else {
                        CHECK(strncmp(json_string_value(form), "uint16 length", 13) == 0);
                        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED);
                        CHECK_EQ(body_len, 71);
                        CHECK(buf_equals_hex(cke.point, &v, "wire_facts.client_ephemeral_point_hex"));
                        num_prefixed++;
                }
                tlcp_vector_free(&v);
        }
        CHECK_EQ(num_bare, 2);
        CHECK_EQ(num_prefixed, 1);
}

/* The one authority both servers name is the test CA's subject, as OpenSSL encodes it. */
static void test_certificate_request_facts(void)
{
        size_t num_requests = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_certificate_request request;
                struct buf_reader cursor, name;
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, false) == NULL) {
                        tlcp_vector_free(&v);
                        continue;
                }
                struct buf_reader body = find_body(&v, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, false);
                CHECK_OK(tlcp_certificate_request_parse(&request, &body, &err), &err);
                CHECK(tlcp_certificate_request_has_type(&request, TLCP_CERTIFICATE_TYPE_ECDSA_SIGN));
                CHECK(!tlcp_certificate_request_has_type(&request, TLCP_CERTIFICATE_TYPE_IBC_PARAMS));
                CHECK_EQ(request.certificate_types.len, is_gmssl(&v, "server") ? 1 : 2);
                CHECK_EQ(request.num_certificate_authorities, 1);
                cursor = request.certificate_authorities;
                CHECK(tlcp_certificate_request_next_authority(&cursor, &name));
                CHECK(!tlcp_certificate_request_next_authority(&cursor, &name));
                X509 *ca = load_cert(tlcp_vector_pki_path(&v, "ca_cert"));
                uint8_t *subject = NULL;
                int subject_len = i2d_X509_NAME(X509_get_subject_name(ca), &subject);
                CHECK(subject_len > 0 && (size_t)subject_len == name.len);
                CHECK_MEM(subject, name.data, name.len);
                OPENSSL_free(subject);
                X509_free(ca);
                num_requests++;
                tlcp_vector_free(&v);
        }
        CHECK_EQ(num_requests, 3);
}

/* wire_facts.certificate_verify_form: Tongsuo signs SM3(handshake_messages), GmSSL the raw messages; the
 * parsed signature verifies over the recorded transcript in that form. */
static void test_certificate_verify_signature_verifies(void)
{
        size_t num_checked = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_certificate_verify verify;
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true) == NULL) {
                        tlcp_vector_free(&v);
                        continue;
                }
                struct buf_reader body = find_body(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true);
                size_t body_len = body.len, transcript_len;
                CHECK_OK(tlcp_certificate_verify_parse(&verify, &body, &err), &err);
                CHECK_EQ(verify.signature.len, body_len - 2);
                uint8_t *transcript = tlcp_vector_transcript(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true,
                                                             &transcript_len);
                json_t *form = json_object_get(json_object_get(v.root, "wire_facts"), "certificate_verify_form");
                CHECK(json_is_string(form));
                const char *sign_cert = tlcp_vector_pki_path(&v, "client_sign_cert");
                if (strcmp(json_string_value(form), "sm3_hash") == 0) {
                        uint8_t digest[32];
                        unsigned digest_len = 0;
                        CHECK(EVP_Digest(transcript, transcript_len, digest, &digest_len, EVP_sm3(), NULL) == 1);
                        CHECK(sm2_verifies(sign_cert, digest, digest_len, verify.signature));
                } else {
                        CHECK_STR(json_string_value(form), "raw_messages");
                        CHECK(sm2_verifies(sign_cert, transcript, transcript_len, verify.signature));
                }
                free(transcript);
                num_checked++;
                tlcp_vector_free(&v);
        }
        CHECK_EQ(num_checked, 3);
}

static void test_finished_verify_data(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_finished client, server;
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader client_body = find_body(&v, TLCP_HANDSHAKE_FINISHED, true);
                struct buf_reader server_body = find_body(&v, TLCP_HANDSHAKE_FINISHED, false);
                CHECK_OK(tlcp_finished_parse(&client, &client_body, &err), &err);
                CHECK_OK(tlcp_finished_parse(&server, &server_body, &err), &err);
                CHECK_MEM(client.verify_data, v.client_verify_data, TLCP_VERIFY_DATA_LEN);
                CHECK_MEM(server.verify_data, v.server_verify_data, TLCP_VERIFY_DATA_LEN);
                tlcp_vector_free(&v);
        }
}

/* wire_facts.new_session_ticket_sent; Tongsuo hints its default session lifetime, 7200 s (two hours). */
static void test_new_session_ticket_facts(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                struct tlcp_new_session_ticket ticket;
                struct err err = { 0 };
                tlcp_vector_load(&v, tlcp_vector_name(i));
                json_t *sent = json_object_get(json_object_get(v.root, "wire_facts"), "new_session_ticket_sent");
                CHECK(json_is_boolean(sent));
                const struct tlcp_vector_message *msg =
                        tlcp_vector_find_message(&v, TLCP_HANDSHAKE_NEW_SESSION_TICKET, false);
                CHECK_EQ(msg != NULL, json_is_true(sent));
                if (msg != NULL) {
                        struct buf_reader body = message_body(msg);
                        size_t body_len = body.len;
                        CHECK_OK(tlcp_new_session_ticket_parse(&ticket, &body, &err), &err);
                        CHECK_EQ(ticket.lifetime_hint, 7200);
                        CHECK_EQ(ticket.ticket.len, body_len - 6);
                }
                tlcp_vector_free(&v);
        }
}

CHECK_MAIN(CHECK_TEST(test_every_recorded_message_round_trips), CHECK_TEST(test_split_finds_recorded_messages),
           CHECK_TEST(test_client_hello_facts), CHECK_TEST(test_server_hello_facts),
           CHECK_TEST(test_certificates_match_pki), CHECK_TEST(test_server_key_exchange_signature_verifies),
           CHECK_TEST(test_client_key_exchange_forms), CHECK_TEST(test_certificate_request_facts),
           CHECK_TEST(test_certificate_verify_signature_verifies), CHECK_TEST(test_finished_verify_data),
           CHECK_TEST(test_new_session_ticket_facts))
