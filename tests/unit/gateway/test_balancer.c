/* tests/unit/gateway/test_balancer.c: gateway/balancer with the weight-driven algorithms, on simulated
 * time: smooth weighted round robin gives nginx's published sequence for {5,1,1} and honours 5:3:1 within
 * 1% over 100,000 picks; round robin cycles; least connections and response time choose what their
 * definitions say while servers hold connections or report slow and fast latencies; backups serve only
 * when every primary is down or tried; consecutive failures take a server down for fail_timeout and one
 * more failure after it takes it down again; slow start ramps a server's share as its weight says;
 * persistence holds until the server is down; retries exclude tried servers; bad configurations are
 * refused naming the server. IP hash: test_balancer_hash.c; the persistence cookie: test_balancer_cookie.c;
 * threads: test_balancer_threads.c. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gateway/balancer.h"

#define SERVERS_MAX 16

struct group {
        struct gw_balancer_server servers[SERVERS_MAX];
        char names[SERVERS_MAX][32];
        size_t num;
};

/* group_add appends server "sN" with weight (and everything else off) and returns it for more settings. */
static struct gw_balancer_server *group_add(struct group *g, unsigned weight)
{
        CHECK(g->num < SERVERS_MAX);
        struct gw_balancer_server *s = &g->servers[g->num];
        snprintf(g->names[g->num], sizeof g->names[g->num], "s%zu", g->num);
        *s = (struct gw_balancer_server){.name = g->names[g->num], .weight = weight};
        g->num++;
        return s;
}

static struct gw_balancer *group_balancer(const struct group *g, enum gw_balance_algorithm algorithm)
{
        struct gw_balancer *b = NULL;
        struct err err = {0};
        CHECK_OK(gw_balancer_new(&b, g->servers, g->num, algorithm, &err), &err);
        return b;
}

static size_t pick_at(struct gw_balancer *b, int64_t now_ms)
{
        struct gw_balancer_request req = {.persisted = SIZE_MAX, .now_ms = now_ms};
        size_t server = SIZE_MAX;
        struct err err = {0};
        CHECK_OK(gw_balancer_pick(b, &req, &server, &err), &err);
        CHECK(server < gw_balancer_count(b));
        return server;
}

/* serve picks a server, starts and finishes a request there (ok, latency_us) and returns the server. */
static size_t serve(struct gw_balancer *b, int64_t latency_us, int64_t now_ms)
{
        struct err err = {0};
        size_t server = pick_at(b, now_ms);
        CHECK_OK(gw_balancer_started(b, server, &err), &err);
        CHECK_OK(gw_balancer_finished(b, server, true, latency_us, now_ms, &err), &err);
        return server;
}

static struct gw_balancer_state state_of(struct gw_balancer *b, size_t server, int64_t now_ms)
{
        struct gw_balancer_state state;
        struct err err = {0};
        CHECK_OK(gw_balancer_get_state(b, server, now_ms, &state, &err), &err);
        return state;
}

static void fail_once(struct gw_balancer *b, size_t server, int64_t now_ms)
{
        struct err err = {0};
        CHECK_OK(gw_balancer_started(b, server, &err), &err);
        CHECK_OK(gw_balancer_finished(b, server, false, -1, now_ms, &err), &err);
}

static void set_up(struct gw_balancer *b, size_t server, bool up, int64_t now_ms)
{
        struct err err = {0};
        CHECK_OK(gw_balancer_set_up(b, server, up, now_ms, &err), &err);
}

/* check_share fails unless count/total is within tolerance of want (fractions). */
static void check_share(size_t count, size_t total, double want, double tolerance, const char *what)
{
        double share = (double)count / (double)total;
        if (share < want - tolerance || share > want + tolerance)
                check_fail(__FILE__, __LINE__, "%s: share %.4f, expected %.4f +- %.4f", what, share, want, tolerance);
}

/* The nginx changeset that introduced smooth weighted round robin states: "For edge case weights like
 * { 5, 1, 1 } we now produce { a, a, b, a, c, a, a } sequence". */
