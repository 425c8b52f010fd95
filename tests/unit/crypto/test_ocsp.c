/* tests/unit/crypto/test_ocsp.c: OCSP requests (RFC 6960 4.1, RFC 5019 GET) cross-checked with OpenSSL's OCSP
 * implementation: its requests parse to the CertID and nonce it encoded, ours parse in OpenSSL to the same CertID,
 * the limits (16 CertIDs, unknown hash, truncation) give their distinct answers. */
#include <stdlib.h>

#include <openssl/evp.h>

#include "ocsp_fixture.h"

/* openssl_request encodes an OpenSSL-built request for num copies of id (with a 16-octet nonce when asked). */
static uint8_t *openssl_request(OCSP_CERTID *id, size_t num, bool nonce, OCSP_REQUEST **keep, size_t *out_len)
{
        OCSP_REQUEST *req = OCSP_REQUEST_new();
        CHECK(req != NULL);
        for (size_t i = 0; i < num; i++)
                CHECK(OCSP_request_add0_id(req, OCSP_CERTID_dup(id)) != NULL);
        if (nonce)
                CHECK(OCSP_request_add1_nonce(req, NULL, -1) == 1);
        uint8_t *der = NULL;
        int len = i2d_OCSP_REQUEST(req, &der);
        CHECK(len > 0);
        *out_len = (size_t)len;
        if (keep != NULL)
                *keep = req;
        else
                OCSP_REQUEST_free(req);
        return der;
}

static void check_openssl_request(struct ocsp_pki *p, const EVP_MD *md, enum ocsp_hash hash)
{
        struct err err = {0};
        OCSP_CERTID *x_id = ocsp_fixture_x509_id(p->leaf, p->root, md);
        OCSP_REQUEST *x_req = NULL;
        size_t len = 0;
        uint8_t *der = openssl_request(x_id, 1, true, &x_req, &len);
        struct ocsp_request req;
        CHECK_OK(ocsp_request_parse(&req, der, len, &err), &err);
        CHECK_EQ(req.num_cert_ids, (size_t)1);
        CHECK(!req.is_signed);
        struct ocsp_cert_id mine;
        CHECK_OK(ocsp_cert_id_make(&mine, p->leaf, p->root, hash, &err), &err);
        CHECK_EQ(req.cert_ids[0].hash, hash);
        CHECK(ocsp_cert_id_equal(&mine, &req.cert_ids[0]));
        CHECK(ocsp_cert_id_is_from(&req.cert_ids[0], p->root));
        CHECK(!ocsp_cert_id_is_from(&req.cert_ids[0], p->leaf));
        /* The nonce kept is the extnValue OpenSSL wrote. */
        int at = OCSP_REQUEST_get_ext_by_NID(x_req, NID_id_pkix_OCSP_Nonce, -1);
        CHECK(at >= 0);
        const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(x_req, at));
        CHECK(req.has_nonce);
        CHECK_EQ(req.nonce_len, (size_t)ASN1_STRING_length(value));
        CHECK_MEM(req.nonce, ASN1_STRING_get0_data(value), req.nonce_len);
        /* Our encoding of the CertID is byte for byte OpenSSL's (NULL parameters, same serial). */
        uint8_t *x_id_der = NULL;
        int x_id_len = i2d_OCSP_CERTID(x_id, &x_id_der);
        CHECK_EQ(mine.der_len, (size_t)x_id_len);
        CHECK_MEM(mine.der, x_id_der, mine.der_len);
        OPENSSL_free(x_id_der);
        OPENSSL_free(der);
        OCSP_REQUEST_free(x_req);
        OCSP_CERTID_free(x_id);
}

static void test_openssl_requests_parse(void)
{
        struct ocsp_pki p;
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        check_openssl_request(&p, EVP_sha1(), OCSP_HASH_SHA1);
        check_openssl_request(&p, EVP_sha256(), OCSP_HASH_SHA256);
        check_openssl_request(&p, EVP_sm3(), OCSP_HASH_SM3);
        ocsp_pki_free(&p);
        ocsp_pki_make(&p, KEY_ALG_SM2);
        check_openssl_request(&p, EVP_sm3(), OCSP_HASH_SM3);
        check_openssl_request(&p, EVP_sha1(), OCSP_HASH_SHA1);
        ocsp_pki_free(&p);
}

