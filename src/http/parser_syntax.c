/* src/http/parser_syntax.c: the lexical rules of HTTP (RFC 9110 §5.5, §5.6; RFC 9112 §2, §5) shared by
 * heads and bodies: character classes, tokens, lines, field lines, authorities. */
#include <stdio.h>
#include <string.h>

#include "http/parser_internal.h"

bool http_parser_is_tchar(uint8_t c)
{
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                return true;
        return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool http_parser_is_vchar(uint8_t c)
{
        return c >= 0x21 && c <= 0x7e;
}

bool http_parser_is_field_byte(uint8_t c)
{
        return http_parser_is_vchar(c) || c >= 0x80 || http_parser_is_ows(c);
}

bool http_parser_is_ows(uint8_t c)
{
        return c == ' ' || c == '\t';
}

void http_parser_quote(char out[HTTP_QUOTE_LEN], struct buf_reader s)
{
        size_t used = 0;
        size_t shown = s.len < 32 ? s.len : 32;
        for (size_t i = 0; i < shown; i++) {
                uint8_t c = s.data[i];
                bool is_plain = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
                used += (size_t)snprintf(out + used, HTTP_QUOTE_LEN - used, is_plain ? "%c" : "\\x%02x", c);
        }
        snprintf(out + used, HTTP_QUOTE_LEN - used, "%s", s.len > shown ? "..." : "");
}

/* http_parser_prefix_len counts the leading bytes of r for which is_member holds. */
static size_t http_parser_prefix_len(const struct buf_reader *r, bool (*is_member)(uint8_t))
{
        size_t n = 0;
        while (n < r->len && is_member(r->data[n]))
                n++;
        return n;
}

void http_parser_read_token(struct buf_reader *r, struct buf_reader *token)
{
        size_t n = http_parser_prefix_len(r, http_parser_is_tchar);
        if (buf_read_slice(r, token, n) != 0) /* n <= r->len: cannot happen */
                *token = buf_reader_make(NULL, 0);
}

void http_parser_skip_ows(struct buf_reader *r)
{
        if (buf_skip(r, http_parser_prefix_len(r, http_parser_is_ows)) != 0)
                return; /* n <= r->len: cannot happen */
}

bool http_parser_read_byte_if(struct buf_reader *r, uint8_t c)
{
        uint8_t next;
        if (buf_peek_u8(r, &next) != 0 || next != c)
                return false;
        return buf_skip(r, 1) == 0;
}

struct buf_reader http_parser_trim_ows(struct buf_reader s)
{
        http_parser_skip_ows(&s);
        size_t len = s.len;
        while (len > 0 && http_parser_is_ows(s.data[len - 1]))
                len--;
        struct buf_reader trimmed;
        if (buf_read_slice(&s, &trimmed, len) != 0)
                return s;
        return trimmed;
}

int http_parser_find_line(struct buf_reader in, size_t *scanned, struct buf_reader *line, size_t *line_end)
{
        struct buf_reader unscanned = in;
        if (buf_skip(&unscanned, *scanned) != 0 || unscanned.len == 0) {
                *scanned = in.len;
                return SMT_EAGAIN;
        }
        const uint8_t *lf = memchr(unscanned.data, '\n', unscanned.len);
        if (lf == NULL) {
                *scanned = in.len;
                return SMT_EAGAIN;
        }
        size_t line_len = *scanned + (size_t)(lf - unscanned.data);
        TRY(buf_read_slice(&in, line, line_len));
        *line_end = line_len + 1;
        *scanned = *line_end;
        return SMT_OK;
}

int http_parser_strip_cr(struct buf_reader *line, const char *what, struct err *err)
{
        if (line->len == 0 || line->data[line->len - 1] != '\r')
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: line ends in a bare LF, not CRLF (RFC 9112 §2.2)", what);
        struct buf_reader whole = *line;
        return buf_read_slice(&whole, line, whole.len - 1);
}

/* http_parser_field_value_check refuses what RFC 9110 §5.5 leaves out of a field value: NUL, CR and the
 * other control bytes but HTAB (RFC 9110 §5.5 lets a recipient replace them; we refuse). */
static int http_parser_field_value_check(struct buf_reader name, struct buf_reader value, const char *what,
                                         struct err *err)
{
        size_t n = http_parser_prefix_len(&value, http_parser_is_field_byte);
        if (n == value.len)
                return SMT_OK;
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, name);
        uint8_t c = value.data[n];
        const char *kind = c == 0 ? "NUL" : c == '\r' ? "bare CR" : "control byte";
        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: %s (0x%02x) in the value of field \"%s\"", what, kind, c, quoted);
}

