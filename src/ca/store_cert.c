/* src/ca/store_cert.c: issued certificates (insertion with their searchable names, reading, revocation, search)
 * and the issuing CAs made at run time. */
#include "ca/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define STORE_CERT_COLUMNS                                                                                             \
        "c.serial, c.ca_name, c.profile, c.subject, c.names, c.not_before, c.not_after, c.created_at, c.status,"       \
        " c.revoked_at, c.revocation_reason, c.account_id, c.order_id, c.key_thumbprint"
/* Unused filters compare a parameter with its "off" value, so one statement serves every query. */
#define STORE_CERT_FILTERS                                                                                             \
        " ($2 IS NULL OR c.ca_name = $2)"                                                                              \
        " AND ($3 = 0 OR ($3 = 1 AND c.status = 1 AND c.not_after >= $4) OR ($3 = 2 AND c.status = 2)"                 \
        " OR ($3 = 3 AND c.status = 1 AND c.not_after < $4))"                                                          \
        " AND ($5 = 0 OR c.not_after >= $5) AND ($6 = 0 OR c.not_after < $6)"                                          \
        " ORDER BY c.created_at DESC, c.serial DESC LIMIT $7 OFFSET $8"

static const char store_sql_cert_insert[] =
    "INSERT INTO certificates (serial, ca_name, profile, subject, names, not_before, not_after, created_at,"
    " status, revoked_at, revocation_reason, account_id, order_id, key_thumbprint, der)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
static const char store_sql_cert_name_insert[] =
    "INSERT INTO cert_names (name, serial) VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char store_sql_cert_get[] = "SELECT " STORE_CERT_COLUMNS ", c.der FROM certificates c WHERE c.serial = $1";
static const char store_sql_cert_revoke[] =
    "UPDATE certificates SET status = 2, revoked_at = $2, revocation_reason = $3 WHERE serial = $1 AND status = 1";
static const char store_sql_cert_revoked_since[] =
    "SELECT serial FROM certificates WHERE revoked_at >= $1 AND status = 2 ORDER BY revoked_at LIMIT $2";
static const char store_sql_cert_exists[] = "SELECT 1 FROM certificates WHERE serial = $1";
static const char store_sql_cert_search_all[] =
    "SELECT " STORE_CERT_COLUMNS " FROM certificates c WHERE $1 IS NULL AND" STORE_CERT_FILTERS;
static const char store_sql_cert_search_name[] =
    "SELECT " STORE_CERT_COLUMNS " FROM cert_names n"
    " JOIN certificates c ON c.serial = n.serial WHERE n.name = $1 AND" STORE_CERT_FILTERS;
static const char store_sql_ca_insert[] =
    "INSERT INTO cas (name, kind, key_path, cert_der, created_at) VALUES ($1, $2, $3, $4, $5)";
static const char store_sql_ca_list[] = "SELECT name, kind, key_path, cert_der, created_at FROM cas"
                                        " ORDER BY created_at, name";

/* store_cert_insert_name records name and each of its suffixes that starts at a dot, for store_cert_search. */
static int store_cert_insert_name(struct store_tx *tx, const char *serial, const char *name, struct err *err)
{
        for (const char *suffix = name; suffix != NULL; suffix = strchr(suffix + 1, '.'))
                TRY(store_tx_exec(tx, store_sql_cert_name_insert, STORE_VALUES(store_text(suffix), store_text(serial)),
                                  NULL, err));
        return SMT_OK;
}

/* store_cert_insert_names splits the comma-separated SAN values (spaces around them ignored). */
static int store_cert_insert_names(struct store_tx *tx, const struct store_cert *cert, struct err *err)
{
        const char *rest = cert->names;
        while (*rest != 0) {
                rest += strspn(rest, " ");
                size_t len = strcspn(rest, ",");
                const char *next = rest[len] == ',' ? rest + len + 1 : rest + len;
                while (len > 0 && rest[len - 1] == ' ')
                        len--;
                if (len >= STORE_NAME_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "certificate %s: a name of %zu bytes exceeds %d", cert->serial,
                                       len, STORE_NAME_MAX - 1);
                char name[STORE_NAME_MAX];
                memcpy(name, rest, len);
                name[len] = 0;
                if (len > 0)
                        TRY(store_cert_insert_name(tx, cert->serial, name, err));
                rest = next;
        }
        return SMT_OK;
}

