/* tests/unit/crypto/test_cert_aki.c: cert_authority_key_id reads what OpenSSL reads as the issuer's
 * subjectKeyIdentifier, and refuses a certificate without one or a buffer too small. */
#include <string.h>

#include <openssl/x509v3.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"

static void test_leaf_names_its_issuer_key(void)
{
        struct key *root_key = NULL, *leaf_key = NULL;
        struct cert *root = NULL, *leaf = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&root_key, KEY_ALG_SM2, &err), &err);
        CHECK_OK(key_generate(&leaf_key, KEY_ALG_EC_P256, &err), &err);
        struct cert_issue_params params = {.subject_key = root_key, .common_name = "AKI Root",
                                           .not_after = time(NULL) + 86400, .is_ca = true};
        CHECK_OK(cert_issue(&root, &params, &err), &err);
        params = (struct cert_issue_params){.subject_key = leaf_key, .issuer_key = root_key, .issuer_cert = root,
                                            .common_name = "leaf", .not_after = time(NULL) + 3600};
        CHECK_OK(cert_issue(&leaf, &params, &err), &err);
        uint8_t id[64];
        size_t len = 0;
        CHECK_OK(cert_authority_key_id(leaf, id, sizeof(id), &len, &err), &err);
        const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert_x509(root));
        CHECK(ski != NULL);
        CHECK_EQ(len, (size_t)ASN1_STRING_length(ski));
        CHECK_MEM(id, ASN1_STRING_get0_data(ski), len);
        CHECK_STATUS(cert_authority_key_id(leaf, id, len - 1, &len, &err), SMT_ENOSPACE);
        cert_free(leaf);
        cert_free(root);
        key_free(leaf_key);
        key_free(root_key);
}

static void test_no_authority_key_id(void)
{
        /* A certificate made by OpenSSL without extensions has no AKI. */
        EVP_PKEY *pkey = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        CHECK(pkey != NULL && x != NULL);
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"bare", -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(x));
        X509_set_pubkey(x, pkey);
        CHECK(X509_sign(x, pkey, EVP_sha256()) > 0);
        struct cert *cert = NULL;
        struct err err = {0};
        CHECK_OK(cert_wrap(&cert, x, &err), &err);
        uint8_t id[64];
        size_t len = 0;
        CHECK_STATUS(cert_authority_key_id(cert, id, sizeof(id), &len, &err), CRYPTO_ECERT);
        cert_free(cert);
        EVP_PKEY_free(pkey);
}

CHECK_MAIN(CHECK_TEST(test_leaf_names_its_issuer_key), CHECK_TEST(test_no_authority_key_id))
