/* src/tlcp/handshake_certificate_verify.c: CertificateVerify (GB/T 38636-2020 §6.4.5.9): the client proves
 * it holds its signing key by signing the handshake so far.
 *
 * Tongsuo signs SM3(handshake_messages) (a 32-byte message), GmSSL the raw handshake_messages, both with
 * SM2 and the default ID (tlcp-wire.md). A client signs in config->ecdhe_form's way; a server accepts both,
 * trying first the form that matches the ClientKeyExchange it saw. */
#include "tlcp/handshake.h"

/* tlcp_handshake_certificate_verify_message points *msg at what form signs: the transcript hash (kept in
 * hash) or the raw messages. */
static int tlcp_handshake_certificate_verify_message(struct tlcp_conn *conn, enum tlcp_ecdhe_form form,
                                                     uint8_t hash[SM3_DIGEST_LEN], struct buf_reader *msg,
                                                     struct err *err)
{
        if (form == TLCP_ECDHE_FORM_GMSSL)
                return tlcp_transcript_messages(&conn->transcript, msg, err);
        TRY(tlcp_transcript_hash(&conn->transcript, hash, err));
        *msg = buf_reader_make(hash, SM3_DIGEST_LEN);
        return SMT_OK;
}

int tlcp_handshake_certificate_verify_send(struct tlcp_conn *conn, struct err *err)
{
        uint8_t hash[SM3_DIGEST_LEN], signature[SM2_SIGNATURE_MAX];
        size_t signature_len;
        struct buf_reader msg;
        TRY(tlcp_handshake_certificate_verify_message(conn, conn->config->ecdhe_form, hash, &msg, err));
        TRY(sm2_sign(conn->credentials->sign_key, signature, &signature_len, SM2_DEFAULT_ID, msg.data, msg.len, err));
        tlcp_transcript_drop_messages(&conn->transcript);
        struct tlcp_certificate_verify message = {.signature = buf_reader_make(signature, signature_len)};
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_certificate_verify_write(&body, &message, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, &body, err);
        buf_writer_cleanup(&body);
        return status;
}

/* tlcp_handshake_certificate_verify_check verifies signature in form: 0, CRYPTO_EVERIFY or a failure. */
static int tlcp_handshake_certificate_verify_check(struct tlcp_conn *conn, enum tlcp_ecdhe_form form,
                                                   const struct buf_reader *signature, struct err *err)
{
        uint8_t hash[SM3_DIGEST_LEN];
        struct buf_reader msg;
        TRY(tlcp_handshake_certificate_verify_message(conn, form, hash, &msg, err));
        return sm2_verify(conn->peer.sign_key, SM2_DEFAULT_ID, msg.data, msg.len, signature->data, signature->len, err);
}

int tlcp_handshake_certificate_verify_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_certificate_verify message;
        TRY(tlcp_certificate_verify_parse(&message, body, err));
        enum tlcp_ecdhe_form first = conn->client_key_exchange_form == TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED
                                         ? TLCP_ECDHE_FORM_GMSSL
                                         : TLCP_ECDHE_FORM_TONGSUO;
        enum tlcp_ecdhe_form second = first == TLCP_ECDHE_FORM_GMSSL ? TLCP_ECDHE_FORM_TONGSUO : TLCP_ECDHE_FORM_GMSSL;
        int status = tlcp_handshake_certificate_verify_check(conn, first, &message.signature, err);
        if (status == CRYPTO_EVERIFY)
                status = tlcp_handshake_certificate_verify_check(conn, second, &message.signature, err);
        tlcp_transcript_drop_messages(&conn->transcript);
        if (status == CRYPTO_EVERIFY || status == SMT_EDECODE) {
                char subject[CERT_NAME_TEXT_MAX];
                tlcp_handshake_certificate_subject(conn->peer.sign_cert, subject);
                return SMT_ERR(err, TLCP_EDECRYPT_ERROR,
                               "certificate_verify: the signature verifies with the client signing certificate (%s) "
                               "neither over SM3(handshake_messages) nor over the messages",
                               subject);
        }
        return status;
}
