/* src/gateway/stapling_internal.h: the stapling cache's state, shared by stapling.c (entries, hook, fetch
 * thread) and stapling_status.c (admin JSON and metrics). Not an API. */
#ifndef SMT_GATEWAY_STAPLING_INTERNAL_H
#define SMT_GATEWAY_STAPLING_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "crypto/cert.h"
#include "crypto/ocsp.h"
#include "gateway/stapling.h"
#include "net/tls_conn.h"

#define GW_STAPLING_NAME_MAX  128
#define GW_STAPLING_ERROR_MAX 256

/* One leaf certificate and its latest verified response. Mutable fields are read and written under
 * gw_stapling.lock; leaf, issuer, url and id never change after the entry is made. */
struct gw_stapling_entry {
        uint8_t id[CERT_SHA256_LEN]; /* SHA-256 of the leaf's DER */
        struct cert *leaf, *issuer;
        char url[CERT_URL_MAX];
        char site[GW_STAPLING_NAME_MAX];
        const char *kind; /* "ecc" or "rsa" */
        uint64_t mark;    /* the last gw_stapling_begin mark that attached it */
        bool is_active;   /* refreshed; false once a published runtime no longer serves it */
        bool is_busy;     /* the fetch thread works on it without the lock: not freed meanwhile */
        int64_t refresh_max_ms;
        uint8_t *der;     /* the verified response, NULL: none yet */
        size_t der_len;
        struct ocsp_single single;
        time_t last_status_logged_update; /* this_update of the last "revoked" logged */
        int64_t next_fetch_ms;            /* wall clock, ms */
        unsigned failures;
        char last_error[GW_STAPLING_ERROR_MAX];
        time_t last_error_at;
        struct gw_stapling_entry *bucket_next; /* the next entry of its gw_stapling.buckets chain */
};

struct gw_stapling {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t thread;
        bool has_thread;
        atomic_bool stop;
        uint64_t next_mark;
        struct gw_stapling_entry **entries;
        size_t num_entries, cap_entries;
        /* entries by id, so that a handshake's lookup costs the same with 10,000 sites as with one: chains
         * picked by the id's first bytes (a SHA-256: already uniform), num_buckets a power of two kept at
         * least twice cap_entries */
        struct gw_stapling_entry **buckets;
        size_t num_buckets;
        struct net_tls_stapler stapler; /* the hook installed on the sites' contexts; arg = this */
        struct gw_autocert *autocert;   /* told of revoked certificates (NULL: none); under lock */
};

/* gw_stapling_entry_is_valid says whether entry's response may be stapled at now (lock held). */
bool gw_stapling_entry_is_valid(const struct gw_stapling_entry *entry, time_t now);

/* gw_stapling_thread is the fetch thread's body (stapling_fetch.c); arg is the struct gw_stapling. */
void *gw_stapling_thread(void *arg);

#endif
