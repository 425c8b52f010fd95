/* tests/unit/gateway/test_demo_pki.c: gw_demo_pki_create (src/gateway/demo_pki.c): every file is there with
 * the right mode; each key is the private half of its certificate; the leaves chain to their root; the SM2
 * pair has what Tongsuo and GmSSL want (shared/tlcp-wire.md: same subject, SAN and issuer, the usages, no
 * leaf basicConstraints, serverAuth EKU, serials >= 4 bytes, validity <= 3653 days); a rerun changes no byte;
 * a partial folder and bad parameters are refused without writing anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/file.h"
#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "gateway/demo_pki.h"

#define DAY 86400

static const char *path_in(const char *dir, const char *name)
{
        static char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        return path;
}

static const char *make_pki(const char *sub, const struct gw_demo_pki_params *params)
{
        static char dir[4096];
        struct err err = {0};
        enum gw_demo_pki_result result = 0;
        snprintf(dir, sizeof dir, "%s/%s", check_temp_dir(), sub);
        CHECK_OK(gw_demo_pki_create(dir, params, &result, &err), &err);
        CHECK_EQ(result, GW_DEMO_PKI_CREATED);
        return dir;
}

static struct cert_chain *load_chain(const char *dir, const char *name)
{
        struct cert_chain *chain = NULL;
        struct err err = {0};
        CHECK_OK(cert_chain_load_pem(&chain, path_in(dir, name), &err), &err);
        return chain;
}

static struct key *load_key(const char *dir, const char *name)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_load(&key, path_in(dir, name), NULL, &err), &err);
        CHECK(key_is_private(key));
        return key;
}

/* check_pair: the certificate file holds exactly one certificate whose public key is key_file's. */
static void check_pair(const char *dir, const char *cert_file, const char *key_file, enum key_alg alg)
{
        struct cert_chain *chain = load_chain(dir, cert_file);
        struct key *key = load_key(dir, key_file), *public_key = NULL;
        struct err err = {0};
        uint8_t want[32], got[32];
        CHECK_EQ(cert_chain_count(chain), 1);
        CHECK_OK(cert_public_key(cert_chain_get(chain, 0), &public_key, &err), &err);
        CHECK_EQ(key_get_alg(key), alg);
        CHECK_OK(key_public_fingerprint(key, want, &err), &err);
        CHECK_OK(key_public_fingerprint(public_key, got, &err), &err);
        CHECK_MEM(want, got, sizeof want);
        key_free(public_key);
        key_free(key);
        cert_chain_free(chain);
}

static void check_mode(const char *dir, const char *name, mode_t mode)
{
        struct stat st;
        CHECK(stat(path_in(dir, name), &st) == 0);
        CHECK_EQ(st.st_mode & 0777, mode);
}

static void files_have_modes_and_keys_match(void)
{
        const char *dir = make_pki("default", &(struct gw_demo_pki_params){0});
        size_t num_files = 0;
        for (; gw_demo_pki_file_name(num_files) != NULL; num_files++) {
                const char *name = gw_demo_pki_file_name(num_files);
                check_mode(dir, name, strstr(name, ".key") != NULL ? 0600 : 0644);
        }
        CHECK_EQ(num_files, 11);
        check_pair(dir, GW_DEMO_PKI_SM2_ROOT_CERT, GW_DEMO_PKI_SM2_ROOT_KEY, KEY_ALG_SM2);
        check_pair(dir, GW_DEMO_PKI_ECC_ROOT_CERT, GW_DEMO_PKI_ECC_ROOT_KEY, KEY_ALG_EC_P256);
        check_pair(dir, GW_DEMO_PKI_SM2_SIGN_CERT, GW_DEMO_PKI_SM2_SIGN_KEY, KEY_ALG_SM2);
        check_pair(dir, GW_DEMO_PKI_SM2_ENC_CERT, GW_DEMO_PKI_SM2_ENC_KEY, KEY_ALG_SM2);
        check_pair(dir, GW_DEMO_PKI_ECC_CERT, GW_DEMO_PKI_ECC_KEY, KEY_ALG_EC_P256);
}

