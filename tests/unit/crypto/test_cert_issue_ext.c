/* tests/unit/crypto/test_cert_issue_ext.c: the extensions a CA profile asks of cert_issue
 * (src/crypto/cert_issue_ext.c), read back with OpenSSL's own decoders: each present with the criticality
 * RFC 5280 asks and the content given; name constraints and path lengths enforced by cert_verify_chain
 * (OpenSSL's verifier) for leaves inside and outside them; a subject without CN; the 30-year cap. */
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#define DAY 86400

static struct key *new_key(enum key_alg alg)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&key, alg, &err), &err);
        return key;
}

static struct cert *issue(const struct cert_issue_params *params)
{
        struct cert *cert = NULL;
        struct err err = {0};
        CHECK_OK(cert_issue(&cert, params, &err), &err);
        return cert;
}

static struct cert_issue_params root_params(const struct key *key)
{
        return (struct cert_issue_params){
            .subject_key = key,
            .common_name = "smtrust extension test root",
            .country = "CN",
            .not_before = time(NULL) - DAY,
            .not_after = time(NULL) + 365 * DAY,
            .is_ca = true,
        };
}

static struct cert_issue_params leaf_params(const struct key *key, const struct key *ca_key, const struct cert *ca,
                                            const char *const *hosts)
{
        return (struct cert_issue_params){
            .subject_key = key,
            .issuer_key = ca_key,
            .issuer_cert = ca,
            .common_name = hosts[0],
            .dns_names = hosts,
            .num_dns_names = 1,
            .not_after = time(NULL) + 30 * DAY,
            .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE,
            .extended_usage = CERT_EXTENDED_USAGE_SERVER_AUTH,
        };
}

/* extension decodes extension nid with OpenSSL, checks it is there once with the given criticality. */
static void *extension(const struct cert *cert, int nid, int critical)
{
        int seen = -2;
        void *value = X509_get_ext_d2i(cert_x509(cert), nid, &seen, NULL);
        CHECK(value != NULL);
        CHECK_EQ(seen, critical);
        return value;
}

static void check_ia5(const ASN1_IA5STRING *value, const char *want)
{
        CHECK_EQ(ASN1_STRING_length(value), strlen(want));
        CHECK_MEM(ASN1_STRING_get0_data(value), want, strlen(want));
}

static void check_uri_name(const GENERAL_NAME *name, const char *want)
{
        CHECK_EQ(name->type, GEN_URI);
        check_ia5(name->d.uniformResourceIdentifier, want);
}

static void check_subject_entry(const struct cert *cert, int nid, const char *want)
{
        char text[256];
        int len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert_x509(cert)), nid, text, sizeof text);
        CHECK(len >= 0);
        CHECK_STR(text, want);
}

static void check_oid(const ASN1_OBJECT *oid, const char *want)
{
        char text[80];
        CHECK(OBJ_obj2txt(text, sizeof text, oid, 1) > 0);
        CHECK_STR(text, want);
}

static const char *const test_policies[] = {"2.23.140.1.2.2", "1.2.156.112559.1.1.6.1"};
static const char *const test_permitted[] = {"example.com"};
static const char *const test_excluded[] = {"bad.example.com"};

/* A CA as a profile describes it: sub-CA forbidden, policies, AIA, CRL, name constraints, full subject. */
static struct cert_issue_params profile_ca_params(const struct key *key)
{
        struct cert_issue_params params = root_params(key);
        params.organization = "smtrust tests";
        params.organizational_unit = "PKI";
        params.province = "Beijing";
        params.locality = "Haidian";
        params.path_len = 0;
        params.has_path_len = true;
        params.policy_oids = test_policies;
        params.num_policy_oids = 2;
        params.ocsp_url = "http://ocsp.example.com/sm2";
        params.ca_issuers_url = "http://ca.example.com/root.crt";
        params.crl_url = "http://crl.example.com/root.crl";
        params.permitted_dns = test_permitted;
        params.num_permitted_dns = 1;
        params.excluded_dns = test_excluded;
        params.num_excluded_dns = 1;
        return params;
}

