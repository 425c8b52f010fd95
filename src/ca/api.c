/* src/ca/api.c: the operators' CA API (see api.h): routing, authentication, certificates search. */
#include "ca/api.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/acme_names.h"
#include "ca/api_internal.h"
#include "crypto/random.h"

static void ca_api_send(struct http_server_response *response, int status, json_t *body, const char *content_type)
{
        char *text = body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(body);
        response->status = text ? status : 500;
        SMT_IGNORE(http_server_response_add_field(response, "Content-Type", "%s", content_type));
        SMT_IGNORE(http_server_response_add_field(response, "Cache-Control", "no-store"));
        if (text) {
                SMT_IGNORE(buf_write_bytes(&response->body, (const uint8_t *)text, strlen(text)));
                SMT_IGNORE(buf_write_u8(&response->body, '\n'));
        }
        free(text);
}

void ca_api_reply(struct http_server_response *response, int status, json_t *body)
{
        ca_api_send(response, status, body, "application/json");
}

void ca_api_problem(struct http_server_response *response, int status, const char *title, const char *fmt, ...)
{
        char detail[512];
        va_list args;
        va_start(args, fmt);
        vsnprintf(detail, sizeof(detail), fmt, args);
        va_end(args);
        json_t *body = json_pack("{s:s, s:s, s:s, s:i}", "type", "about:blank", "title", title, "detail", detail,
                                 "status", status);
        buf_writer_truncate(&response->body, 0);
        ca_api_send(response, status, body, "application/problem+json");
}

json_t *ca_api_time(int64_t t)
{
        char text[40];
        acme_time_format(t, text, sizeof(text));
        return json_string(text);
}

static const char *ca_api_cert_status(const struct store_cert *cert, int64_t now)
{
        if (cert->status == STORE_CERT_REVOKED)
                return "revoked";
        return cert->not_after < now ? "expired" : "valid";
}

json_t *ca_api_cert_json(const struct store_cert *cert, int64_t now)
{
        json_t *names = json_array();
        for (const char *p = cert->names ? cert->names : ""; *p;) {
                size_t len = strcspn(p, ",");
                json_array_append_new(names, json_stringn(p, len));
                p += len + (p[len] == ',');
        }
        json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s}", "serial", cert->serial, "ca", cert->ca_name,
                                 "profile", cert->profile, "subject", cert->subject ? cert->subject : "", "names", names,
                                 "not_before", ca_api_time(cert->not_before), "not_after", ca_api_time(cert->not_after),
                                 "status", ca_api_cert_status(cert, now));
        if (cert->status == STORE_CERT_REVOKED) {
                json_object_set_new(body, "revoked_at", ca_api_time(cert->revoked_at));
                json_object_set_new(body, "revocation_reason", json_integer(cert->revocation_reason));
        }
        if (cert->account_id[0])
                json_object_set_new(body, "acme_account", json_string(cert->account_id));
        return body;
}

/* --- query strings --- */