static void check_chains_to(const char *dir, const char *leaf_file, const char *root_file)
{
        struct cert_store *store = NULL;
        struct cert_chain *leaf = load_chain(dir, leaf_file);
        struct err err = {0};
        CHECK_OK(cert_store_load(&store, path_in(dir, root_file), &err), &err);
        CHECK_OK(cert_verify_chain(store, cert_chain_get(leaf, 0), NULL, 0, NULL, &err), &err);
        cert_store_free(store);
        cert_chain_free(leaf);
}

static void check_does_not_chain_to(const char *dir, const char *leaf_file, const char *root_file)
{
        struct cert_store *store = NULL;
        struct cert_chain *leaf = load_chain(dir, leaf_file);
        struct err err = {0};
        CHECK_OK(cert_store_load(&store, path_in(dir, root_file), &err), &err);
        CHECK_STATUS(cert_verify_chain(store, cert_chain_get(leaf, 0), NULL, 0, NULL, &err), CRYPTO_ECERT_UNTRUSTED);
        cert_store_free(store);
        cert_chain_free(leaf);
}

static void leaves_chain_to_their_root_only(void)
{
        const char *dir = make_pki("chains", &(struct gw_demo_pki_params){0});
        check_chains_to(dir, GW_DEMO_PKI_SM2_SIGN_CERT, GW_DEMO_PKI_SM2_ROOT_CERT);
        check_chains_to(dir, GW_DEMO_PKI_SM2_ENC_CERT, GW_DEMO_PKI_SM2_ROOT_CERT);
        check_chains_to(dir, GW_DEMO_PKI_ECC_CERT, GW_DEMO_PKI_ECC_ROOT_CERT);
        check_does_not_chain_to(dir, GW_DEMO_PKI_ECC_CERT, GW_DEMO_PKI_SM2_ROOT_CERT);
        check_does_not_chain_to(dir, GW_DEMO_PKI_SM2_SIGN_CERT, GW_DEMO_PKI_ECC_ROOT_CERT);
        /* roots.pem trusts both families, and holds exactly the two root files. */
        check_chains_to(dir, GW_DEMO_PKI_SM2_SIGN_CERT, GW_DEMO_PKI_ROOTS);
        check_chains_to(dir, GW_DEMO_PKI_ECC_CERT, GW_DEMO_PKI_ROOTS);
        struct cert_chain *roots = load_chain(dir, GW_DEMO_PKI_ROOTS);
        CHECK_EQ(cert_chain_count(roots), 2);
        const char *root_files[] = {GW_DEMO_PKI_SM2_ROOT_CERT, GW_DEMO_PKI_ECC_ROOT_CERT};
        for (size_t i = 0; i < 2; i++) {
                struct cert_chain *root = load_chain(dir, root_files[i]);
                const uint8_t *a, *b;
                size_t a_len, b_len;
                cert_der(cert_chain_get(roots, i), &a, &a_len);
                cert_der(cert_chain_get(root, 0), &b, &b_len);
                CHECK_EQ(a_len, b_len);
                CHECK_MEM(a, b, a_len);
                CHECK(cert_is_ca(cert_chain_get(root, 0)));
                cert_chain_free(root);
        }
        cert_chain_free(roots);
}

static void check_leaf_shape(const struct cert *leaf)
{
        X509 *x509 = cert_x509(leaf);
        time_t not_before, not_after;
        struct err err = {0};
        CHECK(X509_get_ext_by_NID(x509, NID_basic_constraints, -1) < 0); /* GmSSL refuses CA:FALSE's empty SEQUENCE */
        CHECK(!cert_is_ca(leaf));
        CHECK(ASN1_STRING_length(X509_get0_serialNumber(x509)) >= 4);
        CHECK_OK(cert_not_before(leaf, &not_before, &err), &err);
        CHECK_OK(cert_not_after(leaf, &not_after, &err), &err);
        CHECK(not_after - not_before <= 3653 * DAY);
        CHECK(not_before <= time(NULL));
        CHECK_OK(cert_check_extended_usage(leaf, CERT_EXTENDED_USAGE_SERVER_AUTH, &err), &err);
}

