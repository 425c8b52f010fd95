/* src/tlcp/session_cache.c: a ring of session slots with a chained hash index on the session ID. */
#include "tlcp/session_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TLCP_SESSION_CACHE_MAX_ENTRIES 1000000
#define TLCP_SESSION_CACHE_NONE        SIZE_MAX

struct tlcp_session_cache_entry {
        bool is_used;
        size_t bucket_next; /* next entry of the same bucket, or TLCP_SESSION_CACHE_NONE */
        struct tlcp_session session;
        struct tlcp_session_certificates certificates; /* owned; handed out as copies */
};

struct tlcp_session_cache {
        struct tlcp_session_cache_entry *entries; /* max_entries slots, filled in ring order */
        size_t max_entries;
        size_t ring_next; /* the slot the next store takes: the oldest one once the ring is full */
        size_t count;
        size_t *buckets; /* num_buckets heads (a power of two), TLCP_SESSION_CACHE_NONE when empty */
        size_t num_buckets;
        time_t lifetime;
        pthread_mutex_t lock; /* worker threads share one cache: every public operation holds it */
};

void tlcp_session_wipe(struct tlcp_session *session)
{
        explicit_bzero(session, sizeof *session);
}

void tlcp_session_certificates_cleanup(struct tlcp_session_certificates *certificates)
{
        cert_free(certificates->sign_cert);
        cert_free(certificates->enc_cert);
        *certificates = (struct tlcp_session_certificates){0};
}

/* tlcp_session_certificates_copy makes out independent copies of in (NULL or NULL members: none). */
static int tlcp_session_certificates_copy(struct tlcp_session_certificates *out,
                                          const struct tlcp_session_certificates *in, struct err *err)
{
        *out = (struct tlcp_session_certificates){0};
        int status = SMT_OK;
        if (in != NULL && in->sign_cert != NULL)
                status = cert_dup(&out->sign_cert, in->sign_cert, err);
        if (status == SMT_OK && in != NULL && in->enc_cert != NULL)
                status = cert_dup(&out->enc_cert, in->enc_cert, err);
        if (status < 0)
                tlcp_session_certificates_cleanup(out);
        return status;
}

int tlcp_session_cache_new(struct tlcp_session_cache **out, size_t max_entries, time_t lifetime, struct err *err)
{
        if (max_entries == 0 || max_entries > TLCP_SESSION_CACHE_MAX_ENTRIES || lifetime <= 0)
                return SMT_ERR(err, SMT_EINVAL, "session cache: %zu entries (1..%d) living %lld s (> 0)", max_entries,
                               TLCP_SESSION_CACHE_MAX_ENTRIES, (long long)lifetime);
        struct tlcp_session_cache *cache = calloc(1, sizeof *cache);
        size_t num_buckets = 1;
        while (num_buckets < max_entries)
                num_buckets *= 2;
        if (cache != NULL) {
                cache->entries = calloc(max_entries, sizeof *cache->entries);
                cache->buckets = malloc(num_buckets * sizeof *cache->buckets);
        }
        if (cache == NULL || cache->entries == NULL || cache->buckets == NULL) {
                tlcp_session_cache_free(cache);
                return SMT_ERR(err, SMT_ENOMEM, "session cache: out of memory for %zu entries", max_entries);
        }
        for (size_t i = 0; i < num_buckets; i++)
                cache->buckets[i] = TLCP_SESSION_CACHE_NONE;
        cache->max_entries = max_entries;
        cache->num_buckets = num_buckets;
        cache->lifetime = lifetime;
        pthread_mutex_init(&cache->lock, NULL);
        *out = cache;
        return SMT_OK;
}

void tlcp_session_cache_free(struct tlcp_session_cache *cache)
{
        if (cache == NULL)
                return;
        for (size_t i = 0; cache->entries != NULL && i < cache->max_entries; i++)
                tlcp_session_certificates_cleanup(&cache->entries[i].certificates);
        if (cache->entries != NULL)
                explicit_bzero(cache->entries, cache->max_entries * sizeof *cache->entries);
        free(cache->entries);
        free(cache->buckets);
        if (cache->max_entries > 0)
                pthread_mutex_destroy(&cache->lock);
        free(cache);
}

/* FNV-1a over the ID. IDs we store are random; one a client makes up only walks one bucket's chain. */
static size_t tlcp_session_cache_bucket(const struct tlcp_session_cache *cache, const uint8_t *id, size_t id_len)
{
        uint32_t hash = 2166136261u;
        for (size_t i = 0; i < id_len; i++)
                hash = (hash ^ id[i]) * 16777619u;
        return hash & (cache->num_buckets - 1);
}

static size_t tlcp_session_cache_find(const struct tlcp_session_cache *cache, const uint8_t *id, size_t id_len)
{
        if (id_len == 0 || id_len > TLCP_SESSION_ID_MAX)
                return TLCP_SESSION_CACHE_NONE;
        size_t index = cache->buckets[tlcp_session_cache_bucket(cache, id, id_len)];
        while (index != TLCP_SESSION_CACHE_NONE) {
                const struct tlcp_session *session = &cache->entries[index].session;
                if (session->id_len == id_len && memcmp(session->id, id, id_len) == 0)
                        return index;
                index = cache->entries[index].bucket_next;
        }
        return TLCP_SESSION_CACHE_NONE;
}

