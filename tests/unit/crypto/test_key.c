/* tests/unit/crypto/test_key.c: key generation, parsing and encoding (src/crypto/key.c, key_io.c,
 * key_write.c); files on disk are in test_key_files.c. Encodings the
 * parser must accept are made with OpenSSL's own APIs here (SEC1, traditional encrypted PEM, certificates,
 * secp256k1), so the tests check our reader against an independent writer. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/key.h"

static const enum key_alg all_algs[] = {KEY_ALG_SM2, KEY_ALG_EC_P256, KEY_ALG_EC_P384, KEY_ALG_RSA_2048,
                                        KEY_ALG_RSA_3072};
#define NUM_ALGS (sizeof all_algs / sizeof all_algs[0])

/* cached_key generates each algorithm once per run: RSA generation takes seconds under ASan. */
static struct key *cached_key(enum key_alg alg)
{
        static struct key *keys[8];
        struct err err = {0};
        if (keys[alg] == NULL)
                CHECK_OK(key_generate(&keys[alg], alg, &err), &err);
        return keys[alg];
}

/* encode writes key into a heap buffer owned by the caller's writer. */
static void encode_private(struct buf_writer *w, const struct key *key, enum key_format format, const char *pass)
{
        struct err err = {0};
        buf_writer_init_heap(w, KEY_FILE_MAX);
        CHECK_OK(key_write_private(key, format, pass, w, &err), &err);
}

static void encode_public(struct buf_writer *w, const struct key *key, enum key_format format)
{
        struct err err = {0};
        buf_writer_init_heap(w, KEY_FILE_MAX);
        CHECK_OK(key_write_public(key, format, w, &err), &err);
}

/* expect_parse_fails checks status, a message containing needle (if any), no key and an empty OpenSSL
 * error queue. */
static void expect_parse_fails(const uint8_t *in, size_t len, const char *pass, int status, const char *needle)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_STATUS(key_parse(&key, in, len, pass, &err), status);
        CHECK(key == NULL);
        CHECK(err.msg[0] != 0);
        if (needle != NULL && strstr(err.msg, needle) == NULL)
                check_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err.msg, needle);
        CHECK_EQ(ERR_peek_error(), 0);
}

/* same_private compares keys by their unencrypted PKCS#8 DER, which holds the private scalar. */
static void check_same_private(const struct key *a, const struct key *b)
{
        struct buf_writer wa, wb;
        encode_private(&wa, a, KEY_FORMAT_DER, NULL);
        encode_private(&wb, b, KEY_FORMAT_DER, NULL);
        CHECK_EQ(wa.len, wb.len);
        CHECK_MEM(wa.data, wb.data, wa.len);
        buf_writer_cleanup(&wa);
        buf_writer_cleanup(&wb);
}

/* check_fingerprint_is_spki_sha256 recomputes the fingerprint with OpenSSL directly. */
static void check_fingerprint_is_spki_sha256(const struct key *key)
{
        struct err err = {0};
        uint8_t ours[32], theirs[32];
        unsigned char *spki = NULL;
        int spki_len = i2d_PUBKEY(key_evp(key), &spki);
        CHECK(spki_len > 0);
        CHECK(EVP_Digest(spki, (size_t)spki_len, theirs, NULL, EVP_sha256(), NULL) == 1);
        OPENSSL_free(spki);
        CHECK_OK(key_public_fingerprint(key, ours, &err), &err);
        CHECK_MEM(ours, theirs, 32);
}

static void test_generate_each_alg(void)
{
        static const int bits[] = {256, 256, 384, 2048, 3072};
        for (size_t i = 0; i < NUM_ALGS; i++) {
                struct key *key = cached_key(all_algs[i]);
                CHECK_EQ(key_get_alg(key), all_algs[i]);
                CHECK_EQ(key_bits(key), bits[i]);
                CHECK(key_is_private(key));
                check_fingerprint_is_spki_sha256(key);
        }
        CHECK(EVP_PKEY_is_a(key_evp(cached_key(KEY_ALG_SM2)), "SM2"));
        struct key *other = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&other, KEY_ALG_SM2, &err), &err);
        uint8_t a[32], b[32];
        CHECK_OK(key_public_fingerprint(other, a, &err), &err);
        CHECK_OK(key_public_fingerprint(cached_key(KEY_ALG_SM2), b, &err), &err);
        CHECK(memcmp(a, b, 32) != 0);
        key_free(other);
}

