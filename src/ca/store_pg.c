/* src/ca/store_pg.c: the store's PostgreSQL back end through libpq. Parameters and results travel in binary
 * format with explicit types (text, int8, bytea), so blobs round-trip exactly and integers need no parsing.
 *
 * Write transactions run at READ COMMITTED: every rule between concurrent writers is a conditional UPDATE or
 * DELETE (WHERE status = ...) whose row lock makes the loser re-read the winner's row and change nothing, or
 * a unique key; where a decision reads rows it does not update (an order becomes ready once all its
 * authorizations are valid) the store first locks the rows it decides about. Reads that take more than one
 * statement run at REPEATABLE READ, READ ONLY, so they see one snapshot and can never fail to serialise. */
#include "ca/store_db.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of PostgreSQL's built-in types (src/include/catalog/pg_type.dat). */
#define STORE_PG_BYTEA 17
#define STORE_PG_INT8  20
#define STORE_PG_TEXT  25

#define STORE_PG_UNIQUE_VIOLATION "23505"

#define STORE_PG_CACHE_SLOTS 256 /* a power of two, well above the store's number of statements */

/* Statements are prepared once per connection (named "smt<slot>"), keyed by the address of their static SQL
 * text: the server then parses each only once per connection. */
struct store_pg_prepared {
        const char *sql;
};

struct store_conn {
        PGconn *pg;
        PGresult *result;
        int row;
        int num_rows;
        int64_t changes;
        struct store_pg_prepared cache[STORE_PG_CACHE_SLOTS];
};

/* store_pg_message copies libpq's message on one line: its line breaks and tabs become single spaces. */
static void store_pg_message(char *out, size_t cap, const char *message)
{
        size_t len = 0;
        const char *in = message != NULL && message[0] != 0 ? message : "unknown error";
        for (; *in != 0 && len + 1 < cap; in++) {
                bool is_space = *in == '\n' || *in == '\t' || *in == ' ';
                if (is_space && (len == 0 || out[len - 1] == ' '))
                        continue;
                out[len++] = is_space ? ' ' : *in;
        }
        while (len > 0 && out[len - 1] == ' ')
                len--;
        out[len] = 0;
}

static int store_pg_fail(struct store_conn *conn, PGresult *result, const char *what, struct err *err)
{
        char message[200];
        const char *state = result != NULL ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
        const char *text = result != NULL ? PQresultErrorMessage(result) : NULL;
        store_pg_message(message, sizeof message, text != NULL && text[0] != 0 ? text : PQerrorMessage(conn->pg));
        int code = state != NULL && strcmp(state, STORE_PG_UNIQUE_VIOLATION) == 0 ? CA_ECONFLICT : CA_ESTORE;
        return SMT_ERR(err, code, "postgresql: %s: %s", what, message);
}

/* store_pg_ignore_notice keeps libpq from printing notices (CREATE ... IF NOT EXISTS) on stderr. */
static void store_pg_ignore_notice(void *arg, const char *message)
{
        (void)arg;
        (void)message;
}

/* The session's commits do not wait for the WAL to reach the disk (like SQLite's synchronous=NORMAL: a crash
 * of the server's machine may lose the last moments, never consistency), except in the transactions the store
 * marks durable (durable_on below). */
static const char store_pg_session_setup[] = "SET synchronous_commit = off";

static int store_pg_setup(struct store_conn *conn, struct err *err)
{
        PQsetNoticeProcessor(conn->pg, store_pg_ignore_notice, NULL);
        PGresult *result = PQexec(conn->pg, store_pg_session_setup);
        int status = PQresultStatus(result) == PGRES_COMMAND_OK ? SMT_OK : store_pg_fail(conn, result, "setup", err);
        PQclear(result);
        return status;
}

static int store_pg_connect(struct store_conn **out, const char *conninfo, struct err *err)
{
        struct store_conn *conn = calloc(1, sizeof *conn);
        if (conn == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "postgresql: out of memory");
        conn->pg = PQconnectdb(conninfo);
        if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
                char message[200];
                store_pg_message(message, sizeof message,
                                 conn->pg != NULL ? PQerrorMessage(conn->pg) : "out of memory");
                PQfinish(conn->pg);
                free(conn);
                return SMT_ERR(err, CA_ESTORE, "postgresql: cannot connect: %s", message);
        }
        int status = store_pg_setup(conn, err);
        if (status < 0) {
                PQfinish(conn->pg);
                free(conn);
                return status;
        }
        *out = conn;
        return SMT_OK;
}

static void store_pg_query_end(struct store_conn *conn)
{
        PQclear(conn->result);
        conn->result = NULL;
        conn->row = -1;
        conn->num_rows = 0;
}

