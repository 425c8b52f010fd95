/* src/crypto/key_io.c: reading key files: PEM or DER holding PKCS#8 (RFC 5208, encrypted per RFC 5958 §3
 * with PBES2 of RFC 8018 §6.2), SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), SEC1 ECPrivateKey (RFC 5915)
 * and PKCS#1 RSAPrivateKey. Writing them is in key_write.c.
 *
 * Input is first classified by its PEM label and the shape of its outer DER (our own bounds-checked
 * reader), so a certificate, a truncated file or garbage gets a precise message and OpenSSL's decoders
 * only ever see the one structure we expect. No OpenSSL call here can prompt on a terminal: every
 * decryption gets the passphrase as bytes or through key_io_passphrase_cb. */
#include "crypto/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/der.h"
#include "base/file.h"
#include "crypto/crypto_error.h"

/* The most PBKDF2 iterations we accept, so a hostile file cannot make a load run for hours (key_write.c
 * uses 100000). The fuzzing build keeps runs short. */
#ifdef SMT_FUZZING
#define KEY_IO_PBKDF2_MAX_ITERATIONS 2048
#else
#define KEY_IO_PBKDF2_MAX_ITERATIONS 10000000
#endif
/* Larger RSA keys make the consistency check (and every use) slow; nothing we talk to needs them. */
#define KEY_IO_RSA_MAX_BITS 8192

enum key_io_kind {
        KEY_IO_PKCS8 = 1,
        KEY_IO_ENCRYPTED_PKCS8 = 2,
        KEY_IO_SPKI = 3,
        KEY_IO_SEC1 = 4,
        KEY_IO_RSA_PKCS1 = 5,
        KEY_IO_CERTIFICATE = 6,
        KEY_IO_PARAMETERS = 7,
        KEY_IO_UNKNOWN = 8,
};

/* key_io_source: the DER of the one key found in the input. */
struct key_io_source {
        enum key_io_kind kind;
        const uint8_t *der; /* borrowed input (DER) or owned (PEM) */
        long der_len;
        unsigned char *owned; /* PEM_read_bio_ex's decoded block, on OpenSSL's secure heap */
        long owned_len;
        EVP_CIPHER_INFO legacy; /* RFC 1421 §4.6.1 Proc-Type/DEK-Info encryption of traditional PEM keys */
        bool is_legacy_encrypted;
};

static const struct {
        const char *label;
        enum key_io_kind kind;
} key_io_labels[] = {
    {"PRIVATE KEY", KEY_IO_PKCS8},
    {"ENCRYPTED PRIVATE KEY", KEY_IO_ENCRYPTED_PKCS8},
    {"PUBLIC KEY", KEY_IO_SPKI},
    {"EC PRIVATE KEY", KEY_IO_SEC1},
    {"SM2 PRIVATE KEY", KEY_IO_SEC1}, /* `openssl ec` labels SEC1 keys on the SM2 curve so */
    {"RSA PRIVATE KEY", KEY_IO_RSA_PKCS1},
    {"CERTIFICATE", KEY_IO_CERTIFICATE},
    {"TRUSTED CERTIFICATE", KEY_IO_CERTIFICATE},
    {"X509 CERTIFICATE", KEY_IO_CERTIFICATE},
};

static bool key_io_kind_is_private(enum key_io_kind kind)
{
        return kind == KEY_IO_PKCS8 || kind == KEY_IO_ENCRYPTED_PKCS8 || kind == KEY_IO_SEC1 ||
               kind == KEY_IO_RSA_PKCS1;
}

static enum key_io_kind key_io_label_kind(const char *label)
{
        for (size_t i = 0; i < sizeof key_io_labels / sizeof key_io_labels[0]; i++)
                if (strcmp(label, key_io_labels[i].label) == 0)
                        return key_io_labels[i].kind;
        size_t len = strlen(label);
        if (len >= 11 && strcmp(label + len - 11, " PARAMETERS") == 0)
                return KEY_IO_PARAMETERS; /* `openssl ecparam -genkey` writes the curve before the key */
        return KEY_IO_UNKNOWN;
}

