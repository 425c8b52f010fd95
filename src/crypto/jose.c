/* src/crypto/jose.c: reading a flattened JWS as RFC 8555 section 6.2 allows it: the JSON object
 * {"protected", "payload", "signature"} (RFC 7515 section 7.2.2) and nothing else, with its protected
 * header decoded and the members ACME uses picked out. Signatures are checked in jose_jwk.c (keys) and
 * jose_sign.c (MACs). */
#include "crypto/jose.h"

#include <stdlib.h>
#include <string.h>

/* Every alg jose_jws_verify or jose_jws_verify_hmac can check (RFC 7518 section 3.1, RFC 8037 section 3.1).
 * "none" is deliberately absent: RFC 8555 section 6.2 forbids it. */
static const char *const jose_known_algs[] = {"ES256", "ES384", "ES512", "RS256", "EdDSA", "HS256", "HS384", "HS512"};

/* The members of a flattened JWS ACME allows; "header" (unprotected) is the one RFC 8555 6.2 names. */
static const char *const jose_jws_members[] = {"protected", "payload", "signature"};

static int jose_jws_check_members(const json_t *object, struct err *err)
{
        const char *name;
        const json_t *value;
        json_object_foreach((json_t *)object, name, value)
        {
                bool known = false;
                for (size_t i = 0; i < sizeof jose_jws_members / sizeof jose_jws_members[0]; i++)
                        known = known || strcmp(name, jose_jws_members[i]) == 0;
                if (strcmp(name, "header") == 0)
                        return SMT_ERR(err, CA_EJOSE, "jws: an unprotected \"header\" is not allowed (RFC 8555 6.2)");
                if (!known)
                        return SMT_ERR(err, CA_EJOSE,
                                       "jws: unexpected member \"%.64s\"; expected only protected, "
                                       "payload and signature",
                                       name);
                if (!json_is_string(value))
                        return SMT_ERR(err, CA_EJOSE, "jws: \"%s\" is not a string", name);
        }
        for (size_t i = 0; i < sizeof jose_jws_members / sizeof jose_jws_members[0]; i++)
                if (json_object_get(object, jose_jws_members[i]) == NULL)
                        return SMT_ERR(err, CA_EJOSE, "jws: member \"%s\" is missing", jose_jws_members[i]);
        return SMT_OK;
}

/* jose_jws_decode decodes the base64url string member name into *out. */
static int jose_jws_decode(const json_t *object, const char *name, uint8_t **out, size_t *out_len, struct err *err)
{
        const json_t *value = json_object_get(object, name);
        int status = jose_b64url_decode(json_string_value(value), json_string_length(value), out, out_len, err);
        if (status < 0)
                return err_prefix(err, "jws: \"%s\"", name);
        return SMT_OK;
}

/* jose_header_string reads an optional string member: NULL when absent, CA_EJOSE when not a string. */
static int jose_header_string(const json_t *header, const char *name, const char **out, struct err *err)
{
        const json_t *value = json_object_get(header, name);
        *out = NULL;
        if (value == NULL)
                return SMT_OK;
        if (!json_is_string(value))
                return SMT_ERR(err, CA_EJOSE, "jws header: \"%s\" is not a string", name);
        *out = json_string_value(value);
        return SMT_OK;
}

static int jose_header_alg(struct jose_jws *jws, struct err *err)
{
        TRY(jose_header_string(jws->header, "alg", &jws->alg, err));
        if (jws->alg == NULL)
                return SMT_ERR(err, CA_EJOSE, "jws header: no \"alg\"");
        for (size_t i = 0; i < sizeof jose_known_algs / sizeof jose_known_algs[0]; i++)
                if (strcmp(jws->alg, jose_known_algs[i]) == 0)
                        return SMT_OK;
        return SMT_ERR(err, CA_EJOSE_ALG,
                       "jws header: alg \"%.32s\"; expected ES256, ES384, ES512, RS256, EdDSA "
                       "or HS256, HS384, HS512",
                       jws->alg);
}

static int jose_header_read(struct jose_jws *jws, bool require_key_id, struct err *err)
{
        TRY(jose_header_alg(jws, err));
        /* RFC 7515 4.1.11: a recipient must refuse extensions it does not understand; we understand none. */
        if (json_object_get(jws->header, "crit") != NULL)
                return SMT_ERR(err, CA_EJOSE, "jws header: \"crit\" extensions are not supported");
        TRY(jose_header_string(jws->header, "nonce", &jws->nonce, err));
        TRY(jose_header_string(jws->header, "url", &jws->url, err));
        TRY(jose_header_string(jws->header, "kid", &jws->kid, err));
        jws->jwk = json_object_get(jws->header, "jwk");
        if (jws->jwk != NULL && !json_is_object(jws->jwk))
                return SMT_ERR(err, CA_EJOSE, "jws header: \"jwk\" is not an object");
        /* RFC 8555 6.2: "jwk" and "kid" are mutually exclusive, and one of them names the key. */
        if (jws->jwk != NULL && jws->kid != NULL)
                return SMT_ERR(err, CA_EJOSE, "jws header: both \"jwk\" and \"kid\"; expected exactly one");
        if (require_key_id && jws->jwk == NULL && jws->kid == NULL)
                return SMT_ERR(err, CA_EJOSE, "jws header: neither \"jwk\" nor \"kid\"; expected exactly one");
        return SMT_OK;
}

