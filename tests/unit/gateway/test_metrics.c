/* tests/unit/gateway/test_metrics.c: gateway/metrics — every exposition is checked line by line against the
 * Prometheus text format 0.0.4 grammar (HELP and TYPE once per metric and before its samples, samples of a
 * metric together, name{label="value",...} value, label values escaped), then read back: counts of two
 * workers summed, histogram buckets cumulative with _count equal to the requests, site labels escaped and
 * decoded back to the names, per-site counts restarted by a new site list (and kept by the same list),
 * and workers counting while the main thread swaps site lists and scrapes (ASan: no use after free). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gateway/metrics.h"

#define SAMPLES_MAX  4096
#define FAMILIES_MAX 64
#define TEXT_MAX     256

/* A sample read back: its name, its labels decoded ("k=v,k=v" in the order written) and its value. */
struct sample {
        char name[TEXT_MAX];
        char labels[TEXT_MAX];
        double value;
};

struct family {
        char name[TEXT_MAX];
        char type[16];
        bool has_help;
        bool has_samples;
};

struct exposition {
        struct sample samples[SAMPLES_MAX];
        size_t num_samples;
        struct family families[FAMILIES_MAX];
        size_t num_families;
};

static bool is_name_char(char c, bool is_first, bool is_metric)
{
        bool is_alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (is_metric && c == ':');
        return is_alpha || (!is_first && c >= '0' && c <= '9');
}

/* read_name consumes a metric or label name at *p into out; fails the test when there is none. */
static void read_name(const char **p, char out[TEXT_MAX], bool is_metric)
{
        size_t n = 0;
        while (is_name_char(**p, n == 0, is_metric) && n + 1 < TEXT_MAX)
                out[n++] = *(*p)++;
        out[n] = '\0';
        CHECK(n > 0);
}

/* read_label_value consumes "..." at *p, decoding the only escapes the format has: \\, \" and \n. */
static void read_label_value(const char **p, char *out, size_t cap)
{
        CHECK(**p == '"');
        (*p)++;
        size_t n = 0;
        while (**p != '"') {
                char c = *(*p)++;
                CHECK(c != '\0' && c != '\n' && n + 1 < cap);
                if (c == '\\') {
                        char e = *(*p)++;
                        CHECK(e == '\\' || e == '"' || e == 'n');
                        c = e == 'n' ? '\n' : e;
                }
                out[n++] = c;
        }
        (*p)++;
        out[n] = '\0';
}

static void read_labels(const char **p, char labels[TEXT_MAX])
{
        labels[0] = '\0';
        if (**p != '{')
                return;
        (*p)++;
        while (**p != '}') {
                char name[TEXT_MAX], value[TEXT_MAX];
                read_name(p, name, false);
                CHECK(**p == '=');
                (*p)++;
                read_label_value(p, value, sizeof value);
                size_t used = strlen(labels);
                snprintf(labels + used, TEXT_MAX - used, "%s%s=%s", used > 0 ? "," : "", name, value);
                CHECK(**p == ',' || **p == '}');
                if (**p == ',')
                        (*p)++;
        }
        (*p)++;
}

static struct family *find_family(struct exposition *x, const char *name)
{
        for (size_t i = 0; i < x->num_families; i++)
                if (strcmp(x->families[i].name, name) == 0)
                        return &x->families[i];
        return NULL;
}

/* family_of_sample names the metric a sample belongs to: itself, or a histogram's name for its series. */
static struct family *family_of_sample(struct exposition *x, const char *name)
{
        struct family *f = find_family(x, name);
        if (f != NULL)
                return f;
        static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
        for (size_t i = 0; i < 3; i++) {
                size_t len = strlen(name), suffix_len = strlen(suffixes[i]);
                if (len <= suffix_len || strcmp(name + len - suffix_len, suffixes[i]) != 0)
                        continue;
                char base[TEXT_MAX];
                snprintf(base, sizeof base, "%.*s", (int)(len - suffix_len), name);
                f = find_family(x, base);
                if (f != NULL && strcmp(f->type, "histogram") == 0)
                        return f;
        }
        return NULL;
}

