/* src/ca/authority_runtime.c: custom-branded issuing CAs made while the CA serves (CA API), and loaded again
 * from the store at the next start.
 *
 * Order of a creation, all under create_lock: the name is checked free (loaded CAs, state_dir/cas, the
 * store), the key is written (0600, exclusive), then the certificate (exclusive), then the store's record;
 * only then is the CA published to readers. Any failure removes the files this call made, so a refused or
 * failed creation leaves nothing behind, and a name is never reused over an existing key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/authority_internal.h"
#include "ca/store.h"

/* ca.yaml's default validity of an issuing CA (config.h): ten years. */
#define CA_RUNTIME_DEFAULT_VALIDITY (3652LL * 86400)
/* A CA shorter-lived than a day could hardly issue a certificate. */
#define CA_RUNTIME_MIN_VALIDITY 86400
/* X.509 upper bounds (RFC 5280 Appendix A.1): ub-common-name and ub-organization-name are 64. */
#define CA_RUNTIME_NAME_TEXT_MAX 64
/* The most name constraints of each list one request may ask for. */
#define CA_RUNTIME_CONSTRAINTS_MAX 64

/* The URL paths /ca/<name>.crt also serve the roots by their stems, and "admin" is the API's CA. */
static const char *const ca_runtime_reserved[] = {CA_CONFIG_ADMIN_NAME, CA_SM2_ROOT_NAME, CA_ECC_ROOT_NAME};

static int ca_runtime_check_name(const char *name, struct err *err)
{
        size_t len = name != NULL ? strlen(name) : 0;
        if (len == 0 || len > CA_CONFIG_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
            name[0] == '-')
                return SMT_ERR(err, SMT_EINVAL,
                               "name: expected 1..%d lowercase letters, digits and '-' (a file name and a URL "
                               "part), not starting with '-', got \"%.60s\"",
                               CA_CONFIG_NAME_MAX, name != NULL ? name : "");
        for (size_t i = 0; i < sizeof ca_runtime_reserved / sizeof ca_runtime_reserved[0]; i++)
                if (strcmp(name, ca_runtime_reserved[i]) == 0)
                        return SMT_ERR(err, SMT_EINVAL, "name: \"%s\" is reserved (the admin CA and the roots)", name);
        return SMT_OK;
}

static int ca_runtime_check_text(const char *field, const char *value, bool is_required, struct err *err)
{
        if (value == NULL && !is_required)
                return SMT_OK;
        size_t len = value != NULL ? strlen(value) : 0;
        if (len == 0 || len > CA_RUNTIME_NAME_TEXT_MAX)
                return SMT_ERR(err, SMT_EINVAL, "%s: expected 1..%d characters, got %zu", field,
                               CA_RUNTIME_NAME_TEXT_MAX, len);
        return SMT_OK;
}

static int ca_runtime_check_dns_list(const char *field, const char *const *names, size_t num, struct err *err)
{
        if (num > CA_RUNTIME_CONSTRAINTS_MAX)
                return SMT_ERR(err, SMT_EINVAL, "%s: %zu names, at most %d", field, num, CA_RUNTIME_CONSTRAINTS_MAX);
        for (size_t i = 0; i < num; i++) {
                struct err why = {0};
                if (ca_config_check_dns_name(names[i], &why) < 0)
                        return SMT_ERR(err, SMT_EINVAL, "%s[%zu]: %s", field, i, why.msg);
        }
        return SMT_OK;
}

/* The algorithm of the CA's key: the kind's family decides, as for ca.yaml (config_schema.c). */
static int ca_runtime_check_algorithm(const struct ca_create_request *request, enum key_alg *alg, struct err *err)
{
        bool is_sm2_kind = ca_kind_is_sm2(request->kind);
        const char *name = request->algorithm != NULL ? request->algorithm : is_sm2_kind ? "sm2" : "ec-p256";
        if (key_alg_parse(name, alg) < 0 || (*alg == KEY_ALG_SM2) != is_sm2_kind)
                return SMT_ERR(err, SMT_EINVAL, "algorithm: a %s CA has %s, got \"%.40s\"", ca_kind_name(request->kind),
                               is_sm2_kind ? "an \"sm2\" key"
                                           : "an \"ec-p256\", \"ec-p384\", \"rsa-2048\" or \"rsa-3072\" key",
                               name);
        return SMT_OK;
}

