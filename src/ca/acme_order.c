/* src/ca/acme_order.c: orders, authorizations and challenges (RFC 8555 7.1.3 - 7.1.6, 7.4, 7.5).
 * Identifier checks happen here, at order time, so a client learns of a name we will never certify
 * before it validates anything; the CA's policy (name constraints) is checked again at finalization. */
#include "ca/acme_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/acme_names.h"

struct acme_identifier {
        char type[8];
        char value[STORE_NAME_MAX]; /* as ordered: "*.example.com" for a wildcard */
};

/* --- rendering --- */

static json_t *acme_identifier_json(const char *type, const char *value)
{
        return json_pack("{s:s, s:s}", "type", type, "value", value);
}

static json_t *acme_time_json(int64_t t)
{
        char text[40];
        acme_time_format(t, text, sizeof(text));
        return json_string(text);
}

static void acme_set_error(json_t *body, const char *error_json)
{
        json_t *error = error_json ? json_loads(error_json, 0, NULL) : NULL;
        if (error)
                json_object_set_new(body, "error", error);
}

static int acme_order_shown_status(const struct store_order *order, int64_t now)
{
        bool open = order->status == STORE_ORDER_PENDING || order->status == STORE_ORDER_READY;
        return open && order->expires_at <= now ? STORE_ORDER_INVALID : order->status;
}

json_t *acme_order_json(const struct acme *acme, const struct store_order *order, int64_t now)
{
        char url[ACME_URL_MAX];
        json_t *body = json_object();
        json_object_set_new(body, "status", json_string(acme_order_status_name(acme_order_shown_status(order, now))));
        json_object_set_new(body, "expires", acme_time_json(order->expires_at));
        json_t *identifiers = json_loads(order->identifiers_json ? order->identifiers_json : "[]", 0, NULL);
        json_object_set_new(body, "identifiers", identifiers ? identifiers : json_array());
        if (order->not_before)
                json_object_set_new(body, "notBefore", acme_time_json(order->not_before));
        if (order->not_after)
                json_object_set_new(body, "notAfter", acme_time_json(order->not_after));
        json_t *authorizations = json_array();
        for (size_t i = 0; i < order->num_authz_ids; i++) {
                acme_url(acme, url, "authz", order->authz_ids[i]);
                json_array_append_new(authorizations, json_string(url));
        }
        json_object_set_new(body, "authorizations", authorizations);
        snprintf(url, sizeof(url), "%s/order/%s/finalize", acme->base, order->id);
        json_object_set_new(body, "finalize", json_string(url));
        if (order->cert_serial[0]) {
                acme_url(acme, url, "cert", order->cert_serial);
                json_object_set_new(body, "certificate", json_string(url));
        }
        if (order->replaces[0])
                json_object_set_new(body, "replaces", json_string(order->replaces));
        acme_set_error(body, order->error_json);
        return body;
}

static int acme_authz_shown_status(const struct store_authz *authz, int64_t now)
{
        bool open = authz->status == STORE_AUTHZ_PENDING || authz->status == STORE_AUTHZ_VALID;
        return open && authz->expires_at <= now ? STORE_AUTHZ_EXPIRED : authz->status;
}

static json_t *acme_challenge_json(const struct acme *acme, const struct store_challenge *challenge)
{
        char url[ACME_URL_MAX];
        acme_url(acme, url, "chall", challenge->id);
        json_t *body = json_object();
        json_object_set_new(body, "type", json_string(challenge->type));
        json_object_set_new(body, "url", json_string(url));
        json_object_set_new(body, "status", json_string(acme_challenge_status_name(challenge->status)));
        json_object_set_new(body, "token", json_string(challenge->token));
        if (challenge->validated_at)
                json_object_set_new(body, "validated", acme_time_json(challenge->validated_at));
        acme_set_error(body, challenge->error_json);
        return body;
}

/* --- identifiers --- */

