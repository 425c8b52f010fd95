/* src/gateway/conn_proxy.c: one request through an origin: choosing the site, rewriting and streaming
 * the request and its body to the origin, the response and its body back, WebSocket tunnels, the
 * gateway's own error answers, and the access log line. Bodies are never held whole: each side is read
 * only while the other side's queue is under GW_CONN_HIGH_WATER. */
#include "gateway/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "gateway/challenges.h"

static void gw_copy_slice(char *dst, size_t cap, struct buf_reader s)
{
        size_t n = s.len < cap - 1 ? s.len : cap - 1;
        memcpy(dst, s.data, n);
        dst[n] = '\0';
}

static int64_t gw_unix_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void gw_conn_log_request(struct gw_conn *conn)
{
        const struct http_field *ua = http_parser_lookup_field(conn->req, "User-Agent");
        memset(&conn->log, 0, sizeof conn->log);
        gw_copy_slice(conn->log.method, sizeof conn->log.method, conn->req->method);
        gw_copy_slice(conn->log.target, sizeof conn->log.target, conn->req->target);
        gw_copy_slice(conn->log.host, sizeof conn->log.host, conn->req->host);
        if (ua != NULL)
                gw_copy_slice(conn->log.user_agent, sizeof conn->log.user_agent, ua->value);
        conn->log.http_minor = conn->req->version == HTTP_VERSION_1_1 ? 1 : 0;
        conn->log.start_us = gw_now_us();
        conn->log.start_unix_ms = gw_unix_ms();
        conn->log.upstream_us = -1;
}

static struct buf_reader gw_cstr(const char *s)
{
        return buf_reader_make((const uint8_t *)s, strlen(s));
}

/* gw_conn_request_done writes the access log line and counts the request. */
void gw_conn_request_done(struct gw_conn *conn)
{
        int64_t duration = gw_now_us() - conn->log.start_us;
        struct gw_access_record rec = {
                .client_ip = conn->client_ip,
                .site = conn->site != NULL ? conn->site->name : NULL,
                .method = gw_cstr(conn->log.method),
                .target = gw_cstr(conn->log.target),
                .http_minor = conn->log.http_minor,
                .host = gw_cstr(conn->log.host),
                .user_agent = gw_cstr(conn->log.user_agent),
                .status = conn->status,
                .body_bytes_sent = conn->log.body_bytes_sent,
                .request_bytes = conn->log.request_bytes,
                .start_unix_ms = conn->log.start_unix_ms,
                .duration_us = duration,
                .protocol = conn->protocol,
                .cipher = conn->cipher,
                .cert_alg = conn->cert_alg,
                .origin_status = conn->log.origin_status,
                .upstream_us = conn->log.upstream_us,
        };
        uint8_t line[4096];
        struct buf_writer w;
        struct err err;
        buf_writer_init_fixed(&w, line, sizeof line);
        if (gw_access_log_format(&w, &rec, &err) == 0)
                gw_log_file_write(conn->worker->shared->access_log, w.data, w.len);
        gw_metrics_request_done(conn->worker->metrics, conn->metrics_protocol,
                                conn->site != NULL ? conn->site->index : SIZE_MAX, conn->status,
                                conn->log.request_bytes, conn->log.body_bytes_sent, duration);
        conn->num_requests++;
}

/* gw_conn_send_own writes one of the gateway's own responses (already framed) to the client. */
static int gw_conn_send_own(struct gw_conn *conn, const struct buf_writer *w, struct err *err)
{
        return gw_io_send(&conn->client, w->data, w->len, err);
}

