/* tests/unit/ca/test_authority.c: the CA hierarchy on disk (ca_init: every file, keys 0600, nothing made
 * twice, a lost key or a foreign key refused) and ca_issue's profiles, read back with OpenSSL's own parser
 * (d2i_X509 on the DER, not our getters): key usages, EKU, policies, AIA, CRL DP, SAN, name constraints,
 * chains verified to the right root; and every refusal of the policy (CA_EPOLICY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/file.h"
#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "check.h"

/* Every kind, constraints on the OV CA; certificate URLs on another host than the API. */
static const char test_yaml[] =
    "organization: Test Trust\n"
    "state_dir: state\n"
    "listen: 127.0.0.1:14000\n"
    "base_url: https://127.0.0.1:14000\n"
    "public_url: http://ca.test:8080\n"
    "server_names: [localhost, 127.0.0.1, '::1']\n"
    "ecc_root: {algorithm: ec-p256}\n"
    "issuing_cas:\n"
    "  - {name: ov, kind: ssl-sm2-ov, common_name: Test SM2 OV, permitted_dns: [gov.cn, example.org],\n"
    "     excluded_dns: [secret.gov.cn]}\n"
    "  - {name: sm2-dv, kind: ssl-sm2-dv, common_name: Test SM2 DV}\n"
    "  - {name: ecc-dv, kind: ssl-ecc-dv, common_name: Test ECC DV}\n"
    "  - {name: email-sm2, kind: email-sm2, common_name: Test SM2 Mail}\n"
    "  - {name: email-ecc, kind: email-ecc, common_name: Test ECC Mail}\n"
    "  - {name: code-sm2, kind: code-sm2, common_name: Test SM2 Code}\n"
    "  - {name: code-ecc, kind: code-ecc, common_name: Test ECC Code, algorithm: ec-p384}\n"
    "  - {name: doc-sm2, kind: document-sm2, common_name: Test SM2 Doc}\n"
    "  - {name: doc-ecc, kind: document-ecc, common_name: Test ECC Doc}\n"
    "  - {name: iot-sm2, kind: iot-sm2, common_name: Test SM2 IoT}\n"
    "  - {name: iot-ecc, kind: iot-ecc, common_name: Test ECC IoT}\n";

/* 2 roots, 11 issuing CAs, the admin CA, tls/server and admin/operator: a key and a certificate each. */
#define NUM_FILES (2 * 16)

static struct ca_config config;
static struct ca_authorities *authorities;
static struct key *sm2_key, *ec_key;

static void fixture(void)
{
        static bool is_ready;
        if (is_ready)
                return;
        struct config_errors *errors = calloc(1, sizeof *errors);
        struct err err = {0};
        CHECK(errors != NULL);
        int status = ca_config_load_string(&config, "ca.yaml", test_yaml, strlen(test_yaml), check_temp_dir(), errors);
        for (size_t i = 0; status != 0 && i < errors->num; i++)
                fprintf(stderr, "  %s\n", errors->list[i].text);
        CHECK_EQ(status, 0);
        free(errors);
        struct ca_init_report report;
        CHECK_OK(ca_init(&config, &report, &err), &err);
        CHECK_EQ(report.num_created, NUM_FILES);
        CHECK_EQ(report.num_kept, 0);
        CHECK_OK(ca_authorities_load(&authorities, &config, &err), &err);
        CHECK_OK(key_generate(&sm2_key, KEY_ALG_SM2, &err), &err);
        CHECK_OK(key_generate(&ec_key, KEY_ALG_EC_P256, &err), &err);
        is_ready = true;
}

static const char *state_path(const char *relative)
{
        static char path[1024];
        return snprintf(path, sizeof path, "%s/%s", config.state_dir, relative) > 0 ? path : "";
}

static X509 *openssl_parse(const struct cert *cert)
{
        const uint8_t *der;
        size_t len;
        cert_der(cert, &der, &len);
        X509 *x509 = d2i_X509(NULL, &der, (long)len);
        CHECK(x509 != NULL);
        return x509;
}

