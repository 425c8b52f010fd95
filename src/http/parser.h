/* src/http/parser.h: a strict, incremental HTTP/1.1 message parser (RFC 9110, RFC 9112) for requests from
 * clients and responses from origins, and a body decoder that streams. No sockets, no allocation.
 *
 * Heads. The caller keeps the bytes received so far in one buffer that starts at the message's first byte
 * and calls http_parser_parse each time more arrive (the buffer may move between calls; it must hold the
 * same bytes plus the new ones). Until the empty line ending the head has arrived it returns SMT_EAGAIN
 * (each byte is searched once, and only the limits and line endings are checked); then it parses the whole
 * head and returns 0, or a refusal. Because a head is judged only once whole, feeding it one byte at a time
 * gives exactly the result (status and message) of feeding it at once. The head's slices borrow the
 * buffer: valid while its bytes stay where they were at the successful call.
 *
 * Bodies. struct http_parser_body is told the framing (struct http_head says which) and consumes the bytes
 * after the head as they come, yielding body data as slices of its input, trailer fields one by one and the
 * end of the message; it never holds the body. Bytes it does not consume (a chunk-size line or trailer line
 * not yet whole, a CRLF after chunk data) must be presented again, followed by more.
 *
 * Strictness. Every refusal names the problem in err ("request: Content-Length and Transfer-Encoding both
 * present"); the caller answers (requests) or gives 502 (responses) and closes the connection:
 *   HTTP_EBAD_REQUEST      400  anything malformed or ambiguous, and every request-smuggling vector:
 *                               Content-Length with Transfer-Encoding, a Content-Length that is not 1*DIGIT
 *                               ("+5", "5 5", "5, 5", empty) or overflows 2^63-1, a repeated Content-Length
 *                               field (even an identical one), a repeated Transfer-Encoding field,
 *                               Transfer-Encoding whose final coding is not chunked or that names chunked
 *                               twice or has empty elements, Transfer-Encoding in an HTTP/1.0 message, obs-fold
 *                               (RFC 9112 §5.2), whitespace between a field name and its colon (§5.1), a field
 *                               name that is not a token, NUL, bare CR or another control byte (but HTAB) in a
 *                               field value, a bare LF ending any line (§2.2 allows a recipient to accept it;
 *                               we do not, in requests or responses), a request line with other than single SP
 *                               separators, a target that does not fit its method (RFC 9112 §3.2: CONNECT
 *                               needs host:port, "*" only with OPTIONS, absolute form only http(s) URIs
 *                               without userinfo), '#' or a byte other than VCHAR in a target, a missing or
 *                               repeated Host (HTTP/1.1) or a Host that is not host[:port], a repeated
 *                               Upgrade, a status code outside 100..599, a chunk size that is not
 *                               1..16 HEXDIG ("0x5", " 5", 17 digits), bad chunk extensions, chunk data not
 *                               followed by CRLF, Content-Length or Transfer-Encoding in a trailer section.
 *   HTTP_ETOO_LARGE        431  head (or trailer section) over max_head_len bytes or max_fields fields;
 *                               a status line over max_start_line_len (responses).
 *   HTTP_ETARGET_TOO_LONG  414  request line over max_start_line_len bytes.
 *   HTTP_EUNSUPPORTED      501  a transfer coding other than chunked before the final chunked.
 *   HTTP_EVERSION          505  "HTTP/x.y" other than HTTP/1.1 and HTTP/1.0.
 *   HTTP_EEXPECTATION      417  an Expect member other than 100-continue.
 *   HTTP_EHTTP2_PREFACE         the request line "PRI * HTTP/2.0" of an HTTP/2 prior-knowledge client.
 * Accepted on purpose: Content-Length with leading zeros ("005" is 5: RFC 9110 §8.6 grammar is 1*DIGIT and
 * every reading agrees), transfer codings in any case ("Chunked"), OWS around a field value, one empty line
 * before a request line (RFC 9112 §2.2), lowercase methods (a token; "get" is a method other than GET,
 * RFC 9110 §9.1), any VCHAR but '#' in a request-target (browsers send "{|}^`" raw in queries), a status
 * line without a reason phrase (with or without its SP), empty list elements in Connection and Expect
 * (RFC 9110 §5.6.1), chunk extensions (checked against RFC 9112 §7.1.1, then dropped).
 * Trailers are returned field by field (the caller forwards or drops them); the parser keeps none. */
