/* src/gateway/admin.c: a minimal HTTP/1.1 server for metrics and health: one request per connection. */
#include "gateway/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "http/parser.h"
#include "http/writer.h"
#include "net/address.h"
#include "net/socket.h"

#define GW_ADMIN_HEAD_MAX 8192
#define GW_ADMIN_OUT_MAX  ((size_t)64 << 20)

struct gw_admin_conn {
        struct gw_admin *admin;
        struct net_watcher watcher;
        int fd;
        uint8_t head[GW_ADMIN_HEAD_MAX];
        size_t head_len;
        struct buf_writer out;
        size_t sent;
        bool is_answered;
        struct gw_admin_conn *next;
};

struct gw_admin {
        struct net_loop *loop;
        struct gw_metrics *metrics;
        gw_admin_upstreams_fn upstreams;
        void *upstreams_arg;
        gw_admin_certificates_fn certificates;
        void *certificates_arg;
        int fd;
        struct net_watcher watcher;
        struct gw_admin_conn *conns;
};

static void gw_admin_conn_close(struct gw_admin_conn *c)
{
        struct gw_admin_conn **link = &c->admin->conns;
        while (*link != c)
                link = &(*link)->next;
        *link = c->next;
        net_loop_unwatch(c->admin->loop, &c->watcher);
        close(c->fd);
        buf_writer_cleanup(&c->out);
        free(c);
}

static bool gw_admin_is_path(struct buf_reader target, const char *path)
{
        size_t len = strlen(path);
        return target.len >= len && memcmp(target.data, path, len) == 0 &&
               (target.len == len || target.data[len] == '?');
}

/* The body of a GET to target: its status (0: no such route), content type and bytes. */
static int gw_admin_route(struct gw_admin *admin, struct buf_reader target, const char **type, struct buf_writer *body,
                          struct err *err)
{
        if (gw_admin_is_path(target, "/metrics")) {
                *type = "text/plain; version=0.0.4; charset=utf-8";
                if (gw_metrics_render(admin->metrics, body, err) < 0 ||
                    (admin->upstreams != NULL && admin->upstreams(admin->upstreams_arg, false, body, err) < 0) ||
                    (admin->certificates != NULL && admin->certificates(admin->certificates_arg, false, body, err) < 0))
                        return 500;
                return 200;
        }
        if (gw_admin_is_path(target, "/healthz")) {
                *type = "text/plain; charset=utf-8";
                return buf_write_bytes(body, (const uint8_t *)"ok\n", 3) < 0 ? 500 : 200;
        }
        *type = "application/json";
        if (admin->upstreams != NULL && gw_admin_is_path(target, "/upstreams"))
                return admin->upstreams(admin->upstreams_arg, true, body, err) < 0 ? 500 : 200;
        if (!gw_admin_is_path(target, "/certificates"))
                return 0;
        if (admin->certificates == NULL) {
                static const char none[] = "{\"error\": \"" GW_ADMIN_NO_AUTO_SITES "\"}\n";
                return buf_write_bytes(body, (const uint8_t *)none, sizeof none - 1) < 0 ? 500 : 404;
        }
        return admin->certificates(admin->certificates_arg, true, body, err) < 0 ? 500 : 200;
}

static void gw_admin_answer(struct gw_admin_conn *c, const struct http_head *head)
{
        struct err err = { 0 };
        bool is_get = http_parser_token_equals(head->method, "GET") || http_parser_token_equals(head->method, "HEAD");
        struct buf_writer body;
        const char *type = NULL;
        buf_writer_init_heap(&body, GW_ADMIN_OUT_MAX / 2);
        int status = is_get ? gw_admin_route(c->admin, head->target, &type, &body, &err) : 0;
        if (status == 0) {
                buf_writer_cleanup(&body);
                SMT_IGNORE(http_writer_error_page(&c->out, is_get ? 404 : 405,
                                                  "Try /metrics, /healthz, /upstreams or /certificates.", true, false,
                                                  &err));
                return;
        }
        if (status == 500) { /* what was written may be cut anywhere: say why instead */
                log_warning("admin: %s", err.msg);
                buf_writer_truncate(&body, 0);
                type = "text/plain; charset=utf-8";
                SMT_IGNORE(buf_write_bytes(&body, (const uint8_t *)err.msg, strlen(err.msg)));
                SMT_IGNORE(buf_write_u8(&body, '\n'));
        }
        char fields[256];
        int n = snprintf(fields, sizeof fields,
                         "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
                         "Connection: close\r\n\r\n",
                         status, http_status_reason(status), type, body.len);
        SMT_IGNORE(buf_write_bytes(&c->out, (const uint8_t *)fields, (size_t)n));
        if (http_parser_token_equals(head->method, "GET"))
                SMT_IGNORE(buf_write_bytes(&c->out, body.data, body.len));
        buf_writer_cleanup(&body);
}

