/* src/crypto/sm4_gcm.c: SM4-GCM (NIST SP 800-38D with SM4, as RFC 8998 §2 and GB/T 38636 use it) on
 * libgcrypt, because OpenSSL 3.0 has no SM4-GCM. One libgcrypt handle per key is reused for every message:
 * setting the IV restarts GCM, so seal and open allocate nothing. */
#include "crypto/sm4.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

/* libgcrypt 1.9.0 is the first release with SM4. */
#define SM4_GCM_GCRYPT_MIN_VERSION "1.9.0"

struct sm4_gcm {
        gcry_cipher_hd_t handle;
};

static pthread_once_t sm4_gcm_gcrypt_once = PTHREAD_ONCE_INIT;
static bool sm4_gcm_gcrypt_is_ready;

/* sm4_gcm_gcrypt_init follows libgcrypt's manual ("Initializing the library"): check the version first,
 * then finish initialisation unless the application (or another library) already did. Secure memory is
 * off because our keys live in our own wiped arrays and in cipher handles that gcry_cipher_close wipes;
 * it would only add an mlock'ed pool and its warnings. */
static void sm4_gcm_gcrypt_init(void)
{
        if (gcry_check_version(SM4_GCM_GCRYPT_MIN_VERSION) == NULL)
                return;
        if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
                gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
                gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
        }
        sm4_gcm_gcrypt_is_ready = true;
}

static int sm4_gcm_error(struct err *err, gcry_error_t error, const char *what, size_t len)
{
        return SMT_ERR(err, SMT_EINTERNAL, "sm4_gcm: %s (%zu bytes): libgcrypt: %s", what, len, gcry_strerror(error));
}

int sm4_gcm_new(struct sm4_gcm **out, const uint8_t key[SM4_KEY_LEN], struct err *err)
{
        pthread_once(&sm4_gcm_gcrypt_once, sm4_gcm_gcrypt_init);
        if (!sm4_gcm_gcrypt_is_ready)
                return SMT_ERR(err, SMT_EINTERNAL, "sm4_gcm: libgcrypt %s is older than %s (needed for SM4)",
                               gcry_check_version(NULL), SM4_GCM_GCRYPT_MIN_VERSION);
        struct sm4_gcm *ctx = calloc(1, sizeof *ctx);
        if (ctx == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "sm4_gcm_new: out of memory");
        gcry_error_t error = gcry_cipher_open(&ctx->handle, GCRY_CIPHER_SM4, GCRY_CIPHER_MODE_GCM, 0);
        if (error != 0) {
                free(ctx);
                return sm4_gcm_error(err, error, "opening an SM4-GCM handle", 0);
        }
        error = gcry_cipher_setkey(ctx->handle, key, SM4_KEY_LEN);
        if (error != 0) {
                sm4_gcm_free(ctx);
                return sm4_gcm_error(err, error, "setting the key", SM4_KEY_LEN);
        }
        *out = ctx;
        return SMT_OK;
}

/* sm4_gcm_start begins one message: a new IV resets libgcrypt's GCM state (counter, GHASH, lengths,
 * tag), then the AAD goes into GHASH before any text (SP 800-38D §7.1 step 5). */
static int sm4_gcm_start(struct sm4_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad,
                         size_t aad_len, struct err *err)
{
        if (iv_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "sm4_gcm: empty IV; expected %d bytes", SM4_GCM_IV_LEN);
        gcry_error_t error = gcry_cipher_setiv(ctx->handle, iv, iv_len);
        if (error != 0)
                return sm4_gcm_error(err, error, "setting the IV", iv_len);
        if (aad_len > 0) {
                error = gcry_cipher_authenticate(ctx->handle, aad, aad_len);
                if (error != 0)
                        return sm4_gcm_error(err, error, "authenticating the AAD", aad_len);
        }
        return SMT_OK;
}

int sm4_gcm_seal(struct sm4_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                 uint8_t *out, const uint8_t *in, size_t len, uint8_t tag[SM4_GCM_TAG_LEN], struct err *err)
{
        TRY(sm4_gcm_start(ctx, iv, iv_len, aad, aad_len, err));
        gcry_error_t error = 0;
        /* libgcrypt spells in-place as a NULL input. */
        if (len > 0)
                error = gcry_cipher_encrypt(ctx->handle, out, len, out == in ? NULL : in, out == in ? 0 : len);
        if (error != 0)
                return sm4_gcm_error(err, error, "encrypting", len);
        error = gcry_cipher_gettag(ctx->handle, tag, SM4_GCM_TAG_LEN);
        if (error != 0)
                return sm4_gcm_error(err, error, "computing the tag", len);
        return SMT_OK;
}

/* GCM computes the tag over the ciphertext while decrypting, so out holds unauthenticated plaintext until
 * gcry_cipher_checktag (a constant-time comparison) accepts the tag; every failure wipes it. */
int sm4_gcm_open(struct sm4_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                 uint8_t *out, const uint8_t *in, size_t len, const uint8_t tag[SM4_GCM_TAG_LEN], struct err *err)
{
        int status = sm4_gcm_start(ctx, iv, iv_len, aad, aad_len, err);
        gcry_error_t error = 0;
        if (status == SMT_OK && len > 0)
                error = gcry_cipher_decrypt(ctx->handle, out, len, out == in ? NULL : in, out == in ? 0 : len);
        if (status == SMT_OK && error == 0)
                error = gcry_cipher_checktag(ctx->handle, tag, SM4_GCM_TAG_LEN);
        if (status == SMT_OK && error == 0)
                return SMT_OK;
        if (len > 0)
                explicit_bzero(out, len);
        if (status != SMT_OK)
                return status;
        if (gcry_err_code(error) == GPG_ERR_CHECKSUM)
                return SMT_ERR(err, CRYPTO_ETAG,
                               "sm4_gcm_open: tag does not match %zu bytes of ciphertext and %zu of AAD", len, aad_len);
        return sm4_gcm_error(err, error, "decrypting", len);
}

void sm4_gcm_free(struct sm4_gcm *ctx)
{
        if (ctx == NULL)
                return;
        /* gcry_cipher_close wipes the key schedule and GHASH key before freeing the handle. */
        gcry_cipher_close(ctx->handle);
        free(ctx);
}
