/* tests/unit/tlcp/test_key_schedule.c: master secret, key block and verify_data against the connections
 * Tongsuo and GmSSL recorded with their secrets (vectors/tlcp/): both peers agreed on these values, so they
 * are an independent implementation's answers. */
#include <stdlib.h>

#include "check.h"
#include "crypto/sm3.h"
#include "tlcp/key_schedule.h"
#include "vectors.h"

/* The ECC files carry the pre-master secret decrypted from ClientKeyExchange; ECDHE files have none. */
static void test_master_secret_from_pre_master(void)
{
        size_t num_checked = 0;
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                if (v.has_pre_master) {
                        struct err err = {0};
                        uint8_t master[TLCP_MASTER_SECRET_LEN];
                        CHECK_OK(tlcp_key_schedule_master_secret(master, v.pre_master, sizeof v.pre_master,
                                                                 v.client_random, v.server_random, &err),
                                 &err);
                        CHECK_MEM(master, v.master_secret, sizeof master);
                        num_checked++;
                }
                CHECK_EQ(v.has_pre_master, v.suite->key_exchange == TLCP_KEY_EXCHANGE_ECC);
                tlcp_vector_free(&v);
        }
        CHECK_EQ(num_checked, 4);
}

static void check_write_keys(const struct tlcp_vector *v, const struct tlcp_write_keys *keys, const char *side)
{
        char path[128];
        uint8_t expected[TLCP_MAC_KEY_LEN];
        snprintf(path, sizeof path, "derived.%s_write_key_hex", side);
        CHECK_EQ(tlcp_vector_get_hex(v, path, expected, sizeof expected), SM4_KEY_LEN);
        CHECK_MEM(keys->key, expected, SM4_KEY_LEN);
        if (v->suite->bulk_cipher == TLCP_BULK_SM4_CBC) {
                snprintf(path, sizeof path, "derived.%s_write_mac_key_hex", side);
                CHECK_EQ(tlcp_vector_get_hex(v, path, expected, sizeof expected), TLCP_MAC_KEY_LEN);
                CHECK_MEM(keys->mac_key, expected, TLCP_MAC_KEY_LEN);
        } else {
                snprintf(path, sizeof path, "derived.%s_write_iv_hex", side);
                CHECK_EQ(tlcp_vector_get_hex(v, path, expected, sizeof expected), TLCP_GCM_SALT_LEN);
                CHECK_MEM(keys->salt, expected, TLCP_GCM_SALT_LEN);
        }
}

static void test_key_block(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                struct err err = {0};
                struct tlcp_key_block block;
                CHECK_OK(tlcp_key_schedule_key_block(&block, v.suite, v.master_secret, v.client_random, v.server_random,
                                                     &err),
                         &err);
                uint8_t expected[TLCP_KEY_BLOCK_MAX];
                size_t expected_len = tlcp_vector_get_hex(&v, "derived.key_block_hex", expected, sizeof expected);
                CHECK_EQ(block.len, expected_len);
                CHECK_EQ(block.len, v.suite->bulk_cipher == TLCP_BULK_SM4_CBC ? 128 : 40);
                CHECK_MEM(block.bytes, expected, expected_len);
                CHECK_EQ(block.bulk_cipher, v.suite->bulk_cipher);
                check_write_keys(&v, &block.client, "client");
                check_write_keys(&v, &block.server, "server");
                tlcp_key_schedule_key_block_cleanup(&block);
                static const struct tlcp_key_block zero;
                CHECK_MEM(&block, &zero, sizeof block);
                tlcp_vector_free(&v);
        }
}

/* The transcript hash covers every handshake message before that Finished (RFC 5246 §7.4.9); the server's
 * includes the client Finished and Tongsuo's NewSessionTicket. The expected value is checked twice: against
 * the file's derived value and against the Finished message the peer actually sent (decrypted record). */
static void check_verify_data(const struct tlcp_vector *v, bool is_client)
{
        struct err err = {0};
        size_t transcript_len;
        uint8_t *transcript = tlcp_vector_transcript(v, TLCP_HANDSHAKE_FINISHED, is_client, &transcript_len);
        uint8_t hash[SM3_DIGEST_LEN], verify_data[TLCP_VERIFY_DATA_LEN];
        CHECK_OK(sm3_hash(hash, transcript, transcript_len, &err), &err);
        free(transcript);
        CHECK_OK(tlcp_key_schedule_verify_data(verify_data, v->master_secret, is_client, hash, &err), &err);
        CHECK_MEM(verify_data, is_client ? v->client_verify_data : v->server_verify_data, sizeof verify_data);
        const struct tlcp_vector_message *finished = tlcp_vector_find_message(v, TLCP_HANDSHAKE_FINISHED, is_client);
        CHECK(finished != NULL && finished->is_encrypted);
        CHECK_EQ(finished->len, TLCP_HANDSHAKE_HEADER_LEN + TLCP_VERIFY_DATA_LEN);
        CHECK_MEM(finished->data + TLCP_HANDSHAKE_HEADER_LEN, verify_data, sizeof verify_data);
}

static void test_verify_data(void)
{
        for (size_t i = 0; i < tlcp_vector_count(); i++) {
                struct tlcp_vector v;
                tlcp_vector_load(&v, tlcp_vector_name(i));
                check_verify_data(&v, true);
                check_verify_data(&v, false);
                tlcp_vector_free(&v);
        }
}

/* The two labels must differ: a verify_data computed for the wrong side must not match. */
static void test_verify_data_sides_differ(void)
{
        struct tlcp_vector v;
        tlcp_vector_load(&v, tlcp_vector_name(0));
        struct err err = {0};
        size_t transcript_len;
        uint8_t *transcript = tlcp_vector_transcript(&v, TLCP_HANDSHAKE_FINISHED, true, &transcript_len);
        uint8_t hash[SM3_DIGEST_LEN], as_server[TLCP_VERIFY_DATA_LEN];
        CHECK_OK(sm3_hash(hash, transcript, transcript_len, &err), &err);
        free(transcript);
        CHECK_OK(tlcp_key_schedule_verify_data(as_server, v.master_secret, false, hash, &err), &err);
        CHECK(memcmp(as_server, v.client_verify_data, sizeof as_server) != 0);
        tlcp_vector_free(&v);
}

CHECK_MAIN(CHECK_TEST(test_master_secret_from_pre_master), CHECK_TEST(test_key_block), CHECK_TEST(test_verify_data),
           CHECK_TEST(test_verify_data_sides_differ))
