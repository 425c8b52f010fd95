/* src/gateway/sites_files.c: certificate, key and trust files, each read once per build however many
 * sites name it (10,000 sites sharing one wildcard certificate read it once), and the checks that make a
 * certificate and a key a usable pair. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sites_internal.h"

enum gw_sites_file_kind {
        GW_SITES_FILE_CERTS = 'c',  /* PEM certificates, leaf first */
        GW_SITES_FILE_KEY = 'k',    /* a private key */
        GW_SITES_FILE_STORE = 's',  /* PEM trusted roots */
        GW_SITES_FILE_MERGED = 'm', /* not a file: the intermediates of an ECC and an RSA file together */
        GW_SITES_FILE_TLS = 't',    /* not a file: TLS credentials prepared from up to four files */
};

struct gw_sites_file {
        char *id;                       /* kind letter + path (two paths for a merged chain): the cache key */
        struct cert_chain *chain;       /* certificates: all of the file; merged: both files' intermediates */
        struct cert_chain *rest;        /* certificates: those after the leaf, NULL when there are none */
        struct key *key;                /* key */
        struct cert_store *store;       /* store */
        struct net_tls_credentials tls; /* TLS: prepared (one SSL_CTX for every site naming the same files) */
        enum key_alg alg;               /* certificates: of the leaf's public key; key: of the key */
        uint8_t print[32];              /* SHA-256 of that public key (SubjectPublicKeyInfo) */
        struct gw_sites_file *next;
};

int gw_sites_files_init(struct gw_sites_files *files, const uint8_t hash_key[GW_SITES_HASH_KEY_LEN], struct err *err)
{
        files->list = NULL;
        return gw_sites_table_init(&files->table, 64, hash_key, err);
}

void gw_sites_files_cleanup(struct gw_sites_files *files)
{
        while (files->list != NULL) {
                struct gw_sites_file *file = files->list;
                files->list = file->next;
                cert_chain_free(file->chain);
                cert_chain_free(file->rest);
                key_free(file->key);
                cert_store_free(file->store);
                net_tls_credentials_release(&file->tls);
                free(file->id);
                free(file);
        }
        gw_sites_table_cleanup(&files->table);
}

/* The cached entry whose id is the printf-style text (a kind letter, then paths), or a new empty one
 * (*is_new set) that the caller fills; it is freed with the cache whatever happens. */
static int gw_sites_files_entry(struct gw_sites_files *files, struct gw_sites_file **out, bool *is_new, struct err *err,
                                const char *fmt, ...) SMT_PRINTF(5, 6);
static int gw_sites_files_entry(struct gw_sites_files *files, struct gw_sites_file **out, bool *is_new, struct err *err,
                                const char *fmt, ...)
{
        char *id = NULL;
        va_list args;
        va_start(args, fmt);
        int n = vasprintf(&id, fmt, args);
        va_end(args);
        if (n < 0)
                return SMT_ERR(err, SMT_ENOMEM, "sites: out of memory");
        *out = gw_sites_table_lookup(&files->table, id, (size_t)n);
        *is_new = *out == NULL;
        if (!*is_new) {
                free(id);
                return SMT_OK;
        }
        struct gw_sites_file *file = calloc(1, sizeof *file);
        if (file == NULL) {
                free(id);
                return SMT_ERR(err, SMT_ENOMEM, "sites: out of memory");
        }
        file->id = id;
        file->next = files->list;
        files->list = file;
        *out = file;
        return gw_sites_table_insert(&files->table, id, (size_t)n, file, NULL, err);
}

/* The certificates after the first of chain (NULL when none): the intermediates of a leaf's file. */
static int gw_sites_chain_rest(struct cert_chain **out, const struct cert_chain *chain, size_t from, struct err *err)
{
        for (size_t i = from; i < cert_chain_count(chain); i++) {
                struct cert *copy = NULL;
                if (*out == NULL)
                        TRY(cert_chain_new(out, err));
                TRY(cert_dup(&copy, cert_chain_get(chain, i), err));
                TRY(cert_chain_append(*out, copy, err));
        }
        return SMT_OK;
}

static int gw_sites_public_print(const struct key *key, enum key_alg *alg, uint8_t print[32], struct err *err)
{
        *alg = key_get_alg(key);
        return key_public_fingerprint(key, print, err);
}

static int gw_sites_files_certs(struct gw_sites_files *files, const struct gw_sites_file **out, const char *path,
                                struct err *err)
{
        struct gw_sites_file *file;
        bool is_new;
        TRY(gw_sites_files_entry(files, &file, &is_new, err, "%c%s", GW_SITES_FILE_CERTS, path));
        *out = file;
        if (!is_new)
                return SMT_OK;
        struct key *leaf_key = NULL;
        TRY(cert_chain_load_pem(&file->chain, path, err));
        TRY(gw_sites_chain_rest(&file->rest, file->chain, 1, err));
        int status = cert_public_key(cert_chain_get(file->chain, 0), &leaf_key, err);
        if (status == SMT_OK)
                status = gw_sites_public_print(leaf_key, &file->alg, file->print, err);
        key_free(leaf_key);
        return status;
}

