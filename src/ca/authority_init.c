/* src/ca/authority_init.c: ca_init makes the hierarchy ca.yaml describes under state_dir: the two roots,
 * every issuing CA, the admin CA, the CA's own HTTPS certificate and an operator's client certificate.
 *
 * Each key and certificate is a pair of files. A key is written first (0600, atomically, never over an
 * existing file), then its certificate; so an interrupted run leaves at worst a key without its certificate,
 * which the next run reuses. A certificate whose key is gone is an error: making a new key would change
 * what relying parties already trust. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca/authority_internal.h"
#include "net/address.h"

/* The admin CA, the CA's HTTPS key and the operator's key: P-256, what every TLS client takes. */
#define CA_INIT_SERVICE_ALG KEY_ALG_EC_P256
#define CA_INIT_OPERATOR_CN "operator"
/* The admin CA's validity: ten years, like an issuing CA's default. */
#define CA_INIT_ADMIN_VALIDITY_MS (3652LL * 86400 * 1000)

struct ca_init {
        const struct ca_config *config;
        struct ca_init_report *report;
        time_t now;
        struct cert_chain *roots[2]; /* SM2, ECC */
        struct key *root_keys[2];
        struct ca_authorities *authorities; /* once every CA exists */
};

/* Makes the certificate (chain) of a new or kept key; what points at the pair's description. */
typedef int ca_init_make_fn(struct ca_init *init, const struct key *key, const void *what, struct cert_chain **out,
                            struct err *err);

static void ca_init_created(struct ca_init *init, const char *path)
{
        struct ca_init_report *report = init->report;
        if (report->num_created < sizeof report->created / sizeof report->created[0])
                snprintf(report->created[report->num_created], sizeof report->created[0], "%s", path);
        report->num_created++;
}

static int ca_init_mkdir(const char *path, struct err *err)
{
        if (mkdir(path, 0700) == 0 || errno == EEXIST)
                return SMT_OK;
        return SMT_ERR(err, SMT_EIO, "%s: cannot create the folder: %s", path, strerror(errno));
}

static int ca_init_folders(const struct ca_config *config, struct err *err)
{
        static const char *const folders[] = {"roots", "cas", "tls", "admin"};
        char path[CA_PATH_MAX];
        TRY(ca_init_mkdir(config->state_dir, err));
        for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
                TRY(ca_path(path, config, folders[i], "", "", err));
                TRY(ca_init_mkdir(path, err));
        }
        return SMT_OK;
}

static int ca_init_key(struct ca_init *init, struct key **key, const char *path, enum key_alg alg, struct err *err)
{
        if (access(path, F_OK) == 0) {
                init->report->num_kept++;
                return key_load(key, path, NULL, err);
        }
        TRY(key_generate(key, alg, err));
        TRY(key_save_private(*key, path, KEY_FORMAT_PEM, NULL, false, err));
        ca_init_created(init, path);
        return SMT_OK;
}

static int ca_init_cert(struct ca_init *init, struct cert_chain **chain, const char *path, const struct key *key,
                        ca_init_make_fn *make, const void *what, struct err *err)
{
        if (access(path, F_OK) == 0) {
                init->report->num_kept++;
                TRY(cert_chain_load_pem(chain, path, err));
                return ca_key_matches_cert(key, cert_chain_get(*chain, 0), path, err);
        }
        if (make(init, key, what, chain, err) < 0)
                return err_prefix(err, "%s", path);
        TRY(cert_chain_save_pem(*chain, path, false, err));
        ca_init_created(init, path);
        return SMT_OK;
}

/* Makes or keeps <folder>/<stem>.{key,crt}; the loaded chain and key go to the caller when asked for. */
static int ca_init_pair(struct ca_init *init, const char *folder, const char *stem, enum key_alg alg,
                        ca_init_make_fn *make, const void *what, struct cert_chain **out_chain, struct key **out_key,
                        struct err *err)
{
        char crt[CA_PATH_MAX], key_path[CA_PATH_MAX];
        TRY(ca_path(crt, init->config, folder, stem, ".crt", err));
        TRY(ca_path(key_path, init->config, folder, stem, ".key", err));
        if (access(crt, F_OK) == 0 && access(key_path, F_OK) != 0)
                return SMT_ERR(err, SMT_EIO,
                               "%s exists but its key %s does not: restore the key from a backup (a new "
                               "key would not match what relying parties trust)",
                               crt, key_path);
        struct key *key = NULL;
        struct cert_chain *chain = NULL;
        int status = ca_init_key(init, &key, key_path, alg, err);
        if (status == SMT_OK)
                status = ca_init_cert(init, &chain, crt, key, make, what, err);
        if (status == SMT_OK && out_chain != NULL) {
                *out_chain = chain;
                chain = NULL;
        }
        if (status == SMT_OK && out_key != NULL) {
                *out_key = key;
                key = NULL;
        }
        cert_chain_free(chain);
        key_free(key);
        return status;
}

