/* tests/unit/crypto/test_csr.c: PKCS#10 requests (src/crypto/csr.c, csr_create.c) cross-checked against
 * OpenSSL both ways: ours (SM2, P-256, P-384, RSA-2048) verify with OpenSSL's X509_REQ_verify (SM2 only
 * with the ID 1234567812345678 set, which shows the signature is over Z with that ID), and requests the
 * `openssl req` command makes verify with csr_verify and give back their names and usages. Tampered
 * requests fail the signature, truncated ones do not parse, MD5/SHA-1 signatures and weak keys are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/csr.h"
#include "crypto/key.h"

static struct key *new_key(enum key_alg alg)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&key, alg, &err), &err);
        return key;
}

static const char *temp_path(const char *name)
{
        static char paths[4][512];
        static int next;
        char *slot = paths[next++ % 4];
        snprintf(slot, sizeof paths[0], "%s/%s", check_temp_dir(), name);
        return slot;
}

/* run runs a shell command and returns its exit status. */
static int run(const char *command)
{
        int status = system(command);
        CHECK(status != -1);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* openssl_verify decodes der with OpenSSL and checks its self-signature there, with the SM2 ID or not. */
static int openssl_verify(const uint8_t *der, size_t len, bool with_sm2_id)
{
        const unsigned char *p = der;
        X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
        CHECK(req != NULL);
        if (with_sm2_id) {
                ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
                CHECK(id != NULL && ASN1_OCTET_STRING_set(id, (const unsigned char *)"1234567812345678", 16));
                X509_REQ_set0_distinguishing_id(req, id);
        }
        int result = X509_REQ_verify(req, X509_REQ_get0_pubkey(req));
        X509_REQ_free(req);
        ERR_clear_error();
        return result;
}

static const char *const test_hosts[] = {"www.example.com", "example.com"};
static const char *const test_ips[] = {"192.0.2.7", "2001:db8::1"};
static const char *const test_emails[] = {"admin@example.com"};

static struct csr *make_csr(const struct key *key, unsigned key_usage)
{
        struct csr_params params = {
            .key = key,
            .common_name = "www.example.com",
            .organization = "smtrust tests",
            .country = "CN",
            .dns_names = test_hosts,
            .num_dns_names = 2,
            .ip_addresses = test_ips,
            .num_ip_addresses = 2,
            .emails = test_emails,
            .num_emails = 1,
            .key_usage = key_usage,
        };
        struct csr *csr = NULL;
        struct err err = {0};
        CHECK_OK(csr_create(&csr, &params, &err), &err);
        return csr;
}

static void check_names(const struct csr *csr)
{
        struct err err = {0};
        char cn[256];
        CHECK_OK(csr_common_name(csr, cn, sizeof cn, &err), &err);
        CHECK_STR(cn, "www.example.com");
        struct cert_san sans[8];
        size_t count = 0;
        CHECK_OK(csr_san_list(csr, sans, 8, &count, &err), &err);
        CHECK_EQ(count, 5);
        static const struct {
                enum cert_san_type type;
                const char *value;
        } want[] = {
            {CERT_SAN_DNS, "www.example.com"}, {CERT_SAN_DNS, "example.com"},         {CERT_SAN_IP, "192.0.2.7"},
            {CERT_SAN_IP, "2001:db8::1"},      {CERT_SAN_EMAIL, "admin@example.com"},
        };
        for (size_t i = 0; i < 5; i++) {
                CHECK_EQ(sans[i].type, want[i].type);
                CHECK_STR(sans[i].value, want[i].value);
        }
}

static void check_round_trip(enum key_alg alg, int signature_nid)
{
        struct key *key = new_key(alg);
        struct csr *csr = make_csr(key, CERT_KEY_USAGE_DIGITAL_SIGNATURE);
        struct err err = {0};
        CHECK_OK(csr_verify(csr, &err), &err);
        check_names(csr);
        unsigned usage = 0;
        CHECK_OK(csr_requested_key_usage(csr, &usage, &err), &err);
        CHECK_EQ(usage, CERT_KEY_USAGE_DIGITAL_SIGNATURE);

        /* PEM out and in again: the same DER */
        struct buf_writer pem;
        buf_writer_init_heap(&pem, CSR_MAX * 2);
        CHECK_OK(csr_write_pem(csr, &pem, &err), &err);
        CHECK(pem.len > 40 && memcmp(pem.data, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);
        struct csr *again = NULL;
        CHECK_OK(csr_parse_pem(&again, pem.data, pem.len, &err), &err);
        const uint8_t *a = NULL, *b = NULL;
        size_t a_len = 0, b_len = 0;
        csr_der(csr, &a, &a_len);
        csr_der(again, &b, &b_len);
        CHECK_EQ(a_len, b_len);
        CHECK_MEM(a, b, a_len);
        CHECK_OK(csr_verify(again, &err), &err);

        /* the public key is the signer's */
        struct key *requested = NULL;
        uint8_t want[32], have[32];
        CHECK_OK(csr_public_key(again, &requested, &err), &err);
        CHECK_EQ(key_get_alg(requested), alg);
        CHECK(!key_is_private(requested));
        CHECK_OK(key_public_fingerprint(key, want, &err), &err);
        CHECK_OK(key_public_fingerprint(requested, have, &err), &err);
        CHECK_MEM(want, have, 32);

        /* OpenSSL agrees; an SM2 request verifies there only with the ID (GM/T 0009 §10) */
        const unsigned char *p = a;
        X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)a_len);
        CHECK(req != NULL);
        CHECK_EQ(X509_REQ_get_signature_nid(req), signature_nid);
        X509_REQ_free(req);
        CHECK_EQ(openssl_verify(a, a_len, alg == KEY_ALG_SM2), 1);
        if (alg == KEY_ALG_SM2)
                CHECK(openssl_verify(a, a_len, false) != 1);
        key_free(requested);
        csr_free(again);
        buf_writer_cleanup(&pem);
        csr_free(csr);
        key_free(key);
}

