/* src/gateway/stapling.c: the OCSP stapling cache (gateway/stapling.h): entries per leaf, the handshake hook,
 * and the fetch thread that keeps each entry's response fresh. */
#include "gateway/stapling_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/log.h"
#include "gateway/config.h"
#include "gateway/sites.h"
#include "http/ocsp_client.h"

bool gw_stapling_entry_is_valid(const struct gw_stapling_entry *e, time_t now)
{
        if (e->der == NULL)
                return false;
        /* RFC 6960 4.2.2.1: without nextUpdate newer information is always available; such a response is
         * only good as long as the verifier's tolerance of thisUpdate. */
        time_t until = e->single.next_update != 0 ? e->single.next_update
                                                  : e->single.this_update + HTTP_OCSP_CLIENT_TOLERANCE;
        return now + HTTP_OCSP_CLIENT_TOLERANCE >= e->single.this_update && now <= until;
}

static size_t gw_stapling_bucket(const struct gw_stapling *s, const uint8_t id[CERT_SHA256_LEN])
{
        uint64_t h;
        memcpy(&h, id, sizeof h);
        return (size_t)h & (s->num_buckets - 1);
}

static struct gw_stapling_entry *gw_stapling_find(const struct gw_stapling *s, const uint8_t id[CERT_SHA256_LEN])
{
        if (s->num_buckets == 0)
                return NULL;
        for (struct gw_stapling_entry *e = s->buckets[gw_stapling_bucket(s, id)]; e != NULL; e = e->bucket_next)
                if (memcmp(e->id, id, CERT_SHA256_LEN) == 0)
                        return e;
        return NULL;
}

/* gw_stapling_index rebuilds the buckets for the entries there are (lock held); SMT_ENOMEM keeps the old. */
static int gw_stapling_index(struct gw_stapling *s, struct err *err)
{
        size_t num = 16;
        while (num < 2 * s->cap_entries)
                num *= 2;
        if (num != s->num_buckets) {
                struct gw_stapling_entry **buckets = calloc(num, sizeof *buckets);
                if (buckets == NULL)
                        return SMT_ERR(err, SMT_ENOMEM, "out of memory for the OCSP stapling index");
                free(s->buckets);
                s->buckets = buckets;
                s->num_buckets = num;
        } else {
                memset(s->buckets, 0, num * sizeof *s->buckets);
        }
        for (size_t i = 0; i < s->num_entries; i++) {
                struct gw_stapling_entry *e = s->entries[i];
                size_t b = gw_stapling_bucket(s, e->id);
                e->bucket_next = s->buckets[b];
                s->buckets[b] = e;
        }
        return 0;
}

/* gw_stapling_staple is the handshake hook: a copy of the entry's response when it may be stapled now. */
static int gw_stapling_staple(void *arg, const uint8_t *leaf, size_t leaf_len, uint8_t **out, size_t *out_len)
{
        struct gw_stapling *s = arg;
        uint8_t id[CERT_SHA256_LEN];
        unsigned int id_len = 0;
        /* the same SHA-256 of the DER as cert_sha256, without parsing the certificate on every handshake */
        if (EVP_Digest(leaf, leaf_len, id, &id_len, EVP_sha256(), NULL) != 1 || id_len != CERT_SHA256_LEN)
                return CRYPTO_EOPENSSL;
        int status = SMT_EAGAIN; /* nothing to staple */
        pthread_mutex_lock(&s->lock);
        const struct gw_stapling_entry *e = gw_stapling_find(s, id);
        if (e != NULL && gw_stapling_entry_is_valid(e, time(NULL)) && (*out = malloc(e->der_len)) != NULL) {
                memcpy(*out, e->der, e->der_len);
                *out_len = e->der_len;
                status = 0;
        }
        pthread_mutex_unlock(&s->lock);
        return status;
}

static void gw_stapling_entry_free(struct gw_stapling_entry *e)
{
        if (e == NULL)
                return;
        cert_free(e->leaf);
        cert_free(e->issuer);
        free(e->der);
        free(e);
}

