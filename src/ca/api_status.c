/* src/ca/api_status.c: a certificate's revocation status as relying parties see it, for GET
 * /api/v1/certificates/<serial>: whether its CA's current CRL lists it, and the OCSP responder's answer. */
#include <stdio.h>
#include <string.h>

#include "ca/api_internal.h"
#include "crypto/crl.h"
#include "crypto/ocsp.h"

static const char *const ca_api_ocsp_status_names[] = {"good", "revoked", "unknown"};

static json_t *ca_api_error_json(const struct err *err)
{
        return json_pack("{s:s}", "error", err->msg);
}

static json_t *ca_api_crl_json(const struct ca_api *api, const struct store_cert *record)
{
        struct ca_crl crl = {0};
        struct err err = {0};
        bool listed = false;
        int reason = 0;
        int64_t revoked_at = 0;
        if (ca_crl_cache_get(api->crl_cache, record->ca_name, &crl, &err) < 0)
                return ca_api_error_json(&err);
        json_t *out = NULL;
        if (crl_entry_lookup(crl.der, crl.der_len, record->serial, &listed, &reason, &revoked_at, &err) < 0) {
                out = ca_api_error_json(&err);
        } else {
                char number[24];
                snprintf(number, sizeof number, "%llu", (unsigned long long)crl.number);
                out = json_pack("{s:s, s:o, s:o, s:b}", "number", number, "this_update",
                                ca_api_time(crl.this_update), "next_update", ca_api_time(crl.next_update), "listed",
                                listed);
                if (listed)
                        json_object_set_new(out, "revoked_at", ca_api_time(revoked_at));
        }
        ca_crl_cleanup(&crl);
        return out;
}

static json_t *ca_api_ocsp_json(const struct ca_api *api, const struct store_cert *record)
{
        struct ca_ocsp_status answer;
        struct err err = {0};
        if (ca_ocsp_status_of(api->ocsp, record->ca_name, record->serial, &answer, &err) < 0)
                return ca_api_error_json(&err);
        json_t *out = json_pack("{s:s, s:o, s:o, s:o, s:s}", "status",
                                ca_api_ocsp_status_names[answer.status], "this_update",
                                ca_api_time(answer.this_update), "next_update", ca_api_time(answer.next_update),
                                "produced_at", ca_api_time(answer.produced_at), "responder", answer.responder);
        if (answer.status == OCSP_CERT_REVOKED) {
                json_object_set_new(out, "revoked_at", ca_api_time(answer.revoked_at));
                json_object_set_new(out, "reason", json_integer(answer.reason < 0 ? 0 : answer.reason));
        }
        return out;
}

/* The URLs the certificate itself names (ca/authority.h profiles): <public_url>/crl/<ca>.crl, /ocsp/<ca>. */
static void ca_api_set_url(json_t *object, const struct ca_api *api, const char *folder, const char *ca_name,
                           const char *suffix)
{
        char url[1024];
        snprintf(url, sizeof url, "%s/%s/%s%s", api->config->public_url, folder, ca_name, suffix);
        json_object_set_new(object, "url", json_string(url));
}

void ca_api_revocation_add(const struct ca_api *api, const struct store_cert *record, json_t *body)
{
        if (api->crl_cache != NULL) {
                json_t *crl = ca_api_crl_json(api, record);
                ca_api_set_url(crl, api, "crl", record->ca_name, ".crl");
                json_object_set_new(body, "crl", crl);
        }
        if (api->ocsp != NULL) {
                json_t *ocsp = ca_api_ocsp_json(api, record);
                ca_api_set_url(ocsp, api, "ocsp", record->ca_name, "");
                json_object_set_new(body, "ocsp", ocsp);
        }
}
