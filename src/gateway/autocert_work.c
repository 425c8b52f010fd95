/* src/gateway/autocert_work.c: what a manager thread does for one due item: look at the folder again
 * (another gateway sharing it may have renewed), ask the server's renewal information (RFC 9773 4.2: renew
 * at a random time in the suggested window), and renew when due: lock, order into a new folder, publish it
 * in one rename, tell the server to serve it. A failure keeps what was there and backs off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "crypto/random.h"
#include "gateway/autocert_internal.h"

/* How soon a process that found another holding the lock looks again. */
#define GW_AUTOCERT_LOCKED_RETRY_MS 5000
/* Renewal information is asked again after the server's Retry-After, kept within these bounds. */
#define GW_AUTOCERT_ARI_MIN_MS (60 * 1000)
#define GW_AUTOCERT_ARI_MAX_MS (6 * 3600 * 1000)
#define GW_AUTOCERT_ARI_ERROR_MS (3600 * 1000)

static uint64_t gw_autocert_work_random(void)
{
        uint64_t value = 0;
        struct err err;
        if (random_bytes((uint8_t *)&value, sizeof value, &err) < 0)
                value = (uint64_t)gw_autocert_now_ms();
        return value;
}

static void gw_autocert_set_due(struct gw_autocert_item *item)
{
        item->due_ms = item->renew_at_ms < item->ari_check_ms ? item->renew_at_ms : item->ari_check_ms;
}

/* After a failed order: retry_min doubled per failure in a row, at most retry_max, give or take 10%. */
static int64_t gw_autocert_backoff_ms(const struct gw_autocert_settings *settings, unsigned failures)
{
        int64_t wait = settings->retry_min_ms;
        for (unsigned i = 1; i < failures && wait < settings->retry_max_ms; i++)
                wait *= 2;
        if (wait > settings->retry_max_ms)
                wait = settings->retry_max_ms;
        int64_t spread = wait / 10;
        return wait - spread + (int64_t)(gw_autocert_work_random() % (uint64_t)(2 * spread + 1));
}

/* Asks the renewal information for item's set, outside the lock; sets *renew_ms earlier when the window
 * says so and *next_check_ms for the next question. */
static void gw_autocert_ari(const struct gw_autocert *ac, const struct gw_autocert_item *item,
                            const struct gw_autocert_settings *settings, int64_t now_ms, int64_t *renew_ms,
                            int64_t *next_check_ms)
{
        time_t start = 0, end = 0;
        int retry_after_s = 0;
        struct err err = {0};
        int status = gw_autocert_order_renewal_info(settings, item->kind, &ac->stopping, item->link, &start, &end,
                                                    &retry_after_s, &err);
        if (status == SMT_EINVAL || status == CRYPTO_ECERT) { /* no renewal information here: lifetime only */
                *next_check_ms = INT64_MAX;
                return;
        }
        if (status < 0) {
                log_debug("acme: site %s %s: renewal information: %s", item->site, gw_autocert_kind_name(item->kind),
                          err.msg);
                *next_check_ms = now_ms + GW_AUTOCERT_ARI_ERROR_MS;
                return;
        }
        int64_t wait = retry_after_s > 0 ? (int64_t)retry_after_s * 1000 : GW_AUTOCERT_ARI_MAX_MS;
        wait = wait < GW_AUTOCERT_ARI_MIN_MS ? GW_AUTOCERT_ARI_MIN_MS : wait > GW_AUTOCERT_ARI_MAX_MS ? GW_AUTOCERT_ARI_MAX_MS : wait;
        *next_check_ms = now_ms + wait;
        if (end <= start)
                return;
        int64_t pick = (int64_t)start * 1000 + (int64_t)(gw_autocert_work_random() % (uint64_t)((end - start) * 1000));
        if (pick < *renew_ms) {
                log_info("acme: site %s %s: the server's renewal information moves the renewal %lld s earlier",
                         item->site, gw_autocert_kind_name(item->kind), (long long)((*renew_ms - pick) / 1000));
                *renew_ms = pick;
        }
}

/* Orders a new set for item into a new folder and publishes it; the caller holds the lock file. */
static int gw_autocert_renew(struct gw_autocert *ac, const struct gw_autocert_item *item,
                             const struct gw_autocert_settings *settings, struct err *err)
{
        char new_dir[GW_AUTOCERT_PATH_MAX];
        TRY(gw_autocert_store_prepare(item->link, new_dir, sizeof new_dir, err));
        struct gw_autocert_order order = {
                .settings = settings,
                .challenges = ac->challenges,
                .kind = item->kind,
                .names = item->names,
                .num_names = item->num_names,
                .site = item->site,
                .cancel = &ac->stopping,
                .replaces = item->set.exists && item->set.names_match ? item->link : NULL,
        };
        log_info("acme: site %s: ordering the %s certificate%s for %s%s from %s", item->site,
                 gw_autocert_kind_name(item->kind), item->kind == GW_AUTOCERT_SM2 ? " pair" : "", item->names[0],
                 item->num_names > 1 ? " and more" : "", settings->issuers[item->kind].directory);
        int status = gw_autocert_order_run(&order, new_dir, err);
        if (status == SMT_OK)
                status = gw_autocert_store_publish(item->link, new_dir, err);
        if (status < 0)
                gw_autocert_store_discard(new_dir);
        return status;
}

