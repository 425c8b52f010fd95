/* src/ca/acme_revoke.c: revocation (RFC 8555 7.6) and renewal information (RFC 9773). */
#include "ca/acme_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/acme_names.h"
#include "ca/crl_cache.h"
#include "ca/revocation.h"

#define ACME_RENEWAL_RETRY_AFTER 21600 /* seconds: RFC 9773 4.3 suggests hours */

/* RFC 5280 5.3.1 reasons a subscriber may give; cACompromise, certificateHold, removeFromCRL and
 * aACompromise are not theirs to claim (Boulder and Let's Encrypt refuse them too). */
static bool acme_reason_allowed(int reason)
{
        return reason == 0 || reason == 1 || reason == 3 || reason == 4 || reason == 5 || reason == 9;
}

static bool acme_cert_key_signed(struct acme_request *req, const struct cert *cert)
{
        struct key *key = NULL;
        struct buf_writer spki;
        struct err err = {0};
        bool match = false;
        buf_writer_init_heap(&spki, 16384);
        if (cert_public_key(cert, &key, &err) == 0 && key_write_public(key, KEY_FORMAT_DER, &spki, &err) == 0)
                match = jose_jwk_matches_spki(req->jwk, spki.data, spki.len);
        buf_writer_cleanup(&spki);
        key_free(key);
        return match;
}

static int acme_revoke_reason(struct acme_request *req, int *reason)
{
        const json_t *value = json_object_get(req->payload, "reason");
        *reason = 0;
        if (!value)
                return 0;
        if (!json_is_integer(value) || !acme_reason_allowed((int)json_integer_value(value))) {
                acme_problem(req, 400, "badRevocationReason", "reason must be 0, 1, 3, 4, 5 or 9 (RFC 5280 5.3.1)");
                return -1;
        }
        *reason = (int)json_integer_value(value);
        return 0;
}

static int acme_revoke_read_cert(struct acme_request *req, struct cert **cert, char serial[STORE_SERIAL_MAX])
{
        const char *text = json_string_value(json_object_get(req->payload, "certificate"));
        uint8_t *der = NULL;
        size_t der_len = 0;
        struct err err = {0};
        if (!text || jose_b64url_decode(text, strlen(text), &der, &der_len, &err) < 0 ||
            cert_parse_der(cert, der, der_len, &err) < 0 || cert_serial_hex(*cert, serial, STORE_SERIAL_MAX, &err) < 0) {
                free(der);
                acme_problem(req, 400, "malformed", "\"certificate\" must be a base64url DER certificate");
                return -1;
        }
        free(der);
        return 0;
}

void acme_revoke(struct acme_request *req)
{
        struct cert *cert = NULL;
        struct store_cert record = {0};
        struct err err = {0};
        char serial[STORE_SERIAL_MAX];
        int reason;
        if (acme_authenticate(req, ACME_AUTH_JWK_OR_KID) < 0)
                return;
        if (!req->payload || acme_revoke_reason(req, &reason) < 0 || acme_revoke_read_cert(req, &cert, serial) < 0) {
                if (!req->payload)
                        acme_problem(req, 400, "malformed", "revokeCert needs a JSON object payload");
                goto out;
        }
        const uint8_t *der;
        size_t der_len;
        cert_der(cert, &der, &der_len);
        if (store_cert_get(req->acme->store, serial, &record, &err) < 0 || record.der_len != der_len ||
            memcmp(record.der, der, der_len) != 0) {
                acme_problem(req, 404, "malformed", "this CA did not issue that certificate");
                goto out;
        }
        bool allowed = req->has_account ? strcmp(record.account_id, req->account.id) == 0 : acme_cert_key_signed(req, cert);
        if (!allowed) {
                acme_problem(req, 403, "unauthorized", "only the account that ordered it or the certificate's key may revoke it");
                goto out;
        }
        if (store_cert_revoke(req->acme->store, serial, reason, req->now, &err) < 0) {
                if (err.code == CA_ECONFLICT)
                        acme_problem(req, 400, "alreadyRevoked", "certificate %s is already revoked", serial);
                else
                        acme_problem(req, 500, "serverInternal", "revocation: %s", err.msg);
                goto out;
        }
        ca_revocation_notify(req->acme->store, serial);
        req->response->status = 200;
out:
        cert_free(cert);
        store_cert_clear(&record);
}

/* RFC 9773 4.1: certID = base64url(AKI keyIdentifier) "." base64url(serial's DER content octets). The
 * serial is what identifies a certificate here (unique across our CAs); leading zero octets dropped it is
 * the lowercase hex cert_serial_hex writes. */
