/* tests/unit/tlcp/test_messages_write.c: the handshake message writers. What a writer builds from its
 * parameters the parser reads back as the same values; the choices the engine makes through parameters
 * (extensions or none, the ECDHE ClientKeyExchange form) show on the wire as tlcp-wire.md describes; and
 * input the grammar cannot carry is refused with SMT_EINVAL before anything is written. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tlcp/messages.h"

#define TEST_WRITER_MAX (1 << 17)

static const uint8_t test_random[TLCP_RANDOM_LEN] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint16_t test_suites[] = {TLCP_ECC_SM4_GCM_SM3, TLCP_ECC_SM4_CBC_SM3, TLCP_SCSV_EMPTY_RENEGOTIATION_INFO};

static struct tlcp_client_hello_params client_hello_params(void)
{
        return (struct tlcp_client_hello_params){
            .client_version = TLCP_VERSION,
            .random = test_random,
            .suites = test_suites,
            .num_suites = 3,
        };
}

static void test_client_hello_writer_round_trip(void)
{
        static const uint8_t session_id[5] = {0xa, 0xb, 0xc, 0xd, 0xe};
        static const uint8_t extra[] = {0x12, 0x34, 0x00, 0x01, 0xff};
        struct tlcp_client_hello_params params = client_hello_params();
        struct tlcp_client_hello hello;
        struct buf_writer w;
        struct buf_reader cursor, data;
        uint16_t type;
        struct err err = {0};
        params.session_id = session_id;
        params.session_id_len = sizeof session_id;
        params.server_name = "shop.example";
        params.send_session_ticket = true;
        params.extra_extensions = buf_reader_make(extra, sizeof extra);
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_client_hello_write(&w, &params, &err), &err);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_client_hello_parse(&hello, &in, &err), &err);
        CHECK_EQ(hello.client_version, TLCP_VERSION);
        CHECK_MEM(hello.random, test_random, TLCP_RANDOM_LEN);
        CHECK_EQ(hello.session_id_len, sizeof session_id);
        CHECK_MEM(hello.session_id, session_id, sizeof session_id);
        CHECK_EQ(hello.num_cipher_suites, 3);
        for (size_t i = 0; i < 3; i++)
                CHECK_EQ(tlcp_client_hello_suite_get(&hello, i), test_suites[i]);
        CHECK(hello.compression_methods.len == 1 && hello.compression_methods.data[0] == 0);
        CHECK_STR(hello.server_name, "shop.example");
        CHECK(hello.has_session_ticket && hello.session_ticket.len == 0);
        /* The documented order: server_name, session_ticket, then the extra ones as given. */
        cursor = hello.extensions.block;
        CHECK(tlcp_extensions_next(&cursor, &type, &data) && type == TLCP_EXTENSION_SERVER_NAME);
        CHECK(tlcp_extensions_next(&cursor, &type, &data) && type == TLCP_EXTENSION_SESSION_TICKET);
        CHECK(tlcp_extensions_next(&cursor, &type, &data) && type == 0x1234 && data.len == 1);
        CHECK(!tlcp_extensions_next(&cursor, &type, &data));
        buf_writer_cleanup(&w);
}

/* Without server_name or ticket no extensions block is written at all: GmSSL's server aborts on any
 * extension it does not know, and Tongsuo -no_ticket clients send none either (vector 07). */
static void test_client_hello_writer_leaves_out_empty_block(void)
{
        struct tlcp_client_hello_params params = client_hello_params();
        struct tlcp_client_hello hello;
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_client_hello_write(&w, &params, &err), &err);
        CHECK_EQ(w.len, 2 + 32 + 1 + 2 + 6 + 2);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_client_hello_parse(&hello, &in, &err), &err);
        CHECK(!hello.extensions.is_present);
        buf_writer_cleanup(&w);
}

static void check_client_hello_refused(const struct tlcp_client_hello_params *params)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_STATUS(tlcp_client_hello_write(&w, params, &err), SMT_EINVAL);
        CHECK(strncmp(err.msg, "client_hello: ", 14) == 0);
        CHECK_EQ(w.len, 0);
        buf_writer_cleanup(&w);
}

