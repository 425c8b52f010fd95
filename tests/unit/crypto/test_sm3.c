/* tests/unit/crypto/test_sm3.c: SM3, HMAC-SM3, P_SM3 and the SM2 KDF against published vectors and
 * against OpenSSL's own, separately written, implementations (EVP_Q_mac, TLS1-PRF, X963KDF). */
#include "crypto/sm3.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "check.h"

/* test_fill writes a reproducible pseudo-random pattern (xorshift32) so failures can be replayed. */
static void test_fill(uint8_t *out, size_t len, uint32_t seed)
{
        uint32_t x = seed * 2654435761u + 1;
        for (size_t i = 0; i < len; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                out[i] = (uint8_t)x;
        }
}

/* GB/T 32905-2016 Appendix A, examples 1 and 2. */
static void sm3_hash_matches_gbt_32905_examples(void)
{
        struct err err = { 0 };
        uint8_t digest[SM3_DIGEST_LEN], want[SM3_DIGEST_LEN];
        CHECK_OK(sm3_hash(digest, (const uint8_t *)"abc", 3, &err), &err);
        check_hex(want, sizeof want, "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0");
        CHECK_MEM(digest, want, sizeof want);

        const char *abcd16 = "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd";
        CHECK_OK(sm3_hash(digest, (const uint8_t *)abcd16, 64, &err), &err);
        check_hex(want, sizeof want, "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732");
        CHECK_MEM(digest, want, sizeof want);
}

static void sm3_incremental_and_copy_equal_one_shot(void)
{
        struct err err = { 0 };
        uint8_t msg[1000], one_shot[SM3_DIGEST_LEN], piecewise[SM3_DIGEST_LEN], copied[SM3_DIGEST_LEN];
        test_fill(msg, sizeof msg, 1);
        /* Piece sizes straddle the 64-byte block boundary in every way. */
        static const size_t cuts[] = { 0, 1, 63, 64, 65, 128, 129, 500, 999, 1000 };
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
                size_t cut = cuts[c];
                CHECK_OK(sm3_hash(one_shot, msg, sizeof msg, &err), &err);
                struct sm3_ctx ctx, copy;
                CHECK_OK(sm3_init(&ctx, &err), &err);
                CHECK_OK(sm3_update(&ctx, msg, cut, &err), &err);
                CHECK_OK(sm3_copy(&copy, &ctx, &err), &err);
                CHECK_OK(sm3_update(&ctx, msg + cut, sizeof msg - cut, &err), &err);
                CHECK_OK(sm3_final(&ctx, piecewise, &err), &err);
                CHECK_MEM(piecewise, one_shot, sizeof one_shot);

                /* The copy saw only msg[0..cut) and is unaffected by what ctx hashed after. */
                CHECK_OK(sm3_final(&copy, copied, &err), &err);
                CHECK_OK(sm3_hash(one_shot, msg, cut, &err), &err);
                CHECK_MEM(copied, one_shot, sizeof one_shot);
                sm3_cleanup(&ctx);
                sm3_cleanup(&copy);
        }
}

static void sm3_context_is_reusable_and_cleanup_is_idempotent(void)
{
        struct err err = { 0 };
        uint8_t first[SM3_DIGEST_LEN], second[SM3_DIGEST_LEN], want[SM3_DIGEST_LEN];
        struct sm3_ctx ctx;
        CHECK_OK(sm3_init(&ctx, &err), &err);
        CHECK_OK(sm3_update(&ctx, (const uint8_t *)"abc", 3, &err), &err);
        CHECK_OK(sm3_final(&ctx, first, &err), &err);
        CHECK_STATUS(sm3_final(&ctx, second, &err), SMT_EINVAL);
        CHECK_STATUS(sm3_update(&ctx, (const uint8_t *)"x", 1, &err), SMT_EINVAL);
        CHECK_OK(sm3_init(&ctx, &err), &err);
        CHECK_OK(sm3_final(&ctx, second, &err), &err);
        CHECK_OK(sm3_hash(want, NULL, 0, &err), &err);
        CHECK_MEM(second, want, sizeof want);
        sm3_cleanup(&ctx);
        sm3_cleanup(&ctx);
        struct sm3_ctx zeroed = { 0 };
        sm3_cleanup(&zeroed);
}

