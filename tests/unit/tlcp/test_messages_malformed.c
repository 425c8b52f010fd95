/* tests/unit/tlcp/test_messages_malformed.c: what the handshake message parsers refuse, and with which
 * status. Every recorded message cut short at every length, or given one byte more, must fail with
 * decode_error (a hello cut exactly before its optional extensions is the one legal prefix). Then, per
 * message, the grammar's own limits: empty or odd cipher_suites, no null compression, a 33-byte session
 * ID, duplicate extensions, malformed server_name lists, empty certificate entries, wrong curves... */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tlcp/messages.h"
#include "vectors.h"

/* A zero random, hex for the 32 bytes every hello body has after its version. */
#define ZERO_RANDOM_HEX                                                                                                \
        "00000000000000000000000000000000"                                                                             \
        "00000000000000000000000000000000"

/* parse_exact parses len bytes copied into a heap block of exactly that size (so ASan sees any
 * over-read) as a message of type; the parsed struct is thrown away, the status returned. */
static int parse_exact(uint8_t type, enum tlcp_key_exchange key_exchange, const uint8_t *data, size_t len,
                       struct err *err)
{
        uint8_t *copy = malloc(len > 0 ? len : 1);
        CHECK(copy != NULL);
        if (len > 0)
                memcpy(copy, data, len);
        struct buf_reader in = buf_reader_make(copy, len);
        union {
                struct tlcp_client_hello client_hello;
                struct tlcp_server_hello server_hello;
                struct tlcp_certificate certificate;
                struct tlcp_server_key_exchange server_key_exchange;
                struct tlcp_certificate_request certificate_request;
                struct tlcp_client_key_exchange client_key_exchange;
                struct tlcp_certificate_verify certificate_verify;
                struct tlcp_finished finished;
                struct tlcp_new_session_ticket new_session_ticket;
        } out;
        int status = SMT_EINTERNAL;
        switch (type) {
        case TLCP_HANDSHAKE_CLIENT_HELLO:
                status = tlcp_client_hello_parse(&out.client_hello, &in, err);
                break;
        case TLCP_HANDSHAKE_SERVER_HELLO:
                status = tlcp_server_hello_parse(&out.server_hello, &in, err);
                break;
        case TLCP_HANDSHAKE_CERTIFICATE:
                status = tlcp_certificate_parse(&out.certificate, &in, err);
                break;
        case TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE:
                status = tlcp_server_key_exchange_parse(&out.server_key_exchange, key_exchange, &in, err);
                break;
        case TLCP_HANDSHAKE_CERTIFICATE_REQUEST:
                status = tlcp_certificate_request_parse(&out.certificate_request, &in, err);
                break;
        case TLCP_HANDSHAKE_SERVER_HELLO_DONE:
                status = tlcp_server_hello_done_parse(&in, err);
                break;
        case TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE:
                status = tlcp_client_key_exchange_parse(&out.client_key_exchange, key_exchange, &in, err);
                break;
        case TLCP_HANDSHAKE_CERTIFICATE_VERIFY:
                status = tlcp_certificate_verify_parse(&out.certificate_verify, &in, err);
                break;
        case TLCP_HANDSHAKE_FINISHED:
                status = tlcp_finished_parse(&out.finished, &in, err);
                break;
        case TLCP_HANDSHAKE_NEW_SESSION_TICKET:
                status = tlcp_new_session_ticket_parse(&out.new_session_ticket, &in, err);
                break;
        default:
                check_fail(__FILE__, __LINE__, "no parser for type %u", type);
        }
        free(copy);
        return status;
}

/* parse_hex is parse_exact over a hex string. */
static int parse_hex(uint8_t type, enum tlcp_key_exchange key_exchange, const char *hex, struct err *err)
{
        uint8_t bytes[2048];
        size_t len = check_hex(bytes, sizeof bytes, hex);
        return parse_exact(type, key_exchange, bytes, len, err);
}

