/* src/ca/authority.c: the issuing CAs loaded from state_dir (each checked against its key and its root) and
 * their accessors. The roots' keys are not loaded: they sign only issuing CAs, at `smtrust ca init` and
 * when the CA API makes one (authority_runtime.c loads the root key for that moment only). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/authority_internal.h"

int ca_path(char out[CA_PATH_MAX], const struct ca_config *config, const char *folder, const char *stem,
            const char *suffix, struct err *err)
{
        int n = folder != NULL ? snprintf(out, CA_PATH_MAX, "%s/%s/%s%s", config->state_dir, folder, stem, suffix)
                               : snprintf(out, CA_PATH_MAX, "%s", config->state_dir);
        if (n < 0 || n >= CA_PATH_MAX)
                return SMT_ERR(err, SMT_ENOSPACE, "state_dir \"%.80s...\" is too long", config->state_dir);
        return SMT_OK;
}

int ca_key_matches_cert(const struct key *key, const struct cert *cert, const char *what, struct err *err)
{
        struct key *certified = NULL;
        uint8_t want[32], have[32];
        TRY(cert_public_key(cert, &certified, err));
        int status = key_public_fingerprint(certified, want, err);
        key_free(certified);
        TRY(status);
        TRY(key_public_fingerprint(key, have, err));
        if (memcmp(want, have, sizeof want) != 0)
                return SMT_ERR(err, SMT_EINVAL, "%s: the key does not belong to the certificate", what);
        return SMT_OK;
}

/* Loads the first certificate of path, with the hint to run init when the file is missing. */
static int ca_load_cert(struct cert **out, const struct ca_config *config, const char *path, struct err *err)
{
        struct cert_chain *chain = NULL;
        if (access(path, F_OK) != 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s; run `smtrust ca init -c %s` first", path, strerror(errno),
                               config->path);
        TRY(cert_chain_load_pem(&chain, path, err));
        int status = cert_dup(out, cert_chain_get(chain, 0), err);
        cert_chain_free(chain);
        return status;
}

static int ca_load_root(struct ca_authorities *all, const struct ca_config *config, const char *name, struct err *err)
{
        char path[CA_PATH_MAX];
        struct cert *root = NULL;
        TRY(ca_path(path, config, "roots", name, ".crt", err));
        TRY(ca_load_cert(&root, config, path, err));
        if (!cert_is_ca(root) || !cert_is_self_issued(root)) {
                cert_free(root);
                return SMT_ERR(err, CRYPTO_ECERT, "%s: not a self-signed CA certificate", path);
        }
        return cert_chain_append(all->roots, root, err);
}

int ca_check_chains_to(const struct cert *cert, const struct cert *root, const char *path, struct err *err)
{
        struct cert_store *store = NULL;
        TRY(cert_store_new(&store, err));
        int status = cert_store_add(store, root, err);
        if (status == SMT_OK)
                status = cert_verify_chain(store, cert, NULL, 0, NULL, err);
        cert_store_free(store);
        if (status < 0)
                return err_prefix(err, "%s", path);
        return SMT_OK;
}

static int ca_load_one(struct ca_authority *ca, const struct ca_config *config, const struct cert *root,
                       struct err *err)
{
        char crt[CA_PATH_MAX], key[CA_PATH_MAX];
        struct cert *cert = NULL;
        TRY(ca_path(crt, config, "cas", ca->name, ".crt", err));
        TRY(ca_path(key, config, "cas", ca->name, ".key", err));
        TRY(cert_chain_new(&ca->chain, err));
        TRY(ca_load_cert(&cert, config, crt, err));
        TRY(cert_chain_append(ca->chain, cert, err));
        TRY(ca_check_chains_to(cert, root, crt, err));
        if (access(key, F_OK) != 0)
                return SMT_ERR(err, SMT_EIO, "%s: %s", key, strerror(errno));
        TRY(key_load(&ca->key, key, NULL, err));
        TRY(ca_key_matches_cert(ca->key, cert, key, err));
        struct cert *root_copy = NULL;
        TRY(cert_dup(&root_copy, root, err));
        return cert_chain_append(ca->chain, root_copy, err);
}

static void ca_authority_set(struct ca_authority *ca, const char *name, int kind)
{
        snprintf(ca->name, sizeof ca->name, "%s", name);
        ca->kind = kind;
}

int ca_authorities_slot(struct ca_authorities *all, size_t index, struct ca_authority **out, struct err *err)
{
        size_t block = index / CA_AUTHORITIES_BLOCK_LEN;
        if (block >= CA_AUTHORITIES_BLOCKS)
                return SMT_ERR(err, SMT_ENOSPACE, "%zu issuing CAs already; at most %d", index,
                               CA_AUTHORITIES_BLOCKS * CA_AUTHORITIES_BLOCK_LEN);
        if (all->blocks[block] == NULL) {
                all->blocks[block] = calloc(CA_AUTHORITIES_BLOCK_LEN, sizeof *all->blocks[block]);
                if (all->blocks[block] == NULL)
                        return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        }
        *out = &all->blocks[block][index % CA_AUTHORITIES_BLOCK_LEN];
        return SMT_OK;
}

void ca_authorities_publish(struct ca_authorities *all, size_t index)
{
        atomic_store_explicit(&all->num, index + 1, memory_order_release);
}

