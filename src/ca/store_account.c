/* src/ca/store_account.c: ACME accounts and external account binding keys (RFC 8555 7.3, 7.3.4). */
#include "ca/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define STORE_ACCOUNT_COLUMNS "id, key_thumbprint, key_jwk, contact_json, status, created_at, eab_kid, organization"

static const char store_sql_account_insert[] =
    "INSERT INTO accounts (id, key_thumbprint, key_jwk, contact_json, status, created_at, eab_kid, organization)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/* The key is bound only while unbound: of two accounts created with one key, the second changes nothing. */
static const char store_sql_eab_bind[] = "UPDATE eab_keys SET account_id = $2 WHERE kid = $1 AND account_id IS NULL";
static const char store_sql_eab_exists[] = "SELECT 1 FROM eab_keys WHERE kid = $1";
static const char store_sql_account_get[] = "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts WHERE id = $1";
static const char store_sql_account_by_thumbprint[] =
    "SELECT " STORE_ACCOUNT_COLUMNS " FROM accounts WHERE key_thumbprint = $1";
/* A deactivated or revoked account stays so (RFC 8555 7.3.6): the row only changes if the new status is not
 * valid or the old one is. */
static const char store_sql_account_update[] =
    "UPDATE accounts SET key_thumbprint = $2, key_jwk = $3, contact_json = $4, status = $5, organization = $6"
    " WHERE id = $1 AND (status = 1 OR $5 <> 1)";
static const char store_sql_account_exists[] = "SELECT 1 FROM accounts WHERE id = $1";
static const char store_sql_eab_insert[] =
    "INSERT INTO eab_keys (kid, hmac_key, account_id, created_at) VALUES ($1, $2, NULL, $3)";
static const char store_sql_eab_get[] = "SELECT kid, hmac_key, account_id, created_at FROM eab_keys WHERE kid = $1";

static int store_account_bind_eab(struct store_tx *tx, const struct store_account *account, struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_eab_bind, STORE_VALUES(store_text(account->eab_kid), store_text(account->id)),
                          &changes, err));
        if (changes == 1)
                return SMT_OK;
        bool exists = false;
        TRY(store_tx_exists(tx, store_sql_eab_exists, account->eab_kid, &exists, err));
        if (!exists)
                return SMT_ERR(err, CA_ENOT_FOUND, "external account binding key %s not found", account->eab_kid);
        return SMT_ERR(err, CA_ECONFLICT, "external account binding key %s is bound to another account",
                       account->eab_kid);
}

static int store_account_insert_tx(struct store_tx *tx, const struct store_account *account, struct err *err)
{
        int status = store_tx_exec(tx, store_sql_account_insert,
                                   STORE_VALUES(store_text(account->id), store_text(account->key_thumbprint),
                                                store_text(account->key_jwk), store_text(account->contact_json),
                                                store_int(account->status), store_int(account->created_at),
                                                store_text(account->eab_kid), store_text(account->organization)),
                                   NULL, err);
        if (status == CA_ECONFLICT)
                return SMT_ERR(err, CA_ECONFLICT, "account %s: the id or key thumbprint %s exists", account->id,
                               account->key_thumbprint);
        TRY(status);
        if (account->eab_kid[0] != 0)
                TRY(store_account_bind_eab(tx, account, err));
        return SMT_OK;
}

int store_account_insert(struct store *store, const struct store_account *account, struct err *err)
{
        if (account->key_jwk == NULL || account->contact_json == NULL)
                return SMT_ERR(err, SMT_EINVAL, "account %s: key_jwk and contact_json are required", account->id);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        return store_tx_end(&tx, store_account_insert_tx(&tx, account, err), err);
}

static int store_account_read_row(struct store_tx *tx, struct store_account *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->id, sizeof out->id, err));
        TRY(store_tx_copy_text(tx, 1, out->key_thumbprint, sizeof out->key_thumbprint, err));
        TRY(store_tx_dup_text(tx, 2, &out->key_jwk, err));
        TRY(store_tx_dup_text(tx, 3, &out->contact_json, err));
        out->status = (int)store_tx_int(tx, 4);
        out->created_at = store_tx_int(tx, 5);
        TRY(store_tx_copy_text(tx, 6, out->eab_kid, sizeof out->eab_kid, err));
        return store_tx_dup_text(tx, 7, &out->organization, err);
}