int http_parser_field_line_parse(struct http_field *field, struct buf_reader line, const char *what, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        uint8_t first = 0;
        if (buf_peek_u8(&line, &first) == 0 && http_parser_is_ows(first))
                return SMT_ERR(err, HTTP_EBAD_REQUEST,
                               "%s: obs-fold (a field line starting with whitespace) is not allowed (RFC 9112 §5.2)",
                               what);
        http_parser_read_token(&line, &field->name);
        http_parser_quote(quoted, field->name);
        uint8_t next;
        if (buf_read_u8(&line, &next) != 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: field line \"%s\" has no colon", what, quoted);
        if (http_parser_is_ows(next) && field->name.len > 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST,
                               "%s: whitespace between field name \"%s\" and colon (RFC 9112 §5.1)", what, quoted);
        if (next != ':')
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: byte 0x%02x in field name \"%s\" (not a token)", what, next,
                               quoted);
        if (field->name.len == 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: field line with an empty name", what);
        TRY(http_parser_field_value_check(field->name, line, what, err));
        field->value = http_parser_trim_ows(line);
        return SMT_OK;
}

/* http_parser_is_reg_name_byte: RFC 3986 unreserved; sub-delims and pct-encoding, legal in a reg-name,
 * are refused because no DNS name needs them and they help confuse host matching. */
static bool http_parser_is_reg_name_byte(uint8_t c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' ||
               c == '_' || c == '~';
}

static bool http_parser_is_ip_literal_byte(uint8_t c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

bool http_parser_is_digit(uint8_t c)
{
        return c >= '0' && c <= '9';
}

/* http_parser_port_check: 1..5 digits, at most 65535 (RFC 3986 §3.2.3 allows any digits; no port needs more). */
static bool http_parser_port_is_valid(struct buf_reader port)
{
        if (port.len == 0 || port.len > 5 || http_parser_prefix_len(&port, http_parser_is_digit) != port.len)
                return false;
        unsigned value = 0;
        for (size_t i = 0; i < port.len; i++)
                value = value * 10 + (unsigned)(port.data[i] - '0');
        return value <= 65535;
}

int http_parser_authority_check(struct buf_reader authority, bool is_port_required, const char *what, struct err *err)
{
        char quoted[HTTP_QUOTE_LEN];
        http_parser_quote(quoted, authority);
        struct buf_reader r = authority, host;
        if (http_parser_read_byte_if(&r, '[')) {
                size_t n = http_parser_prefix_len(&r, http_parser_is_ip_literal_byte);
                if (n == 0 || buf_read_slice(&r, &host, n) != 0 || !http_parser_read_byte_if(&r, ']'))
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: \"%s\" is not a bracketed IP literal", what,
                                       quoted);
        } else {
                size_t n = http_parser_prefix_len(&r, http_parser_is_reg_name_byte);
                if (n == 0 || buf_read_slice(&r, &host, n) != 0)
                        return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: \"%s\" does not start with a host name", what,
                                       quoted);
        }
        bool has_port = http_parser_read_byte_if(&r, ':');
        if (has_port && !http_parser_port_is_valid(r))
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: \"%s\" has no valid port after the host", what, quoted);
        if (!has_port && r.len > 0)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: byte 0x%02x after the host in \"%s\"", what, r.data[0],
                               quoted);
        if (!has_port && is_port_required)
                return SMT_ERR(err, HTTP_EBAD_REQUEST, "%s: \"%s\" has no port (host:port expected)", what, quoted);
        return SMT_OK;
}
