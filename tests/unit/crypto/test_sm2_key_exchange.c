/* tests/unit/crypto/test_sm2_key_exchange.c: sm2_compute_z and the SM2 key exchange (GB/T 32918.3 §6.1)
 * reproduce the published examples on the recommended curve, agree between an initiator and a responder,
 * and refuse peer points off the curve, a U at infinity and keys of the wrong kind. */
#include "crypto/sm2.h"
#include "check.h"

#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

/* The signature example of GM/T 0003.5-2012 Annex A (the same example is in GB/T 32918.5-2017 Annex A):
 * private key dA, ID "1234567812345678" and the ZA the annex prints for them. */
#define Z_EXAMPLE_D "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
#define Z_EXAMPLE_Z "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"

/* The key exchange example of GM/T 0003.5-2012 Annex A (GB/T 32918.5-2017 Annex A), klen = 128 bits, on
 * the recommended curve, both users with the default ID "1234567812345678". The values below are the
 * annex's, as reproduced identically by several independent implementations' test suites (Tencent Kona
 * SM2KeyAgreement tests, openHiTLS SDV "GB/T 32918.5" vector 1, GmSSL users' exchange tests); the
 * recommended-curve example uses the default ID, not the ALICE123@YAHOO.COM / BILL456@YAHOO.COM of the
 * GB/T 32918.3 Annex A example, which is on a different 256-bit test curve. */
#define KX_D_A "81EB26E941BB5AF16DF116495F90695272AE2CD63D6C4AE1678418BE48230029"
#define KX_P_A                                                                                                         \
        "04 160E12897DF4EDB61DD812FEB96748FBD3CCF4FFE26AA6F6DB9540AF49C94232"                                          \
        "4A7DAD08BB9A459531694BEB20AA489D6649975E1BFCF8C4741B78B4B223007F"
#define KX_R_A "D4DE15474DB74D06491C440D305E012400990F3E390C7E87153C12DB2EA60BB3"
#define KX_RA_POINT                                                                                                    \
        "04 64CED1BDBC99D590049B434D0FD73428CF608A5DB8FE5CE07F15026940BAE40E"                                          \
        "376629C7AB21E7DB260922499DDB118F07CE8EAAE3E7720AFEF6A5CC062070C0"
#define KX_D_B "785129917D45A9EA5437A59356B82338EAADDA6CEB199088F14AE10DEFA229B5"
#define KX_P_B                                                                                                         \
        "04 6AE848C57C53C7B1B5FA99EB2286AF078BA64C64591B8B566F7357D576F16DFB"                                          \
        "EE489D771621A27B36C5C7992062E9CD09A9264386F3FBEA54DFF69305621C4D"
#define KX_R_B "7E07124814B309489125EAED101113164EBF0F3458C5BD88335C1F9D596243D6"
#define KX_RB_POINT                                                                                                    \
        "04 ACC27688A6F7B706098BC91FF3AD1BFF7DC2802CDB14CCCCDB0A90471F9BD707"                                          \
        "2FEDAC0494B2FFC4D6853876C79B8F301C6573AD0AA50F39FC87181E1A1B46FE"
#define KX_Z_A "3B85A57179E11E7E513AA622991F2CA74D1807A0BD4D4B38F90987A17AC245B1"
#define KX_Z_B "79C988D63229D97EF19FE02CA1056E01E6A7411ED24694AA8F834F4A4AB022F7"
#define KX_K   "6C89347354DE2484C60B4AB1FDE4C6E5"
#define KX_S_B "D3A0FE15DEE185CEAE907A6B595CC32A266ED7B3367E9983A896DC32FA20F8EB" /* S1 = SB */
#define KX_S_A "18C7894B3816DF16CF07B05C5EC0BEF5D655D58F779CC1B400A4F3884644DB88" /* S2 = SA */

static struct key *key_from_hex_scalar(const char *hex)
{
        uint8_t d[SM2_SCALAR_LEN];
        CHECK_EQ(check_hex(d, sizeof d, hex), sizeof d);
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_new_sm2_from_scalar(&key, d, &err), &err);
        return key;
}

static struct key *key_new_generated(enum key_alg alg)
{
        struct key *key = NULL;
        struct err err = {0};
        CHECK_OK(key_generate(&key, alg, &err), &err);
        return key;
}