static void test_weighted_sequence_is_nginx_smooth(void)
{
        struct group g = {0};
        group_add(&g, 5);
        group_add(&g, 1);
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        static const size_t want[] = {0, 0, 1, 0, 2, 0, 0};
        for (int round = 0; round < 3; round++) {
                for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
                        CHECK_EQ(pick_at(b, 0), want[i]);
        }
        gw_balancer_free(b);
}

static void test_weighted_distribution(void)
{
        struct group g = {0};
        group_add(&g, 5);
        group_add(&g, 3);
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        size_t counts[3] = {0}, run = 0, longest_run = 0, last = SIZE_MAX;
        for (size_t i = 0; i < 100000; i++) {
                size_t server = pick_at(b, (int64_t)i);
                counts[server]++;
                run = server == last ? run + 1 : 1;
                longest_run = run > longest_run ? run : longest_run;
                last = server;
        }
        check_share(counts[0], 100000, 5.0 / 9, 0.01, "weight 5");
        check_share(counts[1], 100000, 3.0 / 9, 0.01, "weight 3");
        check_share(counts[2], 100000, 1.0 / 9, 0.01, "weight 1");
        /* Smooth: the heavy server never gets its 5 of 9 in one burst. */
        CHECK(longest_run <= 2);
        for (size_t i = 0; i < 3; i++)
                CHECK_EQ(state_of(b, i, 100000).picks, counts[i]);
        gw_balancer_free(b);
}

static void test_round_robin_cycles_ignoring_weights(void)
{
        struct group g = {0};
        group_add(&g, 5);
        group_add(&g, 3);
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_ROUND_ROBIN);
        for (size_t i = 0; i < 3000; i++)
                CHECK_EQ(pick_at(b, 0), i % 3);
        set_up(b, 1, false, 0);
        for (size_t i = 0; i < 10; i++)
                CHECK_EQ(pick_at(b, 0), i % 2 == 0 ? 0 : 2);
        gw_balancer_free(b);
}

static void test_least_connections(void)
{
        struct err err = {0};
        struct group g = {0};
        group_add(&g, 1);
        group_add(&g, 1);
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_LEAST_CONNECTIONS);
        CHECK_OK(gw_balancer_started(b, 0, &err), &err);
        CHECK_OK(gw_balancer_started(b, 0, &err), &err);
        CHECK_OK(gw_balancer_started(b, 1, &err), &err);
        CHECK_EQ(pick_at(b, 0), 2); /* 2, 1, 0 connections */
        CHECK_OK(gw_balancer_started(b, 2, &err), &err);
        CHECK_OK(gw_balancer_started(b, 2, &err), &err);
        CHECK_EQ(pick_at(b, 0), 1); /* 2, 1, 2 */
        CHECK_OK(gw_balancer_finished(b, 0, true, -1, 0, &err), &err);
        CHECK_OK(gw_balancer_finished(b, 0, true, -1, 0, &err), &err);
        CHECK_EQ(pick_at(b, 0), 0); /* 0, 1, 2 */
        gw_balancer_free(b);

        /* Weighted: connections held open spread 3:1 by weight. */
        struct group w = {0};
        group_add(&w, 3);
        group_add(&w, 1);
        b = group_balancer(&w, GW_BALANCE_LEAST_CONNECTIONS);
        for (int i = 0; i < 400; i++)
                CHECK_OK(gw_balancer_started(b, pick_at(b, 0), &err), &err);
        CHECK_EQ(state_of(b, 0, 0).active, 300);
        CHECK_EQ(state_of(b, 1, 0).active, 100);
        gw_balancer_free(b);

        /* Idle servers tie, and the tie is shared by weight. */
        struct group idle = {0};
        group_add(&idle, 5);
        group_add(&idle, 3);
        group_add(&idle, 1);
        b = group_balancer(&idle, GW_BALANCE_LEAST_CONNECTIONS);
        size_t counts[3] = {0};
        for (size_t i = 0; i < 90000; i++)
                counts[serve(b, -1, 0)]++;
        check_share(counts[0], 90000, 5.0 / 9, 0.01, "idle weight 5");
        check_share(counts[2], 90000, 1.0 / 9, 0.01, "idle weight 1");
        gw_balancer_free(b);
}

