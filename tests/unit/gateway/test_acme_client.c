/* tests/unit/gateway/test_acme_client.c: the pure parts of gateway/acme_client: the RFC 9773 certificate
 * identifier (the RFC's own example, certificates without an AKI, every truncation), problem documents
 * (RFC 8555 6.7), key type names, RFC 3339 times, and the refusals gw_acme_client_open makes before any
 * network traffic. Certificates are built with OpenSSL directly, independently of src/crypto/. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gateway/acme_client.h"
#include "gateway/acme_client_internal.h"

/* RFC 9773 4.1 example: keyIdentifier 69:88:5B:...:C8:D4 and serial 0x87654321 give this identifier. */
static const uint8_t rfc9773_key_id[] = {0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40, 0x41, 0xe1, 0xb3,
                                         0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4};
#define RFC9773_CERT_ID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static void add_aki(X509 *x509, const uint8_t *key_id, size_t key_id_len)
{
        AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
        aki->keyid = ASN1_OCTET_STRING_new();
        CHECK(ASN1_OCTET_STRING_set(aki->keyid, key_id, (int)key_id_len) == 1);
        CHECK(X509_add1_ext_i2d(x509, NID_authority_key_identifier, aki, 0, X509V3_ADD_DEFAULT) == 1);
        AUTHORITY_KEYID_free(aki);
}

/* A self-signed v3 certificate with a critical basicConstraints first (so a "critical" BOOLEAN is skipped
 * on the way) and, when key_id is not NULL, an AKI; returns its DER (free()). */
static uint8_t *make_cert(long serial, const uint8_t *key_id, size_t key_id_len, size_t *der_len)
{
        EVP_PKEY *pkey = EVP_EC_gen("P-256");
        X509 *x509 = X509_new();
        CHECK(pkey && x509);
        CHECK(X509_set_version(x509, 2) == 1);
        CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x509), serial) == 1);
        X509_NAME *name = X509_get_subject_name(x509);
        CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ari", -1, -1, 0) == 1);
        CHECK(X509_set_issuer_name(x509, name) == 1);
        CHECK(X509_gmtime_adj(X509_getm_notBefore(x509), 0) && X509_gmtime_adj(X509_getm_notAfter(x509), 3600));
        CHECK(X509_set_pubkey(x509, pkey) == 1);
        BASIC_CONSTRAINTS *constraints = BASIC_CONSTRAINTS_new();
        CHECK(X509_add1_ext_i2d(x509, NID_basic_constraints, constraints, 1, X509V3_ADD_DEFAULT) == 1);
        BASIC_CONSTRAINTS_free(constraints);
        if (key_id)
                add_aki(x509, key_id, key_id_len);
        CHECK(X509_sign(x509, pkey, EVP_sha256()) > 0);
        unsigned char *der = NULL;
        int len = i2d_X509(x509, &der);
        CHECK(len > 0);
        uint8_t *copy = malloc((size_t)len);
        memcpy(copy, der, (size_t)len);
        OPENSSL_free(der);
        X509_free(x509);
        EVP_PKEY_free(pkey);
        *der_len = (size_t)len;
        return copy;
}

static void cert_id_text(const uint8_t *der, size_t len, char *out, size_t cap)
{
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, (uint8_t *)out, cap - 1);
        CHECK_OK(gw_acme_cert_id(der, len, &w, &err), &err);
        out[w.len] = '\0';
}

static void test_cert_id_is_the_rfc9773_example(void)
{
        size_t len;
        uint8_t *der = make_cert(0x87654321L, rfc9773_key_id, sizeof(rfc9773_key_id), &len);
        char text[128];
        cert_id_text(der, len, text, sizeof(text));
        CHECK_STR(text, RFC9773_CERT_ID);
        free(der);
}

