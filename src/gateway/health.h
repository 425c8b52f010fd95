/* src/gateway/health.h: active health checks of a set of origin servers, run on one loop with timers.
 *
 * Each target is checked on its own schedule: its first check starts at a random moment within the first
 * interval (so a thousand targets configured together do not all connect in the same millisecond), and
 * each later one interval_ms after the previous check ended (checks of one target never overlap, and a
 * slow target is not checked more often than a fast one). One check is:
 *   TCP   a non-blocking connect, then the TLS handshake when the target is an https origin;
 *   HTTP  the same, then "GET <path> HTTP/1.1" with Host, Connection: close and User-Agent: smtrust-health,
 *         and the response head parsed (http/parser.h, strictly: a malformed head fails the check); its
 *         status must lie in the expected range. Interim 1xx heads are skipped; the body is never read.
 * The whole check (connect, handshake, request, response head) is bounded by timeout_ms; the connection is
 * closed as soon as the outcome is known.
 *
 * State. A target is up or down. Initially up (a fresh gateway serves at once, as HAProxy and nginx do),
 * or down when config.starts_down says so (it must then pass `rise` checks before it is used). An up target
 * goes down after `fall` consecutive failed checks, a down one up after `rise` consecutive passed checks;
 * on each such change on_change(arg, index, is_up, reason) is called, reason (valid during the call) naming
 * the target and the last check's outcome, for a log line: "shop-1: GET /healthz: status 503, expected
 * 200..399 (3 consecutive failures)". A check that changes nothing calls nothing: the load balancer learns
 * only of changes; gw_health_get tells the rest.
 *
 * Threads. Everything, on_change included, runs on the loop's thread (the gateway's main thread); call
 * gw_health_get and gw_health_stop from that thread too (or while the loop is not running). A consumer on
 * other threads (the workers' load balancers) publishes what on_change tells it itself. on_change may call
 * gw_health_get but not gw_health_stop (post the stop with net_loop_post instead). */
#ifndef SMT_GATEWAY_HEALTH_H
#define SMT_GATEWAY_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"
#include "net/loop.h"
#include "net/tls_client.h"

enum gw_health_kind {
        GW_HEALTH_HTTP = 1, /* connect, (TLS), GET path, expect a status in range */
        GW_HEALTH_TCP = 2,  /* connect (and TLS handshake for an https target) */
};

/* Room for a reason or an error text, NUL included (longer ones are cut). */
#define GW_HEALTH_TEXT_MAX 256

/* struct gw_health_config: how every target is checked. Strings are copied by gw_health_start. */
struct gw_health_config {
        enum gw_health_kind kind;
        const char *path; /* HTTP: origin-form target, "/healthz" (VCHAR only); NULL: "/" */
        const char *host; /* HTTP: Host value; NULL: each target's "ip:port" */
        int status_min;   /* HTTP: the expected status range, inclusive: 200..200 for "200 only"; */
        int status_max;   /*       0..0 means 200..399 (2xx and 3xx, HAProxy's httpchk default) */
        int interval_ms;  /* from the end of one check to the start of the next, >= 1 */
        int timeout_ms;   /* one whole check, >= 1 */
        int rise;         /* consecutive passed checks that make a down target up, >= 1 */
        int fall;         /* consecutive failed checks that make an up target down, >= 1 */
        bool starts_down; /* false: every target starts up */
};

/* struct gw_health_target: one server to check. */
struct gw_health_target {
        struct sockaddr_storage addr; /* a resolved TCP address */
        socklen_t addr_len;
        const char *name;                   /* for reasons and errors ("shop-1 127.0.0.1:8080"); copied */
        struct net_tls_client_ctx *tls_ctx; /* https origins: borrowed, must outlive the checks; NULL: plain */
};

/* struct gw_health_state: what gw_health_get reports (metrics, admin API). */
struct gw_health_state {
        bool is_up;
        uint64_t consecutive_ok;   /* passed checks since the last failed one */
        uint64_t consecutive_fail; /* failed checks since the last passed one */
        uint64_t checks_done;      /* checks finished, either way */
        uint64_t checks_failed;
        int64_t last_check_unix_ms;          /* wall clock when the last check ended; 0: none yet */
        int64_t last_duration_ms;            /* how long it took */
        int last_status;                     /* HTTP status of the last check; 0: none (TCP, or no response) */
        char last_error[GW_HEALTH_TEXT_MAX]; /* why the last check failed; "" when it passed or none ran */
};

/* gw_health_change_fn: target index (in the array given to gw_health_start) changed state. */
typedef void (*gw_health_change_fn)(void *arg, size_t index, bool is_up, const char *reason);

struct gw_health;

/* gw_health_start copies config and targets (num >= 1) and schedules every target's first check on loop
 * (borrowed: it must outlive h). SMT_EINVAL names a bad setting (an interval of 0, a path with a space, a
 * status range outside 100..599, an empty address); SMT_ENOMEM. Nothing is left running on failure. */
int gw_health_start(struct gw_health **out, struct net_loop *loop, const struct gw_health_config *config,
                    const struct gw_health_target *targets, size_t num, gw_health_change_fn on_change, void *arg,
                    struct err *err) SMT_MUST_USE;

/* gw_health_stop ends every check in flight (closing its socket), stops the timers and frees h; on_change
 * is never called afterwards. NULL is fine. */
void gw_health_stop(struct gw_health *h);

/* gw_health_get copies target index's state into *out; SMT_EINVAL for an index past the end. */
int gw_health_get(const struct gw_health *h, size_t index, struct gw_health_state *out, struct err *err) SMT_MUST_USE;

/* gw_health_count says how many targets h checks. */
size_t gw_health_count(const struct gw_health *h);

#endif
