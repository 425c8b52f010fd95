/* src/ca/store_sqlite.c: the store's SQLite back end. One connection per thread (the pool hands each to one
 * thread at a time, so SQLite's own mutexes are off), WAL so readers never wait for the writer, synchronous=NORMAL
 * (fsync at checkpoints) except for the transactions the store marks durable, which run at FULL because a
 * certificate issued but not recorded could never be revoked; a busy timeout so writers of other
 * connections and processes queue instead of failing, foreign keys on. Prepared statements are kept per
 * connection, keyed by the address of their (static) SQL text, so no call parses SQL twice. */
#include "ca/store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_SQLITE_CACHE_SLOTS 256 /* a power of two, well above the store's number of statements */
#define STORE_SQLITE_BUSY_MS     30000

struct store_sqlite_stmt {
        const char *sql; /* the key: the address of a string literal */
        sqlite3_stmt *stmt;
        int num_bound;                         /* sqlite3_bind_parameter_count */
        uint8_t param_of[STORE_DB_PARAMS_MAX]; /* binding i+1 takes params[param_of[i]] ("$n": n-1) */
};

struct store_conn {
        sqlite3 *db;
        struct store_sqlite_stmt cache[STORE_SQLITE_CACHE_SLOTS];
        sqlite3_stmt *current;
        bool has_pending_row; /* query's first step produced a row that next_row has not handed out yet */
};

static int store_sqlite_fail(struct store_conn *conn, int rc, const char *what, struct err *err)
{
        int code =
            (rc & 0xff) == SQLITE_CONSTRAINT && (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                ? CA_ECONFLICT
                : CA_ESTORE;
        return SMT_ERR(err, code, "sqlite: %s: %s", what,
                       conn->db != NULL ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc));
}

