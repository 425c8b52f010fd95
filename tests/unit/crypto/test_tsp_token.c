/* tests/unit/crypto/test_tsp_token.c: RFC 3161 tokens. ECC and RSA tokens pass OpenSSL's
 * TS_RESP_verify_response (signature, chain, ESS, imprint, nonce) with genTime, serial, policy and accuracy as
 * the caller set them; SM2 tokens verify with ours and independently with libgcrypt's SM2 and SM3 (signature over
 * the signed attributes, messageDigest over the TSTInfo, signingCertificateV2 over the TSA certificate); any
 * changed byte, other data, another nonce, a signer without the timeStamping EKU are refused. */
#include <stdlib.h>

#include <gcrypt.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ts.h>

#include "gcrypt_sm2.h"
#include "tsp_fixture.h"

/* Tokens are dated now (the TSA certificate's validity) plus 120 ms, so genTime shows a cut fraction. */
static struct tsp_grant test_grant = {.serial = {0x80, 0x01, 0x02}, .serial_len = 3};
static char test_time_text[TSP_TIME_TEXT_MAX];

static void set_test_time(void)
{
        time_t now = time(NULL);
        struct tm tm;
        CHECK(gmtime_r(&now, &tm) != NULL);
        CHECK(strftime(test_time_text, sizeof test_time_text, "%Y%m%d%H%M%S.12Z", &tm) > 0);
        test_grant.gen_time_us = (int64_t)now * 1000000 + 120000;
}

/* grant parses req_der and signs a token for it with signer into out. */
static void grant(struct buf_writer *out, const struct tsp_signer *signer, const uint8_t *req_der, size_t req_len)
{
        struct tsp_request req;
        uint32_t failure = 0;
        struct err err = {0};
        CHECK_OK(tsp_request_parse(&req, req_der, req_len, &failure, &err), &err);
        CHECK_OK(tsp_request_accept(&req, signer->policy, &failure, &err), &err);
        buf_writer_init_heap(out, TSP_RESPONSE_MAX);
        CHECK_OK(tsp_response_grant(out, signer, &req, &test_grant, &err), &err);
}