static const struct ca_authority *ca_authorities_at(const struct ca_authorities *all, size_t index)
{
        return &all->blocks[index / CA_AUTHORITIES_BLOCK_LEN][index % CA_AUTHORITIES_BLOCK_LEN];
}

/* The constraints ca_issue enforces for a CA of ca.yaml are the file's (the certificate carries the same). */
static int ca_load_constraints(struct ca_authority *ca, const struct ca_issuing_config *issuing, struct err *err)
{
        if (issuing == NULL)
                return SMT_OK; /* the admin CA */
        return ca_name_constraints_copy(&ca->constraints, (const char *const *)issuing->permitted_dns.items,
                                        issuing->permitted_dns.num, (const char *const *)issuing->excluded_dns.items,
                                        issuing->excluded_dns.num, err);
}

static int ca_authorities_fill(struct ca_authorities *all, const struct ca_config *config, struct err *err)
{
        TRY(cert_chain_new(&all->roots, err));
        TRY(ca_load_root(all, config, CA_SM2_ROOT_NAME, err));
        TRY(ca_load_root(all, config, CA_ECC_ROOT_NAME, err));
        const struct ca_issuing_config *cas = config->issuing_cas.items;
        for (size_t i = 0; i <= config->issuing_cas.num; i++) {
                struct ca_authority *ca = NULL;
                TRY(ca_authorities_slot(all, i, &ca, err));
                if (i < config->issuing_cas.num)
                        ca_authority_set(ca, cas[i].name, cas[i].kind);
                else
                        ca_authority_set(ca, CA_CONFIG_ADMIN_NAME, CA_KIND_ADMIN);
                ca_authorities_publish(all, i); /* from here ca_authorities_free frees it, also on failure */
                const struct cert *root = cert_chain_get(all->roots, ca_kind_is_sm2(ca->kind) ? 0 : 1);
                TRY(ca_load_one(ca, config, root, err));
                TRY(ca_load_constraints(ca, i < config->issuing_cas.num ? &cas[i] : NULL, err));
        }
        return SMT_OK;
}

int ca_authorities_load(struct ca_authorities **out, const struct ca_config *config, struct err *err)
{
        struct ca_authorities *all = calloc(1, sizeof *all);
        if (all == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        if (pthread_mutex_init(&all->create_lock, NULL) != 0) {
                free(all);
                return SMT_ERR(err, SMT_EINTERNAL, "pthread_mutex_init failed");
        }
        atomic_init(&all->num, 0);
        int status = ca_authorities_fill(all, config, err);
        if (status < 0) {
                ca_authorities_free(all);
                return status;
        }
        *out = all;
        return SMT_OK;
}

void ca_authority_cleanup(struct ca_authority *ca)
{
        cert_chain_free(ca->chain);
        key_free(ca->key);
        ca_name_constraints_cleanup(&ca->constraints);
        memset(ca, 0, sizeof *ca);
}

void ca_authorities_free(struct ca_authorities *authorities)
{
        if (authorities == NULL)
                return;
        size_t num = atomic_load_explicit(&authorities->num, memory_order_acquire);
        for (size_t i = 0; i < num; i++)
                ca_authority_cleanup((struct ca_authority *)ca_authorities_at(authorities, i));
        for (size_t b = 0; b < CA_AUTHORITIES_BLOCKS; b++)
                free(authorities->blocks[b]);
        cert_chain_free(authorities->roots);
        pthread_mutex_destroy(&authorities->create_lock);
        free(authorities);
}

const struct ca_authority *ca_authorities_find(const struct ca_authorities *authorities, const char *name)
{
        size_t num = ca_authorities_count(authorities);
        for (size_t i = 0; i < num; i++)
                if (strcmp(ca_authorities_at(authorities, i)->name, name) == 0)
                        return ca_authorities_at(authorities, i);
        return NULL;
}

const struct ca_authority *ca_authorities_for_kind(const struct ca_authorities *authorities, int kind)
{
        size_t num = ca_authorities_count(authorities);
        for (size_t i = 0; i < num; i++)
                if (ca_authorities_at(authorities, i)->kind == kind)
                        return ca_authorities_at(authorities, i);
        return NULL;
}

size_t ca_authorities_count(const struct ca_authorities *authorities)
{
        /* The count of a const object still changes (CAs made at run time): read it with acquire order. */
        return atomic_load_explicit((_Atomic size_t *)&authorities->num, memory_order_acquire);
}

const struct ca_authority *ca_authorities_get(const struct ca_authorities *authorities, size_t index)
{
        return index < ca_authorities_count(authorities) ? ca_authorities_at(authorities, index) : NULL;
}

const struct cert_chain *ca_authorities_roots(const struct ca_authorities *authorities)
{
        return authorities->roots;
}

const char *ca_authority_name(const struct ca_authority *ca)
{
        return ca->name;
}

int ca_authority_kind(const struct ca_authority *ca)
{
        return ca->kind;
}

const struct cert *ca_authority_cert(const struct ca_authority *ca)
{
        return cert_chain_get(ca->chain, 0);
}

const struct cert_chain *ca_authority_chain(const struct ca_authority *ca)
{
        return ca->chain;
}

const struct key *ca_authority_key(const struct ca_authority *ca)
{
        return ca->key;
}
