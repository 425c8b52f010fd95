/* src/ca/store_internal.h: internal to the store: the connection pool, transactions and row readers that the
 * typed functions (store_account.c, store_order.c, store_authz.c, store_cert.c, store_nonce.c) share. */
#ifndef SMT_CA_STORE_INTERNAL_H
#define SMT_CA_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "ca/store.h"
#include "ca/store_db.h"

#define STORE_SCHEMA_VERSION 1

struct store {
        const struct store_db_ops *ops;
        char *target;      /* the path (SQLite) or libpq connection string */
        char *dsn_display; /* the DSN as errors show it: without a password */
        int pool_size;
        pthread_mutex_t lock;
        pthread_cond_t available;
        struct store_conn **idle; /* pool_size slots */
        int num_idle;
        int num_open;
        atomic_uint_fast64_t num_redeems; /* drives the occasional purge of expired nonces */
};

enum store_tx_mode {
        STORE_TX_SINGLE = 1, /* one statement: its own transaction, no BEGIN */
        STORE_TX_READ = 2,   /* several reads that must see one snapshot */
        STORE_TX_WRITE = 3,  /* state a power loss may take back (nonces, validation steps): the client retries */
        STORE_TX_WRITE_DURABLE = 4, /* on disk before it returns: certificates, revocations, accounts, keys */
};

/* struct store_tx: a connection taken from the pool for one transaction. */
struct store_tx {
        struct store *store;
        struct store_conn *conn;
        enum store_tx_mode mode;
        int num_statements;
};

/* store_tx_begin takes a connection (waiting while all pool_size are busy) and starts a transaction. */
int store_tx_begin(struct store_tx *tx, struct store *store, enum store_tx_mode mode, struct err *err) SMT_MUST_USE;

/* store_tx_end commits when status is 0 (a failing commit turns it into CA_ESTORE), rolls back otherwise,
 * returns the connection to the pool and returns the final status. */
int store_tx_end(struct store_tx *tx, int status, struct err *err) SMT_MUST_USE;

/* store_tx_exec runs a statement that returns no rows; *changes (may be NULL) gets the rows it changed. */
int store_tx_exec(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                  int64_t *changes, struct err *err) SMT_MUST_USE;

/* store_tx_query runs a statement whose rows store_tx_next_row then walks (1 = a row, 0 = done); finish with
 * store_tx_query_end. */
int store_tx_query(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                   struct err *err) SMT_MUST_USE;
int store_tx_next_row(struct store_tx *tx, struct err *err) SMT_MUST_USE;
void store_tx_query_end(struct store_tx *tx);

/* store_tx_query_one runs a statement and moves to its first row; CA_ENOT_FOUND ("<what> <key> not found")
 * when there is none. The result stays open for the column readers: finish with store_tx_query_end. */
int store_tx_query_one(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                       const char *what, const char *key, struct err *err) SMT_MUST_USE;

/* store_tx_exists says whether a query (typically "SELECT 1 ... WHERE key = $1") returns a row. */
int store_tx_exists(struct store_tx *tx, const char *sql, const char *key, bool *exists, struct err *err) SMT_MUST_USE;

/* Column readers of the current row. */
int64_t store_tx_int(struct store_tx *tx, int column);
const char *store_tx_text(struct store_tx *tx, int column); /* NULL for SQL NULL */

/* store_tx_copy_text copies a text column into dst (CA_ESTORE when it does not fit; "" for NULL). */
int store_tx_copy_text(struct store_tx *tx, int column, char *dst, size_t cap, struct err *err) SMT_MUST_USE;

/* store_tx_dup_text copies a text column into a new string (*out NULL for SQL NULL). */
int store_tx_dup_text(struct store_tx *tx, int column, char **out, struct err *err) SMT_MUST_USE;

/* store_tx_dup_blob copies a blob column into a new buffer (free()). */
int store_tx_dup_blob(struct store_tx *tx, int column, uint8_t **out, size_t *len, struct err *err) SMT_MUST_USE;

/* store_tx_copy_blob copies a blob column into dst of cap bytes (CA_ESTORE when it does not fit). */
int store_tx_copy_blob(struct store_tx *tx, int column, uint8_t *dst, size_t cap, size_t *len,
                       struct err *err) SMT_MUST_USE;

/* store_list_texts runs sql in a read transaction with params and then the row limit cap as its last
 * parameter, and copies column 0 of each row to out + i * stride (at most stride bytes with the NUL):
 * *num rows. On failure *num is 0: nothing half-listed. At most 3 params. */
int store_list_texts(struct store *store, const char *sql, const struct store_value *params, size_t num_params,
                     char *out, size_t stride, size_t cap, size_t *num, struct err *err) SMT_MUST_USE;

/* store_cert_insert_tx inserts cert and its names in tx (store_cert.c); SMT_EEXIST when the serial exists. */
int store_cert_insert_tx(struct store_tx *tx, const struct store_cert *cert, struct err *err) SMT_MUST_USE;

/* store_schema_ensure creates the schema in an empty database, checks its version otherwise (store_schema.c). */
int store_schema_ensure(struct store *store, struct err *err) SMT_MUST_USE;

#endif