static bool same_key(const struct key *key, const struct cert *cert)
{
        struct err err = {0};
        struct key *certified = NULL;
        uint8_t a[32], b[32];
        CHECK_OK(cert_public_key(cert, &certified, &err), &err);
        CHECK_OK(key_public_fingerprint(certified, a, &err), &err);
        CHECK_OK(key_public_fingerprint(key, b, &err), &err);
        key_free(certified);
        return memcmp(a, b, 32) == 0;
}

/* --- ca_init --- */

static void test_init_makes_every_file(void)
{
        fixture();
        static const char *const files[] = {"roots/sm2-root", "roots/ecc-root", "cas/ov",        "cas/sm2-dv",
                                            "cas/ecc-dv",     "cas/email-sm2",  "cas/email-ecc", "cas/code-sm2",
                                            "cas/code-ecc",   "cas/doc-sm2",    "cas/doc-ecc",   "cas/iot-sm2",
                                            "cas/iot-ecc",    "cas/admin",      "tls/server",    "admin/operator"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                char name[256];
                struct stat st;
                snprintf(name, sizeof name, "%s.crt", files[i]);
                CHECK(stat(state_path(name), &st) == 0 && st.st_size > 0);
                snprintf(name, sizeof name, "%s.key", files[i]);
                CHECK(stat(state_path(name), &st) == 0 && (st.st_mode & 0777) == 0600);
        }
}

static void test_init_twice_creates_nothing(void)
{
        fixture();
        struct ca_init_report report;
        struct err err = {0};
        CHECK_OK(ca_init(&config, &report, &err), &err);
        CHECK_EQ(report.num_created, 0);
        CHECK_EQ(report.num_kept, NUM_FILES);
}

/* A key without its certificate (an interrupted run) is reused; a certificate without its key, or with
 * another key, is refused and nothing is replaced. */
static void test_init_lost_and_foreign_keys(void)
{
        fixture();
        struct ca_init_report report;
        struct err err = {0};
        char crt[1024], key[1024], moved[1040];
        snprintf(crt, sizeof crt, "%s", state_path("admin/operator.crt"));
        snprintf(key, sizeof key, "%s", state_path("admin/operator.key"));
        CHECK_EQ(unlink(crt), 0);
        CHECK_OK(ca_init(&config, &report, &err), &err);
        CHECK(report.num_created == 1 && strcmp(report.created[0], crt) == 0);
        struct key *reused = NULL;
        struct cert_chain *chain = NULL;
        CHECK_OK(key_load(&reused, key, NULL, &err), &err);
        CHECK_OK(cert_chain_load_pem(&chain, crt, &err), &err);
        CHECK(same_key(reused, cert_chain_get(chain, 0)));
        cert_chain_free(chain);

        snprintf(moved, sizeof moved, "%s.moved", key);
        CHECK_EQ(rename(key, moved), 0);
        CHECK(ca_init(&config, &report, &err) < 0);
        CHECK(strstr(err.msg, "operator.key does not") != NULL);
        CHECK_OK(key_save_private(ec_key, key, KEY_FORMAT_PEM, NULL, false, &err), &err);
        CHECK(ca_init(&config, &report, &err) < 0);
        CHECK(strstr(err.msg, "operator.crt: the key does not belong to the certificate") != NULL);
        CHECK_EQ(rename(moved, key), 0);
        CHECK_OK(ca_init(&config, &report, &err), &err);
        CHECK_EQ(report.num_created, 0);
        key_free(reused);
}

static void test_load_needs_init(void)
{
        fixture();
        struct ca_config empty = config;
        struct ca_authorities *none = NULL;
        struct err err = {0};
        empty.state_dir = (char *)check_temp_dir();
        CHECK(ca_authorities_load(&none, &empty, &err) < 0);
        CHECK(strstr(err.msg, "sm2-root.crt") != NULL && strstr(err.msg, "smtrust ca init") != NULL);
        CHECK(none == NULL);
}

/* --- the loaded hierarchy --- */

