/* tests/unit/tlcp/test_conn.c: the connection's byte pump against what the wire can do: bytes arriving one
 * at a time, records cut short, handshake messages fragmented and coalesced, tampered records, records of
 * the wrong version or type, alerts, close_notify, renegotiation attempts. Records are crafted here with
 * the connection's own record protection (tlcp/handshake.h gives the tests that access). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "handshake_fixture.h"
#include "tlcp/conn.h"
#include "tlcp/handshake.h"
#include "tlcp/messages.h"
#include "tlcp/record.h"

static struct handshake_fixture_pki pki;

static void load_pki(void)
{
        if (pki.ca == NULL)
                handshake_fixture_pki_load(&pki);
}

static void expect_established(struct handshake_fixture *f)
{
        if (f->client_status != 0 || f->server_status != 0)
                check_fail(__FILE__, __LINE__, "handshake: client %s (%s), server %s (%s)", err_name(f->client_status),
                           f->client_err.msg, err_name(f->server_status), f->server_err.msg);
}

static void start(struct handshake_fixture *f, uint16_t suite)
{
        static uint16_t suites[1];
        suites[0] = suite;
        load_pki();
        handshake_fixture_init(f, &pki);
        f->client_config.suites = suites;
        f->client_config.num_suites = 1;
        f->client_config.client_credentials = &pki.client;
        f->server_config.client_auth = TLCP_CLIENT_AUTH_OPTIONAL;
        f->server_config.trust = pki.trust;
        handshake_fixture_start(f);
}

/* wire_append adds a plaintext record to a wire, as a peer (or an attacker) would send it. */
static void wire_append(struct handshake_fixture_wire *wire, uint8_t type, uint16_t version, const uint8_t *content,
                        size_t len)
{
        wire->data = realloc(wire->data, wire->len + 5 + len);
        CHECK(wire->data != NULL);
        uint8_t header[5] = {type, (uint8_t)(version >> 8), (uint8_t)version, (uint8_t)(len >> 8), (uint8_t)len};
        memcpy(wire->data + wire->len, header, 5);
        memcpy(wire->data + wire->len + 5, content, len);
        wire->len += 5 + len;
        wire->cap = wire->len;
}

/* seal queues a record of type on conn with conn's current write protection. */
static void seal(struct tlcp_conn *conn, uint8_t type, const uint8_t *content, size_t len)
{
        struct err err = {0};
        CHECK_OK(tlcp_record_seal(&conn->io.write, &conn->io.output, type, content, len, &err), &err);
}

static int pump_read(struct handshake_fixture *f, struct tlcp_conn *conn, uint8_t *buf, size_t len, struct err *err)
{
        handshake_fixture_transfer(f);
        return handshake_fixture_read(f, conn, buf, len, err);
}

static void send_and_check(struct handshake_fixture *f, struct tlcp_conn *from, struct tlcp_conn *to, size_t len)
{
        struct err err = {0};
        uint8_t *data = malloc(len), *got = malloc(len);
        CHECK(data != NULL && got != NULL);
        for (size_t i = 0; i < len; i++)
                data[i] = (uint8_t)(i ^ (i >> 8));
        CHECK_OK(tlcp_conn_write(from, data, len, &err), &err);
        CHECK_OK(pump_read(f, to, got, len, &err), &err);
        CHECK_MEM(data, got, len);
        free(data);
        free(got);
}

/* Every byte delivered alone: each short record makes the receiver wait, and the handshake and the data
 * still come through, for every suite. */
static void test_one_byte_at_a_time(void)
{
        size_t n;
        const struct tlcp_suite *all = tlcp_suite_all(&n);
        for (size_t i = 0; i < n; i++) {
                struct handshake_fixture f;
                start(&f, (uint16_t)all[i].id);
                f.to_server.chunk = 1;
                f.to_client.chunk = 1;
                handshake_fixture_run(&f);
                expect_established(&f);
                send_and_check(&f, f.client, f.server, 3000);
                send_and_check(&f, f.server, f.client, 20000);
                handshake_fixture_cleanup(&f);
        }
}