/* key_io_classify_signed tells a certificate (TBSCertificate opens with [0] version, RFC 5280 §4.1)
 * from other signed objects of the same outer shape (requests, CRLs). */
static int key_io_classify_signed(struct buf_reader first, struct err *err)
{
        struct buf_reader inner;
        uint8_t tag = 0;
        if (der_read_element(&first, DER_TAG_SEQUENCE, &inner, "signed object", err) == 0 &&
            buf_peek_u8(&inner, &tag) == 0 && tag == 0xA0)
                return SMT_ERR(err, SMT_EDECODE, "this is a certificate, not a key");
        return SMT_ERR(err, SMT_EDECODE, "this is a signed object (certificate request or CRL), not a key");
}

/* key_io_classify_versioned: PrivateKeyInfo, ECPrivateKey and RSAPrivateKey all open with a version
 * INTEGER; the element after it tells them apart. */
static int key_io_classify_versioned(struct buf_reader *body, enum key_io_kind *kind, struct err *err)
{
        struct buf_reader version;
        uint8_t next = 0;
        TRY(der_read_element(body, DER_TAG_INTEGER, &version, "key version", err));
        if (buf_peek_u8(body, &next) < 0)
                return SMT_ERR(err, SMT_EDECODE, "key ends after its version");
        if (next == DER_TAG_SEQUENCE)
                *kind = KEY_IO_PKCS8;
        else if (next == DER_TAG_OCTET_STRING)
                *kind = KEY_IO_SEC1;
        else if (next == DER_TAG_INTEGER)
                *kind = KEY_IO_RSA_PKCS1;
        else
                return SMT_ERR(err, SMT_EDECODE, "not a key: tag 0x%02x after the version", next);
        return SMT_OK;
}

/* key_io_classify_der_shape looks at the outer SEQUENCE and its first two elements only. */
static int key_io_classify_der_shape(struct buf_reader in, enum key_io_kind *kind, struct err *err)
{
        struct buf_reader body, first, rest;
        uint8_t tag = 0, second_tag = 0;
        TRY(der_read_element(&in, DER_TAG_SEQUENCE, &body, "key", err));
        TRY(buf_reader_expect_end(&in, "after the key", err));
        if (buf_peek_u8(&body, &tag) < 0)
                return SMT_ERR(err, SMT_EDECODE, "key is an empty SEQUENCE");
        if (tag == DER_TAG_INTEGER)
                return key_io_classify_versioned(&body, kind, err);
        if (tag != DER_TAG_SEQUENCE)
                return SMT_ERR(err, SMT_EDECODE, "not a key: first element has tag 0x%02x", tag);
        first = body;
        TRY(der_read_element(&body, DER_TAG_SEQUENCE, &rest, "key algorithm", err));
        if (buf_peek_u8(&body, &second_tag) < 0)
                return SMT_ERR(err, SMT_EDECODE, "key ends after its algorithm");
        if (second_tag == DER_TAG_OCTET_STRING)
                *kind = KEY_IO_ENCRYPTED_PKCS8;
        else if (second_tag == DER_TAG_BIT_STRING)
                *kind = KEY_IO_SPKI;
        else if (second_tag == DER_TAG_SEQUENCE)
                return key_io_classify_signed(first, err);
        else
                return SMT_ERR(err, SMT_EDECODE, "not a key: tag 0x%02x after the algorithm", second_tag);
        return SMT_OK;
}

/* key_io_classify_der calls every failure of a structure check "malformed", truncation included. */
static int key_io_classify_der(const uint8_t *der, size_t len, enum key_io_kind *kind, struct err *err)
{
        int status = key_io_classify_der_shape(buf_reader_make(der, len), kind, err);
        if (status == SMT_ETRUNCATED) {
                char detail[sizeof err->msg];
                snprintf(detail, sizeof detail, "%s", err->msg);
                status = SMT_ERR(err, SMT_EDECODE, "DER is truncated (%s)", detail);
        }
        return status;
}