static int acme_read_identifier(struct acme_request *req, const json_t *item, struct acme_identifier *out)
{
        const char *type = json_string_value(json_object_get(item, "type"));
        const char *value = json_string_value(json_object_get(item, "value"));
        if (!type || !value) {
                acme_problem(req, 400, "malformed", "an identifier needs string \"type\" and \"value\"");
                return -1;
        }
        if (strcmp(type, "dns") == 0) {
                if (acme_dns_name_normalize(value, out->value, sizeof(out->value)) < 0) {
                        acme_problem(req, 400, "rejectedIdentifier", "\"%s\" is not a DNS name this CA certifies",
                                     value);
                        return -1;
                }
        } else if (strcmp(type, "ip") == 0) {
                if (acme_ip_normalize(value, out->value, sizeof(out->value)) < 0) {
                        acme_problem(req, 400, "rejectedIdentifier", "\"%s\" is not an IP address", value);
                        return -1;
                }
        } else {
                acme_problem(req, 400, "unsupportedIdentifier", "identifier type \"%s\": only dns and ip", type);
                return -1;
        }
        snprintf(out->type, sizeof(out->type), "%s", type);
        return 0;
}

static int acme_identifier_compare(const void *a, const void *b)
{
        const struct acme_identifier *x = a, *y = b;
        int c = strcmp(x->type, y->type);
        return c ? c : strcmp(x->value, y->value);
}

/* acme_read_identifiers fills ids (sorted, duplicates dropped) from the payload's "identifiers". */
static int acme_read_identifiers(struct acme_request *req, struct acme_identifier *ids, size_t *num)
{
        const json_t *list = json_object_get(req->payload, "identifiers");
        size_t count = json_array_size(list);
        if (!json_is_array(list) || count == 0 || count > ACME_IDENTIFIERS_MAX) {
                acme_problem(req, 400, "malformed", "\"identifiers\" must list 1 to %d identifiers", ACME_IDENTIFIERS_MAX);
                return -1;
        }
        for (size_t i = 0; i < count; i++)
                TRY(acme_read_identifier(req, json_array_get(list, i), &ids[i]));
        qsort(ids, count, sizeof(*ids), acme_identifier_compare);
        size_t kept = 0;
        for (size_t i = 0; i < count; i++)
                if (kept == 0 || acme_identifier_compare(&ids[kept - 1], &ids[i]) != 0)
                        ids[kept++] = ids[i];
        *num = kept;
        return 0;
}

/* --- new order --- */

struct acme_new_order {
        struct store_order order;
        struct store_authz authzs[ACME_IDENTIFIERS_MAX];
        size_t num_authzs;
        struct store_challenge challenges[ACME_IDENTIFIERS_MAX * ACME_CHALLENGES_MAX];
        size_t num_challenges;
        char authz_ids[ACME_IDENTIFIERS_MAX][STORE_ID_MAX];
};

static int acme_add_challenge(struct acme_new_order *new, const struct store_authz *authz, const char *type,
                              struct err *err)
{
        struct store_challenge *challenge = &new->challenges[new->num_challenges++];
        TRY(store_new_id(challenge->id, err));
        TRY(store_new_id(challenge->token, err));
        /* A copy by length: authz lies in the same struct, which GCC's -Wrestrict (at -O2) takes for a
         * possible overlap with snprintf's destination; they are different array elements. */
        size_t id_len = strnlen(authz->id, sizeof(challenge->authz_id) - 1);
        memmove(challenge->authz_id, authz->id, id_len);
        challenge->authz_id[id_len] = '\0';
        snprintf(challenge->type, sizeof(challenge->type), "%s", type);
        challenge->status = STORE_CHALLENGE_PENDING;
        return 0;
}

/* A new authorization for id with the challenges that fit it: a wildcard only dns-01 (RFC 8555 7.1.3),
 * an IP address no dns-01 (RFC 8738 7). */
