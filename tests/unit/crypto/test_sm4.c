/* tests/unit/crypto/test_sm4.c: SM4 block, CBC and GCM against GB/T 32907, draft-ribose-cfrg-sm4 and
 * RFC 8998 vectors, and against independent constructions written here on OpenSSL's SM4-ECB: CBC chaining
 * by hand, and GCM straight from NIST SP 800-38D with a bitwise GHASH. */
#include "crypto/sm4.h"

#include <stdlib.h>

#include <openssl/evp.h>

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

static bool test_is_zero(const uint8_t *buf, size_t len)
{
        uint8_t any = 0;
        for (size_t i = 0; i < len; i++)
                any |= buf[i];
        return any == 0;
}

/* ---- Reference constructions on OpenSSL's raw SM4 (ECB, one block at a time) ---- */

struct ref_sm4 {
        EVP_CIPHER_CTX *ctx;
};

static struct ref_sm4 ref_sm4_new(const uint8_t key[SM4_KEY_LEN])
{
        struct ref_sm4 ref = { EVP_CIPHER_CTX_new() };
        CHECK(ref.ctx != NULL);
        CHECK(EVP_EncryptInit_ex(ref.ctx, EVP_sm4_ecb(), NULL, key, NULL) == 1);
        CHECK(EVP_CIPHER_CTX_set_padding(ref.ctx, 0) == 1);
        return ref;
}

static void ref_sm4_encrypt(struct ref_sm4 *ref, uint8_t out[16], const uint8_t in[16])
{
        int out_len = 0;
        CHECK(EVP_EncryptUpdate(ref->ctx, out, &out_len, in, 16) == 1 && out_len == 16);
}

static void ref_sm4_free(struct ref_sm4 *ref)
{
        EVP_CIPHER_CTX_free(ref->ctx);
}

/* ref_cbc_encrypt is SP 800-38A §6.2: C_i = E(P_i xor C_{i-1}), C_0 = IV. */
static void ref_cbc_encrypt(const uint8_t key[16], const uint8_t iv[16], uint8_t *out, const uint8_t *in, size_t len)
{
        struct ref_sm4 ref = ref_sm4_new(key);
        uint8_t chain[16], block[16];
        memcpy(chain, iv, 16);
        for (size_t i = 0; i < len; i += 16) {
                for (size_t j = 0; j < 16; j++)
                        block[j] = in[i + j] ^ chain[j];
                ref_sm4_encrypt(&ref, chain, block);
                memcpy(out + i, chain, 16);
        }
        ref_sm4_free(&ref);
}

/* ref_gf_multiply is SP 800-38D §6.3 Algorithm 1, bit by bit: R = 11100001 || 0^120. */
static void ref_gf_multiply(uint8_t x[16], const uint8_t y[16])
{
        uint8_t z[16] = { 0 }, v[16];
        memcpy(v, y, 16);
        for (int i = 0; i < 128; i++) {
                if (x[i / 8] & (0x80 >> (i % 8)))
                        for (int j = 0; j < 16; j++)
                                z[j] ^= v[j];
                int lsb = v[15] & 1;
                for (int j = 15; j > 0; j--)
                        v[j] = (uint8_t)((v[j] >> 1) | (v[j - 1] << 7));
                v[0] >>= 1;
                if (lsb)
                        v[0] ^= 0xe1;
        }
        memcpy(x, z, 16);
}

/* ref_ghash_absorb feeds data, zero-padded to whole blocks, into the GHASH state y (§6.4). */
static void ref_ghash_absorb(uint8_t y[16], const uint8_t h[16], const uint8_t *data, size_t len)
{
        for (size_t i = 0; i < len; i += 16) {
                size_t n = len - i < 16 ? len - i : 16;
                for (size_t j = 0; j < n; j++)
                        y[j] ^= data[i + j];
                ref_gf_multiply(y, h);
        }
}

