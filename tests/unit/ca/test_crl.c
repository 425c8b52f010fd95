/* tests/unit/ca/test_crl.c: CRLs (crypto/crl.h, ca/crl.h, ca/crl_cache.h). What crl_sign writes is read
 * back with OpenSSL's own parser (version, issuer, entries, reasons, dates, AKI, cRLNumber); ECC CRL
 * signatures are checked with X509_CRL_verify directly, SM2 ones with crl_verify, which must refuse any
 * changed byte and another issuer. Then the CA side: a CA's CRL from the store lists exactly its revoked
 * certificates, numbers grow, and a cache sees a revocation within a second of ca_revocation_notify. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/authority.h"
#include "ca/config.h"
#include "ca/config_internal.h"
#include "ca/crl.h"
#include "ca/crl_cache.h"
#include "ca/revocation.h"
#include "ca/store.h"
#include "check.h"
#include "crypto/crl.h"
#include "store_fixture.h"

struct test_issuer {
        struct key *key;
        struct cert *cert;
};

static void test_issuer_make(struct test_issuer *out, enum key_alg alg, const char *name)
{
        struct err err = {0};
        CHECK_OK(key_generate(&out->key, alg, &err), &err);
        struct cert_issue_params params = {
            .subject_key = out->key, .common_name = name, .organization = "CRL Test", .is_ca = true,
            .not_after = time(NULL) + 86400};
        CHECK_OK(cert_issue(&out->cert, &params, &err), &err);
}

static void test_issuer_free(struct test_issuer *issuer)
{
        cert_free(issuer->cert);
        key_free(issuer->key);
}

static const struct crl_entry test_entries[] = {
    {.serial_hex = "7f01020304050607", .revoked_at = 1700000000, .reason = 1},  /* keyCompromise */
    {.serial_hex = "01aa", .revoked_at = 1700000100, .reason = 0},              /* unspecified */
    {.serial_hex = "5bcdef0123456789abcdef", .revoked_at = 1700000200, .reason = 4}, /* superseded */
};

static void test_sign(uint8_t **der, size_t *len, const struct test_issuer *issuer, uint64_t number)
{
        struct err err = {0};
        struct crl_params params = {.issuer_cert = issuer->cert, .issuer_key = issuer->key,
                                    .this_update = 1800000000, .next_update = 1800086400, .number = number,
                                    .entries = test_entries, .num_entries = 3};
        CHECK_OK(crl_sign(der, len, &params, &err), &err);
}

static X509_CRL *test_parse(const uint8_t *der, size_t len)
{
        const unsigned char *p = der;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        CHECK(crl != NULL && p == der + len);
        return crl;
}

static const X509_REVOKED *test_find(X509_CRL *crl, const char *hex)
{
        BIGNUM *want = NULL;
        CHECK(BN_hex2bn(&want, hex) > 0);
        const X509_REVOKED *found = NULL;
        STACK_OF(X509_REVOKED) *all = X509_CRL_get_REVOKED(crl);
        for (int i = 0; i < sk_X509_REVOKED_num(all); i++) {
                BIGNUM *have = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(all, i)), NULL);
                if (BN_cmp(have, want) == 0)
                        found = sk_X509_REVOKED_value(all, i);
                BN_free(have);
        }
        BN_free(want);
        return found;
}

static int test_reason(const X509_REVOKED *entry)
{
        ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
        int reason = code != NULL ? (int)ASN1_ENUMERATED_get(code) : -1;
        ASN1_ENUMERATED_free(code);
        return reason;
}