static void test_our_request_parses_in_openssl(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_SM2);
        struct ocsp_cert_id ids[2];
        CHECK_OK(ocsp_cert_id_make(&ids[0], p.leaf, p.root, OCSP_HASH_SHA1, &err), &err);
        CHECK_OK(ocsp_cert_id_make(&ids[1], p.responder, p.root, OCSP_HASH_SM3, &err), &err);
        uint8_t nonce[OCSP_NONCE_MAX];
        size_t nonce_len = 0;
        CHECK_OK(ocsp_nonce_generate(nonce, &nonce_len, &err), &err);
        struct buf_writer out;
        buf_writer_init_heap(&out, OCSP_REQUEST_MAX);
        CHECK_OK(ocsp_request_build(&out, ids, 2, nonce, nonce_len, &err), &err);
        const unsigned char *q = out.data;
        OCSP_REQUEST *x_req = d2i_OCSP_REQUEST(NULL, &q, (long)out.len);
        CHECK(x_req != NULL && q == out.data + out.len);
        CHECK_EQ(OCSP_request_onereq_count(x_req), 2);
        OCSP_CERTID *expect0 = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1());
        OCSP_CERTID *expect1 = ocsp_fixture_x509_id(p.responder, p.root, EVP_sm3());
        CHECK_EQ(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(x_req, 0)), expect0), 0);
        CHECK_EQ(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(x_req, 1)), expect1), 0);
        int at = OCSP_REQUEST_get_ext_by_NID(x_req, NID_id_pkix_OCSP_Nonce, -1);
        CHECK(at >= 0);
        const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(x_req, at));
        CHECK_EQ((size_t)ASN1_STRING_length(value), nonce_len);
        CHECK_MEM(ASN1_STRING_get0_data(value), nonce, nonce_len);
        /* and back through our parser */
        struct ocsp_request req;
        CHECK_OK(ocsp_request_parse(&req, out.data, out.len, &err), &err);
        CHECK_EQ(req.num_cert_ids, (size_t)2);
        CHECK(ocsp_cert_id_equal(&req.cert_ids[1], &ids[1]));
        OCSP_CERTID_free(expect0);
        OCSP_CERTID_free(expect1);
        OCSP_REQUEST_free(x_req);
        buf_writer_cleanup(&out);
        ocsp_pki_free(&p);
}

static void test_too_many_cert_ids(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        OCSP_CERTID *id = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1());
        size_t len = 0;
        uint8_t *der = openssl_request(id, 1000, false, NULL, &len);
        struct ocsp_request req;
        int status = ocsp_request_parse(&req, der, len, &err);
        CHECK_EQ(status, SMT_ENOSPACE);
        CHECK_EQ(req.num_requested, (size_t)1000);
        CHECK_EQ(req.num_cert_ids, (size_t)0);
        CHECK(strstr(err.msg, "1000") != NULL);
        CHECK_EQ(ocsp_request_failure_answer(status), OCSP_RESPONSE_MALFORMED_REQUEST);
        OPENSSL_free(der);
        /* the limit itself is accepted */
        der = openssl_request(id, OCSP_MAX_CERT_IDS, false, NULL, &len);
        CHECK_OK(ocsp_request_parse(&req, der, len, &err), &err);
        CHECK_EQ(req.num_cert_ids, (size_t)OCSP_MAX_CERT_IDS);
        OPENSSL_free(der);
        OCSP_CERTID_free(id);
        ocsp_pki_free(&p);
}

static void test_unknown_hash(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        OCSP_CERTID *id = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha512());
        size_t len = 0;
        uint8_t *der = openssl_request(id, 1, false, NULL, &len);
        struct ocsp_request req;
        CHECK_OK(ocsp_request_parse(&req, der, len, &err), &err);
        CHECK_EQ(req.cert_ids[0].hash, OCSP_HASH_UNKNOWN);
        CHECK_EQ(req.cert_ids[0].issuer_name_hash_len, (size_t)64);
        /* the raw OID is kept: 2.16.840.1.101.3.4.2.3 */
        static const uint8_t sha512_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};
        CHECK_EQ(req.cert_ids[0].hash_oid_len, sizeof sha512_oid);
        CHECK_MEM(req.cert_ids[0].hash_oid, sha512_oid, sizeof sha512_oid);
        CHECK(!ocsp_cert_id_is_from(&req.cert_ids[0], p.root));
        CHECK_STATUS(ocsp_cert_id_make(&req.cert_ids[0], p.leaf, p.root, OCSP_HASH_UNKNOWN, &err), SMT_EINVAL);
        OPENSSL_free(der);
        OCSP_CERTID_free(id);
        ocsp_pki_free(&p);
}

