/* src/http/ocsp_client.h: an OCSP client (RFC 6960 with the RFC 5019 profile) over HTTP: asks a responder
 * about one certificate and returns the verified answer and its exact DER (what a TLS server staples,
 * RFC 6066 8). Used by `smtrust ocsp status` and the gateway's stapling.
 *
 * - The request names the certificate with a SHA-1 CertID (RFC 5019 2.1.1: what responders of that profile
 *   must understand), optionally with an RFC 8954 nonce; a nonce sent must come back (responders that
 *   pre-sign, RFC 5019 2.2.1, ignore nonces, so the default is none).
 * - Transport (RFC 6960 A.1, RFC 5019 5): GET when the URL with the URL-encoded base64 request is under
 *   HTTP_OCSP_CLIENT_GET_MAX bytes (then caches may answer), else POST application/ocsp-request. The reply
 *   must be 200 with Content-Type application/ocsp-response and at most HTTP_OCSP_CLIENT_RESPONSE_MAX bytes;
 *   redirects are not followed; every transfer has a time limit and can be cancelled.
 * - The reply is parsed and verified by crypto/ocsp.h against the issuer (signed by the issuer or a
 *   delegated responder it certified, times within tolerance, the nonce): a reply that fails any check is
 *   an error, never a result. Errors name the URL and what failed: the HTTP status, the content type, the
 *   responder's status (unauthorized, tryLater, ...), the verification. */
#ifndef SMT_HTTP_OCSP_CLIENT_H
#define SMT_HTTP_OCSP_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/ocsp.h"

#define HTTP_OCSP_CLIENT_GET_MAX      255          /* RFC 5019 5: GET below 255 bytes of URL */
#define HTTP_OCSP_CLIENT_RESPONSE_MAX (64 * 1024)   /* a response for one certificate is a few KB */
#define HTTP_OCSP_CLIENT_TIMEOUT_MS   10000
#define HTTP_OCSP_CLIENT_TOLERANCE    300          /* seconds of clock skew on thisUpdate/nextUpdate */
#define HTTP_OCSP_CLIENT_URL_MAX      2048

enum http_ocsp_client_method {
        HTTP_OCSP_CLIENT_AUTO = 0, /* GET when short enough (RFC 5019 5), else POST */
        HTTP_OCSP_CLIENT_GET = 1,  /* SMT_EINVAL when the URL would not fit HTTP_OCSP_CLIENT_URL_MAX */
        HTTP_OCSP_CLIENT_POST = 2,
};

struct http_ocsp_client_options {
        const char *url;                    /* NULL = the leaf's AIA OCSP URL */
        bool use_nonce;                     /* send an RFC 8954 nonce and require it back */
        enum http_ocsp_client_method method;
        long timeout_ms;                    /* 0 = HTTP_OCSP_CLIENT_TIMEOUT_MS, for the whole transfer */
        const atomic_bool *cancel;          /* NULL, or set to abort a transfer under way (SMT_EIO) */
        time_t now;                         /* 0 = the current time */
        long tolerance;                     /* 0 = HTTP_OCSP_CLIENT_TOLERANCE */
        const char *ca_file;                /* NULL = the system's roots, for https:// responders */
};

/* One request, ready to send. */
struct http_ocsp_client_request {
        struct ocsp_cert_id cert_id;
        uint8_t nonce[OCSP_NONCE_MAX];
        size_t nonce_len; /* 0 = no nonce */
        uint8_t der[512]; /* one SHA-1 CertID and a nonce fit in about 200 bytes */
        size_t der_len;
};

/* A verified answer. */
struct http_ocsp_client_result {
        struct ocsp_single single;    /* the SingleResponse for the leaf */
        time_t produced_at;
        bool is_delegated;            /* signed by a responder certificate, not by the issuer itself */
        char responder[CERT_NAME_TEXT_MAX]; /* the delegated responder's subject; "" when the issuer signed */
        char url[HTTP_OCSP_CLIENT_URL_MAX]; /* the URL asked (the GET URL with the request in it, or the POST one) */
        bool was_get;
        uint8_t *der;                 /* the whole OCSPResponse, owned: http_ocsp_client_result_cleanup */
        size_t der_len;
};

/* http_ocsp_client_request_make builds the request for leaf issued by issuer (SHA-1 CertID, a fresh nonce
 * when use_nonce). CRYPTO_ECERT when the serial is too long for a CertID. */
int http_ocsp_client_request_make(struct http_ocsp_client_request *out, const struct cert *leaf,
                                  const struct cert *issuer, bool use_nonce, struct err *err) SMT_MUST_USE;

/* http_ocsp_client_get_url writes the GET form of request under base (RFC 6960 A.1: base, '/' unless base
 * ends with one, then the URL-encoded standard base64 of the DER) to out, NUL-terminated; SMT_ENOSPACE when it
 * needs out_cap bytes or more. */
int http_ocsp_client_get_url(char *out, size_t out_cap, const char *base, const struct http_ocsp_client_request *request,
                             struct err *err) SMT_MUST_USE;

/* http_ocsp_client_response_check parses der (borrowed; copied into out->der on success) and verifies it as
 * the answer to request about leaf from issuer at now (0 = current time) with tolerance seconds of skew.
 * Fails with CRYPTO_EVERIFY naming the responder status when it is not successful, else as
 * ocsp_response_verify; SMT_EDECODE when malformed. out->url is left as it was. */
int http_ocsp_client_response_check(struct http_ocsp_client_result *out, const struct http_ocsp_client_request *request,
                                    const uint8_t *der, size_t der_len, const struct cert *leaf,
                                    const struct cert *issuer, time_t now, long tolerance,
                                    struct err *err) SMT_MUST_USE;

/* http_ocsp_client_status asks the responder (options->url, else the leaf's AIA OCSP URL) about leaf and
 * fills *out with the verified answer; release with http_ocsp_client_result_cleanup (also after a failure).
 * CRYPTO_ECERT when there is no URL to ask, SMT_EIO for transport failures, timeouts, cancellation, an HTTP
 * status other than 200, a wrong content type or an over-long body; then as http_ocsp_client_response_check. */
int http_ocsp_client_status(struct http_ocsp_client_result *out, const struct cert *leaf, const struct cert *issuer,
                            const struct http_ocsp_client_options *options, struct err *err) SMT_MUST_USE;

/* http_ocsp_client_result_cleanup frees out->der (a zeroed result is fine). */
void http_ocsp_client_result_cleanup(struct http_ocsp_client_result *out);

/* http_ocsp_client_fetch_issuer downloads the certificate at url (an AIA caIssuers URL: DER, RFC 5280
 * 4.2.2.1, or PEM, the first certificate) into *out (free with cert_free). SMT_EIO as http_ocsp_client_status
 * (any content type is taken), CRYPTO_ECERT when the body is no certificate. */
int http_ocsp_client_fetch_issuer(struct cert **out, const char *url, const struct http_ocsp_client_options *options,
                                  struct err *err) SMT_MUST_USE;

/* http_ocsp_client_reason_name gives the RFC 5280 5.3.1 name of a CRLReason code ("keyCompromise"), "none"
 * for -1 and "unknown" for values the RFC does not define. */
const char *http_ocsp_client_reason_name(int reason);

/* http_ocsp_client_status_name gives "good", "revoked" or "unknown". */
const char *http_ocsp_client_status_name(enum ocsp_cert_status status);

#endif