/* tlcp_session_cache_evict unlinks slot index from its bucket and wipes it. */
static void tlcp_session_cache_evict(struct tlcp_session_cache *cache, size_t index)
{
        struct tlcp_session_cache_entry *entry = &cache->entries[index];
        if (!entry->is_used)
                return;
        size_t *link = &cache->buckets[tlcp_session_cache_bucket(cache, entry->session.id, entry->session.id_len)];
        while (*link != index)
                link = &cache->entries[*link].bucket_next;
        *link = entry->bucket_next;
        tlcp_session_certificates_cleanup(&entry->certificates);
        explicit_bzero(entry, sizeof *entry);
        cache->count--;
}

static int tlcp_session_cache_store_locked(struct tlcp_session_cache *cache, const struct tlcp_session *session,
                             const struct tlcp_session_certificates *certificates, struct err *err)
{
        if (session->id_len == 0 || session->id_len > TLCP_SESSION_ID_MAX)
                return SMT_ERR(err, SMT_EINVAL, "session cache: session ID of %zu bytes (1..%d)", session->id_len,
                               TLCP_SESSION_ID_MAX);
        struct tlcp_session_certificates copies;
        TRY(tlcp_session_certificates_copy(&copies, certificates, err));
        size_t existing = tlcp_session_cache_find(cache, session->id, session->id_len);
        if (existing != TLCP_SESSION_CACHE_NONE) {
                struct tlcp_session_cache_entry *entry = &cache->entries[existing];
                entry->session = *session; /* same ID: same bucket, same slot */
                tlcp_session_certificates_cleanup(&entry->certificates);
                entry->certificates = copies;
                return SMT_OK;
        }
        size_t index = cache->ring_next;
        cache->ring_next = (cache->ring_next + 1) % cache->max_entries;
        tlcp_session_cache_evict(cache, index);
        struct tlcp_session_cache_entry *entry = &cache->entries[index];
        size_t bucket = tlcp_session_cache_bucket(cache, session->id, session->id_len);
        entry->is_used = true;
        entry->session = *session;
        entry->certificates = copies;
        entry->bucket_next = cache->buckets[bucket];
        cache->buckets[bucket] = index;
        cache->count++;
        return SMT_OK;
}

static int tlcp_session_cache_lookup_locked(struct tlcp_session_cache *cache, struct tlcp_session *out,
                              struct tlcp_session_certificates *certificates, const uint8_t *id, size_t id_len,
                              time_t now, struct err *err)
{
        size_t index = tlcp_session_cache_find(cache, id, id_len);
        if (index == TLCP_SESSION_CACHE_NONE)
                return 0;
        const struct tlcp_session_cache_entry *entry = &cache->entries[index];
        /* A clock that went back keeps a session alive no longer than lifetime after it did. */
        if (now - entry->session.created >= cache->lifetime || entry->session.created - now > cache->lifetime) {
                tlcp_session_cache_evict(cache, index);
                return 0;
        }
        if (certificates != NULL)
                TRY(tlcp_session_certificates_copy(certificates, &entry->certificates, err));
        *out = entry->session;
        return 1;
}

static void tlcp_session_cache_remove_locked(struct tlcp_session_cache *cache, const uint8_t *id, size_t id_len)
{
        size_t index = tlcp_session_cache_find(cache, id, id_len);
        if (index != TLCP_SESSION_CACHE_NONE)
                tlcp_session_cache_evict(cache, index);
}

int tlcp_session_cache_store(struct tlcp_session_cache *cache, const struct tlcp_session *session,
                             const struct tlcp_session_certificates *certificates, struct err *err)
{
        pthread_mutex_lock(&cache->lock);
        int status = tlcp_session_cache_store_locked(cache, session, certificates, err);
        pthread_mutex_unlock(&cache->lock);
        return status;
}

int tlcp_session_cache_lookup(struct tlcp_session_cache *cache, struct tlcp_session *out,
                              struct tlcp_session_certificates *certificates, const uint8_t *id, size_t id_len,
                              time_t now, struct err *err)
{
        pthread_mutex_lock(&cache->lock);
        int status = tlcp_session_cache_lookup_locked(cache, out, certificates, id, id_len, now, err);
        pthread_mutex_unlock(&cache->lock);
        return status;
}

void tlcp_session_cache_remove(struct tlcp_session_cache *cache, const uint8_t *id, size_t id_len)
{
        pthread_mutex_lock(&cache->lock);
        tlcp_session_cache_remove_locked(cache, id, id_len);
        pthread_mutex_unlock(&cache->lock);
}

size_t tlcp_session_cache_count(const struct tlcp_session_cache *cache)
{
        pthread_mutex_lock((pthread_mutex_t *)&cache->lock);
        size_t count = cache->count;
        pthread_mutex_unlock((pthread_mutex_t *)&cache->lock);
        return count;
}