static void test_client_hello_writer_refusals(void)
{
        static const uint8_t zeros[40] = {0};
        char long_name[TLCP_SERVER_NAME_MAX + 2];
        struct tlcp_client_hello_params params = client_hello_params();
        params.session_id = zeros;
        params.session_id_len = 33;
        check_client_hello_refused(&params);
        params = client_hello_params();
        params.num_suites = 0;
        check_client_hello_refused(&params);
        params = client_hello_params();
        params.server_name = "";
        check_client_hello_refused(&params);
        memset(long_name, 'a', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        params.server_name = long_name;
        check_client_hello_refused(&params);
        params = client_hello_params();
        params.compression_methods = zeros;
        params.num_compression_methods = 0;
        check_client_hello_refused(&params);
        params = client_hello_params();
        params.random = NULL;
        check_client_hello_refused(&params);
}

/* A full fixed buffer is SMT_ENOSPACE, named after the message, never an overrun. */
static void test_writers_stop_at_capacity(void)
{
        struct tlcp_client_hello_params params = client_hello_params();
        uint8_t small[20];
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, small, sizeof small);
        CHECK_STATUS(tlcp_client_hello_write(&w, &params, &err), SMT_ENOSPACE);
        CHECK_STR(err.msg, "client_hello: output buffer too small");
        struct tlcp_finished finished = {.verify_data = {0}};
        buf_writer_init_fixed(&w, small, 11);
        CHECK_STATUS(tlcp_finished_write(&w, &finished, &err), SMT_ENOSPACE);
        buf_writer_init_fixed(&w, small, 12);
        CHECK_OK(tlcp_finished_write(&w, &finished, &err), &err);
        CHECK_EQ(w.len, 12);
}

static void test_server_hello_writer_round_trip(void)
{
        struct tlcp_server_hello_params params = {
            .server_version = TLCP_VERSION,
            .random = test_random,
            .session_id = test_random,
            .session_id_len = 32,
            .cipher_suite = TLCP_ECDHE_SM4_GCM_SM3,
            .send_server_name = true,
            .send_renegotiation_info = true,
        };
        struct tlcp_server_hello hello;
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_server_hello_write(&w, &params, &err), &err);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_server_hello_parse(&hello, &in, &err), &err);
        CHECK_EQ(hello.cipher_suite, TLCP_ECDHE_SM4_GCM_SM3);
        CHECK_EQ(hello.session_id_len, 32);
        CHECK_MEM(hello.session_id, test_random, 32);
        CHECK(hello.has_server_name && !hello.has_session_ticket && hello.has_renegotiation_info);
        CHECK_EQ(hello.renegotiated_connection.len, 0);
        buf_writer_cleanup(&w);
        /* No acknowledgements: no block, as GmSSL's and Tongsuo's servers answer clients without extensions. */
        params = (struct tlcp_server_hello_params){.server_version = TLCP_VERSION, .random = test_random};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_server_hello_write(&w, &params, &err), &err);
        CHECK_EQ(w.len, 2 + 32 + 1 + 2 + 1);
        params.session_id_len = 33;
        params.session_id = test_random;
        CHECK_STATUS(tlcp_server_hello_write(&w, &params, &err), SMT_EINVAL);
        buf_writer_cleanup(&w);
}

/* An uncompressed SM2 point's size: 04 || x || y. */
#define TEST_POINT_LEN 65

static void test_server_key_exchange_writer(void)
{
        uint8_t point[TEST_POINT_LEN], signature[72];
        struct tlcp_server_key_exchange skx = {.key_exchange = TLCP_KEY_EXCHANGE_ECDHE}, parsed;
        struct buf_writer w, params;
        struct err err = {0};
        memset(point, 0x04, sizeof point);
        memset(signature, 0x30, sizeof signature);
        skx.point = buf_reader_make(point, sizeof point);
        skx.signature = buf_reader_make(signature, 71);
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        buf_writer_init_heap(&params, TEST_WRITER_MAX);
        CHECK_OK(tlcp_server_key_exchange_write(&w, &skx, &err), &err);
        CHECK_EQ(w.len, 3 + 1 + 65 + 2 + 71);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_server_key_exchange_parse(&parsed, TLCP_KEY_EXCHANGE_ECDHE, &in, &err), &err);
        CHECK_EQ(parsed.signature.len, 71);
        /* What the signer signs is byte for byte what was sent. */
        CHECK_OK(tlcp_server_key_exchange_write_params(&params, point, sizeof point, &err), &err);
        CHECK_EQ(params.len, parsed.signed_params.len);
        CHECK_MEM(params.data, parsed.signed_params.data, params.len);
        CHECK_MEM(w.data, params.data, params.len);
        CHECK_STATUS(tlcp_server_key_exchange_write_params(&params, point, 0, &err), SMT_EINVAL);
        skx.signature.len = 73;
        CHECK_STATUS(tlcp_server_key_exchange_write(&w, &skx, &err), SMT_EINVAL);
        skx.signature.len = 0;
        CHECK_STATUS(tlcp_server_key_exchange_write(&w, &skx, &err), SMT_EINVAL);
        skx = (struct tlcp_server_key_exchange){.key_exchange = TLCP_KEY_EXCHANGE_ECC,
                                                .signature = buf_reader_make(signature, 72)};
        buf_writer_cleanup(&w);
        CHECK_OK(tlcp_server_key_exchange_write(&w, &skx, &err), &err);
        CHECK(w.len == 74 && w.data[0] == 0 && w.data[1] == 72);
        buf_writer_cleanup(&w);
        buf_writer_cleanup(&params);
}