static void test_round_trip_sm2(void)
{
        check_round_trip(KEY_ALG_SM2, NID_SM2_with_SM3);
}

static void test_round_trip_p256(void)
{
        check_round_trip(KEY_ALG_EC_P256, NID_ecdsa_with_SHA256);
}

static void test_round_trip_p384(void)
{
        check_round_trip(KEY_ALG_EC_P384, NID_ecdsa_with_SHA384);
}

static void test_round_trip_rsa2048(void)
{
        check_round_trip(KEY_ALG_RSA_2048, NID_sha256WithRSAEncryption);
}

/* The encryption certificate of an SM2 pair is asked with keyEncipherment + dataEncipherment and no
 * digitalSignature (GB/T 38636 dual certificates). */
static void test_encryption_usage_asked(void)
{
        struct key *key = new_key(KEY_ALG_SM2);
        struct csr *csr = make_csr(key, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT);
        unsigned usage = 0;
        struct err err = {0};
        CHECK_OK(csr_requested_key_usage(csr, &usage, &err), &err);
        CHECK_EQ(usage, CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT);
        csr_free(csr);

        /* nothing asked: no extensionRequest entries at all */
        struct csr_params params = {.key = key, .common_name = "plain"};
        CHECK_OK(csr_create(&csr, &params, &err), &err);
        struct cert_san sans[2];
        size_t count = 9;
        CHECK_OK(csr_san_list(csr, sans, 2, &count, &err), &err);
        CHECK_EQ(count, 0);
        CHECK_OK(csr_requested_key_usage(csr, &usage, &err), &err);
        CHECK_EQ(usage, 0);
        CHECK_OK(csr_verify(csr, &err), &err);
        csr_free(csr);
        key_free(key);
}

static void save_key(const struct key *key, const char *path)
{
        struct err err = {0};
        CHECK_OK(key_save_private(key, path, KEY_FORMAT_PEM, NULL, true, &err), &err);
}