/* Every field RFC 5280 5.1 asks for, read back with OpenSSL's parser. */
static void test_fields(void)
{
        struct test_issuer issuer;
        test_issuer_make(&issuer, KEY_ALG_EC_P256, "CRL Test ECC CA");
        uint8_t *der = NULL;
        size_t len = 0;
        test_sign(&der, &len, &issuer, 1234567890123);
        X509_CRL *crl = test_parse(der, len);
        CHECK_EQ(X509_CRL_get_version(crl), 1); /* v2 */
        CHECK_EQ(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(cert_x509(issuer.cert))), 0);
        CHECK_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl), 1800000000), 0);
        CHECK_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl), 1800086400), 0);
        CHECK_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 3);
        const X509_REVOKED *key_compromise = test_find(crl, "7f01020304050607");
        const X509_REVOKED *unspecified = test_find(crl, "01aa");
        const X509_REVOKED *superseded = test_find(crl, "5bcdef0123456789abcdef");
        CHECK(key_compromise != NULL && unspecified != NULL && superseded != NULL);
        CHECK_EQ(test_reason(key_compromise), 1);
        CHECK_EQ(test_reason(unspecified), -1); /* RFC 5280 5.3.1: absent rather than unspecified */
        CHECK_EQ(X509_REVOKED_get_ext_count(unspecified), 0);
        CHECK_EQ(test_reason(superseded), 4);
        CHECK_EQ(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(key_compromise), 1700000000), 0);
        CHECK_EQ(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(superseded), 1700000200), 0);
        ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
        uint64_t value = 0;
        CHECK(number != NULL && ASN1_INTEGER_get_uint64(&value, number) == 1);
        CHECK_EQ(value, 1234567890123ULL);
        ASN1_INTEGER_free(number);
        AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
        CHECK(aki != NULL && aki->keyid != NULL);
        CHECK_EQ(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(cert_x509(issuer.cert))), 0);
        AUTHORITY_KEYID_free(aki);
        /* Our own reader agrees. */
        struct crl_info info;
        struct err err = {0};
        CHECK_OK(crl_info_read(&info, der, len, &err), &err);
        CHECK(info.has_number && info.number == 1234567890123ULL && info.num_entries == 3);
        CHECK_EQ(info.this_update, 1800000000);
        bool found = false;
        int reason = -1;
        int64_t at = 0;
        CHECK_OK(crl_entry_lookup(der, len, "5BCDEF0123456789ABCDEF", &found, &reason, &at, &err), &err);
        CHECK(found && reason == 4 && at == 1700000200);
        CHECK_OK(crl_entry_lookup(der, len, "02aa", &found, &reason, &at, &err), &err);
        CHECK(!found);
        X509_CRL_free(crl);
        free(der);
        test_issuer_free(&issuer);
}

/* ECC CRLs: OpenSSL's X509_CRL_verify, independent of our code, accepts the signature and refuses a
 * changed one; P-384 CAs sign with SHA-384. */
static void test_ecc_signature(void)
{
        const enum key_alg algs[] = {KEY_ALG_EC_P256, KEY_ALG_EC_P384, KEY_ALG_RSA_2048};
        const int nids[] = {NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384, NID_sha256WithRSAEncryption};
        for (size_t i = 0; i < 3; i++) {
                struct test_issuer issuer;
                test_issuer_make(&issuer, algs[i], "CRL Test CA");
                uint8_t *der = NULL;
                size_t len = 0;
                struct err err = {0};
                test_sign(&der, &len, &issuer, 1);
                X509_CRL *crl = test_parse(der, len);
                CHECK_EQ(X509_CRL_get_signature_nid(crl), nids[i]);
                CHECK_EQ(X509_CRL_verify(crl, X509_get0_pubkey(cert_x509(issuer.cert))), 1);
                CHECK_OK(crl_verify(der, len, issuer.cert, &err), &err);
                X509_CRL_free(crl);
                der[len - 3] ^= 0x40; /* inside the signature value */
                crl = test_parse(der, len);
                CHECK(X509_CRL_verify(crl, X509_get0_pubkey(cert_x509(issuer.cert))) != 1);
                CHECK(crl_verify(der, len, issuer.cert, &err) < 0);
                X509_CRL_free(crl);
                free(der);
                test_issuer_free(&issuer);
        }
}

/* SM2: SM2-with-SM3 under the default ID verifies with crl_verify; any byte changed, or another issuer
 * (same name, another key), fails. */
