/* tests/unit/http/test_parser_body.c: the streaming body decoder of http/parser — Content-Length, chunked
 * (sizes, extensions, trailers), until-close and no body; bodies are slices of the input, never copies;
 * every input decodes the same at once and one byte at a time; malformed chunked bodies (the chunk-size
 * vectors of the gateway issue: overflow, "0x", spaces, missing CRLF after data, bad extensions and
 * trailers) are refused with their exact status and message; truncation at close; pipelined messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/parser.h"

/* What decoding a body gave: its bytes, its trailers as "name: value\n" lines, where it ended, how. */
struct decoded {
        uint8_t data[65536];
        size_t data_len;
        char trailers[4096];
        size_t trailers_len;
        size_t end;
        bool is_end;
        int status;
        char message[256];
};

static void decoded_add(struct decoded *out, const struct http_body_part *part)
{
        CHECK(out->data_len + part->data.len <= sizeof out->data);
        if (part->data.len > 0)
                memcpy(out->data + out->data_len, part->data.data, part->data.len);
        out->data_len += part->data.len;
        if (part->has_trailer)
                out->trailers_len +=
                    (size_t)snprintf(out->trailers + out->trailers_len, sizeof out->trailers - out->trailers_len,
                                     "%.*s: %.*s\n", (int)part->trailer.name.len, (const char *)part->trailer.name.data,
                                     (int)part->trailer.value.len, (const char *)part->trailer.value.data);
}

/* decode runs a decoder over in as a connection would: step bytes more each time it asks (0: all at once),
 * keeping what it did not consume; at the end of in the peer closes when is_closed_at_end. */
static void decode(struct decoded *out, enum http_framing framing, uint64_t length, const uint8_t *in, size_t len,
                   size_t step, bool is_closed_at_end)
{
        struct http_parser_body body;
        struct err err = {0};
        memset(out, 0, sizeof *out);
        CHECK_OK(http_parser_body_init(&body, framing, length, NULL, &err), &err);
        size_t pos = 0, avail = step == 0 || step > len ? len : step;
        for (;;) {
                struct http_body_part part;
                size_t used;
                int status = http_parser_body_decode(&body, &part, &used, in + pos, avail - pos, &err);
                if (status == SMT_EAGAIN && avail < len) {
                        avail = avail + step > len ? len : avail + step;
                        continue;
                }
                if (status == SMT_EAGAIN) {
                        status = is_closed_at_end ? http_parser_body_finish(&body, &err) : SMT_EAGAIN;
                        out->is_end = status == 0;
                        if (status == 0)
                                break;
                }
                if (status != 0) {
                        out->status = status;
                        snprintf(out->message, sizeof out->message, "%s", status == SMT_EAGAIN ? "" : err.msg);
                        break;
                }
                CHECK(used > 0 || part.data.len > 0 || part.has_trailer || part.is_end); /* progress */
                decoded_add(out, &part);
                pos += used;
                if (part.is_end) {
                        out->is_end = true;
                        break;
                }
        }
        out->end = pos;
        CHECK_EQ(http_parser_body_is_done(&body), out->is_end);
}

/* decode_both decodes at once and byte by byte, checks they agree, and leaves the first in *out. */
static void decode_both(struct decoded *out, enum http_framing framing, uint64_t length, const char *in, size_t len,
                        bool is_closed_at_end)
{
        static struct decoded bytewise;
        decode(out, framing, length, (const uint8_t *)in, len, 0, is_closed_at_end);
        decode(&bytewise, framing, length, (const uint8_t *)in, len, 1, is_closed_at_end);
        CHECK_EQ(out->status, bytewise.status);
        CHECK_STR(out->message, bytewise.message);
        if (out->status == 0 || out->status == SMT_EAGAIN || out->status == SMT_ETRUNCATED)
                CHECK_EQ(out->end, bytewise.end); /* after a refusal, where it stopped means nothing */
        CHECK_EQ(out->is_end, bytewise.is_end);
        CHECK_EQ(out->data_len, bytewise.data_len);
        CHECK_MEM(out->data, bytewise.data, out->data_len);
        CHECK_STR(out->trailers, bytewise.trailers);
}

#define TEXT(literal) literal, sizeof(literal) - 1

static void check_data(const struct decoded *d, const char *expected)
{
        CHECK_EQ(d->data_len, strlen(expected));
        CHECK_MEM(d->data, expected, d->data_len);
}