static void test_load(void)
{
        fixture();
        struct err err = {0};
        CHECK_EQ(ca_authorities_count(authorities), 12);
        const struct ca_authority *admin = ca_authorities_get(authorities, 11);
        CHECK_STR(ca_authority_name(admin), "admin");
        CHECK_EQ(ca_authority_kind(admin), CA_KIND_ADMIN);
        CHECK(ca_authorities_find(authorities, "iot-ecc") == ca_authorities_for_kind(authorities, CA_KIND_IOT_ECC));
        CHECK(ca_authorities_find(authorities, "nope") == NULL);
        const struct cert_chain *roots = ca_authorities_roots(authorities);
        struct key *root_key = NULL;
        CHECK_EQ(cert_chain_count(roots), 2);
        CHECK_OK(cert_public_key(cert_chain_get(roots, 0), &root_key, &err), &err);
        CHECK_EQ(key_get_alg(root_key), KEY_ALG_SM2);
        key_free(root_key);
        for (size_t i = 0; i < ca_authorities_count(authorities); i++) {
                const struct ca_authority *ca = ca_authorities_get(authorities, i);
                const struct cert_chain *chain = ca_authority_chain(ca);
                CHECK_EQ(cert_chain_count(chain), 2);
                CHECK(cert_chain_get(chain, 0) == ca_authority_cert(ca));
                CHECK(cert_is_self_issued(cert_chain_get(chain, 1)));
                CHECK(key_is_private(ca_authority_key(ca)));
                CHECK(same_key(ca_authority_key(ca), ca_authority_cert(ca)));
        }
}

/* --- what a certificate carries, read by OpenSSL --- */

/* keyUsage and extendedKeyUsage as OpenSSL reads them (KU_* and XKU_* bits; UINT32_MAX when absent). */
static uint32_t openssl_usage(const struct cert *cert, bool extended)
{
        X509 *x = openssl_parse(cert);
        uint32_t usage = extended ? X509_get_extended_key_usage(x) : X509_get_key_usage(x);
        X509_free(x);
        return usage;
}

#define openssl_key_usage(cert)      openssl_usage((cert), false)
#define openssl_extended_usage(cert) openssl_usage((cert), true)

/* The certificatePolicies OIDs, comma-separated ("" when absent). */
static void openssl_policies(const struct cert *cert, char *out, size_t cap)
{
        X509 *x = openssl_parse(cert);
        CERTIFICATEPOLICIES *policies = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
        out[0] = '\0';
        for (int i = 0; policies != NULL && i < sk_POLICYINFO_num(policies); i++) {
                char oid[80];
                OBJ_obj2txt(oid, sizeof oid, sk_POLICYINFO_value(policies, i)->policyid, 1);
                snprintf(out + strlen(out), cap - strlen(out), "%s%s", i > 0 ? "," : "", oid);
        }
        CERTIFICATEPOLICIES_free(policies);
        X509_free(x);
}

static void uri_text(const GENERAL_NAME *name, char *out, size_t cap)
{
        CHECK_EQ(name->type, GEN_URI);
        snprintf(out, cap, "%.*s", ASN1_STRING_length(name->d.uniformResourceIdentifier),
                 (const char *)ASN1_STRING_get0_data(name->d.uniformResourceIdentifier));
}

/* AIA OCSP and caIssuers, and the CRL DP URI ("" when absent). */
static void openssl_urls(const struct cert *cert, char ocsp[256], char issuer[256], char crl[256])
{
        X509 *x = openssl_parse(cert);
        AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
        ocsp[0] = issuer[0] = crl[0] = '\0';
        for (int i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
                ACCESS_DESCRIPTION *d = sk_ACCESS_DESCRIPTION_value(aia, i);
                int nid = OBJ_obj2nid(d->method);
                uri_text(d->location, nid == NID_ad_OCSP ? ocsp : issuer, 256);
                CHECK(nid == NID_ad_OCSP || nid == NID_ad_ca_issuers);
        }
        AUTHORITY_INFO_ACCESS_free(aia);
        CRL_DIST_POINTS *points = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
        if (points != NULL) {
                CHECK_EQ(sk_DIST_POINT_num(points), 1);
                DIST_POINT *point = sk_DIST_POINT_value(points, 0);
                CHECK(point->distpoint != NULL && point->distpoint->type == 0);
                uri_text(sk_GENERAL_NAME_value(point->distpoint->name.fullname, 0), crl, 256);
        }
        CRL_DIST_POINTS_free(points);
        X509_free(x);
}