static void test_response_time(void)
{
        struct err err = {0};
        struct group g = {0};
        group_add(&g, 1);
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_RESPONSE_TIME);
        /* Unmeasured servers count as equally fast: the first requests measure both. */
        CHECK_EQ(state_of(b, 0, 0).latency_us, -1);
        size_t first = serve(b, 100000, 0), second = serve(b, 10000, 0);
        CHECK(first != second);
        size_t slow = first, fast = second;
        CHECK_EQ(state_of(b, slow, 0).latency_us, 100000);
        /* EWMA with alpha 1/8: 100 ms then one 20 ms sample is 100 + (20 - 100) / 8 = 90 ms. */
        CHECK_OK(gw_balancer_started(b, slow, &err), &err);
        CHECK_OK(gw_balancer_finished(b, slow, true, 20000, 0, &err), &err);
        CHECK_EQ(state_of(b, slow, 0).latency_us, 90000);
        /* One at a time, every request goes to the fast server. */
        for (int i = 0; i < 1000; i++)
                CHECK_EQ(serve(b, 10000, 0), fast);
        /* Requests held open queue on it: expected wait is EWMA x (active + 1). */
        for (int i = 0; i < 7; i++)
                CHECK_OK(gw_balancer_started(b, fast, &err), &err);
        CHECK_EQ(pick_at(b, 0), fast); /* 10 ms x 8 < 90 ms x 1 */
        CHECK_OK(gw_balancer_started(b, fast, &err), &err);
        CHECK_EQ(pick_at(b, 0), slow); /* 10 ms x 9 = 90 ms x 1: equal waits, fewer active wins */
        CHECK_OK(gw_balancer_started(b, fast, &err), &err);
        CHECK_EQ(pick_at(b, 0), slow); /* 10 ms x 10 > 90 ms x 1 */
        for (int i = 0; i < 9; i++)
                CHECK_OK(gw_balancer_finished(b, fast, true, -1, 0, &err), &err);
        /* The fast server slows down: its EWMA climbs and traffic moves to the other one. */
        size_t moved_after = 0;
        for (int i = 0; i < 100 && moved_after == 0; i++) {
                if (serve(b, 500000, 0) == slow)
                        moved_after = (size_t)i + 1;
        }
        CHECK(moved_after > 0 && moved_after < 10);
        /* Back from a failed check, a server is measured afresh, as fast as the fastest until then. */
        set_up(b, slow, false, 1);
        set_up(b, slow, true, 2);
        CHECK_EQ(state_of(b, slow, 2).latency_us, -1);
        CHECK(state_of(b, fast, 2).latency_us > 0);
        gw_balancer_free(b);
}

/* With equal expected waits, the server with fewer active requests is chosen. */
static void test_response_time_tie_by_active(void)
{
        struct err err = {0};
        struct group g = {0};
        group_add(&g, 2);
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_RESPONSE_TIME);
        for (size_t server = 0; server < 2; server++) {
                CHECK_OK(gw_balancer_started(b, server, &err), &err);
                CHECK_OK(gw_balancer_finished(b, server, true, 50000, 0, &err), &err);
        }
        CHECK_OK(gw_balancer_started(b, 0, &err), &err); /* 50 x 2 / 2 = 50 x 1 / 1 */
        for (int i = 0; i < 10; i++)
                CHECK_EQ(pick_at(b, 0), 1);
        gw_balancer_free(b);
}

static void test_backups_only_when_primaries_down(void)
{
        struct group g = {0};
        group_add(&g, 1);
        group_add(&g, 1);
        group_add(&g, 10)->is_backup = true;
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        for (int i = 0; i < 1000; i++)
                CHECK(pick_at(b, 0) != 2);
        set_up(b, 0, false, 0);
        for (int i = 0; i < 100; i++)
                CHECK_EQ(pick_at(b, 0), 1);
        /* Every primary tried: the backup takes the retry. */
        size_t tried = 1;
        struct gw_balancer_request retry = {.persisted = SIZE_MAX, .excluded = &tried, .num_excluded = 1};
        size_t server = SIZE_MAX;
        struct err err = {0};
        CHECK_OK(gw_balancer_pick(b, &retry, &server, &err), &err);
        CHECK_EQ(server, 2);
        set_up(b, 1, false, 0);
        for (int i = 0; i < 100; i++)
                CHECK_EQ(pick_at(b, 0), 2);
        set_up(b, 1, true, 1);
        CHECK_EQ(pick_at(b, 1), 1);
        set_up(b, 1, false, 2);
        set_up(b, 2, false, 2);
        struct gw_balancer_request req = {.persisted = SIZE_MAX, .now_ms = 2};
        CHECK_STATUS(gw_balancer_pick(b, &req, &server, &err), GW_ENO_SERVER);
        CHECK_EQ(server, SIZE_MAX);
        CHECK(strstr(err.msg, "0 of 3 up") != NULL);
        gw_balancer_free(b);
}

