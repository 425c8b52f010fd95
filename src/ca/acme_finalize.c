/* src/ca/acme_finalize.c: finalization (RFC 8555 7.4), certificate download (7.4.2), revocation (7.6) and
 * renewal information (RFC 9773). Finalization signs first and then stores the certificate and the order's
 * new status in one transaction, so a crash leaves the order READY (finalize again), never half-done. */
#include "ca/acme_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/acme_names.h"
#include "ca/record.h"
#include "crypto/csr.h"

#define ACME_FINALIZE_TRIES 3

/* The names of an order as two sorted lists of "type:value" texts compared with the CSR's. */
struct acme_name_set {
        const char *dns[ACME_IDENTIFIERS_MAX];
        size_t num_dns;
        const char *ips[ACME_IDENTIFIERS_MAX];
        size_t num_ips;
        char storage[ACME_IDENTIFIERS_MAX][STORE_NAME_MAX];
        size_t used;
};

static int acme_name_set_add(struct acme_name_set *set, bool is_ip, const char *value)
{
        for (size_t i = 0; i < (is_ip ? set->num_ips : set->num_dns); i++)
                if (strcmp(is_ip ? set->ips[i] : set->dns[i], value) == 0)
                        return 0;
        if (set->used >= ACME_IDENTIFIERS_MAX)
                return -1;
        char *copy = set->storage[set->used++];
        snprintf(copy, STORE_NAME_MAX, "%s", value);
        if (is_ip)
                set->ips[set->num_ips++] = copy;
        else
                set->dns[set->num_dns++] = copy;
        return 0;
}

static int acme_order_names(const struct store_order *order, struct acme_name_set *set)
{
        json_t *list = json_loads(order->identifiers_json, 0, NULL);
        size_t i;
        json_t *item;
        int status = list ? 0 : -1;
        json_array_foreach(list, i, item) {
                const char *type = json_string_value(json_object_get(item, "type"));
                const char *value = json_string_value(json_object_get(item, "value"));
                if (!type || !value || acme_name_set_add(set, strcmp(type, "ip") == 0, value) < 0)
                        status = -1;
        }
        json_decref(list);
        return status;
}

/* The CSR's names (SANs and CN, normalised the way identifiers are) must be exactly the order's
 * (RFC 8555 7.4: "the CSR MUST indicate the exact same set of requested identifiers"). */
static int acme_csr_names(struct acme_request *req, const struct csr *csr, struct acme_name_set *set,
                          char common_name[STORE_NAME_MAX])
{
        struct cert_san *sans = calloc(ACME_IDENTIFIERS_MAX + 1, sizeof(*sans));
        size_t num = 0;
        char cn[STORE_NAME_MAX];
        char normal[STORE_NAME_MAX];
        struct err err = {0};
        int status = -1;
        if (!sans || csr_san_list(csr, sans, ACME_IDENTIFIERS_MAX + 1, &num, &err) < 0 ||
            csr_common_name(csr, cn, sizeof(cn), &err) < 0) {
                acme_problem(req, 400, "badCSR", "CSR names: %s", sans ? err.msg : "out of memory");
                goto out;
        }
        for (size_t i = 0; i < num; i++) {
                bool is_ip = sans[i].type == CERT_SAN_IP;
                int ok = is_ip ? acme_ip_normalize(sans[i].value, normal, sizeof(normal))
                               : acme_dns_name_normalize(sans[i].value, normal, sizeof(normal));
                if (sans[i].type != CERT_SAN_DNS && !is_ip) {
                        acme_problem(req, 400, "badCSR", "the CSR asks for a SAN of a type ACME cannot validate");
                        goto out;
                }
                if (ok < 0 || acme_name_set_add(set, is_ip, normal) < 0) {
                        acme_problem(req, 400, "badCSR", "the CSR's name \"%s\" is not acceptable", sans[i].value);
                        goto out;
                }
        }
        if (cn[0]) {
                bool is_ip = acme_ip_normalize(cn, normal, sizeof(normal)) == 0;
                if ((!is_ip && acme_dns_name_normalize(cn, normal, sizeof(normal)) < 0) ||
                    acme_name_set_add(set, is_ip, normal) < 0) {
                        acme_problem(req, 400, "badCSR", "the CSR's common name \"%s\" is not a name of the order", cn);
                        goto out;
                }
                /* The subject CN the client asked for (one of the names), not merely the first in order. */
                if (!is_ip)
                        snprintf(common_name, STORE_NAME_MAX, "%s", normal);
        }
        status = 0;
out:
        free(sans);
        return status;
}