static void test_ca_profile_extensions_read_back(void)
{
        struct key *key = new_key(KEY_ALG_SM2);
        struct cert_issue_params params = profile_ca_params(key);
        struct cert *ca = issue(&params);
        check_subject_entry(ca, NID_organizationalUnitName, "PKI");
        check_subject_entry(ca, NID_stateOrProvinceName, "Beijing");
        check_subject_entry(ca, NID_localityName, "Haidian");
        check_subject_entry(ca, NID_commonName, "smtrust extension test root");

        BASIC_CONSTRAINTS *bc = extension(ca, NID_basic_constraints, 1);
        CHECK(bc->ca);
        CHECK(bc->pathlen != NULL);
        CHECK_EQ(ASN1_INTEGER_get(bc->pathlen), 0);
        BASIC_CONSTRAINTS_free(bc);

        CERTIFICATEPOLICIES *policies = extension(ca, NID_certificate_policies, 0);
        CHECK_EQ(sk_POLICYINFO_num(policies), 2);
        for (int i = 0; i < 2; i++) {
                check_oid(sk_POLICYINFO_value(policies, i)->policyid, test_policies[i]);
                CHECK(sk_POLICYINFO_value(policies, i)->qualifiers == NULL);
        }
        CERTIFICATEPOLICIES_free(policies);

        AUTHORITY_INFO_ACCESS *aia = extension(ca, NID_info_access, 0);
        CHECK_EQ(sk_ACCESS_DESCRIPTION_num(aia), 2);
        CHECK_EQ(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 0)->method), NID_ad_OCSP);
        check_uri_name(sk_ACCESS_DESCRIPTION_value(aia, 0)->location, "http://ocsp.example.com/sm2");
        CHECK_EQ(OBJ_obj2nid(sk_ACCESS_DESCRIPTION_value(aia, 1)->method), NID_ad_ca_issuers);
        check_uri_name(sk_ACCESS_DESCRIPTION_value(aia, 1)->location, "http://ca.example.com/root.crt");
        AUTHORITY_INFO_ACCESS_free(aia);

        CRL_DIST_POINTS *points = extension(ca, NID_crl_distribution_points, 0);
        CHECK_EQ(sk_DIST_POINT_num(points), 1);
        DIST_POINT *point = sk_DIST_POINT_value(points, 0);
        CHECK(point->distpoint != NULL && point->reasons == NULL && point->CRLissuer == NULL);
        CHECK_EQ(point->distpoint->type, 0); /* fullName */
        CHECK_EQ(sk_GENERAL_NAME_num(point->distpoint->name.fullname), 1);
        check_uri_name(sk_GENERAL_NAME_value(point->distpoint->name.fullname, 0), "http://crl.example.com/root.crl");
        CRL_DIST_POINTS_free(points);

        NAME_CONSTRAINTS *constraints = extension(ca, NID_name_constraints, 1);
        CHECK_EQ(sk_GENERAL_SUBTREE_num(constraints->permittedSubtrees), 1);
        CHECK_EQ(sk_GENERAL_SUBTREE_num(constraints->excludedSubtrees), 1);
        GENERAL_SUBTREE *permitted = sk_GENERAL_SUBTREE_value(constraints->permittedSubtrees, 0);
        GENERAL_SUBTREE *excluded = sk_GENERAL_SUBTREE_value(constraints->excludedSubtrees, 0);
        CHECK(permitted->base->type == GEN_DNS && permitted->minimum == NULL && permitted->maximum == NULL);
        check_ia5(permitted->base->d.dNSName, "example.com");
        CHECK_EQ(excluded->base->type, GEN_DNS);
        check_ia5(excluded->base->d.dNSName, "bad.example.com");
        NAME_CONSTRAINTS_free(constraints);

        /* what a root never gets unasked */
        CHECK_EQ(X509_get_ext_by_NID(cert_x509(ca), NID_id_pkix_OCSP_noCheck, -1), -1);
        CHECK_EQ(X509_get_ext_by_NID(cert_x509(ca), NID_ext_key_usage, -1), -1);
        cert_free(ca);
        key_free(key);
}