static void test_passive_failures(void)
{
        struct group g = {0};
        struct gw_balancer_server *s0 = group_add(&g, 1);
        s0->max_fails = 3;
        s0->fail_timeout_ms = 10000;
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_ROUND_ROBIN);
        struct err err = {0};
        fail_once(b, 0, 100);
        fail_once(b, 0, 100);
        CHECK_OK(gw_balancer_started(b, 0, &err), &err);
        CHECK_OK(gw_balancer_finished(b, 0, true, 1000, 100, &err), &err); /* a success clears the run */
        CHECK_EQ(state_of(b, 0, 100).consecutive_failures, 0);
        fail_once(b, 0, 100);
        fail_once(b, 0, 100);
        CHECK_EQ(state_of(b, 0, 100).health, GW_BALANCER_UP);
        fail_once(b, 0, 1000);
        struct gw_balancer_state state = state_of(b, 0, 1000);
        CHECK_EQ(state.health, GW_BALANCER_DOWN_FAILURES);
        CHECK_EQ(state.down_until_ms, 11000);
        CHECK_EQ(state.failures, 5);
        CHECK(state.effective_weight == 0.0);
        for (int i = 0; i < 100; i++)
                CHECK_EQ(pick_at(b, 1000 + i * 99), 1);
        CHECK_EQ(state_of(b, 0, 10999).health, GW_BALANCER_DOWN_FAILURES);
        /* Tried again after fail_timeout; one more failure takes it down again at once. */
        CHECK_EQ(state_of(b, 0, 11000).health, GW_BALANCER_UP);
        CHECK_EQ(state_of(b, 0, 11000).consecutive_failures, 2);
        size_t seen[2] = {0};
        for (int i = 0; i < 10; i++)
                seen[pick_at(b, 11000)]++;
        CHECK_EQ(seen[0], 5);
        fail_once(b, 0, 12000);
        CHECK_EQ(state_of(b, 0, 12000).health, GW_BALANCER_DOWN_FAILURES);
        CHECK_EQ(state_of(b, 0, 12000).down_until_ms, 22000);
        /* A late failure of a request sent before does not extend the period. */
        fail_once(b, 0, 15000);
        CHECK_EQ(state_of(b, 0, 15000).down_until_ms, 22000);
        gw_balancer_free(b);
}

/* max_fails 0 turns passive checks off: failures are counted, the server stays up. */
static void test_passive_checks_off(void)
{
        struct group g = {0};
        group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        for (int i = 0; i < 50; i++)
                fail_once(b, 0, 0);
        CHECK_EQ(state_of(b, 0, 0).health, GW_BALANCER_UP);
        CHECK_EQ(state_of(b, 0, 0).failures, 50);
        CHECK_EQ(pick_at(b, 0), 0);
        gw_balancer_free(b);
}

/* Slow start: weight ramps linearly over slow_start_ms, so against an equal server at full weight the
 * share after a fraction f of the ramp is f / (1 + f). */
