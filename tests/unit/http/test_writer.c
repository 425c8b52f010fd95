/* tests/unit/http/test_writer.c: http/writer request heads for an origin and chunked framing. Every
 * request is real bytes parsed by http/parser, rewritten, and the output parsed again by http/parser
 * (it must be accepted): hop-by-hop fields and those Connection names are gone, the rest is copied in
 * order, the framing field is the one asked for, the client's forwarding fields are replaced by ours
 * (RFC 7239 for IPv4 and IPv6), absolute-form becomes origin-form, a WebSocket upgrade keeps Upgrade;
 * refusals leave the writer as it was, and a small writer gives SMT_ENOSPACE at every size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/parser.h"
#include "http/writer.h"

static void check_slice(struct buf_reader s, const char *expected)
{
        size_t len = strlen(expected);
        if (s.len != len || (len > 0 && memcmp(s.data, expected, len) != 0))
                check_fail(__FILE__, __LINE__, "slice \"%.*s\" != \"%s\"", (int)s.len, (const char *)s.data, expected);
}

static void parse_request(struct http_head *head, const uint8_t *data, size_t len)
{
        struct http_parser p;
        struct err err = {0};
        CHECK_OK(http_parser_init_request(&p, NULL, &err), &err);
        CHECK_OK(http_parser_parse(&p, head, data, len, &err), &err);
        CHECK_EQ(head->head_len, len);
}

/* struct rewritten: a request written by http_writer_request_head, and the output parsed again. */
struct rewritten {
        uint8_t bytes[4096];
        struct buf_writer out;
        struct http_head in_head;
        struct http_head head;
        char text[4097]; /* the output as a C string, for the request line */
};

/* rewrite parses text, writes it for the origin with rw and parses the output, which must be accepted. */
static void rewrite(struct rewritten *r, const char *text, const struct http_request_rewrite *rw)
{
        struct err err = {0};
        parse_request(&r->in_head, (const uint8_t *)text, strlen(text));
        buf_writer_init_fixed(&r->out, r->bytes, sizeof r->bytes);
        CHECK_OK(http_writer_request_head(&r->out, &r->in_head, rw, &err), &err);
        memcpy(r->text, r->bytes, r->out.len);
        r->text[r->out.len] = '\0';
        parse_request(&r->head, r->bytes, r->out.len);
        CHECK_EQ(r->head.version, HTTP_VERSION_1_1);
}

static size_t count_fields(const struct http_head *head, const char *name)
{
        size_t n = 0;
        for (size_t i = 0; i < head->num_fields; i++)
                n += http_parser_token_equals(head->fields[i].name, name);
        return n;
}

/* check_field says head has exactly one field named name (any case), with value. */
static void check_field(const struct http_head *head, const char *name, const char *value)
{
        if (count_fields(head, name) != 1)
                check_fail(__FILE__, __LINE__, "%zu fields named %s, 1 expected", count_fields(head, name), name);
        check_slice(http_parser_lookup_field(head, name)->value, value);
}

/* check_fields says head's field lines are exactly "name: value" of expected, in order, byte for byte. */
static void check_fields(const struct http_head *head, const char *const *expected, size_t num_expected)
{
        CHECK_EQ(head->num_fields, num_expected);
        for (size_t i = 0; i < num_expected; i++) {
                char line[512];
                snprintf(line, sizeof line, "%.*s: %.*s", (int)head->fields[i].name.len,
                         (const char *)head->fields[i].name.data, (int)head->fields[i].value.len,
                         (const char *)head->fields[i].value.data);
                CHECK_STR(line, expected[i]);
        }
}

static const struct http_request_rewrite plain = {.framing = HTTP_WRITER_NO_BODY};

static void test_request_hop_by_hop_removed(void)
{
        static struct rewritten r;
        rewrite(&r,
                "GET /a?b=c HTTP/1.1\r\n"
                "Host: example.com\r\n"
                "Connection: keep-alive, X-Secret ,, x-trace-ID\r\n"
                "Accept: */*\r\n"
                "Keep-Alive: timeout=5\r\n"
                "Proxy-Connection: keep-alive\r\n"
                "te: trailers\r\n"
                "Upgrade: h2c\r\n"
                "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
                "Proxy-Authenticate: Basic\r\n"
                "x-secret: 1\r\n"
                "X-Trace-Id: 2\r\n"
                "Cookie: a=b;  c=d\r\n"
                "connection: CLOSE\r\n"
                "X-Custom:   spaced value\t\r\n"
                "\r\n",
                &plain);
        CHECK_STR(strtok(r.text, "\r"), "GET /a?b=c HTTP/1.1");
        static const char *const expected[] = {"Host: example.com", "Accept: */*", "Cookie: a=b;  c=d",
                                               "X-Custom: spaced value"};
        check_fields(&r.head, expected, sizeof expected / sizeof expected[0]);
        /* The output persists: the client's Connection: close was for the client's hop only. */
        CHECK(r.head.is_keep_alive && r.head.connection == 0);
        CHECK_EQ(r.head.framing, HTTP_FRAMING_NONE);
}