static void check_private_round_trip(const struct key *key, enum key_format format, const char *pass)
{
        struct buf_writer w;
        struct key *back = NULL;
        struct err err = {0};
        encode_private(&w, key, format, pass);
        if (format == KEY_FORMAT_PEM)
                CHECK(memcmp(w.data,
                             pass != NULL ? "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" : "-----BEGIN PRIVATE KEY-----\n",
                             pass != NULL ? 38 : 28) == 0);
        CHECK_OK(key_parse(&back, w.data, w.len, pass, &err), &err);
        CHECK_EQ(key_get_alg(back), key_get_alg(key));
        CHECK(key_is_private(back));
        CHECK(EVP_PKEY_eq(key_evp(back), key_evp(key)) == 1);
        check_same_private(key, back);
        CHECK_EQ(ERR_peek_error(), 0);
        key_free(back);
        buf_writer_cleanup(&w);
}

static void check_public_round_trip(const struct key *key, enum key_format format)
{
        struct buf_writer w;
        struct key *back = NULL;
        struct err err = {0};
        encode_public(&w, key, format);
        CHECK_OK(key_parse(&back, w.data, w.len, NULL, &err), &err);
        CHECK_EQ(key_get_alg(back), key_get_alg(key));
        CHECK(!key_is_private(back));
        CHECK(EVP_PKEY_eq(key_evp(back), key_evp(key)) == 1);
        check_fingerprint_is_spki_sha256(back);
        struct buf_writer unused;
        buf_writer_init_heap(&unused, KEY_FILE_MAX);
        CHECK_STATUS(key_write_private(back, KEY_FORMAT_PEM, NULL, &unused, &err), SMT_EINVAL);
        CHECK_EQ(unused.len, 0);
        key_free(back);
        buf_writer_cleanup(&w);
}

static void test_round_trip_every_alg_and_form(void)
{
        for (size_t i = 0; i < NUM_ALGS; i++) {
                struct key *key = cached_key(all_algs[i]);
                check_private_round_trip(key, KEY_FORMAT_PEM, NULL);
                check_private_round_trip(key, KEY_FORMAT_DER, NULL);
                check_private_round_trip(key, KEY_FORMAT_PEM, "correct horse");
                check_private_round_trip(key, KEY_FORMAT_DER, "correct horse");
                check_public_round_trip(key, KEY_FORMAT_PEM);
                check_public_round_trip(key, KEY_FORMAT_DER);
        }
        /* An SM2 key must come back as OpenSSL's SM2 type, or signing would silently use ECDSA. */
        struct buf_writer w;
        struct key *back = NULL;
        struct err err = {0};
        encode_private(&w, cached_key(KEY_ALG_SM2), KEY_FORMAT_DER, NULL);
        CHECK_OK(key_parse(&back, w.data, w.len, NULL, &err), &err);
        CHECK(EVP_PKEY_is_a(key_evp(back), "SM2"));
        key_free(back);
        buf_writer_cleanup(&w);
}

/* test_encryption_is_pbes2_pbkdf2_sha256_aes256 reads the parameters back with OpenSSL (RFC 8018 §A.4). */
static void test_encryption_is_pbes2_pbkdf2_sha256_aes256(void)
{
        struct buf_writer w;
        encode_private(&w, cached_key(KEY_ALG_EC_P256), KEY_FORMAT_DER, "pw");
        const unsigned char *p = w.data;
        X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)w.len);
        CHECK(sig != NULL);
        const X509_ALGOR *alg = NULL;
        X509_SIG_get0(sig, &alg, NULL);
        CHECK_EQ(OBJ_obj2nid(alg->algorithm), NID_pbes2);
        PBE2PARAM *pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
        CHECK(pbe2 != NULL);
        CHECK_EQ(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_pbkdf2);
        CHECK_EQ(OBJ_obj2nid(pbe2->encryption->algorithm), NID_aes_256_cbc);
        PBKDF2PARAM *kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
        CHECK(kdf != NULL && kdf->prf != NULL);
        CHECK_EQ(OBJ_obj2nid(kdf->prf->algorithm), NID_hmacWithSHA256);
        CHECK(ASN1_INTEGER_get(kdf->iter) >= 10000);
        /* OpenSSL decrypts it on its own. */
        PKCS8_PRIV_KEY_INFO *p8 = PKCS8_decrypt(sig, "pw", 2);
        CHECK(p8 != NULL);
        PKCS8_PRIV_KEY_INFO_free(p8);
        PBKDF2PARAM_free(kdf);
        PBE2PARAM_free(pbe2);
        X509_SIG_free(sig);
        buf_writer_cleanup(&w);
}

