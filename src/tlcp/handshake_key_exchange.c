/* src/tlcp/handshake_key_exchange.c: ServerKeyExchange (GB/T 38636-2020 §6.4.5.4) and ClientKeyExchange
 * (§6.4.5.8) for both key exchanges, and the master secret they lead to.
 *
 * ECC: the server signs client_random || server_random || its encryption certificate; the client encrypts
 * the pre-master secret to that certificate's key. ECDHE: the server signs its ephemeral point, and both
 * run the SM2 key exchange (GB/T 32918.3) with the server as initiator, the client as responder and both
 * encryption keys as the static keys (tlcp-wire.md); its 48 bytes are the pre-master secret. */
#include "tlcp/handshake.h"

#include <string.h>

#include "crypto/random.h"

/* tlcp_handshake_key_exchange_signed_data writes what ServerKeyExchange signs: the randoms, then for ECC
 * the uint24-prefixed DER of the server's encryption certificate, for ECDHE the sent ECParameters and point. */
static int tlcp_handshake_key_exchange_signed_data(const struct tlcp_conn *conn, const struct cert *enc_cert,
                                                   const uint8_t *point, size_t point_len, struct buf_writer *out,
                                                   struct err *err)
{
        int status = buf_write_bytes(out, conn->client_random, TLCP_RANDOM_LEN);
        if (status == SMT_OK)
                status = buf_write_bytes(out, conn->server_random, TLCP_RANDOM_LEN);
        if (status < 0)
                return SMT_ERR(err, status, "server_key_exchange: no memory for the signed data");
        if (conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE)
                return tlcp_server_key_exchange_write_params(out, point, point_len, err);
        const uint8_t *der;
        size_t der_len;
        cert_der(enc_cert, &der, &der_len);
        status = buf_write_u24(out, (uint32_t)der_len);
        if (status == SMT_OK)
                status = buf_write_bytes(out, der, der_len);
        return status < 0 ? SMT_ERR(err, status, "server_key_exchange: no memory for the signed data") : SMT_OK;
}

int tlcp_handshake_key_exchange_server_send(struct tlcp_conn *conn, struct err *err)
{
        const struct tlcp_credentials *own = conn->credentials;
        struct tlcp_server_key_exchange message = {.key_exchange = conn->suite->key_exchange};
        uint8_t point[SM2_POINT_LEN] = {0}, signature[SM2_SIGNATURE_MAX];
        size_t signature_len = 0;
        if (message.key_exchange == TLCP_KEY_EXCHANGE_ECDHE) {
                TRY(sm2_key_exchange_new(&conn->key_exchange, SM2_KEY_EXCHANGE_INITIATOR, own->enc_key, NULL, err));
                sm2_key_exchange_ephemeral_point(conn->key_exchange, point);
                message.point = buf_reader_make(point, sizeof point);
        }
        struct buf_writer signed_data, body;
        buf_writer_init_heap(&signed_data, 2 * TLCP_MAX_HANDSHAKE_MESSAGE);
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status =
            tlcp_handshake_key_exchange_signed_data(conn, own->enc_cert, point, sizeof point, &signed_data, err);
        if (status == SMT_OK)
                status = sm2_sign(own->sign_key, signature, &signature_len, SM2_DEFAULT_ID, signed_data.data,
                                  signed_data.len, err);
        message.signature = buf_reader_make(signature, signature_len);
        if (status == SMT_OK)
                status = tlcp_server_key_exchange_write(&body, &message, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE, &body, err);
        buf_writer_cleanup(&signed_data);
        buf_writer_cleanup(&body);
        return status;
}

/* tlcp_handshake_key_exchange_take_point keeps the server's ephemeral point, which must be uncompressed. */
static int tlcp_handshake_key_exchange_take_point(uint8_t out[SM2_POINT_LEN], const struct buf_reader *point,
                                                  const char *message, struct err *err)
{
        struct buf_reader r = *point;
        uint8_t form;
        if (point->len != SM2_POINT_LEN || buf_peek_u8(&r, &form) < 0 || form != 0x04)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER,
                               "%s: ephemeral point of %zu bytes, expected %d uncompressed", message, point->len,
                               SM2_POINT_LEN);
        return buf_read_bytes(&r, out, SM2_POINT_LEN);
}