int store_cert_insert_tx(struct store_tx *tx, const struct store_cert *cert, struct err *err)
{
        if (cert->subject == NULL || cert->names == NULL || cert->der == NULL || cert->der_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "certificate %s: subject, names and der are required", cert->serial);
        int status =
            store_tx_exec(tx, store_sql_cert_insert,
                          STORE_VALUES(store_text(cert->serial), store_text(cert->ca_name), store_text(cert->profile),
                                       store_text(cert->subject), store_text(cert->names), store_int(cert->not_before),
                                       store_int(cert->not_after), store_int(cert->created_at), store_int(cert->status),
                                       store_int(cert->revoked_at), store_int(cert->revocation_reason),
                                       store_text(cert->account_id), store_text(cert->order_id),
                                       store_text(cert->key_thumbprint), store_blob(cert->der, cert->der_len)),
                          NULL, err);
        if (status == CA_ECONFLICT)
                return SMT_ERR(err, SMT_EEXIST, "certificate serial %s exists", cert->serial);
        TRY(status);
        return store_cert_insert_names(tx, cert, err);
}

int store_cert_insert(struct store *store, const struct store_cert *cert, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        return store_tx_end(&tx, store_cert_insert_tx(&tx, cert, err), err);
}

static int store_cert_read_row(struct store_tx *tx, struct store_cert *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->serial, sizeof out->serial, err));
        TRY(store_tx_copy_text(tx, 1, out->ca_name, sizeof out->ca_name, err));
        TRY(store_tx_copy_text(tx, 2, out->profile, sizeof out->profile, err));
        TRY(store_tx_dup_text(tx, 3, &out->subject, err));
        TRY(store_tx_dup_text(tx, 4, &out->names, err));
        out->not_before = store_tx_int(tx, 5);
        out->not_after = store_tx_int(tx, 6);
        out->created_at = store_tx_int(tx, 7);
        out->status = (int)store_tx_int(tx, 8);
        out->revoked_at = store_tx_int(tx, 9);
        out->revocation_reason = (int)store_tx_int(tx, 10);
        TRY(store_tx_copy_text(tx, 11, out->account_id, sizeof out->account_id, err));
        TRY(store_tx_copy_text(tx, 12, out->order_id, sizeof out->order_id, err));
        return store_tx_copy_text(tx, 13, out->key_thumbprint, sizeof out->key_thumbprint, err);
}

int store_cert_get(struct store *store, const char *serial, struct store_cert *out, struct err *err)
{
        memset(out, 0, sizeof *out);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status =
            store_tx_query_one(&tx, store_sql_cert_get, STORE_VALUES(store_text(serial)), "certificate", serial, err);
        if (status == SMT_OK)
                status = store_cert_read_row(&tx, out, err);
        if (status == SMT_OK)
                status = store_tx_dup_blob(&tx, 14, &out->der, &out->der_len, err);
        status = store_tx_end(&tx, status, err);
        if (status < 0)
                store_cert_clear(out);
        return status;
}

static int store_cert_revoke_tx(struct store_tx *tx, const char *serial, int reason, int64_t now, struct err *err)
{
        int64_t changes = 0;
        TRY(store_tx_exec(tx, store_sql_cert_revoke,
                          STORE_VALUES(store_text(serial), store_int(now), store_int(reason)), &changes, err));
        if (changes == 1)
                return SMT_OK;
        bool exists = false;
        TRY(store_tx_exists(tx, store_sql_cert_exists, serial, &exists, err));
        if (!exists)
                return SMT_ERR(err, CA_ENOT_FOUND, "certificate %s not found", serial);
        return SMT_ERR(err, CA_ECONFLICT, "certificate %s is revoked already", serial);
}

int store_cert_revoke(struct store *store, const char *serial, int reason, int64_t now, struct err *err)
{
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        return store_tx_end(&tx, store_cert_revoke_tx(&tx, serial, reason, now, err), err);
}

int store_cert_revoked_since(struct store *store, int64_t since, char (*serials)[STORE_SERIAL_MAX], size_t cap,
                             size_t *num, struct err *err)
{
        return store_list_texts(store, store_sql_cert_revoked_since, STORE_VALUES(store_int(since)), serials[0],
                                STORE_SERIAL_MAX, cap, num, err);
}

static int store_cert_check_query(const struct store_cert_query *query, struct err *err)
{
        if (query->limit < 1 || query->limit > STORE_LIST_MAX)
                return SMT_ERR(err, SMT_EINVAL, "certificate search: limit %zu is not 1..%d", query->limit,
                               STORE_LIST_MAX);
        if (query->status < STORE_FILTER_ANY || query->status > STORE_FILTER_EXPIRED)
                return SMT_ERR(err, SMT_EINVAL, "certificate search: status filter %d is not 0..3", query->status);
        if (query->offset > INT64_MAX)
                return SMT_ERR(err, SMT_EINVAL, "certificate search: offset %zu is too large", query->offset);
        return SMT_OK;
}

