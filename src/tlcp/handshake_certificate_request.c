/* src/tlcp/handshake_certificate_request.c: CertificateRequest (GB/T 38636-2020 §6.4.5.5): the server asks
 * for the client's certificate pair, always for ECDHE and when configured for ECC. */
#include "tlcp/handshake.h"

int tlcp_handshake_certificate_request_send(struct tlcp_conn *conn, struct err *err)
{
        /* ecdsa_sign alone, as GmSSL sends (vector 05); Tongsuo adds rsa_sign (03-04), which no SM2 client
         * can use. certificate_authorities stays empty, which §6.4.5.5 allows: any client pair is offered. */
        static const uint8_t types[] = {TLCP_CERTIFICATE_TYPE_ECDSA_SIGN};
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_certificate_request_write(&body, types, sizeof types, NULL, 0, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, &body, err);
        buf_writer_cleanup(&body);
        return status;
}

int tlcp_handshake_certificate_request_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_certificate_request request;
        TRY(tlcp_certificate_request_parse(&request, body, err));
        /* The client answers with its pair whatever types and authorities are listed: it has only one. */
        conn->has_certificate_request = true;
        return SMT_OK;
}