/* A record short of its last byte: the receiver waits (SMT_EAGAIN, nothing sent) and goes on once it comes. */
static void test_truncated_record_waits(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        CHECK_STATUS(tlcp_conn_handshake(f.client, &err), SMT_EAGAIN);
        handshake_fixture_transfer(&f);
        size_t consumed = 0, total = f.to_server.len;
        CHECK_OK(tlcp_conn_put_input(f.server, f.to_server.data, total - 1, &consumed, &err), &err);
        CHECK_EQ(consumed, total - 1);
        CHECK_STATUS(tlcp_conn_handshake(f.server, &err), SMT_EAGAIN);
        const uint8_t *out;
        CHECK_EQ(tlcp_conn_peek_output(f.server, &out), 0);
        CHECK_OK(tlcp_conn_put_input(f.server, f.to_server.data + total - 1, 1, &consumed, &err), &err);
        CHECK_EQ(consumed, 1);
        f.to_server.len = 0;
        CHECK_STATUS(tlcp_conn_handshake(f.server, &err), SMT_EAGAIN);
        CHECK(tlcp_conn_peek_output(f.server, &out) > 0);
        f.client_status = f.server_status = SMT_EAGAIN;
        handshake_fixture_run(&f);
        expect_established(&f);
        handshake_fixture_cleanup(&f);
}

/* rewrite_flight replaces the handshake records on wire by records of at most size bytes of the same
 * handshake stream: messages coalesced into one record, or each split over many. */
static void rewrite_flight(struct handshake_fixture_wire *wire, size_t size)
{
        uint8_t *stream = malloc(wire->len);
        size_t stream_len = 0;
        struct buf_reader in = buf_reader_make(wire->data, wire->len);
        while (in.len > 0) {
                struct err err = {0};
                struct tlcp_record_header header;
                struct buf_reader fragment;
                CHECK_OK(tlcp_record_header_parse(&header, &in, &err), &err);
                CHECK_OK(buf_read_slice(&in, &fragment, header.length), &err);
                CHECK_EQ(header.type, TLCP_CONTENT_HANDSHAKE);
                memcpy(stream + stream_len, fragment.data, fragment.len);
                stream_len += fragment.len;
        }
        wire->len = 0;
        for (size_t at = 0; at < stream_len; at += size)
                wire_append(wire, TLCP_CONTENT_HANDSHAKE, TLCP_VERSION, stream + at,
                            stream_len - at < size ? stream_len - at : size);
        free(stream);
}

/* The server's first flight (ServerHello .. ServerHelloDone) coalesced into records as large as they go,
 * then fragmented into 7-byte records: the client reassembles it both ways (RFC 5246 §6.2.1). */
static void test_fragmented_and_coalesced_handshake(void)
{
        const size_t sizes[] = {TLCP_MAX_PLAINTEXT, 7, 1};
        for (size_t i = 0; i < 3; i++) {
                struct err err = {0};
                struct handshake_fixture f;
                start(&f, TLCP_ECDHE_SM4_GCM_SM3);
                CHECK_STATUS(tlcp_conn_handshake(f.client, &err), SMT_EAGAIN);
                handshake_fixture_transfer(&f);
                size_t consumed;
                CHECK_OK(tlcp_conn_put_input(f.server, f.to_server.data, f.to_server.len, &consumed, &err), &err);
                f.to_server.len = 0;
                CHECK_STATUS(tlcp_conn_handshake(f.server, &err), SMT_EAGAIN);
                handshake_fixture_transfer(&f);
                size_t records_before = f.to_client.len;
                rewrite_flight(&f.to_client, sizes[i]);
                CHECK(i > 0 || f.to_client.len < records_before);
                handshake_fixture_run(&f);
                expect_established(&f);
                send_and_check(&f, f.client, f.server, 10);
                handshake_fixture_cleanup(&f);
        }
}