static int ca_runtime_check_request(const struct ca_create_request *request, enum key_alg *alg, struct err *err)
{
        TRY(ca_runtime_check_name(request->name, err));
        if (request->kind < CA_KIND_SSL_SM2_DV || request->kind >= CA_KIND_ADMIN)
                return SMT_ERR(err, SMT_EINVAL, "kind: one of the issuing kinds (ssl-sm2-dv ... iot-ecc), not %s",
                               ca_kind_name(request->kind));
        TRY(ca_runtime_check_algorithm(request, alg, err));
        TRY(ca_runtime_check_text("common_name", request->common_name, true, err));
        TRY(ca_runtime_check_text("organization", request->organization, false, err));
        TRY(ca_runtime_check_dns_list("permitted_dns", request->permitted_dns, request->num_permitted_dns, err));
        TRY(ca_runtime_check_dns_list("excluded_dns", request->excluded_dns, request->num_excluded_dns, err));
        if (request->validity_seconds != 0 && request->validity_seconds < CA_RUNTIME_MIN_VALIDITY)
                return SMT_ERR(err, SMT_EINVAL, "validity: at least %d seconds, got %lld", CA_RUNTIME_MIN_VALIDITY,
                               (long long)request->validity_seconds);
        return SMT_OK;
}

/* notAfter: the default shortened to the root's end, an explicit validity refused past it (RFC 5280
 * §6.1.3: a CA certificate outliving its issuer would stop verifying before its own end). */
static int ca_runtime_not_after(const struct cert *root, const struct ca_create_request *request, time_t now,
                                time_t *out, struct err *err)
{
        time_t root_end;
        TRY(cert_not_after(root, &root_end, err));
        if (request->validity_seconds == 0) {
                *out = now + (time_t)CA_RUNTIME_DEFAULT_VALIDITY;
                if (*out > root_end)
                        *out = root_end;
        } else if (request->validity_seconds > root_end - now) {
                return SMT_ERR(err, SMT_EINVAL, "validity: %lld s would end after the root (at most %lld s)",
                               (long long)request->validity_seconds, (long long)(root_end - now));
        } else {
                *out = now + (time_t)request->validity_seconds;
        }
        if (*out <= now)
                return SMT_ERR(err, SMT_EINVAL, "validity: the root has expired");
        return SMT_OK;
}

/* CA_ECONFLICT unless name is free among the loaded CAs (ca.yaml's included), in state_dir/cas and in the
 * store (another process on the same database may have made it). */
static int ca_runtime_check_free(const struct ca_authorities *all, const struct ca_config *config, struct store *store,
                                 const char *name, struct err *err)
{
        char crt[CA_PATH_MAX], key[CA_PATH_MAX];
        if (ca_authorities_find(all, name) != NULL)
                return SMT_ERR(err, CA_ECONFLICT, "an issuing CA of this name exists");
        TRY(ca_path(crt, config, "cas", name, ".crt", err));
        TRY(ca_path(key, config, "cas", name, ".key", err));
        if (access(crt, F_OK) == 0 || access(key, F_OK) == 0)
                return SMT_ERR(err, CA_ECONFLICT, "%s or its key exists", crt);
        struct store_ca *cas = NULL;
        size_t num = 0;
        TRY(store_ca_list(store, &cas, &num, err));
        bool is_taken = false;
        for (size_t i = 0; i < num && !is_taken; i++)
                is_taken = strcmp(cas[i].name, name) == 0;
        store_ca_list_free(cas, num);
        if (is_taken)
                return SMT_ERR(err, CA_ECONFLICT, "the store has a CA of this name (it exists elsewhere)");
        return SMT_OK;
}

/* What one creation holds; freed by ca_runtime_cleanup. */
struct ca_runtime {
        const struct ca_config *config;
        const struct ca_create_request *request;
        int family; /* 0: SM2 root, 1: ECC root */
        char crt_path[CA_PATH_MAX];
        char key_path[CA_PATH_MAX];
        bool has_crt_file;
        bool has_key_file;
        struct ca_authority ca; /* moved to its slot when published */
};

