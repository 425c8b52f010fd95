/* tests/unit/ca/test_authority_runtime.c: issuing CAs made while the CA serves (ca_authorities_create):
 * the certificate read back with OpenSSL's own parser (brand, pathLen, EKU, name constraints), the files
 * and the store's record, chains verified to the right root, the name constraints honoured by ca_issue,
 * lookups from several threads while CAs are being made, every refusal (nothing left behind), and a
 * second load (ca.yaml, then the store) that finds the CA again with its constraints. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "ca/store.h"
#include "check.h"
#include "store_fixture.h"

static const char runtime_yaml[] = "organization: Operator Trust\n"
                                   "state_dir: state\n"
                                   "listen: 127.0.0.1:14000\n"
                                   "base_url: https://127.0.0.1:14000\n"
                                   "ecc_root: {algorithm: ec-p256}\n"
                                   "issuing_cas:\n"
                                   "  - {name: sm2-dv, kind: ssl-sm2-dv, common_name: Operator SM2 DV}\n"
                                   "  - {name: ecc-dv, kind: ssl-ecc-dv, common_name: Operator ECC DV}\n";

static struct ca_config runtime_config;
static struct ca_authorities *runtime_cas;
static struct store *runtime_store;
static struct key *runtime_sm2_key;

static void runtime_fixture(void)
{
        static bool is_ready;
        if (is_ready)
                return;
        struct config_errors *errors = calloc(1, sizeof *errors);
        struct ca_init_report report;
        struct err err = {0};
        CHECK(errors != NULL);
        CHECK_EQ(ca_config_load_string(&runtime_config, "ca.yaml", runtime_yaml, strlen(runtime_yaml), check_temp_dir(),
                                       errors),
                 0);
        free(errors);
        CHECK_OK(ca_init(&runtime_config, &report, &err), &err);
        CHECK_OK(ca_authorities_load(&runtime_cas, &runtime_config, &err), &err);
        runtime_store = store_fixture_open(4);
        CHECK_OK(ca_authorities_load_runtime(runtime_cas, runtime_store, &err), &err);
        CHECK_EQ(ca_authorities_count(runtime_cas), 3); /* two of ca.yaml and the admin CA */
        CHECK_OK(key_generate(&runtime_sm2_key, KEY_ALG_SM2, &err), &err);
        is_ready = true;
}

static const char *runtime_path(const char *relative)
{
        static char path[1024];
        return snprintf(path, sizeof path, "%s/%s", runtime_config.state_dir, relative) > 0 ? path : "";
}

static X509 *runtime_openssl(const struct cert *cert)
{
        const uint8_t *der;
        size_t len;
        cert_der(cert, &der, &len);
        X509 *x509 = d2i_X509(NULL, &der, (long)len);
        CHECK(x509 != NULL);
        return x509;
}

/* The subtree list of OpenSSL's parse of the nameConstraints extension, as "a,b". */
static void runtime_subtrees(STACK_OF(GENERAL_SUBTREE) * list, char *out, size_t cap)
{
        out[0] = '\0';
        for (int i = 0; i < sk_GENERAL_SUBTREE_num(list); i++) {
                GENERAL_NAME *base = sk_GENERAL_SUBTREE_value(list, i)->base;
                CHECK(base->type == GEN_DNS);
                snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "",
                         (const char *)ASN1_STRING_get0_data(base->d.dNSName));
        }
}

/* cert verifies to root number want_root (0 SM2, 1 ECC) through chain, and not to the other root. */
static void runtime_check_chain(const struct cert *cert, const struct cert_chain *chain, size_t want_root)
{
        struct err err = {0};
        const struct cert_chain *roots = ca_authorities_roots(runtime_cas);
        for (size_t r = 0; r < 2; r++) {
                struct cert_store *trust = NULL;
                CHECK_OK(cert_store_new(&trust, &err), &err);
                CHECK_OK(cert_store_add(trust, cert_chain_get(roots, r), &err), &err);
                int status = cert_verify_chain(trust, cert, chain, 0, NULL, &err);
                cert_store_free(trust);
                if (r == want_root)
                        CHECK_OK(status, &err);
                else
                        CHECK_STATUS(status, CRYPTO_ECERT_UNTRUSTED);
        }
}

static const char *const runtime_permitted[] = {"gov.example"};
static const char *const runtime_excluded[] = {"secret.gov.example"};

