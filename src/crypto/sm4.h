/* src/crypto/sm4.h: SM4 block cipher (GB/T 32907) and its CBC and GCM modes.
 *
 * Block and CBC run on OpenSSL 3. OpenSSL 3.0 has no SM4-GCM, so GCM (NIST SP 800-38D, as RFC 8998
 * uses it) comes from libgcrypt, whose SM4 and GHASH are constant-time and use AES-NI/PCLMUL where the
 * CPU has them (README, "Design notes"). CBC here is unpadded: callers (the TLCP record layer) pad. */
#ifndef SMT_CRYPTO_SM4_H
#define SMT_CRYPTO_SM4_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM4_KEY_LEN 16
#define SM4_BLOCK_LEN 16
#define SM4_GCM_TAG_LEN 16
#define SM4_GCM_IV_LEN 12

/* struct sm4_block: an expanded key for single-block operations. */
struct sm4_block;

/* sm4_block_new expands key for encryption and decryption; free with sm4_block_free. */
int sm4_block_new(struct sm4_block **out, const uint8_t key[SM4_KEY_LEN], struct err *err) SMT_MUST_USE;

/* sm4_block_encrypt / sm4_block_decrypt transform one 16-byte block (in and out may be the same). */
int sm4_block_encrypt(struct sm4_block *ctx, uint8_t out[SM4_BLOCK_LEN], const uint8_t in[SM4_BLOCK_LEN],
                      struct err *err) SMT_MUST_USE;
int sm4_block_decrypt(struct sm4_block *ctx, uint8_t out[SM4_BLOCK_LEN], const uint8_t in[SM4_BLOCK_LEN],
                      struct err *err) SMT_MUST_USE;

/* sm4_block_free wipes and releases ctx (NULL is fine). */
void sm4_block_free(struct sm4_block *ctx);

/* struct sm4_cbc: a key for CBC without padding, reused across messages (one per record direction). */
struct sm4_cbc;

/* sm4_cbc_new expands key; free with sm4_cbc_free. */
int sm4_cbc_new(struct sm4_cbc **out, const uint8_t key[SM4_KEY_LEN], struct err *err) SMT_MUST_USE;

/* sm4_cbc_encrypt / sm4_cbc_decrypt process len bytes (a multiple of 16, else SMT_EINVAL) with iv;
 * out has room for len bytes and may equal in. */
int sm4_cbc_encrypt(struct sm4_cbc *ctx, const uint8_t iv[SM4_BLOCK_LEN], uint8_t *out, const uint8_t *in,
                    size_t len, struct err *err) SMT_MUST_USE;
int sm4_cbc_decrypt(struct sm4_cbc *ctx, const uint8_t iv[SM4_BLOCK_LEN], uint8_t *out, const uint8_t *in,
                    size_t len, struct err *err) SMT_MUST_USE;

/* sm4_cbc_free wipes and releases ctx (NULL is fine). */
void sm4_cbc_free(struct sm4_cbc *ctx);

/* struct sm4_gcm: a key for GCM, reused across messages with a fresh IV each time. */
struct sm4_gcm;

/* sm4_gcm_new expands key; free with sm4_gcm_free. */
int sm4_gcm_new(struct sm4_gcm **out, const uint8_t key[SM4_KEY_LEN], struct err *err) SMT_MUST_USE;

/* sm4_gcm_seal encrypts len bytes of in to out (room for len bytes, may equal in) and writes the 16-byte
 * tag over aad and the ciphertext. iv_len is 12 in TLCP and RFC 8998; other lengths use GHASH(IV). */
int sm4_gcm_seal(struct sm4_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                 uint8_t *out, const uint8_t *in, size_t len, uint8_t tag[SM4_GCM_TAG_LEN],
                 struct err *err) SMT_MUST_USE;

/* sm4_gcm_open checks tag and decrypts; on CRYPTO_ETAG out is wiped and no plaintext is released. */
int sm4_gcm_open(struct sm4_gcm *ctx, const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                 uint8_t *out, const uint8_t *in, size_t len, const uint8_t tag[SM4_GCM_TAG_LEN],
                 struct err *err) SMT_MUST_USE;

/* sm4_gcm_free wipes and releases ctx (NULL is fine). */
void sm4_gcm_free(struct sm4_gcm *ctx);

#endif
