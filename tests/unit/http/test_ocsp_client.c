/* tests/unit/http/test_ocsp_client.c: http/ocsp_client's messages, cross-checked with OpenSSL's OCSP API:
 * the request OpenSSL reads has the SHA-1 CertID OpenSSL computes and a nonce only when asked; the GET URL
 * decodes (percent-decoding and base64 done here) to the same DER; responses made by OpenSSL (issuer-signed by
 * key, delegated by name, revoked, unknown, error statuses, wrong signer, stale, with and without the nonce)
 * are accepted or refused as RFC 6960 says, with the responder named and the DER kept byte for byte. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "../crypto/ocsp_fixture.h"
#include "check.h"
#include "http/ocsp_client.h"

static OCSP_REQUEST *parse_request(const struct http_ocsp_client_request *r)
{
        const unsigned char *p = r->der;
        OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)r->der_len);
        CHECK(req != NULL && p == r->der + r->der_len);
        return req;
}

static void test_request_read_by_openssl(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        struct http_ocsp_client_request r;
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        for (int with_nonce = 0; with_nonce < 2; with_nonce++) {
                CHECK_OK(http_ocsp_client_request_make(&r, p.leaf, p.root, with_nonce, &err), &err);
                OCSP_REQUEST *req = parse_request(&r);
                CHECK_EQ(OCSP_request_onereq_count(req), 1);
                OCSP_CERTID *expected = ocsp_fixture_x509_id(p.leaf, p.root, EVP_sha1());
                CHECK_EQ(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), expected), 0);
                CHECK_EQ(OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0, with_nonce == 1);
                CHECK_EQ(r.nonce_len > 0, with_nonce == 1);
                OCSP_CERTID_free(expected);
                OCSP_REQUEST_free(req);
        }
        ocsp_pki_free(&p);
}

static int hex_value(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void test_get_url(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        struct http_ocsp_client_request r;
        char url[HTTP_OCSP_CLIENT_URL_MAX], b64[1024];
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        CHECK_OK(http_ocsp_client_request_make(&r, p.leaf, p.root, true, &err), &err);
        static const char *const bases[] = {"http://ocsp.example/ocsp/ca", "http://ocsp.example/ocsp/ca/"};
        for (size_t b = 0; b < 2; b++) {
                CHECK_OK(http_ocsp_client_get_url(url, sizeof url, bases[b], &r, &err), &err);
                const char *path = url + strlen("http://ocsp.example/ocsp/ca/");
                CHECK(strncmp(url, "http://ocsp.example/ocsp/ca/", strlen("http://ocsp.example/ocsp/ca/")) == 0);
                CHECK(strpbrk(path, "+/=") == NULL); /* RFC 3986 2.3: only unreserved characters stay as they are */
                size_t n = 0;
                for (const char *c = path; *c != '\0'; c++) {
                        if (*c == '%') {
                                b64[n++] = (char)(hex_value(c[1]) * 16 + hex_value(c[2]));
                                c += 2;
                        } else {
                                b64[n++] = *c;
                        }
                }
                b64[n] = '\0';
                unsigned char der[1024];
                int len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
                while (n > 0 && b64[--n] == '=')
                        len--; /* EVP_DecodeBlock counts padding as zero octets */
                CHECK_EQ((size_t)len, r.der_len);
                CHECK_MEM(der, r.der, r.der_len);
        }
        /* a base URL that leaves no room fails rather than cutting the request */
        CHECK_STATUS(http_ocsp_client_get_url(url, 40, bases[0], &r, &err), SMT_ENOSPACE);
        ocsp_pki_free(&p);
}

struct made_response {
        uint8_t *der;
        int len;
};

/* make_response has OpenSSL answer status about leaf (signed by signer/key, by key ID or by name), valid from
 * this_offset to next_offset seconds from now, echoing the nonce of request when given. */