/* A changed byte in a protected record: the receiver fails with bad_record_mac and the sender gets the
 * alert; both stay failed. */
static void test_tampered_record(void)
{
        const uint16_t suites[] = {TLCP_ECC_SM4_GCM_SM3, TLCP_ECC_SM4_CBC_SM3};
        for (size_t i = 0; i < 2; i++) {
                struct err err = {0};
                struct handshake_fixture f;
                start(&f, suites[i]);
                handshake_fixture_run(&f);
                expect_established(&f);
                CHECK_OK(tlcp_conn_write(f.client, (const uint8_t *)"attack at dawn", 14, &err), &err);
                handshake_fixture_transfer(&f);
                f.to_server.data[f.to_server.len - 20] ^= 0x01;
                uint8_t buf[64];
                CHECK_STATUS(handshake_fixture_read(&f, f.server, buf, 14, &err), TLCP_EBAD_RECORD_MAC);
                CHECK_STATUS(pump_read(&f, f.client, buf, 1, &err), TLCP_EPEER_ALERT);
                CHECK_EQ(tlcp_conn_get_alert_received(f.client), TLCP_ALERT_BAD_RECORD_MAC);
                CHECK(strstr(err.msg, "bad_record_mac") != NULL);
                size_t n;
                CHECK_STATUS(tlcp_conn_read(f.server, buf, sizeof buf, &n, &err), TLCP_EBAD_RECORD_MAC);
                CHECK_STATUS(tlcp_conn_write(f.client, buf, 1, &err), TLCP_EPEER_ALERT);
                handshake_fixture_cleanup(&f);
        }
}

/* A changed handshake message: the client random altered on its way makes the server sign other randoms,
 * so the client refuses ServerKeyExchange. */
static void test_tampered_handshake_message(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_CBC_SM3);
        CHECK_STATUS(tlcp_conn_handshake(f.client, &err), SMT_EAGAIN);
        handshake_fixture_transfer(&f);
        f.to_server.data[5 + 4 + 2 + 10] ^= 0x80; /* record header, handshake header, version, into random */
        handshake_fixture_run(&f);
        CHECK_STATUS(f.client_status, TLCP_EDECRYPT_ERROR);
        CHECK_STATUS(f.server_status, TLCP_EPEER_ALERT);
        CHECK_EQ(tlcp_conn_get_alert_received(f.server), TLCP_ALERT_DECRYPT_ERROR);
        handshake_fixture_cleanup(&f);
}

/* client_hello_body writes a ClientHello body with version into body. */
static size_t client_hello_body(uint8_t *body, size_t cap, uint16_t version)
{
        struct err err = {0};
        uint8_t random[32] = {1};
        uint16_t suites[] = {TLCP_ECC_SM4_GCM_SM3};
        struct tlcp_client_hello_params params = {
            .client_version = version, .random = random, .suites = suites, .num_suites = 1};
        struct buf_writer w;
        buf_writer_init_fixed(&w, body, cap);
        CHECK_OK(tlcp_handshake_header_write(&w, TLCP_HANDSHAKE_CLIENT_HELLO, 0, &err), &err);
        size_t mark = w.len;
        CHECK_OK(tlcp_client_hello_write(&w, &params, &err), &err);
        body[1] = 0; /* patch the uint24 length now that the body is written */
        body[2] = (uint8_t)((w.len - mark) >> 8);
        body[3] = (uint8_t)(w.len - mark);
        return w.len;
}

/* run_server_on feeds wire bytes to a fresh server and returns its handshake status; *alert gets the
 * plaintext alert it queued (level << 8 | description), -1 for none. */
