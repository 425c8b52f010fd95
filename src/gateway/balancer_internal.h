/* src/gateway/balancer_internal.h: what the balancer's files share (balancer.c: lifecycle, health and
 * the pick coordinator; balancer_algorithms.c: one pick function per weight-driven algorithm;
 * balancer_ring.c: the consistent-hash ring; balancer_cookie.c stands alone). Not an API. */
#ifndef SMT_GATEWAY_BALANCER_INTERNAL_H
#define SMT_GATEWAY_BALANCER_INTERNAL_H

#include <pthread.h>

#include "gateway/balancer.h"

/* Weights are kept in thousandths so that slow start ramps smoothly even for weight 1. */
#define GW_BALANCER_WEIGHT_SCALE 1000

struct gw_balancer_slot {
        struct gw_balancer_server config; /* config.name points at name */
        char name[GW_BALANCER_NAME_MAX];
        bool is_down_by_checks;
        bool is_down_by_failures;
        int64_t down_until_ms; /* while is_down_by_failures */
        bool is_slow_starting;
        int64_t slow_start_since_ms;
        unsigned consecutive_failures;
        uint64_t active, picks, failures;
        bool has_latency;
        double latency_us;      /* EWMA, while has_latency */
        int64_t current_weight; /* smooth weighted round robin */
};

struct gw_balancer_point {
        uint64_t hash;
        uint32_t server;
};

struct gw_balancer_ring {
        struct gw_balancer_point *points; /* sorted by hash, then server */
        size_t num_points;
};

struct gw_balancer {
        pthread_mutex_t lock;
        enum gw_balance_algorithm algorithm;
        struct gw_balancer_slot *slots;
        size_t num;
        bool *is_candidate;               /* per pick, under lock: may serve this request */
        struct gw_balancer_ring rings[2]; /* IP_HASH: [0] primaries, [1] backups */
};

/* --- balancer.c --- */
/* gw_balancer_effective_weight is slot's weight (or 1 when is_unit) in thousandths, scaled by the slow
 * start ramp at now_ms; never below 1 so a server just back still has a (tiny) share. */
int64_t gw_balancer_effective_weight(const struct gw_balancer_slot *slot, bool is_unit, int64_t now_ms);

/* --- balancer_algorithms.c --- */
/* gw_balancer_algorithm_pick chooses among b->is_candidate (at least one set) with b's algorithm; it may
 * clear candidates it ruled out. IP_HASH needs the request's address hash in address_hash. */
size_t gw_balancer_algorithm_pick(struct gw_balancer *b, bool is_backup, uint64_t address_hash, int64_t now_ms);

/* --- balancer_ring.c --- */
/* gw_balancer_hash is a 64-bit hash of len bytes (FNV-1a, then the MurmurHash3 fmix64 finalizer so that
 * keys differing in one byte land far apart on the ring). Unkeyed on purpose: every gateway of a
 * fail-over pair maps a client to the same server. */
uint64_t gw_balancer_hash(const uint8_t *data, size_t len);

/* gw_balancer_address_hash hashes a client address of 4 or 16 bytes, an IPv4-mapped IPv6 address as its
 * IPv4 address. */
uint64_t gw_balancer_address_hash(const uint8_t *address, size_t len);

/* gw_balancer_ring_build places the points of the servers of slots whose is_backup matches; an empty
 * ring when there are none. */
int gw_balancer_ring_build(struct gw_balancer_ring *ring, const struct gw_balancer_slot *slots, size_t num,
                           bool is_backup, struct err *err) SMT_MUST_USE;
void gw_balancer_ring_cleanup(struct gw_balancer_ring *ring);

/* gw_balancer_ring_pick walks clockwise from hash to the first point whose server is a candidate;
 * SIZE_MAX when none is. */
size_t gw_balancer_ring_pick(const struct gw_balancer_ring *ring, const bool *is_candidate, uint64_t hash);

#endif