/* parse_comment handles "# HELP name text" and "# TYPE name type"; each once, HELP first, before samples. */
static void parse_comment(struct exposition *x, const char *line)
{
        bool is_help = strncmp(line, "# HELP ", 7) == 0;
        CHECK(is_help || strncmp(line, "# TYPE ", 7) == 0);
        const char *p = line + 7;
        char name[TEXT_MAX];
        read_name(&p, name, true);
        CHECK(*p == ' ' && p[1] != '\0');
        struct family *f = find_family(x, name);
        if (is_help) {
                CHECK(f == NULL && x->num_families < FAMILIES_MAX);
                f = &x->families[x->num_families++];
                snprintf(f->name, sizeof f->name, "%s", name);
                f->has_help = true;
                return;
        }
        CHECK(f != NULL && f->type[0] == '\0' && !f->has_samples);
        CHECK(strcmp(p + 1, "counter") == 0 || strcmp(p + 1, "gauge") == 0 || strcmp(p + 1, "histogram") == 0);
        snprintf(f->type, sizeof f->type, "%s", p + 1);
}

static void parse_sample(struct exposition *x, const char *line)
{
        CHECK(x->num_samples < SAMPLES_MAX);
        struct sample *s = &x->samples[x->num_samples++];
        const char *p = line;
        read_name(&p, s->name, true);
        read_labels(&p, s->labels);
        CHECK(*p == ' ');
        char *end;
        s->value = strtod(p + 1, &end);
        CHECK(end != p + 1 && *end == '\0' && s->value >= 0 && s->value < 1e300);
        struct family *f = family_of_sample(x, s->name);
        CHECK(f != NULL && f->has_help && f->type[0] != '\0');
        /* A metric's samples are one group: the last family declared is the only one that may add samples. */
        CHECK(f == &x->families[x->num_families - 1]);
        f->has_samples = true;
        if (strcmp(f->type, "histogram") == 0 && strstr(s->name, "_bucket") != NULL)
                CHECK(strncmp(s->labels, "le=", 3) == 0);
}

/* parse_exposition checks text line by line and keeps its samples in x. */
static void parse_exposition(struct exposition *x, const uint8_t *text, size_t len)
{
        memset(x, 0, sizeof *x);
        CHECK(len > 0 && text[len - 1] == '\n');
        char *copy = strndup((const char *)text, len);
        CHECK(copy != NULL && strlen(copy) == len);
        for (char *line = copy, *next; *line != '\0'; line = next) {
                char *newline = strchr(line, '\n');
                *newline = '\0';
                next = newline + 1;
                CHECK(line[0] != '\0');
                if (line[0] == '#')
                        parse_comment(x, line);
                else
                        parse_sample(x, line);
        }
        free(copy);
        for (size_t i = 0; i < x->num_families; i++)
                CHECK(x->families[i].type[0] != '\0' && x->families[i].has_samples);
}

static void render(struct gw_metrics *metrics, struct exposition *x)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, 1 << 24);
        CHECK_OK(gw_metrics_render(metrics, &w, &err), &err);
        parse_exposition(x, w.data, w.len);
        buf_writer_cleanup(&w);
}

/* value_of returns the sample name{labels} (labels decoded, as "k=v,k=v"); fails the test when missing. */
static double value_of(const struct exposition *x, const char *name, const char *labels)
{
        for (size_t i = 0; i < x->num_samples; i++)
                if (strcmp(x->samples[i].name, name) == 0 && strcmp(x->samples[i].labels, labels) == 0)
                        return x->samples[i].value;
        check_fail(__FILE__, __LINE__, "no sample %s{%s}", name, labels);
}

static struct gw_metrics *metrics_new(int num_workers)
{
        struct gw_metrics *metrics;
        struct err err = {0};
        CHECK_OK(gw_metrics_new(&metrics, num_workers, &err), &err);
        return metrics;
}

static struct exposition exposition; /* large: static, one test at a time */