static int ca_api_hex(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* ca_api_query_value copies the percent-decoded value of key in query to out; false when absent or bad. */
bool ca_api_query_value(const char *query, const char *key, char *out, size_t out_cap)
{
        size_t key_len = strlen(key);
        for (const char *p = query; p && *p;) {
                size_t len = strcspn(p, "&");
                if (len > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
                        size_t o = 0;
                        for (size_t i = key_len + 1; i < len; i++) {
                                char c = p[i];
                                if (c == '%' && i + 2 < len + 1 && ca_api_hex(p[i + 1]) >= 0 && ca_api_hex(p[i + 2]) >= 0) {
                                        c = (char)(ca_api_hex(p[i + 1]) * 16 + ca_api_hex(p[i + 2]));
                                        i += 2;
                                } else if (c == '+') {
                                        c = ' ';
                                }
                                if (o + 1 >= out_cap || c == '\0')
                                        return false;
                                out[o++] = c;
                        }
                        out[o] = '\0';
                        return true;
                }
                p += len + (p[len] == '&');
        }
        return false;
}

static int ca_api_query_time(const char *query, const char *key, int64_t *out)
{
        char text[64];
        *out = 0;
        if (!ca_api_query_value(query, key, text, sizeof(text)))
                return 0;
        char *end;
        long long seconds = strtoll(text, &end, 10);
        if (*text && *end == '\0') {
                *out = seconds;
                return 0;
        }
        return acme_time_parse(text, out);
}

static int ca_api_search_query(const struct http_server_request *request, struct store_cert_query *query, char *name,
                               char *ca_name, size_t cap)
{
        char text[32];
        query->name = ca_api_query_value(request->query, "name", name, cap) ? name : NULL;
        query->ca_name = ca_api_query_value(request->query, "ca", ca_name, cap) ? ca_name : NULL;
        query->status = STORE_FILTER_ANY;
        if (ca_api_query_value(request->query, "status", text, sizeof(text))) {
                const char *names[] = {"any", "valid", "revoked", "expired"};
                query->status = -1;
                for (int i = 0; i < 4; i++)
                        if (strcmp(text, names[i]) == 0)
                                query->status = i;
                if (query->status < 0)
                        return -1;
        }
        query->limit = 100;
        if (ca_api_query_value(request->query, "limit", text, sizeof(text)))
                query->limit = (size_t)strtoul(text, NULL, 10);
        if (ca_api_query_value(request->query, "offset", text, sizeof(text)))
                query->offset = (size_t)strtoul(text, NULL, 10);
        if (query->limit < 1 || query->limit > STORE_LIST_MAX)
                return -1;
        for (char *c = name; query->name && *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        if (ca_api_query_time(request->query, "expires_before", &query->expires_before) < 0 ||
            ca_api_query_time(request->query, "expires_after", &query->expires_after) < 0)
                return -1;
        return 0;
}

static void ca_api_search(const struct ca_api *api, const struct http_server_request *request,
                          struct http_server_response *response)
{
        struct store_cert_query query = {.now = time(NULL)};
        char name[STORE_NAME_MAX], ca_name[STORE_NAME_MAX];
        struct store_cert *certs = NULL;
        size_t num = 0;
        struct err err = {0};
        if (ca_api_search_query(request, &query, name, ca_name, sizeof(name)) < 0) {
                ca_api_problem(response, 400, "Bad Request",
                               "query: name=, ca=, status=any|valid|revoked|expired, expires_before=, expires_after= "
                               "(RFC 3339 or seconds), limit=1..%d, offset=",
                               STORE_LIST_MAX);
                return;
        }
        if (store_cert_search(api->store, &query, &certs, &num, &err) < 0) {
                ca_api_problem(response, 500, "Internal Server Error", "search: %s", err.msg);
                return;
        }
        json_t *list = json_array();
        for (size_t i = 0; i < num; i++)
                json_array_append_new(list, ca_api_cert_json(&certs[i], query.now));
        json_t *body = json_pack("{s:o, s:i}", "certificates", list, "offset", (json_int_t)query.offset);
        if (num == query.limit)
                json_object_set_new(body, "next_offset", json_integer((json_int_t)(query.offset + num)));
        store_cert_list_free(certs, num);
        ca_api_reply(response, 200, body);
}

static void ca_api_list_cas(const struct ca_api *api, struct http_server_response *response)
{
        json_t *list = json_array();
        struct err err = {0};
        for (size_t i = 0; i < ca_authorities_count(api->authorities); i++) {
                const struct ca_authority *ca = ca_authorities_get(api->authorities, i);
                char subject[CERT_NAME_TEXT_MAX] = "";
                time_t not_after = 0;
                SMT_IGNORE(cert_subject_text(ca_authority_cert(ca), subject, sizeof(subject), &err));
                SMT_IGNORE(cert_not_after(ca_authority_cert(ca), &not_after, &err));
                json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "name", ca_authority_name(ca), "kind",
                                                      ca_kind_name(ca_authority_kind(ca)), "subject", subject,
                                                      "not_after", ca_api_time(not_after)));
        }
        ca_api_reply(response, 200, json_pack("{s:o}", "cas", list));
}

