/* tests/unit/tlcp/test_record_crafted.c: records that smtrust never sends, built here straight from the
 * primitives (HMAC-SM3, SM4-CBC, SM4-GCM) to pin what tlcp_record_open accepts: any legal padding length
 * (RFC 4346 §6.2.3.2 allows up to 255), no inconsistent padding, no padding that eats the MAC, and no
 * authenticated plaintext over 2^14 (record_overflow). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crypto/sm3.h"
#include "crypto/sm4.h"
#include "tlcp/record.h"

#define CRAFTED_MAX (TLCP_CBC_IV_LEN + TLCP_MAX_PLAINTEXT + 1 + TLCP_MAC_LEN + 256)

static void crafted_keys(struct tlcp_write_keys *keys)
{
        for (size_t i = 0; i < sizeof keys->mac_key; i++)
                keys->mac_key[i] = (uint8_t)(0x5A ^ i);
        for (size_t i = 0; i < sizeof keys->key; i++)
                keys->key[i] = (uint8_t)(0xC3 + 3 * i);
        memcpy(keys->salt, "\xde\xad\xbe\xef", sizeof keys->salt);
}

static void crafted_receiver(struct tlcp_record_protection *p, enum tlcp_suite_id id)
{
        struct tlcp_write_keys keys;
        struct err err = {0};
        crafted_keys(&keys);
        tlcp_record_protection_init(p);
        CHECK_OK(tlcp_record_protection_set_keys(p, tlcp_suite_lookup(id), &keys, &err), &err);
}

/* The RFC 5246 §6.2.3.1 MAC input: seq(8) || type || version || length(2) || content. */
static size_t crafted_mac_input(uint8_t *out, uint64_t seq, const uint8_t *content, size_t content_len)
{
        for (int i = 0; i < 8; i++)
                out[i] = (uint8_t)(seq >> (56 - 8 * i));
        const uint8_t rest[] = {TLCP_CONTENT_APPLICATION_DATA, 0x01, 0x01, (uint8_t)(content_len >> 8),
                                (uint8_t)content_len};
        memcpy(out + 8, rest, sizeof rest);
        if (content_len > 0)
                memcpy(out + 13, content, content_len);
        return 13 + content_len;
}

/* crafted_cbc writes IV || SM4-CBC(content || MAC || padding) with padding_len + 1 bytes of padding, all
 * equal to padding_byte; padding_len must make whole blocks. Returns the fragment length. */
static size_t crafted_cbc(uint8_t *fragment, const uint8_t *content, size_t content_len, size_t padding_len,
                          uint8_t padding_byte)
{
        struct tlcp_write_keys keys;
        struct err err = {0};
        crafted_keys(&keys);
        uint8_t *mac_input = malloc(13 + content_len);
        size_t mac_input_len = crafted_mac_input(mac_input, 0, content, content_len);
        uint8_t *body = fragment + TLCP_CBC_IV_LEN;
        if (content_len > 0)
                memcpy(body, content, content_len);
        CHECK_OK(sm3_hmac(body + content_len, keys.mac_key, sizeof keys.mac_key, mac_input, mac_input_len, &err), &err);
        free(mac_input);
        memset(body + content_len + TLCP_MAC_LEN, padding_byte, padding_len + 1);
        size_t body_len = content_len + TLCP_MAC_LEN + padding_len + 1;
        CHECK_EQ(body_len % SM4_BLOCK_LEN, 0);
        memset(fragment, 0x42, TLCP_CBC_IV_LEN);
        struct sm4_cbc *cbc;
        CHECK_OK(sm4_cbc_new(&cbc, keys.key, &err), &err);
        CHECK_OK(sm4_cbc_encrypt(cbc, fragment, body, body, body_len, &err), &err);
        sm4_cbc_free(cbc);
        return TLCP_CBC_IV_LEN + body_len;
}

static int crafted_open(enum tlcp_suite_id id, uint8_t *fragment, size_t len, struct buf_reader *content,
                        struct err *err)
{
        struct tlcp_record_protection p;
        crafted_receiver(&p, id);
        struct tlcp_record_header header = {TLCP_CONTENT_APPLICATION_DATA, TLCP_VERSION, (uint16_t)len};
        int status = tlcp_record_open(&p, content, &header, fragment, err);
        tlcp_record_protection_cleanup(&p);
        return status;
}

/* Peers may pad beyond the minimum (to hide lengths); every legal length is accepted. */
static void test_cbc_accepts_every_padding_length(void)
{
        static const uint8_t content[10] = "0123456789";
        uint8_t *fragment = malloc(CRAFTED_MAX);
        for (size_t padding_len = 5; padding_len <= 245; padding_len += 16) {
                struct err err = {0};
                struct buf_reader opened;
                size_t len = crafted_cbc(fragment, content, sizeof content, padding_len, (uint8_t)padding_len);
                CHECK_OK(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &err), &err);
                CHECK_EQ(opened.len, sizeof content);
                CHECK_MEM(opened.data, content, sizeof content);
        }
        /* The longest padding, 255, with empty content: 32 + 256 bytes is 18 blocks. */
        struct err err = {0};
        struct buf_reader opened;
        size_t len = crafted_cbc(fragment, NULL, 0, 255, 255);
        CHECK_OK(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &err), &err);
        CHECK_EQ(opened.len, 0);
        free(fragment);
}

/* A correct MAC does not save a record whose padding bytes disagree, and the failure reads exactly like a
 * MAC failure (same status, same message), so a padding oracle learns nothing from the error. */