struct hmac_vector {
        const char *key_hex;
        const char *msg;
        size_t msg_len;
        const char *mac_hex;
};

/* GM/T 0042-2015 Appendix D.3 (HMAC-SM3 examples). */
static void sm3_hmac_matches_gmt_0042_examples(void)
{
        static const struct hmac_vector vectors[] = {
                { "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
                  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
                  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  112, "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a" },
                { "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425",
                  "\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"
                  "\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"
                  "\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd",
                  50, "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae" },
                { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 8,
                  "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e" },
                { "4a656665", "what do ya want for nothing?", 28,
                  "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882" },
        };
        struct err err = { 0 };
        for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
                uint8_t key[64], want[SM3_DIGEST_LEN], mac[SM3_DIGEST_LEN];
                size_t key_len = check_hex(key, sizeof key, vectors[i].key_hex);
                check_hex(want, sizeof want, vectors[i].mac_hex);
                const uint8_t *msg = (const uint8_t *)vectors[i].msg;
                CHECK_OK(sm3_hmac(mac, key, key_len, msg, vectors[i].msg_len, &err), &err);
                CHECK_MEM(mac, want, sizeof want);
        }
}

/* hmac_by_definition is RFC 2104 written out over EVP_Digest: H((K0^opad) || H((K0^ipad) || m)). */
static void hmac_by_definition(uint8_t out[SM3_DIGEST_LEN], const uint8_t *key, size_t key_len, const uint8_t *msg,
                               size_t msg_len)
{
        uint8_t k0[SM3_BLOCK_LEN] = { 0 }, pad[SM3_BLOCK_LEN], inner[SM3_DIGEST_LEN];
        if (key_len > SM3_BLOCK_LEN)
                CHECK(EVP_Digest(key, key_len, k0, NULL, EVP_sm3(), NULL));
        else if (key_len > 0)
                memcpy(k0, key, key_len);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        CHECK(md != NULL);
        for (size_t i = 0; i < sizeof pad; i++)
                pad[i] = k0[i] ^ 0x36;
        CHECK(EVP_DigestInit_ex(md, EVP_sm3(), NULL) && EVP_DigestUpdate(md, pad, sizeof pad) &&
              EVP_DigestUpdate(md, msg, msg_len) && EVP_DigestFinal_ex(md, inner, NULL));
        for (size_t i = 0; i < sizeof pad; i++)
                pad[i] = k0[i] ^ 0x5c;
        CHECK(EVP_DigestInit_ex(md, EVP_sm3(), NULL) && EVP_DigestUpdate(md, pad, sizeof pad) &&
              EVP_DigestUpdate(md, inner, sizeof inner) && EVP_DigestFinal_ex(md, out, NULL));
        EVP_MD_CTX_free(md);
}

static void sm3_hmac_matches_rfc_2104_and_openssl_for_all_key_sizes(void)
{
        struct err err = { 0 };
        static const size_t key_lens[] = { 0, 1, 16, 32, 63, 64, 65, 128, 200 };
        for (size_t i = 0; i < sizeof key_lens / sizeof key_lens[0]; i++) {
                uint8_t key[200], msg[300], mac[SM3_DIGEST_LEN], want[SM3_DIGEST_LEN], theirs[SM3_DIGEST_LEN];
                size_t msg_len = 37 * i;
                test_fill(key, sizeof key, 10 + (uint32_t)i);
                test_fill(msg, sizeof msg, 20 + (uint32_t)i);
                CHECK_OK(sm3_hmac(mac, key, key_lens[i], msg, msg_len, &err), &err);
                hmac_by_definition(want, key, key_lens[i], msg, msg_len);
                CHECK_MEM(mac, want, sizeof want);
                size_t theirs_len = 0;
                CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, key, key_lens[i], msg, msg_len, theirs, sizeof theirs,
                                &theirs_len) != NULL);
                CHECK_EQ(theirs_len, SM3_DIGEST_LEN);
                CHECK_MEM(mac, theirs, sizeof theirs);
        }
}

