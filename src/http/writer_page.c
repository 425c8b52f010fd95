/* src/http/writer_page.c: reason phrases (RFC 9110 §15) and the gateway's own whole responses — error
 * pages and redirects to HTTPS — with an HTML body whose length is counted before the head is written. */
#include <stdio.h>
#include <string.h>

#include "http/writer.h"
#include "http/writer_internal.h"

struct http_writer_reason {
        int status;
        const char *phrase;
};

/* RFC 9110 §15 (306 and 418 are "(Unused)" there, so they have none), plus the codes a gateway meets from
 * other RFCs: 103 (RFC 8297), 428, 429, 431, 511 (RFC 6585), 451 (RFC 7725). */
static const struct http_writer_reason http_writer_reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {511, "Network Authentication Required"},
};

const char *http_status_reason(int status)
{
        size_t num_reasons = sizeof http_writer_reasons / sizeof http_writer_reasons[0];
        for (size_t i = 0; i < num_reasons; i++)
                if (http_writer_reasons[i].status == status)
                        return http_writer_reasons[i].phrase;
        return "";
}

/* struct http_writer_location: a redirect's "https://" host [":" port] target, its parts checked. */
struct http_writer_location {
        struct buf_reader host;
        char port[8]; /* ":8443", or "" for 443 */
        struct buf_reader target;
};

/* struct http_writer_page: where a page's body goes — counted only (out NULL: its length must be known
 * for Content-Length before any of it is written), or appended to out. */
struct http_writer_page {
        struct buf_writer *out;
        size_t len;
};

static int http_writer_page_put(struct http_writer_page *page, const void *data, size_t len, struct err *err)
{
        page->len += len;
        return page->out == NULL ? SMT_OK : http_writer_put(page->out, data, len, err);
}

static int http_writer_page_text(struct http_writer_page *page, const char *s, struct err *err)
{
        return http_writer_page_put(page, s, strlen(s), err);
}

/* http_writer_page_escaped writes s as HTML text or attribute value: the five markup bytes become
 * references, and control bytes (other than HTAB and LF) U+FFFD, so no text can become markup. */
static int http_writer_page_escaped(struct http_writer_page *page, struct buf_reader s, struct err *err)
{
        for (size_t i = 0; i < s.len; i++) {
                uint8_t c = s.data[i];
                const char *reference = NULL;
                if (c == '&')
                        reference = "&amp;";
                else if (c == '<')
                        reference = "&lt;";
                else if (c == '>')
                        reference = "&gt;";
                else if (c == '"')
                        reference = "&quot;";
                else if (c == '\'')
                        reference = "&#39;";
                else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                        reference = "&#xFFFD;";
                if (reference != NULL)
                        TRY(http_writer_page_text(page, reference, err));
                else
                        TRY(http_writer_page_put(page, &s.data[i], 1, err));
        }
        return SMT_OK;
}

static int http_writer_page_location(struct http_writer_page *page, const struct http_writer_location *location,
                                     struct err *err)
{
        TRY(http_writer_page_text(page, "https://", err));
        TRY(http_writer_page_escaped(page, location->host, err));
        TRY(http_writer_page_text(page, location->port, err));
        return http_writer_page_escaped(page, location->target, err);
}

/* http_writer_page_body writes the page: title and heading "<status> <reason>", then detail (escaped) as
 * a paragraph, or a link to location when there is one. */