static void test_two_workers_summed(void)
{
        struct gw_metrics *metrics = metrics_new(2);
        struct gw_worker_metrics *a = gw_metrics_worker(metrics, 0), *b = gw_metrics_worker(metrics, 1);
        CHECK(a != NULL && b != NULL && a != b && gw_metrics_worker(metrics, 2) == NULL);
        for (int i = 0; i < 3; i++)
                gw_metrics_connection_opened(a);
        gw_metrics_connection_closed(a);
        gw_metrics_connection_opened(b);
        gw_metrics_connection_opened(b);
        gw_metrics_handshake_done(a, GW_METRICS_TLCP, true);
        gw_metrics_handshake_done(b, GW_METRICS_TLCP, true);
        gw_metrics_handshake_done(b, GW_METRICS_TLS13, false);
        gw_metrics_handshake_failed(a);
        gw_metrics_handshake_failed(b);
        gw_metrics_request_done(a, GW_METRICS_TLCP, SIZE_MAX, 200, 10, 1000, 1000);
        gw_metrics_request_done(b, GW_METRICS_TLCP, SIZE_MAX, 204, 20, 2000, 1000);
        gw_metrics_request_done(b, GW_METRICS_HTTP, SIZE_MAX, 301, 0, 50, 1000);
        gw_metrics_origin_error(a, true);
        gw_metrics_origin_error(b, false);
        gw_metrics_origin_error(b, false);
        gw_metrics_origin_connection(a, false);
        gw_metrics_origin_connection(b, true);
        gw_metrics_origin_connection(b, true);
        gw_metrics_reload(metrics, true);
        gw_metrics_reload(metrics, false);
        gw_metrics_reload(metrics, true);

        render(metrics, &exposition);
        struct exposition *x = &exposition;
        CHECK_EQ(value_of(x, "smtrust_gateway_connections_total", ""), 5);
        CHECK_EQ(value_of(x, "smtrust_gateway_connections_active", ""), 4);
        CHECK_STR(find_family(x, "smtrust_gateway_connections_active")->type, "gauge");
        CHECK_EQ(value_of(x, "smtrust_gateway_handshakes_total", "protocol=tlcp,resumed=true"), 2);
        CHECK_EQ(value_of(x, "smtrust_gateway_handshakes_total", "protocol=tlcp,resumed=false"), 0);
        CHECK_EQ(value_of(x, "smtrust_gateway_handshakes_total", "protocol=tls1.3,resumed=false"), 1);
        CHECK_EQ(value_of(x, "smtrust_gateway_handshakes_total", "protocol=tls1.2,resumed=true"), 0);
        CHECK_EQ(value_of(x, "smtrust_gateway_handshake_failures_total", ""), 2);
        CHECK_EQ(value_of(x, "smtrust_gateway_requests_total", "protocol=tlcp,code=2xx"), 2);
        CHECK_EQ(value_of(x, "smtrust_gateway_requests_total", "protocol=http,code=3xx"), 1);
        CHECK_EQ(value_of(x, "smtrust_gateway_requests_total", "protocol=http,code=2xx"), 0);
        CHECK_EQ(value_of(x, "smtrust_gateway_received_bytes_total", ""), 30);
        CHECK_EQ(value_of(x, "smtrust_gateway_sent_bytes_total", ""), 3050);
        CHECK_EQ(value_of(x, "smtrust_gateway_origin_errors_total", "kind=timeout"), 1);
        CHECK_EQ(value_of(x, "smtrust_gateway_origin_errors_total", "kind=error"), 2);
        CHECK_EQ(value_of(x, "smtrust_gateway_origin_connections_total", "reused=true"), 2);
        CHECK_EQ(value_of(x, "smtrust_gateway_origin_connections_total", "reused=false"), 1);
        CHECK_EQ(value_of(x, "smtrust_gateway_reloads_total", "result=ok"), 2);
        CHECK_EQ(value_of(x, "smtrust_gateway_reloads_total", "result=refused"), 1);
        gw_metrics_free(metrics);

        struct err err = {0};
        CHECK_STATUS(gw_metrics_new(&metrics, 0, &err), SMT_EINVAL);
}

static void test_histogram_cumulative(void)
{
        static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        static const char *const le[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"};
        /* Both sides of several bounds (a bound belongs to its own bucket), zero, negative, past the last. */
        static const int64_t durations_us[] = {0,      -7,     4999,    5000,    5001,     10000,    99999,
                                               100001, 750000, 1000000, 9999999, 10000000, 10000001, 60000000};
        const size_t num = sizeof durations_us / sizeof durations_us[0];
        struct gw_metrics *metrics = metrics_new(2);
        double sum = 0;
        for (size_t i = 0; i < num; i++) {
                gw_metrics_request_done(gw_metrics_worker(metrics, (int)(i % 2)), GW_METRICS_TLS12, SIZE_MAX,
                                        i % 3 == 0 ? 500 : 200, 0, 0, durations_us[i]);
                sum += durations_us[i] > 0 ? (double)durations_us[i] / 1e6 : 0;
        }
        render(metrics, &exposition);
        struct exposition *x = &exposition;
        CHECK_STR(find_family(x, "smtrust_gateway_request_duration_seconds")->type, "histogram");
        double previous = 0;
        for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
                char labels[32];
                snprintf(labels, sizeof labels, "le=%s", le[b]);
                double expected = 0;
                for (size_t i = 0; i < num; i++)
                        expected += (durations_us[i] < 0 ? 0 : (double)durations_us[i] / 1e6) <= bounds[b];
                double got = value_of(x, "smtrust_gateway_request_duration_seconds_bucket", labels);
                CHECK_EQ(got, expected);
                CHECK(got >= previous);
                previous = got;
        }
        double count = value_of(x, "smtrust_gateway_request_duration_seconds_count", "");
        CHECK_EQ(value_of(x, "smtrust_gateway_request_duration_seconds_bucket", "le=+Inf"), count);
        CHECK_EQ(count, num);
        double requests = 0;
        for (size_t i = 0; i < x->num_samples; i++)
                if (strcmp(x->samples[i].name, "smtrust_gateway_requests_total") == 0)
                        requests += x->samples[i].value;
        CHECK_EQ(requests, count);
        CHECK_EQ(value_of(x, "smtrust_gateway_requests_total", "protocol=tls1.2,code=5xx"), (num + 2) / 3);
        double sum_error = value_of(x, "smtrust_gateway_request_duration_seconds_sum", "") - sum;
        CHECK(sum_error < 1e-6 && sum_error > -1e-6);

        /* A request that got no status is timed but has no status class. */
        gw_metrics_request_done(gw_metrics_worker(metrics, 0), GW_METRICS_TLS12, SIZE_MAX, 0, 0, 0, 1);
        render(metrics, &exposition);
        CHECK_EQ(value_of(x, "smtrust_gateway_request_duration_seconds_count", ""), num + 1);
        CHECK_EQ(value_of(x, "smtrust_gateway_requests_total", "protocol=tls1.2,code=5xx"), (num + 2) / 3);
        gw_metrics_free(metrics);
}

