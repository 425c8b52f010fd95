/* tests/unit/ca/test_ca_config.c: ca.yaml loading: every default, paths resolved against the file's folder,
 * the refusals (each by its whole message, file:line: key: text), and examples/ca.yaml, which must load and
 * mention every key of the schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "check.h"

static struct config_errors errors;

/* The smallest file that loads: the required keys and one issuing CA. */
#define MINIMAL                                                                                                        \
        "organization: Example Org\n"                                                                                  \
        "state_dir: state\n"                                                                                           \
        "listen: 127.0.0.1:14000\n"                                                                                    \
        "base_url: https://127.0.0.1:14000/\n"

static int load(struct ca_config *config, const char *yaml)
{
        return ca_config_load_string(config, "ca.yaml", yaml, strlen(yaml), "/etc/smtrust", &errors);
}

static void list_errors(void)
{
        for (size_t i = 0; i < errors.num; i++)
                fprintf(stderr, "  %s\n", errors.list[i].text);
}

static void load_ok(struct ca_config *config, const char *yaml)
{
        int status = load(config, yaml);
        if (status != 0)
                list_errors();
        CHECK_EQ(status, 0);
}

/* The file is refused with exactly one problem, whose whole text is want. */
static void expect_refused(const char *yaml, const char *want)
{
        struct ca_config config;
        memset(&config, 0x5a, sizeof config);
        CHECK_STATUS(load(&config, yaml), SMT_ECONFIG);
        if (errors.num != 1 || strcmp(errors.list[0].text, want) != 0) {
                list_errors();
                check_fail(__FILE__, __LINE__, "expected the one problem \"%s\"", want);
        }
        CHECK_EQ(((unsigned char *)&config)[0], 0x5a); /* untouched */
}

static void test_defaults(void)
{
        struct ca_config config;
        load_ok(&config, MINIMAL);
        CHECK_STR(config.path, "/etc/smtrust/ca.yaml");
        CHECK_STR(config.organization, "Example Org");
        CHECK_STR(config.country, "CN");
        CHECK_STR(config.state_dir, "/etc/smtrust/state");
        CHECK_STR(config.store, "/etc/smtrust/state/ca.db");
        CHECK_STR(config.listen, "127.0.0.1:14000");
        CHECK(config.http_listen == NULL);
        CHECK_STR(config.base_url, "https://127.0.0.1:14000");
        CHECK_STR(config.public_url, "https://127.0.0.1:14000");
        CHECK_EQ(config.server_names.num, 2);
        CHECK_STR(config.server_names.items[0], "localhost");
        CHECK_STR(config.server_names.items[1], "127.0.0.1");
        CHECK_EQ(config.threads, 32);
        CHECK_EQ(config.store_pool, 32);
        CHECK_STR(config.sm2_root.common_name, "Example Org SM2 Root CA");
        CHECK_STR(config.sm2_root.algorithm, "sm2");
        CHECK_EQ(config.sm2_root.validity, 3653LL * 86400000);
        CHECK_STR(config.ecc_root.common_name, "Example Org ECC Root CA");
        CHECK_STR(config.ecc_root.algorithm, "ec-p384");
        CHECK_EQ(config.ecc_root.validity, 7305LL * 86400000);
        CHECK_EQ(config.issuing_cas.num, 0);
        CHECK_EQ(config.certificates.default_validity, 90LL * 86400000);
        CHECK_EQ(config.certificates.min_validity, 3600000);
        CHECK_EQ(config.certificates.max_validity, 398LL * 86400000);
        CHECK(config.acme.enabled);
        CHECK_EQ(config.acme.order_lifetime, 7LL * 86400000);
        CHECK_EQ(config.acme.authz_lifetime, 30LL * 86400000);
        CHECK_EQ(config.acme.nonce_lifetime, 3600000);
        CHECK(config.acme.challenges.resolver == NULL);
        CHECK_EQ(config.acme.challenges.http_port, 80);
        CHECK_EQ(config.acme.challenges.tls_alpn_port, 443);
        CHECK_EQ(config.acme.challenges.timeout, 10000);
        CHECK_EQ(config.acme.challenges.workers, 4);
        CHECK(!config.acme.external_account_binding.required);
        CHECK_EQ(config.acme.rate_limits.orders_per_hour, 300);
        CHECK_EQ(config.acme.rate_limits.accounts_per_hour, 50);
        CHECK(config.acme.terms_of_service == NULL && config.acme.website == NULL);
        CHECK_EQ(config.acme.caa_identities.num, 0);
        ca_config_free(&config);
}