static struct made_response make_response(const struct ocsp_pki *p, const struct cert *signer, const struct key *key,
                                          int cert_status, long this_offset, long next_offset,
                                          const struct http_ocsp_client_request *request, unsigned long flags)
{
        OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
        OCSP_CERTID *id = ocsp_fixture_x509_id(p->leaf, p->root, EVP_sha1());
        ASN1_TIME *this_update = X509_gmtime_adj(NULL, this_offset), *next = X509_gmtime_adj(NULL, next_offset);
        ASN1_TIME *revoked = X509_gmtime_adj(NULL, -7200);
        CHECK(OCSP_basic_add1_status(bs, id, cert_status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                                     cert_status == V_OCSP_CERTSTATUS_REVOKED ? revoked : NULL, this_update,
                                     next) != NULL);
        if (request != NULL) {
                OCSP_REQUEST *req = parse_request(request);
                CHECK_EQ(OCSP_copy_nonce(bs, req), 1);
                OCSP_REQUEST_free(req);
        }
        CHECK_EQ(OCSP_basic_sign(bs, cert_x509(signer), key_evp(key), EVP_sha256(), NULL, flags), 1);
        OCSP_RESPONSE *resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
        struct made_response out = {NULL, 0};
        out.len = i2d_OCSP_RESPONSE(resp, &out.der);
        CHECK(out.len > 0);
        OCSP_RESPONSE_free(resp);
        OCSP_BASICRESP_free(bs);
        OCSP_CERTID_free(id);
        ASN1_TIME_free(this_update);
        ASN1_TIME_free(next);
        ASN1_TIME_free(revoked);
        return out;
}

static void test_issuer_signed_good(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        struct http_ocsp_client_request r;
        struct http_ocsp_client_result result = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        CHECK_OK(http_ocsp_client_request_make(&r, p.leaf, p.root, false, &err), &err);
        struct made_response m = make_response(&p, p.root, p.root_key, V_OCSP_CERTSTATUS_GOOD, -60, 3600, NULL,
                                               OCSP_RESPID_KEY | OCSP_NOCERTS);
        CHECK_OK(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err),
                 &err);
        CHECK_EQ(result.single.status, OCSP_CERT_GOOD);
        CHECK(!result.is_delegated);
        CHECK_STR(result.responder, "");
        CHECK_EQ(result.der_len, (size_t)m.len);
        CHECK_MEM(result.der, m.der, result.der_len);
        time_t now = time(NULL);
        CHECK(result.single.next_update >= now + 3600 - 5 && result.single.next_update <= now + 3600 + 5);
        /* the same bytes two hours later are stale: refused, and the kept result is not replaced */
        CHECK_STATUS(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, now + 7200,
                                                     300, &err),
                     CRYPTO_ECERT_EXPIRED);
        /* a response about the leaf does not answer for another certificate */
        CHECK_STATUS(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.responder, p.root, 0, 300,
                                                     &err),
                     CRYPTO_EVERIFY);
        /* one flipped byte in the signed part fails */
        m.der[m.len / 2] ^= 1;
        CHECK(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err) < 0);
        http_ocsp_client_result_cleanup(&result);
        OPENSSL_free(m.der);
        ocsp_pki_free(&p);
}

static void test_delegated_revoked(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        struct http_ocsp_client_request r;
        struct http_ocsp_client_result result = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        CHECK_OK(http_ocsp_client_request_make(&r, p.leaf, p.root, false, &err), &err);
        struct made_response m = make_response(&p, p.responder, p.responder_key, V_OCSP_CERTSTATUS_REVOKED, -60, 3600,
                                               NULL, 0); /* by name, responder certificate included */
        CHECK_OK(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err),
                 &err);
        CHECK_EQ(result.single.status, OCSP_CERT_REVOKED);
        CHECK_EQ(result.single.revocation_reason, 1);
        CHECK_STR(http_ocsp_client_reason_name(result.single.revocation_reason), "keyCompromise");
        CHECK(result.is_delegated);
        CHECK(strstr(result.responder, "OCSP Responder") != NULL);
        http_ocsp_client_result_cleanup(&result);
        OPENSSL_free(m.der);
        /* unknown, by key */
        m = make_response(&p, p.responder, p.responder_key, V_OCSP_CERTSTATUS_UNKNOWN, -60, 3600, NULL, OCSP_RESPID_KEY);
        CHECK_OK(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err),
                 &err);
        CHECK_EQ(result.single.status, OCSP_CERT_UNKNOWN);
        CHECK(result.is_delegated && strstr(result.responder, "OCSP Responder") != NULL);
        http_ocsp_client_result_cleanup(&result);
        OPENSSL_free(m.der);
        ocsp_pki_free(&p);
}

