/* src/gateway/acme_client_issue.c: fresh keys, CSRs, orders and files: one certificate, or the SM2 signing +
 * encryption pair of docs/acme-sm2.md (two orders for the same names; the second finds the first's
 * authorizations valid, and its CSR asks only for encryption key usages). */
#include "gateway/acme_client_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "crypto/csr.h"

int gw_acme_key_type_parse(const char *name, enum gw_acme_key_type *out)
{
        static const struct {
                const char *name;
                enum gw_acme_key_type type;
        } types[] = {{"ec-p256", GW_ACME_KEY_EC_P256},
                     {"ec-p384", GW_ACME_KEY_EC_P384},
                     {"rsa-2048", GW_ACME_KEY_RSA_2048},
                     {"sm2", GW_ACME_KEY_SM2},
                     {"sm2-pair", GW_ACME_KEY_SM2_PAIR}};
        for (size_t i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(name, types[i].name) == 0) {
                        *out = types[i].type;
                        return 0;
                }
        return SMT_EINVAL;
}

/* What one certificate of the set needs: its key algorithm, usage request and file names. */
struct gw_acme_issue_plan {
        const char *role;
        enum key_alg alg;
        unsigned key_usage;
        const char *cert_file;
        const char *key_file;
};

static size_t gw_acme_issue_plans(enum gw_acme_key_type type, struct gw_acme_issue_plan plans[GW_ACME_ISSUED_MAX])
{
        static const enum key_alg algs[] = {[GW_ACME_KEY_EC_P256] = KEY_ALG_EC_P256,
                                            [GW_ACME_KEY_EC_P384] = KEY_ALG_EC_P384,
                                            [GW_ACME_KEY_RSA_2048] = KEY_ALG_RSA_2048,
                                            [GW_ACME_KEY_SM2] = KEY_ALG_SM2,
                                            [GW_ACME_KEY_SM2_PAIR] = KEY_ALG_SM2};
        if (type != GW_ACME_KEY_SM2_PAIR) {
                plans[0] = (struct gw_acme_issue_plan){"certificate", algs[type], 0, "cert.pem", "key.pem"};
                return 1;
        }
        plans[0] = (struct gw_acme_issue_plan){"signing", KEY_ALG_SM2, CERT_KEY_USAGE_DIGITAL_SIGNATURE, "sign.crt",
                                               "sign.key"};
        plans[1] = (struct gw_acme_issue_plan){"encryption", KEY_ALG_SM2,
                                               CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT,
                                               "enc.crt", "enc.key"};
        return 2;
}

/* The leaf must certify the key we made: a CA answering with someone else's certificate is caught here. */
static int gw_acme_check_leaf_key(const struct cert_chain *chain, const struct key *key, struct err *err)
{
        struct key *leaf_key = NULL;
        uint8_t want[32], got[32];
        TRY(cert_public_key(cert_chain_get(chain, 0), &leaf_key, err));
        int status = key_public_fingerprint(key, want, err);
        if (status == 0)
                status = key_public_fingerprint(leaf_key, got, err);
        key_free(leaf_key);
        if (status == 0 && memcmp(want, got, sizeof(want)) != 0)
                status = SMT_ERR(err, GW_EACME, "the certificate received does not certify the key we sent");
        return status;
}

static int gw_acme_issue_one(struct gw_acme_client *client, const struct gw_acme_issue_plan *plan,
                             const char *const *names, size_t num_names, const struct gw_acme_solver *solver,
                             time_t deadline, struct key **key, struct cert_chain **chain, struct err *err)
{
        struct csr *csr = NULL;
        TRY(key_generate(key, plan->alg, err));
        struct csr_params params = {.key = *key,
                                    .common_name = names[0],
                                    .dns_names = names,
                                    .num_dns_names = num_names,
                                    .key_usage = plan->key_usage};
        TRY(csr_create(&csr, &params, err));
        const uint8_t *der;
        size_t der_len;
        csr_der(csr, &der, &der_len);
        int status = gw_acme_client_obtain(client, names, num_names, solver, der, der_len, deadline, chain, err);
        csr_free(csr);
        if (status == 0)
                status = gw_acme_check_leaf_key(*chain, *key, err);
        if (status < 0)
                err_prefix(err, "%s certificate", plan->role);
        return status;
}

