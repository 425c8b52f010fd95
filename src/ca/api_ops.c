/* src/ca/api_ops.c: the CA API's operations that change or show one record: issue from a CSR, show,
 * revoke, external account binding keys, OV marking of ACME accounts. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/api_internal.h"
#include "ca/crl_cache.h"
#include "ca/revocation.h"
#include "ca/record.h"
#include "crypto/csr.h"
#include "crypto/jose.h"
#include "crypto/random.h"

#define API_NAMES_MAX     100
#define API_ISSUE_TRIES   3
#define API_EAB_KEY_BYTES 32

static json_t *ca_api_body(const struct http_server_request *request, struct http_server_response *response)
{
        json_error_t error;
        json_t *body = request->body_len ? json_loadb((const char *)request->body, request->body_len, 0, &error) : NULL;
        if (!json_is_object(body)) {
                json_decref(body);
                ca_api_problem(response, 400, "Bad Request", "the body must be a JSON object");
                return NULL;
        }
        return body;
}

/* --- issue --- */

struct api_names {
        const char *dns[API_NAMES_MAX];
        const char *ips[API_NAMES_MAX];
        const char *emails[API_NAMES_MAX];
        size_t num_dns, num_ips, num_emails;
        struct cert_san sans[API_NAMES_MAX];
        size_t num_sans;
};

static int ca_api_csr_names(const struct csr *csr, struct api_names *names, struct err *err)
{
        TRY(csr_san_list(csr, names->sans, API_NAMES_MAX, &names->num_sans, err));
        for (size_t i = 0; i < names->num_sans; i++) {
                const char *value = names->sans[i].value;
                if (names->sans[i].type == CERT_SAN_DNS)
                        names->dns[names->num_dns++] = value;
                else if (names->sans[i].type == CERT_SAN_IP)
                        names->ips[names->num_ips++] = value;
                else if (names->sans[i].type == CERT_SAN_EMAIL)
                        names->emails[names->num_emails++] = value;
        }
        return 0;
}

struct api_issue {
        struct csr *csr;
        struct key *key;
        struct api_names names;
        struct cert *cert;
        char common_name[CERT_SAN_VALUE_MAX];
};

static int ca_api_read_csr(json_t *body, struct api_issue *is, struct err *err)
{
        const char *pem = json_string_value(json_object_get(body, "csr"));
        if (!pem)
                return SMT_ERR(err, CA_ECSR, "\"csr\" (a PEM certificate request) is missing");
        TRY(csr_parse_pem(&is->csr, (const uint8_t *)pem, strlen(pem), err));
        TRY(csr_verify(is->csr, err));
        TRY(csr_public_key(is->csr, &is->key, err));
        TRY(csr_common_name(is->csr, is->common_name, sizeof(is->common_name), err));
        return ca_api_csr_names(is->csr, &is->names, err);
}

static int ca_api_sign(const struct ca_api *api, const struct ca_authority *ca, json_t *body, struct api_issue *is,
                       struct err *err)
{
        const char *cn = json_string_value(json_object_get(body, "common_name"));
        json_int_t validity = json_integer_value(json_object_get(body, "validity"));
        struct ca_issue_request request = {
                .subject_key = is->key,
                .dns_names = is->names.dns,
                .num_dns_names = is->names.num_dns,
                .ip_addresses = is->names.ips,
                .num_ip_addresses = is->names.num_ips,
                .emails = is->names.emails,
                .num_emails = is->names.num_emails,
                .common_name = cn ? cn : is->common_name[0] ? is->common_name : NULL,
                .organization = json_string_value(json_object_get(body, "organization")),
                .sm2_encryption = json_is_true(json_object_get(body, "encryption")),
                .validity_seconds = validity,
        };
        cert_free(is->cert);
        is->cert = NULL;
        return ca_issue(ca, api->config, &request, &is->cert, err);
}

