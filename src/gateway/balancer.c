/* src/gateway/balancer.c: the balancer's life cycle, its servers' health, and the pick coordinator
 * (health first, then the group, then persistence, then the algorithm: balancer_algorithms.c).
 *
 * Health changes with time happen lazily, under the lock, when a call brings a later now_ms: a passive
 * down period that has ended turns into slow start from the moment it ended, and a finished ramp ends
 * slow start. So the state at a given now_ms is the same whichever call observes it first. */
#include "gateway/balancer_internal.h"

#include <stdlib.h>
#include <string.h>

/* EWMA smoothing 1/8, as RFC 6298 §2.3 smooths TCP's round-trip time. */
#define BALANCER_EWMA_ALPHA 0.125

static int balancer_check_server(const struct gw_balancer_server *s, size_t i, struct err *err)
{
        if (s->name == NULL || s->name[0] == '\0' || strlen(s->name) >= GW_BALANCER_NAME_MAX)
                return SMT_ERR(err, SMT_EINVAL, "servers[%zu]: name must have 1..%d bytes", i,
                               GW_BALANCER_NAME_MAX - 1);
        if (s->weight < 1 || s->weight > GW_BALANCER_WEIGHT_MAX)
                return SMT_ERR(err, SMT_EINVAL, "servers[%zu] %s: weight %u, expected 1..%d", i, s->name, s->weight,
                               GW_BALANCER_WEIGHT_MAX);
        if (s->max_fails > 0 && (s->fail_timeout_ms < 1 || s->fail_timeout_ms > GW_BALANCER_TIME_MAX_MS))
                return SMT_ERR(err, SMT_EINVAL, "servers[%zu] %s: fail_timeout_ms %lld, expected 1..%d", i, s->name,
                               (long long)s->fail_timeout_ms, GW_BALANCER_TIME_MAX_MS);
        if (s->slow_start_ms < 0 || s->slow_start_ms > GW_BALANCER_TIME_MAX_MS)
                return SMT_ERR(err, SMT_EINVAL, "servers[%zu] %s: slow_start_ms %lld, expected 0..%d", i, s->name,
                               (long long)s->slow_start_ms, GW_BALANCER_TIME_MAX_MS);
        return SMT_OK;
}

static int balancer_check_servers(const struct gw_balancer_server *servers, size_t num, struct err *err)
{
        if (num < 1 || num > GW_BALANCER_SERVERS_MAX)
                return SMT_ERR(err, SMT_EINVAL, "%zu servers, expected 1..%d", num, GW_BALANCER_SERVERS_MAX);
        size_t num_primaries = 0;
        for (size_t i = 0; i < num; i++) {
                TRY(balancer_check_server(&servers[i], i, err));
                num_primaries += servers[i].is_backup ? 0 : 1;
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(servers[i].name, servers[j].name) == 0)
                                return SMT_ERR(err, SMT_EINVAL, "servers[%zu]: name %s repeats servers[%zu]", i,
                                               servers[i].name, j);
                }
        }
        if (num_primaries == 0)
                return SMT_ERR(err, SMT_EINVAL, "all %zu servers are backups, expected at least one primary", num);
        return SMT_OK;
}

static bool balancer_is_algorithm(enum gw_balance_algorithm algorithm)
{
        switch (algorithm) {
        case GW_BALANCE_ROUND_ROBIN:
        case GW_BALANCE_WEIGHTED:
        case GW_BALANCE_LEAST_CONNECTIONS:
        case GW_BALANCE_RESPONSE_TIME:
        case GW_BALANCE_IP_HASH:
                return true;
        }
        return false;
}