static void test_issuing_defaults(void)
{
        struct ca_config config;
        load_ok(&config, MINIMAL "issuing_cas:\n"
                                 "  - {name: a, kind: ssl-sm2-dv, common_name: A}\n"
                                 "  - {name: b, kind: iot-ecc, common_name: B, permitted_dns: [Gov.CN]}\n");
        const struct ca_issuing_config *cas = config.issuing_cas.items;
        CHECK_EQ(config.issuing_cas.num, 2);
        CHECK_STR(cas[0].name, "a");
        CHECK_EQ(cas[0].kind, CA_KIND_SSL_SM2_DV);
        CHECK_STR(cas[0].common_name, "A");
        CHECK_STR(cas[0].algorithm, "sm2");
        CHECK_EQ(cas[0].validity, 3652LL * 86400000);
        CHECK_EQ(cas[0].permitted_dns.num + cas[0].excluded_dns.num, 0);
        CHECK_STR(cas[1].algorithm, "ec-p256");
        CHECK_EQ(cas[1].permitted_dns.num, 1);
        CHECK_STR(cas[1].permitted_dns.items[0], "gov.cn");
        CHECK(ca_config_find_issuing(&config, CA_KIND_IOT_ECC) == &cas[1]);
        CHECK(ca_config_find_issuing(&config, CA_KIND_SSL_ECC_DV) == NULL);
        ca_config_free(&config);
}

static void test_values(void)
{
        struct ca_config config;
        load_ok(&config, MINIMAL "country: DE\n"
                                 "threads: 4\n"
                                 "public_url: http://ca.example:8080//\n"
                                 "server_names: [CA.Example.com, '::1']\n"
                                 "certificates: {default_validity: 12h, min_validity: 30m, max_validity: 1d}\n"
                                 "acme:\n"
                                 "  enabled: no\n"
                                 "  challenges: {resolver: '127.0.0.1:8053', http_port: 5002, timeout: 1500ms}\n"
                                 "  external_account_binding: {required: true}\n");
        CHECK_STR(config.country, "DE");
        CHECK_EQ(config.store_pool, 4);
        CHECK_STR(config.public_url, "http://ca.example:8080");
        CHECK_STR(config.server_names.items[0], "ca.example.com");
        CHECK_STR(config.server_names.items[1], "::1");
        CHECK_EQ(config.certificates.default_validity, 12 * 3600000);
        CHECK_EQ(config.certificates.min_validity, 30 * 60000);
        CHECK(!config.acme.enabled);
        CHECK_STR(config.acme.challenges.resolver, "127.0.0.1:8053");
        CHECK_EQ(config.acme.challenges.http_port, 5002);
        CHECK_EQ(config.acme.challenges.timeout, 1500);
        CHECK(config.acme.external_account_binding.required);
        ca_config_free(&config);
}

/* Relative paths resolve against the config file's folder; PostgreSQL DSNs are left alone. */
static void test_paths(void)
{
        struct ca_config config;
        load_ok(&config, MINIMAL "store: sqlite:db/ca.db\n");
        CHECK_STR(config.store, "sqlite:/etc/smtrust/db/ca.db");
        ca_config_free(&config);
        load_ok(&config, MINIMAL "store: other.db\n");
        CHECK_STR(config.store, "/etc/smtrust/other.db");
        ca_config_free(&config);
        load_ok(&config, MINIMAL "store: postgresql://u@db/ca\n");
        CHECK_STR(config.store, "postgresql://u@db/ca");
        ca_config_free(&config);
        load_ok(&config, "organization: O\nstate_dir: /var/lib/smtrust-ca\nlisten: ':443'\n"
                         "base_url: https://ca.example\n");
        CHECK_STR(config.state_dir, "/var/lib/smtrust-ca");
        CHECK_STR(config.store, "/var/lib/smtrust-ca/ca.db");
        ca_config_free(&config);
}

/* A file loaded by its path resolves against its own folder, whatever the working folder. */
static void test_file_folder(void)
{
        char path[512];
        struct err err = {0};
        snprintf(path, sizeof path, "%s/ca.yaml", check_temp_dir());
        CHECK_OK(file_write_atomic(path, (const uint8_t *)MINIMAL, strlen(MINIMAL), 0644, FILE_WRITE_REPLACE, &err),
                 &err);
        struct ca_config config;
        CHECK_OK(ca_config_load(&config, path, &errors), &err);
        char want[600];
        snprintf(want, sizeof want, "%s/state", check_temp_dir());
        CHECK_STR(config.state_dir, want);
        CHECK_STR(config.path, path);
        ca_config_free(&config);
}

