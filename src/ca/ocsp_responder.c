/* src/ca/ocsp_responder.c: the responder's life (ocsp_responder.h): a signer per issuing CA, answers
 * signed at start, a thread that signs them anew before half their validity and renews responder
 * certificates, and the revocation listener that drops an answer the moment its certificate is revoked. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "ca/ocsp_responder_internal.h"
#include "ca/revocation.h"

#define CA_OCSP_TICK_MS    1000 /* how often the thread looks for answers to sign anew */
#define CA_OCSP_RENEW_MS   (60 * 1000) /* how often responder certificates are checked */

static void ca_ocsp_signer_free(struct ca_ocsp_signer *signer)
{
        if (signer == NULL)
                return;
        ca_delegate_cleanup(&signer->delegate);
        cert_chain_free(signer->extra);
        free(signer);
}

static int ca_ocsp_signer_make(struct ca_ocsp *ocsp, size_t index, struct ca_ocsp_signer **out, struct err *err)
{
        const struct ca_revocation_config *r = &ocsp->config->revocation;
        struct ca_ocsp_signer *signer = calloc(1, sizeof *signer);
        if (signer == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "OCSP signer");
        signer->ca = ca_authorities_get(ocsp->authorities, index);
        signer->index = index;
        struct cert *ca_copy = NULL;
        int status = ocsp_issuer_id_make(&signer->issuer_id, ca_authority_cert(signer->ca), err);
        if (status == SMT_OK)
                status = ca_delegate_ensure(&signer->delegate, signer->ca, ocsp->config, CA_DELEGATE_OCSP,
                                            r->ocsp_responder_validity / 1000, r->ocsp_responder_validity / 2000,
                                            time(NULL), err);
        if (status == SMT_OK)
                status = cert_chain_new(&signer->extra, err);
        if (status == SMT_OK)
                status = cert_dup(&ca_copy, ca_authority_cert(signer->ca), err);
        if (status == SMT_OK && (status = cert_chain_append(signer->extra, ca_copy, err)) < 0)
                cert_free(ca_copy);
        if (status < 0) {
                err_prefix(err, "OCSP responder of CA %s", ca_authority_name(signer->ca));
                ca_ocsp_signer_free(signer);
                return status;
        }
        *out = signer;
        return SMT_OK;
}

/* ca_ocsp_signer_at returns CA index's signer, made now when there is none (a CA made at run time). */
static struct ca_ocsp_signer *ca_ocsp_signer_at(struct ca_ocsp *ocsp, size_t index)
{
        struct ca_ocsp_signer *signer = atomic_load_explicit(&ocsp->signers[index], memory_order_acquire);
        if (signer != NULL)
                return signer;
        pthread_mutex_lock(&ocsp->signer_lock);
        signer = atomic_load_explicit(&ocsp->signers[index], memory_order_acquire);
        struct err err = {0};
        if (signer == NULL && ca_ocsp_signer_make(ocsp, index, &signer, &err) == SMT_OK)
                atomic_store_explicit(&ocsp->signers[index], signer, memory_order_release);
        else if (signer == NULL)
                log_write(LOG_LEVEL_ERROR, "ocsp: %s", err.msg);
        pthread_mutex_unlock(&ocsp->signer_lock);
        return signer;
}

struct ca_ocsp_signer *ca_ocsp_signer_for(struct ca_ocsp *ocsp, const struct ocsp_cert_id *id)
{
        size_t count = ca_authorities_count(ocsp->authorities);
        if (count > CA_OCSP_CAS_MAX)
                count = CA_OCSP_CAS_MAX;
        for (size_t i = 0; i < count; i++) {
                struct ca_ocsp_signer *signer = ca_ocsp_signer_at(ocsp, i);
                if (signer != NULL && ocsp_issuer_id_matches(&signer->issuer_id, id))
                        return signer;
        }
        return NULL;
}

/* Responder certificates are replaced when half their validity has passed. Answers signed by the old one
 * stay valid (ocsp_validity is at most half of ocsp_responder_validity) and the old signer stays in memory
 * until stop, since a request thread may be signing with it. */
