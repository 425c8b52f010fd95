/* src/ca/crl_cache.c: current CRLs in memory, a refreshing thread, and their HTTP answers (crl_cache.h): the
 * URL of the certificates' distribution point (RFC 5280 §4.2.1.13), a DER body of type application/pkix-crl
 * (RFC 2585 §4.2), and caching fields (RFC 9111 §5.2.2.1, RFC 9110 §8.8) that never let a cache keep a CRL
 * past its nextUpdate. */
#include "ca/crl_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "ca/revocation.h"

/* After a failed refresh (store unreachable) the thread tries again this soon, the old CRLs served meanwhile. */
#define CA_CRL_RETRY_MS 5000

struct ca_crl_slot {
        char name[STORE_PROFILE_MAX];
        struct ca_crl crl;
};

struct ca_crl_cache {
        const struct ca_config *config;
        struct store *store;
        const struct ca_authorities *authorities;
        pthread_mutex_t lock; /* guards what follows */
        pthread_cond_t wake;
        struct ca_crl_slot *slots;
        size_t num_slots;
        uint64_t last_number; /* the last cRLNumber handed out (crl.c says why they are times) */
        bool is_pending;      /* a revocation asked for new CRLs */
        bool is_stopping;
        bool has_thread;
        bool is_listening;
        pthread_t thread;
};

