/* tests/unit/crypto/gcrypt_sm2.c: see gcrypt_sm2.h. */
#include "gcrypt_sm2.h"

#include <gcrypt.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "check.h"
#include "crypto/key.h"

/* gcrypt_sm2_verify checks an SM2 signature with libgcrypt, an implementation independent of OpenSSL: Z and e
 * computed here with libgcrypt's SM3 (GB/T 32918.2 5.5, 6.1; curve constants from GB/T 32918.5, ID
 * 1234567812345678 with ENTL 128 from GM/T 0009 10), then gcry_pk_verify with the sm2 flag. */
bool gcrypt_sm2_verify(const struct cert *signer, const uint8_t *msg, size_t msg_len, const uint8_t *sig_der,
                              size_t sig_len)
{
        static const char *const curve_hex =
                "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC" /* a */
                "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93" /* b */
                "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7" /* xG */
                "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"; /* yG */
        CHECK(gcry_check_version(NULL) != NULL);
        uint8_t z_input[2 + 16 + 128 + 64] = {0x00, 0x80};
        memcpy(z_input + 2, "1234567812345678", 16);
        CHECK_EQ(check_hex(z_input + 18, 128, curve_hex), (size_t)128);
        struct key *key = NULL;
        struct err err = {0};
        uint8_t point[65];
        size_t point_len = 0;
        CHECK_OK(cert_public_key(signer, &key, &err), &err);
        CHECK_OK(key_public_point(key, point, sizeof point, &point_len, &err), &err);
        key_free(key);
        CHECK_EQ(point_len, (size_t)65);
        memcpy(z_input + 146, point + 1, 64);
        uint8_t z[32], e[32];
        gcry_md_hash_buffer(GCRY_MD_SM3, z, z_input, sizeof z_input);
        gcry_md_hd_t md;
        CHECK(gcry_md_open(&md, GCRY_MD_SM3, 0) == 0);
        gcry_md_write(md, z, sizeof z);
        gcry_md_write(md, msg, msg_len);
        memcpy(e, gcry_md_read(md, GCRY_MD_SM3), sizeof e);
        gcry_md_close(md);
        const unsigned char *q = sig_der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)sig_len);
        CHECK(sig != NULL);
        uint8_t r[32], s[32];
        CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, 32) == 32 && BN_bn2binpad(ECDSA_SIG_get0_s(sig), s, 32) == 32);
        ECDSA_SIG_free(sig);
        gcry_sexp_t s_key = NULL, s_sig = NULL, s_data = NULL;
        CHECK(gcry_sexp_build(&s_key, NULL, "(public-key (ecc (curve sm2p256v1) (q %b)))", 65, point) == 0);
        CHECK(gcry_sexp_build(&s_sig, NULL, "(sig-val (sm2 (r %b) (s %b)))", 32, r, 32, s) == 0);
        CHECK(gcry_sexp_build(&s_data, NULL, "(data (flags sm2) (hash sm3 %b))", 32, e) == 0);
        bool ok = gcry_pk_verify(s_sig, s_data, s_key) == 0;
        gcry_sexp_release(s_key);
        gcry_sexp_release(s_sig);
        gcry_sexp_release(s_data);
        return ok;
}
