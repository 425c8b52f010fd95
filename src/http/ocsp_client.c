/* src/http/ocsp_client.c: the OCSP client's messages: the request (SHA-1 CertID, RFC 5019 2.1.1), its GET
 * form (RFC 6960 A.1) and the check of a reply (crypto/ocsp.h), with names for what it says. The transport
 * is in ocsp_client_http.c. */
#include "http/ocsp_client.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

int http_ocsp_client_request_make(struct http_ocsp_client_request *out, const struct cert *leaf,
                                  const struct cert *issuer, bool use_nonce, struct err *err)
{
        memset(out, 0, sizeof(*out));
        TRY(ocsp_cert_id_make(&out->cert_id, leaf, issuer, OCSP_HASH_SHA1, err));
        if (use_nonce)
                TRY(ocsp_nonce_generate(out->nonce, &out->nonce_len, err));
        struct buf_writer w;
        buf_writer_init_fixed(&w, out->der, sizeof(out->der));
        TRY(ocsp_request_build(&w, &out->cert_id, 1, use_nonce ? out->nonce : NULL, out->nonce_len, err));
        out->der_len = w.len;
        return 0;
}

/* RFC 3986 2.3: base64's '+', '/' and '=' are not unreserved, so they travel as %XX (RFC 6960 A.1). */
static int http_ocsp_client_url_encode(char *out, size_t out_cap, size_t *at, const char *text, struct err *err)
{
        static const char hex[] = "0123456789ABCDEF";
        for (const char *c = text; *c != '\0'; c++) {
                bool plain = *c != '+' && *c != '/' && *c != '=';
                if (*at + (plain ? 1 : 3) >= out_cap)
                        return SMT_ERR(err, SMT_ENOSPACE, "OCSP GET URL longer than %zu bytes", out_cap - 1);
                if (plain) {
                        out[(*at)++] = *c;
                        continue;
                }
                out[(*at)++] = '%';
                out[(*at)++] = hex[(unsigned char)*c >> 4];
                out[(*at)++] = hex[(unsigned char)*c & 15];
        }
        out[*at] = '\0';
        return 0;
}

int http_ocsp_client_get_url(char *out, size_t out_cap, const char *base, const struct http_ocsp_client_request *request,
                             struct err *err)
{
        char b64[4 * (sizeof(request->der) + 2) / 3 + 1];
        size_t base_len = strlen(base);
        if (request->der_len > sizeof(request->der))
                return SMT_ERR(err, SMT_EINVAL, "OCSP request of %zu bytes", request->der_len);
        EVP_EncodeBlock((unsigned char *)b64, request->der, (int)request->der_len);
        bool slash = base_len > 0 && base[base_len - 1] == '/';
        if (base_len + 2 >= out_cap)
                return SMT_ERR(err, SMT_ENOSPACE, "OCSP GET URL longer than %zu bytes", out_cap - 1);
        memcpy(out, base, base_len);
        size_t at = base_len;
        if (!slash)
                out[at++] = '/';
        out[at] = '\0';
        return http_ocsp_client_url_encode(out, out_cap, &at, b64, err);
}

static const char *http_ocsp_client_response_status_name(enum ocsp_response_status status)
{
        switch (status) {
        case OCSP_RESPONSE_SUCCESSFUL:
                return "successful";
        case OCSP_RESPONSE_MALFORMED_REQUEST:
                return "malformedRequest";
        case OCSP_RESPONSE_INTERNAL_ERROR:
                return "internalError";
        case OCSP_RESPONSE_TRY_LATER:
                return "tryLater";
        case OCSP_RESPONSE_SIG_REQUIRED:
                return "sigRequired";
        case OCSP_RESPONSE_UNAUTHORIZED:
                return "unauthorized";
        }
        return "undefined";
}

