/* src/gateway/balancer_ring.c: the consistent-hash ring of IP_HASH (Karger et al., "Consistent hashing
 * and random trees", STOC 1997; the points-per-server layout of libketama).
 *
 * Each server of a group gets about 160 points, scaled by weight against the group's average
 * (round(160 x servers x weight / total weight), at least 1), each at hash(name || 0 || replica as 4
 * bytes big endian). Points depend on names, not positions in the list, so adding or removing a server
 * of average weight leaves every other point where it was: only clients whose walk met the removed
 * server's points move. A server marked down keeps its points and is skipped by the walk, which has the
 * same effect without rebuilding anything. */
#include "gateway/balancer_internal.h"

#include <stdlib.h>
#include <string.h>

#define RING_POINTS_PER_SERVER 160
#define FNV_OFFSET_BASIS       0xcbf29ce484222325ULL /* the 64-bit FNV offset basis and prime (draft-eastlake-fnv) */
#define FNV_PRIME              0x100000001b3ULL

uint64_t gw_balancer_hash(const uint8_t *data, size_t len)
{
        uint64_t h = FNV_OFFSET_BASIS;
        for (size_t i = 0; i < len; i++) {
                h ^= data[i];
                h *= FNV_PRIME;
        }
        /* MurmurHash3's fmix64: FNV-1a alone moves the high bits little for short keys. */
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

uint64_t gw_balancer_address_hash(const uint8_t *address, size_t len)
{
        /* ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) is the IPv4 client a.b.c.d seen through a dual-stack socket. */
        static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (len == 16 && memcmp(address, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0)
                return gw_balancer_hash(address + sizeof v4_mapped_prefix, 4);
        return gw_balancer_hash(address, len);
}

static uint64_t ring_point_hash(const char *name, uint32_t replica)
{
        uint8_t key[GW_BALANCER_NAME_MAX + 5];
        size_t name_len = strlen(name);
        memcpy(key, name, name_len);
        key[name_len] = 0;
        key[name_len + 1] = (uint8_t)(replica >> 24);
        key[name_len + 2] = (uint8_t)(replica >> 16);
        key[name_len + 3] = (uint8_t)(replica >> 8);
        key[name_len + 4] = (uint8_t)replica;
        return gw_balancer_hash(key, name_len + 5);
}

static int ring_compare_points(const void *x, const void *y)
{
        const struct gw_balancer_point *a = x, *b = y;
        if (a->hash != b->hash)
                return a->hash < b->hash ? -1 : 1;
        return a->server < b->server ? -1 : a->server > b->server ? 1 : 0;
}

/* ring_num_points gives each server of the group its share of points; returns the total. */
static size_t ring_num_points(const struct gw_balancer_slot *slots, size_t num, bool is_backup, uint32_t *points)
{
        uint64_t num_servers = 0, total_weight = 0;
        for (size_t i = 0; i < num; i++) {
                if (slots[i].config.is_backup == is_backup) {
                        num_servers++;
                        total_weight += slots[i].config.weight;
                }
        }
        size_t total = 0;
        for (size_t i = 0; i < num; i++) {
                points[i] = 0;
                if (slots[i].config.is_backup != is_backup)
                        continue;
                uint64_t scaled = RING_POINTS_PER_SERVER * num_servers * slots[i].config.weight;
                points[i] = (uint32_t)((scaled + total_weight / 2) / total_weight);
                if (points[i] == 0)
                        points[i] = 1;
                total += points[i];
        }
        return total;
}

int gw_balancer_ring_build(struct gw_balancer_ring *ring, const struct gw_balancer_slot *slots, size_t num,
                           bool is_backup, struct err *err)
{
        ring->points = NULL;
        ring->num_points = 0;
        uint32_t *points = calloc(num, sizeof *points);
        if (points == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for the hash ring of %zu servers", num);
        size_t total = ring_num_points(slots, num, is_backup, points);
        if (total == 0) {
                free(points);
                return SMT_OK;
        }
        ring->points = calloc(total, sizeof *ring->points);
        if (ring->points == NULL) {
                free(points);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for a hash ring of %zu points", total);
        }
        for (size_t i = 0; i < num; i++) {
                for (uint32_t replica = 0; replica < points[i]; replica++) {
                        struct gw_balancer_point *point = &ring->points[ring->num_points++];
                        point->hash = ring_point_hash(slots[i].name, replica);
                        point->server = (uint32_t)i;
                }
        }
        free(points);
        qsort(ring->points, ring->num_points, sizeof *ring->points, ring_compare_points);
        return SMT_OK;
}

void gw_balancer_ring_cleanup(struct gw_balancer_ring *ring)
{
        free(ring->points);
        ring->points = NULL;
        ring->num_points = 0;
}

size_t gw_balancer_ring_pick(const struct gw_balancer_ring *ring, const bool *is_candidate, uint64_t hash)
{
        /* The first point at or after hash (lower bound), wrapping past the top of the ring. */
        size_t low = 0, high = ring->num_points;
        while (low < high) {
                size_t middle = low + (high - low) / 2;
                if (ring->points[middle].hash < hash)
                        low = middle + 1;
                else
                        high = middle;
        }
        for (size_t step = 0; step < ring->num_points; step++) {
                const struct gw_balancer_point *point = &ring->points[(low + step) % ring->num_points];
                if (is_candidate[point->server])
                        return point->server;
        }
        return SIZE_MAX;
}
