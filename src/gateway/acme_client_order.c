/* src/gateway/acme_client_order.c: orders (RFC 8555 7.4), authorizations and challenges (7.5, 8), finalization
 * and the certificate download (7.4.2). */
#include "gateway/acme_client_internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "crypto/csr.h"

static int gw_acme_order_status_parse(const char *text, enum gw_acme_order_status *out)
{
        static const struct {
                const char *name;
                enum gw_acme_order_status status;
        } names[] = {{"pending", GW_ACME_ORDER_PENDING},
                     {"ready", GW_ACME_ORDER_READY},
                     {"processing", GW_ACME_ORDER_PROCESSING},
                     {"valid", GW_ACME_ORDER_VALID},
                     {"invalid", GW_ACME_ORDER_INVALID}};
        for (size_t i = 0; text && i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(text, names[i].name) == 0) {
                        *out = names[i].status;
                        return 0;
                }
        return -1;
}

static int gw_acme_order_read(struct gw_acme_order *order, const json_t *body, struct err *err)
{
        const char *status = json_string_value(json_object_get(body, "status"));
        if (gw_acme_order_status_parse(status, &order->status) < 0)
                return SMT_ERR(err, SMT_EDECODE, "order %s: status \"%s\" is not an order status", order->url,
                               status ? status : "");
        TRY(gw_acme_copy_url(order->finalize_url, body, "finalize", "order", err));
        order->certificate_url[0] = '\0';
        if (json_object_get(body, "certificate"))
                TRY(gw_acme_copy_url(order->certificate_url, body, "certificate", "order", err));
        const json_t *authorizations = json_object_get(body, "authorizations");
        if (!json_is_array(authorizations) || json_array_size(authorizations) > GW_ACME_AUTHZ_MAX)
                return SMT_ERR(err, SMT_EDECODE, "order %s: \"authorizations\" must be an array of at most %d URLs",
                               order->url, GW_ACME_AUTHZ_MAX);
        order->num_authorizations = json_array_size(authorizations);
        for (size_t i = 0; i < order->num_authorizations; i++) {
                const char *url = json_string_value(json_array_get(authorizations, i));
                if (!url || strlen(url) >= GW_ACME_URL_MAX)
                        return SMT_ERR(err, SMT_EDECODE, "order %s: authorization %zu is not a URL", order->url, i);
                memcpy(order->authorizations[i], url, strlen(url) + 1);
        }
        return 0;
}

/* gw_acme_fetch_json POSTs-as-GET url (or POSTs payload) and parses the JSON object answered. */
static int gw_acme_fetch_json(struct gw_acme_client *client, const char *url, const json_t *payload, const char *what,
                              struct gw_acme_response *response, json_t **out, struct err *err)
{
        TRY(gw_acme_post(client, url, payload, false, what, response, err));
        return gw_acme_response_json(response, what, out, err);
}

static int gw_acme_order_place(struct gw_acme_client *client, struct gw_acme_order *order, const char *const *names,
                               size_t num_names, struct err *err)
{
        json_t *identifiers = json_array();
        for (size_t i = 0; i < num_names; i++)
                json_array_append_new(identifiers, json_pack("{s:s, s:s}", "type", "dns", "value", names[i]));
        json_t *payload = json_pack("{s:o}", "identifiers", identifiers);
        if (payload != NULL && client->replaces[0] != '\0')
                json_object_set_new(payload, "replaces", json_string(client->replaces));
        json_t *body = NULL;
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        memset(order, 0, sizeof(*order));
        int status = gw_acme_fetch_json(client, client->new_order_url, payload, "newOrder", &response, &body, err);
        if (status == 0 && !response.location[0])
                status = SMT_ERR(err, GW_EACME, "newOrder: no order URL (Location) in the answer");
        if (status == 0) {
                memcpy(order->url, response.location, sizeof(order->url));
                status = gw_acme_order_read(order, body, err);
        }
        json_decref(body);
        json_decref(payload);
        gw_acme_response_cleanup(&response);
        return status;
}

