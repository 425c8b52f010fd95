/* src/crypto/sm2_sign_ctx.h: the OpenSSL signing context for SM2-with-SM3 with the default distinguishing ID
 * (GM/T 0009 clause 10), shared by every X.509 structure this module signs: certificates (X509_sign_ctx),
 * requests (X509_REQ_sign_ctx) and CRLs (X509_CRL_sign_ctx). The ID must go on the key context before the
 * digest init (EVP_PKEY-SM2(7)), and EVP_MD_CTX_set_pkey_ctx does not take that context over, so both are
 * kept here and freed together. For the crypto module's own files only (it exposes OpenSSL types). */
#ifndef SMT_CRYPTO_SM2_SIGN_CTX_H
#define SMT_CRYPTO_SM2_SIGN_CTX_H

#include <openssl/evp.h>

#include "base/err.h"

struct sm2_sign_ctx {
        EVP_MD_CTX *md;     /* what the *_sign_ctx functions take */
        EVP_PKEY_CTX *pkey; /* owned here: md only borrows it */
};

/* sm2_sign_ctx_init readies ctx to sign with the SM2 key pkey; CRYPTO_EOPENSSL naming what on failure
 * (ctx is then clean already). Release with sm2_sign_ctx_cleanup either way. */
int sm2_sign_ctx_init(struct sm2_sign_ctx *ctx, EVP_PKEY *pkey, const char *what, struct err *err) SMT_MUST_USE;
void sm2_sign_ctx_cleanup(struct sm2_sign_ctx *ctx);

#endif
