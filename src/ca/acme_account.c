/* src/ca/acme_account.c: accounts (RFC 8555 7.3): creation with optional external account binding,
 * lookup by key, contact updates, deactivation, the orders list and key roll-over. */
#include "ca/acme_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACME_CONTACTS_MAX 10
#define ACME_ORDERS_LIST  200

json_t *acme_account_json(const struct store_account *account, const char *orders_url)
{
        json_t *contact = json_loads(account->contact_json ? account->contact_json : "[]", 0, NULL);
        const char *status = account->status == STORE_ACCOUNT_VALID         ? "valid"
                             : account->status == STORE_ACCOUNT_DEACTIVATED ? "deactivated"
                                                                            : "revoked";
        json_t *body = json_object();
        json_object_set_new(body, "status", json_string(status));
        json_object_set_new(body, "contact", contact ? contact : json_array());
        json_object_set_new(body, "orders", json_string(orders_url));
        return body;
}

static void acme_reply_account(struct acme_request *req, int status, const struct store_account *account)
{
        char location[ACME_URL_MAX];
        char orders[ACME_URL_MAX + 16];
        acme_url(req->acme, location, "account", account->id);
        snprintf(orders, sizeof(orders), "%s/orders", location);
        acme_reply_json(req, status, acme_account_json(account, orders), location);
}

/* Contacts (RFC 8555 7.3): mailto: URLs of one address without header fields; anything else is refused. */
static int acme_contacts(struct acme_request *req, const json_t *contact, char **out_json)
{
        if (!json_is_array(contact) || json_array_size(contact) > ACME_CONTACTS_MAX) {
                acme_problem(req, 400, "malformed", "contact must be an array of at most %d URLs", ACME_CONTACTS_MAX);
                return -1;
        }
        size_t i;
        const json_t *item;
        json_array_foreach(contact, i, item) {
                const char *url = json_string_value(item);
                if (!url || strncmp(url, "mailto:", 7) != 0) {
                        acme_problem(req, 400, "unsupportedContact", "contact %zu: only mailto: URLs are accepted", i);
                        return -1;
                }
                const char *at = strchr(url + 7, '@');
                if (!at || at == url + 7 || !strchr(at, '.') || strpbrk(url + 7, "?,; <>\"") || strlen(url) > 254) {
                        acme_problem(req, 400, "invalidContact", "contact \"%s\" is not one e-mail address", url);
                        return -1;
                }
        }
        *out_json = json_dumps(contact, JSON_COMPACT);
        return *out_json ? 0 : -1;
}

/* RFC 8555 7.3.4: the inner JWS is HMAC-signed by the EAB key over the account's JWK, with our URL. */
static int acme_check_eab(struct acme_request *req, const json_t *eab, char kid_out[STORE_ID_MAX])
{
        char *text = json_dumps(eab, JSON_COMPACT);
        struct jose_jws inner = {0};
        struct store_eab_key key = {0};
        struct jose_jwk *bound = NULL;
        struct err err = {0};
        int status = -1;
        if (!text || jose_jws_parse(&inner, (const uint8_t *)text, strlen(text), false, &err) < 0) {
                acme_problem(req, 400, "malformed", "externalAccountBinding: %s", text ? err.msg : "out of memory");
                goto out;
        }
        if (!inner.kid || strlen(inner.kid) >= STORE_ID_MAX || inner.nonce || !inner.url ||
            strcmp(inner.url, req->url) != 0) {
                acme_problem(req, 400, "malformed", "externalAccountBinding needs a \"kid\", no nonce and url %s", req->url);
                goto out;
        }
        json_t *payload_jwk = NULL;
        if (jose_jws_payload_json(&inner, &payload_jwk, &err) < 0 ||
            jose_jwk_from_json(&bound, payload_jwk, &err) < 0 || !jose_jwk_equal(bound, req->jwk)) {
                json_decref(payload_jwk);
                acme_problem(req, 400, "malformed", "externalAccountBinding must sign this account's key");
                goto out;
        }
        json_decref(payload_jwk);
        if (store_eab_get(req->acme->store, inner.kid, &key, &err) < 0 || key.account_id[0]) {
                acme_problem(req, 401, "unauthorized", "external account key \"%s\" is unknown or used", inner.kid);
                goto out;
        }
        if (jose_jws_verify_hmac(&inner, key.key, key.key_len, &err) < 0) {
                acme_problem(req, 401, "unauthorized", "externalAccountBinding: %s", err.msg);
                goto out;
        }
        snprintf(kid_out, STORE_ID_MAX, "%s", inner.kid);
        status = 0;
out:
        explicit_bzero(&key, sizeof(key));
        jose_jwk_free(bound);
        jose_jws_clear(&inner);
        free(text);
        return status;
}

