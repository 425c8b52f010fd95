/* src/http/writer_request.c: the request head a gateway sends to an origin — origin-form target (RFC 9112
 * §3.2.1), Host from an absolute target (§3.2.2), hop-by-hop fields removed (RFC 9110 §7.6.1), framing
 * written anew, and the forwarding fields (X-Forwarded-*, Forwarded of RFC 7239) replaced by the gateway's. */
#include <arpa/inet.h>
#include <string.h>

#include "http/writer.h"
#include "http/writer_internal.h"

/* The forwarding fields a client may send and the gateway writes itself: a client can lie in them, so
 * they are never appended to (RFC 7239 §8.1 leaves trust to the proxy; ours trusts no client). */
static const char *const http_writer_forwarding_names[] = {
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "Forwarded",
};

static bool http_writer_is_forwarding(struct buf_reader name)
{
        size_t num_names = sizeof http_writer_forwarding_names / sizeof http_writer_forwarding_names[0];
        for (size_t i = 0; i < num_names; i++)
                if (http_parser_token_equals(name, http_writer_forwarding_names[i]))
                        return true;
        return false;
}

static bool http_writer_is_target_byte(uint8_t c)
{
        return c > 0x20 && c < 0x7f;
}

/* http_writer_origin_target cuts an absolute-form target (scheme "://" authority path-and-query) to its
 * path and query; RFC 9112 §3.2.1: an empty path is sent as "/". */
static int http_writer_origin_target(struct buf_writer *out, struct buf_reader target, struct err *err)
{
        struct buf_reader r = target;
        size_t n = 0;
        while (n < r.len && r.data[n] != ':')
                n++;
        if (buf_skip(&r, n) != 0 || r.len < 3 || memcmp(r.data, "://", 3) != 0 || buf_skip(&r, 3) != 0)
                return SMT_ERR(err, SMT_EINVAL, "http writer: absolute-form target without \"://\"");
        n = 0;
        while (n < r.len && r.data[n] != '/' && r.data[n] != '?')
                n++;
        if (buf_skip(&r, n) != 0)
                return SMT_ERR(err, SMT_EINTERNAL, "http writer: absolute-form target");
        if (r.len == 0 || r.data[0] == '?')
                TRY(http_writer_put(out, "/", 1, err));
        return http_writer_put_slice(out, r, err);
}

static int http_writer_request_line(struct buf_writer *out, const struct http_head *req, struct err *err)
{
        /* RFC 9110 §9.3.6: a reverse proxy is no tunnel; CONNECT is answered, never forwarded. */
        if (req->target_form == HTTP_TARGET_AUTHORITY)
                return SMT_ERR(err, SMT_EINVAL, "http writer: CONNECT (authority-form target) is not forwarded");
        if (!http_writer_is_token(req->method))
                return SMT_ERR(err, SMT_EINVAL, "http writer: method of %zu bytes is not a token", req->method.len);
        for (size_t i = 0; i < req->target.len; i++)
                if (!http_writer_is_target_byte(req->target.data[i]))
                        return SMT_ERR(err, SMT_EINVAL, "http writer: byte 0x%02x in the request-target",
                                       req->target.data[i]);
        if (req->target.len == 0)
                return SMT_ERR(err, SMT_EINVAL, "http writer: empty request-target");
        TRY(http_writer_put_slice(out, req->method, err));
        TRY(http_writer_put(out, " ", 1, err));
        if (req->target_form == HTTP_TARGET_ABSOLUTE)
                TRY(http_writer_origin_target(out, req->target, err));
        else
                TRY(http_writer_put_slice(out, req->target, err));
        return http_writer_put_string(out, " HTTP/1.1\r\n", err);
}

/* http_writer_request_fields copies req's fields in order but hop-by-hop, framing and forwarding ones; Host
 * takes the target's authority (RFC 9112 §3.2.2: an absolute target's wins over Host). An HTTP/1.0
 * request may come without Host: HTTP/1.1 needs one (§3.2), so it is written first. Host is never dropped
 * because Connection names it: the origin could not route the request. */
static int http_writer_request_fields(struct buf_writer *out, const struct http_head *req,
                                      const struct http_request_rewrite *rw, struct err *err)
{
        if (!req->has_host)
                TRY(http_writer_field(out, http_writer_slice("Host"), req->authority, err));
        for (size_t i = 0; i < req->num_fields; i++) {
                const struct http_field *field = &req->fields[i];
                if (http_parser_token_equals(field->name, "Host")) {
                        TRY(http_writer_field(out, field->name, req->authority, err));
                        continue;
                }
                if (http_writer_is_framing(field->name) || http_writer_is_forwarding(field->name) ||
                    http_writer_is_hop_by_hop(req, field->name, rw->is_websocket))
                        continue;
                TRY(http_writer_field(out, field->name, field->value, err));
        }
        return SMT_OK;
}

/* http_writer_put_quoted writes s as an RFC 9110 §5.6.4 quoted-string (RFC 7239 §4 allows it for any
 * value): DQUOTE and backslash become quoted-pairs. */
