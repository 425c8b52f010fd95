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

static void gw_admin_answer(struct gw_admin_conn *c, const struct http_head *head)
{
        struct err err;
        struct buf_reader target = head->target;
        bool is_get = http_parser_token_equals(head->method, "GET") || http_parser_token_equals(head->method, "HEAD");
        struct buf_writer body;
        const char *type = "text/plain; charset=utf-8";
        int status = 200;
        buf_writer_init_heap(&body, GW_ADMIN_OUT_MAX / 2);
        if (is_get && target.len >= 8 && memcmp(target.data, "/metrics", 8) == 0 &&
            (target.len == 8 || target.data[8] == '?')) {
                type = "text/plain; version=0.0.4; charset=utf-8";
                if (gw_metrics_render(c->admin->metrics, &body, &err) < 0 ||
                    (c->admin->upstreams != NULL && c->admin->upstreams(c->admin->upstreams_arg, false, &body, &err) < 0))
                        status = 500;
        } else if (is_get && c->admin->upstreams != NULL && target.len == 10 && memcmp(target.data, "/upstreams", 10) == 0) {
                type = "application/json";
                if (c->admin->upstreams(c->admin->upstreams_arg, true, &body, &err) < 0)
                        status = 500;
        } else if (is_get && target.len == 8 && memcmp(target.data, "/healthz", 8) == 0) {
                SMT_IGNORE(buf_write_bytes(&body, (const uint8_t *)"ok\n", 3));
        } else {
                buf_writer_cleanup(&body);
                SMT_IGNORE(http_writer_error_page(&c->out, is_get ? 404 : 405, "Try /metrics, /healthz or /upstreams.", true, false,
                                             &err));
                return;
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
                   gw_admin_upstreams_fn upstreams, void *upstreams_arg, struct err *err)
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