int tlcp_handshake_key_exchange_server_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_server_key_exchange message;
        TRY(tlcp_server_key_exchange_parse(&message, conn->suite->key_exchange, body, err));
        if (message.key_exchange == TLCP_KEY_EXCHANGE_ECDHE)
                TRY(tlcp_handshake_key_exchange_take_point(conn->peer_point, &message.point, "server_key_exchange",
                                                           err));
        struct buf_writer signed_data;
        buf_writer_init_heap(&signed_data, 2 * TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_handshake_key_exchange_signed_data(conn, conn->peer.enc_cert, conn->peer_point,
                                                             sizeof conn->peer_point, &signed_data, err);
        if (status == SMT_OK)
                status = sm2_verify(conn->peer.sign_key, SM2_DEFAULT_ID, signed_data.data, signed_data.len,
                                    message.signature.data, message.signature.len, err);
        buf_writer_cleanup(&signed_data);
        if (status == CRYPTO_EVERIFY || status == SMT_EDECODE) {
                char subject[CERT_NAME_TEXT_MAX];
                tlcp_handshake_certificate_subject(conn->peer.sign_cert, subject);
                return SMT_ERR(
                    err, TLCP_EDECRYPT_ERROR,
                    "server_key_exchange: signature does not verify with the server signing certificate (%s)", subject);
        }
        return status;
}

int tlcp_handshake_key_exchange_master_secret(struct tlcp_conn *conn, struct err *err)
{
        int status = tlcp_key_schedule_master_secret(conn->master_secret, conn->pre_master_secret,
                                                     sizeof conn->pre_master_secret, conn->client_random,
                                                     conn->server_random, err);
        explicit_bzero(conn->pre_master_secret, sizeof conn->pre_master_secret);
        sm2_key_exchange_free(conn->key_exchange);
        conn->key_exchange = NULL;
        if (status == SMT_OK)
                status = tlcp_handshake_finished_key_block(conn, err);
        return status;
}

/* tlcp_handshake_key_exchange_ecc_encrypt makes the pre-master secret 0x0101 || 46 random bytes
 * (§6.4.5.8) and encrypts it to the server's encryption key as GM/T 0009 ASN.1. */
static int tlcp_handshake_key_exchange_ecc_encrypt(struct tlcp_conn *conn, struct buf_writer *encrypted,
                                                   struct err *err)
{
        struct buf_writer w;
        buf_writer_init_fixed(&w, conn->pre_master_secret, sizeof conn->pre_master_secret);
        uint8_t *rest;
        if (buf_write_u16(&w, TLCP_VERSION) < 0 || buf_write_reserve(&w, &rest, TLCP_PRE_MASTER_SECRET_LEN - 2) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "client_key_exchange: no room for the pre-master secret");
        TRY(random_bytes(rest, TLCP_PRE_MASTER_SECRET_LEN - 2, err));
        return sm2_encrypt(conn->peer.enc_key, encrypted, SM2_CIPHERTEXT_ASN1, conn->pre_master_secret,
                           sizeof conn->pre_master_secret, err);
}

/* tlcp_handshake_key_exchange_ecdhe computes the pre-master secret from our ephemeral key and the peer's
 * static encryption key and ephemeral point. */
static int tlcp_handshake_key_exchange_ecdhe(struct tlcp_conn *conn, const uint8_t peer_point[SM2_POINT_LEN],
                                             struct err *err)
{
        int status =
            sm2_key_exchange_compute(conn->key_exchange, conn->pre_master_secret, sizeof conn->pre_master_secret, NULL,
                                     conn->peer.enc_key, SM2_DEFAULT_ID, peer_point, err);
        if (status == CRYPTO_EKEYEXCHANGE || status == CRYPTO_EKEY)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER,
                               "%s: the SM2 key exchange fails with the %s's ephemeral point and encryption key",
                               conn->role == TLCP_ROLE_CLIENT ? "server_key_exchange" : "client_key_exchange",
                               conn->role == TLCP_ROLE_CLIENT ? "server" : "client");
        return status;
}

