/* src/gateway/admin.h: the admin listener: GET /metrics (Prometheus text format), GET /healthz, GET
 * /upstreams (JSON: every site's servers, their health and counters). It runs
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

/* gw_admin_start listens on listen ("127.0.0.1:9145") on loop; upstreams (may be NULL) adds the
 * per-server health and counters to /metrics and serves GET /upstreams. */
int gw_admin_start(struct gw_admin **out, struct net_loop *loop, const char *listen, struct gw_metrics *metrics,
                   gw_admin_upstreams_fn upstreams, void *upstreams_arg, struct err *err) SMT_MUST_USE;

/* gw_admin_stop closes the listener and any admin connection. */
void gw_admin_stop(struct gw_admin *admin);

#endif
