/* src/ca/store_db.h: internal to the store: what a database back end (SQLite, PostgreSQL) provides, so that
 * the store's typed functions are written once over it.
 *
 * SQL uses "$1, $2, ..." placeholders on both back ends. A statement's text must be a string literal (static
 * storage): both back ends prepare each statement once per connection, keyed by the text's address. Parameters
 * are typed so that PostgreSQL gets exact types in binary format and blobs round-trip byte for byte. */
#ifndef SMT_CA_STORE_DB_H
#define SMT_CA_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define STORE_DB_PARAMS_MAX 16

enum store_value_type {
        STORE_VALUE_TEXT = 1, /* text NULL = SQL NULL */
        STORE_VALUE_INT64 = 2,
        STORE_VALUE_BLOB = 3, /* blob NULL = SQL NULL */
};

struct store_value {
        enum store_value_type type;
        const char *text;
        int64_t int64;
        const uint8_t *blob;
        size_t blob_len;
};

static inline struct store_value store_text(const char *text)
{
        return (struct store_value){.type = STORE_VALUE_TEXT, .text = text};
}

static inline struct store_value store_int(int64_t value)
{
        return (struct store_value){.type = STORE_VALUE_INT64, .int64 = value};
}

static inline struct store_value store_blob(const uint8_t *blob, size_t blob_len)
{
        return (struct store_value){.type = STORE_VALUE_BLOB, .blob = blob, .blob_len = blob_len};
}

/* STORE_VALUES(a, b, ...) expands to an array of parameters and its length, for the exec/query functions. */
#define STORE_VALUES(...)                                                                                              \
        (const struct store_value[]){__VA_ARGS__},                                                                     \
            sizeof((const struct store_value[]){__VA_ARGS__}) / sizeof(struct store_value)

struct store_conn; /* one back-end connection, used by one thread at a time */

/* A back end. query runs sql with params; statements that return rows leave them to next_row (1 = a row is
 * current, 0 = no more) and the column readers; query_end releases the result. Failures: CA_ECONFLICT for a
 * unique-key violation, CA_ESTORE otherwise, with the database's message. */
struct store_db_ops {
        const char *name;        /* "sqlite", "postgresql" */
        const char *blob_type;   /* the column type of byte strings in the schema */
        const char *begin_read;  /* starts a read-only transaction */
        const char *begin_write; /* starts a read-write transaction */
        const char *schema_lock; /* serialises schema creation between processes, or NULL */
        /* durable_on / _off surround a transaction that must reach the disk before it returns (NULL when every
         * commit does). */
        const char *durable_on;
        const char *durable_off;
        bool has_row_locks; /* SELECT ... FOR UPDATE exists (SQLite's write lock is the whole database) */
        int (*connect)(struct store_conn **out, const char *target, struct err *err);
        void (*disconnect)(struct store_conn *conn);
        /* describe writes target as errors may show it, without any password, into a new string (free()). */
        int (*describe)(char **out, const char *target, struct err *err);
        /* is_broken says the connection is lost; reset reconnects it (CA_ESTORE when it cannot). */
        bool (*is_broken)(struct store_conn *conn);
        int (*reset)(struct store_conn *conn, struct err *err);
        /* exec_script runs statements without parameters and without caching (schema, settings). */
        int (*exec_script)(struct store_conn *conn, const char *sql, struct err *err);
        int (*query)(struct store_conn *conn, const char *sql, const struct store_value *params, size_t num_params,
                     struct err *err);
        int (*next_row)(struct store_conn *conn, struct err *err);
        /* Column readers of the current row; text and blob stay valid until the next next_row or query_end. */
        bool (*column_is_null)(struct store_conn *conn, int column);
        const char *(*column_text)(struct store_conn *conn, int column); /* NULL for SQL NULL */
        int64_t (*column_int64)(struct store_conn *conn, int column);
        const uint8_t *(*column_blob)(struct store_conn *conn, int column, size_t *len);
        /* changes counts the rows the last finished INSERT, UPDATE or DELETE changed. */
        int64_t (*changes)(struct store_conn *conn);
        void (*query_end)(struct store_conn *conn);
};

extern const struct store_db_ops store_db_sqlite;
extern const struct store_db_ops store_db_postgresql;

#endif