static void test_slow_start_ramp(void)
{
        struct group g = {0};
        group_add(&g, 1)->slow_start_ms = 10000;
        group_add(&g, 1)->slow_start_ms = 10000;
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        set_up(b, 1, false, 0);
        CHECK_EQ(state_of(b, 1, 0).health, GW_BALANCER_DOWN_CHECKS);
        set_up(b, 1, false, 500); /* repeated verdicts change nothing */
        set_up(b, 1, true, 1000);
        set_up(b, 1, true, 1500); /* an "up" while up does not restart the ramp */
        double last_share = 0;
        for (int k = 1; k <= 12; k++) {
                int64_t now = 1000 + (int64_t)k * 1000;
                size_t count = 0;
                for (int i = 0; i < 10000; i++)
                        count += pick_at(b, now) == 1 ? 1 : 0;
                double f = k < 10 ? k / 10.0 : 1.0;
                char what[64];
                snprintf(what, sizeof what, "slow start at %d/10", k);
                check_share(count, 10000, f / (1 + f), 0.01, what);
                CHECK((double)count / 10000 >= last_share - 0.001);
                last_share = (double)count / 10000;
                struct gw_balancer_state state = state_of(b, 1, now);
                CHECK_EQ(state.health, k < 10 ? GW_BALANCER_SLOW_START : GW_BALANCER_UP);
                CHECK(state.effective_weight > f - 0.001 && state.effective_weight < f + 0.001);
        }
        gw_balancer_free(b);
}

/* A server back from passive failures ramps from the end of its fail_timeout, not from when it is seen. */
static void test_slow_start_after_failures(void)
{
        struct group g = {0};
        struct gw_balancer_server *s = group_add(&g, 4);
        s->max_fails = 1;
        s->fail_timeout_ms = 5000;
        s->slow_start_ms = 2000;
        group_add(&g, 4);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_LEAST_CONNECTIONS);
        fail_once(b, 0, 0);
        CHECK_EQ(state_of(b, 0, 4999).health, GW_BALANCER_DOWN_FAILURES);
        struct gw_balancer_state state = state_of(b, 0, 6000);
        CHECK_EQ(state.health, GW_BALANCER_SLOW_START);
        CHECK(state.effective_weight > 1.999 && state.effective_weight < 2.001);
        CHECK(state_of(b, 0, 7000).effective_weight == 4.0);
        CHECK_EQ(state_of(b, 0, 7000).health, GW_BALANCER_UP);
        gw_balancer_free(b);
}

static size_t pick_persisted(struct gw_balancer *b, size_t persisted, int64_t now_ms)
{
        struct gw_balancer_request req = {.persisted = persisted, .now_ms = now_ms};
        size_t server = SIZE_MAX;
        struct err err = {0};
        CHECK_OK(gw_balancer_pick(b, &req, &server, &err), &err);
        return server;
}

static void test_persistence(void)
{
        struct group g = {0};
        group_add(&g, 1);
        group_add(&g, 1);
        group_add(&g, 1)->slow_start_ms = 60000;
        group_add(&g, 1)->is_backup = true;
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_LEAST_CONNECTIONS);
        for (int i = 0; i < 100; i++)
                CHECK_EQ(pick_persisted(b, 2, 0), 2);
        CHECK_EQ(state_of(b, 2, 0).picks, 100);
        /* Its server down: the client moves, and only then. */
        set_up(b, 2, false, 10);
        for (int i = 0; i < 100; i++)
                CHECK(pick_persisted(b, 2, 10) != 2);
        /* Back (even in slow start, weight ~0): the persisted client returns. */
        set_up(b, 2, true, 20);
        CHECK_EQ(state_of(b, 2, 20).health, GW_BALANCER_SLOW_START);
        CHECK_EQ(pick_persisted(b, 2, 20), 2);
        /* A backup keeps its clients only while no primary is usable. */
        CHECK(pick_persisted(b, 3, 20) != 3);
        for (size_t i = 0; i < 3; i++)
                set_up(b, i, false, 30);
        CHECK_EQ(pick_persisted(b, 3, 30), 3);
        set_up(b, 0, true, 40);
        CHECK_EQ(pick_persisted(b, 3, 40), 0);
        /* An index from an older, longer server list is ignored. */
        CHECK_EQ(pick_persisted(b, 99, 40), 0);
        gw_balancer_free(b);
}

