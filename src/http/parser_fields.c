/* src/http/parser_fields.c: the fields HTTP/1.1 itself interprets — Content-Length (RFC 9110 §8.6),
 * Transfer-Encoding (RFC 9112 §6.1), Host (RFC 9110 §7.2), Connection (§7.6.1), Upgrade (§7.8), Expect
 * (§10.1.1) — checked against each other, then the framing (RFC 9112 §6.3) and persistence (§9.3). */
#include <stdint.h>
#include <string.h>

#include "http/parser_internal.h"

/* What the field handlers note beyond struct http_head. */
struct http_parser_seen {
        bool has_transfer_encoding;
        bool has_upgrade;
        bool is_upgrade_websocket;
};

typedef int (*http_parser_field_fn)(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                                    const char *what, struct err *err);

/* http_parser_list_next splits the next element of a comma-separated list (RFC 9110 §5.6.1) off rest, OWS
 * trimmed and maybe empty, and says whether a comma followed it. No field read here allows quoted-strings. */
static bool http_parser_list_next(struct buf_reader *rest, struct buf_reader *element)
{
        const uint8_t *comma = rest->len > 0 ? memchr(rest->data, ',', rest->len) : NULL;
        size_t n = comma != NULL ? (size_t)(comma - rest->data) : rest->len;
        if (buf_read_slice(rest, element, n) != 0)
                *element = buf_reader_make(NULL, 0);
        *element = http_parser_trim_ows(*element);
        return http_parser_read_byte_if(rest, ',');
}

static bool http_parser_is_token(struct buf_reader s)
{
        struct buf_reader token;
        http_parser_read_token(&s, &token);
        return token.len > 0 && s.len == 0;
}

/* RFC 9110 §8.6: Content-Length = 1*DIGIT. Every other spelling ("+5", "5 5", "5, 5") and every repetition
 * (even of the same value, which §8.6 tolerates) is refused: parsers that disagree on them smuggle. */
static int http_parser_content_length(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                                      const char *what, struct err *err)
{
        (void)seen;
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, value);
        if (head->has_content_length)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: more than one Content-Length field", what);
        if (value.len == 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: empty Content-Length", what);
        uint64_t length = 0;
        for (size_t i = 0; i < value.len; i++) {
                if (!http_parser_is_digit(value.data[i]))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Content-Length \"%s\" is not a decimal number",
                                       what, quoted);
                unsigned digit = (unsigned)(value.data[i] - '0');
                if (length > ((uint64_t)INT64_MAX - digit) / 10)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Content-Length %s exceeds 2^63-1", what, quoted);
                length = length * 10 + digit;
        }
        head->has_content_length = true;
        head->content_length = length;
        return SMT_OK;
}

/* RFC 9112 §6.1, §7: a list of codings whose last is chunked, which appears once; §6.3 rule 4 makes a
 * request whose final coding is not chunked a 400; §6.1 makes codings we do not know a 501. */
static int http_parser_transfer_encoding(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                                         const char *what, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, value);
        if (seen->has_transfer_encoding)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: more than one Transfer-Encoding field", what);
        seen->has_transfer_encoding = true;
        struct buf_reader rest = value, coding, unsupported = {0};
        bool has_more = true, is_chunked_last = false;
        while (has_more) {
                has_more = http_parser_list_next(&rest, &coding);
                if (!http_parser_is_token(coding))
                        return SMT_ERR(
                            err, HTTP_EBAD_REQUEST,
                            "%s: Transfer-Encoding \"%s\" is not a list of codings (empty or malformed element)", what,
                            quoted);
                if (is_chunked_last)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST,
                                       "%s: Transfer-Encoding \"%s\": chunked is not the final coding", what, quoted);
                is_chunked_last = http_parser_token_equals(coding, "chunked");
                if (!is_chunked_last && unsupported.len == 0)
                        unsupported = coding;
        }
        if (!is_chunked_last)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Transfer-Encoding \"%s\" does not end in chunked", what,
                               quoted);
        if (unsupported.len > 0) {
                http_parser_quote(quoted, unsupported);
                return SMT_ERR(err, HTTP_EUNSUPPORTED, "%s: transfer coding \"%s\" not supported (only chunked)", what,
                               quoted);
        }
        head->is_chunked = true;
        return SMT_OK;
}

