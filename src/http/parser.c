/* src/http/parser.c: head scanning (limits and line endings as bytes arrive) and, once a head is whole,
 * the request line (RFC 9112 §3) or status line (§4) and the field lines (§5). */
#include "http/parser.h"

#include <string.h>

#include "http/parser_internal.h"

/* RFC 9112 §2.2 asks a server to ignore at least one empty line before a request line; we ignore one. */
#define HTTP_LEADING_EMPTY_LINES_MAX 1

void http_parser_limits_default(struct http_limits *limits)
{
        *limits = (struct http_limits){
            .max_head_len = 32 * 1024,
            .max_start_line_len = 8 * 1024,
            .max_fields = 100,
            .max_chunk_line_len = 4 * 1024,
        };
}

int http_parser_check_limits(const struct http_limits *limits, struct err *err)
{
        if (limits->max_head_len == 0 || limits->max_start_line_len == 0 || limits->max_fields == 0 ||
            limits->max_chunk_line_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "http limits: every limit must be above 0");
        if (limits->max_fields > HTTP_FIELDS_MAX)
                return SMT_ERR(err, SMT_EINVAL, "http limits: max_fields %zu exceeds %d", limits->max_fields,
                               HTTP_FIELDS_MAX);
        /* An empty line, the start line and its CRLF must fit in a head, so that a long start line is always
         * refused as such before the head as a whole is, whether it arrives at once or byte by byte. */
        if (limits->max_head_len < limits->max_start_line_len + 4)
                return SMT_ERR(err, SMT_EINVAL, "http limits: max_head_len %zu is below max_start_line_len %zu + 4",
                               limits->max_head_len, limits->max_start_line_len);
        return SMT_OK;
}

static int http_parser_init(struct http_parser *p, enum http_message_kind kind, const struct http_limits *limits,
                            struct err *err)
{
        struct http_limits defaults;
        http_parser_limits_default(&defaults);
        if (limits == NULL)
                limits = &defaults;
        TRY(http_parser_check_limits(limits, err));
        *p = (struct http_parser){.limits = *limits, .kind = kind};
        return SMT_OK;
}

int http_parser_init_request(struct http_parser *p, const struct http_limits *limits, struct err *err)
{
        return http_parser_init(p, HTTP_MESSAGE_REQUEST, limits, err);
}

int http_parser_init_response(struct http_parser *p, const struct http_limits *limits, struct buf_reader request_method,
                              struct err *err)
{
        TRY(http_parser_init(p, HTTP_MESSAGE_RESPONSE, limits, err));
        /* Methods are case-sensitive (RFC 9110 §9.1): "head" is not HEAD. */
        p->is_response_to_head = request_method.len == 4 && memcmp(request_method.data, "HEAD", 4) == 0;
        p->is_response_to_connect = request_method.len == 7 && memcmp(request_method.data, "CONNECT", 7) == 0;
        return SMT_OK;
}

static const char *http_parser_what(const struct http_parser *p)
{
        return p->kind == HTTP_MESSAGE_REQUEST ? "request" : "response";
}

/* http_parser_start_line_too_long: requests get their own status (414), responses the head's. */
static int http_parser_start_line_too_long(const struct http_parser *p, struct err *err)
{
        if (p->kind == HTTP_MESSAGE_REQUEST)
                return SMT_ERR(err, HTTP_ETARGET_TOO_LONG, "request: request line exceeds %zu bytes",
                               p->limits.max_start_line_len);
        return SMT_ERR(err, HTTP_ETOO_LARGE, "response: status line exceeds %zu bytes", p->limits.max_start_line_len);
}

static int http_parser_head_too_large(const struct http_parser *p, struct err *err)
{
        return SMT_ERR(err, HTTP_ETOO_LARGE, "%s: head exceeds %zu bytes", http_parser_what(p), p->limits.max_head_len);
}

/* http_parser_check_partial judges the unfinished line at the end of the len bytes so far. Its bounds are
 * those http_parser_check_line applies to the finished line, so that every finished line that one refuses
 * is refused here as soon as its bytes prove it, with the same status and message. */
