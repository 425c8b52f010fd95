/* src/crypto/sm2_sign_ctx.c: see sm2_sign_ctx.h. */
#include "crypto/sm2_sign_ctx.h"

#include <string.h>

#include "crypto/crypto_error.h"
#include "crypto/sm2.h"

int sm2_sign_ctx_init(struct sm2_sign_ctx *ctx, EVP_PKEY *pkey, const char *what, struct err *err)
{
        ctx->md = EVP_MD_CTX_new();
        ctx->pkey = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        int ok = ctx->md != NULL && ctx->pkey != NULL &&
                 EVP_PKEY_CTX_set1_id(ctx->pkey, (const uint8_t *)SM2_DEFAULT_ID, strlen(SM2_DEFAULT_ID)) > 0;
        if (ok) {
                EVP_MD_CTX_set_pkey_ctx(ctx->md, ctx->pkey);
                ok = EVP_DigestSignInit(ctx->md, NULL, EVP_sm3(), NULL, pkey) == 1;
        }
        if (ok)
                return SMT_OK;
        sm2_sign_ctx_cleanup(ctx);
        return crypto_error_set(err, CRYPTO_EOPENSSL, "%s: SM2 signing", what);
}

void sm2_sign_ctx_cleanup(struct sm2_sign_ctx *ctx)
{
        EVP_MD_CTX_free(ctx->md);
        EVP_PKEY_CTX_free(ctx->pkey);
        ctx->md = NULL;
        ctx->pkey = NULL;
}