/* RFC 9112 §3.2: one Host at most; an empty one is allowed (a target without authority). */
static int http_parser_host(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                            const char *what, struct err *err)
{
        (void)seen;
        if (head->has_host)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: more than one Host field", what);
        head->has_host = true;
        head->host = value;
        return value.len == 0 ? SMT_OK : http_parser_authority_check(value, false, "request: Host", err);
}

static int http_parser_connection(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                                  const char *what, struct err *err)
{
        (void)seen;
        struct buf_reader rest = value, option;
        bool has_more = true;
        while (has_more) {
                has_more = http_parser_list_next(&rest, &option);
                if (option.len == 0)
                        continue;
                if (!http_parser_is_token(option)) {
                        char quoted[HTTP_QUOTE_LEN];
                        http_parser_quote(quoted, value);
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Connection \"%s\" is not a list of tokens", what,
                                       quoted);
                }
                if (http_parser_token_equals(option, "close"))
                        head->connection |= HTTP_CONNECTION_CLOSE;
                else if (http_parser_token_equals(option, "keep-alive"))
                        head->connection |= HTTP_CONNECTION_KEEP_ALIVE;
                else if (http_parser_token_equals(option, "upgrade"))
                        head->connection |= HTTP_CONNECTION_UPGRADE;
        }
        return SMT_OK;
}

/* RFC 9110 §7.8: Upgrade = #protocol, protocol = protocol-name ["/" protocol-version]. */
static int http_parser_upgrade(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                               const char *what, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, value);
        if (seen->has_upgrade)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: more than one Upgrade field", what);
        seen->has_upgrade = true;
        head->upgrade = value;
        struct buf_reader rest = value, protocol, name, version;
        bool has_more = true;
        while (has_more) {
                has_more = http_parser_list_next(&rest, &protocol);
                if (protocol.len == 0)
                        continue;
                http_parser_read_token(&protocol, &name);
                bool is_versioned = http_parser_read_byte_if(&protocol, '/');
                http_parser_read_token(&protocol, &version);
                if (name.len == 0 || protocol.len > 0 || is_versioned != (version.len > 0))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Upgrade \"%s\" is not a list of protocols", what,
                                       quoted);
                if (http_parser_token_equals(name, "websocket") && !is_versioned)
                        seen->is_upgrade_websocket = true;
        }
        return SMT_OK;
}

/* RFC 9110 §10.1.1: 100-continue is the only expectation defined; others get 417. */
static int http_parser_expect(struct http_head *head, struct http_parser_seen *seen, struct buf_reader value,
                              const char *what, struct err *err)
{
        (void)seen;
        struct buf_reader rest = value, expectation;
        bool has_more = true;
        while (has_more) {
                has_more = http_parser_list_next(&rest, &expectation);
                if (expectation.len == 0)
                        continue;
                if (!http_parser_token_equals(expectation, "100-continue")) {
                        char quoted[HTTP_QUOTE_LEN];
                        http_parser_quote(quoted, expectation);
                        return SMT_ERR(err, HTTP_EEXPECTATION,
                                       "%s: expectation \"%s\" not supported (only 100-continue)", what, quoted);
                }
                head->expects_continue = true;
        }
        return SMT_OK;
}

struct http_parser_field_rule {
        const char *name;
        bool is_request_only;
        http_parser_field_fn handle;
};

/* clang-format off */
static const struct http_parser_field_rule http_parser_field_rules[] = {
    /* name                 request only   handler */
    {"Content-Length",      false,         http_parser_content_length},
    {"Transfer-Encoding",   false,         http_parser_transfer_encoding},
    {"Host",                true,          http_parser_host},
    {"Connection",          false,         http_parser_connection},
    {"Upgrade",             false,         http_parser_upgrade},
    {"Expect",              true,          http_parser_expect},
};
/* clang-format on */