static int http_parser_check_partial(const struct http_parser *p, size_t len, struct err *err)
{
        size_t partial_len = len - p->line_start; /* may end with the line's CR */
        if (!p->has_start_line && partial_len > p->limits.max_start_line_len + 1)
                return http_parser_start_line_too_long(p, err);
        if (len > p->limits.max_head_len)
                return http_parser_head_too_large(p, err);
        return SMT_EAGAIN;
}

/* http_parser_check_line judges a finished line: limits first (see http_parser_check_partial), then CRLF. */
static int http_parser_check_line(struct http_parser *p, struct buf_reader *line, size_t line_end, struct err *err)
{
        size_t content_len = line->len > 0 && line->data[line->len - 1] == '\r' ? line->len - 1 : line->len;
        if (!p->has_start_line && content_len > p->limits.max_start_line_len)
                return http_parser_start_line_too_long(p, err);
        if (line_end > p->limits.max_head_len)
                return http_parser_head_too_large(p, err);
        TRY(http_parser_strip_cr(line, http_parser_what(p), err));
        if (p->has_start_line && line->len > 0 && ++p->num_field_lines > p->limits.max_fields)
                return SMT_ERR(err, HTTP_ETOO_LARGE, "%s: more than %zu header fields", http_parser_what(p),
                               p->limits.max_fields);
        return SMT_OK;
}

static int http_parser_parse_head(const struct http_parser *p, struct http_head *head, struct buf_reader in,
                                  struct err *err);

int http_parser_parse(struct http_parser *p, struct http_head *head, const uint8_t *data, size_t len, struct err *err)
{
        struct buf_reader in = buf_reader_make(data, len);
        if (p->head_len > 0) {
                struct buf_reader head_bytes;
                if (buf_read_slice(&in, &head_bytes, p->head_len) != 0)
                        return SMT_ERR(err, SMT_EINVAL, "%s: fewer bytes than last time", http_parser_what(p));
                return http_parser_parse_head(p, head, head_bytes, err);
        }
        for (;;) {
                struct buf_reader rest = in, line;
                size_t line_end;
                if (buf_skip(&rest, p->line_start) != 0)
                        return SMT_ERR(err, SMT_EINVAL, "%s: fewer bytes than last time", http_parser_what(p));
                size_t scanned = p->scanned - p->line_start;
                int status = http_parser_find_line(rest, &scanned, &line, &line_end);
                p->scanned = p->line_start + scanned;
                if (status == SMT_EAGAIN)
                        return http_parser_check_partial(p, len, err);
                TRY(status);
                TRY(http_parser_check_line(p, &line, p->line_start + line_end, err));
                p->line_start += line_end;
                if (p->has_start_line && line.len == 0) {
                        struct buf_reader head_bytes;
                        TRY(buf_read_slice(&in, &head_bytes, p->line_start));
                        p->head_len = p->line_start;
                        return http_parser_parse_head(p, head, head_bytes, err);
                }
                if (p->has_start_line)
                        continue;
                if (line.len > 0)
                        p->has_start_line = true;
                else if (p->kind == HTTP_MESSAGE_RESPONSE)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "response: empty status line");
                else if (p->line_start > 2 * HTTP_LEADING_EMPTY_LINES_MAX)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "request: more than %d empty line before the request line",
                                       HTTP_LEADING_EMPTY_LINES_MAX);
                else
                        p->start_line_at = p->line_start;
        }
}

/* http_parser_version_parse: RFC 9112 §2.3 HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. */
static int http_parser_version_parse(enum http_version *version, struct buf_reader text, const char *what,
                                     struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, text);
        bool is_version = text.len == 8 && memcmp(text.data, "HTTP/", 5) == 0 && text.data[5] >= '0' &&
                          text.data[5] <= '9' && text.data[6] == '.' && text.data[7] >= '0' && text.data[7] <= '9';
        if (!is_version)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: \"%s\" is not an HTTP version", what, quoted);
        if (memcmp(text.data, "HTTP/1.1", 8) == 0)
                *version = HTTP_VERSION_1_1;
        else if (memcmp(text.data, "HTTP/1.0", 8) == 0)
                *version = HTTP_VERSION_1_0;
        else
                return SMT_ERR(err, HTTP_EVERSION, "%s: version %s not supported (HTTP/1.1 or HTTP/1.0)", what, quoted);
        return SMT_OK;
}

