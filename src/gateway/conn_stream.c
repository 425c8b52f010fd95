/* src/gateway/conn_stream.c: the bytes of a request in flight: the request body to the origin, the
 * response head and body back to the client, re-framed per hop, and WebSocket tunnels after a 101. */
#include "gateway/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

/* gw_conn_body_out writes decoded body data or a trailer toward a peer, framed as out says. */
static int gw_conn_body_out(struct buf_writer *w, enum http_writer_framing out, const struct http_body_part *part,
                            bool *has_last_chunk, struct err *err)
{
        if (part->data.len > 0) {
                if (out == HTTP_WRITER_CHUNKED)
                        TRY(http_writer_chunk_size(w, part->data.len, err));
                TRY(buf_write_bytes(w, part->data.data, part->data.len));
                if (out == HTTP_WRITER_CHUNKED)
                        TRY(http_writer_chunk_end(w, err));
        }
        if (out != HTTP_WRITER_CHUNKED || (!part->has_trailer && !part->is_end))
                return SMT_OK;
        if (!*has_last_chunk) {
                TRY(http_writer_last_chunk(w, err));
                *has_last_chunk = true;
        }
        if (part->has_trailer)
                TRY(http_writer_field(w, part->trailer.name, part->trailer.value, err));
        if (part->is_end)
                TRY(http_writer_end_of_fields(w, err));
        return SMT_OK;
}

/* gw_conn_stage returns the connection's scratch writer, emptied: a head is put together there without an
 * allocation per message. */
static struct buf_writer *gw_conn_stage(struct gw_conn *conn)
{
        buf_writer_truncate(&conn->stage, 0);
        return &conn->stage;
}

/* gw_conn_stage_send hands what the stage holds to the client's secure layer. A response head waits in
 * the stage for the body bytes that came with it, so a small response is one TLS record, not two. */
static int gw_conn_stage_send(struct gw_conn *conn, struct err *err)
{
        if (conn->stage.len == 0)
                return SMT_OK;
        conn->has_sent_response = true;
        int status = gw_io_send(&conn->client, conn->stage.data, conn->stage.len, err);
        buf_writer_truncate(&conn->stage, 0);
        return status;
}

/* Staged bytes beyond this go out at once (one TLS record's worth). */
#define GW_CONN_STAGE_MAX (16 * 1024)

/* gw_conn_holds_response says whether a response stays staged until it is whole: one with a small
 * Content-Length to a request that could be sent to another server. If its server dies in the middle, the
 * client has seen nothing and the request moves on (chunked or large answers stream at once). */
static bool gw_conn_holds_response(const struct gw_conn *conn)
{
        return conn->is_resp_head_done && !conn->is_resp_done && !conn->has_sent_response &&
               conn->resp_in_framing == HTTP_FRAMING_LENGTH && conn->resp_content_length <= GW_CONN_STAGE_MAX &&
               conn->replay.len > 0 && conn->state == GW_CONN_PROXY;
}

/* gw_conn_body_to_client sends response body data (and chunked framing) to the client: appended to the
 * stage while it holds the head or framing and stays small, else straight from the origin's buffer. */
static int gw_conn_body_to_client(struct gw_conn *conn, const struct http_body_part *part, struct err *err)
{
        bool is_chunked = conn->resp_out_framing == HTTP_WRITER_CHUNKED;
        if (!is_chunked && conn->stage.len + part->data.len > GW_CONN_STAGE_MAX) {
                TRY(gw_conn_stage_send(conn, err));
                conn->has_sent_response = true;
                return gw_io_send(&conn->client, part->data.data, part->data.len, err);
        }
        if (is_chunked)
                TRY(gw_conn_body_out(&conn->stage, conn->resp_out_framing, part, &conn->has_resp_last_chunk, err));
        else
                TRY(buf_write_bytes(&conn->stage, part->data.data, part->data.len));
        return conn->stage.len >= GW_CONN_STAGE_MAX ? gw_conn_stage_send(conn, err) : SMT_OK;
}

static size_t gw_conn_origin_queue(struct gw_conn *conn)
{
        return conn->oout.len + (conn->origin != NULL ? gw_io_pending_output(&conn->origin->io) : 0);
}

/* gw_conn_forward_request moves request body bytes from cin to oout while the origin's queue has room.
 * Returns 0, or a status after which the connection was failed. */