static void key_io_source_cleanup(struct key_io_source *src)
{
        if (src->owned != NULL)
                OPENSSL_secure_clear_free(src->owned, (size_t)src->owned_len);
        *src = (struct key_io_source){0};
}

/* key_io_take_block makes one decoded PEM block the source; the content must match the label, unless
 * it is still encrypted (checked after decryption). */
static int key_io_take_block(struct key_io_source *src, const char *label, const char *header, unsigned char *data,
                             long len, struct err *err)
{
        src->kind = key_io_label_kind(label);
        src->owned = data;
        src->owned_len = len;
        src->der = data;
        src->der_len = len;
        if (!PEM_get_EVP_CIPHER_INFO((char *)header, &src->legacy))
                return crypto_error_set(err, SMT_EDECODE, "PEM block \"%s\": unsupported encryption", label);
        src->is_legacy_encrypted = src->legacy.cipher != NULL;
        if (src->is_legacy_encrypted)
                return SMT_OK;
        enum key_io_kind content = KEY_IO_UNKNOWN;
        if (key_io_classify_der(data, (size_t)len, &content, err) < 0)
                return err_prefix(err, "PEM block \"%s\"", label);
        if (content != src->kind)
                return SMT_ERR(err, SMT_EDECODE, "PEM block \"%s\" does not hold what its label says", label);
        return SMT_OK;
}

/* key_io_next_pem_block returns 1 to go on to the next block, 0 when src holds a key block. */
static int key_io_next_pem_block(BIO *bio, struct key_io_source *src, bool *seen_certificate, struct err *err)
{
        char *label = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (!PEM_read_bio_ex(bio, &label, &header, &data, &len, PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE)) {
                if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
                        return crypto_error_set(err, SMT_EDECODE, "PEM is truncated or malformed");
                if (*seen_certificate)
                        return SMT_ERR(err, SMT_EDECODE, "this is a certificate, not a key");
                return SMT_ERR(err, SMT_EDECODE, "no complete key block in PEM input");
        }
        enum key_io_kind kind = key_io_label_kind(label);
        int status = 1;
        if (kind == KEY_IO_CERTIFICATE)
                *seen_certificate = true;
        else if (kind == KEY_IO_UNKNOWN)
                status = SMT_ERR(err, SMT_EDECODE,
                                 "PEM block \"%s\" is not a key; expected PRIVATE KEY, ENCRYPTED PRIVATE KEY, "
                                 "PUBLIC KEY or EC PRIVATE KEY",
                                 label);
        else if (kind != KEY_IO_PARAMETERS) {
                status = key_io_take_block(src, label, header, data, len, err);
                data = NULL; /* src owns it now */
        }
        OPENSSL_secure_free(label);
        OPENSSL_secure_free(header);
        if (data != NULL)
                OPENSSL_secure_clear_free(data, (size_t)len);
        return status;
}

static int key_io_find_pem(struct key_io_source *src, const uint8_t *in, size_t in_len, struct err *err)
{
        BIO *bio = BIO_new_mem_buf(in, (int)in_len);
        if (bio == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "reading PEM");
        bool seen_certificate = false;
        int status = 1;
        while (status > 0)
                status = key_io_next_pem_block(bio, src, &seen_certificate, err);
        BIO_free(bio);
        return status;
}

/* key_io_find locates the key: DER always opens with a SEQUENCE (0x30); anything else must be PEM. */
static int key_io_find(struct key_io_source *src, const uint8_t *in, size_t in_len, struct err *err)
{
        *src = (struct key_io_source){0};
        if (in_len == 0)
                return SMT_ERR(err, SMT_EDECODE, "empty input, expected a PEM or DER key");
        if (in_len > KEY_FILE_MAX)
                return SMT_ERR(err, SMT_EDECODE, "%zu bytes, more than a key file's %d", in_len, KEY_FILE_MAX);
        if (in[0] == DER_TAG_SEQUENCE) {
                src->der = in;
                src->der_len = (long)in_len;
                return key_io_classify_der(in, in_len, &src->kind, err);
        }
        if (memmem(in, in_len, "-----BEGIN ", 11) == NULL)
                return SMT_ERR(err, SMT_EDECODE,
                               "not a key: neither PEM (no -----BEGIN line) nor DER "
                               "(first byte 0x%02x, expected 0x30)",
                               in[0]);
        int status = key_io_find_pem(src, in, in_len, err);
        if (status < 0)
                key_io_source_cleanup(src);
        return status;
}

