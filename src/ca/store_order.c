/* src/ca/store_order.c: ACME orders (RFC 8555 7.1.3, 7.4): creation with their authorizations and challenges,
 * reading, listing, finalization and failure. */
#include "ca/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define STORE_ORDER_COLUMNS                                                                                            \
        "id, account_id, status, created_at, expires_at, not_before, not_after, identifiers_json, error_json,"         \
        " cert_serial, replaces, profile"

static const char store_sql_order_insert[] =
    "INSERT INTO orders (" STORE_ORDER_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
static const char store_sql_authz_insert[] = "INSERT INTO authzs (id, account_id, identifier_type, identifier_value,"
                                             " wildcard, status, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char store_sql_challenge_insert[] =
    "INSERT INTO challenges (id, authz_id, position, type, token, status, validated_at, error_json)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
static const char store_sql_order_authz_insert[] =
    "INSERT INTO order_authzs (order_id, authz_id, position) VALUES ($1, $2, $3)";
static const char store_sql_order_get[] = "SELECT " STORE_ORDER_COLUMNS " FROM orders WHERE id = $1";
static const char store_sql_order_authz_ids[] =
    "SELECT authz_id FROM order_authzs WHERE order_id = $1 ORDER BY position";
static const char store_sql_order_list[] =
    "SELECT id FROM orders WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2";
static const char store_sql_order_count[] = "SELECT COUNT(*) FROM orders WHERE account_id = $1 AND created_at >= $2";
_Static_assert(STORE_ORDER_VALID == 4, "store_sql_order_replaced spells STORE_ORDER_VALID as 4");
static const char store_sql_order_replaced[] = "SELECT 1 FROM orders WHERE replaces = $1 AND status = 4 LIMIT 1";
/* Only a READY order is finalized: of two finalizations the second finds it VALID and changes nothing. */
static const char store_sql_order_finalize[] =
    "UPDATE orders SET status = 4, cert_serial = $2, profile = $3 WHERE id = $1 AND status = 2";
static const char store_sql_order_set_invalid[] =
    "UPDATE orders SET status = 5, error_json = $2 WHERE id = $1 AND status IN (1, 2)";
static const char store_sql_order_exists[] = "SELECT 1 FROM orders WHERE id = $1";

static int store_order_insert_authz(struct store_tx *tx, const struct store_authz *authz, struct err *err)
{
        return store_tx_exec(tx, store_sql_authz_insert,
                             STORE_VALUES(store_text(authz->id), store_text(authz->account_id),
                                          store_text(authz->identifier_type), store_text(authz->identifier_value),
                                          store_int(authz->wildcard ? 1 : 0), store_int(authz->status),
                                          store_int(authz->expires_at)),
                             NULL, err);
}

static int store_order_insert_challenge(struct store_tx *tx, const struct store_challenge *challenge, size_t position,
                                        struct err *err)
{
        return store_tx_exec(tx, store_sql_challenge_insert,
                             STORE_VALUES(store_text(challenge->id), store_text(challenge->authz_id),
                                          store_int((int64_t)position), store_text(challenge->type),
                                          store_text(challenge->token), store_int(challenge->status),
                                          store_int(challenge->validated_at), store_text(challenge->error_json)),
                             NULL, err);
}

static int store_order_create_tx(struct store_tx *tx, const struct store_order *order,
                                 const struct store_authz *new_authzs, size_t num_new_authzs,
                                 const struct store_challenge *challenges, size_t num_challenges, struct err *err)
{
        TRY(store_tx_exec(tx, store_sql_order_insert,
                          STORE_VALUES(store_text(order->id), store_text(order->account_id), store_int(order->status),
                                       store_int(order->created_at), store_int(order->expires_at),
                                       store_int(order->not_before), store_int(order->not_after),
                                       store_text(order->identifiers_json), store_text(order->error_json),
                                       store_text(order->cert_serial), store_text(order->replaces),
                                       store_text(order->profile)),
                          NULL, err));
        for (size_t i = 0; i < num_new_authzs; i++)
                TRY(store_order_insert_authz(tx, &new_authzs[i], err));
        for (size_t i = 0; i < num_challenges; i++)
                TRY(store_order_insert_challenge(tx, &challenges[i], i, err));
        for (size_t i = 0; i < order->num_authz_ids; i++)
                TRY(store_tx_exec(
                    tx, store_sql_order_authz_insert,
                    STORE_VALUES(store_text(order->id), store_text(order->authz_ids[i]), store_int((int64_t)i)), NULL,
                    err));
        return SMT_OK;
}

int store_order_create(struct store *store, const struct store_order *order, const struct store_authz *new_authzs,
                       size_t num_new_authzs, const struct store_challenge *challenges, size_t num_challenges,
                       struct err *err)
{
        if (order->identifiers_json == NULL || (order->num_authz_ids > 0 && order->authz_ids == NULL))
                return SMT_ERR(err, SMT_EINVAL, "order %s: identifiers_json and authz_ids are required", order->id);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE, err));
        int status = store_order_create_tx(&tx, order, new_authzs, num_new_authzs, challenges, num_challenges, err);
        if (status == CA_ECONFLICT)
                err_prefix(err, "order %s", order->id);
        return store_tx_end(&tx, status, err);
}