int gw_acme_client_order_new(struct gw_acme_client *client, struct gw_acme_order *order, const char *const *names,
                             size_t num_names, struct err *err)
{
        if (num_names == 0 || num_names > GW_ACME_NAMES_MAX)
                return SMT_ERR(err, SMT_EINVAL, "newOrder: %zu names, expected 1 to %d", num_names, GW_ACME_NAMES_MAX);
        int status = gw_acme_order_place(client, order, names, num_names, err);
        if (status == GW_EACME && client->replaces[0] != '\0') {
                /* RFC 9773 5: the server may refuse a "replaces" it cannot match (alreadyReplaced, an unknown
                 * certificate); the new certificate is what matters */
                log_info("acme: newOrder with \"replaces\" refused (%s): ordering without it", err->msg);
                client->replaces[0] = '\0';
                status = gw_acme_order_place(client, order, names, num_names, err);
        }
        client->replaces[0] = '\0'; /* one order only */
        return status;
}

/* --- one authorization --- */

struct gw_acme_authz_work {
        char identifier[GW_ACME_URL_MAX];
        char challenge_url[GW_ACME_URL_MAX];
        char type[32];
        char token[GW_ACME_TOKEN_MAX];
        char key_authorization[GW_ACME_TOKEN_MAX + JOSE_THUMBPRINT_LEN + 1];
        char dns_value[64];
};

static const json_t *gw_acme_pick_challenge(const json_t *challenges, const struct gw_acme_solver *solver)
{
        for (size_t t = 0; t < solver->num_types; t++)
                for (size_t i = 0; i < json_array_size(challenges); i++) {
                        const json_t *challenge = json_array_get(challenges, i);
                        const char *type = json_string_value(json_object_get(challenge, "type"));
                        if (type && strcmp(type, solver->types[t]) == 0)
                                return challenge;
                }
        return NULL;
}

/* RFC 8555 8.1 key authorization and 8.4 TXT value. */
static int gw_acme_key_authorization(const struct gw_acme_client *client, struct gw_acme_authz_work *work,
                                     struct err *err)
{
        snprintf(work->key_authorization, sizeof(work->key_authorization), "%s.%s", work->token, client->thumbprint);
        uint8_t digest[32];
        unsigned digest_len = 0;
        if (!EVP_Digest(work->key_authorization, strlen(work->key_authorization), digest, &digest_len, EVP_sha256(),
                        NULL))
                return SMT_ERR(err, SMT_EINTERNAL, "SHA-256 failed");
        struct buf_writer out;
        buf_writer_init_fixed(&out, (uint8_t *)work->dns_value, sizeof(work->dns_value) - 1);
        TRY(jose_b64url_encode(digest, digest_len, &out, err));
        work->dns_value[out.len] = '\0';
        return 0;
}

static int gw_acme_authz_plan(const struct gw_acme_client *client, const json_t *authz,
                              const struct gw_acme_solver *solver, struct gw_acme_authz_work *work, struct err *err)
{
        const char *value = json_string_value(json_object_get(json_object_get(authz, "identifier"), "value"));
        snprintf(work->identifier, sizeof(work->identifier), "%s", value ? value : "?");
        const json_t *challenge = gw_acme_pick_challenge(json_object_get(authz, "challenges"), solver);
        if (!challenge)
                return SMT_ERR(err, GW_EACME, "authorization of %s: the server offers no challenge type we answer",
                               work->identifier);
        const char *token = json_string_value(json_object_get(challenge, "token"));
        const char *type = json_string_value(json_object_get(challenge, "type"));
        /* RFC 8555 8.1: a token is base64url, at least 128 bits of entropy; anything else never reaches a path. */
        if (!token || strlen(token) < 16 || strlen(token) >= GW_ACME_TOKEN_MAX ||
            strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(token))
                return SMT_ERR(err, SMT_EDECODE, "%s challenge of %s: the token is not base64url", type,
                               work->identifier);
        snprintf(work->type, sizeof(work->type), "%s", type);
        snprintf(work->token, sizeof(work->token), "%s", token);
        TRY(gw_acme_copy_url(work->challenge_url, challenge, "url", "challenge", err));
        return gw_acme_key_authorization(client, work, err);
}

