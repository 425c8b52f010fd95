/* tests/unit/crypto/test_cert_issue.c: certificates made by cert_issue (src/crypto/cert_issue.c) and what
 * cert_verify_chain says about them: SM2 and P-256 hierarchies verify here and with `openssl verify`
 * (which needs the SM2 ID, proving the signature really uses it), expired, foreign and tampered
 * certificates are refused with the right code, usages and host names (wildcards, IP addresses) check out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"

#define DAY 86400

struct pki {
        struct key *ca_key;
        struct cert *ca;
        struct key *leaf_key;
        struct cert *leaf;
};

static struct key *new_key(enum key_alg alg)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&key, alg, &err), &err);
        return key;
}

static struct cert *issue_ca(const struct key *key, const char *name)
{
        struct cert *ca = NULL;
        struct err err = {0};
        struct cert_issue_params params = {
            .subject_key = key,
            .common_name = name,
            .organization = "smtrust tests",
            .country = "CN",
            .not_before = time(NULL) - 60 * DAY, /* so leaves back-dated in tests still nest inside it */
            .not_after = time(NULL) + 365 * DAY,
            .is_ca = true,
        };
        CHECK_OK(cert_issue(&ca, &params, &err), &err);
        return ca;
}

/* leaf_params: a TLCP-style server signing certificate for host under ca. */
static struct cert_issue_params leaf_params(const struct key *key, const struct key *ca_key, const struct cert *ca,
                                            const char *const *hosts, size_t num_hosts)
{
        return (struct cert_issue_params){
            .subject_key = key,
            .issuer_key = ca_key,
            .issuer_cert = ca,
            .common_name = hosts[0],
            .dns_names = hosts,
            .num_dns_names = num_hosts,
            .not_after = time(NULL) + 90 * DAY,
            .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE,
            .extended_usage = CERT_EXTENDED_USAGE_SERVER_AUTH | CERT_EXTENDED_USAGE_CLIENT_AUTH,
        };
}

static struct pki make_pki(enum key_alg alg)
{
        static const char *const hosts[] = {"www.example.com", "example.com"};
        struct pki pki = {.ca_key = new_key(alg), .leaf_key = new_key(alg)};
        struct err err = {0};
        pki.ca = issue_ca(pki.ca_key, "smtrust test root");
        struct cert_issue_params params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 2);
        CHECK_OK(cert_issue(&pki.leaf, &params, &err), &err);
        return pki;
}

static void free_pki(struct pki *pki)
{
        cert_free(pki->leaf);
        cert_free(pki->ca);
        key_free(pki->leaf_key);
        key_free(pki->ca_key);
}

static struct cert_store *store_of(const struct cert *root)
{
        struct cert_store *store = NULL;
        struct err err = {0};
        CHECK_OK(cert_store_new(&store, &err), &err);
        CHECK_OK(cert_store_add(store, root, &err), &err);
        return store;
}

static const char *save_temp(const struct cert *cert, const char *name)
{
        static char path[4][512];
        static int next;
        char *slot = path[next++ % 4];
        struct err err = {0};
        snprintf(slot, sizeof path[0], "%s/%s", check_temp_dir(), name);
        CHECK_OK(cert_save_pem(cert, slot, true, &err), &err);
        return slot;
}

