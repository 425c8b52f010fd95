/* src/gateway/acme_client_renewal.c: revocation (RFC 8555 7.6) and ACME Renewal Information (RFC 9773): the
 * certificate identifier is read from the certificate's own DER with the bounds-checked DER reader. */
#include "gateway/acme_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/der.h"

#define GW_ACME_TAG_VERSION    0xa0 /* tbsCertificate [0] EXPLICIT version */
#define GW_ACME_TAG_EXTENSIONS 0xa3 /* tbsCertificate [3] EXPLICIT extensions */
#define GW_ACME_TAG_BOOLEAN    0x01
#define GW_ACME_TAG_KEY_ID     0x80 /* AuthorityKeyIdentifier [0] IMPLICIT keyIdentifier */

/* id-ce-authorityKeyIdentifier, 2.5.29.35 (RFC 5280 4.2.1.1), DER content octets. */
static const uint8_t gw_acme_oid_aki[] = {0x55, 0x1d, 0x23};

static int gw_acme_der_skip(struct buf_reader *r, const char *what, struct err *err)
{
        uint8_t tag;
        struct buf_reader ignored;
        if (buf_peek_u8(r, &tag) < 0)
                return SMT_ERR(err, SMT_EDECODE, "certificate: %s is missing", what);
        return der_read_element(r, tag, &ignored, what, err);
}

static bool gw_acme_der_next_is(const struct buf_reader *r, uint8_t tag)
{
        uint8_t next;
        return buf_peek_u8(r, &next) == 0 && next == tag;
}

/* The keyIdentifier of an AuthorityKeyIdentifier extension value. */
static int gw_acme_aki_key_id(struct buf_reader value, struct buf_reader *key_id, struct err *err)
{
        struct buf_reader aki;
        TRY(der_read_element(&value, DER_TAG_SEQUENCE, &aki, "authorityKeyIdentifier", err));
        if (!gw_acme_der_next_is(&aki, GW_ACME_TAG_KEY_ID))
                return SMT_ERR(err, CRYPTO_ECERT, "certificate: authorityKeyIdentifier has no keyIdentifier");
        TRY(der_read_element(&aki, GW_ACME_TAG_KEY_ID, key_id, "keyIdentifier", err));
        if (key_id->len == 0)
                return SMT_ERR(err, CRYPTO_ECERT, "certificate: the keyIdentifier is empty");
        return 0;
}

static int gw_acme_find_aki(struct buf_reader extensions, struct buf_reader *key_id, struct err *err)
{
        struct buf_reader list;
        TRY(der_read_element(&extensions, DER_TAG_SEQUENCE, &list, "extensions", err));
        while (!buf_reader_is_empty(&list)) {
                struct buf_reader extension, oid, value;
                TRY(der_read_element(&list, DER_TAG_SEQUENCE, &extension, "extension", err));
                TRY(der_read_element(&extension, DER_TAG_OID, &oid, "extension OID", err));
                if (gw_acme_der_next_is(&extension, GW_ACME_TAG_BOOLEAN))
                        TRY(gw_acme_der_skip(&extension, "critical", err));
                TRY(der_read_element(&extension, DER_TAG_OCTET_STRING, &value, "extension value", err));
                if (oid.len == sizeof(gw_acme_oid_aki) && memcmp(oid.data, gw_acme_oid_aki, oid.len) == 0)
                        return gw_acme_aki_key_id(value, key_id, err);
        }
        return SMT_ERR(err, CRYPTO_ECERT, "certificate: no authorityKeyIdentifier extension (RFC 9773 needs one)");
}

/* RFC 5280 4.1: serial and extensions of tbsCertificate. */
static int gw_acme_cert_fields(const uint8_t *der, size_t len, struct buf_reader *serial, struct buf_reader *key_id,
                               struct err *err)
{
        struct buf_reader in = buf_reader_make(der, len), cert, tbs, extensions;
        TRY(der_read_element(&in, DER_TAG_SEQUENCE, &cert, "certificate", err));
        TRY(buf_reader_expect_end(&in, "certificate", err));
        TRY(der_read_element(&cert, DER_TAG_SEQUENCE, &tbs, "tbsCertificate", err));
        if (gw_acme_der_next_is(&tbs, GW_ACME_TAG_VERSION))
                TRY(gw_acme_der_skip(&tbs, "version", err));
        TRY(der_read_element(&tbs, DER_TAG_INTEGER, serial, "serialNumber", err));
        if (serial->len == 0)
                return SMT_ERR(err, SMT_EDECODE, "certificate: empty serialNumber");
        static const char *const skipped[] = {"signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"};
        for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
                TRY(gw_acme_der_skip(&tbs, skipped[i], err));
        while (!buf_reader_is_empty(&tbs) && !gw_acme_der_next_is(&tbs, GW_ACME_TAG_EXTENSIONS))
                TRY(gw_acme_der_skip(&tbs, "unique identifier", err));
        if (buf_reader_is_empty(&tbs))
                return SMT_ERR(err, CRYPTO_ECERT, "certificate: no extensions, so no authorityKeyIdentifier");
        TRY(der_read_element(&tbs, GW_ACME_TAG_EXTENSIONS, &extensions, "extensions", err));
        return gw_acme_find_aki(extensions, key_id, err);
}

