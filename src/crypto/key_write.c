/* src/crypto/key_write.c: writing keys: PKCS#8 (RFC 5208), encrypted with PBES2 (RFC 8018 §6.2) when a
 * passphrase is given, and SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), as PEM or DER; saving them to files
 * (private 0600, public 0644, atomically); public key fingerprints. */
#include "crypto/key.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/file.h"
#include "crypto/crypto_error.h"

/* PBKDF2 work factor for keys we encrypt: NIST SP 800-132 §5.2 asks for as many as users tolerate;
 * about 50 ms here. key_io.c refuses files asking for more than 10 million. */
#define KEY_WRITE_PBKDF2_ITERATIONS 100000
#define KEY_WRITE_PBES2_SALT_LEN    16 /* SP 800-132 §5.1: at least 128 bits */

/* key_write_append_bio moves what a memory BIO holds to out, in one write so a failure appends nothing. */
static int key_write_append_bio(BIO *bio, struct buf_writer *out, struct err *err)
{
        char *mem = NULL;
        long len = BIO_get_mem_data(bio, &mem);
        if (len <= 0)
                return SMT_ERR(err, SMT_EINTERNAL, "PEM writer produced nothing");
        if (buf_write_bytes(out, (const uint8_t *)mem, (size_t)len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "key of %ld bytes does not fit the output", len);
        return SMT_OK;
}

/* key_write_encrypt applies PBES2 (RFC 8018 §6.2): PBKDF2 with HMAC-SHA256, AES-256-CBC, 16-byte salt. */
static X509_SIG *key_write_encrypt(PKCS8_PRIV_KEY_INFO *p8, const char *passphrase)
{
        X509_ALGOR *pbe = PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), KEY_WRITE_PBKDF2_ITERATIONS, NULL,
                                               KEY_WRITE_PBES2_SALT_LEN, NULL, NID_hmacWithSHA256, NULL);
        X509_SIG *sig =
            pbe != NULL ? PKCS8_set0_pbe_ex(passphrase, (int)strlen(passphrase), p8, pbe, NULL, NULL) : NULL;
        if (sig == NULL)
                X509_ALGOR_free(pbe); /* PKCS8_set0_pbe_ex takes it only on success */
        return sig;
}

static int key_write_private_der(struct buf_writer *out, const PKCS8_PRIV_KEY_INFO *p8, const X509_SIG *sig,
                                 struct err *err)
{
        int len = sig != NULL ? i2d_X509_SIG(sig, NULL) : i2d_PKCS8_PRIV_KEY_INFO(p8, NULL);
        uint8_t *dst = NULL;
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "encoding the private key");
        if (buf_write_reserve(out, &dst, (size_t)len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "key of %d bytes does not fit the output", len);
        unsigned char *p = dst;
        if ((sig != NULL ? i2d_X509_SIG(sig, &p) : i2d_PKCS8_PRIV_KEY_INFO(p8, &p)) != len)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "encoding the private key");
        return SMT_OK;
}

static int key_write_private_pem(struct buf_writer *out, const PKCS8_PRIV_KEY_INFO *p8, const X509_SIG *sig,
                                 struct err *err)
{
        BIO *bio = BIO_new(BIO_s_secmem()); /* cleared on free: it holds the key */
        int ok =
            bio != NULL && (sig != NULL ? PEM_write_bio_PKCS8(bio, sig) : PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio, p8));
        int status = ok ? key_write_append_bio(bio, out, err)
                        : crypto_error_set(err, CRYPTO_EOPENSSL, "encoding the private key");
        BIO_free(bio);
        return status;
}

