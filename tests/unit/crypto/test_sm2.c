/* tests/unit/crypto/test_sm2.c: SM2 signatures and encryption against the examples published in
 * GB/T 32918.5-2017 (= GM/T 0003.5-2012) on the recommended curve, round trips, and bad input.
 *
 * The published values (Annex A: signature, Annex C: encryption) are the ones the standard prints; they
 * are reproduced, with the same citation, in OpenSSL's test/sm2_internal_test.c (sm2_sig_test,
 * sm2_crypt_test), where we looked them up. */
#include <stdlib.h>

#include "base/der.h"
#include "check.h"
#include "crypto/key.h"
#include "crypto/sm2.h"

/* GB/T 32918.5-2017 Annex A/C: the user's private key d and public point P = [d]G. */
#define PUBLISHED_D "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
#define PUBLISHED_P                                                                                \
        "04 09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"                      \
        "   CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
/* Annex A: signature of "message digest" with ID 1234567812345678. */
#define PUBLISHED_R "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
#define PUBLISHED_S "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
/* Annex C: "encryption standard" encrypted to P, as C1 || C3 || C2. */
#define PUBLISHED_CIPHERTEXT_RAW                                                                   \
        "04 04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"                      \
        "   E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"                      \
        "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"                         \
        "21886CA989CA9C7D58087307CA93092D651EFA"
/* The same values in the GM/T 0009-2012 §7.2 structure (y gets a 00 because its top bit is set). */
#define PUBLISHED_CIPHERTEXT_ASN1                                                                  \
        "307C"                                                                                     \
        "0220 04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"                    \
        "0221 00E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"                  \
        "0420 59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"                    \
        "0413 21886CA989CA9C7D58087307CA93092D651EFA"
#define PUBLISHED_PLAINTEXT "encryption standard"

static const uint8_t message_digest[] = "message digest";
#define MESSAGE_DIGEST_LEN (sizeof message_digest - 1)

static struct key *published_key(void)
{
        uint8_t d[32];
        CHECK_EQ(check_hex(d, sizeof d, PUBLISHED_D), 32);
        struct key *key = NULL;
        struct err err = { 0 };
        CHECK_OK(key_new_sm2_from_scalar(&key, d, &err), &err);
        return key;
}

static struct key *published_public_key(void)
{
        uint8_t point[65];
        CHECK_EQ(check_hex(point, sizeof point, PUBLISHED_P), 65);
        struct key *key = NULL;
        struct err err = { 0 };
        CHECK_OK(key_new_sm2_from_point(&key, point, &err), &err);
        return key;
}

static struct key *generated_key(enum key_alg alg)
{
        struct key *key = NULL;
        struct err err = { 0 };
        CHECK_OK(key_generate(&key, alg, &err), &err);
        return key;
}

/* published_signature DER-encodes Annex A's (r, s) as SEQUENCE { INTEGER r, INTEGER s }. */
static size_t published_signature(uint8_t out[SM2_SIGNATURE_MAX])
{
        uint8_t r[32], s[32];
        check_hex(r, sizeof r, PUBLISHED_R);
        check_hex(s, sizeof s, PUBLISHED_S);
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, SM2_SIGNATURE_MAX);
        size_t content = der_unsigned_integer_len(r, 32) + der_unsigned_integer_len(s, 32);
        CHECK_EQ(der_write_header(&w, DER_TAG_SEQUENCE, content), 0);
        CHECK_EQ(der_write_unsigned_integer(&w, r, 32), 0);
        CHECK_EQ(der_write_unsigned_integer(&w, s, 32), 0);
        return w.len;
}

static void test_published_key_has_published_point(void)
{
        struct key *key = published_key();
        uint8_t expected[65], point[65];
        size_t point_len = 0;
        struct err err = { 0 };
        check_hex(expected, sizeof expected, PUBLISHED_P);
        CHECK_OK(key_public_point(key, point, sizeof point, &point_len, &err), &err);
        CHECK_EQ(point_len, 65);
        CHECK_MEM(point, expected, 65);
        key_free(key);
}

