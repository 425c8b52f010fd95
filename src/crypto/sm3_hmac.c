/* src/crypto/sm3_hmac.c: HMAC-SM3 (RFC 2104 with SM3, GM/T 0042) from precomputed pad states, and P_SM3,
 * the PRF of TLCP (GB/T 38636-2020 §6.5, RFC 5246 §5 with HMAC-SM3). Preparing a key compresses its
 * inner and outer pad blocks once; every MAC under it starts from those states. */
#include "crypto/sm3_internal.h"

#include <string.h>

void sm3_hmac_key_init(struct sm3_hmac_key *hmac_key, const uint8_t *key, size_t key_len)
{
        uint8_t pad[SM3_BLOCK_LEN] = {0};
        struct err err;
        if (key_len > SM3_BLOCK_LEN)
                SMT_IGNORE(sm3_hash(pad, key, key_len, &err)); /* cannot fail: a fresh context */
        else if (key_len > 0)
                memcpy(pad, key, key_len);
        for (size_t i = 0; i < SM3_BLOCK_LEN; i++)
                pad[i] ^= 0x36;
        sm3_iv(hmac_key->inner);
        sm3_compress(hmac_key->inner, pad, 1);
        for (size_t i = 0; i < SM3_BLOCK_LEN; i++)
                pad[i] ^= 0x36 ^ 0x5c;
        sm3_iv(hmac_key->outer);
        sm3_compress(hmac_key->outer, pad, 1);
        explicit_bzero(pad, sizeof pad);
}

void sm3_hmac_key_cleanup(struct sm3_hmac_key *hmac_key)
{
        explicit_bzero(hmac_key, sizeof *hmac_key);
}

/* sm3_hmac_resume continues from a pad state: one block of the message already counted. */
static void sm3_hmac_resume(struct sm3_ctx *ctx, const uint32_t state[8])
{
        memcpy(ctx->state, state, sizeof ctx->state);
        ctx->num_bytes = SM3_BLOCK_LEN;
        ctx->is_active = 1;
}

void sm3_hmac_with(uint8_t out[SM3_DIGEST_LEN], const struct sm3_hmac_key *hmac_key, const struct sm3_part *parts,
                   size_t num_parts)
{
        struct sm3_ctx ctx;
        struct err err;
        uint8_t inner[SM3_DIGEST_LEN];
        sm3_hmac_resume(&ctx, hmac_key->inner);
        for (size_t i = 0; i < num_parts; i++)
                SMT_IGNORE(sm3_update(&ctx, parts[i].data, parts[i].len, &err)); /* active: cannot fail */
        sm3_finish(&ctx, inner);
        sm3_hmac_resume(&ctx, hmac_key->outer);
        SMT_IGNORE(sm3_update(&ctx, inner, sizeof inner, &err));
        sm3_finish(&ctx, out);
        explicit_bzero(inner, sizeof inner);
}

/* All ones when a < b, else zero, without a branch (operands below 2^63). */
static size_t sm3_mask_lt(size_t a, size_t b)
{
        return 0 - ((a - b) >> (sizeof(size_t) * 8 - 1));
}

static size_t sm3_mask_eq(size_t a, size_t b)
{
        return 0 - (((a ^ b) - 1) >> (sizeof(size_t) * 8 - 1));
}

/* sm3_hmac_block_at builds block i of the inner hash's padded message (msg of msg_len bytes, 0x80, zeros,
 * and in block final the bit length of the pad block and msg): every byte is chosen by masks, none by a
 * branch or an index that depends on msg_len. */
static void sm3_hmac_block_at(uint8_t block[SM3_BLOCK_LEN], const uint8_t *msg, size_t msg_len, size_t msg_max,
                              size_t i, size_t is_final)
{
        uint64_t bits = (uint64_t)(SM3_BLOCK_LEN + msg_len) * 8;
        for (size_t k = 0; k < SM3_BLOCK_LEN; k++) {
                size_t at = i * SM3_BLOCK_LEN + k;
                uint8_t byte = at < msg_max ? msg[at] : 0; /* msg_max is public */
                byte = (uint8_t)((byte & sm3_mask_lt(at, msg_len)) | (0x80 & sm3_mask_eq(at, msg_len)));
                if (k >= SM3_BLOCK_LEN - 8)
                        byte |= (uint8_t)(bits >> (8 * (SM3_BLOCK_LEN - 1 - k))) & (uint8_t)is_final;
                block[k] = byte;
        }
}