static int run_server_on(struct handshake_fixture_wire *wire, int *alert, struct err *err)
{
        load_pki();
        struct handshake_fixture f;
        handshake_fixture_init(&f, &pki);
        handshake_fixture_start(&f);
        int status = SMT_EAGAIN;
        size_t consumed = 1;
        for (size_t at = 0; status == SMT_EAGAIN && consumed > 0;) {
                CHECK_OK(tlcp_conn_put_input(f.server, wire->data + at, wire->len - at, &consumed, err), err);
                at += consumed;
                status = tlcp_conn_handshake(f.server, err);
        }
        const uint8_t *out;
        size_t len = tlcp_conn_peek_output(f.server, &out);
        *alert = -1;
        if (len >= 7 && out[len - 7] == TLCP_CONTENT_ALERT)
                *alert = out[len - 2] << 8 | out[len - 1];
        handshake_fixture_cleanup(&f);
        return status;
}

static void test_wrong_version(void)
{
        struct err err = {0};
        struct handshake_fixture_wire wire = {0};
        uint8_t hello[256];
        int alert;
        size_t len = client_hello_body(hello, sizeof hello, 0x0303); /* TLS 1.2 in a TLCP record */
        wire_append(&wire, TLCP_CONTENT_HANDSHAKE, TLCP_VERSION, hello, len);
        CHECK_STATUS(run_server_on(&wire, &alert, &err), TLCP_EPROTOCOL_VERSION);
        CHECK_EQ(alert, TLCP_ALERT_FATAL << 8 | TLCP_ALERT_PROTOCOL_VERSION);
        CHECK(strstr(err.msg, "0x0303") != NULL);
        wire.len = 0;
        len = client_hello_body(hello, sizeof hello, TLCP_VERSION); /* a TLCP hello in a TLS 1.0 record */
        wire_append(&wire, TLCP_CONTENT_HANDSHAKE, 0x0301, hello, len);
        CHECK_STATUS(run_server_on(&wire, &alert, &err), TLCP_EPROTOCOL_VERSION);
        CHECK_EQ(alert, TLCP_ALERT_FATAL << 8 | TLCP_ALERT_PROTOCOL_VERSION);
        wire.len = 0;
        wire_append(&wire, TLCP_CONTENT_HANDSHAKE, TLCP_VERSION, hello, len); /* the same hello is fine */
        CHECK_STATUS(run_server_on(&wire, &alert, &err), SMT_EAGAIN);
        CHECK_EQ(alert, -1);
        free(wire.data);
}

/* Records in the wrong place: application data or ChangeCipherSpec before their time, a malformed
 * ChangeCipherSpec, a handshake message announcing more than the cap, an unknown content type. */
static void test_unexpected_records(void)
{
        struct err err = {0};
        uint8_t hello[256];
        size_t hello_len = client_hello_body(hello, sizeof hello, TLCP_VERSION);
        const uint8_t data[] = {'h', 'i'}, ccs[] = {1}, bad_ccs[] = {2}, huge[] = {1, 0x01, 0x00, 0x01};
        struct {
                uint8_t type;
                const uint8_t *content;
                size_t len;
                bool after_hello;
                int status, alert;
        } cases[] = {
            {TLCP_CONTENT_APPLICATION_DATA, data, 2, false, TLCP_EUNEXPECTED_MESSAGE, TLCP_ALERT_UNEXPECTED_MESSAGE},
            {TLCP_CONTENT_APPLICATION_DATA, data, 2, true, TLCP_EUNEXPECTED_MESSAGE, TLCP_ALERT_UNEXPECTED_MESSAGE},
            {TLCP_CONTENT_CHANGE_CIPHER_SPEC, ccs, 1, true, TLCP_EUNEXPECTED_MESSAGE, TLCP_ALERT_UNEXPECTED_MESSAGE},
            {TLCP_CONTENT_CHANGE_CIPHER_SPEC, bad_ccs, 1, true, TLCP_EDECODE_ERROR, TLCP_ALERT_DECODE_ERROR},
            {TLCP_CONTENT_HANDSHAKE, huge, 4, false, TLCP_EDECODE_ERROR, TLCP_ALERT_DECODE_ERROR},
            {99, data, 2, false, TLCP_EUNEXPECTED_MESSAGE, TLCP_ALERT_UNEXPECTED_MESSAGE},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct handshake_fixture_wire wire = {0};
                int alert;
                if (cases[i].after_hello)
                        wire_append(&wire, TLCP_CONTENT_HANDSHAKE, TLCP_VERSION, hello, hello_len);
                wire_append(&wire, cases[i].type, TLCP_VERSION, cases[i].content, cases[i].len);
                CHECK_STATUS(run_server_on(&wire, &alert, &err), cases[i].status);
                CHECK_EQ(alert, TLCP_ALERT_FATAL << 8 | cases[i].alert);
                free(wire.data);
        }
}