static int http_parser_fields_read(struct http_head *head, struct http_parser_seen *seen, bool is_request,
                                   const char *what, struct err *err)
{
        size_t num_rules = sizeof http_parser_field_rules / sizeof http_parser_field_rules[0];
        for (size_t i = 0; i < head->num_fields; i++) {
                const struct http_field *field = &head->fields[i];
                for (size_t j = 0; j < num_rules; j++) {
                        const struct http_parser_field_rule *rule = &http_parser_field_rules[j];
                        if ((is_request || !rule->is_request_only) && http_parser_token_equals(field->name, rule->name))
                                TRY(rule->handle(head, seen, field->value, what, err));
                }
        }
        return SMT_OK;
}

/* RFC 9112 §6.3, rules 1-2 and 4-7 (rule 3, both fields, is refused before). */
static enum http_framing http_parser_framing(const struct http_head *head, const struct http_parser *p)
{
        if (p->kind == HTTP_MESSAGE_RESPONSE) {
                bool is_bodiless = p->is_response_to_head || head->status < 200 || head->status == 204 ||
                                   head->status == 304 || (p->is_response_to_connect && head->status / 100 == 2);
                if (is_bodiless)
                        return HTTP_FRAMING_NONE;
        }
        if (head->is_chunked)
                return HTTP_FRAMING_CHUNKED;
        if (head->has_content_length)
                return HTTP_FRAMING_LENGTH;
        return p->kind == HTTP_MESSAGE_RESPONSE ? HTTP_FRAMING_UNTIL_CLOSE : HTTP_FRAMING_NONE;
}

/* RFC 9112 §9.3. A gateway is the origin server to its clients, so HTTP/1.0 keep-alive is honoured. */
static bool http_parser_is_keep_alive(const struct http_head *head)
{
        if ((head->connection & HTTP_CONNECTION_CLOSE) || head->framing == HTTP_FRAMING_UNTIL_CLOSE)
                return false;
        return head->version == HTTP_VERSION_1_1 || (head->connection & HTTP_CONNECTION_KEEP_ALIVE);
}

static void http_parser_derive(struct http_head *head, const struct http_parser_seen *seen, const struct http_parser *p)
{
        bool is_request = p->kind == HTTP_MESSAGE_REQUEST;
        head->framing = http_parser_framing(head, p);
        head->is_keep_alive = http_parser_is_keep_alive(head);
        /* RFC 9110 §7.8 and §10.1.1: Upgrade and 100-continue mean nothing in HTTP/1.0. */
        bool is_http11 = head->version == HTTP_VERSION_1_1;
        bool is_get = head->method.len == 3 && memcmp(head->method.data, "GET", 3) == 0;
        head->is_websocket_upgrade = is_http11 && (is_request ? is_get : head->status == 101) &&
                                     (head->connection & HTTP_CONNECTION_UPGRADE) && seen->is_upgrade_websocket;
        /* §10.1.1: a client sends 100-continue only with content; without, there is nothing to wait for. */
        head->expects_continue = head->expects_continue && is_http11 && head->framing != HTTP_FRAMING_NONE;
        if (is_request && (head->target_form == HTTP_TARGET_ORIGIN || head->target_form == HTTP_TARGET_ASTERISK))
                head->authority = head->host;
}

int http_parser_head_facts(struct http_head *head, const struct http_parser *p, struct err *err)
{
        bool is_request = p->kind == HTTP_MESSAGE_REQUEST;
        const char *what = is_request ? "request" : "response";
        struct http_parser_seen seen = {0};
        TRY(http_parser_fields_read(head, &seen, is_request, what, err));
        if (seen.has_transfer_encoding && head->has_content_length)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Content-Length and Transfer-Encoding both present", what);
        /* RFC 9112 §6.1: such framing is faulty. */
        if (seen.has_transfer_encoding && head->version == HTTP_VERSION_1_0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: Transfer-Encoding in an HTTP/1.0 message", what);
        if (is_request && head->version == HTTP_VERSION_1_1 && !head->has_host)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "request: no Host field in an HTTP/1.1 request");
        http_parser_derive(head, &seen, p);
        return SMT_OK;
}
