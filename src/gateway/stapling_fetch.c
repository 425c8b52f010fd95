/* src/gateway/stapling_fetch.c: the stapling cache's fetch thread: one OCSP exchange at a time, outside the
 * lock, for the entry due first; the schedule after a success (half of the validity) or a failure (jittered
 * exponential back-off). */
#include "gateway/stapling_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "crypto/random.h"
#include "gateway/autocert.h"
#include "http/ocsp_client.h"

#define GW_STAPLING_BACKOFF_FIRST_MS 1000
#define GW_STAPLING_IDLE_MS          60000 /* the longest sleep with nothing due: a safety net, not a schedule */

static int64_t gw_stapling_fetch_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* gw_stapling_fetch_jitter returns a random value in [0, range) (0 when the generator fails: the schedule
 * then just loses its spread). */
static int64_t gw_stapling_fetch_jitter(int64_t range)
{
        uint64_t r = 0;
        struct err err;
        if (range <= 0 || random_bytes((uint8_t *)&r, sizeof r, &err) < 0)
                return 0;
        return (int64_t)(r % (uint64_t)range);
}

/* After a success: at half of [thisUpdate, nextUpdate] (a response fetched late in its life: half of what is
 * left), at most refresh_max from now, at least a second from now, a little earlier at random so that many
 * certificates of one CA do not ask together. */
static int64_t gw_stapling_fetch_next_ok(const struct gw_stapling_entry *e, int64_t now_ms)
{
        int64_t this_ms = (int64_t)e->single.this_update * 1000, next_ms = (int64_t)e->single.next_update * 1000;
        int64_t at = now_ms + e->refresh_max_ms;
        if (e->single.next_update != 0) {
                int64_t half = this_ms + (next_ms - this_ms) / 2;
                if (half <= now_ms)
                        half = now_ms + (next_ms - now_ms) / 2;
                if (half < at)
                        at = half;
        }
        at -= gw_stapling_fetch_jitter((at - now_ms) / 16);
        return at < now_ms + 1000 ? now_ms + 1000 : at;
}

/* After a failure: 1 s, 2 s, 4 s, ... up to refresh_max, each drawn in [delay/2, delay). */
static int64_t gw_stapling_fetch_next_failed(const struct gw_stapling_entry *e, int64_t now_ms)
{
        unsigned shift = e->failures > 20 ? 20 : e->failures - 1;
        int64_t delay = (int64_t)GW_STAPLING_BACKOFF_FIRST_MS << shift;
        if (delay > e->refresh_max_ms)
                delay = e->refresh_max_ms;
        return now_ms + delay / 2 + gw_stapling_fetch_jitter(delay / 2);
}

/* gw_stapling_fetch_apply records a fetch's outcome (lock held). A failure keeps the response there is: it
 * is stapled while valid, and gw_stapling_entry_is_valid ends that at its nextUpdate. */
static void gw_stapling_fetch_apply(struct gw_stapling_entry *e, int status, struct http_ocsp_client_result *r,
                                    const struct err *err)
{
        int64_t now_ms = gw_stapling_fetch_now_ms();
        if (status < 0) {
                e->failures++;
                snprintf(e->last_error, sizeof e->last_error, "%s", err->msg);
                e->last_error_at = (time_t)(now_ms / 1000);
                e->next_fetch_ms = gw_stapling_fetch_next_failed(e, now_ms);
                log_warning("site %s: %s certificate: OCSP staple not refreshed (%u failure(s) in a row, response %s): %s",
                            e->site, e->kind, e->failures,
                            gw_stapling_entry_is_valid(e, (time_t)(now_ms / 1000)) ? "kept" : "none", err->msg);
                return;
        }
        free(e->der);
        e->der = r->der;
        e->der_len = r->der_len;
        r->der = NULL;
        e->single = r->single;
        e->failures = 0;
        e->last_error[0] = '\0';
        e->last_error_at = 0;
        e->next_fetch_ms = gw_stapling_fetch_next_ok(e, now_ms);
        if (e->single.status == OCSP_CERT_REVOKED && e->last_status_logged_update != e->single.this_update) {
                e->last_status_logged_update = e->single.this_update;
                log_error("site %s: %s certificate REVOKED according to its OCSP responder %s (reason %s): clients "
                          "checking the staple will refuse it; replace the certificate",
                          e->site, e->kind, e->url, http_ocsp_client_reason_name(e->single.revocation_reason));
        }
}

/* gw_stapling_fetch_report_revoked has the ACME manager renew the certificate when it is an auto site's
 * (lock held; the manager takes only its own lock and never calls back into stapling). */
static void gw_stapling_fetch_report_revoked(struct gw_stapling *s, const struct gw_stapling_entry *e)
{
        char serial[80];
        struct err err;
        if (s->autocert == NULL || e->der == NULL || e->single.status != OCSP_CERT_REVOKED ||
            cert_serial_hex(e->leaf, serial, sizeof serial, &err) < 0)
                return;
        gw_autocert_renew_revoked(s->autocert, e->site, serial); /* false: not an auto site's (a file's) */
}

/* gw_stapling_fetch_due picks the active entry due first (lock held): NULL with *wait_ms set when none is due. */
static struct gw_stapling_entry *gw_stapling_fetch_due(struct gw_stapling *s, int64_t now_ms, int64_t *wait_ms)
{
        *wait_ms = GW_STAPLING_IDLE_MS;
        for (size_t i = 0; i < s->num_entries; i++) {
                struct gw_stapling_entry *e = s->entries[i];
                if (!e->is_active || e->is_busy)
                        continue;
                if (e->next_fetch_ms <= now_ms)
                        return e;
                if (e->next_fetch_ms - now_ms < *wait_ms)
                        *wait_ms = e->next_fetch_ms - now_ms;
        }
        return NULL;
}

static void gw_stapling_fetch_wait(struct gw_stapling *s, int64_t wait_ms)
{
        int64_t until_ms = gw_stapling_fetch_now_ms() + wait_ms;
        struct timespec until = {.tv_sec = until_ms / 1000, .tv_nsec = (until_ms % 1000) * 1000000};
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
}

void *gw_stapling_thread(void *arg)
{
        struct gw_stapling *s = arg;
        pthread_mutex_lock(&s->lock);
        while (!atomic_load(&s->stop)) {
                int64_t wait_ms = 0;
                struct gw_stapling_entry *e = gw_stapling_fetch_due(s, gw_stapling_fetch_now_ms(), &wait_ms);
                if (e == NULL) {
                        gw_stapling_fetch_wait(s, wait_ms);
                        continue;
                }
                e->is_busy = true; /* leaf, issuer and url never change: read without the lock */
                pthread_mutex_unlock(&s->lock);
                struct http_ocsp_client_result result = {0};
                struct http_ocsp_client_options options = {.cancel = &s->stop, .method = HTTP_OCSP_CLIENT_AUTO};
                struct err err = {0};
                options.url = e->url;
                int status = http_ocsp_client_status(&result, e->leaf, e->issuer, &options, &err);
                pthread_mutex_lock(&s->lock);
                gw_stapling_fetch_apply(e, status, &result, &err);
                if (status == 0)
                        gw_stapling_fetch_report_revoked(s, e);
                e->is_busy = false;
                http_ocsp_client_result_cleanup(&result);
        }
        pthread_mutex_unlock(&s->lock);
        return NULL;
}
