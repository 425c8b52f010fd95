/* tests/unit/crypto/test_ocsp_response.c: OCSP responses (RFC 6960 4.2) both ways with OpenSSL: ours (ECC, RSA)
 * verify with OCSP_basic_verify and read back good / revoked / unknown with the nonce echoed; OpenSSL's
 * (OCSP_basic_sign) verify with ours; SM2 responses round-trip, verify with libgcrypt's SM2, and fail when any
 * byte changes; responders that may not sign, stale responses and wrong nonces are refused. */
#include <stdlib.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "gcrypt_sm2.h"
#include "ocsp_fixture.h"

/* build_three signs good (leaf), revoked (responder cert) and unknown (root, self) answers with nonce. */
static void build_three(struct buf_writer *out, struct ocsp_pki *p, const struct ocsp_signer *signer,
                        const uint8_t *nonce, size_t nonce_len)
{
        struct err err = {0};
        struct ocsp_single singles[3];
        ocsp_fixture_single(&singles[0], p->leaf, p->root, OCSP_HASH_SHA1, OCSP_CERT_GOOD);
        ocsp_fixture_single(&singles[1], p->responder, p->root, OCSP_HASH_SHA256, OCSP_CERT_REVOKED);
        ocsp_fixture_single(&singles[2], p->root, p->root, OCSP_HASH_SHA1, OCSP_CERT_UNKNOWN);
        buf_writer_init_heap(out, OCSP_RESPONSE_MAX);
        CHECK_OK(ocsp_response_build(out, signer, time(NULL), singles, 3, nonce, nonce_len, &err), &err);
}

static void check_openssl_status(OCSP_BASICRESP *bs, const struct cert *c, const struct cert *issuer,
                                 const EVP_MD *md, int expect_status, int expect_reason)
{
        OCSP_CERTID *id = ocsp_fixture_x509_id(c, issuer, md);
        int status = -1, reason = -2;
        ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
        CHECK_EQ(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd), 1);
        CHECK_EQ(status, expect_status);
        if (expect_status == V_OCSP_CERTSTATUS_REVOKED) /* OpenSSL sets the reason only then */
                CHECK_EQ(reason, expect_reason);
        CHECK_EQ(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
        OCSP_CERTID_free(id);
}

