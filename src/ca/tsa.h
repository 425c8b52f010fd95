/* src/ca/tsa.h: the time-stamping authority of `smtrust ca` (RFC 3161), over HTTP (RFC 3161 3.4) on both
 * listeners: POST application/timestamp-query to /tsa, /tsa/sm2 or /tsa/ecc, application/timestamp-reply back.
 *
 * Two TSAs at most, one per algorithm family, each certified by an issuing CA of ca.yaml's tsa section
 * (ca/delegate.h: EKU timeStamping alone and critical, keyUsage digitalSignature + nonRepudiation, the CA's
 * key algorithm). /tsa picks by the imprint's hash: SM3 goes to the SM2 TSA, SHA-2 to the ECC one, when both
 * exist; otherwise the one there is signs everything. SM2 tokens are GB/T 35275 SignedData (crypto/tsp.h),
 * ECC tokens come from OpenSSL's TS_RESP_CTX.
 *
 * - Certificates: checked at start, renewed when less than a third of tsa.certificate_validity is left; then
 *   checked again each minute while serving (by the first request after the minute, while the others keep
 *   signing with the current one), so a CA that runs for years renews without a restart. A restart keeps the
 *   certificate (it is a file under state_dir/tsa/).
 * - genTime: the system clock to the microsecond, and always after the previous token's genTime in this
 *   process, even when the clock steps back (a compare-and-swap on the last one; no lock).
 * - serialNumber: 16 random octets (127 bits, positive). Random rather than time + counter because several CA
 *   processes may share one store and one TSA certificate (PostgreSQL set-up): they cannot collide without
 *   coordination, and a serial reveals nothing about the TSA's load.
 * - Refusals get HTTP 200 with a rejection TimeStampResp (RFC 3161 2.4.2): malformed or truncated badDataFormat,
 *   another version or an oversized nonce badRequest, a hash other than SM3/SHA-256/384/512 badAlg, another
 *   policy unacceptedPolicy, any extension unacceptedExtension, a signing failure systemFailure. HTTP errors are
 *   for HTTP problems: 404 (no such TSA), 405 (not POST), 415 (another Content-Type).
 * - Thread-safe and lock-free on the request path: the HTTP server calls ca_tsa_handle from all its threads. */
#ifndef SMT_CA_TSA_H
#define SMT_CA_TSA_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "http/server.h"

struct ca_tsa;

/* Which TSA answers. */
enum ca_tsa_family {
        CA_TSA_AUTO = 0, /* by the imprint's hash */
        CA_TSA_SM2 = 1,
        CA_TSA_ECC = 2,
};

/* ca_tsa_start ensures the TSA certificates of config->tsa (ca_delegate_ensure) and makes the service; with
 * tsa.enabled false, or no CA named for either family, *out is NULL (every /tsa request then gets 404). config
 * and authorities must outlive it. Errors name the CA. */
int ca_tsa_start(struct ca_tsa **out, const struct ca_config *config, const struct ca_authorities *authorities,
                 struct err *err) SMT_MUST_USE;

/* ca_tsa_stop frees everything (NULL is fine); no request may be running. */
void ca_tsa_stop(struct ca_tsa *tsa);

/* ca_tsa_has says whether family's TSA exists (CA_TSA_AUTO: either). */
bool ca_tsa_has(const struct ca_tsa *tsa, enum ca_tsa_family family);

/* ca_tsa_answer appends the DER TimeStampResp for a DER TimeStampReq to out: a token, or a rejection naming the
 * failure. Only internal failures (out of memory) return an error; family's TSA must exist (ca_tsa_has). */
int ca_tsa_answer(struct ca_tsa *tsa, enum ca_tsa_family family, const uint8_t *request, size_t request_len,
                  struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* ca_tsa_handle answers "/tsa" and "/tsa/..." (see the top of this file); tsa may be NULL. */
void ca_tsa_handle(struct ca_tsa *tsa, const struct http_server_request *request,
                   struct http_server_response *response);

#endif