static int64_t ca_crl_now_ms(clockid_t clock)
{
        struct timespec now;
        clock_gettime(clock, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static struct ca_crl_slot *ca_crl_slot_lookup(struct ca_crl_cache *cache, const char *name)
{
        for (size_t i = 0; i < cache->num_slots; i++)
                if (strcmp(cache->slots[i].name, name) == 0)
                        return &cache->slots[i];
        return NULL;
}

/* ca_crl_cache_keep installs crl unless a newer one is there already (made meanwhile by another thread);
 * called with the lock held; takes crl over either way. */
static int ca_crl_cache_keep(struct ca_crl_cache *cache, const char *name, struct ca_crl *crl, struct err *err)
{
        struct ca_crl_slot *slot = ca_crl_slot_lookup(cache, name);
        if (slot == NULL) {
                struct ca_crl_slot *grown = realloc(cache->slots, (cache->num_slots + 1) * sizeof *grown);
                if (grown == NULL) {
                        ca_crl_cleanup(crl);
                        return SMT_ERR(err, SMT_ENOMEM, "CRL of CA %s", name);
                }
                cache->slots = grown;
                slot = &cache->slots[cache->num_slots++];
                memset(slot, 0, sizeof *slot);
                snprintf(slot->name, sizeof slot->name, "%s", name);
        }
        if (slot->crl.der != NULL && slot->crl.number > crl->number) {
                ca_crl_cleanup(crl);
                return SMT_OK;
        }
        ca_crl_cleanup(&slot->crl);
        slot->crl = *crl;
        return SMT_OK;
}

/* ca_crl_cache_refresh makes one CA's CRL. Its number is reserved under the lock first, so two threads
 * making CRLs at once never give two of them one number. */
static int ca_crl_cache_refresh(struct ca_crl_cache *cache, const struct ca_authority *ca, struct err *err)
{
        int64_t now_ms = ca_crl_now_ms(CLOCK_REALTIME);
        pthread_mutex_lock(&cache->lock);
        uint64_t number = (uint64_t)now_ms > cache->last_number ? (uint64_t)now_ms : cache->last_number + 1;
        cache->last_number = number;
        pthread_mutex_unlock(&cache->lock);
        struct ca_crl crl;
        TRY(ca_crl_make(&crl, ca, cache->store, now_ms, cache->config->revocation.crl_validity, number, err));
        pthread_mutex_lock(&cache->lock);
        int status = ca_crl_cache_keep(cache, ca_authority_name(ca), &crl, err);
        pthread_mutex_unlock(&cache->lock);
        return status;
}

/* The roots' CRLs, at the URLs issuing CA certificates name; skipped quietly when a root's key is kept
 * offline (CA_ENOT_FOUND). */
static int ca_crl_cache_refresh_root(struct ca_crl_cache *cache, const char *root_name, struct err *err)
{
        int64_t now_ms = ca_crl_now_ms(CLOCK_REALTIME);
        pthread_mutex_lock(&cache->lock);
        uint64_t number = (uint64_t)now_ms > cache->last_number ? (uint64_t)now_ms : cache->last_number + 1;
        cache->last_number = number;
        pthread_mutex_unlock(&cache->lock);
        struct ca_crl crl;
        int status = ca_crl_make_root(&crl, cache->authorities, cache->config, root_name, now_ms,
                                      cache->config->revocation.crl_validity, number, err);
        if (status == CA_ENOT_FOUND)
                return SMT_OK;
        TRY(status);
        pthread_mutex_lock(&cache->lock);
        status = ca_crl_cache_keep(cache, root_name, &crl, err);
        pthread_mutex_unlock(&cache->lock);
        return status;
}

/* ca_crl_cache_refresh_all makes every CA's CRL (CAs are only ever added: a count read once stays valid);
 * one CA failing does not keep the others from theirs. Returns the first failure. */
static int ca_crl_cache_refresh_all(struct ca_crl_cache *cache, struct err *err)
{
        size_t count = ca_authorities_count(cache->authorities);
        int first = SMT_OK;
        for (size_t i = 0; i < count; i++) {
                struct err one = {0};
                int status = ca_crl_cache_refresh(cache, ca_authorities_get(cache->authorities, i), &one);
                if (status < 0 && first == SMT_OK) {
                        first = status;
                        if (err != NULL)
                                *err = one;
                }
        }
        static const char *const roots[] = {"sm2-root", "ecc-root"};
        for (size_t i = 0; i < 2; i++) {
                struct err one = {0};
                int status = ca_crl_cache_refresh_root(cache, roots[i], &one);
                if (status < 0 && first == SMT_OK) {
                        first = status;
                        if (err != NULL)
                                *err = one;
                }
        }
        return first;
}

static void ca_crl_deadline(struct timespec *out, int64_t after_ms)
{
        int64_t at = ca_crl_now_ms(CLOCK_MONOTONIC) + after_ms;
        out->tv_sec = (time_t)(at / 1000);
        out->tv_nsec = (long)(at % 1000) * 1000000;
}

static bool ca_crl_is_due(const struct timespec *deadline)
{
        return ca_crl_now_ms(CLOCK_MONOTONIC) >= (int64_t)deadline->tv_sec * 1000 + deadline->tv_nsec / 1000000;
}

static void *ca_crl_cache_run(void *context)
{
        struct ca_crl_cache *cache = context;
        struct timespec deadline;
        ca_crl_deadline(&deadline, cache->config->revocation.crl_interval);
        pthread_mutex_lock(&cache->lock);
        while (!cache->is_stopping) {
                if (!cache->is_pending && !ca_crl_is_due(&deadline)) {
                        SMT_IGNORE(pthread_cond_timedwait(&cache->wake, &cache->lock, &deadline));
                        continue;
                }
                cache->is_pending = false;
                pthread_mutex_unlock(&cache->lock);
                struct err err = {0};
                int status = ca_crl_cache_refresh_all(cache, &err);
                if (status < 0)
                        log_write(LOG_LEVEL_WARNING, "crl: %s (the previous CRLs stay served; retrying)", err.msg);
                int64_t interval = cache->config->revocation.crl_interval;
                ca_crl_deadline(&deadline, status < 0 && interval > CA_CRL_RETRY_MS ? CA_CRL_RETRY_MS : interval);
                pthread_mutex_lock(&cache->lock);
        }
        pthread_mutex_unlock(&cache->lock);
        return NULL;
}

/* A revocation in this process: make every CRL anew now (revocation.h listener). */
static void ca_crl_cache_on_revoked(void *context, const char *serial)
{
        struct ca_crl_cache *cache = context;
        (void)serial;
        pthread_mutex_lock(&cache->lock);
        cache->is_pending = true;
        pthread_cond_signal(&cache->wake);
        pthread_mutex_unlock(&cache->lock);
}

static int ca_crl_cache_init_sync(struct ca_crl_cache *cache, struct err *err)
{
        pthread_condattr_t attributes;
        if (pthread_condattr_init(&attributes) != 0)
                return SMT_ERR(err, SMT_ENOMEM, "crl cache: condition attributes");
        int ok = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&cache->wake, &attributes) == 0;
        pthread_condattr_destroy(&attributes);
        if (!ok)
                return SMT_ERR(err, SMT_EINTERNAL, "crl cache: condition variable");
        if (pthread_mutex_init(&cache->lock, NULL) != 0) {
                pthread_cond_destroy(&cache->wake);
                return SMT_ERR(err, SMT_EINTERNAL, "crl cache: mutex");
        }
        return SMT_OK;
}

int ca_crl_cache_start(struct ca_crl_cache **out, const struct ca_config *config, struct store *store,
                       const struct ca_authorities *authorities, struct err *err)
{
        struct ca_crl_cache *cache = calloc(1, sizeof *cache);
        if (cache == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "crl cache");
        *cache = (struct ca_crl_cache){.config = config, .store = store, .authorities = authorities};
        int status = ca_crl_cache_init_sync(cache, err);
        if (status < 0) {
                free(cache);
                return status;
        }
        status = ca_crl_cache_refresh_all(cache, err);
        if (status == SMT_OK && pthread_create(&cache->thread, NULL, ca_crl_cache_run, cache) != 0)
                status = SMT_ERR(err, SMT_EINTERNAL, "crl cache: cannot start its thread");
        cache->has_thread = status == SMT_OK;
        if (status == SMT_OK)
                status = ca_revocation_listen(store, ca_crl_cache_on_revoked, cache, err);
        cache->is_listening = status == SMT_OK;
        if (status < 0) {
                ca_crl_cache_stop(cache);
                return status;
        }
        *out = cache;
        return SMT_OK;
}

void ca_crl_cache_stop(struct ca_crl_cache *cache)
{
        if (cache == NULL)
                return;
        if (cache->is_listening)
                ca_revocation_unlisten(cache->store, ca_crl_cache_on_revoked, cache);
        if (cache->has_thread) {
                pthread_mutex_lock(&cache->lock);
                cache->is_stopping = true;
                pthread_cond_signal(&cache->wake);
                pthread_mutex_unlock(&cache->lock);
                pthread_join(cache->thread, NULL);
        }
        for (size_t i = 0; i < cache->num_slots; i++)
                ca_crl_cleanup(&cache->slots[i].crl);
        free(cache->slots);
        pthread_cond_destroy(&cache->wake);
        pthread_mutex_destroy(&cache->lock);
        free(cache);
}


static int ca_crl_cache_copy(struct ca_crl_cache *cache, const char *name, struct ca_crl *out, struct err *err)
{
        pthread_mutex_lock(&cache->lock);
        struct ca_crl_slot *slot = ca_crl_slot_lookup(cache, name);
        int status = slot != NULL ? SMT_OK : CA_ENOT_FOUND;
        uint8_t *der = slot != NULL ? malloc(slot->crl.der_len) : NULL;
        if (der != NULL) {
                memcpy(der, slot->crl.der, slot->crl.der_len);
                *out = slot->crl;
                out->der = der;
        } else if (slot != NULL) {
                status = SMT_ERR(err, SMT_ENOMEM, "CRL of CA %s", name);
        }
        pthread_mutex_unlock(&cache->lock);
        return status;
}

int ca_crl_cache_get(struct ca_crl_cache *cache, const char *name, struct ca_crl *out, struct err *err)
{
        int status = ca_crl_cache_copy(cache, name, out, err);
        if (status != CA_ENOT_FOUND)
                return status;
        const struct ca_authority *ca = ca_authorities_find(cache->authorities, name);
        if (ca == NULL)
                return SMT_ERR(err, CA_ENOT_FOUND, "no issuing CA named \"%.60s\"", name);
        TRY(ca_crl_cache_refresh(cache, ca, err));
        return ca_crl_cache_copy(cache, name, out, err);
}

/* --- HTTP --- */

static void ca_crl_http_text(struct http_server_response *response, int status, const char *text)
{
        response->status = status;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "text/plain; charset=utf-8"));
        SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)));
}

