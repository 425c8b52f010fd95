/* tests/unit/crypto/test_tsp.c: RFC 3161 messages. Requests built by OpenSSL's TS API parse with every field;
 * ours parse back and OpenSSL reads them; each refusal carries the PKIFailureInfo bit RFC 3161 2.4.2 names
 * (read back by OpenSSL's TS_RESP decoder); every truncation fails cleanly; genTime text drops trailing zeros. */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/ts.h>

#include "tsp_fixture.h"

static void test_openssl_request_parses(void)
{
        static const struct {
                const char *md;
                enum tsp_hash hash;
        } cases[] = {{"SHA256", TSP_HASH_SHA256},
                     {"SHA384", TSP_HASH_SHA384},
                     {"SHA512", TSP_HASH_SHA512},
                     {"SM3", TSP_HASH_SM3}};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const EVP_MD *md = EVP_get_digestbyname(cases[i].md);
                CHECK(md != NULL);
                TS_REQ *x = tsp_fixture_openssl_request(md, "hello", i % 2 == 0, i == 1 ? TSP_TEST_POLICY : NULL);
                size_t len = 0;
                uint8_t *der = tsp_fixture_der(x, &len);
                struct tsp_request req;
                uint32_t failure = 99;
                struct err err = {0};
                CHECK_OK(tsp_request_parse(&req, der, len, &failure, &err), &err);
                CHECK_EQ(failure, 0);
                CHECK_EQ(req.imprint.hash, cases[i].hash);
                CHECK_EQ(req.imprint.digest_len, (size_t)EVP_MD_get_size(md));
                struct tsp_imprint want;
                CHECK_OK(tsp_imprint_make(&want, cases[i].hash, (const uint8_t *)"hello", 5, &err), &err);
                CHECK_MEM(req.imprint.digest, want.digest, want.digest_len);
                CHECK(req.has_nonce);
                CHECK_EQ(req.nonce_len, (size_t)8);
                CHECK_MEM(req.nonce, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
                CHECK_EQ(req.cert_req, i % 2 == 0);
                CHECK_EQ(req.has_policy, i == 1);
                CHECK(!req.has_extensions);
                CHECK_OK(tsp_request_accept(&req, TSP_TEST_POLICY, &failure, &err), &err);
                CHECK_STATUS(tsp_request_accept(&req, "1.2.3.4.6", &failure, &err), i == 1 ? SMT_EINVAL : SMT_OK);
                CHECK_EQ(failure, i == 1 ? TSP_FAILURE_UNACCEPTED_POLICY : 0);
                OPENSSL_free(der);
                TS_REQ_free(x);
        }
}

static void test_our_request_reads_in_openssl(void)
{
        struct err err = {0};
        struct tsp_imprint imprint;
        CHECK_OK(tsp_imprint_make(&imprint, TSP_HASH_SHA384, (const uint8_t *)"abc", 3, &err), &err);
        uint8_t nonce[TSP_NONCE_MAX];
        size_t nonce_len = 0;
        CHECK_OK(tsp_nonce_generate(nonce, &nonce_len, &err), &err);
        struct tsp_request_params params = {
            .imprint = &imprint, .policy = TSP_TEST_POLICY, .nonce = nonce, .nonce_len = nonce_len, .cert_req = true};
        struct buf_writer out;
        buf_writer_init_heap(&out, TSP_REQUEST_MAX);
        CHECK_OK(tsp_request_build(&out, &params, &err), &err);
        const unsigned char *p = out.data;
        TS_REQ *x = d2i_TS_REQ(NULL, &p, (long)out.len);
        CHECK(x != NULL && p == out.data + out.len);
        CHECK_EQ(TS_REQ_get_version(x), 1);
        CHECK_EQ(TS_REQ_get_cert_req(x), 1);
        ASN1_OCTET_STRING *msg = TS_MSG_IMPRINT_get_msg(TS_REQ_get_msg_imprint(x));
        CHECK_EQ(ASN1_STRING_length(msg), 48);
        CHECK_MEM(ASN1_STRING_get0_data(msg), imprint.digest, 48);
        char policy[64];
        CHECK(OBJ_obj2txt(policy, sizeof policy, TS_REQ_get_policy_id(x), 1) > 0);
        CHECK_STR(policy, TSP_TEST_POLICY);
        CHECK_EQ(ASN1_STRING_length(TS_REQ_get_nonce(x)), (int)nonce_len);
        CHECK_MEM(ASN1_STRING_get0_data(TS_REQ_get_nonce(x)), nonce, nonce_len);
        /* and ours reads it back */
        struct tsp_request req;
        uint32_t failure = 0;
        CHECK_OK(tsp_request_parse(&req, out.data, out.len, &failure, &err), &err);
        CHECK_EQ(req.imprint.hash, TSP_HASH_SHA384);
        CHECK(req.has_policy && req.cert_req && req.nonce_len == nonce_len);
        /* a digest of the wrong length or an unknown hash cannot be built */
        imprint.digest_len = 32;
        CHECK_STATUS(tsp_request_build(&out, &params, &err), SMT_EINVAL);
        TS_REQ_free(x);
        buf_writer_cleanup(&out);
}

