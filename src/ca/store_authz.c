/* src/ca/store_authz.c: authorizations and challenges (RFC 8555 7.1.4, 7.5): reading, reuse, deactivation, and
 * the validation's two steps, start (one winner) and finish (cascading to the authorization and its orders). */
#include "ca/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define STORE_AUTHZ_COLUMNS     "id, account_id, identifier_type, identifier_value, wildcard, status, expires_at"
#define STORE_CHALLENGE_COLUMNS "id, authz_id, type, token, status, validated_at, error_json"
#define STORE_ORDERS_OF_AUTHZ   "id IN (SELECT order_id FROM order_authzs WHERE authz_id = $1)"

static const char store_sql_authz_get[] = "SELECT " STORE_AUTHZ_COLUMNS " FROM authzs WHERE id = $1";
static const char store_sql_authz_find_valid[] =
    "SELECT " STORE_AUTHZ_COLUMNS " FROM authzs WHERE account_id = $1 AND identifier_value = $2"
    " AND identifier_type = $3 AND wildcard = $4 AND status = 2 AND expires_at > $5 ORDER BY expires_at DESC LIMIT 1";
static const char store_sql_authz_deactivate[] = "UPDATE authzs SET status = 4 WHERE id = $1 AND status IN (1, 2)";
static const char store_sql_authz_exists[] = "SELECT 1 FROM authzs WHERE id = $1";
/* PostgreSQL at READ COMMITTED: a transaction deciding about the orders of an authorization first locks them,
 * in id order (no deadlock between two such transactions). Its next statement then sees every change of the
 * transactions that held them before, e.g. the other authorization of an order made valid meanwhile. */
static const char store_sql_orders_lock[] =
    "SELECT id FROM orders WHERE status IN (1, 2) AND " STORE_ORDERS_OF_AUTHZ " ORDER BY id FOR UPDATE";
static const char store_sql_orders_invalidate_deactivated[] =
    "UPDATE orders SET status = 5 WHERE status IN (1, 2) AND " STORE_ORDERS_OF_AUTHZ;
static const char store_sql_orders_invalidate_failed[] =
    "UPDATE orders SET status = 5, error_json = $2 WHERE status = 1 AND " STORE_ORDERS_OF_AUTHZ;
static const char store_sql_orders_make_ready[] =
    "UPDATE orders SET status = 2 WHERE status = 1 AND " STORE_ORDERS_OF_AUTHZ
    " AND NOT EXISTS (SELECT 1 FROM order_authzs o JOIN authzs a ON a.id = o.authz_id"
    " WHERE o.order_id = orders.id AND a.status <> 2)";
static const char store_sql_challenge_list[] =
    "SELECT " STORE_CHALLENGE_COLUMNS " FROM challenges WHERE authz_id = $1 ORDER BY position LIMIT $2";
static const char store_sql_challenge_get[] = "SELECT " STORE_CHALLENGE_COLUMNS " FROM challenges WHERE id = $1";
static const char store_sql_challenge_exists[] = "SELECT 1 FROM challenges WHERE id = $1";
static const char store_sql_challenge_start[] = "UPDATE challenges SET status = 2 WHERE id = $1 AND status = 1"
                                                " AND authz_id IN (SELECT id FROM authzs WHERE status = 1)";
static const char store_sql_challenge_finish[] =
    "UPDATE challenges SET status = $2, validated_at = $3, error_json = $4 WHERE id = $1 AND status = 2";
static const char store_sql_challenge_authz[] = "SELECT authz_id FROM challenges WHERE id = $1";
static const char store_sql_authz_settle[] = "UPDATE authzs SET status = $2 WHERE id = $1 AND status = 1";
static const char store_sql_challenge_processing[] = "SELECT id FROM challenges WHERE status = 2 ORDER BY id LIMIT $1";

static int store_authz_read_row(struct store_tx *tx, struct store_authz *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->id, sizeof out->id, err));
        TRY(store_tx_copy_text(tx, 1, out->account_id, sizeof out->account_id, err));
        TRY(store_tx_copy_text(tx, 2, out->identifier_type, sizeof out->identifier_type, err));
        TRY(store_tx_copy_text(tx, 3, out->identifier_value, sizeof out->identifier_value, err));
        out->wildcard = store_tx_int(tx, 4) != 0;
        out->status = (int)store_tx_int(tx, 5);
        out->expires_at = store_tx_int(tx, 6);
        return SMT_OK;
}