#ifndef SMT_HTTP_PARSER_H
#define SMT_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* Room for fields in struct http_head; http_limits.max_fields may not exceed it. */
#define HTTP_FIELDS_MAX 128

/* struct http_limits: how much a peer may send before it is refused. */
struct http_limits {
        size_t max_head_len;       /* a whole head, empty lines included (default 32 KiB); also a trailer section */
        size_t max_start_line_len; /* request or status line without CRLF (default 8 KiB) */
        size_t max_fields;         /* field lines of a head or trailer section (default 100) */
        size_t max_chunk_line_len; /* chunk size with extensions, without CRLF (default 4 KiB) */
};

enum http_message_kind { HTTP_MESSAGE_REQUEST = 1, HTTP_MESSAGE_RESPONSE };

enum http_version { HTTP_VERSION_1_0 = 10, HTTP_VERSION_1_1 = 11 };

/* RFC 9112 §3.2: the four forms of request-target. */
enum http_target_form { HTTP_TARGET_ORIGIN = 1, HTTP_TARGET_ABSOLUTE, HTTP_TARGET_AUTHORITY, HTTP_TARGET_ASTERISK };

/* How a message's body is delimited (RFC 9112 §6.3). */
enum http_framing {
        HTTP_FRAMING_NONE = 1,   /* no body: a request without framing fields, HEAD/1xx/204/304 responses, ... */
        HTTP_FRAMING_LENGTH,     /* Content-Length bytes */
        HTTP_FRAMING_CHUNKED,    /* Transfer-Encoding: chunked */
        HTTP_FRAMING_UNTIL_CLOSE /* a response without framing fields: until the origin closes */
};

/* Connection options seen (RFC 9110 §7.6.1); other options name fields the caller must drop. */
#define HTTP_CONNECTION_CLOSE      0x1u
#define HTTP_CONNECTION_KEEP_ALIVE 0x2u
#define HTTP_CONNECTION_UPGRADE    0x4u

/* struct http_field: one field line; name as received (compare ignoring case), value without OWS. */
struct http_field {
        struct buf_reader name;
        struct buf_reader value;
};

/* struct http_head: a parsed request or response head. Slices borrow the parsed buffer. */
struct http_head {
        size_t head_len; /* bytes from the buffer's start through the empty line: the body starts here */
        enum http_version version;
        /* request line (requests) */
        struct buf_reader method; /* a token, compared case-sensitively */
        struct buf_reader target;
        enum http_target_form target_form;
        /* status line (responses) */
        int status; /* 100..599 */
        struct buf_reader reason;
        /* field lines in order */
        struct http_field fields[HTTP_FIELDS_MAX];
        size_t num_fields;
        /* facts derived from the fields, already checked against each other */
        enum http_framing framing;
        bool has_content_length;
        uint64_t content_length; /* the body length when framing is HTTP_FRAMING_LENGTH */
        bool is_chunked;         /* Transfer-Encoding ends in chunked (framing may still be NONE: HEAD, 304) */
        unsigned connection;     /* HTTP_CONNECTION_* options present */
        bool is_keep_alive;      /* RFC 9112 §9.3: the connection may carry another message after this one */
        bool has_host;
        struct buf_reader host;      /* the Host value (requests) */
        struct buf_reader authority; /* requests: the target's authority (absolute and authority forms), else host */
        struct buf_reader upgrade;   /* the Upgrade value, empty when absent */
        bool is_websocket_upgrade;   /* GET (or 101) over HTTP/1.1 with Connection: upgrade, Upgrade: websocket */
        bool expects_continue;       /* an HTTP/1.1 request with a body and Expect: 100-continue */
};

/* struct http_parser: scanning state for one head; init before each message. */
struct http_parser {
        struct http_limits limits;
        enum http_message_kind kind;
        bool is_response_to_head;    /* RFC 9112 §6.3 rule 1: such a response has no body */
        bool is_response_to_connect; /* rule 2: a 2xx answer to CONNECT has none either */
        bool has_start_line;
        size_t start_line_at; /* after the empty line a request may start with */
        size_t line_start;    /* the line being scanned */
        size_t scanned;       /* bytes before this offset were searched for LF */
        size_t num_field_lines;
        size_t head_len; /* once the head was whole: a further call parses the same bytes again */
};