/* The engine picks the ECDHE form; the sizes are the recorded ones: Tongsuo 69 bytes, GmSSL 71. */
static void test_client_key_exchange_writer_forms(void)
{
        static const struct {
                enum tlcp_client_key_exchange_form form;
                size_t len;
        } forms[] = {{TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE, 69},
                     {TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED, 71}};
        uint8_t point[TEST_POINT_LEN];
        struct err err = {0};
        memset(point, 0x04, sizeof point);
        for (size_t i = 0; i < 2; i++) {
                struct tlcp_client_key_exchange cke = {.form = forms[i].form,
                                                       .point = buf_reader_make(point, sizeof point)},
                                                parsed;
                struct buf_writer w;
                buf_writer_init_heap(&w, TEST_WRITER_MAX);
                CHECK_OK(tlcp_client_key_exchange_write(&w, &cke, &err), &err);
                CHECK_EQ(w.len, forms[i].len);
                struct buf_reader in = buf_reader_make(w.data, w.len);
                CHECK_OK(tlcp_client_key_exchange_parse(&parsed, TLCP_KEY_EXCHANGE_ECDHE, &in, &err), &err);
                CHECK_EQ(parsed.form, forms[i].form);
                CHECK_EQ(parsed.point.len, sizeof point);
                cke.point.len = 0;
                CHECK_STATUS(tlcp_client_key_exchange_write(&w, &cke, &err), SMT_EINVAL);
                buf_writer_cleanup(&w);
        }
        struct tlcp_client_key_exchange ecc = {.form = TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC};
        struct buf_writer w;
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_STATUS(tlcp_client_key_exchange_write(&w, &ecc, &err), SMT_EINVAL);
        ecc.encrypted_pre_master = buf_reader_make(point, sizeof point);
        CHECK_OK(tlcp_client_key_exchange_write(&w, &ecc, &err), &err);
        CHECK(w.len == 67 && w.data[0] == 0 && w.data[1] == 65);
        buf_writer_cleanup(&w);
}

static void test_certificate_writer(void)
{
        static const uint8_t der[3][4] = {{0x30, 1, 2, 3}, {0x30, 4, 5}, {0x30}};
        struct tlcp_certificate certificate = {.num_certificates = 3}, parsed;
        struct buf_writer w;
        struct err err = {0};
        certificate.certificates[0] = buf_reader_make(der[0], 4);
        certificate.certificates[1] = buf_reader_make(der[1], 3);
        certificate.certificates[2] = buf_reader_make(der[2], 1);
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_certificate_write(&w, &certificate, &err), &err);
        CHECK_EQ(w.len, 3 + 3 * 3 + 4 + 3 + 1);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_certificate_parse(&parsed, &in, &err), &err);
        CHECK_EQ(parsed.num_certificates, 3);
        CHECK(parsed.certificates[1].len == 3 && parsed.certificates[1].data[2] == 5);
        certificate.certificates[1].len = 0;
        CHECK_STATUS(tlcp_certificate_write(&w, &certificate, &err), SMT_EINVAL);
        certificate.num_certificates = TLCP_CERTIFICATE_LIST_MAX + 1;
        CHECK_STATUS(tlcp_certificate_write(&w, &certificate, &err), SMT_EINVAL);
        buf_writer_cleanup(&w);
}

static void test_certificate_request_writer(void)
{
        static const uint8_t types[] = {TLCP_CERTIFICATE_TYPE_ECDSA_SIGN};
        static const uint8_t name[] = {0x30, 0x00};
        struct buf_reader names[2] = {buf_reader_make(name, 2), buf_reader_make(name, 0)};
        struct tlcp_certificate_request parsed;
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_certificate_request_write(&w, types, 1, names, 1, &err), &err);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_certificate_request_parse(&parsed, &in, &err), &err);
        CHECK(tlcp_certificate_request_has_type(&parsed, TLCP_CERTIFICATE_TYPE_ECDSA_SIGN));
        CHECK_EQ(parsed.num_certificate_authorities, 1);
        CHECK_STATUS(tlcp_certificate_request_write(&w, types, 0, names, 1, &err), SMT_EINVAL);
        CHECK_STATUS(tlcp_certificate_request_write(&w, types, 1, names, 2, &err), SMT_EINVAL);
        buf_writer_cleanup(&w);
}