static void test_refusals_of_one_key(void)
{
        expect_refused(MINIMAL "organisation: X\n",
                       "ca.yaml:5: organisation: unknown key; did you mean \"organization\"?");
        expect_refused("state_dir: s\nlisten: ':1'\nbase_url: https://a\n",
                       "ca.yaml:1: missing required key \"organization\"");
        expect_refused(MINIMAL "issuing_cas:\n  - name: a\n    kind: ssl-gm-dv\n    common_name: A\n",
                       "ca.yaml:7: issuing_cas[0].kind: expected one of ssl-sm2-dv, ssl-sm2-ov, ssl-ecc-dv, "
                       "email-sm2, email-ecc, code-sm2, code-ecc, document-sm2, document-ecc, iot-sm2, iot-ecc, "
                       "got \"ssl-gm-dv\"; did you mean \"ssl-sm2-dv\"?");
        expect_refused(MINIMAL "country: cn\n",
                       "ca.yaml:5: country: expected a two-letter country code in capitals (\"CN\"), got \"cn\"");
        expect_refused(MINIMAL "public_url: ftp://x\n",
                       "ca.yaml:5: public_url: expected a URL starting with http:// or https://, got \"ftp://x\"");
        expect_refused(MINIMAL "issuing_cas:\n  - {name: A_b, kind: iot-sm2, common_name: A}\n",
                       "ca.yaml:6: issuing_cas[0].name: expected a name of 1..47 lowercase letters, digits and '-' "
                       "(a file name and a URL part), got \"A_b\"");
        expect_refused(MINIMAL "issuing_cas:\n  - {name: admin, kind: iot-sm2, common_name: A}\n",
                       "ca.yaml:6: issuing_cas[0].name: \"admin\" is the CA API's own client CA; choose another name");
        expect_refused(MINIMAL "acme:\n  challenges:\n    http_port: 0\n",
                       "ca.yaml:7: acme.challenges.http_port: expected an integer 1..65535, got \"0\"");
        expect_refused(MINIMAL "ecc_root: {algorithm: sm2}\n",
                       "ca.yaml:5: ecc_root: algorithm: the ECC root's key is \"ec-p256\", \"ec-p384\" or "
                       "\"rsa-3072\", got \"sm2\"");
}

static void test_algorithm_fits_kind(void)
{
        expect_refused(MINIMAL "issuing_cas:\n"
                               "  - name: a\n"
                               "    kind: ssl-sm2-dv\n"
                               "    common_name: A\n"
                               "    algorithm: ec-p256\n",
                       "ca.yaml:6: issuing_cas[0]: algorithm: a ssl-sm2-dv CA has an \"sm2\" key, got \"ec-p256\"");
        expect_refused(MINIMAL "issuing_cas:\n  - {name: a, kind: code-ecc, common_name: A, algorithm: sm2}\n",
                       "ca.yaml:6: issuing_cas[0]: algorithm: a code-ecc CA has an \"ec-p256\", \"ec-p384\", "
                       "\"rsa-2048\" or \"rsa-3072\" key, got \"sm2\"");
        expect_refused(MINIMAL "issuing_cas:\n  - {name: a, kind: admin, common_name: A}\n",
                       "ca.yaml:6: issuing_cas[0].kind: expected one of ssl-sm2-dv, ssl-sm2-ov, ssl-ecc-dv, "
                       "email-sm2, email-ecc, code-sm2, code-ecc, document-sm2, document-ecc, iot-sm2, iot-ecc, got "
                       "\"admin\"");
}

static void test_rules_across_cas(void)
{
        expect_refused(MINIMAL "issuing_cas:\n"
                               "  - {name: a, kind: email-sm2, common_name: A}\n"
                               "  - {name: b, kind: email-sm2, common_name: B}\n"
                               "  - name: a\n"
                               "    kind: iot-ecc\n"
                               "    common_name: C\n",
                       "ca.yaml:8: issuing_cas[2].name: \"a\" is the name of issuing_cas[0] (line 6) too; names are "
                       "unique");
        expect_refused(MINIMAL "issuing_cas:\n"
                               "  - {name: a, kind: ssl-ecc-dv, common_name: A}\n"
                               "  - name: b\n"
                               "    common_name: B\n"
                               "    kind: ssl-ecc-dv\n",
                       "ca.yaml:9: issuing_cas[1].kind: a second ssl-ecc-dv CA (issuing_cas[0] \"a\" is one); ACME "
                       "issues from one CA of each ssl-* kind");
        expect_refused(MINIMAL "sm2_root: {validity: 1000d}\n"
                               "issuing_cas:\n"
                               "  - name: a\n"
                               "    kind: document-sm2\n"
                               "    common_name: A\n"
                               "    validity: 1001d\n",
                       "ca.yaml:10: issuing_cas[0].validity: 1001 days exceed the SM2 root's 1000 days (a CA "
                       "cannot outlive its issuer, RFC 5280 §6.1.3)");
}