/* Alerts during the handshake: a warning is skipped, a fatal one ends it with its name, an unknown level
 * is a decode_error. */
static void test_alerts_during_handshake(void)
{
        struct err err = {0};
        uint8_t hello[256];
        size_t hello_len = client_hello_body(hello, sizeof hello, TLCP_VERSION);
        const uint8_t warning[] = {1, 90}, fatal[] = {2, 40}, bad_level[] = {3, 40};
        struct handshake_fixture_wire wire = {0};
        int alert;
        wire_append(&wire, TLCP_CONTENT_ALERT, TLCP_VERSION, warning, 2);
        wire_append(&wire, TLCP_CONTENT_HANDSHAKE, TLCP_VERSION, hello, hello_len);
        CHECK_STATUS(run_server_on(&wire, &alert, &err), SMT_EAGAIN);
        wire_append(&wire, TLCP_CONTENT_ALERT, TLCP_VERSION, fatal, 2);
        CHECK_STATUS(run_server_on(&wire, &alert, &err), TLCP_EPEER_ALERT);
        CHECK(strstr(err.msg, "handshake_failure") != NULL);
        CHECK_EQ(alert, -1); /* an alert is not answered with one */
        wire.len = 0;
        wire_append(&wire, TLCP_CONTENT_ALERT, TLCP_VERSION, bad_level, 2);
        CHECK_STATUS(run_server_on(&wire, &alert, &err), TLCP_EDECODE_ERROR);
        free(wire.data);
}

/* close_notify: the other side reads TLCP_ECLOSED (and answers with its own close_notify). */
static void test_close_notify(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        handshake_fixture_run(&f);
        expect_established(&f);
        send_and_check(&f, f.client, f.server, 100);
        CHECK_OK(tlcp_conn_close(f.client, &err), &err);
        CHECK_STATUS(tlcp_conn_write(f.client, (const uint8_t *)"x", 1, &err), SMT_EINVAL);
        uint8_t buf[8];
        CHECK_STATUS(pump_read(&f, f.server, buf, 1, &err), TLCP_ECLOSED);
        size_t n;
        CHECK_STATUS(tlcp_conn_read(f.server, buf, sizeof buf, &n, &err), TLCP_ECLOSED);
        CHECK_STATUS(pump_read(&f, f.client, buf, 1, &err), TLCP_ECLOSED);
        CHECK_EQ(tlcp_conn_get_alert_received(f.client), -1);
        handshake_fixture_cleanup(&f);
}

/* Renegotiation is refused with a warning no_renegotiation (RFC 5746 §4): a ClientHello to an established
 * server, a HelloRequest to an established client; the connection goes on. */