static void test_wrong_or_missing_passphrase(void)
{
        static const enum key_format formats[] = {KEY_FORMAT_PEM, KEY_FORMAT_DER};
        for (size_t i = 0; i < 2; i++) {
                struct buf_writer w;
                encode_private(&w, cached_key(KEY_ALG_SM2), formats[i], "right");
                expect_parse_fails(w.data, w.len, NULL, CRYPTO_EPASSPHRASE, "no passphrase");
                expect_parse_fails(w.data, w.len, "wrong", CRYPTO_EPASSPHRASE, "wrong passphrase");
                expect_parse_fails(w.data, w.len, "righ", CRYPTO_EPASSPHRASE, "wrong passphrase");
                buf_writer_cleanup(&w);
        }
        /* A passphrase given for a plain key is not needed and does no harm. */
        struct buf_writer w;
        struct key *key = NULL;
        struct err err = {0};
        encode_private(&w, cached_key(KEY_ALG_SM2), KEY_FORMAT_PEM, NULL);
        CHECK_OK(key_parse(&key, w.data, w.len, "unused", &err), &err);
        key_free(key);
        buf_writer_cleanup(&w);
        CHECK_STATUS(key_write_private(cached_key(KEY_ALG_SM2), KEY_FORMAT_PEM, "", &w, &err), SMT_EINVAL);
}

/* sec1_der and sec1_pem_encrypted let OpenSSL write the traditional forms `openssl ec` produces. */
static void sec1_der(struct buf_writer *w, const struct key *key)
{
        unsigned char *der = NULL;
        int len = i2d_PrivateKey(key_evp(key), &der);
        CHECK(len > 0);
        buf_writer_init_heap(w, KEY_FILE_MAX);
        CHECK(buf_write_bytes(w, der, (size_t)len) == 0);
        OPENSSL_clear_free(der, (size_t)len);
}

static void bio_to_writer(struct buf_writer *w, BIO *bio)
{
        char *mem = NULL;
        long len = BIO_get_mem_data(bio, &mem);
        CHECK(len > 0);
        buf_writer_init_heap(w, KEY_FILE_MAX);
        CHECK(buf_write_bytes(w, (const uint8_t *)mem, (size_t)len) == 0);
        BIO_free(bio);
}

static void sec1_pem(struct buf_writer *w, const struct key *key, const char *pass)
{
        BIO *bio = BIO_new(BIO_s_mem());
        CHECK(PEM_write_bio_PrivateKey_traditional(bio, key_evp(key), pass != NULL ? EVP_aes_256_cbc() : NULL,
                                                   (unsigned char *)pass, pass != NULL ? (int)strlen(pass) : 0, NULL,
                                                   NULL) == 1);
        bio_to_writer(w, bio);
}

static void test_sec1_and_traditional_pem(void)
{
        static const enum key_alg algs[] = {KEY_ALG_SM2, KEY_ALG_EC_P256, KEY_ALG_EC_P384};
        for (size_t i = 0; i < 3; i++) {
                struct key *key = cached_key(algs[i]);
                struct buf_writer der, pem, encrypted;
                struct key *back = NULL;
                struct err err = {0};
                sec1_der(&der, key);
                sec1_pem(&pem, key, NULL);
                sec1_pem(&encrypted, key, "legacy");
                CHECK(strstr((const char *)pem.data, "PRIVATE KEY-----") != NULL);
                CHECK(strstr((const char *)encrypted.data, "Proc-Type: 4,ENCRYPTED") != NULL);
                const struct buf_writer *forms[] = {&der, &pem, &encrypted};
                for (size_t f = 0; f < 3; f++) {
                        CHECK_OK(key_parse(&back, forms[f]->data, forms[f]->len, "legacy", &err), &err);
                        CHECK_EQ(key_get_alg(back), algs[i]);
                        CHECK(key_is_private(back));
                        check_same_private(key, back);
                        key_free(back);
                }
                expect_parse_fails(encrypted.data, encrypted.len, NULL, CRYPTO_EPASSPHRASE, "passphrase");
                expect_parse_fails(encrypted.data, encrypted.len, "nope", CRYPTO_EPASSPHRASE, "passphrase");
                buf_writer_cleanup(&der);
                buf_writer_cleanup(&pem);
                buf_writer_cleanup(&encrypted);
        }
}

