/* tests/unit/tlcp/test_messages_signed.c: what the recorded Tongsuo/GmSSL handshakes sign, encrypt and
 * prove, read through our parsers and checked with OpenSSL: the ServerKeyExchange and CertificateVerify
 * signatures verify over what tlcp-wire.md says is signed (which fails if a parser cut one byte wrong), the
 * ECC ClientKeyExchange decrypts to the recorded pre-master, the ECDHE ClientKeyExchange form is the one
 * wire_facts records, and Finished carries the derived verify_data. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "message_vectors.h"
#include "tlcp/messages.h"
#include "vectors.h"

#define TEST_WRITER_MAX (1 << 17)

static struct buf_reader server_enc_cert(const struct tlcp_vector *v)
{
        struct tlcp_certificate certificate;
        struct err err = {0};
        struct buf_reader body = message_vectors_find_body(v, TLCP_HANDSHAKE_CERTIFICATE, false);
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
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader body = message_vectors_find_body(&v, TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE, false);
                size_t body_len = body.len;
                CHECK_OK(tlcp_server_key_exchange_parse(&skx, v.suite->key_exchange, &body, &err), &err);
                buf_writer_init_heap(&signed_data, TEST_WRITER_MAX);
                CHECK_OK(buf_write_bytes(&signed_data, v.client_random, TLCP_RANDOM_LEN), &err);
                CHECK_OK(buf_write_bytes(&signed_data, v.server_random, TLCP_RANDOM_LEN), &err);
                if (v.suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE) {
                        CHECK(message_vectors_equals_hex(skx.point, &v, "wire_facts.server_ephemeral_point_hex"));
                        CHECK_EQ(skx.signed_params.len, 4 + 65);
                        CHECK_EQ(skx.signature.len, body_len - 4 - 65 - 2);
                        CHECK_OK(buf_write_bytes(&signed_data, skx.signed_params.data, skx.signed_params.len), &err);
                } else {
                        struct buf_reader enc = server_enc_cert(&v);
                        CHECK_EQ(skx.signature.len, body_len - 2);
                        CHECK_OK(buf_write_u24(&signed_data, (uint32_t)enc.len), &err);
                        CHECK_OK(buf_write_bytes(&signed_data, enc.data, enc.len), &err);
                }
                CHECK(message_vectors_sm2_verifies(tlcp_vector_pki_path(&v, "server_sign_cert"), signed_data.data,
                                                   signed_data.len, skx.signature));
                signed_data.data[0] ^= 1; /* the check can fail: one flipped bit of client_random */
                CHECK(!message_vectors_sm2_verifies(tlcp_vector_pki_path(&v, "server_sign_cert"), signed_data.data,
                                                    signed_data.len, skx.signature));
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
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader body = message_vectors_find_body(&v, TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE, true);
                size_t body_len = body.len;
                json_t *form = json_object_get(json_object_get(v.root, "wire_facts"), "client_key_exchange_form");
                CHECK(json_is_string(form));
                CHECK_OK(tlcp_client_key_exchange_parse(&cke, v.suite->key_exchange, &body, &err), &err);
                if (v.suite->key_exchange == TLCP_KEY_EXCHANGE_ECC) {
                        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC);
                        CHECK_EQ(cke.encrypted_pre_master.len, body_len - 2);
                        CHECK(message_vectors_sm2_decrypts_to(tlcp_vector_pki_path(&v, "server_enc_key"),
                                                              cke.encrypted_pre_master, v.pre_master,
                                                              sizeof v.pre_master));
                } else if (strstr(json_string_value(form), "no outer length") != NULL) {
                        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE);
                        CHECK_EQ(body_len, 69);
                        CHECK(message_vectors_equals_hex(cke.point, &v, "wire_facts.client_ephemeral_point_hex"));
                        num_bare++;
                } else {
                        CHECK(strncmp(json_string_value(form), "uint16 length", 13) == 0);
                        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED);
                        CHECK_EQ(body_len, 71);
                        CHECK(message_vectors_equals_hex(cke.point, &v, "wire_facts.client_ephemeral_point_hex"));
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
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, false) == NULL) {
                        tlcp_vector_free(&v);
                        continue;
                }
                struct buf_reader body = message_vectors_find_body(&v, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, false);
                CHECK_OK(tlcp_certificate_request_parse(&request, &body, &err), &err);
                CHECK(tlcp_certificate_request_has_type(&request, TLCP_CERTIFICATE_TYPE_ECDSA_SIGN));
                CHECK(!tlcp_certificate_request_has_type(&request, TLCP_CERTIFICATE_TYPE_IBC_PARAMS));
                CHECK_EQ(request.certificate_types.len, message_vectors_is_gmssl(&v, "server") ? 1 : 2);
                CHECK_EQ(request.num_certificate_authorities, 1);
                cursor = request.certificate_authorities;
                CHECK(tlcp_certificate_request_next_authority(&cursor, &name));
                CHECK(!tlcp_certificate_request_next_authority(&cursor, &name));
                X509 *ca = message_vectors_load_cert(tlcp_vector_pki_path(&v, "ca_cert"));
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
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (tlcp_vector_find_message(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true) == NULL) {
                        tlcp_vector_free(&v);
                        continue;
                }
                struct buf_reader body = message_vectors_find_body(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true);
                size_t body_len = body.len, transcript_len;
                CHECK_OK(tlcp_certificate_verify_parse(&verify, &body, &err), &err);
                CHECK_EQ(verify.signature.len, body_len - 2);
                uint8_t *transcript =
                    tlcp_vector_transcript(&v, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, true, &transcript_len);
                json_t *form = json_object_get(json_object_get(v.root, "wire_facts"), "certificate_verify_form");
                CHECK(json_is_string(form));
                const char *sign_cert = tlcp_vector_pki_path(&v, "client_sign_cert");
                if (strcmp(json_string_value(form), "sm3_hash") == 0) {
                        uint8_t digest[32];
                        unsigned digest_len = 0;
                        CHECK(EVP_Digest(transcript, transcript_len, digest, &digest_len, EVP_sm3(), NULL) == 1);
                        CHECK(message_vectors_sm2_verifies(sign_cert, digest, digest_len, verify.signature));
                } else {
                        CHECK_STR(json_string_value(form), "raw_messages");
                        CHECK(message_vectors_sm2_verifies(sign_cert, transcript, transcript_len, verify.signature));
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
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct buf_reader client_body = message_vectors_find_body(&v, TLCP_HANDSHAKE_FINISHED, true);
                struct buf_reader server_body = message_vectors_find_body(&v, TLCP_HANDSHAKE_FINISHED, false);
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
                struct err err = {0};
                tlcp_vector_load(&v, tlcp_vector_name(i));
                json_t *sent = json_object_get(json_object_get(v.root, "wire_facts"), "new_session_ticket_sent");
                CHECK(json_is_boolean(sent));
                const struct tlcp_vector_message *msg =
                    tlcp_vector_find_message(&v, TLCP_HANDSHAKE_NEW_SESSION_TICKET, false);
                CHECK_EQ(msg != NULL, json_is_true(sent));
                if (msg != NULL) {
                        struct buf_reader body = message_vectors_body(msg);
                        size_t body_len = body.len;
                        CHECK_OK(tlcp_new_session_ticket_parse(&ticket, &body, &err), &err);
                        CHECK_EQ(ticket.lifetime_hint, 7200);
                        CHECK_EQ(ticket.ticket.len, body_len - 6);
                }
                tlcp_vector_free(&v);
        }
}

CHECK_MAIN(CHECK_TEST(test_server_key_exchange_signature_verifies), CHECK_TEST(test_client_key_exchange_forms),
           CHECK_TEST(test_certificate_request_facts), CHECK_TEST(test_certificate_verify_signature_verifies),
           CHECK_TEST(test_finished_verify_data), CHECK_TEST(test_new_session_ticket_facts))