static void check_public_point(const struct key *key, const char *hex)
{
        uint8_t want[SM2_POINT_LEN], got[SM2_POINT_LEN];
        size_t got_len = 0;
        struct err err = {0};
        CHECK_EQ(check_hex(want, sizeof want, hex), sizeof want);
        CHECK_OK(key_public_point(key, got, sizeof got, &got_len, &err), &err);
        CHECK_EQ(got_len, sizeof want);
        CHECK_MEM(got, want, sizeof want);
}

static void test_compute_z_matches_published_example(void)
{
        struct key *key = key_from_hex_scalar(Z_EXAMPLE_D);
        uint8_t want[SM3_DIGEST_LEN], z[SM3_DIGEST_LEN], z_default[SM3_DIGEST_LEN];
        struct err err = {0};
        check_hex(want, sizeof want, Z_EXAMPLE_Z);
        CHECK_OK(sm2_compute_z(z, key, "1234567812345678", &err), &err);
        CHECK_MEM(z, want, sizeof want);
        CHECK_OK(sm2_compute_z(z_default, key, NULL, &err), &err);
        CHECK_MEM(z_default, want, sizeof want);
        CHECK_OK(sm2_compute_z(z, key, "1234567812345679", &err), &err);
        CHECK(memcmp(z, want, sizeof want) != 0);
        key_free(key);
}

/* openssl_sign_with_id signs msg with OpenSSL's own SM2 + SM3 + distinguishing-ID machinery. */
static size_t openssl_sign_with_id(const struct key *key, const char *id, const uint8_t *msg, size_t msg_len,
                                   uint8_t sig[SM2_SIGNATURE_MAX])
{
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pkey_ctx = NULL;
        size_t sig_len = SM2_SIGNATURE_MAX;
        CHECK(md_ctx != NULL);
        CHECK_EQ(EVP_DigestSignInit(md_ctx, &pkey_ctx, EVP_sm3(), NULL, key_evp(key)), 1);
        CHECK(EVP_PKEY_CTX_set1_id(pkey_ctx, id, strlen(id)) > 0);
        CHECK_EQ(EVP_DigestSign(md_ctx, sig, &sig_len, msg, msg_len), 1);
        EVP_MD_CTX_free(md_ctx);
        return sig_len;
}

/* openssl_verify_digest checks sig against e = SM3(z || msg) computed here, with the SM2 key's plain
 * EVP_PKEY_verify, i.e. without OpenSSL's ID machinery. */
static bool openssl_verify_digest(const struct key *key, const uint8_t z[SM3_DIGEST_LEN], const uint8_t *msg,
                                  size_t msg_len, const uint8_t *sig, size_t sig_len)
{
        uint8_t e[SM3_DIGEST_LEN];
        EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
        CHECK(md_ctx != NULL);
        CHECK_EQ(EVP_DigestInit_ex(md_ctx, EVP_sm3(), NULL), 1);
        CHECK_EQ(EVP_DigestUpdate(md_ctx, z, SM3_DIGEST_LEN), 1);
        CHECK_EQ(EVP_DigestUpdate(md_ctx, msg, msg_len), 1);
        CHECK_EQ(EVP_DigestFinal_ex(md_ctx, e, NULL), 1);
        EVP_MD_CTX_free(md_ctx);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key_evp(key), NULL);
        CHECK(ctx != NULL);
        CHECK_EQ(EVP_PKEY_verify_init(ctx), 1);
        int verified = EVP_PKEY_verify(ctx, sig, sig_len, e, sizeof e);
        EVP_PKEY_CTX_free(ctx);
        return verified == 1;
}

static void test_compute_z_agrees_with_openssl_signatures(void)
{
        static const uint8_t msg[] = "a message signed by OpenSSL with a distinguishing ID";
        const char *ids[] = {"ALICE123@YAHOO.COM", SM2_DEFAULT_ID, "x"};
        struct key *key = key_new_generated(KEY_ALG_SM2);
        struct err err = {0};
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
                uint8_t sig[SM2_SIGNATURE_MAX], z[SM3_DIGEST_LEN], z_other[SM3_DIGEST_LEN];
                size_t sig_len = openssl_sign_with_id(key, ids[i], msg, sizeof msg, sig);
                CHECK_OK(sm2_compute_z(z, key, ids[i], &err), &err);
                CHECK(openssl_verify_digest(key, z, msg, sizeof msg, sig, sig_len));
                /* The same signature must not verify under the Z of another ID. */
                CHECK_OK(sm2_compute_z(z_other, key, "BILL456@YAHOO.COM", &err), &err);
                CHECK(!openssl_verify_digest(key, z_other, msg, sizeof msg, sig, sig_len));
        }
        key_free(key);
}