/* A field Connection names goes even when it is one that would otherwise be copied (Cookie), and the
 * Host is kept: the origin could not route the request without it. */
static void test_request_connection_options_named(void)
{
        static struct rewritten r;
        rewrite(&r,
                "POST /form HTTP/1.1\r\n"
                "Connection: cookie,\tHost\r\n"
                "Host: shop.example:8443\r\n"
                "Cookie: session=1\r\n"
                "Content-Type: text/plain\r\n"
                "Content-Length: 3\r\n"
                "\r\n",
                &(struct http_request_rewrite){.framing = HTTP_WRITER_LENGTH, .content_length = 3});
        static const char *const expected[] = {"Host: shop.example:8443", "Content-Type: text/plain",
                                               "Content-Length: 3"};
        check_fields(&r.head, expected, sizeof expected / sizeof expected[0]);
        CHECK(r.head.framing == HTTP_FRAMING_LENGTH && r.head.content_length == 3);
}

static void test_request_framing(void)
{
        static struct rewritten r;
        const char *chunked = "POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n";
        const char *length = "PUT /up HTTP/1.1\r\nHost: a.example\r\nContent-Length: 12\r\nX-A: 1\r\n\r\n";
        /* chunked in, length out (a caller that buffered the body) */
        rewrite(&r, chunked, &(struct http_request_rewrite){.framing = HTTP_WRITER_LENGTH, .content_length = 42});
        CHECK(r.head.framing == HTTP_FRAMING_LENGTH && r.head.content_length == 42 && !r.head.is_chunked);
        CHECK_EQ(count_fields(&r.head, "Transfer-Encoding"), 0);
        check_field(&r.head, "Content-Length", "42");
        /* length in, chunked out */
        rewrite(&r, length, &(struct http_request_rewrite){.framing = HTTP_WRITER_CHUNKED, .content_length = 12});
        CHECK(r.head.framing == HTTP_FRAMING_CHUNKED && r.head.is_chunked && !r.head.has_content_length);
        check_field(&r.head, "Transfer-Encoding", "chunked");
        /* length in, length out: written anew, once */
        rewrite(&r, length, &(struct http_request_rewrite){.framing = HTTP_WRITER_LENGTH, .content_length = 12});
        check_field(&r.head, "Content-Length", "12");
        CHECK(r.head.framing == HTTP_FRAMING_LENGTH && r.head.content_length == 12);
        /* no body: neither field */
        rewrite(&r, chunked, &plain);
        CHECK(r.head.framing == HTTP_FRAMING_NONE && !r.head.has_content_length && !r.head.is_chunked);
        check_field(&r.head, "X-A", "1");
        CHECK(strstr(r.text, "Content-Length") == NULL && strstr(r.text, "Transfer-Encoding") == NULL);
}

static const char *const forged_request = "GET /x HTTP/1.1\r\n"
                                          "X-Forwarded-For: 10.0.0.1, 6.6.6.6\r\n"
                                          "Host: example.com:8443\r\n"
                                          "x-forwarded-proto: http\r\n"
                                          "X-Forwarded-Host: evil.example\r\n"
                                          "Forwarded: for=10.0.0.1;host=evil.example\r\n"
                                          "User-Agent: t/1\r\n"
                                          "\r\n";

static void test_request_forwarded_ipv4(void)
{
        static struct rewritten r;
        rewrite(&r, forged_request,
                &(struct http_request_rewrite){
                    .framing = HTTP_WRITER_NO_BODY, .forwarded = true, .client_ip = "192.0.2.7", .proto = "https"});
        check_field(&r.head, "X-Forwarded-For", "192.0.2.7");
        check_field(&r.head, "X-Forwarded-Proto", "https");
        check_field(&r.head, "X-Forwarded-Host", "example.com:8443");
        check_field(&r.head, "Forwarded", "for=192.0.2.7;host=\"example.com:8443\";proto=https");
        check_field(&r.head, "Host", "example.com:8443");
        check_field(&r.head, "User-Agent", "t/1");
        CHECK(strstr(r.text, "6.6.6.6") == NULL && strstr(r.text, "evil") == NULL && strstr(r.text, "10.0.") == NULL);
}

