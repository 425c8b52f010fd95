/* src/ca/ocsp_responder_presign.c: answers signed ahead of time: every unexpired certificate at start,
 * each answer again before half its validity, and the check for revocations made by other processes. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "ca/ocsp_responder_internal.h"

/* Pages of the store's certificates of one CA that have not expired (status: STORE_FILTER_ANY or
 * _REVOKED), handed to each_page until it fails. */
static int ca_ocsp_each_cert(struct ca_ocsp *ocsp, const struct ca_authority *ca, int filter,
                             int (*each)(struct ca_ocsp *, struct ca_ocsp_signer *, const struct store_cert *,
                                         struct err *),
                             struct ca_ocsp_signer *signer, struct err *err)
{
        int64_t now = (int64_t)time(NULL);
        for (size_t offset = 0;;) {
                struct store_cert_query query = {.ca_name = ca_authority_name(ca), .status = filter, .now = now,
                                                 .expires_after = now, .limit = STORE_LIST_MAX, .offset = offset};
                struct store_cert *certs = NULL;
                size_t num = 0;
                TRY(store_cert_search(ocsp->store, &query, &certs, &num, err));
                int status = SMT_OK;
                for (size_t i = 0; i < num && status == SMT_OK; i++)
                        status = each(ocsp, signer, &certs[i], err);
                store_cert_list_free(certs, num);
                if (status < 0)
                        return status;
                if (num < STORE_LIST_MAX)
                        return SMT_OK;
                offset += num;
        }
}

static int ca_ocsp_presign_one(struct ca_ocsp *ocsp, struct ca_ocsp_signer *signer, const struct store_cert *cert,
                               struct err *err)
{
        uint8_t serial[OCSP_SERIAL_MAX];
        size_t len = 0;
        struct ocsp_cert_id id;
        if (!ca_ocsp_serial_from_hex(cert->serial, serial, &len))
                return SMT_OK; /* not a serial a CertID can carry: nobody can ask about it */
        TRY(ocsp_cert_id_from_issuer(&id, &signer->issuer_id, OCSP_HASH_SHA1, serial, len, err));
        int status = ca_ocsp_keep(ocsp, signer, &id, err);
        if (status < 0 && status != CA_ENOT_FOUND)
                return err_prefix(err, "OCSP answer for certificate %s", cert->serial);
        return SMT_OK;
}

int ca_ocsp_presign_all(struct ca_ocsp *ocsp, struct err *err)
{
        size_t count = ca_authorities_count(ocsp->authorities);
        int first = SMT_OK;
        for (size_t i = 0; i < count && i < CA_OCSP_CAS_MAX; i++) {
                struct ca_ocsp_signer *signer = atomic_load_explicit(&ocsp->signers[i], memory_order_acquire);
                if (signer == NULL)
                        continue;
                struct err one = {0};
                int status = ca_ocsp_each_cert(ocsp, signer->ca, STORE_FILTER_ANY, ca_ocsp_presign_one, signer, &one);
                if (status < 0 && first == SMT_OK) {
                        first = status;
                        *err = one;
                }
        }
        return first;
}

static int ca_ocsp_sync_one(struct ca_ocsp *ocsp, struct ca_ocsp_signer *signer, const struct store_cert *cert,
                            struct err *err)
{
        (void)signer;
        (void)err;
        uint8_t serial[OCSP_SERIAL_MAX];
        size_t len = 0;
        if (ca_ocsp_serial_from_hex(cert->serial, serial, &len))
                ca_ocsp_table_drop_if_not_revoked(&ocsp->table, serial, len);
        return SMT_OK;
}

int ca_ocsp_sync_revoked(struct ca_ocsp *ocsp, struct err *err)
{
        size_t count = ca_authorities_count(ocsp->authorities);
        for (size_t i = 0; i < count && i < CA_OCSP_CAS_MAX; i++) {
                struct ca_ocsp_signer *signer = atomic_load_explicit(&ocsp->signers[i], memory_order_acquire);
                if (signer != NULL)
                        TRY(ca_ocsp_each_cert(ocsp, signer->ca, STORE_FILTER_REVOKED, ca_ocsp_sync_one, signer, err));
        }
        return SMT_OK;
}

/* One due answer: signed anew from the store under the current responder certificate. */
static void ca_ocsp_refresh_one(struct ca_ocsp *ocsp, const struct ca_ocsp_key *key)
{
        struct ca_ocsp_signer *signer = atomic_load_explicit(&ocsp->signers[key->ca_index], memory_order_acquire);
        struct ocsp_cert_id id;
        struct err err = {0};
        if (signer == NULL ||
            ocsp_cert_id_from_issuer(&id, &signer->issuer_id, key->hash, key->serial, key->serial_len, &err) < 0) {
                ca_ocsp_table_drop_serial(&ocsp->table, key->serial, key->serial_len);
                return;
        }
        int status = ca_ocsp_keep(ocsp, signer, &id, &err);
        if (status == CA_ENOT_FOUND) { /* gone from the store, moved to another CA or expired: not kept */
                ca_ocsp_table_drop_serial(&ocsp->table, key->serial, key->serial_len);
        } else if (status < 0) {
                log_write(LOG_LEVEL_WARNING, "ocsp: signing an answer anew: %s (the current one stays until its "
                                             "nextUpdate; retrying)", err.msg);
                ca_ocsp_table_postpone(&ocsp->table, key, (int64_t)time(NULL) + CA_OCSP_RETRY_S);
        }
}

size_t ca_ocsp_refresh_due(struct ca_ocsp *ocsp)
{
        struct ca_ocsp_key *keys = malloc(CA_OCSP_DUE_BATCH * sizeof *keys);
        if (keys == NULL)
                return 0;
        int64_t now = (int64_t)time(NULL);
        size_t total = 0, num;
        do {
                num = ca_ocsp_table_due(&ocsp->table, now, keys, CA_OCSP_DUE_BATCH);
                for (size_t i = 0; i < num; i++)
                        ca_ocsp_refresh_one(ocsp, &keys[i]);
                total += num;
        } while (num == CA_OCSP_DUE_BATCH);
        free(keys);
        return total;
}