int tlcp_handshake_key_exchange_client_send(struct tlcp_conn *conn, struct err *err)
{
        struct tlcp_client_key_exchange message = {.form = TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC};
        struct buf_writer encrypted, body;
        buf_writer_init_heap(&encrypted, TLCP_MAX_HANDSHAKE_MESSAGE);
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        uint8_t point[SM2_POINT_LEN];
        int status;
        if (conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECC) {
                status = tlcp_handshake_key_exchange_ecc_encrypt(conn, &encrypted, err);
                message.encrypted_pre_master = buf_reader_make(encrypted.data, encrypted.len);
        } else {
                message.form = conn->config->ecdhe_form == TLCP_ECDHE_FORM_GMSSL
                                   ? TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED
                                   : TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE;
                status = sm2_key_exchange_new(&conn->key_exchange, SM2_KEY_EXCHANGE_RESPONDER,
                                              conn->credentials->enc_key, SM2_DEFAULT_ID, err);
                if (status == SMT_OK) {
                        sm2_key_exchange_ephemeral_point(conn->key_exchange, point);
                        message.point = buf_reader_make(point, sizeof point);
                        status = tlcp_handshake_key_exchange_ecdhe(conn, conn->peer_point, err);
                }
        }
        conn->client_key_exchange_form = message.form;
        if (status == SMT_OK)
                status = tlcp_client_key_exchange_write(&body, &message, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE, &body, err);
        if (status == SMT_OK)
                status = tlcp_handshake_key_exchange_master_secret(conn, err);
        explicit_bzero(conn->pre_master_secret, sizeof conn->pre_master_secret);
        buf_writer_cleanup(&encrypted);
        buf_writer_cleanup(&body);
        return status;
}

/* tlcp_handshake_key_exchange_ecc_decrypt recovers the pre-master secret. RFC 5246 §7.4.7.1: a ciphertext
 * that does not decrypt to 48 bytes starting 0x0101 must not be told apart, so a random pre-master secret
 * takes its place (chosen without branching on the outcome) and the handshake fails at Finished. */
static int tlcp_handshake_key_exchange_ecc_decrypt(struct tlcp_conn *conn, const struct buf_reader *ciphertext,
                                                   struct err *err)
{
        uint8_t random_pre_master[TLCP_PRE_MASTER_SECRET_LEN], decrypted[2 * TLCP_PRE_MASTER_SECRET_LEN] = {0};
        TRY(random_bytes(random_pre_master, sizeof random_pre_master, err));
        struct buf_writer plain;
        buf_writer_init_fixed(&plain, decrypted, sizeof decrypted);
        int status = sm2_decrypt(conn->credentials->enc_key, &plain, SM2_CIPHERTEXT_ASN1, ciphertext->data,
                                 ciphertext->len, NULL);
        unsigned is_bad = (status != SMT_OK) | (plain.len != TLCP_PRE_MASTER_SECRET_LEN) |
                          (decrypted[0] != (TLCP_VERSION >> 8)) | (decrypted[1] != (TLCP_VERSION & 0xff));
        uint8_t mask = (uint8_t)(0u - is_bad); /* 0xff: take the random one */
        for (size_t i = 0; i < TLCP_PRE_MASTER_SECRET_LEN; i++)
                conn->pre_master_secret[i] = (uint8_t)((random_pre_master[i] & mask) | (decrypted[i] & ~mask));
        explicit_bzero(random_pre_master, sizeof random_pre_master);
        explicit_bzero(decrypted, sizeof decrypted);
        return SMT_OK;
}

int tlcp_handshake_key_exchange_client_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_client_key_exchange message;
        TRY(tlcp_client_key_exchange_parse(&message, conn->suite->key_exchange, body, err));
        conn->client_key_exchange_form = message.form;
        int status;
        if (conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECC) {
                status = tlcp_handshake_key_exchange_ecc_decrypt(conn, &message.encrypted_pre_master, err);
        } else {
                uint8_t point[SM2_POINT_LEN];
                status = tlcp_handshake_key_exchange_take_point(point, &message.point, "client_key_exchange", err);
                if (status == SMT_OK)
                        status = tlcp_handshake_key_exchange_ecdhe(conn, point, err);
        }
        if (status == SMT_OK)
                status = tlcp_handshake_key_exchange_master_secret(conn, err);
        explicit_bzero(conn->pre_master_secret, sizeof conn->pre_master_secret);
        return status;
}
