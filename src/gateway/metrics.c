/* src/gateway/metrics.c: per-worker counters, per-site counters, and their Prometheus text exposition.
 *
 * A worker's counters sit in their own cache-line-aligned allocation, so counting never bounces a line
 * between cores; the adds are relaxed (a scrape needs no ordering between counters). The per-site
 * counters of one site list form a generation: its names (copied) and one count array per worker. A
 * new list publishes a new generation; a worker announces the generation it is about to count into in
 * its hazard slot, and a retired generation is freed only once no slot names it, so a reload never frees
 * an array a worker is adding to, and memory stays bounded however often the sites change. */
#include "gateway/metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_CACHE_LINE  64
#define METRICS_WORKERS_MAX 4096
#define METRICS_CLASSES     5  /* 1xx .. 5xx */
#define METRICS_BUCKETS     12 /* 11 bounds and +Inf */

/* One site list and each worker's counts for it, indexed [site * METRICS_CLASSES + class]. */
struct metrics_generation {
        size_t num_sites;
        char **names;
        struct metrics_generation *next_retired;
        _Atomic uint64_t *counts[]; /* one per worker, each cache-line aligned; NULL when num_sites is 0 */
};

struct gw_worker_metrics {
        _Alignas(METRICS_CACHE_LINE) struct gw_metrics *metrics;
        int index;
        _Atomic(struct metrics_generation *) hazard;
        _Atomic uint64_t connections_opened;
        _Atomic uint64_t connections_closed;
        _Atomic uint64_t handshakes[GW_METRICS_PROTOCOLS][2]; /* [protocol][is_resumed] */
        _Atomic uint64_t handshake_failures;
        _Atomic uint64_t requests[GW_METRICS_PROTOCOLS][METRICS_CLASSES];
        _Atomic uint64_t duration_buckets[METRICS_BUCKETS]; /* per bucket, not cumulative */
        _Atomic uint64_t duration_sum_us;
        _Atomic uint64_t received_bytes;
        _Atomic uint64_t sent_bytes;
        _Atomic uint64_t origin_errors[2];      /* [is_timeout] */
        _Atomic uint64_t origin_connections[2]; /* [is_reused] */
};

struct gw_metrics {
        int num_workers;
        struct gw_worker_metrics **workers;
        _Atomic(struct metrics_generation *) sites;
        struct metrics_generation *retired;
        /* Serialises set_sites and render: render reads the current generation's names and counts. */
        pthread_mutex_t lock;
        _Atomic uint64_t reloads[2]; /* [is_ok] */
};

/* Upper bounds of the latency buckets in microseconds; the last bucket (+Inf) has none. */
static const int64_t metrics_bucket_bounds_us[METRICS_BUCKETS - 1] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

static void *metrics_aligned_zalloc(size_t size)
{
        size_t rounded = (size + METRICS_CACHE_LINE - 1) / METRICS_CACHE_LINE * METRICS_CACHE_LINE;
        void *p = aligned_alloc(METRICS_CACHE_LINE, rounded);
        if (p != NULL)
                memset(p, 0, rounded);
        return p;
}

static void generation_free(struct metrics_generation *gen, int num_workers)
{
        if (gen == NULL)
                return;
        for (int w = 0; w < num_workers; w++)
                free(gen->counts[w]);
        for (size_t i = 0; gen->names != NULL && i < gen->num_sites; i++)
                free(gen->names[i]);
        free(gen->names);
        free(gen);
}

static struct metrics_generation *generation_new(const char *const *names, size_t num, int num_workers)
{
        struct metrics_generation *gen = calloc(1, sizeof *gen + (size_t)num_workers * sizeof gen->counts[0]);
        if (gen == NULL)
                return NULL;
        gen->num_sites = num;
        gen->names = calloc(num == 0 ? 1 : num, sizeof gen->names[0]);
        bool is_ok = gen->names != NULL;
        for (size_t i = 0; is_ok && i < num; i++) {
                gen->names[i] = strdup(names[i] != NULL ? names[i] : "");
                is_ok = gen->names[i] != NULL;
        }
        if (num > 0 && num > SIZE_MAX / METRICS_CLASSES / sizeof(uint64_t))
                is_ok = false;
        for (int w = 0; is_ok && w < num_workers && num > 0; w++) {
                gen->counts[w] = metrics_aligned_zalloc(num * METRICS_CLASSES * sizeof(uint64_t));
                is_ok = gen->counts[w] != NULL;
        }
        if (!is_ok) {
                generation_free(gen, num_workers);
                return NULL;
        }
        return gen;
}