static int ca_runtime_sign(struct ca_runtime *run, const struct cert *root, time_t now, time_t not_after,
                           struct cert **out, struct err *err)
{
        const struct ca_create_request *request = run->request;
        const char *root_name = run->family == 0 ? CA_SM2_ROOT_NAME : CA_ECC_ROOT_NAME;
        struct ca_issuing_config issuing = {
            .permitted_dns = {(char **)request->permitted_dns, request->num_permitted_dns},
            .excluded_dns = {(char **)request->excluded_dns, request->num_excluded_dns},
        };
        struct cert_issue_params params;
        struct ca_profile profile;
        char root_key_path[CA_PATH_MAX];
        struct key *root_key = NULL;
        TRY(ca_profile_issuing(&params, &profile, run->config, &issuing, request->kind, request->common_name, root_name,
                               err));
        if (request->organization != NULL)
                params.organization = request->organization; /* the brand this CA issues under */
        TRY(ca_path(root_key_path, run->config, "roots", root_name, ".key", err));
        TRY(key_load(&root_key, root_key_path, NULL, err));
        params.subject_key = run->ca.key;
        params.issuer_key = root_key;
        params.issuer_cert = root;
        params.not_before = now;
        params.not_after = not_after;
        int status = cert_issue(out, &params, err);
        key_free(root_key); /* the root's key is in memory only for this signature */
        return status;
}

/* Makes the key and certificate files and run->ca (chain, key, constraints), nothing visible yet. */
static int ca_runtime_make(struct ca_runtime *run, const struct cert *root, enum key_alg alg, struct err *err)
{
        const struct ca_create_request *request = run->request;
        time_t now = time(NULL), not_after = 0;
        struct cert *cert = NULL, *root_copy = NULL;
        TRY(ca_runtime_not_after(root, request, now, &not_after, err));
        TRY(ca_path(run->crt_path, run->config, "cas", request->name, ".crt", err));
        TRY(ca_path(run->key_path, run->config, "cas", request->name, ".key", err));
        TRY(key_generate(&run->ca.key, alg, err));
        TRY(key_save_private(run->ca.key, run->key_path, KEY_FORMAT_PEM, NULL, false, err));
        run->has_key_file = true;
        TRY(cert_chain_new(&run->ca.chain, err));
        TRY(ca_runtime_sign(run, root, now, not_after, &cert, err));
        TRY(cert_chain_append(run->ca.chain, cert, err));
        TRY(cert_save_pem(cert, run->crt_path, false, err));
        run->has_crt_file = true;
        TRY(cert_dup(&root_copy, root, err));
        TRY(cert_chain_append(run->ca.chain, root_copy, err));
        snprintf(run->ca.name, sizeof run->ca.name, "%s", request->name);
        run->ca.kind = request->kind;
        return ca_name_constraints_copy(&run->ca.constraints, request->permitted_dns, request->num_permitted_dns,
                                        request->excluded_dns, request->num_excluded_dns, err);
}

static int ca_runtime_record(struct ca_runtime *run, struct store *store, struct err *err)
{
        struct store_ca record = {.key_path = run->key_path, .created_at = time(NULL)};
        const uint8_t *der;
        snprintf(record.name, sizeof record.name, "%s", run->ca.name);
        snprintf(record.kind, sizeof record.kind, "%s", ca_kind_name(run->ca.kind));
        cert_der(cert_chain_get(run->ca.chain, 0), &der, &record.cert_der_len);
        record.cert_der = (uint8_t *)der;
        return store_ca_insert(store, &record, err);
}

/* On failure: the files this creation made go (they were made exclusively, so they are its own). */
static void ca_runtime_cleanup(struct ca_runtime *run, int status)
{
        if (status < 0 && run->has_crt_file)
                unlink(run->crt_path);
        if (status < 0 && run->has_key_file)
                unlink(run->key_path);
        ca_authority_cleanup(&run->ca);
}

static int ca_runtime_create_locked(struct ca_authorities *all, struct ca_runtime *run, struct store *store,
                                    enum key_alg alg, const struct ca_authority **out, struct err *err)
{
        size_t index = ca_authorities_count(all);
        struct ca_authority *slot = NULL;
        TRY(ca_runtime_check_free(all, run->config, store, run->request->name, err));
        TRY(ca_authorities_slot(all, index, &slot, err)); /* before the record: publishing cannot fail */
        TRY(ca_runtime_make(run, cert_chain_get(all->roots, (size_t)run->family), alg, err));
        TRY(ca_runtime_record(run, store, err));
        *slot = run->ca;
        memset(&run->ca, 0, sizeof run->ca);
        ca_authorities_publish(all, index);
        if (out != NULL)
                *out = slot;
        return SMT_OK;
}