/* check_every_truncation cuts in at every length short of a complete encoding. A PEM's final newline
 * is optional, so PEM cuts start removing from the END line. */
static void check_every_truncation(const struct buf_writer *w, bool is_pem, const char *pass)
{
        size_t complete = is_pem ? w->len - 1 : w->len;
        for (size_t len = 0; len < complete; len++)
                expect_parse_fails(w->data, len, pass, SMT_EDECODE,
                                   len == 0 ? "empty"
                                   : is_pem ? NULL
                                            : "DER is truncated");
}

static void test_truncated_every_form(void)
{
        static const enum key_alg algs[] = {KEY_ALG_SM2, KEY_ALG_EC_P384, KEY_ALG_RSA_2048};
        for (size_t i = 0; i < 3; i++) {
                struct key *key = cached_key(algs[i]);
                for (int format = KEY_FORMAT_PEM; format <= KEY_FORMAT_DER; format++) {
                        struct buf_writer w;
                        bool is_pem = format == KEY_FORMAT_PEM;
                        encode_private(&w, key, (enum key_format)format, NULL);
                        check_every_truncation(&w, is_pem, NULL);
                        buf_writer_cleanup(&w);
                        encode_private(&w, key, (enum key_format)format, "pw");
                        check_every_truncation(&w, is_pem, "pw");
                        buf_writer_cleanup(&w);
                        encode_public(&w, key, (enum key_format)format);
                        check_every_truncation(&w, is_pem, NULL);
                        buf_writer_cleanup(&w);
                }
                if (algs[i] == KEY_ALG_RSA_2048)
                        continue;
                struct buf_writer w;
                sec1_der(&w, key);
                check_every_truncation(&w, false, NULL);
                buf_writer_cleanup(&w);
                sec1_pem(&w, key, NULL);
                check_every_truncation(&w, true, NULL);
                buf_writer_cleanup(&w);
        }
}

static void test_garbage(void)
{
        static const char *const texts[] = {
            "hello, world\n",
            "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
            "-----BEGIN FOO-----\nMAA=\n-----END FOO-----\n",
            "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n",
            "-----BEGIN ",
        };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
                expect_parse_fails((const uint8_t *)texts[i], strlen(texts[i]), "pw", SMT_EDECODE, NULL);
        static const uint8_t ders[][6] = {{0x30, 0x00},
                                          {0x30, 0x80, 0, 0},
                                          {0x30, 0x84, 0xff, 0xff, 0xff, 0xff},
                                          {0x30, 0x03, 0x02, 0x01, 0x00},
                                          {0x30, 0x02, 0x05, 0x00},
                                          {0x30, 0x04, 0x30, 0x00, 0x01, 0x00}};
        for (size_t i = 0; i < sizeof ders / sizeof ders[0]; i++)
                expect_parse_fails(ders[i], sizeof ders[i], NULL, SMT_EDECODE, NULL);
        uint8_t noise[512];
        uint32_t state = 12345;
        for (size_t i = 0; i < sizeof noise; i++) {
                state = state * 1103515245u + 12345u; /* fixed sequence, so a failure reproduces */
                noise[i] = (uint8_t)(state >> 16);
        }
        noise[0] = 0x30;
        expect_parse_fails(noise, sizeof noise, NULL, SMT_EDECODE, NULL);
        noise[0] = 0x41;
        expect_parse_fails(noise, sizeof noise, NULL, SMT_EDECODE, "neither PEM");
        /* A valid key followed by anything is not a key file. */
        struct buf_writer w;
        encode_private(&w, cached_key(KEY_ALG_SM2), KEY_FORMAT_DER, NULL);
        CHECK(buf_write_u8(&w, 0) == 0);
        expect_parse_fails(w.data, w.len, NULL, SMT_EDECODE, "trailing");
        buf_writer_cleanup(&w);
}

