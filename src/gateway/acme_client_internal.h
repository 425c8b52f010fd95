/* src/gateway/acme_client_internal.h: what the acme_client*.c files share; not an API. */
#ifndef SMT_GATEWAY_ACME_CLIENT_INTERNAL_H
#define SMT_GATEWAY_ACME_CLIENT_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>

#include "crypto/jose.h"
#include "gateway/acme_client.h"

#define GW_ACME_BODY_MAX  (1024 * 1024) /* a chain or an order with many names fits easily */
#define GW_ACME_NONCE_MAX 256
#define GW_ACME_POLL_MS   500 /* between polls when the server suggests no Retry-After */

/* One HTTP exchange: what the client reads of a response. */
struct gw_acme_response {
        long status;
        struct buf_writer body;
        char location[GW_ACME_URL_MAX];
        char nonce[GW_ACME_NONCE_MAX];
        char content_type[128];
        int retry_after_s; /* -1 when absent */
};

struct gw_acme_client {
        CURL *curl;
        char curl_error[CURL_ERROR_SIZE];
        const char *ca_file; /* copied below */
        char ca_file_store[4096];
        int timeout_ms;
        int retry_after_max_s;
        const atomic_bool *cancel;
        char directory_url[GW_ACME_URL_MAX];
        char new_nonce_url[GW_ACME_URL_MAX];
        char new_account_url[GW_ACME_URL_MAX];
        char new_order_url[GW_ACME_URL_MAX];
        char revoke_cert_url[GW_ACME_URL_MAX];
        char renewal_info_url[GW_ACME_URL_MAX]; /* "" when the server has no ARI */
        char replaces[GW_ACME_URL_MAX];         /* the next newOrder's "replaces" (RFC 9773 5); "" = none */
        char nonce[GW_ACME_NONCE_MAX];          /* the next request's; "" = fetch one */
        const struct key *account_key;
        char account_url[GW_ACME_URL_MAX];
        char thumbprint[JOSE_THUMBPRINT_LEN];
        struct gw_acme_problem problem;
};

void gw_acme_response_init(struct gw_acme_response *response);
void gw_acme_response_cleanup(struct gw_acme_response *response);

/* gw_acme_http_request sends one request (method GET, HEAD or POST with a JOSE body) and reads the answer;
 * only transport failures fail here (SMT_EIO, message from curl), HTTP errors are the caller's. */
int gw_acme_http_request(struct gw_acme_client *client, const char *method, const char *url, const uint8_t *body,
                         size_t body_len, struct gw_acme_response *response, struct err *err) SMT_MUST_USE;

/* gw_acme_check turns an error status into GW_EACME (recording the problem), naming what was attempted. */
int gw_acme_check(struct gw_acme_client *client, const struct gw_acme_response *response, const char *what,
                  struct err *err) SMT_MUST_USE;

/* gw_acme_post sends a JWS POST (payload NULL: POST-as-GET) signed with the account key, by "jwk" when
 * use_jwk, else by the account URL; one retry on badNonce (RFC 8555 6.5). Fails as gw_acme_check does. */
int gw_acme_post(struct gw_acme_client *client, const char *url, const json_t *payload, bool use_jwk, const char *what,
                 struct gw_acme_response *response, struct err *err) SMT_MUST_USE;

/* gw_acme_response_json parses the body as a JSON object (new reference). */
int gw_acme_response_json(const struct gw_acme_response *response, const char *what, json_t **out,
                          struct err *err) SMT_MUST_USE;

/* gw_acme_copy_url copies a string member of object (an URL) to out; SMT_EDECODE when absent or too long. */
int gw_acme_copy_url(char out[GW_ACME_URL_MAX], const json_t *object, const char *member, const char *what,
                     struct err *err) SMT_MUST_USE;

/* gw_acme_wait sleeps before the next poll: the response's Retry-After (bounded), else GW_ACME_POLL_MS;
 * SMT_EIO naming what when that would pass deadline. */
int gw_acme_wait(const struct gw_acme_client *client, const struct gw_acme_response *response, time_t deadline,
                 const char *what, struct err *err) SMT_MUST_USE;

/* gw_acme_time_parse reads an RFC 3339 UTC time ("2026-01-02T03:04:05Z", fractions allowed). */
int gw_acme_time_parse(const char *text, time_t *out, struct err *err) SMT_MUST_USE;

#endif
