/* src/tlcp/handshake_server_hello.c: ServerHello (GB/T 38636-2020 §6.4.5.2.2): the server's choice of
 * suite and session, and the client's check of it. */
#include "tlcp/handshake.h"

#include <string.h>

int tlcp_handshake_server_hello_send(struct tlcp_conn *conn, struct err *err)
{
        TRY(tlcp_handshake_client_hello_random(conn, conn->server_random, err));
        /* No extensions at all: an acknowledgement the client did not ask for breaks GmSSL clients, and
         * Tongsuo's own server sends no renegotiation_info either (vectors 01-04). */
        struct tlcp_server_hello_params params = {
            .server_version = TLCP_VERSION,
            .random = conn->server_random,
            .session_id = conn->session_id_len > 0 ? conn->session_id : NULL,
            .session_id_len = conn->session_id_len,
            .cipher_suite = (uint16_t)conn->suite->id,
        };
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_server_hello_write(&body, &params, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_SERVER_HELLO, &body, err);
        buf_writer_cleanup(&body);
        if (status == SMT_OK && conn->is_resumed)
                status = tlcp_handshake_finished_key_block(conn, err);
        return status;
}

/* tlcp_handshake_server_hello_check_suite makes sure the server chose a suite the client offered. */
static int tlcp_handshake_server_hello_check_suite(struct tlcp_conn *conn, uint16_t id, struct err *err)
{
        if (!tlcp_handshake_client_hello_is_offered(conn, id))
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER, "server_hello: cipher suite 0x%04x was not offered",
                               (unsigned)id);
        conn->suite = tlcp_suite_lookup(id);
        return SMT_OK;
}

/* tlcp_handshake_server_hello_check_resumed: the offered session ID echoed means resumption (§6.4.5.2.2),
 * with the session's suite. */
static int tlcp_handshake_server_hello_check_resumed(struct tlcp_conn *conn, const struct tlcp_server_hello *hello,
                                                     struct err *err)
{
        const struct tlcp_session *offered = &conn->session;
        if (offered->id_len == 0 || hello->session_id_len != offered->id_len ||
            memcmp(hello->session_id, offered->id, offered->id_len) != 0) {
                tlcp_session_wipe(&conn->session);
                return SMT_OK;
        }
        if (hello->cipher_suite != offered->suite_id)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER,
                               "server_hello: resumes the session with suite 0x%04x, the session has 0x%04x",
                               (unsigned)hello->cipher_suite, (unsigned)offered->suite_id);
        conn->is_resumed = true;
        memcpy(conn->master_secret, offered->master_secret, sizeof conn->master_secret);
        return tlcp_handshake_finished_key_block(conn, err);
}

int tlcp_handshake_server_hello_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_server_hello hello;
        TRY(tlcp_server_hello_parse(&hello, body, err));
        if (hello.server_version != TLCP_VERSION)
                return SMT_ERR(err, TLCP_EPROTOCOL_VERSION, "server_hello: version 0x%04x, expected 0x%04x (TLCP)",
                               (unsigned)hello.server_version, (unsigned)TLCP_VERSION);
        TRY(tlcp_handshake_server_hello_check_suite(conn, hello.cipher_suite, err));
        memcpy(conn->server_random, hello.random, TLCP_RANDOM_LEN);
        memcpy(conn->session_id, hello.session_id, hello.session_id_len);
        conn->session_id_len = hello.session_id_len;
        /* Extensions are acknowledgements (server_name from GmSSL, session_ticket from Tongsuo): none changes
         * what follows except that a NewSessionTicket may come, which the flow allows anyway. */
        return tlcp_handshake_server_hello_check_resumed(conn, &hello, err);
}
