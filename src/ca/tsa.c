/* src/ca/tsa.c: the time-stamping authority (tsa.h): a signer per family from ca/delegate.h, genTime and
 * serials, the HTTP face (RFC 3161 3.4). */
#include "ca/tsa.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"
#include "ca/delegate.h"
#include "crypto/random.h"
#include "crypto/tsp.h"

#define CA_TSA_CHECK_US   (60LL * 1000000) /* how often the certificates' remaining validity is looked at */
#define CA_TSA_SERIAL_LEN 16
#define CA_TSA_QUERY_TYPE "application/timestamp-query"
#define CA_TSA_REPLY_TYPE "application/timestamp-reply"

/* One family's TSA: its certificate and key, and the certificates a token carries after it. */
struct ca_tsa_signer {
        struct ca_delegate delegate;
        struct cert_chain *extra; /* issuing CA, root */
        struct tsp_signer tsp;
        struct ca_tsa_signer *retired_next;
};

struct ca_tsa_unit {
        const struct ca_authority *ca; /* NULL: this family has no TSA */
        _Atomic(struct ca_tsa_signer *) signer;
};

struct ca_tsa {
        const struct ca_config *config;
        struct ca_tsa_unit units[3];      /* by enum ca_tsa_family; [CA_TSA_AUTO] unused */
        _Atomic int64_t last_gen_time_us; /* the latest genTime issued */
        _Atomic int64_t next_check_us;    /* CLOCK_MONOTONIC */
        pthread_mutex_t renew_lock;
        struct ca_tsa_signer *retired; /* replaced signers: a request may still use one, freed at stop */
};

