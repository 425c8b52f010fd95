/* src/ca/revocation.c: the process-wide list of revocation listeners (revocation.h). */
#include "ca/revocation.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

struct ca_revocation_entry {
        struct store *store;
        ca_revocation_listener *listener;
        void *context;
        struct ca_revocation_entry *next;
};

static pthread_mutex_t ca_revocation_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ca_revocation_entry *ca_revocation_list;

int ca_revocation_listen(struct store *store, ca_revocation_listener *listener, void *context, struct err *err)
{
        struct ca_revocation_entry *entry = malloc(sizeof *entry);
        if (entry == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "revocation listener");
        *entry = (struct ca_revocation_entry){.store = store, .listener = listener, .context = context};
        pthread_mutex_lock(&ca_revocation_lock);
        entry->next = ca_revocation_list;
        ca_revocation_list = entry;
        pthread_mutex_unlock(&ca_revocation_lock);
        return SMT_OK;
}

void ca_revocation_unlisten(struct store *store, ca_revocation_listener *listener, void *context)
{
        pthread_mutex_lock(&ca_revocation_lock);
        for (struct ca_revocation_entry **at = &ca_revocation_list; *at != NULL; at = &(*at)->next) {
                struct ca_revocation_entry *entry = *at;
                if (entry->store == store && entry->listener == listener && entry->context == context) {
                        *at = entry->next;
                        free(entry);
                        break;
                }
        }
        pthread_mutex_unlock(&ca_revocation_lock);
}

void ca_revocation_notify(struct store *store, const char *serial)
{
        pthread_mutex_lock(&ca_revocation_lock);
        for (struct ca_revocation_entry *entry = ca_revocation_list; entry != NULL; entry = entry->next)
                if (entry->store == store)
                        entry->listener(entry->context, serial);
        pthread_mutex_unlock(&ca_revocation_lock);
}

/* --- the watch for other processes' revocations --- */

#define CA_REVOCATION_WATCH_WINDOW 60   /* seconds back each poll looks */
#define CA_REVOCATION_WATCH_SEEN   4096 /* serials remembered as already told */

struct ca_revocation_watch {
        struct store *store;
        pthread_mutex_t lock; /* guards what follows */
        pthread_cond_t wake;
        bool is_stopping;
        char (*seen)[STORE_SERIAL_MAX]; /* a ring of serials notified in this process */
        size_t next_seen;
        pthread_t thread;
        bool has_thread, is_listening;
};

static bool ca_revocation_watch_has(struct ca_revocation_watch *watch, const char *serial)
{
        for (size_t i = 0; i < CA_REVOCATION_WATCH_SEEN; i++)
                if (strcmp(watch->seen[i], serial) == 0)
                        return true;
        return false;
}

/* Remembers serial unless known; returns whether it was new. Called with watch->lock held. */
static bool ca_revocation_watch_remember(struct ca_revocation_watch *watch, const char *serial)
{
        if (ca_revocation_watch_has(watch, serial))
                return false;
        snprintf(watch->seen[watch->next_seen], STORE_SERIAL_MAX, "%s", serial);
        watch->next_seen = (watch->next_seen + 1) % CA_REVOCATION_WATCH_SEEN;
        return true;
}

/* Revocations made in this process reach the watch like any listener, so it does not tell them again. */
static void ca_revocation_watch_heard(void *context, const char *serial)
{
        struct ca_revocation_watch *watch = context;
        pthread_mutex_lock(&watch->lock);
        SMT_IGNORE(ca_revocation_watch_remember(watch, serial));
        pthread_mutex_unlock(&watch->lock);
}

/* One poll; the first one (tell false) only learns what was revoked before this process started. */
static void ca_revocation_watch_poll(struct ca_revocation_watch *watch, char (*found)[STORE_SERIAL_MAX], bool tell)
{
        size_t num = 0;
        struct err err = {0};
        if (store_cert_revoked_since(watch->store, (int64_t)time(NULL) - CA_REVOCATION_WATCH_WINDOW, found,
                                     CA_REVOCATION_WATCH_MAX, &num, &err) < 0) {
                log_write(LOG_LEVEL_WARNING, "revocation watch: %s", err.msg);
                return;
        }
        for (size_t i = 0; i < num; i++) {
                pthread_mutex_lock(&watch->lock);
                bool is_new = ca_revocation_watch_remember(watch, found[i]);
                pthread_mutex_unlock(&watch->lock);
                if (is_new && tell)
                        ca_revocation_notify(watch->store, found[i]);
        }
}

static void *ca_revocation_watch_run(void *context)
{
        struct ca_revocation_watch *watch = context;
        char(*found)[STORE_SERIAL_MAX] = calloc(CA_REVOCATION_WATCH_MAX, STORE_SERIAL_MAX);
        if (found == NULL)
                return NULL;
        ca_revocation_watch_poll(watch, found, false);
        pthread_mutex_lock(&watch->lock);
        while (!watch->is_stopping) {
                struct timespec deadline;
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_sec += 1;
                SMT_IGNORE(pthread_cond_timedwait(&watch->wake, &watch->lock, &deadline));
                if (watch->is_stopping)
                        break;
                pthread_mutex_unlock(&watch->lock);
                ca_revocation_watch_poll(watch, found, true);
                pthread_mutex_lock(&watch->lock);
        }
        pthread_mutex_unlock(&watch->lock);
        free(found);
        return NULL;
}

static int ca_revocation_watch_init(struct ca_revocation_watch *watch, struct err *err)
{
        pthread_condattr_t attributes;
        if (pthread_condattr_init(&attributes) != 0)
                return SMT_ERR(err, SMT_ENOMEM, "revocation watch");
        int ok = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&watch->wake, &attributes) == 0;
        pthread_condattr_destroy(&attributes);
        if (!ok)
                return SMT_ERR(err, SMT_EINTERNAL, "revocation watch: condition variable");
        pthread_mutex_init(&watch->lock, NULL);
        watch->seen = calloc(CA_REVOCATION_WATCH_SEEN, STORE_SERIAL_MAX);
        return watch->seen != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "revocation watch");
}

int ca_revocation_watch_start(struct ca_revocation_watch **out, struct store *store, struct err *err)
{
        struct ca_revocation_watch *watch = calloc(1, sizeof *watch);
        if (watch == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "revocation watch");
        watch->store = store;
        int status = ca_revocation_watch_init(watch, err);
        if (status == SMT_OK)
                status = ca_revocation_listen(store, ca_revocation_watch_heard, watch, err);
        watch->is_listening = status == SMT_OK;
        if (status == SMT_OK && pthread_create(&watch->thread, NULL, ca_revocation_watch_run, watch) != 0)
                status = SMT_ERR(err, SMT_EINTERNAL, "revocation watch: cannot start its thread");
        watch->has_thread = status == SMT_OK;
        if (status < 0) {
                ca_revocation_watch_stop(watch);
                return status;
        }
        *out = watch;
        return SMT_OK;
}

void ca_revocation_watch_stop(struct ca_revocation_watch *watch)
{
        if (watch == NULL)
                return;
        if (watch->has_thread) {
                pthread_mutex_lock(&watch->lock);
                watch->is_stopping = true;
                pthread_cond_signal(&watch->wake);
                pthread_mutex_unlock(&watch->lock);
                pthread_join(watch->thread, NULL);
        }
        if (watch->is_listening)
                ca_revocation_unlisten(watch->store, ca_revocation_watch_heard, watch);
        free(watch->seen);
        pthread_cond_destroy(&watch->wake);
        pthread_mutex_destroy(&watch->lock);
        free(watch);
}