static void test_renegotiation_refused(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_CBC_SM3);
        handshake_fixture_run(&f);
        expect_established(&f);
        uint8_t hello[256], buf[16];
        size_t hello_len = client_hello_body(hello, sizeof hello, TLCP_VERSION);
        seal(f.client, TLCP_CONTENT_HANDSHAKE, hello, hello_len);
        CHECK_OK(tlcp_conn_write(f.client, (const uint8_t *)"after", 5, &err), &err);
        CHECK_OK(pump_read(&f, f.server, buf, 5, &err), &err);
        CHECK_MEM(buf, "after", 5);
        CHECK_STATUS(pump_read(&f, f.client, buf, 1, &err), SMT_EAGAIN);
        CHECK_EQ(f.client->last_warning_received, TLCP_ALERT_NO_RENEGOTIATION);

        const uint8_t hello_request[] = {TLCP_HANDSHAKE_HELLO_REQUEST, 0, 0, 0};
        seal(f.server, TLCP_CONTENT_HANDSHAKE, hello_request, sizeof hello_request);
        CHECK_OK(tlcp_conn_write(f.server, (const uint8_t *)"still", 5, &err), &err);
        f.server->last_warning_received = -1;
        CHECK_OK(pump_read(&f, f.client, buf, 5, &err), &err);
        CHECK_MEM(buf, "still", 5);
        CHECK_STATUS(pump_read(&f, f.server, buf, 1, &err), SMT_EAGAIN);
        CHECK_EQ(f.server->last_warning_received, TLCP_ALERT_NO_RENEGOTIATION);

        /* Any other handshake message after the handshake is unexpected. */
        const uint8_t finished[] = {TLCP_HANDSHAKE_FINISHED, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        seal(f.client, TLCP_CONTENT_HANDSHAKE, finished, sizeof finished);
        CHECK_STATUS(pump_read(&f, f.server, buf, 1, &err), TLCP_EUNEXPECTED_MESSAGE);
        CHECK_STATUS(pump_read(&f, f.client, buf, 1, &err), TLCP_EPEER_ALERT);
        CHECK_EQ(tlcp_conn_get_alert_received(f.client), TLCP_ALERT_UNEXPECTED_MESSAGE);
        handshake_fixture_cleanup(&f);
}

/* Tongsuo sends an empty application_data record before its first data: it is skipped, not end of stream. */
static void test_zero_length_application_data(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        handshake_fixture_run(&f);
        expect_established(&f);
        seal(f.server, TLCP_CONTENT_APPLICATION_DATA, NULL, 0);
        uint8_t buf[8];
        CHECK_STATUS(pump_read(&f, f.client, buf, 1, &err), SMT_EAGAIN);
        seal(f.server, TLCP_CONTENT_APPLICATION_DATA, NULL, 0);
        seal(f.server, TLCP_CONTENT_APPLICATION_DATA, (const uint8_t *)"abc", 3);
        CHECK_OK(pump_read(&f, f.client, buf, 3, &err), &err);
        CHECK_MEM(buf, "abc", 3);
        handshake_fixture_cleanup(&f);
}

/* Reading in small pieces drains one record across several reads; a read before the handshake drives it. */
static void test_partial_reads(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_CBC_SM3);
        uint8_t buf[16];
        size_t n = 0;
        CHECK_STATUS(tlcp_conn_read(f.client, buf, sizeof buf, &n, &err), SMT_EAGAIN);
        handshake_fixture_run(&f);
        expect_established(&f);
        CHECK_OK(tlcp_conn_write(f.server, (const uint8_t *)"0123456789", 10, &err), &err);
        handshake_fixture_transfer(&f);
        uint8_t got[10];
        for (size_t i = 0; i < 10; i += 3)
                CHECK_OK(handshake_fixture_read(&f, f.client, got + i, i + 3 <= 10 ? 3 : 10 - i, &err), &err);
        CHECK_MEM(got, "0123456789", 10);
        CHECK_STATUS(tlcp_conn_read(f.client, buf, sizeof buf, &n, &err), SMT_EAGAIN);
        CHECK_EQ(n, 0);
        handshake_fixture_cleanup(&f);
}

