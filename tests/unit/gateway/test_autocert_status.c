/* tests/unit/gateway/test_autocert_status.c: gateway/autocert_status — the JSON of GET /certificates parses
 * back (jansson) to the values given, with RFC 3339 UTC times (checked against timegm), null for what is not
 * known, and '?' for an issuer that is not UTF-8; the Prometheus samples have HELP and TYPE, unix times,
 * no sample for what is unknown, and site labels escaped so that they decode back to the odd names;
 * a fixed output that is too small is SMT_ENOSPACE in both forms. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gateway/autocert_status.h"

/* time_t of a UTC date, by timegm: independent of the gmtime + strftime the formatter uses. */
static time_t utc(int year, int month, int day, int hour, int minute, int second)
{
        struct tm tm = {.tm_year = year - 1900,
                        .tm_mon = month - 1,
                        .tm_mday = day,
                        .tm_hour = hour,
                        .tm_min = minute,
                        .tm_sec = second};
        return timegm(&tm);
}

static void fill(struct gw_autocert_status list[3])
{
        memset(list, 0, 3 * sizeof list[0]);
        snprintf(list[0].site, sizeof list[0].site, "shop");
        list[0].kind = GW_AUTOCERT_ECC;
        list[0].has_certificate = true;
        snprintf(list[0].algorithm, sizeof list[0].algorithm, "ECDSA P-256");
        snprintf(list[0].issuer, sizeof list[0].issuer, "C=CN, O=Example, CN=Example ECC CA");
        snprintf(list[0].serial, sizeof list[0].serial, "01ab");
        list[0].not_before = utc(2026, 11, 1, 0, 0, 0);
        list[0].not_after = utc(2027, 1, 30, 23, 59, 59);
        list[0].next_renewal = utc(2026, 12, 31, 8, 5, 0);
        /* An odd name: quote, backslash and newline must be escaped in a label. */
        snprintf(list[1].site, sizeof list[1].site, "we\"ird\\site\nx");
        list[1].kind = GW_AUTOCERT_SM2;
        list[1].is_ordering = true;
        list[1].failures = 3;
        list[1].last_error_at = utc(2026, 11, 23, 19, 20, 0);
        snprintf(list[1].last_error, sizeof list[1].last_error, "acme.sm2: urn:ietf:params:acme:error:dns");
        list[2] = list[0];
        list[2].kind = GW_AUTOCERT_SM2;
        snprintf(list[2].algorithm, sizeof list[2].algorithm, "SM2");
        snprintf(list[2].issuer, sizeof list[2].issuer, "CN=caf\xe9 \xff"); /* Latin-1, not UTF-8 */
}

static json_t *format_json(const struct gw_autocert_status *list, size_t num, time_t now)
{
        struct err err;
        struct buf_writer out;
        buf_writer_init_heap(&out, 1 << 20);
        CHECK_OK(gw_autocert_status_format(list, num, true, now, &out, &err), &err);
        json_error_t error;
        json_t *doc = json_loadb((const char *)out.data, out.len, 0, &error);
        buf_writer_cleanup(&out);
        CHECK(doc != NULL);
        return doc;
}

static const char *text_of(json_t *entry, const char *key)
{
        json_t *value = json_object_get(entry, key);
        CHECK(json_is_string(value));
        return json_string_value(value);
}

static void test_json_values(void)
{
        struct gw_autocert_status list[3];
        fill(list);
        json_t *doc = format_json(list, 3, utc(2026, 11, 23, 19, 21, 7));
        CHECK_STR(text_of(doc, "time"), "2026-11-23T19:21:07Z");
        json_t *certs = json_object_get(doc, "certificates");
        CHECK(json_is_array(certs));
        CHECK_EQ(json_array_size(certs), 3);
        json_t *ok = json_array_get(certs, 0);
        CHECK_STR(text_of(ok, "site"), "shop");
        CHECK_STR(text_of(ok, "kind"), "ecc");
        CHECK(json_is_true(json_object_get(ok, "has_certificate")));
        CHECK_STR(text_of(ok, "algorithm"), "ECDSA P-256");
        CHECK_STR(text_of(ok, "issuer"), "C=CN, O=Example, CN=Example ECC CA");
        CHECK_STR(text_of(ok, "serial"), "01ab");
        CHECK_STR(text_of(ok, "not_before"), "2026-11-01T00:00:00Z");
        CHECK_STR(text_of(ok, "not_after"), "2027-01-30T23:59:59Z");
        CHECK_STR(text_of(ok, "next_renewal"), "2026-12-31T08:05:00Z");
        CHECK(json_is_false(json_object_get(ok, "ordering")));
        CHECK_EQ(json_integer_value(json_object_get(ok, "failures")), 0);
        CHECK(json_is_null(json_object_get(ok, "last_error")));
        CHECK(json_is_null(json_object_get(ok, "last_error_at")));

        json_t *failing = json_array_get(certs, 1);
        CHECK_STR(text_of(failing, "site"), "we\"ird\\site\nx");
        CHECK_STR(text_of(failing, "kind"), "sm2");
        CHECK(json_is_false(json_object_get(failing, "has_certificate")));
        static const char *const unknown[] = {"algorithm",  "issuer",    "serial",
                                              "not_before", "not_after", "next_renewal"};
        for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
                CHECK(json_is_null(json_object_get(failing, unknown[i])));
        CHECK(json_is_true(json_object_get(failing, "ordering")));
        CHECK_EQ(json_integer_value(json_object_get(failing, "failures")), 3);
        CHECK_STR(text_of(failing, "last_error"), "acme.sm2: urn:ietf:params:acme:error:dns");
        CHECK_STR(text_of(failing, "last_error_at"), "2026-11-23T19:20:00Z");

        CHECK_STR(text_of(json_array_get(certs, 2), "issuer"), "CN=caf? ?");
        json_decref(doc);
}

