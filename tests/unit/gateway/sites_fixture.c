/* tests/unit/gateway/sites_fixture.c: see sites_fixture.h. */
#include "sites_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/file.h"
#include "check.h"
#include "crypto/key.h"

static char sites_fixture_folder[4096];

static void sites_fixture_copy(const char *shared, const char *name, mode_t mode)
{
        char relative[128], path[4200];
        uint8_t *data = NULL;
        size_t len = 0;
        struct err err = {0};
        snprintf(relative, sizeof relative, "vectors/tlcp/pki/sm2/%s", shared);
        const char *from = check_shared_path(relative);
        if (from == NULL)
                check_skip_all("no shared test PKI (vectors/tlcp/pki/sm2)");
        CHECK_OK(file_read_all(&data, &len, from, 1 << 20, &err), &err);
        snprintf(path, sizeof path, "%s/%s", sites_fixture_folder, name);
        CHECK_OK(file_write_atomic(path, data, len, mode, FILE_WRITE_REPLACE, &err), &err);
        file_free_contents(data, len);
}

static struct cert *sites_fixture_issue(const struct key *subject, const struct key *issuer_key,
                                        const struct cert *issuer, const char *name, bool is_ca)
{
        struct err err = {0};
        struct cert *out = NULL;
        const char *names[] = {name};
        struct cert_issue_params p = {.subject_key = subject,
                                      .issuer_key = issuer_key,
                                      .issuer_cert = issuer,
                                      .common_name = name,
                                      .dns_names = is_ca ? NULL : names,
                                      .num_dns_names = is_ca ? 0 : 1,
                                      .not_after = time(NULL) + 86400,
                                      .is_ca = is_ca,
                                      .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE};
        CHECK_OK(cert_issue(&out, &p, &err), &err);
        return out;
}

/* Writes certificates in order as one PEM file, and key (when not NULL) as name.key with mode 0600. */
static void sites_fixture_save(const char *cert_name, struct cert *const *certs, size_t num, const char *key_name,
                               const struct key *key)
{
        char path[4200];
        struct cert_chain *chain = NULL;
        struct err err = {0};
        CHECK_OK(cert_chain_new(&chain, &err), &err);
        for (size_t i = 0; i < num; i++) {
                struct cert *copy = NULL;
                CHECK_OK(cert_dup(&copy, certs[i], &err), &err);
                CHECK_OK(cert_chain_append(chain, copy, &err), &err);
        }
        CHECK_OK(cert_chain_save_pem(chain, sites_fixture_path(cert_name, path, sizeof path), true, &err), &err);
        cert_chain_free(chain);
        if (key != NULL)
                CHECK_OK(key_save_private(key, sites_fixture_path(key_name, path, sizeof path), KEY_FORMAT_PEM, NULL,
                                          true, &err),
                         &err);
}

static void sites_fixture_make_tls(void)
{
        struct key *keys[6] = {NULL};
        static const enum key_alg algs[6] = {KEY_ALG_EC_P256, KEY_ALG_EC_P256,  KEY_ALG_EC_P256,
                                             KEY_ALG_EC_P256, KEY_ALG_RSA_2048, KEY_ALG_RSA_2048};
        struct err err = {0};
        for (size_t i = 0; i < 6; i++)
                CHECK_OK(key_generate(&keys[i], algs[i], &err), &err);
        struct cert *root = sites_fixture_issue(keys[0], NULL, NULL, "sites test ECC root", true);
        struct cert *inter = sites_fixture_issue(keys[1], keys[0], root, "sites test ECC intermediate", true);
        struct cert *leaf = sites_fixture_issue(keys[2], keys[1], inter, "shop.example.com", false);
        struct cert *rsa_root = sites_fixture_issue(keys[4], NULL, NULL, "sites test RSA root", true);
        struct cert *rsa_leaf = sites_fixture_issue(keys[5], keys[4], rsa_root, "shop.example.com", false);
        sites_fixture_save("ecc.crt", (struct cert *[]){leaf, inter}, 2, "ecc.key", keys[2]);
        sites_fixture_save("ecc_leaf.crt", &leaf, 1, NULL, NULL);
        sites_fixture_save("ecc_ca.crt", &root, 1, "ecc_other.key", keys[3]);
        sites_fixture_save("rsa.crt", (struct cert *[]){rsa_leaf, rsa_root}, 2, "rsa.key", keys[5]);
        cert_free(root);
        cert_free(inter);
        cert_free(leaf);
        cert_free(rsa_root);
        cert_free(rsa_leaf);
        for (size_t i = 0; i < 6; i++)
                key_free(keys[i]);
}

const char *sites_fixture_dir(void)
{
        if (sites_fixture_folder[0] != '\0')
                return sites_fixture_folder;
        snprintf(sites_fixture_folder, sizeof sites_fixture_folder, "%s", check_temp_dir());
        sites_fixture_copy("server_sign.crt", "sign.crt", 0644);
        sites_fixture_copy("server_sign.key", "sign.key", 0600);
        sites_fixture_copy("server_enc.crt", "enc.crt", 0644);
        sites_fixture_copy("server_enc.key", "enc.key", 0600);
        sites_fixture_copy("client_sign.key", "client_sign.key", 0600);
        sites_fixture_copy("ca.crt", "sm2_ca.crt", 0644);
        sites_fixture_copy("server_sign.key", "sign_0644.key", 0644);
        sites_fixture_make_tls();
        return sites_fixture_folder;
}

const char *sites_fixture_path(const char *name, char *out, size_t out_len)
{
        snprintf(out, out_len, "%s/%s", sites_fixture_dir(), name);
        return out;
}

struct cert *sites_fixture_cert(const char *name)
{
        char path[4200];
        struct cert_chain *chain = NULL;
        struct cert *out = NULL;
        struct err err = {0};
        CHECK_OK(cert_chain_load_pem(&chain, sites_fixture_path(name, path, sizeof path), &err), &err);
        CHECK_OK(cert_dup(&out, cert_chain_get(chain, 0), &err), &err);
        cert_chain_free(chain);
        return out;
}

void sites_fixture_load(struct gw_config *config, const char *yaml)
{
        struct config_errors *errors = malloc(sizeof *errors);
        CHECK(errors != NULL);
        int status = gw_config_load_string(config, "sites.yaml", yaml, strlen(yaml), sites_fixture_dir(), errors);
        for (size_t i = 0; status != 0 && i < errors->num; i++)
                fprintf(stderr, "  %s\n", errors->list[i].text);
        free(errors);
        CHECK_EQ(status, 0);
}

struct gw_sites *sites_fixture_build(struct gw_config *config, const char *yaml)
{
        struct gw_sites *sites = NULL;
        struct err err = {0};
        sites_fixture_load(config, yaml);
        CHECK_OK(gw_sites_build(&sites, config, &err), &err);
        return sites;
}

bool sites_fixture_same_cert(const struct cert *a, const struct cert *b)
{
        const uint8_t *a_der, *b_der;
        size_t a_len, b_len;
        if (a == NULL || b == NULL)
                return false;
        cert_der(a, &a_der, &a_len);
        cert_der(b, &b_der, &b_len);
        return a_len == b_len && memcmp(a_der, b_der, a_len) == 0;
}