static int gw_conn_forward_request(struct gw_conn *conn, struct err *err)
{
        int64_t max_body = conn->rt->config.limits.max_body_size;
        while (!conn->is_req_done && gw_conn_origin_queue(conn) < GW_CONN_HIGH_WATER) {
                if (conn->cin.len > 0) {
                        struct http_body_part part;
                        size_t consumed = 0;
                        int status = http_parser_body_decode(&conn->req_body, &part, &consumed, conn->cin.data,
                                                             conn->cin.len, err);
                        if (status == 0) {
                                conn->log.request_bytes += part.data.len;
                                if (max_body > 0 && conn->log.request_bytes > (uint64_t)max_body) {
                                        gw_conn_fail(conn, 413, "The request body is larger than this site accepts.");
                                        return SMT_EINVAL;
                                }
                                if (gw_conn_body_out(&conn->oout, conn->req_out_framing, &part, &conn->has_last_chunk,
                                                     err) < 0) {
                                        gw_conn_fail(conn, 500, "Internal error.");
                                        return SMT_ENOSPACE;
                                }
                                buf_writer_drop_front(&conn->cin, consumed);
                                conn->is_req_done = part.is_end;
                                continue;
                        }
                        if (status != SMT_EAGAIN) {
                                gw_conn_fail(conn, 400, err->msg);
                                return status;
                        }
                }
                size_t before = conn->cin.len;
                int status = gw_io_receive(&conn->client, &conn->cin, GW_CONN_HIGH_WATER, err);
                if (status < 0 && status != SMT_EAGAIN) {
                        gw_conn_close(conn);
                        return status;
                }
                if (conn->cin.len == before) {
                        if (conn->client.is_eof) {
                                gw_conn_close(conn); /* the client gave up in the middle of its body */
                                return SMT_ETRUNCATED;
                        }
                        break;
                }
        }
        return SMT_OK;
}

/* gw_conn_is_idempotent says whether a request may be sent again (RFC 9110 §9.2.2). */
static bool gw_conn_is_idempotent(const struct gw_conn *conn)
{
        static const char *const methods[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
                if (strcmp(conn->log.method, methods[i]) == 0)
                        return true;
        return false;
}

/* gw_conn_response_reset forgets what a failed server sent of a response the client has seen nothing of. */
static void gw_conn_response_reset(struct gw_conn *conn)
{
        struct err err;
        conn->is_resp_head_done = false;
        conn->is_resp_done = false;
        conn->status = 0;
        conn->log.upstream_us = -1;
        buf_writer_truncate(&conn->oin, 0);
        buf_writer_truncate(&conn->stage, 0);
        SMT_IGNORE(http_parser_init_response(&conn->parser, &conn->rt->limits,
                                             buf_reader_make((const uint8_t *)conn->log.method, strlen(conn->log.method)),
                                             &err)); /* limits were checked when the runtime was built */
}

/* gw_conn_retry sends a body-less request again while the client has seen nothing of an answer: on a new
 * connection when a reused one turned out closed (the race every keep-alive client has; RFC 9112 §9.3.1),
 * or, for an idempotent request (RFC 9110 §9.2.2), on another server when this one failed: could not be
 * reached, reset, or broke off its answer (upstream.retries of them; nginx's proxy_next_upstream error). */
static bool gw_conn_retry(struct gw_conn *conn)
{
        struct err err;
        if (conn->origin == NULL || conn->replay.len == 0 || conn->has_sent_response)
                return false;
        bool is_stale = conn->origin->is_reused && !conn->has_retried && !conn->is_resp_head_done && conn->oin.len == 0;
        bool may_move = gw_conn_is_idempotent(conn) &&
                        conn->num_tried < conn->rt->origins[conn->site->index].retries && conn->num_tried + 1 < GW_CONN_TRIES_MAX;
        if (!is_stale && !may_move)
                return false;
        if (is_stale) {
                conn->has_retried = true;
                gw_origin_done(conn, true); /* a closed idle connection is not the server's failure */
        } else {
                conn->tried[conn->num_tried++] = conn->server;
                gw_origin_done(conn, false);
        }
        conn->origin->generation = 0;
        gw_origin_release(conn->origin, false);
        conn->origin = NULL;
        gw_conn_response_reset(conn);
        buf_writer_truncate(&conn->oout, 0);
        if (buf_write_bytes(&conn->oout, conn->replay.data, conn->replay.len) < 0 ||
            gw_origin_get(conn, &conn->origin, &err) < 0)
                return false;
        conn->num_attempts++;
        return true;
}

static void gw_conn_origin_failed(struct gw_conn *conn, const char *what)
{
        /* Before the connection (and its TLS handshake) was up, the server could not be reached; after,
         * it answered wrongly or not at all. */
        bool reached = conn->origin != NULL && conn->origin->is_ready;
        const char *server = conn->rt->origins[conn->site->index].servers[conn->server].name;
        log_warning("site %s: server %s: %s", conn->site->name, server, what);
        if (gw_conn_retry(conn))
                return;
        gw_origin_done(conn, false);
        gw_metrics_origin_error(conn->worker->metrics, false);
        gw_conn_fail(conn, 502,
                     reached ? "The site's server did not give a valid answer." : "The site's server could not be reached.");
}

static enum http_writer_framing gw_conn_response_framing(struct gw_conn *conn, const struct http_head *resp)
{
        switch (resp->framing) {
        case HTTP_FRAMING_LENGTH: return HTTP_WRITER_LENGTH;
        case HTTP_FRAMING_CHUNKED: return HTTP_WRITER_CHUNKED;
        case HTTP_FRAMING_UNTIL_CLOSE:
                if (conn->log.http_minor == 1)
                        return HTTP_WRITER_CHUNKED; /* the client keeps its connection */
                conn->is_closing = true;
                return HTTP_WRITER_UNTIL_CLOSE;
        case HTTP_FRAMING_NONE: break;
        }
        /* No body follows, but a HEAD or 304 answer still tells the length the body would have. */
        return resp->has_content_length ? HTTP_WRITER_LENGTH : HTTP_WRITER_NO_BODY;
}

/* gw_conn_set_cookie makes the persistence cookie for the server that answered, when the client did not
 * already name it: HttpOnly (scripts have no use for it), SameSite=Lax, Secure over https. NULL: none. */
static const char *gw_conn_set_cookie(struct gw_conn *conn, char *out, size_t cap)
{
        const struct gw_runtime_origin *ro = &conn->rt->origins[conn->site->index];
        char value[GW_BALANCER_COOKIE_MAX];
        struct err err;
        if (!ro->has_cookie || conn->persisted == conn->server ||
            gw_balancer_cookie_make(ro->cookie_key, conn->server, value, &err) < 0)
                return NULL;
        snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s", conn->site->config->upstream.cookie_name, value,
                 conn->client.kind == GW_IO_SECURE_SERVER ? "; Secure" : "");
        return out;
}