void gw_metrics_free(struct gw_metrics *metrics)
{
        if (metrics == NULL)
                return;
        for (int w = 0; metrics->workers != NULL && w < metrics->num_workers; w++)
                free(metrics->workers[w]);
        free(metrics->workers);
        generation_free(atomic_load(&metrics->sites), metrics->num_workers);
        while (metrics->retired != NULL) {
                struct metrics_generation *next = metrics->retired->next_retired;
                generation_free(metrics->retired, metrics->num_workers);
                metrics->retired = next;
        }
        pthread_mutex_destroy(&metrics->lock);
        free(metrics);
}

int gw_metrics_new(struct gw_metrics **out, int num_workers, struct err *err)
{
        *out = NULL;
        if (num_workers < 1 || num_workers > METRICS_WORKERS_MAX)
                return SMT_ERR(err, SMT_EINVAL, "metrics: %d workers, expected 1..%d", num_workers,
                               METRICS_WORKERS_MAX);
        struct gw_metrics *metrics = calloc(1, sizeof *metrics);
        if (metrics == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "metrics: out of memory");
        pthread_mutex_init(&metrics->lock, NULL);
        metrics->num_workers = num_workers;
        metrics->workers = calloc((size_t)num_workers, sizeof metrics->workers[0]);
        bool is_ok = metrics->workers != NULL;
        for (int w = 0; is_ok && w < num_workers; w++) {
                metrics->workers[w] = metrics_aligned_zalloc(sizeof *metrics->workers[w]);
                is_ok = metrics->workers[w] != NULL;
                if (is_ok) {
                        metrics->workers[w]->metrics = metrics;
                        metrics->workers[w]->index = w;
                }
        }
        struct metrics_generation *empty = is_ok ? generation_new(NULL, 0, num_workers) : NULL;
        if (empty == NULL) {
                gw_metrics_free(metrics);
                return SMT_ERR(err, SMT_ENOMEM, "metrics: out of memory for %d workers", num_workers);
        }
        atomic_init(&metrics->sites, empty);
        *out = metrics;
        return SMT_OK;
}

struct gw_worker_metrics *gw_metrics_worker(struct gw_metrics *metrics, int worker)
{
        if (worker < 0 || worker >= metrics->num_workers)
                return NULL;
        return metrics->workers[worker];
}

static bool generation_has_names(const struct metrics_generation *gen, const char *const *names, size_t num)
{
        if (gen->num_sites != num)
                return false;
        for (size_t i = 0; i < num; i++)
                if (strcmp(gen->names[i], names[i] != NULL ? names[i] : "") != 0)
                        return false;
        return true;
}

/* reclaim frees the retired generations no worker's hazard slot names (called with the lock held). */
static void reclaim(struct gw_metrics *metrics)
{
        struct metrics_generation **link = &metrics->retired;
        while (*link != NULL) {
                struct metrics_generation *gen = *link;
                bool is_in_use = false;
                for (int w = 0; w < metrics->num_workers && !is_in_use; w++)
                        is_in_use = atomic_load(&metrics->workers[w]->hazard) == gen;
                if (is_in_use) {
                        link = &gen->next_retired;
                        continue;
                }
                *link = gen->next_retired;
                generation_free(gen, metrics->num_workers);
        }
}

int gw_metrics_set_sites(struct gw_metrics *metrics, const char *const *names, size_t num, struct err *err)
{
        pthread_mutex_lock(&metrics->lock);
        struct metrics_generation *current = atomic_load(&metrics->sites);
        if (generation_has_names(current, names, num)) {
                /* Same list (a reload that did not touch the sites): keep counting, no counter reset. */
                pthread_mutex_unlock(&metrics->lock);
                return SMT_OK;
        }
        struct metrics_generation *gen = generation_new(names, num, metrics->num_workers);
        if (gen == NULL) {
                pthread_mutex_unlock(&metrics->lock);
                return SMT_ERR(err, SMT_ENOMEM, "metrics: out of memory for %zu sites", num);
        }
        /* Sequentially consistent store, then the hazard scan: a worker that loaded the old generation
         * either shows it in its slot now or will see the new pointer when it re-checks. */
        atomic_store(&metrics->sites, gen);
        current->next_retired = metrics->retired;
        metrics->retired = current;
        reclaim(metrics);
        pthread_mutex_unlock(&metrics->lock);
        return SMT_OK;
}

void gw_metrics_connection_opened(struct gw_worker_metrics *w)
{
        atomic_fetch_add_explicit(&w->connections_opened, 1, memory_order_relaxed);
}

