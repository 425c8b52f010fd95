/* src/gateway/autocert.c: the manager: one item per site and kind, a few threads that each take the item
 * due soonest, and the configuration's changes taken up on reload. The threads sleep on a condition
 * variable until the earliest due time, so an idle manager costs nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/log.h"
#include "crypto/random.h"
#include "gateway/autocert_internal.h"

/* The longest a thread sleeps without looking again (a clock step or a lost wake-up costs no more). */
#define GW_AUTOCERT_IDLE_MS (60 * 1000)
/* Per new item, the spread of the first renewal information checks (20 a second). */
#define GW_AUTOCERT_ARI_SPREAD_MS 50

int64_t gw_autocert_now_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static uint64_t gw_autocert_random(void)
{
        uint64_t value = 0;
        struct err err;
        if (random_bytes((uint8_t *)&value, sizeof value, &err) < 0)
                value = (uint64_t)gw_autocert_now_ms() * 2654435761u; /* jitter only: any spread will do */
        return value;
}

int64_t gw_autocert_renew_time(const struct gw_autocert_set *set, const struct gw_autocert_settings *settings,
                               int64_t now_ms)
{
        if (!set->exists || !set->names_match || set->not_after <= set->not_before)
                return now_ms;
        int64_t lifetime_ms = ((int64_t)set->not_after - set->not_before) * 1000;
        int64_t jitter_ms = (int64_t)(gw_autocert_random() % (uint64_t)(lifetime_ms / 20 + 1));
        return (int64_t)set->not_after * 1000 - lifetime_ms * settings->renewal_window_percent / 100 - jitter_ms;
}

void gw_autocert_schedule(struct gw_autocert_item *item, const struct gw_autocert_settings *settings, int64_t now_ms)
{
        item->renew_at_ms = gw_autocert_renew_time(&item->set, settings, now_ms);
}

static void gw_autocert_item_free(struct gw_autocert_item *item)
{
        if (item == NULL)
                return;
        for (size_t i = 0; i < item->num_names; i++)
                free(item->names[i]);
        free(item->names);
        free(item->site);
        free(item);
}