/* test_every_byte_flipped changes each byte of valid encodings: parsing may succeed (a field OpenSSL
 * does not check) but must never crash, and a failure must say why. */
static void test_every_byte_flipped(void)
{
        struct buf_writer forms[4];
        encode_private(&forms[0], cached_key(KEY_ALG_SM2), KEY_FORMAT_DER, NULL);
        encode_private(&forms[1], cached_key(KEY_ALG_EC_P256), KEY_FORMAT_PEM, NULL);
        encode_public(&forms[2], cached_key(KEY_ALG_EC_P384), KEY_FORMAT_DER);
        sec1_der(&forms[3], cached_key(KEY_ALG_SM2));
        for (size_t f = 0; f < 4; f++) {
                for (size_t i = 0; i < forms[f].len; i++) {
                        struct key *key = NULL;
                        struct err err = {0};
                        forms[f].data[i] ^= 0x5a;
                        int status = key_parse(&key, forms[f].data, forms[f].len, NULL, &err);
                        forms[f].data[i] ^= 0x5a;
                        CHECK(status == 0 ? key != NULL : key == NULL && err.msg[0] != 0);
                        CHECK(status == 0 || status == SMT_EDECODE || status == CRYPTO_EKEY ||
                              status == CRYPTO_EWRONGALG);
                        CHECK_EQ(ERR_peek_error(), 0);
                        key_free(key);
                }
                buf_writer_cleanup(&forms[f]);
        }
}

/* make_certificate self-signs a minimal X.509 certificate for key with OpenSSL. */
static X509 *make_certificate(const struct key *key)
{
        X509 *cert = X509_new();
        CHECK(cert != NULL);
        CHECK(X509_set_version(cert, 2) == 1);
        CHECK(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1);
        X509_NAME *name = X509_get_subject_name(cert);
        CHECK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0) == 1);
        CHECK(X509_set_issuer_name(cert, name) == 1);
        CHECK(X509_gmtime_adj(X509_getm_notBefore(cert), 0) != NULL);
        CHECK(X509_gmtime_adj(X509_getm_notAfter(cert), 3600) != NULL);
        CHECK(X509_set_pubkey(cert, key_evp(key)) == 1);
        CHECK(X509_sign(cert, key_evp(key), EVP_sha256()) > 0);
        return cert;
}

static void test_certificate_instead_of_key(void)
{
        struct key *key = cached_key(KEY_ALG_EC_P256);
        X509 *cert = make_certificate(key);
        unsigned char *der = NULL;
        int der_len = i2d_X509(cert, &der);
        CHECK(der_len > 0);
        expect_parse_fails(der, (size_t)der_len, NULL, SMT_EDECODE, "this is a certificate, not a key");
        OPENSSL_free(der);
        BIO *bio = BIO_new(BIO_s_mem());
        CHECK(PEM_write_bio_X509(bio, cert) == 1);
        struct buf_writer pem;
        bio_to_writer(&pem, bio);
        expect_parse_fails(pem.data, pem.len, NULL, SMT_EDECODE, "this is a certificate, not a key");
        /* A certificate followed by its key (a common bundle) yields the key. */
        struct buf_writer private_pem;
        encode_private(&private_pem, key, KEY_FORMAT_PEM, NULL);
        CHECK(buf_write_bytes(&pem, private_pem.data, private_pem.len) == 0);
        struct key *back = NULL;
        struct err err = {0};
        CHECK_OK(key_parse(&back, pem.data, pem.len, NULL, &err), &err);
        check_same_private(key, back);
        key_free(back);
        buf_writer_cleanup(&private_pem);
        buf_writer_cleanup(&pem);
        X509_free(cert);
}