static int store_order_read_row(struct store_tx *tx, struct store_order *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->id, sizeof out->id, err));
        TRY(store_tx_copy_text(tx, 1, out->account_id, sizeof out->account_id, err));
        out->status = (int)store_tx_int(tx, 2);
        out->created_at = store_tx_int(tx, 3);
        out->expires_at = store_tx_int(tx, 4);
        out->not_before = store_tx_int(tx, 5);
        out->not_after = store_tx_int(tx, 6);
        TRY(store_tx_dup_text(tx, 7, &out->identifiers_json, err));
        TRY(store_tx_dup_text(tx, 8, &out->error_json, err));
        TRY(store_tx_copy_text(tx, 9, out->cert_serial, sizeof out->cert_serial, err));
        TRY(store_tx_copy_text(tx, 10, out->replaces, sizeof out->replaces, err));
        return store_tx_copy_text(tx, 11, out->profile, sizeof out->profile, err);
}

/* store_order_read_authz_ids appends each row's authorization id to out->authz_ids, growing it as needed. */
static int store_order_read_authz_ids(struct store_tx *tx, struct store_order *out, struct err *err)
{
        size_t cap = 0;
        int row;
        while ((row = store_tx_next_row(tx, err)) == 1) {
                if (out->num_authz_ids == cap) {
                        size_t new_cap = cap == 0 ? 4 : cap * 2;
                        char(*grown)[STORE_ID_MAX] = realloc(out->authz_ids, new_cap * sizeof *grown);
                        if (grown == NULL)
                                return SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
                        out->authz_ids = grown;
                        cap = new_cap;
                }
                TRY(store_tx_copy_text(tx, 0, out->authz_ids[out->num_authz_ids], STORE_ID_MAX, err));
                out->num_authz_ids++;
        }
        return row;
}

static int store_order_get_tx(struct store_tx *tx, const char *id, struct store_order *out, struct err *err)
{
        TRY(store_tx_query_one(tx, store_sql_order_get, STORE_VALUES(store_text(id)), "order", id, err));
        int status = store_order_read_row(tx, out, err);
        store_tx_query_end(tx);
        TRY(status);
        TRY(store_tx_query(tx, store_sql_order_authz_ids, STORE_VALUES(store_text(id)), err));
        status = store_order_read_authz_ids(tx, out, err);
        store_tx_query_end(tx);
        return status;
}

int store_order_get(struct store *store, const char *id, struct store_order *out, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_READ, err));
        int status = store_tx_end(&tx, store_order_get_tx(&tx, id, out, err), err);
        if (status < 0)
                store_order_clear(out);
        return status;
}

int store_order_list_ids(struct store *store, const char *account_id, char (*ids)[STORE_ID_MAX], size_t cap,
                         size_t *num, struct err *err)
{
        return store_list_texts(store, store_sql_order_list, STORE_VALUES(store_text(account_id)), ids[0],
                                STORE_ID_MAX, cap, num, err);
}

int store_order_count_since(struct store *store, const char *account_id, int64_t since, int64_t *count, struct err *err)
{
        *count = 0;
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status =
            store_tx_query_one(&tx, store_sql_order_count, STORE_VALUES(store_text(account_id), store_int(since)),
                               "orders of account", account_id, err);
        if (status == SMT_OK)
                *count = store_tx_int(&tx, 0);
        return store_tx_end(&tx, status, err);
}

int store_order_replaced(struct store *store, const char *cert_id, bool *replaced, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        return store_tx_end(&tx, store_tx_exists(&tx, store_sql_order_replaced, cert_id, replaced, err), err);
}

/* store_order_explain_unchanged turns "no row changed" into CA_ENOT_FOUND or CA_ECONFLICT. */
static int store_order_explain_unchanged(struct store_tx *tx, const char *id, const char *expected, struct err *err)
{
        bool exists = false;
        TRY(store_tx_exists(tx, store_sql_order_exists, id, &exists, err));
        if (!exists)
                return SMT_ERR(err, CA_ENOT_FOUND, "order %s not found", id);
        return SMT_ERR(err, CA_ECONFLICT, "order %s is not %s any more", id, expected);
}

static int store_order_finalize_tx(struct store_tx *tx, const char *order_id, const struct store_cert *cert,
                                   struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_order_finalize,
                          STORE_VALUES(store_text(order_id), store_text(cert->serial), store_text(cert->profile)),
                          &changes, err));
        if (changes != 1)
                return store_order_explain_unchanged(tx, order_id, "ready", err);
        return store_cert_insert_tx(tx, cert, err);
}

int store_order_finalize(struct store *store, const char *order_id, const struct store_cert *cert, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        return store_tx_end(&tx, store_order_finalize_tx(&tx, order_id, cert, err), err);
}

static int store_order_set_invalid_tx(struct store_tx *tx, const char *order_id, const char *error_json,
                                      struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_order_set_invalid, STORE_VALUES(store_text(order_id), store_text(error_json)),
                          &changes, err));
        if (changes != 1)
                return store_order_explain_unchanged(tx, order_id, "pending or ready", err);
        return SMT_OK;
}

int store_order_set_invalid(struct store *store, const char *order_id, const char *error_json, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE, err));
        return store_tx_end(&tx, store_order_set_invalid_tx(&tx, order_id, error_json, err), err);
}

void store_order_clear(struct store_order *order)
{
        if (order == NULL)
                return;
        free(order->identifiers_json);
        free(order->error_json);
        free(order->authz_ids);
        order->identifiers_json = NULL;
        order->error_json = NULL;
        order->authz_ids = NULL;
        order->num_authz_ids = 0;
}