static void test_compute_z_bounds_the_id_and_refuses_other_keys(void)
{
        struct key *sm2 = key_new_generated(KEY_ALG_SM2);
        struct key *p256 = key_new_generated(KEY_ALG_EC_P256);
        char *id = malloc(SM2_ID_MAX + 2);
        uint8_t z[SM3_DIGEST_LEN];
        struct err err = {0};
        CHECK(id != NULL);
        memset(id, 'a', SM2_ID_MAX + 1);
        id[SM2_ID_MAX + 1] = 0;
        CHECK_STATUS(sm2_compute_z(z, sm2, id, &err), SMT_EINVAL);
        id[SM2_ID_MAX] = 0; /* 8191 bytes: ENTL 65528 still fits 16 bits */
        CHECK_OK(sm2_compute_z(z, sm2, id, &err), &err);
        CHECK_OK(sm2_compute_z(z, sm2, "", &err), &err);
        CHECK_STATUS(sm2_compute_z(z, p256, NULL, &err), CRYPTO_EWRONGALG);
        free(id);
        key_free(sm2);
        key_free(p256);
}

static void test_key_exchange_matches_published_example(void)
{
        struct key *key_a = key_from_hex_scalar(KX_D_A), *key_b = key_from_hex_scalar(KX_D_B);
        check_public_point(key_a, KX_P_A);
        check_public_point(key_b, KX_P_B);
        uint8_t r_a[SM2_SCALAR_LEN], r_b[SM2_SCALAR_LEN], want[SM3_DIGEST_LEN], got[SM3_DIGEST_LEN];
        struct err err = {0};
        check_hex(r_a, sizeof r_a, KX_R_A);
        check_hex(r_b, sizeof r_b, KX_R_B);
        CHECK_OK(sm2_compute_z(got, key_a, NULL, &err), &err);
        CHECK_MEM(got, want, check_hex(want, sizeof want, KX_Z_A));
        CHECK_OK(sm2_compute_z(got, key_b, NULL, &err), &err);
        CHECK_MEM(got, want, check_hex(want, sizeof want, KX_Z_B));

        struct sm2_key_exchange *a = NULL, *b = NULL;
        CHECK_OK(sm2_key_exchange_new_with_ephemeral(&a, SM2_KEY_EXCHANGE_INITIATOR, key_a, NULL, r_a, &err), &err);
        CHECK_OK(sm2_key_exchange_new_with_ephemeral(&b, SM2_KEY_EXCHANGE_RESPONDER, key_b, NULL, r_b, &err), &err);
        uint8_t point_a[SM2_POINT_LEN], point_b[SM2_POINT_LEN], want_point[SM2_POINT_LEN];
        sm2_key_exchange_ephemeral_point(a, point_a);
        sm2_key_exchange_ephemeral_point(b, point_b);
        CHECK_MEM(point_a, want_point, check_hex(want_point, sizeof want_point, KX_RA_POINT));
        CHECK_MEM(point_b, want_point, check_hex(want_point, sizeof want_point, KX_RB_POINT));

        uint8_t k_a[16], k_b[16], want_k[16];
        struct sm2_key_exchange_confirmation conf_a, conf_b;
        CHECK_OK(sm2_key_exchange_compute(b, k_b, sizeof k_b, &conf_b, key_a, NULL, point_a, &err), &err);
        CHECK_OK(sm2_key_exchange_compute(a, k_a, sizeof k_a, &conf_a, key_b, NULL, point_b, &err), &err);
        check_hex(want_k, sizeof want_k, KX_K);
        CHECK_MEM(k_a, want_k, sizeof want_k);
        CHECK_MEM(k_b, want_k, sizeof want_k);
        check_hex(want, sizeof want, KX_S_B);
        CHECK_MEM(conf_b.own_to_send, want, sizeof want);
        CHECK_MEM(conf_a.peer_expected, want, sizeof want);
        check_hex(want, sizeof want, KX_S_A);
        CHECK_MEM(conf_a.own_to_send, want, sizeof want);
        CHECK_MEM(conf_b.peer_expected, want, sizeof want);
        sm2_key_exchange_free(a);
        sm2_key_exchange_free(b);
        key_free(key_a);
        key_free(key_b);
}

