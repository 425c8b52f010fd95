/* tests/unit/http/test_writer_response.c: http/writer response heads for a client, reason phrases, error
 * pages and redirects. Responses are real bytes parsed by http/parser, rewritten, and the output parsed
 * again (it must be accepted): status line, hop-by-hop fields gone, framing as asked, Connection: close,
 * HSTS only when the origin sent none, 1xx and the WebSocket 101; the gateway's own pages parse with a
 * Content-Length equal to the body that follows, escaped detail, and a Location with or without port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/parser.h"
#include "http/writer.h"

static struct buf_reader slice_of(const char *s)
{
        return buf_reader_make((const uint8_t *)s, strlen(s));
}

static void check_slice(struct buf_reader s, const char *expected)
{
        size_t len = strlen(expected);
        if (s.len != len || (len > 0 && memcmp(s.data, expected, len) != 0))
                check_fail(__FILE__, __LINE__, "slice \"%.*s\" != \"%s\"", (int)s.len, (const char *)s.data, expected);
}

/* parse_response parses the response to request_method at data, which must be a whole head (and body). */
static void parse_response(struct http_head *head, const char *request_method, const uint8_t *data, size_t len)
{
        struct http_parser p;
        struct err err = {0};
        CHECK_OK(http_parser_init_response(&p, NULL, slice_of(request_method), &err), &err);
        CHECK_OK(http_parser_parse(&p, head, data, len, &err), &err);
}

/* struct written: a response written by http/writer, the output as text and parsed again. */
struct written {
        uint8_t bytes[4096];
        struct buf_writer out;
        struct http_head in_head;
        struct http_head head;
        char text[4097];
        struct buf_reader body; /* the bytes after the head */
};

static void written_parse(struct written *w, const char *request_method)
{
        memcpy(w->text, w->bytes, w->out.len);
        w->text[w->out.len] = '\0';
        parse_response(&w->head, request_method, w->bytes, w->out.len);
        CHECK_EQ(w->head.version, HTTP_VERSION_1_1);
        w->body = buf_reader_make(w->bytes, w->out.len);
        CHECK_OK(buf_skip(&w->body, w->head.head_len), &(struct err){0});
}

/* rewrite parses text (the response to GET), writes it for the client with rw and parses the output. */
static void rewrite(struct written *w, const char *text, const struct http_response_rewrite *rw)
{
        struct err err = {0};
        parse_response(&w->in_head, "GET", (const uint8_t *)text, strlen(text));
        buf_writer_init_fixed(&w->out, w->bytes, sizeof w->bytes);
        CHECK_OK(http_writer_response_head(&w->out, &w->in_head, rw, &err), &err);
        written_parse(w, "GET");
        CHECK_EQ(w->head.head_len, w->out.len);
}

static size_t count_fields(const struct http_head *head, const char *name)
{
        size_t n = 0;
        for (size_t i = 0; i < head->num_fields; i++)
                n += http_parser_token_equals(head->fields[i].name, name);
        return n;
}

static void check_field(const struct http_head *head, const char *name, const char *value)
{
        if (count_fields(head, name) != 1)
                check_fail(__FILE__, __LINE__, "%zu fields named %s, 1 expected", count_fields(head, name), name);
        check_slice(http_parser_lookup_field(head, name)->value, value);
}

static void check_fields(const struct http_head *head, const char *const *expected, size_t num_expected)
{
        CHECK_EQ(head->num_fields, num_expected);
        for (size_t i = 0; i < num_expected && i < head->num_fields; i++) {
                char line[512];
                snprintf(line, sizeof line, "%.*s: %.*s", (int)head->fields[i].name.len,
                         (const char *)head->fields[i].name.data, (int)head->fields[i].value.len,
                         (const char *)head->fields[i].value.data);
                CHECK_STR(line, expected[i]);
        }
}

static const char *status_line(struct written *w)
{
        return strtok(w->text, "\r");
}

static void test_response_hop_by_hop_removed(void)
{
        static struct written w;
        rewrite(
            &w,
            "HTTP/1.1 200 Fine Thanks\r\n"
            "Date: Mon, 06 Jan 2025 10:00:00 GMT\r\n"
            "Connection: keep-alive, X-Internal\r\n"
            "Keep-Alive: timeout=5, max=100\r\n"
            "X-INTERNAL: 10.1.2.3\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Proxy-Authenticate: Basic realm=\"p\"\r\n"
            "Upgrade: h2c\r\n"
            "Set-Cookie: a=1; Secure\r\n"
            "Set-Cookie: b=2\r\n"
            "\r\n",
            &(struct http_response_rewrite){.framing = HTTP_WRITER_LENGTH, .content_length = 1234, .keep_alive = true});
        CHECK_STR(status_line(&w), "HTTP/1.1 200 Fine Thanks");
        static const char *const expected[] = {"Date: Mon, 06 Jan 2025 10:00:00 GMT", "Set-Cookie: a=1; Secure",
                                               "Set-Cookie: b=2", "Content-Length: 1234"};
        check_fields(&w.head, expected, sizeof expected / sizeof expected[0]);
        CHECK(w.head.framing == HTTP_FRAMING_LENGTH && w.head.content_length == 1234 && w.head.is_keep_alive);
}