static void sm2_pair_suits_tlcp(void)
{
        const char *dir = make_pki("pair", &(struct gw_demo_pki_params){0});
        struct cert_chain *sign = load_chain(dir, GW_DEMO_PKI_SM2_SIGN_CERT);
        struct cert_chain *enc = load_chain(dir, GW_DEMO_PKI_SM2_ENC_CERT);
        const struct cert *s = cert_chain_get(sign, 0), *e = cert_chain_get(enc, 0);
        struct err err = {0};
        char s_text[CERT_NAME_TEXT_MAX], e_text[CERT_NAME_TEXT_MAX];
        CHECK_EQ(X509_get_signature_nid(cert_x509(s)), NID_SM2_with_SM3);
        CHECK_OK(cert_subject_text(s, s_text, sizeof s_text, &err), &err);
        CHECK_OK(cert_subject_text(e, e_text, sizeof e_text, &err), &err);
        CHECK_STR(s_text, e_text);
        CHECK(strstr(s_text, "CN=localhost") != NULL);
        CHECK_OK(cert_issuer_text(s, s_text, sizeof s_text, &err), &err);
        CHECK_OK(cert_issuer_text(e, e_text, sizeof e_text, &err), &err);
        CHECK_STR(s_text, e_text);
        struct cert_san s_sans[8], e_sans[8];
        size_t num_s, num_e;
        CHECK_OK(cert_san_list(s, s_sans, 8, &num_s, &err), &err);
        CHECK_OK(cert_san_list(e, e_sans, 8, &num_e, &err), &err);
        CHECK_EQ(num_s, 3);
        CHECK_EQ(num_e, 3);
        CHECK_MEM(s_sans, e_sans, sizeof s_sans[0] * 3);
        CHECK_OK(cert_check_key_usage(s, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), &err);
        CHECK_STATUS(cert_check_key_usage(s, CERT_KEY_USAGE_KEY_ENCIPHERMENT, &err), CRYPTO_ECERT_USAGE);
        CHECK_OK(cert_check_key_usage(e,
                                      CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT |
                                          CERT_KEY_USAGE_KEY_AGREEMENT,
                                      &err),
                 &err);
        CHECK_STATUS(cert_check_key_usage(e, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), CRYPTO_ECERT_USAGE);
        check_leaf_shape(s);
        check_leaf_shape(e);
        cert_chain_free(sign);
        cert_chain_free(enc);
}

static void ecc_leaf_serves_localhost(void)
{
        const char *dir = make_pki("ecc", &(struct gw_demo_pki_params){0});
        struct cert_chain *ecc = load_chain(dir, GW_DEMO_PKI_ECC_CERT);
        const struct cert *leaf = cert_chain_get(ecc, 0);
        struct err err = {0};
        check_leaf_shape(leaf);
        CHECK_EQ(X509_get_signature_nid(cert_x509(leaf)), NID_ecdsa_with_SHA256);
        CHECK_OK(cert_check_key_usage(leaf, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), &err);
        CHECK_OK(cert_check_host(leaf, "localhost", &err), &err);
        CHECK_OK(cert_check_host(leaf, "127.0.0.1", &err), &err);
        CHECK_OK(cert_check_host(leaf, "::1", &err), &err);
        CHECK_STATUS(cert_check_host(leaf, "example.com", &err), CRYPTO_ECERT_NAME);
        cert_chain_free(ecc);
}

static void given_names_and_days_are_used(void)
{
        const char *names[] = {"shop.example.test", "*.example.test", "10.1.2.3"};
        const char *dir = make_pki("named", &(struct gw_demo_pki_params){.names = names, .num_names = 3, .days = 30});
        struct cert_chain *sign = load_chain(dir, GW_DEMO_PKI_SM2_SIGN_CERT);
        const struct cert *leaf = cert_chain_get(sign, 0);
        struct err err = {0};
        char subject[CERT_NAME_TEXT_MAX];
        time_t not_after;
        CHECK_OK(cert_subject_text(leaf, subject, sizeof subject, &err), &err);
        CHECK(strstr(subject, "CN=shop.example.test") != NULL);
        CHECK_OK(cert_check_host(leaf, "shop.example.test", &err), &err);
        CHECK_OK(cert_check_host(leaf, "www.example.test", &err), &err);
        CHECK_OK(cert_check_host(leaf, "10.1.2.3", &err), &err);
        CHECK_STATUS(cert_check_host(leaf, "localhost", &err), CRYPTO_ECERT_NAME);
        CHECK_OK(cert_not_after(leaf, &not_after, &err), &err);
        CHECK(not_after > time(NULL) + 29 * DAY && not_after <= time(NULL) + 30 * DAY);
        cert_chain_free(sign);
}

