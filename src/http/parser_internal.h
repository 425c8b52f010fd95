/* src/http/parser_internal.h: what the files behind http/parser.h share (character classes, line and token
 * readers, the field-line parser, the facts derived from a head). Not an API: other modules use
 * http/parser.h. */
#ifndef SMT_HTTP_PARSER_INTERNAL_H
#define SMT_HTTP_PARSER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/parser.h"

/* Room for http_parser_quote's output: 32 input bytes, each at most 4 ("\xNN"), an ellipsis and NUL. */
#define HTTP_QUOTE_LEN 136

/* RFC 9110 §5.6.2 tchar: the bytes of a token. */
bool http_parser_is_tchar(uint8_t c);

/* RFC 5234 DIGIT. */
bool http_parser_is_digit(uint8_t c);

/* RFC 5234 VCHAR: visible ASCII. */
bool http_parser_is_vchar(uint8_t c);

/* RFC 9110 §5.5 field-vchar (VCHAR / obs-text) or SP or HTAB: what a field value may hold. */
bool http_parser_is_field_byte(uint8_t c);

/* RFC 9110 §5.6.3 OWS bytes: SP and HTAB. */
bool http_parser_is_ows(uint8_t c);

/* http_parser_quote writes s into out for a message: printable ASCII as is, other bytes as \xNN, cut at 32
 * bytes with "...". Peers choose these bytes: this keeps control bytes out of logs. */
void http_parser_quote(char out[HTTP_QUOTE_LEN], struct buf_reader s);

/* http_parser_read_token reads the longest prefix of tchar bytes (maybe empty) into token. */
void http_parser_read_token(struct buf_reader *r, struct buf_reader *token);

/* http_parser_skip_ows consumes SP and HTAB. */
void http_parser_skip_ows(struct buf_reader *r);

/* http_parser_read_byte_if consumes the next byte when it is c and says whether it did. */
bool http_parser_read_byte_if(struct buf_reader *r, uint8_t c);

/* http_parser_trim_ows returns s without leading and trailing SP and HTAB. */
struct buf_reader http_parser_trim_ows(struct buf_reader s);

/* http_parser_find_line looks for the LF ending the line that starts in's bytes, from offset *scanned on:
 * 0 with line (the bytes before LF) and *line_end (just after LF), or SMT_EAGAIN with *scanned = in.len. */
int http_parser_find_line(struct buf_reader in, size_t *scanned, struct buf_reader *line, size_t *line_end);

/* http_parser_strip_cr removes the CR before a line's LF; a bare LF is refused (HTTP_EBAD_REQUEST). */
int http_parser_strip_cr(struct buf_reader *line, const char *what, struct err *err) SMT_MUST_USE;

/* http_parser_field_line_parse checks one field line (without CRLF) against RFC 9112 §5 and fills field;
 * what names the section ("request", "response", "trailer"). */
int http_parser_field_line_parse(struct http_field *field, struct buf_reader line, const char *what,
                                 struct err *err) SMT_MUST_USE;

/* http_parser_head_facts checks the fields of a parsed head against each other and derives framing,
 * persistence, Host, Upgrade and Expect (parser_fields.c). */
int http_parser_head_facts(struct http_head *head, const struct http_parser *p, struct err *err) SMT_MUST_USE;

/* http_parser_authority_check checks host[:port] (RFC 9110 §4.2.1, §7.2): a reg-name of ALPHA, DIGIT and
 * "-._~" or an IP-literal in brackets, then an optional port of 1..5 digits up to 65535. */
int http_parser_authority_check(struct buf_reader authority, bool is_port_required, const char *what,
                                struct err *err) SMT_MUST_USE;

#endif