static int gw_acme_path(char out[4096], const char *dir, const char *file, struct err *err)
{
        if ((size_t)snprintf(out, 4096, "%s/%s", dir, file) >= 4096)
                return SMT_ERR(err, SMT_EINVAL, "output folder name too long");
        return 0;
}

static int gw_acme_write_files(const struct gw_acme_issued *issued, const struct key *key, struct err *err)
{
        struct buf_writer pem;
        buf_writer_init_heap(&pem, KEY_FILE_MAX + CERT_FILE_MAX);
        int status = key_write_private(key, KEY_FORMAT_PEM, NULL, &pem, err);
        if (status == 0)
                status = file_write_atomic(issued->key_path, pem.data, pem.len, 0600, FILE_WRITE_REPLACE, err);
        buf_writer_cleanup(&pem); /* wipes the private key text */
        buf_writer_init_heap(&pem, CERT_FILE_MAX);
        if (status == 0)
                status = cert_chain_write_pem(issued->chain, &pem, err);
        if (status == 0)
                status = file_write_atomic(issued->cert_path, pem.data, pem.len, 0644, FILE_WRITE_REPLACE, err);
        buf_writer_cleanup(&pem);
        return status;
}

static int gw_acme_out_dir(const char *dir, struct err *err)
{
        struct stat st;
        if (stat(dir, &st) == 0)
                return S_ISDIR(st.st_mode) ? 0 : SMT_ERR(err, SMT_EINVAL, "%s is not a folder", dir);
        if (mkdir(dir, 0700) != 0)
                return SMT_ERR(err, SMT_EIO, "cannot create %s: %s", dir, strerror(errno));
        return 0;
}

int gw_acme_client_issue(struct gw_acme_client *client, enum gw_acme_key_type key_type, const char *const *names,
                         size_t num_names, const struct gw_acme_solver *solver, const char *out_dir, time_t deadline,
                         struct gw_acme_issued out[GW_ACME_ISSUED_MAX], size_t *num_out, struct err *err)
{
        struct gw_acme_issue_plan plans[GW_ACME_ISSUED_MAX];
        struct key *keys[GW_ACME_ISSUED_MAX] = {NULL};
        size_t count = gw_acme_issue_plans(key_type, plans);
        memset(out, 0, sizeof(*out) * GW_ACME_ISSUED_MAX);
        *num_out = 0;
        int status = 0;
        for (size_t i = 0; status == 0 && i < count; i++) {
                out[i].role = plans[i].role;
                *num_out = i + 1;
                status = gw_acme_path(out[i].cert_path, out_dir, plans[i].cert_file, err);
                if (status == 0)
                        status = gw_acme_path(out[i].key_path, out_dir, plans[i].key_file, err);
                if (status == 0)
                        status = gw_acme_issue_one(client, &plans[i], names, num_names, solver, deadline, &keys[i],
                                                   &out[i].chain, err);
        }
        /* Files (and the folder) only once every certificate is here: never half a pair on disk. */
        if (status == 0)
                status = gw_acme_out_dir(out_dir, err);
        for (size_t i = 0; status == 0 && i < count; i++)
                status = gw_acme_write_files(&out[i], keys[i], err);
        for (size_t i = 0; i < count; i++)
                key_free(keys[i]);
        return status;
}

void gw_acme_issued_cleanup(struct gw_acme_issued *issued, size_t num_issued)
{
        for (size_t i = 0; i < num_issued; i++) {
                cert_chain_free(issued[i].chain);
                issued[i].chain = NULL;
        }
}
