/* src/ca/acme.c: the ACME server's routing, directory, nonces, problem documents and the authentication
 * of every POST (RFC 8555 6.2 - 6.5, 7.1.1, 7.2). */
#include "ca/acme_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

#define ACME_ERROR_PREFIX "urn:ietf:params:acme:error:"

void acme_add_field(struct acme_request *req, const char *name, const char *fmt, ...)
{
        char value[ACME_URL_MAX + 64];
        va_list args;
        va_start(args, fmt);
        vsnprintf(value, sizeof(value), fmt, args);
        va_end(args);
        SMT_IGNORE(http_server_response_add_field(req->response, name, "%s", value));
}

void acme_url(const struct acme *acme, char out[ACME_URL_MAX], const char *kind, const char *id)
{
        snprintf(out, ACME_URL_MAX, "%s/%s/%s", acme->base, kind, id);
}

static void acme_body(struct acme_request *req, int status, const char *content_type, const char *text)
{
        req->response->status = status;
        acme_add_field(req, "Content-Type", "%s", content_type);
        if (buf_write_bytes(&req->response->body, (const uint8_t *)text, strlen(text)) < 0)
                req->response->status = 500;
}

void acme_problem(struct acme_request *req, int status, const char *type, const char *fmt, ...)
{
        char detail[512];
        va_list args;
        va_start(args, fmt);
        vsnprintf(detail, sizeof(detail), fmt, args);
        va_end(args);
        char type_urn[128];
        snprintf(type_urn, sizeof(type_urn), ACME_ERROR_PREFIX "%s", type);
        json_t *body = json_pack("{s:s, s:s, s:i}", "type", type_urn, "detail", detail, "status", status);
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        buf_writer_truncate(&req->response->body, 0);
        acme_body(req, status, "application/problem+json", text ? text : "{}");
        free(text);
        if (status >= 500)
                log_warning("acme: %s %s: %s: %s", req->http->method, req->http->path, type, detail);
}

void acme_problem_from_err(struct acme_request *req, const struct err *err, const char *what)
{
        if (err->code == CA_ENOT_FOUND) {
                acme_problem(req, 404, "malformed", "no such %s", what);
                return;
        }
        acme_problem(req, 500, "serverInternal", "%s: %s", what, err->msg);
}

void acme_reply_json(struct acme_request *req, int status, json_t *body, const char *location)
{
        char *text = body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(body);
        if (!text) {
                acme_problem(req, 500, "serverInternal", "out of memory");
                return;
        }
        if (location)
                acme_add_field(req, "Location", "%s", location);
        acme_body(req, status, "application/json", text);
        free(text);
}

int acme_key_authorization(const char *token, const char *thumbprint, char *out, size_t out_cap)
{
        int n = snprintf(out, out_cap, "%s.%s", token, thumbprint);
        return n > 0 && (size_t)n < out_cap ? 0 : SMT_ENOSPACE;
}

/* --- nonces --- */

static int acme_new_nonce_value(struct acme_request *req, char out[STORE_ID_MAX])
{
        struct err err = {0};
        if (store_new_id(out, &err) < 0 || store_nonce_insert(req->acme->store, out, req->now, &err) < 0) {
                log_warning("acme: cannot make a nonce: %s", err.msg);
                return -1;
        }
        return 0;
}

/* Every response carries a fresh nonce (RFC 8555 6.5: on every POST response; harmless on the others,
 * and a client recovering from badNonce needs one). */
static void acme_add_nonce(struct acme_request *req)
{
        char nonce[STORE_ID_MAX];
        if (acme_new_nonce_value(req, nonce) == 0)
                acme_add_field(req, "Replay-Nonce", "%s", nonce);
}

static void acme_new_nonce(struct acme_request *req)
{
        /* RFC 8555 7.2: 200 for HEAD, 204 for GET, never cached. */
        req->response->status = strcmp(req->http->method, "HEAD") == 0 ? 200 : 204;
        acme_add_field(req, "Cache-Control", "no-store");
}

/* --- directory --- */