static void check_ours_in_openssl(enum key_alg alg, bool issuer_signs)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, alg);
        /* the request, and its nonce, come from OpenSSL */
        OCSP_REQUEST *x_req = OCSP_REQUEST_new();
        CHECK(x_req != NULL && OCSP_request_add0_id(x_req, ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1())) != NULL);
        CHECK_EQ(OCSP_request_add1_nonce(x_req, NULL, -1), 1);
        uint8_t *req_der = NULL;
        int req_len = i2d_OCSP_REQUEST(x_req, &req_der);
        struct ocsp_request req;
        CHECK_OK(ocsp_request_parse(&req, req_der, (size_t)req_len, &err), &err);
        struct ocsp_signer signer = {.cert = issuer_signs ? p.root : p.responder,
                                     .key = issuer_signs ? p.root_key : p.responder_key, .omit_cert = issuer_signs};
        struct buf_writer out;
        build_three(&out, &p, &signer, req.nonce, req.nonce_len);
        const unsigned char *q = out.data;
        OCSP_RESPONSE *x_resp = d2i_OCSP_RESPONSE(NULL, &q, (long)out.len);
        CHECK(x_resp != NULL && q == out.data + out.len);
        CHECK_EQ(OCSP_response_status(x_resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
        OCSP_BASICRESP *bs = OCSP_response_get1_basic(x_resp);
        CHECK(bs != NULL);
        X509_STORE *store = X509_STORE_new();
        CHECK(store != NULL && X509_STORE_add_cert(store, cert_x509(p.root)) == 1);
        STACK_OF(X509) *extra = sk_X509_new_null();
        CHECK(extra != NULL && sk_X509_push(extra, cert_x509(p.root)) > 0);
        CHECK_EQ(OCSP_basic_verify(bs, extra, store, 0), 1);
        CHECK_EQ(OCSP_check_nonce(x_req, bs), 1);
        check_openssl_status(bs, p.leaf, p.root, EVP_sha1(), V_OCSP_CERTSTATUS_GOOD, -1);
        check_openssl_status(bs, p.responder, p.root, EVP_sha256(), V_OCSP_CERTSTATUS_REVOKED, 1);
        check_openssl_status(bs, p.root, p.root, EVP_sha1(), V_OCSP_CERTSTATUS_UNKNOWN, -1);
        sk_X509_free(extra);
        X509_STORE_free(store);
        OCSP_BASICRESP_free(bs);
        OCSP_RESPONSE_free(x_resp);
        OCSP_REQUEST_free(x_req);
        OPENSSL_free(req_der);
        buf_writer_cleanup(&out);
        ocsp_pki_free(&p);
}

static void test_ours_verify_in_openssl(void)
{
        check_ours_in_openssl(KEY_ALG_EC_P256, false);
        check_ours_in_openssl(KEY_ALG_EC_P256, true);
        check_ours_in_openssl(KEY_ALG_RSA_2048, false);
}

/* verify_ours parses der and verifies it for (c, issuer) now, with nonce when not NULL. */
static int verify_ours(const uint8_t *der, size_t len, const struct cert *c, const struct cert *issuer,
                       time_t now, const uint8_t *nonce, size_t nonce_len, struct ocsp_single *out, struct err *err)
{
        struct ocsp_response resp;
        int status = ocsp_response_parse(&resp, der, len, err);
        if (status < 0)
                return status;
        struct ocsp_verify_params params = {.leaf = c, .issuer = issuer, .now = now, .tolerance = 300,
                                            .nonce = nonce, .nonce_len = nonce_len};
        status = ocsp_response_verify(&resp, &params, out, err);
        ocsp_response_cleanup(&resp);
        return status;
}

static void test_openssl_response_verifies_with_ours(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
        OCSP_CERTID *id = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha256());
        ASN1_TIME *now = X509_gmtime_adj(NULL, 0), *rev = X509_gmtime_adj(NULL, -7200);
        ASN1_TIME *next = X509_gmtime_adj(NULL, 3600);
        CHECK(bs != NULL && OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_REVOKED, 4, rev, now, next) != NULL);
        /* byName responder ID (OpenSSL's default), the responder certificate included */
        CHECK_EQ(OCSP_basic_sign(bs, cert_x509(p.responder), key_evp(p.responder_key), EVP_sha256(), NULL, 0), 1);
        OCSP_RESPONSE *x_resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
        uint8_t *der = NULL;
        int len = i2d_OCSP_RESPONSE(x_resp, &der);
        CHECK(len > 0);
        struct ocsp_single single;
        CHECK_OK(verify_ours(der, (size_t)len, p.leaf, p.root, 0, NULL, 0, &single, &err), &err);
        CHECK_EQ(single.status, OCSP_CERT_REVOKED);
        CHECK_EQ(single.revocation_reason, 4); /* superseded */
        time_t t = time(NULL);
        CHECK(single.revocation_time >= t - 7200 - 5 && single.revocation_time <= t - 7200 + 5);
        CHECK(single.next_update >= t + 3600 - 5 && single.next_update <= t + 3600 + 5);
        /* a nonce was asked but OpenSSL's response has none */
        static const uint8_t nonce[] = {0x04, 0x02, 0xAB, 0xCD};
        CHECK_STATUS(verify_ours(der, (size_t)len, p.leaf, p.root, 0, nonce, sizeof nonce, &single, &err),
                     CRYPTO_EVERIFY);
        /* two hours after nextUpdate it is stale */
        CHECK_STATUS(verify_ours(der, (size_t)len, p.leaf, p.root, t + 3 * 3600, NULL, 0, &single, &err),
                     CRYPTO_ECERT_EXPIRED);
        /* another certificate's status is not in it */
        CHECK_STATUS(verify_ours(der, (size_t)len, p.responder, p.root, 0, NULL, 0, &single, &err), CRYPTO_EVERIFY);
        OPENSSL_free(der);
        OCSP_RESPONSE_free(x_resp);
        OCSP_BASICRESP_free(bs);
        OCSP_CERTID_free(id);
        ASN1_TIME_free(now);
        ASN1_TIME_free(rev);
        ASN1_TIME_free(next);
        ocsp_pki_free(&p);
}