/* The client certificate was verified against the admin CA by the server; it must also be for clientAuth. */
/* The chain was verified up to the ECC root (server.c); the issuer must be the admin CA itself, not one of
 * the CAs that issue to ACME customers (whose certificates may carry clientAuth too). */
static bool ca_api_issued_by_admin_ca(const struct ca_api *api, const struct cert *client)
{
        const struct ca_authority *admin = ca_authorities_for_kind(api->authorities, CA_KIND_ADMIN);
        const uint8_t *issuer, *subject;
        size_t issuer_len, subject_len;
        struct err err = {0};
        return admin && cert_issuer_der(client, &issuer, &issuer_len, &err) == 0 &&
               cert_subject_der(ca_authority_cert(admin), &subject, &subject_len, &err) == 0 &&
               issuer_len == subject_len && memcmp(issuer, subject, issuer_len) == 0;
}

static bool ca_api_authorized(const struct ca_api *api, const struct http_server_request *request,
                              struct http_server_response *response)
{
        struct err err = {0};
        if (!request->is_tls || !request->client_cert) {
                SMT_IGNORE(http_server_response_add_field(response, "WWW-Authenticate", "TLS-client-certificate"));
                ca_api_problem(response, 401, "Unauthorized",
                               "the CA API needs a client certificate from the admin CA (state_dir/admin/operator.crt)");
                return false;
        }
        if (cert_check_extended_usage(request->client_cert, CERT_EXTENDED_USAGE_CLIENT_AUTH, &err) < 0) {
                ca_api_problem(response, 403, "Forbidden", "client certificate: %s", err.msg);
                return false;
        }
        if (!ca_api_issued_by_admin_ca(api, request->client_cert)) {
                ca_api_problem(response, 403, "Forbidden", "the client certificate is not from the admin CA");
                return false;
        }
        return true;
}

static bool ca_api_is(const struct http_server_request *request, const char *method, const char *path)
{
        return strcmp(request->method, method) == 0 && strcmp(request->path, path) == 0;
}

void ca_api_handle(const struct ca_api *api, const struct http_server_request *request,
                   struct http_server_response *response)
{
        if (!ca_api_authorized(api, request, response))
                return;
        const char *certs_prefix = "/api/v1/certificates/";
        const char *accounts_prefix = "/api/v1/accounts/";
        size_t len = strlen(request->path);
        if (ca_api_is(request, "GET", "/api/v1/certificates"))
                ca_api_search(api, request, response);
        else if (ca_api_is(request, "POST", "/api/v1/certificates"))
                ca_api_issue(api, request, response);
        else if (ca_api_is(request, "GET", "/api/v1/cas"))
                ca_api_list_cas(api, response);
        else if (ca_api_is(request, "POST", "/api/v1/cas"))
                ca_api_create_ca(api, request, response);
        else if (ca_api_is(request, "POST", "/api/v1/eab-keys"))
                ca_api_new_eab_key(api, response);
        else if (strncmp(request->path, accounts_prefix, strlen(accounts_prefix)) == 0 && !strcmp(request->method, "POST"))
                ca_api_mark_account(api, request, request->path + strlen(accounts_prefix), response);
        else if (strncmp(request->path, certs_prefix, strlen(certs_prefix)) == 0 && len > 7 &&
                 strcmp(request->path + len - 7, "/revoke") == 0 && !strcmp(request->method, "POST"))
                ca_api_revoke(api, request, response);
        else if (strncmp(request->path, certs_prefix, strlen(certs_prefix)) == 0 && !strcmp(request->method, "GET"))
                ca_api_get_cert(api, request->path + strlen(certs_prefix), response);
        else
                ca_api_problem(response, 404, "Not Found", "no API resource %s %s", request->method, request->path);
}