/* openssl_verify runs `openssl verify -x509_strict [distid] -CAfile ca leaf` and returns its exit status. */
static int openssl_verify(const struct pki *pki, bool with_sm2_id)
{
        const char *ca = save_temp(pki->ca, "ca.pem");
        const char *leaf = save_temp(pki->leaf, "leaf.pem");
        char command[1400];
        snprintf(command, sizeof command, "openssl verify -x509_strict %s -CAfile '%s' '%s' >/dev/null 2>&1",
                 with_sm2_id ? "-vfyopt distid:1234567812345678" : "", ca, leaf);
        int status = system(command);
        CHECK(status != -1);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_sm2_hierarchy_verifies_here_and_with_openssl(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct cert_store *store = store_of(pki.ca);
        struct err err = {0};
        struct cert_verify_result result;
        CHECK_OK(cert_verify_chain(store, pki.leaf, NULL, 0, &result, &err), &err);
        CHECK_EQ(result.failure, CERT_VERIFY_OK);
        CHECK_EQ(result.depth, -1);
        CHECK_EQ(X509_get_signature_nid(cert_x509(pki.leaf)), NID_SM2_with_SM3);
        CHECK_EQ(openssl_verify(&pki, true), 0);
        /* OpenSSL 3.0 without the ID hashes an empty one: the signature must then fail, which shows ours
         * was made over Z with ID 1234567812345678 (GM/T 0009 §10). */
        CHECK(openssl_verify(&pki, false) != 0);
        cert_store_free(store);
        free_pki(&pki);
}

static void test_p256_hierarchy_verifies_here_and_with_openssl(void)
{
        struct pki pki = make_pki(KEY_ALG_EC_P256);
        struct cert_store *store = store_of(pki.ca);
        struct err err = {0};
        CHECK_OK(cert_verify_chain(store, pki.leaf, NULL, 0, NULL, &err), &err);
        CHECK_EQ(X509_get_signature_nid(cert_x509(pki.leaf)), NID_ecdsa_with_SHA256);
        CHECK_EQ(openssl_verify(&pki, false), 0);
        cert_store_free(store);
        free_pki(&pki);
}

/* An SM2 root, an SM2 intermediate and a leaf: the intermediate comes from the peer's chain. */
static void test_sm2_intermediate_from_chain(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct key *mid_key = new_key(KEY_ALG_SM2), *leaf_key = new_key(KEY_ALG_SM2);
        struct err err = {0};
        struct cert *mid = NULL, *leaf = NULL;
        struct cert_issue_params params = {
            .subject_key = mid_key,
            .issuer_key = pki.ca_key,
            .issuer_cert = pki.ca,
            .common_name = "smtrust intermediate",
            .not_after = time(NULL) + 100 * DAY,
            .is_ca = true,
        };
        CHECK_OK(cert_issue(&mid, &params, &err), &err);
        static const char *const hosts[] = {"shop.example"};
        params = leaf_params(leaf_key, mid_key, mid, hosts, 1);
        CHECK_OK(cert_issue(&leaf, &params, &err), &err);

        struct cert_store *store = store_of(pki.ca);
        struct cert_verify_result result;
        CHECK_STATUS(cert_verify_chain(store, leaf, NULL, 0, &result, &err), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.failure, CERT_VERIFY_UNKNOWN_ISSUER);
        struct cert_chain *chain = NULL;
        struct cert *copy = NULL;
        CHECK_OK(cert_chain_new(&chain, &err), &err);
        CHECK_OK(cert_dup(&copy, leaf, &err), &err);
        CHECK_OK(cert_chain_append(chain, copy, &err), &err); /* the leaf itself may be in the list */
        CHECK_OK(cert_dup(&copy, mid, &err), &err);
        CHECK_OK(cert_chain_append(chain, copy, &err), &err);
        CHECK_OK(cert_verify_chain(store, leaf, chain, 0, &result, &err), &err);

        cert_chain_free(chain);
        cert_store_free(store);
        cert_free(leaf);
        cert_free(mid);
        key_free(leaf_key);
        key_free(mid_key);
        free_pki(&pki);
}

static void test_expired_and_not_yet_valid(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct err err = {0};
        struct cert *old = NULL;
        static const char *const hosts[] = {"old.example"};
        struct cert_issue_params params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 1);
        params.not_before = time(NULL) - 30 * DAY;
        params.not_after = time(NULL) - DAY;
        CHECK_OK(cert_issue(&old, &params, &err), &err);

        struct cert_store *store = store_of(pki.ca);
        struct cert_verify_result result;
        CHECK_STATUS(cert_verify_chain(store, old, NULL, 0, &result, &err), CRYPTO_ECERT_EXPIRED);
        CHECK_EQ(result.failure, CERT_VERIFY_EXPIRED);
        CHECK_EQ(result.depth, 0);
        CHECK(strstr(err.msg, "old.example") != NULL);
        CHECK(strstr(err.msg, "expired") != NULL);
        /* at a time inside its validity it is fine */
        CHECK_OK(cert_verify_chain(store, old, NULL, time(NULL) - 2 * DAY, &result, &err), &err);

        time_t not_before = 0;
        CHECK_OK(cert_not_before(pki.leaf, &not_before, &err), &err);
        CHECK_STATUS(cert_verify_chain(store, pki.leaf, NULL, not_before - 3600, &result, &err), CRYPTO_ECERT_EXPIRED);
        CHECK_EQ(result.failure, CERT_VERIFY_NOT_YET_VALID);
        CHECK_EQ(result.depth, 0);
        CHECK_EQ(result.depth, 0);
        cert_store_free(store);
        cert_free(old);
        free_pki(&pki);
}