static bool acme_same_list(const char *const *a, size_t num_a, const char *const *b, size_t num_b)
{
        if (num_a != num_b)
                return false;
        for (size_t i = 0; i < num_a; i++) {
                bool found = false;
                for (size_t j = 0; j < num_b && !found; j++)
                        found = strcmp(a[i], b[j]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

/* --- finalize --- */

struct acme_issuance {
        struct csr *csr;
        struct key *key;
        struct acme_name_set *order_names;
        struct acme_name_set *csr_names;
        const struct ca_authority *ca;
        bool sm2_encryption;
        char common_name[STORE_NAME_MAX]; /* the CSR's CN when it is a DNS name, "" otherwise */
        struct cert *cert;
};

static void acme_issuance_clear(struct acme_issuance *is)
{
        csr_free(is->csr);
        key_free(is->key);
        free(is->order_names);
        free(is->csr_names);
        cert_free(is->cert);
}

static int acme_read_csr(struct acme_request *req, struct acme_issuance *is)
{
        const char *text = json_string_value(json_object_get(req->payload, "csr"));
        uint8_t *der = NULL;
        size_t der_len = 0;
        const uint8_t *spki;
        size_t spki_len;
        struct err err = {0};
        if (!text || jose_b64url_decode(text, strlen(text), &der, &der_len, &err) < 0) {
                acme_problem(req, 400, "malformed", "finalize needs \"csr\": a base64url DER CSR");
                return -1;
        }
        int status = csr_parse_der(&is->csr, der, der_len, &err);
        free(der);
        if (status < 0 || csr_verify(is->csr, &err) < 0) {
                acme_problem(req, 400, "badCSR", "%s", err.msg);
                return -1;
        }
        if (csr_public_key(is->csr, &is->key, &err) < 0) {
                acme_problem(req, 400, "badPublicKey", "CSR key: %s", err.msg);
                return -1;
        }
        if (csr_public_key_der(is->csr, &spki, &spki_len, &err) < 0 || jose_jwk_matches_spki(req->jwk, spki, spki_len)) {
                acme_problem(req, 400, "badCSR", "the certificate's key must not be the account's key");
                return -1;
        }
        return 0;
}

/* The CSR's key picks the issuing CA (acme.h). */
static int acme_pick_ca(struct acme_request *req, struct acme_issuance *is)
{
        const struct ca_authorities *cas = req->acme->authorities;
        struct err err = {0};
        unsigned usage = 0;
        if (csr_requested_key_usage(is->csr, &usage, &err) < 0) {
                acme_problem(req, 400, "badCSR", "%s", err.msg);
                return -1;
        }
        if (key_get_alg(is->key) == KEY_ALG_SM2) {
                unsigned encryption = CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT |
                                      CERT_KEY_USAGE_KEY_AGREEMENT;
                is->sm2_encryption = (usage & encryption) && !(usage & CERT_KEY_USAGE_DIGITAL_SIGNATURE);
                is->ca = req->account.organization ? ca_authorities_for_kind(cas, CA_KIND_SSL_SM2_OV) : NULL;
                if (!is->ca)
                        is->ca = ca_authorities_for_kind(cas, CA_KIND_SSL_SM2_DV);
        } else {
                is->ca = ca_authorities_for_kind(cas, CA_KIND_SSL_ECC_DV);
        }
        if (!is->ca) {
                acme_problem(req, 400, "badPublicKey", "this CA has no issuing CA for %s keys",
                             key_alg_name(key_get_alg(is->key)));
                return -1;
        }
        return 0;
}

static int acme_sign(struct acme_request *req, const struct store_order *order, struct acme_issuance *is)
{
        struct err err = {0};
        int64_t start = order->not_before ? order->not_before : req->now;
        struct ca_issue_request request = {
                .subject_key = is->key,
                .dns_names = is->order_names->dns,
                .num_dns_names = is->order_names->num_dns,
                .ip_addresses = is->order_names->ips,
                .num_ip_addresses = is->order_names->num_ips,
                .common_name = is->common_name[0] ? is->common_name : NULL,
                .organization = ca_authority_kind(is->ca) == CA_KIND_SSL_SM2_OV ? req->account.organization : NULL,
                .sm2_encryption = is->sm2_encryption,
                .not_before = (time_t)start,
                .validity_seconds = order->not_after ? order->not_after - start : 0,
        };
        cert_free(is->cert);
        is->cert = NULL;
        if (ca_issue(is->ca, req->acme->config, &request, &is->cert, &err) < 0) {
                if (err.code == CA_EPOLICY)
                        acme_problem(req, 400, "rejectedIdentifier", "%s", err.msg);
                else
                        acme_problem(req, 500, "serverInternal", "signing: %s", err.msg);
                return -1;
        }
        return 0;
}

/* Sign and store, drawing a new serial when the store already has the one drawn (SMT_EEXIST). */
static int acme_issue_and_store(struct acme_request *req, const struct store_order *order, struct acme_issuance *is)
{
        struct err err = {0};
        for (int attempt = 0; attempt < ACME_FINALIZE_TRIES; attempt++) {
                TRY(acme_sign(req, order, is));
                struct store_cert record;
                char subject[CERT_NAME_TEXT_MAX];
                char profile[STORE_PROFILE_MAX];
                snprintf(profile, sizeof(profile), "%s%s", ca_kind_name(ca_authority_kind(is->ca)),
                         is->sm2_encryption ? "-enc" : "");
                int status = ca_record_fill(&record, subject, is->ca, is->cert, profile, req->now, &err);
                if (status == 0) {
                        snprintf(record.account_id, sizeof(record.account_id), "%s", req->account.id);
                        snprintf(record.order_id, sizeof(record.order_id), "%s", order->id);
                        status = store_order_finalize(req->acme->store, order->id, &record, &err);
                }
                free(record.names);
                if (status == 0)
                        return 0;
                if (err.code == SMT_EEXIST)
                        continue;
                if (err.code == CA_ECONFLICT)
                        acme_problem(req, 403, "orderNotReady", "the order was finalized meanwhile");
                else
                        acme_problem(req, 500, "serverInternal", "storing the certificate: %s", err.msg);
                return -1;
        }
        acme_problem(req, 500, "serverInternal", "no unused serial number after %d tries", ACME_FINALIZE_TRIES);
        return -1;
}

static int acme_check_ready(struct acme_request *req, const struct store_order *order)
{
        if (strcmp(order->account_id, req->account.id) != 0) {
                acme_problem(req, 403, "unauthorized", "order %s belongs to another account", order->id);
                return -1;
        }
        if (order->status != STORE_ORDER_READY || order->expires_at <= req->now) {
                acme_problem(req, 403, "orderNotReady", "order %s is %s, not ready", order->id,
                             order->expires_at <= req->now ? "expired" : acme_order_status_name(order->status));
                return -1;
        }
        if (!req->payload) {
                acme_problem(req, 400, "malformed", "finalize needs a JSON object payload with \"csr\"");
                return -1;
        }
        return 0;
}

void acme_finalize(struct acme_request *req, const char *order_id)
{
        struct store_order order = {0};
        struct acme_issuance is = {0};
        struct err err = {0};
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                return;
        if (store_order_get(req->acme->store, order_id, &order, &err) < 0) {
                acme_problem_from_err(req, &err, "order");
                return;
        }
        is.order_names = calloc(1, sizeof(*is.order_names));
        is.csr_names = calloc(1, sizeof(*is.csr_names));
        if (!is.order_names || !is.csr_names || acme_order_names(&order, is.order_names) < 0) {
                acme_problem(req, 500, "serverInternal", "order %s: unreadable identifiers", order_id);
                goto out;
        }
        if (acme_check_ready(req, &order) < 0 || acme_read_csr(req, &is) < 0 || acme_csr_names(req, is.csr, is.csr_names, is.common_name) < 0)
                goto out;
        if (!acme_same_list(is.csr_names->dns, is.csr_names->num_dns, is.order_names->dns, is.order_names->num_dns) ||
            !acme_same_list(is.csr_names->ips, is.csr_names->num_ips, is.order_names->ips, is.order_names->num_ips)) {
                acme_problem(req, 400, "badCSR", "the CSR's names must be exactly the order's identifiers");
                goto out;
        }
        if (acme_pick_ca(req, &is) < 0 || acme_issue_and_store(req, &order, &is) < 0)
                goto out;
        store_order_clear(&order);
        if (store_order_get(req->acme->store, order_id, &order, &err) < 0) {
                acme_problem_from_err(req, &err, "order");
                goto out;
        }
        char location[ACME_URL_MAX];
        acme_url(req->acme, location, "order", order.id);
        acme_reply_json(req, 200, acme_order_json(req->acme, &order, req->now), location);
out:
        acme_issuance_clear(&is);
        store_order_clear(&order);
}

/* --- certificate download --- */

void acme_certificate(struct acme_request *req, const char *serial)
{
        struct store_cert record = {0};
        struct cert *leaf = NULL;
        struct err err = {0};
        if (acme_authenticate(req, ACME_AUTH_ACCOUNT) < 0)
                return;
        if (store_cert_get(req->acme->store, serial, &record, &err) < 0) {
                acme_problem_from_err(req, &err, "certificate");
                return;
        }
        const struct ca_authority *ca = ca_authorities_find(req->acme->authorities, record.ca_name);
        if (strcmp(record.account_id, req->account.id) != 0) {
                acme_problem(req, 403, "unauthorized", "certificate %s was issued to another account", serial);
        } else if (!ca || cert_parse_der(&leaf, record.der, record.der_len, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "certificate %s: issuer %s not loaded", serial, record.ca_name);
        } else {
                /* The chain a server sends: the leaf and the issuing CA, not the root (RFC 8555 9.1). */
                struct http_server_response *resp = req->response;
                if (cert_write_pem(leaf, &resp->body, &err) < 0 || cert_write_pem(ca_authority_cert(ca), &resp->body, &err) < 0) {
                        acme_problem(req, 500, "serverInternal", "certificate: %s", err.msg);
                } else {
                        resp->status = 200;
                        acme_add_field(req, "Content-Type", "application/pem-certificate-chain");
                }
        }
        cert_free(leaf);
        store_cert_clear(&record);
}