/* key_io_passphrase_cb hands OpenSSL the passphrase it was given, never asking a terminal. */
static int key_io_passphrase_cb(char *buf, int size, int rwflag, void *passphrase)
{
        (void)rwflag;
        size_t len = strlen(passphrase);
        if (len >= (size_t)size)
                return 0;
        memcpy(buf, passphrase, len);
        return (int)len;
}

static int key_io_check_passphrase(const char *passphrase, struct err *err)
{
        if (passphrase == NULL)
                return SMT_ERR(err, CRYPTO_EPASSPHRASE, "the private key is encrypted and no passphrase was given");
        if (strlen(passphrase) >= KEY_PASSPHRASE_MAX)
                return SMT_ERR(err, CRYPTO_EPASSPHRASE, "passphrase longer than %d bytes", KEY_PASSPHRASE_MAX - 1);
        return SMT_OK;
}

/* key_io_legacy_decrypt undoes traditional PEM encryption in place (`openssl ec -aes256` writes it). */
static int key_io_legacy_decrypt(struct key_io_source *src, const char *passphrase, struct err *err)
{
        TRY(key_io_check_passphrase(passphrase, err));
        long len = src->owned_len;
        if (!PEM_do_header(&src->legacy, src->owned, &len, key_io_passphrase_cb, (void *)passphrase))
                return SMT_ERR(err, CRYPTO_EPASSPHRASE, "wrong passphrase for the encrypted key");
        src->der_len = len;
        enum key_io_kind content = KEY_IO_UNKNOWN;
        if (key_io_classify_der(src->der, (size_t)len, &content, err) < 0 || content != src->kind)
                return SMT_ERR(err, CRYPTO_EPASSPHRASE, "wrong passphrase for the encrypted key");
        return SMT_OK;
}

/* key_io_check_pbes2 accepts PBES2 with PBKDF2 (bounded iterations) or scrypt (bounded by OpenSSL's
 * memory limit), RFC 8018 §6.2 and RFC 7914 §7; older PBES1 schemes use broken ciphers. */
static int key_io_check_pbes2(const X509_SIG *sig, struct err *err)
{
        const X509_ALGOR *alg = NULL;
        X509_SIG_get0(sig, &alg, NULL);
        if (OBJ_obj2nid(alg->algorithm) != NID_pbes2)
                return SMT_ERR(err, SMT_EDECODE,
                               "encrypted with %s; only PBES2 is supported (re-encrypt with "
                               "openssl pkcs8 -topk8 -v2 aes-256-cbc)",
                               OBJ_nid2sn(OBJ_obj2nid(alg->algorithm)));
        PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
        if (pbe2 == NULL)
                return crypto_error_set(err, SMT_EDECODE, "malformed PBES2 parameters");
        int status = SMT_OK;
        int kdf = OBJ_obj2nid(pbe2->keyfunc->algorithm);
        if (kdf == NID_id_pbkdf2) {
                PBKDF2PARAM *pbkdf2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
                long iterations = pbkdf2 != NULL ? ASN1_INTEGER_get(pbkdf2->iter) : -1;
                if (pbkdf2 == NULL)
                        status = crypto_error_set(err, SMT_EDECODE, "malformed PBKDF2 parameters");
                else if (iterations < 1 || iterations > KEY_IO_PBKDF2_MAX_ITERATIONS)
                        status = SMT_ERR(err, SMT_EDECODE, "PBKDF2 iteration count %ld outside 1..%d", iterations,
                                         KEY_IO_PBKDF2_MAX_ITERATIONS);
                PBKDF2PARAM_free(pbkdf2);
        } else if (kdf != NID_id_scrypt) {
                status =
                    SMT_ERR(err, SMT_EDECODE, "PBES2 key derivation %s; expected PBKDF2 or scrypt", OBJ_nid2sn(kdf));
        }
        PBE2PARAM_free(pbe2);
        return status;
}

