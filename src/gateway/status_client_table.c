/* src/gateway/status_client_table.c: a GET /certificates document (gateway/autocert_status.h) as the text
 * table of `smtrust gateway status` (gateway/status_client.h). */
#include "gateway/status_client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/admin.h"

enum { COL_SITE, COL_KIND, COL_ALGORITHM, COL_ISSUER, COL_NOT_AFTER, COL_NEXT_RENEWAL, COL_STATUS, COLS };
/* The OCSP stapling table (the document's "stapling" array, gateway/stapling.h). */
enum { STAPLE_SITE, STAPLE_KIND, STAPLE_STAPLED, STAPLE_OCSP, STAPLE_NEXT_UPDATE, STAPLE_NEXT_FETCH, STAPLE_PROBLEM,
       STAPLE_COLS };

#define CELL_MAX   600
#define CELL_SHOWN 60 /* wider cells (an issuer, an error) are cut with "..." except the last column */

struct row {
        char cells[COLS][CELL_MAX];
};

static const char *const table_heads[COLS] = {"SITE",      "KIND",         "ALGORITHM", "ISSUER",
                                              "NOT-AFTER", "NEXT-RENEWAL", "STATUS"};
static const char *const staple_heads[STAPLE_COLS] = {"SITE",        "KIND",       "STAPLED", "OCSP",
                                                      "NEXT-UPDATE", "NEXT-FETCH", "PROBLEM"};

/* Copies text into cell; control characters (a newline in a name or an error) become '?' so that one entry
 * stays on one line and cannot drive the terminal. */
