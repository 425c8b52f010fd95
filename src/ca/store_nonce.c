/* src/ca/store_nonce.c: anti-replay nonces (RFC 8555 7.2), shared by every process on the database. */
#include "ca/store_internal.h"

/* A purge of expired nonces rides along every STORE_NONCE_PURGE_EVERY-th redemption: rare enough to cost
 * nothing per request, often enough that the table stays the size of max_age's worth of traffic. */
#define STORE_NONCE_PURGE_EVERY 1000

static const char store_sql_nonce_insert[] = "INSERT INTO nonces (value, issued_at) VALUES ($1, $2)";
/* Deleting is redeeming: of two requests with one nonce, the second deletes nothing. */
static const char store_sql_nonce_redeem[] = "DELETE FROM nonces WHERE value = $1 AND issued_at > $2";
static const char store_sql_nonce_purge[] = "DELETE FROM nonces WHERE issued_at <= $1";

int store_nonce_insert(struct store *store, const char *nonce, int64_t now, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status =
            store_tx_exec(&tx, store_sql_nonce_insert, STORE_VALUES(store_text(nonce), store_int(now)), NULL, err);
        if (status == CA_ECONFLICT)
                status = SMT_ERR(err, CA_ECONFLICT, "nonce %s exists", nonce);
        return store_tx_end(&tx, status, err);
}

static int store_nonce_redeem_tx(struct store_tx *tx, const char *nonce, int64_t oldest, bool is_purge_due,
                                 int64_t *changes, struct err *err)
{
        TRY(store_tx_exec(tx, store_sql_nonce_redeem, STORE_VALUES(store_text(nonce), store_int(oldest)), changes,
                          err));
        if (is_purge_due)
                TRY(store_tx_exec(tx, store_sql_nonce_purge, STORE_VALUES(store_int(oldest)), NULL, err));
        return SMT_OK;
}

int store_nonce_redeem(struct store *store, const char *nonce, int64_t now, int64_t max_age, struct err *err)
{
        uint64_t count = atomic_fetch_add(&store->num_redeems, 1);
        bool is_purge_due = count % STORE_NONCE_PURGE_EVERY == STORE_NONCE_PURGE_EVERY - 1;
        struct store_tx tx;
        int64_t changes = 0;
        TRY(store_tx_begin(&tx, store, is_purge_due ? STORE_TX_WRITE : STORE_TX_SINGLE, err));
        /* An unknown nonce is no failure of the transaction: a purge that came with it stays done. */
        TRY(store_tx_end(&tx, store_nonce_redeem_tx(&tx, nonce, now - max_age, is_purge_due, &changes, err), err));
        if (changes != 1)
                return SMT_ERR(err, CA_ENOT_FOUND, "nonce %s is unknown, used or too old", nonce);
        return SMT_OK;
}
