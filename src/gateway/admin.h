/* src/gateway/admin.h: the admin listener: GET /metrics (Prometheus text format), GET /healthz. It runs
 * on the main thread's loop, never on a worker's, so a scrape never delays proxied traffic. It is meant
 * for a loopback or management address: it has no authentication. */
#ifndef SMT_GATEWAY_ADMIN_H
#define SMT_GATEWAY_ADMIN_H

#include "base/err.h"
#include "gateway/metrics.h"
#include "net/loop.h"

struct gw_admin;

/* gw_admin_start listens on listen ("127.0.0.1:9145") on loop. */
int gw_admin_start(struct gw_admin **out, struct net_loop *loop, const char *listen, struct gw_metrics *metrics,
                   struct err *err) SMT_MUST_USE;

/* gw_admin_stop closes the listener and any admin connection. */
void gw_admin_stop(struct gw_admin *admin);

#endif