static void test_leaf_profile_extensions_read_back(void)
{
        static const char *const hosts[] = {"tsa.example.com"};
        static const char *const emails[] = {"pki@example.com"};
        static const char *const uris[] = {"https://tsa.example.com/", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"};
        struct key *ca_key = new_key(KEY_ALG_EC_P256), *key = new_key(KEY_ALG_EC_P256);
        struct cert_issue_params params = root_params(ca_key);
        struct cert *ca = issue(&params);
        params = leaf_params(key, ca_key, ca, hosts);
        params.emails = emails;
        params.num_emails = 1;
        params.uris = uris;
        params.num_uris = 2;
        params.extended_usage = CERT_EXTENDED_USAGE_TIME_STAMPING;
        params.extended_usage_critical = true;
        params.ocsp_no_check = true;
        struct cert *leaf = issue(&params);

        struct cert_san sans[8];
        size_t count = 0;
        struct err err = {0};
        CHECK_OK(cert_san_list(leaf, sans, 8, &count, &err), &err);
        CHECK_EQ(count, 4);
        CHECK(sans[0].type == CERT_SAN_DNS && strcmp(sans[0].value, "tsa.example.com") == 0);
        CHECK(sans[1].type == CERT_SAN_EMAIL && strcmp(sans[1].value, "pki@example.com") == 0);
        CHECK(sans[2].type == CERT_SAN_URI && strcmp(sans[2].value, uris[0]) == 0);
        CHECK(sans[3].type == CERT_SAN_URI && strcmp(sans[3].value, uris[1]) == 0);
        GENERAL_NAMES_free(extension(leaf, NID_subject_alt_name, 0)); /* the subject has a CN */

        EXTENDED_KEY_USAGE *eku = extension(leaf, NID_ext_key_usage, 1); /* RFC 3161 §2.3 */
        CHECK_EQ(sk_ASN1_OBJECT_num(eku), 1);
        CHECK_EQ(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), NID_time_stamp);
        sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);

        int at = X509_get_ext_by_NID(cert_x509(leaf), NID_id_pkix_OCSP_noCheck, -1);
        CHECK(at >= 0);
        X509_EXTENSION *nocheck = X509_get_ext(cert_x509(leaf), at);
        CHECK_EQ(X509_EXTENSION_get_critical(nocheck), 0);
        const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(nocheck);
        CHECK_EQ(ASN1_STRING_length(data), 2); /* the DER NULL, 05 00 (RFC 6960 §4.2.2.2.1) */
        CHECK_MEM(ASN1_STRING_get0_data(data), "\x05\x00", 2);

        CHECK_EQ(X509_get_ext_by_NID(cert_x509(leaf), NID_basic_constraints, -1), -1);
        CHECK_EQ(X509_get_ext_by_NID(cert_x509(leaf), NID_name_constraints, -1), -1);
        cert_free(leaf);
        cert_free(ca);
        key_free(key);
        key_free(ca_key);
}

static struct cert_store *store_of(const struct cert *root)
{
        struct cert_store *store = NULL;
        struct err err = {0};
        CHECK_OK(cert_store_new(&store, &err), &err);
        CHECK_OK(cert_store_add(store, root, &err), &err);
        return store;
}

/* The subject may be empty when the names are in the SAN, which §4.2.1.6 then wants critical; strict
 * verification (X509_V_FLAG_X509_STRICT) checks just that. */
static void test_subject_without_common_name(void)
{
        static const char *const hosts[] = {"www.example.com"};
        struct key *ca_key = new_key(KEY_ALG_SM2), *key = new_key(KEY_ALG_SM2);
        struct cert_issue_params params = root_params(ca_key);
        struct cert *ca = issue(&params);
        params = leaf_params(key, ca_key, ca, hosts);
        params.common_name = NULL;
        params.omit_common_name = true;
        struct cert *leaf = issue(&params);
        CHECK_EQ(X509_NAME_entry_count(X509_get_subject_name(cert_x509(leaf))), 0);
        GENERAL_NAMES_free(extension(leaf, NID_subject_alt_name, 1));
        struct cert_store *store = store_of(ca);
        struct err err = {0};
        CHECK_OK(cert_verify_chain(store, leaf, NULL, 0, NULL, &err), &err);
        CHECK_OK(cert_check_host(leaf, "www.example.com", &err), &err);
        cert_free(leaf);

        /* with an organisation the subject is not empty: the SAN stays non-critical */
        params.organization = "Example";
        leaf = issue(&params);
        CHECK_EQ(X509_NAME_entry_count(X509_get_subject_name(cert_x509(leaf))), 1);
        GENERAL_NAMES_free(extension(leaf, NID_subject_alt_name, 0));
        cert_free(leaf);

        /* no name at all cannot be issued */
        params.organization = NULL;
        params.num_dns_names = 0;
        CHECK_STATUS(cert_issue(&leaf, &params, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "empty subject") != NULL);
        cert_store_free(store);
        cert_free(ca);
        key_free(key);
        key_free(ca_key);
}

struct constrained_pki {
        struct key *root_key, *sub_key, *leaf_key;
        struct cert *root, *sub;
        struct cert_store *store;
        struct cert_chain *intermediates;
};

