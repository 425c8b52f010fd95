/* tests/unit/crypto/tsp_fixture.h: a small PKI for the RFC 3161 tests (a root that certifies a TSA with the
 * critical EKU timeStamping RFC 3161 2.3 asks for, and a leaf without it), requests made with OpenSSL's TS
 * API, and a TSA signer. Static: included by test_tsp*.c only. */
#ifndef SMT_TEST_TSP_FIXTURE_H
#define SMT_TEST_TSP_FIXTURE_H

#include <string.h>
#include <time.h>

#include <openssl/ts.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/tsp.h"

#define TSP_TEST_POLICY "1.2.3.4.5"

struct tsp_pki {
        struct key *root_key, *tsa_key, *leaf_key;
        struct cert *root, *tsa, *leaf;
        struct cert_store *trust;
        struct cert_chain *chain; /* the root: what follows the TSA certificate in a token */
};

static inline struct cert *tsp_fixture_issue(struct key *subject_key, struct key *issuer_key, struct cert *issuer,
                                             const char *cn, bool is_ca, unsigned eku, bool eku_critical)
{
        struct cert *out = NULL;
        struct err err = {0};
        struct cert_issue_params params = {.subject_key = subject_key,
                                           .issuer_key = issuer_key,
                                           .issuer_cert = issuer,
                                           .common_name = cn,
                                           .not_before = time(NULL) - 3600,
                                           .not_after = time(NULL) + 86400,
                                           .is_ca = is_ca,
                                           .key_usage =
                                               CERT_KEY_USAGE_DIGITAL_SIGNATURE | CERT_KEY_USAGE_NON_REPUDIATION,
                                           .extended_usage = eku,
                                           .extended_usage_critical = eku_critical};
        CHECK_OK(cert_issue(&out, &params, &err), &err);
        return out;
}

static inline void tsp_pki_make(struct tsp_pki *p, enum key_alg alg)
{
        struct err err = {0};
        memset(p, 0, sizeof *p);
        CHECK_OK(key_generate(&p->root_key, alg, &err), &err);
        CHECK_OK(key_generate(&p->tsa_key, alg, &err), &err);
        CHECK_OK(key_generate(&p->leaf_key, alg, &err), &err);
        p->root = tsp_fixture_issue(p->root_key, NULL, NULL, "TSP Test Root", true, 0, false);
        p->tsa = tsp_fixture_issue(p->tsa_key, p->root_key, p->root, "TSP Test TSA", false,
                                   CERT_EXTENDED_USAGE_TIME_STAMPING, true);
        p->leaf = tsp_fixture_issue(p->leaf_key, p->root_key, p->root, "Not A TSA", false,
                                    CERT_EXTENDED_USAGE_CODE_SIGNING, false);
        CHECK_OK(cert_store_new(&p->trust, &err), &err);
        CHECK_OK(cert_store_add(p->trust, p->root, &err), &err);
        struct cert *copy = NULL;
        CHECK_OK(cert_chain_new(&p->chain, &err), &err);
        CHECK_OK(cert_dup(&copy, p->root, &err), &err);
        CHECK_OK(cert_chain_append(p->chain, copy, &err), &err);
}

static inline void tsp_pki_free(struct tsp_pki *p)
{
        cert_free(p->root);
        cert_free(p->tsa);
        cert_free(p->leaf);
        key_free(p->root_key);
        key_free(p->tsa_key);
        key_free(p->leaf_key);
        cert_store_free(p->trust);
        cert_chain_free(p->chain);
}

static inline struct tsp_signer tsp_fixture_signer(const struct tsp_pki *p, bool as_leaf)
{
        return (struct tsp_signer){.cert = as_leaf ? p->leaf : p->tsa,
                                   .key = as_leaf ? p->leaf_key : p->tsa_key,
                                   .chain = p->chain,
                                   .policy = TSP_TEST_POLICY,
                                   .accuracy_ms = 1500};
}

/* tsp_fixture_openssl_request makes a TS_REQ with OpenSSL's API: md of data, a 64-bit nonce (what `openssl ts
 * -query` sends), certReq, and policy (NULL = none). */
static inline TS_REQ *tsp_fixture_openssl_request(const EVP_MD *md, const char *data, bool cert_req, const char *policy)
{
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int digest_len = 0;
        CHECK(EVP_Digest(data, strlen(data), digest, &digest_len, md, NULL) == 1);
        TS_REQ *req = TS_REQ_new();
        TS_MSG_IMPRINT *imprint = TS_MSG_IMPRINT_new();
        X509_ALGOR *alg = X509_ALGOR_new();
        CHECK(req != NULL && imprint != NULL && alg != NULL);
        CHECK(X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL) == 1);
        CHECK(TS_MSG_IMPRINT_set_algo(imprint, alg) == 1);
        CHECK(TS_MSG_IMPRINT_set_msg(imprint, digest, (int)digest_len) == 1);
        CHECK(TS_REQ_set_version(req, 1) == 1 && TS_REQ_set_msg_imprint(req, imprint) == 1);
        ASN1_INTEGER *nonce = ASN1_INTEGER_new();
        CHECK(nonce != NULL && ASN1_INTEGER_set_uint64(nonce, 0x1122334455667788ULL) == 1);
        CHECK(TS_REQ_set_nonce(req, nonce) == 1);
        CHECK(TS_REQ_set_cert_req(req, cert_req ? 1 : 0) == 1);
        if (policy != NULL) {
                ASN1_OBJECT *obj = OBJ_txt2obj(policy, 1);
                CHECK(obj != NULL && TS_REQ_set_policy_id(req, obj) == 1);
                ASN1_OBJECT_free(obj);
        }
        ASN1_INTEGER_free(nonce);
        X509_ALGOR_free(alg);
        TS_MSG_IMPRINT_free(imprint);
        return req;
}

/* tsp_fixture_der encodes req into a heap buffer (OPENSSL_free it). */
static inline uint8_t *tsp_fixture_der(TS_REQ *req, size_t *len)
{
        uint8_t *der = NULL;
        int n = i2d_TS_REQ(req, &der);
        CHECK(n > 0);
        *len = (size_t)n;
        return der;
}

#endif
