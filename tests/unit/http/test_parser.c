/* tests/unit/http/test_parser.c: http/parser heads that are accepted — each request-target form, HTTP/1.0
 * and 1.1, the facts derived from the fields (framing, Content-Length, chunked, Host and authority,
 * Connection and keep-alive, Upgrade, Expect), responses of every framing (RFC 9112 §6.3) — each parsed
 * all at once and one byte at a time with the same result, and from a buffer that moves between calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/parser.h"

static void check_slice(struct buf_reader s, const char *expected)
{
        size_t len = strlen(expected);
        if (s.len != len || (len > 0 && memcmp(s.data, expected, len) != 0))
                check_fail(__FILE__, __LINE__, "slice \"%.*s\" != \"%s\"", (int)s.len, (const char *)s.data, expected);
}

/* Slices of a and b must be the same bytes of the same buffer. */
static bool slices_are_same(struct buf_reader a, struct buf_reader b)
{
        return a.len == b.len && (a.len == 0 || a.data == b.data);
}

static void check_heads_equal(const struct http_head *a, const struct http_head *b)
{
        CHECK_EQ(a->head_len, b->head_len);
        CHECK_EQ(a->version, b->version);
        CHECK(slices_are_same(a->method, b->method) && slices_are_same(a->target, b->target));
        CHECK_EQ(a->target_form, b->target_form);
        CHECK_EQ(a->status, b->status);
        CHECK(slices_are_same(a->reason, b->reason));
        CHECK_EQ(a->num_fields, b->num_fields);
        for (size_t i = 0; i < a->num_fields; i++)
                CHECK(slices_are_same(a->fields[i].name, b->fields[i].name) &&
                      slices_are_same(a->fields[i].value, b->fields[i].value));
        CHECK_EQ(a->framing, b->framing);
        CHECK(a->has_content_length == b->has_content_length && a->content_length == b->content_length);
        CHECK(a->is_chunked == b->is_chunked && a->connection == b->connection);
        CHECK(a->is_keep_alive == b->is_keep_alive && a->has_host == b->has_host);
        CHECK(slices_are_same(a->host, b->host) && slices_are_same(a->authority, b->authority));
        CHECK(slices_are_same(a->upgrade, b->upgrade));
        CHECK(a->is_websocket_upgrade == b->is_websocket_upgrade && a->expects_continue == b->expects_continue);
}

static void parser_init(struct http_parser *p, const char *request_method)
{
        struct err err = {0};
        if (request_method == NULL)
                CHECK_OK(http_parser_init_request(p, NULL, &err), &err);
        else
                CHECK_OK(http_parser_init_response(
                             p, NULL, buf_reader_make((const uint8_t *)request_method, strlen(request_method)), &err),
                         &err);
}

/* parse_head parses text (a request when request_method is NULL, else the response to it) at once and one
 * byte at a time, checks both agree, and fills *head from the first; the head must be accepted. */
static void parse_head(struct http_head *head, const char *request_method, const char *text)
{
        static struct http_head bytewise;
        struct http_parser p;
        struct err err = {0};
        size_t len = strlen(text);
        parser_init(&p, request_method);
        CHECK_OK(http_parser_parse(&p, head, (const uint8_t *)text, len, &err), &err);
        parser_init(&p, request_method);
        int status = SMT_EAGAIN;
        size_t fed = 0;
        while (status == SMT_EAGAIN && fed < len)
                status = http_parser_parse(&p, &bytewise, (const uint8_t *)text, ++fed, &err);
        CHECK_OK(status, &err);
        CHECK_EQ(fed, head->head_len);
        check_heads_equal(head, &bytewise);
}

static void test_request_origin_form(void)
{
        static struct http_head head;
        parse_head(&head, NULL,
                   "GET /index.html?q=1&r=%20 HTTP/1.1\r\nHost: example.com\r\n"
                   "User-Agent:  curl/8.0 \t\r\nAccept: */*\r\n\r\n");
        check_slice(head.method, "GET");
        check_slice(head.target, "/index.html?q=1&r=%20");
        CHECK_EQ(head.target_form, HTTP_TARGET_ORIGIN);
        CHECK_EQ(head.version, HTTP_VERSION_1_1);
        CHECK_EQ(head.num_fields, 3);
        check_slice(head.fields[1].name, "User-Agent");
        check_slice(head.fields[1].value, "curl/8.0"); /* OWS on both sides trimmed */
        check_slice(head.fields[2].value, "*/*");
        CHECK(head.has_host);
        check_slice(head.host, "example.com");
        check_slice(head.authority, "example.com");
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        CHECK(head.is_keep_alive);
        CHECK(!head.expects_continue && !head.is_websocket_upgrade && !head.is_chunked && !head.has_content_length);
        CHECK(http_parser_lookup_field(&head, "user-agent") == &head.fields[1]);
        CHECK(http_parser_lookup_field(&head, "Cookie") == NULL);
}