static void test_request_forwarded_ipv6(void)
{
        static struct rewritten r;
        rewrite(&r, "GET / HTTP/1.1\r\nHost: [2001:db8::5]:8080\r\nForwarded: for=unknown\r\n\r\n",
                &(struct http_request_rewrite){
                    .framing = HTTP_WRITER_NO_BODY, .forwarded = true, .client_ip = "2001:db8::1", .proto = "http"});
        /* RFC 7239 §6: an IPv6 node is bracketed and, ':' not being a tchar, quoted. */
        check_field(&r.head, "Forwarded", "for=\"[2001:db8::1]\";host=\"[2001:db8::5]:8080\";proto=http");
        check_field(&r.head, "X-Forwarded-For", "2001:db8::1");
        check_field(&r.head, "X-Forwarded-Host", "[2001:db8::5]:8080");
}

/* Without forwarded, the client's claims are dropped and nothing is added. */
static void test_request_forwarding_dropped(void)
{
        static struct rewritten r;
        rewrite(&r, forged_request, &plain);
        static const char *const expected[] = {"Host: example.com:8443", "User-Agent: t/1"};
        check_fields(&r.head, expected, sizeof expected / sizeof expected[0]);
}

static void test_request_absolute_form(void)
{
        static struct rewritten r;
        const struct http_request_rewrite rw = {
            .framing = HTTP_WRITER_NO_BODY, .forwarded = true, .client_ip = "198.51.100.9", .proto = "http"};
        rewrite(&r, "GET http://origin.example:8080/p/q?x=1&y HTTP/1.1\r\nHost: other.example\r\nAccept: a\r\n\r\n",
                &rw);
        CHECK_STR(strtok(r.text, "\r"), "GET /p/q?x=1&y HTTP/1.1");
        CHECK_EQ(r.head.target_form, HTTP_TARGET_ORIGIN);
        static const char *const expected[] = {"Host: origin.example:8080",
                                               "Accept: a",
                                               "X-Forwarded-For: 198.51.100.9",
                                               "X-Forwarded-Proto: http",
                                               "X-Forwarded-Host: origin.example:8080",
                                               "Forwarded: for=198.51.100.9;host=\"origin.example:8080\";proto=http"};
        check_fields(&r.head, expected, sizeof expected / sizeof expected[0]);
        /* RFC 9112 §3.2.1: an empty path is sent as "/", before a query too. */
        rewrite(&r, "GET https://origin.example HTTP/1.1\r\nHost: origin.example\r\n\r\n", &plain);
        CHECK_STR(strtok(r.text, "\r"), "GET / HTTP/1.1");
        rewrite(&r, "HEAD http://origin.example?q=1 HTTP/1.1\r\nHost: x.example\r\n\r\n", &plain);
        CHECK_STR(strtok(r.text, "\r"), "HEAD /?q=1 HTTP/1.1");
        check_field(&r.head, "Host", "origin.example");
        /* OPTIONS * stays as it is. */
        rewrite(&r, "OPTIONS * HTTP/1.1\r\nHost: origin.example\r\n\r\n", &plain);
        CHECK_STR(strtok(r.text, "\r"), "OPTIONS * HTTP/1.1");
}

/* An HTTP/1.0 client: the origin gets HTTP/1.1, which needs a Host (empty when there is no authority,
 * RFC 9112 §3.2), and the client's keep-alive option stays on the client's hop. */
