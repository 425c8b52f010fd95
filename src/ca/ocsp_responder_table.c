/* src/ca/ocsp_responder_table.c: the kept answers, a chained hash table under a read-write lock: request
 * threads only read (copying the answer out), the refresh thread and revocations write. */
#include <stdlib.h>
#include <string.h>

#include "ca/ocsp_responder_internal.h"

#define CA_OCSP_BUCKETS (1u << 16) /* chains stay short up to about a million answers */

int ca_ocsp_table_init(struct ca_ocsp_table *table, struct err *err)
{
        memset(table, 0, sizeof *table);
        table->buckets = calloc(CA_OCSP_BUCKETS, sizeof *table->buckets);
        if (table->buckets == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "OCSP answers table");
        if (pthread_rwlock_init(&table->lock, NULL) != 0) {
                free(table->buckets);
                return SMT_ERR(err, SMT_EINTERNAL, "OCSP answers table: lock");
        }
        table->num_buckets = CA_OCSP_BUCKETS;
        return SMT_OK;
}

static void ca_ocsp_entry_free(struct ca_ocsp_entry *entry)
{
        if (entry != NULL)
                free(entry->der);
        free(entry);
}

void ca_ocsp_table_cleanup(struct ca_ocsp_table *table)
{
        if (table->buckets == NULL)
                return;
        for (size_t i = 0; i < table->num_buckets; i++)
                for (struct ca_ocsp_entry *e = table->buckets[i], *next; e != NULL; e = next) {
                        next = e->next;
                        ca_ocsp_entry_free(e);
                }
        free(table->buckets);
        pthread_rwlock_destroy(&table->lock);
        memset(table, 0, sizeof *table);
}

/* FNV-1a over the serial alone (serials are random, so this spreads well): every answer about one
 * certificate, whatever the CertID hash, sits in one chain, which a revocation walks. */
static size_t ca_ocsp_bucket_of(const struct ca_ocsp_table *table, const uint8_t *serial, size_t serial_len)
{
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < serial_len; i++)
                h = (h ^ serial[i]) * 1099511628211ULL;
        return (size_t)(h & (table->num_buckets - 1));
}

static size_t ca_ocsp_bucket(const struct ca_ocsp_table *table, const struct ca_ocsp_key *key)
{
        return ca_ocsp_bucket_of(table, key->serial, key->serial_len);
}

static bool ca_ocsp_key_equal(const struct ca_ocsp_key *a, const struct ca_ocsp_key *b)
{
        return a->ca_index == b->ca_index && a->hash == b->hash && a->serial_len == b->serial_len &&
               memcmp(a->serial, b->serial, a->serial_len) == 0;
}

bool ca_ocsp_table_get(struct ca_ocsp_table *table, const struct ca_ocsp_key *key, struct ca_ocsp_copy *out)
{
        bool found = false;
        pthread_rwlock_rdlock(&table->lock);
        for (struct ca_ocsp_entry *e = table->buckets[ca_ocsp_bucket(table, key)]; e != NULL; e = e->next) {
                if (!ca_ocsp_key_equal(&e->key, key))
                        continue;
                out->der = malloc(e->der_len);
                if (out->der != NULL) {
                        memcpy(out->der, e->der, e->der_len);
                        out->der_len = e->der_len;
                        out->this_update = e->this_update;
                        out->next_update = e->next_update;
                        found = true;
                }
                break;
        }
        pthread_rwlock_unlock(&table->lock);
        return found;
}

uint64_t ca_ocsp_table_generation(struct ca_ocsp_table *table)
{
        pthread_rwlock_rdlock(&table->lock);
        uint64_t generation = table->generation;
        pthread_rwlock_unlock(&table->lock);
        return generation;
}

void ca_ocsp_table_put(struct ca_ocsp_table *table, struct ca_ocsp_entry *entry, uint64_t generation)
{
        pthread_rwlock_wrlock(&table->lock);
        if (table->generation != generation) {
                pthread_rwlock_unlock(&table->lock);
                ca_ocsp_entry_free(entry);
                return;
        }
        struct ca_ocsp_entry **at = &table->buckets[ca_ocsp_bucket(table, &entry->key)];
        for (; *at != NULL; at = &(*at)->next)
                if (ca_ocsp_key_equal(&(*at)->key, &entry->key))
                        break;
        struct ca_ocsp_entry *old = *at;
        entry->next = old != NULL ? old->next : NULL;
        *at = entry;
        table->count += old == NULL;
        pthread_rwlock_unlock(&table->lock);
        ca_ocsp_entry_free(old);
}

/* Drops the serial's answers (any CA, any hash) for which keep_revoked does not spare them. */
static void ca_ocsp_table_drop(struct ca_ocsp_table *table, const uint8_t *serial, size_t serial_len,
                               bool keep_revoked)
{
        struct ca_ocsp_entry *dropped = NULL;
        pthread_rwlock_wrlock(&table->lock);
        for (struct ca_ocsp_entry **at = &table->buckets[ca_ocsp_bucket_of(table, serial, serial_len)]; *at != NULL;) {
                struct ca_ocsp_entry *e = *at;
                bool match = e->key.serial_len == serial_len && memcmp(e->key.serial, serial, serial_len) == 0 &&
                             !(keep_revoked && e->status == OCSP_CERT_REVOKED);
                if (!match) {
                        at = &e->next;
                        continue;
                }
                *at = e->next;
                e->next = dropped;
                dropped = e;
                table->count--;
        }
        if (dropped != NULL || !keep_revoked)
                table->generation++;
        pthread_rwlock_unlock(&table->lock);
        while (dropped != NULL) {
                struct ca_ocsp_entry *next = dropped->next;
                ca_ocsp_entry_free(dropped);
                dropped = next;
        }
}

void ca_ocsp_table_drop_serial(struct ca_ocsp_table *table, const uint8_t *serial, size_t serial_len)
{
        ca_ocsp_table_drop(table, serial, serial_len, false);
}

void ca_ocsp_table_drop_if_not_revoked(struct ca_ocsp_table *table, const uint8_t *serial, size_t serial_len)
{
        ca_ocsp_table_drop(table, serial, serial_len, true);
}

void ca_ocsp_table_postpone(struct ca_ocsp_table *table, const struct ca_ocsp_key *key, int64_t at)
{
        pthread_rwlock_wrlock(&table->lock);
        for (struct ca_ocsp_entry *e = table->buckets[ca_ocsp_bucket(table, key)]; e != NULL; e = e->next)
                if (ca_ocsp_key_equal(&e->key, key))
                        e->refresh_at = at;
        pthread_rwlock_unlock(&table->lock);
}

size_t ca_ocsp_table_due(struct ca_ocsp_table *table, int64_t now, struct ca_ocsp_key *keys, size_t cap)
{
        size_t num = 0;
        pthread_rwlock_rdlock(&table->lock);
        for (size_t i = 0; i < table->num_buckets && num < cap; i++)
                for (struct ca_ocsp_entry *e = table->buckets[i]; e != NULL && num < cap; e = e->next)
                        if (e->refresh_at <= now)
                                keys[num++] = e->key;
        pthread_rwlock_unlock(&table->lock);
        return num;
}

size_t ca_ocsp_table_count(struct ca_ocsp_table *table)
{
        pthread_rwlock_rdlock(&table->lock);
        size_t count = table->count;
        pthread_rwlock_unlock(&table->lock);
        return count;
}