/* New accounts per client address per hour, counted in this process (RFC 8555 6.6 rateLimited). */
static bool acme_account_rate_ok(struct acme_request *req)
{
        struct acme *acme = req->acme;
        uint64_t hash = 1469598103934665603ull;
        for (const char *c = req->http->remote_addr; *c; c++)
                hash = (hash ^ (uint8_t)*c) * 1099511628211ull;
        struct acme_ip_bucket *bucket = &acme->ip_buckets[hash % ACME_IP_SLOTS];
        bool ok;
        pthread_mutex_lock(&acme->limits_lock);
        if (bucket->address_hash != hash || req->now - bucket->window_start >= 3600) {
                bucket->address_hash = hash;
                bucket->window_start = req->now;
                bucket->count = 0;
        }
        ok = bucket->count < acme->config->acme.rate_limits.accounts_per_hour;
        if (ok)
                bucket->count++;
        pthread_mutex_unlock(&acme->limits_lock);
        return ok;
}

static int acme_existing_account(struct acme_request *req, const char *thumbprint)
{
        struct store_account existing = {0};
        struct err err = {0};
        int status = store_account_find_by_thumbprint(req->acme->store, thumbprint, &existing, &err);
        if (status == CA_ENOT_FOUND || (status < 0 && err.code == CA_ENOT_FOUND))
                return 0;
        if (status < 0) {
                acme_problem(req, 500, "serverInternal", "account lookup: %s", err.msg);
                return -1;
        }
        if (existing.status != STORE_ACCOUNT_VALID)
                acme_problem(req, 401, "unauthorized", "the account of this key is deactivated");
        else
                acme_reply_account(req, 200, &existing);
        store_account_clear(&existing);
        return 1;
}

static int acme_fill_new_account(struct acme_request *req, struct store_account *account, const char *thumbprint)
{
        const json_t *payload = req->payload;
        struct err err = {0};
        json_t *contact = json_object_get(payload, "contact");
        if (contact)
                TRY(acme_contacts(req, contact, &account->contact_json));
        else
                account->contact_json = strdup("[]");
        const json_t *eab = json_object_get(payload, "externalAccountBinding");
        if (eab)
                TRY(acme_check_eab(req, eab, account->eab_kid));
        else if (req->acme->config->acme.external_account_binding.required) {
                acme_problem(req, 400, "externalAccountRequired", "this CA requires an external account binding");
                return -1;
        }
        json_t *jwk = jose_jwk_to_json(req->jwk);
        account->key_jwk = jwk ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(jwk);
        if (!account->key_jwk || store_new_id(account->id, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "new account: %s", err.msg);
                return -1;
        }
        snprintf(account->key_thumbprint, sizeof(account->key_thumbprint), "%s", thumbprint);
        account->status = STORE_ACCOUNT_VALID;
        account->created_at = req->now;
        return 0;
}

void acme_new_account(struct acme_request *req)
{
        char thumbprint[JOSE_THUMBPRINT_LEN];
        struct err err = {0};
        if (acme_authenticate(req, ACME_AUTH_JWK) < 0)
                return;
        if (!req->payload) {
                acme_problem(req, 400, "malformed", "newAccount needs a JSON object payload");
                return;
        }
        if (jose_jwk_thumbprint(req->jwk, thumbprint, &err) < 0) {
                acme_problem(req, 400, "badPublicKey", "%s", err.msg);
                return;
        }
        int found = acme_existing_account(req, thumbprint);
        if (found != 0)
                return;
        if (json_is_true(json_object_get(req->payload, "onlyReturnExisting"))) {
                acme_problem(req, 400, "accountDoesNotExist", "no account has this key");
                return;
        }
        if (!acme_account_rate_ok(req)) {
                acme_add_field(req, "Retry-After", "3600");
                acme_problem(req, 429, "rateLimited", "too many new accounts from %s this hour", req->http->remote_addr);
                return;
        }
        struct store_account account = {0};
        if (acme_fill_new_account(req, &account, thumbprint) == 0) {
                if (store_account_insert(req->acme->store, &account, &err) < 0) {
                        if (err.code == CA_ECONFLICT && account.eab_kid[0])
                                acme_problem(req, 401, "unauthorized", "external account key already used");
                        else
                                acme_problem(req, 500, "serverInternal", "new account: %s", err.msg);
                } else {
                        acme_reply_account(req, 201, &account);
                }
        }
        store_account_clear(&account);
}

static void acme_account_orders(struct acme_request *req)
{
        char (*list)[STORE_ID_MAX] = calloc(ACME_ORDERS_LIST, STORE_ID_MAX);
        size_t num = 0;
        struct err err = {0};
        if (!list || store_order_list_ids(req->acme->store, req->account.id, list, ACME_ORDERS_LIST, &num, &err) < 0) {
                free(list);
                acme_problem(req, 500, "serverInternal", "orders: %s", err.msg);
                return;
        }
        json_t *orders = json_array();
        for (size_t i = 0; i < num; i++) {
                char url[ACME_URL_MAX];
                acme_url(req->acme, url, "order", list[i]);
                json_array_append_new(orders, json_string(url));
        }
        free(list);
        acme_reply_json(req, 200, json_pack("{s:o}", "orders", orders), NULL);
}