void gw_metrics_connection_closed(struct gw_worker_metrics *w)
{
        atomic_fetch_add_explicit(&w->connections_closed, 1, memory_order_relaxed);
}

void gw_metrics_handshake_done(struct gw_worker_metrics *w, enum gw_metrics_protocol protocol, bool is_resumed)
{
        if ((unsigned)protocol >= GW_METRICS_PROTOCOLS)
                return;
        atomic_fetch_add_explicit(&w->handshakes[protocol][is_resumed ? 1 : 0], 1, memory_order_relaxed);
}

void gw_metrics_handshake_failed(struct gw_worker_metrics *w)
{
        atomic_fetch_add_explicit(&w->handshake_failures, 1, memory_order_relaxed);
}

/* count_site adds one to the site's class in the current generation, guarded by the worker's hazard slot. */
static void count_site(struct gw_worker_metrics *w, size_t site, int status_class)
{
        struct gw_metrics *metrics = w->metrics;
        struct metrics_generation *gen = atomic_load_explicit(&metrics->sites, memory_order_acquire);
        for (;;) {
                atomic_store(&w->hazard, gen);
                struct metrics_generation *again = atomic_load(&metrics->sites);
                if (again == gen)
                        break;
                gen = again;
        }
        if (site < gen->num_sites)
                atomic_fetch_add_explicit(&gen->counts[w->index][site * METRICS_CLASSES + (size_t)status_class], 1,
                                          memory_order_relaxed);
        atomic_store_explicit(&w->hazard, NULL, memory_order_release);
}

static int bucket_of(int64_t duration_us)
{
        int bucket = 0;
        while (bucket < METRICS_BUCKETS - 1 && duration_us > metrics_bucket_bounds_us[bucket])
                bucket++;
        return bucket;
}

void gw_metrics_request_done(struct gw_worker_metrics *w, enum gw_metrics_protocol protocol, size_t site, int status,
                             uint64_t bytes_in, uint64_t bytes_out, int64_t duration_us)
{
        if (duration_us < 0)
                duration_us = 0;
        atomic_fetch_add_explicit(&w->duration_buckets[bucket_of(duration_us)], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->duration_sum_us, (uint64_t)duration_us, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->received_bytes, bytes_in, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->sent_bytes, bytes_out, memory_order_relaxed);
        /* A status outside 1xx..5xx (none sent) has no class: it is timed but not counted by code. */
        if (status < 100 || status > 599 || (unsigned)protocol >= GW_METRICS_PROTOCOLS)
                return;
        int status_class = status / 100 - 1;
        atomic_fetch_add_explicit(&w->requests[protocol][status_class], 1, memory_order_relaxed);
        if (site != SIZE_MAX)
                count_site(w, site, status_class);
}

void gw_metrics_origin_error(struct gw_worker_metrics *w, bool is_timeout)
{
        atomic_fetch_add_explicit(&w->origin_errors[is_timeout ? 1 : 0], 1, memory_order_relaxed);
}

void gw_metrics_origin_connection(struct gw_worker_metrics *w, bool is_reused)
{
        atomic_fetch_add_explicit(&w->origin_connections[is_reused ? 1 : 0], 1, memory_order_relaxed);
}

void gw_metrics_reload(struct gw_metrics *metrics, bool is_ok)
{
        atomic_fetch_add_explicit(&metrics->reloads[is_ok ? 1 : 0], 1, memory_order_relaxed);
}

/* The sums a scrape reports, read counter by counter (relaxed: each is exact, the set is not a snapshot). */
struct metrics_totals {
        uint64_t connections_total;
        uint64_t connections_active;
        uint64_t handshakes[GW_METRICS_PROTOCOLS][2];
        uint64_t handshake_failures;
        uint64_t requests[GW_METRICS_PROTOCOLS][METRICS_CLASSES];
        uint64_t duration_buckets[METRICS_BUCKETS];
        uint64_t duration_sum_us;
        uint64_t received_bytes;
        uint64_t sent_bytes;
        uint64_t origin_errors[2];
        uint64_t origin_connections[2];
        uint64_t reloads[2];
};

static uint64_t load(_Atomic uint64_t *counter)
{
        return atomic_load_explicit(counter, memory_order_relaxed);
}