static void ca_ocsp_signers_renew(struct ca_ocsp *ocsp)
{
        int64_t half = ocsp->config->revocation.ocsp_responder_validity / 2000;
        time_t now = time(NULL);
        size_t count = ca_authorities_count(ocsp->authorities);
        for (size_t i = 0; i < count && i < CA_OCSP_CAS_MAX; i++) {
                struct ca_ocsp_signer *old = atomic_load_explicit(&ocsp->signers[i], memory_order_acquire);
                if (old == NULL || (int64_t)old->delegate.not_after - (int64_t)now > half)
                        continue;
                struct ca_ocsp_signer *fresh = NULL;
                struct err err = {0};
                if (ca_ocsp_signer_make(ocsp, i, &fresh, &err) < 0) {
                        log_write(LOG_LEVEL_ERROR, "ocsp: %s (the current responder certificate stays)", err.msg);
                        continue;
                }
                pthread_mutex_lock(&ocsp->signer_lock);
                atomic_store_explicit(&ocsp->signers[i], fresh, memory_order_release);
                old->retired_next = ocsp->retired;
                ocsp->retired = old;
                pthread_mutex_unlock(&ocsp->signer_lock);
                log_write(LOG_LEVEL_INFO, "ocsp: new responder certificate for CA %s", ca_authority_name(fresh->ca));
        }
}

static int64_t ca_ocsp_now_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The thread's chores, each at its own pace: answers due for signing (every tick), responder
 * certificates (every minute), other processes' revocations (every crl_interval). */
static void ca_ocsp_chores(struct ca_ocsp *ocsp, int64_t *renew_at, int64_t *sync_at)
{
        ca_ocsp_refresh_due(ocsp);
        int64_t now = ca_ocsp_now_ms();
        if (now >= *renew_at) {
                ca_ocsp_signers_renew(ocsp);
                *renew_at = now + CA_OCSP_RENEW_MS;
        }
        if (now >= *sync_at) {
                struct err err = {0};
                if (ca_ocsp_sync_revoked(ocsp, &err) < 0)
                        log_write(LOG_LEVEL_WARNING, "ocsp: reading revocations: %s", err.msg);
                *sync_at = now + ocsp->config->revocation.crl_interval;
        }
}

static void *ca_ocsp_run(void *context)
{
        struct ca_ocsp *ocsp = context;
        int64_t renew_at = ca_ocsp_now_ms() + CA_OCSP_RENEW_MS;
        int64_t sync_at = ca_ocsp_now_ms() + ocsp->config->revocation.crl_interval;
        pthread_mutex_lock(&ocsp->lock);
        while (!ocsp->is_stopping) {
                struct timespec deadline;
                clock_gettime(CLOCK_MONOTONIC, &deadline);
                deadline.tv_sec += CA_OCSP_TICK_MS / 1000;
                SMT_IGNORE(pthread_cond_timedwait(&ocsp->wake, &ocsp->lock, &deadline));
                if (ocsp->is_stopping)
                        break;
                pthread_mutex_unlock(&ocsp->lock);
                ca_ocsp_chores(ocsp, &renew_at, &sync_at);
                pthread_mutex_lock(&ocsp->lock);
        }
        pthread_mutex_unlock(&ocsp->lock);
        return NULL;
}

/* A revocation in this process: forget what was said about the certificate, so the next request reads
 * the store (revocation.h listener; called after the store committed). */
static void ca_ocsp_on_revoked(void *context, const char *serial_hex)
{
        struct ca_ocsp *ocsp = context;
        uint8_t serial[OCSP_SERIAL_MAX];
        size_t len = 0;
        if (ca_ocsp_serial_from_hex(serial_hex, serial, &len))
                ca_ocsp_table_drop_serial(&ocsp->table, serial, len);
}