static void test_published_signature_verifies_with_default_id(void)
{
        struct key *key = published_public_key();
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = published_signature(sig);
        struct err err = { 0 };
        CHECK_OK(sm2_verify(key, "1234567812345678", message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        CHECK_OK(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        /* The ID is part of what is signed: any other ID, even the empty one, must fail. */
        CHECK_STATUS(sm2_verify(key, "ALICE123@YAHOO.COM", message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err),
                     CRYPTO_EVERIFY);
        CHECK_STATUS(sm2_verify(key, "", message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), CRYPTO_EVERIFY);
        CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN - 1, sig, sig_len, &err),
                     CRYPTO_EVERIFY);
        CHECK_STR(err.msg, "signature does not verify");
        key_free(key);
}

static void test_sign_then_verify_with_generated_key(void)
{
        struct key *key = generated_key(KEY_ALG_SM2);
        struct key *other = generated_key(KEY_ALG_SM2);
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = 0;
        struct err err = { 0 };
        CHECK_OK(sm2_sign(key, sig, &sig_len, NULL, message_digest, MESSAGE_DIGEST_LEN, &err), &err);
        CHECK(sig_len >= 8 && sig_len <= SM2_SIGNATURE_MAX);
        CHECK_OK(sm2_verify(key, SM2_DEFAULT_ID, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        CHECK_STATUS(sm2_verify(other, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err),
                     CRYPTO_EVERIFY);
        /* An empty message is a message too. */
        CHECK_OK(sm2_sign(key, sig, &sig_len, NULL, NULL, 0, &err), &err);
        CHECK_OK(sm2_verify(key, NULL, NULL, 0, sig, sig_len, &err), &err);
        CHECK_STATUS(sm2_verify(key, NULL, message_digest, 1, sig, sig_len, &err), CRYPTO_EVERIFY);
        key_free(key);
        key_free(other);
}

static void test_custom_id_is_honoured(void)
{
        struct key *key = generated_key(KEY_ALG_SM2);
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = 0;
        struct err err = { 0 };
        CHECK_OK(sm2_sign(key, sig, &sig_len, "ALICE123@YAHOO.COM", message_digest, MESSAGE_DIGEST_LEN, &err), &err);
        CHECK_OK(sm2_verify(key, "ALICE123@YAHOO.COM", message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), CRYPTO_EVERIFY);
        CHECK_STATUS(sm2_verify(key, "ALICE123@YAHOO.CON", message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err),
                     CRYPTO_EVERIFY);
        CHECK_OK(sm2_sign(key, sig, &sig_len, "", message_digest, MESSAGE_DIGEST_LEN, &err), &err);
        CHECK_OK(sm2_verify(key, "", message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), CRYPTO_EVERIFY);
        key_free(key);
}

/* GB/T 32918.2 allows 8191 bytes, OpenSSL 3.0 one less; both longer ones are SMT_EINVAL, not an OpenSSL error. */
static void test_id_length_limit(void)
{
        struct key *key = generated_key(KEY_ALG_SM2);
        char *id = malloc(SM2_ID_MAX + 2);
        CHECK(id != NULL);
        memset(id, 'a', SM2_ID_MAX + 1);
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = 0;
        struct err err = { 0 };
        id[SM2_ID_MAX - 1] = 0;
        CHECK_OK(sm2_sign(key, sig, &sig_len, id, message_digest, MESSAGE_DIGEST_LEN, &err), &err);
        CHECK_OK(sm2_verify(key, id, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        for (size_t len = SM2_ID_MAX; len <= SM2_ID_MAX + 1; len++) {
                memset(id, 'a', SM2_ID_MAX + 1);
                id[len] = 0;
                CHECK_STATUS(sm2_sign(key, sig, &sig_len, id, message_digest, MESSAGE_DIGEST_LEN, &err), SMT_EINVAL);
                CHECK_STATUS(sm2_verify(key, id, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), SMT_EINVAL);
                CHECK(strstr(err.msg, "at most 8190") != NULL);
        }
        free(id);
        key_free(key);
}

static void test_public_key_cannot_sign_or_decrypt(void)
{
        struct key *key = published_public_key();
        uint8_t sig[SM2_SIGNATURE_MAX], ciphertext[200];
        size_t sig_len = 0;
        size_t ciphertext_len = check_hex(ciphertext, sizeof ciphertext, PUBLISHED_CIPHERTEXT_RAW);
        struct buf_writer out;
        buf_writer_init_heap(&out, 1024);
        struct err err = { 0 };
        CHECK_STATUS(sm2_sign(key, sig, &sig_len, NULL, message_digest, MESSAGE_DIGEST_LEN, &err), CRYPTO_EKEY);
        CHECK_STATUS(sm2_decrypt(key, &out, SM2_CIPHERTEXT_RAW, ciphertext, ciphertext_len, &err), CRYPTO_EKEY);
        CHECK_EQ(out.len, 0);
        buf_writer_cleanup(&out);
        key_free(key);
}

static void test_other_algorithms_are_refused(void)
{
        struct key *key = generated_key(KEY_ALG_EC_P256);
        uint8_t sig[SM2_SIGNATURE_MAX];
        size_t sig_len = published_signature(sig);
        struct buf_writer out;
        buf_writer_init_heap(&out, 1024);
        struct err err = { 0 };
        CHECK_STATUS(sm2_sign(key, sig, &sig_len, NULL, message_digest, MESSAGE_DIGEST_LEN, &err), CRYPTO_EWRONGALG);
        CHECK_STR(err.msg, "key is ec-p256, SM2 needed");
        CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), CRYPTO_EWRONGALG);
        CHECK_STATUS(sm2_encrypt(key, &out, SM2_CIPHERTEXT_ASN1, message_digest, 3, &err), CRYPTO_EWRONGALG);
        CHECK_STATUS(sm2_decrypt(key, &out, SM2_CIPHERTEXT_ASN1, sig, sig_len, &err), CRYPTO_EWRONGALG);
        CHECK_EQ(out.len, 0);
        buf_writer_cleanup(&out);
        key_free(key);
}

/* Every prefix, a trailing byte and hand-made near-misses are malformed; a well-formed (r, s) that is not
 * the signature is CRYPTO_EVERIFY; nothing but the real one verifies. */
static void test_malformed_signatures_are_decode_errors(void)
{
        struct key *key = published_public_key();
        uint8_t sig[SM2_SIGNATURE_MAX + 1];
        size_t sig_len = published_signature(sig);
        struct err err = { 0 };
        for (size_t len = 0; len < sig_len; len++)
                CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, len, &err), SMT_EDECODE);
        sig[sig_len] = 0;
        CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len + 1, &err), SMT_EDECODE);
        const char *malformed[] = {
                "3000",                                   /* no r, no s */
                "3003 020101",                            /* no s */
                "3009 020101 020101 020101",              /* a third INTEGER */
                "3106 020101 020101",                     /* SET, not SEQUENCE */
                "3006 020181 020101",                     /* negative r */
                "3007 02020001 020101",                   /* r not minimal */
                "3006 040101 020101",                     /* r not an INTEGER */
                "3080 020101 020101 0000",                /* indefinite length */
                /* 33-byte r (0x01 then 32 zero bytes): larger than any scalar */
                "3026 022101 01 0000000000000000000000000000000000000000000000000000000000000000 020101",
        };
        for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
                uint8_t bad[64];
                size_t bad_len = check_hex(bad, sizeof bad, malformed[i]);
                CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, bad, bad_len, &err),
                             SMT_EDECODE);
        }
        const char *wrong[] = {
                "3006 020100 020101", /* r = 0 */
                "3026 0221 00FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123 020101", /* r = n */
        };
        for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
                uint8_t bad[64];
                size_t bad_len = check_hex(bad, sizeof bad, wrong[i]);
                CHECK_STATUS(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, bad, bad_len, &err),
                             CRYPTO_EVERIFY);
        }
        for (size_t i = 0; i < sig_len; i++) {
                sig[i] ^= 0x01;
                int status = sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err);
                CHECK(status == SMT_EDECODE || status == CRYPTO_EVERIFY);
                sig[i] ^= 0x01;
        }
        CHECK_OK(sm2_verify(key, NULL, message_digest, MESSAGE_DIGEST_LEN, sig, sig_len, &err), &err);
        key_free(key);
}