static EVP_PKEY *key_io_from_pkcs8(const PKCS8_PRIV_KEY_INFO *p8)
{
        return p8 != NULL ? EVP_PKCS82PKEY(p8) : NULL;
}

/* key_io_decrypt_pkcs8 opens EncryptedPrivateKeyInfo; a wrong passphrase shows as a padding or
 * decoding failure inside PKCS8_decrypt. */
static int key_io_decrypt_pkcs8(EVP_PKEY **out, const struct key_io_source *src, const char *passphrase,
                                struct err *err)
{
        TRY(key_io_check_passphrase(passphrase, err));
        const unsigned char *p = src->der;
        X509_SIG *sig = d2i_X509_SIG(NULL, &p, src->der_len);
        if (sig == NULL)
                return crypto_error_set(err, SMT_EDECODE, "malformed encrypted private key");
        int status = key_io_check_pbes2(sig, err);
        PKCS8_PRIV_KEY_INFO *p8 = NULL;
        if (status == SMT_OK) {
                p8 = PKCS8_decrypt(sig, passphrase, (int)strlen(passphrase));
                if (p8 == NULL)
                        status = SMT_ERR(err, CRYPTO_EPASSPHRASE, "wrong passphrase for the encrypted key");
        }
        if (status == SMT_OK && (*out = key_io_from_pkcs8(p8)) == NULL)
                status = crypto_error_set(err, SMT_EDECODE, "malformed private key inside the encryption");
        PKCS8_PRIV_KEY_INFO_free(p8); /* its free cleanses the key bytes */
        X509_SIG_free(sig);
        return status;
}

static EVP_PKEY *key_io_d2i(enum key_io_kind kind, const unsigned char *der, long len)
{
        const unsigned char *p = der;
        PKCS8_PRIV_KEY_INFO *p8 = NULL;
        EVP_PKEY *pkey = NULL;
        switch (kind) {
        case KEY_IO_PKCS8:
                p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
                pkey = key_io_from_pkcs8(p8);
                PKCS8_PRIV_KEY_INFO_free(p8);
                return pkey;
        case KEY_IO_SPKI:
                return d2i_PUBKEY(NULL, &p, len);
        case KEY_IO_SEC1:
                return d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, len);
        case KEY_IO_RSA_PKCS1:
                return d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
        case KEY_IO_ENCRYPTED_PKCS8:
        case KEY_IO_CERTIFICATE:
        case KEY_IO_PARAMETERS:
        case KEY_IO_UNKNOWN:
                return NULL;
        }
        return NULL;
}

/* key_io_check_consistent rejects keys whose halves disagree or whose point is off the curve, so a
 * damaged file fails here rather than as a signature nobody can verify. */
static int key_io_check_consistent(const struct key *key, struct err *err)
{
        EVP_PKEY *pkey = key_evp(key);
        if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) > KEY_IO_RSA_MAX_BITS)
                return SMT_ERR(err, CRYPTO_EWRONGALG, "RSA key of %d bits; at most %d supported",
                               EVP_PKEY_get_bits(pkey), KEY_IO_RSA_MAX_BITS);
        /* OpenSSL's RSA public check (SP 800-56B §6.4.2.1) draws random Miller-Rabin bases, so a damaged
         * modulus would pass or fail by chance; such a key just yields signatures that never verify. */
        if (EVP_PKEY_is_a(pkey, "RSA") && !key_is_private(key))
                return SMT_OK;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        int ok = ctx != NULL && (key_is_private(key) ? EVP_PKEY_pairwise_check(ctx) : EVP_PKEY_public_check(ctx));
        EVP_PKEY_CTX_free(ctx);
        if (ok != 1)
                return crypto_error_set(err, CRYPTO_EKEY, "%s key fails its consistency check",
                                        key_alg_name(key_get_alg(key)));
        return SMT_OK;
}