/* CHECK_REFUSED expects status from parsing hex, with an error message that names the message. */
#define CHECK_REFUSED(type, key_exchange, hex, status)                                                                 \
        do {                                                                                                           \
                struct err refused_err_ = {0};                                                                         \
                CHECK_STATUS(parse_hex((type), (key_exchange), (hex), &refused_err_), (status));                       \
                const char *refused_name_ = tlcp_handshake_type_name(type);                                            \
                CHECK(strncmp(refused_err_.msg, refused_name_, strlen(refused_name_)) == 0);                           \
        } while (0)

#define CHECK_ACCEPTED(type, key_exchange, hex)                                                                        \
        do {                                                                                                           \
                struct err accepted_err_ = {0};                                                                        \
                CHECK_OK(parse_hex((type), (key_exchange), (hex), &accepted_err_), &accepted_err_);                    \
        } while (0)

/* legal_prefix_len is where an optional extensions block starts, for the hellos; else SIZE_MAX. */
static size_t legal_prefix_len(const struct tlcp_vector_message *msg, struct buf_reader body)
{
        struct tlcp_client_hello client;
        struct tlcp_server_hello server;
        struct err err = {0};
        size_t len = body.len;
        if (msg->msg_type == TLCP_HANDSHAKE_CLIENT_HELLO) {
                CHECK_OK(tlcp_client_hello_parse(&client, &body, &err), &err);
                return client.extensions.is_present ? len - 2 - client.extensions.block.len : SIZE_MAX;
        }
        if (msg->msg_type == TLCP_HANDSHAKE_SERVER_HELLO) {
                CHECK_OK(tlcp_server_hello_parse(&server, &body, &err), &err);
                return server.extensions.is_present ? len - 2 - server.extensions.block.len : SIZE_MAX;
        }
        return SIZE_MAX;
}

static void test_every_truncation_of_recorded_messages_fails(void)
{
        size_t num_prefixes = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                for (size_t m = 0; m < v.num_messages; m++) {
                        const struct tlcp_vector_message *msg = &v.messages[m];
                        const uint8_t *body = msg->data + 4;
                        size_t body_len = msg->len - 4;
                        size_t legal = legal_prefix_len(msg, buf_reader_make(body, body_len));
                        for (size_t len = 0; len < body_len; len++, num_prefixes++) {
                                struct err err = {0};
                                int status = parse_exact(msg->msg_type, v.suite->key_exchange, body, len, &err);
                                if (len == legal) {
                                        CHECK_OK(status, &err);
                                        continue;
                                }
                                if (status != TLCP_EDECODE_ERROR)
                                        check_fail(__FILE__, __LINE__, "%s: %s cut to %zu of %zu bytes: %s", v.name,
                                                   tlcp_handshake_type_name(msg->msg_type), len, body_len,
                                                   err_name(status));
                        }
                }
                tlcp_vector_free(&v);
        }
        CHECK(num_prefixes > 10000);
}

static void test_trailing_byte_after_recorded_messages_fails(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                for (size_t m = 0; m < v.num_messages; m++) {
                        const struct tlcp_vector_message *msg = &v.messages[m];
                        size_t body_len = msg->len - 4;
                        uint8_t *longer = malloc(body_len + 1);
                        struct err err = {0};
                        CHECK(longer != NULL);
                        memcpy(longer, msg->data + 4, body_len);
                        longer[body_len] = 0;
                        CHECK_STATUS(parse_exact(msg->msg_type, v.suite->key_exchange, longer, body_len + 1, &err),
                                     TLCP_EDECODE_ERROR);
                        const char *name = tlcp_handshake_type_name(msg->msg_type);
                        CHECK(strncmp(err.msg, name, strlen(name)) == 0);
                        free(longer);
                }
                tlcp_vector_free(&v);
        }
}

#define CLIENT_HELLO(tail) "0101" ZERO_RANDOM_HEX tail
#define SERVER_HELLO(tail) "0101" ZERO_RANDOM_HEX tail
#define ONE_SUITE          "00 0002 e013 0100" /* empty session_id, one suite, null compression */
#define CH                 TLCP_HANDSHAKE_CLIENT_HELLO
#define ECC                TLCP_KEY_EXCHANGE_ECC
#define ECDHE              TLCP_KEY_EXCHANGE_ECDHE