/* openssl_req makes a request with the openssl command; extra holds its signing options. */
static struct csr *openssl_req(const char *key_path, const char *extra, const char *out_name, bool der)
{
        const char *out = temp_path(out_name);
        char command[2048];
        snprintf(command, sizeof command,
                 "openssl req -new -key '%s' %s -subj '/C=CN/O=OpenSSL made/CN=first/CN=shop.example' "
                 "-addext 'subjectAltName=DNS:shop.example,DNS:*.shop.example,IP:10.1.2.3,email:a@shop.example,"
                 "URI:https://shop.example/' "
                 "-addext 'keyUsage=critical,digitalSignature,keyAgreement' %s -out '%s' 2>/dev/null",
                 key_path, extra, der ? "-outform DER" : "", out);
        CHECK_EQ(run(command), 0);
        struct csr *csr = NULL;
        struct err err = {0};
        CHECK_OK(csr_load(&csr, out, &err), &err);
        return csr;
}

static void check_openssl_made(enum key_alg alg, const char *extra, bool der)
{
        struct key *key = new_key(alg);
        const char *key_path = temp_path("openssl_req.key");
        save_key(key, key_path);
        struct csr *csr = openssl_req(key_path, extra, "openssl.csr", der);
        struct err err = {0};
        CHECK_OK(csr_verify(csr, &err), &err);
        char cn[64];
        CHECK_OK(csr_common_name(csr, cn, sizeof cn, &err), &err);
        CHECK_STR(cn, "shop.example"); /* the last CN */
        CHECK_OK(csr_subject_field(csr, CSR_SUBJECT_ORGANIZATION, cn, sizeof cn, &err), &err);
        CHECK_STR(cn, "OpenSSL made");
        CHECK_OK(csr_subject_field(csr, CSR_SUBJECT_COUNTRY, cn, sizeof cn, &err), &err);
        CHECK_STR(cn, "CN");
        CHECK_OK(csr_subject_field(csr, CSR_SUBJECT_LOCALITY, cn, sizeof cn, &err), &err);
        CHECK_STR(cn, ""); /* absent */
        struct cert_san sans[8];
        size_t count = 0;
        CHECK_OK(csr_san_list(csr, sans, 8, &count, &err), &err);
        CHECK_EQ(count, 5);
        CHECK(sans[0].type == CERT_SAN_DNS && strcmp(sans[0].value, "shop.example") == 0);
        CHECK(sans[1].type == CERT_SAN_DNS && strcmp(sans[1].value, "*.shop.example") == 0);
        CHECK(sans[2].type == CERT_SAN_IP && strcmp(sans[2].value, "10.1.2.3") == 0);
        CHECK(sans[3].type == CERT_SAN_EMAIL && strcmp(sans[3].value, "a@shop.example") == 0);
        CHECK(sans[4].type == CERT_SAN_URI && strcmp(sans[4].value, "https://shop.example/") == 0);
        unsigned usage = 0;
        CHECK_OK(csr_requested_key_usage(csr, &usage, &err), &err);
        CHECK_EQ(usage, CERT_KEY_USAGE_DIGITAL_SIGNATURE | CERT_KEY_USAGE_KEY_AGREEMENT);
        CHECK_STATUS(csr_san_list(csr, sans, 4, &count, &err), SMT_ENOSPACE);
        CHECK_STATUS(csr_common_name(csr, cn, 5, &err), SMT_ENOSPACE);
        csr_free(csr);
        key_free(key);
}

static void test_openssl_made_sm2(void)
{
        check_openssl_made(KEY_ALG_SM2, "-sm3 -sigopt distid:1234567812345678", false);
}

static void test_openssl_made_p256_der(void)
{
        check_openssl_made(KEY_ALG_EC_P256, "-sha256", true);
}

static void test_openssl_made_rsa_pss(void)
{
        check_openssl_made(KEY_ALG_RSA_2048, "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32", false);
}

