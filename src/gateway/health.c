/* src/gateway/health.c: active health checks (see health.h).
 *
 * One struct gw_health_check per target holds its schedule, the check in flight and its state. A target
 * has one timer: while idle it starts the next check, while a check runs it is that check's deadline, so
 * a check ends exactly once, by its outcome or by the deadline, and the next is armed from there. */
#include "gateway/health.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/random.h"
#include "gateway/io.h"
#include "http/parser.h"
#include "net/address.h"
#include "net/socket.h"

/* A health endpoint answers with a small head; a bigger one is refused rather than buffered. */
#define GW_HEALTH_HEAD_MAX        (8 * 1024)
#define GW_HEALTH_STATUS_LINE_MAX (2 * 1024)
#define GW_HEALTH_PATH_MAX        1024
/* 2xx and 3xx pass unless configured otherwise (HAProxy's "option httpchk" default). */
#define GW_HEALTH_STATUS_MIN_DEFAULT 200
#define GW_HEALTH_STATUS_MAX_DEFAULT 399

enum gw_health_phase {
        GW_HEALTH_IDLE = 1,    /* waiting for the timer to start the next check */
        GW_HEALTH_CONNECTING,  /* the non-blocking connect is in progress */
        GW_HEALTH_HANDSHAKING, /* connected; the TLS handshake runs (a no-op for plain targets) */
        GW_HEALTH_EXCHANGING,  /* the request is queued; reading the response head */
};

struct gw_health_check {
        struct gw_health *health;
        size_t index;
        struct sockaddr_storage addr;
        socklen_t addr_len;
        char addr_text[NET_ADDRESS_TEXT_MAX];
        char *name;
        char *request; /* HTTP: the whole request, Host included */
        size_t request_len;
        struct net_tls_client_ctx *tls_ctx;
        struct net_timer timer;
        enum gw_health_phase phase;
        struct gw_io io;            /* open while phase is not IDLE */
        struct buf_writer response; /* response bytes so far, from the start of the current head */
        struct http_parser parser;
        int64_t started_ms;
        int status_seen; /* the final status of the check in flight, 0 until its head was parsed */
        bool is_secured; /* the check in flight finished its TLS handshake */
        struct gw_health_state state;
};

struct gw_health {
        struct net_loop *loop;
        enum gw_health_kind kind;
        char *path;
        int status_min, status_max;
        int interval_ms, timeout_ms;
        uint64_t rise, fall;
        gw_health_change_fn on_change;
        void *arg;
        size_t num_checks;
        struct gw_health_check *checks;
};

static void gw_health_timer_cb(struct net_loop *loop, struct net_timer *timer, void *arg);
static void gw_health_io_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg);

/* --- configuration --- */

/* gw_health_text_is_vchar: every byte visible ASCII (RFC 5234 VCHAR), so no space, CR or LF can split
 * the request line or a field line. */
static bool gw_health_text_is_vchar(const char *text)
{
        for (const char *p = text; *p != '\0'; p++)
                if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
                        return false;
        return true;
}

static int gw_health_config_check_http(const struct gw_health_config *config, struct err *err)
{
        const char *path = config->path != NULL ? config->path : "/";
        if (path[0] != '/' || strlen(path) > GW_HEALTH_PATH_MAX || !gw_health_text_is_vchar(path) ||
            strchr(path, '#') != NULL)
                return SMT_ERR(err, SMT_EINVAL,
                               "health check: path \"%.64s\", expected \"/...\" of visible ASCII without '#', at "
                               "most %d bytes",
                               path, GW_HEALTH_PATH_MAX);
        if (config->host != NULL && (config->host[0] == '\0' || strlen(config->host) >= NET_ADDRESS_TEXT_MAX ||
                                     !gw_health_text_is_vchar(config->host)))
                return SMT_ERR(err, SMT_EINVAL, "health check: host \"%.64s\", expected a host[:port] value",
                               config->host);
        bool is_default = config->status_min == 0 && config->status_max == 0;
        if (!is_default &&
            (config->status_min < 100 || config->status_max > 599 || config->status_min > config->status_max))
                return SMT_ERR(err, SMT_EINVAL,
                               "health check: expected status %d..%d, expected a range within 100..599",
                               config->status_min, config->status_max);
        return SMT_OK;
}