/* struct party: one side of an exchange with its long-term key and ID. */
struct party {
        struct key *key;
        const char *id;
        struct sm2_key_exchange *kx;
        uint8_t point[SM2_POINT_LEN];
        uint8_t shared[100];
        struct sm2_key_exchange_confirmation confirmation;
};

static void party_start(struct party *p, enum sm2_key_exchange_role role)
{
        struct err err = {0};
        CHECK_OK(sm2_key_exchange_new(&p->kx, role, p->key, p->id, &err), &err);
        sm2_key_exchange_ephemeral_point(p->kx, p->point);
}

/* party_finish derives len bytes; peer_id is who p believes the peer is. */
static void party_finish(struct party *p, size_t len, const struct party *peer, const char *peer_id)
{
        struct err err = {0};
        CHECK_OK(
            sm2_key_exchange_compute(p->kx, p->shared, len, &p->confirmation, peer->key, peer_id, peer->point, &err),
            &err);
}

static void party_end(struct party *p)
{
        sm2_key_exchange_free(p->kx);
        p->kx = NULL;
}

static void test_random_pair_agrees_on_key_and_confirmation(void)
{
        /* 16: the annex's klen; 48: the TLCP pre-master secret; 100: more than three KDF blocks. */
        const size_t lengths[] = {16, 48, 100};
        struct party a = {.key = key_new_generated(KEY_ALG_SM2), .id = "ALICE123@YAHOO.COM"};
        struct party b = {.key = key_new_generated(KEY_ALG_SM2), .id = NULL};
        uint8_t previous[100] = {0};
        for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
                party_start(&a, SM2_KEY_EXCHANGE_INITIATOR);
                party_start(&b, SM2_KEY_EXCHANGE_RESPONDER);
                party_finish(&b, lengths[i], &a, a.id);
                party_finish(&a, lengths[i], &b, b.id);
                CHECK_MEM(a.shared, b.shared, lengths[i]);
                CHECK_MEM(a.confirmation.own_to_send, b.confirmation.peer_expected, SM3_DIGEST_LEN);
                CHECK_MEM(b.confirmation.own_to_send, a.confirmation.peer_expected, SM3_DIGEST_LEN);
                CHECK(memcmp(a.confirmation.own_to_send, b.confirmation.own_to_send, SM3_DIGEST_LEN) != 0);
                /* Fresh ephemerals each round give fresh keys. */
                CHECK(memcmp(a.shared, previous, 16) != 0);
                memcpy(previous, a.shared, 16);
                party_end(&a);
                party_end(&b);
        }
        key_free(a.key);
        key_free(b.key);
}

static void test_mismatched_ids_or_roles_give_different_keys(void)
{
        struct party a = {.key = key_new_generated(KEY_ALG_SM2), .id = "ALICE123@YAHOO.COM"};
        struct party b = {.key = key_new_generated(KEY_ALG_SM2), .id = "BILL456@YAHOO.COM"};
        party_start(&a, SM2_KEY_EXCHANGE_INITIATOR);
        party_start(&b, SM2_KEY_EXCHANGE_RESPONDER);
        party_finish(&b, 32, &a, a.id);
        party_finish(&a, 32, &b, "BILL457@YAHOO.COM"); /* A has the wrong idea of B's ID */
        CHECK(memcmp(a.shared, b.shared, 32) != 0);
        CHECK(memcmp(a.confirmation.peer_expected, b.confirmation.own_to_send, SM3_DIGEST_LEN) != 0);
        party_finish(&a, 32, &b, b.id); /* the same exchange with the right ID agrees */
        CHECK_MEM(a.shared, b.shared, 32);
        party_end(&a);
        party_end(&b);

        /* Two initiators put their Z in different places of the KDF input, so they disagree. */
        party_start(&a, SM2_KEY_EXCHANGE_INITIATOR);
        party_start(&b, SM2_KEY_EXCHANGE_INITIATOR);
        party_finish(&b, 32, &a, a.id);
        party_finish(&a, 32, &b, b.id);
        CHECK(memcmp(a.shared, b.shared, 32) != 0);
        party_end(&a);
        party_end(&b);
        key_free(a.key);
        key_free(b.key);
}