static void store_pg_disconnect(struct store_conn *conn)
{
        if (conn == NULL)
                return;
        store_pg_query_end(conn);
        PQfinish(conn->pg);
        free(conn);
}

/* store_pg_describe rebuilds the connection string from its parsed options, leaving out the password, so no
 * spelling of it (URI user:password@, ?password=, password='...') can reach an error message. */
static int store_pg_describe(char **out, const char *conninfo, struct err *err)
{
        PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
        char text[512] = "";
        size_t len = 0;
        if (options == NULL)
                snprintf(text, sizeof text, "(a connection string libpq cannot parse)");
        for (PQconninfoOption *option = options; option != NULL && option->keyword != NULL; option++) {
                if (option->val == NULL || option->val[0] == 0 || strcmp(option->keyword, "password") == 0)
                        continue;
                int n = snprintf(text + len, sizeof text - len, "%s%s=%s", len > 0 ? " " : "", option->keyword,
                                 option->val);
                if (n < 0 || (size_t)n >= sizeof text - len) {
                        text[len] = 0;
                        break;
                }
                len += (size_t)n;
        }
        PQconninfoFree(options);
        *out = strdup(text);
        return *out != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "postgresql: out of memory");
}

static bool store_pg_is_broken(struct store_conn *conn)
{
        return PQstatus(conn->pg) != CONNECTION_OK;
}

static int store_pg_reset(struct store_conn *conn, struct err *err)
{
        store_pg_query_end(conn);
        memset(conn->cache, 0, sizeof conn->cache); /* a new session has no prepared statements */
        PQreset(conn->pg);
        if (PQstatus(conn->pg) == CONNECTION_OK)
                return store_pg_setup(conn, err);
        return store_pg_fail(conn, NULL, "reconnect", err);
}

/* store_pg_finish_result keeps a successful result for the row readers and counts the rows it changed. */
static int store_pg_finish_result(struct store_conn *conn, PGresult *result, const char *what, struct err *err)
{
        ExecStatusType state = PQresultStatus(result);
        if (result == NULL || (state != PGRES_COMMAND_OK && state != PGRES_TUPLES_OK)) {
                int status = store_pg_fail(conn, result, what, err);
                PQclear(result);
                return status;
        }
        conn->result = result;
        conn->row = -1;
        conn->num_rows = PQntuples(result);
        conn->changes = strtoll(PQcmdTuples(result), NULL, 10);
        return SMT_OK;
}

static int store_pg_exec_script(struct store_conn *conn, const char *sql, struct err *err)
{
        store_pg_query_end(conn);
        TRY(store_pg_finish_result(conn, PQexec(conn->pg, sql), "script", err));
        store_pg_query_end(conn);
        return SMT_OK;
}

/* store_pg_prepare finds sql's prepared statement, or prepares it with these parameter types, and writes its
 * name. */
static int store_pg_prepare(struct store_conn *conn, const char *sql, const Oid *types, int num_params, char name[16],
                            struct err *err)
{
        size_t slot = (size_t)((((uintptr_t)sql >> 3) * 0x9e3779b97f4a7c15u) >> 56);
        for (size_t probe = 0; probe < STORE_PG_CACHE_SLOTS; probe++) {
                size_t index = (slot + probe) & (STORE_PG_CACHE_SLOTS - 1);
                struct store_pg_prepared *entry = &conn->cache[index];
                snprintf(name, 16, "smt%zu", index);
                if (entry->sql == sql)
                        return SMT_OK;
                if (entry->sql != NULL)
                        continue;
                PGresult *result = PQprepare(conn->pg, name, sql, num_params, types);
                int status =
                    PQresultStatus(result) == PGRES_COMMAND_OK ? SMT_OK : store_pg_fail(conn, result, "prepare", err);
                PQclear(result);
                if (status == SMT_OK)
                        entry->sql = sql;
                return status;
        }
        return SMT_ERR(err, CA_ESTORE, "postgresql: statement cache full (%d)", STORE_PG_CACHE_SLOTS);
}

static void store_pg_put_int8(uint8_t out[8], int64_t value)
{
        uint64_t bits = (uint64_t)value;
        for (int i = 7; i >= 0; i--, bits >>= 8)
                out[i] = (uint8_t)bits;
}

