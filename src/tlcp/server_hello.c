/* src/tlcp/server_hello.c: ServerHello (GB/T 38636 §6.4.5.2.2). Peers answer with empty server_name
 * (GmSSL) or session_ticket (Tongsuo) acknowledgements; only renegotiation_info carries data we read. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_server_hello_name[] = "server_hello";

static int tlcp_server_hello_read_extensions(struct tlcp_server_hello *hello, struct err *err)
{
        const char *m = tlcp_server_hello_name;
        struct buf_reader data;
        hello->has_server_name = tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_SERVER_NAME, &data);
        hello->has_session_ticket = tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_SESSION_TICKET, &data);
        hello->has_renegotiation_info =
            tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_RENEGOTIATION_INFO, &data);
        if (!hello->has_renegotiation_info)
                return SMT_OK;
        /* RFC 5746 §3.2: extension_data is renegotiated_connection<0..255>. */
        TRY(tlcp_field_read_u8_vector(&data, &hello->renegotiated_connection, m, "renegotiation_info", err));
        return tlcp_field_expect_end(&data, m, "renegotiation_info", err);
}

int tlcp_server_hello_parse(struct tlcp_server_hello *out, struct buf_reader *in, struct err *err)
{
        const char *m = tlcp_server_hello_name;
        uint8_t compression_method;
        *out = (struct tlcp_server_hello){.server_version = 0};
        TRY(tlcp_field_read_u16(in, &out->server_version, m, "server_version", err));
        TRY(tlcp_field_read_bytes(in, out->random, sizeof out->random, m, "random", err));
        TRY(tlcp_field_read_session_id(in, out->session_id, &out->session_id_len, m, err));
        TRY(tlcp_field_read_u16(in, &out->cipher_suite, m, "cipher_suite", err));
        TRY(tlcp_field_read_u8(in, &compression_method, m, "compression_method", err));
        /* The client offered only null (our writer), so anything else was never offered. */
        if (compression_method != 0)
                return SMT_ERR(err, TLCP_EILLEGAL_PARAMETER, "server_hello: compression_method %u, expected null (0)",
                               compression_method);
        TRY(tlcp_extensions_parse(&out->extensions, in, m, err));
        return tlcp_server_hello_read_extensions(out, err);
}

static int tlcp_server_hello_write_extensions(struct buf_writer *out, const struct tlcp_server_hello_params *params)
{
        size_t mark;
        if (!params->send_server_name && !params->send_session_ticket && !params->send_renegotiation_info &&
            params->extra_extensions.len == 0)
                return SMT_OK;
        TRY(buf_write_vector_begin(out, 2, &mark));
        if (params->send_server_name) {
                TRY(buf_write_u16(out, TLCP_EXTENSION_SERVER_NAME));
                TRY(buf_write_u16(out, 0));
        }
        if (params->send_session_ticket) {
                TRY(buf_write_u16(out, TLCP_EXTENSION_SESSION_TICKET));
                TRY(buf_write_u16(out, 0));
        }
        if (params->send_renegotiation_info) {
                TRY(buf_write_u16(out, TLCP_EXTENSION_RENEGOTIATION_INFO));
                TRY(buf_write_u16(out, 1));
                TRY(buf_write_u8(out, 0));
        }
        TRY(buf_write_bytes(out, params->extra_extensions.data, params->extra_extensions.len));
        return buf_write_vector_end(out, 2, mark);
}

static int tlcp_server_hello_write_body(struct buf_writer *out, const struct tlcp_server_hello_params *params)
{
        TRY(buf_write_u16(out, params->server_version));
        TRY(buf_write_bytes(out, params->random, TLCP_RANDOM_LEN));
        TRY(buf_write_u8(out, (uint8_t)params->session_id_len));
        TRY(buf_write_bytes(out, params->session_id, params->session_id_len));
        TRY(buf_write_u16(out, params->cipher_suite));
        TRY(buf_write_u8(out, 0));
        return tlcp_server_hello_write_extensions(out, params);
}

int tlcp_server_hello_write(struct buf_writer *out, const struct tlcp_server_hello_params *params, struct err *err)
{
        if (params->random == NULL)
                return SMT_ERR(err, SMT_EINVAL, "server_hello: no random");
        if (params->session_id_len > TLCP_SESSION_ID_MAX || (params->session_id == NULL && params->session_id_len > 0))
                return SMT_ERR(err, SMT_EINVAL, "server_hello: session_id of %zu bytes (0..32)",
                               params->session_id_len);
        /* Each acknowledgement costs 4 bytes, renegotiation_info 5. */
        size_t block_len = (params->send_server_name ? 4 : 0) + (params->send_session_ticket ? 4 : 0) +
                           (params->send_renegotiation_info ? 5 : 0) + params->extra_extensions.len;
        if (block_len > UINT16_MAX)
                return SMT_ERR(err, SMT_EINVAL, "server_hello: extensions of %zu bytes exceed 65535", block_len);
        return tlcp_field_wrote(tlcp_server_hello_write_body(out, params), tlcp_server_hello_name, err);
}