static int http_writer_put_quoted(struct buf_writer *out, struct buf_reader s, struct err *err)
{
        TRY(http_writer_put(out, "\"", 1, err));
        for (size_t i = 0; i < s.len; i++) {
                if (s.data[i] == '"' || s.data[i] == '\\')
                        TRY(http_writer_put(out, "\\", 1, err));
                TRY(http_writer_put(out, &s.data[i], 1, err));
        }
        return http_writer_put(out, "\"", 1, err);
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), all of them token bytes. */
static bool http_writer_is_scheme(const char *s)
{
        bool is_alpha = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');
        return is_alpha && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == strlen(s);
}

/* RFC 7239 §5.2, §6: for= names the client as an IPv4 address, or a bracketed IPv6 one, which ':' forces
 * into a quoted-string (§4); host= (§5.3) is the Host value, quoted as it may hold ':' and brackets. */
static int http_writer_forwarded(struct buf_writer *out, const struct http_request_rewrite *rw, bool is_ipv6,
                                 struct buf_reader host, struct err *err)
{
        TRY(http_writer_put_string(out, "Forwarded: for=", err));
        if (is_ipv6) {
                TRY(http_writer_put_string(out, "\"[", err));
                TRY(http_writer_put_string(out, rw->client_ip, err));
                TRY(http_writer_put_string(out, "]\"", err));
        } else {
                TRY(http_writer_put_string(out, rw->client_ip, err));
        }
        if (host.len > 0) {
                TRY(http_writer_put_string(out, ";host=", err));
                TRY(http_writer_put_quoted(out, host, err));
        }
        TRY(http_writer_put_string(out, ";proto=", err));
        TRY(http_writer_put_string(out, rw->proto, err));
        return http_writer_put(out, "\r\n", 2, err);
}

/* http_writer_forwarding_fields writes what the gateway knows of the client; client_ip must parse as an
 * address (no port, no brackets, no zone) and proto as a URI scheme, so neither can carry CR or LF. */
static int http_writer_forwarding_fields(struct buf_writer *out, const struct http_head *req,
                                         const struct http_request_rewrite *rw, struct err *err)
{
        if (rw->client_ip == NULL || rw->proto == NULL)
                return SMT_ERR(err, SMT_EINVAL, "http writer: forwarded without client_ip or proto");
        uint8_t address[16];
        bool is_ipv4 = inet_pton(AF_INET, rw->client_ip, address) == 1;
        bool is_ipv6 = !is_ipv4 && inet_pton(AF_INET6, rw->client_ip, address) == 1;
        if (!is_ipv4 && !is_ipv6)
                return SMT_ERR(err, SMT_EINVAL, "http writer: client_ip is not an IPv4 or IPv6 address");
        if (!http_writer_is_scheme(rw->proto))
                return SMT_ERR(err, SMT_EINVAL, "http writer: proto is not a URI scheme");
        TRY(http_writer_field_string(out, "X-Forwarded-For", rw->client_ip, err));
        TRY(http_writer_field_string(out, "X-Forwarded-Proto", rw->proto, err));
        if (req->authority.len > 0)
                TRY(http_writer_field(out, http_writer_slice("X-Forwarded-Host"), req->authority, err));
        return http_writer_forwarded(out, rw, is_ipv6, req->authority, err);
}

static int http_writer_request_head_write(struct buf_writer *out, const struct http_head *req,
                                          const struct http_request_rewrite *rw, struct err *err)
{
        /* RFC 9112 §6.3: only a response may be delimited by the connection's close. */
        if (rw->framing == HTTP_WRITER_UNTIL_CLOSE)
                return SMT_ERR(err, SMT_EINVAL, "http writer: a request body cannot be delimited by closing");
        if (rw->is_websocket && !req->is_websocket_upgrade)
                return SMT_ERR(err, SMT_EINVAL,
                               "http writer: is_websocket for a request that is no WebSocket upgrade (GET over "
                               "HTTP/1.1 with Connection: upgrade and Upgrade: websocket)");
        TRY(http_writer_request_line(out, req, err));
        TRY(http_writer_request_fields(out, req, rw, err));
        if (rw->forwarded)
                TRY(http_writer_forwarding_fields(out, req, rw, err));
        TRY(http_writer_framing_write(out, rw->framing, rw->content_length, err));
        /* RFC 9110 §7.8: the upgrade is requested hop by hop, so this hop names it again. */
        if (rw->is_websocket)
                TRY(http_writer_put_string(out, "Connection: upgrade\r\n", err));
        return http_writer_end_of_fields(out, err);
}

int http_writer_request_head(struct buf_writer *out, const struct http_head *req, const struct http_request_rewrite *rw,
                             struct err *err)
{
        size_t start = out->len;
        int status = http_writer_request_head_write(out, req, rw, err);
        if (status < 0)
                buf_writer_truncate(out, start);
        return status;
}
