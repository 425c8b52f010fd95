/* src/gateway/stapling.h: OCSP stapling (RFC 6066 8, RFC 6961 not used) for the sites' TLS certificates.
 *
 * - Every ECC/RSA leaf of a site with `ocsp_stapling: true` (the default) whose certificate names an OCSP URL
 *   (AIA, RFC 5280 4.2.2.1) and whose issuer is in the configured chain gets an entry, keyed by the SHA-256
 *   of the leaf. A background thread (never a worker's event loop) fetches its response with
 *   http/ocsp_client.h and keeps it only when it verified against that issuer (signed by it or by a
 *   responder it certified) for that certificate.
 * - Refresh: at half of [thisUpdate, nextUpdate] (as RFC 5019 6 suggests caches do before nextUpdate), never
 *   later than refresh_max after a fetch; a failed fetch is retried after a jittered exponential back-off
 *   (1 s doubling, up to refresh_max), and the response kept meanwhile stays in use while it is valid.
 * - Entries outlive runtimes: a rebuild (SIGHUP, new ACME certificate) that serves the same certificate finds
 *   its entry and fetches nothing. Entries no runtime attached since the last published one stop refreshing
 *   and are dropped once their response has expired. Nothing is kept across restarts.
 * - At the handshake the staple is sent only if now is within [thisUpdate - tolerance, nextUpdate] (a
 *   response without nextUpdate: within the tolerance of thisUpdate): never a stale or unverified one; else
 *   no staple at all.
 * - A "revoked" answer is stapled like any verified answer (as nginx does: the responder's signed word is
 *   the truth, and a client that checks it must refuse the certificate rather than be told nothing) and
 *   logged as an error, so operators see it; when the certificate is an `auto` site's, the ACME manager
 *   (gw_stapling_set_autocert) renews it at once, and the new one replaces it without a restart.
 * - Thread safety: every function may be called from any thread; the handshake hook takes a mutex for a
 *   lookup and a copy. */
#ifndef SMT_GATEWAY_STAPLING_H
#define SMT_GATEWAY_STAPLING_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"

struct gw_autocert;
struct gw_sites;
struct gw_stapling;

#define GW_STAPLING_REFRESH_MAX_DEFAULT (3600LL * 1000) /* ms */

/* gw_stapling_new makes the cache and starts its fetch thread; free with gw_stapling_free. */
int gw_stapling_new(struct gw_stapling **out, struct err *err) SMT_MUST_USE;

/* gw_stapling_free stops the thread (a fetch under way is cancelled) and frees everything (NULL is fine).
 * No handshake may use it any more: stop the workers first. */
void gw_stapling_free(struct gw_stapling *stapling);

/* gw_stapling_set_autocert gives the ACME manager revoked certificates are reported to (NULL: none from now
 * on; set NULL before stopping the manager). */
void gw_stapling_set_autocert(struct gw_stapling *stapling, struct gw_autocert *autocert);

/* gw_stapling_begin starts attaching a new runtime's sites; the mark it returns goes to gw_stapling_attach and,
 * once that runtime serves, to gw_stapling_commit. */
uint64_t gw_stapling_begin(struct gw_stapling *stapling);

/* gw_stapling_attach tracks the TLS leaves of every site of sites with ocsp_stapling on and installs the
 * staple hook on their prepared TLS contexts; refresh_max_ms bounds the time between fetches. A leaf without
 * an OCSP URL or without its issuer in the chain is not tracked (logged at info). SMT_ENOMEM. */
int gw_stapling_attach(struct gw_stapling *stapling, const struct gw_sites *sites, uint64_t mark,
                       int64_t refresh_max_ms, struct err *err) SMT_MUST_USE;

/* gw_stapling_commit says the runtime attached under mark now serves: entries not attached since stop being
 * refreshed. */
void gw_stapling_commit(struct gw_stapling *stapling, uint64_t mark);

/* gw_stapling_status_document appends the JSON document of the admin GET /certificates: the ACME manager's
 * (gateway/autocert_status.h; autocert may be NULL: {"time", "certificates": []}) with a "stapling" array:
 * [{"site", "kind" ("ecc" | "rsa"), "sha256" (of the leaf), "url", "active" (refreshed), "stapled" (a verified,
 * current response is sent now), "status" ("good" | "revoked" | "unknown" | null), "this_update",
 * "next_update", "next_fetch", "failures", "last_error", "last_error_at"}], times RFC 3339 or null.
 * SMT_ENOMEM, SMT_ENOSPACE when out is full. */
int gw_stapling_status_document(struct gw_stapling *stapling, struct gw_autocert *autocert, struct buf_writer *out,
                                struct err *err) SMT_MUST_USE;

/* gw_stapling_status_metrics appends Prometheus samples (labels site, kind):
 * smtrust_gateway_ocsp_staple_valid (1 when a valid response would be stapled now, else 0) and
 * smtrust_gateway_ocsp_staple_next_update_seconds (unix time; entries with a response). */
int gw_stapling_status_metrics(struct gw_stapling *stapling, struct buf_writer *out, struct err *err) SMT_MUST_USE;

#endif
