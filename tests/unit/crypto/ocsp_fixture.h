/* tests/unit/crypto/ocsp_fixture.h: a small PKI for the OCSP tests (a root CA that issues a leaf and a delegated
 * OCSP responder), and conversions to OpenSSL objects for cross-checks. Static: included by test_ocsp*.c only. */
#ifndef SMT_TEST_OCSP_FIXTURE_H
#define SMT_TEST_OCSP_FIXTURE_H

#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/ocsp.h"

struct ocsp_pki {
        struct key *root_key, *leaf_key, *responder_key;
        struct cert *root, *leaf, *responder;
};

static inline struct cert *ocsp_fixture_issue(struct key *subject_key, struct key *issuer_key, struct cert *issuer,
                                              const char *cn, bool is_ca, unsigned eku)
{
        struct cert *out = NULL;
        struct err err = {0};
        struct cert_issue_params params = {.subject_key = subject_key, .issuer_key = issuer_key,
                                           .issuer_cert = issuer, .common_name = cn, .not_before = time(NULL) - 3600,
                                           .not_after = time(NULL) + 86400, .is_ca = is_ca,
                                           .key_usage = CERT_KEY_USAGE_DIGITAL_SIGNATURE, .extended_usage = eku,
                                           .ocsp_no_check = eku == CERT_EXTENDED_USAGE_OCSP_SIGNING};
        CHECK_OK(cert_issue(&out, &params, &err), &err);
        return out;
}

/* ocsp_pki_make makes root, leaf and responder, all with alg keys. */
static inline void ocsp_pki_make(struct ocsp_pki *p, enum key_alg alg)
{
        struct err err = {0};
        memset(p, 0, sizeof *p);
        CHECK_OK(key_generate(&p->root_key, alg, &err), &err);
        CHECK_OK(key_generate(&p->leaf_key, alg, &err), &err);
        CHECK_OK(key_generate(&p->responder_key, alg, &err), &err);
        p->root = ocsp_fixture_issue(p->root_key, NULL, NULL, "OCSP Test Root", true, 0);
        p->leaf = ocsp_fixture_issue(p->leaf_key, p->root_key, p->root, "leaf.example", false,
                                     CERT_EXTENDED_USAGE_SERVER_AUTH);
        p->responder = ocsp_fixture_issue(p->responder_key, p->root_key, p->root, "OCSP Responder", false,
                                          CERT_EXTENDED_USAGE_OCSP_SIGNING);
}

static inline void ocsp_pki_free(struct ocsp_pki *p)
{
        cert_free(p->root);
        cert_free(p->leaf);
        cert_free(p->responder);
        key_free(p->root_key);
        key_free(p->leaf_key);
        key_free(p->responder_key);
}

/* ocsp_fixture_single fills a SingleResponse about leaf, valid from an hour ago for a day. */
static inline void ocsp_fixture_single(struct ocsp_single *s, const struct cert *leaf, const struct cert *issuer,
                                       enum ocsp_hash hash, enum ocsp_cert_status status)
{
        struct err err = {0};
        memset(s, 0, sizeof *s);
        CHECK_OK(ocsp_cert_id_make(&s->cert_id, leaf, issuer, hash, &err), &err);
        s->status = status;
        s->revocation_reason = -1;
        if (status == OCSP_CERT_REVOKED) {
                s->revocation_time = time(NULL) - 600;
                s->revocation_reason = 1; /* keyCompromise */
        }
        s->this_update = time(NULL) - 3600;
        s->next_update = time(NULL) + 86400;
}

/* ocsp_fixture_x509_id makes OpenSSL's CertID for (leaf, issuer) with md. */
static inline OCSP_CERTID *ocsp_fixture_x509_id(const struct cert *leaf, const struct cert *issuer, const EVP_MD *md)
{
        OCSP_CERTID *id = OCSP_cert_to_id(md, cert_x509(leaf), cert_x509(issuer));
        CHECK(id != NULL);
        return id;
}

#endif
