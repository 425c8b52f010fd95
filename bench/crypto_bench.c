/* bench/crypto_bench.c: smtrust's crypto API against OpenSSL 3 called directly, same inputs, same run.
 *
 * The peer side uses OpenSSL the fastest way an application can (contexts set up once and reused), so a
 * ratio below 1 is overhead our API adds. OpenSSL 3.0 has no SM4-GCM: its peer is SM4-CTR, the encryption
 * half of GCM, so that ratio shows what GHASH costs on top of CTR. */
#include "bench/bench.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "crypto/crypto_error.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "crypto/sm2.h"
#include "crypto/sm3.h"
#include "crypto/sm4.h"

#define BENCH_BULK_LEN (16 * 1024) /* one full TLCP record */
#define BENCH_SECRET_LEN 48        /* a TLCP pre-master secret */

struct bench_fixture {
        struct key *sm2;
        uint8_t msg[BENCH_SECRET_LEN];
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len;
        uint8_t ciphertext[BENCH_SECRET_LEN + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX];
        size_t ciphertext_len;
        uint8_t key[SM4_KEY_LEN];
        uint8_t iv[SM4_BLOCK_LEN];
        uint8_t *bulk;
        uint8_t *bulk_out;
        struct sm4_cbc *cbc;
        struct sm4_gcm *gcm;
        EVP_PKEY_CTX *peer_encrypt;
        EVP_PKEY_CTX *peer_decrypt;
        EVP_CIPHER_CTX *peer_cbc;
        EVP_CIPHER_CTX *peer_ctr;
        EVP_MD *peer_sm3;
};

struct bench_case {
        const char *operation;
        const char *peer;
        enum bench_unit unit;
        bench_step_fn ours;
        bench_step_fn peer_step;
};

static int bench_ours_sign(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len;
        return sm2_sign(f->sm2, sig, &sig_len, SM2_DEFAULT_ID, f->msg, sizeof f->msg, err);
}

/* bench_peer_sign_or_verify does SM3-with-Z the way EVP_PKEY-SM2(7) shows for OpenSSL 3.0: the ID goes on
 * a pkey context that the digest context borrows, so both are freed here. */
static int bench_peer_sign_or_verify(struct bench_fixture *f, int is_sign, struct err *err)
{
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = sizeof sig;
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pkey_ctx = EVP_PKEY_CTX_new(key_evp(f->sm2), NULL);
        int ok = md_ctx != NULL && pkey_ctx != NULL &&
                 EVP_PKEY_CTX_set1_id(pkey_ctx, SM2_DEFAULT_ID, strlen(SM2_DEFAULT_ID)) > 0;
        if (ok)
                EVP_MD_CTX_set_pkey_ctx(md_ctx, pkey_ctx);
        if (ok && is_sign)
                ok = EVP_DigestSignInit(md_ctx, NULL, f->peer_sm3, NULL, key_evp(f->sm2)) == 1 &&
                     EVP_DigestSign(md_ctx, sig, &sig_len, f->msg, sizeof f->msg) == 1;
        else if (ok)
                ok = EVP_DigestVerifyInit(md_ctx, NULL, f->peer_sm3, NULL, key_evp(f->sm2)) == 1 &&
                     EVP_DigestVerify(md_ctx, f->sig, f->sig_len, f->msg, sizeof f->msg) == 1;
        EVP_MD_CTX_free(md_ctx);
        EVP_PKEY_CTX_free(pkey_ctx);
        return ok ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "OpenSSL SM2 %s", is_sign ? "sign" : "verify");
}

static int bench_peer_sign(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        return bench_peer_sign_or_verify(f, 1, err);
}

static int bench_ours_verify(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        return sm2_verify(f->sm2, SM2_DEFAULT_ID, f->msg, sizeof f->msg, f->sig, f->sig_len, err);
}

static int bench_peer_verify(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        return bench_peer_sign_or_verify(f, 0, err);
}

static int bench_ours_encrypt(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t out[sizeof f->ciphertext];
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, sizeof out);
        return sm2_encrypt(f->sm2, &w, SM2_CIPHERTEXT_ASN1, f->msg, sizeof f->msg, err);
}