/* An SM2 request signed with another ID (here OpenSSL's default, none) does not verify under ours. */
static void test_openssl_made_sm2_without_id_fails(void)
{
        struct key *key = new_key(KEY_ALG_SM2);
        const char *key_path = temp_path("sm2_no_id.key");
        save_key(key, key_path);
        struct csr *csr = openssl_req(key_path, "-sm3", "sm2_no_id.csr", false);
        struct err err = {0};
        CHECK_STATUS(csr_verify(csr, &err), CRYPTO_EVERIFY);
        csr_free(csr);
        key_free(key);
}

static struct csr *parse_copy(const uint8_t *der, size_t len)
{
        struct csr *csr = NULL;
        struct err err = {0};
        CHECK_OK(csr_parse_der(&csr, der, len, &err), &err);
        return csr;
}

/* A changed name or a changed signature byte still parses but no longer verifies. */
static void test_tampered_csr_fails_verification(void)
{
        enum key_alg algs[] = {KEY_ALG_SM2, KEY_ALG_EC_P256, KEY_ALG_RSA_2048};
        for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
                struct key *key = new_key(algs[i]);
                struct csr *csr = make_csr(key, 0);
                const uint8_t *der = NULL;
                size_t len = 0;
                csr_der(csr, &der, &len);
                uint8_t copy[4096];
                CHECK(len <= sizeof copy);
                memcpy(copy, der, len);
                uint8_t *name = memmem(copy, len, "smtrust tests", 13);
                CHECK(name != NULL);
                name[0] = 'S';
                struct csr *tampered = parse_copy(copy, len);
                struct err err = {0};
                CHECK_STATUS(csr_verify(tampered, &err), CRYPTO_EVERIFY);
                csr_free(tampered);
                name[0] = 's';
                copy[len - 5] ^= 0x01; /* inside the signature value, the last field */
                tampered = parse_copy(copy, len);
                CHECK_STATUS(csr_verify(tampered, &err), CRYPTO_EVERIFY);
                csr_free(tampered);
                csr_free(csr);
                key_free(key);
        }
}

static void test_truncated_and_malformed_refused(void)
{
        struct key *key = new_key(KEY_ALG_SM2);
        struct csr *csr = make_csr(key, 0);
        const uint8_t *der = NULL;
        size_t len = 0;
        csr_der(csr, &der, &len);
        struct csr *bad = NULL;
        struct err err = {0};
        for (size_t cut = 0; cut < len; cut += (cut < 64 || len - cut < 64) ? 1 : 37)
                CHECK_STATUS(csr_parse_der(&bad, der, cut, &err), CA_ECSR);
        uint8_t longer[4096];
        CHECK(len + 1 <= sizeof longer);
        memcpy(longer, der, len);
        longer[len] = 0;
        CHECK_STATUS(csr_parse_der(&bad, longer, len + 1, &err), CA_ECSR);
        CHECK(strstr(err.msg, "after its end") != NULL);
        static const char no_block[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        CHECK_STATUS(csr_parse_pem(&bad, (const uint8_t *)no_block, sizeof no_block - 1, &err), CA_ECSR);
        static const char not_pem[] = "hello";
        CHECK_STATUS(csr_parse_pem(&bad, (const uint8_t *)not_pem, sizeof not_pem - 1, &err), CA_ECSR);
        CHECK(strstr(err.msg, "no CERTIFICATE REQUEST") != NULL);
        const char *path = temp_path("garbage.csr");
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        fputs("garbage", f);
        fclose(f);
        CHECK_STATUS(csr_load(&bad, path, &err), CA_ECSR);
        CHECK(strstr(err.msg, "garbage.csr") != NULL);
        csr_free(csr);
        key_free(key);
}

/* MD5 and SHA-1 signatures, PKCS#1 v1.5 or PSS, are refused before any verification (CA/B BR 7.1.3.2). */
static void test_weak_hashes_refused(void)
{
        struct key *key = new_key(KEY_ALG_RSA_2048);
        const char *key_path = temp_path("weak.key");
        save_key(key, key_path);
        const char *hashes[] = {"-sha1", "-md5", "-sha1 -sigopt rsa_padding_mode:pss"}; /* PSS: RFC 4055 §3.1 */
        for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
                char command[1024];
                const char *out = temp_path("weak.csr");
                snprintf(command, sizeof command, "openssl req -new -key '%s' %s -subj /CN=weak -out '%s' 2>/dev/null",
                         key_path, hashes[i], out);
                CHECK_EQ(run(command), 0);
                struct csr *csr = NULL;
                struct err err = {0};
                CHECK_OK(csr_load(&csr, out, &err), &err);
                CHECK_STATUS(csr_verify(csr, &err), CA_ECSR);
                CHECK(strstr(err.msg, "too weak") != NULL);
                csr_free(csr);
        }
        key_free(key);
}