static int gw_autocert_item_new(struct gw_autocert_item **out, const struct gw_site_config *site,
                                enum gw_autocert_kind kind, const struct gw_autocert_settings *settings, struct err *err)
{
        struct gw_autocert_item *item = calloc(1, sizeof *item);
        if (item == NULL || (item->site = strdup(site->name)) == NULL ||
            (item->names = calloc(site->names.num, sizeof *item->names)) == NULL) {
                gw_autocert_item_free(item);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        for (; item->num_names < site->names.num; item->num_names++) {
                item->names[item->num_names] = strdup(site->names.items[item->num_names]);
                if (item->names[item->num_names] == NULL) {
                        gw_autocert_item_free(item);
                        return SMT_ERR(err, SMT_ENOMEM, "out of memory");
                }
        }
        item->kind = kind;
        int status = gw_autocert_site_dir(item->link, sizeof item->link, settings->state_dir, site->name, kind, err);
        if (status < 0) {
                gw_autocert_item_free(item);
                return status;
        }
        struct err read_err;
        if (gw_autocert_store_read(&item->set, item->link, kind, item->names, item->num_names, &read_err) < 0)
                log_warning("acme: site %s %s: %s (ordering a new one)", item->site, gw_autocert_kind_name(kind),
                            read_err.msg);
        gw_autocert_schedule(item, settings, gw_autocert_now_ms());
        item->ari_check_ms = 0; /* set by gw_autocert_apply, which knows how many items are new */
        *out = item;
        return SMT_OK;
}

/* Whether item is what site wants of kind: same site, same names in the same order, same folder. */
static bool gw_autocert_item_matches(const struct gw_autocert_item *item, const struct gw_site_config *site,
                                     enum gw_autocert_kind kind, const struct gw_autocert_settings *settings)
{
        char link[GW_AUTOCERT_PATH_MAX];
        struct err err;
        if (item->is_removed || item->kind != kind || strcmp(item->site, site->name) != 0 ||
            item->num_names != site->names.num)
                return false;
        if (gw_autocert_site_dir(link, sizeof link, settings->state_dir, site->name, kind, &err) < 0 ||
            strcmp(link, item->link) != 0)
                return false; /* state_dir moved */
        for (size_t i = 0; i < item->num_names; i++)
                if (strcmp(item->names[i], site->names.items[i]) != 0)
                        return false;
        return true;
}

/* gw_autocert_items_build makes the item list config wants: items of the old list that match are moved
 * over (their old slots set NULL), others are made. On failure nothing of the old list has moved. Called
 * with the lock held. */
static int gw_autocert_items_build(struct gw_autocert *ac, const struct gw_config *config,
                                   const struct gw_autocert_settings *settings, struct gw_autocert_item ***out,
                                   size_t *num_out, struct err *err)
{
        const struct gw_site_config *sites = config->sites.items;
        size_t cap = config->sites.num * GW_AUTOCERT_KINDS + 1;
        struct gw_autocert_item **items = calloc(cap, sizeof *items);
        size_t *from_old = calloc(cap, sizeof *from_old);
        size_t num = 0;
        int status = items != NULL && from_old != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "out of memory");
        for (size_t s = 0; s < config->sites.num && status == SMT_OK; s++) {
                for (int kind = 0; kind < GW_AUTOCERT_KINDS && status == SMT_OK; kind++) {
                        if (sites[s].certificates != GW_CERTIFICATES_AUTO || settings->issuers[kind].directory == NULL)
                                continue;
                        from_old[num] = SIZE_MAX;
                        for (size_t i = 0; i < ac->num_items && from_old[num] == SIZE_MAX; i++)
                                if (ac->items[i] != NULL && gw_autocert_item_matches(ac->items[i], &sites[s], kind, settings))
                                        from_old[num] = i;
                        if (from_old[num] != SIZE_MAX) {
                                items[num] = ac->items[from_old[num]];
                                num++;
                        } else if ((status = gw_autocert_item_new(&items[num], &sites[s], kind, settings, err)) == SMT_OK)
                                num++;
                }
        }
        for (size_t i = 0; i < num; i++) {
                if (status < 0 && from_old[i] == SIZE_MAX)
                        gw_autocert_item_free(items[i]);
                else if (status == SMT_OK && from_old[i] != SIZE_MAX)
                        ac->items[from_old[i]] = NULL;
                if (status == SMT_OK)
                        items[i]->position = i;
        }
        free(from_old);
        if (status < 0) {
                free(items);
                return status;
        }
        *out = items;
        *num_out = num;
        return SMT_OK;
}

/* Takes the item due soonest; *wait_ms is how long until it is due (0: now). NULL when none is idle. */
static struct gw_autocert_item *gw_autocert_next(struct gw_autocert *ac, int64_t now_ms, int64_t *wait_ms)
{
        struct gw_autocert_item *best = NULL;
        for (size_t i = 0; i < ac->num_items; i++) {
                struct gw_autocert_item *item = ac->items[i];
                if (!item->is_busy && (best == NULL || item->due_ms < best->due_ms))
                        best = item;
        }
        *wait_ms = GW_AUTOCERT_IDLE_MS;
        if (best != NULL && best->due_ms - now_ms < *wait_ms)
                *wait_ms = best->due_ms > now_ms ? best->due_ms - now_ms : 0;
        return best;
}

static void gw_autocert_wait(struct gw_autocert *ac, int64_t wait_ms)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&ac->wake, &ac->lock, &until);
}

static void *gw_autocert_thread(void *arg)
{
        struct gw_autocert *ac = arg;
        pthread_mutex_lock(&ac->lock);
        while (!atomic_load(&ac->stopping)) {
                int64_t wait_ms;
                struct gw_autocert_item *item = gw_autocert_next(ac, gw_autocert_now_ms(), &wait_ms);
                if (item == NULL || wait_ms > 0) {
                        gw_autocert_wait(ac, wait_ms);
                        continue;
                }
                item->is_busy = true;
                struct gw_autocert_settings *settings = ac->settings;
                gw_autocert_settings_ref(settings);
                pthread_mutex_unlock(&ac->lock);
                gw_autocert_work(ac, item, settings);
                gw_autocert_settings_unref(settings);
                pthread_mutex_lock(&ac->lock);
                item->is_busy = false;
                if (item->is_removed)
                        gw_autocert_item_free(item);
                pthread_cond_broadcast(&ac->wake); /* its new due time may be the earliest */
        }
        pthread_mutex_unlock(&ac->lock);
        return NULL;
}