static const struct ca_authority *runtime_make_gov(void)
{
        static const struct ca_authority *gov;
        struct err err = {0};
        runtime_fixture();
        if (gov != NULL)
                return gov;
        struct ca_create_request request = {
            .name = "gov-sm2",
            .kind = CA_KIND_SSL_SM2_DV,
            .common_name = "Gov SM2 DV CA",
            .organization = "Gov Brand",
            .permitted_dns = runtime_permitted,
            .num_permitted_dns = 1,
            .excluded_dns = runtime_excluded,
            .num_excluded_dns = 1,
        };
        CHECK_OK(ca_authorities_create(runtime_cas, &runtime_config, runtime_store, &request, &gov, &err), &err);
        CHECK(gov != NULL);
        return gov;
}

static void test_create_branded_sm2_ca(void)
{
        size_t before = (runtime_fixture(), ca_authorities_count(runtime_cas));
        const struct ca_authority *gov = runtime_make_gov();
        CHECK_EQ(ca_authorities_count(runtime_cas), before + 1);
        CHECK(ca_authorities_find(runtime_cas, "gov-sm2") == gov);
        CHECK(ca_authorities_get(runtime_cas, before) == gov);
        CHECK_EQ(ca_authority_kind(gov), CA_KIND_SSL_SM2_DV);
        CHECK(ca_authorities_for_kind(runtime_cas, CA_KIND_SSL_SM2_DV) == ca_authorities_find(runtime_cas, "sm2-dv"));
        CHECK_EQ(key_get_alg(ca_authority_key(gov)), KEY_ALG_SM2);
        X509 *x = runtime_openssl(ca_authority_cert(gov));
        char text[256];
        X509_NAME_oneline(X509_get_subject_name(x), text, sizeof text);
        CHECK_STR(text, "/C=CN/O=Gov Brand/CN=Gov SM2 DV CA");
        CHECK_EQ(X509_get_pathlen(x), 0);
        CHECK_EQ(X509_get_extended_key_usage(x), UINT32_MAX); /* SM2 issuing CAs carry no EKU (GmSSL) */
        CHECK_EQ(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
        NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
        CHECK(nc != NULL);
        runtime_subtrees(nc->permittedSubtrees, text, sizeof text);
        CHECK_STR(text, "gov.example");
        runtime_subtrees(nc->excludedSubtrees, text, sizeof text);
        CHECK_STR(text, "secret.gov.example");
        NAME_CONSTRAINTS_free(nc);
        X509_free(x);
        runtime_check_chain(ca_authority_cert(gov), NULL, 0);
}

static void test_files_and_store_record(void)
{
        const struct ca_authority *gov = runtime_make_gov();
        struct stat st;
        struct err err = {0};
        CHECK_EQ(stat(runtime_path("cas/gov-sm2.key"), &st), 0);
        CHECK_EQ(st.st_mode & 0777, 0600);
        struct cert_chain *on_disk = NULL;
        CHECK_OK(cert_chain_load_pem(&on_disk, runtime_path("cas/gov-sm2.crt"), &err), &err);
        const uint8_t *want, *have;
        size_t want_len, have_len;
        cert_der(ca_authority_cert(gov), &want, &want_len);
        cert_der(cert_chain_get(on_disk, 0), &have, &have_len);
        CHECK_EQ(have_len, want_len);
        CHECK_MEM(have, want, want_len);
        cert_chain_free(on_disk);
        struct store_ca *cas = NULL;
        size_t num = 0;
        CHECK_OK(store_ca_list(runtime_store, &cas, &num, &err), &err);
        size_t found = num;
        for (size_t i = 0; i < num; i++)
                if (strcmp(cas[i].name, "gov-sm2") == 0)
                        found = i;
        CHECK(found < num);
        CHECK_STR(cas[found].kind, "ssl-sm2-dv");
        CHECK_STR(cas[found].key_path, runtime_path("cas/gov-sm2.key"));
        CHECK_EQ(cas[found].cert_der_len, want_len);
        CHECK_MEM(cas[found].cert_der, want, want_len);
        store_ca_list_free(cas, num);
}

static int runtime_issue(const struct ca_authority *ca, const char *name, const char *ip, struct cert **out,
                         struct err *err)
{
        const char *dns[] = {name}, *ips[] = {ip};
        struct ca_issue_request request = {
            .subject_key = runtime_sm2_key,
            .dns_names = dns,
            .num_dns_names = name != NULL,
            .ip_addresses = ips,
            .num_ip_addresses = ip != NULL,
        };
        return ca_issue(ca, &runtime_config, &request, out, err);
}

/* What a created CA may certify: names under gov.example, minus secret.gov.example; no IP addresses. */
static void runtime_check_constraints(const struct ca_authority *ca)
{
        struct err err = {0};
        struct cert *leaf = NULL;
        CHECK_OK(runtime_issue(ca, "www.gov.example", NULL, &leaf, &err), &err);
        runtime_check_chain(leaf, ca_authority_chain(ca), 0);
        cert_free(leaf);
        leaf = NULL;
        CHECK_STATUS(runtime_issue(ca, "www.other.example", NULL, &leaf, &err), CA_EPOLICY);
        CHECK(strstr(err.msg, "outside the names CA gov-sm2 may certify") != NULL);
        CHECK_STATUS(runtime_issue(ca, "a.secret.gov.example", NULL, &leaf, &err), CA_EPOLICY);
        CHECK_STATUS(runtime_issue(ca, "*.gov.example", NULL, &leaf, &err), CA_EPOLICY); /* covers secret. */
        CHECK(strstr(err.msg, "which CA gov-sm2 excludes") != NULL);
        CHECK_STATUS(runtime_issue(ca, "www.gov.example", "192.0.2.1", &leaf, &err), CA_EPOLICY);
        CHECK(leaf == NULL);
        /* The CA of ca.yaml without constraints still certifies any name. */
        CHECK_OK(runtime_issue(ca_authorities_find(runtime_cas, "sm2-dv"), "www.other.example", NULL, &leaf, &err),
                 &err);
        cert_free(leaf);
}

static void test_name_constraints_honoured(void)
{
        runtime_check_constraints(runtime_make_gov());
}

static void test_ecc_ca_defaults(void)
{
        runtime_fixture();
        struct err err = {0};
        const struct ca_authority *ca = NULL;
        struct ca_create_request request = {
            .name = "brand-code", .kind = CA_KIND_CODE_ECC, .common_name = "Brand Code CA", .algorithm = "ec-p384"};
        CHECK_OK(ca_authorities_create(runtime_cas, &runtime_config, runtime_store, &request, &ca, &err), &err);
        CHECK_EQ(key_get_alg(ca_authority_key(ca)), KEY_ALG_EC_P384);
        X509 *x = runtime_openssl(ca_authority_cert(ca));
        char text[256];
        X509_NAME_oneline(X509_get_subject_name(x), text, sizeof text);
        CHECK_STR(text, "/C=CN/O=Operator Trust/CN=Brand Code CA"); /* the operator's organization */
        CHECK_EQ(X509_get_extended_key_usage(x), XKU_CODE_SIGN);
        CHECK(X509_get_ext_by_NID(x, NID_name_constraints, -1) < 0);
        X509_free(x);
        runtime_check_chain(ca_authority_cert(ca), NULL, 1);
        /* Ten years by default, never past the root (20 years). */
        time_t not_before, not_after, root_end;
        CHECK_OK(cert_not_before(ca_authority_cert(ca), &not_before, &err), &err);
        CHECK_OK(cert_not_after(ca_authority_cert(ca), &not_after, &err), &err);
        CHECK_OK(cert_not_after(cert_chain_get(ca_authorities_roots(runtime_cas), 1), &root_end, &err), &err);
        CHECK_EQ(not_after - not_before, 3652LL * 86400);
        CHECK(not_after <= root_end);
        /* An explicit validity past the root is refused. */
        struct ca_create_request longer = {.name = "too-long",
                                           .kind = CA_KIND_IOT_ECC,
                                           .common_name = "Long",
                                           .validity_seconds = root_end - not_before + 86400};
        CHECK_STATUS(ca_authorities_create(runtime_cas, &runtime_config, runtime_store, &longer, NULL, &err),
                     SMT_EINVAL);
        CHECK(strstr(err.msg, "after the root") != NULL);
}

/* --- refusals --- */

static void runtime_check_refused(const struct ca_create_request *request, int status, const char *why)
{
        struct err err = {0};
        const struct ca_authority *out = NULL;
        size_t before = ca_authorities_count(runtime_cas);
        CHECK_STATUS(ca_authorities_create(runtime_cas, &runtime_config, runtime_store, request, &out, &err), status);
        CHECK(out == NULL);
        CHECK_EQ(ca_authorities_count(runtime_cas), before);
        if (strstr(err.msg, why) == NULL)
                check_fail(__FILE__, __LINE__, "message \"%s\" does not say \"%s\"", err.msg, why);
}

static void test_refusals(void)
{
        runtime_make_gov();
        static const char *const bad_names[] = {
            "",         "Upper",    "-lead",
            "a_b",      "a.b",      "admin",
            "sm2-root", "ecc-root", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijkl"};
        for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
                struct ca_create_request r = {.name = bad_names[i], .kind = CA_KIND_IOT_ECC, .common_name = "X"};
                runtime_check_refused(&r, SMT_EINVAL, "name");
        }
        struct ca_create_request r = {.name = "ok-name", .kind = CA_KIND_ADMIN, .common_name = "X"};
        runtime_check_refused(&r, SMT_EINVAL, "kind");
        r.kind = 99;
        runtime_check_refused(&r, SMT_EINVAL, "kind");
        r = (struct ca_create_request){
            .name = "ok-name", .kind = CA_KIND_SSL_SM2_DV, .common_name = "X", .algorithm = "ec-p256"};
        runtime_check_refused(&r, SMT_EINVAL, "algorithm");
        r.kind = CA_KIND_EMAIL_ECC;
        r.algorithm = "sm2";
        runtime_check_refused(&r, SMT_EINVAL, "algorithm");
        r.algorithm = "rsa-1024";
        runtime_check_refused(&r, SMT_EINVAL, "algorithm");
        r.algorithm = NULL;
        r.validity_seconds = 3600;
        runtime_check_refused(&r, SMT_EINVAL, "validity");
        r.validity_seconds = 0;
        r.common_name = "";
        runtime_check_refused(&r, SMT_EINVAL, "common_name");
        r.common_name = NULL;
        runtime_check_refused(&r, SMT_EINVAL, "common_name");
        r.common_name = "X";
        static const char *const bad_dns[] = {"bad_name.example"};
        r.permitted_dns = bad_dns;
        r.num_permitted_dns = 1;
        runtime_check_refused(&r, SMT_EINVAL, "permitted_dns[0]");
        CHECK(access(runtime_path("cas/ok-name.key"), F_OK) != 0);
}

static void test_name_taken(void)
{
        runtime_make_gov();
        struct ca_create_request r = {.name = "sm2-dv", .kind = CA_KIND_SSL_SM2_DV, .common_name = "Again"};
        runtime_check_refused(&r, CA_ECONFLICT, "exists"); /* ca.yaml's */
        r.name = "gov-sm2";
        runtime_check_refused(&r, CA_ECONFLICT, "exists"); /* made at run time */
        /* A key file nobody recorded stays as it is. */
        static const char stale[] = "not a key\n";
        FILE *f = fopen(runtime_path("cas/stale.key"), "w");
        CHECK(f != NULL && fputs(stale, f) >= 0 && fclose(f) == 0);
        r.name = "stale";
        runtime_check_refused(&r, CA_ECONFLICT, "exists");
        char text[64] = "";
        f = fopen(runtime_path("cas/stale.key"), "r");
        CHECK(f != NULL && fgets(text, sizeof text, f) != NULL && fclose(f) == 0);
        CHECK_STR(text, stale);
        /* A CA another process recorded in the store: refused, and no file made. */
        struct err err = {0};
        struct store_ca ghost = {.name = "ghost",
                                 .kind = "iot-ecc",
                                 .key_path = "/nonexistent/ghost.key",
                                 .cert_der = (uint8_t *)"x",
                                 .cert_der_len = 1,
                                 .created_at = 1};
        CHECK_OK(store_ca_insert(runtime_store, &ghost, &err), &err);
        r.name = "ghost";
        runtime_check_refused(&r, CA_ECONFLICT, "store");
        CHECK(access(runtime_path("cas/ghost.key"), F_OK) != 0);
        CHECK(access(runtime_path("cas/ghost.crt"), F_OK) != 0);
        store_fixture_exec("DELETE FROM cas WHERE name = 'ghost'");
}

/* --- lookups from other threads while CAs are made --- */

#define RUNTIME_READERS  4
#define RUNTIME_RACE_CAS 6

struct runtime_reader {
        pthread_t thread;
        atomic_bool *is_done;
        const struct ca_authority *sm2_dv; /* taken before the creations: must stay the same object */
        size_t max_seen;
        size_t num_bad;
};

static void *runtime_read_loop(void *arg)
{
        struct runtime_reader *reader = arg;
        for (bool is_last = false; !is_last;) {
                is_last = atomic_load(reader->is_done); /* one whole pass after the last creation */
                size_t count = ca_authorities_count(runtime_cas);
                for (size_t i = 0; i < count; i++) {
                        const struct ca_authority *ca = ca_authorities_get(runtime_cas, i);
                        if (ca == NULL || ca_authorities_find(runtime_cas, ca_authority_name(ca)) != ca ||
                            ca_authority_cert(ca) == NULL || ca_authority_key(ca) == NULL)
                                reader->num_bad++;
                }
                if (ca_authorities_find(runtime_cas, "sm2-dv") != reader->sm2_dv)
                        reader->num_bad++;
                reader->max_seen = count > reader->max_seen ? count : reader->max_seen;
        }
        return NULL;
}

static void test_find_while_creating(void)
{
        runtime_fixture();
        struct err err = {0};
        atomic_bool is_done = false;
        struct runtime_reader readers[RUNTIME_READERS];
        for (size_t i = 0; i < RUNTIME_READERS; i++) {
                readers[i] =
                    (struct runtime_reader){.is_done = &is_done, .sm2_dv = ca_authorities_find(runtime_cas, "sm2-dv")};
                CHECK_EQ(pthread_create(&readers[i].thread, NULL, runtime_read_loop, &readers[i]), 0);
        }
        const struct ca_authority *made[RUNTIME_RACE_CAS];
        for (size_t i = 0; i < RUNTIME_RACE_CAS; i++) {
                char name[32];
                snprintf(name, sizeof name, "race-%zu", i);
                struct ca_create_request r = {.name = name, .kind = CA_KIND_IOT_ECC, .common_name = name};
                CHECK_OK(ca_authorities_create(runtime_cas, &runtime_config, runtime_store, &r, &made[i], &err), &err);
        }
        size_t final_count = ca_authorities_count(runtime_cas);
        atomic_store(&is_done, true);
        for (size_t i = 0; i < RUNTIME_READERS; i++) {
                CHECK_EQ(pthread_join(readers[i].thread, NULL), 0);
                CHECK_EQ(readers[i].num_bad, 0);
                CHECK_EQ(readers[i].max_seen, final_count);
        }
        for (size_t i = 0; i < RUNTIME_RACE_CAS; i++)
                CHECK(ca_authorities_find(runtime_cas, ca_authority_name(made[i])) == made[i]);
}

/* --- the next start --- */

static void test_reload_from_store(void)
{
        const struct ca_authority *gov = runtime_make_gov();
        struct err err = {0};
        struct ca_authorities *again = NULL;
        CHECK_OK(ca_authorities_load(&again, &runtime_config, &err), &err);
        CHECK(ca_authorities_find(again, "gov-sm2") == NULL); /* not in ca.yaml */
        struct store *store = store_fixture_open_again(2);
        CHECK_OK(ca_authorities_load_runtime(again, store, &err), &err);
        size_t count = ca_authorities_count(again);
        CHECK_EQ(count, ca_authorities_count(runtime_cas));
        CHECK_OK(ca_authorities_load_runtime(again, store, &err), &err); /* what is loaded is skipped */
        CHECK_EQ(ca_authorities_count(again), count);
        const struct ca_authority *loaded = ca_authorities_find(again, "gov-sm2");
        CHECK(loaded != NULL && ca_authority_kind(loaded) == CA_KIND_SSL_SM2_DV);
        const uint8_t *want, *have;
        size_t want_len, have_len;
        cert_der(ca_authority_cert(gov), &want, &want_len);
        cert_der(ca_authority_cert(loaded), &have, &have_len);
        CHECK_EQ(have_len, want_len);
        CHECK_MEM(have, want, want_len);
        runtime_check_chain(ca_authority_cert(loaded), NULL, 0);
        runtime_check_constraints(loaded); /* read back from the certificate */
        ca_authorities_free(again);
        store_close(store);
}

static void test_cleanup(void)
{
        runtime_fixture();
        ca_authorities_free(runtime_cas);
        store_close(runtime_store);
        key_free(runtime_sm2_key);
        ca_config_free(&runtime_config);
}

CHECK_MAIN(CHECK_TEST(test_create_branded_sm2_ca), CHECK_TEST(test_files_and_store_record),
           CHECK_TEST(test_name_constraints_honoured), CHECK_TEST(test_ecc_ca_defaults), CHECK_TEST(test_refusals),
           CHECK_TEST(test_name_taken), CHECK_TEST(test_find_while_creating), CHECK_TEST(test_reload_from_store),
           CHECK_TEST(test_cleanup))