static int store_pg_query(struct store_conn *conn, const char *sql, const struct store_value *params, size_t num_params,
                          struct err *err)
{
        store_pg_query_end(conn);
        if (num_params > STORE_DB_PARAMS_MAX)
                return SMT_ERR(err, CA_ESTORE, "postgresql: %zu parameters exceed %d", num_params, STORE_DB_PARAMS_MAX);
        Oid types[STORE_DB_PARAMS_MAX];
        const char *values[STORE_DB_PARAMS_MAX];
        int lengths[STORE_DB_PARAMS_MAX], formats[STORE_DB_PARAMS_MAX];
        uint8_t ints[STORE_DB_PARAMS_MAX][8];
        for (size_t i = 0; i < num_params; i++) {
                const struct store_value *value = &params[i];
                formats[i] = 1;
                switch (value->type) {
                case STORE_VALUE_TEXT:
                        types[i] = STORE_PG_TEXT;
                        values[i] = value->text;
                        lengths[i] = value->text != NULL ? (int)strlen(value->text) : 0;
                        break;
                case STORE_VALUE_INT64:
                        types[i] = STORE_PG_INT8;
                        store_pg_put_int8(ints[i], value->int64);
                        values[i] = (const char *)ints[i];
                        lengths[i] = 8;
                        break;
                case STORE_VALUE_BLOB:
                        if (value->blob_len > INT32_MAX)
                                return SMT_ERR(err, CA_ESTORE, "postgresql: blob of %zu bytes", value->blob_len);
                        types[i] = STORE_PG_BYTEA;
                        values[i] = value->blob != NULL ? (const char *)value->blob : NULL;
                        lengths[i] = (int)value->blob_len;
                        break;
                }
        }
        char name[16];
        TRY(store_pg_prepare(conn, sql, types, (int)num_params, name, err));
        PGresult *result = PQexecPrepared(conn->pg, name, (int)num_params, values, lengths, formats, 1);
        return store_pg_finish_result(conn, result, "query", err);
}

static int store_pg_next_row(struct store_conn *conn, struct err *err)
{
        (void)err;
        if (conn->result == NULL || conn->row + 1 >= conn->num_rows)
                return 0;
        conn->row++;
        return 1;
}

static bool store_pg_column_is_null(struct store_conn *conn, int column)
{
        return PQgetisnull(conn->result, conn->row, column) != 0;
}

static const char *store_pg_column_text(struct store_conn *conn, int column)
{
        if (PQgetisnull(conn->result, conn->row, column))
                return NULL;
        return PQgetvalue(conn->result, conn->row, column); /* binary text is the bytes, and libpq adds a NUL */
}

/* store_pg_column_int64 reads a binary int8, int4 or int2 (big-endian, two's complement). */
static int64_t store_pg_column_int64(struct store_conn *conn, int column)
{
        if (PQgetisnull(conn->result, conn->row, column))
                return 0;
        const uint8_t *bytes = (const uint8_t *)PQgetvalue(conn->result, conn->row, column);
        int len = PQgetlength(conn->result, conn->row, column);
        if (len != 2 && len != 4 && len != 8)
                return 0;
        uint64_t bits = bytes[0] & 0x80 ? UINT64_MAX : 0;
        for (int i = 0; i < len; i++)
                bits = bits << 8 | bytes[i];
        return (int64_t)bits;
}

static const uint8_t *store_pg_column_blob(struct store_conn *conn, int column, size_t *len)
{
        *len = 0;
        if (PQgetisnull(conn->result, conn->row, column))
                return NULL;
        *len = (size_t)PQgetlength(conn->result, conn->row, column);
        return (const uint8_t *)PQgetvalue(conn->result, conn->row, column);
}

static int64_t store_pg_changes(struct store_conn *conn)
{
        return conn->changes;
}

const struct store_db_ops store_db_postgresql = {
    .name = "postgresql",
    .blob_type = "BYTEA",
    .begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    .begin_write = "BEGIN ISOLATION LEVEL READ COMMITTED",
    /* Two processes opening an empty database at once: the second waits, then finds the schema. */
    .schema_lock = "SELECT pg_advisory_xact_lock(7336627975)",
    .has_row_locks = true,
    .durable_on = "SET synchronous_commit = on",
    .durable_off = "SET synchronous_commit = off",
    .connect = store_pg_connect,
    .disconnect = store_pg_disconnect,
    .describe = store_pg_describe,
    .is_broken = store_pg_is_broken,
    .reset = store_pg_reset,
    .exec_script = store_pg_exec_script,
    .query = store_pg_query,
    .next_row = store_pg_next_row,
    .column_is_null = store_pg_column_is_null,
    .column_text = store_pg_column_text,
    .column_int64 = store_pg_column_int64,
    .column_blob = store_pg_column_blob,
    .changes = store_pg_changes,
    .query_end = store_pg_query_end,
};
