/* src/ca/api_cas.c: POST /api/v1/cas: a custom-branded issuing CA made while the CA serves (see
 * ca/authority.h, ca_authorities_create, for the profile and the rules). */
#include <jansson.h>
#include <string.h>

#include "ca/api_internal.h"

/* The most entries of permitted_dns / excluded_dns read (ca_authorities_create refuses more than 64). */
#define API_CAS_CONSTRAINTS_MAX 65

struct api_cas_request {
        struct ca_create_request create;
        const char *permitted[API_CAS_CONSTRAINTS_MAX];
        const char *excluded[API_CAS_CONSTRAINTS_MAX];
};

/* A JSON array of strings into names (borrowed from the body); false, naming the field, otherwise. */
static bool ca_api_cas_strings(json_t *body, const char *field, const char **names, size_t *num,
                               struct http_server_response *response)
{
        const json_t *list = json_object_get(body, field);
        size_t index;
        const json_t *value;
        *num = 0;
        if (list == NULL)
                return true;
        if (!json_is_array(list) || json_array_size(list) > API_CAS_CONSTRAINTS_MAX) {
                ca_api_problem(response, 400, "Bad Request", "\"%s\": an array of at most 64 DNS names", field);
                return false;
        }
        json_array_foreach(list, index, value)
        {
                if (!json_is_string(value)) {
                        ca_api_problem(response, 400, "Bad Request", "\"%s\"[%zu]: a DNS name (string)", field, index);
                        return false;
                }
                names[(*num)++] = json_string_value(value);
        }
        return true;
}

/* Optional string fields: absent or null = the default; any other non-string is refused. */
static bool ca_api_cas_optional(json_t *body, const char *field, const char **out,
                                struct http_server_response *response)
{
        const json_t *value = json_object_get(body, field);
        *out = json_string_value(value);
        if (value == NULL || json_is_null(value) || json_is_string(value))
                return true;
        ca_api_problem(response, 400, "Bad Request", "\"%s\": a string", field);
        return false;
}

static bool ca_api_cas_read(json_t *body, struct api_cas_request *r, struct http_server_response *response)
{
        struct ca_create_request *c = &r->create;
        const json_t *validity = json_object_get(body, "validity");
        const char *kind = json_string_value(json_object_get(body, "kind"));
        c->name = json_string_value(json_object_get(body, "name"));
        c->common_name = json_string_value(json_object_get(body, "common_name"));
        if (c->name == NULL || c->common_name == NULL || kind == NULL) {
                ca_api_problem(response, 400, "Bad Request", "\"name\", \"kind\" and \"common_name\" are required");
                return false;
        }
        if (ca_kind_parse(kind, &c->kind) < 0 || c->kind == CA_KIND_ADMIN) {
                ca_api_problem(response, 400, "Bad Request",
                               "\"kind\": ssl-sm2-dv, ssl-sm2-ov, ssl-ecc-dv, email-*, code-*, document-* or "
                               "iot-* (-sm2 / -ecc), got \"%.40s\"",
                               kind);
                return false;
        }
        if (validity != NULL && (!json_is_integer(validity) || json_integer_value(validity) <= 0)) {
                ca_api_problem(response, 400, "Bad Request", "\"validity\": a positive number of seconds");
                return false;
        }
        c->validity_seconds = validity != NULL ? json_integer_value(validity) : 0;
        c->permitted_dns = r->permitted;
        c->excluded_dns = r->excluded;
        return ca_api_cas_optional(body, "organization", &c->organization, response) &&
               ca_api_cas_optional(body, "algorithm", &c->algorithm, response) &&
               ca_api_cas_strings(body, "permitted_dns", r->permitted, &c->num_permitted_dns, response) &&
               ca_api_cas_strings(body, "excluded_dns", r->excluded, &c->num_excluded_dns, response);
}

static json_t *ca_api_cas_json(const struct ca_authority *ca, struct err *err)
{
        char subject[CERT_NAME_TEXT_MAX];
        time_t not_after;
        struct buf_writer pem;
        json_t *body = NULL;
        buf_writer_init_heap(&pem, 1 << 16);
        if (cert_subject_text(ca_authority_cert(ca), subject, sizeof subject, err) == 0 &&
            cert_not_after(ca_authority_cert(ca), &not_after, err) == 0 &&
            cert_write_pem(ca_authority_cert(ca), &pem, err) == 0)
                body = json_pack("{s:s, s:s, s:s, s:o, s:s%}", "name", ca_authority_name(ca), "kind",
                                 ca_kind_name(ca_authority_kind(ca)), "subject", subject, "not_after",
                                 ca_api_time(not_after), "certificate", (const char *)pem.data, pem.len);
        buf_writer_cleanup(&pem);
        return body;
}

void ca_api_create_ca(const struct ca_api *api, const struct http_server_request *request,
                      struct http_server_response *response)
{
        json_error_t error;
        json_t *body = request->body_len ? json_loadb((const char *)request->body, request->body_len, 0, &error) : NULL;
        struct api_cas_request r = {0};
        const struct ca_authority *ca = NULL;
        struct err err = {0};
        if (!json_is_object(body)) {
                ca_api_problem(response, 400, "Bad Request", "the body must be a JSON object");
        } else if (ca_api_cas_read(body, &r, response)) {
                int status = ca_authorities_create(api->authorities, api->config, api->store, &r.create, &ca, &err);
                json_t *made = status == 0 ? ca_api_cas_json(ca, &err) : NULL;
                if (made != NULL)
                        ca_api_reply(response, 201, made);
                else if (err.code == SMT_EINVAL)
                        ca_api_problem(response, 400, "Bad Request", "%s", err.msg);
                else if (err.code == CA_ECONFLICT)
                        ca_api_problem(response, 409, "Conflict", "%s", err.msg);
                else
                        ca_api_problem(response, 500, "Internal Server Error", "%s", err.msg);
        }
        json_decref(body);
}