static void test_sm2_signature(void)
{
        struct test_issuer issuer, other;
        test_issuer_make(&issuer, KEY_ALG_SM2, "CRL Test SM2 CA");
        test_issuer_make(&other, KEY_ALG_SM2, "CRL Test SM2 CA");
        uint8_t *der = NULL;
        size_t len = 0;
        struct err err = {0};
        test_sign(&der, &len, &issuer, 7);
        X509_CRL *crl = test_parse(der, len);
        CHECK_EQ(X509_CRL_get_signature_nid(crl), NID_SM2_with_SM3);
        X509_CRL_free(crl);
        CHECK_OK(crl_verify(der, len, issuer.cert, &err), &err);
        CHECK_STATUS(crl_verify(der, len, other.cert, &err), CRYPTO_EVERIFY);
        for (size_t i = 0; i < len; i++) {
                der[i] ^= 0x01;
                CHECK(crl_verify(der, len, issuer.cert, &err) < 0);
                der[i] ^= 0x01;
        }
        CHECK_OK(crl_verify(der, len, issuer.cert, &err), &err);
        free(der);
        test_issuer_free(&issuer);
        test_issuer_free(&other);
}

static void test_refusals(void)
{
        struct test_issuer issuer, other;
        test_issuer_make(&issuer, KEY_ALG_EC_P256, "CRL Test ECC CA");
        test_issuer_make(&other, KEY_ALG_EC_P256, "CRL Test ECC CA");
        uint8_t *der = NULL;
        size_t len = 0;
        struct err err = {0};
        struct crl_entry entry = {.serial_hex = "01", .revoked_at = 1, .reason = 7};
        struct crl_params params = {.issuer_cert = issuer.cert, .issuer_key = issuer.key, .this_update = 10,
                                    .next_update = 20, .number = 1, .entries = &entry, .num_entries = 1};
        CHECK_STATUS(crl_sign(&der, &len, &params, &err), SMT_EINVAL); /* reason 7 is not used */
        entry.reason = 1;
        entry.serial_hex = "12zz";
        CHECK_STATUS(crl_sign(&der, &len, &params, &err), SMT_EINVAL);
        entry.serial_hex = "12";
        params.next_update = 10;
        CHECK_STATUS(crl_sign(&der, &len, &params, &err), SMT_EINVAL);
        params.next_update = 20;
        params.issuer_key = other.key;
        CHECK_STATUS(crl_sign(&der, &len, &params, &err), SMT_EINVAL);
        const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
        CHECK_STATUS(crl_verify(junk, sizeof junk, issuer.cert, &err), CRYPTO_ECERT);
        struct crl_info info;
        CHECK_STATUS(crl_info_read(&info, junk, sizeof junk, &err), CRYPTO_ECERT);
        test_issuer_free(&issuer);
        test_issuer_free(&other);
}

/* --- the CA side --- */

static const char test_yaml[] = "organization: CRL Test\n"
                                "state_dir: state\n"
                                "listen: 127.0.0.1:14000\n"
                                "base_url: https://127.0.0.1:14000\n"
                                "ecc_root: {algorithm: ec-p256}\n"
                                "issuing_cas:\n"
                                "  - {name: sm2-dv, kind: ssl-sm2-dv, common_name: CRL Test SM2 DV}\n"
                                "  - {name: ecc-dv, kind: ssl-ecc-dv, common_name: CRL Test ECC DV}\n"
                                "revocation: {crl_interval: 1h, crl_validity: 2h}\n";

static struct ca_config test_config;
static struct ca_authorities *test_cas;