static int gw_sites_files_key(struct gw_sites_files *files, const struct gw_sites_file **out, const char *path,
                              struct err *err)
{
        struct gw_sites_file *file;
        bool is_new;
        TRY(gw_sites_files_entry(files, &file, &is_new, err, "%c%s", GW_SITES_FILE_KEY, path));
        *out = file;
        if (!is_new)
                return SMT_OK;
        TRY(key_load(&file->key, path, NULL, err));
        if (!key_is_private(file->key))
                return SMT_ERR(err, CRYPTO_EKEY, "%s: a public key; expected a private key", path);
        return gw_sites_public_print(file->key, &file->alg, file->print, err);
}

int gw_sites_files_store(struct gw_sites_files *files, const struct cert_store **out, const char *path, struct err *err)
{
        struct gw_sites_file *file;
        bool is_new;
        TRY(gw_sites_files_entry(files, &file, &is_new, err, "%c%s", GW_SITES_FILE_STORE, path));
        if (is_new)
                TRY(cert_store_load(&file->store, path, err));
        *out = file->store;
        return SMT_OK;
}

/* One certificate file and its key file, named by config keys cert_name and key_name in messages. */
struct gw_sites_pair {
        const char *cert_name;
        const char *cert_path;
        const char *key_name;
        const char *key_path;
        const struct gw_sites_file *certs;
        const struct gw_sites_file *key;
};

static int gw_sites_pair_load(struct gw_sites_files *files, struct gw_sites_pair *pair, struct err *err)
{
        if (pair->cert_path == NULL || pair->key_path == NULL)
                return SMT_ERR(err, SMT_ECONFIG, "%s and %s go together; one is missing", pair->cert_name,
                               pair->key_name);
        if (gw_sites_files_certs(files, &pair->certs, pair->cert_path, err) < 0)
                return err_prefix(err, "%s", pair->cert_name);
        if (gw_sites_files_key(files, &pair->key, pair->key_path, err) < 0)
                return err_prefix(err, "%s", pair->key_name);
        if (memcmp(pair->certs->print, pair->key->print, sizeof pair->key->print) != 0)
                return SMT_ERR(err, CRYPTO_EKEY, "%s %s is not the private key of %s %s", pair->key_name,
                               pair->key_path, pair->cert_name, pair->cert_path);
        return SMT_OK;
}

static const struct cert *gw_sites_pair_leaf(const struct gw_sites_pair *pair)
{
        return cert_chain_get(pair->certs->chain, 0);
}

/* Refuses a pair whose key is not one of the algorithms the protocol signs or decrypts with. */
static int gw_sites_pair_check_alg(const struct gw_sites_pair *pair, const enum key_alg *allowed, size_t num_allowed,
                                   const char *expected, struct err *err)
{
        for (size_t i = 0; i < num_allowed; i++)
                if (pair->certs->alg == allowed[i])
                        return SMT_OK;
        return SMT_ERR(err, CRYPTO_EWRONGALG, "%s %s: the certificate's key is %s; expected %s", pair->cert_name,
                       pair->cert_path, key_alg_name(pair->certs->alg), expected);
}

static int gw_sites_pair_check_usage(const struct gw_sites_pair *pair, unsigned usage, bool is_any, struct err *err)
{
        int status = is_any ? cert_check_key_usage_any(gw_sites_pair_leaf(pair), usage, err)
                            : cert_check_key_usage(gw_sites_pair_leaf(pair), usage, err);
        if (status < 0)
                return err_prefix(err, "%s %s", pair->cert_name, pair->cert_path);
        return SMT_OK;
}

int gw_sites_files_tlcp(struct gw_sites_files *files, struct tlcp_credentials *out, const struct gw_sm2_config *sm2,
                        struct err *err)
{
        static const enum key_alg sm2_only[] = {KEY_ALG_SM2};
        struct gw_sites_pair sign = {"sm2.sign_cert", sm2->sign_cert, "sm2.sign_key", sm2->sign_key, NULL, NULL};
        struct gw_sites_pair enc = {"sm2.enc_cert", sm2->enc_cert, "sm2.enc_key", sm2->enc_key, NULL, NULL};
        TRY(gw_sites_pair_load(files, &sign, err));
        TRY(gw_sites_pair_load(files, &enc, err));
        TRY(gw_sites_pair_check_alg(&sign, sm2_only, 1, "sm2", err));
        TRY(gw_sites_pair_check_alg(&enc, sm2_only, 1, "sm2", err));
        TRY(gw_sites_pair_check_usage(&sign, CERT_KEY_USAGE_DIGITAL_SIGNATURE, false, err));
        TRY(gw_sites_pair_check_usage(&enc, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT, true,
                                      err));
        out->sign_cert = gw_sites_pair_leaf(&sign);
        out->enc_cert = gw_sites_pair_leaf(&enc);
        out->sign_key = sign.key->key;
        out->enc_key = enc.key->key;
        out->chain = sign.certs->rest;
        if (sm2->chain != NULL) {
                const struct gw_sites_file *chain;
                if (gw_sites_files_certs(files, &chain, sm2->chain, err) < 0)
                        return err_prefix(err, "sm2.chain");
                out->chain = chain->chain;
        }
        return SMT_OK;
}