static void ref_put_u64_bits(uint8_t out[8], size_t len)
{
        uint64_t bits = (uint64_t)len * 8;
        for (int i = 0; i < 8; i++)
                out[i] = (uint8_t)(bits >> (56 - 8 * i));
}

/* ref_ghash_lengths finishes a GHASH with the block [len(a)]64 || [len(c)]64. */
static void ref_ghash_lengths(uint8_t y[16], const uint8_t h[16], size_t a_len, size_t c_len)
{
        uint8_t lengths[16];
        ref_put_u64_bits(lengths, a_len);
        ref_put_u64_bits(lengths + 8, c_len);
        ref_ghash_absorb(y, h, lengths, 16);
}

/* ref_gctr is §6.5 with inc32 on the counter block. */
static void ref_gctr(struct ref_sm4 *ref, const uint8_t icb[16], uint8_t *out, const uint8_t *in, size_t len)
{
        uint8_t counter[16], pad[16];
        memcpy(counter, icb, 16);
        for (size_t i = 0; i < len; i += 16) {
                ref_sm4_encrypt(ref, pad, counter);
                for (size_t j = 0; j < 16 && i + j < len; j++)
                        out[i + j] = in[i + j] ^ pad[j];
                for (int j = 15; j >= 12 && ++counter[j] == 0; j--)
                        ;
        }
}

/* ref_gcm_seal is §7.1 GCM-AE with a 128-bit tag. */
static void ref_gcm_seal(const uint8_t key[16], const uint8_t *iv, size_t iv_len, const uint8_t *aad, size_t aad_len,
                         uint8_t *out, const uint8_t *in, size_t len, uint8_t tag[16])
{
        struct ref_sm4 ref = ref_sm4_new(key);
        uint8_t h[16], j0[16] = { 0 }, s[16] = { 0 }, counter[16];
        static const uint8_t zero[16];
        ref_sm4_encrypt(&ref, h, zero);
        if (iv_len == 12) {
                memcpy(j0, iv, 12);
                j0[15] = 1;
        } else {
                ref_ghash_absorb(j0, h, iv, iv_len);
                ref_ghash_lengths(j0, h, 0, iv_len);
        }
        memcpy(counter, j0, 16);
        for (int j = 15; j >= 12 && ++counter[j] == 0; j--)
                ;
        ref_gctr(&ref, counter, out, in, len);
        ref_ghash_absorb(s, h, aad, aad_len);
        ref_ghash_absorb(s, h, out, len);
        ref_ghash_lengths(s, h, aad_len, len);
        ref_gctr(&ref, j0, tag, s, 16);
        ref_sm4_free(&ref);
}

/* ---- SM4 block ---- */

/* GB/T 32907-2016 Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210. */
static void sm4_block_matches_gbt_32907_example_1(void)
{
        struct err err = { 0 };
        uint8_t key[16], plain[16], want[16], out[16];
        check_hex(key, sizeof key, "0123456789abcdeffedcba9876543210");
        check_hex(plain, sizeof plain, "0123456789abcdeffedcba9876543210");
        check_hex(want, sizeof want, "681edf34d206965e86b3e94f536e4246");
        struct sm4_block *block;
        CHECK_OK(sm4_block_new(&block, key, &err), &err);
        CHECK_OK(sm4_block_encrypt(block, out, plain, &err), &err);
        CHECK_MEM(out, want, 16);
        CHECK_OK(sm4_block_decrypt(block, out, out, &err), &err);
        CHECK_MEM(out, plain, 16);
        sm4_block_free(block);
        sm4_block_free(NULL);
}

/* GB/T 32907-2016 Appendix A, example 2: the same block encrypted 1,000,000 times; decrypting as many
 * times returns to the plaintext. */
