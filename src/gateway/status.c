/* src/gateway/status.c: the upstream servers' state as Prometheus samples and as JSON. */
#include "gateway/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *gw_status_health_name(enum gw_balancer_health health)
{
        switch (health) {
        case GW_BALANCER_UP: return "up";
        case GW_BALANCER_SLOW_START: return "slow_start";
        case GW_BALANCER_DOWN_FAILURES: return "down_failures";
        case GW_BALANCER_DOWN_CHECKS: return "down_checks";
        }
        return "unknown";
}

/* gw_status_label writes s as a Prometheus label value: backslash, quote and newline escaped. */
static int gw_status_label(struct buf_writer *out, const char *s)
{
        for (; *s != '\0'; s++) {
                const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
                TRY(esc != NULL ? buf_write_bytes(out, (const uint8_t *)esc, 2) : buf_write_u8(out, (uint8_t)*s));
        }
        return SMT_OK;
}

static int gw_status_text(struct buf_writer *out, const char *text)
{
        return buf_write_bytes(out, (const uint8_t *)text, strlen(text));
}

static const char *const gw_status_families[][3] = {
        { "smtrust_gateway_upstream_up", "gauge", "1 when the server takes requests (up or in slow start)." },
        { "smtrust_gateway_upstream_active", "gauge", "Requests in flight to the server." },
        { "smtrust_gateway_upstream_requests_total", "counter", "Requests the balancer sent to the server." },
        { "smtrust_gateway_upstream_failures_total", "counter", "Requests that failed at the server (connect, reset, timeout)." },
        { "smtrust_gateway_upstream_latency_seconds", "gauge", "Moving average of the server's response time (-1: no sample)." },
};

static double gw_status_value(size_t family, const struct gw_balancer_state *st)
{
        switch (family) {
        case 0: return st->health == GW_BALANCER_UP || st->health == GW_BALANCER_SLOW_START;
        case 1: return (double)st->active;
        case 2: return (double)st->picks;
        case 3: return (double)st->failures;
        default: return st->latency_us < 0 ? -1.0 : (double)st->latency_us / 1e6;
        }
}

static int gw_status_prometheus(const struct gw_runtime *rt, int64_t now_ms, struct buf_writer *out, struct err *err)
{
        for (size_t f = 0; f < sizeof gw_status_families / sizeof gw_status_families[0]; f++) {
                char line[512];
                snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", gw_status_families[f][0],
                         gw_status_families[f][2], gw_status_families[f][0], gw_status_families[f][1]);
                TRY(gw_status_text(out, line));
                for (size_t i = 0; i < gw_sites_count(rt->sites); i++) {
                        const struct gw_runtime_origin *ro = &rt->origins[i];
                        for (size_t j = 0; j < ro->num_servers; j++) {
                                struct gw_balancer_state st;
                                TRY(gw_balancer_get_state(ro->balancer, j, now_ms, &st, err));
                                TRY(gw_status_text(out, gw_status_families[f][0]));
                                TRY(gw_status_text(out, "{site=\""));
                                TRY(gw_status_label(out, gw_sites_get(rt->sites, i)->name));
                                TRY(gw_status_text(out, "\",server=\""));
                                TRY(gw_status_label(out, ro->servers[j].name));
                                snprintf(line, sizeof line, "\"} %.6g\n", gw_status_value(f, &st));
                                TRY(gw_status_text(out, line));
                        }
                }
        }
        return SMT_OK;
}

static json_t *gw_status_server_json(const struct gw_runtime_server *server, const struct gw_balancer_state *st,
                                     int64_t now_ms)
{
        return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:I}", "server", server->name, "health",
                         gw_status_health_name(st->health), "active", (json_int_t)st->active, "requests",
                         (json_int_t)st->picks, "failures", (json_int_t)st->failures, "consecutive_failures",
                         (json_int_t)st->consecutive_failures, "latency_us", (json_int_t)st->latency_us,
                         "effective_weight", st->effective_weight, "down_for_ms",
                         (json_int_t)(st->down_until_ms > now_ms ? st->down_until_ms - now_ms : 0));
}

static int gw_status_json(const struct gw_runtime *rt, int64_t now_ms, struct buf_writer *out, struct err *err)
{
        json_t *sites = json_array();
        int status = sites != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "out of memory");
        for (size_t i = 0; status == SMT_OK && i < gw_sites_count(rt->sites); i++) {
                const struct gw_runtime_origin *ro = &rt->origins[i];
                json_t *servers = json_array();
                for (size_t j = 0; servers != NULL && status == SMT_OK && j < ro->num_servers; j++) {
                        struct gw_balancer_state st;
                        status = gw_balancer_get_state(ro->balancer, j, now_ms, &st, err);
                        if (status == SMT_OK)
                                json_array_append_new(servers, gw_status_server_json(&ro->servers[j], &st, now_ms));
                }
                json_array_append_new(sites, json_pack("{s:s, s:o*}", "site", gw_sites_get(rt->sites, i)->name,
                                                       "servers", servers));
        }
        char *text = status == SMT_OK ? json_dumps(sites, JSON_INDENT(2)) : NULL;
        json_decref(sites);
        if (status == SMT_OK && text == NULL)
                status = SMT_ERR(err, SMT_ENOMEM, "out of memory");
        if (status == SMT_OK)
                status = buf_write_bytes(out, (const uint8_t *)text, strlen(text));
        if (status == SMT_OK)
                status = buf_write_u8(out, '\n');
        free(text);
        return status;
}

int gw_status_upstreams(const struct gw_runtime *rt, int64_t now_ms, bool is_json, struct buf_writer *out,
                        struct err *err)
{
        return is_json ? gw_status_json(rt, now_ms, out, err) : gw_status_prometheus(rt, now_ms, out, err);
}