static void table_cell(char cell[CELL_MAX], const char *text, size_t shown)
{
        size_t len = strlen(text);
        bool is_cut = len > shown;
        if (is_cut)
                len = shown - 3;
        for (size_t i = 0; i < len; i++)
                cell[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
        snprintf(cell + len, CELL_MAX - len, "%s", is_cut ? "..." : "");
}

/* The string member key of entry ("-" for null); SMT_EDECODE for another type or a missing key. */
static int table_text(const char **out, json_t *entry, const char *key, size_t index, struct err *err)
{
        json_t *value = json_object_get(entry, key);
        if (json_is_null(value)) {
                *out = "-";
                return SMT_OK;
        }
        if (!json_is_string(value))
                return SMT_ERR(err, SMT_EDECODE, "certificates[%zu].%s: expected a string or null", index, key);
        *out = json_string_value(value);
        return SMT_OK;
}

/* An RFC 3339 UTC time ("2026-11-23T19:20:00Z") as "2026-11-23 19:20Z"; "-" stays. */
static int table_time(char cell[CELL_MAX], json_t *entry, const char *key, size_t index, struct err *err)
{
        const char *text = "-";
        TRY(table_text(&text, entry, key, index, err));
        struct tm tm = {0};
        const char *end = strcmp(text, "-") == 0 ? NULL : strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (end == NULL && strcmp(text, "-") != 0)
                return SMT_ERR(err, SMT_EDECODE, "certificates[%zu].%s \"%.40s\": expected an RFC 3339 UTC time", index,
                               key, text);
        if (end == NULL || *end != '\0' || strftime(cell, CELL_MAX, "%Y-%m-%d %H:%MZ", &tm) == 0)
                snprintf(cell, CELL_MAX, "%s", end == NULL ? "-" : "?");
        return SMT_OK;
}

static int table_status(char cell[CELL_MAX], json_t *entry, size_t index, struct err *err)
{
        json_t *failures = json_object_get(entry, "failures");
        json_t *ordering = json_object_get(entry, "ordering"), *has = json_object_get(entry, "has_certificate");
        if (!json_is_integer(failures) || !json_is_boolean(ordering) || !json_is_boolean(has))
                return SMT_ERR(
                    err, SMT_EDECODE,
                    "certificates[%zu]: expected failures (integer), ordering and has_certificate (booleans)", index);
        const char *error = "";
        TRY(table_text(&error, entry, "last_error", index, err));
        char text[CELL_MAX];
        if (json_integer_value(failures) > 0)
                snprintf(text, sizeof text, "failing (%lld): %s", (long long)json_integer_value(failures), error);
        else
                snprintf(text, sizeof text, "%s",
                         json_is_true(ordering) ? "ordering"
                         : json_is_true(has)    ? "ok"
                                                : "no certificate");
        table_cell(cell, text, CELL_MAX - 1);
        return SMT_OK;
}

static int table_row(struct row *row, json_t *entry, size_t index, struct err *err)
{
        static const char *const keys[] = {
            [COL_SITE] = "site", [COL_KIND] = "kind", [COL_ALGORITHM] = "algorithm", [COL_ISSUER] = "issuer"};
        if (!json_is_object(entry))
                return SMT_ERR(err, SMT_EDECODE, "certificates[%zu]: expected an object", index);
        for (size_t col = COL_SITE; col <= COL_ISSUER; col++) {
                const char *text = "";
                TRY(table_text(&text, entry, keys[col], index, err));
                table_cell(row->cells[col], text, CELL_SHOWN);
        }
        TRY(table_time(row->cells[COL_NOT_AFTER], entry, "not_after", index, err));
        TRY(table_time(row->cells[COL_NEXT_RENEWAL], entry, "next_renewal", index, err));
        return table_status(row->cells[COL_STATUS], entry, index, err);
}

/* Writes one line of cols cells: every column but the last padded to its width, two spaces apart. */
static int table_line(struct buf_writer *out, size_t cols, const char *const cells[COLS], const size_t widths[COLS])
{
        char line[COLS * (CELL_MAX + 2) + 2];
        size_t len = 0;
        for (size_t col = 0; col < cols; col++)
                len += (size_t)snprintf(line + len, sizeof line - len, col + 1 < cols ? "%-*s  " : "%-*s\n",
                                        col + 1 < cols ? (int)widths[col] : 0, cells[col]);
        return buf_write_bytes(out, (const uint8_t *)line, len);
}

/* Writes heads and the rows under them, each column as wide as its widest cell (cols <= COLS). */
static int table_write(struct buf_writer *out, size_t cols, const char *const heads[COLS], const struct row *rows,
                       size_t num)
{
        size_t widths[COLS];
        for (size_t col = 0; col < cols; col++) {
                widths[col] = strlen(heads[col]);
                for (size_t i = 0; i < num; i++)
                        widths[col] =
                            strlen(rows[i].cells[col]) > widths[col] ? strlen(rows[i].cells[col]) : widths[col];
        }
        TRY(table_line(out, cols, heads, widths));
        for (size_t i = 0; i < num; i++) {
                const char *cells[COLS];
                for (size_t col = 0; col < cols; col++)
                        cells[col] = rows[i].cells[col];
                TRY(table_line(out, cols, cells, widths));
        }
        return SMT_OK;
}

/* One row of the stapling table: a "stapling" entry of the document. */
static int staple_row(struct row *row, json_t *entry, size_t index, struct err *err)
{
        json_t *active = json_object_get(entry, "active"), *stapled = json_object_get(entry, "stapled");
        json_t *failures = json_object_get(entry, "failures");
        if (!json_is_object(entry) || !json_is_boolean(active) || !json_is_boolean(stapled) ||
            !json_is_integer(failures))
                return SMT_ERR(err, SMT_EDECODE,
                               "stapling[%zu]: expected an object with active, stapled (booleans) and failures", index);
        const char *site = "", *kind = "", *ocsp = "", *error = "";
        TRY(table_text(&site, entry, "site", index, err));
        TRY(table_text(&kind, entry, "kind", index, err));
        TRY(table_text(&ocsp, entry, "status", index, err));
        TRY(table_text(&error, entry, "last_error", index, err));
        table_cell(row->cells[STAPLE_SITE], site, CELL_SHOWN);
        table_cell(row->cells[STAPLE_KIND], kind, CELL_SHOWN);
        table_cell(row->cells[STAPLE_STAPLED], json_is_true(stapled) ? "yes" : "no", CELL_SHOWN);
        table_cell(row->cells[STAPLE_OCSP], ocsp, CELL_SHOWN);
        TRY(table_time(row->cells[STAPLE_NEXT_UPDATE], entry, "next_update", index, err));
        TRY(table_time(row->cells[STAPLE_NEXT_FETCH], entry, "next_fetch", index, err));
        char text[CELL_MAX];
        if (json_integer_value(failures) > 0)
                snprintf(text, sizeof text, "failing (%lld): %s", (long long)json_integer_value(failures), error);
        else
                snprintf(text, sizeof text, "%s", json_is_true(active) ? "-" : "no longer served");
        table_cell(row->cells[STAPLE_PROBLEM], text, CELL_MAX - 1);
        return SMT_OK;
}

typedef int (*table_row_fn)(struct row *row, json_t *entry, size_t index, struct err *err);

static int table_rows(struct buf_writer *out, json_t *list, size_t cols, const char *const heads[COLS],
                      table_row_fn make_row, struct err *err)
{
        size_t num = json_array_size(list);
        struct row *rows = calloc(num, sizeof *rows);
        if (rows == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "certificates: out of memory for %zu rows", num);
        int status = SMT_OK;
        for (size_t i = 0; status == SMT_OK && i < num; i++)
                status = make_row(&rows[i], json_array_get(list, i), i, err);
        if (status == SMT_OK && table_write(out, cols, heads, rows, num) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "certificates: the table of %zu rows does not fit the output", num);
        free(rows);
        return status;
}

/* The stapling table after a blank line and a title, when the document has stapled certificates (a gateway
 * older than stapling has no "stapling" array: nothing is written). */
static int staple_table(struct buf_writer *out, json_t *list, struct err *err)
{
        static const char title[] = "\nOCSP stapling:\n";
        if (list != NULL && !json_is_array(list))
                return SMT_ERR(err, SMT_EDECODE, "certificates: \"stapling\" is not an array");
        if (json_array_size(list) == 0)
                return SMT_OK;
        if (buf_write_bytes(out, (const uint8_t *)title, sizeof title - 1) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "certificates: the output is full");
        return table_rows(out, list, STAPLE_COLS, staple_heads, staple_row, err);
}

int gw_status_client_table(struct buf_writer *out, const uint8_t *doc, size_t doc_len, struct err *err)
{
        json_error_t error;
        json_t *root = json_loadb((const char *)doc, doc_len, 0, &error);
        if (root == NULL)
                return SMT_ERR(err, SMT_EDECODE, "certificates: not JSON (line %d: %s)", error.line, error.text);
        json_t *list = json_object_get(root, "certificates");
        int status = SMT_OK;
        if (!json_is_array(list))
                status = SMT_ERR(err, SMT_EDECODE, "certificates: expected an object with a \"certificates\" array");
        else if (json_array_size(list) == 0 && buf_write_bytes(out, (const uint8_t *)GW_ADMIN_NO_AUTO_SITES "\n",
                                                               strlen(GW_ADMIN_NO_AUTO_SITES) + 1) < 0)
                status = SMT_ERR(err, SMT_ENOSPACE, "certificates: the output is full");
        else if (json_array_size(list) > 0)
                status = table_rows(out, list, COLS, table_heads, table_row, err);
        if (status == SMT_OK)
                status = staple_table(out, json_object_get(root, "stapling"), err);
        json_decref(root);
        return status;
}