static void gw_admin_conn_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)watcher;
        (void)events;
        struct gw_admin_conn *c = arg;
        struct err err;
        if (!c->is_answered) {
                ssize_t n = recv(c->fd, c->head + c->head_len, sizeof c->head - c->head_len, 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n <= 0) {
                        gw_admin_conn_close(c);
                        return;
                }
                c->head_len += (size_t)n;
                struct http_parser parser;
                struct http_head *head = malloc(sizeof *head);
                int status = head == NULL ? SMT_ENOMEM : http_parser_init_request(&parser, NULL, &err);
                if (status == 0)
                        status = http_parser_parse(&parser, head, c->head, c->head_len, &err);
                if (status == SMT_EAGAIN && c->head_len < sizeof c->head) {
                        free(head);
                        return;
                }
                if (status == 0)
                        gw_admin_answer(c, head);
                else
                        SMT_IGNORE(http_writer_error_page(&c->out, 400, "Bad request.", true, false, &err));
                free(head);
                c->is_answered = true;
                if (net_loop_modify(loop, &c->watcher, NET_LOOP_WRITE, &err) < 0) {
                        gw_admin_conn_close(c);
                        return;
                }
        }
        while (c->sent < c->out.len) {
                ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n <= 0)
                        break;
                c->sent += (size_t)n;
        }
        gw_admin_conn_close(c);
}

static void gw_admin_accept_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)events;
        struct gw_admin *admin = arg;
        struct err err;
        int fd;
        char peer[NET_ADDRESS_TEXT_MAX];
        while (net_socket_accept(watcher->fd, &fd, peer, &err) == 0) {
                struct gw_admin_conn *c = calloc(1, sizeof *c);
                if (c == NULL) {
                        close(fd);
                        return;
                }
                c->admin = admin;
                c->fd = fd;
                buf_writer_init_heap(&c->out, GW_ADMIN_OUT_MAX);
                net_watcher_init(&c->watcher, fd, gw_admin_conn_cb, c);
                if (net_loop_watch(loop, &c->watcher, NET_LOOP_READ, &err) < 0) {
                        close(fd);
                        buf_writer_cleanup(&c->out);
                        free(c);
                        continue;
                }
                c->next = admin->conns;
                admin->conns = c;
        }
}

int gw_admin_start(struct gw_admin **out, struct net_loop *loop, const char *listen, struct gw_metrics *metrics,
                   gw_admin_upstreams_fn upstreams, void *upstreams_arg, gw_admin_certificates_fn certificates,
                   void *certificates_arg, struct err *err)
{
        struct net_address address;
        TRY(net_address_parse(&address, listen, 0, err));
        struct gw_admin *admin = calloc(1, sizeof *admin);
        if (admin == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        admin->loop = loop;
        admin->metrics = metrics;
        admin->upstreams = upstreams;
        admin->upstreams_arg = upstreams_arg;
        admin->certificates = certificates;
        admin->certificates_arg = certificates_arg;
        int status = net_socket_listen(&admin->fd, &address, 64, err);
        if (status < 0) {
                free(admin);
                return status;
        }
        net_watcher_init(&admin->watcher, admin->fd, gw_admin_accept_cb, admin);
        status = net_loop_watch(loop, &admin->watcher, NET_LOOP_READ, err);
        if (status < 0) {
                close(admin->fd);
                free(admin);
                return status;
        }
        *out = admin;
        return SMT_OK;
}

void gw_admin_set_certificates(struct gw_admin *admin, gw_admin_certificates_fn certificates, void *certificates_arg)
{
        admin->certificates = certificates;
        admin->certificates_arg = certificates_arg;
}

void gw_admin_stop(struct gw_admin *admin)
{
        if (admin == NULL)
                return;
        while (admin->conns != NULL)
                gw_admin_conn_close(admin->conns);
        net_loop_unwatch(admin->loop, &admin->watcher);
        close(admin->fd);
        free(admin);
}
