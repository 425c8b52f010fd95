/* src/gateway/balancer.h: the load balancer of one upstream group: which server a request goes to, and
 * what the group knows about its servers' health. Pure state, no I/O: time comes in as now_ms (a
 * monotonic clock in milliseconds) and results go out as indexes into the caller's server list.
 *
 * Algorithms (enum gw_balance_algorithm):
 *   ROUND_ROBIN        each usable server in turn, weights ignored (slow start still ramps a share).
 *   WEIGHTED           smooth weighted round robin as nginx has it: every pick adds each server's
 *                      effective weight to its current weight, takes the largest current weight (the
 *                      first on a tie) and subtracts the total from it; {5,1,1} gives a a b a c a a.
 *   LEAST_CONNECTIONS  the least active/weight (connections per unit of weight); ties by WEIGHTED among
 *                      the tied servers, so idle servers share requests by weight.
 *   RESPONSE_TIME      the least expected wait: EWMA latency x (active + 1) / weight, the EWMA with
 *                      alpha 1/8 (the smoothing of RFC 6298 §2.3) over successful requests; ties by fewer
 *                      active connections, then WEIGHTED. A server with no sample yet counts as fast
 *                      as the fastest measured one. Multiplying by active + 1 is what stops every
 *                      request sent between two reports from going to the one fastest server.
 *   IP_HASH            a consistent-hash ring keyed by the client address: ~160 points per server of
 *                      average weight (points scale with weight), placed by hashing the server's name,
 *                      so a ring does not depend on server order. A client walks clockwise to the first
 *                      usable server: a server down or removed moves only its own clients (about 1/N).
 *                      An IPv4-mapped IPv6 address hashes as the IPv4 one. Slow start does not apply
 *                      (a client's server is fixed by the ring, not by weights).
 *
 * Health. A server is up, or down because active health checks said so (gw_balancer_set_up; it stays
 * down until they say up), or down after max_fails consecutive failed requests (passive; down until
 * fail_timeout_ms have passed, then tried again: it comes back in slow start with its failure count at
 * max_fails - 1, so one more failure takes it down again and one success clears the count). Coming back
 * up either way starts slow start: its effective weight grows linearly from ~0 to its weight over
 * slow_start_ms, and its latency EWMA starts over. Servers start up at full weight.
 *
 * Backups receive requests only when no primary is usable, a primary being usable when it is up and not
 * excluded by the request (servers already tried for it). Session persistence: a request naming a
 * persisted server gets that server while it is up and not excluded (and, for a backup, while no primary
 * is usable); a persisted index beyond the list (a cookie from an older configuration) is ignored.
 *
 * Thread safety: one mutex per balancer, held for the whole of pick, started, finished, set_up and
 * get_state (a pick is O(servers), or O(log points) for IP_HASH), so worker threads, a health checker
 * and the admin API may call them at once.
 * gw_balancer_count reads what never changes; new and free are not concurrent with anything. */
#ifndef SMT_GATEWAY_BALANCER_H
#define SMT_GATEWAY_BALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GW_BALANCER_SERVERS_MAX 1024
#define GW_BALANCER_WEIGHT_MAX  1000
#define GW_BALANCER_NAME_MAX    256            /* bytes of a server name, with its NUL */
#define GW_BALANCER_TIME_MAX_MS (86400 * 1000) /* fail_timeout_ms and slow_start_ms: one day at most */

enum gw_balance_algorithm {
        GW_BALANCE_ROUND_ROBIN = 1,
        GW_BALANCE_WEIGHTED = 2,
        GW_BALANCE_LEAST_CONNECTIONS = 3,
        GW_BALANCE_RESPONSE_TIME = 4,
        GW_BALANCE_IP_HASH = 5,
};

/* struct gw_balancer_server: one server as configured. */
struct gw_balancer_server {
        const char *name; /* unique in the group ("10.0.0.7:8080"); places its ring points; copied */
        unsigned weight;  /* 1..GW_BALANCER_WEIGHT_MAX */
        bool is_backup;
        unsigned max_fails;      /* consecutive failures that mark it down; 0: passive checks off */
        int64_t fail_timeout_ms; /* how long it stays down then; 1..GW_BALANCER_TIME_MAX_MS if max_fails */
        int64_t slow_start_ms;   /* 0 (off) ..GW_BALANCER_TIME_MAX_MS */
};

/* struct gw_balancer_request: what one pick knows of its request. */
struct gw_balancer_request {
        const uint8_t *address; /* the client's IP address, network order: 4 or 16 bytes (IP_HASH only) */
        size_t address_len;
        size_t persisted;       /* the server a cookie or table names, SIZE_MAX: none */
        const size_t *excluded; /* servers already tried for this request (retries), each < num servers */
        size_t num_excluded;
        int64_t now_ms;
};

