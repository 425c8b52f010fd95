/* src/net/hello_sni.c: the SNI of a client's first record, through the TLCP ClientHello parser (TLCP's
 * ClientHello has TLS's layout: RFC 5246 §7.4.1.2, GB/T 38636 §6.4.5.2; the parser reads the version
 * without judging it and skips extensions it does not know). */
#include "net/hello_sni.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "tlcp/messages.h"
#include "tlcp/protocol.h"

int net_hello_sni(const uint8_t *data, size_t len, char out[NET_HELLO_SNI_MAX + 1], size_t *need, struct err *err)
{
        *need = TLCP_RECORD_HEADER_LEN;
        if (len < TLCP_RECORD_HEADER_LEN)
                return SMT_EAGAIN;
        struct buf_reader r = buf_reader_make(data, len);
        uint8_t type, major;
        uint16_t record_len;
        TRY(buf_read_u8(&r, &type));
        TRY(buf_read_u8(&r, &major));
        TRY(buf_skip(&r, 1));
        TRY(buf_read_u16(&r, &record_len));
        /* Record version 3.x is TLS (RFC 8446 §5.1), 1.1 TLCP (GB/T 38636 §6.3.3.1). */
        if (type != 22 || (major != 3 && major != 1))
                return SMT_ERR(err, SMT_EDECODE, "first record: type %u version %u.x is not a TLS/TLCP handshake", type,
                               major);
        if (record_len < TLCP_HANDSHAKE_HEADER_LEN || record_len > TLCP_MAX_PLAINTEXT)
                return SMT_ERR(err, SMT_EDECODE, "first record: %u bytes (4..%d)", record_len, TLCP_MAX_PLAINTEXT);
        *need = TLCP_RECORD_HEADER_LEN + record_len;
        if (len < *need)
                return SMT_EAGAIN;
        struct buf_reader record = buf_reader_make(data + TLCP_RECORD_HEADER_LEN, record_len);
        uint8_t msg_type;
        uint32_t body_len;
        TRY(buf_read_u8(&record, &msg_type));
        TRY(buf_read_u24(&record, &body_len));
        if (msg_type != 1 || body_len != record.len)
                return SMT_ERR(err, SMT_EDECODE, "first record: not one whole ClientHello (type %u, %u of %zu bytes)",
                               msg_type, body_len, record.len);
        struct tlcp_client_hello *hello = malloc(sizeof *hello);
        if (hello == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "out of memory");
        int status = tlcp_client_hello_parse(hello, &record, err);
        if (status == 0) {
                size_t n = hello->has_server_name ? hello->server_name_len : 0;
                if (n > NET_HELLO_SNI_MAX)
                        status = SMT_ERR(err, SMT_EDECODE, "server_name of %zu bytes", n);
                else {
                        memcpy(out, hello->server_name, n);
                        out[n] = '\0';
                }
        }
        free(hello);
        return status;
}