static void test_published_ciphertext_decrypts_in_both_forms(void)
{
        struct key *key = published_key();
        uint8_t raw[200], asn1[200];
        size_t raw_len = check_hex(raw, sizeof raw, PUBLISHED_CIPHERTEXT_RAW);
        size_t asn1_len = check_hex(asn1, sizeof asn1, PUBLISHED_CIPHERTEXT_ASN1);
        struct buf_writer plain, encoded;
        buf_writer_init_heap(&plain, 1024);
        buf_writer_init_heap(&encoded, 1024);
        struct sm2_ciphertext ct;
        struct err err = { 0 };
        CHECK_OK(sm2_decrypt(key, &plain, SM2_CIPHERTEXT_RAW, raw, raw_len, &err), &err);
        CHECK_EQ(plain.len, strlen(PUBLISHED_PLAINTEXT));
        CHECK_MEM(plain.data, PUBLISHED_PLAINTEXT, plain.len);
        /* Our codec turns the raw form into exactly the GM/T 0009 DER, which decrypts the same. */
        CHECK_OK(sm2_ciphertext_parse(&ct, SM2_CIPHERTEXT_RAW, raw, raw_len, &err), &err);
        CHECK_OK(sm2_ciphertext_write(&encoded, &ct, SM2_CIPHERTEXT_ASN1, &err), &err);
        CHECK_EQ(encoded.len, asn1_len);
        CHECK_MEM(encoded.data, asn1, asn1_len);
        buf_writer_cleanup(&plain);
        CHECK_OK(sm2_decrypt(key, &plain, SM2_CIPHERTEXT_ASN1, encoded.data, encoded.len, &err), &err);
        CHECK_EQ(plain.len, strlen(PUBLISHED_PLAINTEXT));
        CHECK_MEM(plain.data, PUBLISHED_PLAINTEXT, plain.len);
        buf_writer_cleanup(&plain);
        buf_writer_cleanup(&encoded);
        key_free(key);
}