static int bench_peer_encrypt(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t out[sizeof f->ciphertext];
        size_t out_len = sizeof out;
        if (EVP_PKEY_encrypt(f->peer_encrypt, out, &out_len, f->msg, sizeof f->msg) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "OpenSSL SM2 encrypt");
        return SMT_OK;
}

static int bench_ours_decrypt(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t out[BENCH_SECRET_LEN];
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, sizeof out);
        return sm2_decrypt(f->sm2, &w, SM2_CIPHERTEXT_ASN1, f->ciphertext, f->ciphertext_len, err);
}

static int bench_peer_decrypt(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t out[sizeof f->ciphertext];
        size_t out_len = sizeof out;
        if (EVP_PKEY_decrypt(f->peer_decrypt, out, &out_len, f->ciphertext, f->ciphertext_len) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "OpenSSL SM2 decrypt");
        return SMT_OK;
}

static int bench_ours_sm3(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t digest[SM3_DIGEST_LEN];
        return sm3_hash(digest, f->bulk, BENCH_BULK_LEN, err);
}

static int bench_peer_sm3(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t digest[SM3_DIGEST_LEN];
        if (EVP_Digest(f->bulk, BENCH_BULK_LEN, digest, NULL, f->peer_sm3, NULL) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "OpenSSL SM3");
        return SMT_OK;
}

static int bench_ours_cbc(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        return sm4_cbc_encrypt(f->cbc, f->iv, f->bulk_out, f->bulk, BENCH_BULK_LEN, err);
}

/* bench_peer_cipher runs an initialised OpenSSL cipher context over the bulk buffer with a new IV. */
static int bench_peer_cipher(EVP_CIPHER_CTX *ctx, struct bench_fixture *f, struct err *err)
{
        int len = 0;
        if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, f->iv) != 1 ||
            EVP_EncryptUpdate(ctx, f->bulk_out, &len, f->bulk, BENCH_BULK_LEN) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "OpenSSL SM4");
        return SMT_OK;
}

static int bench_peer_cbc(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        return bench_peer_cipher(f->peer_cbc, f, err);
}

static int bench_ours_gcm(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        uint8_t tag[SM4_GCM_TAG_LEN];
        const uint8_t aad[13] = { 0 }; /* a TLCP record's additional data */
        return sm4_gcm_seal(f->gcm, f->iv, SM4_GCM_IV_LEN, aad, sizeof aad, f->bulk_out, f->bulk, BENCH_BULK_LEN,
                            tag, err);
}

static int bench_peer_ctr(void *arg, struct err *err)
{
        struct bench_fixture *f = arg;
        return bench_peer_cipher(f->peer_ctr, f, err);
}

static const struct bench_case bench_crypto_cases[] = {
        { "sm2 sign", "OpenSSL EVP_DigestSign SM2", BENCH_UNIT_OPS, bench_ours_sign, bench_peer_sign },
        { "sm2 verify", "OpenSSL EVP_DigestVerify SM2", BENCH_UNIT_OPS, bench_ours_verify, bench_peer_verify },
        { "sm2 encrypt 48 B", "OpenSSL EVP_PKEY_encrypt SM2", BENCH_UNIT_OPS, bench_ours_encrypt, bench_peer_encrypt },
        { "sm2 decrypt 48 B", "OpenSSL EVP_PKEY_decrypt SM2", BENCH_UNIT_OPS, bench_ours_decrypt, bench_peer_decrypt },
        { "sm3 16 KiB", "OpenSSL EVP_Digest SM3", BENCH_UNIT_BYTES, bench_ours_sm3, bench_peer_sm3 },
        { "sm4-cbc 16 KiB", "OpenSSL EVP SM4-CBC", BENCH_UNIT_BYTES, bench_ours_cbc, bench_peer_cbc },
        { "sm4-gcm 16 KiB", "OpenSSL EVP SM4-CTR (3.0 has no SM4-GCM)", BENCH_UNIT_BYTES, bench_ours_gcm,
          bench_peer_ctr },
};