static void test_sm2_round_trip_and_tamper(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_SM2);
        uint8_t nonce[OCSP_NONCE_MAX];
        size_t nonce_len = 0;
        CHECK_OK(ocsp_nonce_generate(nonce, &nonce_len, &err), &err);
        struct ocsp_signer signer = {.cert = p.responder, .key = p.responder_key};
        struct buf_writer out;
        build_three(&out, &p, &signer, nonce, nonce_len);
        struct ocsp_single single;
        CHECK_OK(verify_ours(out.data, out.len, p.leaf, p.root, 0, nonce, nonce_len, &single, &err), &err);
        CHECK_EQ(single.status, OCSP_CERT_GOOD);
        CHECK_OK(verify_ours(out.data, out.len, p.responder, p.root, 0, NULL, 0, &single, &err), &err);
        CHECK_EQ(single.status, OCSP_CERT_REVOKED);
        CHECK_EQ(single.revocation_reason, 1);
        CHECK_OK(verify_ours(out.data, out.len, p.root, p.root, 0, NULL, 0, &single, &err), &err);
        CHECK_EQ(single.status, OCSP_CERT_UNKNOWN);
        /* the signature is SM2-with-SM3 (1.2.156.10197.1.501) */
        static const uint8_t sm2_sm3[] = {0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75};
        CHECK(memmem(out.data, out.len, sm2_sm3, sizeof sm2_sm3) != NULL);
        /* libgcrypt agrees that the responder signed exactly the ResponseData, and not a changed one */
        struct ocsp_response resp;
        CHECK_OK(ocsp_response_parse(&resp, out.data, out.len, &err), &err);
        CHECK(gcrypt_sm2_verify(p.responder, resp.tbs.data, resp.tbs.len, resp.signature.data, resp.signature.len));
        CHECK(!gcrypt_sm2_verify(p.responder, resp.tbs.data, resp.tbs.len - 1, resp.signature.data,
                                 resp.signature.len));
        CHECK(!gcrypt_sm2_verify(p.leaf, resp.tbs.data, resp.tbs.len, resp.signature.data, resp.signature.len));
        ocsp_response_cleanup(&resp);
        uint8_t other_nonce[OCSP_NONCE_MAX];
        CHECK_OK(ocsp_nonce_generate(other_nonce, &nonce_len, &err), &err);
        CHECK_STATUS(verify_ours(out.data, out.len, p.leaf, p.root, 0, other_nonce, nonce_len, &single, &err),
                     CRYPTO_EVERIFY);
        for (size_t i = 0; i < out.len; i++) {
                out.data[i] ^= 0x01;
                err.msg[0] = '\0';
                CHECK(verify_ours(out.data, out.len, p.leaf, p.root, 0, nonce, nonce_len, &single, &err) < 0);
                CHECK(err.msg[0] != '\0');
                out.data[i] ^= 0x01;
        }
        for (size_t cut = 0; cut < out.len; cut++)
                CHECK(verify_ours(out.data, cut, p.leaf, p.root, 0, NULL, 0, &single, &err) < 0);
        buf_writer_cleanup(&out);
        ocsp_pki_free(&p);
}

