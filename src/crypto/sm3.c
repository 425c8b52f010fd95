/* src/crypto/sm3.c: SM3 (GB/T 32905) on OpenSSL 3's EVP, HMAC-SM3, P_SM3 and the SM2 KDF. */
#include "crypto/sm3.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/crypto_error.h"

/* The fetched algorithms are immutable once fetched; fetching them once saves OpenSSL 3's method-store
 * lookup (a lock and a hash probe) on every hash and every record MAC. */
static pthread_once_t sm3_fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *sm3_md;
static EVP_MAC *sm3_hmac_mac;

static void sm3_fetch(void)
{
        sm3_md = EVP_MD_fetch(NULL, "SM3", NULL);
        sm3_hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static int sm3_algorithms(struct err *err)
{
        pthread_once(&sm3_fetch_once, sm3_fetch);
        if (sm3_md == NULL || sm3_hmac_mac == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: OpenSSL offers no SM3 digest or HMAC");
        return SMT_OK;
}

int sm3_init(struct sm3_ctx *ctx, struct err *err)
{
        ctx->md_ctx = NULL;
        TRY(sm3_algorithms(err));
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        if (md_ctx == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "sm3: allocating a digest context");
        if (!EVP_DigestInit_ex2(md_ctx, sm3_md, NULL)) {
                EVP_MD_CTX_free(md_ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: starting a hash");
        }
        ctx->md_ctx = md_ctx;
        return SMT_OK;
}

int sm3_update(struct sm3_ctx *ctx, const uint8_t *in, size_t len, struct err *err)
{
        if (len == 0)
                return SMT_OK;
        if (ctx->md_ctx == NULL)
                return SMT_ERR(err, SMT_EINVAL, "sm3_update: context not initialised or already finished");
        if (!EVP_DigestUpdate(ctx->md_ctx, in, len))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: hashing %zu bytes", len);
        return SMT_OK;
}

int sm3_copy(struct sm3_ctx *dst, const struct sm3_ctx *src, struct err *err)
{
        dst->md_ctx = NULL;
        if (src->md_ctx == NULL)
                return SMT_ERR(err, SMT_EINVAL, "sm3_copy: source not initialised or already finished");
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        if (md_ctx == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "sm3: allocating a digest context");
        if (!EVP_MD_CTX_copy_ex(md_ctx, src->md_ctx)) {
                EVP_MD_CTX_free(md_ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: copying a hash");
        }
        dst->md_ctx = md_ctx;
        return SMT_OK;
}

/* sm3_final also releases the EVP context, so that sm3_init (which must accept uninitialised storage and
 * so cannot look at ctx) can follow it without a leak, and sm3_cleanup after it is a no-op. */
int sm3_final(struct sm3_ctx *ctx, uint8_t out[SM3_DIGEST_LEN], struct err *err)
{
        if (ctx->md_ctx == NULL)
                return SMT_ERR(err, SMT_EINVAL, "sm3_final: context not initialised or already finished");
        unsigned int out_len = 0;
        int ok = EVP_DigestFinal_ex(ctx->md_ctx, out, &out_len);
        sm3_cleanup(ctx);
        if (!ok || out_len != SM3_DIGEST_LEN)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: finishing a hash (%u bytes)", out_len);
        return SMT_OK;
}

void sm3_cleanup(struct sm3_ctx *ctx)
{
        /* EVP_MD_CTX_free wipes the chaining state, which may derive from secrets (KDF input). */
        EVP_MD_CTX_free(ctx->md_ctx);
        ctx->md_ctx = NULL;
}

int sm3_hash(uint8_t out[SM3_DIGEST_LEN], const uint8_t *in, size_t len, struct err *err)
{
        struct sm3_ctx ctx;
        TRY(sm3_init(&ctx, err));
        int status = sm3_update(&ctx, in, len, err);
        if (status == SMT_OK)
                return sm3_final(&ctx, out, err);
        sm3_cleanup(&ctx);
        return status;
}

/* struct sm3_piece: one part of a message that is MACed without first being concatenated. */
struct sm3_piece {
        const uint8_t *data;
        size_t len;
};

static int sm3_hmac_new(EVP_MAC_CTX **out, const uint8_t *key, size_t key_len, struct err *err)
{
        static const uint8_t empty_key[1];
        TRY(sm3_algorithms(err));
        EVP_MAC_CTX *mac = EVP_MAC_CTX_new(sm3_hmac_mac);
        if (mac == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "sm3: allocating an HMAC context");
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SM3", 0),
                OSSL_PARAM_construct_end(),
        };
        /* A NULL key would mean "keep the previous key" to EVP_MAC_init; an empty key is a valid HMAC key. */
        if (!EVP_MAC_init(mac, key_len > 0 ? key : empty_key, key_len, params)) {
                EVP_MAC_CTX_free(mac);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: keying HMAC-SM3 with %zu bytes", key_len);
        }
        *out = mac;
        return SMT_OK;
}

/* sm3_hmac_pieces computes HMAC over the concatenated pieces with mac's key; mac can be reused after. */
static int sm3_hmac_pieces(EVP_MAC_CTX *mac, uint8_t out[SM3_DIGEST_LEN], const struct sm3_piece *pieces,
                           size_t num_pieces, struct err *err)
{
        /* EVP_MAC_init with a NULL key restarts HMAC with the key already set. */
        if (!EVP_MAC_init(mac, NULL, 0, NULL))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: restarting HMAC-SM3");
        for (size_t i = 0; i < num_pieces; i++)
                if (pieces[i].len > 0 && !EVP_MAC_update(mac, pieces[i].data, pieces[i].len))
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: HMAC-SM3 over %zu bytes", pieces[i].len);
        size_t out_len = 0;
        if (!EVP_MAC_final(mac, out, &out_len, SM3_DIGEST_LEN) || out_len != SM3_DIGEST_LEN)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "sm3: finishing HMAC-SM3 (%zu bytes)", out_len);
        return SMT_OK;
}

int sm3_hmac(uint8_t out[SM3_DIGEST_LEN], const uint8_t *key, size_t key_len, const uint8_t *in, size_t len,
             struct err *err)
{
        EVP_MAC_CTX *mac;
        TRY(sm3_hmac_new(&mac, key, key_len, err));
        const struct sm3_piece piece = { in, len };
        int status = sm3_hmac_pieces(mac, out, &piece, 1, err);
        EVP_MAC_CTX_free(mac);
        return status;
}

/* sm3_prf_expand is P_hash of RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)), and the output is
 * HMAC(secret, A(1) || seed) || HMAC(secret, A(2) || seed) || ..., truncated to out_len. Here seed is
 * label || seed_a || seed_b, passed as the last three pieces of seed_pieces[1..3]. */
static int sm3_prf_expand(EVP_MAC_CTX *mac, uint8_t *out, size_t out_len, struct sm3_piece seed_pieces[4],
                          struct err *err)
{
        uint8_t a[SM3_DIGEST_LEN], block[SM3_DIGEST_LEN];
        int status = sm3_hmac_pieces(mac, a, seed_pieces + 1, 3, err);
        seed_pieces[0] = (struct sm3_piece){ a, sizeof a };
        for (size_t done = 0; status == SMT_OK && done < out_len; done += SM3_DIGEST_LEN) {
                status = sm3_hmac_pieces(mac, block, seed_pieces, 4, err);
                if (status != SMT_OK)
                        break;
                size_t take = out_len - done < SM3_DIGEST_LEN ? out_len - done : SM3_DIGEST_LEN;
                memcpy(out + done, block, take);
                if (done + take < out_len)
                        status = sm3_hmac_pieces(mac, a, seed_pieces, 1, err);
        }
        explicit_bzero(a, sizeof a);
        explicit_bzero(block, sizeof block);
        return status;
}

int sm3_prf(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len, const char *label,
            const uint8_t *seed_a, size_t seed_a_len, const uint8_t *seed_b, size_t seed_b_len, struct err *err)
{
        if (out_len == 0)
                return SMT_OK;
        EVP_MAC_CTX *mac;
        TRY(sm3_hmac_new(&mac, secret, secret_len, err));
        struct sm3_piece seed_pieces[4] = {
                { NULL, 0 },
                { (const uint8_t *)label, strlen(label) },
                { seed_a, seed_a_len },
                { seed_b, seed_b_len },
        };
        int status = sm3_prf_expand(mac, out, out_len, seed_pieces, err);
        EVP_MAC_CTX_free(mac);
        if (status != SMT_OK)
                explicit_bzero(out, out_len);
        return status;
}

/* sm3_kdf_blocks writes SM3(z || ct) for ct = 1, 2, ...; z is hashed once into base and each block
 * continues a copy of it. */
static int sm3_kdf_blocks(EVP_MD_CTX *base, EVP_MD_CTX *work, uint8_t *out, size_t out_len, struct err *err)
{
        uint8_t block[SM3_DIGEST_LEN];
        int status = SMT_OK;
        uint32_t counter = 1;
        for (size_t done = 0; done < out_len; done += SM3_DIGEST_LEN, counter++) {
                const uint8_t ct[4] = { counter >> 24, counter >> 16, counter >> 8, counter };
                unsigned int block_len = 0;
                if (!EVP_MD_CTX_copy_ex(work, base) || !EVP_DigestUpdate(work, ct, sizeof ct) ||
                    !EVP_DigestFinal_ex(work, block, &block_len) || block_len != SM3_DIGEST_LEN) {
                        status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm3_kdf: block %u", (unsigned)counter);
                        break;
                }
                size_t take = out_len - done < SM3_DIGEST_LEN ? out_len - done : SM3_DIGEST_LEN;
                memcpy(out + done, block, take);
        }
        explicit_bzero(block, sizeof block);
        return status;
}

int sm3_kdf(uint8_t *out, size_t out_len, const uint8_t *z, size_t z_len, struct err *err)
{
        /* GB/T 32918.4 §5.4.3: klen < (2^32 - 1) * v, so the 32-bit counter never wraps. */
        if (out_len / SM3_DIGEST_LEN >= UINT32_MAX)
                return SMT_ERR(err, SMT_EINVAL, "sm3_kdf: %zu output bytes exceed the 32-bit counter", out_len);
        if (out_len == 0)
                return SMT_OK;
        TRY(sm3_algorithms(err));
        EVP_MD_CTX *base = EVP_MD_CTX_new(), *work = EVP_MD_CTX_new();
        int status;
        if (base == NULL || work == NULL)
                status = crypto_error_set(err, SMT_ENOMEM, "sm3_kdf: allocating digest contexts");
        else if (!EVP_DigestInit_ex2(base, sm3_md, NULL) || (z_len > 0 && !EVP_DigestUpdate(base, z, z_len)))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "sm3_kdf: hashing %zu bytes of Z", z_len);
        else
                status = sm3_kdf_blocks(base, work, out, out_len, err);
        EVP_MD_CTX_free(work);
        EVP_MD_CTX_free(base);
        if (status != SMT_OK)
                explicit_bzero(out, out_len);
        return status;
}