/* add_worker adds one worker's counters to the totals. */
static void add_worker(struct metrics_totals *t, struct gw_worker_metrics *w)
{
        /* Closed before opened: a connection counted closed was counted opened before it, so active >= 0. */
        uint64_t closed = load(&w->connections_closed);
        uint64_t opened = load(&w->connections_opened);
        t->connections_total += opened;
        t->connections_active += opened >= closed ? opened - closed : 0;
        for (int p = 0; p < GW_METRICS_PROTOCOLS; p++) {
                for (int r = 0; r < 2; r++)
                        t->handshakes[p][r] += load(&w->handshakes[p][r]);
                for (int c = 0; c < METRICS_CLASSES; c++)
                        t->requests[p][c] += load(&w->requests[p][c]);
        }
        t->handshake_failures += load(&w->handshake_failures);
        for (int b = 0; b < METRICS_BUCKETS; b++)
                t->duration_buckets[b] += load(&w->duration_buckets[b]);
        t->duration_sum_us += load(&w->duration_sum_us);
        t->received_bytes += load(&w->received_bytes);
        t->sent_bytes += load(&w->sent_bytes);
        for (int i = 0; i < 2; i++) {
                t->origin_errors[i] += load(&w->origin_errors[i]);
                t->origin_connections[i] += load(&w->origin_connections[i]);
        }
}

static const char *const metrics_protocol_labels[GW_METRICS_PROTOCOLS] = {
    [GW_METRICS_TLCP] = "tlcp",
    [GW_METRICS_TLS12] = "tls1.2",
    [GW_METRICS_TLS13] = "tls1.3",
    [GW_METRICS_HTTP] = "http",
};
static const char *const metrics_class_labels[METRICS_CLASSES] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
static const char *const metrics_bucket_labels[METRICS_BUCKETS] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
};
static const char *const metrics_false_true[2] = {"false", "true"};

/* render_family writes the HELP and TYPE lines that must precede a metric's samples. */
static int render_family(struct buf_writer *out, const char *name, const char *type, const char *help)
{
        return buf_write_printf(out, "# HELP smtrust_gateway_%s %s\n# TYPE smtrust_gateway_%s %s\n", name, help, name,
                             type);
}

static int render_counter(struct buf_writer *out, const char *name, const char *help, uint64_t value)
{
        TRY(render_family(out, name, "counter", help));
        return buf_write_printf(out, "smtrust_gateway_%s %" PRIu64 "\n", name, value);
}

/* render_pair writes a counter with one two-valued label: the [0] sample is value_labels[0]. */
static int render_pair(struct buf_writer *out, const char *name, const char *help, const char *label,
                       const char *const value_labels[2], const uint64_t values[2])
{
        TRY(render_family(out, name, "counter", help));
        for (int i = 0; i < 2; i++)
                TRY(buf_write_printf(out, "smtrust_gateway_%s{%s=\"%s\"} %" PRIu64 "\n", name, label, value_labels[i],
                                  values[i]));
        return SMT_OK;
}

static int render_connections(struct buf_writer *out, const struct metrics_totals *t)
{
        TRY(render_counter(out, "connections_total", "Client connections accepted.", t->connections_total));
        TRY(render_family(out, "connections_active", "gauge", "Client connections open now."));
        TRY(buf_write_printf(out, "smtrust_gateway_connections_active %" PRIu64 "\n", t->connections_active));
        TRY(render_family(out, "handshakes_total", "counter", "Completed client handshakes by protocol."));
        for (int p = 0; p < GW_METRICS_PROTOCOLS; p++)
                for (int r = 0; r < 2; r++)
                        TRY(buf_write_printf(
                            out, "smtrust_gateway_handshakes_total{protocol=\"%s\",resumed=\"%s\"} %" PRIu64 "\n",
                            metrics_protocol_labels[p], metrics_false_true[r], t->handshakes[p][r]));
        return render_counter(out, "handshake_failures_total", "Client handshakes that failed.", t->handshake_failures);
}

/* render_histogram writes the latency histogram; _count is the +Inf bucket, so the two always agree. */
static int render_histogram(struct buf_writer *out, const struct metrics_totals *t)
{
        TRY(render_family(out, "request_duration_seconds", "histogram",
                          "Time from a complete request head to the last response byte queued."));
        uint64_t cumulative = 0;
        for (int b = 0; b < METRICS_BUCKETS; b++) {
                cumulative += t->duration_buckets[b];
                TRY(buf_write_printf(out, "smtrust_gateway_request_duration_seconds_bucket{le=\"%s\"} %" PRIu64 "\n",
                                  metrics_bucket_labels[b], cumulative));
        }
        TRY(buf_write_printf(out, "smtrust_gateway_request_duration_seconds_sum %" PRIu64 ".%06" PRIu64 "\n",
                          t->duration_sum_us / 1000000, t->duration_sum_us % 1000000));
        return buf_write_printf(out, "smtrust_gateway_request_duration_seconds_count %" PRIu64 "\n", cumulative);
}