static bool http_parser_is_target_byte(uint8_t c)
{
        return http_parser_is_vchar(c) && c != '#';
}

/* http_parser_read_target reads the request-target up to the SP before the version. */
static int http_parser_read_target(struct buf_reader *line, struct buf_reader *target, struct err *err)
{
        size_t n = 0;
        while (n < line->len && http_parser_is_target_byte(line->data[n]))
                n++;
        if (n == 0 && line->len > 0 && line->data[0] == ' ')
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: more than one SP after the method");
        if (n == 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: no request-target");
        TRY(buf_read_slice(line, target, n));
        uint8_t next;
        if (buf_read_u8(line, &next) != 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: no HTTP version after the request-target");
        if (next == '#')
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: fragment ('#') in the request-target");
        if (next != ' ')
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: byte 0x%02x in the request-target", next);
        if (http_parser_read_byte_if(line, ' '))
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: more than one SP after the request-target");
        return SMT_OK;
}

/* RFC 9112 §3: request-line = method SP request-target SP HTTP-version, one SP each. */
static int http_parser_request_line_parse(struct http_head *head, struct buf_reader line, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, line);
        http_parser_read_token(&line, &head->method);
        if (head->method.len == 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: request line \"%s\" does not start with a method",
                               quoted);
        if (!http_parser_read_byte_if(&line, ' '))
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: no SP after the method in \"%s\"", quoted);
        TRY(http_parser_read_target(&line, &head->target, err));
        bool is_pri = head->method.len == 3 && memcmp(head->method.data, "PRI", 3) == 0;
        bool is_asterisk = head->target.len == 1 && head->target.data[0] == '*';
        if (is_pri && is_asterisk && line.len == 8 && memcmp(line.data, "HTTP/2.0", 8) == 0)
                return SMT_ERR(err, HTTP_EHTTP2_PREFACE, "request: HTTP/2 connection preface (\"PRI * HTTP/2.0\")");
        TRY(http_parser_version_parse(&head->version, line, "request", err));
        return SMT_OK;
}

/* http_parser_absolute_target_check: RFC 9110 §4.2: "http" or "https" URIs only, a non-empty host and no
 * userinfo (§4.2.4 asks to treat it as an error); the authority becomes head->authority. */
static int http_parser_absolute_target_check(struct http_head *head, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, head->target);
        struct buf_reader r = head->target, scheme;
        http_parser_read_token(&r, &scheme);
        bool is_http = http_parser_token_equals(scheme, "http") || http_parser_token_equals(scheme, "https");
        if (!is_http || !http_parser_read_byte_if(&r, ':') || !http_parser_read_byte_if(&r, '/') ||
            !http_parser_read_byte_if(&r, '/'))
                return SMT_ERR(err, HTTP_EBAD_REQUEST,
                               "request: request-target \"%s\" is neither a path nor an http(s) URI", quoted);
        size_t n = 0;
        while (n < r.len && r.data[n] != '/' && r.data[n] != '?')
                n++;
        TRY(buf_read_slice(&r, &head->authority, n));
        if (memchr(head->authority.data, '@', head->authority.len) != NULL)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: userinfo in request-target \"%s\"", quoted);
        return http_parser_authority_check(head->authority, false, "request: request-target authority", err);
}