/* begin/end and write give the same header; a body too large for TLCP_MAX_HANDSHAKE_MESSAGE is refused. */
static void test_handshake_header_writers(void)
{
        struct tlcp_finished finished = {.verify_data = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2}};
        struct buf_writer framed, direct;
        size_t mark;
        struct err err = {0};
        buf_writer_init_heap(&framed, TEST_WRITER_MAX);
        buf_writer_init_heap(&direct, TEST_WRITER_MAX);
        CHECK_OK(tlcp_handshake_header_begin(&framed, TLCP_HANDSHAKE_FINISHED, &mark, &err), &err);
        CHECK_OK(tlcp_finished_write(&framed, &finished, &err), &err);
        CHECK_OK(tlcp_handshake_header_end(&framed, mark, &err), &err);
        CHECK_OK(tlcp_handshake_header_write(&direct, TLCP_HANDSHAKE_FINISHED, 12, &err), &err);
        CHECK_OK(tlcp_finished_write(&direct, &finished, &err), &err);
        CHECK_EQ(framed.len, 16);
        CHECK_EQ(direct.len, 16);
        CHECK_MEM(framed.data, direct.data, 16);
        CHECK(framed.data[0] == 20 && framed.data[1] == 0 && framed.data[2] == 0 && framed.data[3] == 12);
        CHECK_STATUS(
            tlcp_handshake_header_write(&direct, TLCP_HANDSHAKE_CERTIFICATE, TLCP_MAX_HANDSHAKE_MESSAGE + 1, &err),
            SMT_EINVAL);
        CHECK_STATUS(tlcp_handshake_header_end(&direct, direct.len, &err), SMT_EINVAL);
        CHECK_OK(tlcp_handshake_header_begin(&direct, TLCP_HANDSHAKE_CERTIFICATE, &mark, &err), &err);
        uint8_t *filler;
        CHECK_OK(buf_write_reserve(&direct, &filler, TLCP_MAX_HANDSHAKE_MESSAGE + 1), &err);
        CHECK_STATUS(tlcp_handshake_header_end(&direct, mark, &err), SMT_EINVAL);
        buf_writer_cleanup(&framed);
        buf_writer_cleanup(&direct);
}

static void test_small_message_writers(void)
{
        static const uint8_t ticket_bytes[3] = {1, 2, 3};
        struct tlcp_new_session_ticket ticket = {.lifetime_hint = 300, .ticket = buf_reader_make(ticket_bytes, 3)},
                                       parsed;
        struct tlcp_certificate_verify verify = {.signature = buf_reader_make(ticket_bytes, 3)};
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, TEST_WRITER_MAX);
        CHECK_OK(tlcp_new_session_ticket_write(&w, &ticket, &err), &err);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        CHECK_OK(tlcp_new_session_ticket_parse(&parsed, &in, &err), &err);
        CHECK_EQ(parsed.lifetime_hint, 300);
        CHECK_EQ(parsed.ticket.len, 3);
        buf_writer_cleanup(&w);
        CHECK_OK(tlcp_certificate_verify_write(&w, &verify, &err), &err);
        CHECK_EQ(w.len, 5);
        verify.signature.len = 0;
        CHECK_STATUS(tlcp_certificate_verify_write(&w, &verify, &err), SMT_EINVAL);
        buf_writer_cleanup(&w);
        CHECK_OK(tlcp_server_hello_done_write(&w, &err), &err);
        CHECK_EQ(w.len, 0);
        buf_writer_cleanup(&w);
}

CHECK_MAIN(CHECK_TEST(test_client_hello_writer_round_trip), CHECK_TEST(test_client_hello_writer_leaves_out_empty_block),
           CHECK_TEST(test_client_hello_writer_refusals), CHECK_TEST(test_writers_stop_at_capacity),
           CHECK_TEST(test_server_hello_writer_round_trip), CHECK_TEST(test_server_key_exchange_writer),
           CHECK_TEST(test_client_key_exchange_writer_forms), CHECK_TEST(test_certificate_writer),
           CHECK_TEST(test_certificate_request_writer), CHECK_TEST(test_handshake_header_writers),
           CHECK_TEST(test_small_message_writers))