/* The outcome of one look at an item, applied under the lock. */
struct gw_autocert_outcome {
        struct gw_autocert_set set;
        bool has_set;        /* set was read (else the item keeps its own) */
        bool is_failure;
        bool is_renewed;
        int64_t due_ms;      /* when set: overrides the schedule (lock busy, failure) */
        int64_t ari_check_ms;
        int64_t renew_at_ms; /* 0: from the set */
        char error[512];
};

/* Reads the folder; a set that differs from the one the item knew was written by another process. */
static bool gw_autocert_reread(const struct gw_autocert_item *item, struct gw_autocert_outcome *out)
{
        struct err err = {0};
        if (gw_autocert_store_read(&out->set, item->link, item->kind, item->names, item->num_names, &err) < 0)
                log_warning("acme: site %s %s: %s", item->site, gw_autocert_kind_name(item->kind), err.msg);
        out->has_set = true;
        return out->set.exists && strcmp(out->set.target, item->set.target) != 0;
}

static void gw_autocert_apply_outcome(struct gw_autocert *ac, struct gw_autocert_item *item,
                                      const struct gw_autocert_settings *settings, struct gw_autocert_outcome *out,
                                      int64_t now_ms)
{
        pthread_mutex_lock(&ac->lock);
        if (out->has_set)
                item->set = out->set;
        gw_autocert_schedule(item, settings, now_ms);
        if (out->renew_at_ms != 0 && out->renew_at_ms < item->renew_at_ms)
                item->renew_at_ms = out->renew_at_ms;
        item->ari_check_ms = out->ari_check_ms;
        if (out->is_failure) {
                item->failures++;
                item->last_error_at = (time_t)(now_ms / 1000);
                snprintf(item->last_error, sizeof item->last_error, "%s", out->error);
        } else if (out->is_renewed) {
                item->failures = 0;
                item->last_error_at = 0;
                item->last_error[0] = '\0';
        }
        gw_autocert_set_due(item);
        if (out->due_ms != 0)
                item->due_ms = out->due_ms;
        if (out->is_failure) {
                item->due_ms = now_ms + gw_autocert_backoff_ms(settings, item->failures);
                log_warning("acme: site %s %s: %s (attempt %u failed; next in %.1f s)", item->site,
                            gw_autocert_kind_name(item->kind), out->error, item->failures,
                            (double)(item->due_ms - now_ms) / 1000.0);
        }
        pthread_mutex_unlock(&ac->lock);
}

/* Renews item's set under the lock file, unless another process holds it or has just renewed. */
static void gw_autocert_work_renew(struct gw_autocert *ac, struct gw_autocert_item *item,
                                   const struct gw_autocert_settings *settings, struct gw_autocert_outcome *out,
                                   bool *changed)
{
        struct err err = {0};
        int lock_fd = -1;
        int status = gw_autocert_store_lock(item->link, &lock_fd, &err);
        if (status == SMT_EAGAIN) {
                out->due_ms = gw_autocert_now_ms() + GW_AUTOCERT_LOCKED_RETRY_MS;
                return;
        }
        if (status == SMT_OK) {
                *changed = gw_autocert_reread(item, out);
                int64_t now = gw_autocert_now_ms();
                if (*changed && gw_autocert_renew_time(&out->set, settings, now) > now) {
                        gw_autocert_store_unlock(lock_fd);
                        return; /* another gateway renewed it a moment ago */
                }
                status = gw_autocert_renew(ac, item, settings, &err);
        }
        if (status == SMT_OK) {
                gw_autocert_reread(item, out);
                out->is_renewed = *changed = true;
                out->ari_check_ms = gw_autocert_now_ms() + GW_AUTOCERT_ARI_MAX_MS; /* nothing to ask of a new one */
                char until[32];
                struct tm tm;
                gmtime_r(&out->set.not_after, &tm);
                strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
                log_info("acme: site %s: new %s certificate %s, valid until %s", item->site,
                         gw_autocert_kind_name(item->kind), out->set.serial, until);
        } else {
                out->is_failure = true;
                snprintf(out->error, sizeof out->error, "%s", err.msg);
        }
        gw_autocert_store_unlock(lock_fd);
}

void gw_autocert_work(struct gw_autocert *ac, struct gw_autocert_item *item, struct gw_autocert_settings *settings)
{
        struct gw_autocert_outcome out = {0};
        int64_t now = gw_autocert_now_ms();
        bool changed = gw_autocert_reread(item, &out);
        out.ari_check_ms = item->ari_check_ms;
        int64_t renew_at = gw_autocert_renew_time(&out.set, settings, now);
        char revoked[sizeof item->revoked_serial];
        pthread_mutex_lock(&ac->lock); /* gw_autocert_renew_revoked may write it meanwhile */
        memcpy(revoked, item->revoked_serial, sizeof revoked);
        pthread_mutex_unlock(&ac->lock);
        if (out.set.exists && revoked[0] != '\0' && strcasecmp(out.set.serial, revoked) == 0)
                renew_at = now;
        if (renew_at > now && out.set.exists && item->ari_check_ms <= now)
                gw_autocert_ari(ac, item, settings, now, &renew_at, &out.ari_check_ms);
        if (renew_at <= now && !atomic_load(&ac->stopping))
                gw_autocert_work_renew(ac, item, settings, &out, &changed);
        else
                out.renew_at_ms = renew_at;
        gw_autocert_apply_outcome(ac, item, settings, &out, gw_autocert_now_ms());
        if (changed && ac->changed != NULL)
                ac->changed(ac->changed_arg);
}