/* openssl_tls1_prf runs OpenSSL's TLS1-PRF KDF with digest SM3: its P_hash is a separate implementation. */
static void openssl_tls1_prf(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
                             const uint8_t *seed, size_t seed_len)
{
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
        CHECK(kdf != NULL);
        EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
        EVP_KDF_free(kdf);
        CHECK(ctx != NULL);
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SM3", 0),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_len),
                OSSL_PARAM_construct_end(),
        };
        CHECK(EVP_KDF_derive(ctx, out, out_len, params) == 1);
        EVP_KDF_CTX_free(ctx);
}

static void sm3_prf_matches_openssl_tls1_prf(void)
{
        struct err err = { 0 };
        static const size_t out_lens[] = { 1, 12, 31, 32, 33, 48, 64, 80, 104, 255 };
        const char *label = "key expansion";
        uint8_t secret[48], seed_a[32], seed_b[32], seed[13 + 64];
        test_fill(secret, sizeof secret, 30);
        test_fill(seed_a, sizeof seed_a, 31);
        test_fill(seed_b, sizeof seed_b, 32);
        memcpy(seed, label, 13);
        memcpy(seed + 13, seed_a, 32);
        memcpy(seed + 45, seed_b, 32);
        for (size_t i = 0; i < sizeof out_lens / sizeof out_lens[0]; i++) {
                uint8_t ours[255], theirs[255];
                CHECK_OK(sm3_prf(ours, out_lens[i], secret, sizeof secret, label, seed_a, sizeof seed_a, seed_b,
                                 sizeof seed_b, &err),
                         &err);
                openssl_tls1_prf(theirs, out_lens[i], secret, sizeof secret, seed, sizeof seed);
                CHECK_MEM(ours, theirs, out_lens[i]);
        }
        /* Without seed_b (TLCP's "client finished": label || transcript hash). */
        uint8_t ours[12], theirs[12];
        CHECK_OK(sm3_prf(ours, sizeof ours, secret, sizeof secret, "client finished", seed_a, sizeof seed_a, NULL, 0,
                         &err),
                 &err);
        uint8_t finished_seed[15 + 32];
        memcpy(finished_seed, "client finished", 15);
        memcpy(finished_seed + 15, seed_a, 32);
        openssl_tls1_prf(theirs, sizeof theirs, secret, sizeof secret, finished_seed, sizeof finished_seed);
        CHECK_MEM(ours, theirs, sizeof ours);
}

/* openssl_x963_kdf runs OpenSSL's ANSI X9.63 KDF, Hash(Z || counter32 || info) from counter 1: with no info
 * it is the GB/T 32918.4 KDF, written separately. */
static void openssl_x963_kdf(uint8_t *out, size_t out_len, const uint8_t *z, size_t z_len)
{
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "X963KDF", NULL);
        CHECK(kdf != NULL);
        EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
        EVP_KDF_free(kdf);
        CHECK(ctx != NULL);
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SM3", 0),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, z_len),
                OSSL_PARAM_construct_end(),
        };
        CHECK(EVP_KDF_derive(ctx, out, out_len, params) == 1);
        EVP_KDF_CTX_free(ctx);
}

static void sm3_kdf_matches_openssl_x963_kdf(void)
{
        struct err err = { 0 };
        static const size_t out_lens[] = { 1, 16, 31, 32, 33, 64, 65, 100, 1000 };
        uint8_t z[64];
        test_fill(z, sizeof z, 40);
        for (size_t i = 0; i < sizeof out_lens / sizeof out_lens[0]; i++) {
                uint8_t ours[1000], theirs[1000];
                CHECK_OK(sm3_kdf(ours, out_lens[i], z, sizeof z, &err), &err);
                openssl_x963_kdf(theirs, out_lens[i], z, sizeof z);
                CHECK_MEM(ours, theirs, out_lens[i]);
        }
}

/* GB/T 32918.4-2016 Appendix A.2 (encryption example on the 256-bit prime-field curve): t = KDF(x2 || y2, 152). */
static void sm3_kdf_matches_gbt_32918_4_encryption_example(void)
{
        struct err err = { 0 };
        uint8_t z[64], want[19], t[19];
        check_hex(z, sizeof z,
                  "64D20D27 D0632957 F8028C1E 024F6B02 EDF23102 A566C932 AE8BD613 A8E865FE"
                  "58D225EC A784AE30 0A81A2D4 8281A828 E1CEDF11 C4219099 84026537 5077BF78");
        check_hex(want, sizeof want, "006E30DA E231B071 DFAD8AA3 79E90264 491603");
        CHECK_OK(sm3_kdf(t, sizeof t, z, sizeof z, &err), &err);
        CHECK_MEM(t, want, sizeof want);
}