static void test_exclusion_for_retries(void)
{
        struct group g = {0};
        for (int i = 0; i < 3; i++)
                group_add(&g, 1);
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        size_t tried[4];
        struct gw_balancer_request req = {.persisted = 1, .excluded = tried, .now_ms = 0};
        struct err err = {0};
        for (size_t attempt = 0; attempt < 3; attempt++) {
                size_t server = SIZE_MAX;
                req.num_excluded = attempt;
                CHECK_OK(gw_balancer_pick(b, &req, &server, &err), &err);
                for (size_t j = 0; j < attempt; j++)
                        CHECK(server != tried[j]);
                if (attempt == 0)
                        CHECK_EQ(server, 1); /* the persisted server first, then others */
                tried[attempt] = server;
        }
        req.num_excluded = 3;
        size_t server = 7;
        CHECK_STATUS(gw_balancer_pick(b, &req, &server, &err), GW_ENO_SERVER);
        CHECK(strstr(err.msg, "3 of 3 up, 3 excluded") != NULL);
        CHECK_EQ(server, SIZE_MAX);
        tried[3] = 3;
        req.num_excluded = 4;
        CHECK_STATUS(gw_balancer_pick(b, &req, &server, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "excluded server 3") != NULL);
        gw_balancer_free(b);
}

static void check_refused(const struct group *g, enum gw_balance_algorithm algorithm, const char *message)
{
        struct gw_balancer *b = (struct gw_balancer *)1;
        struct err err = {0};
        CHECK_STATUS(gw_balancer_new(&b, g->servers, g->num, algorithm, &err), SMT_EINVAL);
        CHECK(b == NULL);
        if (strstr(err.msg, message) == NULL)
                check_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err.msg, message);
}

static void test_bad_configuration_refused(void)
{
        struct group g = {0};
        check_refused(&g, GW_BALANCE_WEIGHTED, "0 servers, expected 1..1024");
        group_add(&g, 1);
        group_add(&g, 0);
        check_refused(&g, GW_BALANCE_WEIGHTED, "servers[1] s1: weight 0, expected 1..1000");
        g.servers[1].weight = 1001;
        check_refused(&g, GW_BALANCE_WEIGHTED, "weight 1001");
        g.servers[1].weight = 1000;
        g.servers[1].name = "s0";
        check_refused(&g, GW_BALANCE_IP_HASH, "servers[1]: name s0 repeats servers[0]");
        g.servers[1].name = "";
        check_refused(&g, GW_BALANCE_WEIGHTED, "servers[1]: name must have 1..255 bytes");
        g.servers[1].name = g.names[1];
        g.servers[1].max_fails = 2;
        check_refused(&g, GW_BALANCE_WEIGHTED, "fail_timeout_ms 0, expected 1..86400000");
        g.servers[1].fail_timeout_ms = 1000;
        g.servers[1].slow_start_ms = -1;
        check_refused(&g, GW_BALANCE_WEIGHTED, "slow_start_ms -1");
        g.servers[1].slow_start_ms = 0;
        check_refused(&g, (enum gw_balance_algorithm)9, "balance algorithm 9");
        g.servers[0].is_backup = g.servers[1].is_backup = true;
        check_refused(&g, GW_BALANCE_WEIGHTED, "all 2 servers are backups");
        g.servers[0].is_backup = false;
        struct gw_balancer *b = group_balancer(&g, GW_BALANCE_WEIGHTED);
        struct err err = {0};
        CHECK_STATUS(gw_balancer_finished(b, 0, true, 5, 0, &err), SMT_EINVAL); /* not started */
        CHECK_STATUS(gw_balancer_started(b, 2, &err), SMT_EINVAL);
        CHECK_STATUS(gw_balancer_set_up(b, 2, true, 0, &err), SMT_EINVAL);
        struct gw_balancer_state state;
        CHECK_STATUS(gw_balancer_get_state(b, 5, 0, &state, &err), SMT_EINVAL);
        gw_balancer_free(b);
}

CHECK_MAIN(CHECK_TEST(test_weighted_sequence_is_nginx_smooth), CHECK_TEST(test_weighted_distribution),
           CHECK_TEST(test_round_robin_cycles_ignoring_weights), CHECK_TEST(test_least_connections),
           CHECK_TEST(test_response_time), CHECK_TEST(test_response_time_tie_by_active),
           CHECK_TEST(test_backups_only_when_primaries_down), CHECK_TEST(test_passive_failures),
           CHECK_TEST(test_passive_checks_off), CHECK_TEST(test_slow_start_ramp),
           CHECK_TEST(test_slow_start_after_failures), CHECK_TEST(test_persistence),
           CHECK_TEST(test_exclusion_for_retries), CHECK_TEST(test_bad_configuration_refused))
