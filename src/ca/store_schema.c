/* src/ca/store_schema.c: the store's one schema, for SQLite and PostgreSQL alike (only the byte-string type is
 * spelled per back end), created in an empty database at store_open and never touched per call.
 *
 * Certificates are searched by name through cert_names, which holds each SAN value and each of its suffixes
 * starting at a dot ("www.example.com": "www.example.com", ".example.com", ".com"). A query for a suffix always
 * starts with a dot, so it only ever ends at a label boundary: both exact and suffix search are an equality
 * lookup on cert_names' primary key, with no LIKE and no dependence on collation. */
#include "ca/store_internal.h"

#include <stdio.h>

/* Each statement may contain one %s: the back end's byte-string type. Integers are BIGINT everywhere (64-bit
 * in both; PostgreSQL's binary results then always carry 8 bytes). */
static const char *const store_schema_tables[] = {
    "CREATE TABLE accounts (id TEXT PRIMARY KEY, key_thumbprint TEXT NOT NULL UNIQUE, key_jwk TEXT NOT NULL,"
    " contact_json TEXT NOT NULL, status BIGINT NOT NULL, created_at BIGINT NOT NULL, eab_kid TEXT NOT NULL,"
    " organization TEXT)",
    "CREATE TABLE eab_keys (kid TEXT PRIMARY KEY, hmac_key %s NOT NULL, account_id TEXT REFERENCES accounts (id),"
    " created_at BIGINT NOT NULL)",
    "CREATE TABLE orders (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts (id),"
    " status BIGINT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, not_before BIGINT NOT NULL,"
    " not_after BIGINT NOT NULL, identifiers_json TEXT NOT NULL, error_json TEXT, cert_serial TEXT NOT NULL,"
    " replaces TEXT NOT NULL, profile TEXT NOT NULL)",
    "CREATE INDEX orders_by_account ON orders (account_id, created_at)",
    "CREATE TABLE authzs (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts (id),"
    " identifier_type TEXT NOT NULL, identifier_value TEXT NOT NULL, wildcard BIGINT NOT NULL,"
    " status BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
    "CREATE INDEX authzs_by_identifier ON authzs (account_id, identifier_value, identifier_type, wildcard)",
    "CREATE TABLE order_authzs (order_id TEXT NOT NULL REFERENCES orders (id),"
    " authz_id TEXT NOT NULL REFERENCES authzs (id), position BIGINT NOT NULL, PRIMARY KEY (order_id, position))",
    "CREATE INDEX order_authzs_by_authz ON order_authzs (authz_id)",
    "CREATE TABLE challenges (id TEXT PRIMARY KEY, authz_id TEXT NOT NULL REFERENCES authzs (id),"
    " position BIGINT NOT NULL, type TEXT NOT NULL, token TEXT NOT NULL, status BIGINT NOT NULL,"
    " validated_at BIGINT NOT NULL, error_json TEXT)",
    "CREATE INDEX challenges_by_authz ON challenges (authz_id, position)",
    "CREATE INDEX challenges_by_status ON challenges (status)",
    "CREATE TABLE nonces (value TEXT PRIMARY KEY, issued_at BIGINT NOT NULL)",
    "CREATE INDEX nonces_by_issued_at ON nonces (issued_at)",
    "CREATE TABLE certificates (serial TEXT PRIMARY KEY, ca_name TEXT NOT NULL, profile TEXT NOT NULL,"
    " subject TEXT NOT NULL, names TEXT NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL,"
    " created_at BIGINT NOT NULL, status BIGINT NOT NULL, revoked_at BIGINT NOT NULL,"
    " revocation_reason BIGINT NOT NULL, account_id TEXT NOT NULL, order_id TEXT NOT NULL,"
    " key_thumbprint TEXT NOT NULL, der %s NOT NULL)",
    "CREATE INDEX certificates_by_not_after ON certificates (not_after)",
    "CREATE INDEX certificates_by_created_at ON certificates (created_at)",
    "CREATE TABLE cert_names (name TEXT NOT NULL, serial TEXT NOT NULL REFERENCES certificates (serial),"
    " PRIMARY KEY (name, serial))",
    "CREATE TABLE cas (name TEXT PRIMARY KEY, kind TEXT NOT NULL, key_path TEXT NOT NULL, cert_der %s NOT NULL,"
    " created_at BIGINT NOT NULL)",
};