/* parse_client_hello_hex parses into hello, which borrows storage. */
static int parse_client_hello_hex(struct tlcp_client_hello *hello, uint8_t storage[1024], const char *hex,
                                  struct err *err)
{
        struct buf_reader in = buf_reader_make(storage, check_hex(storage, 1024, hex));
        return tlcp_client_hello_parse(hello, &in, err);
}

static void test_client_hello_suite_and_compression_lists(void)
{
        struct tlcp_client_hello hello;
        uint8_t storage[1024];
        struct err err = {0};
        CHECK_ACCEPTED(CH, ECC, CLIENT_HELLO(ONE_SUITE));
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO("00 0000 0100"), TLCP_EDECODE_ERROR);
        CHECK_STATUS(parse_client_hello_hex(&hello, storage, CLIENT_HELLO("00 0003 e01300 0100"), &err),
                     TLCP_EDECODE_ERROR);
        CHECK_STR(err.msg, "client_hello: cipher_suites length 3 is odd");
        /* TLS 1.1 §7.4.1.2: null must be offered; compression itself is never negotiated by TLCP peers. */
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO("00 0002 e013 0101"), TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO("00 0002 e013 00"), TLCP_EDECODE_ERROR);
        CHECK_OK(parse_client_hello_hex(&hello, storage, CLIENT_HELLO("00 0004 e053 e013 020100"), &err), &err);
        CHECK_EQ(hello.num_cipher_suites, 2);
        CHECK_EQ(tlcp_client_hello_suite_get(&hello, 1), 0xE013);
        CHECK(!tlcp_client_hello_offers_suite(&hello, 0xE011));
        CHECK_EQ(hello.compression_methods.len, 2);
}

static void test_client_hello_session_id_at_most_32(void)
{
        struct tlcp_client_hello hello;
        uint8_t storage[1024];
        struct err err = {0};
        CHECK_OK(parse_client_hello_hex(&hello, storage, CLIENT_HELLO("20" ZERO_RANDOM_HEX "0002 e013 0100"), &err),
                 &err);
        CHECK_EQ(hello.session_id_len, 32);
        CHECK_STATUS(
            parse_client_hello_hex(&hello, storage, CLIENT_HELLO("21" ZERO_RANDOM_HEX "00 0002 e013 0100"), &err),
            TLCP_EDECODE_ERROR);
        CHECK_STR(err.msg, "client_hello: session_id length 33 exceeds 32");
}

static void test_client_hello_extensions_block(void)
{
        struct tlcp_client_hello hello;
        struct buf_reader data;
        uint8_t storage[1024];
        struct err err = {0};
        /* Present but empty is legal (RFC 5246 §7.4.1.2 allows a zero-length block). */
        CHECK_OK(parse_client_hello_hex(&hello, storage, CLIENT_HELLO(ONE_SUITE "0000"), &err), &err);
        CHECK(hello.extensions.is_present);
        CHECK_EQ(hello.extensions.num_extensions, 0);
        /* Unknown extensions are kept for lookup, never fatal. */
        CHECK_OK(parse_client_hello_hex(&hello, storage, CLIENT_HELLO(ONE_SUITE "000a 1234 0002 abcd 000d 0000"), &err),
                 &err);
        CHECK_EQ(hello.extensions.num_extensions, 2);
        CHECK(tlcp_extensions_lookup(&hello.extensions, 0x1234, &data));
        CHECK(data.len == 2 && data.data[0] == 0xab && data.data[1] == 0xcd);
        CHECK(!tlcp_extensions_lookup(&hello.extensions, 0x0023, &data));
        CHECK(!hello.has_server_name && !hello.has_session_ticket && !hello.has_renegotiation_info);
        CHECK_STATUS(parse_client_hello_hex(&hello, storage, CLIENT_HELLO(ONE_SUITE "0008 1234 0000 1234 0000"), &err),
                     TLCP_EDECODE_ERROR);
        CHECK_STR(err.msg, "client_hello: extension 4660 appears twice");
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0008 0023 0000 0023 0000"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0005 0000 0005 ab"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0006 0023 0000"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0003 0023 00"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "00"), TLCP_EDECODE_ERROR);
}

