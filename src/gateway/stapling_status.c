/* src/gateway/stapling_status.c: what the stapling cache reports on the admin listener: the "stapling" array
 * of GET /certificates and Prometheus samples for GET /metrics (gateway/stapling.h). */
#include "gateway/stapling_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/autocert_status.h"
#include "http/ocsp_client.h"

/* RFC 3339 UTC, or JSON null for 0. */
static json_t *gw_stapling_status_time(time_t t)
{
        struct tm tm;
        char text[32];
        if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return json_null();
        return json_string(text);
}

static json_t *gw_stapling_status_entry(const struct gw_stapling_entry *e, time_t now)
{
        char hex[2 * CERT_SHA256_LEN + 1];
        for (size_t i = 0; i < CERT_SHA256_LEN; i++)
                snprintf(hex + 2 * i, 3, "%02x", e->id[i]);
        bool has = e->der != NULL, has_error = e->last_error[0] != '\0';
        char error[GW_STAPLING_ERROR_MAX];
        /* an error may quote bytes from the network: plain ASCII keeps the document valid UTF-8 */
        for (size_t i = 0; i < sizeof error; i++)
                error[i] = e->last_error[i] == '\0' ? '\0' : e->last_error[i] >= 0x20 && e->last_error[i] < 0x7f ? e->last_error[i] : '?';
        error[sizeof error - 1] = '\0';
        /* clang-format off */
        return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:I, s:o, s:o}",
                         "site", e->site,
                         "kind", e->kind != NULL ? e->kind : "ecc",
                         "sha256", hex,
                         "url", e->url,
                         "active", e->is_active,
                         "stapled", gw_stapling_entry_is_valid(e, now),
                         "status", has ? json_string(http_ocsp_client_status_name(e->single.status)) : json_null(),
                         "this_update", gw_stapling_status_time(has ? e->single.this_update : 0),
                         "next_update", gw_stapling_status_time(has ? e->single.next_update : 0),
                         "next_fetch", gw_stapling_status_time(e->is_active ? (time_t)(e->next_fetch_ms / 1000) : 0),
                         "failures", (json_int_t)e->failures,
                         "last_error", has_error ? json_string(error) : json_null(),
                         "last_error_at", gw_stapling_status_time(has_error ? e->last_error_at : 0));
        /* clang-format on */
}

static json_t *gw_stapling_status_list(struct gw_stapling *s)
{
        json_t *list = json_array();
        time_t now = time(NULL);
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; list != NULL && i < s->num_entries; i++) {
                json_t *entry = gw_stapling_status_entry(s->entries[i], now);
                if (entry == NULL || json_array_append_new(list, entry) < 0) {
                        json_decref(list);
                        list = NULL;
                }
        }
        pthread_mutex_unlock(&s->lock);
        return list;
}

/* gw_stapling_status_base is the document stapling adds to: the ACME manager's, or an empty one. */
static json_t *gw_stapling_status_base(struct gw_autocert *autocert, struct err *err)
{
        if (autocert == NULL)
                return json_pack("{s:o, s:[]}", "time", gw_stapling_status_time(time(NULL)), "certificates");
        struct buf_writer text;
        buf_writer_init_heap(&text, 16 << 20);
        json_t *doc = NULL;
        if (gw_autocert_status_write(autocert, true, &text, err) == 0)
                doc = json_loadb((const char *)text.data, text.len, 0, NULL);
        buf_writer_cleanup(&text);
        return doc;
}

int gw_stapling_status_document(struct gw_stapling *s, struct gw_autocert *autocert, struct buf_writer *out,
                                struct err *err)
{
        json_t *doc = gw_stapling_status_base(autocert, err);
        json_t *list = gw_stapling_status_list(s);
        char *text = NULL;
        if (doc != NULL && list != NULL && json_object_set_new(doc, "stapling", list) == 0) {
                list = NULL;
                text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        }
        json_decref(list);
        json_decref(doc);
        if (text == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "certificates: out of memory building the JSON document");
        int status = buf_write_bytes(out, (const uint8_t *)text, strlen(text));
        if (status == 0)
                status = buf_write_u8(out, '\n');
        free(text);
        return status < 0 ? SMT_ERR(err, status, "certificates: the JSON document does not fit the output") : 0;
}

/* Site names are visible ASCII without quotes or backslashes (gateway/config_schema.c): safe as labels. */
int gw_stapling_status_metrics(struct gw_stapling *s, struct buf_writer *out, struct err *err)
{
        time_t now = time(NULL);
        int status = buf_write_printf(
                out, "# HELP smtrust_gateway_ocsp_staple_valid 1 when a verified, current OCSP response is stapled.\n"
                     "# TYPE smtrust_gateway_ocsp_staple_valid gauge\n");
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; status == 0 && i < s->num_entries; i++) {
                const struct gw_stapling_entry *e = s->entries[i];
                if (e->is_active)
                        status = buf_write_printf(out, "smtrust_gateway_ocsp_staple_valid{site=\"%s\",kind=\"%s\"} %d\n",
                                                           e->site, e->kind, gw_stapling_entry_is_valid(e, now) ? 1 : 0);
        }
        if (status == 0)
                status = buf_write_printf(
                        out, "# HELP smtrust_gateway_ocsp_staple_next_update_seconds nextUpdate of the stapled OCSP "
                             "response (unix time).\n# TYPE smtrust_gateway_ocsp_staple_next_update_seconds gauge\n");
        for (size_t i = 0; status == 0 && i < s->num_entries; i++) {
                const struct gw_stapling_entry *e = s->entries[i];
                if (e->is_active && e->der != NULL && e->single.next_update != 0)
                        status = buf_write_printf(
                                out, "smtrust_gateway_ocsp_staple_next_update_seconds{site=\"%s\",kind=\"%s\"} %lld\n",
                                e->site, e->kind, (long long)e->single.next_update);
        }
        pthread_mutex_unlock(&s->lock);
        return status < 0 ? SMT_ERR(err, status, "metrics: OCSP stapling samples do not fit the output") : 0;
}