/* csr_public_key takes only the keys smtrust certifies. */
static void test_unaccepted_keys(void)
{
        const char *genpkey[] = {"-algorithm RSA -pkeyopt rsa_keygen_bits:1024",
                                 "-algorithm EC -pkeyopt "
                                 "ec_paramgen_curve:P-521",
                                 "-algorithm ED25519"};
        for (size_t i = 0; i < 3; i++) {
                const char *key_path = temp_path("other.key");
                const char *out = temp_path("other.csr");
                char command[1400];
                snprintf(command, sizeof command,
                         "openssl genpkey %s -out '%s' 2>/dev/null && openssl req -new -key '%s' -subj /CN=other "
                         "-out '%s' 2>/dev/null",
                         genpkey[i], key_path, key_path, out);
                CHECK_EQ(run(command), 0);
                struct csr *csr = NULL;
                struct key *key = NULL;
                struct err err = {0};
                CHECK_OK(csr_load(&csr, out, &err), &err);
                CHECK_STATUS(csr_public_key(csr, &key, &err), CRYPTO_EWRONGALG);
                const uint8_t *spki = NULL;
                size_t spki_len = 0;
                CHECK_OK(csr_public_key_der(csr, &spki, &spki_len, &err), &err);
                CHECK(spki_len > 0 && spki[0] == 0x30);
                csr_free(csr);
        }
}

static void test_create_refuses_bad_parameters(void)
{
        struct key *key = new_key(KEY_ALG_SM2);
        struct key *public_only = NULL;
        struct csr *csr = NULL;
        struct err err = {0};
        struct csr *made = make_csr(key, 0);
        CHECK_OK(csr_public_key(made, &public_only, &err), &err);
        struct csr_params params = {.key = public_only, .common_name = "x"};
        CHECK_STATUS(csr_create(&csr, &params, &err), SMT_EINVAL);
        params = (struct csr_params){.key = key};
        CHECK_STATUS(csr_create(&csr, &params, &err), SMT_EINVAL);
        static const char *const bad_host[] = {"bad host"};
        params = (struct csr_params){.key = key, .dns_names = bad_host, .num_dns_names = 1};
        CHECK_STATUS(csr_create(&csr, &params, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "bad host") != NULL);
        static const char *const bad_ip[] = {"10.0.0.256"};
        params = (struct csr_params){.key = key, .common_name = "x", .ip_addresses = bad_ip, .num_ip_addresses = 1};
        CHECK_STATUS(csr_create(&csr, &params, &err), SMT_EINVAL);
        csr_free(made);
        key_free(public_only);
        key_free(key);
}

CHECK_MAIN(CHECK_TEST(test_round_trip_sm2), CHECK_TEST(test_round_trip_p256), CHECK_TEST(test_round_trip_p384),
           CHECK_TEST(test_round_trip_rsa2048), CHECK_TEST(test_encryption_usage_asked),
           CHECK_TEST(test_openssl_made_sm2), CHECK_TEST(test_openssl_made_p256_der),
           CHECK_TEST(test_openssl_made_rsa_pss), CHECK_TEST(test_openssl_made_sm2_without_id_fails),
           CHECK_TEST(test_tampered_csr_fails_verification), CHECK_TEST(test_truncated_and_malformed_refused),
           CHECK_TEST(test_weak_hashes_refused), CHECK_TEST(test_unaccepted_keys),
           CHECK_TEST(test_create_refuses_bad_parameters))