/* gw_conn_response_head handles one parsed response head; returns false when the pump must stop. */
static bool gw_conn_response_head(struct gw_conn *conn, struct err *err)
{
        const struct http_head *resp = conn->resp;
        if (resp->status >= 100 && resp->status < 200 && resp->status != 101) {
                struct http_response_rewrite rw = { .framing = HTTP_WRITER_NO_BODY, .keep_alive = true };
                struct buf_writer *w = gw_conn_stage(conn);
                /* An interim response that cannot be relayed is dropped: the final one still comes. */
                if (http_writer_response_head(w, resp, &rw, err) == 0)
                        SMT_IGNORE(gw_conn_stage_send(conn, err));
                buf_writer_truncate(w, 0);
                buf_writer_drop_front(&conn->oin, resp->head_len);
                return http_parser_init_response(&conn->parser, &conn->rt->limits,
                                                 buf_reader_make((const uint8_t *)conn->log.method,
                                                                 strlen(conn->log.method)),
                                                 err) == 0;
        }
        bool is_tunnel = resp->status == 101 && conn->is_websocket && resp->is_websocket_upgrade;
        if (resp->status == 101 && !is_tunnel) {
                gw_conn_origin_failed(conn, "101 Switching Protocols to something other than the WebSocket asked for");
                return false;
        }
        conn->resp_out_framing = is_tunnel ? HTTP_WRITER_NO_BODY : gw_conn_response_framing(conn, resp);
        conn->resp_in_framing = resp->framing;
        conn->is_origin_keep_alive = resp->is_keep_alive && resp->framing != HTTP_FRAMING_UNTIL_CLOSE;
        char set_cookie[GW_BALANCER_COOKIE_MAX + 256];
        struct http_response_rewrite rw = {
                .set_cookie = gw_conn_set_cookie(conn, set_cookie, sizeof set_cookie),
                .framing = conn->resp_out_framing,
                .content_length = resp->content_length,
                .keep_alive = conn->is_keep_alive && !conn->is_closing,
                .is_websocket = is_tunnel,
                .hsts = conn->client.kind == GW_IO_SECURE_SERVER ? conn->site->hsts_value : NULL,
        };
        struct buf_writer *w = gw_conn_stage(conn);
        int status = http_writer_response_head(w, resp, &rw, err); /* sent with the first body bytes */
        if (status == 0 && is_tunnel)
                status = gw_conn_stage_send(conn, err);
        if (status < 0) {
                gw_conn_close(conn);
                return false;
        }
        conn->status = resp->status;
        conn->log.origin_status = resp->status;
        conn->resp_content_length = resp->content_length;
        conn->is_resp_head_done = true;
        conn->has_resp_last_chunk = false;
        buf_writer_drop_front(&conn->oin, resp->head_len);
        if (is_tunnel) {
                gw_conn_request_done(conn);
                conn->state = GW_CONN_TUNNEL;
                SMT_IGNORE(net_loop_timer_restart(conn->worker->loop, &conn->timer, conn->rt->config.timeouts.websocket_idle_ms,
                                             err));
                return false;
        }
        enum http_framing body = resp->framing;
        if (http_parser_body_init(&conn->resp_body, body, resp->content_length, &conn->rt->limits, err) < 0) {
                gw_conn_close(conn);
                return false;
        }
        conn->is_resp_done = body == HTTP_FRAMING_NONE || (body == HTTP_FRAMING_LENGTH && resp->content_length == 0);
        return true;
}

