/* src/gateway/status.h: what the gateway reports about its upstream servers: every site's servers with
 * their health (up, slow start, down by failures or by checks), active requests, requests and failures
 * counted by the balancer, and latency. Two forms: Prometheus samples for /metrics and a JSON document for
 * the admin API's GET /upstreams. */
#ifndef SMT_GATEWAY_STATUS_H
#define SMT_GATEWAY_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "gateway/runtime.h"

/* gw_status_upstreams appends rt's upstream state at now_ms (monotonic) to out: JSON when is_json, else
 * Prometheus text (smtrust_gateway_upstream_* with HELP and TYPE). SMT_ENOSPACE when out is full. */
int gw_status_upstreams(const struct gw_runtime *rt, int64_t now_ms, bool is_json, struct buf_writer *out,
                        struct err *err) SMT_MUST_USE;

#endif
