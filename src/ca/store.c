/* src/ca/store.c: opening the store, its connection pool, and transactions over either back end. */
#include "ca/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/jose.h"
#include "crypto/random.h"

#define STORE_POOL_MAX 1024

static const char store_sql_commit[] = "COMMIT";
static const char store_sql_rollback[] = "ROLLBACK";

/* store_pick_backend reads the DSN's scheme: which back end, and what it connects to. */
static int store_pick_backend(const char *dsn, const struct store_db_ops **ops, const char **target, struct err *err)
{
        *ops = &store_db_sqlite;
        *target = dsn;
        if (strncmp(dsn, "postgresql://", 13) == 0 || strncmp(dsn, "postgres://", 11) == 0) {
                *ops = &store_db_postgresql;
        } else if (strncmp(dsn, "postgresql:", 11) == 0) {
                *ops = &store_db_postgresql;
                *target = dsn + 11;
        } else if (strncmp(dsn, "sqlite:", 7) == 0) {
                *target = dsn + 7;
        }
        if ((*target)[0] == 0)
                return SMT_ERR(err, SMT_EINVAL, "store: DSN \"%s\" names no database", dsn);
        return SMT_OK;
}

int store_open(struct store **out, const char *dsn, int pool_size, struct err *err)
{
        if (pool_size < 1 || pool_size > STORE_POOL_MAX)
                return SMT_ERR(err, SMT_EINVAL, "store: pool size %d is not 1..%d", pool_size, STORE_POOL_MAX);
        const struct store_db_ops *ops = NULL;
        const char *target = NULL;
        TRY(store_pick_backend(dsn, &ops, &target, err));
        struct store *store = calloc(1, sizeof *store);
        if (store == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
        store->ops = ops;
        store->pool_size = pool_size;
        pthread_mutex_init(&store->lock, NULL);
        pthread_cond_init(&store->available, NULL);
        atomic_init(&store->num_redeems, 0);
        store->target = strdup(target);
        store->idle = calloc((size_t)pool_size, sizeof *store->idle);
        int status =
            store->target != NULL && store->idle != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
        if (status == SMT_OK)
                status = ops->describe(&store->dsn_display, target, err);
        if (status == SMT_OK)
                status = store_schema_ensure(store, err);
        if (status < 0) {
                store_close(store);
                return status;
        }
        *out = store;
        return SMT_OK;
}

void store_close(struct store *store)
{
        if (store == NULL)
                return;
        for (int i = 0; i < store->num_idle; i++)
                store->ops->disconnect(store->idle[i]);
        pthread_cond_destroy(&store->available);
        pthread_mutex_destroy(&store->lock);
        free(store->idle);
        free(store->target);
        free(store->dsn_display);
        free(store);
}

const char *store_backend_name(const struct store *store)
{
        return store->ops->name;
}

int store_new_id(char out[STORE_ID_MAX], struct err *err)
{
        /* Ids are typed on command lines (an EAB kid after certbot's --eab-kid, lego's --kid): one that starts
         * with '-' is taken for an option there. Drawing again keeps every id uniform over the rest. */
        do {
                uint8_t random[16];
                TRY(random_bytes(random, sizeof random, err));
                struct buf_writer writer;
                buf_writer_init_fixed(&writer, (uint8_t *)out, STORE_ID_MAX - 1);
                int status = jose_b64url_encode(random, sizeof random, &writer, err);
                out[status == 0 ? writer.len : 0] = 0;
                if (status < 0)
                        return status;
        } while (out[0] == '-' || out[0] == '_');
        return 0;
}

int store_list_texts(struct store *store, const char *sql, const struct store_value *params, size_t num_params,
                     char *out, size_t stride, size_t cap, size_t *num, struct err *err)
{
        *num = 0;
        if (cap == 0)
                return SMT_OK;
        struct store_value all[4];
        if (num_params >= sizeof all / sizeof all[0])
                return SMT_ERR(err, SMT_EINTERNAL, "store: a list query with %zu parameters", num_params);
        if (num_params > 0)
                memcpy(all, params, num_params * sizeof *params);
        all[num_params] = store_int(cap > INT64_MAX ? INT64_MAX : (int64_t)cap);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status = store_tx_query(&tx, sql, all, num_params + 1, err);
        int row = 0;
        while (status == SMT_OK && *num < cap && (row = store_tx_next_row(&tx, err)) == 1) {
                status = store_tx_copy_text(&tx, 0, out + *num * stride, stride, err);
                (*num)++;
        }
        if (status == SMT_OK && row < 0)
                status = row;
        status = store_tx_end(&tx, status, err);
        if (status < 0)
                *num = 0;
        return status;
}

/* store_acquire takes an idle connection, opens one while fewer than pool_size are open, or waits. */
static int store_acquire(struct store *store, struct store_conn **out, struct err *err)
{
        pthread_mutex_lock(&store->lock);
        while (store->num_idle == 0 && store->num_open >= store->pool_size)
                pthread_cond_wait(&store->available, &store->lock);
        if (store->num_idle > 0) {
                *out = store->idle[--store->num_idle];
                pthread_mutex_unlock(&store->lock);
                return SMT_OK;
        }
        store->num_open++;
        pthread_mutex_unlock(&store->lock);
        int status = store->ops->connect(out, store->target, err);
        if (status == SMT_OK)
                return SMT_OK;
        pthread_mutex_lock(&store->lock);
        store->num_open--;
        pthread_cond_signal(&store->available);
        pthread_mutex_unlock(&store->lock);
        return err_prefix(err, "store %s", store->dsn_display);
}

/* store_release returns a connection to the pool, or closes it when it is broken (the next user opens a new
 * one). */
static void store_release(struct store *store, struct store_conn *conn)
{
        bool is_broken = store->ops->is_broken(conn);
        if (is_broken)
                store->ops->disconnect(conn);
        pthread_mutex_lock(&store->lock);
        if (is_broken)
                store->num_open--;
        else
                store->idle[store->num_idle++] = conn;
        pthread_cond_signal(&store->available);
        pthread_mutex_unlock(&store->lock);
}

/* store_tx_run runs one statement. A connection whose server went away since its last use (a restart, a
 * fail-over) is reset once, but only when this is the transaction's first statement: BEGIN, or the single
 * statement of a STORE_TX_SINGLE call. Should that one have committed before the connection broke, its retry
 * finds its own work and fails (a nonce inserted exists, one redeemed is gone): never two effects. */
static int store_tx_run(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                        struct err *err)
{
        const struct store_db_ops *ops = tx->store->ops;
        int status = ops->query(tx->conn, sql, params, num_params, err);
        if (status < 0 && tx->num_statements == 0 && ops->is_broken(tx->conn)) {
                TRY(ops->reset(tx->conn, err));
                status = ops->query(tx->conn, sql, params, num_params, err);
        }
        tx->num_statements++;
        return status;
}

/* store_tx_run_simple runs a statement without parameters or rows (BEGIN, a setting). */
static int store_tx_run_simple(struct store_tx *tx, const char *sql, struct err *err)
{
        int status = store_tx_run(tx, sql, NULL, 0, err);
        tx->store->ops->query_end(tx->conn);
        return status;
}

static bool store_tx_is_durable(const struct store_tx *tx)
{
        return tx->mode == STORE_TX_WRITE_DURABLE && tx->store->ops->durable_on != NULL;
}

/* store_tx_release restores the connection's default durability and gives it back to the pool. */
static void store_tx_release(struct store_tx *tx)
{
        if (store_tx_is_durable(tx)) {
                struct err ignored = {0}; /* at worst the connection stays durable, which is only slower */
                SMT_IGNORE(store_tx_run_simple(tx, tx->store->ops->durable_off, &ignored));
        }
        store_release(tx->store, tx->conn);
        tx->conn = NULL;
}

int store_tx_begin(struct store_tx *tx, struct store *store, enum store_tx_mode mode, struct err *err)
{
        *tx = (struct store_tx){.store = store, .mode = mode};
        TRY(store_acquire(store, &tx->conn, err));
        if (mode == STORE_TX_SINGLE)
                return SMT_OK;
        int status = SMT_OK;
        if (store_tx_is_durable(tx))
                status = store_tx_run_simple(tx, store->ops->durable_on, err);
        if (status == SMT_OK)
                status = store_tx_run_simple(
                    tx, mode == STORE_TX_READ ? store->ops->begin_read : store->ops->begin_write, err);
        if (status < 0)
                store_tx_release(tx);
        return status;
}

int store_tx_end(struct store_tx *tx, int status, struct err *err)
{
        if (tx->conn == NULL)
                return status;
        tx->store->ops->query_end(tx->conn);
        if (tx->mode != STORE_TX_SINGLE && status == SMT_OK)
                status = store_tx_run_simple(tx, store_sql_commit, err);
        if (tx->mode != STORE_TX_SINGLE && status < 0) {
                struct err ignored = {0}; /* the first failure is the one to report */
                SMT_IGNORE(store_tx_run_simple(tx, store_sql_rollback, &ignored));
        }
        store_tx_release(tx);
        return status;
}

int store_tx_query(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                   struct err *err)
{
        return store_tx_run(tx, sql, params, num_params, err);
}

int store_tx_next_row(struct store_tx *tx, struct err *err)
{
        return tx->store->ops->next_row(tx->conn, err);
}

void store_tx_query_end(struct store_tx *tx)
{
        tx->store->ops->query_end(tx->conn);
}

int store_tx_exec(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                  int64_t *changes, struct err *err)
{
        int status = store_tx_run(tx, sql, params, num_params, err);
        if (status == SMT_OK && changes != NULL)
                *changes = tx->store->ops->changes(tx->conn);
        tx->store->ops->query_end(tx->conn);
        return status;
}

int store_tx_query_one(struct store_tx *tx, const char *sql, const struct store_value *params, size_t num_params,
                       const char *what, const char *key, struct err *err)
{
        TRY(store_tx_run(tx, sql, params, num_params, err));
        int found = store_tx_next_row(tx, err);
        if (found == 1)
                return SMT_OK;
        store_tx_query_end(tx);
        return found < 0 ? found : SMT_ERR(err, CA_ENOT_FOUND, "%s %s not found", what, key);
}

int store_tx_exists(struct store_tx *tx, const char *sql, const char *key, bool *exists, struct err *err)
{
        TRY(store_tx_run(tx, sql, STORE_VALUES(store_text(key)), err));
        int found = store_tx_next_row(tx, err);
        store_tx_query_end(tx);
        *exists = found == 1;
        return found < 0 ? found : SMT_OK;
}

int64_t store_tx_int(struct store_tx *tx, int column)
{
        return tx->store->ops->column_int64(tx->conn, column);
}

const char *store_tx_text(struct store_tx *tx, int column)
{
        return tx->store->ops->column_text(tx->conn, column);
}

int store_tx_copy_text(struct store_tx *tx, int column, char *dst, size_t cap, struct err *err)
{
        const char *text = store_tx_text(tx, column);
        size_t len = text != NULL ? strlen(text) : 0;
        if (len >= cap)
                return SMT_ERR(err, CA_ESTORE, "store: column %d holds %zu bytes, more than %zu", column, len, cap - 1);
        memcpy(dst, text != NULL ? text : "", len + 1);
        return SMT_OK;
}

int store_tx_dup_text(struct store_tx *tx, int column, char **out, struct err *err)
{
        const char *text = store_tx_text(tx, column);
        *out = NULL;
        if (text == NULL)
                return SMT_OK;
        *out = strdup(text);
        return *out != NULL ? SMT_OK : SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
}

int store_tx_dup_blob(struct store_tx *tx, int column, uint8_t **out, size_t *len, struct err *err)
{
        const uint8_t *blob = tx->store->ops->column_blob(tx->conn, column, len);
        *out = malloc(*len > 0 ? *len : 1);
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
        if (*len > 0)
                memcpy(*out, blob, *len);
        return SMT_OK;
}

int store_tx_copy_blob(struct store_tx *tx, int column, uint8_t *dst, size_t cap, size_t *len, struct err *err)
{
        const uint8_t *blob = tx->store->ops->column_blob(tx->conn, column, len);
        if (*len > cap)
                return SMT_ERR(err, CA_ESTORE, "store: column %d holds %zu bytes, more than %zu", column, *len, cap);
        if (*len > 0)
                memcpy(dst, blob, *len);
        return SMT_OK;
}
