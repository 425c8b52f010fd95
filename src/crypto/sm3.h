/* src/crypto/sm3.h: SM3 hash (GB/T 32905), HMAC-SM3, the TLS 1.2-style PRF P_SM3 that TLCP
 * uses (GB/T 38636 §6.5), and the SM3 key derivation function KDF (GB/T 32918.4 §5.4.3). Our own
 * implementation (sm3_compress.c), allocation-free; the status returns stay for the callers' sake and
 * only report misuse (a context not initialised or already finished). */
#ifndef SMT_CRYPTO_SM3_H
#define SMT_CRYPTO_SM3_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SM3_DIGEST_LEN 32
#define SM3_BLOCK_LEN 64

/* struct sm3_ctx: an incremental hash; init before use, cleanup after (it wipes the state, which may
 * derive from secrets). Plain data: no allocation, a struct assignment copies it. */
struct sm3_ctx {
        uint32_t state[8];
        uint8_t block[SM3_BLOCK_LEN]; /* bytes of the block not yet compressed */
        uint64_t num_bytes;           /* hashed so far, block included */
        uint32_t is_active;           /* initialised and not finished */
};

/* sm3_init starts a hash in ctx. */
int sm3_init(struct sm3_ctx *ctx, struct err *err) SMT_MUST_USE;

/* sm3_update hashes len more bytes. */
int sm3_update(struct sm3_ctx *ctx, const uint8_t *in, size_t len, struct err *err) SMT_MUST_USE;

/* sm3_copy makes dst (uninitialised) an independent copy of src, e.g. to read a transcript hash
 * mid-handshake; cleanup both. */
int sm3_copy(struct sm3_ctx *dst, const struct sm3_ctx *src, struct err *err) SMT_MUST_USE;

/* sm3_final writes the digest; ctx must then be cleaned up (or init'ed again). */
int sm3_final(struct sm3_ctx *ctx, uint8_t out[SM3_DIGEST_LEN], struct err *err) SMT_MUST_USE;

/* sm3_cleanup releases ctx (safe on a zeroed or already cleaned ctx). */
void sm3_cleanup(struct sm3_ctx *ctx);

/* sm3_hash writes SM3(in) to out. */
int sm3_hash(uint8_t out[SM3_DIGEST_LEN], const uint8_t *in, size_t len, struct err *err) SMT_MUST_USE;

/* struct sm3_hmac_key: an HMAC-SM3 key made ready once (its inner and outer pad blocks already
 * compressed), for a key that MACs many messages (a TLCP record MAC key, a PRF secret): each MAC then
 * costs the message's blocks plus two. Wipe it with sm3_hmac_key_cleanup. */
struct sm3_hmac_key {
        uint32_t inner[8], outer[8];
};

/* sm3_hmac_key_init prepares key (any length; RFC 2104: longer than a block, it is hashed first). */
void sm3_hmac_key_init(struct sm3_hmac_key *hmac_key, const uint8_t *key, size_t key_len);
void sm3_hmac_key_cleanup(struct sm3_hmac_key *hmac_key);

/* sm3_hmac_with writes HMAC-SM3 over the concatenation of the num_parts parts (NULL with length 0 allowed)
 * under the prepared hmac_key. */
struct sm3_part {
        const uint8_t *data;
        size_t len;
};
void sm3_hmac_with(uint8_t out[SM3_DIGEST_LEN], const struct sm3_hmac_key *hmac_key, const struct sm3_part *parts,
                   size_t num_parts);

/* sm3_hmac_secret_len writes HMAC-SM3 over msg[0..msg_len) in a time that depends on msg_max, not on
 * msg_len (at most msg_max, below 2^60): every block up to msg_max's is compressed and the state after the
 * right one kept by masks. For a CBC record whose padding, and so the MAC's input length, is secret
 * (Lucky 13, RFC 5246 §6.2.3.2's implementation note). msg[0..msg_max) must be readable. */
void sm3_hmac_secret_len(uint8_t out[SM3_DIGEST_LEN], const struct sm3_hmac_key *hmac_key, const uint8_t *msg,
                         size_t msg_len, size_t msg_max);

/* sm3_hmac writes HMAC-SM3(key, in) (RFC 2104) to out. */
int sm3_hmac(uint8_t out[SM3_DIGEST_LEN], const uint8_t *key, size_t key_len, const uint8_t *in, size_t len,
             struct err *err) SMT_MUST_USE;

/* sm3_prf fills out_len bytes of out with P_SM3(secret, label || seed_a || seed_b) (RFC 5246 §5 with
 * HMAC-SM3). seed_b may be NULL with seed_b_len 0. */
int sm3_prf(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len, const char *label,
            const uint8_t *seed_a, size_t seed_a_len, const uint8_t *seed_b, size_t seed_b_len,
            struct err *err) SMT_MUST_USE;

/* sm3_kdf fills out_len bytes of out with KDF(z, out_len) from GB/T 32918.4 §5.4.3:
 * SM3(z || ct) for a 32-bit big-endian counter ct = 1, 2, ... */
int sm3_kdf(uint8_t *out, size_t out_len, const uint8_t *z, size_t z_len, struct err *err) SMT_MUST_USE;

#endif