static void test_client_hello_server_name(void)
{
        struct tlcp_client_hello hello;
        uint8_t storage[1024];
        struct err err = {0};
        CHECK_OK(parse_client_hello_hex(&hello, storage,
                                        CLIENT_HELLO(ONE_SUITE "0012 0000 000e 000c 00 0009 6c6f63616c686f7374"), &err),
                 &err);
        CHECK(hello.has_server_name);
        CHECK_STR(hello.server_name, "localhost");
        /* RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>, HostName<1..2^16-1>, one name per type. */
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0004 0000 0000"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0006 0000 0002 0000"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0012 0000 000e 000d 00 0009 6c6f63616c686f7374"),
                      TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0012 0000 000e 000b 00 0009 6c6f63616c686f7374"),
                      TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0013 0000 000f 000c 00 0009 6c6f63616c686f7374 00"),
                      TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0009 0000 0005 0003 00 0000"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "000c 0000 0008 0006 00 0003 6c6f00"), TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0012 0000 000e 000c 00 0003 616263 00 0003 646566"),
                      TLCP_EDECODE_ERROR);
        /* An entry of another name type is skipped; the host_name entry still counts. */
        CHECK_OK(parse_client_hello_hex(&hello, storage,
                                        CLIENT_HELLO(ONE_SUITE "0012 0000 000e 000c 01 0003 616263 00 0003 646566"),
                                        &err),
                 &err);
        CHECK_STR(hello.server_name, "def");
        CHECK_OK(
            parse_client_hello_hex(&hello, storage, CLIENT_HELLO(ONE_SUITE "000c 0000 0008 0006 01 0003 616263"), &err),
            &err);
        CHECK(!hello.has_server_name);
}

/* client_hello_with_host_name parses a hello whose server_name is name_len bytes of 'a'. */
static int client_hello_with_host_name(struct tlcp_client_hello *hello, size_t name_len, struct err *err)
{
        static uint8_t storage[1024];
        uint8_t prefix[64], name[300];
        struct buf_writer w;
        size_t prefix_len = check_hex(prefix, sizeof prefix, CLIENT_HELLO(ONE_SUITE));
        memset(name, 'a', sizeof name);
        buf_writer_init_fixed(&w, storage, sizeof storage);
        CHECK(buf_write_bytes(&w, prefix, prefix_len) == 0);
        CHECK(buf_write_u16(&w, (uint16_t)(4 + 5 + name_len)) == 0);
        CHECK(buf_write_u16(&w, TLCP_EXTENSION_SERVER_NAME) == 0);
        CHECK(buf_write_u16(&w, (uint16_t)(5 + name_len)) == 0);
        CHECK(buf_write_u16(&w, (uint16_t)(3 + name_len)) == 0);
        CHECK(buf_write_u8(&w, 0) == 0);
        CHECK(buf_write_u16(&w, (uint16_t)name_len) == 0);
        CHECK(buf_write_bytes(&w, name, name_len) == 0);
        struct buf_reader in = buf_reader_make(w.data, w.len);
        return tlcp_client_hello_parse(hello, &in, err);
}

static void test_client_hello_host_name_length(void)
{
        struct tlcp_client_hello hello;
        struct err err = {0};
        CHECK_OK(client_hello_with_host_name(&hello, TLCP_SERVER_NAME_MAX, &err), &err);
        CHECK_EQ(strlen(hello.server_name), TLCP_SERVER_NAME_MAX);
        CHECK_STATUS(client_hello_with_host_name(&hello, TLCP_SERVER_NAME_MAX + 1, &err), TLCP_EILLEGAL_PARAMETER);
}