/* The record layer's input limit: the connection takes one record at a time and says how much it took. */
static void test_input_one_record_at_a_time(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        handshake_fixture_run(&f);
        expect_established(&f);
        CHECK_OK(tlcp_conn_write(f.client, (const uint8_t *)"one", 3, &err), &err);
        CHECK_OK(tlcp_conn_write(f.client, (const uint8_t *)"two", 3, &err), &err);
        handshake_fixture_transfer(&f);
        size_t consumed;
        size_t total = f.to_server.len;
        CHECK_OK(tlcp_conn_put_input(f.server, f.to_server.data, total, &consumed, &err), &err);
        CHECK_EQ(consumed, total / 2);
        CHECK_OK(tlcp_conn_put_input(f.server, f.to_server.data + consumed, total - consumed, &consumed, &err), &err);
        CHECK_EQ(consumed, 0); /* the first record is not read yet */
        uint8_t buf[3];
        size_t n;
        CHECK_OK(tlcp_conn_read(f.server, buf, 3, &n, &err), &err);
        CHECK_MEM(buf, "one", 3);
        CHECK_OK(tlcp_conn_put_input(f.server, f.to_server.data + total / 2, total / 2, &consumed, &err), &err);
        CHECK_EQ(consumed, total / 2);
        CHECK_OK(tlcp_conn_read(f.server, buf, 3, &n, &err), &err);
        CHECK_MEM(buf, "two", 3);
        f.to_server.len = 0;
        handshake_fixture_cleanup(&f);
}

/* Writes are cut into records of at most 2^14 bytes (GB/T 38636 §6.3.3.1). */
static void test_write_splits_records(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        handshake_fixture_run(&f);
        expect_established(&f);
        size_t len = 100 * 1024;
        uint8_t *data = calloc(1, len);
        CHECK_OK(tlcp_conn_write(f.client, data, len, &err), &err);
        const uint8_t *out;
        size_t out_len = tlcp_conn_peek_output(f.client, &out), records = 0;
        struct buf_reader in = buf_reader_make(out, out_len);
        while (in.len > 0) {
                struct tlcp_record_header header;
                CHECK_OK(tlcp_record_header_parse(&header, &in, &err), &err);
                CHECK(header.length <= TLCP_MAX_PLAINTEXT + 8 + 16);
                CHECK_OK(buf_skip(&in, header.length), &err);
                records++;
        }
        CHECK_EQ(records, (len + TLCP_MAX_PLAINTEXT - 1) / TLCP_MAX_PLAINTEXT);
        free(data);
        handshake_fixture_cleanup(&f);
}

/* A write larger than the output may hold is refused whole, and the connection goes on. */
static void test_oversized_write_is_refused(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        handshake_fixture_run(&f);
        expect_established(&f);
        size_t len = 65u * 1024 * 1024;
        uint8_t *data = malloc(len); /* never read: the size is refused first */
        CHECK(data != NULL);
        CHECK_STATUS(tlcp_conn_write(f.client, data, len, &err), SMT_ENOSPACE);
        free(data);
        const uint8_t *out;
        CHECK_EQ(tlcp_conn_peek_output(f.client, &out), 0);
        send_and_check(&f, f.client, f.server, 10);
        handshake_fixture_cleanup(&f);
}

/* put_some gives conn what it takes of wire. */
static void put_some(struct handshake_fixture_wire *wire, struct tlcp_conn *conn)
{
        struct err err = {0};
        size_t consumed = 0;
        if (wire->len == 0)
                return;
        CHECK_OK(tlcp_conn_put_input(conn, wire->data, wire->len, &consumed, &err), &err);
        memmove(wire->data, wire->data + consumed, wire->len - consumed);
        wire->len -= consumed;
}

/* A server that refuses our ECDHE ClientKeyExchange (here: its point changed on the way, as a server of the
 * other wire form would fail to read it) is told apart from other failures, so a caller can retry once in
 * the other form. */