static void test_encrypt_decrypt_round_trip(void)
{
        static const size_t lengths[] = { 1, 31, 32, 33, 1000, 65536 };
        static const enum sm2_ciphertext_format formats[] = { SM2_CIPHERTEXT_ASN1, SM2_CIPHERTEXT_RAW };
        struct key *key = generated_key(KEY_ALG_SM2);
        uint8_t point[65];
        size_t point_len = 0;
        struct key *public = NULL;
        struct err err = { 0 };
        CHECK_OK(key_public_point(key, point, sizeof point, &point_len, &err), &err);
        CHECK_OK(key_new_sm2_from_point(&public, point, &err), &err);
        uint8_t *message = malloc(65536);
        CHECK(message != NULL);
        for (size_t i = 0; i < 65536; i++)
                message[i] = (uint8_t)(i * 7 + 3);
        for (size_t f = 0; f < 2; f++) {
                for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
                        struct buf_writer ciphertext, plain;
                        buf_writer_init_heap(&ciphertext, 1 << 20);
                        buf_writer_init_heap(&plain, 1 << 20);
                        CHECK_OK(sm2_encrypt(public, &ciphertext, formats[f], message, lengths[i], &err), &err);
                        if (formats[f] == SM2_CIPHERTEXT_RAW)
                                CHECK_EQ(ciphertext.len, SM2_CIPHERTEXT_RAW_OVERHEAD + lengths[i]);
                        else
                                CHECK(ciphertext.len <= lengths[i] + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
                        CHECK_OK(sm2_decrypt(key, &plain, formats[f], ciphertext.data, ciphertext.len, &err), &err);
                        CHECK_EQ(plain.len, lengths[i]);
                        CHECK_MEM(plain.data, message, lengths[i]);
                        buf_writer_cleanup(&ciphertext);
                        buf_writer_cleanup(&plain);
                }
        }
        struct buf_writer ciphertext;
        buf_writer_init_heap(&ciphertext, 1024);
        CHECK_STATUS(sm2_encrypt(public, &ciphertext, SM2_CIPHERTEXT_ASN1, message, 0, &err), SMT_EINVAL);
        CHECK_EQ(ciphertext.len, 0);
        free(message);
        key_free(public);
        key_free(key);
}

