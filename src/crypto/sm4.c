/* src/crypto/sm4.c: the SM4 block cipher (GB/T 32907) and unpadded CBC, on OpenSSL 3's EVP.
 * GCM, which OpenSSL 3.0 lacks, is in sm4_gcm.c. */
#include "crypto/sm4.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "crypto/crypto_error.h"

/* EVP_CipherUpdate counts in int; longer inputs go through in slices of this many bytes (a multiple of
 * the block size, so CBC chaining carries over between slices unchanged). */
#define SM4_SLICE_LEN ((size_t)1 << 30)

struct sm4_block {
        EVP_CIPHER_CTX *encrypt;
        EVP_CIPHER_CTX *decrypt;
};

struct sm4_cbc {
        EVP_CIPHER_CTX *encrypt;
        EVP_CIPHER_CTX *decrypt;
};

/* Fetched once: the record layer creates CBC keys per connection, and an explicit fetch skips OpenSSL 3's
 * method-store lookup (a lock and a hash probe) that an implicit one would repeat each time. */
static pthread_once_t sm4_fetch_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *sm4_ecb_cipher;
static EVP_CIPHER *sm4_cbc_cipher;

static void sm4_fetch(void)
{
        sm4_ecb_cipher = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
        sm4_cbc_cipher = EVP_CIPHER_fetch(NULL, "SM4-CBC", NULL);
}

static int sm4_ciphers(struct err *err)
{
        pthread_once(&sm4_fetch_once, sm4_fetch);
        if (sm4_ecb_cipher == NULL || sm4_cbc_cipher == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm4: OpenSSL offers no SM4-ECB or SM4-CBC");
        return SMT_OK;
}

/* sm4_context_new keys one direction; padding is off because every caller hands whole blocks (the TLCP
 * record layer pads CBC itself, GB/T 38636 §6.3.3.3). */
static int sm4_context_new(EVP_CIPHER_CTX **out, const EVP_CIPHER *cipher, const uint8_t key[SM4_KEY_LEN],
                           int is_encrypt, struct err *err)
{
        static const uint8_t zero_iv[SM4_BLOCK_LEN];
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        if (ctx == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "sm4: allocating a cipher context");
        /* CBC needs some IV at key time; every call sets its own before use. */
        const uint8_t *iv = EVP_CIPHER_get_iv_length(cipher) > 0 ? zero_iv : NULL;
        if (!EVP_CipherInit_ex2(ctx, cipher, key, iv, is_encrypt, NULL) || !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
                EVP_CIPHER_CTX_free(ctx);
                return crypto_error_set(err, CRYPTO_EKEY, "sm4: setting a key");
        }
        *out = ctx;
        return SMT_OK;
}

/* sm4_context_run passes len bytes (a multiple of 16) through ctx; with padding off OpenSSL releases each
 * whole block at once, so out_len must come back equal to the input. */
static int sm4_context_run(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len, struct err *err)
{
        for (size_t done = 0; done < len; done += SM4_SLICE_LEN) {
                size_t slice = len - done < SM4_SLICE_LEN ? len - done : SM4_SLICE_LEN;
                int out_len = 0;
                if (!EVP_CipherUpdate(ctx, out + done, &out_len, in + done, (int)slice) || (size_t)out_len != slice)
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "sm4: processing %zu bytes (got %d)", slice,
                                                out_len);
        }
        return SMT_OK;
}

int sm4_block_new(struct sm4_block **out, const uint8_t key[SM4_KEY_LEN], struct err *err)
{
        TRY(sm4_ciphers(err));
        struct sm4_block *ctx = calloc(1, sizeof *ctx);
        if (ctx == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sm4_block_new: out of memory");
        int status = sm4_context_new(&ctx->encrypt, sm4_ecb_cipher, key, 1, err);
        if (status == SMT_OK)
                status = sm4_context_new(&ctx->decrypt, sm4_ecb_cipher, key, 0, err);
        if (status != SMT_OK) {
                sm4_block_free(ctx);
                return status;
        }
        *out = ctx;
        return SMT_OK;
}

int sm4_block_encrypt(struct sm4_block *ctx, uint8_t out[SM4_BLOCK_LEN], const uint8_t in[SM4_BLOCK_LEN],
                      struct err *err)
{
        return sm4_context_run(ctx->encrypt, out, in, SM4_BLOCK_LEN, err);
}

int sm4_block_decrypt(struct sm4_block *ctx, uint8_t out[SM4_BLOCK_LEN], const uint8_t in[SM4_BLOCK_LEN],
                      struct err *err)
{
        return sm4_context_run(ctx->decrypt, out, in, SM4_BLOCK_LEN, err);
}

void sm4_block_free(struct sm4_block *ctx)
{
        if (ctx == NULL)
                return;
        /* EVP_CIPHER_CTX_free cleanses the provider's key schedule. */
        EVP_CIPHER_CTX_free(ctx->encrypt);
        EVP_CIPHER_CTX_free(ctx->decrypt);
        free(ctx);
}

int sm4_cbc_new(struct sm4_cbc **out, const uint8_t key[SM4_KEY_LEN], struct err *err)
{
        TRY(sm4_ciphers(err));
        struct sm4_cbc *ctx = calloc(1, sizeof *ctx);
        if (ctx == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sm4_cbc_new: out of memory");
        int status = sm4_context_new(&ctx->encrypt, sm4_cbc_cipher, key, 1, err);
        if (status == SMT_OK)
                status = sm4_context_new(&ctx->decrypt, sm4_cbc_cipher, key, 0, err);
        if (status != SMT_OK) {
                sm4_cbc_free(ctx);
                return status;
        }
        *out = ctx;
        return SMT_OK;
}

/* sm4_cbc_run restarts ctx with iv only: a NULL cipher and key keep the expanded key, so a record costs
 * no key schedule. */
static int sm4_cbc_run(EVP_CIPHER_CTX *ctx, int is_encrypt, const uint8_t iv[SM4_BLOCK_LEN], uint8_t *out,
                       const uint8_t *in, size_t len, struct err *err)
{
        if (len % SM4_BLOCK_LEN != 0)
                return SMT_ERR(err, SMT_EINVAL, "sm4_cbc: length %zu is not a multiple of %d", len, SM4_BLOCK_LEN);
        if (!EVP_CipherInit_ex2(ctx, NULL, NULL, iv, is_encrypt, NULL))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm4_cbc: setting the IV");
        return sm4_context_run(ctx, out, in, len, err);
}

int sm4_cbc_encrypt(struct sm4_cbc *ctx, const uint8_t iv[SM4_BLOCK_LEN], uint8_t *out, const uint8_t *in,
                    size_t len, struct err *err)
{
        return sm4_cbc_run(ctx->encrypt, 1, iv, out, in, len, err);
}

int sm4_cbc_decrypt(struct sm4_cbc *ctx, const uint8_t iv[SM4_BLOCK_LEN], uint8_t *out, const uint8_t *in,
                    size_t len, struct err *err)
{
        return sm4_cbc_run(ctx->decrypt, 0, iv, out, in, len, err);
}

void sm4_cbc_free(struct sm4_cbc *ctx)
{
        if (ctx == NULL)
                return;
        EVP_CIPHER_CTX_free(ctx->encrypt);
        EVP_CIPHER_CTX_free(ctx->decrypt);
        free(ctx);
}