/* parse_failure parses der and returns the failure info it gives (the parse must fail). */
static uint32_t parse_failure(const uint8_t *der, size_t len)
{
        struct tsp_request req;
        uint32_t failure = 0;
        struct err err = {0};
        CHECK(tsp_request_parse(&req, der, len, &failure, &err) < 0);
        CHECK(err.msg[0] != '\0');
        return failure;
}

static void test_refusals_name_the_failure(void)
{
        /* SHA-1 is not accepted: badAlg */
        TS_REQ *x = tsp_fixture_openssl_request(EVP_sha1(), "x", false, NULL);
        size_t len = 0;
        uint8_t *der = tsp_fixture_der(x, &len);
        CHECK_EQ(parse_failure(der, len), TSP_FAILURE_BAD_ALG);
        OPENSSL_free(der);
        TS_REQ_free(x);
        /* version 2: badRequest */
        x = tsp_fixture_openssl_request(EVP_sha256(), "x", false, NULL);
        CHECK(TS_REQ_set_version(x, 2) == 1);
        der = tsp_fixture_der(x, &len);
        CHECK_EQ(parse_failure(der, len), TSP_FAILURE_BAD_REQUEST);
        OPENSSL_free(der);
        /* a SHA-256 imprint of 31 bytes: badDataFormat */
        CHECK(TS_REQ_set_version(x, 1) == 1);
        CHECK(TS_MSG_IMPRINT_set_msg(TS_REQ_get_msg_imprint(x), (unsigned char *)"0123456789012345678901234567890",
                                     31) == 1);
        der = tsp_fixture_der(x, &len);
        CHECK_EQ(parse_failure(der, len), TSP_FAILURE_BAD_DATA_FORMAT);
        OPENSSL_free(der);
        TS_REQ_free(x);
        /* any extension, even a non-critical one: unacceptedExtension at accept time */
        x = tsp_fixture_openssl_request(EVP_sha256(), "x", false, NULL);
        ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
        CHECK(value != NULL && ASN1_OCTET_STRING_set(value, (const unsigned char *)"\x05\x00", 2) == 1);
        X509_EXTENSION *ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_key_identifier, 0, value);
        CHECK(ext != NULL && TS_REQ_add_ext(x, ext, -1) == 1);
        der = tsp_fixture_der(x, &len);
        struct tsp_request req;
        uint32_t failure = 0;
        struct err err = {0};
        CHECK_OK(tsp_request_parse(&req, der, len, &failure, &err), &err);
        CHECK(req.has_extensions);
        CHECK_STATUS(tsp_request_accept(&req, TSP_TEST_POLICY, &failure, &err), SMT_EINVAL);
        CHECK_EQ(failure, TSP_FAILURE_UNACCEPTED_EXTENSION);
        /* truncated at every length, and with a byte too many: badDataFormat, never a crash */
        for (size_t cut = 0; cut < len; cut++)
                CHECK_EQ(parse_failure(der, cut), TSP_FAILURE_BAD_DATA_FORMAT);
        uint8_t *longer = malloc(len + 1);
        CHECK(longer != NULL);
        memcpy(longer, der, len);
        longer[len] = 0;
        CHECK_EQ(parse_failure(longer, len + 1), TSP_FAILURE_BAD_DATA_FORMAT);
        free(longer);
        X509_EXTENSION_free(ext);
        ASN1_OCTET_STRING_free(value);
        OPENSSL_free(der);
        TS_REQ_free(x);
}

static void test_oversized_nonce_is_refused(void)
{
        TS_REQ *x = tsp_fixture_openssl_request(EVP_sha256(), "x", false, NULL);
        uint8_t big[TSP_NONCE_MAX + 1];
        memset(big, 0x5A, sizeof big);
        ASN1_INTEGER *nonce = ASN1_INTEGER_new();
        CHECK(nonce != NULL && ASN1_STRING_set(nonce, big, sizeof big) == 1);
        CHECK(TS_REQ_set_nonce(x, nonce) == 1);
        size_t len = 0;
        uint8_t *der = tsp_fixture_der(x, &len);
        CHECK_EQ(parse_failure(der, len), TSP_FAILURE_BAD_REQUEST);
        OPENSSL_free(der);
        ASN1_INTEGER_free(nonce);
        TS_REQ_free(x);
}