static void test_ecdhe_form_refused(void)
{
        struct err err = {0};
        struct handshake_fixture f;
        start(&f, TLCP_ECDHE_SM4_GCM_SM3);
        for (int round = 0; round < 100 && f.client->client_key_exchange_form == 0; round++) {
                f.client_status = tlcp_conn_handshake(f.client, &err);
                f.server_status = tlcp_conn_handshake(f.server, &err);
                handshake_fixture_transfer(&f);
                if (f.client->client_key_exchange_form == 0) {
                        put_some(&f.to_server, f.server);
                        put_some(&f.to_client, f.client);
                }
        }
        CHECK(!tlcp_conn_is_ecdhe_form_refused(f.client));
        /* The client's last flight is on the wire: Certificate, ClientKeyExchange (69 bytes, Tongsuo's form), ...
         * Make the point's y coordinate wrong so the point is off the curve. */
        uint8_t marker[] = {TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE, 0, 0, 69, 3, 0, 41, 65, 4};
        uint8_t *at = memmem(f.to_server.data, f.to_server.len, marker, sizeof marker);
        CHECK(at != NULL);
        at[sizeof marker + 40] ^= 1;
        handshake_fixture_run(&f);
        CHECK_STATUS(f.server_status, TLCP_EILLEGAL_PARAMETER);
        CHECK_STATUS(f.client_status, TLCP_EPEER_ALERT);
        CHECK(tlcp_conn_is_ecdhe_form_refused(f.client));
        CHECK(!tlcp_conn_is_ecdhe_form_refused(f.server));
        handshake_fixture_cleanup(&f);

        /* An ECC handshake refused after ClientKeyExchange (the server's encryption key is not its
         * certificate's, so the client's Finished fails) is not about the ECDHE form. */
        struct tlcp_credentials bad_enc = {pki.server_sign, pki.server_enc, NULL, pki.server_sign_key,
                                           pki.client_enc_key};
        handshake_fixture_init(&f, &pki);
        f.server_config.credentials = &bad_enc;
        handshake_fixture_start(&f);
        handshake_fixture_run(&f);
        CHECK_STATUS(f.client_status, TLCP_EPEER_ALERT);
        CHECK(!tlcp_conn_is_ecdhe_form_refused(f.client));
        handshake_fixture_cleanup(&f);

        /* Under ECC the form shapes the client's certificates and CertificateVerify: a server refusing them
         * (a GmSSL server answers the Tongsuo form's pair with bad_certificate; here: roots that do not
         * include the client's CA) may read the other form. */
        struct cert_store *no_roots = NULL;
        CHECK_OK(cert_store_new(&no_roots, &err), &err);
        start(&f, TLCP_ECC_SM4_GCM_SM3);
        tlcp_conn_free(f.server);
        f.server_config.trust = no_roots;
        CHECK_OK(tlcp_conn_new(&f.server, &f.server_config, &err), &err);
        handshake_fixture_run(&f);
        CHECK_STATUS(f.server_status, TLCP_EUNKNOWN_CA);
        CHECK_STATUS(f.client_status, TLCP_EPEER_ALERT);
        CHECK(tlcp_conn_is_ecdhe_form_refused(f.client));
        handshake_fixture_cleanup(&f);
        cert_store_free(no_roots);
}

static void test_cleanup(void)
{
        handshake_fixture_pki_free(&pki);
}

CHECK_MAIN(CHECK_TEST(test_one_byte_at_a_time), CHECK_TEST(test_truncated_record_waits),
           CHECK_TEST(test_fragmented_and_coalesced_handshake), CHECK_TEST(test_tampered_record),
           CHECK_TEST(test_tampered_handshake_message), CHECK_TEST(test_wrong_version),
           CHECK_TEST(test_unexpected_records), CHECK_TEST(test_alerts_during_handshake), CHECK_TEST(test_close_notify),
           CHECK_TEST(test_renegotiation_refused), CHECK_TEST(test_zero_length_application_data),
           CHECK_TEST(test_partial_reads), CHECK_TEST(test_input_one_record_at_a_time),
           CHECK_TEST(test_write_splits_records), CHECK_TEST(test_oversized_write_is_refused),
           CHECK_TEST(test_ecdhe_form_refused), CHECK_TEST(test_cleanup))
