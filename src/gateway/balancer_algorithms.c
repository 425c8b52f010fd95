/* src/gateway/balancer_algorithms.c: one pick function per algorithm, each choosing among the servers
 * balancer.c marked as candidates (usable, not excluded, of one group), with the lock held.
 *
 * The weight-driven ones end in smooth weighted round robin (as nginx's ngx_http_upstream_get_peer in
 * src/http/ngx_http_upstream_round_robin.c does it, with slow start in place of its effective_weight):
 * least connections and response time first narrow the candidates to the tied best, then share the
 * tie by weight, so with every server idle they spread requests exactly as WEIGHTED would. */
#include "gateway/balancer_internal.h"

/* balancer_weighted: smooth WRR over the candidates; is_unit treats every weight as 1 (ROUND_ROBIN). */
static size_t balancer_weighted(struct gw_balancer *b, bool is_unit, int64_t now_ms)
{
        int64_t total = 0;
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < b->num; i++) {
                if (!b->is_candidate[i])
                        continue;
                struct gw_balancer_slot *slot = &b->slots[i];
                int64_t weight = gw_balancer_effective_weight(slot, is_unit, now_ms);
                slot->current_weight += weight;
                total += weight;
                if (best == SIZE_MAX || slot->current_weight > b->slots[best].current_weight)
                        best = i;
        }
        if (best != SIZE_MAX)
                b->slots[best].current_weight -= total;
        return best;
}

/* balancer_compare_load orders active / weight of servers x and y (-1, 0, 1) without dividing. */
static int balancer_compare_load(const struct gw_balancer *b, size_t x, size_t y, int64_t now_ms)
{
        const struct gw_balancer_slot *a = &b->slots[x], *c = &b->slots[y];
        uint64_t left = a->active * (uint64_t)gw_balancer_effective_weight(c, false, now_ms);
        uint64_t right = c->active * (uint64_t)gw_balancer_effective_weight(a, false, now_ms);
        return left < right ? -1 : left > right ? 1 : 0;
}

static size_t balancer_least_connections(struct gw_balancer *b, int64_t now_ms)
{
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < b->num; i++) {
                if (b->is_candidate[i] && (best == SIZE_MAX || balancer_compare_load(b, i, best, now_ms) < 0))
                        best = i;
        }
        for (size_t i = 0; i < b->num; i++) {
                if (b->is_candidate[i] && balancer_compare_load(b, i, best, now_ms) != 0)
                        b->is_candidate[i] = false;
        }
        return balancer_weighted(b, false, now_ms);
}

/* balancer_expected_wait is latency x (active + 1) / weight: how long a request sent now would take if
 * the server worked through its requests one after another; an unmeasured server has unmeasured_us. */
static double balancer_expected_wait(const struct gw_balancer_slot *slot, double unmeasured_us, int64_t now_ms)
{
        double latency = slot->has_latency ? slot->latency_us : unmeasured_us;
        double weight = (double)gw_balancer_effective_weight(slot, false, now_ms);
        return latency * (double)(slot->active + 1) / weight;
}

/* balancer_fastest_latency is the least EWMA among the candidates, or 1 µs when none is measured. */
static double balancer_fastest_latency(const struct gw_balancer *b)
{
        double fastest = -1;
        for (size_t i = 0; i < b->num; i++) {
                const struct gw_balancer_slot *slot = &b->slots[i];
                if (b->is_candidate[i] && slot->has_latency && (fastest < 0 || slot->latency_us < fastest))
                        fastest = slot->latency_us;
        }
        /* Never 0: a server measured at 0 µs would otherwise tie every other whatever its load. */
        return fastest < 1 ? 1 : fastest;
}

static size_t balancer_response_time(struct gw_balancer *b, int64_t now_ms)
{
        double unmeasured_us = balancer_fastest_latency(b);
        size_t best = SIZE_MAX;
        double best_wait = 0;
        for (size_t i = 0; i < b->num; i++) {
                if (!b->is_candidate[i])
                        continue;
                double wait = balancer_expected_wait(&b->slots[i], unmeasured_us, now_ms);
                if (best == SIZE_MAX || wait < best_wait ||
                    (wait == best_wait && b->slots[i].active < b->slots[best].active)) {
                        best = i;
                        best_wait = wait;
                }
        }
        uint64_t best_active = b->slots[best].active;
        for (size_t i = 0; i < b->num; i++) {
                if (!b->is_candidate[i])
                        continue;
                double wait = balancer_expected_wait(&b->slots[i], unmeasured_us, now_ms);
                if (wait != best_wait || b->slots[i].active != best_active)
                        b->is_candidate[i] = false;
        }
        return balancer_weighted(b, false, now_ms);
}

size_t gw_balancer_algorithm_pick(struct gw_balancer *b, bool is_backup, uint64_t address_hash, int64_t now_ms)
{
        switch (b->algorithm) {
        case GW_BALANCE_ROUND_ROBIN:
                return balancer_weighted(b, true, now_ms);
        case GW_BALANCE_WEIGHTED:
                return balancer_weighted(b, false, now_ms);
        case GW_BALANCE_LEAST_CONNECTIONS:
                return balancer_least_connections(b, now_ms);
        case GW_BALANCE_RESPONSE_TIME:
                return balancer_response_time(b, now_ms);
        case GW_BALANCE_IP_HASH:
                return gw_balancer_ring_pick(&b->rings[is_backup ? 1 : 0], b->is_candidate, address_hash);
        }
        return SIZE_MAX;
}