/* gw_conn_answer_broke handles a server failing in the middle of its answer: while the client has seen
 * none of it, like any server failure (retry elsewhere, or 502); after, only by cutting the connection,
 * which the client sees as a short response. */
static void gw_conn_answer_broke(struct gw_conn *conn, const char *what)
{
        if (!conn->has_sent_response) {
                gw_conn_origin_failed(conn, what);
                return;
        }
        const char *server = conn->rt->origins[conn->site->index].servers[conn->server].name;
        log_warning("site %s: server %s: %s", conn->site->name, server, what);
        gw_origin_done(conn, false);
        gw_conn_close(conn);
}

/* gw_conn_forward_response parses the response head, then moves body bytes from oin to the client. */
static void gw_conn_forward_response(struct gw_conn *conn, struct err *err)
{
        while (!conn->is_resp_done && conn->state == GW_CONN_PROXY && !conn->is_dead) {
                if (!conn->is_resp_head_done && conn->oin.len > 0) {
                        if (conn->resp == NULL && (conn->resp = malloc(sizeof *conn->resp)) == NULL) {
                                gw_conn_close(conn);
                                return;
                        }
                        int status = http_parser_parse(&conn->parser, conn->resp, conn->oin.data, conn->oin.len, err);
                        if (status == 0) {
                                if (conn->log.upstream_us < 0)
                                        conn->log.upstream_us = gw_now_us() - conn->log.upstream_start_us;
                                if (!gw_conn_response_head(conn, err))
                                        return;
                                continue;
                        }
                        if (status != SMT_EAGAIN) {
                                gw_conn_origin_failed(conn, err->msg);
                                return;
                        }
                } else if (conn->is_resp_head_done && conn->oin.len > 0) {
                        struct http_body_part part;
                        size_t consumed = 0;
                        int status = http_parser_body_decode(&conn->resp_body, &part, &consumed, conn->oin.data,
                                                             conn->oin.len, err);
                        if (status == 0) {
                                status = gw_conn_body_to_client(conn, &part, err);
                                if (status < 0) {
                                        gw_conn_close(conn);
                                        return;
                                }
                                conn->log.body_bytes_sent += part.data.len;
                                buf_writer_drop_front(&conn->oin, consumed);
                                conn->is_resp_done = part.is_end;
                                if (gw_io_pending_output(&conn->client) >= GW_CONN_HIGH_WATER)
                                        return;
                                continue;
                        }
                        if (status != SMT_EAGAIN) {
                                gw_conn_answer_broke(conn, err->msg);
                                return;
                        }
                }
                if (gw_io_pending_output(&conn->client) >= GW_CONN_HIGH_WATER || conn->origin == NULL ||
                    !conn->origin->is_ready)
                        return;
                size_t before = conn->oin.len;
                int status = gw_io_receive(&conn->origin->io, &conn->oin, conn->oin.len + GW_CONN_HIGH_WATER, err);
                if (status < 0 && status != SMT_EAGAIN) {
                        gw_conn_answer_broke(conn, err->msg);
                        return;
                }
                if (conn->oin.len > before) {
                        SMT_IGNORE(net_loop_timer_restart(conn->worker->loop, &conn->timer,
                                                     conn->rt->config.timeouts.origin_read_ms, err));
                        continue;
                }
                if (!conn->origin->io.is_eof)
                        return;
                if (!conn->is_resp_head_done) {
                        gw_conn_origin_failed(conn, "closed the connection without an answer");
                        return;
                }
                if (http_parser_body_finish(&conn->resp_body, err) < 0) {
                        gw_conn_answer_broke(conn, err->msg);
                        return;
                }
                struct http_body_part end = { .is_end = true };
                if (gw_conn_body_to_client(conn, &end, err) < 0) {
                        gw_conn_close(conn);
                        return;
                }
                conn->is_resp_done = true;
                conn->is_origin_keep_alive = false;
        }
}