static int64_t ca_tsa_clock_us(clockid_t clock)
{
        struct timespec now;
        clock_gettime(clock, &now);
        return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void ca_tsa_signer_free(struct ca_tsa_signer *s)
{
        if (s == NULL)
                return;
        ca_delegate_cleanup(&s->delegate);
        cert_chain_free(s->extra);
        free(s);
}

/* ca_tsa_signer_extra copies the delegate's chain without its first certificate (the TSA's own). */
static int ca_tsa_signer_extra(struct ca_tsa_signer *s, struct err *err)
{
        TRY(cert_chain_new(&s->extra, err));
        for (size_t i = 1; i < cert_chain_count(s->delegate.chain); i++) {
                struct cert *copy = NULL;
                TRY(cert_dup(&copy, cert_chain_get(s->delegate.chain, i), err));
                TRY(cert_chain_append(s->extra, copy, err)); /* owns copy, also on failure */
        }
        return SMT_OK;
}

static int ca_tsa_signer_make(const struct ca_config *config, const struct ca_authority *ca, struct ca_tsa_signer **out,
                              struct err *err)
{
        int64_t validity = config->tsa.certificate_validity / 1000;
        struct ca_tsa_signer *s = calloc(1, sizeof *s);
        if (s == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "TSA signer");
        /* Renewed with a third of its validity left: tokens stay verifiable long after, and a TSA certificate
         * near its end would make relying parties doubt fresh tokens. */
        int status =
            ca_delegate_ensure(&s->delegate, ca, config, CA_DELEGATE_TSA, validity, validity / 3, time(NULL), err);
        if (status == SMT_OK)
                status = ca_tsa_signer_extra(s, err);
        if (status < 0) {
                err_prefix(err, "TSA of CA %s", ca_authority_name(ca));
                ca_tsa_signer_free(s);
                return status;
        }
        s->tsp = (struct tsp_signer){.cert = s->delegate.cert,
                                     .key = s->delegate.key,
                                     .chain = s->extra,
                                     .policy = config->tsa.policy,
                                     .accuracy_ms = config->tsa.accuracy};
        *out = s;
        return SMT_OK;
}

/* ca_tsa_renew replaces a certificate that has less than a third of its validity left. One request thread
 * does it (try-lock); the others keep signing with the current one meanwhile. */
static void ca_tsa_renew(struct ca_tsa *tsa)
{
        int64_t now = ca_tsa_clock_us(CLOCK_MONOTONIC);
        if (now < atomic_load_explicit(&tsa->next_check_us, memory_order_relaxed) ||
            pthread_mutex_trylock(&tsa->renew_lock) != 0)
                return;
        atomic_store_explicit(&tsa->next_check_us, now + CA_TSA_CHECK_US, memory_order_relaxed);
        int64_t left_min = tsa->config->tsa.certificate_validity / 3000;
        for (size_t f = CA_TSA_SM2; f <= CA_TSA_ECC; f++) {
                struct ca_tsa_signer *old = atomic_load_explicit(&tsa->units[f].signer, memory_order_acquire);
                time_t ca_end = 0;
                struct err ignored = {0};
                if (old == NULL || (int64_t)old->delegate.not_after - (int64_t)time(NULL) > left_min)
                        continue;
                /* Cut to a CA's end that is near, a new certificate would end at the same time: keep this one. */
                if (cert_not_after(ca_authority_cert(tsa->units[f].ca), &ca_end, &ignored) == 0 &&
                    old->delegate.not_after >= ca_end)
                        continue;
                struct ca_tsa_signer *fresh = NULL;
                struct err err = {0};
                if (ca_tsa_signer_make(tsa->config, tsa->units[f].ca, &fresh, &err) < 0) {
                        log_error("tsa: %s (the current certificate stays)", err.msg);
                        continue;
                }
                atomic_store_explicit(&tsa->units[f].signer, fresh, memory_order_release);
                old->retired_next = tsa->retired;
                tsa->retired = old;
                log_info("tsa: new TSA certificate from CA %s", ca_authority_name(tsa->units[f].ca));
        }
        pthread_mutex_unlock(&tsa->renew_lock);
}

static int ca_tsa_unit_start(struct ca_tsa *tsa, enum ca_tsa_family family, const char *name,
                             const struct ca_authorities *authorities, struct err *err)
{
        if (name == NULL)
                return SMT_OK;
        const struct ca_authority *ca = ca_authorities_find(authorities, name);
        if (ca == NULL)
                return SMT_ERR(err, SMT_ECONFIG, "tsa.%s_ca: no issuing CA named %s",
                               family == CA_TSA_SM2 ? "sm2" : "ecc", name);
        struct ca_tsa_signer *s = NULL;
        TRY(ca_tsa_signer_make(tsa->config, ca, &s, err));
        tsa->units[family].ca = ca;
        atomic_store_explicit(&tsa->units[family].signer, s, memory_order_release);
        return SMT_OK;
}

int ca_tsa_start(struct ca_tsa **out, const struct ca_config *config, const struct ca_authorities *authorities,
                 struct err *err)
{
        *out = NULL;
        const struct ca_tsa_config *c = &config->tsa;
        if (!c->enabled || (c->sm2_ca == NULL && c->ecc_ca == NULL))
                return SMT_OK;
        struct ca_tsa *tsa = calloc(1, sizeof *tsa);
        if (tsa == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "TSA");
        tsa->config = config;
        pthread_mutex_init(&tsa->renew_lock, NULL);
        atomic_store(&tsa->next_check_us, ca_tsa_clock_us(CLOCK_MONOTONIC) + CA_TSA_CHECK_US);
        int status = ca_tsa_unit_start(tsa, CA_TSA_SM2, c->sm2_ca, authorities, err);
        if (status == SMT_OK)
                status = ca_tsa_unit_start(tsa, CA_TSA_ECC, c->ecc_ca, authorities, err);
        if (status < 0) {
                ca_tsa_stop(tsa);
                return status;
        }
        *out = tsa;
        return SMT_OK;
}

void ca_tsa_stop(struct ca_tsa *tsa)
{
        if (tsa == NULL)
                return;
        for (size_t f = CA_TSA_SM2; f <= CA_TSA_ECC; f++)
                ca_tsa_signer_free(atomic_load(&tsa->units[f].signer));
        while (tsa->retired != NULL) {
                struct ca_tsa_signer *next = tsa->retired->retired_next;
                ca_tsa_signer_free(tsa->retired);
                tsa->retired = next;
        }
        pthread_mutex_destroy(&tsa->renew_lock);
        free(tsa);
}

static struct ca_tsa_signer *ca_tsa_signer_of(const struct ca_tsa *tsa, enum ca_tsa_family family)
{
        return tsa != NULL && family != CA_TSA_AUTO
                   ? atomic_load_explicit(&((struct ca_tsa *)tsa)->units[family].signer, memory_order_acquire)
                   : NULL;
}

bool ca_tsa_has(const struct ca_tsa *tsa, enum ca_tsa_family family)
{
        if (family == CA_TSA_AUTO)
                return ca_tsa_signer_of(tsa, CA_TSA_SM2) != NULL || ca_tsa_signer_of(tsa, CA_TSA_ECC) != NULL;
        return ca_tsa_signer_of(tsa, family) != NULL;
}

/* ca_tsa_pick: SM3 imprints to the SM2 TSA and SHA-2 ones to the ECC TSA when both exist. */
static struct ca_tsa_signer *ca_tsa_pick(struct ca_tsa *tsa, enum ca_tsa_family family, enum tsp_hash hash)
{
        if (family != CA_TSA_AUTO)
                return ca_tsa_signer_of(tsa, family);
        enum ca_tsa_family first = hash == TSP_HASH_SM3 ? CA_TSA_SM2 : CA_TSA_ECC;
        struct ca_tsa_signer *s = ca_tsa_signer_of(tsa, first);
        return s != NULL ? s : ca_tsa_signer_of(tsa, first == CA_TSA_SM2 ? CA_TSA_ECC : CA_TSA_SM2);
}

/* ca_tsa_gen_time gives the clock's time, or a microsecond after the last genTime when the clock has not
 * moved on (or stepped back): genTime strictly increases in this process. */
static int64_t ca_tsa_gen_time(struct ca_tsa *tsa)
{
        int64_t now = ca_tsa_clock_us(CLOCK_REALTIME);
        int64_t last = atomic_load_explicit(&tsa->last_gen_time_us, memory_order_relaxed), next;
        do
                next = now > last ? now : last + 1;
        while (!atomic_compare_exchange_weak_explicit(&tsa->last_gen_time_us, &last, next, memory_order_relaxed,
                                                      memory_order_relaxed));
        return next;
}

static int ca_tsa_reject(struct buf_writer *out, uint32_t failure_info, const char *text, struct err *err)
{
        return tsp_response_reject(out, failure_info, text, err);
}

static int ca_tsa_grant(struct ca_tsa *tsa, const struct ca_tsa_signer *s, const struct tsp_request *req,
                        struct buf_writer *out, struct err *err)
{
        struct tsp_grant grant = {.serial_len = CA_TSA_SERIAL_LEN};
        struct err why = {0};
        size_t mark = out->len;
        int status = random_bytes(grant.serial, CA_TSA_SERIAL_LEN, &why);
        grant.serial[0] &= 0x7F; /* 127 random bits, positive: a 16-octet INTEGER */
        grant.gen_time_us = ca_tsa_gen_time(tsa);
        if (status == SMT_OK)
                status = tsp_response_grant(out, &s->tsp, req, &grant, &why);
        if (status == SMT_OK)
                return SMT_OK;
        log_error("tsa: signing failed: %s", why.msg);
        buf_writer_truncate(out, mark);
        return ca_tsa_reject(out, TSP_FAILURE_SYSTEM_FAILURE, "the TSA could not sign", err);
}

int ca_tsa_answer(struct ca_tsa *tsa, enum ca_tsa_family family, const uint8_t *request, size_t request_len,
                  struct buf_writer *out, struct err *err)
{
        struct tsp_request req;
        uint32_t failure = 0;
        struct err why = {0};
        if (tsp_request_parse(&req, request, request_len, &failure, &why) < 0)
                return ca_tsa_reject(out, failure, why.msg, err);
        struct ca_tsa_signer *s = ca_tsa_pick(tsa, family, req.imprint.hash);
        if (s == NULL)
                return ca_tsa_reject(out, TSP_FAILURE_SYSTEM_FAILURE, "no TSA", err);
        if (tsp_request_accept(&req, s->tsp.policy, &failure, &why) < 0)
                return ca_tsa_reject(out, failure, why.msg, err);
        return ca_tsa_grant(tsa, s, &req, out, err);
}

static void ca_tsa_text(struct http_server_response *response, int status, const char *text)
{
        response->status = status;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "text/plain; charset=utf-8"));
        SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)));
}