static void test_validity_order(void)
{
        expect_refused(MINIMAL "certificates:\n  default_validity: 1h\n  min_validity: 2h\n",
                       "ca.yaml:6: certificates: min_validity 2h exceeds default_validity 1h");
        expect_refused(MINIMAL "certificates: {default_validity: 400d}\n",
                       "ca.yaml:5: certificates: default_validity 400d exceeds max_validity 398d");
}

static void test_kind_names(void)
{
        for (int kind = CA_KIND_SSL_SM2_DV; kind <= CA_KIND_ADMIN; kind++) {
                int parsed = 0;
                CHECK_OK(ca_kind_parse(ca_kind_name(kind), &parsed), &(struct err){0});
                CHECK_EQ(parsed, kind);
                CHECK_EQ(ca_kind_is_sm2(kind), strstr(ca_kind_name(kind), "sm2") != NULL);
        }
        int parsed;
        CHECK_STATUS(ca_kind_parse("ssl", &parsed), SMT_EINVAL);
        CHECK_STR(ca_kind_name(0), "unknown");
}

/* examples/ca.yaml loads as it is and describes the hierarchy issue 6 asks for. */
static void test_example(void)
{
        struct ca_config config;
        const char *path = check_source_path("examples/ca.yaml");
        int status = ca_config_load(&config, path, &errors);
        if (status != 0)
                list_errors();
        CHECK_EQ(status, 0);
        CHECK_STR(config.organization, "Example Trust Services");
        CHECK(config.state_dir[0] == '/' && strstr(config.state_dir, "/examples/ca-state") != NULL);
        CHECK_STR(config.listen, "127.0.0.1:14000");
        CHECK_STR(config.http_listen, "127.0.0.1:14080");
        CHECK_STR(config.base_url, "https://127.0.0.1:14000");
        CHECK_STR(config.public_url, "http://127.0.0.1:14080");
        static const int kinds[] = {CA_KIND_SSL_SM2_OV,   CA_KIND_SSL_SM2_DV, CA_KIND_SSL_ECC_DV, CA_KIND_EMAIL_SM2,
                                    CA_KIND_EMAIL_ECC,    CA_KIND_CODE_SM2,   CA_KIND_CODE_ECC,   CA_KIND_DOCUMENT_SM2,
                                    CA_KIND_DOCUMENT_ECC, CA_KIND_IOT_SM2,    CA_KIND_IOT_ECC};
        CHECK_EQ(config.issuing_cas.num, sizeof kinds / sizeof kinds[0]);
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
                const struct ca_issuing_config *ca = ca_config_find_issuing(&config, kinds[i]);
                CHECK(ca != NULL);
                CHECK_STR(ca->name, ca_kind_name(kinds[i]));
        }
        CHECK_EQ(config.acme.challenges.http_port, 80);
        CHECK_EQ(config.acme.challenges.tls_alpn_port, 443);
        ca_config_free(&config);
}

static void check_schema_keys_in(const struct config_section_schema *schema, const char *text, size_t *num_keys)
{
        char needle[64];
        for (size_t k = 0; k < schema->num_keys; k++) {
                const struct config_key *key = &schema->keys[k];
                snprintf(needle, sizeof needle, "%s:", key->name);
                if (strstr(text, needle) == NULL)
                        check_fail(__FILE__, __LINE__, "examples/ca.yaml does not mention the key \"%s\"", key->name);
                (*num_keys)++;
                if (key->section != NULL)
                        check_schema_keys_in(key->section, text, num_keys);
        }
}

static void test_example_names_every_key(void)
{
        uint8_t *data = NULL;
        size_t len = 0, num_keys = 0;
        struct err err = {0};
        CHECK_OK(file_read_all(&data, &len, check_source_path("examples/ca.yaml"), 1 << 20, &err), &err);
        char *text = strndup((const char *)data, len);
        check_schema_keys_in(&ca_config_schema, text, &num_keys);
        CHECK(num_keys >= 40);
        free(text);
        file_free_contents(data, len);
}

CHECK_MAIN(CHECK_TEST(test_defaults), CHECK_TEST(test_issuing_defaults), CHECK_TEST(test_values),
           CHECK_TEST(test_paths), CHECK_TEST(test_file_folder), CHECK_TEST(test_refusals_of_one_key),
           CHECK_TEST(test_algorithm_fits_kind), CHECK_TEST(test_rules_across_cas), CHECK_TEST(test_validity_order),
           CHECK_TEST(test_kind_names), CHECK_TEST(test_example), CHECK_TEST(test_example_names_every_key))