static void test_leaf_of_another_ca_is_untrusted(void)
{
        struct pki ours = make_pki(KEY_ALG_SM2);
        struct pki theirs = make_pki(KEY_ALG_SM2); /* same CA name, different key */
        struct cert_store *store = store_of(ours.ca);
        struct err err = {0};
        struct cert_verify_result result;
        CHECK_STATUS(cert_verify_chain(store, theirs.leaf, NULL, 0, &result, &err), CRYPTO_ECERT_UNTRUSTED);
        CHECK(result.failure == CERT_VERIFY_UNKNOWN_ISSUER || result.failure == CERT_VERIFY_BAD_SIGNATURE);
        CHECK(strstr(err.msg, "www.example.com") != NULL || strstr(err.msg, "smtrust test root") != NULL);
        /* and a self-signed certificate is trusted only when it is in the store */
        CHECK_STATUS(cert_verify_chain(store, theirs.ca, NULL, 0, &result, &err), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.failure, CERT_VERIFY_UNKNOWN_ISSUER);
        CHECK_OK(cert_verify_chain(store, ours.ca, NULL, 0, &result, &err), &err);
        cert_store_free(store);
        free_pki(&ours);
        free_pki(&theirs);
}

/* tampered copies the leaf's DER with one byte changed at offset from the end (or start). */
static struct cert *tampered(const struct cert *cert, size_t offset, bool from_end)
{
        const uint8_t *der = NULL;
        size_t len = 0;
        cert_der(cert, &der, &len);
        uint8_t *copy = malloc(len);
        CHECK(copy != NULL);
        memcpy(copy, der, len);
        copy[from_end ? len - 1 - offset : offset] ^= 0x01;
        struct cert *out = NULL;
        struct err err = {0};
        CHECK_OK(cert_parse_der(&out, copy, len, &err), &err);
        free(copy);
        return out;
}

static void check_bad_signature(const struct cert_store *store, const struct cert *cert)
{
        struct err err = {0};
        struct cert_verify_result result;
        CHECK_STATUS(cert_verify_chain(store, cert, NULL, 0, &result, &err), CRYPTO_ECERT_UNTRUSTED);
        CHECK_EQ(result.failure, CERT_VERIFY_BAD_SIGNATURE);
        CHECK(strstr(err.msg, "signature is bad") != NULL);
}