static void test_length_body(void)
{
        static struct decoded d;
        decode_both(&d, HTTP_FRAMING_LENGTH, 11, TEXT("hello worldGET / HTTP/1.1\r\n"), false);
        CHECK_OK(d.status, &(struct err){0});
        CHECK(d.is_end);
        check_data(&d, "hello world");
        CHECK_EQ(d.end, 11);
        /* The data is the input itself, and the last data comes with the end. */
        struct http_parser_body body;
        struct http_body_part part;
        struct err err = {0};
        size_t used;
        const uint8_t in[] = "hello worldXYZ";
        CHECK_OK(http_parser_body_init(&body, HTTP_FRAMING_LENGTH, 11, NULL, &err), &err);
        CHECK_OK(http_parser_body_decode(&body, &part, &used, in, 5, &err), &err);
        CHECK(part.data.data == in && part.data.len == 5 && !part.is_end && used == 5);
        CHECK_STATUS(http_parser_body_decode(&body, &part, &used, in + 5, 0, &err), SMT_EAGAIN);
        CHECK_OK(http_parser_body_decode(&body, &part, &used, in + 5, sizeof in - 6, &err), &err);
        CHECK(part.data.data == in + 5 && part.data.len == 6 && part.is_end && used == 6);
        CHECK(http_parser_body_is_done(&body));
        CHECK_OK(http_parser_body_decode(&body, &part, &used, in + 11, 3, &err), &err);
        CHECK(part.is_end && used == 0 && part.data.len == 0);
}

static void test_no_body(void)
{
        static struct decoded d;
        decode_both(&d, HTTP_FRAMING_LENGTH, 0, TEXT("NEXT"), false);
        CHECK(d.is_end && d.end == 0 && d.data_len == 0);
        decode_both(&d, HTTP_FRAMING_NONE, 99, TEXT("NEXT"), false);
        CHECK(d.is_end && d.end == 0 && d.data_len == 0);
        decode_both(&d, HTTP_FRAMING_NONE, 0, "", 0, false);
        CHECK(d.is_end && d.end == 0);
}

static void test_chunked_body(void)
{
        static struct decoded d;
        decode_both(&d, HTTP_FRAMING_CHUNKED, 0,
                    TEXT("5\r\nhello\r\n6;name=value;q=\"a \\\"b\\\"\"\r\n world\r\nA \t; x ; y = z\r\n, chunked!"
                         "\r\n0;last\r\nX-Checksum: abc\r\nX-Other:\t z \r\n\r\nNEXT"),
                    false);
        CHECK_EQ(d.status, 0);
        CHECK(d.is_end);
        check_data(&d, "hello world, chunked!");
        CHECK_STR(d.trailers, "X-Checksum: abc\nX-Other: z\n");
        CHECK_EQ(d.end, strlen("5\r\nhello\r\n6;name=value;q=\"a \\\"b\\\"\"\r\n world\r\nA \t; x ; y = z\r\n, "
                               "chunked!\r\n0;last\r\nX-Checksum: abc\r\nX-Other:\t z \r\n\r\n"));
        /* Hex digits in either case, leading zeros up to 16 digits. */
        decode_both(&d, HTTP_FRAMING_CHUNKED, 0, TEXT("a\r\n0123456789\r\nB\r\nabcdefghijk\r\n000000000000000\r\n\r\n"),
                    false);
        CHECK(d.is_end);
        check_data(&d, "0123456789abcdefghijk");
        decode_both(&d, HTTP_FRAMING_CHUNKED, 0, TEXT("0000000000000003\r\nabc\r\n0\r\n\r\n"), false);
        check_data(&d, "abc");
        CHECK_EQ(d.trailers_len, 0);
}

static void test_chunked_large_chunk_streams(void)
{
        /* A 1 MiB chunk arrives 4 KiB at a time; each piece is handed on as a slice of its own input. */
        static uint8_t piece[4096];
        struct http_parser_body body;
        struct http_body_part part;
        struct err err = {0};
        size_t used, total = 0;
        CHECK_OK(http_parser_body_init(&body, HTTP_FRAMING_CHUNKED, 0, NULL, &err), &err);
        CHECK_OK(http_parser_body_decode(&body, &part, &used, (const uint8_t *)"100000\r\n", 8, &err), &err);
        CHECK(used == 8 && part.data.len == 0 && !part.is_end);
        for (int i = 0; i < 256; i++) {
                memset(piece, i, sizeof piece);
                CHECK_OK(http_parser_body_decode(&body, &part, &used, piece, sizeof piece, &err), &err);
                CHECK(part.data.data == piece && part.data.len == sizeof piece && used == sizeof piece);
                total += part.data.len;
        }
        CHECK_EQ(total, 1 << 20);
        CHECK_OK(http_parser_body_decode(&body, &part, &used, (const uint8_t *)"\r\n0\r\n\r\n", 7, &err), &err);
        CHECK(part.is_end && used == 7);
}