/* constrained_pki_make: a root, and under it a CA limited to example.com minus bad.example.com. */
static struct constrained_pki constrained_pki_make(enum key_alg alg)
{
        struct constrained_pki pki = {.root_key = new_key(alg), .sub_key = new_key(alg), .leaf_key = new_key(alg)};
        struct err err = {0};
        struct cert_issue_params params = root_params(pki.root_key);
        pki.root = issue(&params);
        params = profile_ca_params(pki.sub_key);
        params.common_name = "smtrust constrained CA";
        params.issuer_key = pki.root_key;
        params.issuer_cert = pki.root;
        pki.sub = issue(&params);
        pki.store = store_of(pki.root);
        struct cert *copy = NULL;
        CHECK_OK(cert_chain_new(&pki.intermediates, &err), &err);
        CHECK_OK(cert_dup(&copy, pki.sub, &err), &err);
        CHECK_OK(cert_chain_append(pki.intermediates, copy, &err), &err);
        return pki;
}

static void constrained_pki_free(struct constrained_pki *pki)
{
        cert_chain_free(pki->intermediates);
        cert_store_free(pki->store);
        cert_free(pki->sub);
        cert_free(pki->root);
        key_free(pki->leaf_key);
        key_free(pki->sub_key);
        key_free(pki->root_key);
}

/* verify_leaf issues a leaf for host under the constrained CA and returns what cert_verify_chain says. */
static int verify_leaf(const struct constrained_pki *pki, const char *host, struct cert_verify_result *result)
{
        const char *hosts[] = {host};
        struct cert_issue_params params = leaf_params(pki->leaf_key, pki->sub_key, pki->sub, hosts);
        struct cert *leaf = issue(&params);
        struct err err = {0};
        int status = cert_verify_chain(pki->store, leaf, pki->intermediates, 0, result, &err);
        cert_free(leaf);
        return status;
}

static void check_name_constraints(enum key_alg alg)
{
        struct constrained_pki pki = constrained_pki_make(alg);
        struct cert_verify_result result;
        CHECK_EQ(verify_leaf(&pki, "www.example.com", &result), SMT_OK);
        CHECK_EQ(verify_leaf(&pki, "example.com", &result), SMT_OK);
        CHECK_EQ(verify_leaf(&pki, "www.example.org", &result), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.openssl_reason, X509_V_ERR_PERMITTED_VIOLATION);
        CHECK_EQ(result.depth, 0);
        /* a suffix match must end at a label: "notexample.com" is outside example.com */
        CHECK_EQ(verify_leaf(&pki, "notexample.com", &result), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.openssl_reason, X509_V_ERR_PERMITTED_VIOLATION);
        CHECK_EQ(verify_leaf(&pki, "x.bad.example.com", &result), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.openssl_reason, X509_V_ERR_EXCLUDED_VIOLATION);
        constrained_pki_free(&pki);
}

static void test_name_constraints_enforced_sm2(void)
{
        check_name_constraints(KEY_ALG_SM2);
}

static void test_name_constraints_enforced_p256(void)
{
        check_name_constraints(KEY_ALG_EC_P256);
}

/* pathLenConstraint 0 on the root forbids the CA below it (RFC 5280 §4.2.1.9); 1 allows it. */
static void test_path_len_limits_sub_cas(void)
{
        static const char *const hosts[] = {"www.example.com"};
        struct key *root_key = new_key(KEY_ALG_SM2), *sub_key = new_key(KEY_ALG_SM2), *key = new_key(KEY_ALG_SM2);
        struct err err = {0};
        for (int path_len = 0; path_len <= 1; path_len++) {
                struct cert_issue_params params = root_params(root_key);
                params.path_len = path_len;
                params.has_path_len = true;
                struct cert *root = issue(&params);
                CHECK_EQ(X509_get_pathlen(cert_x509(root)), path_len);
                params = root_params(sub_key);
                params.common_name = "sub CA";
                params.issuer_key = root_key;
                params.issuer_cert = root;
                struct cert *sub = issue(&params);
                params = leaf_params(key, sub_key, sub, hosts);
                struct cert *leaf = issue(&params);
                struct cert_chain *chain = NULL;
                struct cert *copy = NULL;
                CHECK_OK(cert_chain_new(&chain, &err), &err);
                CHECK_OK(cert_dup(&copy, sub, &err), &err);
                CHECK_OK(cert_chain_append(chain, copy, &err), &err);
                struct cert_store *store = store_of(root);
                struct cert_verify_result result;
                int status = cert_verify_chain(store, leaf, chain, 0, &result, &err);
                CHECK_EQ(status, path_len == 0 ? CRYPTO_ECERT_UNTRUSTED : SMT_OK);
                CHECK_EQ(result.openssl_reason, path_len == 0 ? X509_V_ERR_PATH_LENGTH_EXCEEDED : X509_V_OK);
                cert_store_free(store);
                cert_chain_free(chain);
                cert_free(leaf);
                cert_free(sub);
                cert_free(root);
        }
        /* has_path_len false: a zeroed struct means no constraint */
        struct cert_issue_params params = root_params(root_key);
        struct cert *root = issue(&params);
        CHECK_EQ(X509_get_pathlen(cert_x509(root)), -1);
        cert_free(root);
        key_free(key);
        key_free(sub_key);
        key_free(root_key);
}