static int store_authz_load(struct store *store, const char *sql, const struct store_value *params, size_t num_params,
                            const char *key, struct store_authz *out, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status = store_tx_query_one(&tx, sql, params, num_params, "authorization", key, err);
        if (status == SMT_OK)
                status = store_authz_read_row(&tx, out, err);
        return store_tx_end(&tx, status, err);
}

int store_authz_get(struct store *store, const char *id, struct store_authz *out, struct err *err)
{
        return store_authz_load(store, store_sql_authz_get, STORE_VALUES(store_text(id)), id, out, err);
}

int store_authz_find_valid(struct store *store, const char *account_id, const char *identifier_type,
                           const char *identifier_value, bool wildcard, int64_t now, struct store_authz *out,
                           struct err *err)
{
        return store_authz_load(store, store_sql_authz_find_valid,
                                STORE_VALUES(store_text(account_id), store_text(identifier_value),
                                             store_text(identifier_type), store_int(wildcard ? 1 : 0), store_int(now)),
                                identifier_value, out, err);
}

static int store_authz_lock_orders(struct store_tx *tx, const char *authz_id, struct err *err)
{
        if (!tx->store->ops->has_row_locks)
                return SMT_OK;
        TRY(store_tx_query(tx, store_sql_orders_lock, STORE_VALUES(store_text(authz_id)), err));
        int row;
        while ((row = store_tx_next_row(tx, err)) == 1)
                continue;
        store_tx_query_end(tx);
        return row;
}

static int store_authz_deactivate_tx(struct store_tx *tx, const char *id, struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_authz_deactivate, STORE_VALUES(store_text(id)), &changes, err));
        if (changes != 1) {
                bool exists = false;
                TRY(store_tx_exists(tx, store_sql_authz_exists, id, &exists, err));
                if (!exists)
                        return SMT_ERR(err, CA_ENOT_FOUND, "authorization %s not found", id);
                return SMT_ERR(err, CA_ECONFLICT, "authorization %s is neither pending nor valid", id);
        }
        TRY(store_authz_lock_orders(tx, id, err));
        return store_tx_exec(tx, store_sql_orders_invalidate_deactivated, STORE_VALUES(store_text(id)), NULL, err);
}

int store_authz_deactivate(struct store *store, const char *id, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        return store_tx_end(&tx, store_authz_deactivate_tx(&tx, id, err), err);
}

static int store_challenge_read_row(struct store_tx *tx, struct store_challenge *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->id, sizeof out->id, err));
        TRY(store_tx_copy_text(tx, 1, out->authz_id, sizeof out->authz_id, err));
        TRY(store_tx_copy_text(tx, 2, out->type, sizeof out->type, err));
        TRY(store_tx_copy_text(tx, 3, out->token, sizeof out->token, err));
        out->status = (int)store_tx_int(tx, 4);
        out->validated_at = store_tx_int(tx, 5);
        return store_tx_dup_text(tx, 6, &out->error_json, err);
}

int store_challenge_list(struct store *store, const char *authz_id, struct store_challenge *out, size_t cap,
                         size_t *num, struct err *err)
{
        *num = 0;
        if (cap == 0)
                return SMT_OK;
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status = store_tx_query(
            &tx, store_sql_challenge_list,
            STORE_VALUES(store_text(authz_id), store_int(cap > INT64_MAX ? INT64_MAX : (int64_t)cap)), err);
        int row = 0;
        while (status == SMT_OK && *num < cap && (row = store_tx_next_row(&tx, err)) == 1) {
                memset(&out[*num], 0, sizeof out[*num]);
                status = store_challenge_read_row(&tx, &out[*num], err);
                (*num)++;
        }
        if (status == SMT_OK && row < 0)
                status = row;
        status = store_tx_end(&tx, status, err);
        if (status < 0) {
                for (size_t i = 0; i < *num; i++)
                        store_challenge_clear(&out[i]);
                *num = 0;
        }
        return status;
}