int key_write_private(const struct key *key, enum key_format format, const char *passphrase, struct buf_writer *out,
                      struct err *err)
{
        if (!key_is_private(key))
                return SMT_ERR(err, SMT_EINVAL, "key_write_private: this is a public key");
        if (format != KEY_FORMAT_PEM && format != KEY_FORMAT_DER)
                return SMT_ERR(err, SMT_EINVAL, "key_write_private: format %d, expected PEM or DER", (int)format);
        if (passphrase != NULL && (passphrase[0] == 0 || strlen(passphrase) >= KEY_PASSPHRASE_MAX))
                return SMT_ERR(err, SMT_EINVAL, "key_write_private: passphrase must be 1..%d bytes",
                               KEY_PASSPHRASE_MAX - 1);
        PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key_evp(key));
        X509_SIG *sig = p8 != NULL && passphrase != NULL ? key_write_encrypt(p8, passphrase) : NULL;
        int status = SMT_OK;
        if (p8 == NULL || (passphrase != NULL && sig == NULL))
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "making PKCS#8 of the %s key",
                                          key_alg_name(key_get_alg(key)));
        else if (format == KEY_FORMAT_DER)
                status = key_write_private_der(out, p8, sig, err);
        else
                status = key_write_private_pem(out, p8, sig, err);
        X509_SIG_free(sig);
        PKCS8_PRIV_KEY_INFO_free(p8);
        crypto_error_clear();
        return status;
}

static int key_write_public_der(const struct key *key, struct buf_writer *out, struct err *err)
{
        int len = i2d_PUBKEY(key_evp(key), NULL);
        uint8_t *dst = NULL;
        if (len <= 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "encoding the public key");
        if (buf_write_reserve(out, &dst, (size_t)len) < 0)
                return SMT_ERR(err, SMT_ENOSPACE, "public key of %d bytes does not fit the output", len);
        unsigned char *p = dst;
        if (i2d_PUBKEY(key_evp(key), &p) != len)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "encoding the public key");
        return SMT_OK;
}

int key_write_public(const struct key *key, enum key_format format, struct buf_writer *out, struct err *err)
{
        if (format == KEY_FORMAT_DER)
                return key_write_public_der(key, out, err);
        if (format != KEY_FORMAT_PEM)
                return SMT_ERR(err, SMT_EINVAL, "key_write_public: format %d, expected PEM or DER", (int)format);
        BIO *bio = BIO_new(BIO_s_mem());
        int status = bio != NULL && PEM_write_bio_PUBKEY(bio, key_evp(key))
                         ? key_write_append_bio(bio, out, err)
                         : crypto_error_set(err, CRYPTO_EOPENSSL, "encoding the public key");
        BIO_free(bio);
        return status;
}

static int key_write_save(const char *path, struct buf_writer *encoded, mode_t mode, bool overwrite, struct err *err)
{
        return file_write_atomic(path, encoded->data, encoded->len, mode,
                                 overwrite ? FILE_WRITE_REPLACE : FILE_WRITE_EXCLUSIVE, err);
}

int key_save_private(const struct key *key, const char *path, enum key_format format, const char *passphrase,
                     bool overwrite, struct err *err)
{
        struct buf_writer encoded;
        buf_writer_init_heap(&encoded, KEY_FILE_MAX);
        int status = key_write_private(key, format, passphrase, &encoded, err);
        if (status == SMT_OK)
                status = key_write_save(path, &encoded, 0600, overwrite, err);
        buf_writer_cleanup(&encoded); /* wipes the encoded key */
        return status;
}

int key_save_public(const struct key *key, const char *path, enum key_format format, bool overwrite, struct err *err)
{
        struct buf_writer encoded;
        buf_writer_init_heap(&encoded, KEY_FILE_MAX);
        int status = key_write_public(key, format, &encoded, err);
        if (status == SMT_OK)
                status = key_write_save(path, &encoded, 0644, overwrite, err);
        buf_writer_cleanup(&encoded);
        return status;
}

int key_public_fingerprint(const struct key *key, uint8_t out[32], struct err *err)
{
        uint8_t spki[2048];
        struct buf_writer w;
        buf_writer_init_fixed(&w, spki, sizeof spki);
        TRY(key_write_public(key, KEY_FORMAT_DER, &w, err));
        unsigned int len = 0;
        if (!EVP_Digest(w.data, w.len, out, &len, EVP_sha256(), NULL) || len != 32)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "SHA-256 of the public key");
        return SMT_OK;
}
