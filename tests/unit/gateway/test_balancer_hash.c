/* tests/unit/gateway/test_balancer_hash.c: gateway/balancer's IP_HASH on its consistent-hash ring, over
 * 10,000 clients: a client keeps its server (and the same server by name whatever the order of the list);
 * marking one of 10 servers down, or removing it from the list, moves only that server's clients, between
 * 8% and 12% of all (the measured fraction is printed); marking it up again or adding it back restores
 * every client; adding an 11th server moves clients only onto it; weights scale the shares; IPv6 clients
 * spread and an IPv4-mapped address is its IPv4 client; retries walk on to another server; backups take
 * over when every primary is down; and an address that is not 4 or 16 bytes is refused. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "gateway/balancer.h"

#define CLIENTS     10000
#define SERVERS_MAX 16

struct group {
        struct gw_balancer_server servers[SERVERS_MAX];
        char names[SERVERS_MAX][32];
        size_t num;
};

static void group_add(struct group *g, unsigned id, unsigned weight, bool is_backup)
{
        CHECK(g->num < SERVERS_MAX);
        snprintf(g->names[g->num], sizeof g->names[g->num], "10.1.0.%u:8080", id);
        g->servers[g->num] =
            (struct gw_balancer_server){.name = g->names[g->num], .weight = weight, .is_backup = is_backup};
        g->num++;
}

/* group_of_ten fills g with servers 10.1.0.0..9, weight 1, leaving out skip (>= 10: none) and, when
 * reversed, in the opposite order. */
static void group_of_ten(struct group *g, unsigned skip, bool is_reversed)
{
        memset(g, 0, sizeof *g);
        for (unsigned i = 0; i < 10; i++) {
                unsigned id = is_reversed ? 9 - i : i;
                if (id != skip)
                        group_add(g, id, 1, false);
        }
}

static struct gw_balancer *group_balancer(const struct group *g)
{
        struct gw_balancer *b = NULL;
        struct err err = {0};
        CHECK_OK(gw_balancer_new(&b, g->servers, g->num, GW_BALANCE_IP_HASH, &err), &err);
        return b;
}

/* client_address is client c's IPv4 address in 198.18.0.0/15 (RFC 2544 benchmarking addresses). */
static void client_address(uint8_t out[4], size_t c)
{
        out[0] = 198;
        out[1] = (uint8_t)(18 + c / 65536);
        out[2] = (uint8_t)(c / 256);
        out[3] = (uint8_t)c;
}

static size_t pick_for(struct gw_balancer *b, const uint8_t *address, size_t len, const size_t *excluded,
                       size_t num_excluded)
{
        struct gw_balancer_request req = {.address = address,
                                          .address_len = len,
                                          .persisted = SIZE_MAX,
                                          .excluded = excluded,
                                          .num_excluded = num_excluded};
        size_t server = SIZE_MAX;
        struct err err = {0};
        CHECK_OK(gw_balancer_pick(b, &req, &server, &err), &err);
        return server;
}

/* map_clients fills names[c] with the name of client c's server. */
static void map_clients(struct gw_balancer *b, const struct group *g, const char *names[CLIENTS])
{
        for (size_t c = 0; c < CLIENTS; c++) {
                uint8_t address[4];
                client_address(address, c);
                names[c] = g->names[pick_for(b, address, 4, NULL, 0)];
        }
}

/* count_moved counts clients whose server changed, failing when one moved between two servers that were
 * both there before and after (only a removed server's clients may move, only to an added one). */
static size_t count_moved(const char *before[CLIENTS], const char *after[CLIENTS], const char *gone, const char *added)
{
        size_t moved = 0;
        for (size_t c = 0; c < CLIENTS; c++) {
                if (strcmp(before[c], after[c]) == 0)
                        continue;
                moved++;
                bool is_allowed =
                    (gone != NULL && strcmp(before[c], gone) == 0) || (added != NULL && strcmp(after[c], added) == 0);
                if (!is_allowed)
                        check_fail(__FILE__, __LINE__, "client %zu moved from %s to %s", c, before[c], after[c]);
        }
        return moved;
}

static void check_fraction(size_t moved, double low, double high, const char *what)
{
        double fraction = (double)moved / CLIENTS;
        printf("     %s: %zu of %d clients remapped (%.2f%%)\n", what, moved, CLIENTS, 100 * fraction);
        if (fraction < low || fraction > high)
                check_fail(__FILE__, __LINE__, "%s: remapped %.4f, expected %.2f..%.2f", what, fraction, low, high);
}