/* Makes *out a chain of cert, which it owns from then on, also when this fails. */
static int ca_init_one_cert_chain(struct cert_chain **out, struct cert *cert, struct err *err)
{
        int status = cert_chain_new(out, err);
        if (status < 0) {
                cert_free(cert);
                return status;
        }
        return cert_chain_append(*out, cert, err);
}

/* --- the roots --- */

static int ca_init_make_root(struct ca_init *init, const struct key *key, const void *what, struct cert_chain **out,
                             struct err *err)
{
        const struct ca_root_config *root = what;
        struct cert_issue_params params = {
            .subject_key = key,
            .common_name = root->common_name,
            .organization = init->config->organization,
            .country = init->config->country,
            .not_before = init->now,
            .not_after = init->now + (time_t)(root->validity / 1000),
            .is_ca = true, /* keyCertSign and cRLSign only (BR §7.1.2.1.2): no pathLen, no EKU */
        };
        struct cert *cert = NULL;
        TRY(cert_issue(&cert, &params, err));
        return ca_init_one_cert_chain(out, cert, err);
}

static int ca_init_roots(struct ca_init *init, struct err *err)
{
        const struct ca_config *config = init->config;
        enum key_alg ecc_alg;
        if (key_alg_parse(config->ecc_root.algorithm, &ecc_alg) < 0)
                return SMT_ERR(err, SMT_EINVAL, "ecc_root.algorithm \"%s\"", config->ecc_root.algorithm);
        TRY(ca_init_pair(init, "roots", CA_SM2_ROOT_NAME, KEY_ALG_SM2, ca_init_make_root, &config->sm2_root,
                         &init->roots[0], &init->root_keys[0], err));
        return ca_init_pair(init, "roots", CA_ECC_ROOT_NAME, ecc_alg, ca_init_make_root, &config->ecc_root,
                            &init->roots[1], &init->root_keys[1], err);
}

/* --- the issuing CAs and the admin CA --- */

struct ca_init_issuing {
        const struct ca_issuing_config *issuing; /* NULL for the admin CA */
        int kind;
        const char *common_name;
        int64_t validity_ms;
};

static int ca_init_make_issuing(struct ca_init *init, const struct key *key, const void *what, struct cert_chain **out,
                                struct err *err)
{
        const struct ca_init_issuing *ca = what;
        int family = ca_kind_is_sm2(ca->kind) ? 0 : 1;
        const struct cert *root = cert_chain_get(init->roots[family], 0);
        struct cert_issue_params params;
        struct ca_profile profile;
        time_t root_not_after;
        TRY(ca_profile_issuing(&params, &profile, init->config, ca->issuing, ca->kind, ca->common_name,
                               family == 0 ? CA_SM2_ROOT_NAME : CA_ECC_ROOT_NAME, err));
        TRY(cert_not_after(root, &root_not_after, err));
        params.subject_key = key;
        params.issuer_key = init->root_keys[family];
        params.issuer_cert = root;
        params.not_before = init->now;
        params.not_after = init->now + (time_t)(ca->validity_ms / 1000);
        if (params.not_after > root_not_after) /* RFC 5280 §6.1.3: never past its root */
                params.not_after = root_not_after;
        struct cert *cert = NULL;
        TRY(cert_issue(&cert, &params, err));
        return ca_init_one_cert_chain(out, cert, err);
}

static int ca_init_issuing_cas(struct ca_init *init, struct err *err)
{
        const struct ca_config *config = init->config;
        const struct ca_issuing_config *cas = config->issuing_cas.items;
        for (size_t i = 0; i < config->issuing_cas.num; i++) {
                enum key_alg alg;
                if (key_alg_parse(cas[i].algorithm, &alg) < 0)
                        return SMT_ERR(err, SMT_EINVAL, "issuing CA %s: algorithm \"%s\"", cas[i].name,
                                       cas[i].algorithm);
                struct ca_init_issuing what = {&cas[i], cas[i].kind, cas[i].common_name, cas[i].validity};
                TRY(ca_init_pair(init, "cas", cas[i].name, alg, ca_init_make_issuing, &what, NULL, NULL, err));
        }
        char common_name[256];
        snprintf(common_name, sizeof common_name, "%s Admin CA", config->organization);
        struct ca_init_issuing admin = {NULL, CA_KIND_ADMIN, common_name, CA_INIT_ADMIN_VALIDITY_MS};
        return ca_init_pair(init, "cas", CA_CONFIG_ADMIN_NAME, CA_INIT_SERVICE_ALG, ca_init_make_issuing, &admin, NULL,
                            NULL, err);
}