/* New items ask the renewal information (a revoked certificate is renewed at once, RFC 9773 4.2) soon
 * after they appear, spread so that the server sees at most about 20 such requests a second: within a
 * second for a few sites, within a minute for a thousand or more. */
static void gw_autocert_spread_checks(struct gw_autocert_item **items, size_t num)
{
        int64_t now = gw_autocert_now_ms(), spread_ms = (int64_t)num * GW_AUTOCERT_ARI_SPREAD_MS;
        spread_ms = spread_ms < 1000 ? 1000 : spread_ms > 60000 ? 60000 : spread_ms;
        for (size_t i = 0; i < num; i++) {
                if (items[i]->ari_check_ms != 0)
                        continue;
                items[i]->ari_check_ms = now + (int64_t)(gw_autocert_random() % (uint64_t)spread_ms);
                items[i]->due_ms = items[i]->renew_at_ms < items[i]->ari_check_ms ? items[i]->renew_at_ms
                                                                                   : items[i]->ari_check_ms;
        }
}

/* Replaces the item list with the one config wants; items no longer wanted are freed, or left to the
 * thread working on them. Called with the lock held. */
static int gw_autocert_apply(struct gw_autocert *ac, const struct gw_config *config,
                             struct gw_autocert_settings *settings, struct err *err)
{
        struct gw_autocert_item **items = NULL;
        size_t num = 0;
        TRY(gw_autocert_items_build(ac, config, settings, &items, &num, err));
        for (size_t i = 0; i < ac->num_items; i++) {
                struct gw_autocert_item *old = ac->items[i];
                if (old == NULL)
                        continue;
                old->is_removed = true;
                if (!old->is_busy)
                        gw_autocert_item_free(old);
        }
        free(ac->items);
        ac->items = items;
        ac->num_items = num;
        gw_autocert_spread_checks(items, num);
        gw_autocert_settings_unref(ac->settings);
        ac->settings = settings;
        pthread_cond_broadcast(&ac->wake);
        return SMT_OK;
}

