/* tests/unit/http/test_parser_refusals.c: heads http/parser refuses — the request-smuggling vectors of the
 * gateway issue, RFC 9112 and PortSwigger's list (Content-Length with Transfer-Encoding, codings other than
 * a final chunked, obfuscated Transfer-Encoding, duplicate or malformed Content-Length, obs-fold, NUL, bare
 * CR and bare LF, whitespace before the colon), request-line and status-line errors, Host rules, Expect,
 * and the size limits. Each is refused with its exact status and message, the same whether the bytes come
 * at once or one at a time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/parser.h"

struct refusal {
        const char *request_method; /* NULL: a request; else a response to this method */
        const char *text;
        size_t len;
        int status;
        const char *message;
};

#define TEXT(literal) literal, sizeof(literal) - 1
#define H11           "POST / HTTP/1.1\r\nHost: h\r\n"

static int parse_at_once(struct err *err, const char *request_method, const char *text, size_t len, size_t fed_max)
{
        static struct http_head head;
        struct http_parser p;
        if (request_method == NULL)
                CHECK_OK(http_parser_init_request(&p, NULL, err), err);
        else
                CHECK_OK(http_parser_init_response(
                             &p, NULL, buf_reader_make((const uint8_t *)request_method, strlen(request_method)), err),
                         err);
        if (fed_max == 0)
                return http_parser_parse(&p, &head, (const uint8_t *)text, len, err);
        int status = SMT_EAGAIN;
        for (size_t fed = 1; status == SMT_EAGAIN && fed <= len; fed += fed_max)
                status = http_parser_parse(&p, &head, (const uint8_t *)text, fed, err);
        return status;
}

/* check_refused parses at once, then one byte at a time, and expects status and message both times. */
static void check_refused(const struct refusal *r)
{
        struct err err = {0};
        for (size_t step = 0; step <= 1; step++) {
                err_clear(&err);
                int status = parse_at_once(&err, r->request_method, r->text, r->len, step);
                if (status != r->status || strcmp(err.msg, r->message) != 0)
                        check_fail(__FILE__, __LINE__, "%s \"%.60s\" (%s): got %s \"%s\", expected %s \"%s\"",
                                   r->request_method == NULL ? "request" : "response", r->text,
                                   step == 0 ? "at once" : "byte by byte", err_name(status), err.msg,
                                   err_name(r->status), r->message);
        }
}

static void check_table(const struct refusal *table, size_t num)
{
        for (size_t i = 0; i < num; i++)
                check_refused(&table[i]);
}

#define CHECK_TABLE(table) check_table(table, sizeof table / sizeof table[0])