/* verify_ours parses a reply and verifies its token against data and the nonce the fixture sends. */
static int verify_ours(const struct buf_writer *reply, const struct tsp_pki *p, const char *data,
                       const struct cert_chain *certs, struct tsp_verified *out, struct err *err)
{
        struct tsp_response resp;
        TRY(tsp_response_parse(&resp, reply->data, reply->len, err));
        if (resp.status != TSP_STATUS_GRANTED)
                return SMT_ERR(err, CRYPTO_EVERIFY, "status %d", (int)resp.status);
        static const uint8_t nonce[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
        struct tsp_verify_params params = {.data = (const uint8_t *)data,
                                           .data_len = strlen(data),
                                           .trust = p->trust,
                                           .certs = certs,
                                           .nonce = nonce,
                                           .nonce_len = sizeof nonce};
        return tsp_token_verify(out, resp.token.data, resp.token.len, &params, err);
}

static void check_ecc(enum key_alg alg)
{
        struct tsp_pki p;
        struct err err = {0};
        tsp_pki_make(&p, alg);
        set_test_time();
        struct tsp_signer signer = tsp_fixture_signer(&p, false);
        TS_REQ *x_req = tsp_fixture_openssl_request(EVP_sha256(), "document", true, NULL);
        size_t req_len = 0;
        uint8_t *req_der = tsp_fixture_der(x_req, &req_len);
        struct buf_writer out;
        grant(&out, &signer, req_der, req_len);
        const unsigned char *q = out.data;
        TS_RESP *x_resp = d2i_TS_RESP(NULL, &q, (long)out.len);
        CHECK(x_resp != NULL && q == out.data + out.len);
        /* OpenSSL checks everything the request asked for: imprint, nonce, signature and chain to the root */
        TS_VERIFY_CTX *ctx = TS_REQ_to_TS_VERIFY_CTX(x_req, NULL);
        X509_STORE *store = X509_STORE_new();
        CHECK(ctx != NULL && store != NULL && X509_STORE_add_cert(store, cert_x509(p.root)) == 1);
        TS_VERIFY_CTX_set_store(ctx, store);
        CHECK_EQ(TS_RESP_verify_response(ctx, x_resp), 1);
        TS_TST_INFO *info = TS_RESP_get_tst_info(x_resp);
        CHECK_STR((const char *)ASN1_STRING_get0_data(TS_TST_INFO_get_time(info)), test_time_text);
        CHECK_EQ(ASN1_INTEGER_get(TS_TST_INFO_get_serial(info)), 0x800102);
        char policy[64];
        CHECK(OBJ_obj2txt(policy, sizeof policy, TS_TST_INFO_get_policy_id(info), 1) > 0);
        CHECK_STR(policy, TSP_TEST_POLICY);
        TS_ACCURACY *accuracy = TS_TST_INFO_get_accuracy(info);
        CHECK(accuracy != NULL && ASN1_INTEGER_get(TS_ACCURACY_get_seconds(accuracy)) == 1 &&
              ASN1_INTEGER_get(TS_ACCURACY_get_millis(accuracy)) == 500);
        /* ours agrees, and refuses other data */
        struct tsp_verified v;
        CHECK_OK(verify_ours(&out, &p, "document", NULL, &v, &err), &err);
        CHECK(!v.is_sm2);
        CHECK_EQ(v.info.gen_time_us, test_grant.gen_time_us);
        CHECK(strstr(v.tsa_subject, "TSP Test TSA") != NULL);
        CHECK_STATUS(verify_ours(&out, &p, "documenT", NULL, &v, &err), CRYPTO_EVERIFY);
        TS_VERIFY_CTX_free(ctx);
        TS_RESP_free(x_resp);
        buf_writer_cleanup(&out);
        /* OpenSSL's TS_RESP_CTX refuses to sign with a certificate without the timeStamping EKU */
        signer = tsp_fixture_signer(&p, true);
        struct tsp_request req;
        uint32_t failure = 0;
        CHECK_OK(tsp_request_parse(&req, req_der, req_len, &failure, &err), &err);
        buf_writer_init_heap(&out, TSP_RESPONSE_MAX);
        CHECK_STATUS(tsp_response_grant(&out, &signer, &req, &test_grant, &err), CRYPTO_EOPENSSL);
        buf_writer_cleanup(&out);
        OPENSSL_free(req_der);
        TS_REQ_free(x_req);
        tsp_pki_free(&p);
}

static void test_ecc_and_rsa_tokens_verify_in_openssl(void)
{
        check_ecc(KEY_ALG_EC_P256);
        check_ecc(KEY_ALG_RSA_2048);
}

/* check_sm2_with_gcrypt re-checks the token's SM2 signature, its messageDigest and its ESSCertIDv2 with libgcrypt. */
static void check_sm2_with_gcrypt(const struct buf_writer *reply, const struct tsp_pki *p)
{
        struct tsp_response resp;
        struct cms_signed_data sd;
        struct err err = {0};
        CHECK_OK(tsp_response_parse(&resp, reply->data, reply->len, &err), &err);
        CHECK_OK(cms_parse(&sd, resp.token.data, resp.token.len, &err), &err);
        CHECK(cms_oid_is(&sd.content_type, CMS_OID_TST_INFO));
        CHECK_EQ(sd.version, 3); /* RFC 5652 5.1: content other than data */
        /* the signature covers the signed attributes re-tagged as a SET (RFC 5652 5.4) */
        size_t n = sd.signed_attrs.len, head = n < 128 ? 2 : n < 256 ? 3 : 4, set_len = head + n;
        uint8_t *set = malloc(set_len);
        CHECK(set != NULL && n < 65536);
        set[0] = 0x31; /* X.690 8.1.3: short form below 128, else 0x81 / 0x82 and the length's octets */
        if (head == 2)
                set[1] = (uint8_t)n;
        else if (head == 3)
                set[1] = 0x81, set[2] = (uint8_t)n;
        else
                set[1] = 0x82, set[2] = (uint8_t)(n >> 8), set[3] = (uint8_t)n;
        memcpy(set + head, sd.signed_attrs.data, n);
        CHECK(gcrypt_sm2_verify(p->tsa, set, set_len, sd.signature.data, sd.signature.len));
        set[set_len - 1] ^= 1;
        CHECK(!gcrypt_sm2_verify(p->tsa, set, set_len, sd.signature.data, sd.signature.len));
        CHECK(!gcrypt_sm2_verify(p->root, set, set_len - 0, sd.signature.data, sd.signature.len));
        free(set);
        /* messageDigest is SM3 of the TSTInfo, computed by libgcrypt */
        uint8_t digest[32];
        gcry_md_hash_buffer(GCRY_MD_SM3, digest, sd.content.data, sd.content.len);
        CHECK_EQ(sd.attr_message_digest.len, (size_t)32);
        CHECK_MEM(sd.attr_message_digest.data, digest, 32);
        /* signingCertificateV2 holds SM3 of the TSA certificate (RFC 5816 with SM3 as hashAlgorithm) */
        const struct cms_parsed_attribute *ess = cms_attribute_lookup(&sd, CMS_OID_SIGNING_CERTIFICATE_V2);
        CHECK(ess != NULL);
        const uint8_t *der = NULL;
        size_t der_len = 0;
        cert_der(p->tsa, &der, &der_len);
        gcry_md_hash_buffer(GCRY_MD_SM3, digest, der, der_len);
        CHECK(memmem(ess->values.data, ess->values.len, digest, 32) != NULL);
}

static void test_sm2_token(void)
{
        struct tsp_pki p;
        struct err err = {0};
        tsp_pki_make(&p, KEY_ALG_SM2);
        set_test_time();
        struct tsp_signer signer = tsp_fixture_signer(&p, false);
        TS_REQ *x_req = tsp_fixture_openssl_request(EVP_sm3(), "contract", true, NULL);
        size_t req_len = 0;
        uint8_t *req_der = tsp_fixture_der(x_req, &req_len);
        struct buf_writer out;
        grant(&out, &signer, req_der, req_len);
        struct tsp_verified v;
        CHECK_OK(verify_ours(&out, &p, "contract", NULL, &v, &err), &err);
        CHECK(v.is_sm2);
        CHECK_STR(v.info.gen_time_text, test_time_text);
        CHECK_EQ(v.info.serial_len, (size_t)4); /* 0x00 0x80 0x01 0x02: positive */
        CHECK_EQ(v.info.accuracy_seconds, 1);
        CHECK_EQ(v.info.accuracy_millis, 500);
        CHECK(v.info.tsa_name.len > 0);
        CHECK(strstr(v.tsa_subject, "TSP Test TSA") != NULL);
        check_sm2_with_gcrypt(&out, &p);
        CHECK_STATUS(verify_ours(&out, &p, "Contract", NULL, &v, &err), CRYPTO_EVERIFY);
        /* every byte counts but those of the embedded root, which the trusted copy stands in for */
        const uint8_t *root_der = NULL;
        size_t root_len = 0;
        cert_der(p.root, &root_der, &root_len);
        const uint8_t *root_copy = memmem(out.data, out.len, root_der, root_len);
        CHECK(root_copy != NULL);
        for (size_t i = 0; i < out.len; i++) {
                if (out.data + i >= root_copy && out.data + i < root_copy + root_len)
                        continue;
                out.data[i] ^= 0x04;
                CHECK(verify_ours(&out, &p, "contract", NULL, &v, &err) < 0);
                out.data[i] ^= 0x04;
        }
        for (size_t cut = 0; cut < out.len; cut++)
                CHECK(verify_ours(&(struct buf_writer){.data = out.data, .len = cut}, &p, "contract", NULL, &v, &err) <
                      0);
        buf_writer_cleanup(&out);
        /* without the EKU the token is refused */
        signer = tsp_fixture_signer(&p, true);
        grant(&out, &signer, req_der, req_len);
        CHECK_STATUS(verify_ours(&out, &p, "contract", NULL, &v, &err), CRYPTO_ECERT_USAGE);
        buf_writer_cleanup(&out);
        OPENSSL_free(req_der);
        TS_REQ_free(x_req);
        tsp_pki_free(&p);
}

static void test_sm2_token_without_certificates(void)
{
        struct tsp_pki p;
        struct err err = {0};
        tsp_pki_make(&p, KEY_ALG_SM2);
        set_test_time();
        struct tsp_signer signer = tsp_fixture_signer(&p, false);
        TS_REQ *x_req = tsp_fixture_openssl_request(EVP_sha256(), "contract", false, NULL);
        size_t req_len = 0;
        uint8_t *req_der = tsp_fixture_der(x_req, &req_len);
        struct buf_writer out;
        grant(&out, &signer, req_der, req_len);
        struct tsp_response resp;
        struct cms_signed_data sd;
        CHECK_OK(tsp_response_parse(&resp, out.data, out.len, &err), &err);
        CHECK_OK(cms_parse(&sd, resp.token.data, resp.token.len, &err), &err);
        CHECK_EQ(sd.num_certificates, (size_t)0); /* RFC 3161 2.4.1: certReq false */
        struct tsp_verified v;
        CHECK_STATUS(verify_ours(&out, &p, "contract", NULL, &v, &err), CRYPTO_ECERT);
        struct cert_chain *certs = NULL;
        struct cert *copy = NULL;
        CHECK_OK(cert_chain_new(&certs, &err), &err);
        CHECK_OK(cert_dup(&copy, p.tsa, &err), &err);
        CHECK_OK(cert_chain_append(certs, copy, &err), &err);
        CHECK_OK(verify_ours(&out, &p, "contract", certs, &v, &err), &err);
        CHECK_EQ(v.info.imprint.hash, TSP_HASH_SHA256);
        check_sm2_with_gcrypt(&out, &p);
        cert_chain_free(certs);
        buf_writer_cleanup(&out);
        OPENSSL_free(req_der);
        TS_REQ_free(x_req);
        tsp_pki_free(&p);
}

CHECK_MAIN(CHECK_TEST(test_ecc_and_rsa_tokens_verify_in_openssl), CHECK_TEST(test_sm2_token),
           CHECK_TEST(test_sm2_token_without_certificates))