static const char *before[CLIENTS], *after[CLIENTS], *again[CLIENTS];

static void test_same_client_same_server(void)
{
        struct group g, reversed;
        group_of_ten(&g, 10, false);
        group_of_ten(&reversed, 10, true);
        struct gw_balancer *b = group_balancer(&g), *r = group_balancer(&reversed);
        map_clients(b, &g, before);
        map_clients(b, &g, again);
        map_clients(r, &reversed, after);
        CHECK_EQ(count_moved(before, again, NULL, NULL), 0);
        CHECK_EQ(count_moved(before, after, NULL, NULL), 0); /* by name, not by position */
        /* Every server gets a tenth of the clients, give or take the ring's granularity. */
        for (size_t s = 0; s < 10; s++) {
                size_t count = 0;
                for (size_t c = 0; c < CLIENTS; c++)
                        count += before[c] == g.names[s] ? 1 : 0;
                CHECK(count > CLIENTS / 10 * 7 / 10 && count < CLIENTS / 10 * 13 / 10);
        }
        gw_balancer_free(b);
        gw_balancer_free(r);
}

/* One of 10 servers down, for each of the 10 in turn: only its clients move, 8..12% of all. */
static void test_down_server_remaps_its_share(void)
{
        struct group g;
        group_of_ten(&g, 10, false);
        struct gw_balancer *b = group_balancer(&g);
        struct err err = {0};
        map_clients(b, &g, before);
        size_t total_moved = 0;
        for (size_t s = 0; s < 10; s++) {
                CHECK_OK(gw_balancer_set_up(b, s, false, 0, &err), &err);
                map_clients(b, &g, after);
                size_t moved = count_moved(before, after, g.names[s], NULL);
                char what[64];
                snprintf(what, sizeof what, "server %zu of 10 down", s);
                check_fraction(moved, 0.08, 0.12, what);
                total_moved += moved;
                CHECK_OK(gw_balancer_set_up(b, s, true, 0, &err), &err);
                map_clients(b, &g, again);
                CHECK_EQ(count_moved(before, again, NULL, NULL), 0);
        }
        /* Each client lives on exactly one server, so the ten shares add up to all. */
        CHECK_EQ(total_moved, CLIENTS);
        gw_balancer_free(b);
}

/* The list without server 3 (a configuration change), then with it again, then with an 11th server. */
static void test_removed_and_added_server(void)
{
        struct group g, without;
        group_of_ten(&g, 10, false);
        group_of_ten(&without, 3, false);
        struct gw_balancer *b = group_balancer(&g), *w = group_balancer(&without);
        map_clients(b, &g, before);
        map_clients(w, &without, after);
        check_fraction(count_moved(before, after, g.names[3], NULL), 0.08, 0.12, "server 3 of 10 removed");
        struct gw_balancer *back = group_balancer(&g);
        map_clients(back, &g, again);
        CHECK_EQ(count_moved(before, again, NULL, NULL), 0);
        struct group eleven;
        group_of_ten(&eleven, 10, false);
        group_add(&eleven, 10, 1, false);
        struct gw_balancer *e = group_balancer(&eleven);
        map_clients(e, &eleven, after);
        check_fraction(count_moved(before, after, NULL, eleven.names[10]), 0.06, 0.12, "an 11th server added");
        gw_balancer_free(b);
        gw_balancer_free(w);
        gw_balancer_free(back);
        gw_balancer_free(e);
}

static void test_weights_scale_shares(void)
{
        struct group g = {0};
        group_add(&g, 0, 5, false);
        group_add(&g, 1, 3, false);
        group_add(&g, 2, 1, false);
        struct gw_balancer *b = group_balancer(&g);
        size_t counts[3] = {0};
        for (size_t c = 0; c < 100000; c++) {
                uint8_t address[4];
                client_address(address, c);
                counts[pick_for(b, address, 4, NULL, 0)]++;
        }
        static const double want[3] = {5.0 / 9, 3.0 / 9, 1.0 / 9};
        for (size_t s = 0; s < 3; s++) {
                double share = counts[s] / 100000.0;
                printf("     weight %u: %.4f of clients (weight share %.4f)\n", g.servers[s].weight, share, want[s]);
                CHECK(share > want[s] * 0.85 && share < want[s] * 1.15);
        }
        gw_balancer_free(b);
}