static void test_until_close(void)
{
        static struct decoded d;
        decode_both(&d, HTTP_FRAMING_UNTIL_CLOSE, 0, TEXT("everything\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"), true);
        CHECK_EQ(d.status, 0);
        CHECK(d.is_end);
        check_data(&d, "everything\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n");
        decode_both(&d, HTTP_FRAMING_UNTIL_CLOSE, 0, TEXT("still coming"), false);
        CHECK_EQ(d.status, SMT_EAGAIN);
        CHECK(!d.is_end);
        check_data(&d, "still coming");
}

static void check_truncated(enum http_framing framing, uint64_t length, const char *in, size_t len, const char *message)
{
        static struct decoded d;
        decode_both(&d, framing, length, in, len, true);
        CHECK_STATUS(d.status, SMT_ETRUNCATED);
        CHECK_STR(d.message, message);
        CHECK(!d.is_end);
}

static void test_truncated_at_close(void)
{
        check_truncated(HTTP_FRAMING_LENGTH, 10, TEXT("1234567"), "body: connection closed with 3 bytes missing");
        check_truncated(HTTP_FRAMING_CHUNKED, 0, TEXT("5\r\nhel"),
                        "chunked body: connection closed before the last chunk");
        check_truncated(HTTP_FRAMING_CHUNKED, 0, TEXT("5\r\nhello\r"),
                        "chunked body: connection closed before the last chunk");
        check_truncated(HTTP_FRAMING_CHUNKED, 0, TEXT("5\r\nhello\r\n0"),
                        "chunked body: connection closed before the last chunk");
        check_truncated(HTTP_FRAMING_CHUNKED, 0, TEXT("0\r\nX-A: b\r\n"),
                        "chunked body: connection closed inside the trailer section");
}

struct body_refusal {
        const char *text;
        size_t len;
        int status;
        const char *message;
};

static void check_body_refusals(const struct body_refusal *table, size_t num)
{
        static struct decoded d;
        for (size_t i = 0; i < num; i++) {
                decode_both(&d, HTTP_FRAMING_CHUNKED, 0, table[i].text, table[i].len, true);
                if (d.status != table[i].status || strcmp(d.message, table[i].message) != 0)
                        check_fail(__FILE__, __LINE__, "\"%.40s\": got %s \"%s\", expected %s \"%s\"", table[i].text,
                                   err_name(d.status), d.message, err_name(table[i].status), table[i].message);
        }
}