/* http_parser_limits_default fills limits with the defaults named in struct http_limits. */
void http_parser_limits_default(struct http_limits *limits);

/* http_parser_check_limits refuses (SMT_EINVAL) zero limits, max_fields above HTTP_FIELDS_MAX and a
 * max_head_len shorter than max_start_line_len + 4 (which keeps "too large" and "too long" apart). */
int http_parser_check_limits(const struct http_limits *limits, struct err *err) SMT_MUST_USE;

/* http_parser_init_request prepares p for a request head; limits NULL means the defaults. */
int http_parser_init_request(struct http_parser *p, const struct http_limits *limits, struct err *err) SMT_MUST_USE;

/* http_parser_init_response prepares p for the head of the response to a request whose method was
 * request_method (HEAD and CONNECT change the framing); limits NULL means the defaults. A 1xx response is
 * a whole message: parse the next head with a parser initialised again. */
int http_parser_init_response(struct http_parser *p, const struct http_limits *limits, struct buf_reader request_method,
                              struct err *err) SMT_MUST_USE;

/* http_parser_parse looks at the len bytes at data (the message so far): SMT_EAGAIN when the head is not
 * whole yet, 0 with *head filled (borrowing data) once it is, or a refusal listed at the top of this file.
 * After a refusal the parser is spent. */
int http_parser_parse(struct http_parser *p, struct http_head *head, const uint8_t *data, size_t len,
                      struct err *err) SMT_MUST_USE;

/* http_parser_lookup_field returns the first field named name (ignoring case), or NULL. */
const struct http_field *http_parser_lookup_field(const struct http_head *head, const char *name);

/* http_parser_token_equals says whether s is token, ignoring ASCII case. */
bool http_parser_token_equals(struct buf_reader s, const char *token);

enum http_parser_body_state {
        HTTP_BODY_LENGTH = 1,     /* inside a Content-Length body */
        HTTP_BODY_UNTIL_CLOSE,    /* everything until http_parser_body_finish */
        HTTP_BODY_CHUNK_SIZE,     /* expecting a chunk-size line */
        HTTP_BODY_CHUNK_DATA,     /* inside a chunk's data */
        HTTP_BODY_CHUNK_DATA_END, /* expecting the CRLF after a chunk's data */
        HTTP_BODY_TRAILER,        /* expecting a trailer field line or the final empty line */
        HTTP_BODY_DONE            /* the message ended */
};

/* struct http_parser_body: a streaming body decoder; init per message. */
struct http_parser_body {
        struct http_limits limits;
        enum http_parser_body_state state;
        uint64_t remaining; /* bytes left in the Content-Length body or the current chunk */
        size_t scanned;     /* bytes of an unfinished line already searched for LF */
        size_t trailer_len; /* bytes of trailer section so far */
        size_t num_trailers;
};

/* struct http_body_part: what one http_parser_body_decode call found: body data (maybe empty), or one
 * trailer field (has_trailer), and whether the message ended (possibly with the last data). Slices borrow
 * the decoder's input. */
struct http_body_part {
        struct buf_reader data;
        struct http_field trailer;
        bool has_trailer;
        bool is_end; /* the message ended: bytes after *consumed belong to the next one */
};

/* http_parser_body_init prepares body for framing (content_length counts only for HTTP_FRAMING_LENGTH);
 * limits NULL means the defaults. */
int http_parser_body_init(struct http_parser_body *body, enum http_framing framing, uint64_t content_length,
                          const struct http_limits *limits, struct err *err) SMT_MUST_USE;

/* http_parser_body_decode consumes *consumed bytes of in and fills *part: 0 when it made progress (bytes
 * consumed, data or a trailer found, or the end reached), SMT_EAGAIN (nothing consumed) when it needs more
 * bytes after in, or a refusal. Call it again with in + *consumed until SMT_EAGAIN or part->is_end. After a
 * refusal the decoder is spent. */
int http_parser_body_decode(struct http_parser_body *body, struct http_body_part *part, size_t *consumed,
                            const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* http_parser_body_finish tells body the connection was closed: 0 when that ends the message (until-close
 * framing, or already ended), SMT_ETRUNCATED naming how much was missing otherwise. */
int http_parser_body_finish(struct http_parser_body *body, struct err *err) SMT_MUST_USE;

/* http_parser_body_is_done says whether the message's end was reached. */
bool http_parser_body_is_done(const struct http_parser_body *body);

#endif