static void test_response_framing_and_close(void)
{
        static struct written w;
        const char *length = "HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: close\r\nServer: o\r\n\r\n";
        /* length in, chunked out, persistent: an HTTP/1.0 origin is answered as HTTP/1.1 */
        rewrite(&w, length, &(struct http_response_rewrite){.framing = HTTP_WRITER_CHUNKED, .keep_alive = true});
        CHECK_STR(status_line(&w), "HTTP/1.1 200 OK");
        static const char *const chunked[] = {"Server: o", "Transfer-Encoding: chunked"};
        check_fields(&w.head, chunked, 2);
        CHECK(w.head.framing == HTTP_FRAMING_CHUNKED && w.head.is_keep_alive);
        /* not keep_alive: Connection: close */
        rewrite(
            &w, length,
            &(struct http_response_rewrite){.framing = HTTP_WRITER_LENGTH, .content_length = 5, .keep_alive = false});
        static const char *const closing[] = {"Server: o", "Content-Length: 5", "Connection: close"};
        check_fields(&w.head, closing, 3);
        CHECK(w.head.framing == HTTP_FRAMING_LENGTH && !w.head.is_keep_alive);
        /* until close: no framing field, and the connection is said to close even if keep_alive was asked */
        rewrite(&w, length, &(struct http_response_rewrite){.framing = HTTP_WRITER_UNTIL_CLOSE, .keep_alive = true});
        static const char *const until_close[] = {"Server: o", "Connection: close"};
        check_fields(&w.head, until_close, 2);
        CHECK(w.head.framing == HTTP_FRAMING_UNTIL_CLOSE && !w.head.is_keep_alive);
        /* 304: no body, no framing field */
        rewrite(&w, "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
                &(struct http_response_rewrite){.framing = HTTP_WRITER_NO_BODY, .keep_alive = true});
        static const char *const not_modified[] = {"ETag: \"x\""};
        check_fields(&w.head, not_modified, 1);
}

/* An origin that omits the reason phrase (with or without its SP) gets the standard one. */
static void test_response_reason(void)
{
        static struct written w;
        const struct http_response_rewrite rw = {.framing = HTTP_WRITER_NO_BODY, .keep_alive = true};
        rewrite(&w, "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", &rw);
        CHECK_STR(status_line(&w), "HTTP/1.1 404 Not Found");
        rewrite(&w, "HTTP/1.1 503 \r\n\r\n", &rw);
        CHECK_STR(status_line(&w), "HTTP/1.1 503 Service Unavailable");
        rewrite(&w, "HTTP/1.1 299\r\n\r\n", &rw);
        CHECK_STR(status_line(&w), "HTTP/1.1 299 ");
        CHECK_EQ(w.head.status, 299);
}