static int store_account_load(struct store *store, const char *sql, const char *what, const char *key,
                              struct store_account *out, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status = store_tx_query_one(&tx, sql, STORE_VALUES(store_text(key)), what, key, err);
        if (status == SMT_OK)
                status = store_account_read_row(&tx, out, err);
        status = store_tx_end(&tx, status, err);
        if (status < 0)
                store_account_clear(out);
        return status;
}

int store_account_get(struct store *store, const char *id, struct store_account *out, struct err *err)
{
        return store_account_load(store, store_sql_account_get, "account", id, out, err);
}

int store_account_find_by_thumbprint(struct store *store, const char *thumbprint, struct store_account *out,
                                     struct err *err)
{
        return store_account_load(store, store_sql_account_by_thumbprint, "account with key thumbprint", thumbprint,
                                  out, err);
}

static int store_account_update_tx(struct store_tx *tx, const struct store_account *account, struct err *err)
{
        int64_t changes = 0;
        int status = store_tx_exec(tx, store_sql_account_update,
                                   STORE_VALUES(store_text(account->id), store_text(account->key_thumbprint),
                                                store_text(account->key_jwk), store_text(account->contact_json),
                                                store_int(account->status), store_text(account->organization)),
                                   &changes, err);
        if (status == CA_ECONFLICT)
                return SMT_ERR(err, CA_ECONFLICT, "account %s: another account has key thumbprint %s", account->id,
                               account->key_thumbprint);
        TRY(status);
        if (changes == 1)
                return SMT_OK;
        bool exists = false;
        TRY(store_tx_exists(tx, store_sql_account_exists, account->id, &exists, err));
        if (!exists)
                return SMT_ERR(err, CA_ENOT_FOUND, "account %s not found", account->id);
        return SMT_ERR(err, CA_ECONFLICT, "account %s is deactivated or revoked and cannot become valid again",
                       account->id);
}

int store_account_update(struct store *store, const struct store_account *account, struct err *err)
{
        if (account->key_jwk == NULL || account->contact_json == NULL)
                return SMT_ERR(err, SMT_EINVAL, "account %s: key_jwk and contact_json are required", account->id);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        return store_tx_end(&tx, store_account_update_tx(&tx, account, err), err);
}

void store_account_clear(struct store_account *account)
{
        if (account == NULL)
                return;
        free(account->key_jwk);
        free(account->contact_json);
        free(account->organization);
        account->key_jwk = NULL;
        account->contact_json = NULL;
        account->organization = NULL;
}

int store_eab_insert(struct store *store, const struct store_eab_key *key, struct err *err)
{
        if (key->key_len == 0 || key->key_len > STORE_EAB_KEY_MAX)
                return SMT_ERR(err, SMT_EINVAL, "external account binding key %s: %zu bytes, expected 1..%d", key->kid,
                               key->key_len, STORE_EAB_KEY_MAX);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        int status = store_tx_exec(
            &tx, store_sql_eab_insert,
            STORE_VALUES(store_text(key->kid), store_blob(key->key, key->key_len), store_int(key->created_at)), NULL,
            err);
        if (status == CA_ECONFLICT)
                status = SMT_ERR(err, CA_ECONFLICT, "external account binding key %s exists", key->kid);
        return store_tx_end(&tx, status, err);
}

static int store_eab_read_row(struct store_tx *tx, struct store_eab_key *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->kid, sizeof out->kid, err));
        TRY(store_tx_copy_blob(tx, 1, out->key, sizeof out->key, &out->key_len, err));
        TRY(store_tx_copy_text(tx, 2, out->account_id, sizeof out->account_id, err));
        out->created_at = store_tx_int(tx, 3);
        return SMT_OK;
}

int store_eab_get(struct store *store, const char *kid, struct store_eab_key *out, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status = store_tx_query_one(&tx, store_sql_eab_get, STORE_VALUES(store_text(kid)),
                                        "external account binding key", kid, err);
        if (status == SMT_OK)
                status = store_eab_read_row(&tx, out, err);
        status = store_tx_end(&tx, status, err);
        if (status < 0)
                explicit_bzero(out, sizeof *out);
        return status;
}