static int acme_cert_id_serial(const char *cert_id, char serial[STORE_SERIAL_MAX])
{
        const char *dot = strchr(cert_id, '.');
        uint8_t *bytes = NULL;
        size_t len = 0;
        struct err err = {0};
        if (!dot || dot == cert_id || jose_b64url_decode(dot + 1, strlen(dot + 1), &bytes, &len, &err) < 0)
                return -1;
        size_t start = 0;
        while (start < len && bytes[start] == 0)
                start++;
        int status = len - start == 0 || (len - start) * 2 >= STORE_SERIAL_MAX ? -1 : 0;
        for (size_t i = start; status == 0 && i < len; i++)
                snprintf(serial + (i - start) * 2, 3, "%02x", bytes[i]);
        free(bytes);
        return status;
}

/* The certID's first half must be the certificate's own authorityKeyIdentifier (RFC 9773 4.1): the serial
 * alone would answer for a certificate of another issuer with the same serial. */
static bool acme_cert_id_issuer_matches(const char *cert_id, const struct store_cert *record)
{
        uint8_t *asked = NULL, aki[64];
        size_t asked_len = 0, aki_len = 0;
        struct cert *cert = NULL;
        struct err err = {0};
        const char *dot = strchr(cert_id, '.');
        bool match = dot && jose_b64url_decode(cert_id, (size_t)(dot - cert_id), &asked, &asked_len, &err) == 0 &&
                     cert_parse_der(&cert, record->der, record->der_len, &err) == 0 &&
                     cert_authority_key_id(cert, aki, sizeof(aki), &aki_len, &err) == 0 && aki_len == asked_len &&
                     memcmp(aki, asked, aki_len) == 0;
        free(asked);
        cert_free(cert);
        return match;
}

/* acme_replaces_cert finds the certificate a newOrder's "replaces" names and checks it is this
 * account's; 0, or -1 with the problem sent. */
static int acme_replaces_cert(struct acme_request *req, const char *cert_id, struct store_cert *record)
{
        char serial[STORE_SERIAL_MAX];
        struct err err = {0};
        if (acme_cert_id_serial(cert_id, serial) < 0) {
                acme_problem(req, 400, "malformed", "replaces: \"%s\" is not a certificate identifier (RFC 9773 4.1)",
                             cert_id);
                return -1;
        }
        if (store_cert_get(req->acme->store, serial, record, &err) < 0 || !acme_cert_id_issuer_matches(cert_id, record)) {
                acme_problem(req, 400, "malformed", "replaces: no certificate %s of this CA", cert_id);
                return -1;
        }
        if (strcmp(record->account_id, req->account.id) != 0) {
                acme_problem(req, 400, "malformed", "replaces: certificate %s was not issued to this account", cert_id);
                return -1;
        }
        return 0;
}

int acme_replaces_check(struct acme_request *req, const char *cert_id)
{
        struct store_cert record = {0};
        struct err err = {0};
        bool replaced = false;
        int status = acme_replaces_cert(req, cert_id, &record);
        store_cert_clear(&record);
        if (status < 0)
                return -1;
        if (store_order_replaced(req->acme->store, cert_id, &replaced, &err) < 0) {
                acme_problem(req, 500, "serverInternal", "replaces: %s", err.msg);
                return -1;
        }
        if (replaced) {
                /* RFC 9773 5: exactly this answer for a certificate a finalized order replaced already */
                acme_problem(req, 409, "alreadyReplaced", "certificate %s was replaced by another order already", cert_id);
                return -1;
        }
        return 0;
}

void acme_renewal_info(struct acme_request *req, const char *cert_id)
{
        char serial[STORE_SERIAL_MAX];
        struct store_cert record = {0};
        struct err err = {0};
        if (acme_cert_id_serial(cert_id, serial) < 0) {
                acme_problem(req, 400, "malformed", "\"%s\" is not a certificate identifier (RFC 9773 4.1)", cert_id);
                return;
        }
        if (store_cert_get(req->acme->store, serial, &record, &err) < 0 || !acme_cert_id_issuer_matches(cert_id, &record)) {
                acme_problem(req, 404, "malformed", "no certificate %s of this CA", cert_id);
                store_cert_clear(&record);
                return;
        }
        /* The last third of the lifetime, its first half as the window; a revoked certificate: now. */
        int64_t lifetime = record.not_after - record.not_before;
        int64_t start = record.not_before + lifetime * 2 / 3;
        int64_t end = record.not_before + lifetime * 5 / 6;
        if (record.status == STORE_CERT_REVOKED) {
                start = req->now - 3600;
                end = req->now;
        }
        char start_text[40], end_text[40];
        acme_time_format(start, start_text, sizeof(start_text));
        acme_time_format(end, end_text, sizeof(end_text));
        acme_add_field(req, "Retry-After", "%d", ACME_RENEWAL_RETRY_AFTER);
        acme_reply_json(req, 200, json_pack("{s:{s:s, s:s}}", "suggestedWindow", "start", start_text, "end", end_text),
                        NULL);
        store_cert_clear(&record);
}
