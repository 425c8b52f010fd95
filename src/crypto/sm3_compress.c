/* src/crypto/sm3_compress.c: the SM3 compression function CF (GB/T 32905-2016 §5.3), in portable C.
 *
 * Why our own and not OpenSSL's: OpenSSL 3.0 hashes SM3 in generic C too, but only behind EVP, whose
 * context is allocated per hash; a record MAC or a PRF block then costs more in the allocator and the
 * method store than in the hash. Here the state lives in the caller's struct.
 *
 * The 64 rounds are unrolled: each round writes only the two registers the standard's assignments
 * replace (D <- TT1, H <- P0(TT2)) and rotates B and F in place, and the next round takes the eight
 * registers renamed by one place (D,A,B,C,H,E,F,G), so no register is copied. Round j expands W[j+4],
 * the one it needs last; W'[j] = W[j] ^ W[j+4] is formed in the round. The sums are grouped so
 * that what depends on A (SS1, SS2: the longest chain from round to round) is added last. Everything here is
 * data-independent in time: no table lookups, no branches on the message. */
#include "crypto/sm3_internal.h"

#include <string.h>

#define SM3_ROTL(x, n) (((x) << ((n) & 31)) | ((x) >> ((32 - ((n) & 31)) & 31)))
#define SM3_P0(x)      ((x) ^ SM3_ROTL((x), 9) ^ SM3_ROTL((x), 17))
#define SM3_P1(x)      ((x) ^ SM3_ROTL((x), 15) ^ SM3_ROTL((x), 23))
/* T_j <<< (j mod 32), §5.3.3; j is a constant in every use, so the compiler folds it */
#define SM3_T(j) SM3_ROTL((j) < 16 ? 0x79cc4519U : 0x7a879d8aU, (j) % 32)

#define SM3_FF0(x, y, z) ((x) ^ (y) ^ (z))
#define SM3_FF1(x, y, z) (((x) & (y)) | (((x) | (y)) & (z)))
#define SM3_GG0(x, y, z) ((x) ^ (y) ^ (z))
#define SM3_GG1(x, y, z) ((((y) ^ (z)) & (x)) ^ (z)) /* (x & y) | (~x & z) */

/* W[j] of §5.3.2 (j >= 16) */
#define SM3_EXPAND(j)                                                                                      \
        (w[j] = SM3_P1(w[(j) - 16] ^ w[(j) - 9] ^ SM3_ROTL(w[(j) - 3], 15)) ^ SM3_ROTL(w[(j) - 13], 7) ^ w[(j) - 6])

#define SM3_ROUND(a, b, c, d, e, f, g, h, j, FF, GG)                                                       \
        do {                                                                                               \
                if ((j) + 4 >= 16 && (j) + 4 < 68) /* the W this round needs last: expanded in between */  \
                        SM3_EXPAND((j) + 4);                                                               \
                uint32_t a12 = SM3_ROTL(a, 12);                                                            \
                uint32_t ss1 = SM3_ROTL(a12 + ((e) + SM3_T(j)), 7);                                        \
                uint32_t ss2 = ss1 ^ a12;                                                                  \
                uint32_t tt1 = ss2 + (FF(a, b, c) + (d) + (w[j] ^ w[(j) + 4]));                            \
                uint32_t tt2 = ss1 + (GG(e, f, g) + (h) + w[j]);                                           \
                b = SM3_ROTL(b, 9);                                                                        \
                d = tt1;                                                                                   \
                f = SM3_ROTL(f, 19);                                                                       \
                h = SM3_P0(tt2);                                                                           \
        } while (0)

/* Four rounds bring the registers back to their names. */
#define SM3_ROUNDS4(j, FF, GG)                                                                             \
        do {                                                                                               \
                SM3_ROUND(a, b, c, d, e, f, g, h, (j), FF, GG);                                            \
                SM3_ROUND(d, a, b, c, h, e, f, g, (j) + 1, FF, GG);                                        \
                SM3_ROUND(c, d, a, b, g, h, e, f, (j) + 2, FF, GG);                                        \
                SM3_ROUND(b, c, d, a, f, g, h, e, (j) + 3, FF, GG);                                        \
        } while (0)

static uint32_t sm3_load_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* §5.3.2: the first 16 words W of one block; the round that first needs each further W expands it, so
 * the expansion's work fills the gaps of the rounds' dependency chain (W[j] needs W[j-3]: expanded ahead
 * in a loop, GCC 12 vectorised it two words at a time and stalled on store forwarding). */
static void sm3_load_block(uint32_t w[68], const uint8_t block[SM3_BLOCK_LEN])
{
        for (int j = 0; j < 16; j++)
                w[j] = sm3_load_be32(block + 4 * j);
}

static void sm3_compress_block(uint32_t state[8], const uint8_t block[SM3_BLOCK_LEN], uint32_t w[68])
{
        sm3_load_block(w, block);
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        SM3_ROUNDS4(0, SM3_FF0, SM3_GG0);
        SM3_ROUNDS4(4, SM3_FF0, SM3_GG0);
        SM3_ROUNDS4(8, SM3_FF0, SM3_GG0);
        SM3_ROUNDS4(12, SM3_FF0, SM3_GG0);
        SM3_ROUNDS4(16, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(20, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(24, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(28, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(32, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(36, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(40, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(44, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(48, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(52, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(56, SM3_FF1, SM3_GG1);
        SM3_ROUNDS4(60, SM3_FF1, SM3_GG1);
        state[0] ^= a;
        state[1] ^= b;
        state[2] ^= c;
        state[3] ^= d;
        state[4] ^= e;
        state[5] ^= f;
        state[6] ^= g;
        state[7] ^= h;
}

void sm3_compress(uint32_t state[8], const uint8_t *blocks, size_t num_blocks)
{
        uint32_t w[68];
        for (size_t i = 0; i < num_blocks; i++)
                sm3_compress_block(state, blocks + i * SM3_BLOCK_LEN, w);
        /* W derives from the message, which may be a key (HMAC pads, KDF input) */
        explicit_bzero(w, sizeof w);
}