static void test_request_http10(void)
{
        static struct rewritten r;
        rewrite(&r, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\nUser-Agent: old/1\r\n\r\n", &plain);
        CHECK_STR(strtok(r.text, "\r"), "GET /old HTTP/1.1");
        static const char *const expected[] = {"Host: ", "User-Agent: old/1"};
        check_fields(&r.head, expected, sizeof expected / sizeof expected[0]);
        rewrite(&r, "GET /old HTTP/1.0\r\nHost: a.example\r\n\r\n", &plain);
        static const char *const with_host[] = {"Host: a.example"};
        check_fields(&r.head, with_host, 1);
}

static const char *const websocket_request = "GET /chat HTTP/1.1\r\n"
                                             "Host: chat.example\r\n"
                                             "Upgrade: websocket\r\n"
                                             "Connection: keep-alive, Upgrade\r\n"
                                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                             "Sec-WebSocket-Version: 13\r\n"
                                             "\r\n";

static void test_request_websocket(void)
{
        static struct rewritten r;
        rewrite(&r, websocket_request,
                &(struct http_request_rewrite){.framing = HTTP_WRITER_NO_BODY, .is_websocket = true});
        CHECK(r.head.is_websocket_upgrade);
        static const char *const expected[] = {
            "Host: chat.example", "Upgrade: websocket",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "Connection: upgrade"};
        check_fields(&r.head, expected, sizeof expected / sizeof expected[0]);
        /* Not let through as a WebSocket: Upgrade is hop-by-hop like the rest. */
        rewrite(&r, websocket_request, &plain);
        CHECK(!r.head.is_websocket_upgrade);
        CHECK_EQ(count_fields(&r.head, "Upgrade") + count_fields(&r.head, "Connection"), 0);
}

/* check_refused writes text with rw into a writer already holding bytes: status, and those bytes intact. */
static void check_refused(const char *text, const struct http_request_rewrite *rw, int status)
{
        static struct http_head head;
        uint8_t bytes[1024];
        struct buf_writer out;
        struct err err = {0};
        parse_request(&head, (const uint8_t *)text, strlen(text));
        buf_writer_init_fixed(&out, bytes, sizeof bytes);
        CHECK_OK(buf_write_bytes(&out, (const uint8_t *)"kept", 4), &err);
        CHECK_STATUS(http_writer_request_head(&out, &head, rw, &err), status);
        CHECK(out.len == 4 && memcmp(bytes, "kept", 4) == 0);
        CHECK(err.msg[0] != '\0');
}

static void test_request_refusals(void)
{
        const char *get = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
        struct http_request_rewrite fwd = {
            .framing = HTTP_WRITER_NO_BODY, .forwarded = true, .client_ip = "192.0.2.1", .proto = "https"};
        check_refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", &plain, SMT_EINVAL);
        check_refused(get, &(struct http_request_rewrite){.framing = HTTP_WRITER_UNTIL_CLOSE}, SMT_EINVAL);
        check_refused(get, &(struct http_request_rewrite){.framing = HTTP_WRITER_NO_BODY, .is_websocket = true},
                      SMT_EINVAL);
        /* What the caller gives is checked too: no CR or LF can come from it. */
        const char *const bad_ips[] = {"192.0.2.1\r\nX-Admin: 1", "[2001:db8::1]", "192.0.2.1:443", "", "fe80::1%eth0"};
        for (size_t i = 0; i < sizeof bad_ips / sizeof bad_ips[0]; i++) {
                fwd.client_ip = bad_ips[i];
                check_refused(get, &fwd, SMT_EINVAL);
        }
        fwd.client_ip = NULL;
        check_refused(get, &fwd, SMT_EINVAL);
        fwd.client_ip = "192.0.2.1";
        fwd.proto = "https\r\nX: y";
        check_refused(get, &fwd, SMT_EINVAL);
        fwd.proto = NULL;
        check_refused(get, &fwd, SMT_EINVAL);
}

/* Every size short of the whole head fails with SMT_ENOSPACE and leaves nothing (ASan watches the
 * writes); the whole size succeeds with the same bytes as a large writer. */
static void test_request_small_writer(void)
{
        static struct rewritten r;
        const struct http_request_rewrite rw = {
            .framing = HTTP_WRITER_CHUNKED, .forwarded = true, .client_ip = "2001:db8::1", .proto = "https"};
        rewrite(&r, forged_request, &rw);
        size_t full = r.out.len;
        for (size_t cap = 0; cap <= full; cap++) {
                uint8_t *bytes = malloc(cap + 1);
                struct buf_writer out;
                struct err err = {0};
                buf_writer_init_fixed(&out, bytes, cap);
                int status = http_writer_request_head(&out, &r.in_head, &rw, &err);
                if (cap < full) {
                        CHECK_STATUS(status, SMT_ENOSPACE);
                        CHECK_EQ(out.len, 0);
                } else {
                        CHECK_OK(status, &err);
                        CHECK_EQ(out.len, full);
                        CHECK_MEM(bytes, r.bytes, full);
                }
                free(bytes);
        }
}

/* A chunked body written with the chunk writers decodes with http/parser's body decoder to the same data
 * and trailer. */
static void test_chunks_decode(void)
{
        uint8_t bytes[256];
        struct buf_writer out;
        struct err err = {0};
        buf_writer_init_fixed(&out, bytes, sizeof bytes);
        const char *pieces[] = {"hello ", "chunked world, with a longer piece of data"};
        for (size_t i = 0; i < 2; i++) {
                CHECK_OK(http_writer_chunk_size(&out, strlen(pieces[i]), &err), &err);
                CHECK_OK(buf_write_bytes(&out, (const uint8_t *)pieces[i], strlen(pieces[i])), &err);
                CHECK_OK(http_writer_chunk_end(&out, &err), &err);
        }
        CHECK(memcmp(bytes, "6\r\nhello \r\n2a\r\n", 15) == 0);
        CHECK_OK(http_writer_last_chunk(&out, &err), &err);
        CHECK_OK(http_writer_field(&out, buf_reader_make((const uint8_t *)"Checksum", 8),
                                   buf_reader_make((const uint8_t *)"abc 123", 7), &err),
                 &err);
        CHECK_OK(http_writer_end_of_fields(&out, &err), &err);
        struct http_parser_body body;
        struct http_body_part part;
        CHECK_OK(http_parser_body_init(&body, HTTP_FRAMING_CHUNKED, 0, NULL, &err), &err);
        char data[128] = "";
        size_t at = 0, used, num_trailers = 0;
        while (!http_parser_body_is_done(&body)) {
                struct buf_reader rest = buf_reader_make(bytes, out.len);
                CHECK_OK(buf_skip(&rest, at), &err);
                CHECK_OK(http_parser_body_decode(&body, &part, &used, rest.data, rest.len, &err), &err);
                if (part.data.len > 0)
                        strncat(data, (const char *)part.data.data, part.data.len);
                if (part.has_trailer) {
                        check_slice(part.trailer.name, "Checksum");
                        check_slice(part.trailer.value, "abc 123");
                        num_trailers++;
                }
                at += used;
        }
        CHECK_STR(data, "hello chunked world, with a longer piece of data");
        CHECK_EQ(num_trailers, 1);
        CHECK_EQ(at, out.len);
}

static void test_chunk_writer_refusals(void)
{
        uint8_t bytes[8];
        struct buf_writer out;
        struct err err = {0};
        buf_writer_init_fixed(&out, bytes, sizeof bytes);
        CHECK_STATUS(http_writer_chunk_size(&out, 0, &err), SMT_EINVAL);
        CHECK_STATUS(http_writer_chunk_size(&out, UINT64_MAX >> 36, &err), SMT_ENOSPACE); /* "fffffff\r\n": 9 */
        CHECK_EQ(out.len, 0);
        CHECK_OK(http_writer_chunk_size(&out, 0x10000, &err), &err);
        CHECK(out.len == 7 && memcmp(bytes, "10000\r\n", 7) == 0);
        /* Field lines: a name that is not a token or a value with CR, LF or NUL never reaches the wire. */
        uint8_t more[64];
        buf_writer_init_fixed(&out, more, sizeof more);
        const struct {
                const char *name, *value;
        } bad[] = {{"X-A", "1\r\nX-B: 2"}, {"X-A", "1\n"}, {"X A", "1"}, {"", "1"}, {"X-A:", "1"}};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                CHECK_STATUS(http_writer_field(&out, buf_reader_make((const uint8_t *)bad[i].name, strlen(bad[i].name)),
                                               buf_reader_make((const uint8_t *)bad[i].value, strlen(bad[i].value)),
                                               &err),
                             SMT_EINVAL);
        CHECK_STATUS(http_writer_field(&out, buf_reader_make((const uint8_t *)"X", 1),
                                       buf_reader_make((const uint8_t *)"a\0b", 3), &err),
                     SMT_EINVAL);
        CHECK_EQ(out.len, 0);
}

CHECK_MAIN(CHECK_TEST(test_request_hop_by_hop_removed), CHECK_TEST(test_request_connection_options_named),
           CHECK_TEST(test_request_framing), CHECK_TEST(test_request_forwarded_ipv4),
           CHECK_TEST(test_request_forwarded_ipv6), CHECK_TEST(test_request_forwarding_dropped),
           CHECK_TEST(test_request_absolute_form), CHECK_TEST(test_request_http10), CHECK_TEST(test_request_websocket),
           CHECK_TEST(test_request_refusals), CHECK_TEST(test_request_small_writer), CHECK_TEST(test_chunks_decode),
           CHECK_TEST(test_chunk_writer_refusals))
