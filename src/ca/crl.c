/* src/ca/crl.c: one issuing CA's CRL from the store (crl.h).
 *
 * cRLNumber (RFC 5280 §5.2.3) must grow with every CRL a CA issues, also across restarts and across
 * several `smtrust ca` processes that share one PostgreSQL store and each sign the same CA's CRL. A counter
 * kept in memory would restart at 1 and two processes would each count on their own; a counter in the
 * database would cost a write per CRL. The generation time in milliseconds grows by itself in every
 * process, so it is the number (max(now, last + 1) within a process, in case the clock steps back or two
 * CRLs fall in one millisecond). It fits 8 octets, well inside the 20 RFC 5280 allows. */
#include "ca/crl.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/crl.h"

static void ca_crl_free_certs(struct store_cert *certs, size_t num)
{
        store_cert_list_free(certs, num);
}

/* ca_crl_load_revoked gathers every revoked certificate of ca_name, page by page. A revocation made while
 * paging can only shift rows to later pages (newest first), so an entry may come twice but none is
 * missed; duplicates are dropped after sorting. */
static int ca_crl_load_revoked(struct store *store, const char *ca_name, struct store_cert **out, size_t *num,
                               struct err *err)
{
        struct store_cert *all = NULL;
        size_t num_all = 0;
        for (size_t offset = 0;; offset += STORE_LIST_MAX) {
                struct {
                        struct store_cert *certs;
                        size_t num;
                } page = {0};
                struct store_cert_query query = {
                    .ca_name = ca_name, .status = STORE_FILTER_REVOKED, .limit = STORE_LIST_MAX, .offset = offset};
                int status = store_cert_search(store, &query, &page.certs, &page.num, err);
                struct store_cert *grown =
                    status == 0 ? realloc(all, (num_all + page.num + 1) * sizeof *all) : NULL;
                if (grown == NULL) {
                        ca_crl_free_certs(page.certs, page.num);
                        ca_crl_free_certs(all, num_all);
                        return status < 0 ? status : SMT_ERR(err, SMT_ENOMEM, "crl %s: %zu entries", ca_name, num_all);
                }
                all = grown;
                memcpy(all + num_all, page.certs, page.num * sizeof *all);
                num_all += page.num;
                free(page.certs); /* the records moved into all */
                if (page.num < STORE_LIST_MAX)
                        break;
        }
        *out = all;
        *num = num_all;
        return SMT_OK;
}

static int ca_crl_compare_serials(const void *a, const void *b)
{
        return strcmp(((const struct crl_entry *)a)->serial_hex, ((const struct crl_entry *)b)->serial_hex);
}

/* ca_crl_entries makes the sorted, duplicate-free entries; they borrow certs' serials. */
static int ca_crl_entries(struct crl_entry **out, size_t *num, const struct store_cert *certs, size_t num_certs,
                          struct err *err)
{
        *out = calloc(num_certs + 1, sizeof **out);
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "crl: %zu entries", num_certs);
        for (size_t i = 0; i < num_certs; i++)
                (*out)[i] = (struct crl_entry){.serial_hex = certs[i].serial,
                                               .revoked_at = certs[i].revoked_at,
                                               .reason = certs[i].revocation_reason};
        qsort(*out, num_certs, sizeof **out, ca_crl_compare_serials);
        size_t kept = 0;
        for (size_t i = 0; i < num_certs; i++)
                if (kept == 0 || strcmp((*out)[kept - 1].serial_hex, (*out)[i].serial_hex) != 0)
                        (*out)[kept++] = (*out)[i];
        *num = kept;
        return SMT_OK;
}

int ca_crl_make(struct ca_crl *out, const struct ca_authority *ca, struct store *store, int64_t now_ms,
                int64_t validity_ms, uint64_t min_number, struct err *err)
{
        struct store_cert *certs = NULL;
        struct crl_entry *entries = NULL;
        size_t num_certs = 0, num_entries = 0;
        TRY(ca_crl_load_revoked(store, ca_authority_name(ca), &certs, &num_certs, err));
        struct ca_crl crl = {
            .this_update = now_ms / 1000,
            .next_update = (now_ms + validity_ms) / 1000,
            .number = (uint64_t)now_ms > min_number ? (uint64_t)now_ms : min_number,
        };
        int status = ca_crl_entries(&entries, &num_entries, certs, num_certs, err);
        if (status == SMT_OK) {
                struct crl_params params = {
                    .issuer_cert = ca_authority_cert(ca),
                    .issuer_key = ca_authority_key(ca),
                    .this_update = crl.this_update,
                    .next_update = crl.next_update,
                    .number = crl.number,
                    .entries = entries,
                    .num_entries = num_entries,
                };
                status = crl_sign(&crl.der, &crl.der_len, &params, err);
        }
        if (status < 0 && err != NULL) {
                char message[sizeof err->msg];
                memcpy(message, err->msg, sizeof message);
                SMT_IGNORE(SMT_ERR(err, status, "CRL of CA %s: %s", ca_authority_name(ca), message));
        }
        free(entries);
        ca_crl_free_certs(certs, num_certs);
        if (status == SMT_OK)
                *out = crl;
        return status;
}

int ca_crl_make_root(struct ca_crl *out, const struct ca_authorities *authorities, const struct ca_config *config,
                     const char *root_name, int64_t now_ms, int64_t validity_ms, uint64_t min_number,
                     struct err *err)
{
        const struct cert_chain *roots = ca_authorities_roots(authorities);
        size_t index = strcmp(root_name, "sm2-root") == 0 ? 0 : 1;
        char path[4096];
        struct key *key = NULL;
        struct stat st;
        snprintf(path, sizeof path, "%s/roots/%s.key", config->state_dir, root_name);
        if (index >= cert_chain_count(roots) || stat(path, &st) < 0)
                return SMT_ERR(err, CA_ENOT_FOUND, "CRL of root %s: no key at %s", root_name, path);
        TRY(key_load(&key, path, NULL, err));
        struct ca_crl crl = {
            .this_update = now_ms / 1000,
            .next_update = (now_ms + validity_ms) / 1000,
            .number = (uint64_t)now_ms > min_number ? (uint64_t)now_ms : min_number,
        };
        struct crl_params params = {
            .issuer_cert = cert_chain_get(roots, index),
            .issuer_key = key,
            .this_update = crl.this_update,
            .next_update = crl.next_update,
            .number = crl.number,
        };
        int status = crl_sign(&crl.der, &crl.der_len, &params, err);
        key_free(key); /* wipes it */
        if (status == SMT_OK)
                *out = crl;
        return status;
}

void ca_crl_cleanup(struct ca_crl *crl)
{
        free(crl->der);
        memset(crl, 0, sizeof *crl);
}