void gw_conn_fail(struct gw_conn *conn, int status, const char *detail)
{
        struct err err;
        gw_origin_done(conn, true); /* callers that blame the server said so first */
        if (conn->origin != NULL) {
                conn->origin->generation = 0;
                gw_origin_release(conn->origin, false);
                conn->origin = NULL;
        }
        if (conn->state == GW_CONN_HEAD || (conn->state == GW_CONN_PROXY && !conn->has_sent_response)) {
                buf_writer_truncate(&conn->stage, 0); /* a held answer of a failed server is dropped */
                uint8_t page[4096];
                struct buf_writer w;
                bool is_head = conn->req != NULL && conn->state == GW_CONN_PROXY &&
                               http_parser_token_equals(conn->req->method, "HEAD");
                buf_writer_init_fixed(&w, page, sizeof page);
                if (http_writer_error_page(&w, status, detail, true, is_head, &err) == 0)
                        SMT_IGNORE(gw_conn_send_own(conn, &w, &err));
                if (conn->state == GW_CONN_HEAD) {
                        memset(&conn->log, 0, sizeof conn->log);
                        conn->log.start_us = gw_now_us();
                        conn->log.start_unix_ms = gw_unix_ms();
                        conn->log.upstream_us = -1;
                        snprintf(conn->log.method, sizeof conn->log.method, "-");
                        snprintf(conn->log.target, sizeof conn->log.target, "-");
                        conn->site = NULL;
                }
                conn->status = status;
                gw_conn_request_done(conn);
        }
        log_debug("%s: %d: %s", conn->client_ip, status, detail);
        conn->is_closing = true;
        conn->state = GW_CONN_DRAIN;
        buf_writer_truncate(&conn->cin, 0);
}

void gw_conn_origin_timeout(struct gw_conn *conn)
{
        gw_origin_done(conn, false);
        gw_metrics_origin_error(conn->worker->metrics, true);
        bool connecting = conn->origin != NULL && !conn->origin->is_ready;
        gw_conn_fail(conn, 504,
                     connecting ? "The site's server did not accept the connection in time."
                                : "The site's server did not answer in time.");
}

/* gw_conn_pick_site chooses the request's site by its Host; on a TLS/TLCP connection the site must be the
 * one SNI chose for the handshake (RFC 9110 §7.4: 421 when the connection cannot serve the name). */
static int gw_conn_pick_site(struct gw_conn *conn)
{
        const struct gw_site *site = gw_sites_lookup_n(conn->rt->sites, (const char *)conn->req->authority.data,
                                                       conn->req->authority.len);
        if (conn->tls_site != NULL && site != conn->tls_site) {
                gw_conn_fail(conn, 421, "This connection was set up for another site; open a new one for this name.");
                return -1;
        }
        if (site == NULL) {
                gw_conn_fail(conn, 404, "No site is served under this name here.");
                return -1;
        }
        conn->site = site;
        return 0;
}

static void gw_conn_redirect(struct gw_conn *conn)
{
        struct err err;
        uint8_t page[4096];
        struct buf_writer w;
        struct buf_reader host = conn->req->authority;
        /* strip ":port" from the Host: the redirect names the https port */
        size_t end = host.len;
        if (end > 0 && host.data[0] != '[') {
                const uint8_t *colon = memchr(host.data, ':', host.len);
                if (colon != NULL)
                        end = (size_t)(colon - host.data);
        } else if (end > 0) {
                const uint8_t *bracket = memchr(host.data, ']', host.len);
                end = bracket != NULL ? (size_t)(bracket - host.data) + 1 : end;
        }
        host.len = end;
        struct buf_reader target = conn->req->target_form == HTTP_TARGET_ORIGIN ? conn->req->target : gw_cstr("/");
        buf_writer_init_fixed(&w, page, sizeof page);
        if (http_writer_redirect(&w, 308, host, (unsigned)conn->listener->redirect_port, target, true, &err) < 0) {
                gw_conn_fail(conn, 400, "The request's Host cannot be redirected.");
                return;
        }
        SMT_IGNORE(gw_conn_send_own(conn, &w, &err));
        conn->status = 308;
        gw_conn_request_done(conn);
        conn->is_closing = true;
        conn->state = GW_CONN_DRAIN;
}

static bool gw_conn_method_is(const struct http_head *req, const char *method)
{
        return req->method.len == strlen(method) && memcmp(req->method.data, method, req->method.len) == 0;
}

/* gw_conn_challenge_token finds the token of an http-01 validation request (RFC 8555 8.3): GET or HEAD of
 * GW_CHALLENGES_HTTP01_PREFIX + token, the token being the rest of the path (a query is not part of it). */