/* gw_conn_response_finished logs the request, returns the origin connection to the pool and waits for
 * the client's next request, or closes. */
static void gw_conn_response_finished(struct gw_conn *conn)
{
        gw_origin_done(conn, true);
        gw_conn_request_done(conn);
        bool reusable = conn->is_origin_keep_alive && conn->is_req_done && conn->oin.len == 0;
        gw_origin_release(conn->origin, reusable);
        conn->origin = NULL;
        buf_writer_truncate(&conn->oin, 0);
        buf_writer_truncate(&conn->oout, 0);
        if (!conn->is_req_done || !conn->is_keep_alive || conn->is_closing) {
                conn->state = GW_CONN_DRAIN;
                buf_writer_truncate(&conn->cin, 0);
                return;
        }
        conn->state = GW_CONN_HEAD;
        if (conn->cin.len == 0) {
                /* Buffers stay for the next request (no allocation per request), unless a large body
                 * grew them: an idle connection should not hold a bulk transfer's memory. */
                struct buf_writer *big[] = { &conn->cin, &conn->oin, &conn->oout, &conn->stage };
                for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
                        if (big[i]->cap > GW_CONN_KEEP_BUFFER)
                                buf_writer_cleanup(big[i]);
        }
        struct err err;
        SMT_IGNORE(net_loop_timer_restart(conn->worker->loop, &conn->timer,
                                     conn->cin.len > 0 ? conn->rt->config.timeouts.header_ms
                                                       : conn->rt->config.timeouts.idle_ms,
                                     &err));
}

/* gw_conn_proxy_once moves what can move in both directions once. */
static void gw_conn_proxy_once(struct gw_conn *conn)
{
        struct err err;
        if (conn->origin != NULL && !conn->origin->is_ready) {
                int status = gw_origin_progress(conn->origin, &err);
                if (status < 0 && status != SMT_EAGAIN) {
                        gw_conn_origin_failed(conn, err.msg);
                        return;
                }
                if (status == 0)
                        SMT_IGNORE(net_loop_timer_restart(conn->worker->loop, &conn->timer,
                                                     conn->rt->config.timeouts.origin_read_ms, &err));
        }
        if (gw_conn_forward_request(conn, &err) < 0)
                return;
        if (conn->is_req_done && conn->cin.len == 0 && !conn->client.is_eof) {
                /* The client stays watched while its request is answered (no interest change per
                 * request): take what it sent next, the next request or its end, and stop there. */
                int status = gw_io_receive(&conn->client, &conn->cin, conn->rt->limits.max_head_len + 1, &err);
                if (status < 0 && status != SMT_EAGAIN) {
                        gw_conn_close(conn);
                        return;
                }
        }
        if (conn->origin != NULL && conn->origin->is_ready && conn->oout.len > 0) {
                if (gw_io_send(&conn->origin->io, conn->oout.data, conn->oout.len, &err) < 0) {
                        gw_conn_origin_failed(conn, err.msg);
                        return;
                }
                buf_writer_truncate(&conn->oout, 0);
        }
        gw_conn_forward_response(conn, &err);
        if (!conn->is_dead && !gw_conn_holds_response(conn) && gw_conn_stage_send(conn, &err) < 0) {
                gw_conn_close(conn);
                return;
        }
        if (!conn->is_dead && conn->state == GW_CONN_PROXY && conn->is_resp_done)
                gw_conn_response_finished(conn);
}

void gw_conn_proxy(struct gw_conn *conn)
{
        /* A retry puts the request on another origin connection, maybe a pooled one that is ready at once:
         * go round again for it, since no socket event will come for a request not yet sent. */
        for (size_t round = 0; round <= GW_CONN_TRIES_MAX; round++) {
                unsigned before = conn->num_attempts;
                gw_conn_proxy_once(conn);
                if (conn->is_dead || conn->state != GW_CONN_PROXY || conn->origin == NULL || conn->num_attempts == before)
                        return;
        }
}