static void test_json_empty(void)
{
        json_t *doc = format_json(NULL, 0, utc(2026, 1, 2, 3, 4, 5));
        CHECK(json_is_array(json_object_get(doc, "certificates")));
        CHECK_EQ(json_array_size(json_object_get(doc, "certificates")), 0);
        CHECK_STR(text_of(doc, "time"), "2026-01-02T03:04:05Z");
        json_decref(doc);
}

/* Decodes a label value written between quotes at *p, leaving *p after the closing quote. */
static void decode_label(const char **p, char *out, size_t cap)
{
        size_t n = 0;
        for (; **p != '"'; (*p)++) {
                char c = **p;
                CHECK(c != '\0' && c != '\n' && n + 1 < cap);
                if (c == '\\') {
                        (*p)++;
                        CHECK(**p == '\\' || **p == '"' || **p == 'n');
                        c = **p == 'n' ? '\n' : **p;
                }
                out[n++] = c;
        }
        out[n] = '\0';
        (*p)++;
}

/* Finds the sample of name for site and kind in text; false when there is none. */
static bool sample(const char *text, const char *name, const char *site, const char *kind, long long *value)
{
        for (const char *line = text; *line != '\0'; line = strchr(line, '\n') + 1) {
                CHECK(strchr(line, '\n') != NULL);
                size_t name_len = strlen(name);
                if (strncmp(line, name, name_len) != 0 || strncmp(line + name_len, "{site=\"", 7) != 0)
                        continue;
                const char *p = line + name_len + 7;
                char label_site[256], label_kind[16];
                decode_label(&p, label_site, sizeof label_site);
                CHECK(strncmp(p, ",kind=\"", 7) == 0);
                p += 7;
                decode_label(&p, label_kind, sizeof label_kind);
                CHECK(strncmp(p, "} ", 2) == 0);
                if (strcmp(label_site, site) == 0 && strcmp(label_kind, kind) == 0) {
                        *value = strtoll(p + 2, NULL, 10);
                        return true;
                }
        }
        return false;
}

static void test_prometheus(void)
{
        struct gw_autocert_status list[3];
        fill(list);
        struct err err;
        struct buf_writer out;
        buf_writer_init_heap(&out, 1 << 20);
        CHECK_OK(gw_autocert_status_format(list, 3, false, 0, &out, &err), &err);
        CHECK_OK(buf_write_u8(&out, '\0'), &err);
        const char *text = (const char *)out.data;
        static const char *const names[] = {"smtrust_gateway_certificate_not_after_seconds",
                                            "smtrust_gateway_certificate_next_renewal_seconds",
                                            "smtrust_gateway_certificate_renewal_failures"};
        for (size_t i = 0; i < 3; i++) {
                char help[128], type[128];
                snprintf(help, sizeof help, "# HELP %s ", names[i]);
                snprintf(type, sizeof type, "\n# TYPE %s gauge\n", names[i]);
                CHECK(strstr(text, help) != NULL);
                CHECK(strstr(text, type) != NULL);
                CHECK(strstr(text, help) < strstr(text, type));
        }
        long long value;
        CHECK(sample(text, names[0], "shop", "ecc", &value));
        CHECK_EQ(value, list[0].not_after);
        CHECK(sample(text, names[1], "shop", "ecc", &value));
        CHECK_EQ(value, list[0].next_renewal);
        CHECK(sample(text, names[2], "shop", "ecc", &value));
        CHECK_EQ(value, 0);
        CHECK(sample(text, names[0], "shop", "sm2", &value));
        /* No certificate and nothing scheduled: no sample, never a 1970 date. */
        CHECK(!sample(text, names[0], "we\"ird\\site\nx", "sm2", &value));
        CHECK(!sample(text, names[1], "we\"ird\\site\nx", "sm2", &value));
        CHECK(sample(text, names[2], "we\"ird\\site\nx", "sm2", &value));
        CHECK_EQ(value, 3);
        buf_writer_cleanup(&out);
}

static void test_too_small(void)
{
        struct gw_autocert_status list[3];
        fill(list);
        struct err err;
        uint8_t mem[200];
        for (int is_json = 0; is_json <= 1; is_json++) {
                struct buf_writer out;
                buf_writer_init_fixed(&out, mem, sizeof mem);
                CHECK_STATUS(gw_autocert_status_format(list, 3, is_json, 0, &out, &err), SMT_ENOSPACE);
                CHECK(out.len <= sizeof mem);
        }
}

CHECK_MAIN(CHECK_TEST(test_json_values), CHECK_TEST(test_json_empty), CHECK_TEST(test_prometheus),
           CHECK_TEST(test_too_small))