enum gw_balancer_health {
        GW_BALANCER_UP = 1,
        GW_BALANCER_SLOW_START = 2,    /* up, effective weight still ramping */
        GW_BALANCER_DOWN_FAILURES = 3, /* passive: until down_until_ms */
        GW_BALANCER_DOWN_CHECKS = 4,   /* active checks said down (reported even when failures did too) */
};

/* struct gw_balancer_state: one server now, for metrics and the admin API. */
struct gw_balancer_state {
        enum gw_balancer_health health;
        int64_t down_until_ms; /* DOWN_FAILURES: when it is tried again; else 0 */
        uint64_t active;       /* started and not finished */
        uint64_t picks;        /* times pick chose it */
        uint64_t failures;     /* failed requests reported, in all */
        unsigned consecutive_failures;
        int64_t latency_us;      /* EWMA of successful requests; -1: no sample since (re)start */
        double effective_weight; /* 0 while down; weight x slow-start ramp */
};

struct gw_balancer;

/* gw_balancer_new makes a balancer over num servers (1..GW_BALANCER_SERVERS_MAX, at least one primary;
 * names unique and non-empty), all up. servers is copied. SMT_EINVAL names the first bad server. */
int gw_balancer_new(struct gw_balancer **out, const struct gw_balancer_server *servers, size_t num,
                    enum gw_balance_algorithm algorithm, struct err *err) SMT_MUST_USE;

void gw_balancer_free(struct gw_balancer *b);

/* gw_balancer_pick chooses a server for req into *server and counts the pick. GW_ENO_SERVER when no
 * server is usable: every server is down, or every one up was excluded. The proxy answers 503 when the
 * request tried no server yet (num_excluded 0) and 502 after a failed try (the last failure stands).
 * SMT_EINVAL for an excluded index out of range, or IP_HASH with an address not 4 or 16 bytes. */
int gw_balancer_pick(struct gw_balancer *b, const struct gw_balancer_request *req, size_t *server,
                     struct err *err) SMT_MUST_USE;

/* gw_balancer_started counts a request now active on server (after the proxy chose it). */
int gw_balancer_started(struct gw_balancer *b, size_t server, struct err *err) SMT_MUST_USE;

/* gw_balancer_finished ends a started request: ok or failed (no connection, or no valid response),
 * latency_us from sending to the response head (< 0: unknown; only successes feed the EWMA). A failure
 * counts toward max_fails; a success clears the consecutive count. SMT_EINVAL when server is out of
 * range or has no active request. */
int gw_balancer_finished(struct gw_balancer *b, size_t server, bool ok, int64_t latency_us, int64_t now_ms,
                         struct err *err) SMT_MUST_USE;

/* gw_balancer_set_up records an active health check's verdict. Only a change does something: down
 * keeps the server out until a later up; up clears its failures and starts slow start at now_ms. */
int gw_balancer_set_up(struct gw_balancer *b, size_t server, bool up, int64_t now_ms, struct err *err) SMT_MUST_USE;

/* gw_balancer_get_state fills out with server's state at now_ms. */
int gw_balancer_get_state(struct gw_balancer *b, size_t server, int64_t now_ms, struct gw_balancer_state *out,
                          struct err *err) SMT_MUST_USE;

size_t gw_balancer_count(const struct gw_balancer *b);

/* Session persistence cookie value: "<index>.<tag>", index in decimal without leading zeros, tag 32
 * lowercase hex digits: HMAC-SHA256(key, "smtrust balancer cookie v1" || 0x00 || index as 4 bytes big
 * endian) cut to its first 16 bytes (RFC 2104 §5 allows keeping the leftmost half), for example
 * "3.0123456789abcdef0123456789abcdef". A client can replay a value but not make one for another
 * server. Use one random key per upstream group, and a new key when its server list changes, so old
 * cookies stop naming servers that moved. */
#define GW_BALANCER_COOKIE_KEY_LEN 32
#define GW_BALANCER_COOKIE_MAX     40 /* 4 digits, '.', 32 hex digits, NUL, with room */

/* gw_balancer_cookie_make writes the NUL-terminated value naming server (< GW_BALANCER_SERVERS_MAX). */
int gw_balancer_cookie_make(const uint8_t key[GW_BALANCER_COOKIE_KEY_LEN], size_t server,
                            char out[GW_BALANCER_COOKIE_MAX], struct err *err) SMT_MUST_USE;

/* gw_balancer_cookie_parse reads a value (text_len bytes, as the Cookie header has it) into *server:
 * SMT_EDECODE when it is not exactly the format above, CRYPTO_EVERIFY when its tag is not key's (the
 * comparison takes the same time wherever the tags differ). */
int gw_balancer_cookie_parse(const uint8_t key[GW_BALANCER_COOKIE_KEY_LEN], const char *text, size_t text_len,
                             size_t *server, struct err *err) SMT_MUST_USE;

#endif