static void test_cert_id_keeps_a_serial_without_leading_zero(void)
{
        size_t len;
        uint8_t *der = make_cert(0x0102, rfc9773_key_id, sizeof(rfc9773_key_id), &len);
        char text[128];
        cert_id_text(der, len, text, sizeof(text));
        CHECK_STR(text, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AQI"); /* 01 02: no octet added or dropped */
        free(der);
}

static void test_cert_id_needs_an_aki(void)
{
        size_t len;
        uint8_t *der = make_cert(5, NULL, 0, &len);
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_heap(&w, 1024);
        CHECK_STATUS(gw_acme_cert_id(der, len, &w, &err), CRYPTO_ECERT);
        CHECK(strstr(err.msg, "authorityKeyIdentifier") != NULL);
        buf_writer_cleanup(&w);
        free(der);
}

static void test_cert_id_refuses_every_truncation_and_trailing_bytes(void)
{
        size_t len;
        uint8_t *der = make_cert(0x87654321L, rfc9773_key_id, sizeof(rfc9773_key_id), &len);
        uint8_t *longer = malloc(len + 1);
        memcpy(longer, der, len);
        longer[len] = 0;
        struct buf_writer w;
        buf_writer_init_heap(&w, 1024);
        for (size_t cut = 0; cut < len; cut++) {
                struct err err = {0};
                buf_writer_truncate(&w, 0);
                /* A copy of exactly cut bytes, so ASan sees any read past it. */
                uint8_t *part = malloc(cut ? cut : 1);
                memcpy(part, der, cut);
                CHECK_STATUS(gw_acme_cert_id(part, cut, &w, &err), SMT_EDECODE);
                free(part);
        }
        struct err err = {0};
        CHECK_STATUS(gw_acme_cert_id(longer, len + 1, &w, &err), SMT_EDECODE);
        buf_writer_cleanup(&w);
        free(longer);
        free(der);
}

static void test_problem_document_is_read(void)
{
        const char *body =
            "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"used already\",\"status\":400}";
        struct gw_acme_problem problem;
        struct err err = {0};
        CHECK_OK(gw_acme_problem_parse(&problem, (const uint8_t *)body, strlen(body), 400, &err), &err);
        CHECK_STR(problem.type, "urn:ietf:params:acme:error:badNonce");
        CHECK_STR(problem.detail, "used already");
        CHECK_EQ(problem.http_status, 400);
        CHECK(gw_acme_problem_is(&problem, "badNonce"));
        CHECK(!gw_acme_problem_is(&problem, "badCSR"));
        CHECK(!gw_acme_problem_is(&problem, "badNonceX"));
}

static void test_problem_without_acme_type_or_detail(void)
{
        const char *body = "{\"type\":\"about:blank\"}";
        struct gw_acme_problem problem;
        struct err err = {0};
        CHECK_OK(gw_acme_problem_parse(&problem, (const uint8_t *)body, strlen(body), 500, &err), &err);
        CHECK_STR(problem.type, "about:blank");
        CHECK_STR(problem.detail, "");
        CHECK(!gw_acme_problem_is(&problem, "blank"));
}

static void test_problem_long_detail_is_cut_and_terminated(void)
{
        char body[2048];
        char detail[1500];
        memset(detail, 'x', sizeof(detail) - 1);
        detail[sizeof(detail) - 1] = '\0';
        snprintf(body, sizeof(body), "{\"type\":\"urn:ietf:params:acme:error:malformed\",\"detail\":\"%s\"}", detail);
        struct gw_acme_problem problem;
        struct err err = {0};
        CHECK_OK(gw_acme_problem_parse(&problem, (const uint8_t *)body, strlen(body), 400, &err), &err);
        CHECK_EQ(strlen(problem.detail), sizeof(problem.detail) - 1);
}

static void test_problem_that_is_not_an_object_is_refused(void)
{
        const char *bodies[] = {"", "not json", "[1,2]", "\"text\"", "{\"type\":"};
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
                struct gw_acme_problem problem;
                struct err err = {0};
                CHECK_STATUS(gw_acme_problem_parse(&problem, (const uint8_t *)bodies[i], strlen(bodies[i]), 502, &err),
                             SMT_EDECODE);
                CHECK(strstr(err.msg, "502") != NULL);
        }
}

static void test_key_type_names(void)
{
        static const struct {
                const char *name;
                enum gw_acme_key_type type;
        } known[] = {{"ec-p256", GW_ACME_KEY_EC_P256},
                     {"ec-p384", GW_ACME_KEY_EC_P384},
                     {"rsa-2048", GW_ACME_KEY_RSA_2048},
                     {"sm2", GW_ACME_KEY_SM2},
                     {"sm2-pair", GW_ACME_KEY_SM2_PAIR}};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
                enum gw_acme_key_type type = 0;
                CHECK_EQ(gw_acme_key_type_parse(known[i].name, &type), 0);
                CHECK_EQ(type, known[i].type);
        }
        enum gw_acme_key_type type;
        CHECK_STATUS(gw_acme_key_type_parse("SM2", &type), SMT_EINVAL);
        CHECK_STATUS(gw_acme_key_type_parse("ec", &type), SMT_EINVAL);
        CHECK_STATUS(gw_acme_key_type_parse(NULL, &type), SMT_EINVAL);
}

static void test_rfc3339_times(void)
{
        time_t t = 0;
        struct err err = {0};
        CHECK_OK(gw_acme_time_parse("2000-01-01T00:00:00Z", &t, &err), &err);
        CHECK_EQ(t, 946684800); /* the well-known epoch value of 2000-01-01 UTC */
        CHECK_OK(gw_acme_time_parse("2000-01-01T00:00:01.250Z", &t, &err), &err);
        CHECK_EQ(t, 946684801);
        CHECK_STATUS(gw_acme_time_parse("2000-01-01T08:00:00+08:00", &t, &err), SMT_EDECODE);
        CHECK_STATUS(gw_acme_time_parse("2000-01-01", &t, &err), SMT_EDECODE);
        CHECK_STATUS(gw_acme_time_parse("2000-01-01T00:00:00Zjunk", &t, &err), SMT_EDECODE);
}

static void test_open_refuses_plain_http_and_a_missing_trust_file(void)
{
        struct gw_acme_client *client = NULL;
        struct err err = {0};
        struct gw_acme_client_config config = {.directory_url = "http://127.0.0.1:1/directory"};
        CHECK_STATUS(gw_acme_client_open(&client, &config, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "https://") != NULL);
        config = (struct gw_acme_client_config){.directory_url = "https://127.0.0.1:1/directory",
                                                .ca_file = "/nonexistent/roots.pem"};
        CHECK_STATUS(gw_acme_client_open(&client, &config, &err), SMT_EIO);
        CHECK(strstr(err.msg, "/nonexistent/roots.pem") != NULL);
        CHECK(client == NULL);
}

CHECK_MAIN(CHECK_TEST(test_cert_id_is_the_rfc9773_example),
           CHECK_TEST(test_cert_id_keeps_a_serial_without_leading_zero), CHECK_TEST(test_cert_id_needs_an_aki),
           CHECK_TEST(test_cert_id_refuses_every_truncation_and_trailing_bytes),
           CHECK_TEST(test_problem_document_is_read), CHECK_TEST(test_problem_without_acme_type_or_detail),
           CHECK_TEST(test_problem_long_detail_is_cut_and_terminated),
           CHECK_TEST(test_problem_that_is_not_an_object_is_refused), CHECK_TEST(test_key_type_names),
           CHECK_TEST(test_rfc3339_times), CHECK_TEST(test_open_refuses_plain_http_and_a_missing_trust_file))