static void test_wrong_signer_refused(void)
{
        struct ocsp_pki p, other;
        struct err err = {0};
        struct http_ocsp_client_request r;
        struct http_ocsp_client_result result = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        ocsp_pki_make(&other, KEY_ALG_EC_P256);
        CHECK_OK(http_ocsp_client_request_make(&r, p.leaf, p.root, false, &err), &err);
        /* another CA's delegated responder (with OCSPSigning) speaking about our leaf */
        struct made_response m = make_response(&p, other.responder, other.responder_key, V_OCSP_CERTSTATUS_GOOD, -60,
                                               3600, NULL, 0);
        CHECK_STATUS(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err),
                     CRYPTO_ECERT_UNTRUSTED);
        OPENSSL_free(m.der);
        /* the leaf's own key, not the issuer's (a certificate without OCSPSigning issued by the CA) */
        m = make_response(&p, p.leaf, p.leaf_key, V_OCSP_CERTSTATUS_GOOD, -60, 3600, NULL, 0);
        CHECK(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err) < 0);
        CHECK(result.der == NULL);
        OPENSSL_free(m.der);
        ocsp_pki_free(&other);
        ocsp_pki_free(&p);
}

static void test_nonce_and_error_statuses(void)
{
        struct ocsp_pki p;
        struct err err = {0};
        struct http_ocsp_client_request r;
        struct http_ocsp_client_result result = {0};
        ocsp_pki_make(&p, KEY_ALG_EC_P256);
        CHECK_OK(http_ocsp_client_request_make(&r, p.leaf, p.root, true, &err), &err);
        struct made_response m = make_response(&p, p.root, p.root_key, V_OCSP_CERTSTATUS_GOOD, -60, 3600, &r, 0);
        CHECK_OK(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err),
                 &err);
        OPENSSL_free(m.der);
        /* a pre-signed answer without the nonce does not answer a request that sent one */
        m = make_response(&p, p.root, p.root_key, V_OCSP_CERTSTATUS_GOOD, -60, 3600, NULL, 0);
        CHECK_STATUS(http_ocsp_client_response_check(&result, &r, m.der, (size_t)m.len, p.leaf, p.root, 0, 300, &err),
                     CRYPTO_EVERIFY);
        OPENSSL_free(m.der);
        static const struct {
                int status;
                const char *name;
        } errors[] = {{OCSP_RESPONSE_STATUS_UNAUTHORIZED, "unauthorized"},
                      {OCSP_RESPONSE_STATUS_TRYLATER, "tryLater"},
                      {OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "malformedRequest"},
                      {OCSP_RESPONSE_STATUS_INTERNALERROR, "internalError"}};
        for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
                OCSP_RESPONSE *resp = OCSP_response_create(errors[i].status, NULL);
                uint8_t *der = NULL;
                int len = i2d_OCSP_RESPONSE(resp, &der);
                CHECK_STATUS(http_ocsp_client_response_check(&result, &r, der, (size_t)len, p.leaf, p.root, 0, 300,
                                                             &err),
                             CRYPTO_EVERIFY);
                CHECK(strstr(err.msg, errors[i].name) != NULL);
                OPENSSL_free(der);
                OCSP_RESPONSE_free(resp);
        }
        static const uint8_t junk[] = {0x30, 0x03, 0x0a, 0x01};
        CHECK(http_ocsp_client_response_check(&result, &r, junk, sizeof junk, p.leaf, p.root, 0, 300, &err) < 0);
        http_ocsp_client_result_cleanup(&result);
        ocsp_pki_free(&p);
}

static void test_names(void)
{
        CHECK_STR(http_ocsp_client_reason_name(-1), "none");
        CHECK_STR(http_ocsp_client_reason_name(0), "unspecified");
        CHECK_STR(http_ocsp_client_reason_name(6), "certificateHold");
        CHECK_STR(http_ocsp_client_reason_name(10), "aACompromise");
        CHECK_STR(http_ocsp_client_reason_name(11), "unknown");
        CHECK_STR(http_ocsp_client_status_name(OCSP_CERT_REVOKED), "revoked");
}

CHECK_MAIN(CHECK_TEST(test_request_read_by_openssl), CHECK_TEST(test_get_url), CHECK_TEST(test_issuer_signed_good),
           CHECK_TEST(test_delegated_revoked), CHECK_TEST(test_wrong_signer_refused),
           CHECK_TEST(test_nonce_and_error_statuses), CHECK_TEST(test_names))