static void test_ipv6_clients(void)
{
        struct group g;
        group_of_ten(&g, 10, false);
        struct gw_balancer *b = group_balancer(&g);
        size_t counts[10] = {0};
        for (size_t c = 0; c < CLIENTS; c++) {
                uint8_t address[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
                address[6] = (uint8_t)(c >> 8);
                address[7] = (uint8_t)c;
                counts[pick_for(b, address, 16, NULL, 0)]++;
        }
        for (size_t s = 0; s < 10; s++)
                CHECK(counts[s] > CLIENTS / 10 * 7 / 10 && counts[s] < CLIENTS / 10 * 13 / 10);
        /* ::ffff:198.18.x.y through a dual-stack socket is the IPv4 client 198.18.x.y. */
        for (size_t c = 0; c < 1000; c++) {
                uint8_t v4[4], mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
                client_address(v4, c);
                memcpy(mapped + 12, v4, 4);
                CHECK_EQ(pick_for(b, mapped, 16, NULL, 0), pick_for(b, v4, 4, NULL, 0));
        }
        uint8_t bad[5] = {0};
        struct gw_balancer_request req = {.address = bad, .address_len = 5, .persisted = SIZE_MAX};
        size_t server = 0;
        struct err err = {0};
        CHECK_STATUS(gw_balancer_pick(b, &req, &server, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "5 bytes") != NULL);
        req.address = NULL;
        req.address_len = 0;
        CHECK_STATUS(gw_balancer_pick(b, &req, &server, &err), SMT_EINVAL);
        gw_balancer_free(b);
}

/* A retry excluding the client's server goes on round the ring: a fixed second choice, and never the
 * server tried. */
static void test_retry_walks_on(void)
{
        struct group g;
        group_of_ten(&g, 10, false);
        struct gw_balancer *b = group_balancer(&g);
        for (size_t c = 0; c < 1000; c++) {
                uint8_t address[4];
                client_address(address, c);
                size_t tried[2];
                tried[0] = pick_for(b, address, 4, NULL, 0);
                tried[1] = pick_for(b, address, 4, tried, 1);
                CHECK(tried[1] != tried[0]);
                CHECK_EQ(pick_for(b, address, 4, tried, 1), tried[1]);
                size_t third = pick_for(b, address, 4, tried, 2);
                CHECK(third != tried[0] && third != tried[1]);
        }
        gw_balancer_free(b);
}

static void test_backups_take_over(void)
{
        struct group g = {0};
        group_add(&g, 0, 1, false);
        group_add(&g, 1, 1, false);
        group_add(&g, 2, 1, true);
        group_add(&g, 3, 1, true);
        struct gw_balancer *b = group_balancer(&g);
        struct err err = {0};
        size_t counts[4] = {0};
        for (size_t c = 0; c < 1000; c++) {
                uint8_t address[4];
                client_address(address, c);
                counts[pick_for(b, address, 4, NULL, 0)]++;
        }
        CHECK(counts[0] > 0 && counts[1] > 0 && counts[2] == 0 && counts[3] == 0);
        CHECK_OK(gw_balancer_set_up(b, 0, false, 0, &err), &err);
        CHECK_OK(gw_balancer_set_up(b, 1, false, 0, &err), &err);
        memset(counts, 0, sizeof counts);
        for (size_t c = 0; c < 1000; c++) {
                uint8_t address[4];
                client_address(address, c);
                size_t server = pick_for(b, address, 4, NULL, 0);
                counts[server]++;
                CHECK_EQ(pick_for(b, address, 4, NULL, 0), server);
        }
        CHECK(counts[0] == 0 && counts[1] == 0 && counts[2] > 0 && counts[3] > 0);
        gw_balancer_free(b);
}

CHECK_MAIN(CHECK_TEST(test_same_client_same_server), CHECK_TEST(test_down_server_remaps_its_share),
           CHECK_TEST(test_removed_and_added_server), CHECK_TEST(test_weights_scale_shares),
           CHECK_TEST(test_ipv6_clients), CHECK_TEST(test_retry_walks_on), CHECK_TEST(test_backups_take_over))