/* encrypt_sample encrypts 50 bytes to key in format. */
static void encrypt_sample(struct buf_writer *ciphertext, const struct key *key, enum sm2_ciphertext_format format)
{
        uint8_t message[50];
        memset(message, 'm', sizeof message);
        struct err err = { 0 };
        buf_writer_init_heap(ciphertext, 1024);
        CHECK_OK(sm2_encrypt(key, ciphertext, format, message, sizeof message, &err), &err);
}

/* check_decrypt_fails expects status and that out still holds only its "kept" prefix. */
static void check_decrypt_fails(const struct key *key, enum sm2_ciphertext_format format, const uint8_t *in,
                                size_t in_len, int status)
{
        struct buf_writer out;
        buf_writer_init_heap(&out, 1 << 20);
        struct err err = { 0 };
        CHECK_EQ(buf_write_bytes(&out, (const uint8_t *)"kept", 4), 0);
        CHECK_STATUS(sm2_decrypt(key, &out, format, in, in_len, &err), status);
        CHECK_EQ(out.len, 4);
        buf_writer_cleanup(&out);
}

static void test_changed_ciphertext_fails_without_output(void)
{
        struct key *key = generated_key(KEY_ALG_SM2);
        struct buf_writer ciphertext;
        encrypt_sample(&ciphertext, key, SM2_CIPHERTEXT_RAW);
        /* One byte in each part: C1 x (1..32), C1 y (33..64), C3 (65..96), C2 (97..). */
        const size_t positions[] = { 1, 32, 33, 64, 65, 96, 97, 120, ciphertext.len - 1 };
        for (size_t i = 0; i < sizeof positions / sizeof positions[0]; i++) {
                ciphertext.data[positions[i]] ^= 0x80;
                check_decrypt_fails(key, SM2_CIPHERTEXT_RAW, ciphertext.data, ciphertext.len, CRYPTO_EDECRYPT);
                ciphertext.data[positions[i]] ^= 0x80;
        }
        ciphertext.data[0] = 0x02; /* a compressed C1 is not the raw form */
        check_decrypt_fails(key, SM2_CIPHERTEXT_RAW, ciphertext.data, ciphertext.len, SMT_EDECODE);
        buf_writer_cleanup(&ciphertext);

        encrypt_sample(&ciphertext, key, SM2_CIPHERTEXT_ASN1);
        /* The last bytes are C2; the 32 before them and their 2-byte header, C3. */
        ciphertext.data[ciphertext.len - 1] ^= 0x01;
        check_decrypt_fails(key, SM2_CIPHERTEXT_ASN1, ciphertext.data, ciphertext.len, CRYPTO_EDECRYPT);
        ciphertext.data[ciphertext.len - 1] ^= 0x01;
        ciphertext.data[ciphertext.len - 50 - 2 - 1] ^= 0x01;
        check_decrypt_fails(key, SM2_CIPHERTEXT_ASN1, ciphertext.data, ciphertext.len, CRYPTO_EDECRYPT);
        ciphertext.data[ciphertext.len - 50 - 2 - 1] ^= 0x01;
        ciphertext.data[10] ^= 0x01; /* inside C1 x, after its header and any 00 */
        check_decrypt_fails(key, SM2_CIPHERTEXT_ASN1, ciphertext.data, ciphertext.len, CRYPTO_EDECRYPT);
        ciphertext.data[10] ^= 0x01;
        struct buf_writer plain;
        buf_writer_init_heap(&plain, 1024);
        struct err err = { 0 };
        CHECK_OK(sm2_decrypt(key, &plain, SM2_CIPHERTEXT_ASN1, ciphertext.data, ciphertext.len, &err), &err);
        CHECK_EQ(plain.len, 50);
        buf_writer_cleanup(&plain);
        buf_writer_cleanup(&ciphertext);
        key_free(key);
}