static void test_cbc_rejects_inconsistent_padding_like_a_bad_mac(void)
{
        static const uint8_t content[10] = "0123456789";
        uint8_t fragment[256];
        struct err padding_err = {0}, mac_err = {0};
        struct buf_reader opened;
        /* padding_len 21 with one padding byte (not the length byte) changed, MAC left correct. */
        size_t len = crafted_cbc(fragment, content, sizeof content, 21, 21);
        struct tlcp_write_keys keys;
        crafted_keys(&keys);
        struct sm4_cbc *cbc;
        CHECK_OK(sm4_cbc_new(&cbc, keys.key, &padding_err), &padding_err);
        uint8_t *body = fragment + TLCP_CBC_IV_LEN;
        size_t body_len = len - TLCP_CBC_IV_LEN;
        CHECK_OK(sm4_cbc_decrypt(cbc, fragment, body, body, body_len, &padding_err), &padding_err);
        body[body_len - 3] ^= 0x01;
        CHECK_OK(sm4_cbc_encrypt(cbc, fragment, body, body, body_len, &padding_err), &padding_err);
        sm4_cbc_free(cbc);
        CHECK_STATUS(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &padding_err), TLCP_EBAD_RECORD_MAC);
        /* The same record with good padding and a bad MAC. */
        uint8_t other[sizeof content];
        memcpy(other, content, sizeof content);
        len = crafted_cbc(fragment, other, sizeof other, 21, 21);
        fragment[TLCP_CBC_IV_LEN - 1] ^= 0x01; /* the IV changes the first plaintext block: content no longer MACs */
        CHECK_STATUS(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &mac_err), TLCP_EBAD_RECORD_MAC);
        CHECK_STR(padding_err.msg, mac_err.msg);
        CHECK_MEM(fragment + TLCP_CBC_IV_LEN, (uint8_t[16]){0}, 16); /* no unauthenticated plaintext left */
}

/* A padding length that leaves no room for the MAC is rejected, not read as a negative content length. */
static void test_cbc_rejects_padding_longer_than_record(void)
{
        uint8_t fragment[256];
        struct err err = {0};
        struct buf_reader opened;
        /* 48-byte body = MAC(32) + 16 bytes of padding, all claiming a padding length of 200. */
        size_t len = crafted_cbc(fragment, NULL, 0, 15, 200);
        CHECK_STATUS(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &err), TLCP_EBAD_RECORD_MAC);
        /* 17 bytes of padding 16 in a 48-byte body would leave 31 bytes for a 32-byte MAC. */
        len = crafted_cbc(fragment, NULL, 0, 15, 16);
        CHECK_STATUS(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &err), TLCP_EBAD_RECORD_MAC);
}

/* An authentic record whose content exceeds 2^14 bytes is record_overflow (RFC 5246 §6.2.1), for CBC
 * (the length known only after the padding) and for GCM. */
static void test_authentic_cbc_overflow(void)
{
        size_t content_len = TLCP_MAX_PLAINTEXT + 1;
        uint8_t *content = calloc(1, content_len), *fragment = malloc(CRAFTED_MAX);
        struct err err = {0};
        struct buf_reader opened;
        size_t padding_len = SM4_BLOCK_LEN - 1 - (content_len + TLCP_MAC_LEN) % SM4_BLOCK_LEN;
        size_t len = crafted_cbc(fragment, content, content_len, padding_len, (uint8_t)padding_len);
        CHECK_STATUS(crafted_open(TLCP_ECC_SM4_CBC_SM3, fragment, len, &opened, &err), TLCP_ERECORD_OVERFLOW);
        free(content);
        free(fragment);
}

static void test_authentic_gcm_overflow(void)
{
        size_t content_len = TLCP_MAX_PLAINTEXT + 1;
        uint8_t *content = calloc(1, content_len), *fragment = malloc(CRAFTED_MAX);
        struct err err = {0};
        struct tlcp_write_keys keys;
        crafted_keys(&keys);
        struct sm4_gcm *gcm;
        CHECK_OK(sm4_gcm_new(&gcm, keys.key, &err), &err);
        /* nonce = salt || explicit nonce from the record; AAD = seq || type || version || content length. */
        uint8_t nonce[SM4_GCM_IV_LEN], aad[13];
        memcpy(nonce, keys.salt, TLCP_GCM_SALT_LEN);
        memset(fragment, 0x77, TLCP_GCM_EXPLICIT_NONCE_LEN);
        memcpy(nonce + TLCP_GCM_SALT_LEN, fragment, TLCP_GCM_EXPLICIT_NONCE_LEN);
        crafted_mac_input(aad, 0, NULL, 0);
        aad[11] = (uint8_t)(content_len >> 8);
        aad[12] = (uint8_t)content_len;
        uint8_t *ciphertext = fragment + TLCP_GCM_EXPLICIT_NONCE_LEN;
        CHECK_OK(sm4_gcm_seal(gcm, nonce, sizeof nonce, aad, sizeof aad, ciphertext, content, content_len,
                              ciphertext + content_len, &err),
                 &err);
        sm4_gcm_free(gcm);
        struct buf_reader opened;
        size_t len = TLCP_GCM_EXPLICIT_NONCE_LEN + content_len + TLCP_GCM_TAG_LEN;
        CHECK_STATUS(crafted_open(TLCP_ECC_SM4_GCM_SM3, fragment, len, &opened, &err), TLCP_ERECORD_OVERFLOW);
        free(content);
        free(fragment);
}

CHECK_MAIN(CHECK_TEST(test_cbc_accepts_every_padding_length),
           CHECK_TEST(test_cbc_rejects_inconsistent_padding_like_a_bad_mac),
           CHECK_TEST(test_cbc_rejects_padding_longer_than_record), CHECK_TEST(test_authentic_cbc_overflow),
           CHECK_TEST(test_authentic_gcm_overflow))