static void test_bad_peer_points_are_refused(void)
{
        struct party a = {.key = key_new_generated(KEY_ALG_SM2)};
        struct party b = {.key = key_new_generated(KEY_ALG_SM2)};
        party_start(&a, SM2_KEY_EXCHANGE_INITIATOR);
        party_start(&b, SM2_KEY_EXCHANGE_RESPONDER);
        uint8_t bad[SM2_POINT_LEN], shared[16];
        struct err err = {0};
        memcpy(bad, b.point, sizeof bad);
        bad[SM2_POINT_LEN - 1] ^= 0x01; /* y changed: off the curve */
        CHECK_STATUS(sm2_key_exchange_compute(a.kx, shared, sizeof shared, NULL, b.key, NULL, bad, &err),
                     CRYPTO_EKEYEXCHANGE);
        memset(bad, 0xff, sizeof bad);
        bad[0] = 0x04; /* coordinates >= p */
        CHECK_STATUS(sm2_key_exchange_compute(a.kx, shared, sizeof shared, NULL, b.key, NULL, bad, &err),
                     CRYPTO_EKEYEXCHANGE);
        const uint8_t forms[] = {0x00, 0x02, 0x03, 0x06, 0x07};
        for (size_t i = 0; i < sizeof forms; i++) {
                memcpy(bad, b.point, sizeof bad);
                bad[0] = forms[i];
                CHECK_STATUS(sm2_key_exchange_compute(a.kx, shared, sizeof shared, NULL, b.key, NULL, bad, &err),
                             CRYPTO_EKEYEXCHANGE);
        }
        /* The failed attempts did not spoil the exchange. */
        CHECK_OK(sm2_key_exchange_compute(a.kx, shared, sizeof shared, NULL, b.key, NULL, b.point, &err), &err);
        party_end(&a);
        party_end(&b);
        key_free(a.key);
        key_free(b.key);
}

/* x_bar_of computes 2^127 + (x mod 2^127) for a point's x coordinate (GB/T 32918.3 §6.1 A4, w = 127). */
static BIGNUM *x_bar_of(const uint8_t point[SM2_POINT_LEN])
{
        BIGNUM *x = BN_bin2bn(point + 1 + 16, 16, NULL);
        CHECK(x != NULL);
        CHECK_EQ(BN_clear_bit(x, 127), 1);
        CHECK_EQ(BN_set_bit(x, 127), 1);
        return x;
}

static void test_u_at_infinity_is_refused(void)
{
        /* A malicious peer picks R = [k]G, then the static key P = [-(x̄ k) mod n]G, so P + [x̄]R is the
         * point at infinity and U would be too, whatever t is. */
        struct key *ephemeral = key_from_hex_scalar("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
        uint8_t r_point[SM2_POINT_LEN], s_bytes[SM2_SCALAR_LEN];
        size_t len = 0;
        struct err err = {0};
        CHECK_OK(key_public_point(ephemeral, r_point, sizeof r_point, &len, &err), &err);
        EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_sm2);
        BIGNUM *k = NULL, *s = BN_new(), *x_bar = x_bar_of(r_point);
        BN_CTX *ctx = BN_CTX_new();
        CHECK(group != NULL && s != NULL && ctx != NULL);
        CHECK_EQ(EVP_PKEY_get_bn_param(key_evp(ephemeral), OSSL_PKEY_PARAM_PRIV_KEY, &k), 1);
        CHECK_EQ(BN_mod_mul(s, x_bar, k, EC_GROUP_get0_order(group), ctx), 1);
        CHECK_EQ(BN_sub(s, EC_GROUP_get0_order(group), s), 1);
        CHECK_EQ(BN_bn2binpad(s, s_bytes, sizeof s_bytes), sizeof s_bytes);
        struct key *peer = NULL;
        CHECK_OK(key_new_sm2_from_scalar(&peer, s_bytes, &err), &err);

        const enum sm2_key_exchange_role roles[] = {SM2_KEY_EXCHANGE_INITIATOR, SM2_KEY_EXCHANGE_RESPONDER};
        struct key *own = key_new_generated(KEY_ALG_SM2);
        uint8_t shared[16], honest_point[SM2_POINT_LEN];
        for (size_t i = 0; i < 2; i++) {
                struct sm2_key_exchange *kx = NULL;
                CHECK_OK(sm2_key_exchange_new(&kx, roles[i], own, NULL, &err), &err);
                CHECK_STATUS(sm2_key_exchange_compute(kx, shared, sizeof shared, NULL, peer, NULL, r_point, &err),
                             CRYPTO_EKEYEXCHANGE);
                /* The same static key with an honest ephemeral point is fine. */
                sm2_key_exchange_ephemeral_point(kx, honest_point);
                CHECK_OK(sm2_key_exchange_compute(kx, shared, sizeof shared, NULL, peer, NULL, honest_point, &err),
                         &err);
                sm2_key_exchange_free(kx);
        }
        key_free(own);
        key_free(peer);
        key_free(ephemeral);
        BN_free(k);
        BN_free(s);
        BN_free(x_bar);
        BN_CTX_free(ctx);
        EC_GROUP_free(group);
}