static void test_hello_renegotiation_info(void)
{
        struct tlcp_client_hello hello;
        uint8_t storage[1024];
        struct err err = {0};
        CHECK_OK(parse_client_hello_hex(&hello, storage, CLIENT_HELLO(ONE_SUITE "0005 ff01 0001 00"), &err), &err);
        CHECK(hello.has_renegotiation_info);
        CHECK_EQ(hello.renegotiated_connection.len, 0);
        CHECK_OK(parse_client_hello_hex(&hello, storage, CLIENT_HELLO(ONE_SUITE "0007 ff01 0003 02aabb"), &err), &err);
        CHECK_EQ(hello.renegotiated_connection.len, 2);
        /* RFC 5746 §3.2: extension_data is renegotiated_connection<0..255>, nothing else. */
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0004 ff01 0000"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0006 ff01 0002 02aa"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(CH, ECC, CLIENT_HELLO(ONE_SUITE "0006 ff01 0002 00aa"), TLCP_EDECODE_ERROR);
        CHECK_REFUSED(TLCP_HANDSHAKE_SERVER_HELLO, ECC, SERVER_HELLO("00 e013 00 0004 ff01 0000"), TLCP_EDECODE_ERROR);
}

static void test_server_hello_fields(void)
{
        struct tlcp_server_hello hello;
        uint8_t storage[1024];
        struct err err = {0};
        struct buf_reader in =
            buf_reader_make(storage, check_hex(storage, sizeof storage,
                                               SERVER_HELLO("00 e053 00 000d 1234 0000 ff01 0001 00 0000 0000")));
        CHECK_OK(tlcp_server_hello_parse(&hello, &in, &err), &err);
        CHECK_EQ(hello.cipher_suite, 0xE053);
        CHECK(hello.has_renegotiation_info && hello.has_server_name && !hello.has_session_ticket);
        CHECK_EQ(hello.extensions.num_extensions, 3);
        CHECK_ACCEPTED(TLCP_HANDSHAKE_SERVER_HELLO, ECC, SERVER_HELLO("00 e013 00"));
        CHECK_REFUSED(TLCP_HANDSHAKE_SERVER_HELLO, ECC, SERVER_HELLO("00 e013 01"), TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(TLCP_HANDSHAKE_SERVER_HELLO, ECC, SERVER_HELLO("21" ZERO_RANDOM_HEX "00 e013 00"),
                      TLCP_EDECODE_ERROR);
        CHECK_REFUSED(TLCP_HANDSHAKE_SERVER_HELLO, ECC, SERVER_HELLO("00 e013 00 0008 0023 0000 0023 0000"),
                      TLCP_EDECODE_ERROR);
}

/* hex_repeat writes count copies of unit after prefix into out (for lists too long to spell out). */
static const char *hex_repeat(char *out, size_t cap, const char *prefix, const char *unit, size_t count)
{
        size_t len = strlen(prefix), unit_len = strlen(unit);
        CHECK(len + count * unit_len < cap);
        memcpy(out, prefix, len);
        for (size_t i = 0; i < count; i++, len += unit_len)
                memcpy(out + len, unit, unit_len);
        out[len] = '\0';
        return out;
}

static void test_certificate_list_framing(void)
{
        const uint8_t type = TLCP_HANDSHAKE_CERTIFICATE;
        char hex[1024];
        struct err err = {0};
        CHECK_ACCEPTED(type, ECC, "000000");
        CHECK_ACCEPTED(type, ECC, "000004 000001 aa");
        CHECK_STATUS(parse_hex(type, ECC, "000007 000001 aa 000000", &err), TLCP_EDECODE_ERROR);
        CHECK_STR(err.msg, "certificate: entry 1 is empty");
        CHECK_REFUSED(type, ECC, "000005 000001 aa", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "000003 000001 aa", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "000004 000002 aa", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "000004 000001 aa bb", TLCP_EDECODE_ERROR);
        CHECK_ACCEPTED(type, ECC, hex_repeat(hex, sizeof hex, "000040", "000001aa", TLCP_CERTIFICATE_LIST_MAX));
        CHECK_REFUSED(type, ECC, hex_repeat(hex, sizeof hex, "000044", "000001aa", TLCP_CERTIFICATE_LIST_MAX + 1),
                      TLCP_EDECODE_ERROR);
}

static void test_server_key_exchange_fields(void)
{
        const uint8_t type = TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE;
        char hex[512];
        struct err err = {0};
        CHECK_ACCEPTED(type, ECC, "0001 30");
        CHECK_REFUSED(type, ECC, "0000", TLCP_EDECODE_ERROR);
        CHECK_ACCEPTED(type, ECC, hex_repeat(hex, sizeof hex, "0048", "30", 72));
        CHECK_STATUS(parse_hex(type, ECC, hex_repeat(hex, sizeof hex, "0049", "30", 73), &err), TLCP_EDECODE_ERROR);
        CHECK_STR(err.msg, "server_key_exchange: signature length 73 exceeds 72");
        CHECK_ACCEPTED(type, ECDHE, "03 0029 01 04 0001 30");
        /* GB/T 38636 fixes the curve: named_curve (3) SM2 (41); anything else was never offered. */
        CHECK_REFUSED(type, ECDHE, "01 0029 01 04 0001 30", TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(type, ECDHE, "03 0017 01 04 0001 30", TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(type, ECDHE, "03 0029 00 0001 30", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECDHE, "03 0029 01 04 0000", TLCP_EDECODE_ERROR);
        /* The ECC form where ECDHE was negotiated reads as a wrong curve type. */
        CHECK_REFUSED(type, ECDHE, "0001 30", TLCP_EILLEGAL_PARAMETER);
        CHECK_STATUS(parse_hex(type, (enum tlcp_key_exchange)0, "0001 30", &err), SMT_EINVAL);
}

static void test_client_key_exchange_forms_and_limits(void)
{
        const uint8_t type = TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE;
        struct tlcp_client_key_exchange cke;
        uint8_t storage[64];
        struct err err = {0};
        CHECK_ACCEPTED(type, ECC, "0001 aa");
        CHECK_REFUSED(type, ECC, "0000", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "0002 aa", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECDHE, "", TLCP_EDECODE_ERROR);
        struct buf_reader in = buf_reader_make(storage, check_hex(storage, sizeof storage, "03 0029 02 04aa"));
        CHECK_OK(tlcp_client_key_exchange_parse(&cke, ECDHE, &in, &err), &err);
        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE);
        CHECK(cke.point.len == 2 && cke.point.data[1] == 0xaa);
        in = buf_reader_make(storage, check_hex(storage, sizeof storage, "0006 03 0029 02 04aa"));
        CHECK_OK(tlcp_client_key_exchange_parse(&cke, ECDHE, &in, &err), &err);
        CHECK_EQ(cke.form, TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED);
        CHECK(cke.point.len == 2 && cke.point.data[1] == 0xaa);
        CHECK_REFUSED(type, ECDHE, "0007 03 0029 02 04aa", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECDHE, "0007 03 0029 02 04aa 00", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECDHE, "0006 03 0029 02 04aa 00", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECDHE, "03 0029 02 04aa 00", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECDHE, "03 0017 02 04aa", TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(type, ECDHE, "0006 03 0017 02 04aa", TLCP_EILLEGAL_PARAMETER);
        CHECK_REFUSED(type, ECDHE, "0004 03 0029 00", TLCP_EDECODE_ERROR);
}

static void test_certificate_request_fields(void)
{
        const uint8_t type = TLCP_HANDSHAKE_CERTIFICATE_REQUEST;
        CHECK_ACCEPTED(type, ECC, "01 40 0000");
        CHECK_ACCEPTED(type, ECC, "02 0140 0006 0001 aa 0001 bb");
        CHECK_REFUSED(type, ECC, "00 0000", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "01 40 0002 0000", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "01 40 0004 0003 aa", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "01 40 0003 0001 aa bb", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(type, ECC, "01 40", TLCP_EDECODE_ERROR);
}

static void test_small_messages(void)
{
        char hex[512];
        CHECK_ACCEPTED(TLCP_HANDSHAKE_CERTIFICATE_VERIFY, ECC, "0001 30");
        CHECK_REFUSED(TLCP_HANDSHAKE_CERTIFICATE_VERIFY, ECC, "0000", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(TLCP_HANDSHAKE_CERTIFICATE_VERIFY, ECC, hex_repeat(hex, sizeof hex, "0049", "30", 73),
                      TLCP_EDECODE_ERROR);
        CHECK_ACCEPTED(TLCP_HANDSHAKE_FINISHED, ECC, "000102030405060708090a0b");
        CHECK_REFUSED(TLCP_HANDSHAKE_FINISHED, ECC, "000102030405060708090a", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(TLCP_HANDSHAKE_FINISHED, ECC, "000102030405060708090a0b0c", TLCP_EDECODE_ERROR);
        CHECK_ACCEPTED(TLCP_HANDSHAKE_SERVER_HELLO_DONE, ECC, "");
        CHECK_REFUSED(TLCP_HANDSHAKE_SERVER_HELLO_DONE, ECC, "00", TLCP_EDECODE_ERROR);
        CHECK_ACCEPTED(TLCP_HANDSHAKE_NEW_SESSION_TICKET, ECC, "00001c20 0000");
        CHECK_REFUSED(TLCP_HANDSHAKE_NEW_SESSION_TICKET, ECC, "00001c20 0001", TLCP_EDECODE_ERROR);
        CHECK_REFUSED(TLCP_HANDSHAKE_NEW_SESSION_TICKET, ECC, "00001c", TLCP_EDECODE_ERROR);
}

static void test_handshake_header_framing(void)
{
        struct tlcp_handshake_header header;
        struct buf_reader body;
        uint8_t bytes[32];
        struct err err = {0};
        size_t len = check_hex(bytes, sizeof bytes, "0e 000000 14 00000c 000102030405060708090a0b");
        /* Too short for a header, or for the body it announces: wait for more, reader untouched. */
        struct buf_reader in = buf_reader_make(bytes, 3);
        CHECK_STATUS(tlcp_handshake_header_parse(&header, &in, &err), SMT_EAGAIN);
        CHECK_EQ(in.len, 3);
        in = buf_reader_make(bytes, len - 1);
        CHECK_OK(tlcp_handshake_header_split(&header, &body, &in, &err), &err);
        CHECK_EQ(header.type, TLCP_HANDSHAKE_SERVER_HELLO_DONE);
        CHECK_EQ(body.len, 0);
        CHECK_STATUS(tlcp_handshake_header_split(&header, &body, &in, &err), SMT_EAGAIN);
        CHECK_EQ(in.len, len - 5);
        in = buf_reader_make(bytes, len);
        CHECK_OK(tlcp_handshake_header_split(&header, &body, &in, &err), &err);
        CHECK_OK(tlcp_handshake_header_split(&header, &body, &in, &err), &err);
        CHECK_EQ(header.type, TLCP_HANDSHAKE_FINISHED);
        CHECK_EQ(header.length, 12);
        CHECK(body.len == 12 && body.data[11] == 0x0b && buf_reader_is_empty(&in));
        /* A length past TLCP_MAX_HANDSHAKE_MESSAGE fails at once instead of waiting for it. */
        in = buf_reader_make(bytes, check_hex(bytes, sizeof bytes, "0b 010001"));
        CHECK_STATUS(tlcp_handshake_header_parse(&header, &in, &err), TLCP_EDECODE_ERROR);
        in = buf_reader_make(bytes, check_hex(bytes, sizeof bytes, "0b 010000"));
        CHECK_OK(tlcp_handshake_header_parse(&header, &in, &err), &err);
        CHECK_EQ(header.length, TLCP_MAX_HANDSHAKE_MESSAGE);
}

CHECK_MAIN(CHECK_TEST(test_every_truncation_of_recorded_messages_fails),
           CHECK_TEST(test_trailing_byte_after_recorded_messages_fails),
           CHECK_TEST(test_client_hello_suite_and_compression_lists),
           CHECK_TEST(test_client_hello_session_id_at_most_32), CHECK_TEST(test_client_hello_extensions_block),
           CHECK_TEST(test_client_hello_server_name), CHECK_TEST(test_client_hello_host_name_length),
           CHECK_TEST(test_hello_renegotiation_info), CHECK_TEST(test_server_hello_fields),
           CHECK_TEST(test_certificate_list_framing), CHECK_TEST(test_server_key_exchange_fields),
           CHECK_TEST(test_client_key_exchange_forms_and_limits), CHECK_TEST(test_certificate_request_fields),
           CHECK_TEST(test_small_messages), CHECK_TEST(test_handshake_header_framing))