int store_challenge_get(struct store *store, const char *id, struct store_challenge *out, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status =
            store_tx_query_one(&tx, store_sql_challenge_get, STORE_VALUES(store_text(id)), "challenge", id, err);
        if (status == SMT_OK)
                status = store_challenge_read_row(&tx, out, err);
        status = store_tx_end(&tx, status, err);
        if (status < 0)
                store_challenge_clear(out);
        return status;
}

/* store_challenge_explain_unchanged turns "no row changed" into CA_ENOT_FOUND or CA_ECONFLICT. */
static int store_challenge_explain_unchanged(struct store_tx *tx, const char *id, const char *expected, struct err *err)
{
        bool exists = false;
        TRY(store_tx_exists(tx, store_sql_challenge_exists, id, &exists, err));
        if (!exists)
                return SMT_ERR(err, CA_ENOT_FOUND, "challenge %s not found", id);
        return SMT_ERR(err, CA_ECONFLICT, "challenge %s is not %s", id, expected);
}

static int store_challenge_start_tx(struct store_tx *tx, const char *id, struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_challenge_start, STORE_VALUES(store_text(id)), &changes, err));
        if (changes != 1)
                return store_challenge_explain_unchanged(tx, id, "pending with a pending authorization", err);
        return SMT_OK;
}

int store_challenge_start(struct store *store, const char *id, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE, err));
        return store_tx_end(&tx, store_challenge_start_tx(&tx, id, err), err);
}

/* store_challenge_settle_orders carries a settled authorization to its pending orders: ready when this was the
 * last one missing, invalid (with the challenge's problem) when it failed. */
static int store_challenge_settle_orders(struct store_tx *tx, const char *authz_id, bool is_valid,
                                         const char *error_json, struct err *err)
{
        TRY(store_authz_lock_orders(tx, authz_id, err));
        if (is_valid)
                return store_tx_exec(tx, store_sql_orders_make_ready, STORE_VALUES(store_text(authz_id)), NULL, err);
        return store_tx_exec(tx, store_sql_orders_invalidate_failed,
                             STORE_VALUES(store_text(authz_id), store_text(error_json)), NULL, err);
}

static int store_challenge_finish_tx(struct store_tx *tx, const char *id, bool is_valid, const char *error_json,
                                     int64_t now, struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_challenge_finish,
                          STORE_VALUES(store_text(id),
                                       store_int(is_valid ? STORE_CHALLENGE_VALID : STORE_CHALLENGE_INVALID),
                                       store_int(is_valid ? now : 0), store_text(is_valid ? NULL : error_json)),
                          &changes, err));
        if (changes != 1)
                return store_challenge_explain_unchanged(tx, id, "processing", err);
        char authz_id[STORE_ID_MAX];
        TRY(store_tx_query_one(tx, store_sql_challenge_authz, STORE_VALUES(store_text(id)), "challenge", id, err));
        int status = store_tx_copy_text(tx, 0, authz_id, sizeof authz_id, err);
        store_tx_query_end(tx);
        TRY(status);
        /* Only a pending authorization settles: another of its challenges may have settled it meanwhile, or it
         * was deactivated; then this result is recorded on the challenge alone. */
        TRY(store_tx_exec(
            tx, store_sql_authz_settle,
            STORE_VALUES(store_text(authz_id), store_int(is_valid ? STORE_AUTHZ_VALID : STORE_AUTHZ_INVALID)), &changes,
            err));
        if (changes != 1)
                return SMT_OK;
        return store_challenge_settle_orders(tx, authz_id, is_valid, error_json, err);
}

int store_challenge_finish(struct store *store, const char *id, bool is_valid, const char *error_json, int64_t now,
                           struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE, err));
        return store_tx_end(&tx, store_challenge_finish_tx(&tx, id, is_valid, error_json, now, err), err);
}

int store_challenge_list_processing(struct store *store, char (*ids)[STORE_ID_MAX], size_t cap, size_t *num,
                                    struct err *err)
{
        return store_list_texts(store, store_sql_challenge_processing, NULL, 0, ids[0], STORE_ID_MAX, cap, num, err);
}

void store_challenge_clear(struct store_challenge *challenge)
{
        if (challenge == NULL)
                return;
        free(challenge->error_json);
        challenge->error_json = NULL;
}