static void test_site_labels_escaped(void)
{
        static const char *const names[] = {"plain.example", "quote\"d", "back\\slash", "new\nline", ""};
        const size_t num = sizeof names / sizeof names[0];
        struct gw_metrics *metrics = metrics_new(2);
        struct err err = {0};
        CHECK_OK(gw_metrics_set_sites(metrics, names, num, &err), &err);
        for (size_t s = 0; s < num; s++)
                for (size_t i = 0; i <= s; i++)
                        gw_metrics_request_done(gw_metrics_worker(metrics, (int)(i % 2)), GW_METRICS_TLCP, s, 404, 0, 0,
                                                0);
        struct buf_writer w;
        buf_writer_init_heap(&w, 1 << 20);
        CHECK_OK(gw_metrics_render(metrics, &w, &err), &err);
        CHECK(memmem(w.data, w.len, "site=\"quote\\\"d\"", 15) != NULL);
        CHECK(memmem(w.data, w.len, "site=\"back\\\\slash\"", 18) != NULL);
        CHECK(memmem(w.data, w.len, "site=\"new\\nline\"", 16) != NULL);
        parse_exposition(&exposition, w.data, w.len);
        buf_writer_cleanup(&w);
        for (size_t s = 0; s < num; s++) {
                char labels[TEXT_MAX];
                snprintf(labels, sizeof labels, "site=%s,code=4xx", names[s]);
                CHECK_EQ(value_of(&exposition, "smtrust_gateway_site_requests_total", labels), s + 1);
                snprintf(labels, sizeof labels, "site=%s,code=2xx", names[s]);
                CHECK_EQ(value_of(&exposition, "smtrust_gateway_site_requests_total", labels), 0);
        }
        gw_metrics_free(metrics);
}

static double site_count(struct gw_metrics *metrics, const char *site, const char *code)
{
        char labels[TEXT_MAX];
        snprintf(labels, sizeof labels, "site=%s,code=%s", site, code);
        render(metrics, &exposition);
        return value_of(&exposition, "smtrust_gateway_site_requests_total", labels);
}

static void test_set_sites_restarts_counts(void)
{
        static const char *const two[] = {"a.example", "b.example"};
        static const char *const three[] = {"a.example", "b.example", "c.example"};
        struct gw_metrics *metrics = metrics_new(1);
        struct gw_worker_metrics *w = gw_metrics_worker(metrics, 0);
        struct err err = {0};
        CHECK_OK(gw_metrics_set_sites(metrics, two, 2, &err), &err);
        for (int i = 0; i < 3; i++)
                gw_metrics_request_done(w, GW_METRICS_TLS13, 0, 200, 0, 0, 0);
        gw_metrics_request_done(w, GW_METRICS_TLS13, 1, 503, 0, 0, 0);
        gw_metrics_request_done(w, GW_METRICS_TLS13, 2, 200, 0, 0, 0); /* beyond the list: dropped */
        CHECK_EQ(site_count(metrics, "a.example", "2xx"), 3);
        CHECK_EQ(site_count(metrics, "b.example", "5xx"), 1);

        /* The same list again (a reload that kept the sites; the caller's array may differ): no restart. */
        const char *copy[] = {"a.example", "b.example"};
        CHECK_OK(gw_metrics_set_sites(metrics, copy, 2, &err), &err);
        CHECK_EQ(site_count(metrics, "a.example", "2xx"), 3);

        CHECK_OK(gw_metrics_set_sites(metrics, three, 3, &err), &err);
        CHECK_EQ(site_count(metrics, "a.example", "2xx"), 0);
        CHECK_EQ(site_count(metrics, "b.example", "5xx"), 0);
        gw_metrics_request_done(w, GW_METRICS_TLS13, 2, 200, 0, 0, 0);
        CHECK_EQ(site_count(metrics, "c.example", "2xx"), 1);
        /* The protocol counters are not per site: a site list change leaves them alone. */
        CHECK_EQ(value_of(&exposition, "smtrust_gateway_requests_total", "protocol=tls1.3,code=2xx"), 5);

        CHECK_OK(gw_metrics_set_sites(metrics, NULL, 0, &err), &err);
        render(metrics, &exposition);
        for (size_t i = 0; i < exposition.num_samples; i++)
                CHECK(strcmp(exposition.samples[i].name, "smtrust_gateway_site_requests_total") != 0);
        gw_metrics_free(metrics);
}