/* RFC 9112 §3.2: which form the target has, and whether the method allows it. */
static int http_parser_target_check(struct http_head *head, struct err *err)
{
        bool is_connect = head->method.len == 7 && memcmp(head->method.data, "CONNECT", 7) == 0;
        bool is_options = head->method.len == 7 && memcmp(head->method.data, "OPTIONS", 7) == 0;
        if (is_connect) {
                head->target_form = HTTP_TARGET_AUTHORITY;
                head->authority = head->target;
                return http_parser_authority_check(head->target, true, "request: CONNECT target", err);
        }
        if (head->target.data[0] == '/') {
                head->target_form = HTTP_TARGET_ORIGIN;
                return SMT_OK;
        }
        if (head->target.len == 1 && head->target.data[0] == '*') {
                head->target_form = HTTP_TARGET_ASTERISK;
                if (!is_options)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "request: target \"*\" with a method other than OPTIONS");
                return SMT_OK;
        }
        head->target_form = HTTP_TARGET_ABSOLUTE;
        return http_parser_absolute_target_check(head, err);
}

/* RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; the SP before an empty
 * reason is accepted missing, as origins omit it. */
static int http_parser_status_line_parse(struct http_head *head, struct buf_reader line, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, line);
        struct buf_reader version, code;
        if (buf_read_slice(&line, &version, line.len < 8 ? line.len : 8) != 0)
                return SMT_ERR(err, SMT_EINTERNAL, "response: status line");
        TRY(http_parser_version_parse(&head->version, version, "response", err));
        if (!http_parser_read_byte_if(&line, ' ') || buf_read_slice(&line, &code, 3) != 0 ||
            !http_parser_is_digit(code.data[0]) || !http_parser_is_digit(code.data[1]) ||
            !http_parser_is_digit(code.data[2]))
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "response: status line \"%s\" has no SP and 3-digit code",
                               quoted);
        head->status = (code.data[0] - '0') * 100 + (code.data[1] - '0') * 10 + (code.data[2] - '0');
        if (head->status < 100 || head->status > 599)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "response: status code %d outside 100..599", head->status);
        if (line.len > 0 && !http_parser_read_byte_if(&line, ' '))
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "response: no SP after the status code in \"%s\"", quoted);
        for (size_t i = 0; i < line.len; i++)
                if (!http_parser_is_field_byte(line.data[i]))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "response: byte 0x%02x in the reason phrase",
                                       line.data[i]);
        head->reason = line;
        return SMT_OK;
}

/* http_parser_read_line reads a line the scan has already found, ending in CRLF. */
static int http_parser_read_line(struct buf_reader *r, struct buf_reader *line)
{
        size_t scanned = 0, line_end;
        TRY(http_parser_find_line(*r, &scanned, line, &line_end));
        TRY(buf_skip(r, line_end));
        return http_parser_strip_cr(line, "head", NULL);
}

static int http_parser_parse_head(const struct http_parser *p, struct http_head *head, struct buf_reader in,
                                  struct err *err)
{
        const char *what = http_parser_what(p);
        size_t head_len = in.len;
        struct buf_reader line;
        *head = (struct http_head){0};
        TRY(buf_skip(&in, p->start_line_at));
        TRY(http_parser_read_line(&in, &line));
        if (p->kind == HTTP_MESSAGE_REQUEST) {
                TRY(http_parser_request_line_parse(head, line, err));
                TRY(http_parser_target_check(head, err));
        } else {
                TRY(http_parser_status_line_parse(head, line, err));
        }
        while (http_parser_read_line(&in, &line) == 0 && line.len > 0) {
                if (head->num_fields == 0 && http_parser_is_ows(line.data[0]))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "%s: whitespace between the start line and the first field (RFC 9112 §2.2)",
                                       what);
                TRY(http_parser_field_line_parse(&head->fields[head->num_fields], line, what, err));
                head->num_fields++;
        }
        head->head_len = head_len;
        return http_parser_head_facts(head, p, err);
}

const struct http_field *http_parser_lookup_field(const struct http_head *head, const char *name)
{
        for (size_t i = 0; i < head->num_fields; i++)
                if (http_parser_token_equals(head->fields[i].name, name))
                        return &head->fields[i];
        return NULL;
}

bool http_parser_token_equals(struct buf_reader s, const char *token)
{
        size_t len = strlen(token);
        return s.len == len && strncasecmp((const char *)s.data, token, len) == 0;
}