static void check_leaf_shape(const struct cert *cert, const char *ca_name)
{
        char ocsp[256], issuer[256], crl[256], want[256];
        X509 *x = openssl_parse(cert);
        CHECK(X509_get_ext_by_NID(x, NID_basic_constraints, -1) < 0); /* tlcp-wire.md: GmSSL */
        CHECK(X509_get0_subject_key_id(x) != NULL && X509_get0_authority_key_id(x) != NULL);
        CHECK_EQ(X509_get_version(x), 2);
        X509_free(x);
        openssl_urls(cert, ocsp, issuer, crl);
        snprintf(want, sizeof want, "http://ca.test:8080/ocsp/%s", ca_name);
        CHECK_STR(ocsp, want);
        snprintf(want, sizeof want, "http://ca.test:8080/ca/%s.crt", ca_name);
        CHECK_STR(issuer, want);
        snprintf(want, sizeof want, "http://ca.test:8080/crl/%s.crl", ca_name);
        CHECK_STR(crl, want);
}

/* leaf verifies up to the root of its family with the CA's chain, and not to the other root. */
static void check_chain(const struct cert *leaf, const struct ca_authority *ca)
{
        struct err err = {0};
        const struct cert_chain *roots = ca_authorities_roots(authorities);
        bool is_sm2 = ca_kind_is_sm2(ca_authority_kind(ca));
        for (size_t r = 0; r < 2; r++) {
                struct cert_store *store = NULL;
                CHECK_OK(cert_store_new(&store, &err), &err);
                CHECK_OK(cert_store_add(store, cert_chain_get(roots, r), &err), &err);
                int status = cert_verify_chain(store, leaf, ca_authority_chain(ca), 0, NULL, &err);
                cert_store_free(store);
                if ((r == 0) == is_sm2)
                        CHECK_OK(status, &err);
                else
                        CHECK_STATUS(status, CRYPTO_ECERT_UNTRUSTED);
        }
}

static struct cert *issue_ok(const char *ca_name, const struct ca_issue_request *request)
{
        struct err err = {0};
        struct cert *cert = NULL;
        const struct ca_authority *ca = ca_authorities_find(authorities, ca_name);
        CHECK(ca != NULL);
        CHECK_OK(ca_issue(ca, &config, request, &cert, &err), &err);
        check_leaf_shape(cert, ca_name);
        check_chain(cert, ca);
        return cert;
}

static void check_refused(const char *ca_name, const struct ca_issue_request *request, const char *why)
{
        struct err err = {0};
        struct cert *cert = NULL;
        CHECK_STATUS(ca_issue(ca_authorities_find(authorities, ca_name), &config, request, &cert, &err), CA_EPOLICY);
        CHECK(cert == NULL);
        if (strstr(err.msg, why) == NULL)
                check_fail(__FILE__, __LINE__, "message \"%s\" does not say \"%s\"", err.msg, why);
}

static void subject_text(const struct cert *cert, char out[CERT_NAME_TEXT_MAX])
{
        CHECK_OK(cert_subject_text(cert, out, CERT_NAME_TEXT_MAX, &(struct err){0}), &(struct err){0});
}

/* --- the profiles --- */