static int gw_health_config_check(const struct gw_health_config *config, size_t num, struct err *err)
{
        if (config->kind != GW_HEALTH_HTTP && config->kind != GW_HEALTH_TCP)
                return SMT_ERR(err, SMT_EINVAL, "health check: kind %d, expected HTTP (%d) or TCP (%d)",
                               (int)config->kind, GW_HEALTH_HTTP, GW_HEALTH_TCP);
        if (config->interval_ms < 1 || config->timeout_ms < 1)
                return SMT_ERR(err, SMT_EINVAL, "health check: interval_ms %d, timeout_ms %d, expected both >= 1",
                               config->interval_ms, config->timeout_ms);
        if (config->rise < 1 || config->fall < 1)
                return SMT_ERR(err, SMT_EINVAL, "health check: rise %d, fall %d, expected both >= 1", config->rise,
                               config->fall);
        if (num == 0)
                return SMT_ERR(err, SMT_EINVAL, "health check: no targets");
        return config->kind == GW_HEALTH_HTTP ? gw_health_config_check_http(config, err) : SMT_OK;
}

/* gw_health_check_init copies target into check and writes its request (the Host may be its address). */
static int gw_health_check_init(struct gw_health_check *check, const struct gw_health_config *config,
                                const struct gw_health_target *target, struct err *err)
{
        check->io.fd = -1;
        check->phase = GW_HEALTH_IDLE;
        if (target->addr_len == 0 || target->addr_len > sizeof check->addr)
                return SMT_ERR(err, SMT_EINVAL, "health check: target %zu: address of %u bytes, expected 1..%zu",
                               check->index, (unsigned)target->addr_len, sizeof check->addr);
        memcpy(&check->addr, &target->addr, target->addr_len);
        check->addr_len = target->addr_len;
        net_address_format_sockaddr(check->addr_text, (const struct sockaddr *)&check->addr, check->addr_len);
        check->tls_ctx = target->tls_ctx;
        check->name = strdup(target->name != NULL ? target->name : check->addr_text);
        if (check->name == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for health check names");
        check->state.is_up = !config->starts_down;
        if (config->kind != GW_HEALTH_HTTP)
                return SMT_OK;
        const char *host = config->host != NULL ? config->host : check->addr_text;
        int len = asprintf(&check->request,
                           "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: smtrust-health\r\n\r\n",
                           check->health->path, host);
        if (len < 0) {
                check->request = NULL;
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for health check requests");
        }
        check->request_len = (size_t)len;
        return SMT_OK;
}

/* --- one check --- */

static int64_t gw_health_unix_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* gw_health_format writes a text cut to fit (reasons and errors are for people; the end may go). */
static void SMT_PRINTF(3, 4) gw_health_format(char *out, size_t cap, const char *fmt, ...)
{
        va_list args;
        va_start(args, fmt);
        vsnprintf(out, cap, fmt, args);
        va_end(args);
}

static const char *gw_health_phase_text(enum gw_health_phase phase)
{
        switch (phase) {
        case GW_HEALTH_IDLE:
                return "idle";
        case GW_HEALTH_CONNECTING:
                return "connecting";
        case GW_HEALTH_HANDSHAKING:
                return "in the TLS handshake";
        case GW_HEALTH_EXCHANGING:
                return "waiting for the response head";
        }
        return "?";
}

/* gw_health_close ends the connection of the check in flight; a finished TLS session gets its
 * close_notify first, so the origin does not log a truncated connection for every check. */
static void gw_health_close(struct gw_health_check *check)
{
        if (check->phase == GW_HEALTH_IDLE)
                return;
        if (check->io.kind == GW_IO_TLS_CLIENT && check->is_secured)
                gw_io_close_write(&check->io);
        gw_io_cleanup(&check->io, check->health->loop);
        check->io.fd = -1;
        buf_writer_cleanup(&check->response);
        check->phase = GW_HEALTH_IDLE;
}

/* gw_health_record counts the outcome and says whether the target changed state, with the reason. */
static bool gw_health_record(struct gw_health_check *check, bool is_ok, const char *outcome, char *reason,
                             size_t reason_cap)
{
        struct gw_health *h = check->health;
        struct gw_health_state *s = &check->state;
        s->checks_done++;
        s->last_check_unix_ms = gw_health_unix_ms();
        s->last_duration_ms = net_loop_now_ms(h->loop) - check->started_ms;
        s->last_status = check->status_seen;
        gw_health_format(s->last_error, sizeof s->last_error, "%s", is_ok ? "" : outcome);
        if (is_ok) {
                s->consecutive_ok++;
                s->consecutive_fail = 0;
        } else {
                s->checks_failed++;
                s->consecutive_fail++;
                s->consecutive_ok = 0;
        }
        bool changed = is_ok ? !s->is_up && s->consecutive_ok >= h->rise : s->is_up && s->consecutive_fail >= h->fall;
        if (!changed)
                return false;
        s->is_up = is_ok;
        gw_health_format(reason, reason_cap, "%s: %s (%llu consecutive %s)", check->name, outcome,
                         (unsigned long long)(is_ok ? s->consecutive_ok : s->consecutive_fail),
                         is_ok ? "successes" : "failures");
        return true;
}

/* gw_health_finish ends the check in flight with status (0 passed, else failed with err's message),
 * arms the next one and reports a change of state. on_change is the last thing done: the target is
 * not touched after it. */
static void gw_health_finish(struct gw_health_check *check, int status, struct err *err)
{
        struct gw_health *h = check->health;
        char outcome[GW_HEALTH_TEXT_MAX], reason[GW_HEALTH_TEXT_MAX];
        if (status == 0 && h->kind == GW_HEALTH_HTTP)
                gw_health_format(outcome, sizeof outcome, "GET %s: status %d", h->path, check->status_seen);
        else if (status == 0)
                gw_health_format(outcome, sizeof outcome, "%s: connected%s", check->addr_text,
                                 check->is_secured ? ", TLS handshake done" : "");
        else
                gw_health_format(outcome, sizeof outcome, "%s", err->msg[0] != '\0' ? err->msg : err_name(status));
        gw_health_close(check);
        bool changed = gw_health_record(check, status == 0, outcome, reason, sizeof reason);
        struct err timer_err = {0};
        if (net_loop_timer_start(h->loop, &check->timer, h->interval_ms, gw_health_timer_cb, check, &timer_err) < 0)
                gw_health_format(check->state.last_error, sizeof check->state.last_error, "no further checks: %s",
                                 timer_err.msg);
        if (changed)
                h->on_change(h->arg, check->index, check->state.is_up, reason);
}

/* gw_health_parse judges the response head: 0 when its status is expected, SMT_EAGAIN when the head is
 * not whole yet, else the failure. An interim 1xx head (103 Early Hints) is dropped and the next parsed. */
static int gw_health_parse(struct gw_health_check *check, struct err *err)
{
        struct gw_health *h = check->health;
        struct http_head head;
        for (;;) {
                int status = http_parser_parse(&check->parser, &head, check->response.data, check->response.len, err);
                if (status == SMT_EAGAIN)
                        return status;
                if (status < 0)
                        return err_prefix(err, "GET %s: response", h->path);
                if (head.status >= 200)
                        break;
                buf_writer_drop_front(&check->response, head.head_len);
                struct http_limits limits = check->parser.limits;
                TRY(http_parser_init_response(&check->parser, &limits, buf_reader_make((const uint8_t *)"GET", 3),
                                              err));
        }
        check->status_seen = head.status;
        if (head.status >= h->status_min && head.status <= h->status_max)
                return SMT_OK;
        if (h->status_min == h->status_max)
                return SMT_ERR(err, SMT_EIO, "GET %s: status %d, expected %d", h->path, head.status, h->status_min);
        return SMT_ERR(err, SMT_EIO, "GET %s: status %d, expected %d..%d", h->path, head.status, h->status_min,
                       h->status_max);
}

static int gw_health_exchange(struct gw_health_check *check, struct err *err)
{
        int status = gw_io_flush(&check->io, err);
        if (status < 0 && status != SMT_EAGAIN)
                return status;
        status = gw_io_receive(&check->io, &check->response, GW_HEALTH_HEAD_MAX + 1, err);
        if (status < 0 && status != SMT_EAGAIN)
                return status;
        status = gw_health_parse(check, err);
        if (status == SMT_EAGAIN && check->io.is_eof)
                return SMT_ERR(err, SMT_EIO,
                               "GET %s: the connection was closed after %zu bytes, before a whole "
                               "response head",
                               check->health->path, check->response.len);
        return status;
}

/* gw_health_run moves the check in flight as far as the socket allows: 0 passed, SMT_EAGAIN waiting,
 * another status failed. */
static int gw_health_run(struct gw_health_check *check, unsigned events, struct err *err)
{
        if (check->phase == GW_HEALTH_CONNECTING) {
                if ((events & (NET_LOOP_WRITE | NET_LOOP_ERROR | NET_LOOP_HANGUP)) == 0)
                        return SMT_EAGAIN;
                if (net_socket_connect_result(check->io.fd, err) < 0)
                        return err_prefix(err, "%s", check->addr_text);
                check->phase = GW_HEALTH_HANDSHAKING;
        }
        if (check->phase == GW_HEALTH_HANDSHAKING) {
                int status = gw_io_handshake(&check->io, err);
                if (status < 0 && status != SMT_EAGAIN)
                        return err_prefix(err, "%s: TLS handshake", check->addr_text);
                if (status < 0)
                        return status;
                check->is_secured = check->io.kind == GW_IO_TLS_CLIENT;
                if (check->health->kind == GW_HEALTH_TCP)
                        return SMT_OK;
                TRY(gw_io_send(&check->io, (const uint8_t *)check->request, check->request_len, err));
                check->phase = GW_HEALTH_EXCHANGING;
        }
        return gw_health_exchange(check, err);
}

/* gw_health_watch asks the loop for what the check waits on: writability while connecting, else
 * readability, and writability while output is queued. */
static int gw_health_watch(struct gw_health_check *check, struct err *err)
{
        struct net_loop *loop = check->health->loop;
        if (check->phase != GW_HEALTH_CONNECTING)
                return gw_io_watch(&check->io, loop, true, err);
        if (check->io.watcher.is_watched)
                return net_loop_modify(loop, &check->io.watcher, NET_LOOP_WRITE, err);
        return net_loop_watch(loop, &check->io.watcher, NET_LOOP_WRITE, err);
}

static void gw_health_advance(struct gw_health_check *check, unsigned events)
{
        struct err err = {0};
        int status = gw_health_run(check, events, &err);
        if (status == SMT_EAGAIN) {
                status = gw_health_watch(check, &err);
                if (status == 0)
                        return;
        }
        gw_health_finish(check, status, &err);
}

static void gw_health_io_cb(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)loop;
        (void)watcher;
        gw_health_advance(arg, events);
}

