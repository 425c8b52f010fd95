/* src/crypto/sm2.h: SM2 on the recommended curve (GB/T 32918.5): signatures with a distinguishing ID
 * (GB/T 32918.2), public key encryption (GB/T 32918.4) with the ciphertext as GM/T 0009 ASN.1 or raw
 * C1||C3||C2, and the key exchange protocol (GB/T 32918.3) that TLCP's ECDHE suites use.
 *
 * Keys are struct key (crypto/key.h) of algorithm KEY_ALG_SM2; any other key fails with CRYPTO_EWRONGALG. */
#ifndef SMT_CRYPTO_SM2_H
#define SMT_CRYPTO_SM2_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/key.h"
#include "crypto/sm3.h"

/* The distinguishing ID every SM2 user gets unless configured otherwise (GM/T 0009 §10). */
#define SM2_DEFAULT_ID "1234567812345678"
/* IDs are hashed with a 16-bit bit length (ENTL), so at most 8191 bytes. */
#define SM2_ID_MAX 8191
#define SM2_SIGNATURE_MAX 72
#define SM2_SCALAR_LEN 32
#define SM2_POINT_LEN 65 /* uncompressed: 0x04 || x || y */
/* A raw ciphertext is C1 (65) || C3 (32) || C2 (as long as the plaintext). */
#define SM2_CIPHERTEXT_RAW_OVERHEAD (SM2_POINT_LEN + SM3_DIGEST_LEN)
/* The ASN.1 form adds at most this much around the plaintext length. */
#define SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX 116

/* sm2_compute_z writes Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) for key's public point;
 * id NULL means SM2_DEFAULT_ID. */
int sm2_compute_z(uint8_t out[SM3_DIGEST_LEN], const struct key *key, const char *id,
                  struct err *err) SMT_MUST_USE;

/* sm2_sign signs SM3(Z(id) || msg) with a private SM2 key and writes the DER signature (at most
 * SM2_SIGNATURE_MAX bytes) to out; id NULL means SM2_DEFAULT_ID. */
int sm2_sign(const struct key *key, uint8_t out[SM2_SIGNATURE_MAX], size_t *out_len, const char *id,
             const uint8_t *msg, size_t msg_len, struct err *err) SMT_MUST_USE;

/* sm2_verify checks a DER signature over msg; CRYPTO_EVERIFY when it does not verify (wrong key, wrong
 * ID, changed message), SMT_EDECODE when sig is not a well-formed signature. */
int sm2_verify(const struct key *key, const char *id, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
               size_t sig_len, struct err *err) SMT_MUST_USE;

enum sm2_ciphertext_format {
        SM2_CIPHERTEXT_ASN1 = 1, /* GM/T 0009: SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, c2 OCTET STRING } */
        SM2_CIPHERTEXT_RAW = 2,  /* C1 (0x04 || x || y) || C3 || C2 */
};

/* struct sm2_ciphertext: a parsed ciphertext; c2 borrows the input (valid while it lives). */
struct sm2_ciphertext {
        uint8_t c1_x[SM2_SCALAR_LEN];
        uint8_t c1_y[SM2_SCALAR_LEN];
        uint8_t c3[SM3_DIGEST_LEN];
        struct buf_reader c2;
};

/* sm2_ciphertext_parse splits in (in format) into its parts, checking every length; it does not check
 * that C1 is on the curve (decryption does). */
int sm2_ciphertext_parse(struct sm2_ciphertext *out, enum sm2_ciphertext_format format, const uint8_t *in,
                         size_t in_len, struct err *err) SMT_MUST_USE;

/* sm2_ciphertext_write appends ct in format to out. */
int sm2_ciphertext_write(struct buf_writer *out, const struct sm2_ciphertext *ct,
                         enum sm2_ciphertext_format format, struct err *err) SMT_MUST_USE;

/* sm2_encrypt encrypts in_len bytes (at least 1) to an SM2 public key and appends the ciphertext in
 * format to out. */
int sm2_encrypt(const struct key *key, struct buf_writer *out, enum sm2_ciphertext_format format,
                const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* sm2_decrypt decrypts with a private SM2 key and appends the plaintext to out; CRYPTO_EDECRYPT when the
 * ciphertext was changed (C3 mismatch, C1 not on the curve) or is for another key. Nothing is appended
 * on failure. */
int sm2_decrypt(const struct key *key, struct buf_writer *out, enum sm2_ciphertext_format format,
                const uint8_t *in, size_t in_len, struct err *err) SMT_MUST_USE;

/* The key exchange protocol (GB/T 32918.3 §6.1). A is the initiator, B the responder; both derive
 * KDF(xU || yU || ZA || ZB, klen), so each side must know which one it is. */
enum sm2_key_exchange_role {
        SM2_KEY_EXCHANGE_INITIATOR = 1,
        SM2_KEY_EXCHANGE_RESPONDER = 2,
};

/* The optional confirmation hashes: the initiator sends SA and expects SB (= S1), the responder sends SB
 * and expects SA (= S2). Compare peer_expected in constant time (CRYPTO_memcmp). */
struct sm2_key_exchange_confirmation {
        uint8_t own_to_send[SM3_DIGEST_LEN];
        uint8_t peer_expected[SM3_DIGEST_LEN];
};

struct sm2_key_exchange;

/* sm2_key_exchange_new starts an exchange for role with own_static (private SM2 key, borrowed: it must
 * outlive the exchange) and own_id (NULL: default ID), drawing a fresh ephemeral key; free with
 * sm2_key_exchange_free. */
int sm2_key_exchange_new(struct sm2_key_exchange **out, enum sm2_key_exchange_role role,
                         const struct key *own_static, const char *own_id, struct err *err) SMT_MUST_USE;

/* sm2_key_exchange_new_with_ephemeral is sm2_key_exchange_new with a given ephemeral scalar r (1 <= r < n),
 * for published test vectors only. */
int sm2_key_exchange_new_with_ephemeral(struct sm2_key_exchange **out, enum sm2_key_exchange_role role,
                                        const struct key *own_static, const char *own_id,
                                        const uint8_t r[SM2_SCALAR_LEN], struct err *err) SMT_MUST_USE;

/* sm2_key_exchange_ephemeral_point writes own R (RA or RB), uncompressed, to send to the peer. */
void sm2_key_exchange_ephemeral_point(const struct sm2_key_exchange *kx, uint8_t out[SM2_POINT_LEN]);

/* sm2_key_exchange_compute derives shared_len bytes of key from the peer's static public key, ID (NULL:
 * default) and ephemeral point; CRYPTO_EKEYEXCHANGE when the peer point is not on the curve or U is the
 * point at infinity. confirmation may be NULL. */
int sm2_key_exchange_compute(struct sm2_key_exchange *kx, uint8_t *shared, size_t shared_len,
                             struct sm2_key_exchange_confirmation *confirmation, const struct key *peer_static,
                             const char *peer_id, const uint8_t peer_point[SM2_POINT_LEN],
                             struct err *err) SMT_MUST_USE;

/* sm2_key_exchange_free wipes the ephemeral secret and releases kx (NULL is fine). */
void sm2_key_exchange_free(struct sm2_key_exchange *kx);

#endif