static void test_response_hsts(void)
{
        static struct written w;
        const struct http_response_rewrite rw = {
            .framing = HTTP_WRITER_NO_BODY, .keep_alive = true, .hsts = "max-age=31536000; includeSubDomains"};
        rewrite(&w, "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n", &rw);
        check_field(&w.head, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        /* The origin's own policy wins, whatever its name's case. */
        rewrite(&w, "HTTP/1.1 200 OK\r\nstrict-transport-security: max-age=60\r\n\r\n", &rw);
        check_field(&w.head, "Strict-Transport-Security", "max-age=60");
        /* ... unless it made it hop-by-hop: then it does not reach the client, and ours does. */
        rewrite(
            &w,
            "HTTP/1.1 200 OK\r\nConnection: Strict-Transport-Security\r\nStrict-Transport-Security: max-age=1\r\n\r\n",
            &rw);
        check_field(&w.head, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        /* No HSTS configured: none added. */
        rewrite(&w, "HTTP/1.1 200 OK\r\n\r\n",
                &(struct http_response_rewrite){.framing = HTTP_WRITER_NO_BODY, .keep_alive = true});
        CHECK_EQ(w.head.num_fields, 0);
}

/* 1xx: fields as they came minus hop-by-hop ones, no framing, no Connection: close, no HSTS. */
static void test_response_informational(void)
{
        static struct written w;
        const struct http_response_rewrite rw = {
            .framing = HTTP_WRITER_LENGTH, .content_length = 9, .keep_alive = false, .hsts = "max-age=1"};
        rewrite(&w, "HTTP/1.1 100 Continue\r\n\r\n", &rw);
        CHECK_STR(w.text, "HTTP/1.1 100 Continue\r\n\r\n");
        rewrite(&w,
                "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\nConnection: x-hint\r\nX-Hint: 1\r\n\r\n",
                &rw);
        static const char *const hints[] = {"Link: </s.css>; rel=preload"};
        check_fields(&w.head, hints, 1);
        CHECK_EQ(w.head.status, 103);
}

static const char *const switching = "HTTP/1.1 101 Switching Protocols\r\n"
                                     "Upgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n"
                                     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                     "\r\n";

static void test_response_websocket(void)
{
        static struct written w;
        rewrite(&w, switching, &(struct http_response_rewrite){.framing = HTTP_WRITER_NO_BODY, .is_websocket = true});
        CHECK(w.head.status == 101 && w.head.is_websocket_upgrade);
        static const char *const expected[] = {
            "Upgrade: websocket", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Connection: upgrade"};
        check_fields(&w.head, expected, sizeof expected / sizeof expected[0]);
}

static void check_response_refused(const char *text, const struct http_response_rewrite *rw)
{
        static struct http_head head;
        uint8_t bytes[512];
        struct buf_writer out;
        struct err err = {0};
        parse_response(&head, "GET", (const uint8_t *)text, strlen(text));
        buf_writer_init_fixed(&out, bytes, sizeof bytes);
        CHECK_STATUS(http_writer_response_head(&out, &head, rw, &err), SMT_EINVAL);
        CHECK_EQ(out.len, 0);
}

static void test_response_refusals(void)
{
        /* A 101 the gateway did not let through as a WebSocket, and one that is no WebSocket upgrade. */
        check_response_refused(switching, &(struct http_response_rewrite){.framing = HTTP_WRITER_NO_BODY});
        check_response_refused("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n",
                               &(struct http_response_rewrite){.framing = HTTP_WRITER_NO_BODY, .is_websocket = true});
        /* RFC 9110 §8.6: no Content-Length in a 204. */
        check_response_refused("HTTP/1.1 204 No Content\r\n\r\n",
                               &(struct http_response_rewrite){.framing = HTTP_WRITER_LENGTH, .keep_alive = true});
        check_response_refused(
            "HTTP/1.1 200 OK\r\n\r\n",
            &(struct http_response_rewrite){.framing = HTTP_WRITER_NO_BODY, .hsts = "max-age=1\r\nX: y"});
}

/* RFC 9110 §15's phrases, a few from each class, and none for what it lists as unused or does not list. */
static void test_status_reason(void)
{
        CHECK_STR(http_status_reason(100), "Continue");
        CHECK_STR(http_status_reason(101), "Switching Protocols");
        CHECK_STR(http_status_reason(200), "OK");
        CHECK_STR(http_status_reason(203), "Non-Authoritative Information");
        CHECK_STR(http_status_reason(206), "Partial Content");
        CHECK_STR(http_status_reason(301), "Moved Permanently");
        CHECK_STR(http_status_reason(308), "Permanent Redirect");
        CHECK_STR(http_status_reason(400), "Bad Request");
        CHECK_STR(http_status_reason(413), "Content Too Large");
        CHECK_STR(http_status_reason(414), "URI Too Long");
        CHECK_STR(http_status_reason(417), "Expectation Failed");
        CHECK_STR(http_status_reason(421), "Misdirected Request");
        CHECK_STR(http_status_reason(422), "Unprocessable Content");
        CHECK_STR(http_status_reason(426), "Upgrade Required");
        CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
        CHECK_STR(http_status_reason(500), "Internal Server Error");
        CHECK_STR(http_status_reason(502), "Bad Gateway");
        CHECK_STR(http_status_reason(505), "HTTP Version Not Supported");
        CHECK_STR(http_status_reason(306), "");
        CHECK_STR(http_status_reason(418), "");
        CHECK_STR(http_status_reason(299), "");
        CHECK_STR(http_status_reason(0), "");
        CHECK_STR(http_status_reason(-1), "");
        /* Every code that has one is a valid reason-phrase (RFC 9112 §4). */
        for (int status = 100; status < 600; status++)
                for (const char *c = http_status_reason(status); *c != '\0'; c++)
                        CHECK(*c == ' ' || (*c > 0x20 && *c < 0x7f));
}

static void page(struct written *w, int status, const char *detail, bool close, bool head_only)
{
        struct err err = {0};
        buf_writer_init_fixed(&w->out, w->bytes, sizeof w->bytes);
        CHECK_OK(http_writer_error_page(&w->out, status, detail, close, head_only, &err), &err);
        written_parse(w, head_only ? "HEAD" : "GET");
}

static bool body_contains(const struct written *w, const char *s)
{
        return memmem(w->body.data, w->body.len, s, strlen(s)) != NULL;
}

static void test_error_page(void)
{
        static struct written w;
        page(&w, 502, "upstream <script>alert('x')</script> & \"more\"", true, false);
        CHECK_STR(status_line(&w), "HTTP/1.1 502 Bad Gateway");
        CHECK(w.head.framing == HTTP_FRAMING_LENGTH && w.head.content_length == w.body.len && w.body.len > 0);
        check_field(&w.head, "Content-Type", "text/html; charset=utf-8");
        check_field(&w.head, "Cache-Control", "no-store");
        check_field(&w.head, "Connection", "close");
        CHECK(!w.head.is_keep_alive);
        CHECK(body_contains(&w, "<title>502 Bad Gateway</title>"));
        CHECK(body_contains(&w, "upstream &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"));
        CHECK(!body_contains(&w, "<script>"));
        /* Persistent, and no detail. */
        page(&w, 404, NULL, false, false);
        CHECK(w.head.content_length == w.body.len && w.head.is_keep_alive);
        CHECK_EQ(count_fields(&w.head, "Connection"), 0);
        CHECK(body_contains(&w, "<h1>404 Not Found</h1>"));
        /* Control bytes in detail become U+FFFD: nothing but text reaches the page. */
        page(&w, 500, "a\r\nb\x01", false, false);
        CHECK(body_contains(&w, "a&#xFFFD;\nb&#xFFFD;"));
        CHECK(w.head.content_length == w.body.len);
}

/* HEAD: the same fields as GET, Content-Length of the body GET would get, and no body. */
static void test_error_page_head_only(void)
{
        static struct written get, head;
        page(&get, 431, "too many fields", false, false);
        page(&head, 431, "too many fields", false, true);
        CHECK_EQ(head.body.len, 0);
        CHECK_EQ(head.out.len, get.head.head_len);
        CHECK_MEM(head.bytes, get.bytes, head.out.len);
        CHECK(head.head.has_content_length && head.head.content_length == get.body.len);
        CHECK_EQ(head.head.framing, HTTP_FRAMING_NONE);
}

static void test_error_page_refusals(void)
{
        uint8_t bytes[1024];
        struct buf_writer out;
        struct err err = {0};
        buf_writer_init_fixed(&out, bytes, sizeof bytes);
        CHECK_STATUS(http_writer_error_page(&out, 200, "x", false, false, &err), SMT_EINVAL);
        CHECK_STATUS(http_writer_error_page(&out, 600, "x", false, false, &err), SMT_EINVAL);
        CHECK_EQ(out.len, 0);
}

static void redirect(struct written *w, const char *host, unsigned port, const char *target, bool close)
{
        struct err err = {0};
        buf_writer_init_fixed(&w->out, w->bytes, sizeof w->bytes);
        CHECK_OK(http_writer_redirect(&w->out, 308, slice_of(host), port, slice_of(target), close, &err), &err);
        written_parse(w, "GET");
        CHECK_STR(status_line(w), "HTTP/1.1 308 Permanent Redirect");
        CHECK(w->head.framing == HTTP_FRAMING_LENGTH && w->head.content_length == w->body.len);
}

static void test_redirect(void)
{
        static struct written w;
        redirect(&w, "shop.example", 443, "/cart?item=1&q=\"x\"", false);
        check_field(&w.head, "Location", "https://shop.example/cart?item=1&q=\"x\"");
        CHECK(w.head.is_keep_alive && count_fields(&w.head, "Connection") == 0);
        CHECK(body_contains(&w, "href=\"https://shop.example/cart?item=1&amp;q=&quot;x&quot;\""));
        redirect(&w, "shop.example", 8443, "/", true);
        check_field(&w.head, "Location", "https://shop.example:8443/");
        check_field(&w.head, "Connection", "close");
        redirect(&w, "[2001:db8::1]", 443, "/a", false);
        check_field(&w.head, "Location", "https://[2001:db8::1]/a");
}

static void test_redirect_refusals(void)
{
        uint8_t bytes[2048];
        struct buf_writer out;
        struct err err = {0};
        buf_writer_init_fixed(&out, bytes, sizeof bytes);
        const char *const bad_hosts[] = {"",          "evil.example\r\nSet-Cookie: a=1",
                                         "a b",       "host:443",
                                         "user@host", "[2001:db8::1",
                                         "[]",        "[x::1]",
                                         "a/b",       "a\"b",
                                         "a<b>"};
        for (size_t i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++)
                CHECK_STATUS(http_writer_redirect(&out, 308, slice_of(bad_hosts[i]), 443, slice_of("/"), false, &err),
                             SMT_EINVAL);
        const char *const bad_targets[] = {"", "evil.example/", "https://evil.example/", "/a\r\nX: 1", "/a b", "/#f"};
        for (size_t i = 0; i < sizeof bad_targets / sizeof bad_targets[0]; i++)
                CHECK_STATUS(
                    http_writer_redirect(&out, 308, slice_of("a.example"), 443, slice_of(bad_targets[i]), false, &err),
                    SMT_EINVAL);
        CHECK_STATUS(http_writer_redirect(&out, 308, slice_of("a.example"), 0, slice_of("/"), false, &err), SMT_EINVAL);
        CHECK_STATUS(http_writer_redirect(&out, 308, slice_of("a.example"), 65536, slice_of("/"), false, &err),
                     SMT_EINVAL);
        CHECK_STATUS(http_writer_redirect(&out, 200, slice_of("a.example"), 443, slice_of("/"), false, &err),
                     SMT_EINVAL);
        CHECK_EQ(out.len, 0);
        /* A NUL inside the host slice is no host byte either. */
        CHECK_STATUS(http_writer_redirect(&out, 301, buf_reader_make((const uint8_t *)"a\0b", 3), 443, slice_of("/"),
                                          false, &err),
                     SMT_EINVAL);
}

/* check_small_writers: every capacity short of full gives SMT_ENOSPACE with nothing left written. */
static void check_small_writers(int (*write)(struct buf_writer *out, struct err *err))
{
        uint8_t whole[4096];
        struct buf_writer out;
        struct err err = {0};
        buf_writer_init_fixed(&out, whole, sizeof whole);
        CHECK_OK(write(&out, &err), &err);
        size_t full = out.len;
        for (size_t cap = 0; cap <= full; cap++) {
                uint8_t *bytes = malloc(cap + 1);
                buf_writer_init_fixed(&out, bytes, cap);
                int status = write(&out, &err);
                if (cap < full) {
                        CHECK_STATUS(status, SMT_ENOSPACE);
                        CHECK_EQ(out.len, 0);
                } else {
                        CHECK_OK(status, &err);
                        CHECK_MEM(bytes, whole, full);
                }
                free(bytes);
        }
}

static int write_page(struct buf_writer *out, struct err *err)
{
        return http_writer_error_page(out, 503, "<b>busy</b>", true, false, err);
}

static int write_redirect(struct buf_writer *out, struct err *err)
{
        return http_writer_redirect(out, 301, slice_of("a.example"), 8443, slice_of("/p?q=<1>"), true, err);
}

static int write_response(struct buf_writer *out, struct err *err)
{
        static struct http_head head;
        const char *text = "HTTP/1.1 200 OK\r\nConnection: x\r\nX: 1\r\nServer: s\r\nContent-Length: 7\r\n\r\n";
        parse_response(&head, "GET", (const uint8_t *)text, strlen(text));
        const struct http_response_rewrite rw = {
            .framing = HTTP_WRITER_LENGTH, .content_length = 7, .keep_alive = false, .hsts = "max-age=63072000"};
        return http_writer_response_head(out, &head, &rw, err);
}

static void test_small_writers(void)
{
        check_small_writers(write_page);
        check_small_writers(write_redirect);
        check_small_writers(write_response);
}

CHECK_MAIN(CHECK_TEST(test_response_hop_by_hop_removed), CHECK_TEST(test_response_framing_and_close),
           CHECK_TEST(test_response_reason), CHECK_TEST(test_response_hsts), CHECK_TEST(test_response_informational),
           CHECK_TEST(test_response_websocket), CHECK_TEST(test_response_refusals), CHECK_TEST(test_status_reason),
           CHECK_TEST(test_error_page), CHECK_TEST(test_error_page_head_only), CHECK_TEST(test_error_page_refusals),
           CHECK_TEST(test_redirect), CHECK_TEST(test_redirect_refusals), CHECK_TEST(test_small_writers))