int ca_authorities_create(struct ca_authorities *authorities, const struct ca_config *config, struct store *store,
                          const struct ca_create_request *request, const struct ca_authority **out, struct err *err)
{
        enum key_alg alg;
        TRY(ca_runtime_check_request(request, &alg, err));
        struct ca_runtime run = {.config = config, .request = request, .family = ca_kind_is_sm2(request->kind) ? 0 : 1};
        pthread_mutex_lock(&authorities->create_lock);
        int status = ca_runtime_create_locked(authorities, &run, store, alg, out, err);
        ca_runtime_cleanup(&run, status);
        pthread_mutex_unlock(&authorities->create_lock);
        /* Another process made the file between the check and the exclusive write: the name is taken. */
        if (status == SMT_EEXIST)
                status = err->code = CA_ECONFLICT;
        if (status < 0)
                return err_prefix(err, "CA %s", request->name);
        return SMT_OK;
}

/* --- loading what the store records --- */

static bool ca_runtime_same_cert(const struct ca_authority *ca, const struct store_ca *record)
{
        const uint8_t *der;
        size_t der_len;
        cert_der(ca_authority_cert(ca), &der, &der_len);
        return der_len == record->cert_der_len && memcmp(der, record->cert_der, der_len) == 0;
}

static int ca_runtime_load_into(struct ca_authority *ca, const struct ca_authorities *all,
                                const struct store_ca *record, struct err *err)
{
        struct cert *cert = NULL, *root_copy = NULL;
        if (ca_kind_parse(record->kind, &ca->kind) < 0 || ca->kind == CA_KIND_ADMIN)
                return SMT_ERR(err, SMT_EINVAL, "kind \"%s\" is not an issuing CA's", record->kind);
        snprintf(ca->name, sizeof ca->name, "%s", record->name);
        const struct cert *root = cert_chain_get(all->roots, ca_kind_is_sm2(ca->kind) ? 0 : 1);
        TRY(cert_chain_new(&ca->chain, err));
        TRY(cert_parse_der(&cert, record->cert_der, record->cert_der_len, err));
        TRY(cert_chain_append(ca->chain, cert, err));
        TRY(ca_check_chains_to(cert, root, "its certificate", err));
        if (access(record->key_path, F_OK) != 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s", record->key_path, strerror(errno));
        TRY(key_load(&ca->key, record->key_path, NULL, err));
        TRY(ca_key_matches_cert(ca->key, cert, record->key_path, err));
        TRY(cert_dup(&root_copy, root, err));
        TRY(cert_chain_append(ca->chain, root_copy, err));
        return ca_name_constraints_read(&ca->constraints, cert, err);
}

static int ca_runtime_load_one(struct ca_authorities *all, const struct store_ca *record, struct err *err)
{
        const struct ca_authority *existing = ca_authorities_find(all, record->name);
        if (existing != NULL && ca_runtime_same_cert(existing, record))
                return SMT_OK; /* loaded before */
        if (existing != NULL)
                return SMT_ERR(err, CA_ECONFLICT, "another issuing CA (ca.yaml?) has this name");
        size_t index = ca_authorities_count(all);
        struct ca_authority *slot = NULL, ca = {0};
        TRY(ca_authorities_slot(all, index, &slot, err));
        int status = ca_runtime_load_into(&ca, all, record, err);
        if (status < 0) {
                ca_authority_cleanup(&ca);
                return status;
        }
        *slot = ca;
        ca_authorities_publish(all, index);
        return SMT_OK;
}

int ca_authorities_load_runtime(struct ca_authorities *authorities, struct store *store, struct err *err)
{
        struct store_ca *cas = NULL;
        size_t num = 0;
        TRY(store_ca_list(store, &cas, &num, err));
        int status = SMT_OK;
        pthread_mutex_lock(&authorities->create_lock);
        for (size_t i = 0; i < num && status == SMT_OK; i++) {
                status = ca_runtime_load_one(authorities, &cas[i], err);
                if (status < 0)
                        status = err_prefix(err, "issuing CA %s of the store", cas[i].name);
        }
        pthread_mutex_unlock(&authorities->create_lock);
        store_ca_list_free(cas, num);
        return status;
}
