/* src/ca/api_internal.h: what the CA API's files share (api*.c only). */
#ifndef SMT_CA_API_INTERNAL_H
#define SMT_CA_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "ca/api.h"

void ca_api_reply(struct http_server_response *response, int status, json_t *body);
void ca_api_problem(struct http_server_response *response, int status, const char *title, const char *fmt, ...)
        SMT_PRINTF(4, 5);
json_t *ca_api_time(int64_t t);
json_t *ca_api_cert_json(const struct store_cert *cert, int64_t now);
bool ca_api_query_value(const char *query, const char *key, char *out, size_t out_cap);

/* api_ops.c */
void ca_api_issue(const struct ca_api *api, const struct http_server_request *request,
                  struct http_server_response *response);
void ca_api_get_cert(const struct ca_api *api, const char *serial, struct http_server_response *response);
void ca_api_revoke(const struct ca_api *api, const struct http_server_request *request,
                   struct http_server_response *response);
void ca_api_new_eab_key(const struct ca_api *api, struct http_server_response *response);
void ca_api_mark_account(const struct ca_api *api, const struct http_server_request *request, const char *id,
                         struct http_server_response *response);
/* api_status.c */
/* ca_api_revocation_add adds "crl" and "ocsp" to body: what the CA's current CRL and its OCSP responder
 * say about record, with their URLs (an object with "error" when one cannot say). */
void ca_api_revocation_add(const struct ca_api *api, const struct store_cert *record, json_t *body);
/* api_cas.c */
void ca_api_create_ca(const struct ca_api *api, const struct http_server_request *request,
                      struct http_server_response *response);

#endif