/* gw_conn_tunnel_move sends what one side's buffer holds to the other and reads more. */
static int gw_conn_tunnel_move(struct gw_io *from, struct buf_writer *buf, struct gw_io *to, bool *moved,
                               struct err *err)
{
        for (;;) {
                if (buf->len > 0) {
                        TRY(gw_io_send(to, buf->data, buf->len, err));
                        buf_writer_truncate(buf, 0);
                        *moved = true;
                }
                if (gw_io_pending_output(to) >= GW_CONN_HIGH_WATER || from->is_eof)
                        return SMT_OK;
                int status = gw_io_receive(from, buf, GW_CONN_HIGH_WATER, err);
                if (status == SMT_EAGAIN)
                        return SMT_OK;
                if (status < 0)
                        return status;
        }
}

/* gw_conn_tunnel_connect advances a raw connection's origin connect: true once ready. A server that
 * cannot be reached is left for another (upstream.retries): nothing of the client's was sent yet. */
static bool gw_conn_tunnel_connect(struct gw_conn *conn)
{
        struct err err;
        int status = gw_origin_progress(conn->origin, &err);
        while (status < 0 && status != SMT_EAGAIN) {
                const struct gw_runtime_origin *ro = &conn->rt->origins[conn->site->index];
                log_warning("site %s: server %s: %s", conn->site->name, ro->servers[conn->server].name, err.msg);
                gw_metrics_origin_error(conn->worker->metrics, false);
                conn->tried[conn->num_tried++] = conn->server;
                gw_origin_done(conn, false);
                conn->origin->generation = 0;
                gw_origin_release(conn->origin, false);
                conn->origin = NULL;
                if (conn->num_tried > ro->retries || conn->num_tried >= GW_CONN_TRIES_MAX ||
                    gw_origin_get(conn, &conn->origin, &err) < 0) {
                        gw_conn_close(conn);
                        return false;
                }
                status = gw_origin_progress(conn->origin, &err);
        }
        return status == 0;
}

void gw_conn_start_raw(struct gw_conn *conn, const struct gw_site *site)
{
        struct err err;
        memset(&conn->log, 0, sizeof conn->log);
        snprintf(conn->log.method, sizeof conn->log.method, "%s",
                 conn->listener->kind == GW_LISTENER_PASSTHROUGH ? "PASSTHROUGH" : "TCP");
        snprintf(conn->log.target, sizeof conn->log.target, "-");
        conn->log.start_us = gw_now_us();
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        conn->log.start_unix_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
        conn->log.upstream_us = -1;
        conn->site = site;
        conn->is_raw = true;
        conn->num_tried = 0;
        conn->persisted = SIZE_MAX;
        conn->state = GW_CONN_TUNNEL;
        if (gw_origin_get(conn, &conn->origin, &err) < 0) {
                log_warning("site %s: %s", site->name, err.msg);
                gw_conn_close(conn);
                return;
        }
        conn->log.upstream_start_us = gw_now_us();
        SMT_IGNORE(net_loop_timer_restart(conn->worker->loop, &conn->timer, conn->rt->config.timeouts.origin_connect_ms,
                                          &err)); /* the timer was started at accept */
}

void gw_conn_tunnel(struct gw_conn *conn)
{
        struct err err;
        bool moved = false;
        if (!conn->origin->is_ready) {
                if (!gw_conn_tunnel_connect(conn))
                        return;
                moved = true; /* from now on the idle timeout counts */
        }
        struct gw_io *origin = &conn->origin->io;
        if (gw_conn_tunnel_move(&conn->client, &conn->cin, origin, &moved, &err) < 0 ||
            gw_conn_tunnel_move(origin, &conn->oin, &conn->client, &moved, &err) < 0) {
                gw_conn_close(conn);
                return;
        }
        if (conn->client.is_eof)
                gw_io_close_write(origin);
        if (origin->is_eof)
                gw_io_close_write(&conn->client);
        if (conn->client.is_eof && origin->is_eof && gw_io_pending_output(&conn->client) == 0 &&
            gw_io_pending_output(origin) == 0) {
                gw_conn_close(conn);
                return;
        }
        if (moved)
                SMT_IGNORE(net_loop_timer_restart(conn->worker->loop, &conn->timer, conn->rt->config.timeouts.websocket_idle_ms,
                                             &err));
}