/* gw_health_begin starts a check: the connect, the deadline, and whatever can be done at once. */
static void gw_health_begin(struct gw_health_check *check)
{
        struct gw_health *h = check->health;
        struct err err = {0};
        int fd = -1;
        check->started_ms = net_loop_now_ms(h->loop);
        check->status_seen = 0;
        check->is_secured = false;
        int status = net_socket_connect(&fd, (const struct sockaddr *)&check->addr, check->addr_len, &err);
        if (status < 0 && status != SMT_EAGAIN) {
                gw_health_finish(check, status, &err);
                return;
        }
        gw_io_init(&check->io, fd, gw_health_io_cb, check);
        buf_writer_init_heap(&check->response, GW_HEALTH_HEAD_MAX + 1);
        check->phase = status == SMT_EAGAIN ? GW_HEALTH_CONNECTING : GW_HEALTH_HANDSHAKING;
        struct http_limits limits;
        http_parser_limits_default(&limits);
        limits.max_head_len = GW_HEALTH_HEAD_MAX;
        limits.max_start_line_len = GW_HEALTH_STATUS_LINE_MAX;
        status = http_parser_init_response(&check->parser, &limits, buf_reader_make((const uint8_t *)"GET", 3), &err);
        if (status == 0 && check->tls_ctx != NULL) {
                check->io.kind = GW_IO_TLS_CLIENT;
                status = net_tls_client_new(&check->io.tls, check->tls_ctx, &err);
        }
        if (status == 0)
                status = net_loop_timer_start(h->loop, &check->timer, h->timeout_ms, gw_health_timer_cb, check, &err);
        if (status < 0) {
                gw_health_finish(check, status, &err);
                return;
        }
        gw_health_advance(check, 0);
}