static void sm4_block_matches_gbt_32907_example_2(void)
{
        struct err err = { 0 };
        uint8_t key[16], plain[16], want[16], block_data[16];
        check_hex(key, sizeof key, "0123456789abcdeffedcba9876543210");
        check_hex(plain, sizeof plain, "0123456789abcdeffedcba9876543210");
        check_hex(want, sizeof want, "595298c7c6fd271f0402f804c33d3f66");
        struct sm4_block *block;
        CHECK_OK(sm4_block_new(&block, key, &err), &err);
        memcpy(block_data, plain, 16);
        for (int i = 0; i < 1000000; i++)
                CHECK_OK(sm4_block_encrypt(block, block_data, block_data, &err), &err);
        CHECK_MEM(block_data, want, 16);
        for (int i = 0; i < 1000000; i++)
                CHECK_OK(sm4_block_decrypt(block, block_data, block_data, &err), &err);
        CHECK_MEM(block_data, plain, 16);
        sm4_block_free(block);
}

/* ---- SM4-CBC ---- */

/* draft-ribose-cfrg-sm4-10 Appendix A.2.2.1 and A.2.2.2 (SM4-CBC examples 1 and 2). */
static void sm4_cbc_matches_draft_ribose_examples(void)
{
        static const struct {
                const char *key, *ciphertext;
        } examples[] = {
                { "0123456789abcdeffedcba9876543210",
                  "78ebb11cc40b0a48312aaeb2040244cb4cb7016951909226979b0d15dc6a8f6d" },
                { "fedcba98765432100123456789abcdef",
                  "0d3a6ddc2d21c698857215587b7bb59a91f2c147911a4144665e1fa1d40bae38" },
        };
        struct err err = { 0 };
        uint8_t iv[16], plain[32];
        check_hex(iv, sizeof iv, "000102030405060708090a0b0c0d0e0f");
        check_hex(plain, sizeof plain, "aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffaaaaaaaabbbbbbbb");
        for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
                uint8_t key[16], want[32], out[32];
                check_hex(key, sizeof key, examples[i].key);
                check_hex(want, sizeof want, examples[i].ciphertext);
                struct sm4_cbc *cbc;
                CHECK_OK(sm4_cbc_new(&cbc, key, &err), &err);
                CHECK_OK(sm4_cbc_encrypt(cbc, iv, out, plain, sizeof plain, &err), &err);
                CHECK_MEM(out, want, sizeof want);
                CHECK_OK(sm4_cbc_decrypt(cbc, iv, out, out, sizeof out, &err), &err);
                CHECK_MEM(out, plain, sizeof plain);
                sm4_cbc_free(cbc);
        }
}

/* One key object serves many messages with fresh IVs (as the record layer uses it); each must match a
 * from-scratch CBC, and must not inherit chaining state from the message before. */
static void sm4_cbc_reused_key_matches_reference_chaining(void)
{
        struct err err = { 0 };
        uint8_t key[16];
        test_fill(key, sizeof key, 100);
        struct sm4_cbc *cbc;
        CHECK_OK(sm4_cbc_new(&cbc, key, &err), &err);
        static const size_t lens[] = { 0, 16, 32, 48, 256, 16384, 16 * 1025 };
        static uint8_t plain[16 * 1025], ours[16 * 1025], want[16 * 1025];
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
                uint8_t iv[16];
                test_fill(iv, sizeof iv, 200 + (uint32_t)i);
                test_fill(plain, lens[i], 300 + (uint32_t)i);
                CHECK_OK(sm4_cbc_encrypt(cbc, iv, ours, plain, lens[i], &err), &err);
                ref_cbc_encrypt(key, iv, want, plain, lens[i]);
                CHECK_MEM(ours, want, lens[i]);
                CHECK_OK(sm4_cbc_decrypt(cbc, iv, ours, ours, lens[i], &err), &err);
                CHECK_MEM(ours, plain, lens[i]);
        }
        sm4_cbc_free(cbc);
        sm4_cbc_free(NULL);
}