#define COUNTING_THREADS    2
#define REQUESTS_PER_THREAD 200000

struct counter_arg {
        struct gw_worker_metrics *worker;
        _Atomic int *num_done;
};

static void *counter_run(void *p)
{
        struct counter_arg *arg = p;
        for (int i = 0; i < REQUESTS_PER_THREAD; i++)
                gw_metrics_request_done(arg->worker, GW_METRICS_TLCP, (size_t)(i % 4), 200, 1, 1, i % 20000);
        atomic_fetch_add(arg->num_done, 1);
        return NULL;
}

/* Workers count into per-site arrays while the main thread replaces them and scrapes. */
static void test_reload_while_counting(void)
{
        static const char *const lists[2][4] = {{"w", "x", "y", "z"}, {"w", "x", "y"}};
        struct gw_metrics *metrics = metrics_new(COUNTING_THREADS);
        pthread_t threads[COUNTING_THREADS];
        struct counter_arg args[COUNTING_THREADS];
        _Atomic int num_done = 0;
        for (int t = 0; t < COUNTING_THREADS; t++) {
                args[t] = (struct counter_arg){gw_metrics_worker(metrics, t), &num_done};
                CHECK(pthread_create(&threads[t], NULL, counter_run, &args[t]) == 0);
        }
        struct err err = {0};
        int swaps = 0;
        while (atomic_load(&num_done) < COUNTING_THREADS) {
                CHECK_OK(gw_metrics_set_sites(metrics, lists[swaps % 2], swaps % 2 == 0 ? 4 : 3, &err), &err);
                if (swaps++ % 100 == 0)
                        render(metrics, &exposition);
        }
        for (int t = 0; t < COUNTING_THREADS; t++)
                pthread_join(threads[t], NULL);
        render(metrics, &exposition);
        CHECK_EQ(value_of(&exposition, "smtrust_gateway_requests_total", "protocol=tlcp,code=2xx"),
                 COUNTING_THREADS * REQUESTS_PER_THREAD);
        CHECK_EQ(value_of(&exposition, "smtrust_gateway_request_duration_seconds_count", ""),
                 COUNTING_THREADS * REQUESTS_PER_THREAD);
        CHECK(swaps > 10);
        /* Counting after the last swap lands in the list now served. */
        gw_metrics_request_done(gw_metrics_worker(metrics, 0), GW_METRICS_TLCP, 2, 200, 0, 0, 0);
        double before = site_count(metrics, "y", "2xx");
        gw_metrics_request_done(gw_metrics_worker(metrics, 1), GW_METRICS_TLCP, 2, 200, 0, 0, 0);
        CHECK_EQ(site_count(metrics, "y", "2xx"), before + 1);
        gw_metrics_free(metrics);
}

static void test_render_does_not_fit(void)
{
        struct gw_metrics *metrics = metrics_new(1);
        uint8_t mem[300];
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, mem, sizeof mem);
        CHECK_OK(buf_write_bytes(&w, (const uint8_t *)"kept", 4), &err);
        CHECK_STATUS(gw_metrics_render(metrics, &w, &err), SMT_ENOSPACE);
        CHECK_EQ(w.len, 4);
        gw_metrics_free(metrics);
}

CHECK_MAIN(CHECK_TEST(test_two_workers_summed), CHECK_TEST(test_histogram_cumulative),
           CHECK_TEST(test_site_labels_escaped), CHECK_TEST(test_set_sites_restarts_counts),
           CHECK_TEST(test_reload_while_counting), CHECK_TEST(test_render_does_not_fit))