static void test_tampered_certificates_fail(void)
{
        static const enum key_alg algs[] = {KEY_ALG_SM2, KEY_ALG_EC_P256};
        for (size_t i = 0; i < 2; i++) {
                struct pki pki = make_pki(algs[i]);
                struct cert_store *store = store_of(pki.ca);
                /* the last byte of the signature's s */
                struct cert *bad = tampered(pki.leaf, 0, true);
                check_bad_signature(store, bad);
                cert_free(bad);
                /* a byte of the signed body: the last CN character of the issued subject */
                const uint8_t *der = NULL;
                size_t len = 0;
                cert_der(pki.leaf, &der, &len);
                const uint8_t *at = memmem(der, len, "www.example.com", 15);
                CHECK(at != NULL);
                bad = tampered(pki.leaf, (size_t)(at - der) + 14, false);
                check_bad_signature(store, bad);
                cert_free(bad);
                cert_store_free(store);
                free_pki(&pki);
        }
}

static void test_issued_extensions_suit_both_libraries(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct err err = {0};
        X509 *leaf = cert_x509(pki.leaf), *ca = cert_x509(pki.ca);
        /* tlcp-wire.md: no basicConstraints on a leaf; CA:TRUE critical on the CA */
        CHECK(X509_get_ext_by_NID(leaf, NID_basic_constraints, -1) < 0);
        int at = X509_get_ext_by_NID(ca, NID_basic_constraints, -1);
        CHECK(at >= 0);
        CHECK(X509_EXTENSION_get_critical(X509_get_ext(ca, at)));
        CHECK(cert_is_ca(pki.ca));
        CHECK(!cert_is_ca(pki.leaf));
        CHECK_OK(cert_check_key_usage(pki.ca, CERT_KEY_USAGE_KEY_CERT_SIGN | CERT_KEY_USAGE_CRL_SIGN, &err), &err);
        CHECK_EQ(X509_get_version(leaf), X509_VERSION_3);
        /* 16 random bytes, positive: the DER INTEGER content is exactly 16 bytes */
        CHECK_EQ(ASN1_STRING_length(X509_get0_serialNumber(leaf)), 16);
        char serial_a[CERT_SERIAL_HEX_MAX], serial_b[CERT_SERIAL_HEX_MAX];
        CHECK_OK(cert_serial_hex(pki.leaf, serial_a, sizeof serial_a, &err), &err);
        CHECK_OK(cert_serial_hex(pki.ca, serial_b, sizeof serial_b, &err), &err);
        CHECK_EQ(strlen(serial_a), 32);
        CHECK(strcmp(serial_a, serial_b) != 0);
        /* AKI of the leaf = SKI of the CA */
        const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
        CHECK(aki != NULL && ski != NULL && ASN1_OCTET_STRING_cmp(aki, ski) == 0);
        char text[CERT_NAME_TEXT_MAX];
        CHECK_OK(cert_issuer_text(pki.leaf, text, sizeof text, &err), &err);
        CHECK_STR(text, "C=CN, O=smtrust tests, CN=smtrust test root");
        CHECK_OK(cert_check_extended_usage(pki.leaf, CERT_EXTENDED_USAGE_SERVER_AUTH, &err), &err);
        free_pki(&pki);
}

static void test_wrong_key_usage(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct err err = {0};
        struct cert *enc = NULL, *plain = NULL;
        static const char *const hosts[] = {"enc.example"};
        struct cert_issue_params params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 1);
        params.key_usage = CERT_KEY_USAGE_KEY_ENCIPHERMENT;
        params.extended_usage = CERT_EXTENDED_USAGE_CLIENT_AUTH;
        CHECK_OK(cert_issue(&enc, &params, &err), &err);
        CHECK_STATUS(cert_check_key_usage(enc, CERT_KEY_USAGE_DIGITAL_SIGNATURE, &err), CRYPTO_ECERT_USAGE);
        CHECK(strstr(err.msg, "digitalSignature") != NULL && strstr(err.msg, "enc.example") != NULL);
        CHECK_OK(
            cert_check_key_usage_any(enc, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT, &err),
            &err);
        CHECK_STATUS(cert_check_extended_usage(enc, CERT_EXTENDED_USAGE_SERVER_AUTH, &err), CRYPTO_ECERT_USAGE);
        CHECK(strstr(err.msg, "serverAuth") != NULL);
        CHECK_STATUS(cert_check_key_usage(pki.leaf, CERT_KEY_USAGE_KEY_AGREEMENT, &err), CRYPTO_ECERT_USAGE);

        /* no keyUsage and no extendedKeyUsage: every usage passes (RFC 5280 4.2.1.3, 4.2.1.12) */
        params.key_usage = 0;
        params.extended_usage = 0;
        CHECK_OK(cert_issue(&plain, &params, &err), &err);
        CHECK_OK(cert_check_key_usage(plain, CERT_KEY_USAGE_DIGITAL_SIGNATURE | CERT_KEY_USAGE_KEY_AGREEMENT, &err),
                 &err);
        CHECK_OK(cert_check_extended_usage(plain, CERT_EXTENDED_USAGE_SERVER_AUTH, &err), &err);
        cert_free(plain);
        cert_free(enc);
        free_pki(&pki);
}