static void test_chunk_size_vectors(void)
{
        static const struct body_refusal table[] = {
            {TEXT("ffffffffffffffffff\r\nx\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk size \"ffffffffffffffffff\" has more than 16 hex digits"},
            {TEXT("00000000000000005\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk size \"00000000000000005\" has more than 16 hex digits"},
            {TEXT("0x5\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x78 where ';' belongs in \"0x5\""},
            {TEXT(" 5\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk-size line \" 5\" does not start with a hex digit"},
            {TEXT("5 \r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST, "chunked body: trailing whitespace in \"5 \""},
            {TEXT("-5\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk-size line \"-5\" does not start with a hex digit"},
            {TEXT("+5\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk-size line \"+5\" does not start with a hex digit"},
            {TEXT("\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk-size line \"\" does not start with a hex digit"},
            {TEXT("5g\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x67 where ';' belongs in \"5g\""},
            {TEXT("5\0\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x00 where ';' belongs in \"5\\x00\""},
            {TEXT("5\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {TEXT("5\r\nhelloX\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST, "chunked body: chunk data not followed by CRLF"},
            {TEXT("5\r\nhello\rX0\r\n\r\n"), HTTP_EBAD_REQUEST, "chunked body: chunk data not followed by CRLF"},
            {TEXT("5\r\nhello\n0\r\n\r\n"), HTTP_EBAD_REQUEST, "chunked body: chunk data not followed by CRLF"},
            {TEXT("5\r\nhello0\r\n\r\n"), HTTP_EBAD_REQUEST, "chunked body: chunk data not followed by CRLF"},
            {TEXT("3\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST, "chunked body: chunk data not followed by CRLF"},
        };
        check_body_refusals(table, sizeof table / sizeof table[0]);
}

static void test_chunk_extension_vectors(void)
{
        static const struct body_refusal table[] = {
            {TEXT("5;\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk extension without a name in \"5;\""},
            {TEXT("5;=x\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk extension without a name in \"5;=x\""},
            {TEXT("5;a=\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: chunk extension without a value after '=' in \"5;a=\""},
            {TEXT("5;a=\"x\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: unterminated quoted string in \"5;a=\\x22x\""},
            {TEXT("5;a=\"x\\\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: unterminated quoted string in \"5;a=\\x22x\\x5c\""},
            {TEXT("5;a=\"x\0\"\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x00 in a quoted chunk extension value in \"5;a=\\x22x\\x00\\x22\""},
            {TEXT("5;a b\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x62 where ';' belongs in \"5;a b\""},
            {TEXT("5;a=b c\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x63 where ';' belongs in \"5;a=b c\""},
            {TEXT("5;a\rb\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x0d where ';' belongs in \"5;a\\x0db\""},
            {TEXT("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"), HTTP_EBAD_REQUEST,
             "chunked body: byte 0x63 where ';' belongs in \"5;a=\\x22b\\x22c\""},
        };
        check_body_refusals(table, sizeof table / sizeof table[0]);
}

static void test_trailer_vectors(void)
{
        static const struct body_refusal table[] = {
            {TEXT("0\r\nContent-Length: 5\r\n\r\n"), HTTP_EBAD_REQUEST,
             "trailer: Content-Length is not allowed in a trailer section"},
            {TEXT("0\r\ntransfer-encoding: chunked\r\n\r\n"), HTTP_EBAD_REQUEST,
             "trailer: Transfer-Encoding is not allowed in a trailer section"},
            {TEXT("0\r\nX-A: a\r\n b\r\n\r\n"), HTTP_EBAD_REQUEST,
             "trailer: obs-fold (a field line starting with whitespace) is not allowed (RFC 9112 §5.2)"},
            {TEXT("0\r\nX-A: a\0\r\n\r\n"), HTTP_EBAD_REQUEST, "trailer: NUL (0x00) in the value of field \"X-A\""},
            {TEXT("0\r\nX-A : a\r\n\r\n"), HTTP_EBAD_REQUEST,
             "trailer: whitespace between field name \"X-A\" and colon (RFC 9112 §5.1)"},
            {TEXT("0\r\n\n"), HTTP_EBAD_REQUEST, "trailer: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
            {TEXT("0\r\nX-A: a\n\r\n"), HTTP_EBAD_REQUEST, "trailer: line ends in a bare LF, not CRLF (RFC 9112 §2.2)"},
        };
        check_body_refusals(table, sizeof table / sizeof table[0]);
}

/* repeated returns prefix, n copies of unit and suffix in a static buffer. */
static const char *repeated(const char *prefix, const char *unit, size_t n, const char *suffix, size_t *len)
{
        static char text[65536];
        size_t used = (size_t)snprintf(text, sizeof text, "%s", prefix);
        for (size_t i = 0; i < n; i++)
                used += (size_t)snprintf(text + used, sizeof text - used, "%s", unit);
        used += (size_t)snprintf(text + used, sizeof text - used, "%s", suffix);
        CHECK(used < sizeof text);
        *len = used;
        return text;
}

static void test_chunked_limits(void)
{
        size_t len;
        const char *text = repeated("5;", "a", 5000, "\r\nhello\r\n0\r\n\r\n", &len);
        struct body_refusal refusals[] = {
            {text, len, HTTP_EBAD_REQUEST, "chunked body: chunk-size line exceeds 4096 bytes"},
        };
        check_body_refusals(refusals, 1);
        text = repeated("5;", "a", 5000, "", &len); /* still arriving */
        refusals[0] =
            (struct body_refusal){text, len, HTTP_EBAD_REQUEST, "chunked body: chunk-size line exceeds 4096 bytes"};
        check_body_refusals(refusals, 1);
        text = repeated("0\r\n", "X-T: 1\r\n", 101, "\r\n", &len);
        refusals[0] = (struct body_refusal){text, len, HTTP_ETOO_LARGE, "trailer: more than 100 trailer fields"};
        check_body_refusals(refusals, 1);
        text = repeated("0\r\nX-Big: ", "b", 40000, "\r\n\r\n", &len);
        refusals[0] =
            (struct body_refusal){text, len, HTTP_ETOO_LARGE, "chunked body: trailer section exceeds 32768 bytes"};
        check_body_refusals(refusals, 1);
        /* At the bounds: a 4096-byte chunk-size line and 100 trailers pass. */
        static struct decoded d;
        text = repeated("5;", "a", 4094, "\r\nhello\r\n0\r\n\r\n", &len);
        decode_both(&d, HTTP_FRAMING_CHUNKED, 0, text, len, false);
        CHECK(d.is_end && d.status == 0);
        text = repeated("0\r\n", "X-T: 1\r\n", 100, "\r\n", &len);
        decode_both(&d, HTTP_FRAMING_CHUNKED, 0, text, len, false);
        CHECK(d.is_end && d.status == 0);
        CHECK_EQ(d.trailers_len, 100 * strlen("X-T: 1\n"));
}

/* next_head parses the head at data (a request when request_method is NULL). */
static void next_head(struct http_head *head, const char *request_method, const char *data, size_t len)
{
        struct http_parser p;
        struct err err = {0};
        if (request_method == NULL)
                CHECK_OK(http_parser_init_request(&p, NULL, &err), &err);
        else
                CHECK_OK(http_parser_init_response(
                             &p, NULL, buf_reader_make((const uint8_t *)request_method, strlen(request_method)), &err),
                         &err);
        CHECK_OK(http_parser_parse(&p, head, (const uint8_t *)data, len, &err), &err);
}

static void test_pipelined_requests(void)
{
        static const char stream[] = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
                                     "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                                     "POST /three HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "3\r\nabc\r\n0\r\n\r\n"
                                     "GET /four HTTP/1.0\r\n\r\n";
        static const char *targets[] = {"/one", "/two", "/three", "/four"};
        static const char *bodies[] = {"", "hello", "abc", ""};
        static struct http_head head;
        static struct decoded d;
        size_t pos = 0, len = sizeof stream - 1;
        for (size_t i = 0; i < 4; i++) {
                next_head(&head, NULL, stream + pos, len - pos);
                CHECK_EQ(head.target.len, strlen(targets[i]));
                CHECK_MEM(head.target.data, targets[i], head.target.len);
                pos += head.head_len;
                decode_both(&d, head.framing, head.content_length, stream + pos, len - pos, false);
                CHECK(d.is_end);
                check_data(&d, bodies[i]);
                pos += d.end;
        }
        CHECK_EQ(pos, len);
        CHECK(!head.is_keep_alive); /* the HTTP/1.0 one */
}

static void test_pipelined_responses(void)
{
        /* An interim 100, the final response, then the answer to a HEAD, then one that lasts until close. */
        static const char stream[] = "HTTP/1.1 100 Continue\r\n\r\n"
                                     "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndone\r\n0\r\n\r\n"
                                     "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                                     "HTTP/1.0 200 OK\r\n\r\nrest of the stream";
        static const char *methods[] = {"PUT", "PUT", "HEAD", "GET"};
        static const int statuses[] = {100, 201, 200, 200};
        static const char *bodies[] = {"", "done", "", "rest of the stream"};
        static struct http_head head;
        static struct decoded d;
        size_t pos = 0, len = sizeof stream - 1;
        for (size_t i = 0; i < 4; i++) {
                next_head(&head, methods[i], stream + pos, len - pos);
                CHECK_EQ(head.status, statuses[i]);
                pos += head.head_len;
                decode_both(&d, head.framing, head.content_length, stream + pos, len - pos, true);
                CHECK(d.is_end);
                check_data(&d, bodies[i]);
                pos += d.end;
        }
        CHECK_EQ(pos, len);
        CHECK_EQ(head.framing, HTTP_FRAMING_UNTIL_CLOSE);
}

static void test_init_refusals(void)
{
        struct http_parser_body body;
        struct err err = {0};
        struct http_limits limits;
        http_parser_limits_default(&limits);
        limits.max_chunk_line_len = 0;
        CHECK_STATUS(http_parser_body_init(&body, HTTP_FRAMING_CHUNKED, 0, &limits, &err), SMT_EINVAL);
        CHECK_STATUS(http_parser_body_init(&body, (enum http_framing)0, 0, NULL, &err), SMT_EINVAL);
        CHECK_STR(err.msg, "body: unknown framing 0");
}

CHECK_MAIN(CHECK_TEST(test_length_body), CHECK_TEST(test_no_body), CHECK_TEST(test_chunked_body),
           CHECK_TEST(test_chunked_large_chunk_streams), CHECK_TEST(test_until_close),
           CHECK_TEST(test_truncated_at_close), CHECK_TEST(test_chunk_size_vectors),
           CHECK_TEST(test_chunk_extension_vectors), CHECK_TEST(test_trailer_vectors), CHECK_TEST(test_chunked_limits),
           CHECK_TEST(test_pipelined_requests), CHECK_TEST(test_pipelined_responses), CHECK_TEST(test_init_refusals))
