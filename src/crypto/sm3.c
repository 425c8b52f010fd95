/* src/crypto/sm3.c: SM3 (GB/T 32905-2016) incremental hashing and the SM2 KDF (GB/T 32918.4 §5.4.3) over
 * sm3_compress.c. HMAC-SM3 and P_SM3 are in sm3_hmac.c. */
#include "crypto/sm3_internal.h"

#include <string.h>

void sm3_iv(uint32_t state[8])
{
        static const uint32_t iv[8] = {0x7380166fU, 0x4914b2b9U, 0x172442d7U, 0xda8a0600U,
                                       0xa96f30bcU, 0x163138aaU, 0xe38dee4dU, 0xb0fb0e4eU};
        memcpy(state, iv, sizeof iv);
}

int sm3_init(struct sm3_ctx *ctx, struct err *err)
{
        (void)err;
        sm3_iv(ctx->state);
        ctx->num_bytes = 0;
        ctx->is_active = 1;
        return SMT_OK;
}

int sm3_update(struct sm3_ctx *ctx, const uint8_t *in, size_t len, struct err *err)
{
        if (!ctx->is_active)
                return SMT_ERR(err, SMT_EINVAL, "sm3_update: context not initialised or already finished");
        if (len == 0)
                return SMT_OK; /* in may then be NULL */
        size_t used = (size_t)(ctx->num_bytes % SM3_BLOCK_LEN);
        ctx->num_bytes += len;
        if (used > 0) {
                size_t take = SM3_BLOCK_LEN - used < len ? SM3_BLOCK_LEN - used : len;
                memcpy(ctx->block + used, in, take);
                in += take;
                len -= take;
                if (used + take < SM3_BLOCK_LEN)
                        return SMT_OK;
                sm3_compress(ctx->state, ctx->block, 1);
        }
        size_t whole = len / SM3_BLOCK_LEN;
        if (whole > 0)
                sm3_compress(ctx->state, in, whole);
        if (len % SM3_BLOCK_LEN > 0)
                memcpy(ctx->block, in + whole * SM3_BLOCK_LEN, len % SM3_BLOCK_LEN);
        return SMT_OK;
}

int sm3_copy(struct sm3_ctx *dst, const struct sm3_ctx *src, struct err *err)
{
        if (!src->is_active) {
                dst->is_active = 0;
                return SMT_ERR(err, SMT_EINVAL, "sm3_copy: source not initialised or already finished");
        }
        *dst = *src;
        return SMT_OK;
}

/* §5.2: a 1 bit, zeros to 56 bytes mod 64, the message length in bits as 64 bits big-endian. */
void sm3_finish(struct sm3_ctx *ctx, uint8_t out[SM3_DIGEST_LEN])
{
        size_t used = (size_t)(ctx->num_bytes % SM3_BLOCK_LEN);
        uint64_t bits = ctx->num_bytes * 8;
        ctx->block[used++] = 0x80;
        if (used > SM3_BLOCK_LEN - 8) {
                memset(ctx->block + used, 0, SM3_BLOCK_LEN - used);
                sm3_compress(ctx->state, ctx->block, 1);
                used = 0;
        }
        memset(ctx->block + used, 0, SM3_BLOCK_LEN - 8 - used);
        for (int i = 0; i < 8; i++)
                ctx->block[SM3_BLOCK_LEN - 1 - i] = (uint8_t)(bits >> (8 * i));
        sm3_compress(ctx->state, ctx->block, 1);
        for (int i = 0; i < 8; i++) {
                out[4 * i] = (uint8_t)(ctx->state[i] >> 24);
                out[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
                out[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
                out[4 * i + 3] = (uint8_t)ctx->state[i];
        }
        sm3_cleanup(ctx);
}

int sm3_final(struct sm3_ctx *ctx, uint8_t out[SM3_DIGEST_LEN], struct err *err)
{
        if (!ctx->is_active)
                return SMT_ERR(err, SMT_EINVAL, "sm3_final: context not initialised or already finished");
        sm3_finish(ctx, out);
        return SMT_OK;
}

void sm3_cleanup(struct sm3_ctx *ctx)
{
        explicit_bzero(ctx, sizeof *ctx); /* the chaining state may derive from secrets (KDF input, keys) */
}

int sm3_hash(uint8_t out[SM3_DIGEST_LEN], const uint8_t *in, size_t len, struct err *err)
{
        struct sm3_ctx ctx;
        TRY(sm3_init(&ctx, err));
        TRY(sm3_update(&ctx, in, len, err));
        sm3_finish(&ctx, out);
        return SMT_OK;
}

int sm3_kdf(uint8_t *out, size_t out_len, const uint8_t *z, size_t z_len, struct err *err)
{
        /* GB/T 32918.4 §5.4.3: klen < (2^32 - 1) * v, so the 32-bit counter never wraps. */
        if (out_len / SM3_DIGEST_LEN >= UINT32_MAX)
                return SMT_ERR(err, SMT_EINVAL, "sm3_kdf: %zu output bytes exceed the 32-bit counter", out_len);
        struct sm3_ctx base, work;
        uint8_t block[SM3_DIGEST_LEN];
        TRY(sm3_init(&base, err));
        TRY(sm3_update(&base, z, z_len, err)); /* Z is hashed once; each block continues a copy */
        uint32_t counter = 1;
        for (size_t done = 0; done < out_len; done += SM3_DIGEST_LEN, counter++) {
                const uint8_t ct[4] = {counter >> 24, counter >> 16, counter >> 8, counter};
                work = base;
                TRY(sm3_update(&work, ct, sizeof ct, err));
                sm3_finish(&work, block);
                size_t take = out_len - done < SM3_DIGEST_LEN ? out_len - done : SM3_DIGEST_LEN;
                memcpy(out + done, block, take);
        }
        sm3_cleanup(&base);
        explicit_bzero(block, sizeof block);
        return SMT_OK;
}