static void acme_directory(struct acme_request *req)
{
        const struct acme *acme = req->acme;
        char urls[7][ACME_URL_MAX];
        const char *names[] = {"newNonce", "newAccount", "newOrder", "revokeCert", "keyChange", "renewalInfo"};
        const char *paths[] = {"new-nonce", "new-account", "new-order", "revoke-cert", "key-change", "renewal-info"};
        json_t *dir = json_object();
        for (size_t i = 0; i < 6; i++) {
                snprintf(urls[i], ACME_URL_MAX, "%s/%s", acme->base, paths[i]);
                json_object_set_new(dir, names[i], json_string(urls[i]));
        }
        json_t *meta = json_object();
        const struct ca_acme_config *cfg = &acme->config->acme;
        if (cfg->terms_of_service)
                json_object_set_new(meta, "termsOfService", json_string(cfg->terms_of_service));
        if (cfg->website)
                json_object_set_new(meta, "website", json_string(cfg->website));
        if (cfg->caa_identities.num > 0) {
                json_t *caa = json_array();
                for (size_t i = 0; i < cfg->caa_identities.num; i++)
                        json_array_append_new(caa, json_string(cfg->caa_identities.items[i]));
                json_object_set_new(meta, "caaIdentities", caa);
        }
        json_object_set_new(meta, "externalAccountRequired", json_boolean(cfg->external_account_binding.required));
        json_object_set_new(dir, "meta", meta);
        acme_reply_json(req, 200, dir, NULL);
}

/* --- authentication (RFC 8555 6.2 - 6.4) --- */

static bool acme_is_jose_content(const struct acme_request *req)
{
        const char *type = http_server_request_field(req->http, "Content-Type");
        if (!type)
                return false;
        size_t len = strcspn(type, "; \t");
        return len == strlen("application/jose+json") && strncasecmp(type, "application/jose+json", len) == 0;
}

static int acme_check_nonce(struct acme_request *req)
{
        if (!req->jws.nonce) {
                acme_problem(req, 400, "badNonce", "the JWS protected header has no nonce");
                return -1;
        }
        struct err err = {0};
        int64_t max_age = req->acme->config->acme.nonce_lifetime / 1000;
        if (store_nonce_redeem(req->acme->store, req->jws.nonce, req->now, max_age, &err) < 0) {
                if (err.code == CA_ENOT_FOUND)
                        acme_problem(req, 400, "badNonce", "nonce unknown, used already or expired: get a new one");
                else
                        acme_problem(req, 500, "serverInternal", "nonce check: %s", err.msg);
                return -1;
        }
        return 0;
}

/* The account id at the end of a "kid" URL that must start with our account URL prefix. */
static const char *acme_kid_account_id(const struct acme_request *req)
{
        char prefix[ACME_URL_MAX];
        int n = snprintf(prefix, sizeof(prefix), "%s/account/", req->acme->base);
        if (n <= 0 || strncmp(req->jws.kid, prefix, (size_t)n) != 0)
                return NULL;
        const char *id = req->jws.kid + n;
        return *id && strlen(id) < STORE_ID_MAX && !strchr(id, '/') ? id : NULL;
}

static int acme_load_kid_account(struct acme_request *req)
{
        const char *id = acme_kid_account_id(req);
        struct err err = {0};
        if (!id) {
                acme_problem(req, 400, "malformed", "kid \"%s\" is not an account URL of this server", req->jws.kid);
                return -1;
        }
        if (store_account_get(req->acme->store, id, &req->account, &err) < 0) {
                if (err.code == CA_ENOT_FOUND)
                        acme_problem(req, 400, "accountDoesNotExist", "no account %s", id);
                else
                        acme_problem(req, 500, "serverInternal", "account lookup: %s", err.msg);
                return -1;
        }
        req->has_account = true;
        if (jose_jwk_from_text(&req->jwk, req->account.key_jwk, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "stored account key: %s", err.msg);
                return -1;
        }
        return 0;
}

