/* src/ca/acme_validate.c: the threads that validate challenges. A challenge is queued once it is
 * PROCESSING in the store (store_challenge_start chose this process); the result goes back to the store
 * in one transaction that also moves its authorization and orders on. */
#include "ca/acme_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define ACME_VALIDATORS_MAX 64
#define ACME_RESTART_BATCH  1000

struct acme_job {
        struct acme_job *next;
        char challenge_id[STORE_ID_MAX];
};

struct acme_validator {
        struct acme *acme;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct acme_job *head, *tail;
        bool stopping;
        size_t num_threads;
        pthread_t threads[ACME_VALIDATORS_MAX];
};

static char *acme_problem_json(const struct ca_challenge_result *result)
{
        char type[96];
        snprintf(type, sizeof(type), "urn:ietf:params:acme:error:%s",
                 result->problem ? ca_challenge_problem_type(result->problem) : "serverInternal");
        json_t *body = json_pack("{s:s, s:s, s:i}", "type", type, "detail", result->detail, "status", 400);
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        return text;
}

static int acme_run_check(const struct acme *acme, const struct store_challenge *challenge,
                          const struct store_authz *authz, const char *key_authorization,
                          struct ca_challenge_result *result, struct err *err)
{
        const struct ca_challenge_settings *s = &acme->config->acme.challenges;
        struct ca_challenge_config config = {
                .resolver = s->resolver,
                .http_port = (uint16_t)s->http_port,
                .tls_alpn_port = (uint16_t)s->tls_alpn_port,
                .timeout_ms = (int)s->timeout,
        };
        const char *name = authz->identifier_value;
        if (strcmp(challenge->type, "http-01") == 0)
                return ca_challenge_http01(&config, name, challenge->token, key_authorization, result, err);
        if (strcmp(challenge->type, "dns-01") == 0)
                return ca_challenge_dns01(&config, name, key_authorization, result, err);
        if (strcmp(challenge->type, "tls-alpn-01") == 0)
                return ca_challenge_tls_alpn01(&config, name, key_authorization, result, err);
        return SMT_ERR(err, SMT_EINVAL, "unknown challenge type %s", challenge->type);
}

/* acme_validate_one runs one validation and records its result. */
static void acme_validate_one(struct acme *acme, const char *id)
{
        struct store_challenge challenge = {0};
        struct store_authz authz = {0};
        struct store_account account = {0};
        struct ca_challenge_result result = {0};
        struct err err = {0};
        char key_authorization[STORE_ID_MAX * 2 + 2];
        if (store_challenge_get(acme->store, id, &challenge, &err) < 0 ||
            store_authz_get(acme->store, challenge.authz_id, &authz, &err) < 0 ||
            store_account_get(acme->store, authz.account_id, &account, &err) < 0) {
                log_warning("acme: challenge %s: %s", id, err.msg);
                goto out;
        }
        if (challenge.status != STORE_CHALLENGE_PROCESSING)
                goto out;
        SMT_IGNORE(acme_key_authorization(challenge.token, account.key_thumbprint, key_authorization,
                                          sizeof(key_authorization)));
        int status = acme_run_check(acme, &challenge, &authz, key_authorization, &result, &err);
        if (status < 0 && result.problem == CA_PROBLEM_NONE)
                snprintf(result.detail, sizeof(result.detail), "%s: %s", challenge.type, err.msg);
        char *error_json = status < 0 ? acme_problem_json(&result) : NULL;
        if (store_challenge_finish(acme->store, id, status == 0, error_json, time(NULL), &err) < 0)
                log_warning("acme: challenge %s: recording the result: %s", id, err.msg);
        free(error_json);
out:
        store_challenge_clear(&challenge);
        store_account_clear(&account);
}

static void *acme_validator_main(void *arg)
{
        struct acme_validator *v = arg;
        pthread_mutex_lock(&v->lock);
        for (;;) {
                while (!v->head && !v->stopping)
                        pthread_cond_wait(&v->wake, &v->lock);
                if (!v->head)
                        break;
                struct acme_job *job = v->head;
                v->head = job->next;
                if (!v->head)
                        v->tail = NULL;
                pthread_mutex_unlock(&v->lock);
                acme_validate_one(v->acme, job->challenge_id);
                free(job);
                pthread_mutex_lock(&v->lock);
        }
        pthread_mutex_unlock(&v->lock);
        return NULL;
}

void acme_validator_queue(struct acme_validator *v, const char *challenge_id)
{
        struct acme_job *job = calloc(1, sizeof(*job));
        if (!job) {
                log_error("acme: challenge %s: out of memory; it is validated at the next start", challenge_id);
                return;
        }
        snprintf(job->challenge_id, sizeof(job->challenge_id), "%s", challenge_id);
        pthread_mutex_lock(&v->lock);
        if (v->tail)
                v->tail->next = job;
        else
                v->head = job;
        v->tail = job;
        pthread_cond_signal(&v->wake);
        pthread_mutex_unlock(&v->lock);
}

/* Challenges a stopped process left PROCESSING are validated again (RFC 8555 lets a server retry). */
static int acme_requeue_processing(struct acme_validator *v, struct err *err)
{
        char (*ids)[STORE_ID_MAX] = calloc(ACME_RESTART_BATCH, STORE_ID_MAX);
        size_t num = 0;
        if (!ids)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        int status = store_challenge_list_processing(v->acme->store, ids, ACME_RESTART_BATCH, &num, err);
        for (size_t i = 0; status == 0 && i < num; i++)
                acme_validator_queue(v, ids[i]);
        free(ids);
        return status;
}

int acme_validator_start(struct acme_validator **out, struct acme *acme, struct err *err)
{
        struct acme_validator *v = calloc(1, sizeof(*v));
        if (!v)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        v->acme = acme;
        pthread_mutex_init(&v->lock, NULL);
        pthread_cond_init(&v->wake, NULL);
        int64_t wanted = acme->config->acme.challenges.workers;
        size_t count = wanted < 1 ? 1 : wanted > ACME_VALIDATORS_MAX ? ACME_VALIDATORS_MAX : (size_t)wanted;
        for (; v->num_threads < count; v->num_threads++) {
                if (pthread_create(&v->threads[v->num_threads], NULL, acme_validator_main, v) != 0) {
                        acme_validator_stop(v);
                        return SMT_ERR(err, SMT_ENOMEM, "cannot start challenge validation threads");
                }
        }
        *out = v;
        int status = acme_requeue_processing(v, err);
        if (status < 0) {
                acme_validator_stop(v);
                *out = NULL;
        }
        return status;
}

void acme_validator_stop(struct acme_validator *v)
{
        if (!v)
                return;
        pthread_mutex_lock(&v->lock);
        v->stopping = true;
        /* Jobs not started are dropped: their challenges stay PROCESSING and are requeued at the next start. */
        while (v->head) {
                struct acme_job *job = v->head;
                v->head = job->next;
                free(job);
        }
        v->tail = NULL;
        pthread_cond_broadcast(&v->wake);
        pthread_mutex_unlock(&v->lock);
        for (size_t i = 0; i < v->num_threads; i++)
                pthread_join(v->threads[i], NULL);
        pthread_cond_destroy(&v->wake);
        pthread_mutex_destroy(&v->lock);
        free(v);
}