static void test_rejections_read_back_in_openssl(void)
{
        static const struct {
                uint32_t mask;
                int bit;
        } bits[] = {{TSP_FAILURE_BAD_ALG, TS_INFO_BAD_ALG},
                    {TSP_FAILURE_BAD_REQUEST, TS_INFO_BAD_REQUEST},
                    {TSP_FAILURE_BAD_DATA_FORMAT, TS_INFO_BAD_DATA_FORMAT},
                    {TSP_FAILURE_TIME_NOT_AVAILABLE, TS_INFO_TIME_NOT_AVAILABLE},
                    {TSP_FAILURE_UNACCEPTED_POLICY, TS_INFO_UNACCEPTED_POLICY},
                    {TSP_FAILURE_UNACCEPTED_EXTENSION, TS_INFO_UNACCEPTED_EXTENSION},
                    {TSP_FAILURE_ADD_INFO_NOT_AVAILABLE, TS_INFO_ADD_INFO_NOT_AVAILABLE},
                    {TSP_FAILURE_SYSTEM_FAILURE, TS_INFO_SYSTEM_FAILURE}};
        for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
                struct err err = {0};
                struct buf_writer out;
                buf_writer_init_heap(&out, TSP_RESPONSE_MAX);
                CHECK_OK(tsp_response_reject(&out, bits[i].mask, "refused", &err), &err);
                const unsigned char *p = out.data;
                TS_RESP *x = d2i_TS_RESP(NULL, &p, (long)out.len);
                CHECK(x != NULL && p == out.data + out.len);
                TS_STATUS_INFO *info = TS_RESP_get_status_info(x);
                CHECK_EQ(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info)), TS_STATUS_REJECTION);
                const ASN1_BIT_STRING *fail = TS_STATUS_INFO_get0_failure_info(info);
                CHECK(fail != NULL);
                for (int bit = 0; bit < 32; bit++)
                        CHECK_EQ(ASN1_BIT_STRING_get_bit(fail, bit), bit == bits[i].bit);
                CHECK(TS_RESP_get_token(x) == NULL);
                struct tsp_response resp;
                CHECK_OK(tsp_response_parse(&resp, out.data, out.len, &err), &err);
                CHECK_EQ(resp.status, TSP_STATUS_REJECTION);
                CHECK_EQ(resp.failure_info, bits[i].mask);
                CHECK_STR(resp.status_text, "refused");
                CHECK_EQ(resp.token.len, (size_t)0);
                for (size_t cut = 0; cut < out.len; cut++)
                        CHECK(tsp_response_parse(&resp, out.data, cut, &err) < 0);
                TS_RESP_free(x);
                buf_writer_cleanup(&out);
        }
}

static void test_gen_time_text(void)
{
        static const struct {
                int64_t us;
                const char *text;
        } cases[] = {{0, "19700101000000Z"},
                     {1500000, "19700101000001.5Z"},
                     {1230000, "19700101000001.23Z"},
                     {1001000, "19700101000001.001Z"},
                     {1000001, "19700101000001.000001Z"},
                     {1700000000000000, "20231114221320Z"},
                     {1700000000120000, "20231114221320.12Z"},
                     {1700000000123450, "20231114221320.12345Z"}};
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char text[TSP_TIME_TEXT_MAX];
                struct err err = {0};
                CHECK_OK(tsp_time_format(text, cases[i].us, &err), &err);
                CHECK_STR(text, cases[i].text);
                /* OpenSSL's reading of the same instant agrees */
                ASN1_GENERALIZEDTIME *t = ASN1_GENERALIZEDTIME_new();
                CHECK(t != NULL && ASN1_GENERALIZEDTIME_set_string(t, text) == 1);
                struct tm tm;
                CHECK(ASN1_TIME_to_tm(t, &tm) == 1);
                CHECK_EQ(timegm(&tm), cases[i].us / 1000000);
                ASN1_GENERALIZEDTIME_free(t);
        }
}

/* The default TSA policy is a UUID OID (X.667): its last arc is a 128-bit number. */
static void test_uuid_policy(void)
{
        static const char uuid_policy[] = "2.25.221790257517122638238211225828340011145";
        struct err err = {0};
        TS_REQ *x = tsp_fixture_openssl_request(EVP_sha256(), "x", false, uuid_policy);
        size_t len = 0;
        uint8_t *der = tsp_fixture_der(x, &len);
        struct tsp_request req;
        uint32_t failure = 0;
        CHECK_OK(tsp_request_parse(&req, der, len, &failure, &err), &err);
        CHECK_OK(tsp_request_accept(&req, uuid_policy, &failure, &err), &err);
        CHECK_STATUS(tsp_request_accept(&req, "2.25.221790257517122638238211225828340011146", &failure, &err),
                     SMT_EINVAL);
        CHECK_EQ(failure, TSP_FAILURE_UNACCEPTED_POLICY);
        char text[128];
        CHECK_OK(tsp_oid_text(text, sizeof text, req.policy, req.policy_len, &err), &err);
        CHECK_STR(text, uuid_policy);
        OPENSSL_free(der);
        TS_REQ_free(x);
}

CHECK_MAIN(CHECK_TEST(test_uuid_policy), CHECK_TEST(test_openssl_request_parses),
           CHECK_TEST(test_our_request_reads_in_openssl), CHECK_TEST(test_refusals_name_the_failure),
           CHECK_TEST(test_oversized_nonce_is_refused), CHECK_TEST(test_rejections_read_back_in_openssl),
           CHECK_TEST(test_gen_time_text))