static bool ca_tsa_route(const char *path, enum ca_tsa_family *out)
{
        static const struct {
                const char *path;
                enum ca_tsa_family family;
        } routes[] = {
            {"/tsa", CA_TSA_AUTO}, {"/tsa/", CA_TSA_AUTO}, {"/tsa/sm2", CA_TSA_SM2}, {"/tsa/ecc", CA_TSA_ECC}};
        for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
                if (strcmp(path, routes[i].path) == 0) {
                        *out = routes[i].family;
                        return true;
                }
        return false;
}

/* ca_tsa_is_query: the media type RFC 3161 3.4 names, parameters allowed, any case (RFC 9110 8.3.1). */
static bool ca_tsa_is_query(const char *type)
{
        size_t n = strlen(CA_TSA_QUERY_TYPE);
        if (type == NULL || strncasecmp(type, CA_TSA_QUERY_TYPE, n) != 0)
                return false;
        return type[n] == '\0' || type[n] == ';' || type[n] == ' ' || type[n] == '\t';
}

void ca_tsa_handle(struct ca_tsa *tsa, const struct http_server_request *request, struct http_server_response *response)
{
        enum ca_tsa_family family = CA_TSA_AUTO;
        if (!ca_tsa_route(request->path, &family) || !ca_tsa_has(tsa, family)) {
                ca_tsa_text(response, 404, "no such time-stamping authority\n");
                return;
        }
        if (strcmp(request->method, "POST") != 0) {
                ca_tsa_text(response, 405, "only POST (RFC 3161 3.4)\n");
                SMT_IGNORE(http_server_response_add_field(response, "Allow", "POST"));
                return;
        }
        if (!ca_tsa_is_query(http_server_request_field(request, "Content-Type"))) {
                ca_tsa_text(response, 415, "expected Content-Type: " CA_TSA_QUERY_TYPE "\n");
                return;
        }
        ca_tsa_renew(tsa);
        struct err err = {0};
        if (ca_tsa_answer(tsa, family, request->body, request->body_len, &response->body, &err) < 0) {
                log_error("tsa: %s", err.msg);
                buf_writer_truncate(&response->body, 0);
                ca_tsa_text(response, 500, "internal error\n");
                return;
        }
        response->status = 200;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", CA_TSA_REPLY_TYPE));
        SMT_IGNORE(http_server_response_add_field(response, "Cache-Control", "no-store"));
}