int gw_acme_cert_id(const uint8_t *cert_der, size_t cert_len, struct buf_writer *out, struct err *err)
{
        struct buf_reader serial, key_id;
        int status = gw_acme_cert_fields(cert_der, cert_len, &serial, &key_id, err);
        if (status == SMT_ETRUNCATED && err)
                err->code = SMT_EDECODE; /* a short element is a malformed certificate here */
        if (status < 0)
                return status == SMT_ETRUNCATED ? SMT_EDECODE : status;
        TRY(jose_b64url_encode(key_id.data, key_id.len, out, err));
        TRY(buf_write_u8(out, '.'));
        /* RFC 9773 4.1: the serial's DER content octets as they are, a leading zero octet included. */
        return jose_b64url_encode(serial.data, serial.len, out, err);
}

int gw_acme_client_set_replaces(struct gw_acme_client *client, const struct cert *old, struct err *err)
{
        client->replaces[0] = '\0';
        if (client->renewal_info_url[0] == '\0')
                return SMT_OK; /* RFC 9773 5: only for a server that offers renewal information */
        const uint8_t *der;
        size_t der_len;
        cert_der(old, &der, &der_len);
        struct buf_writer id;
        buf_writer_init_fixed(&id, (uint8_t *)client->replaces, sizeof client->replaces - 1);
        int status = gw_acme_cert_id(der, der_len, &id, err);
        client->replaces[status == 0 ? id.len : 0] = '\0';
        return status;
}

int gw_acme_client_revoke(struct gw_acme_client *client, const struct cert *cert, int reason, struct err *err)
{
        const uint8_t *der;
        size_t der_len;
        cert_der(cert, &der, &der_len);
        struct buf_writer text;
        buf_writer_init_heap(&text, 2 * CERT_FILE_MAX);
        int status = jose_b64url_encode(der, der_len, &text, err);
        if (status == 0)
                status = buf_write_u8(&text, 0);
        json_t *payload = status == 0 ? json_pack("{s:s}", "certificate", (const char *)text.data) : NULL;
        if (payload && reason >= 0)
                json_object_set_new(payload, "reason", json_integer(reason));
        struct gw_acme_response response;
        gw_acme_response_init(&response);
        if (status == 0)
                status = gw_acme_post(client, client->revoke_cert_url, payload, false, "revokeCert", &response, err);
        gw_acme_response_cleanup(&response);
        json_decref(payload);
        buf_writer_cleanup(&text);
        return status;
}

static int gw_acme_renewal_read(const json_t *body, struct gw_acme_renewal_info *out, struct err *err)
{
        const json_t *window = json_object_get(body, "suggestedWindow");
        const char *start = json_string_value(json_object_get(window, "start"));
        const char *end = json_string_value(json_object_get(window, "end"));
        if (!start || !end)
                return SMT_ERR(err, SMT_EDECODE, "renewalInfo: no suggestedWindow with start and end");
        TRY(gw_acme_time_parse(start, &out->window_start, err));
        TRY(gw_acme_time_parse(end, &out->window_end, err));
        if (out->window_end < out->window_start)
                return SMT_ERR(err, SMT_EDECODE, "renewalInfo: the window ends (%s) before it starts (%s)", end, start);
        return 0;
}

int gw_acme_client_renewal_info(struct gw_acme_client *client, const struct cert *cert,
                                struct gw_acme_renewal_info *out, struct err *err)
{
        if (!client->renewal_info_url[0])
                return SMT_ERR(err, SMT_EINVAL, "the ACME server has no renewalInfo (RFC 9773)");
        const uint8_t *der;
        size_t der_len;
        cert_der(cert, &der, &der_len);
        struct buf_writer url;
        buf_writer_init_heap(&url, 2 * GW_ACME_URL_MAX);
        int status = buf_write_bytes(&url, (const uint8_t *)client->renewal_info_url, strlen(client->renewal_info_url));
        if (status == 0)
                status = buf_write_u8(&url, '/');
        if (status == 0)
                status = gw_acme_cert_id(der, der_len, &url, err);
        if (status == 0)
                status = buf_write_u8(&url, 0);
        struct gw_acme_response response;
        json_t *body = NULL;
        gw_acme_response_init(&response);
        if (status == 0)
                status = gw_acme_http_request(client, "GET", (const char *)url.data, NULL, 0, &response, err);
        if (status == 0)
                status = gw_acme_check(client, &response, "renewalInfo", err);
        if (status == 0)
                status = gw_acme_response_json(&response, "renewalInfo", &body, err);
        memset(out, 0, sizeof(*out));
        if (status == 0)
                status = gw_acme_renewal_read(body, out, err);
        out->retry_after_s = response.retry_after_s > 0 ? response.retry_after_s : 0;
        json_decref(body);
        gw_acme_response_cleanup(&response);
        buf_writer_cleanup(&url);
        return status;
}