static int gw_autocert_threads_start(struct gw_autocert *ac, size_t num, struct err *err)
{
        ac->threads = calloc(num, sizeof *ac->threads);
        if (ac->threads == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        for (; ac->num_threads < num; ac->num_threads++) {
                int rc = pthread_create(&ac->threads[ac->num_threads], NULL, gw_autocert_thread, ac);
                if (rc != 0)
                        return SMT_ERR(err, SMT_EIO, "cannot start an ACME thread: %s", strerror(rc));
        }
        return SMT_OK;
}

int gw_autocert_start(struct gw_autocert **out, const struct gw_config *config, struct gw_challenges *challenges,
                      gw_autocert_changed_fn changed, void *changed_arg, struct err *err)
{
        struct gw_autocert *ac = calloc(1, sizeof *ac);
        if (ac == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        pthread_mutex_init(&ac->lock, NULL);
        pthread_cond_init(&ac->wake, NULL);
        atomic_init(&ac->stopping, false);
        ac->challenges = challenges;
        ac->changed = changed;
        ac->changed_arg = changed_arg;
        *out = ac;
        if (mkdir(config->acme.state_dir, 0700) != 0 && errno != EEXIST)
                return SMT_ERR(err, SMT_EIO, "acme.state_dir %s: %s", config->acme.state_dir, strerror(errno));
        struct gw_autocert_settings *settings = NULL;
        TRY(gw_autocert_settings_new(&settings, &config->acme, err));
        pthread_mutex_lock(&ac->lock);
        int status = gw_autocert_apply(ac, config, settings, err);
        pthread_mutex_unlock(&ac->lock);
        if (status < 0) {
                gw_autocert_settings_unref(settings);
                return status;
        }
        return gw_autocert_threads_start(ac, (size_t)config->acme.concurrency, err);
}

int gw_autocert_update(struct gw_autocert *ac, const struct gw_config *config, struct err *err)
{
        if (mkdir(config->acme.state_dir, 0700) != 0 && errno != EEXIST)
                return SMT_ERR(err, SMT_EIO, "acme.state_dir %s: %s", config->acme.state_dir, strerror(errno));
        struct gw_autocert_settings *settings = NULL;
        TRY(gw_autocert_settings_new(&settings, &config->acme, err));
        pthread_mutex_lock(&ac->lock);
        int status = gw_autocert_apply(ac, config, settings, err);
        pthread_mutex_unlock(&ac->lock);
        if (status < 0)
                gw_autocert_settings_unref(settings);
        return status;
}

bool gw_autocert_renew_revoked(struct gw_autocert *ac, const char *site, const char *serial)
{
        bool found = false;
        pthread_mutex_lock(&ac->lock);
        for (size_t i = 0; i < ac->num_items; i++) {
                struct gw_autocert_item *item = ac->items[i];
                if (item->kind != GW_AUTOCERT_ECC || strcmp(item->site, site) != 0 || !item->set.exists ||
                    strcasecmp(item->set.serial, serial) != 0)
                        continue;
                found = true;
                if (strcasecmp(item->revoked_serial, serial) == 0)
                        continue; /* known: already being renewed */
                snprintf(item->revoked_serial, sizeof item->revoked_serial, "%s", serial);
                log_warning("acme: site %s ecc: certificate %s is revoked (OCSP): renewing it now", site, serial);
                if (!item->is_busy)
                        item->due_ms = gw_autocert_now_ms();
                pthread_cond_broadcast(&ac->wake);
        }
        pthread_mutex_unlock(&ac->lock);
        return found;
}

void gw_autocert_stop(struct gw_autocert *ac)
{
        if (ac == NULL)
                return;
        pthread_mutex_lock(&ac->lock);
        atomic_store(&ac->stopping, true);
        pthread_cond_broadcast(&ac->wake);
        pthread_mutex_unlock(&ac->lock);
        for (size_t i = 0; i < ac->num_threads; i++)
                pthread_join(ac->threads[i], NULL);
        free(ac->threads);
        for (size_t i = 0; i < ac->num_items; i++)
                gw_autocert_item_free(ac->items[i]);
        free(ac->items);
        gw_autocert_settings_unref(ac->settings);
        pthread_cond_destroy(&ac->wake);
        pthread_mutex_destroy(&ac->lock);
        free(ac);
}

static void gw_autocert_status_fill(struct gw_autocert_status *out, const struct gw_autocert_item *item)
{
        memset(out, 0, sizeof *out);
        snprintf(out->site, sizeof out->site, "%s", item->site);
        out->kind = item->kind;
        out->has_certificate = item->set.exists && item->set.names_match;
        if (item->set.exists) {
                snprintf(out->algorithm, sizeof out->algorithm, "%s", item->set.algorithm);
                snprintf(out->issuer, sizeof out->issuer, "%s", item->set.issuer);
                snprintf(out->serial, sizeof out->serial, "%s", item->set.serial);
                out->not_before = item->set.not_before;
                out->not_after = item->set.not_after;
        }
        /* The planned renewal; while failing, the next attempt (a renewal information check is not shown). */
        int64_t next_ms = item->failures > 0 || !out->has_certificate ? item->due_ms : item->renew_at_ms;
        out->next_renewal = (time_t)(next_ms / 1000);
        out->is_ordering = item->is_busy;
        out->failures = item->failures;
        out->last_error_at = item->last_error_at;
        snprintf(out->last_error, sizeof out->last_error, "%s", item->last_error);
}

int gw_autocert_status_list(struct gw_autocert *ac, struct gw_autocert_status **out, size_t *num, struct err *err)
{
        pthread_mutex_lock(&ac->lock);
        struct gw_autocert_status *list = calloc(ac->num_items > 0 ? ac->num_items : 1, sizeof *list);
        if (list == NULL) {
                pthread_mutex_unlock(&ac->lock);
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < ac->num_items; i++)
                gw_autocert_status_fill(&list[ac->items[i]->position], ac->items[i]);
        *num = ac->num_items;
        pthread_mutex_unlock(&ac->lock);
        *out = list;
        return SMT_OK;
}