static bool gw_conn_challenge_token(const struct http_head *req, struct buf_reader *token)
{
        size_t prefix_len = strlen(GW_CHALLENGES_HTTP01_PREFIX);
        struct buf_reader target = req->target;
        bool is_get = gw_conn_method_is(req, "GET") || gw_conn_method_is(req, "HEAD");
        if (!is_get || req->target_form != HTTP_TARGET_ORIGIN || target.len <= prefix_len ||
            memcmp(target.data, GW_CHALLENGES_HTTP01_PREFIX, prefix_len) != 0)
                return false;
        const uint8_t *query = memchr(target.data + prefix_len, '?', target.len - prefix_len);
        size_t end = query != NULL ? (size_t)(query - target.data) : target.len;
        *token = buf_reader_make(target.data + prefix_len, end - prefix_len);
        return token->len > 0;
}

/* gw_conn_answer_challenge answers the CA validating one of the gateway's own ACME orders on a plain
 * listener, before any redirect or site is chosen: 200 with the key authorization as the body (RFC 8555
 * 8.3), then the connection closes as after a redirect. False (nothing done) for any other request,
 * including an unknown token, which goes on as any request would. */
static bool gw_conn_answer_challenge(struct gw_conn *conn)
{
        struct buf_reader token;
        char key_authorization[GW_CHALLENGES_KEY_AUTH_MAX];
        if (conn->rt->challenges == NULL || !gw_conn_challenge_token(conn->req, &token) ||
            !gw_challenges_http01(conn->rt->challenges, (const char *)token.data, token.len, key_authorization,
                                  sizeof key_authorization))
                return false;
        bool is_head = gw_conn_method_is(conn->req, "HEAD");
        size_t len = strlen(key_authorization);
        char head[160];
        int head_len = snprintf(head, sizeof head,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                                "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                                len);
        struct err err;
        if (gw_io_send(&conn->client, (const uint8_t *)head, (size_t)head_len, &err) == 0 && !is_head)
                SMT_IGNORE(gw_io_send(&conn->client, (const uint8_t *)key_authorization, len, &err));
        explicit_bzero(key_authorization, sizeof key_authorization);
        conn->status = 200;
        conn->log.body_bytes_sent = is_head ? 0 : len;
        gw_conn_request_done(conn);
        conn->is_closing = true;
        conn->state = GW_CONN_DRAIN;
        return true;
}

/* gw_conn_write_request_head rewrites the request head for the origin into oout (and keeps a copy in
 * replay for a body-less request, in case a reused origin connection turns out closed). */
static int gw_conn_write_request_head(struct gw_conn *conn, struct err *err)
{
        const struct http_head *req = conn->req;
        struct http_request_rewrite rw = {
                .framing = req->framing == HTTP_FRAMING_LENGTH    ? HTTP_WRITER_LENGTH
                           : req->framing == HTTP_FRAMING_CHUNKED ? HTTP_WRITER_CHUNKED
                                                                  : HTTP_WRITER_NO_BODY,
                .content_length = req->content_length,
                .forwarded = conn->site->config->forwarded_headers,
                .client_ip = conn->client_ip,
                .proto = conn->client.kind == GW_IO_SECURE_SERVER ? "https" : "http",
                .is_websocket = req->is_websocket_upgrade,
        };
        conn->req_out_framing = rw.framing;
        size_t start = conn->oout.len;
        TRY(http_writer_request_head(&conn->oout, req, &rw, err));
        buf_writer_truncate(&conn->replay, 0);
        if (rw.framing == HTTP_WRITER_NO_BODY)
                TRY(buf_write_bytes(&conn->replay, conn->oout.data + start, conn->oout.len - start));
        return SMT_OK;
}

static int gw_conn_connect_origin(struct gw_conn *conn, struct err *err)
{
        TRY(gw_origin_get(conn, &conn->origin, err));
        conn->log.upstream_start_us = gw_now_us();
        int64_t ms = conn->origin->is_ready ? conn->rt->config.timeouts.origin_read_ms
                                            : conn->rt->config.timeouts.origin_connect_ms;
        return net_loop_timer_restart(conn->worker->loop, &conn->timer, ms, err);
}

/* gw_conn_cookie_value finds the cookie named name in a Cookie field value ("a=1; b=2", RFC 6265 §4.2.1). */
static bool gw_conn_cookie_value(struct buf_reader field, const char *name, struct buf_reader *value)
{
        size_t name_len = strlen(name);
        const uint8_t *p = field.data, *end = field.data + field.len;
        while (p < end) {
                const uint8_t *pair_end = memchr(p, ';', (size_t)(end - p));
                if (pair_end == NULL)
                        pair_end = end;
                while (p < pair_end && *p == ' ')
                        p++;
                if ((size_t)(pair_end - p) > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=') {
                        *value = buf_reader_make(p + name_len + 1, (size_t)(pair_end - p) - name_len - 1);
                        return true;
                }
                p = pair_end + 1;
        }
        return false;
}

/* gw_conn_persisted reads the server a valid persistence cookie names; a forged or stale one is ignored
 * (the balancer picks, and the response sets a good cookie). */
static void gw_conn_persisted(struct gw_conn *conn)
{
        const struct gw_runtime_origin *ro = &conn->rt->origins[conn->site->index];
        const char *name = conn->site->config->upstream.cookie_name;
        struct err err;
        if (!ro->has_cookie || name == NULL)
                return;
        for (size_t i = 0; i < conn->req->num_fields; i++) {
                struct buf_reader value;
                size_t server;
                if (http_parser_token_equals(conn->req->fields[i].name, "Cookie") &&
                    gw_conn_cookie_value(conn->req->fields[i].value, name, &value) &&
                    gw_balancer_cookie_parse(ro->cookie_key, (const char *)value.data, value.len, &server, &err) == 0 &&
                    server < ro->num_servers) {
                        conn->persisted = server;
                        return;
                }
        }
}

void gw_conn_start_request(struct gw_conn *conn)
{
        struct err err;
        const struct http_head *req = conn->req;
        gw_conn_log_request(conn);
        conn->state = GW_CONN_PROXY;
        conn->site = NULL;
        conn->is_req_done = conn->is_resp_head_done = conn->is_resp_done = false;
        conn->is_websocket = req->is_websocket_upgrade;
        conn->has_retried = false;
        conn->has_sent_response = false;
        conn->has_last_chunk = false;
        conn->num_tried = 0;
        conn->num_attempts = 0;
        conn->persisted = SIZE_MAX;
        conn->status = 0;
        conn->is_keep_alive = req->is_keep_alive &&
                              conn->num_requests + 1 < (unsigned)conn->rt->config.limits.max_keepalive_requests &&
                              !conn->worker->is_stopping;
        bool is_plain = conn->listener->kind == GW_LISTENER_REDIRECT || conn->listener->kind == GW_LISTENER_HTTP;
        if (is_plain && gw_conn_answer_challenge(conn))
                return;
        if (conn->listener->kind == GW_LISTENER_REDIRECT) {
                gw_conn_redirect(conn);
                return;
        }
        if (gw_conn_pick_site(conn) < 0)
                return;
        int64_t max_body = conn->rt->config.limits.max_body_size;
        if (max_body > 0 && req->framing == HTTP_FRAMING_LENGTH && req->content_length > (uint64_t)max_body) {
                gw_conn_fail(conn, 413, "The request body is larger than this site accepts.");
                return;
        }
        gw_conn_persisted(conn);
        if (gw_conn_write_request_head(conn, &err) < 0) {
                gw_conn_fail(conn, 431, "The request head is too large to forward.");
                return;
        }
        size_t head_len = req->head_len;
        enum http_framing framing = req->framing;
        uint64_t content_length = req->content_length;
        /* The head's bytes are no longer needed: what the log wants was copied. */
        buf_writer_drop_front(&conn->cin, head_len);
        if (http_parser_body_init(&conn->req_body, framing, content_length, &conn->rt->limits, &err) < 0 ||
            http_parser_init_response(&conn->parser, &conn->rt->limits, gw_cstr(conn->log.method), &err) < 0) {
                gw_conn_fail(conn, 500, "Internal error.");
                return;
        }
        conn->is_req_done = framing == HTTP_FRAMING_NONE || (framing == HTTP_FRAMING_LENGTH && content_length == 0);
        int status = gw_conn_connect_origin(conn, &err);
        if (status == GW_ENO_SERVER) {
                log_warning("site %s: %s", conn->site->name, err.msg);
                gw_conn_fail(conn, 503, "None of the site's servers is available.");
        } else if (status < 0) {
                log_warning("site %s: %s", conn->site->name, err.msg);
                gw_metrics_origin_error(conn->worker->metrics, false);
                gw_conn_fail(conn, 502, "The site's server could not be reached.");
        }
}
