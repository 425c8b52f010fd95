/* src/gateway/metrics.h: the gateway's counters and their Prometheus text exposition (format 0.0.4).
 *
 * Each worker thread updates only its own struct gw_worker_metrics (relaxed atomic adds, no lock, no
 * shared cache line); the admin listener sums the workers when scraped. Per-site request counters are
 * kept by site index in each worker, sized for the sites of the running configuration; a reload that
 * changes the site list starts them from zero (Prometheus handles counter resets). */
#ifndef SMT_GATEWAY_METRICS_H
#define SMT_GATEWAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

enum gw_metrics_protocol {
        GW_METRICS_TLCP = 0,
        GW_METRICS_TLS12 = 1,
        GW_METRICS_TLS13 = 2,
        GW_METRICS_HTTP = 3, /* plain HTTP listener (and redirect) */
        GW_METRICS_PROTOCOLS = 4,
};

struct gw_metrics;
struct gw_worker_metrics;

/* gw_metrics_new makes counters for num_workers workers. */
int gw_metrics_new(struct gw_metrics **out, int num_workers, struct err *err) SMT_MUST_USE;
void gw_metrics_free(struct gw_metrics *metrics);
struct gw_worker_metrics *gw_metrics_worker(struct gw_metrics *metrics, int worker);

/* gw_metrics_set_sites gives the site names (borrowed until the next call) of the configuration now
 * serving; per-site counters restart at zero when the list changes. Call from the main thread while
 * workers may count (counts for a site index beyond the list are dropped). */
int gw_metrics_set_sites(struct gw_metrics *metrics, const char *const *names, size_t num, struct err *err) SMT_MUST_USE;

void gw_metrics_connection_opened(struct gw_worker_metrics *w);
void gw_metrics_connection_closed(struct gw_worker_metrics *w);
void gw_metrics_handshake_done(struct gw_worker_metrics *w, enum gw_metrics_protocol protocol, bool is_resumed);
void gw_metrics_handshake_failed(struct gw_worker_metrics *w);
/* gw_metrics_request_done counts a finished request: site index (SIZE_MAX: none), status, bytes both
 * ways, and its duration into the latency histogram. */
void gw_metrics_request_done(struct gw_worker_metrics *w, enum gw_metrics_protocol protocol, size_t site, int status,
                             uint64_t bytes_in, uint64_t bytes_out, int64_t duration_us);
void gw_metrics_origin_error(struct gw_worker_metrics *w, bool is_timeout);
void gw_metrics_origin_connection(struct gw_worker_metrics *w, bool is_reused);

/* gw_metrics_set_gauge_reloads counts successful and refused reloads (main thread only). */
void gw_metrics_reload(struct gw_metrics *metrics, bool is_ok);

/* gw_metrics_render appends the exposition of every counter (smtrust_gateway_* names with HELP and TYPE
 * lines) to out. */
int gw_metrics_render(struct gw_metrics *metrics, struct buf_writer *out, struct err *err) SMT_MUST_USE;

#endif
