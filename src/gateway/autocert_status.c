/* src/gateway/autocert_status.c: the ACME manager's snapshot as the JSON of GET /certificates and as
 * Prometheus samples (gateway/autocert_status.h). */
#include "gateway/autocert_status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3339 section 5.6 date-time in UTC, or JSON null for 0 (unknown). */
static json_t *gw_autocert_status_time(time_t t)
{
        struct tm tm;
        char text[32];
        if (t == 0 || gmtime_r(&t, &tm) == NULL || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return json_null();
        return json_string(text);
}

/* A fixed field as a JSON string: bytes that are not UTF-8 (an issuer printed raw) become '?', so that one
 * odd certificate cannot make the whole document fail. */
static json_t *gw_autocert_status_string(const char *field, size_t cap)
{
        size_t len = strnlen(field, cap);
        json_t *s = json_stringn(field, len);
        if (s != NULL)
                return s;
        char copy[512];
        len = len < sizeof copy ? len : sizeof copy;
        for (size_t i = 0; i < len; i++)
                copy[i] = (unsigned char)field[i] < 0x80 ? field[i] : '?';
        return json_stringn(copy, len);
}

#define GW_AUTOCERT_STATUS_STRING(st, field) gw_autocert_status_string((st)->field, sizeof(st)->field)

static json_t *gw_autocert_status_entry(const struct gw_autocert_status *st)
{
        bool has = st->has_certificate, has_error = st->last_error_at != 0 || st->last_error[0] != '\0';
        /* one key and its value per line */
        /* clang-format off */
        return json_pack("{s:o, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:I, s:o, s:o}",
                         "site", GW_AUTOCERT_STATUS_STRING(st, site),
                         "kind", gw_autocert_kind_name(st->kind),
                         "has_certificate", has,
                         "algorithm", has ? GW_AUTOCERT_STATUS_STRING(st, algorithm) : json_null(),
                         "issuer", has ? GW_AUTOCERT_STATUS_STRING(st, issuer) : json_null(),
                         "serial", has ? GW_AUTOCERT_STATUS_STRING(st, serial) : json_null(),
                         "not_before", gw_autocert_status_time(has ? st->not_before : 0),
                         "not_after", gw_autocert_status_time(has ? st->not_after : 0),
                         "next_renewal", gw_autocert_status_time(st->next_renewal),
                         "ordering", st->is_ordering,
                         "failures", (json_int_t)st->failures,
                         "last_error", has_error ? GW_AUTOCERT_STATUS_STRING(st, last_error) : json_null(),
                         "last_error_at", gw_autocert_status_time(has_error ? st->last_error_at : 0));
        /* clang-format on */
}

static int gw_autocert_status_json(const struct gw_autocert_status *list, size_t num, time_t now,
                                   struct buf_writer *out, struct err *err)
{
        json_t *entries = json_array();
        for (size_t i = 0; entries != NULL && i < num; i++) {
                json_t *entry = gw_autocert_status_entry(&list[i]);
                if (entry == NULL || json_array_append_new(entries, entry) < 0) {
                        json_decref(entries);
                        entries = NULL;
                }
        }
        json_t *doc = entries == NULL
                          ? NULL
                          : json_pack("{s:o, s:o}", "time", gw_autocert_status_time(now), "certificates", entries);
        char *text = doc == NULL ? NULL : json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (text == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "certificates: out of memory building the JSON document");
        int status = buf_write_bytes(out, (const uint8_t *)text, strlen(text));
        if (status == SMT_OK)
                status = buf_write_u8(out, '\n');
        free(text);
        if (status < 0)
                return SMT_ERR(err, status, "certificates: the JSON document does not fit the output");
        return SMT_OK;
}

/* Prometheus text format: a label value escapes backslash, double quote and newline. */
static int gw_autocert_status_label(struct buf_writer *out, const char *value, size_t cap)
{
        for (size_t i = 0; i < cap && value[i] != '\0'; i++) {
                char c = value[i];
                const char *esc = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : NULL;
                TRY(esc != NULL ? buf_write_bytes(out, (const uint8_t *)esc, 2) : buf_write_u8(out, (uint8_t)c));
        }
        return SMT_OK;
}

static int gw_autocert_status_text(struct buf_writer *out, const char *text)
{
        return buf_write_bytes(out, (const uint8_t *)text, strlen(text));
}

static const char *const gw_autocert_status_families[][3] = {
    {"smtrust_gateway_certificate_not_after_seconds", "gauge", "When the served certificate expires (unix time)."},
    {"smtrust_gateway_certificate_next_renewal_seconds", "gauge",
     "When the next order or renewal information check is due (unix time)."},
    {"smtrust_gateway_certificate_renewal_failures", "gauge", "Failed orders in a row (0 after a success)."},
};

/* The sample of family f for st, false when st has none (no certificate, nothing scheduled). */
static bool gw_autocert_status_value(size_t f, const struct gw_autocert_status *st, long long *value)
{
        *value = f == 0 ? (long long)st->not_after : f == 1 ? (long long)st->next_renewal : (long long)st->failures;
        return f == 2 || (f == 0 ? st->has_certificate : st->next_renewal != 0);
}

static int gw_autocert_status_family(const struct gw_autocert_status *list, size_t num, size_t f,
                                     struct buf_writer *out)
{
        const char *const *family = gw_autocert_status_families[f];
        char line[512];
        snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", family[0], family[2], family[0], family[1]);
        TRY(gw_autocert_status_text(out, line));
        for (size_t i = 0; i < num; i++) {
                long long value;
                if (!gw_autocert_status_value(f, &list[i], &value))
                        continue;
                TRY(gw_autocert_status_text(out, family[0]));
                TRY(gw_autocert_status_text(out, "{site=\""));
                TRY(gw_autocert_status_label(out, list[i].site, sizeof list[i].site));
                snprintf(line, sizeof line, "\",kind=\"%s\"} %lld\n", gw_autocert_kind_name(list[i].kind), value);
                TRY(gw_autocert_status_text(out, line));
        }
        return SMT_OK;
}

int gw_autocert_status_format(const struct gw_autocert_status *list, size_t num, bool is_json, time_t now,
                              struct buf_writer *out, struct err *err)
{
        if (is_json)
                return gw_autocert_status_json(list, num, now, out, err);
        for (size_t f = 0; f < sizeof gw_autocert_status_families / sizeof gw_autocert_status_families[0]; f++) {
                int status = gw_autocert_status_family(list, num, f, out);
                if (status < 0)
                        return SMT_ERR(err, status, "certificates: the Prometheus samples do not fit the output");
        }
        return SMT_OK;
}

int gw_autocert_status_write(struct gw_autocert *autocert, bool is_json, struct buf_writer *out, struct err *err)
{
        struct gw_autocert_status *list = NULL;
        size_t num = 0;
        TRY(gw_autocert_status_list(autocert, &list, &num, err));
        int status = gw_autocert_status_format(list, num, is_json, time(NULL), out, err);
        free(list);
        return status;
}