static int acme_check_key(struct acme_request *req, enum acme_auth auth)
{
        struct err err = {0};
        if (req->jws.kid) {
                if (auth == ACME_AUTH_JWK) {
                        acme_problem(req, 400, "malformed", "this request must carry \"jwk\", not \"kid\"");
                        return -1;
                }
                TRY(acme_load_kid_account(req));
        } else {
                if (auth == ACME_AUTH_ACCOUNT) {
                        acme_problem(req, 400, "malformed", "this request must carry \"kid\" (an account URL), not \"jwk\"");
                        return -1;
                }
                if (jose_jwk_from_json(&req->jwk, req->jws.jwk, &err) < 0) {
                        acme_problem(req, 400, err.code == CA_EJOSE_ALG ? "badPublicKey" : "malformed", "jwk: %s",
                                     err.msg);
                        return -1;
                }
        }
        if (jose_jws_verify(&req->jws, req->jwk, &err) < 0) {
                acme_problem(req, 400, err.code == CA_EJOSE_ALG ? "badSignatureAlgorithm" : "malformed",
                             "JWS signature: %s", err.msg);
                return -1;
        }
        if (req->has_account && req->account.status != STORE_ACCOUNT_VALID) {
                acme_problem(req, 401, "unauthorized", "account %s is %s", req->account.id,
                             req->account.status == STORE_ACCOUNT_DEACTIVATED ? "deactivated" : "revoked");
                return -1;
        }
        return 0;
}

int acme_authenticate(struct acme_request *req, enum acme_auth auth)
{
        struct err err = {0};
        if (!acme_is_jose_content(req)) {
                acme_problem(req, 415, "malformed", "Content-Type must be application/jose+json");
                return -1;
        }
        if (jose_jws_parse(&req->jws, req->http->body, req->http->body_len, true, &err) < 0) {
                acme_problem(req, 400, err.code == CA_EJOSE_ALG ? "badSignatureAlgorithm" : "malformed", "JWS: %s",
                             err.msg);
                return -1;
        }
        req->has_jws = true;
        TRY(acme_check_nonce(req));
        if (!req->jws.url || strcmp(req->jws.url, req->url) != 0) {
                acme_problem(req, 401, "unauthorized", "the JWS \"url\" %s%s%s is not the URL requested, %s",
                             req->jws.url ? "\"" : "", req->jws.url ? req->jws.url : "(absent)",
                             req->jws.url ? "\"" : "", req->url);
                return -1;
        }
        TRY(acme_check_key(req, auth));
        if (req->jws.payload_len > 0 && jose_jws_payload_json(&req->jws, &req->payload, &err) < 0) {
                acme_problem(req, 400, "malformed", "payload: %s", err.msg);
                return -1;
        }
        return 0;
}

/* --- routing --- */

/* acme_match says whether path is prefix + "/" + an id (+ "/" rest); id and rest are copied out. */
static bool acme_match(const char *path, const char *prefix, char id[STORE_SERIAL_MAX + 160], const char **rest)
{
        size_t n = strlen(prefix);
        if (strncmp(path, prefix, n) != 0 || path[n] != '/' || path[n + 1] == '\0')
                return false;
        const char *start = path + n + 1;
        size_t len = strcspn(start, "/");
        if (len >= STORE_SERIAL_MAX + 160)
                return false;
        memcpy(id, start, len);
        id[len] = '\0';
        *rest = start + len;
        return true;
}

static void acme_route_post(struct acme_request *req, const char *path)
{
        char id[STORE_SERIAL_MAX + 160];
        const char *rest = "";
        if (strcmp(path, "/acme/new-account") == 0)
                acme_new_account(req);
        else if (strcmp(path, "/acme/new-order") == 0)
                acme_new_order(req);
        else if (strcmp(path, "/acme/revoke-cert") == 0)
                acme_revoke(req);
        else if (strcmp(path, "/acme/key-change") == 0)
                acme_key_change(req);
        else if (acme_match(path, "/acme/account", id, &rest))
                acme_account(req, id, rest);
        else if (acme_match(path, "/acme/order", id, &rest) && strcmp(rest, "/finalize") == 0)
                acme_finalize(req, id);
        else if (acme_match(path, "/acme/order", id, &rest) && *rest == '\0')
                acme_order(req, id);
        else if (acme_match(path, "/acme/authz", id, &rest) && *rest == '\0')
                acme_authz(req, id);
        else if (acme_match(path, "/acme/chall", id, &rest) && *rest == '\0')
                acme_challenge(req, id);
        else if (acme_match(path, "/acme/cert", id, &rest) && *rest == '\0')
                acme_certificate(req, id);
        else
                acme_problem(req, 404, "malformed", "no ACME resource at %s", path);
}