static void check_foreign_key(EVP_PKEY *pkey, const char *needle)
{
        PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
        unsigned char *der = NULL;
        int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
        CHECK(len > 0);
        expect_parse_fails(der, (size_t)len, NULL, CRYPTO_EWRONGALG, needle);
        OPENSSL_clear_free(der, (size_t)len);
        der = NULL;
        len = i2d_PUBKEY(pkey, &der);
        CHECK(len > 0);
        expect_parse_fails(der, (size_t)len, NULL, CRYPTO_EWRONGALG, needle);
        OPENSSL_free(der);
        PKCS8_PRIV_KEY_INFO_free(p8);
}

static void test_unsupported_algorithms(void)
{
        EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
        CHECK(k1 != NULL);
        check_foreign_key(k1, "secp256k1");
        EVP_PKEY_free(k1);
        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        CHECK(ed != NULL);
        check_foreign_key(ed, "ED25519");
        EVP_PKEY_free(ed);
}

/* make_encrypted_der builds an EncryptedPrivateKeyInfo around pbe and made-up ciphertext: enough to
 * reach the parameter checks without OpenSSL deriving a key. */
static void make_encrypted_der(struct buf_writer *w, X509_ALGOR *pbe)
{
        X509_SIG *sig = X509_SIG_new();
        X509_ALGOR *alg = NULL;
        ASN1_OCTET_STRING *digest = NULL;
        X509_SIG_getm(sig, &alg, &digest);
        CHECK(X509_ALGOR_copy(alg, pbe) == 1);
        CHECK(ASN1_OCTET_STRING_set(digest, (const unsigned char *)"0123456789abcdef", 16) == 1);
        unsigned char *der = NULL;
        int len = i2d_X509_SIG(sig, &der);
        CHECK(len > 0);
        buf_writer_init_heap(w, KEY_FILE_MAX);
        CHECK(buf_write_bytes(w, der, (size_t)len) == 0);
        OPENSSL_free(der);
        X509_SIG_free(sig);
        X509_ALGOR_free(pbe);
}

static void test_encryption_limits(void)
{
        struct buf_writer w;
        /* 2^31-1 PBKDF2 rounds would keep a load busy for hours. */
        make_encrypted_der(&w, PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 0x7fffffff, NULL, 16, NULL, NID_hmacWithSHA256));
        expect_parse_fails(w.data, w.len, "pw", SMT_EDECODE, "iteration count");
        buf_writer_cleanup(&w);
        /* PBES1 (PKCS#5 v1.5 / PKCS#12 schemes) means DES or RC2 and is refused with advice. */
        make_encrypted_der(&w, PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2048, NULL, 8));
        expect_parse_fails(w.data, w.len, "pw", SMT_EDECODE, "only PBES2");
        buf_writer_cleanup(&w);
}

static void test_write_into_small_buffer_appends_nothing(void)
{
        uint8_t small[40];
        struct buf_writer w;
        struct err err = {0};
        buf_writer_init_fixed(&w, small, sizeof small);
        CHECK_STATUS(key_write_private(cached_key(KEY_ALG_SM2), KEY_FORMAT_PEM, NULL, &w, &err), SMT_ENOSPACE);
        CHECK_STATUS(key_write_private(cached_key(KEY_ALG_SM2), KEY_FORMAT_DER, "pw", &w, &err), SMT_ENOSPACE);
        CHECK_STATUS(key_write_public(cached_key(KEY_ALG_SM2), KEY_FORMAT_DER, &w, &err), SMT_ENOSPACE);
        CHECK_EQ(w.len, 0);
        CHECK_EQ(ERR_peek_error(), 0);
}

CHECK_MAIN(CHECK_TEST(test_generate_each_alg), CHECK_TEST(test_round_trip_every_alg_and_form),
           CHECK_TEST(test_encryption_is_pbes2_pbkdf2_sha256_aes256), CHECK_TEST(test_wrong_or_missing_passphrase),
           CHECK_TEST(test_sec1_and_traditional_pem), CHECK_TEST(test_truncated_every_form), CHECK_TEST(test_garbage),
           CHECK_TEST(test_every_byte_flipped), CHECK_TEST(test_certificate_instead_of_key),
           CHECK_TEST(test_unsupported_algorithms), CHECK_TEST(test_encryption_limits),
           CHECK_TEST(test_write_into_small_buffer_appends_nothing))
