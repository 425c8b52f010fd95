/* src/gateway/admin.h: the admin listener: GET /metrics (Prometheus text format), GET /healthz, GET
 * /upstreams (JSON: every site's servers, their health and counters), GET /certificates (JSON: the
 * certificates of the sites with `certificates: auto`, gateway/autocert_status.h, and the OCSP staples,
 * gateway/stapling.h). Without a certificates callback GET /certificates answers 404 with the JSON
 * {"error": GW_ADMIN_NO_AUTO_SITES}, which `smtrust gateway status` (gateway/status_client.h) reads as an
 * empty list (a gateway older than stapling, which had no callback without an ACME manager). It runs
 * on the main thread's loop, never on a worker's, so a scrape never delays proxied traffic. It is meant
 * for a loopback or management address: it has no authentication. */
#ifndef SMT_GATEWAY_ADMIN_H
#define SMT_GATEWAY_ADMIN_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"
#include "gateway/metrics.h"
#include "net/loop.h"

struct gw_admin;

/* gw_admin_upstreams_fn appends what the gateway knows of its upstream servers: as Prometheus samples
 * (is_json false, after the counters of metrics.h) or as the JSON document of GET /upstreams. */
typedef int (*gw_admin_upstreams_fn)(void *arg, bool is_json, struct buf_writer *out, struct err *err);

/* gw_admin_certificates_fn appends the certificates of the sites with `certificates: auto` and the OCSP
 * staples: as Prometheus samples (is_json false, after the upstreams') or as the JSON document of GET
 * /certificates (gw_stapling_status_document has this shape). */
typedef int (*gw_admin_certificates_fn)(void *arg, bool is_json, struct buf_writer *out, struct err *err);

/* The "error" of GET /certificates' 404 when certificates is NULL. */
#define GW_ADMIN_NO_AUTO_SITES "no sites with certificates: auto"

/* gw_admin_start listens on listen ("127.0.0.1:9145") on loop; upstreams (may be NULL) adds the
 * per-server health and counters to /metrics and serves GET /upstreams; certificates (may be NULL) adds
 * the certificate samples to /metrics and serves GET /certificates. A callback that fails makes a 500
 * carrying its err message (logged as a warning). */
int gw_admin_start(struct gw_admin **out, struct net_loop *loop, const char *listen, struct gw_metrics *metrics,
                   gw_admin_upstreams_fn upstreams, void *upstreams_arg, gw_admin_certificates_fn certificates,
                   void *certificates_arg, struct err *err) SMT_MUST_USE;

/* gw_admin_set_certificates replaces the certificates callback (NULL: none); call it on the loop's thread,
 * between requests. */
void gw_admin_set_certificates(struct gw_admin *admin, gw_admin_certificates_fn certificates, void *certificates_arg);

/* gw_admin_stop closes the listener and any admin connection. */
void gw_admin_stop(struct gw_admin *admin);

#endif