static int acme_add_authz(struct acme_request *req, struct acme_new_order *new, const struct acme_identifier *id,
                          struct err *err)
{
        struct store_authz *authz = &new->authzs[new->num_authzs++];
        TRY(store_new_id(authz->id, err));
        snprintf(authz->account_id, sizeof(authz->account_id), "%s", req->account.id);
        snprintf(authz->identifier_type, sizeof(authz->identifier_type), "%s", id->type);
        authz->wildcard = strncmp(id->value, "*.", 2) == 0;
        snprintf(authz->identifier_value, sizeof(authz->identifier_value), "%s", id->value + (authz->wildcard ? 2 : 0));
        authz->status = STORE_AUTHZ_PENDING;
        authz->expires_at = new->order.expires_at;
        bool is_ip = strcmp(id->type, "ip") == 0;
        if (!authz->wildcard)
                TRY(acme_add_challenge(new, authz, "http-01", err));
        if (!is_ip)
                TRY(acme_add_challenge(new, authz, "dns-01", err));
        if (!authz->wildcard)
                TRY(acme_add_challenge(new, authz, "tls-alpn-01", err));
        return 0;
}

/* Each identifier gets the account's valid authorization for it when there is one, else a new one. */
static int acme_plan_authzs(struct acme_request *req, struct acme_new_order *new, const struct acme_identifier *ids,
                            size_t num, bool *all_valid, struct err *err)
{
        *all_valid = true;
        for (size_t i = 0; i < num; i++) {
                bool wildcard = strncmp(ids[i].value, "*.", 2) == 0;
                struct store_authz found = {0};
                int status = store_authz_find_valid(req->acme->store, req->account.id, ids[i].type,
                                                    ids[i].value + (wildcard ? 2 : 0), wildcard, req->now, &found, err);
                if (status == 0) {
                        snprintf(new->authz_ids[i], STORE_ID_MAX, "%s", found.id);
                        continue;
                }
                if (err->code != CA_ENOT_FOUND)
                        return status;
                TRY(acme_add_authz(req, new, &ids[i], err));
                snprintf(new->authz_ids[i], STORE_ID_MAX, "%s", new->authzs[new->num_authzs - 1].id);
                *all_valid = false;
        }
        return 0;
}

static int acme_order_rate_ok(struct acme_request *req)
{
        int64_t count = 0;
        struct err err = {0};
        if (store_order_count_since(req->acme->store, req->account.id, req->now - 3600, &count, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "rate limit: %s", err.msg);
                return -1;
        }
        if (count >= req->acme->config->acme.rate_limits.orders_per_hour) {
                acme_add_field(req, "Retry-After", "3600");
                acme_problem(req, 429, "rateLimited", "account %s made %lld orders in the last hour (limit %lld)",
                             req->account.id, (long long)count,
                             (long long)req->acme->config->acme.rate_limits.orders_per_hour);
                return -1;
        }
        return 0;
}

/* notBefore / notAfter (RFC 8555 7.4), checked against the validity bounds of ca.yaml. */
static int acme_order_validity(struct acme_request *req, struct store_order *order)
{
        const json_t *nb = json_object_get(req->payload, "notBefore");
        const json_t *na = json_object_get(req->payload, "notAfter");
        if ((nb && acme_time_parse(json_string_value(nb), &order->not_before) < 0) ||
            (na && acme_time_parse(json_string_value(na), &order->not_after) < 0)) {
                acme_problem(req, 400, "malformed", "notBefore/notAfter must be RFC 3339 times");
                return -1;
        }
        const struct ca_certificates_config *bounds = &req->acme->config->certificates;
        int64_t start = order->not_before ? order->not_before : req->now;
        if (order->not_before && (order->not_before < req->now - 3600 || order->not_before > req->now + 86400 * 7)) {
                acme_problem(req, 400, "malformed", "notBefore must be within an hour before and a week after now");
                return -1;
        }
        if (order->not_after && (order->not_after - start < bounds->min_validity / 1000 ||
                                 order->not_after - start > bounds->max_validity / 1000)) {
                acme_problem(req, 400, "malformed", "the validity asked must be %llds to %llds",
                             (long long)(bounds->min_validity / 1000), (long long)(bounds->max_validity / 1000));
                return -1;
        }
        return 0;
}