/* Indexes added since the version's tables, created when missing at every open (both back ends know IF NOT
 * EXISTS), so databases made before them gain them without a new version. revoked_at: the watch for other
 * processes' revocations (ca/revocation.h) asks every second for the latest ones. replaces: each newOrder
 * naming a certificate it replaces asks whether another order did already (RFC 9773 5). */
static const char *const store_schema_added_indexes[] = {
    "CREATE INDEX IF NOT EXISTS certificates_by_revoked_at ON certificates (revoked_at)",
    "CREATE INDEX IF NOT EXISTS orders_by_replaces ON orders (replaces)",
};

static const char store_schema_sql_version_table[] =
    "CREATE TABLE IF NOT EXISTS schema_version (id BIGINT PRIMARY KEY, version BIGINT NOT NULL)";
static const char store_schema_sql_version_get[] = "SELECT version FROM schema_version WHERE id = 1";
static const char store_schema_sql_version_set[] = "INSERT INTO schema_version (id, version) VALUES (1, $1)";

static int store_schema_create(struct store_tx *tx, struct err *err)
{
        const struct store_db_ops *ops = tx->store->ops;
        for (size_t i = 0; i < sizeof store_schema_tables / sizeof store_schema_tables[0]; i++) {
                char sql[1024];
                int n = snprintf(sql, sizeof sql, store_schema_tables[i], ops->blob_type);
                if (n < 0 || (size_t)n >= sizeof sql)
                        return SMT_ERR(err, SMT_EINTERNAL, "store: schema statement %zu is too long", i);
                TRY(ops->exec_script(tx->conn, sql, err));
        }
        return store_tx_exec(tx, store_schema_sql_version_set, STORE_VALUES(store_int(STORE_SCHEMA_VERSION)), NULL,
                             err);
}

/* store_schema_check_or_create runs in the transaction: the version table tells an empty database (create
 * everything) from one of this version (nothing to do) or of another (refused). */
static int store_schema_check_or_create(struct store_tx *tx, struct err *err)
{
        const struct store_db_ops *ops = tx->store->ops;
        if (ops->schema_lock != NULL)
                TRY(store_tx_exec(tx, ops->schema_lock, NULL, 0, NULL, err));
        TRY(ops->exec_script(tx->conn, store_schema_sql_version_table, err));
        TRY(store_tx_query(tx, store_schema_sql_version_get, NULL, 0, err));
        int found = store_tx_next_row(tx, err);
        int64_t version = found == 1 ? store_tx_int(tx, 0) : 0;
        store_tx_query_end(tx);
        if (found < 0)
                return found;
        if (found == 0)
                return store_schema_create(tx, err);
        if (version != STORE_SCHEMA_VERSION)
                return SMT_ERR(err, CA_ESTORE, "schema version %lld, this smtrust uses version %d", (long long)version,
                               STORE_SCHEMA_VERSION);
        return SMT_OK;
}

static int store_schema_add_indexes(struct store_tx *tx, struct err *err)
{
        for (size_t i = 0; i < sizeof store_schema_added_indexes / sizeof store_schema_added_indexes[0]; i++)
                TRY(tx->store->ops->exec_script(tx->conn, store_schema_added_indexes[i], err));
        return SMT_OK;
}

int store_schema_ensure(struct store *store, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE, err));
        int status = store_schema_check_or_create(&tx, err);
        if (status == SMT_OK)
                status = store_schema_add_indexes(&tx, err);
        if (status < 0)
                err_prefix(err, "store %s", store->dsn_display);
        return store_tx_end(&tx, status, err);
}