static int http_writer_page_body(struct http_writer_page *page, int status, struct buf_reader detail,
                                 const struct http_writer_location *location, struct err *err)
{
        char title[64];
        snprintf(title, sizeof title, "%03d %s", status, http_status_reason(status));
        TRY(http_writer_page_text(page, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", err));
        TRY(http_writer_page_text(page, title, err));
        TRY(http_writer_page_text(page, "</title></head>\n<body><h1>", err));
        TRY(http_writer_page_text(page, title, err));
        TRY(http_writer_page_text(page, "</h1>\n", err));
        if (location != NULL) {
                TRY(http_writer_page_text(page, "<p><a href=\"", err));
                TRY(http_writer_page_location(page, location, err));
                TRY(http_writer_page_text(page, "\">", err));
                TRY(http_writer_page_location(page, location, err));
                TRY(http_writer_page_text(page, "</a></p>\n", err));
        } else if (detail.len > 0) {
                TRY(http_writer_page_text(page, "<p>", err));
                TRY(http_writer_page_escaped(page, detail, err));
                TRY(http_writer_page_text(page, "</p>\n", err));
        }
        return http_writer_page_text(page, "</body></html>\n", err);
}

/* http_writer_location_field writes "Location: https://host[:port]target"; the parts were checked. */
static int http_writer_location_field(struct buf_writer *out, const struct http_writer_location *location,
                                      struct err *err)
{
        TRY(http_writer_put_string(out, "Location: https://", err));
        TRY(http_writer_put_slice(out, location->host, err));
        TRY(http_writer_put_string(out, location->port, err));
        TRY(http_writer_put_slice(out, location->target, err));
        return http_writer_put(out, "\r\n", 2, err);
}

/* http_writer_page_write writes a whole response: status line, Location (redirects), the page's fields,
 * and the page unless head_only (RFC 9110 §9.3.2: HEAD gets the fields GET would, Content-Length
 * included, and no content). */
static int http_writer_page_write(struct buf_writer *out, int status, struct buf_reader detail,
                                  const struct http_writer_location *location, bool close, bool head_only,
                                  struct err *err)
{
        struct http_writer_page counted = {.out = NULL};
        TRY(http_writer_page_body(&counted, status, detail, location, err));
        TRY(http_writer_status_line(out, status, buf_reader_make(NULL, 0), err));
        if (location != NULL)
                TRY(http_writer_location_field(out, location, err));
        TRY(http_writer_field_string(out, "Content-Type", "text/html; charset=utf-8", err));
        TRY(http_writer_framing_write(out, HTTP_WRITER_LENGTH, counted.len, err));
        /* RFC 9111 §5.2.2.5: an error page of ours tells of one moment, never of the resource. */
        if (location == NULL)
                TRY(http_writer_field_string(out, "Cache-Control", "no-store", err));
        if (close)
                TRY(http_writer_field_string(out, "Connection", "close", err));
        TRY(http_writer_end_of_fields(out, err));
        if (head_only)
                return SMT_OK;
        struct http_writer_page written = {.out = out};
        return http_writer_page_body(&written, status, detail, location, err);
}

int http_writer_error_page(struct buf_writer *out, int status, const char *detail, bool close, bool head_only,
                           struct err *err)
{
        if (status < 400 || status > 599)
                return SMT_ERR(err, SMT_EINVAL, "http writer: error page for status %d (400..599 expected)", status);
        struct buf_reader text = detail != NULL ? http_writer_slice(detail) : buf_reader_make(NULL, 0);
        size_t start = out->len;
        int result = http_writer_page_write(out, status, text, NULL, close, head_only, err);
        if (result < 0)
                buf_writer_truncate(out, start);
        return result;
}

static bool http_writer_is_in(uint8_t c, const char *set)
{
        return c != '\0' && strchr(set, c) != NULL;
}

/* RFC 3986 §3.2.2 as the parser takes a Host (http/parser.h): a reg-name of ALPHA, DIGIT and "-._~", or an
 * IP literal of hex digits, ':' and '.' in brackets; no port (it comes from its own argument). */
static bool http_writer_is_redirect_host(struct buf_reader host)
{
        static const char reg_name[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
        static const char ip_literal[] = "0123456789abcdefABCDEF:.";
        struct buf_reader r = host, inside = host;
        uint8_t first;
        if (buf_read_u8(&r, &first) != 0)
                return false;
        bool is_bracketed = first == '[' && r.len >= 2 && r.data[r.len - 1] == ']';
        if (is_bracketed && buf_read_slice(&r, &inside, r.len - 1) != 0)
                return false;
        for (size_t i = 0; i < inside.len; i++)
                if (!http_writer_is_in(inside.data[i], is_bracketed ? ip_literal : reg_name))
                        return false;
        return true;
}

/* RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ], VCHAR only ('#' never reaches a server). */
static bool http_writer_is_redirect_target(struct buf_reader target)
{
        if (target.len == 0 || target.data[0] != '/')
                return false;
        for (size_t i = 0; i < target.len; i++)
                if (target.data[i] <= 0x20 || target.data[i] >= 0x7f || target.data[i] == '#')
                        return false;
        return true;
}

static int http_writer_location_check(struct http_writer_location *location, struct buf_reader host, unsigned port,
                                      struct buf_reader target, struct err *err)
{
        if (!http_writer_is_redirect_host(host))
                return SMT_ERR(err, SMT_EINVAL,
                               "http writer: redirect host of %zu bytes is not a host name or bracketed IP literal "
                               "without port",
                               host.len);
        if (port == 0 || port > 65535)
                return SMT_ERR(err, SMT_EINVAL, "http writer: redirect port %u outside 1..65535", port);
        if (!http_writer_is_redirect_target(target))
                return SMT_ERR(err, SMT_EINVAL,
                               "http writer: redirect target of %zu bytes is not an origin-form target (\"/\", then "
                               "VCHAR but '#')",
                               target.len);
        *location = (struct http_writer_location){.host = host, .target = target};
        /* RFC 9110 §4.2.2: 443 is the https default, left out as browsers write it. */
        if (port != 443)
                snprintf(location->port, sizeof location->port, ":%u", port);
        return SMT_OK;
}

int http_writer_redirect(struct buf_writer *out, int status, struct buf_reader host, unsigned port,
                         struct buf_reader target, bool close, struct err *err)
{
        bool is_redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        if (!is_redirect)
                return SMT_ERR(err, SMT_EINVAL, "http writer: redirect with status %d (301, 302, 303, 307 or 308)",
                               status);
        struct http_writer_location location;
        TRY(http_writer_location_check(&location, host, port, target, err));
        size_t start = out->len;
        int result = http_writer_page_write(out, status, buf_reader_make(NULL, 0), &location, close, false, err);
        if (result < 0)
                buf_writer_truncate(out, start);
        return result;
}