/* The server's reason for an invalid authorization: the error of a challenge that has one. */
static int gw_acme_authz_failure(struct gw_acme_client *client, const json_t *authz, const char *identifier,
                                 struct err *err)
{
        const json_t *challenges = json_object_get(authz, "challenges");
        for (size_t i = 0; i < json_array_size(challenges); i++) {
                const json_t *error = json_object_get(json_array_get(challenges, i), "error");
                if (!json_is_object(error))
                        continue;
                char *text = json_dumps(error, JSON_COMPACT);
                int status = text ? gw_acme_problem_parse(&client->problem, (const uint8_t *)text, strlen(text), 0, err)
                                  : SMT_ENOMEM;
                free(text);
                if (status == 0)
                        return SMT_ERR(err, GW_EACME, "authorization of %s is invalid: %s: %s", identifier,
                                       client->problem.type, client->problem.detail);
        }
        return SMT_ERR(err, GW_EACME, "authorization of %s is invalid (the server gave no reason)", identifier);
}

/* Polls the authorization until it leaves pending (RFC 8555 7.5.1). */
static int gw_acme_authz_poll(struct gw_acme_client *client, const char *url, const char *identifier, time_t deadline,
                              struct err *err)
{
        char what[GW_ACME_URL_MAX + 32];
        snprintf(what, sizeof(what), "authorization of %s", identifier);
        for (;;) {
                struct gw_acme_response response;
                json_t *authz = NULL;
                gw_acme_response_init(&response);
                int status = gw_acme_fetch_json(client, url, NULL, what, &response, &authz, err);
                const char *state = status == 0 ? json_string_value(json_object_get(authz, "status")) : NULL;
                if (status == 0 && state && strcmp(state, "valid") == 0)
                        status = 1;
                else if (status == 0 && (!state || strcmp(state, "pending") != 0))
                        status = gw_acme_authz_failure(client, authz, identifier, err);
                else if (status == 0)
                        status = gw_acme_wait(client, &response, deadline, what, err);
                json_decref(authz);
                gw_acme_response_cleanup(&response);
                if (status != 0)
                        return status < 0 ? status : 0;
        }
}

static int gw_acme_authz_settle(struct gw_acme_client *client, const char *url, const json_t *authz,
                                const struct gw_acme_solver *solver, time_t deadline, struct err *err)
{
        struct gw_acme_authz_work work = {0};
        TRY(gw_acme_authz_plan(client, authz, solver, &work, err));
        struct gw_acme_challenge challenge = {.type = work.type,
                                              .identifier = work.identifier,
                                              .token = work.token,
                                              .key_authorization = work.key_authorization,
                                              .dns_value = work.dns_value};
        int status = solver->present(solver->context, &challenge, err);
        if (status < 0) {
                err_prefix(err, "%s challenge of %s", work.type, work.identifier);
                explicit_bzero(&work, sizeof(work));
                return status;
        }
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        json_t *empty = json_object(); /* RFC 8555 7.5.1: the client says it is ready with an empty object */
        status = gw_acme_post(client, work.challenge_url, empty, false, "challenge", &response, err);
        json_decref(empty);
        gw_acme_response_cleanup(&response);
        if (status == 0)
                status = gw_acme_authz_poll(client, url, work.identifier, deadline, err);
        solver->cleanup(solver->context, &challenge);
        explicit_bzero(&work, sizeof(work));
        return status;
}

int gw_acme_client_order_authorize(struct gw_acme_client *client, const struct gw_acme_order *order,
                                   const struct gw_acme_solver *solver, time_t deadline, struct err *err)
{
        for (size_t i = 0; i < order->num_authorizations; i++) {
                const char *url = order->authorizations[i];
                struct gw_acme_response response;
                json_t *authz = NULL;
                gw_acme_response_init(&response);
                int status = gw_acme_fetch_json(client, url, NULL, "authorization", &response, &authz, err);
                const char *state = status == 0 ? json_string_value(json_object_get(authz, "status")) : NULL;
                if (status == 0 && state && strcmp(state, "pending") == 0)
                        status = gw_acme_authz_settle(client, url, authz, solver, deadline, err);
                else if (status == 0 && (!state || strcmp(state, "valid") != 0))
                        status = SMT_ERR(err, GW_EACME, "authorization %s is %s", url, state ? state : "unreadable");
                json_decref(authz);
                gw_acme_response_cleanup(&response);
                TRY(status);
        }
        return 0;
}

/* --- finalization and the certificate --- */