static void test_transfer_encoding_vectors(void)
{
        static const struct refusal table[] = {
            {NULL, TEXT(H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length and Transfer-Encoding both present"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length and Transfer-Encoding both present"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked, identity\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"chunked, identity\": chunked is not the final coding"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked, chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"chunked, chunked\": chunked is not the final coding"},
            {NULL, TEXT(H11 "Transfer-Encoding: identity\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"identity\" does not end in chunked"},
            {NULL, TEXT(H11 "Transfer-Encoding: xchunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"xchunked\" does not end in chunked"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunk\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"chunk\" does not end in chunked"},
            {NULL, TEXT(H11 "Transfer-Encoding: gzip, chunked\r\n\r\n"), HTTP_EUNSUPPORTED,
             "request: transfer coding \"gzip\" not supported (only chunked)"},
            {NULL, TEXT(H11 "Transfer-Encoding: ,chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \",chunked\" is not a list of codings (empty or malformed element)"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked,\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"chunked,\" is not a list of codings (empty or malformed element)"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked;x=1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"chunked;x=1\" is not a list of codings (empty or malformed element)"},
            {NULL, TEXT(H11 "Transfer-Encoding: \"chunked\"\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"\\x22chunked\\x22\" is not a list of codings (empty or malformed "
             "element)"},
            {NULL, TEXT(H11 "Transfer-Encoding:\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding \"\" is not a list of codings (empty or malformed element)"},
            {NULL, TEXT(H11 "Transfer-Encoding:\r\n chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: obs-fold (a field line starting with whitespace) is not allowed (RFC 9112 §5.2)"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one Transfer-Encoding field"},
            {NULL, TEXT("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Transfer-Encoding in an HTTP/1.0 message"},
            {NULL, TEXT(H11 "Transfer-Encoding: chunked\x0b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: control byte (0x0b) in the value of field \"Transfer-Encoding\""},
            {NULL, TEXT(H11 "Transfer-Encoding : chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: whitespace between field name \"Transfer-Encoding\" and colon (RFC 9112 §5.1)"},
            {NULL, TEXT(H11 "Transfer-Encoding\t: chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: whitespace between field name \"Transfer-Encoding\" and colon (RFC 9112 §5.1)"},
        };
        CHECK_TABLE(table);
}

static void test_content_length_vectors(void)
{
        static const struct refusal table[] = {
            {NULL, TEXT(H11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one Content-Length field"},
            {NULL, TEXT(H11 "Content-Length: 5\r\ncontent-length: 6\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one Content-Length field"},
            {NULL, TEXT(H11 "Content-Length: +5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length \"+5\" is not a decimal number"},
            {NULL, TEXT(H11 "Content-Length: -1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length \"-1\" is not a decimal number"},
            {NULL, TEXT(H11 "Content-Length: 5 5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length \"5 5\" is not a decimal number"},
            {NULL, TEXT(H11 "Content-Length: 5, 5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length \"5, 5\" is not a decimal number"},
            {NULL, TEXT(H11 "Content-Length: 0x5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length \"0x5\" is not a decimal number"},
            {NULL, TEXT(H11 "Content-Length: 5.0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length \"5.0\" is not a decimal number"},
            {NULL, TEXT(H11 "Content-Length:\r\n\r\n"), HTTP_EBAD_REQUEST, "request: empty Content-Length"},
            {NULL, TEXT(H11 "Content-Length: 99999999999999999999\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length 99999999999999999999 exceeds 2^63-1"},
            {NULL, TEXT(H11 "Content-Length: 9223372036854775808\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length 9223372036854775808 exceeds 2^63-1"},
            {NULL, TEXT(H11 "Content-Length: 18446744073709551621\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Content-Length 18446744073709551621 exceeds 2^63-1"},
            {NULL, TEXT(H11 "Content-Length: 5\0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: NUL (0x00) in the value of field \"Content-Length\""},
            {NULL, TEXT(H11 "Content-Length : 5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: whitespace between field name \"Content-Length\" and colon (RFC 9112 §5.1)"},
        };
        CHECK_TABLE(table);
}

static void test_field_line_vectors(void)
{
        static const struct refusal table[] = {
            {NULL, TEXT(H11 "X-A: a\0b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: NUL (0x00) in the value of field \"X-A\""},
            {NULL, TEXT(H11 "X\0A: b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0x00 in field name \"X\" (not a token)"},
            {NULL, TEXT(H11 "X-A: a\rb\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: bare CR (0x0d) in the value of field \"X-A\""},
            {NULL, TEXT(H11 "X-A: a\r\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: bare CR (0x0d) in the value of field \"X-A\""},
            {NULL, TEXT(H11 "X-A: a\x7f\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: control byte (0x7f) in the value of field \"X-A\""},
            {NULL, TEXT(H11 "X-A: a\x1b[31m\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: control byte (0x1b) in the value of field \"X-A\""},
            {NULL, TEXT("GET / HTTP/1.1\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: h\n\r\n"), HTTP_EBAD_REQUEST,
             "request: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: h\r\n\n"), HTTP_EBAD_REQUEST,
             "request: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {NULL, TEXT("GET / HTTP/1.1\nHost: h\n\n"), HTTP_EBAD_REQUEST,
             "request: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: whitespace between field name \"Host\" and colon (RFC 9112 §5.1)"},
            {NULL, TEXT(H11 "X@Y: 1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0x40 in field name \"X\" (not a token)"},
            {NULL, TEXT(H11 "(X): 1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0x28 in field name \"\" (not a token)"},
            {NULL, TEXT(H11 "X\xc3\xa9: 1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0xc3 in field name \"X\" (not a token)"},
            {NULL, TEXT(H11 "NoColon\r\n\r\n"), HTTP_EBAD_REQUEST, "request: field line \"NoColon\" has no colon"},
            {NULL, TEXT(H11 ": value\r\n\r\n"), HTTP_EBAD_REQUEST, "request: field line with an empty name"},
            {NULL, TEXT(H11 "X-A: a\r\n b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: obs-fold (a field line starting with whitespace) is not allowed (RFC 9112 §5.2)"},
            {NULL, TEXT(H11 "X-A: a\r\n\tb\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: obs-fold (a field line starting with whitespace) is not allowed (RFC 9112 §5.2)"},
            {NULL, TEXT("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: whitespace between the start line and the first field (RFC 9112 §2.2)"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep alive\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Connection \"keep alive\" is not a list of tokens"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: a\r\nUpgrade: websocket\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one Upgrade field"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket/\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Upgrade \"websocket/\" is not a list of protocols"},
        };
        CHECK_TABLE(table);
}

static void test_request_line_vectors(void)
{
        static const struct refusal table[] = {
            {NULL, TEXT("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one SP after the method"},
            {NULL, TEXT("GET /  HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one SP after the request-target"},
            {NULL, TEXT("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: no SP after the method in \"GET\\x09/ HTTP/1.1\""},
            {NULL, TEXT("G(ET / HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: no SP after the method in \"G(ET / HTTP/1.1\""},
            {NULL, TEXT(" / HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: request line \" / HTTP/1.1\" does not start with a method"},
            {NULL, TEXT("GET /\r\n\r\n"), HTTP_EBAD_REQUEST, "request: no HTTP version after the request-target"},
            {NULL, TEXT("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: \"HTTP/1.1 \" is not an HTTP version"},
            {NULL, TEXT("GET / http/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: \"http/1.1\" is not an HTTP version"},
            {NULL, TEXT("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: \"HTTP/1.10\" is not an HTTP version"},
            {NULL, TEXT("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), HTTP_EVERSION,
             "request: version HTTP/1.2 not supported (HTTP/1.1 or HTTP/1.0)"},
            {NULL, TEXT("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), HTTP_EVERSION,
             "request: version HTTP/2.0 not supported (HTTP/1.1 or HTTP/1.0)"},
            {NULL, TEXT("GET / HTTP/0.9\r\n\r\n"), HTTP_EVERSION,
             "request: version HTTP/0.9 not supported (HTTP/1.1 or HTTP/1.0)"},
            {NULL, TEXT("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), HTTP_EHTTP2_PREFACE,
             "request: HTTP/2 connection preface (\"PRI * HTTP/2.0\")"},
            {NULL, TEXT("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0x00 in the request-target"},
            {NULL, TEXT("GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0x0d in the request-target"},
            {NULL, TEXT("GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: byte 0xe9 in the request-target"},
            {NULL, TEXT("GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: fragment ('#') in the request-target"},
            {NULL, TEXT("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: target \"*\" with a method other than OPTIONS"},
            {NULL, TEXT("CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: CONNECT target: \"/\" does not start with a host name"},
            {NULL, TEXT("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: CONNECT target: \"example.com\" has no port (host:port expected)"},
            {NULL, TEXT("GET http://user:pw@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: userinfo in request-target \"http://user:pw@example.com/\""},
            {NULL, TEXT("GET ftp://example.com/ HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: request-target \"ftp://example.com/\" is neither a path nor an http(s) URI"},
            {NULL, TEXT("GET example.com/ HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: request-target \"example.com/\" is neither a path nor an http(s) URI"},
            {NULL, TEXT("GET http:///etc HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: request-target authority: \"\" does not start with a host name"},
            {NULL, TEXT("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than 1 empty line before the request line"},
        };
        CHECK_TABLE(table);
}

static void test_host_and_expect_vectors(void)
{
        static const struct refusal table[] = {
            {NULL, TEXT("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: no Host field in an HTTP/1.1 request"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one Host field"},
            {NULL, TEXT("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: more than one Host field"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: exa mple.com\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Host: byte 0x20 after the host in \"exa mple.com\""},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: user@example.com\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Host: byte 0x40 after the host in \"user@example.com\""},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: example.com/evil\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Host: byte 0x2f after the host in \"example.com/evil\""},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: example.com:99999\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Host: \"example.com:99999\" has no valid port after the host"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Host: \"example.com:\" has no valid port after the host"},
            {NULL, TEXT("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "request: Host: \"[::1\" is not a bracketed IP literal"},
            {NULL, TEXT("PUT / HTTP/1.1\r\nHost: h\r\nExpect: foo\r\n\r\n"), HTTP_EEXPECTATION,
             "request: expectation \"foo\" not supported (only 100-continue)"},
            {NULL, TEXT("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, 200-ok\r\n\r\n"), HTTP_EEXPECTATION,
             "request: expectation \"200-ok\" not supported (only 100-continue)"},
        };
        CHECK_TABLE(table);
}

static void test_response_vectors(void)
{
        static const struct refusal table[] = {
            {"GET", TEXT("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
             HTTP_EBAD_REQUEST, "response: Content-Length and Transfer-Encoding both present"},
            {"GET", TEXT("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: Transfer-Encoding \"gzip\" does not end in chunked"},
            {"GET", TEXT("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: Transfer-Encoding in an HTTP/1.0 message"},
            {"GET", TEXT("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: more than one Content-Length field"},
            {"GET", TEXT("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: obs-fold (a field line starting with whitespace) is not allowed (RFC 9112 §5.2)"},
            {"GET", TEXT("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {"GET", TEXT("HTTP/1.1 20 OK\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: status line \"HTTP/1.1 20 OK\" has no SP and 3-digit code"},
            {"GET", TEXT("HTTP/1.1 2000 OK\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: no SP after the status code in \"HTTP/1.1 2000 OK\""},
            {"GET", TEXT("HTTP/1.1 600 Odd\r\n\r\n"), HTTP_EBAD_REQUEST, "response: status code 600 outside 100..599"},
            {"GET", TEXT("HTTP/1.1 099 Odd\r\n\r\n"), HTTP_EBAD_REQUEST, "response: status code 99 outside 100..599"},
            {"GET", TEXT("HTTP/2 200\r\n\r\n"), HTTP_EBAD_REQUEST, "response: \"HTTP/2 2\" is not an HTTP version"},
            {"GET", TEXT("HTTP/1.2 200 OK\r\n\r\n"), HTTP_EVERSION,
             "response: version HTTP/1.2 not supported (HTTP/1.1 or HTTP/1.0)"},
            {"GET", TEXT("\r\nHTTP/1.1 200 OK\r\n\r\n"), HTTP_EBAD_REQUEST, "response: empty status line"},
            {"GET", TEXT("HTTP/1.1 200 O\0K\r\n\r\n"), HTTP_EBAD_REQUEST, "response: byte 0x00 in the reason phrase"},
            {"GET", TEXT("HTTP/1.1 200 OK\r\nSet-Cookie: a=\rb\r\n\r\n"), HTTP_EBAD_REQUEST,
             "response: bare CR (0x0d) in the value of field \"Set-Cookie\""},
        };
        CHECK_TABLE(table);
}

/* big_text builds prefix, then n copies of unit, then suffix, in a heap string. */
static char *big_text(const char *prefix, const char *unit, size_t n, const char *suffix, size_t *len)
{
        size_t unit_len = strlen(unit), prefix_len = strlen(prefix), suffix_len = strlen(suffix);
        *len = prefix_len + n * unit_len + suffix_len;
        char *text = malloc(*len + 1);
        CHECK(text != NULL);
        memcpy(text, prefix, prefix_len);
        for (size_t i = 0; i < n; i++)
                memcpy(text + prefix_len + i * unit_len, unit, unit_len);
        memcpy(text + prefix_len + n * unit_len, suffix, suffix_len + 1);
        return text;
}

/* check_big_refusal checks the refusal of prefix, n copies of unit, suffix. */
static void check_big_refusal(const char *request_method, const char *prefix, const char *unit, size_t n,
                              const char *suffix, int status, const char *message)
{
        size_t len;
        char *text = big_text(prefix, unit, n, suffix, &len);
        struct refusal r = {request_method, text, len, status, message};
        check_refused(&r);
        free(text);
}

static void test_size_limits(void)
{
        size_t len;
        /* 101 fields: Host and 100 more. */
        check_big_refusal(NULL, "GET / HTTP/1.1\r\nHost: h\r\n", "X-F: 1\r\n", 100, "\r\n", HTTP_ETOO_LARGE,
                          "request: more than 100 header fields");
        /* A 40 KB cookie, whole and still arriving (no LF yet): refused before the head ends. */
        check_big_refusal(NULL, "GET / HTTP/1.1\r\nHost: h\r\nCookie: ", "a", 40000, "\r\n\r\n", HTTP_ETOO_LARGE,
                          "request: head exceeds 32768 bytes");
        check_big_refusal(NULL, "GET / HTTP/1.1\r\nHost: h\r\nCookie: ", "a", 40000, "", HTTP_ETOO_LARGE,
                          "request: head exceeds 32768 bytes");
        /* 99 fields of 340 bytes: under the count limit, over the byte limit. */
        char unit[341];
        memset(unit, 'b', sizeof unit - 1);
        memcpy(unit, "X-Long: ", 8);
        memcpy(unit + 338, "\r\n", 3);
        check_big_refusal(NULL, "GET / HTTP/1.1\r\nHost: h\r\n", unit, 99, "\r\n", HTTP_ETOO_LARGE,
                          "request: head exceeds 32768 bytes");
        /* The request line: 8192 bytes pass, 8193 are refused (414), whole or still arriving. */
        char *text = big_text("GET /", "a", 8192 - 14, " HTTP/1.1\r\nHost: h\r\n\r\n", &len);
        CHECK_EQ(strchr(text, '\r') - text, 8192);
        free(text);
        check_big_refusal(NULL, "GET /", "a", 8192 - 14, " HTTP/1.1\r\nHost: h\r\n\r\n", 0, "");
        check_big_refusal(NULL, "GET /", "a", 8193 - 14, " HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ETARGET_TOO_LONG,
                          "request: request line exceeds 8192 bytes");
        check_big_refusal(NULL, "GET /", "a", 9000, "", HTTP_ETARGET_TOO_LONG,
                          "request: request line exceeds 8192 bytes");
        /* After one empty line, the request line gets the same bound. */
        check_big_refusal(NULL, "\r\nGET /", "a", 8193 - 14, " HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ETARGET_TOO_LONG,
                          "request: request line exceeds 8192 bytes");
        check_big_refusal("GET", "HTTP/1.1 200 ", "a", 9000, "\r\n\r\n", HTTP_ETOO_LARGE,
                          "response: status line exceeds 8192 bytes");
        check_big_refusal("GET", "HTTP/1.1 200 OK\r\n", "Set-Cookie: 0123456789\r\n", 101, "\r\n", HTTP_ETOO_LARGE,
                          "response: more than 100 header fields");
}

static void test_custom_limits(void)
{
        struct http_limits limits = {
            .max_head_len = 64, .max_start_line_len = 20, .max_fields = 2, .max_chunk_line_len = 16};
        static struct http_head head;
        struct http_parser p;
        struct err err = {0};
        /* A 20-byte request line and two fields fit; a third field, a 21st byte or a 65th do not. */
        const char *fits = "GET /012345 HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n";
        CHECK_OK(http_parser_init_request(&p, &limits, &err), &err);
        CHECK_OK(http_parser_parse(&p, &head, (const uint8_t *)fits, strlen(fits), &err), &err);
        const char *too_many = "GET /012345 HTTP/1.1\r\nHost: h\r\nA: b\r\nC: d\r\n\r\n";
        CHECK_OK(http_parser_init_request(&p, &limits, &err), &err);
        CHECK_STATUS(http_parser_parse(&p, &head, (const uint8_t *)too_many, strlen(too_many), &err), HTTP_ETOO_LARGE);
        CHECK_STR(err.msg, "request: more than 2 header fields");
        const char *too_long = "GET /0123456 HTTP/1.1\r\nHost: h\r\n\r\n";
        CHECK_OK(http_parser_init_request(&p, &limits, &err), &err);
        CHECK_STATUS(http_parser_parse(&p, &head, (const uint8_t *)too_long, strlen(too_long), &err),
                     HTTP_ETARGET_TOO_LONG);
        CHECK_STR(err.msg, "request: request line exceeds 20 bytes");
        const char *just_fits = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: 0123456789012345678901234567\r\n\r\n";
        CHECK_EQ(strlen(just_fits), 64);
        CHECK_OK(http_parser_init_request(&p, &limits, &err), &err);
        CHECK_OK(http_parser_parse(&p, &head, (const uint8_t *)just_fits, strlen(just_fits), &err), &err);
        const char *too_large = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: 01234567890123456789012345678\r\n\r\n";
        CHECK_OK(http_parser_init_request(&p, &limits, &err), &err);
        CHECK_STATUS(http_parser_parse(&p, &head, (const uint8_t *)too_large, strlen(too_large), &err),
                     HTTP_ETOO_LARGE);
        CHECK_STR(err.msg, "request: head exceeds 64 bytes");
}

CHECK_MAIN(CHECK_TEST(test_transfer_encoding_vectors), CHECK_TEST(test_content_length_vectors),
           CHECK_TEST(test_field_line_vectors), CHECK_TEST(test_request_line_vectors),
           CHECK_TEST(test_host_and_expect_vectors), CHECK_TEST(test_response_vectors), CHECK_TEST(test_size_limits),
           CHECK_TEST(test_custom_limits))