static void acme_route(struct acme_request *req)
{
        const char *method = req->http->method;
        const char *path = req->http->path;
        bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        char id[STORE_SERIAL_MAX + 160];
        const char *rest = "";
        if (strcmp(path, "/acme/directory") == 0 && is_get)
                acme_directory(req);
        else if (strcmp(path, "/acme/new-nonce") == 0 && is_get)
                acme_new_nonce(req);
        else if (acme_match(path, "/acme/renewal-info", id, &rest) && *rest == '\0' && is_get)
                acme_renewal_info(req, id);
        else if (strcmp(method, "POST") == 0)
                acme_route_post(req, path);
        else {
                acme_add_field(req, "Allow", "POST");
                acme_problem(req, 405, "malformed", "%s is not allowed here: ACME resources take POST", method);
        }
}

void acme_handle(struct acme *acme, const struct http_server_request *request, struct http_server_response *response)
{
        struct acme_request req = {.acme = acme, .http = request, .response = response, .now = time(NULL)};
        snprintf(req.url, sizeof(req.url), "%s%s", acme->config->base_url, request->target);
        acme_route(&req);
        acme_add_nonce(&req);
        acme_add_field(&req, "Link", "<%s/directory>;rel=\"index\"", acme->base);
        if (req.has_jws)
                jose_jws_clear(&req.jws);
        jose_jwk_free(req.jwk);
        if (req.has_account)
                store_account_clear(&req.account);
        json_decref(req.payload);
}

int acme_new(struct acme **out, const struct ca_config *config, struct store *store,
             const struct ca_authorities *authorities, struct err *err)
{
        if (strlen(config->base_url) + strlen("/acme") >= sizeof(((struct acme *)0)->base))
                return SMT_ERR(err, SMT_EINVAL, "base_url \"%s\" is longer than %zu characters", config->base_url,
                               sizeof(((struct acme *)0)->base) - strlen("/acme") - 1);
        struct acme *acme = calloc(1, sizeof(*acme));
        if (!acme)
                return SMT_ERR(err, SMT_ENOMEM, "acme: out of memory");
        acme->config = config;
        acme->store = store;
        acme->authorities = authorities;
        snprintf(acme->base, sizeof(acme->base), "%s/acme", config->base_url);
        pthread_mutex_init(&acme->limits_lock, NULL);
        int status = acme_validator_start(&acme->validator, acme, err);
        if (status < 0) {
                pthread_mutex_destroy(&acme->limits_lock);
                free(acme);
                return status;
        }
        *out = acme;
        return 0;
}

void acme_free(struct acme *acme)
{
        if (!acme)
                return;
        acme_validator_stop(acme->validator);
        pthread_mutex_destroy(&acme->limits_lock);
        free(acme);
}

const char *acme_order_status_name(int status)
{
        static const char *const names[] = {"", "pending", "ready", "processing", "valid", "invalid"};
        return status >= 1 && status <= 5 ? names[status] : "invalid";
}

const char *acme_authz_status_name(int status)
{
        static const char *const names[] = {"", "pending", "valid", "invalid", "deactivated", "expired", "revoked"};
        return status >= 1 && status <= 6 ? names[status] : "invalid";
}

const char *acme_challenge_status_name(int status)
{
        static const char *const names[] = {"", "pending", "processing", "valid", "invalid"};
        return status >= 1 && status <= 4 ? names[status] : "invalid";
}