static void sm4_cbc_rejects_partial_blocks(void)
{
        struct err err = { 0 };
        uint8_t key[16] = { 1 }, iv[16] = { 2 }, buf[33] = { 3 };
        struct sm4_cbc *cbc;
        CHECK_OK(sm4_cbc_new(&cbc, key, &err), &err);
        static const size_t bad_lens[] = { 1, 15, 17, 31, 33 };
        for (size_t i = 0; i < sizeof bad_lens / sizeof bad_lens[0]; i++) {
                CHECK_STATUS(sm4_cbc_encrypt(cbc, iv, buf, buf, bad_lens[i], &err), SMT_EINVAL);
                CHECK_STATUS(sm4_cbc_decrypt(cbc, iv, buf, buf, bad_lens[i], &err), SMT_EINVAL);
        }
        CHECK(strstr(err.msg, "33") != NULL);
        /* The object still works after refusing. */
        uint8_t out[32], want[32];
        CHECK_OK(sm4_cbc_encrypt(cbc, iv, out, buf, 32, &err), &err);
        ref_cbc_encrypt(key, iv, want, buf, 32);
        CHECK_MEM(out, want, 32);
        sm4_cbc_free(cbc);
}

/* ---- SM4-GCM ---- */

/* RFC 8998 Appendix A.1 (SM4-GCM test vector). */
static void sm4_gcm_matches_rfc_8998_vector(void)
{
        struct err err = { 0 };
        uint8_t key[16], iv[12], aad[20], plain[64], want[64], want_tag[16], out[64], tag[16];
        check_hex(key, sizeof key, "0123456789ABCDEFFEDCBA9876543210");
        check_hex(iv, sizeof iv, "00001234567800000000ABCD");
        check_hex(aad, sizeof aad, "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        check_hex(plain, sizeof plain,
                  "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
                  "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        check_hex(want, sizeof want,
                  "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                  "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D");
        check_hex(want_tag, sizeof want_tag, "83DE3541E4C2B58177E065A9BF7B62EC");
        struct sm4_gcm *gcm;
        CHECK_OK(sm4_gcm_new(&gcm, key, &err), &err);
        CHECK_OK(sm4_gcm_seal(gcm, iv, sizeof iv, aad, sizeof aad, out, plain, sizeof plain, tag, &err), &err);
        CHECK_MEM(out, want, sizeof want);
        CHECK_MEM(tag, want_tag, sizeof tag);
        CHECK_OK(sm4_gcm_open(gcm, iv, sizeof iv, aad, sizeof aad, out, want, sizeof want, want_tag, &err), &err);
        CHECK_MEM(out, plain, sizeof plain);

        /* The reference below must reproduce the published vector too, or it proves nothing. */
        ref_gcm_seal(key, iv, sizeof iv, aad, sizeof aad, out, plain, sizeof plain, tag);
        CHECK_MEM(out, want, sizeof want);
        CHECK_MEM(tag, want_tag, sizeof tag);
        sm4_gcm_free(gcm);
        sm4_gcm_free(NULL);
}

/* sm4_gcm_expect_rejected opens a tampered message and checks the refusal and the wiped output. */
static void sm4_gcm_expect_rejected(struct sm4_gcm *gcm, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                                    const uint8_t *ciphertext, size_t len, const uint8_t tag[16])
{
        struct err err = { 0 };
        uint8_t out[64];
        memset(out, 0xa5, sizeof out);
        CHECK_STATUS(sm4_gcm_open(gcm, iv, 12, aad, aad_len, out, ciphertext, len, tag, &err), CRYPTO_ETAG);
        CHECK(test_is_zero(out, len));
}

static void sm4_gcm_rejects_any_flipped_bit_and_wipes_output(void)
{
        struct err err = { 0 };
        uint8_t key[16], iv[12], aad[20], plain[64], ciphertext[64], tag[16], out[64];
        test_fill(key, sizeof key, 400);
        test_fill(iv, sizeof iv, 401);
        test_fill(aad, sizeof aad, 402);
        test_fill(plain, sizeof plain, 403);
        struct sm4_gcm *gcm;
        CHECK_OK(sm4_gcm_new(&gcm, key, &err), &err);
        CHECK_OK(sm4_gcm_seal(gcm, iv, 12, aad, sizeof aad, ciphertext, plain, sizeof plain, tag, &err), &err);
        for (size_t bit = 0; bit < 8 * sizeof ciphertext; bit += 37) {
                ciphertext[bit / 8] ^= (uint8_t)(1 << (bit % 8));
                sm4_gcm_expect_rejected(gcm, iv, aad, sizeof aad, ciphertext, sizeof ciphertext, tag);
                ciphertext[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        }
        for (size_t bit = 0; bit < 128; bit += 7) {
                tag[bit / 8] ^= (uint8_t)(1 << (bit % 8));
                sm4_gcm_expect_rejected(gcm, iv, aad, sizeof aad, ciphertext, sizeof ciphertext, tag);
                tag[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        }
        for (size_t bit = 0; bit < 8 * sizeof aad; bit += 11) {
                aad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
                sm4_gcm_expect_rejected(gcm, iv, aad, sizeof aad, ciphertext, sizeof ciphertext, tag);
                aad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        }
        iv[5] ^= 0x10;
        sm4_gcm_expect_rejected(gcm, iv, aad, sizeof aad, ciphertext, sizeof ciphertext, tag);
        iv[5] ^= 0x10;
        sm4_gcm_expect_rejected(gcm, iv, aad, sizeof aad - 1, ciphertext, sizeof ciphertext, tag);
        sm4_gcm_expect_rejected(gcm, iv, aad, sizeof aad, ciphertext, sizeof ciphertext - 1, tag);

        /* Tampered in place: the caller's buffer holds no plaintext afterwards. */
        memcpy(out, ciphertext, sizeof out);
        out[0] ^= 1;
        CHECK_STATUS(sm4_gcm_open(gcm, iv, 12, aad, sizeof aad, out, out, sizeof out, tag, &err), CRYPTO_ETAG);
        CHECK(test_is_zero(out, sizeof out));

        /* A refusal leaves the key usable: the untouched message still opens. */
        CHECK_OK(sm4_gcm_open(gcm, iv, 12, aad, sizeof aad, out, ciphertext, sizeof ciphertext, tag, &err), &err);
        CHECK_MEM(out, plain, sizeof plain);
        sm4_gcm_free(gcm);
}

/* sm4_gcm_check_against_reference seals with gcm and with the SP 800-38D reference, then opens, both into
 * a separate buffer and in place. */
static void sm4_gcm_check_against_reference(struct sm4_gcm *gcm, const uint8_t key[16], size_t iv_len,
                                            size_t aad_len, size_t len, uint32_t seed)
{
        struct err err = { 0 };
        uint8_t iv[64], aad[100], tag[16], want_tag[16];
        uint8_t *plain = calloc(1, len + 1), *ours = calloc(1, len + 1), *want = calloc(1, len + 1);
        CHECK(plain != NULL && ours != NULL && want != NULL);
        test_fill(iv, iv_len, seed);
        test_fill(aad, aad_len, seed + 1);
        test_fill(plain, len, seed + 2);
        CHECK_OK(sm4_gcm_seal(gcm, iv, iv_len, aad, aad_len, ours, plain, len, tag, &err), &err);
        ref_gcm_seal(key, iv, iv_len, aad, aad_len, want, plain, len, want_tag);
        CHECK_MEM(ours, want, len);
        CHECK_MEM(tag, want_tag, 16);

        CHECK_OK(sm4_gcm_open(gcm, iv, iv_len, aad, aad_len, ours, want, len, tag, &err), &err);
        CHECK_MEM(ours, plain, len);
        memcpy(ours, plain, len);
        CHECK_OK(sm4_gcm_seal(gcm, iv, iv_len, aad, aad_len, ours, ours, len, tag, &err), &err);
        CHECK_MEM(ours, want, len);
        CHECK_OK(sm4_gcm_open(gcm, iv, iv_len, aad, aad_len, ours, ours, len, tag, &err), &err);
        CHECK_MEM(ours, plain, len);
        free(plain);
        free(ours);
        free(want);
}

static void sm4_gcm_matches_reference_for_edge_lengths(void)
{
        struct err err = { 0 };
        uint8_t key[16];
        test_fill(key, sizeof key, 500);
        struct sm4_gcm *gcm;
        CHECK_OK(sm4_gcm_new(&gcm, key, &err), &err);
        static const size_t lens[] = { 0, 1, 15, 16, 17, 31, 32, 33, 255, 16384, 16384 + 256 + 16 };
        static const size_t aad_lens[] = { 0, 1, 13, 16, 17, 100 };
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
                for (size_t j = 0; j < sizeof aad_lens / sizeof aad_lens[0]; j++)
                        sm4_gcm_check_against_reference(gcm, key, SM4_GCM_IV_LEN, aad_lens[j], lens[i],
                                                        (uint32_t)(1000 + 10 * i + j));
        sm4_gcm_free(gcm);
}

/* IVs other than 96 bits take the GHASH(IV) path of SP 800-38D §7.1 step 2. */
static void sm4_gcm_matches_reference_for_other_iv_lengths(void)
{
        struct err err = { 0 };
        uint8_t key[16];
        test_fill(key, sizeof key, 600);
        struct sm4_gcm *gcm;
        CHECK_OK(sm4_gcm_new(&gcm, key, &err), &err);
        static const size_t iv_lens[] = { 1, 8, 11, 13, 16, 17, 32, 64 };
        for (size_t i = 0; i < sizeof iv_lens / sizeof iv_lens[0]; i++)
                sm4_gcm_check_against_reference(gcm, key, iv_lens[i], 13, 100, (uint32_t)(2000 + i));
        uint8_t iv[1] = { 0 }, tag[16];
        CHECK_STATUS(sm4_gcm_seal(gcm, iv, 0, NULL, 0, NULL, NULL, 0, tag, &err), SMT_EINVAL);
        sm4_gcm_free(gcm);
}

static void sm4_gcm_matches_reference_on_random_inputs(void)
{
        struct err err = { 0 };
        for (uint32_t round = 0; round < 40; round++) {
                uint8_t key[16], sizes[3];
                test_fill(key, sizeof key, 3000 + round);
                test_fill(sizes, sizeof sizes, 4000 + round);
                struct sm4_gcm *gcm;
                CHECK_OK(sm4_gcm_new(&gcm, key, &err), &err);
                size_t iv_len = round % 4 == 0 ? 1 + sizes[0] % 64 : SM4_GCM_IV_LEN;
                sm4_gcm_check_against_reference(gcm, key, iv_len, sizes[1] % 100, (size_t)sizes[2] * 7, 5000 + round);
                sm4_gcm_free(gcm);
        }
}

CHECK_MAIN(CHECK_TEST(sm4_block_matches_gbt_32907_example_1), CHECK_TEST(sm4_block_matches_gbt_32907_example_2),
           CHECK_TEST(sm4_cbc_matches_draft_ribose_examples),
           CHECK_TEST(sm4_cbc_reused_key_matches_reference_chaining), CHECK_TEST(sm4_cbc_rejects_partial_blocks),
           CHECK_TEST(sm4_gcm_matches_rfc_8998_vector),
           CHECK_TEST(sm4_gcm_rejects_any_flipped_bit_and_wipes_output),
           CHECK_TEST(sm4_gcm_matches_reference_for_edge_lengths),
           CHECK_TEST(sm4_gcm_matches_reference_for_other_iv_lengths),
           CHECK_TEST(sm4_gcm_matches_reference_on_random_inputs))