int gw_balancer_new(struct gw_balancer **out, const struct gw_balancer_server *servers, size_t num,
                    enum gw_balance_algorithm algorithm, struct err *err)
{
        *out = NULL;
        if (!balancer_is_algorithm(algorithm))
                return SMT_ERR(err, SMT_EINVAL, "balance algorithm %d, expected %d..%d", (int)algorithm,
                               GW_BALANCE_ROUND_ROBIN, GW_BALANCE_IP_HASH);
        TRY(balancer_check_servers(servers, num, err));
        struct gw_balancer *b = calloc(1, sizeof *b);
        if (b == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for a balancer of %zu servers", num);
        pthread_mutex_init(&b->lock, NULL);
        b->slots = calloc(num, sizeof *b->slots);
        b->is_candidate = calloc(num, sizeof *b->is_candidate);
        if (b->slots == NULL || b->is_candidate == NULL) {
                gw_balancer_free(b);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for a balancer of %zu servers", num);
        }
        b->algorithm = algorithm;
        b->num = num;
        for (size_t i = 0; i < num; i++) {
                struct gw_balancer_slot *slot = &b->slots[i];
                slot->config = servers[i];
                strcpy(slot->name, servers[i].name); /* length checked above */
                slot->config.name = slot->name;
        }
        if (algorithm == GW_BALANCE_IP_HASH) {
                int status = gw_balancer_ring_build(&b->rings[0], b->slots, num, false, err);
                if (status == 0)
                        status = gw_balancer_ring_build(&b->rings[1], b->slots, num, true, err);
                if (status < 0) {
                        gw_balancer_free(b);
                        return status;
                }
        }
        *out = b;
        return SMT_OK;
}

void gw_balancer_free(struct gw_balancer *b)
{
        if (b == NULL)
                return;
        pthread_mutex_destroy(&b->lock);
        gw_balancer_ring_cleanup(&b->rings[0]);
        gw_balancer_ring_cleanup(&b->rings[1]);
        free(b->is_candidate);
        free(b->slots);
        free(b);
}

size_t gw_balancer_count(const struct gw_balancer *b)
{
        return b->num;
}

/* balancer_come_up starts a server's new life at since_ms: slow start, a fresh latency and WRR position. */
static void balancer_come_up(struct gw_balancer_slot *slot, int64_t since_ms)
{
        slot->has_latency = false;
        slot->latency_us = 0;
        slot->current_weight = 0;
        slot->is_slow_starting = slot->config.slow_start_ms > 0;
        slot->slow_start_since_ms = since_ms;
}

/* balancer_refresh applies what the passing of time changed by now_ms. */
static void balancer_refresh(struct gw_balancer_slot *slot, int64_t now_ms)
{
        if (slot->is_down_by_failures && now_ms >= slot->down_until_ms) {
                slot->is_down_by_failures = false;
                /* Tried again: the next failure alone takes it down, like a half-open circuit breaker. */
                slot->consecutive_failures = slot->config.max_fails - 1;
                if (!slot->is_down_by_checks)
                        balancer_come_up(slot, slot->down_until_ms);
        }
        if (slot->is_slow_starting && now_ms - slot->slow_start_since_ms >= slot->config.slow_start_ms)
                slot->is_slow_starting = false;
}

static bool balancer_is_up(const struct gw_balancer_slot *slot)
{
        return !slot->is_down_by_checks && !slot->is_down_by_failures;
}

int64_t gw_balancer_effective_weight(const struct gw_balancer_slot *slot, bool is_unit, int64_t now_ms)
{
        int64_t full = (int64_t)(is_unit ? 1 : slot->config.weight) * GW_BALANCER_WEIGHT_SCALE;
        if (!slot->is_slow_starting)
                return full;
        int64_t elapsed = now_ms - slot->slow_start_since_ms;
        int64_t weight = elapsed <= 0 ? 0 : full * elapsed / slot->config.slow_start_ms;
        return weight < 1 ? 1 : weight;
}

static int balancer_check_request(const struct gw_balancer *b, const struct gw_balancer_request *req, struct err *err)
{
        for (size_t i = 0; i < req->num_excluded; i++) {
                if (req->excluded[i] >= b->num)
                        return SMT_ERR(err, SMT_EINVAL, "excluded server %zu, expected < %zu", req->excluded[i],
                                       b->num);
        }
        bool is_address_ok = req->address != NULL && (req->address_len == 4 || req->address_len == 16);
        if (b->algorithm == GW_BALANCE_IP_HASH && !is_address_ok)
                return SMT_ERR(err, SMT_EINVAL, "ip_hash: client address of %zu bytes, expected 4 or 16",
                               req->address_len);
        return SMT_OK;
}

/* balancer_mark_group marks as candidates the servers of one group (primaries or backups) that are up
 * and not excluded; returns how many. */
static size_t balancer_mark_group(struct gw_balancer *b, const struct gw_balancer_request *req, bool is_backup)
{
        for (size_t i = 0; i < b->num; i++)
                b->is_candidate[i] = b->slots[i].config.is_backup == is_backup && balancer_is_up(&b->slots[i]);
        for (size_t i = 0; i < req->num_excluded; i++)
                b->is_candidate[req->excluded[i]] = false;
        size_t count = 0;
        for (size_t i = 0; i < b->num; i++)
                count += b->is_candidate[i] ? 1 : 0;
        return count;
}

static int balancer_no_server(const struct gw_balancer *b, const struct gw_balancer_request *req, struct err *err)
{
        size_t num_up = 0;
        for (size_t i = 0; i < b->num; i++)
                num_up += balancer_is_up(&b->slots[i]) ? 1 : 0;
        return SMT_ERR(err, GW_ENO_SERVER, "no server available: %zu of %zu up, %zu excluded by this request", num_up,
                       b->num, req->num_excluded);
}

/* balancer_pick_locked is gw_balancer_pick with the lock held and the request checked. */
static int balancer_pick_locked(struct gw_balancer *b, const struct gw_balancer_request *req, size_t *server,
                                struct err *err)
{
        for (size_t i = 0; i < b->num; i++)
                balancer_refresh(&b->slots[i], req->now_ms);
        bool is_backup = false;
        if (balancer_mark_group(b, req, false) == 0) {
                is_backup = true;
                if (balancer_mark_group(b, req, true) == 0)
                        return balancer_no_server(b, req, err);
        }
        /* The candidates are exactly the servers allowed now, so a persisted server is honoured iff it is
         * one of them: up, not excluded, and a backup only while no primary is usable. */
        size_t chosen = req->persisted;
        if (chosen >= b->num || !b->is_candidate[chosen]) {
                uint64_t address_hash = 0;
                if (b->algorithm == GW_BALANCE_IP_HASH)
                        address_hash = gw_balancer_address_hash(req->address, req->address_len);
                chosen = gw_balancer_algorithm_pick(b, is_backup, address_hash, req->now_ms);
        }
        if (chosen >= b->num)
                return SMT_ERR(err, SMT_EINTERNAL, "balancer: algorithm %d chose no candidate", (int)b->algorithm);
        b->slots[chosen].picks++;
        *server = chosen;
        return SMT_OK;
}

int gw_balancer_pick(struct gw_balancer *b, const struct gw_balancer_request *req, size_t *server, struct err *err)
{
        *server = SIZE_MAX;
        TRY(balancer_check_request(b, req, err));
        pthread_mutex_lock(&b->lock);
        int status = balancer_pick_locked(b, req, server, err);
        pthread_mutex_unlock(&b->lock);
        return status;
}

static int balancer_check_index(const struct gw_balancer *b, size_t server, struct err *err)
{
        if (server >= b->num)
                return SMT_ERR(err, SMT_EINVAL, "server %zu, expected < %zu", server, b->num);
        return SMT_OK;
}

int gw_balancer_started(struct gw_balancer *b, size_t server, struct err *err)
{
        TRY(balancer_check_index(b, server, err));
        pthread_mutex_lock(&b->lock);
        b->slots[server].active++;
        pthread_mutex_unlock(&b->lock);
        return SMT_OK;
}

/* balancer_report records one finished request's outcome on slot (lock held). */
static void balancer_report(struct gw_balancer_slot *slot, bool ok, int64_t latency_us, int64_t now_ms)
{
        balancer_refresh(slot, now_ms);
        slot->active--;
        if (ok) {
                slot->consecutive_failures = 0;
                if (latency_us < 0)
                        return;
                if (!slot->has_latency)
                        slot->latency_us = (double)latency_us;
                else
                        slot->latency_us += BALANCER_EWMA_ALPHA * ((double)latency_us - slot->latency_us);
                slot->has_latency = true;
                return;
        }
        slot->failures++;
        if (slot->consecutive_failures < UINT32_MAX)
                slot->consecutive_failures++;
        /* A failure arriving while already down (a request sent before) does not extend the period. */
        if (slot->config.max_fails > 0 && slot->consecutive_failures >= slot->config.max_fails &&
            !slot->is_down_by_failures) {
                slot->is_down_by_failures = true;
                slot->down_until_ms = now_ms + slot->config.fail_timeout_ms;
        }
}

int gw_balancer_finished(struct gw_balancer *b, size_t server, bool ok, int64_t latency_us, int64_t now_ms,
                         struct err *err)
{
        TRY(balancer_check_index(b, server, err));
        pthread_mutex_lock(&b->lock);
        struct gw_balancer_slot *slot = &b->slots[server];
        bool is_active = slot->active > 0;
        if (is_active)
                balancer_report(slot, ok, latency_us, now_ms);
        pthread_mutex_unlock(&b->lock);
        if (!is_active)
                return SMT_ERR(err, SMT_EINVAL, "server %zu finished a request it had not started", server);
        return SMT_OK;
}

int gw_balancer_set_up(struct gw_balancer *b, size_t server, bool up, int64_t now_ms, struct err *err)
{
        TRY(balancer_check_index(b, server, err));
        pthread_mutex_lock(&b->lock);
        struct gw_balancer_slot *slot = &b->slots[server];
        balancer_refresh(slot, now_ms);
        if (!up) {
                slot->is_down_by_checks = true;
        } else if (slot->is_down_by_checks) {
                /* The checks just saw it healthy: that outweighs failures counted before it went down. */
                slot->is_down_by_checks = false;
                slot->is_down_by_failures = false;
                slot->consecutive_failures = 0;
                balancer_come_up(slot, now_ms);
        }
        pthread_mutex_unlock(&b->lock);
        return SMT_OK;
}

static enum gw_balancer_health balancer_health(const struct gw_balancer_slot *slot)
{
        if (slot->is_down_by_checks)
                return GW_BALANCER_DOWN_CHECKS;
        if (slot->is_down_by_failures)
                return GW_BALANCER_DOWN_FAILURES;
        return slot->is_slow_starting ? GW_BALANCER_SLOW_START : GW_BALANCER_UP;
}

int gw_balancer_get_state(struct gw_balancer *b, size_t server, int64_t now_ms, struct gw_balancer_state *out,
                          struct err *err)
{
        memset(out, 0, sizeof *out);
        TRY(balancer_check_index(b, server, err));
        pthread_mutex_lock(&b->lock);
        struct gw_balancer_slot *slot = &b->slots[server];
        balancer_refresh(slot, now_ms);
        out->health = balancer_health(slot);
        out->down_until_ms = out->health == GW_BALANCER_DOWN_FAILURES ? slot->down_until_ms : 0;
        out->active = slot->active;
        out->picks = slot->picks;
        out->failures = slot->failures;
        out->consecutive_failures = slot->consecutive_failures;
        out->latency_us = slot->has_latency ? (int64_t)(slot->latency_us + 0.5) : -1;
        out->effective_weight =
            balancer_is_up(slot) ? (double)gw_balancer_effective_weight(slot, false, now_ms) / GW_BALANCER_WEIGHT_SCALE
                                 : 0.0;
        pthread_mutex_unlock(&b->lock);
        return SMT_OK;
}