static void test_responder_must_be_authorized(void)
{
        struct ocsp_pki p, other;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_SM2);
        ocsp_pki_make(&other, KEY_ALG_SM2);
        struct ocsp_single single;
        struct buf_writer out;
        /* the leaf's own key (no OCSPSigning) */
        struct ocsp_signer signer = {.cert = p.leaf, .key = p.leaf_key};
        build_three(&out, &p, &signer, NULL, 0);
        CHECK_STATUS(verify_ours(out.data, out.len, p.leaf, p.root, 0, NULL, 0, &single, &err), CRYPTO_ECERT_USAGE);
        buf_writer_cleanup(&out);
        /* a responder of another CA */
        signer = (struct ocsp_signer){.cert = other.responder, .key = other.responder_key};
        build_three(&out, &p, &signer, NULL, 0);
        CHECK_STATUS(verify_ours(out.data, out.len, p.leaf, p.root, 0, NULL, 0, &single, &err),
                     CRYPTO_ECERT_UNTRUSTED);
        buf_writer_cleanup(&out);
        /* the issuer itself, without including its certificate */
        signer = (struct ocsp_signer){.cert = p.root, .key = p.root_key, .omit_cert = true};
        build_three(&out, &p, &signer, NULL, 0);
        CHECK_OK(verify_ours(out.data, out.len, p.leaf, p.root, 0, NULL, 0, &single, &err), &err);
        buf_writer_cleanup(&out);
        /* a key that is not the certificate's */
        signer = (struct ocsp_signer){.cert = p.responder, .key = p.leaf_key};
        buf_writer_init_heap(&out, OCSP_RESPONSE_MAX);
        struct ocsp_single s;
        ocsp_fixture_single(&s, p.leaf, p.root, OCSP_HASH_SM3, OCSP_CERT_GOOD);
        CHECK_STATUS(ocsp_response_presign(&out, &signer, time(NULL), &s, &err), CRYPTO_EWRONGALG);
        buf_writer_cleanup(&out);
        ocsp_pki_free(&p);
        ocsp_pki_free(&other);
}

static void test_presign_and_errors(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        struct ocsp_single s;
        ocsp_fixture_single(&s, p.leaf, p.root, OCSP_HASH_SHA1, OCSP_CERT_GOOD);
        struct ocsp_signer signer = {.cert = p.responder, .key = p.responder_key};
        struct buf_writer out;
        buf_writer_init_heap(&out, OCSP_RESPONSE_MAX);
        CHECK_OK(ocsp_response_presign(&out, &signer, time(NULL), &s, &err), &err);
        struct ocsp_response resp;
        CHECK_OK(ocsp_response_parse(&resp, out.data, out.len, &err), &err);
        CHECK(!resp.has_nonce);
        CHECK_EQ(resp.num_singles, (size_t)1);
        CHECK(resp.responder_by_key);
        CHECK_EQ(cert_chain_count(resp.certs), (size_t)1);
        ocsp_response_cleanup(&resp);
        buf_writer_cleanup(&out);
        static const enum ocsp_response_status errors[] = {
                OCSP_RESPONSE_MALFORMED_REQUEST, OCSP_RESPONSE_INTERNAL_ERROR, OCSP_RESPONSE_TRY_LATER,
                OCSP_RESPONSE_SIG_REQUIRED, OCSP_RESPONSE_UNAUTHORIZED};
        for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
                buf_writer_init_heap(&out, 64);
                CHECK_OK(ocsp_response_build_error(&out, errors[i], &err), &err);
                const unsigned char *q = out.data;
                OCSP_RESPONSE *x = d2i_OCSP_RESPONSE(NULL, &q, (long)out.len);
                CHECK(x != NULL);
                CHECK_EQ(OCSP_response_status(x), (int)errors[i]);
                OCSP_RESPONSE_free(x);
                CHECK_OK(ocsp_response_parse(&resp, out.data, out.len, &err), &err);
                CHECK_EQ(resp.status, errors[i]);
                struct ocsp_verify_params params = {.leaf = p.leaf, .issuer = p.root};
                CHECK_STATUS(ocsp_response_verify(&resp, &params, &s, &err), CRYPTO_EVERIFY);
                ocsp_response_cleanup(&resp);
                buf_writer_cleanup(&out);
        }
        buf_writer_init_heap(&out, 64);
        CHECK_STATUS(ocsp_response_build_error(&out, OCSP_RESPONSE_SUCCESSFUL, &err), SMT_EINVAL);
        CHECK_STATUS(ocsp_response_build_error(&out, (enum ocsp_response_status)4, &err), SMT_EINVAL);
        buf_writer_cleanup(&out);
        ocsp_pki_free(&p);
}

CHECK_MAIN(CHECK_TEST(test_ours_verify_in_openssl), CHECK_TEST(test_openssl_response_verifies_with_ours),
           CHECK_TEST(test_sm2_round_trip_and_tamper), CHECK_TEST(test_responder_must_be_authorized),
           CHECK_TEST(test_presign_and_errors))