static void test_truncated_and_trailing(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_SM2);
        OCSP_CERTID *id = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1());
        size_t len = 0;
        uint8_t *der = openssl_request(id, 2, true, NULL, &len);
        struct ocsp_request req;
        for (size_t cut = 0; cut < len; cut++) {
                err.msg[0] = '\0';
                int status = ocsp_request_parse(&req, der, cut, &err);
                CHECK(status == SMT_ETRUNCATED || status == SMT_EDECODE);
                CHECK(err.msg[0] != '\0');
                CHECK_EQ(ocsp_request_failure_answer(status), OCSP_RESPONSE_MALFORMED_REQUEST);
        }
        uint8_t *longer = malloc(len + 1);
        CHECK(longer != NULL);
        memcpy(longer, der, len);
        longer[len] = 0;
        CHECK_STATUS(ocsp_request_parse(&req, longer, len + 1, &err), SMT_EDECODE);
        free(longer);
        OPENSSL_free(der);
        OCSP_CERTID_free(id);
        ocsp_pki_free(&p);
}

/* url_encode_base64 writes the RFC 5019 GET path of der: base64, with '+', '/', '=' percent-encoded. */
static size_t url_encode_base64(char *out, const uint8_t *der, size_t len)
{
        unsigned char b64[4096];
        int n = EVP_EncodeBlock(b64, der, (int)len);
        size_t o = 0;
        for (int i = 0; i < n; i++) {
                if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=')
                        o += (size_t)sprintf(out + o, "%%%02X", b64[i]);
                else
                        out[o++] = (char)b64[i];
        }
        out[o] = '\0';
        return o;
}

static void test_get_form(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        OCSP_CERTID *id = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1());
        size_t len = 0;
        uint8_t *der = openssl_request(id, 1, true, NULL, &len);
        char path[8192];
        size_t path_len = url_encode_base64(path, der, len);
        struct ocsp_request get, post;
        CHECK_OK(ocsp_request_parse_get(&get, path, path_len, &err), &err);
        CHECK_OK(ocsp_request_parse(&post, der, len, &err), &err);
        CHECK(ocsp_cert_id_equal(&get.cert_ids[0], &post.cert_ids[0]));
        CHECK_EQ(get.nonce_len, post.nonce_len);
        CHECK_MEM(get.nonce, post.nonce, get.nonce_len);
        /* plain base64 (no escapes) is the same request */
        unsigned char b64[4096];
        int n = EVP_EncodeBlock(b64, der, (int)len);
        CHECK_OK(ocsp_request_parse_get(&get, (const char *)b64, (size_t)n, &err), &err);
        CHECK(ocsp_cert_id_equal(&get.cert_ids[0], &post.cert_ids[0]));
        CHECK_STATUS(ocsp_request_parse_get(&get, "MEI%2", 5, &err), SMT_EDECODE);
        CHECK_STATUS(ocsp_request_parse_get(&get, "ME!C", 4, &err), SMT_EDECODE);
        b64[n / 2] = '*';
        CHECK_STATUS(ocsp_request_parse_get(&get, (const char *)b64, (size_t)n, &err), SMT_EDECODE);
        OPENSSL_free(der);
        OCSP_CERTID_free(id);
        ocsp_pki_free(&p);
}

static void test_signed_request_is_accepted(void)
{
        /* RFC 6960 4.1.2: the signature is checked for shape only; the answer is public anyway. */
        struct ocsp_pki p;
        struct err err = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        OCSP_REQUEST *x_req = OCSP_REQUEST_new();
        CHECK(x_req != NULL && OCSP_request_add0_id(x_req, ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1())) != NULL);
        CHECK_EQ(OCSP_request_sign(x_req, cert_x509(p.leaf), key_evp(p.leaf_key), EVP_sha256(), NULL, 0), 1);
        uint8_t *der = NULL;
        int len = i2d_OCSP_REQUEST(x_req, &der);
        struct ocsp_request req;
        CHECK_OK(ocsp_request_parse(&req, der, (size_t)len, &err), &err);
        CHECK(req.is_signed);
        CHECK_EQ(req.num_cert_ids, (size_t)1);
        for (int cut = 0; cut < len; cut++)
                CHECK(ocsp_request_parse(&req, der, (size_t)cut, &err) < 0);
        OPENSSL_free(der);
        OCSP_REQUEST_free(x_req);
        ocsp_pki_free(&p);
}

CHECK_MAIN(CHECK_TEST(test_openssl_requests_parse), CHECK_TEST(test_our_request_parses_in_openssl),
           CHECK_TEST(test_too_many_cert_ids), CHECK_TEST(test_unknown_hash), CHECK_TEST(test_truncated_and_trailing),
           CHECK_TEST(test_get_form), CHECK_TEST(test_signed_request_is_accepted))