static uint8_t *read_file(const char *path, size_t *len)
{
        uint8_t *data = NULL;
        struct err err = {0};
        CHECK_OK(file_read_all(&data, len, path, 1 << 20, &err), &err);
        return data;
}

static void rerun_changes_nothing(void)
{
        const char *dir = make_pki("rerun", &(struct gw_demo_pki_params){0});
        uint8_t *before[16];
        size_t before_len[16];
        for (size_t i = 0; gw_demo_pki_file_name(i) != NULL; i++)
                before[i] = read_file(path_in(dir, gw_demo_pki_file_name(i)), &before_len[i]);
        enum gw_demo_pki_result result = 0;
        struct err err = {0};
        const char *names[] = {"other.example"};
        CHECK_OK(gw_demo_pki_create(dir, &(struct gw_demo_pki_params){.names = names, .num_names = 1}, &result, &err),
                 &err);
        CHECK_EQ(result, GW_DEMO_PKI_ALREADY_PRESENT);
        for (size_t i = 0; gw_demo_pki_file_name(i) != NULL; i++) {
                size_t len;
                uint8_t *after = read_file(path_in(dir, gw_demo_pki_file_name(i)), &len);
                CHECK_EQ(len, before_len[i]);
                CHECK_MEM(after, before[i], len);
                file_free_contents(after, len);
                file_free_contents(before[i], before_len[i]);
        }
}

static void partial_folder_is_refused(void)
{
        const char *dir = make_pki("partial", &(struct gw_demo_pki_params){0});
        size_t root_len, len;
        uint8_t *root = read_file(path_in(dir, GW_DEMO_PKI_SM2_ROOT_CERT), &root_len);
        CHECK(unlink(path_in(dir, GW_DEMO_PKI_ECC_KEY)) == 0);
        enum gw_demo_pki_result result = 0;
        struct err err = {0};
        CHECK_STATUS(gw_demo_pki_create(dir, &(struct gw_demo_pki_params){0}, &result, &err), SMT_EEXIST);
        CHECK(strstr(err.msg, GW_DEMO_PKI_ECC_KEY) != NULL);
        CHECK(access(path_in(dir, GW_DEMO_PKI_ECC_KEY), F_OK) != 0);
        uint8_t *after = read_file(path_in(dir, GW_DEMO_PKI_SM2_ROOT_CERT), &len);
        CHECK_EQ(len, root_len);
        CHECK_MEM(after, root, len);
        file_free_contents(after, len);
        file_free_contents(root, root_len);
}

static void bad_parameters_write_nothing(void)
{
        char dir[4096];
        enum gw_demo_pki_result result = 0;
        struct err err = {0};
        const char *bad_name[] = {"bad name"};
        const char *empty_label[] = {"a..b"};
        snprintf(dir, sizeof dir, "%s/bad", check_temp_dir());
        CHECK_STATUS(
            gw_demo_pki_create(dir, &(struct gw_demo_pki_params){.days = GW_DEMO_PKI_DAYS_MAX + 1}, &result, &err),
            SMT_EINVAL);
        CHECK(strstr(err.msg, "3651") != NULL);
        CHECK_STATUS(gw_demo_pki_create(dir, &(struct gw_demo_pki_params){.days = -1}, &result, &err), SMT_EINVAL);
        CHECK_STATUS(
            gw_demo_pki_create(dir, &(struct gw_demo_pki_params){.names = bad_name, .num_names = 1}, &result, &err),
            SMT_EINVAL);
        CHECK(strstr(err.msg, "bad name") != NULL);
        CHECK_STATUS(
            gw_demo_pki_create(dir, &(struct gw_demo_pki_params){.names = empty_label, .num_names = 1}, &result, &err),
            SMT_EINVAL);
        CHECK(access(dir, F_OK) != 0);
}

CHECK_MAIN(CHECK_TEST(files_have_modes_and_keys_match), CHECK_TEST(leaves_chain_to_their_root_only),
           CHECK_TEST(sm2_pair_suits_tlcp), CHECK_TEST(ecc_leaf_serves_localhost),
           CHECK_TEST(given_names_and_days_are_used), CHECK_TEST(rerun_changes_nothing),
           CHECK_TEST(partial_folder_is_refused), CHECK_TEST(bad_parameters_write_nothing))