static void test_issue_ssl_ecc_dv(void)
{
        fixture();
        static const char *const names[] = {"www.example.com", "*.example.com"};
        static const char *const ips[] = {"192.0.2.1"};
        struct ca_issue_request request = {
            .subject_key = ec_key, .dns_names = names, .num_dns_names = 2, .ip_addresses = ips, .num_ip_addresses = 1};
        struct cert *cert = issue_ok("ecc-dv", &request);
        struct cert_san sans[4];
        size_t num = 0;
        struct err err = {0};
        CHECK_OK(cert_san_list(cert, sans, 4, &num, &err), &err);
        CHECK_EQ(num, 3);
        CHECK(sans[0].type == CERT_SAN_DNS && strcmp(sans[0].value, "www.example.com") == 0);
        CHECK(sans[1].type == CERT_SAN_DNS && strcmp(sans[1].value, "*.example.com") == 0);
        CHECK(sans[2].type == CERT_SAN_IP && strcmp(sans[2].value, "192.0.2.1") == 0);
        char subject[CERT_NAME_TEXT_MAX], policies[256];
        subject_text(cert, subject);
        CHECK_STR(subject, "CN=www.example.com"); /* DV: no organization (BR 7.1.2.7.2) */
        CHECK_EQ(openssl_key_usage(cert), KU_DIGITAL_SIGNATURE);
        CHECK_EQ(openssl_extended_usage(cert), XKU_SSL_SERVER | XKU_SSL_CLIENT);
        openssl_policies(cert, policies, sizeof policies);
        CHECK_STR(policies, "2.23.140.1.2.1");
        CHECK_OK(cert_check_host(cert, "shop.example.com", &err), &err);
        time_t not_before, not_after;
        CHECK_OK(cert_not_before(cert, &not_before, &err), &err);
        CHECK_OK(cert_not_after(cert, &not_after, &err), &err);
        CHECK_EQ(not_after - not_before, 90 * 86400);
        cert_free(cert);
}

/* An SM2 signing certificate and its encryption certificate: same subject, SAN and issuer (tlcp-wire.md),
 * different key usages; OV carries O and C and the OV policy. */
static void test_issue_sm2_pair(void)
{
        fixture();
        struct err err = {0};
        struct key *enc_key = NULL;
        CHECK_OK(key_generate(&enc_key, KEY_ALG_SM2, &err), &err);
        static const char *const names[] = {"portal.gov.cn", "*.portal.gov.cn"};
        struct ca_issue_request request = {.subject_key = sm2_key,
                                           .dns_names = names,
                                           .num_dns_names = 2,
                                           .organization = "Example Bureau",
                                           .validity_seconds = 30 * 86400};
        struct cert *sign = issue_ok("ov", &request);
        request.subject_key = enc_key;
        request.sm2_encryption = true;
        struct cert *enc = issue_ok("ov", &request);
        char a[CERT_NAME_TEXT_MAX], b[CERT_NAME_TEXT_MAX];
        subject_text(sign, a);
        subject_text(enc, b);
        CHECK_STR(a, b);
        CHECK_STR(a, "C=CN, O=Example Bureau, CN=portal.gov.cn");
        CHECK_OK(cert_issuer_text(sign, a, sizeof a, &err), &err);
        CHECK_OK(cert_issuer_text(enc, b, sizeof b, &err), &err);
        CHECK_STR(a, b);
        CHECK_STR(a, "C=CN, O=Test Trust, CN=Test SM2 OV");
        struct cert_san sign_sans[4], enc_sans[4];
        size_t num_sign = 0, num_enc = 0;
        CHECK_OK(cert_san_list(sign, sign_sans, 4, &num_sign, &err), &err);
        CHECK_OK(cert_san_list(enc, enc_sans, 4, &num_enc, &err), &err);
        CHECK(num_sign == 2 && num_enc == 2);
        for (size_t i = 0; i < 2; i++)
                CHECK(sign_sans[i].type == enc_sans[i].type && strcmp(sign_sans[i].value, enc_sans[i].value) == 0);
        CHECK_STR(sign_sans[1].value, "*.portal.gov.cn");
        CHECK_EQ(openssl_key_usage(sign), KU_DIGITAL_SIGNATURE);
        CHECK_EQ(openssl_key_usage(enc), KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT | KU_KEY_AGREEMENT);
        CHECK_EQ(openssl_extended_usage(enc), XKU_SSL_SERVER | XKU_SSL_CLIENT);
        char policies[256];
        openssl_policies(enc, policies, sizeof policies);
        CHECK_STR(policies, "2.23.140.1.2.2");
        X509 *x = openssl_parse(sign);
        CHECK_EQ(X509_get_signature_nid(x), NID_SM2_with_SM3);
        X509_free(x);
        cert_free(sign);
        cert_free(enc);
        key_free(enc_key);
}