static bool gw_sites_chain_has(const struct cert_chain *chain, const struct cert *cert)
{
        const uint8_t *der, *other;
        size_t len, other_len;
        cert_der(cert, &der, &len);
        for (size_t i = 0; i < cert_chain_count(chain); i++) {
                cert_der(cert_chain_get(chain, i), &other, &other_len);
                if (other_len == len && memcmp(other, der, len) == 0)
                        return true;
        }
        return false;
}

/* One chain for both leaves (net/tls_conn.h sends the same intermediates after either): the ECC file's
 * intermediates, then the RSA file's that are not among them. */
static int gw_sites_files_merged(struct gw_sites_files *files, const struct cert_chain **out,
                                 const struct gw_sites_pair *ecc, const struct gw_sites_pair *rsa, struct err *err)
{
        struct gw_sites_file *file;
        bool is_new;
        TRY(gw_sites_files_entry(files, &file, &is_new, err, "%c%s\n%s", GW_SITES_FILE_MERGED, ecc->cert_path,
                                 rsa->cert_path));
        *out = file->chain;
        if (!is_new)
                return SMT_OK;
        TRY(gw_sites_chain_rest(&file->chain, ecc->certs->rest, 0, err));
        for (size_t i = 0; i < cert_chain_count(rsa->certs->rest); i++) {
                const struct cert *cert = cert_chain_get(rsa->certs->rest, i);
                struct cert *copy = NULL;
                if (gw_sites_chain_has(file->chain, cert))
                        continue;
                TRY(cert_dup(&copy, cert, err));
                TRY(cert_chain_append(file->chain, copy, err));
        }
        *out = file->chain;
        return SMT_OK;
}

/* Loads and checks the pairs given into out (not prepared). */
static int gw_sites_files_tls_pairs(struct gw_sites_files *files, struct net_tls_credentials *out,
                                    struct gw_sites_pair *ecc_pair, struct gw_sites_pair *rsa_pair, struct err *err)
{
        static const enum key_alg ecc_algs[] = {KEY_ALG_EC_P256, KEY_ALG_EC_P384};
        static const enum key_alg rsa_algs[] = {KEY_ALG_RSA_2048, KEY_ALG_RSA_3072, KEY_ALG_RSA_OTHER};
        memset(out, 0, sizeof *out);
        if (ecc_pair->cert_path != NULL || ecc_pair->key_path != NULL) {
                TRY(gw_sites_pair_load(files, ecc_pair, err));
                TRY(gw_sites_pair_check_alg(ecc_pair, ecc_algs, 2, "ec-p256 or ec-p384", err));
                TRY(gw_sites_pair_check_usage(ecc_pair, CERT_KEY_USAGE_DIGITAL_SIGNATURE, false, err));
                out->ecc_cert = gw_sites_pair_leaf(ecc_pair);
                out->ecc_key = ecc_pair->key->key;
                out->chain = ecc_pair->certs->rest;
        }
        if (rsa_pair->cert_path != NULL || rsa_pair->key_path != NULL) {
                TRY(gw_sites_pair_load(files, rsa_pair, err));
                TRY(gw_sites_pair_check_alg(rsa_pair, rsa_algs, 3, "rsa", err));
                TRY(gw_sites_pair_check_usage(rsa_pair, CERT_KEY_USAGE_DIGITAL_SIGNATURE, false, err));
                out->rsa_cert = gw_sites_pair_leaf(rsa_pair);
                out->rsa_key = rsa_pair->key->key;
                if (out->chain == NULL)
                        out->chain = rsa_pair->certs->rest;
                else if (rsa_pair->certs->rest != NULL)
                        TRY(gw_sites_files_merged(files, &out->chain, ecc_pair, rsa_pair, err));
        }
        return SMT_OK;
}

int gw_sites_files_tls(struct gw_sites_files *files, struct net_tls_credentials *out, const struct gw_cert_config *ecc,
                       const struct gw_cert_config *rsa, struct err *err)
{
        struct gw_sites_pair ecc_pair = {"ecc.cert", ecc->cert, "ecc.key", ecc->key, NULL, NULL};
        struct gw_sites_pair rsa_pair = {"rsa.cert", rsa->cert, "rsa.key", rsa->key, NULL, NULL};
        struct net_tls_credentials loaded;
        struct gw_sites_file *file;
        bool is_new;
        TRY(gw_sites_files_tls_pairs(files, &loaded, &ecc_pair, &rsa_pair, err));
        TRY(gw_sites_files_entry(files, &file, &is_new, err, "%c%s\n%s\n%s\n%s", GW_SITES_FILE_TLS,
                                 ecc->cert != NULL ? ecc->cert : "", ecc->key != NULL ? ecc->key : "",
                                 rsa->cert != NULL ? rsa->cert : "", rsa->key != NULL ? rsa->key : ""));
        if (is_new) {
                file->tls = loaded;
                if (net_tls_credentials_prepare(&file->tls, err) < 0)
                        return err_prefix(err, "TLS credentials");
        }
        *out = file->tls;
        return SMT_OK;
}