static void test_truncated_ciphertext_fails_at_every_length(void)
{
        struct key *key = generated_key(KEY_ALG_SM2);
        struct buf_writer ciphertext;
        encrypt_sample(&ciphertext, key, SM2_CIPHERTEXT_ASN1);
        for (size_t len = 0; len < ciphertext.len; len++)
                check_decrypt_fails(key, SM2_CIPHERTEXT_ASN1, ciphertext.data, len, SMT_EDECODE);
        buf_writer_cleanup(&ciphertext);
        /* The raw form has no lengths: once C1 and C3 are whole, a shorter C2 only fails C3's check. */
        encrypt_sample(&ciphertext, key, SM2_CIPHERTEXT_RAW);
        for (size_t len = 0; len < ciphertext.len; len++)
                check_decrypt_fails(key, SM2_CIPHERTEXT_RAW, ciphertext.data, len,
                                    len <= SM2_CIPHERTEXT_RAW_OVERHEAD ? SMT_EDECODE : CRYPTO_EDECRYPT);
        buf_writer_cleanup(&ciphertext);
        key_free(key);
}

static void test_garbage_and_other_keys_fail(void)
{
        struct key *key = generated_key(KEY_ALG_SM2);
        struct key *other = generated_key(KEY_ALG_SM2);
        uint8_t garbage[200];
        for (size_t i = 0; i < sizeof garbage; i++)
                garbage[i] = (uint8_t)(i * 37 + 11);
        check_decrypt_fails(key, SM2_CIPHERTEXT_ASN1, garbage, sizeof garbage, SMT_EDECODE);
        garbage[0] = 0x04; /* a raw ciphertext whose C1 is not on the curve */
        check_decrypt_fails(key, SM2_CIPHERTEXT_RAW, garbage, sizeof garbage, CRYPTO_EDECRYPT);
        struct buf_writer ciphertext;
        encrypt_sample(&ciphertext, key, SM2_CIPHERTEXT_ASN1);
        check_decrypt_fails(other, SM2_CIPHERTEXT_ASN1, ciphertext.data, ciphertext.len, CRYPTO_EDECRYPT);
        buf_writer_cleanup(&ciphertext);
        key_free(other);
        key_free(key);
}

static void test_decrypt_into_a_full_writer_appends_nothing(void)
{
        struct key *key = published_key();
        uint8_t raw[200], small[10];
        size_t raw_len = check_hex(raw, sizeof raw, PUBLISHED_CIPHERTEXT_RAW);
        struct buf_writer out;
        buf_writer_init_fixed(&out, small, sizeof small);
        struct err err = { 0 };
        CHECK_STATUS(sm2_decrypt(key, &out, SM2_CIPHERTEXT_RAW, raw, raw_len, &err), SMT_ENOSPACE);
        CHECK_EQ(out.len, 0);
        key_free(key);
}

CHECK_MAIN(CHECK_TEST(test_published_key_has_published_point),
           CHECK_TEST(test_published_signature_verifies_with_default_id),
           CHECK_TEST(test_sign_then_verify_with_generated_key), CHECK_TEST(test_custom_id_is_honoured),
           CHECK_TEST(test_id_length_limit), CHECK_TEST(test_public_key_cannot_sign_or_decrypt),
           CHECK_TEST(test_other_algorithms_are_refused), CHECK_TEST(test_malformed_signatures_are_decode_errors),
           CHECK_TEST(test_published_ciphertext_decrypts_in_both_forms),
           CHECK_TEST(test_encrypt_decrypt_round_trip), CHECK_TEST(test_changed_ciphertext_fails_without_output),
           CHECK_TEST(test_truncated_ciphertext_fails_at_every_length), CHECK_TEST(test_garbage_and_other_keys_fail),
           CHECK_TEST(test_decrypt_into_a_full_writer_appends_nothing))