static int store_cert_search_tx(struct store_tx *tx, const struct store_cert_query *query, struct store_cert *out,
                                size_t *num, struct err *err)
{
        const char *sql = query->name != NULL ? store_sql_cert_search_name : store_sql_cert_search_all;
        TRY(store_tx_query(tx, sql,
                           STORE_VALUES(store_text(query->name), store_text(query->ca_name), store_int(query->status),
                                        store_int(query->now), store_int(query->expires_after),
                                        store_int(query->expires_before), store_int((int64_t)query->limit),
                                        store_int((int64_t)query->offset)),
                           err));
        int row = 0;
        while (*num < query->limit && (row = store_tx_next_row(tx, err)) == 1) {
                (*num)++;
                TRY(store_cert_read_row(tx, &out[*num - 1], err));
        }
        return *num < query->limit ? row : SMT_OK;
}

int store_cert_search(struct store *store, const struct store_cert_query *query, struct store_cert **out, size_t *num,
                      struct err *err)
{
        *out = NULL;
        *num = 0;
        TRY(store_cert_check_query(query, err));
        struct store_cert *certs = calloc(query->limit, sizeof *certs);
        if (certs == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
        size_t found = 0;
        struct store_tx tx;
        int status = store_tx_begin(&tx, store, STORE_TX_SINGLE, err);
        if (status == SMT_OK)
                status = store_tx_end(&tx, store_cert_search_tx(&tx, query, certs, &found, err), err);
        if (status < 0) {
                store_cert_list_free(certs, found);
                return status;
        }
        *out = certs;
        *num = found;
        return SMT_OK;
}

void store_cert_clear(struct store_cert *cert)
{
        if (cert == NULL)
                return;
        free(cert->subject);
        free(cert->names);
        free(cert->der);
        cert->subject = NULL;
        cert->names = NULL;
        cert->der = NULL;
        cert->der_len = 0;
}

void store_cert_list_free(struct store_cert *certs, size_t num)
{
        if (certs == NULL)
                return;
        for (size_t i = 0; i < num; i++)
                store_cert_clear(&certs[i]);
        free(certs);
}

int store_ca_insert(struct store *store, const struct store_ca *ca, struct err *err)
{
        if (ca->key_path == NULL || ca->cert_der == NULL || ca->cert_der_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "CA %s: key_path and cert_der are required", ca->name);
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_WRITE_DURABLE, err));
        int status = store_tx_exec(&tx, store_sql_ca_insert,
                                   STORE_VALUES(store_text(ca->name), store_text(ca->kind), store_text(ca->key_path),
                                                store_blob(ca->cert_der, ca->cert_der_len), store_int(ca->created_at)),
                                   NULL, err);
        if (status == CA_ECONFLICT)
                status = SMT_ERR(err, CA_ECONFLICT, "CA %s exists", ca->name);
        return store_tx_end(&tx, status, err);
}

static int store_ca_read_row(struct store_tx *tx, struct store_ca *out, struct err *err)
{
        TRY(store_tx_copy_text(tx, 0, out->name, sizeof out->name, err));
        TRY(store_tx_copy_text(tx, 1, out->kind, sizeof out->kind, err));
        TRY(store_tx_dup_text(tx, 2, &out->key_path, err));
        TRY(store_tx_dup_blob(tx, 3, &out->cert_der, &out->cert_der_len, err));
        out->created_at = store_tx_int(tx, 4);
        return SMT_OK;
}

/* store_ca_list_tx appends every row to *cas, growing it as needed. */
static int store_ca_list_tx(struct store_tx *tx, struct store_ca **cas, size_t *num, struct err *err)
{
        TRY(store_tx_query(tx, store_sql_ca_list, NULL, 0, err));
        size_t cap = 0;
        int row;
        while ((row = store_tx_next_row(tx, err)) == 1) {
                if (*num == cap) {
                        size_t new_cap = cap == 0 ? 4 : cap * 2;
                        struct store_ca *grown = realloc(*cas, new_cap * sizeof *grown);
                        if (grown == NULL)
                                return SMT_ERR(err, SMT_ENOMEM, "store: out of memory");
                        *cas = grown;
                        cap = new_cap;
                }
                memset(&(*cas)[*num], 0, sizeof **cas);
                (*num)++;
                TRY(store_ca_read_row(tx, &(*cas)[*num - 1], err));
        }
        return row;
}

int store_ca_list(struct store *store, struct store_ca **out, size_t *num, struct err *err)
{
        *out = NULL;
        *num = 0;
        struct store_ca *cas = NULL;
        size_t found = 0;
        struct store_tx tx;
        TRY(store_tx_begin(&tx, store, STORE_TX_SINGLE, err));
        int status = store_tx_end(&tx, store_ca_list_tx(&tx, &cas, &found, err), err);
        if (status < 0) {
                store_ca_list_free(cas, found);
                return status;
        }
        *out = cas;
        *num = found;
        return SMT_OK;
}

void store_ca_list_free(struct store_ca *cas, size_t num)
{
        if (cas == NULL)
                return;
        for (size_t i = 0; i < num; i++) {
                free(cas[i].key_path);
                free(cas[i].cert_der);
        }
        free(cas);
}