static void test_issue_email_code_document(void)
{
        fixture();
        char subject[CERT_NAME_TEXT_MAX], policies[64];
        struct err err = {0};
        static const char *const emails[] = {"alice@example.com"};
        struct ca_issue_request mail = {.subject_key = sm2_key, .emails = emails, .num_emails = 1};
        struct cert *cert = issue_ok("email-sm2", &mail);
        struct cert_san san[2];
        size_t num = 0;
        CHECK_OK(cert_san_list(cert, san, 2, &num, &err), &err);
        CHECK(num == 1 && san[0].type == CERT_SAN_EMAIL && strcmp(san[0].value, "alice@example.com") == 0);
        CHECK_EQ(openssl_extended_usage(cert), XKU_SMIME);
        CHECK_EQ(openssl_key_usage(cert), KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT);
        openssl_policies(cert, policies, sizeof policies);
        CHECK_STR(policies, "");
        cert_free(cert);

        struct ca_issue_request code = {
            .subject_key = ec_key, .common_name = "Example Build Service", .organization = "Example Software Ltd"};
        cert = issue_ok("code-ecc", &code);
        subject_text(cert, subject);
        CHECK_STR(subject, "C=CN, O=Example Software Ltd, CN=Example Build Service");
        CHECK_EQ(openssl_extended_usage(cert), XKU_CODE_SIGN);
        CHECK_EQ(openssl_key_usage(cert), KU_DIGITAL_SIGNATURE);
        cert_free(cert);

        struct ca_issue_request document = {.subject_key = sm2_key, .common_name = "Zhang San"};
        cert = issue_ok("doc-sm2", &document);
        CHECK_EQ(openssl_key_usage(cert), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
        CHECK_EQ(openssl_extended_usage(cert), UINT32_MAX); /* no EKU extension */
        cert_free(cert);
}

static void test_issue_iot_and_admin(void)
{
        fixture();
        char subject[CERT_NAME_TEXT_MAX];
        struct ca_issue_request device = {.subject_key = ec_key, .common_name = "meter-0042"};
        struct cert *cert = issue_ok("iot-ecc", &device);
        subject_text(cert, subject);
        CHECK_STR(subject, "CN=meter-0042");
        CHECK_EQ(openssl_extended_usage(cert), XKU_SSL_SERVER | XKU_SSL_CLIENT);
        cert_free(cert);
        device.subject_key = sm2_key;
        cert_free(issue_ok("iot-sm2", &device));
        struct ca_issue_request admin = {.subject_key = ec_key, .common_name = "alice"};
        cert = issue_ok("admin", &admin);
        CHECK_EQ(openssl_extended_usage(cert), XKU_SSL_CLIENT);
        cert_free(cert);
}

static void test_refusals(void)
{
        fixture();
        static const char *const ok_name[] = {"www.example.com"};
        static const char *const gov[] = {"www.gov.cn"};
        struct ca_issue_request r = {.subject_key = sm2_key, .dns_names = ok_name, .num_dns_names = 1};
        check_refused("ecc-dv", &r, "certifies an EC (P-256, P-384) or RSA");
        r.subject_key = ec_key;
        check_refused("sm2-dv", &r, "certifies an SM2 key, got ec-p256");
        r.subject_key = sm2_key;
        r.organization = "Example Bureau";
        check_refused("ov", &r, "\"www.example.com\" is outside the names CA ov may certify");
        r.dns_names = (const char *const[]){"a.secret.gov.cn"};
        check_refused("ov", &r, "falls under secret.gov.cn");
        r.dns_names = (const char *const[]){"*.gov.cn"};
        check_refused("ov", &r, "falls under secret.gov.cn");
        static const char *const ip[] = {"192.0.2.1"};
        r.dns_names = gov;
        r.ip_addresses = ip;
        r.num_ip_addresses = 1;
        check_refused("ov", &r, "not the IP address 192.0.2.1");
        r.num_ip_addresses = 0;
        r.organization = NULL;
        check_refused("ov", &r, "needs the subject's organization");
        r.organization = "Example Bureau";
        check_refused("sm2-dv", &r, "a ssl-sm2-dv certificate carries no organization");
        r.organization = NULL;
        r.dns_names = (const char *const[]){"*.*.example.com"};
        check_refused("sm2-dv", &r, "a wildcard '*' only as the whole left-most label");
        r.dns_names = (const char *const[]){"www.*.example.com"};
        check_refused("sm2-dv", &r, "is not a DNS name");
        r.dns_names = (const char *const[]){"*.com"};
        check_refused("sm2-dv", &r, "two labels or more");
        r.dns_names = ok_name;
        r.common_name = "other.example.com";
        check_refused("sm2-dv", &r, "is none of the certificate's names");
        r.common_name = NULL;
        r.validity_seconds = 60;
        check_refused("sm2-dv", &r, "a validity of 60 s is outside 3600..34387200 s");
        r.validity_seconds = 399 * 86400;
        check_refused("sm2-dv", &r, "outside 3600..34387200 s");
        r.validity_seconds = 0;
        time_t ca_end;
        struct err err = {0};
        CHECK_OK(cert_not_after(ca_authority_cert(ca_authorities_find(authorities, "sm2-dv")), &ca_end, &err), &err);
        r.not_before = ca_end - 86400;
        check_refused("sm2-dv", &r, "after CA sm2-dv's own notAfter");
        CHECK_OK(cert_not_before(ca_authority_cert(ca_authorities_find(authorities, "sm2-dv")), &ca_end, &err), &err);
        r.not_before = ca_end - 3600; /* backdated before the CA itself */
        check_refused("sm2-dv", &r, "before CA sm2-dv's own notBefore");
        r.not_before = 0;
        r.sm2_encryption = true;
        check_refused("email-sm2", &r, "an SM2 encryption certificate comes from an ssl-sm2-* CA");
        r.sm2_encryption = false;
        check_refused("code-sm2", &r, "carries no DNS names");
        struct ca_issue_request code = {.subject_key = sm2_key, .common_name = "Builder"};
        check_refused("code-sm2", &code, "needs the subject's organization");
        struct ca_issue_request mail = {.subject_key = ec_key, .common_name = "Alice"};
        check_refused("email-ecc", &mail, "needs an e-mail address");
        mail.emails = (const char *const[]){"alice"};
        mail.num_emails = 1;
        check_refused("email-ecc", &mail, "is not an e-mail address");
        struct ca_issue_request device = {.subject_key = ec_key};
        check_refused("iot-ecc", &device, "needs a common name");
}

/* --- what ca_init made --- */

static struct cert_chain *load_chain(const char *relative)
{
        struct cert_chain *chain = NULL;
        struct err err = {0};
        CHECK_OK(cert_chain_load_pem(&chain, state_path(relative), &err), &err);
        return chain;
}

static void test_issuing_ca_certificates(void)
{
        fixture();
        const struct ca_authority *ov = ca_authorities_find(authorities, "ov");
        X509 *x = openssl_parse(ca_authority_cert(ov));
        CHECK_EQ(X509_get_pathlen(x), 0); /* signs leaves only */
        CHECK_EQ(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN | KU_CRL_SIGN);
        /* An SM2 issuing CA carries no EKU (GmSSL refuses one in a TLCP chain); an ECC one does (BR). */
        CHECK_EQ(X509_get_extended_key_usage(x), UINT32_MAX);
        X509 *ecc = openssl_parse(ca_authority_cert(ca_authorities_for_kind(authorities, CA_KIND_SSL_ECC_DV)));
        CHECK_EQ(X509_get_extended_key_usage(ecc), XKU_SSL_SERVER | XKU_SSL_CLIENT);
        X509_free(ecc);
        NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
        CHECK(nc != NULL && sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) == 2);
        CHECK_EQ(sk_GENERAL_SUBTREE_num(nc->excludedSubtrees), 1);
        GENERAL_NAME *first = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 0)->base;
        CHECK(first->type == GEN_DNS && strcmp((const char *)ASN1_STRING_get0_data(first->d.dNSName), "gov.cn") == 0);
        NAME_CONSTRAINTS_free(nc);
        CHECK_EQ(X509_EXTENSION_get_critical(X509_get_ext(x, X509_get_ext_by_NID(x, NID_name_constraints, -1))), 1);
        X509_free(x);
        char ocsp[256], issuer[256], crl[256], policies[64];
        openssl_urls(ca_authority_cert(ov), ocsp, issuer, crl);
        CHECK_STR(ocsp, "");
        CHECK_STR(issuer, "http://ca.test:8080/ca/sm2-root.crt");
        CHECK_STR(crl, "http://ca.test:8080/crl/sm2-root.crl");
        openssl_policies(ca_authority_cert(ov), policies, sizeof policies);
        CHECK_STR(policies, "2.23.140.1.2.2");
        char subject[CERT_NAME_TEXT_MAX];
        subject_text(ca_authority_cert(ov), subject);
        CHECK_STR(subject, "C=CN, O=Test Trust, CN=Test SM2 OV");
        x = openssl_parse(ca_authority_cert(ca_authorities_find(authorities, "code-ecc")));
        CHECK_EQ(X509_get_extended_key_usage(x), XKU_CODE_SIGN);
        CHECK(X509_get_ext_by_NID(x, NID_name_constraints, -1) < 0);
        X509_free(x);
}