static int gw_acme_order_refresh(struct gw_acme_client *client, struct gw_acme_order *order, const json_t *payload,
                                 const char *url, struct gw_acme_response *response, struct err *err)
{
        json_t *body = NULL;
        TRY(gw_acme_fetch_json(client, url, payload, "order", response, &body, err));
        int status = gw_acme_order_read(order, body, err);
        if (status == 0 && order->status == GW_ACME_ORDER_INVALID) {
                char *text = json_dumps(json_object_get(body, "error"), JSON_COMPACT);
                struct err ignored = {0};
                if (!text ||
                    gw_acme_problem_parse(&client->problem, (const uint8_t *)text, strlen(text), 0, &ignored) < 0)
                        memset(&client->problem, 0, sizeof(client->problem));
                free(text);
                status = SMT_ERR(err, GW_EACME, "order %s is invalid: %s %s", order->url, client->problem.type,
                                 client->problem.detail);
        }
        json_decref(body);
        return status;
}

static int gw_acme_finalize_send(struct gw_acme_client *client, struct gw_acme_order *order, const uint8_t *csr_der,
                                 size_t csr_len, struct gw_acme_response *response, struct err *err)
{
        struct buf_writer csr_text;
        buf_writer_init_heap(&csr_text, 2 * CSR_MAX);
        int status = jose_b64url_encode(csr_der, csr_len, &csr_text, err);
        if (status == 0)
                status = buf_write_u8(&csr_text, 0);
        json_t *payload = status == 0 ? json_pack("{s:s}", "csr", (const char *)csr_text.data) : NULL;
        if (status == 0)
                status = gw_acme_order_refresh(client, order, payload, order->finalize_url, response, err);
        json_decref(payload);
        buf_writer_cleanup(&csr_text);
        return status;
}

int gw_acme_client_order_finalize(struct gw_acme_client *client, struct gw_acme_order *order, const uint8_t *csr_der,
                                  size_t csr_len, time_t deadline, struct err *err)
{
        if (order->status != GW_ACME_ORDER_READY && order->status != GW_ACME_ORDER_PENDING)
                return SMT_ERR(err, SMT_EINVAL, "order %s: cannot finalize an order that is not ready", order->url);
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        int status = gw_acme_order_refresh(client, order, NULL, order->url, &response, err);
        if (status == 0 && order->status != GW_ACME_ORDER_READY)
                status =
                    SMT_ERR(err, GW_EACME, "order %s is not ready to finalize (authorizations pending)", order->url);
        if (status == 0)
                status = gw_acme_finalize_send(client, order, csr_der, csr_len, &response, err);
        while (status == 0 && order->status != GW_ACME_ORDER_VALID) {
                status = gw_acme_wait(client, &response, deadline, "finalization", err);
                if (status == 0)
                        status = gw_acme_order_refresh(client, order, NULL, order->url, &response, err);
        }
        if (status == 0 && !order->certificate_url[0])
                status = SMT_ERR(err, GW_EACME, "order %s is valid without a certificate URL", order->url);
        gw_acme_response_cleanup(&response);
        return status;
}

int gw_acme_client_order_certificate(struct gw_acme_client *client, const struct gw_acme_order *order,
                                     struct cert_chain **out, struct err *err)
{
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        int status = gw_acme_post(client, order->certificate_url, NULL, false, "certificate", &response, err);
        if (status == 0 && strncasecmp(response.content_type, "application/pem-certificate-chain", 33) != 0)
                status = SMT_ERR(err, GW_EACME,
                                 "certificate %s: Content-Type \"%s\", expected "
                                 "application/pem-certificate-chain",
                                 order->certificate_url, response.content_type);
        if (status == 0)
                status = cert_chain_parse_pem(out, response.body.data, response.body.len, err);
        gw_acme_response_cleanup(&response);
        return status;
}

int gw_acme_client_obtain(struct gw_acme_client *client, const char *const *names, size_t num_names,
                          const struct gw_acme_solver *solver, const uint8_t *csr_der, size_t csr_len, time_t deadline,
                          struct cert_chain **out, struct err *err)
{
        struct gw_acme_order *order = calloc(1, sizeof(*order));
        if (!order)
                return SMT_ERR(err, SMT_ENOMEM, "order: out of memory");
        int status = gw_acme_client_order_new(client, order, names, num_names, err);
        if (status == 0)
                status = gw_acme_client_order_authorize(client, order, solver, deadline, err);
        if (status == 0)
                status = gw_acme_client_order_finalize(client, order, csr_der, csr_len, deadline, err);
        if (status == 0)
                status = gw_acme_client_order_certificate(client, order, out, err);
        free(order);
        return status;
}
