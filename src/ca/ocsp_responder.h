/* src/ca/ocsp_responder.h: the OCSP responder of `smtrust ca` (RFC 6960, RFC 5019 profile), at
 * <public_url>/ocsp/<ca name>, the URL in every certificate's AIA: POST (application/ocsp-request) and GET
 * (<url>/<url-encoded base64 of the request>), on http_listen (and on the HTTPS listener too).
 *
 * Signing: each issuing CA delegates its answers to a responder certificate (ca/delegate.h: id-kp-
 * OCSPSigning, ocsp-nocheck, SM2 for SM2 CAs, revocation.ocsp_responder_validity long, replaced when
 * half of it has passed), so the CA key signs nothing per request.
 *
 * Answers are signed ahead of time (RFC 5019 2.2.1): at start, one answer per certificate of the store
 * that has not expired, for a SHA-1 CertID (what RFC 5019 clients send); answers for other CertID hashes
 * are signed at the first request and kept too. Each is valid for revocation.ocsp_validity and signed anew
 * before half of it has passed. Serving a kept answer costs a table lookup and a copy, no signature.
 *
 * What is signed at request time: a request for several certificates (at most OCSP_MAX_CERT_IDS), and one
 * for a serial the store does not know (answered "unknown" and not kept, so random serials cannot fill
 * memory). Nonces are not echoed in kept answers (RFC 8954 3 and RFC 5019 4 let a responder ignore them:
 * echoing would mean a signature per request); a request for several certificates is signed anyway and
 * echoes its nonce.
 *
 * Status: good, revoked (time and reason, RFC 5280 5.3.1) or unknown, read from the store. A CertID of a
 * CA this process does not serve gets the unsigned "unauthorized" (RFC 6960 2.3), a request that does not
 * parse (or lists too many CertIDs) "malformedRequest". A revocation through this process (CA API, ACME
 * revokeCert; ca/revocation.h) drops the kept answer at once, so the next request reads the store again:
 * the new status is visible well within a second. A revocation by another process on the same PostgreSQL
 * store shows at revocation.crl_interval at the latest (the revoked serials are read again then). */
#ifndef SMT_CA_OCSP_RESPONDER_H
#define SMT_CA_OCSP_RESPONDER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/store.h"
#include "http/server.h"

struct ca_ocsp;

/* ca_ocsp_start makes (or loads) every CA's responder certificate, signs the answers for the store's
 * certificates and starts the thread that keeps them fresh. config, store and authorities must outlive
 * the responder. Errors name the CA. */
int ca_ocsp_start(struct ca_ocsp **out, const struct ca_config *config, struct store *store,
                  const struct ca_authorities *authorities, struct err *err) SMT_MUST_USE;

/* ca_ocsp_stop stops the thread and frees everything (NULL is fine). */
void ca_ocsp_stop(struct ca_ocsp *ocsp);

/* ca_ocsp_answer writes the DER OCSPResponse for a DER OCSPRequest to out (growable), and, for a kept
 * answer, its thisUpdate and nextUpdate (0 otherwise) for caching fields. Only internal failures (out of
 * memory) return an error: every request gets an OCSPResponse, errors included. */
int ca_ocsp_answer(struct ca_ocsp *ocsp, const uint8_t *request, size_t request_len, struct buf_writer *out,
                   int64_t *this_update, int64_t *next_update, struct err *err) SMT_MUST_USE;

/* ca_ocsp_answer_get is ca_ocsp_answer for the RFC 6960 A.1 GET form: path is what follows the
 * responder's URL and '/' (the URL-encoded base64 of the request). */
int ca_ocsp_answer_get(struct ca_ocsp *ocsp, const char *path, size_t path_len, struct buf_writer *out,
                       int64_t *this_update, int64_t *next_update, struct err *err) SMT_MUST_USE;

/* ca_ocsp_handle answers "/ocsp/..." requests: POST with the DER request as body, GET with it in the path
 * (RFC 6960 A.1); application/ocsp-response, and for GET the caching fields of RFC 5019 6.2 (Last-Modified,
 * Expires, ETag, Cache-Control max-age never past nextUpdate). Other methods get 405. */
void ca_ocsp_handle(struct ca_ocsp *ocsp, const struct http_server_request *request,
                    struct http_server_response *response);

/* What the responder says about one certificate now (for the CA API). */
struct ca_ocsp_status {
        int status;          /* enum ocsp_cert_status */
        int64_t revoked_at;  /* revoked only */
        int reason;          /* CRLReason, -1 = none given */
        int64_t this_update; /* UTC seconds */
        int64_t next_update;
        int64_t produced_at;
        char responder[256]; /* subject of the responder certificate that signed it */
};

/* ca_ocsp_status_of asks the responder about the certificate with serial (lowercase hex, as the store
 * keeps it) from the CA named ca_name, exactly as a client with a SHA-1 CertID would, and reads the signed
 * answer back. CA_ENOT_FOUND for a CA this responder does not serve. */
int ca_ocsp_status_of(struct ca_ocsp *ocsp, const char *ca_name, const char *serial, struct ca_ocsp_status *out,
                      struct err *err) SMT_MUST_USE;

/* What ca_ocsp_stats counts since start (for tests and the benchmark). */
struct ca_ocsp_stats {
        uint64_t served_kept;  /* answered from a kept answer */
        uint64_t signed_now;   /* signed at request time */
        uint64_t kept;         /* answers kept now */
};

void ca_ocsp_stats(struct ca_ocsp *ocsp, struct ca_ocsp_stats *out);

#endif