/* "/crl/<name>.crl" → name; false when the path is not of that form. */
static bool ca_crl_http_name(const char *path, char name[STORE_PROFILE_MAX])
{
        size_t len = strlen(path);
        if (strncmp(path, "/crl/", 5) != 0 || len <= 9 || len - 9 >= STORE_PROFILE_MAX ||
            strcmp(path + len - 4, ".crl") != 0)
                return false;
        memcpy(name, path + 5, len - 9);
        name[len - 9] = '\0';
        return strchr(name, '/') == NULL;
}

/* max-age: until the next scheduled refresh (a revocation may bring one sooner), never past nextUpdate. */
static void ca_crl_http_caching(struct http_server_response *response, const struct ca_crl *crl,
                                int64_t interval_ms, const char *etag)
{
        int64_t now = (int64_t)time(NULL);
        int64_t until = crl->this_update + interval_ms / 1000;
        if (until > crl->next_update)
                until = crl->next_update;
        int64_t max_age = until > now ? until - now : 0;
        char date[HTTP_SERVER_DATE_LEN];
        http_server_date(date, crl->this_update);
        SMT_IGNORE(http_server_response_add_field(response, "Cache-Control", "public, no-transform, max-age=%lld",
                                                  (long long)max_age));
        SMT_IGNORE(http_server_response_add_field(response, "Last-Modified", "%s", date));
        SMT_IGNORE(http_server_response_add_field(response, "ETag", "%s", etag));
}

void ca_crl_cache_handle(struct ca_crl_cache *cache, const struct http_server_request *request,
                         struct http_server_response *response)
{
        char name[STORE_PROFILE_MAX];
        struct ca_crl crl = {0};
        struct err err = {0};
        if (!ca_crl_http_name(request->path, name)) {
                ca_crl_http_text(response, 404, "not found\n");
                return;
        }
        int status = cache != NULL ? ca_crl_cache_get(cache, name, &crl, &err) : CA_ENOT_FOUND;
        if (status < 0) {
                ca_crl_http_text(response, status == CA_ENOT_FOUND ? 404 : 500,
                                 status == CA_ENOT_FOUND ? "no such CA\n" : "CRL not available\n");
                return;
        }
        char etag[32];
        snprintf(etag, sizeof etag, "\"%llx\"", (unsigned long long)crl.number);
        const char *if_none_match = http_server_request_field(request, "If-None-Match");
        bool is_unchanged = if_none_match != NULL && strstr(if_none_match, etag) != NULL;
        response->status = is_unchanged ? 304 : 200;
        if (!is_unchanged)
                SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "application/pkix-crl"));
        ca_crl_http_caching(response, &crl, cache->config->revocation.crl_interval, etag);
        if (!is_unchanged)
                SMT_IGNORE(buf_write_bytes(&response->body, crl.der, crl.der_len));
        ca_crl_cleanup(&crl);
}