/* --- the CA's HTTPS certificate and the operator's client certificate --- */

struct ca_init_leaf {
        const struct ca_authority *ca;
        int kind; /* the profile */
        struct ca_issue_request request;
};

/* The longest validity the configuration allows that ends before the CA does. */
static int ca_init_leaf_validity(const struct ca_init *init, const struct ca_authority *ca, int64_t *out,
                                 struct err *err)
{
        time_t ca_not_after;
        TRY(cert_not_after(ca_authority_cert(ca), &ca_not_after, err));
        *out = init->config->certificates.max_validity / 1000;
        if (init->now + *out > ca_not_after)
                *out = ca_not_after - init->now;
        return SMT_OK;
}

static int ca_init_make_leaf(struct ca_init *init, const struct key *key, const void *what, struct cert_chain **out,
                             struct err *err)
{
        const struct ca_init_leaf *leaf = what;
        struct ca_issue_request request = leaf->request;
        struct cert *cert = NULL, *ca_cert = NULL;
        request.subject_key = key;
        request.not_before = init->now;
        TRY(ca_init_leaf_validity(init, leaf->ca, &request.validity_seconds, err));
        TRY(ca_authority_issue(leaf->ca, init->config, leaf->kind, &request, &cert, err));
        TRY(ca_init_one_cert_chain(out, cert, err));
        TRY(cert_dup(&ca_cert, ca_authority_cert(leaf->ca), err));
        return cert_chain_append(*out, ca_cert, err); /* the chain a client is sent */
}

static int ca_init_server(struct ca_init *init, struct err *err)
{
        const struct ca_config *config = init->config;
        const char *dns[64], *ip[64];
        struct ca_init_leaf leaf = {.kind = CA_KIND_SSL_ECC_DV};
        leaf.ca = ca_authorities_for_kind(init->authorities, CA_KIND_SSL_ECC_DV);
        if (leaf.ca == NULL)
                leaf.ca = ca_authorities_for_kind(init->authorities, CA_KIND_ADMIN);
        if (config->server_names.num > 64)
                return SMT_ERR(err, SMT_EINVAL, "server_names: %zu names, at most 64", config->server_names.num);
        for (size_t i = 0; i < config->server_names.num; i++) {
                const char *name = config->server_names.items[i];
                if (net_address_is_ip_literal(name))
                        ip[leaf.request.num_ip_addresses++] = name;
                else
                        dns[leaf.request.num_dns_names++] = name;
        }
        leaf.request.dns_names = dns;
        leaf.request.ip_addresses = ip;
        int status =
            ca_init_pair(init, "tls", "server", CA_INIT_SERVICE_ALG, ca_init_make_leaf, &leaf, NULL, NULL, err);
        return status < 0 ? err_prefix(err, "the CA's HTTPS certificate (server_names)") : SMT_OK;
}

static int ca_init_operator(struct ca_init *init, struct err *err)
{
        struct ca_init_leaf leaf = {.kind = CA_KIND_ADMIN};
        leaf.ca = ca_authorities_for_kind(init->authorities, CA_KIND_ADMIN);
        leaf.request.common_name = CA_INIT_OPERATOR_CN;
        return ca_init_pair(init, "admin", CA_INIT_OPERATOR_CN, CA_INIT_SERVICE_ALG, ca_init_make_leaf, &leaf, NULL,
                            NULL, err);
}

static int ca_init_run(struct ca_init *init, struct err *err)
{
        TRY(ca_init_folders(init->config, err));
        TRY(ca_init_roots(init, err));
        TRY(ca_init_issuing_cas(init, err));
        TRY(ca_authorities_load(&init->authorities, init->config, err));
        TRY(ca_init_server(init, err));
        return ca_init_operator(init, err);
}

int ca_init(const struct ca_config *config, struct ca_init_report *report, struct err *err)
{
        memset(report, 0, sizeof *report);
        struct ca_init init = {.config = config, .report = report, .now = time(NULL)};
        int status = ca_init_run(&init, err);
        for (size_t i = 0; i < 2; i++) {
                cert_chain_free(init.roots[i]);
                key_free(init.root_keys[i]);
        }
        ca_authorities_free(init.authorities);
        return status;
}