/* gw_stapling_issuer finds leaf's issuer among chain (its subject is the leaf's issuer name and it is a CA). */
static const struct cert *gw_stapling_issuer(const struct cert *leaf, const struct cert_chain *chain)
{
        const uint8_t *issuer_name = NULL, *subject = NULL;
        size_t issuer_len = 0, subject_len = 0;
        struct err err;
        if (chain == NULL || cert_issuer_der(leaf, &issuer_name, &issuer_len, &err) < 0)
                return NULL;
        for (size_t i = 0; i < cert_chain_count(chain); i++) {
                const struct cert *c = cert_chain_get(chain, i);
                if (cert_subject_der(c, &subject, &subject_len, &err) == 0 && subject_len == issuer_len &&
                    memcmp(subject, issuer_name, issuer_len) == 0 && cert_is_ca(c))
                        return c;
        }
        return NULL;
}

static int gw_stapling_entry_new(struct gw_stapling_entry **out, const uint8_t id[CERT_SHA256_LEN],
                                 const struct cert *leaf, const struct cert *issuer, const char *url, struct err *err)
{
        struct gw_stapling_entry *e = calloc(1, sizeof *e);
        if (e == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for an OCSP stapling entry");
        memcpy(e->id, id, CERT_SHA256_LEN);
        snprintf(e->url, sizeof e->url, "%s", url);
        int status = cert_dup(&e->leaf, leaf, err);
        if (status == 0)
                status = cert_dup(&e->issuer, issuer, err);
        if (status < 0) {
                gw_stapling_entry_free(e);
                return status;
        }
        *out = e;
        return 0;
}

/* gw_stapling_track finds or adds the entry of one leaf (lock held); an entry already there keeps its
 * response and schedule: a rebuild serving the same certificate fetches nothing. */
static int gw_stapling_track(struct gw_stapling *s, const char *site, const char *kind, const struct cert *leaf,
                             const struct cert_chain *chain, uint64_t mark, int64_t refresh_max_ms, struct err *err)
{
        uint8_t id[CERT_SHA256_LEN];
        char url[CERT_URL_MAX];
        TRY(cert_sha256(leaf, id, err));
        struct gw_stapling_entry *e = gw_stapling_find(s, id);
        if (e == NULL) {
                const struct cert *issuer = gw_stapling_issuer(leaf, chain);
                if (cert_ocsp_url(leaf, url, sizeof url, err) < 0 || issuer == NULL) {
                        log_info("site %s: %s certificate not stapled: %s", site, kind,
                                 issuer == NULL ? "its issuer is not in the configured chain" : err->msg);
                        return 0;
                }
                if (s->num_entries == s->cap_entries) {
                        size_t cap = s->cap_entries ? 2 * s->cap_entries : 8;
                        struct gw_stapling_entry **grown = realloc(s->entries, cap * sizeof *grown);
                        if (grown == NULL)
                                return SMT_ERR(err, SMT_ENOMEM, "out of memory for OCSP stapling entries");
                        s->entries = grown;
                        s->cap_entries = cap;
                }
                TRY(gw_stapling_entry_new(&e, id, leaf, issuer, url, err));
                s->entries[s->num_entries++] = e;
                e->next_fetch_ms = 0; /* now */
                if (s->num_buckets < 2 * s->cap_entries) {
                        TRY(gw_stapling_index(s, err));
                } else {
                        size_t b = gw_stapling_bucket(s, id);
                        e->bucket_next = s->buckets[b];
                        s->buckets[b] = e;
                }
        }
        snprintf(e->site, sizeof e->site, "%s", site);
        e->kind = kind;
        e->mark = mark;
        e->is_active = true;
        e->refresh_max_ms = refresh_max_ms;
        return 0;
}

void gw_stapling_set_autocert(struct gw_stapling *s, struct gw_autocert *autocert)
{
        pthread_mutex_lock(&s->lock);
        s->autocert = autocert;
        pthread_mutex_unlock(&s->lock);
}

uint64_t gw_stapling_begin(struct gw_stapling *s)
{
        pthread_mutex_lock(&s->lock);
        uint64_t mark = ++s->next_mark;
        pthread_mutex_unlock(&s->lock);
        return mark;
}

static int gw_stapling_attach_site(struct gw_stapling *s, const struct gw_site *site, uint64_t mark,
                                   int64_t refresh_max_ms, struct err *err)
{
        const struct net_tls_credentials *tls = &site->tls;
        if (tls->ecc_cert != NULL)
                TRY(gw_stapling_track(s, site->name, "ecc", tls->ecc_cert, tls->chain, mark, refresh_max_ms, err));
        if (tls->rsa_cert != NULL)
                TRY(gw_stapling_track(s, site->name, "rsa", tls->rsa_cert, tls->chain, mark, refresh_max_ms, err));
        return net_tls_credentials_set_stapler(tls, &s->stapler, err);
}

int gw_stapling_attach(struct gw_stapling *s, const struct gw_sites *sites, uint64_t mark, int64_t refresh_max_ms,
                       struct err *err)
{
        int status = 0;
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; status == 0 && i < gw_sites_count(sites); i++) {
                const struct gw_site *site = gw_sites_get(sites, i);
                if (site->has_tls && site->config->ocsp_stapling)
                        status = gw_stapling_attach_site(s, site, mark, refresh_max_ms, err);
        }
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        return status;
}