static void gw_health_timer_cb(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        struct gw_health_check *check = arg;
        if (check->phase == GW_HEALTH_IDLE) {
                gw_health_begin(check);
                return;
        }
        struct err err = {0};
        int status = SMT_ERR(&err, SMT_EIO, "%s: timed out after %d ms %s", check->addr_text, check->health->timeout_ms,
                             gw_health_phase_text(check->phase));
        gw_health_finish(check, status, &err);
}

/* --- the set --- */

/* gw_health_first_delay spreads first checks uniformly over one interval. */
static int gw_health_first_delay(const struct gw_health *h, int64_t *delay, struct err *err)
{
        uint8_t bytes[4];
        TRY(random_bytes(bytes, sizeof bytes, err));
        uint32_t r = (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
        *delay = (int64_t)(r % (uint32_t)h->interval_ms);
        return SMT_OK;
}

static int gw_health_copy_config(struct gw_health *h, const struct gw_health_config *config, struct err *err)
{
        bool is_default = config->status_min == 0 && config->status_max == 0;
        h->kind = config->kind;
        h->status_min = is_default ? GW_HEALTH_STATUS_MIN_DEFAULT : config->status_min;
        h->status_max = is_default ? GW_HEALTH_STATUS_MAX_DEFAULT : config->status_max;
        h->interval_ms = config->interval_ms;
        h->timeout_ms = config->timeout_ms;
        h->rise = (uint64_t)config->rise;
        h->fall = (uint64_t)config->fall;
        h->path = strdup(config->path != NULL ? config->path : "/");
        if (h->path == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for the health check path");
        return SMT_OK;
}

int gw_health_start(struct gw_health **out, struct net_loop *loop, const struct gw_health_config *config,
                    const struct gw_health_target *targets, size_t num, gw_health_change_fn on_change, void *arg,
                    struct err *err)
{
        *out = NULL;
        if (on_change == NULL)
                return SMT_ERR(err, SMT_EINVAL, "health check: no on_change callback");
        TRY(gw_health_config_check(config, num, err));
        struct gw_health *h = calloc(1, sizeof *h);
        if (h == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for health checks");
        h->loop = loop;
        h->on_change = on_change;
        h->arg = arg;
        int status = gw_health_copy_config(h, config, err);
        h->checks = status == 0 ? calloc(num, sizeof *h->checks) : NULL;
        if (status == 0 && h->checks == NULL)
                status = SMT_ERR(err, SMT_ENOMEM, "out of memory for %zu health checks", num);
        for (size_t i = 0; status == 0 && i < num; i++) {
                h->num_checks = i + 1;
                h->checks[i].health = h;
                h->checks[i].index = i;
                status = gw_health_check_init(&h->checks[i], config, &targets[i], err);
        }
        for (size_t i = 0; status == 0 && i < num; i++) {
                int64_t delay = 0;
                status = gw_health_first_delay(h, &delay, err);
                if (status == 0)
                        status = net_loop_timer_start(loop, &h->checks[i].timer, delay, gw_health_timer_cb,
                                                      &h->checks[i], err);
        }
        if (status < 0) {
                gw_health_stop(h);
                return status;
        }
        *out = h;
        return SMT_OK;
}

void gw_health_stop(struct gw_health *h)
{
        if (h == NULL)
                return;
        for (size_t i = 0; i < h->num_checks; i++) {
                struct gw_health_check *check = &h->checks[i];
                net_loop_timer_stop(h->loop, &check->timer);
                gw_health_close(check);
                free(check->name);
                free(check->request);
        }
        free(h->checks);
        free(h->path);
        free(h);
}

int gw_health_get(const struct gw_health *h, size_t index, struct gw_health_state *out, struct err *err)
{
        if (index >= h->num_checks)
                return SMT_ERR(err, SMT_EINVAL, "health check: target %zu, expected below %zu", index, h->num_checks);
        *out = h->checks[index].state;
        return SMT_OK;
}

size_t gw_health_count(const struct gw_health *h)
{
        return h->num_checks;
}