static void test_thirty_year_root(void)
{
        struct key *key = new_key(KEY_ALG_EC_P256);
        struct cert_issue_params params = root_params(key);
        params.not_before = time(NULL);
        params.not_after = params.not_before + (30 * 365 + 7) * (time_t)DAY;
        struct cert *root = issue(&params);
        time_t not_after = 0;
        struct err err = {0};
        CHECK_OK(cert_not_after(root, &not_after, &err), &err);
        CHECK_EQ(not_after, params.not_after);
        cert_free(root);
        params.not_after = params.not_before + (30 * 365 + 9) * (time_t)DAY;
        CHECK_STATUS(cert_issue(&root, &params, &err), SMT_EINVAL);
        key_free(key);
}

/* expect_refused checks cert_issue refuses params with SMT_EINVAL and a message holding want. */
static void expect_refused(const struct cert_issue_params *params, const char *want)
{
        struct cert *cert = NULL;
        struct err err = {0};
        CHECK_STATUS(cert_issue(&cert, params, &err), SMT_EINVAL);
        if (strstr(err.msg, want) == NULL)
                check_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_extension_parameters_refused(void)
{
        static const char *const hosts[] = {"www.example.com"};
        static const char *const wildcard[] = {"*.example.com"};
        static const char *const bad_oids[] = {"anyPolicy"};
        static const char *const bad_emails[] = {"no-at-sign"};
        static const char *const bad_uris[] = {"not a uri"};
        struct key *ca_key = new_key(KEY_ALG_SM2), *key = new_key(KEY_ALG_SM2);
        struct cert_issue_params params = root_params(ca_key);
        struct cert *ca = issue(&params);
        struct cert_issue_params leaf = leaf_params(key, ca_key, ca, hosts);

        params = leaf;
        params.permitted_dns = test_permitted;
        params.num_permitted_dns = 1;
        expect_refused(&params, "nameConstraints on a leaf");
        params = leaf;
        params.path_len = 0;
        params.has_path_len = true;
        expect_refused(&params, "pathLenConstraint 0 on a leaf");
        params = leaf;
        params.policy_oids = bad_oids;
        params.num_policy_oids = 1;
        expect_refused(&params, "\"anyPolicy\" is not a valid policy OID");
        params = leaf;
        params.emails = bad_emails;
        params.num_emails = 1;
        expect_refused(&params, "\"no-at-sign\" is not a valid e-mail address");
        params = leaf;
        params.uris = bad_uris;
        params.num_uris = 1;
        expect_refused(&params, "not a valid URI");
        params = leaf;
        params.ocsp_url = "ocsp.example.com";
        expect_refused(&params, "OCSP URL");
        params = leaf;
        params.num_emails = 2; /* a count without its array */
        expect_refused(&params, "without an array");
        params = root_params(ca_key);
        params.permitted_dns = wildcard;
        params.num_permitted_dns = 1;
        expect_refused(&params, "permitted DNS subtree");
        params = root_params(ca_key);
        params.path_len = -2;
        params.has_path_len = true;
        expect_refused(&params, "pathLenConstraint -2");
        cert_free(ca);
        key_free(key);
        key_free(ca_key);
}

CHECK_MAIN(CHECK_TEST(test_ca_profile_extensions_read_back), CHECK_TEST(test_leaf_profile_extensions_read_back),
           CHECK_TEST(test_subject_without_common_name), CHECK_TEST(test_name_constraints_enforced_sm2),
           CHECK_TEST(test_name_constraints_enforced_p256), CHECK_TEST(test_path_len_limits_sub_cas),
           CHECK_TEST(test_thirty_year_root), CHECK_TEST(test_extension_parameters_refused))