/* Sign and store, drawing a new serial when the store already has the one drawn. */
static int ca_api_issue_and_store(const struct ca_api *api, const struct ca_authority *ca, json_t *body,
                                  struct api_issue *is, struct err *err)
{
        for (int attempt = 0; attempt < API_ISSUE_TRIES; attempt++) {
                struct store_cert record;
                char subject[CERT_NAME_TEXT_MAX];
                TRY(ca_api_sign(api, ca, body, is, err));
                const char *profile = ca_kind_name(ca_authority_kind(ca));
                TRY(ca_record_fill(&record, subject, ca, is->cert, profile, time(NULL), err));
                int status = store_cert_insert(api->store, &record, err);
                free(record.names);
                if (status == 0 || err->code != SMT_EEXIST)
                        return status;
        }
        return SMT_ERR(err, SMT_EEXIST, "no unused serial number after %d tries", API_ISSUE_TRIES);
}

static json_t *ca_api_issued_json(const struct ca_authority *ca, const struct cert *cert, struct err *err)
{
        struct buf_writer leaf, chain;
        char serial[STORE_SERIAL_MAX];
        buf_writer_init_heap(&leaf, 1 << 20);
        buf_writer_init_heap(&chain, 1 << 20);
        json_t *body = NULL;
        if (cert_serial_hex(cert, serial, sizeof(serial), err) == 0 && cert_write_pem(cert, &leaf, err) == 0 &&
            cert_chain_write_pem(ca_authority_chain(ca), &chain, err) == 0)
                body = json_pack("{s:s, s:s, s:s%, s:s%}", "serial", serial, "ca", ca_authority_name(ca), "certificate",
                                 (const char *)leaf.data, leaf.len, "chain", (const char *)chain.data, chain.len);
        buf_writer_cleanup(&leaf);
        buf_writer_cleanup(&chain);
        return body;
}

void ca_api_issue(const struct ca_api *api, const struct http_server_request *request,
                  struct http_server_response *response)
{
        struct api_issue is = {0};
        struct err err = {0};
        json_t *body = ca_api_body(request, response);
        if (!body)
                return;
        const char *ca_name = json_string_value(json_object_get(body, "ca"));
        const struct ca_authority *ca = ca_name ? ca_authorities_find(api->authorities, ca_name) : NULL;
        if (!ca) {
                ca_api_problem(response, 400, "Bad Request", "\"ca\" must name an issuing CA (GET /api/v1/cas)");
        } else if (ca_api_read_csr(body, &is, &err) < 0) {
                ca_api_problem(response, 400, "Bad Request", "csr: %s", err.msg);
        } else if (ca_api_issue_and_store(api, ca, body, &is, &err) < 0) {
                bool refused = err.code == CA_EPOLICY;
                ca_api_problem(response, refused ? 400 : 500, refused ? "Bad Request" : "Internal Server Error", "%s",
                               err.msg);
        } else {
                json_t *issued = ca_api_issued_json(ca, is.cert, &err);
                if (issued)
                        ca_api_reply(response, 201, issued);
                else
                        ca_api_problem(response, 500, "Internal Server Error", "%s", err.msg);
        }
        json_decref(body);
        csr_free(is.csr);
        key_free(is.key);
        cert_free(is.cert);
}

/* --- one certificate --- */

void ca_api_get_cert(const struct ca_api *api, const char *serial, struct http_server_response *response)
{
        struct store_cert record = {0};
        struct cert *cert = NULL;
        struct buf_writer pem;
        struct err err = {0};
        buf_writer_init_heap(&pem, 1 << 20);
        if (strlen(serial) >= STORE_SERIAL_MAX || store_cert_get(api->store, serial, &record, &err) < 0) {
                ca_api_problem(response, 404, "Not Found", "no certificate with serial \"%.80s\"", serial);
        } else if (cert_parse_der(&cert, record.der, record.der_len, &err) < 0 || cert_write_pem(cert, &pem, &err) < 0) {
                ca_api_problem(response, 500, "Internal Server Error", "%s", err.msg);
        } else {
                json_t *body = ca_api_cert_json(&record, time(NULL));
                json_object_set_new(body, "certificate", json_stringn((const char *)pem.data, pem.len));
                ca_api_revocation_add(api, &record, body);
                ca_api_reply(response, 200, body);
        }
        buf_writer_cleanup(&pem);
        cert_free(cert);
        store_cert_clear(&record);
}

/* --- revoke --- */

/* RFC 5280 5.3.1 reason names; certificateHold (6) and removeFromCRL (8) are not offered: a revocation
 * here is final. */