static int render_requests(struct buf_writer *out, const struct metrics_totals *t)
{
        TRY(render_family(out, "requests_total", "counter", "Requests answered, by protocol and status class."));
        for (int p = 0; p < GW_METRICS_PROTOCOLS; p++)
                for (int c = 0; c < METRICS_CLASSES; c++)
                        TRY(buf_write_printf(out,
                                          "smtrust_gateway_requests_total{protocol=\"%s\",code=\"%s\"} %" PRIu64 "\n",
                                          metrics_protocol_labels[p], metrics_class_labels[c], t->requests[p][c]));
        TRY(render_histogram(out, t));
        TRY(render_counter(out, "received_bytes_total", "Request body bytes received from clients.",
                           t->received_bytes));
        return render_counter(out, "sent_bytes_total", "Response body bytes sent to clients.", t->sent_bytes);
}

static int render_origins(struct buf_writer *out, const struct metrics_totals *t)
{
        static const char *const error_kinds[2] = {"error", "timeout"};
        static const char *const reload_results[2] = {"refused", "ok"};
        TRY(render_pair(out, "origin_errors_total", "Requests the origin failed, by kind.", "kind", error_kinds,
                        t->origin_errors));
        TRY(render_pair(out, "origin_connections_total", "Origin connections used, new or reused from the pool.",
                        "reused", metrics_false_true, t->origin_connections));
        return render_pair(out, "reloads_total", "Configuration reloads, applied or refused.", "result", reload_results,
                           t->reloads);
}

/* render_label_value writes value escaped as the text format requires: backslash, double quote, newline. */
static int render_label_value(struct buf_writer *out, const char *value)
{
        struct buf_reader in = buf_reader_make((const uint8_t *)value, strlen(value));
        while (!buf_reader_is_empty(&in)) {
                size_t run = 0;
                while (run < in.len && in.data[run] != '\\' && in.data[run] != '"' && in.data[run] != '\n')
                        run++;
                if (run > 0) {
                        struct buf_reader plain;
                        TRY(buf_read_slice(&in, &plain, run));
                        TRY(buf_write_bytes(out, plain.data, plain.len));
                        continue;
                }
                uint8_t c;
                TRY(buf_read_u8(&in, &c));
                TRY(buf_write_printf(out, "%s", c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\"));
        }
        return SMT_OK;
}

/* site_count sums one site's class over the workers of gen. */
static uint64_t site_count(const struct gw_metrics *metrics, struct metrics_generation *gen, size_t site,
                           int status_class)
{
        uint64_t sum = 0;
        for (int w = 0; w < metrics->num_workers; w++)
                sum += load(&gen->counts[w][site * METRICS_CLASSES + (size_t)status_class]);
        return sum;
}

static int render_sites(struct gw_metrics *metrics, struct buf_writer *out)
{
        struct metrics_generation *gen = atomic_load(&metrics->sites);
        if (gen->num_sites == 0)
                return SMT_OK; /* a metric without samples would only be noise */
        TRY(render_family(out, "site_requests_total", "counter",
                          "Requests answered per site of the running configuration, by status class."));
        for (size_t s = 0; s < gen->num_sites; s++) {
                for (int c = 0; c < METRICS_CLASSES; c++) {
                        TRY(buf_write_printf(out, "smtrust_gateway_site_requests_total{site=\""));
                        TRY(render_label_value(out, gen->names[s]));
                        TRY(buf_write_printf(out, "\",code=\"%s\"} %" PRIu64 "\n", metrics_class_labels[c],
                                          site_count(metrics, gen, s, c)));
                }
        }
        return SMT_OK;
}

int gw_metrics_render(struct gw_metrics *metrics, struct buf_writer *out, struct err *err)
{
        size_t start = out->len;
        struct metrics_totals totals = {0};
        pthread_mutex_lock(&metrics->lock);
        for (int w = 0; w < metrics->num_workers; w++)
                add_worker(&totals, metrics->workers[w]);
        totals.reloads[0] = load(&metrics->reloads[0]);
        totals.reloads[1] = load(&metrics->reloads[1]);
        int status = render_connections(out, &totals);
        if (status == 0)
                status = render_requests(out, &totals);
        if (status == 0)
                status = render_origins(out, &totals);
        if (status == 0)
                status = render_sites(metrics, out);
        pthread_mutex_unlock(&metrics->lock);
        if (status < 0) {
                buf_writer_truncate(out, start);
                return SMT_ERR(err, status, "metrics: the exposition does not fit in %zu bytes", out->max_len - start);
        }
        return SMT_OK;
}