void gw_stapling_commit(struct gw_stapling *s, uint64_t mark)
{
        time_t now = time(NULL);
        pthread_mutex_lock(&s->lock);
        size_t kept = 0;
        for (size_t i = 0; i < s->num_entries; i++) {
                struct gw_stapling_entry *e = s->entries[i];
                if (e->mark < mark)
                        e->is_active = false;
                /* an old runtime may still serve it while its connections finish: keep it while it is valid */
                if (!e->is_active && !e->is_busy && !gw_stapling_entry_is_valid(e, now))
                        gw_stapling_entry_free(e);
                else
                        s->entries[kept++] = e;
        }
        s->num_entries = kept;
        struct err err;
        if (gw_stapling_index(s, &err) < 0) /* same bucket count as before: cannot fail */
                log_error("OCSP stapling: %s", err.msg);
        pthread_mutex_unlock(&s->lock);
}

int gw_stapling_new(struct gw_stapling **out, struct err *err)
{
        struct gw_stapling *s = calloc(1, sizeof *s);
        if (s == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory for OCSP stapling");
        /* before any thread of ours uses curl: its global set-up is not thread-safe everywhere */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                free(s);
                return SMT_ERR(err, SMT_EINTERNAL, "OCSP stapling: curl_global_init failed");
        }
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->wake, NULL);
        atomic_init(&s->stop, false);
        s->stapler.fn = gw_stapling_staple;
        s->stapler.arg = s;
        int status = pthread_create(&s->thread, NULL, gw_stapling_thread, s);
        if (status != 0) {
                gw_stapling_free(s);
                return SMT_ERR(err, SMT_EINTERNAL, "OCSP stapling thread: %s", strerror(status));
        }
        s->has_thread = true;
        *out = s;
        return 0;
}

void gw_stapling_free(struct gw_stapling *s)
{
        if (s == NULL)
                return;
        if (s->has_thread) {
                pthread_mutex_lock(&s->lock);
                atomic_store(&s->stop, true);
                pthread_cond_signal(&s->wake);
                pthread_mutex_unlock(&s->lock);
                pthread_join(s->thread, NULL);
        }
        for (size_t i = 0; i < s->num_entries; i++)
                gw_stapling_entry_free(s->entries[i]);
        free(s->entries);
        free(s->buckets);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        curl_global_cleanup();
        free(s);
}