static void test_request_absolute_form(void)
{
        static struct http_head head;
        /* RFC 9112 §3.2.2: the target's authority wins over Host. */
        parse_head(&head, NULL, "GET http://Example.com:8080/a/b?c HTTP/1.1\r\nHost: other.example\r\n\r\n");
        CHECK_EQ(head.target_form, HTTP_TARGET_ABSOLUTE);
        check_slice(head.target, "http://Example.com:8080/a/b?c");
        check_slice(head.authority, "Example.com:8080");
        check_slice(head.host, "other.example");
        parse_head(&head, NULL, "GET HTTPS://[2001:db8::1]:443?x HTTP/1.1\r\nHost: h\r\n\r\n");
        check_slice(head.authority, "[2001:db8::1]:443");
        parse_head(&head, NULL, "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
        check_slice(head.authority, "example.com");
}

static void test_request_authority_and_asterisk_forms(void)
{
        static struct http_head head;
        parse_head(&head, NULL, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        CHECK_EQ(head.target_form, HTTP_TARGET_AUTHORITY);
        check_slice(head.authority, "example.com:443");
        parse_head(&head, NULL, "CONNECT 192.0.2.1:8443 HTTP/1.1\r\nHost: 192.0.2.1:8443\r\n\r\n");
        check_slice(head.authority, "192.0.2.1:8443");
        parse_head(&head, NULL, "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
        CHECK_EQ(head.target_form, HTTP_TARGET_ASTERISK);
        check_slice(head.target, "*");
        check_slice(head.authority, "example.com");
}

static void test_request_http10(void)
{
        static struct http_head head;
        /* RFC 9112 §3.2 asks Host of HTTP/1.1 only; HTTP/1.0 closes unless keep-alive (§9.3). */
        parse_head(&head, NULL, "GET / HTTP/1.0\r\n\r\n");
        CHECK_EQ(head.version, HTTP_VERSION_1_0);
        CHECK(!head.has_host && head.authority.len == 0);
        CHECK(!head.is_keep_alive);
        parse_head(&head, NULL, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        CHECK(head.is_keep_alive);
        CHECK_EQ(head.connection, HTTP_CONNECTION_KEEP_ALIVE);
        /* Expect and Upgrade mean nothing in HTTP/1.0 (RFC 9110 §10.1.1, §7.8). */
        parse_head(&head, NULL,
                   "GET / HTTP/1.0\r\nExpect: 100-continue\r\nConnection: upgrade\r\n"
                   "Upgrade: websocket\r\n\r\n");
        CHECK(!head.expects_continue && !head.is_websocket_upgrade);
}

static void test_request_content_length(void)
{
        static struct http_head head;
        parse_head(&head, NULL, "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_LENGTH);
        CHECK(head.has_content_length);
        CHECK_EQ(head.content_length, 12);
        /* Leading zeros are 1*DIGIT and every reading agrees on the value. */
        parse_head(&head, NULL, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 005\r\n\r\n");
        CHECK_EQ(head.content_length, 5);
        parse_head(&head, NULL, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_LENGTH);
        CHECK_EQ(head.content_length, 0);
        parse_head(&head, NULL, "PUT / HTTP/1.1\r\nHost: h\r\ncontent-length:\t9223372036854775807 \r\n\r\n");
        CHECK(head.content_length == 9223372036854775807ull);
}

static void test_request_chunked(void)
{
        static struct http_head head;
        const char *spellings[] = {"chunked", "Chunked", "CHUNKED", " \tchunked\t "};
        for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
                char text[128];
                snprintf(text, sizeof text, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:%s\r\n\r\n", spellings[i]);
                parse_head(&head, NULL, text);
                CHECK(head.is_chunked);
                CHECK_EQ(head.framing, HTTP_FRAMING_CHUNKED);
                CHECK(!head.has_content_length);
        }
}

static void test_request_expect_continue(void)
{
        static struct http_head head;
        parse_head(&head, NULL, "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        CHECK(head.expects_continue);
        parse_head(&head, NULL, "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n");
        CHECK(head.expects_continue); /* RFC 9110 §10.1.1: case-insensitive */
        parse_head(&head, NULL,
                   "PUT /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
        CHECK(head.expects_continue);
        parse_head(&head, NULL, "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
        CHECK(!head.expects_continue);
        /* Without a body there is nothing to wait for (RFC 9110 §10.1.1). */
        parse_head(&head, NULL, "GET /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n");
        CHECK(!head.expects_continue);
}

static void test_request_websocket_upgrade(void)
{
        static struct http_head head;
        parse_head(&head, NULL,
                   "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
                   "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n");
        CHECK(head.is_websocket_upgrade);
        CHECK_EQ(head.connection, HTTP_CONNECTION_KEEP_ALIVE | HTTP_CONNECTION_UPGRADE);
        check_slice(head.upgrade, "websocket");
        parse_head(&head, NULL,
                   "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c, WebSocket\r\n\r\n");
        CHECK(head.is_websocket_upgrade);
        /* Upgrade without the Connection option, or not on GET, or another protocol: no WebSocket. */
        parse_head(&head, NULL, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
        CHECK(!head.is_websocket_upgrade);
        parse_head(&head, NULL,
                   "POST /chat HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
                   "Content-Length: 0\r\n\r\n");
        CHECK(!head.is_websocket_upgrade);
        parse_head(&head, NULL, "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n");
        CHECK(!head.is_websocket_upgrade);
}

static void test_request_connection_options(void)
{
        static struct http_head head;
        parse_head(&head, NULL, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        CHECK(!head.is_keep_alive);
        CHECK_EQ(head.connection, HTTP_CONNECTION_CLOSE);
        /* Empty list elements are skipped (RFC 9110 §5.6.1); several lines add up; unknown options pass. */
        parse_head(&head, NULL, "GET / HTTP/1.1\r\nHost: h\r\nConnection: , X-Private,,\r\nConnection: CLOSE\r\n\r\n");
        CHECK(!head.is_keep_alive);
        CHECK_EQ(head.connection, HTTP_CONNECTION_CLOSE);
}

static void test_request_lenient_corners(void)
{
        static struct http_head head;
        /* One empty line before the request line is ignored (RFC 9112 §2.2), and counted in head_len. */
        parse_head(&head, NULL, "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
        check_slice(head.method, "GET");
        CHECK_EQ(head.head_len, 29);
        /* Methods are case-sensitive tokens: "get" is some other method, not GET. */
        parse_head(&head, NULL, "get / HTTP/1.1\r\nHost: h\r\n\r\n");
        check_slice(head.method, "get");
        /* An empty Host is allowed, and fields may be empty; obs-text is allowed in values. */
        parse_head(&head, NULL, "GET / HTTP/1.1\r\nHost:\r\nX-Empty: \r\nX-Latin: caf\xe9\r\n\r\n");
        CHECK(head.has_host && head.host.len == 0);
        check_slice(head.fields[1].value, "");
        check_slice(head.fields[2].value, "caf\xe9");
        /* Visible bytes browsers leave raw in queries. */
        parse_head(&head, NULL, "GET /a?b={c}|d^e`f\\g\"h<i> HTTP/1.1\r\nHost: h\r\n\r\n");
        check_slice(head.target, "/a?b={c}|d^e`f\\g\"h<i>");
}

static void test_request_buffer_moves_between_calls(void)
{
        static struct http_head head;
        const char *text = "POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\n\r\nbody";
        size_t len = strlen(text);
        struct http_parser p;
        struct err err = {0};
        CHECK_OK(http_parser_init_request(&p, NULL, &err), &err);
        uint8_t *copy = NULL;
        int status = SMT_EAGAIN;
        for (size_t fed = 1; status == SMT_EAGAIN && fed <= len; fed++) {
                free(copy); /* a fresh buffer each time, as after realloc */
                copy = malloc(fed);
                CHECK(copy != NULL);
                memcpy(copy, text, fed);
                status = http_parser_parse(&p, &head, copy, fed, &err);
        }
        CHECK_OK(status, &err);
        CHECK_EQ(head.head_len, len - 4);
        check_slice(head.target, "/upload");
        check_slice(head.host, "example.com");
        CHECK(head.target.data >= copy && head.target.data < copy + len);
        CHECK_EQ(head.content_length, 4);
        free(copy);
}

static void test_request_parse_again_after_head(void)
{
        static struct http_head first, again;
        const char *text = "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\n";
        struct http_parser p;
        struct err err = {0};
        CHECK_OK(http_parser_init_request(&p, NULL, &err), &err);
        CHECK_OK(http_parser_parse(&p, &first, (const uint8_t *)text, strlen(text), &err), &err);
        CHECK_OK(http_parser_parse(&p, &again, (const uint8_t *)text, strlen(text), &err), &err);
        check_heads_equal(&first, &again);
        check_slice(first.target, "/");
}

static void test_response_framings(void)
{
        static struct http_head head;
        parse_head(&head, "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        CHECK_EQ(head.status, 200);
        check_slice(head.reason, "OK");
        CHECK_EQ(head.framing, HTTP_FRAMING_LENGTH);
        CHECK_EQ(head.content_length, 5);
        CHECK(head.is_keep_alive);
        parse_head(&head, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_CHUNKED);
        /* RFC 9112 §6.3 rule 8: no framing fields, the body lasts until close, and so does the connection. */
        parse_head(&head, "GET", "HTTP/1.1 200 OK\r\nServer: old\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_UNTIL_CLOSE);
        CHECK(!head.is_keep_alive);
        /* Rule 1: HEAD responses, 1xx, 204 and 304 have no body, whatever their fields say. */
        parse_head(&head, "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        CHECK_EQ(head.content_length, 1234);
        CHECK(head.is_keep_alive);
        parse_head(&head, "GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        parse_head(&head, "GET", "HTTP/1.1 204 No Content\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        CHECK(head.is_keep_alive);
        parse_head(&head, "PUT", "HTTP/1.1 100 Continue\r\n\r\n");
        CHECK_EQ(head.status, 100);
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        /* "head" is not HEAD: methods are case-sensitive. */
        parse_head(&head, "head", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_LENGTH);
        /* Rule 2: a 2xx answer to CONNECT starts a tunnel; a 4xx one has a body. */
        parse_head(&head, "CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        parse_head(&head, "CONNECT", "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
        CHECK_EQ(head.framing, HTTP_FRAMING_LENGTH);
}

static void test_response_upgrade_and_versions(void)
{
        static struct http_head head;
        parse_head(&head, "GET",
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        CHECK_EQ(head.status, 101);
        CHECK(head.is_websocket_upgrade);
        CHECK_EQ(head.framing, HTTP_FRAMING_NONE);
        parse_head(&head, "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n");
        CHECK_EQ(head.version, HTTP_VERSION_1_0);
        CHECK(!head.is_keep_alive);
        parse_head(&head, "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
        CHECK(head.is_keep_alive);
        parse_head(&head, "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
        CHECK(!head.is_keep_alive);
        /* The reason phrase may be empty, with or without its SP, and hold obs-text. */
        parse_head(&head, "GET", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
        CHECK_EQ(head.status, 200);
        CHECK_EQ(head.reason.len, 0);
        parse_head(&head, "GET", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n");
        CHECK_EQ(head.reason.len, 0);
        parse_head(&head, "GET", "HTTP/1.1 599 Nicht gefunden \xfc\tx\r\nContent-Length: 0\r\n\r\n");
        check_slice(head.reason, "Nicht gefunden \xfc\tx");
}

static void test_limits_defaults_and_checks(void)
{
        struct http_limits limits;
        struct err err = {0};
        http_parser_limits_default(&limits);
        CHECK_EQ(limits.max_head_len, 32768);
        CHECK_EQ(limits.max_start_line_len, 8192);
        CHECK_EQ(limits.max_fields, 100);
        CHECK_OK(http_parser_check_limits(&limits, &err), &err);
        limits.max_fields = HTTP_FIELDS_MAX + 1;
        CHECK_STATUS(http_parser_check_limits(&limits, &err), SMT_EINVAL);
        CHECK_STR(err.msg, "http limits: max_fields 129 exceeds 128");
        http_parser_limits_default(&limits);
        limits.max_head_len = limits.max_start_line_len + 3;
        CHECK_STATUS(http_parser_check_limits(&limits, &err), SMT_EINVAL);
        limits.max_head_len = 0;
        CHECK_STATUS(http_parser_check_limits(&limits, &err), SMT_EINVAL);
        struct http_parser p;
        CHECK_STATUS(http_parser_init_request(&p, &limits, &err), SMT_EINVAL);
}

static void test_fields_up_to_the_limit(void)
{
        static struct http_head head;
        static char text[8192];
        size_t used = (size_t)snprintf(text, sizeof text, "GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 1; i < 100; i++)
                used += (size_t)snprintf(text + used, sizeof text - used, "X-F%d: %d\r\n", i, i);
        snprintf(text + used, sizeof text - used, "\r\n");
        parse_head(&head, NULL, text); /* exactly 100 fields: the default limit */
        CHECK_EQ(head.num_fields, 100);
        check_slice(head.fields[99].name, "X-F99");
}

CHECK_MAIN(CHECK_TEST(test_request_origin_form), CHECK_TEST(test_request_absolute_form),
           CHECK_TEST(test_request_authority_and_asterisk_forms), CHECK_TEST(test_request_http10),
           CHECK_TEST(test_request_content_length), CHECK_TEST(test_request_chunked),
           CHECK_TEST(test_request_expect_continue), CHECK_TEST(test_request_websocket_upgrade),
           CHECK_TEST(test_request_connection_options), CHECK_TEST(test_request_lenient_corners),
           CHECK_TEST(test_request_buffer_moves_between_calls), CHECK_TEST(test_request_parse_again_after_head),
           CHECK_TEST(test_response_framings), CHECK_TEST(test_response_upgrade_and_versions),
           CHECK_TEST(test_limits_defaults_and_checks), CHECK_TEST(test_fields_up_to_the_limit))