static void acme_account_update(struct acme_request *req)
{
        struct err err = {0};
        struct store_account *account = &req->account;
        const json_t *status = json_object_get(req->payload, "status");
        const json_t *contact = json_object_get(req->payload, "contact");
        if (status && !acme_json_is(status, "deactivated") && !acme_json_is(status, "valid")) {
                acme_problem(req, 400, "malformed", "an account's status can only be set to \"deactivated\"");
                return;
        }
        if (contact) {
                char *contact_json = NULL;
                if (acme_contacts(req, contact, &contact_json) < 0)
                        return;
                free(account->contact_json);
                account->contact_json = contact_json;
        }
        if (status && strcmp(json_string_value(status), "deactivated") == 0)
                account->status = STORE_ACCOUNT_DEACTIVATED;
        if (store_account_update(req->acme->store, account, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "account update: %s", err.msg);
                return;
        }
        acme_reply_account(req, 200, account);
}

void acme_account(struct acme_request *req, const char *id, const char *rest)
{
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                return;
        if (strcmp(id, req->account.id) != 0) {
                acme_problem(req, 401, "unauthorized", "the request is signed by another account");
                return;
        }
        if (strcmp(rest, "/orders") == 0)
                acme_account_orders(req);
        else if (*rest != '\0')
                acme_problem(req, 404, "malformed", "no such account resource");
        else if (!req->payload)
                acme_reply_account(req, 200, &req->account);
        else
                acme_account_update(req);
}

/* The inner JWS of a key change (RFC 8555 7.3.5): signed by the new key, same url, no nonce, payload
 * {"account": our kid, "oldKey": the current key}. */
static int acme_key_change_inner(struct acme_request *req, struct jose_jws *inner, struct jose_jwk **new_key)
{
        struct err err = {0};
        char *text = json_dumps(req->payload, JSON_COMPACT);
        int status = text ? jose_jws_parse(inner, (const uint8_t *)text, strlen(text), true, &err) : SMT_ENOMEM;
        free(text);
        if (status < 0 || !inner->jwk || inner->nonce || !inner->url || strcmp(inner->url, req->url) != 0) {
                acme_problem(req, 400, "malformed", "keyChange: the inner JWS needs \"jwk\", no nonce and url %s%s%s",
                             req->url, status < 0 ? ": " : "", status < 0 ? err.msg : "");
                return -1;
        }
        if (jose_jwk_from_json(new_key, inner->jwk, &err) < 0 || jose_jws_verify(inner, *new_key, &err) < 0) {
                acme_problem(req, 400, err.code == CA_EJOSE_ALG ? "badSignatureAlgorithm" : "malformed",
                             "keyChange: inner JWS: %s", err.msg);
                return -1;
        }
        json_t *payload = NULL;
        struct jose_jwk *old_key = NULL;
        bool ok = jose_jws_payload_json(inner, &payload, &err) == 0 &&
                  acme_json_is(json_object_get(payload, "account"), req->jws.kid) &&
                  jose_jwk_from_json(&old_key, json_object_get(payload, "oldKey"), &err) == 0 &&
                  jose_jwk_equal(old_key, req->jwk);
        jose_jwk_free(old_key);
        json_decref(payload);
        if (!ok) {
                acme_problem(req, 400, "malformed", "keyChange: \"account\" must be this account and \"oldKey\" its key");
                return -1;
        }
        return 0;
}

void acme_key_change(struct acme_request *req)
{
        struct jose_jws inner = {0};
        struct jose_jwk *new_key = NULL;
        struct err err = {0};
        char thumbprint[JOSE_THUMBPRINT_LEN];
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                return;
        if (!req->payload || acme_key_change_inner(req, &inner, &new_key) < 0) {
                if (!req->payload)
                        acme_problem(req, 400, "malformed", "keyChange needs the inner JWS as payload");
                goto out;
        }
        json_t *jwk = jose_jwk_to_json(new_key);
        char *jwk_text = jwk ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(jwk);
        if (!jwk_text || jose_jwk_thumbprint(new_key, thumbprint, &err) < 0) {
                free(jwk_text);
                acme_problem(req, 500, "serverInternal", "keyChange: %s", err.msg);
                goto out;
        }
        free(req->account.key_jwk);
        req->account.key_jwk = jwk_text;
        snprintf(req->account.key_thumbprint, sizeof(req->account.key_thumbprint), "%s", thumbprint);
        if (store_account_update(req->acme->store, &req->account, &err) < 0) {
                if (err.code == CA_ECONFLICT)
                        acme_problem(req, 409, "conflict", "another account has this key");
                else
                        acme_problem(req, 500, "serverInternal", "keyChange: %s", err.msg);
                goto out;
        }
        acme_reply_account(req, 200, &req->account);
out:
        jose_jwk_free(new_key);
        jose_jws_clear(&inner);
}