static int ca_api_reason(const json_t *value)
{
        static const char *const names[] = {"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
                                            "superseded", "cessationOfOperation", NULL, NULL, NULL,
                                            "privilegeWithdrawn", "aACompromise"};
        if (!value)
                return 0;
        if (json_is_integer(value)) {
                json_int_t n = json_integer_value(value);
                return n >= 0 && n <= 10 && names[n] ? (int)n : -1;
        }
        for (int i = 0; i <= 10; i++)
                if (names[i] && json_is_string(value) && strcmp(json_string_value(value), names[i]) == 0)
                        return i;
        return -1;
}

void ca_api_revoke(const struct ca_api *api, const struct http_server_request *request,
                   struct http_server_response *response)
{
        char serial[STORE_SERIAL_MAX];
        const char *start = request->path + strlen("/api/v1/certificates/");
        size_t len = strlen(start) - strlen("/revoke");
        struct err err = {0};
        json_t *body = request->body_len ? ca_api_body(request, response) : json_object();
        if (!body)
                return;
        int reason = ca_api_reason(json_object_get(body, "reason"));
        json_decref(body);
        if (len == 0 || len >= sizeof(serial)) {
                ca_api_problem(response, 404, "Not Found", "no such certificate");
                return;
        }
        memcpy(serial, start, len);
        serial[len] = '\0';
        if (reason < 0) {
                ca_api_problem(response, 400, "Bad Request", "reason: an RFC 5280 reason name or number (not 6 or 8)");
        } else if (store_cert_revoke(api->store, serial, reason, time(NULL), &err) < 0) {
                int status = err.code == CA_ENOT_FOUND ? 404 : err.code == CA_ECONFLICT ? 409 : 500;
                ca_api_problem(response, status, status == 404 ? "Not Found" : status == 409 ? "Conflict" : "Error",
                               "certificate %s: %s", serial, err.code == CA_ECONFLICT ? "already revoked" : err.msg);
        } else {
                ca_revocation_notify(api->store, serial);
                ca_api_get_cert(api, serial, response);
        }
}

/* --- external account binding keys --- */

void ca_api_new_eab_key(const struct ca_api *api, struct http_server_response *response)
{
        struct store_eab_key key = {.created_at = time(NULL), .key_len = API_EAB_KEY_BYTES};
        struct buf_writer text;
        struct err err = {0};
        buf_writer_init_heap(&text, 256);
        if (store_new_id(key.kid, &err) < 0 || random_bytes(key.key, key.key_len, &err) < 0 ||
            jose_b64url_encode(key.key, key.key_len, &text, &err) < 0 || store_eab_insert(api->store, &key, &err) < 0) {
                ca_api_problem(response, 500, "Internal Server Error", "%s", err.msg);
        } else {
                ca_api_reply(response, 201, json_pack("{s:s, s:s%}", "kid", key.kid, "hmac_key", (const char *)text.data,
                                                      text.len));
        }
        explicit_bzero(&key, sizeof(key));
        buf_writer_cleanup(&text);
}

/* --- OV marking --- */

void ca_api_mark_account(const struct ca_api *api, const struct http_server_request *request, const char *id,
                         struct http_server_response *response)
{
        struct store_account account = {0};
        struct err err = {0};
        json_t *body = ca_api_body(request, response);
        if (!body)
                return;
        const json_t *organization = json_object_get(body, "organization");
        if (!json_is_string(organization) && !json_is_null(organization)) {
                ca_api_problem(response, 400, "Bad Request", "\"organization\": the validated name, or null to unmark");
        } else if (store_account_get(api->store, id, &account, &err) < 0) {
                ca_api_problem(response, 404, "Not Found", "no ACME account \"%.60s\"", id);
        } else {
                free(account.organization);
                account.organization = json_is_string(organization) ? strdup(json_string_value(organization)) : NULL;
                if (store_account_update(api->store, &account, &err) < 0)
                        ca_api_problem(response, 500, "Internal Server Error", "%s", err.msg);
                else
                        ca_api_reply(response, 200, json_pack("{s:s, s:o}", "id", account.id, "organization",
                                                              account.organization ? json_string(account.organization)
                                                                                   : json_null()));
        }
        store_account_clear(&account);
        json_decref(body);
}
