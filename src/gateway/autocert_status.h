/* src/gateway/autocert_status.h: what the ACME manager (gateway/autocert.h) reports about the certificates
 * of the sites with `certificates: auto`, in the two forms of the admin listener (gateway/admin.h): the JSON
 * document of GET /certificates and Prometheus samples for GET /metrics.
 *
 * JSON: {"time": T, "certificates": [{"site", "kind" ("ecc" | "sm2"), "has_certificate", "algorithm",
 * "issuer", "serial", "not_before", "not_after", "next_renewal", "ordering", "failures", "last_error",
 * "last_error_at"}, ...]}, in the manager's order (config order). Times are RFC 3339 UTC ("2026-11-23T19:20:00Z")
 * or null when unknown (0); T is the gateway's clock when it answered. algorithm, issuer and serial are null
 * when the site has no certificate yet; last_error and last_error_at are null when there was no error since
 * the last success.
 *
 * Prometheus (labels site and kind): smtrust_gateway_certificate_not_after_seconds (only for sites with a
 * certificate), smtrust_gateway_certificate_next_renewal_seconds (when one is scheduled), both unix time,
 * and smtrust_gateway_certificate_renewal_failures (failed orders in a row). */
#ifndef SMT_GATEWAY_AUTOCERT_STATUS_H
#define SMT_GATEWAY_AUTOCERT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "gateway/autocert.h"

/* gw_autocert_status_format appends list[0..num) to out as JSON (is_json) or Prometheus text, now being the
 * document's "time". SMT_ENOSPACE when out is full (out may then hold part of it), SMT_ENOMEM. */
int gw_autocert_status_format(const struct gw_autocert_status *list, size_t num, bool is_json, time_t now,
                              struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* gw_autocert_status_write appends autocert's current state (gw_autocert_status_list) to out in the form
 * of gw_autocert_status_format, the time being now; it has the shape of gw_admin_certificates_fn but for
 * arg's type. */
int gw_autocert_status_write(struct gw_autocert *autocert, bool is_json, struct buf_writer *out,
                             struct err *err) SMT_MUST_USE;

#endif
