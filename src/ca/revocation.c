/* src/ca/revocation.c: the process-wide list of revocation listeners (revocation.h). */
#include "ca/revocation.h"

#include <pthread.h>
#include <stdlib.h>

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
