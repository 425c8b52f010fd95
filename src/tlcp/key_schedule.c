/* src/tlcp/key_schedule.c: master secret, key block and verify_data (GB/T 38636-2020 §6.5, which takes
 * them from TLS 1.2, RFC 5246 §8.1, §6.3 and §7.4.9, with P_SM3 as the PRF). */
#include "tlcp/key_schedule.h"

#include <string.h>

#include "base/buf.h"

int tlcp_key_schedule_master_secret(uint8_t master[TLCP_MASTER_SECRET_LEN], const uint8_t *pre_master,
                                    size_t pre_master_len, const uint8_t client_random[TLCP_RANDOM_LEN],
                                    const uint8_t server_random[TLCP_RANDOM_LEN], struct err *err)
{
        return sm3_prf(master, TLCP_MASTER_SECRET_LEN, pre_master, pre_master_len, "master secret", client_random,
                       TLCP_RANDOM_LEN, server_random, TLCP_RANDOM_LEN, err);
}

/* tlcp_key_schedule_split_cbc: client MAC key, server MAC key, client key, server key, then the two
 * 16-byte IVs that TLS 1.1-style explicit IVs leave unused (RFC 4346 §6.3). */
static int tlcp_key_schedule_split_cbc(struct tlcp_key_block *block)
{
        struct buf_reader in = buf_reader_make(block->bytes, block->len);
        TRY(buf_read_bytes(&in, block->client.mac_key, TLCP_MAC_KEY_LEN));
        TRY(buf_read_bytes(&in, block->server.mac_key, TLCP_MAC_KEY_LEN));
        TRY(buf_read_bytes(&in, block->client.key, SM4_KEY_LEN));
        return buf_read_bytes(&in, block->server.key, SM4_KEY_LEN);
}

/* tlcp_key_schedule_split_gcm: client key, server key, client salt, server salt (RFC 5288 §3: the
 * client_write_IV / server_write_IV of the key block are the 4-byte implicit nonce parts). */
static int tlcp_key_schedule_split_gcm(struct tlcp_key_block *block)
{
        struct buf_reader in = buf_reader_make(block->bytes, block->len);
        TRY(buf_read_bytes(&in, block->client.key, SM4_KEY_LEN));
        TRY(buf_read_bytes(&in, block->server.key, SM4_KEY_LEN));
        TRY(buf_read_bytes(&in, block->client.salt, TLCP_GCM_SALT_LEN));
        return buf_read_bytes(&in, block->server.salt, TLCP_GCM_SALT_LEN);
}

int tlcp_key_schedule_key_block(struct tlcp_key_block *out, const struct tlcp_suite *suite,
                                const uint8_t master[TLCP_MASTER_SECRET_LEN],
                                const uint8_t client_random[TLCP_RANDOM_LEN],
                                const uint8_t server_random[TLCP_RANDOM_LEN], struct err *err)
{
        explicit_bzero(out, sizeof *out);
        out->bulk_cipher = suite->bulk_cipher;
        switch (suite->bulk_cipher) {
        case TLCP_BULK_SM4_CBC:
                out->len = 2 * TLCP_MAC_KEY_LEN + 2 * SM4_KEY_LEN + 2 * SM4_BLOCK_LEN;
                break;
        case TLCP_BULK_SM4_GCM:
                out->len = 2 * SM4_KEY_LEN + 2 * TLCP_GCM_SALT_LEN;
                break;
        }
        if (out->len == 0)
                return SMT_ERR(err, SMT_EINVAL, "key_block: suite %s has unknown bulk cipher %d", suite->name,
                               (int)suite->bulk_cipher);
        /* RFC 5246 §6.3: the seed is server_random || client_random, the reverse of the master secret's. */
        int status = sm3_prf(out->bytes, out->len, master, TLCP_MASTER_SECRET_LEN, "key expansion", server_random,
                             TLCP_RANDOM_LEN, client_random, TLCP_RANDOM_LEN, err);
        if (status == SMT_OK) {
                status = suite->bulk_cipher == TLCP_BULK_SM4_CBC ? tlcp_key_schedule_split_cbc(out)
                                                                 : tlcp_key_schedule_split_gcm(out);
                if (status != SMT_OK)
                        status = SMT_ERR(err, SMT_EINTERNAL, "key_block: %zu bytes do not split for %s", out->len,
                                         suite->name);
        }
        if (status != SMT_OK)
                tlcp_key_schedule_key_block_cleanup(out);
        return status;
}

void tlcp_key_schedule_key_block_cleanup(struct tlcp_key_block *block)
{
        explicit_bzero(block, sizeof *block);
}

int tlcp_key_schedule_verify_data(uint8_t out[TLCP_VERIFY_DATA_LEN], const uint8_t master[TLCP_MASTER_SECRET_LEN],
                                  bool is_client, const uint8_t transcript_hash[SM3_DIGEST_LEN], struct err *err)
{
        const char *label = is_client ? "client finished" : "server finished";
        return sm3_prf(out, TLCP_VERIFY_DATA_LEN, master, TLCP_MASTER_SECRET_LEN, label, transcript_hash,
                       SM3_DIGEST_LEN, NULL, 0, err);
}