/* http_ocsp_client_is_named says whether the ResponderID of resp names candidate (RFC 6960 4.2.2.3). */
static int http_ocsp_client_is_named(bool *out, const struct ocsp_response *resp, const struct cert *candidate,
                                     struct err *err)
{
        if (resp->responder_by_key) {
                unsigned char hash[EVP_MAX_MD_SIZE];
                unsigned int len = 0;
                *out = X509_pubkey_digest(cert_x509(candidate), EVP_sha1(), hash, &len) == 1 &&
                       len == OCSP_KEY_HASH_LEN && memcmp(hash, resp->responder_key_hash, len) == 0;
                return 0;
        }
        const uint8_t *name = NULL;
        size_t len = 0;
        TRY(cert_subject_der(candidate, &name, &len, err));
        *out = len == resp->responder_name.len && memcmp(name, resp->responder_name.data, len) == 0;
        return 0;
}

/* http_ocsp_client_signer finds who signed a verified response: the issuer itself (looked at first: some
 * responders include it in certs), or the delegated responder certificate among resp->certs. */
static int http_ocsp_client_signer(struct http_ocsp_client_result *out, const struct ocsp_response *resp,
                                   const struct cert *issuer, struct err *err)
{
        size_t count = resp->certs != NULL ? cert_chain_count(resp->certs) : 0;
        bool named = false;
        out->is_delegated = false;
        out->responder[0] = '\0';
        TRY(http_ocsp_client_is_named(&named, resp, issuer, err));
        if (named)
                return 0;
        out->is_delegated = true;
        for (size_t i = 0; i < count; i++) {
                const struct cert *candidate = cert_chain_get(resp->certs, i);
                TRY(http_ocsp_client_is_named(&named, resp, candidate, err));
                if (named)
                        return cert_subject_text(candidate, out->responder, sizeof(out->responder), err);
        }
        return 0; /* verified, so some certificate signed it; the ResponderID just did not name it */
}

int http_ocsp_client_response_check(struct http_ocsp_client_result *out, const struct http_ocsp_client_request *request,
                                    const uint8_t *der, size_t der_len, const struct cert *leaf,
                                    const struct cert *issuer, time_t now, long tolerance, struct err *err)
{
        struct ocsp_response resp;
        TRY(ocsp_response_parse(&resp, der, der_len, err));
        int status = 0;
        if (resp.status != OCSP_RESPONSE_SUCCESSFUL)
                status = SMT_ERR(err, CRYPTO_EVERIFY, "the responder answered %s (%d), not successful",
                                 http_ocsp_client_response_status_name(resp.status), (int)resp.status);
        struct ocsp_verify_params params = {
                .leaf = leaf,
                .issuer = issuer,
                .now = now,
                .tolerance = tolerance,
                .nonce = request->nonce_len > 0 ? request->nonce : NULL,
                .nonce_len = request->nonce_len,
        };
        if (status == 0)
                status = ocsp_response_verify(&resp, &params, &out->single, err);
        if (status == 0)
                status = http_ocsp_client_signer(out, &resp, issuer, err);
        out->produced_at = resp.produced_at;
        ocsp_response_cleanup(&resp);
        if (status < 0)
                return status;
        uint8_t *copy = malloc(der_len);
        if (copy == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "OCSP response copy of %zu bytes", der_len);
        memcpy(copy, der, der_len);
        free(out->der);
        out->der = copy;
        out->der_len = der_len;
        return 0;
}

void http_ocsp_client_result_cleanup(struct http_ocsp_client_result *out)
{
        free(out->der);
        out->der = NULL;
        out->der_len = 0;
}

const char *http_ocsp_client_reason_name(int reason)
{
        /* RFC 5280 5.3.1 CRLReason; 7 is not used. */
        static const char *const names[] = {
                "unspecified",       "keyCompromise",         "cACompromise", "affiliationChanged",
                "superseded",        "cessationOfOperation",  "certificateHold", "unknown",
                "removeFromCRL",     "privilegeWithdrawn",    "aACompromise",
        };
        if (reason == -1)
                return "none";
        if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])))
                return "unknown";
        return names[reason];
}

const char *http_ocsp_client_status_name(enum ocsp_cert_status status)
{
        switch (status) {
        case OCSP_CERT_GOOD:
                return "good";
        case OCSP_CERT_REVOKED:
                return "revoked";
        case OCSP_CERT_UNKNOWN:
                return "unknown";
        }
        return "unknown";
}