static void sm3_kdf_prefix_is_stable_across_lengths(void)
{
        /* KDF(z, n) is a prefix of KDF(z, m) for n < m: the last block is truncated, not recomputed. */
        struct err err = { 0 };
        uint8_t z[20], long_out[96], short_out[50];
        test_fill(z, sizeof z, 50);
        CHECK_OK(sm3_kdf(long_out, sizeof long_out, z, sizeof z, &err), &err);
        CHECK_OK(sm3_kdf(short_out, sizeof short_out, z, sizeof z, &err), &err);
        CHECK_MEM(short_out, long_out, sizeof short_out);
        uint8_t block[SM3_DIGEST_LEN], z_ct[24];
        memcpy(z_ct, z, sizeof z);
        memcpy(z_ct + 20, "\x00\x00\x00\x03", 4);
        CHECK_OK(sm3_hash(block, z_ct, sizeof z_ct, &err), &err);
        CHECK_MEM(long_out + 64, block, SM3_DIGEST_LEN);
}

/* Our compression and padding against OpenSSL's SM3 (a separate implementation) on every length up to
 * 1,100 bytes (all padding cases: 55, 56, 63, 64 ... bytes in the last block), fed in random pieces, and
 * on 1 MiB; a prepared HMAC key over parts equals the one-shot HMAC of the concatenation. */
static void sm3_matches_openssl_on_every_length(void)
{
        struct err err;
        static uint8_t msg[1 << 20];
        test_fill(msg, sizeof msg, 99);
        uint8_t ours[SM3_DIGEST_LEN], theirs[SM3_DIGEST_LEN];
        size_t theirs_len = 0;
        for (size_t len = 0; len <= 1100; len++) {
                struct sm3_ctx ctx;
                CHECK_OK(sm3_init(&ctx, &err), &err);
                for (size_t done = 0, step = 1 + len % 7; done < len; done += step, step = step * 5 % 67 + 1)
                        CHECK_OK(sm3_update(&ctx, msg + done, step < len - done ? step : len - done, &err), &err);
                CHECK_OK(sm3_final(&ctx, ours, &err), &err);
                CHECK(EVP_Q_digest(NULL, "SM3", NULL, msg, len, theirs, &theirs_len) == 1);
                CHECK_MEM(ours, theirs, SM3_DIGEST_LEN);
        }
        CHECK_OK(sm3_hash(ours, msg, sizeof msg, &err), &err);
        CHECK(EVP_Q_digest(NULL, "SM3", NULL, msg, sizeof msg, theirs, &theirs_len) == 1);
        CHECK_MEM(ours, theirs, SM3_DIGEST_LEN);

        struct sm3_hmac_key key;
        sm3_hmac_key_init(&key, msg + 5000, 100); /* a key longer than a block: hashed first */
        const struct sm3_part parts[3] = {{msg, 13}, {NULL, 0}, {msg + 13, 200}};
        sm3_hmac_with(ours, &key, parts, 3);
        CHECK_OK(sm3_hmac(theirs, msg + 5000, 100, msg, 213, &err), &err);
        CHECK_MEM(ours, theirs, SM3_DIGEST_LEN);
        sm3_hmac_key_cleanup(&key);
}

CHECK_MAIN(CHECK_TEST(sm3_matches_openssl_on_every_length), CHECK_TEST(sm3_hash_matches_gbt_32905_examples), CHECK_TEST(sm3_incremental_and_copy_equal_one_shot),
           CHECK_TEST(sm3_context_is_reusable_and_cleanup_is_idempotent),
           CHECK_TEST(sm3_hmac_matches_gmt_0042_examples),
           CHECK_TEST(sm3_hmac_matches_rfc_2104_and_openssl_for_all_key_sizes),
           CHECK_TEST(sm3_prf_matches_openssl_tls1_prf), CHECK_TEST(sm3_kdf_matches_openssl_x963_kdf),
           CHECK_TEST(sm3_kdf_matches_gbt_32918_4_encryption_example),
           CHECK_TEST(sm3_kdf_prefix_is_stable_across_lengths))