static void test_wildcard_and_ip_names(void)
{
        struct pki pki = make_pki(KEY_ALG_EC_P256);
        struct err err = {0};
        struct cert *cert = NULL;
        static const char *const hosts[] = {"*.example.com"};
        static const char *const ips[] = {"192.0.2.7", "2001:db8::1"};
        struct cert_issue_params params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 1);
        params.common_name = "wildcard";
        params.ip_addresses = ips;
        params.num_ip_addresses = 2;
        CHECK_OK(cert_issue(&cert, &params, &err), &err);

        CHECK_OK(cert_check_host(cert, "a.example.com", &err), &err);
        CHECK_STATUS(cert_check_host(cert, "a.b.example.com", &err), CRYPTO_ECERT_NAME);
        CHECK(strstr(err.msg, "a.b.example.com") != NULL && strstr(err.msg, "*.example.com") != NULL);
        CHECK_STATUS(cert_check_host(cert, "example.com", &err), CRYPTO_ECERT_NAME);
        CHECK_STATUS(cert_check_host(cert, "wildcard", &err), CRYPTO_ECERT_NAME); /* CN ignored: SAN present */
        CHECK_OK(cert_check_host(cert, "192.0.2.7", &err), &err);
        CHECK_OK(cert_check_host(cert, "2001:db8:0::1", &err), &err);
        CHECK_STATUS(cert_check_host(cert, "192.0.2.8", &err), CRYPTO_ECERT_NAME);

        struct cert_san sans[4];
        size_t count = 0;
        CHECK_OK(cert_san_list(cert, sans, 4, &count, &err), &err);
        CHECK_EQ(count, 3);
        CHECK_STR(sans[0].value, "*.example.com");
        CHECK_EQ(sans[1].type, CERT_SAN_IP);
        CHECK_STR(sans[1].value, "192.0.2.7");
        CHECK_STR(sans[2].value, "2001:db8::1");
        cert_free(cert);

        /* without any SAN the CN is the name (RFC 6125 6.4.4) */
        params.common_name = "cn-only.example";
        params.num_dns_names = 0;
        params.num_ip_addresses = 0;
        CHECK_OK(cert_issue(&cert, &params, &err), &err);
        CHECK_OK(cert_check_host(cert, "cn-only.example", &err), &err);
        CHECK_STATUS(cert_check_host(cert, "other.example", &err), CRYPTO_ECERT_NAME);
        CHECK(strstr(err.msg, "cn-only.example") != NULL);
        cert_free(cert);
        free_pki(&pki);
}

