/* src/tlcp/handshake_finished.c: the end of a handshake (GB/T 38636-2020 §6.4.3, §6.4.5.10): the key block,
 * ChangeCipherSpec switching one direction's protection, Finished over the transcript, and the session
 * that resumption will need. Tongsuo's NewSessionTicket is read and skipped here too. */
#include "tlcp/handshake.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

int tlcp_handshake_finished_key_block(struct tlcp_conn *conn, struct err *err)
{
        return tlcp_key_schedule_key_block(&conn->key_block, conn->suite, conn->master_secret, conn->client_random,
                                           conn->server_random, err);
}

/* tlcp_handshake_finished_switch gives one direction its keys (sequence number 0); once both directions
 * have them the key block is wiped. */
static int tlcp_handshake_finished_switch(struct tlcp_conn *conn, bool is_write, struct err *err)
{
        bool is_client_keys = (conn->role == TLCP_ROLE_CLIENT) == is_write;
        const struct tlcp_write_keys *keys = is_client_keys ? &conn->key_block.client : &conn->key_block.server;
        struct tlcp_record_protection *p = is_write ? &conn->io.write : &conn->io.read;
        /* The raw transcript was kept only for CertificateVerify, which comes before either switch. */
        tlcp_transcript_drop_messages(&conn->transcript);
        TRY(tlcp_record_protection_set_keys(p, conn->suite, keys, err));
        if (tlcp_record_protection_is_active(&conn->io.read) && tlcp_record_protection_is_active(&conn->io.write))
                tlcp_key_schedule_key_block_cleanup(&conn->key_block);
        return SMT_OK;
}

int tlcp_handshake_finished_change_cipher_spec_send(struct tlcp_conn *conn, struct err *err)
{
        static const uint8_t change_cipher_spec[] = {1};
        TRY(tlcp_record_io_write(&conn->io, TLCP_CONTENT_CHANGE_CIPHER_SPEC, change_cipher_spec,
                                 sizeof change_cipher_spec, err));
        return tlcp_handshake_finished_switch(conn, true, err);
}

int tlcp_handshake_finished_change_cipher_spec_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        (void)body; /* record_io checked it is the single byte 1 */
        return tlcp_handshake_finished_switch(conn, false, err);
}

/* tlcp_handshake_finished_remember keeps what resumption needs once our side is done: a client its session,
 * a server its cache entry after a full handshake, with the client's certificates. */
static int tlcp_handshake_finished_remember(struct tlcp_conn *conn, struct err *err)
{
        struct tlcp_session session = {
            .id_len = conn->session_id_len, .suite_id = (uint16_t)conn->suite->id, .created = tlcp_handshake_now(conn)};
        memcpy(session.id, conn->session_id, conn->session_id_len);
        memcpy(session.master_secret, conn->master_secret, sizeof session.master_secret);
        const char *name = conn->role == TLCP_ROLE_CLIENT ? conn->config->server_name
                           : conn->has_server_name        ? conn->server_name
                                                          : NULL;
        snprintf(session.server_name, sizeof session.server_name, "%s", name != NULL ? name : "");
        int status = SMT_OK;
        if (conn->role == TLCP_ROLE_CLIENT && !conn->is_resumed) {
                conn->session = session;
                conn->has_session = session.id_len > 0;
        } else if (conn->role == TLCP_ROLE_CLIENT) {
                conn->has_session = true; /* the offered session goes on */
        } else if (!conn->is_resumed && conn->config->session_cache != NULL && session.id_len > 0) {
                struct tlcp_session_certificates client = {conn->peer.sign_cert, conn->peer.enc_cert};
                status = tlcp_session_cache_store(conn->config->session_cache, &session, &client, err);
        }
        tlcp_session_wipe(&session);
        explicit_bzero(conn->master_secret, sizeof conn->master_secret);
        return status;
}

/* tlcp_handshake_finished_is_last says whether our Finished step ends the handshake for us (the server's in
 * a full handshake, the client's in a resumed one), so the master secret is no longer needed after it. */
static bool tlcp_handshake_finished_is_last(const struct tlcp_conn *conn, bool is_sending)
{
        bool is_server_finished = (conn->role == TLCP_ROLE_SERVER) == is_sending;
        return is_server_finished != conn->is_resumed;
}

int tlcp_handshake_finished_send(struct tlcp_conn *conn, struct err *err)
{
        uint8_t hash[SM3_DIGEST_LEN];
        struct tlcp_finished message;
        TRY(tlcp_transcript_hash(&conn->transcript, hash, err));
        TRY(tlcp_key_schedule_verify_data(message.verify_data, conn->master_secret, conn->role == TLCP_ROLE_CLIENT,
                                          hash, err));
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_finished_write(&body, &message, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_FINISHED, &body, err);
        buf_writer_cleanup(&body);
        if (status == SMT_OK && tlcp_handshake_finished_is_last(conn, true))
                status = tlcp_handshake_finished_remember(conn, err);
        return status;
}

int tlcp_handshake_finished_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_finished message;
        uint8_t hash[SM3_DIGEST_LEN], expected[TLCP_VERIFY_DATA_LEN];
        TRY(tlcp_finished_parse(&message, body, err));
        TRY(tlcp_transcript_hash(&conn->transcript, hash, err));
        TRY(tlcp_key_schedule_verify_data(expected, conn->master_secret, conn->role == TLCP_ROLE_SERVER, hash, err));
        if (CRYPTO_memcmp(expected, message.verify_data, sizeof expected) != 0)
                return SMT_ERR(err, TLCP_EDECRYPT_ERROR,
                               "finished: the %s's verify_data does not match this handshake (another master secret or "
                               "a changed message)",
                               conn->role == TLCP_ROLE_SERVER ? "client" : "server");
        if (tlcp_handshake_finished_is_last(conn, false))
                return tlcp_handshake_finished_remember(conn, err);
        return SMT_OK;
}

int tlcp_handshake_finished_new_session_ticket_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        (void)conn; /* smtrust resumes by session ID only; the ticket is read so the transcript stays right */
        struct tlcp_new_session_ticket ticket;
        return tlcp_new_session_ticket_parse(&ticket, body, err);
}