static int acme_fill_order(struct acme_request *req, struct acme_new_order *new, const struct acme_identifier *ids,
                           size_t num, struct err *err)
{
        struct store_order *order = &new->order;
        TRY(store_new_id(order->id, err));
        snprintf(order->account_id, sizeof(order->account_id), "%s", req->account.id);
        order->created_at = req->now;
        order->expires_at = req->now + req->acme->config->acme.order_lifetime / 1000;
        const char *replaces = json_string_value(json_object_get(req->payload, "replaces"));
        if (replaces)
                snprintf(order->replaces, sizeof(order->replaces), "%s", replaces);
        json_t *identifiers = json_array();
        for (size_t i = 0; i < num; i++)
                json_array_append_new(identifiers, acme_identifier_json(ids[i].type, ids[i].value));
        order->identifiers_json = json_dumps(identifiers, JSON_COMPACT);
        json_decref(identifiers);
        if (!order->identifiers_json)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        bool all_valid = false;
        TRY(acme_plan_authzs(req, new, ids, num, &all_valid, err));
        order->status = all_valid ? STORE_ORDER_READY : STORE_ORDER_PENDING;
        order->authz_ids = new->authz_ids;
        order->num_authz_ids = num;
        return 0;
}

void acme_new_order(struct acme_request *req)
{
        struct acme_identifier *ids = calloc(ACME_IDENTIFIERS_MAX, sizeof(*ids));
        struct acme_new_order *new = calloc(1, sizeof(*new));
        size_t num = 0;
        struct err err = {0};
        if (!ids || !new) {
                acme_problem(req, 500, "serverInternal", "out of memory");
                goto out;
        }
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                goto out;
        if (!req->payload) {
                acme_problem(req, 400, "malformed", "newOrder needs a JSON object payload");
                goto out;
        }
        const json_t *replaces = json_object_get(req->payload, "replaces");
        if (replaces != NULL && (!json_is_string(replaces) || json_string_length(replaces) >= STORE_NAME_MAX)) {
                acme_problem(req, 400, "malformed", "replaces: expected a certificate identifier string");
                goto out;
        }
        if (acme_read_identifiers(req, ids, &num) < 0 || acme_order_validity(req, &new->order) < 0 ||
            (replaces != NULL && acme_replaces_check(req, json_string_value(replaces)) < 0) ||
            acme_order_rate_ok(req) < 0)
                goto out;
        if (acme_fill_order(req, new, ids, num, &err) < 0 ||
            store_order_create(req->acme->store, &new->order, new->authzs, new->num_authzs, new->challenges,
                               new->num_challenges, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "new order: %s", err.msg);
                goto out;
        }
        char location[ACME_URL_MAX];
        acme_url(req->acme, location, "order", new->order.id);
        acme_reply_json(req, 201, acme_order_json(req->acme, &new->order, req->now), location);
out:
        if (new) {
                new->order.authz_ids = NULL;
                store_order_clear(&new->order);
        }
        free(new);
        free(ids);
}

/* --- reading: order, authorization, challenge --- */

void acme_order(struct acme_request *req, const char *id)
{
        struct store_order order = {0};
        struct err err = {0};
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                return;
        if (store_order_get(req->acme->store, id, &order, &err) < 0) {
                acme_problem_from_err(req, &err, "order");
                return;
        }
        if (strcmp(order.account_id, req->account.id) != 0)
                acme_problem(req, 403, "unauthorized", "order %s belongs to another account", id);
        else
                acme_reply_json(req, 200, acme_order_json(req->acme, &order, req->now), NULL);
        store_order_clear(&order);
}