static void test_server_and_operator_certificates(void)
{
        fixture();
        struct err err = {0};
        struct cert_chain *server = load_chain("tls/server.crt");
        CHECK_EQ(cert_chain_count(server), 2);
        const struct cert *leaf = cert_chain_get(server, 0);
        CHECK_OK(cert_check_host(leaf, "localhost", &err), &err);
        CHECK_OK(cert_check_host(leaf, "127.0.0.1", &err), &err);
        CHECK_OK(cert_check_host(leaf, "::1", &err), &err);
        CHECK_OK(cert_check_extended_usage(leaf, CERT_EXTENDED_USAGE_SERVER_AUTH, &err), &err);
        check_chain(leaf, ca_authorities_find(authorities, "ecc-dv"));
        check_leaf_shape(leaf, "ecc-dv");
        cert_chain_free(server);
        struct cert_chain *operator= load_chain("admin/operator.crt");
        leaf = cert_chain_get(operator, 0);
        char subject[CERT_NAME_TEXT_MAX];
        subject_text(leaf, subject);
        CHECK_STR(subject, "CN=operator");
        CHECK_EQ(openssl_extended_usage(leaf), XKU_SSL_CLIENT);
        check_chain(leaf, ca_authorities_find(authorities, "admin"));
        cert_chain_free(operator);
}

static void test_cleanup(void)
{
        fixture();
        ca_authorities_free(authorities);
        key_free(sm2_key);
        key_free(ec_key);
        ca_config_free(&config);
}

CHECK_MAIN(CHECK_TEST(test_init_makes_every_file), CHECK_TEST(test_init_twice_creates_nothing),
           CHECK_TEST(test_init_lost_and_foreign_keys), CHECK_TEST(test_load_needs_init), CHECK_TEST(test_load),
           CHECK_TEST(test_issue_ssl_ecc_dv), CHECK_TEST(test_issue_sm2_pair),
           CHECK_TEST(test_issue_email_code_document), CHECK_TEST(test_issue_iot_and_admin), CHECK_TEST(test_refusals),
           CHECK_TEST(test_issuing_ca_certificates), CHECK_TEST(test_server_and_operator_certificates),
           CHECK_TEST(test_cleanup))
