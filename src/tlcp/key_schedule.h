/* src/tlcp/key_schedule.h: the TLCP key schedule (GB/T 38636-2020 §6.5): master secret, key block and
 * Finished verify_data, all from the TLS 1.2 PRF with HMAC-SM3 (P_SM3). Every secret lives in a fixed
 * array that the caller wipes (tlcp_key_schedule_key_block_cleanup, explicit_bzero for the master). */
#ifndef SMT_TLCP_KEY_SCHEDULE_H
#define SMT_TLCP_KEY_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/sm3.h"
#include "crypto/sm4.h"
#include "tlcp/protocol.h"

/* HMAC-SM3 keys and MACs are SM3_DIGEST_LEN bytes; the GCM implicit salt is 4 bytes (RFC 5288 §3). */
#define TLCP_MAC_KEY_LEN  SM3_DIGEST_LEN
#define TLCP_GCM_SALT_LEN 4
/* CBC: two MAC keys, two SM4 keys and two (unused) 16-byte IVs = 128 bytes; GCM: 2*16 + 2*4 = 40. */
#define TLCP_KEY_BLOCK_MAX (2 * TLCP_MAC_KEY_LEN + 2 * SM4_KEY_LEN + 2 * SM4_BLOCK_LEN)

/* struct tlcp_write_keys: what one side encrypts with (its peer decrypts with the same). */
struct tlcp_write_keys {
        uint8_t mac_key[TLCP_MAC_KEY_LEN]; /* CBC suites only: HMAC-SM3 key */
        uint8_t key[SM4_KEY_LEN];
        uint8_t salt[TLCP_GCM_SALT_LEN]; /* GCM suites only: the implicit part of the nonce */
};

/* struct tlcp_key_block: the key block split per suite; wipe with tlcp_key_schedule_key_block_cleanup. */
struct tlcp_key_block {
        enum tlcp_bulk_cipher bulk_cipher;
        struct tlcp_write_keys client;     /* client_write_* keys */
        struct tlcp_write_keys server;     /* server_write_* keys */
        uint8_t bytes[TLCP_KEY_BLOCK_MAX]; /* the whole PRF output, as GB/T 38636 §6.5 lays it out */
        size_t len;                        /* 128 (CBC) or 40 (GCM) */
};

/* tlcp_key_schedule_master_secret writes PRF(pre_master, "master secret", client_random || server_random)
 * [0..47] to master; pre_master is 48 bytes for ECC and ECDHE suites but any length is accepted. */
int tlcp_key_schedule_master_secret(uint8_t master[TLCP_MASTER_SECRET_LEN], const uint8_t *pre_master,
                                    size_t pre_master_len, const uint8_t client_random[TLCP_RANDOM_LEN],
                                    const uint8_t server_random[TLCP_RANDOM_LEN], struct err *err) SMT_MUST_USE;

/* tlcp_key_schedule_key_block fills out with PRF(master, "key expansion", server_random || client_random)
 * split for suite's bulk cipher; on failure out is wiped. */
int tlcp_key_schedule_key_block(struct tlcp_key_block *out, const struct tlcp_suite *suite,
                                const uint8_t master[TLCP_MASTER_SECRET_LEN],
                                const uint8_t client_random[TLCP_RANDOM_LEN],
                                const uint8_t server_random[TLCP_RANDOM_LEN], struct err *err) SMT_MUST_USE;

/* tlcp_key_schedule_key_block_cleanup wipes every key in block. */
void tlcp_key_schedule_key_block_cleanup(struct tlcp_key_block *block);

/* tlcp_key_schedule_verify_data writes PRF(master, "client finished" when is_client else "server finished",
 * transcript_hash)[0..11], transcript_hash being SM3 of every handshake message before that Finished. */
int tlcp_key_schedule_verify_data(uint8_t out[TLCP_VERIFY_DATA_LEN], const uint8_t master[TLCP_MASTER_SECRET_LEN],
                                  bool is_client, const uint8_t transcript_hash[SM3_DIGEST_LEN],
                                  struct err *err) SMT_MUST_USE;

#endif