/* store_sqlite_make_dirs creates the missing folders above path, each 0700 (the database holds the CA's state). */
static int store_sqlite_make_dirs(const char *path, struct err *err)
{
        char dir[PATH_MAX];
        if (strlen(path) >= sizeof dir)
                return SMT_ERR(err, CA_ESTORE, "sqlite: path of %zu bytes is too long", strlen(path));
        strcpy(dir, path);
        for (char *slash = strchr(dir + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
                *slash = 0;
                if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                        return SMT_ERR(err, CA_ESTORE, "sqlite: cannot create folder %s: %s", dir, strerror(errno));
                *slash = '/';
        }
        return SMT_OK;
}

/* store_sqlite_create_file makes the database file 0600 before SQLite opens it; SQLite gives its -wal and
 * -shm files the database file's permissions. */
static int store_sqlite_create_file(const char *path, struct err *err)
{
        TRY(store_sqlite_make_dirs(path, err));
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return SMT_ERR(err, CA_ESTORE, "sqlite: cannot open %s: %s", path, strerror(errno));
        close(fd);
        return SMT_OK;
}

static const char store_sqlite_settings[] = "PRAGMA journal_mode = WAL;"
                                            "PRAGMA synchronous = NORMAL;"
                                            "PRAGMA foreign_keys = ON;";

static int store_sqlite_connect(struct store_conn **out, const char *path, struct err *err)
{
        TRY(store_sqlite_create_file(path, err));
        struct store_conn *conn = calloc(1, sizeof *conn);
        if (conn == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sqlite: out of memory");
        int rc =
            sqlite3_open_v2(path, &conn->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        int status = SMT_OK;
        if (rc != SQLITE_OK)
                status = store_sqlite_fail(conn, rc, path, err);
        if (status == SMT_OK) {
                sqlite3_extended_result_codes(conn->db, 1);
                sqlite3_busy_timeout(conn->db, STORE_SQLITE_BUSY_MS);
                rc = sqlite3_exec(conn->db, store_sqlite_settings, NULL, NULL, NULL);
                if (rc != SQLITE_OK)
                        status = store_sqlite_fail(conn, rc, path, err);
        }
        if (status < 0) {
                sqlite3_close_v2(conn->db);
                free(conn);
                return status;
        }
        *out = conn;
        return SMT_OK;
}

static void store_sqlite_disconnect(struct store_conn *conn)
{
        if (conn == NULL)
                return;
        for (size_t i = 0; i < STORE_SQLITE_CACHE_SLOTS; i++)
                sqlite3_finalize(conn->cache[i].stmt);
        sqlite3_close_v2(conn->db);
        free(conn);
}

static int store_sqlite_describe(char **out, const char *path, struct err *err)
{
        *out = strdup(path);
        return *out != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "sqlite: out of memory");
}

static bool store_sqlite_is_broken(struct store_conn *conn)
{
        (void)conn;
        return false;
}

static int store_sqlite_reset(struct store_conn *conn, struct err *err)
{
        (void)conn;
        return SMT_ERR(err, CA_ESTORE, "sqlite: a file connection cannot be reset");
}

static int store_sqlite_exec_script(struct store_conn *conn, const char *sql, struct err *err)
{
        int rc = sqlite3_exec(conn->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? SMT_OK : store_sqlite_fail(conn, rc, "script", err);
}

/* store_sqlite_map_params records which parameter each binding of the statement takes: "$n" is params[n-1]. */
static int store_sqlite_map_params(struct store_sqlite_stmt *entry, struct err *err)
{
        entry->num_bound = sqlite3_bind_parameter_count(entry->stmt);
        if (entry->num_bound > STORE_DB_PARAMS_MAX)
                return SMT_ERR(err, CA_ESTORE, "sqlite: %d parameters exceed %d", entry->num_bound,
                               STORE_DB_PARAMS_MAX);
        for (int i = 0; i < entry->num_bound; i++) {
                const char *name = sqlite3_bind_parameter_name(entry->stmt, i + 1);
                char *end = NULL;
                long n = name != NULL && name[0] == '$' ? strtol(name + 1, &end, 10) : 0;
                if (n < 1 || n > STORE_DB_PARAMS_MAX || end == NULL || *end != 0)
                        return SMT_ERR(err, CA_ESTORE, "sqlite: parameter %s is not $1..$%d", name != NULL ? name : "?",
                                       STORE_DB_PARAMS_MAX);
                entry->param_of[i] = (uint8_t)(n - 1);
        }
        return SMT_OK;
}

/* store_sqlite_statement finds sql's prepared statement in the cache or prepares it there. */
static int store_sqlite_statement(struct store_conn *conn, const char *sql, struct store_sqlite_stmt **out,
                                  struct err *err)
{
        size_t slot = (size_t)((((uintptr_t)sql >> 3) * 0x9e3779b97f4a7c15u) >> 56);
        for (size_t probe = 0; probe < STORE_SQLITE_CACHE_SLOTS; probe++) {
                struct store_sqlite_stmt *entry = &conn->cache[(slot + probe) & (STORE_SQLITE_CACHE_SLOTS - 1)];
                if (entry->sql == sql) {
                        *out = entry;
                        return SMT_OK;
                }
                if (entry->sql != NULL)
                        continue;
                int rc = sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &entry->stmt, NULL);
                if (rc != SQLITE_OK)
                        return store_sqlite_fail(conn, rc, "prepare", err);
                int status = store_sqlite_map_params(entry, err);
                if (status < 0) {
                        sqlite3_finalize(entry->stmt);
                        entry->stmt = NULL;
                        return status;
                }
                entry->sql = sql;
                *out = entry;
                return SMT_OK;
        }
        return SMT_ERR(err, CA_ESTORE, "sqlite: statement cache full (%d)", STORE_SQLITE_CACHE_SLOTS);
}

static int store_sqlite_bind(struct store_conn *conn, const struct store_sqlite_stmt *entry,
                             const struct store_value *params, size_t num_params, struct err *err)
{
        for (int i = 0; i < entry->num_bound; i++) {
                if (entry->param_of[i] >= num_params)
                        return SMT_ERR(err, CA_ESTORE, "sqlite: statement uses $%d, %zu given", entry->param_of[i] + 1,
                                       num_params);
                const struct store_value *value = &params[entry->param_of[i]];
                int rc = SQLITE_OK;
                if (value->type == STORE_VALUE_INT64)
                        rc = sqlite3_bind_int64(entry->stmt, i + 1, value->int64);
                else if (value->type == STORE_VALUE_TEXT && value->text != NULL)
                        rc = sqlite3_bind_text(entry->stmt, i + 1, value->text, -1, SQLITE_STATIC);
                else if (value->type == STORE_VALUE_BLOB && value->blob != NULL)
                        rc = sqlite3_bind_blob64(entry->stmt, i + 1, value->blob, value->blob_len, SQLITE_STATIC);
                else
                        rc = sqlite3_bind_null(entry->stmt, i + 1);
                if (rc != SQLITE_OK)
                        return store_sqlite_fail(conn, rc, "bind", err);
        }
        return SMT_OK;
}

static void store_sqlite_query_end(struct store_conn *conn)
{
        if (conn->current == NULL)
                return;
        sqlite3_reset(conn->current);
        sqlite3_clear_bindings(conn->current);
        conn->current = NULL;
        conn->has_pending_row = false;
}

static int store_sqlite_query(struct store_conn *conn, const char *sql, const struct store_value *params,
                              size_t num_params, struct err *err)
{
        store_sqlite_query_end(conn);
        struct store_sqlite_stmt *entry = NULL;
        TRY(store_sqlite_statement(conn, sql, &entry, err));
        int status = store_sqlite_bind(conn, entry, params, num_params, err);
        if (status < 0) {
                sqlite3_clear_bindings(entry->stmt);
                return status;
        }
        conn->current = entry->stmt;
        int rc = sqlite3_step(entry->stmt);
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
                conn->has_pending_row = rc == SQLITE_ROW;
                return SMT_OK;
        }
        status = store_sqlite_fail(conn, rc, "step", err);
        store_sqlite_query_end(conn);
        return status;
}

static int store_sqlite_next_row(struct store_conn *conn, struct err *err)
{
        if (conn->current == NULL)
                return 0;
        if (conn->has_pending_row) {
                conn->has_pending_row = false;
                return 1;
        }
        int rc = sqlite3_step(conn->current);
        if (rc == SQLITE_ROW)
                return 1;
        if (rc == SQLITE_DONE)
                return 0;
        return store_sqlite_fail(conn, rc, "step", err);
}

static bool store_sqlite_column_is_null(struct store_conn *conn, int column)
{
        return sqlite3_column_type(conn->current, column) == SQLITE_NULL;
}

static const char *store_sqlite_column_text(struct store_conn *conn, int column)
{
        return (const char *)sqlite3_column_text(conn->current, column);
}

static int64_t store_sqlite_column_int64(struct store_conn *conn, int column)
{
        return sqlite3_column_int64(conn->current, column);
}

static const uint8_t *store_sqlite_column_blob(struct store_conn *conn, int column, size_t *len)
{
        const uint8_t *blob = sqlite3_column_blob(conn->current, column);
        *len = (size_t)sqlite3_column_bytes(conn->current, column);
        return blob;
}

static int64_t store_sqlite_changes(struct store_conn *conn)
{
        return sqlite3_changes64(conn->db);
}

const struct store_db_ops store_db_sqlite = {
    .name = "sqlite",
    .blob_type = "BLOB",
    .begin_read = "BEGIN",
    /* IMMEDIATE takes the write lock first, so a transaction never upgrades from reader to writer and never
     * fails with SQLITE_BUSY halfway: writers wait in the busy handler instead. */
    .begin_write = "BEGIN IMMEDIATE",
    .schema_lock = NULL,
    /* In WAL mode a NORMAL commit is atomic and survives a crash of the process but not a power loss; FULL
     * syncs the WAL at commit, and with it every NORMAL commit before. */
    .durable_on = "PRAGMA synchronous = FULL",
    .durable_off = "PRAGMA synchronous = NORMAL",
    .has_row_locks = false,
    .connect = store_sqlite_connect,
    .disconnect = store_sqlite_disconnect,
    .describe = store_sqlite_describe,
    .is_broken = store_sqlite_is_broken,
    .reset = store_sqlite_reset,
    .exec_script = store_sqlite_exec_script,
    .query = store_sqlite_query,
    .next_row = store_sqlite_next_row,
    .column_is_null = store_sqlite_column_is_null,
    .column_text = store_sqlite_column_text,
    .column_int64 = store_sqlite_column_int64,
    .column_blob = store_sqlite_column_blob,
    .changes = store_sqlite_changes,
    .query_end = store_sqlite_query_end,
};