static struct store *test_ca_fixture(void)
{
        struct config_errors *errors = calloc(1, sizeof *errors);
        struct ca_init_report report;
        struct err err = {0};
        CHECK_EQ(ca_config_load_string(&test_config, "ca.yaml", test_yaml, strlen(test_yaml), check_temp_dir(), errors),
                 0);
        free(errors);
        CHECK_EQ(test_config.revocation.crl_validity, 2 * 3600 * 1000);
        CHECK_OK(ca_init(&test_config, &report, &err), &err);
        CHECK_OK(ca_authorities_load(&test_cas, &test_config, &err), &err);
        struct store *store = store_fixture_open(2);
        struct store_cert cert;
        const char *serials[] = {"0a01", "0a02", "0a03", "0b01"};
        for (size_t i = 0; i < 4; i++) {
                store_fixture_cert(&cert, serials[i], "x.example", i < 3 ? "sm2-dv" : "ecc-dv", 1000, 4000000000);
                CHECK_OK(store_cert_insert(store, &cert, &err), &err);
        }
        CHECK_OK(store_cert_revoke(store, "0a01", 1, 5000, &err), &err);
        CHECK_OK(store_cert_revoke(store, "0a03", 0, 6000, &err), &err);
        CHECK_OK(store_cert_revoke(store, "0b01", 5, 7000, &err), &err);
        return store;
}

static void test_ca_crl_and_cache(void)
{
        struct store *store = test_ca_fixture();
        const struct ca_authority *sm2 = ca_authorities_find(test_cas, "sm2-dv");
        struct err err = {0};
        struct ca_crl first, second;
        CHECK_OK(ca_crl_make(&first, sm2, store, 1800000000000, 3600000, 0, &err), &err);
        CHECK_OK(crl_verify(first.der, first.der_len, ca_authority_cert(sm2), &err), &err);
        struct crl_info info;
        CHECK_OK(crl_info_read(&info, first.der, first.der_len, &err), &err);
        CHECK_EQ(info.num_entries, 2); /* 0a01 and 0a03; not the valid 0a02 nor the other CA's 0b01 */
        CHECK_EQ(info.number, 1800000000000ULL);
        CHECK_EQ(info.next_update - info.this_update, 3600);
        bool found = false;
        int reason = -1;
        int64_t at = 0;
        CHECK_OK(crl_entry_lookup(first.der, first.der_len, "0a01", &found, &reason, &at, &err), &err);
        CHECK(found && reason == 1 && at == 5000);
        CHECK_OK(crl_entry_lookup(first.der, first.der_len, "0b01", &found, &reason, &at, &err), &err);
        CHECK(!found);
        /* A clock that steps back does not lower the number. */
        CHECK_OK(ca_crl_make(&second, sm2, store, 1700000000000, 3600000, first.number + 1, &err), &err);
        CHECK(second.number > first.number);
        ca_crl_cleanup(&first);
        ca_crl_cleanup(&second);

        struct ca_crl_cache *cache = NULL;
        CHECK_OK(ca_crl_cache_start(&cache, &test_config, store, test_cas, &err), &err);
        CHECK_OK(ca_crl_cache_get(cache, "sm2-dv", &first, &err), &err);
        CHECK_STATUS(ca_crl_cache_get(cache, "no-such-ca", &second, &err), CA_ENOT_FOUND);
        CHECK_OK(store_cert_revoke(store, "0a02", 4, 8000, &err), &err);
        ca_revocation_notify(store, "0a02");
        struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
        found = false;
        for (int i = 0; i < 50 && !found; i++) { /* 1 s at most */
                nanosleep(&pause, NULL);
                CHECK_OK(ca_crl_cache_get(cache, "sm2-dv", &second, &err), &err);
                CHECK_OK(crl_entry_lookup(second.der, second.der_len, "0a02", &found, &reason, &at, &err), &err);
                if (found)
                        CHECK(second.number > first.number);
                ca_crl_cleanup(&second);
        }
        CHECK(found);
        ca_crl_cleanup(&first);
        ca_crl_cache_stop(cache);
        store_close(store);
        ca_authorities_free(test_cas);
        ca_config_free(&test_config);
}

CHECK_MAIN(CHECK_TEST(test_fields), CHECK_TEST(test_ecc_signature), CHECK_TEST(test_sm2_signature),
           CHECK_TEST(test_refusals), CHECK_TEST(test_ca_crl_and_cache))