static void test_issue_refuses_bad_parameters(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct key *stranger = new_key(KEY_ALG_SM2);
        struct err err = {0};
        struct cert *cert = NULL;
        static const char *const hosts[] = {"x.example"};
        struct cert_issue_params params = leaf_params(pki.leaf_key, stranger, pki.ca, hosts, 1);
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL); /* key does not match the CA certificate */
        CHECK(strstr(err.msg, "does not belong") != NULL);

        params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 1);
        params.not_after = time(NULL) + (30 * 365 + 9) * DAY; /* over 30 years, the cap for roots */
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "exceeds") != NULL);
        params.not_after = time(NULL) - DAY;
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL);

        params = leaf_params(pki.leaf_key, pki.ca_key, NULL, hosts, 1);
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL); /* issuer key without its certificate */

        static const char *const bad_host[] = {"bad host"};
        params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, bad_host, 1);
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL);
        static const char *const bad_ip[] = {"300.1.1.1"};
        params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 1);
        params.ip_addresses = bad_ip;
        params.num_ip_addresses = 1;
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL);

        /* a self-signed certificate needs the subject's private key */
        struct key *public_only = NULL;
        CHECK_OK(cert_public_key(pki.leaf, &public_only, &err), &err);
        struct cert_issue_params self = {.subject_key = public_only, .common_name = "x", .not_after = time(NULL) + DAY};
        CHECK_STATUS(cert_issue(&cert, &self, &err), SMT_EINVAL);
        key_free(public_only);
        key_free(stranger);
        free_pki(&pki);
}

/* A chosen serial is the DER INTEGER's content: positive, 4..20 bytes (RFC 5280 4.1.2.2). */
static void test_issue_serial(void)
{
        struct pki pki = make_pki(KEY_ALG_SM2);
        struct err err = {0};
        struct cert *cert = NULL;
        static const char *const hosts[] = {"x.example"};
        struct cert_issue_params params;
        static const uint8_t negative[8] = {0x80, 1, 2, 3, 4, 5, 6, 7}, short_serial[3] = {1, 2, 3};
        static const uint8_t chosen[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
        params = leaf_params(pki.leaf_key, pki.ca_key, pki.ca, hosts, 1);
        params.serial = negative;
        params.serial_len = sizeof negative;
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL);
        params.serial = short_serial;
        params.serial_len = sizeof short_serial;
        CHECK_STATUS(cert_issue(&cert, &params, &err), SMT_EINVAL);
        params.serial = chosen;
        params.serial_len = sizeof chosen;
        CHECK_OK(cert_issue(&cert, &params, &err), &err);
        char serial[CERT_SERIAL_HEX_MAX];
        CHECK_OK(cert_serial_hex(cert, serial, sizeof serial, &err), &err);
        CHECK_STR(serial, "0102030405060708");
        cert_free(cert);

        free_pki(&pki);
}

/* RSA issuers sign with SHA-256 and the openssl command agrees. */
static void test_rsa_issuer(void)
{
        struct pki pki = make_pki(KEY_ALG_RSA_2048);
        struct cert_store *store = store_of(pki.ca);
        struct err err = {0};
        CHECK_OK(cert_verify_chain(store, pki.leaf, NULL, 0, NULL, &err), &err);
        CHECK_EQ(X509_get_signature_nid(cert_x509(pki.leaf)), NID_sha256WithRSAEncryption);
        CHECK_EQ(openssl_verify(&pki, false), 0);
        cert_store_free(store);
        free_pki(&pki);
}

CHECK_MAIN(CHECK_TEST(test_sm2_hierarchy_verifies_here_and_with_openssl),
           CHECK_TEST(test_p256_hierarchy_verifies_here_and_with_openssl), CHECK_TEST(test_sm2_intermediate_from_chain),
           CHECK_TEST(test_expired_and_not_yet_valid), CHECK_TEST(test_leaf_of_another_ca_is_untrusted),
           CHECK_TEST(test_tampered_certificates_fail), CHECK_TEST(test_issued_extensions_suit_both_libraries),
           CHECK_TEST(test_wrong_key_usage), CHECK_TEST(test_wildcard_and_ip_names),
           CHECK_TEST(test_issue_refuses_bad_parameters), CHECK_TEST(test_issue_serial), CHECK_TEST(test_rsa_issuer))
