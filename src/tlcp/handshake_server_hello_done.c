/* src/tlcp/handshake_server_hello_done.c: ServerHelloDone (GB/T 38636-2020 §6.4.5.6), an empty message. */
#include "tlcp/handshake.h"

int tlcp_handshake_server_hello_done_send(struct tlcp_conn *conn, struct err *err)
{
        struct buf_writer body;
        buf_writer_init_heap(&body, 0);
        TRY(tlcp_server_hello_done_write(&body, err));
        return tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_SERVER_HELLO_DONE, &body, err);
}

int tlcp_handshake_server_hello_done_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        (void)conn;
        return tlcp_server_hello_done_parse(body, err);
}
