/* src/gateway/autocert_internal.h: what the files of gateway/autocert share: the settings copied from the
 * configuration, one site's certificate of one kind as the manager schedules it, the state folder
 * (autocert_store.c) and one order (autocert_order.c). Not an API: other modules use gateway/autocert.h. */
#ifndef SMT_GATEWAY_AUTOCERT_INTERNAL_H
#define SMT_GATEWAY_AUTOCERT_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "gateway/autocert.h"
#include "gateway/challenges.h"
#include "gateway/config.h"

/* The acme settings of one configuration generation; immutable once made, shared by the orders started
 * under it (a reload makes a new one; the last order to finish frees the old). */
struct gw_autocert_issuer {
        char *directory; /* NULL: this kind is not obtained */
        char *ca_file;
        char *eab_kid;
        char *eab_hmac_key;
        int key_type; /* enum gw_acme_key_type */
};

struct gw_autocert_settings {
        atomic_int refs;
        char *state_dir;
        struct gw_autocert_issuer issuers[GW_AUTOCERT_KINDS];
        char **contacts; /* "mailto:..." */
        size_t num_contacts;
        int challenges[GW_ACME_CHALLENGES_MAX]; /* enum gw_acme_challenge_type, preferred first */
        size_t num_challenges;
        char *dns_hook;
        int renewal_window_percent;
        int64_t retry_min_ms, retry_max_ms, order_timeout_ms;
};

int gw_autocert_settings_new(struct gw_autocert_settings **out, const struct gw_acme_config *acme,
                             struct err *err) SMT_MUST_USE;
void gw_autocert_settings_ref(struct gw_autocert_settings *settings);
void gw_autocert_settings_unref(struct gw_autocert_settings *settings);

/* What is on disk for one site and kind: the set the symlink points at. */
struct gw_autocert_set {
        bool exists;         /* the symlink resolves and its leaf certificate(s) read */
        bool names_match;    /* the leaf's DNS names are exactly the site's names (any order, any case) */
        char target[256];    /* the symlink's target (a folder name beside it) */
        char algorithm[16];
        char issuer[256];
        char serial[80];
        time_t not_before, not_after; /* for a pair: the later not_before, the earlier not_after */
};

/* gw_autocert_store_read reads the set at link (gw_autocert_site_dir's path). A missing link is no error
 * (exists false); an unreadable or broken set is SMT_EIO / CRYPTO_ECERT naming the file. */
int gw_autocert_store_read(struct gw_autocert_set *out, const char *link, enum gw_autocert_kind kind,
                           char *const *names, size_t num_names, struct err *err) SMT_MUST_USE;

/* gw_autocert_store_prepare creates link's parent folders (0700) and names a new, not yet existing folder
 * beside link for the next set ("<link>-<UTC time>-<random>"). */
int gw_autocert_store_prepare(const char *link, char *new_dir, size_t cap, struct err *err) SMT_MUST_USE;

/* gw_autocert_store_publish makes link point at new_dir in one rename (after fsync of the folder's files,
 * which file_write_atomic did, and of the folder), then removes older sets beside it except the one link
 * pointed at before (a reader that has just resolved it may still be opening its files). */
int gw_autocert_store_publish(const char *link, const char *new_dir, struct err *err) SMT_MUST_USE;

/* gw_autocert_store_discard removes a folder an order wrote into but did not publish (best effort). */
void gw_autocert_store_discard(const char *dir);

/* gw_autocert_store_lock takes "<link>.lock" without waiting: 0 with *fd holding it, SMT_EAGAIN when another
 * process holds it. gw_autocert_store_unlock releases it. */
int gw_autocert_store_lock(const char *link, int *fd, struct err *err) SMT_MUST_USE;
void gw_autocert_store_unlock(int fd);

/* gw_autocert_store_account_key_path: "<state_dir>/accounts/<first 16 bytes of SHA-256(directory) in hex>/
 * account.key", its folder created (0700). */
int gw_autocert_store_account_key_path(char *out, size_t cap, const char *state_dir, const char *directory,
                                       struct err *err) SMT_MUST_USE;

/* One order: obtain kind's set for names into new_dir (written whole, or nothing). ari_* say what the
 * server's renewal information (RFC 9773) suggests for current (may be NULL): *has_ari false when it offers none. */
struct gw_autocert_order {
        const struct gw_autocert_settings *settings;
        struct gw_challenges *challenges;
        enum gw_autocert_kind kind;
        char *const *names;
        size_t num_names;
        const char *site;
        const atomic_bool *cancel; /* the manager is stopping */
        const char *replaces;      /* the link of the set this order renews (its ECC certificate is named in
                                    * "replaces", RFC 9773 5), NULL for a first order or a site's new names */
};

int gw_autocert_order_run(const struct gw_autocert_order *order, const char *new_dir, struct err *err) SMT_MUST_USE;

/* gw_autocert_order_renewal_info asks the kind's server when the certificate at link should be renewed:
 * 0 with *start and *end (unix seconds) and *retry_after_s (0 if none), SMT_EINVAL when the server offers no
 * renewal information. */
int gw_autocert_order_renewal_info(const struct gw_autocert_settings *settings, enum gw_autocert_kind kind,
                                   const atomic_bool *cancel, const char *link, time_t *start, time_t *end, int *retry_after_s,
                                   struct err *err) SMT_MUST_USE;

/* One site's certificate of one kind. site, names, kind and link never change (a site whose names change
 * gets a new item); the rest is guarded by the manager's lock. */
struct gw_autocert_item {
        char *site;
        char **names;
        size_t num_names;
        enum gw_autocert_kind kind;
        char link[GW_AUTOCERT_PATH_MAX];
        size_t position;           /* in the configuration, for the status list */
        int64_t due_ms;            /* unix ms: when a thread should look at it next */
        int64_t renew_at_ms;       /* unix ms: when the certificate is renewed (lifetime, ARI) */
        int64_t ari_check_ms;      /* unix ms: next renewal information check; INT64_MAX: none */
        bool is_busy;              /* a thread works on it (outside the lock) */
        bool is_removed;           /* no longer configured: freed by whoever drops it last */
        unsigned failures;
        struct gw_autocert_set set;
        time_t last_error_at;
        char last_error[512];
        char revoked_serial[80]; /* a certificate of ours its OCSP responder says is revoked: renewed at once */
};

struct gw_autocert {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct gw_autocert_settings *settings; /* the current generation's */
        struct gw_autocert_item **items;
        size_t num_items;
        pthread_t *threads;
        size_t num_threads;
        atomic_bool stopping;
        struct gw_challenges *challenges;
        gw_autocert_changed_fn changed;
        void *changed_arg;
};

/* gw_autocert_now_ms: the wall clock in ms (certificates are dated in wall time). */
int64_t gw_autocert_now_ms(void);

/* gw_autocert_schedule sets item's renew_at_ms from its set (now when there is none or its names are not
 * the site's): renewal_window percent of the lifetime before not_after, minus up to 5% of the lifetime of
 * jitter. Called with the lock held. */
int64_t gw_autocert_renew_time(const struct gw_autocert_set *set, const struct gw_autocert_settings *settings,
                               int64_t now_ms);
void gw_autocert_schedule(struct gw_autocert_item *item, const struct gw_autocert_settings *settings, int64_t now_ms);

/* gw_autocert_work does what is due for item (a thread holds it busy; the lock is NOT held): reads the
 * folder again, checks renewal information, renews when due, and sets the item's next due time. */
void gw_autocert_work(struct gw_autocert *autocert, struct gw_autocert_item *item,
                      struct gw_autocert_settings *settings);

#endif
