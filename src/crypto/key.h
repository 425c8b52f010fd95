/* src/crypto/key.h: asymmetric keys (SM2, EC P-256/P-384, RSA) over OpenSSL 3.
 *
 * A struct key holds a private key (with its public half) or a public key only.
 * Files are PEM or DER: PKCS#8 (optionally encrypted with a passphrase) for
 * private keys, SubjectPublicKeyInfo for public keys, exactly what
 * `openssl pkey` reads and writes. Private key files are written 0600 and
 * refused on load when group or others can read them. */
#ifndef SMT_CRYPTO_KEY_H
#define SMT_CRYPTO_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

struct evp_pkey_st; /* OpenSSL's EVP_PKEY, for the crypto module's own files only */

enum key_alg {
        KEY_ALG_SM2 = 1,
        KEY_ALG_EC_P256 = 2,
        KEY_ALG_EC_P384 = 3,
        KEY_ALG_RSA_2048 = 4,
        KEY_ALG_RSA_3072 = 5,
        KEY_ALG_RSA_OTHER = 6, /* an RSA key of another size, loaded from a file; never generated */
};

enum key_format {
        KEY_FORMAT_PEM = 1,
        KEY_FORMAT_DER = 2,
};

/* Private keys and passphrases are bounded so they fit fixed, wipeable arrays. */
#define KEY_FILE_MAX (64 * 1024)
#define KEY_PASSPHRASE_MAX 1024

struct key;

/* key_alg_parse maps "sm2", "ec-p256", "ec-p384", "rsa-2048" or "rsa-3072" to *out; SMT_EINVAL otherwise. */
int key_alg_parse(const char *name, enum key_alg *out) SMT_MUST_USE;

/* key_alg_name returns the name key_alg_parse accepts ("rsa" for KEY_ALG_RSA_OTHER). */
const char *key_alg_name(enum key_alg alg);

/* key_generate makes a new private key of alg; free with key_free. */
int key_generate(struct key **out, enum key_alg alg, struct err *err) SMT_MUST_USE;

/* key_parse reads a private or public key from PEM or DER bytes (format detected). An encrypted private
 * key needs passphrase (NUL-terminated; NULL when none): CRYPTO_EPASSPHRASE when missing or wrong.
 * Anything else that is not a key of a known algorithm fails with SMT_EDECODE or CRYPTO_EWRONGALG. */
int key_parse(struct key **out, const uint8_t *in, size_t in_len, const char *passphrase,
              struct err *err) SMT_MUST_USE;

/* key_load reads a key file; a private key file must be mode 0600 or stricter (SMT_EPERM otherwise).
 * passphrase_file (NULL when none) holds the passphrase on its first line. */
int key_load(struct key **out, const char *path, const char *passphrase_file, struct err *err) SMT_MUST_USE;

/* key_passphrase_load reads the first line of path (without its line end) into out; wipe out after use. */
int key_passphrase_load(char out[KEY_PASSPHRASE_MAX], const char *path, struct err *err) SMT_MUST_USE;

/* key_write_private appends the private key as PKCS#8 in format to out; with a passphrase the PKCS#8 is
 * encrypted (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), which `openssl pkey -passin` reads. */
int key_write_private(const struct key *key, enum key_format format, const char *passphrase,
                      struct buf_writer *out, struct err *err) SMT_MUST_USE;

/* key_write_public appends the SubjectPublicKeyInfo in format to out. */
int key_write_public(const struct key *key, enum key_format format, struct buf_writer *out,
                     struct err *err) SMT_MUST_USE;

/* key_save_private writes the private key to path, mode 0600, atomically; SMT_EEXIST if path exists and
 * overwrite is false. */
int key_save_private(const struct key *key, const char *path, enum key_format format, const char *passphrase,
                     bool overwrite, struct err *err) SMT_MUST_USE;

/* key_save_public writes the public key to path, mode 0644, atomically. */
int key_save_public(const struct key *key, const char *path, enum key_format format, bool overwrite,
                    struct err *err) SMT_MUST_USE;

/* key_get_alg returns the key's algorithm. */
enum key_alg key_get_alg(const struct key *key);

/* key_bits returns the key size in bits (256 for SM2 and P-256). */
int key_bits(const struct key *key);

/* key_is_private says whether the key has its private half. */
bool key_is_private(const struct key *key);

/* key_public_fingerprint writes SHA-256 of the DER SubjectPublicKeyInfo to out. */
int key_public_fingerprint(const struct key *key, uint8_t out[32], struct err *err) SMT_MUST_USE;

/* key_public_point writes an EC key's uncompressed public point (0x04 || x || y, 65 bytes for SM2 and P-256)
 * to out; CRYPTO_EWRONGALG for RSA, SMT_ENOSPACE when out_cap is too small. */
int key_public_point(const struct key *key, uint8_t *out, size_t out_cap, size_t *out_len,
                     struct err *err) SMT_MUST_USE;

/* key_new_sm2_from_scalar builds an SM2 private key from a 32-byte big-endian scalar d (1 <= d < n-1);
 * used for published test vectors and key exchange ephemerals. */
int key_new_sm2_from_scalar(struct key **out, const uint8_t d[32], struct err *err) SMT_MUST_USE;

/* key_new_sm2_from_point builds an SM2 public key from a 65-byte uncompressed point, checking it is on
 * the curve and not the point at infinity. */
int key_new_sm2_from_point(struct key **out, const uint8_t point[65], struct err *err) SMT_MUST_USE;

/* key_wrap takes ownership of pkey (freed on failure too) and makes it a struct key, working out its
 * algorithm; CRYPTO_EWRONGALG for algorithms smtrust does not use. For src/crypto/ files only. */
int key_wrap(struct key **out, struct evp_pkey_st *pkey, bool is_private, struct err *err) SMT_MUST_USE;

/* key_evp returns the wrapped OpenSSL key, borrowed (valid while key lives); for src/crypto/ and the OpenSSL
 * TLS back end (src/net/tls_conn.c) only. */
struct evp_pkey_st *key_evp(const struct key *key);

/* key_free releases key (NULL is fine); OpenSSL clears private key memory on free. */
void key_free(struct key *key);

#endif
