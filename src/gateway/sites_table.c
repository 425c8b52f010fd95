/* src/gateway/sites_table.c: SipHash-2-4 and the open-addressing table the sites and files are found in. */
#include <stdlib.h>
#include <string.h>

#include "gateway/sites_internal.h"

static uint64_t gw_sites_rotl(uint64_t x, unsigned bits)
{
        return (x << bits) | (x >> (64 - bits));
}

static uint64_t gw_sites_load_le(const uint8_t *data, size_t len)
{
        uint64_t word = 0;
        for (size_t i = 0; i < len; i++)
                word |= (uint64_t)data[i] << (8 * i);
        return word;
}

/* SipRound (the paper's §2, figure 2.1). */
static void gw_sites_sipround(uint64_t v[4])
{
        v[0] += v[1];
        v[1] = gw_sites_rotl(v[1], 13) ^ v[0];
        v[0] = gw_sites_rotl(v[0], 32);
        v[2] += v[3];
        v[3] = gw_sites_rotl(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = gw_sites_rotl(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = gw_sites_rotl(v[1], 17) ^ v[2];
        v[2] = gw_sites_rotl(v[2], 32);
}

static void gw_sites_sipcompress(uint64_t v[4], uint64_t m)
{
        v[3] ^= m;
        gw_sites_sipround(v);
        gw_sites_sipround(v);
        v[0] ^= m;
}

uint64_t gw_sites_siphash(const uint8_t key[GW_SITES_HASH_KEY_LEN], const uint8_t *data, size_t len)
{
        uint64_t k0 = gw_sites_load_le(key, 8), k1 = gw_sites_load_le(key + 8, 8);
        /* "somepseudorandomlygeneratedbytes" */
        uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
                         k1 ^ 0x7465646279746573ULL};
        size_t whole = len - len % 8;
        for (size_t i = 0; i < whole; i += 8)
                gw_sites_sipcompress(v, gw_sites_load_le(data + i, 8));
        /* The last block holds the remaining bytes and, in its top byte, the length mod 256. */
        gw_sites_sipcompress(v, gw_sites_load_le(data + whole, len % 8) | ((uint64_t)len << 56));
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++)
                gw_sites_sipround(v);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static int gw_sites_table_allocate(struct gw_sites_table *table, size_t num_slots, struct err *err)
{
        table->slots = calloc(num_slots, sizeof *table->slots);
        if (table->slots == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sites: no memory for a table of %zu names", num_slots / 2);
        table->mask = num_slots - 1;
        table->num = 0;
        return SMT_OK;
}

int gw_sites_table_init(struct gw_sites_table *table, size_t expected, const uint8_t hash_key[GW_SITES_HASH_KEY_LEN],
                        struct err *err)
{
        memset(table, 0, sizeof *table);
        memcpy(table->hash_key, hash_key, GW_SITES_HASH_KEY_LEN);
        size_t num_slots = 16;
        while (num_slots < 2 * expected && num_slots < SIZE_MAX / 4)
                num_slots *= 2;
        return gw_sites_table_allocate(table, num_slots, err);
}

/* The slot holding key, or the free slot where it would go. */
static struct gw_sites_slot *gw_sites_table_find(const struct gw_sites_table *table, uint64_t hash, const char *key,
                                                 size_t key_len)
{
        size_t index = (size_t)hash & table->mask;
        for (;;) {
                struct gw_sites_slot *slot = &table->slots[index];
                if (slot->key == NULL ||
                    (slot->hash == hash && slot->key_len == key_len && memcmp(slot->key, key, key_len) == 0))
                        return slot;
                index = (index + 1) & table->mask;
        }
}

/* Doubles the slots, so the table stays at most half full and every probe ends at a free slot soon. */
static int gw_sites_table_grow(struct gw_sites_table *table, struct err *err)
{
        struct gw_sites_table bigger = *table;
        TRY(gw_sites_table_allocate(&bigger, (table->mask + 1) * 2, err));
        for (size_t i = 0; i <= table->mask; i++) {
                const struct gw_sites_slot *slot = &table->slots[i];
                if (slot->key != NULL)
                        *gw_sites_table_find(&bigger, slot->hash, slot->key, slot->key_len) = *slot;
        }
        bigger.num = table->num;
        free(table->slots);
        *table = bigger;
        return SMT_OK;
}

int gw_sites_table_insert(struct gw_sites_table *table, const char *key, size_t key_len, void *value, void **existing,
                          struct err *err)
{
        if (existing != NULL)
                *existing = NULL;
        if (2 * (table->num + 1) > table->mask + 1)
                TRY(gw_sites_table_grow(table, err));
        uint64_t hash = gw_sites_siphash(table->hash_key, (const uint8_t *)key, key_len);
        struct gw_sites_slot *slot = gw_sites_table_find(table, hash, key, key_len);
        if (slot->key != NULL) {
                if (existing != NULL)
                        *existing = slot->value;
                return SMT_OK;
        }
        *slot = (struct gw_sites_slot){.hash = hash, .key = key, .key_len = key_len, .value = value};
        table->num++;
        return SMT_OK;
}

void *gw_sites_table_lookup(const struct gw_sites_table *table, const char *key, size_t key_len)
{
        if (table->slots == NULL)
                return NULL;
        uint64_t hash = gw_sites_siphash(table->hash_key, (const uint8_t *)key, key_len);
        return gw_sites_table_find(table, hash, key, key_len)->value;
}

void gw_sites_table_cleanup(struct gw_sites_table *table)
{
        free(table->slots);
        explicit_bzero(table->hash_key, sizeof table->hash_key);
        memset(table, 0, sizeof *table);
}