static int jose_jws_protected(struct jose_jws *jws, const json_t *object, bool require_key_id, struct err *err)
{
        uint8_t *text = NULL;
        size_t text_len = 0;
        TRY(jose_jws_decode(object, "protected", &text, &text_len, err));
        json_error_t json_error;
        jws->header = json_loadb((const char *)text, text_len, JSON_REJECT_DUPLICATES, &json_error);
        free(text);
        if (jws->header == NULL)
                return SMT_ERR(err, CA_EJOSE, "jws: protected header is not JSON: %s", json_error.text);
        if (!json_is_object(jws->header))
                return SMT_ERR(err, CA_EJOSE, "jws: protected header is not a JSON object");
        return jose_header_read(jws, require_key_id, err);
}

/* jose_jws_signing_input keeps ASCII(BASE64URL(protected) || '.' || BASE64URL(payload)), RFC 7515 5.2 step 8,
 * exactly as the client sent it. */
static int jose_jws_signing_input(struct jose_jws *jws, const json_t *object, struct err *err)
{
        const json_t *protected = json_object_get(object, "protected");
        const json_t *payload = json_object_get(object, "payload");
        struct buf_writer w;
        buf_writer_init_heap(&w, 2 * JOSE_JWS_MAX);
        if (buf_write_bytes(&w, (const uint8_t *)json_string_value(protected), json_string_length(protected)) < 0 ||
            buf_write_u8(&w, '.') < 0 ||
            buf_write_bytes(&w, (const uint8_t *)json_string_value(payload), json_string_length(payload)) < 0 ||
            buf_write_u8(&w, '\0') < 0) {
                buf_writer_cleanup(&w);
                return SMT_ERR(err, SMT_ENOMEM, "jws: out of memory for the signing input");
        }
        size_t len = 0;
        jws->signing_input = (char *)buf_writer_release(&w, &len);
        jws->signing_input_len = len - 1;
        return SMT_OK;
}

static int jose_jws_read(struct jose_jws *jws, const json_t *object, bool require_key_id, struct err *err)
{
        if (!json_is_object(object))
                return SMT_ERR(err, CA_EJOSE, "jws: not a JSON object");
        TRY(jose_jws_check_members(object, err));
        TRY(jose_jws_protected(jws, object, require_key_id, err));
        TRY(jose_jws_decode(object, "payload", &jws->payload, &jws->payload_len, err));
        TRY(jose_jws_decode(object, "signature", &jws->signature, &jws->signature_len, err));
        return jose_jws_signing_input(jws, object, err);
}

int jose_jws_parse(struct jose_jws *out, const uint8_t *body, size_t len, bool require_key_id, struct err *err)
{
        memset(out, 0, sizeof *out);
        if (len > JOSE_JWS_MAX)
                return SMT_ERR(err, CA_EJOSE, "jws: %zu bytes; at most %d", len, JOSE_JWS_MAX);
        json_error_t json_error;
        json_t *object = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &json_error);
        if (object == NULL)
                return SMT_ERR(err, CA_EJOSE, "jws: not JSON: %s at line %d column %d", json_error.text,
                               json_error.line, json_error.column);
        int status = jose_jws_read(out, object, require_key_id, err);
        json_decref(object);
        if (status < 0)
                jose_jws_clear(out);
        return status;
}

int jose_jws_payload_json(const struct jose_jws *jws, json_t **out, struct err *err)
{
        json_error_t json_error;
        json_t *payload = json_loadb((const char *)jws->payload, jws->payload_len, JSON_REJECT_DUPLICATES, &json_error);
        if (payload == NULL)
                return SMT_ERR(err, CA_EJOSE, "jws payload: not JSON: %s", json_error.text);
        if (!json_is_object(payload)) {
                json_decref(payload);
                return SMT_ERR(err, CA_EJOSE, "jws payload: not a JSON object");
        }
        *out = payload;
        return SMT_OK;
}

void jose_jws_clear(struct jose_jws *jws)
{
        json_decref(jws->header);
        free(jws->payload);
        free(jws->signature);
        free(jws->signing_input);
        memset(jws, 0, sizeof *jws);
}