static void bench_fixture_cleanup(struct bench_fixture *f)
{
        key_free(f->sm2);
        free(f->bulk);
        free(f->bulk_out);
        sm4_cbc_free(f->cbc);
        sm4_gcm_free(f->gcm);
        EVP_PKEY_CTX_free(f->peer_encrypt);
        EVP_PKEY_CTX_free(f->peer_decrypt);
        EVP_CIPHER_CTX_free(f->peer_cbc);
        EVP_CIPHER_CTX_free(f->peer_ctr);
        EVP_MD_free(f->peer_sm3);
        explicit_bzero(f, sizeof *f);
}

static int bench_fixture_init_peer(struct bench_fixture *f, struct err *err)
{
        f->peer_sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
        f->peer_encrypt = EVP_PKEY_CTX_new(key_evp(f->sm2), NULL);
        f->peer_decrypt = EVP_PKEY_CTX_new(key_evp(f->sm2), NULL);
        f->peer_cbc = EVP_CIPHER_CTX_new();
        f->peer_ctr = EVP_CIPHER_CTX_new();
        if (f->peer_sm3 == NULL || f->peer_encrypt == NULL || f->peer_decrypt == NULL || f->peer_cbc == NULL ||
            f->peer_ctr == NULL || EVP_PKEY_encrypt_init(f->peer_encrypt) != 1 ||
            EVP_PKEY_decrypt_init(f->peer_decrypt) != 1 ||
            EVP_EncryptInit_ex(f->peer_cbc, EVP_sm4_cbc(), NULL, f->key, f->iv) != 1 ||
            EVP_CIPHER_CTX_set_padding(f->peer_cbc, 0) != 1 ||
            EVP_EncryptInit_ex(f->peer_ctr, EVP_sm4_ctr(), NULL, f->key, f->iv) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "setting up the OpenSSL peer");
        return SMT_OK;
}

static int bench_fixture_init(struct bench_fixture *f, struct err *err)
{
        memset(f, 0, sizeof *f);
        f->bulk = calloc(1, BENCH_BULK_LEN);
        f->bulk_out = calloc(1, BENCH_BULK_LEN);
        if (f->bulk == NULL || f->bulk_out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "bench: out of memory");
        TRY(random_bytes(f->msg, sizeof f->msg, err));
        TRY(random_bytes(f->key, sizeof f->key, err));
        TRY(random_bytes(f->iv, sizeof f->iv, err));
        TRY(random_bytes(f->bulk, BENCH_BULK_LEN, err));
        TRY(key_generate(&f->sm2, KEY_ALG_SM2, err));
        TRY(sm4_cbc_new(&f->cbc, f->key, err));
        TRY(sm4_gcm_new(&f->gcm, f->key, err));
        TRY(sm2_sign(f->sm2, f->sig, &f->sig_len, SM2_DEFAULT_ID, f->msg, sizeof f->msg, err));
        struct buf_writer w;
        buf_writer_init_fixed(&w, f->ciphertext, sizeof f->ciphertext);
        TRY(sm2_encrypt(f->sm2, &w, SM2_CIPHERTEXT_ASN1, f->msg, sizeof f->msg, err));
        f->ciphertext_len = w.len;
        return bench_fixture_init_peer(f, err);
}

static int bench_case_run(const struct bench_case *c, struct bench_fixture *f, const struct bench_options *options,
                          struct bench_result *result, struct err *err)
{
        *result = (struct bench_result){ .operation = c->operation, .peer = c->peer, .unit = c->unit };
        return bench_compare(result, c->ours, f, c->peer_step, f, BENCH_BULK_LEN, options, err);
}

int bench_crypto_run(struct bench_result *results, size_t *num_results, const struct bench_options *options,
                     struct err *err)
{
        struct bench_fixture f;
        int status = bench_fixture_init(&f, err);
        size_t n = 0;
        for (size_t i = 0; status == SMT_OK && i < sizeof bench_crypto_cases / sizeof bench_crypto_cases[0]; i++) {
                status = bench_case_run(&bench_crypto_cases[i], &f, options, &results[n], err);
                if (status == SMT_OK)
                        n++;
        }
        bench_fixture_cleanup(&f);
        *num_results = n;
        return status;
}