static int key_io_decode(struct key **out, struct key_io_source *src, const char *passphrase, struct err *err)
{
        EVP_PKEY *pkey = NULL;
        if (src->is_legacy_encrypted)
                TRY(key_io_legacy_decrypt(src, passphrase, err));
        if (src->kind == KEY_IO_ENCRYPTED_PKCS8)
                TRY(key_io_decrypt_pkcs8(&pkey, src, passphrase, err));
        else if ((pkey = key_io_d2i(src->kind, src->der, src->der_len)) == NULL)
                return crypto_error_set(err, SMT_EDECODE, "malformed %s key",
                                        key_io_kind_is_private(src->kind) ? "private" : "public");
        struct key *key = NULL;
        TRY(key_wrap(&key, pkey, key_io_kind_is_private(src->kind), err));
        int status = key_io_check_consistent(key, err);
        if (status < 0) {
                key_free(key);
                return status;
        }
        *out = key;
        return SMT_OK;
}

int key_parse(struct key **out, const uint8_t *in, size_t in_len, const char *passphrase, struct err *err)
{
        struct key_io_source src;
        int status = key_io_find(&src, in, in_len, err);
        if (status == SMT_OK)
                status = key_io_decode(out, &src, passphrase, err);
        key_io_source_cleanup(&src);
        crypto_error_clear(); /* decoders may leave notes on the queue even when they succeed */
        return status;
}

int key_passphrase_load(char out[KEY_PASSPHRASE_MAX], const char *path, struct err *err)
{
        uint8_t *data = NULL;
        size_t len = 0;
        TRY(file_read_all(&data, &len, path, KEY_FILE_MAX, err));
        const uint8_t *newline = memchr(data, '\n', len);
        size_t line_len = newline != NULL ? (size_t)(newline - data) : len;
        if (line_len > 0 && data[line_len - 1] == '\r')
                line_len--;
        int status = SMT_OK;
        if (line_len == 0)
                status = SMT_ERR(err, SMT_EINVAL, "%s: the first line (the passphrase) is empty", path);
        else if (line_len >= KEY_PASSPHRASE_MAX)
                status = SMT_ERR(err, SMT_EINVAL, "%s: passphrase of %zu bytes; at most %d", path, line_len,
                                 KEY_PASSPHRASE_MAX - 1);
        else if (memchr(data, 0, line_len) != NULL)
                status = SMT_ERR(err, SMT_EINVAL, "%s: passphrase contains a NUL byte", path);
        if (status == SMT_OK) {
                memcpy(out, data, line_len);
                out[line_len] = 0;
        }
        file_free_contents(data, len);
        return status;
}

/* key_io_load_contents refuses a readable private key before decrypting or decoding anything. */
static int key_io_load_contents(struct key **out, const uint8_t *in, size_t in_len, const char *path,
                                const char *passphrase, struct err *err)
{
        struct key_io_source src;
        int status = key_io_find(&src, in, in_len, err);
        if (status < 0) {
                err_prefix(err, "%s", path);
        } else if (key_io_kind_is_private(src.kind)) {
                status = file_check_private(path, err);
        }
        if (status == SMT_OK && key_io_decode(out, &src, passphrase, err) < 0)
                status = err_prefix(err, "%s", path);
        key_io_source_cleanup(&src);
        crypto_error_clear();
        return status;
}

int key_load(struct key **out, const char *path, const char *passphrase_file, struct err *err)
{
        char passphrase[KEY_PASSPHRASE_MAX];
        if (passphrase_file != NULL)
                TRY(key_passphrase_load(passphrase, passphrase_file, err));
        uint8_t *data = NULL;
        size_t len = 0;
        int status = file_read_all(&data, &len, path, KEY_FILE_MAX, err);
        if (status == SMT_OK) {
                status = key_io_load_contents(out, data, len, path, passphrase_file != NULL ? passphrase : NULL, err);
                file_free_contents(data, len);
        }
        explicit_bzero(passphrase, sizeof passphrase);
        return status;
}