static json_t *acme_authz_json(struct acme_request *req, const struct store_authz *authz, struct err *err)
{
        struct store_challenge challenges[ACME_CHALLENGES_MAX] = {0};
        size_t num = 0;
        if (store_challenge_list(req->acme->store, authz->id, challenges, ACME_CHALLENGES_MAX, &num, err) < 0)
                return NULL;
        json_t *body = json_object();
        json_object_set_new(body, "status", json_string(acme_authz_status_name(acme_authz_shown_status(authz, req->now))));
        json_object_set_new(body, "expires", acme_time_json(authz->expires_at));
        json_object_set_new(body, "identifier", acme_identifier_json(authz->identifier_type, authz->identifier_value));
        if (authz->wildcard)
                json_object_set_new(body, "wildcard", json_true());
        json_t *list = json_array();
        for (size_t i = 0; i < num; i++) {
                /* RFC 8555 7.1.4: a valid authorization shows the challenge that validated it. */
                if (authz->status != STORE_AUTHZ_VALID || challenges[i].status == STORE_CHALLENGE_VALID)
                        json_array_append_new(list, acme_challenge_json(req->acme, &challenges[i]));
                store_challenge_clear(&challenges[i]);
        }
        json_object_set_new(body, "challenges", list);
        return body;
}

static int acme_load_own_authz(struct acme_request *req, const char *id, struct store_authz *authz)
{
        struct err err = {0};
        if (store_authz_get(req->acme->store, id, authz, &err) < 0) {
                acme_problem_from_err(req, &err, "authorization");
                return -1;
        }
        if (strcmp(authz->account_id, req->account.id) != 0) {
                acme_problem(req, 403, "unauthorized", "authorization %s belongs to another account", id);
                return -1;
        }
        return 0;
}

void acme_authz(struct acme_request *req, const char *id)
{
        struct store_authz authz = {0};
        struct err err = {0};
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0 || acme_load_own_authz(req, id, &authz) < 0)
                return;
        if (req->payload) {
                if (!acme_json_is(json_object_get(req->payload, "status"), "deactivated")) {
                        acme_problem(req, 400, "malformed", "an authorization can only be deactivated");
                        return;
                }
                if (store_authz_deactivate(req->acme->store, id, &err) < 0 ||
                    store_authz_get(req->acme->store, id, &authz, &err) < 0) {
                        acme_problem(req, err.code == CA_ECONFLICT ? 400 : 500,
                                     err.code == CA_ECONFLICT ? "malformed" : "serverInternal", "deactivate: %s", err.msg);
                        return;
                }
        }
        json_t *body = acme_authz_json(req, &authz, &err);
        if (!body)
                acme_problem(req, 500, "serverInternal", "authorization: %s", err.msg);
        else
                acme_reply_json(req, 200, body, NULL);
}

/* Responding to a challenge ({} payload) starts its validation once; later responses and POST-as-GET
 * show where it stands (RFC 8555 7.5.1). */
void acme_challenge(struct acme_request *req, const char *id)
{
        struct store_challenge challenge = {0};
        struct store_authz authz = {0};
        struct err err = {0};
        char up[ACME_URL_MAX];
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                return;
        if (store_challenge_get(req->acme->store, id, &challenge, &err) < 0) {
                acme_problem_from_err(req, &err, "challenge");
                return;
        }
        if (acme_load_own_authz(req, challenge.authz_id, &authz) < 0)
                goto out;
        if (req->payload && challenge.status == STORE_CHALLENGE_PENDING) {
                if (acme_authz_shown_status(&authz, req->now) != STORE_AUTHZ_PENDING) {
                        acme_problem(req, 400, "malformed", "the authorization is %s",
                                     acme_authz_status_name(acme_authz_shown_status(&authz, req->now)));
                        goto out;
                }
                if (store_challenge_start(req->acme->store, id, &err) == 0)
                        acme_validator_queue(req->acme->validator, id);
                else if (err.code != CA_ECONFLICT) {
                        acme_problem(req, 500, "serverInternal", "challenge: %s", err.msg);
                        goto out;
                }
                store_challenge_clear(&challenge);
                if (store_challenge_get(req->acme->store, id, &challenge, &err) < 0) {
                        acme_problem_from_err(req, &err, "challenge");
                        goto out;
                }
        }
        acme_url(req->acme, up, "authz", authz.id);
        acme_add_field(req, "Link", "<%s>;rel=\"up\"", up);
        acme_reply_json(req, 200, acme_challenge_json(req->acme, &challenge), NULL);
out:
        store_challenge_clear(&challenge);
}