void sm3_hmac_secret_len(uint8_t out[SM3_DIGEST_LEN], const struct sm3_hmac_key *hmac_key, const uint8_t *msg,
                         size_t msg_len, size_t msg_max)
{
        uint32_t state[8], inner_state[8] = {0};
        uint8_t block[SM3_BLOCK_LEN], inner[SM3_DIGEST_LEN];
        memcpy(state, hmac_key->inner, sizeof state);
        /* the block that ends with the length: msg_len + 1 + 8 bytes fit in final + 1 blocks */
        size_t final = (msg_len + 8) / SM3_BLOCK_LEN, num_blocks = (msg_max + 8) / SM3_BLOCK_LEN + 1;
        for (size_t i = 0; i < num_blocks; i++) {
                size_t is_final = sm3_mask_eq(i, final);
                sm3_hmac_block_at(block, msg, msg_len, msg_max, i, is_final);
                sm3_compress(state, block, 1);
                for (int j = 0; j < 8; j++)
                        inner_state[j] |= state[j] & (uint32_t)is_final;
        }
        for (int j = 0; j < 8; j++) {
                inner[4 * j] = (uint8_t)(inner_state[j] >> 24);
                inner[4 * j + 1] = (uint8_t)(inner_state[j] >> 16);
                inner[4 * j + 2] = (uint8_t)(inner_state[j] >> 8);
                inner[4 * j + 3] = (uint8_t)inner_state[j];
        }
        struct sm3_ctx ctx;
        struct err err;
        sm3_hmac_resume(&ctx, hmac_key->outer);
        SMT_IGNORE(sm3_update(&ctx, inner, sizeof inner, &err)); /* active: cannot fail */
        sm3_finish(&ctx, out);
        explicit_bzero(state, sizeof state);
        explicit_bzero(inner_state, sizeof inner_state);
        explicit_bzero(block, sizeof block);
        explicit_bzero(inner, sizeof inner);
}

int sm3_hmac(uint8_t out[SM3_DIGEST_LEN], const uint8_t *key, size_t key_len, const uint8_t *in, size_t len,
             struct err *err)
{
        (void)err;
        struct sm3_hmac_key hmac_key;
        sm3_hmac_key_init(&hmac_key, key, key_len);
        const struct sm3_part part = {in, len};
        sm3_hmac_with(out, &hmac_key, &part, 1);
        sm3_hmac_key_cleanup(&hmac_key);
        return SMT_OK;
}

/* P_hash of RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)); the output is HMAC(secret, A(1) ||
 * seed) || HMAC(secret, A(2) || seed) || ..., cut to out_len. seed is label || seed_a || seed_b, the last
 * three of parts; parts[0] is A(i). */
static void sm3_prf_expand(const struct sm3_hmac_key *secret, uint8_t *out, size_t out_len, struct sm3_part parts[4])
{
        uint8_t a[SM3_DIGEST_LEN], block[SM3_DIGEST_LEN];
        sm3_hmac_with(a, secret, parts + 1, 3);
        parts[0] = (struct sm3_part){a, sizeof a};
        for (size_t done = 0; done < out_len; done += SM3_DIGEST_LEN) {
                sm3_hmac_with(block, secret, parts, 4);
                size_t take = out_len - done < SM3_DIGEST_LEN ? out_len - done : SM3_DIGEST_LEN;
                memcpy(out + done, block, take);
                if (done + take < out_len)
                        sm3_hmac_with(a, secret, parts, 1);
        }
        explicit_bzero(a, sizeof a);
        explicit_bzero(block, sizeof block);
}

int sm3_prf(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len, const char *label,
            const uint8_t *seed_a, size_t seed_a_len, const uint8_t *seed_b, size_t seed_b_len, struct err *err)
{
        (void)err;
        if (out_len == 0)
                return SMT_OK;
        struct sm3_hmac_key key;
        sm3_hmac_key_init(&key, secret, secret_len);
        struct sm3_part parts[4] = {
            {NULL, 0},
            {(const uint8_t *)label, strlen(label)},
            {seed_a, seed_a_len},
            {seed_b, seed_b_len},
        };
        sm3_prf_expand(&key, out, out_len, parts);
        sm3_hmac_key_cleanup(&key);
        return SMT_OK;
}