static void test_wrong_keys_are_refused(void)
{
        struct key *sm2 = key_new_generated(KEY_ALG_SM2), *p256 = key_new_generated(KEY_ALG_EC_P256);
        uint8_t point[SM2_POINT_LEN], shared[16], r[SM2_SCALAR_LEN];
        size_t len = 0;
        struct err err = {0};
        struct sm2_key_exchange *kx = NULL;
        CHECK_STATUS(sm2_key_exchange_new(&kx, SM2_KEY_EXCHANGE_INITIATOR, p256, NULL, &err), CRYPTO_EWRONGALG);
        CHECK_OK(key_public_point(sm2, point, sizeof point, &len, &err), &err);
        struct key *public_only = NULL;
        CHECK_OK(key_new_sm2_from_point(&public_only, point, &err), &err);
        CHECK_STATUS(sm2_key_exchange_new(&kx, SM2_KEY_EXCHANGE_RESPONDER, public_only, NULL, &err), CRYPTO_EKEY);
        CHECK_STATUS(sm2_key_exchange_new(&kx, (enum sm2_key_exchange_role)3, sm2, NULL, &err), SMT_EINVAL);
        memset(r, 0, sizeof r);
        CHECK_STATUS(sm2_key_exchange_new_with_ephemeral(&kx, SM2_KEY_EXCHANGE_INITIATOR, sm2, NULL, r, &err),
                     SMT_EINVAL);
        check_hex(r, sizeof r, "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"); /* n */
        CHECK_STATUS(sm2_key_exchange_new_with_ephemeral(&kx, SM2_KEY_EXCHANGE_INITIATOR, sm2, NULL, r, &err),
                     SMT_EINVAL);
        CHECK_OK(sm2_key_exchange_new(&kx, SM2_KEY_EXCHANGE_INITIATOR, sm2, NULL, &err), &err);
        sm2_key_exchange_ephemeral_point(kx, point);
        CHECK_STATUS(sm2_key_exchange_compute(kx, shared, sizeof shared, NULL, p256, NULL, point, &err),
                     CRYPTO_EWRONGALG);
        CHECK_STATUS(sm2_key_exchange_compute(kx, shared, 0, NULL, sm2, NULL, point, &err), SMT_EINVAL);
        /* The peer's static key may be public only. */
        CHECK_OK(sm2_key_exchange_compute(kx, shared, sizeof shared, NULL, public_only, NULL, point, &err), &err);
        sm2_key_exchange_free(kx);
        sm2_key_exchange_free(NULL);
        key_free(public_only);
        key_free(sm2);
        key_free(p256);
}

CHECK_MAIN(CHECK_TEST(test_compute_z_matches_published_example),
           CHECK_TEST(test_compute_z_agrees_with_openssl_signatures),
           CHECK_TEST(test_compute_z_bounds_the_id_and_refuses_other_keys),
           CHECK_TEST(test_key_exchange_matches_published_example),
           CHECK_TEST(test_random_pair_agrees_on_key_and_confirmation),
           CHECK_TEST(test_mismatched_ids_or_roles_give_different_keys), CHECK_TEST(test_bad_peer_points_are_refused),
           CHECK_TEST(test_u_at_infinity_is_refused), CHECK_TEST(test_wrong_keys_are_refused))
