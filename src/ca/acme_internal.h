/* src/ca/acme_internal.h: what the ACME server's files share (acme*.c only). */
#ifndef SMT_CA_ACME_INTERNAL_H
#define SMT_CA_ACME_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ca/acme.h"
#include "ca/challenge.h"
#include "crypto/jose.h"

#define ACME_URL_MAX         512
#define ACME_IDENTIFIERS_MAX 100 /* names in one order (Let's Encrypt's limit) */
#define ACME_CHALLENGES_MAX  3
#define ACME_IP_SLOTS        256 /* new-account rate limit buckets per client address hash */

struct acme_validator; /* the challenge validation threads (acme_validate.c) */

struct acme_ip_bucket {
        uint64_t address_hash;
        int64_t window_start;
        int64_t count;
};

struct acme {
        const struct ca_config *config;
        struct store *store;
        const struct ca_authorities *authorities;
        char base[ACME_URL_MAX / 2]; /* base_url + "/acme" (ca.yaml URLs are shorter) */
        struct acme_validator *validator;
        pthread_mutex_t limits_lock;
        struct acme_ip_bucket ip_buckets[ACME_IP_SLOTS];
};

/* One request being served. */
struct acme_request {
        struct acme *acme;
        const struct http_server_request *http;
        struct http_server_response *response;
        int64_t now;
        char url[ACME_URL_MAX]; /* base_url + target: what the JWS "url" must be */
        struct jose_jws jws;
        bool has_jws;
        struct jose_jwk *jwk;   /* the key that signed the request */
        struct store_account account;
        bool has_account;
        json_t *payload; /* NULL for POST-as-GET */
};

/* --- acme.c: responses and request authentication --- */

/* acme_problem answers with a problem document (RFC 8555 6.7, RFC 7807) of type
 * "urn:ietf:params:acme:error:<type>" and HTTP status. */
void acme_problem(struct acme_request *req, int status, const char *type, const char *fmt, ...) SMT_PRINTF(4, 5);

/* acme_problem_from_store maps a store failure to a problem (CA_ENOT_FOUND → 404 malformed, else 500
 * serverInternal), naming what. */
void acme_problem_from_err(struct acme_request *req, const struct err *err, const char *what);

/* acme_reply_json answers status with body (consumed: json_decref'd), Content-Type application/json and,
 * when location is not NULL, a Location field. */
void acme_reply_json(struct acme_request *req, int status, json_t *body, const char *location);

/* acme_add_field adds a response field, ignoring a full table (the response stays valid without it). */
void acme_add_field(struct acme_request *req, const char *name, const char *fmt, ...) SMT_PRINTF(3, 4);

/* acme_url writes base + "/" + kind + "/" + id (kind "account", "order", ...). */
void acme_url(const struct acme *acme, char out[ACME_URL_MAX], const char *kind, const char *id);

/* How a POST must be signed. */
enum acme_auth {
        ACME_AUTH_ACCOUNT = 1,    /* "kid" of an existing, valid account */
        ACME_AUTH_JWK = 2,        /* "jwk" (new-account) */
        ACME_AUTH_JWK_OR_KID = 3, /* revoke-cert: the certificate's key or an account */
};

/* acme_authenticate checks the POST: content type, JWS syntax and algorithm, nonce, url, key, signature,
 * account status. 0, or a problem already answered (then return at once). */
int acme_authenticate(struct acme_request *req, enum acme_auth auth);

/* acme_json_is says whether value is the JSON string text. */
static inline bool acme_json_is(const json_t *value, const char *text)
{
        return json_is_string(value) && strcmp(json_string_value(value), text) == 0;
}

/* acme_key_authorization writes token + "." + the account key's thumbprint. */
int acme_key_authorization(const char *token, const char *thumbprint, char *out, size_t out_cap);

/* --- acme_account.c --- */
void acme_new_account(struct acme_request *req);
void acme_account(struct acme_request *req, const char *id, const char *rest);
void acme_key_change(struct acme_request *req);
json_t *acme_account_json(const struct store_account *account, const char *orders_url);

/* --- acme_order.c --- */
void acme_new_order(struct acme_request *req);
void acme_order(struct acme_request *req, const char *id);
void acme_authz(struct acme_request *req, const char *id);
void acme_challenge(struct acme_request *req, const char *id);
/* acme_order_json renders order (status adjusted for expiry at now). */
json_t *acme_order_json(const struct acme *acme, const struct store_order *order, int64_t now);

/* --- acme_finalize.c --- */
void acme_finalize(struct acme_request *req, const char *order_id);
void acme_certificate(struct acme_request *req, const char *serial);
void acme_revoke(struct acme_request *req);
void acme_renewal_info(struct acme_request *req, const char *cert_id);

/* acme_replaces_check checks a newOrder's "replaces" (RFC 9773 5): a certificate of this CA, issued to the
 * requesting account, not already replaced by a valid order (409 alreadyReplaced). 0, or -1 with the
 * problem sent. */
int acme_replaces_check(struct acme_request *req, const char *cert_id);

/* --- acme_validate.c --- */
int acme_validator_start(struct acme_validator **out, struct acme *acme, struct err *err) SMT_MUST_USE;
/* acme_validator_queue hands a PROCESSING challenge to the threads (never blocks for long). */
void acme_validator_queue(struct acme_validator *validator, const char *challenge_id);
void acme_validator_stop(struct acme_validator *validator);

/* --- names --- */
const char *acme_order_status_name(int status);
const char *acme_authz_status_name(int status);
const char *acme_challenge_status_name(int status);

#endif