static int ca_ocsp_init_sync(struct ca_ocsp *ocsp, struct err *err)
{
        pthread_condattr_t attributes;
        if (pthread_condattr_init(&attributes) != 0)
                return SMT_ERR(err, SMT_ENOMEM, "ocsp: condition attributes");
        int ok = pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&ocsp->wake, &attributes) == 0;
        pthread_condattr_destroy(&attributes);
        if (!ok)
                return SMT_ERR(err, SMT_EINTERNAL, "ocsp: condition variable");
        pthread_mutex_init(&ocsp->lock, NULL);
        pthread_mutex_init(&ocsp->signer_lock, NULL);
        return ca_ocsp_table_init(&ocsp->table, err);
}

static int ca_ocsp_begin(struct ca_ocsp *ocsp, struct err *err)
{
        size_t count = ca_authorities_count(ocsp->authorities);
        for (size_t i = 0; i < count && i < CA_OCSP_CAS_MAX; i++) {
                struct ca_ocsp_signer *signer = NULL;
                TRY(ca_ocsp_signer_make(ocsp, i, &signer, err));
                atomic_store_explicit(&ocsp->signers[i], signer, memory_order_release);
        }
        TRY(ca_ocsp_presign_all(ocsp, err));
        TRY(ca_revocation_listen(ocsp->store, ca_ocsp_on_revoked, ocsp, err));
        ocsp->is_listening = true;
        if (pthread_create(&ocsp->thread, NULL, ca_ocsp_run, ocsp) != 0)
                return SMT_ERR(err, SMT_EINTERNAL, "ocsp: cannot start its thread");
        ocsp->has_thread = true;
        return SMT_OK;
}

int ca_ocsp_start(struct ca_ocsp **out, const struct ca_config *config, struct store *store,
                  const struct ca_authorities *authorities, struct err *err)
{
        struct ca_ocsp *ocsp = calloc(1, sizeof *ocsp);
        if (ocsp == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "ocsp");
        ocsp->config = config;
        ocsp->store = store;
        ocsp->authorities = authorities;
        ocsp->signers = calloc(CA_OCSP_CAS_MAX, sizeof *ocsp->signers);
        if (ocsp->signers == NULL) {
                free(ocsp);
                return SMT_ERR(err, SMT_ENOMEM, "ocsp");
        }
        int status = ca_ocsp_init_sync(ocsp, err);
        if (status == SMT_OK)
                status = ca_ocsp_begin(ocsp, err);
        if (status < 0) {
                ca_ocsp_stop(ocsp);
                return status;
        }
        *out = ocsp;
        return SMT_OK;
}

void ca_ocsp_stop(struct ca_ocsp *ocsp)
{
        if (ocsp == NULL)
                return;
        if (ocsp->is_listening)
                ca_revocation_unlisten(ocsp->store, ca_ocsp_on_revoked, ocsp);
        if (ocsp->has_thread) {
                pthread_mutex_lock(&ocsp->lock);
                ocsp->is_stopping = true;
                pthread_cond_signal(&ocsp->wake);
                pthread_mutex_unlock(&ocsp->lock);
                pthread_join(ocsp->thread, NULL);
        }
        for (size_t i = 0; ocsp->signers != NULL && i < CA_OCSP_CAS_MAX; i++)
                ca_ocsp_signer_free(atomic_load(&ocsp->signers[i]));
        for (struct ca_ocsp_signer *s = ocsp->retired, *next; s != NULL; s = next) {
                next = s->retired_next;
                ca_ocsp_signer_free(s);
        }
        free(ocsp->signers);
        ca_ocsp_table_cleanup(&ocsp->table);
        pthread_cond_destroy(&ocsp->wake);
        pthread_mutex_destroy(&ocsp->lock);
        pthread_mutex_destroy(&ocsp->signer_lock);
        free(ocsp);
}

void ca_ocsp_stats(struct ca_ocsp *ocsp, struct ca_ocsp_stats *out)
{
        out->served_kept = atomic_load(&ocsp->served_kept);
        out->signed_now = atomic_load(&ocsp->signed_now);
        out->kept = ca_ocsp_table_count(&ocsp->table);
}
