/* src/tlcp/client_key_exchange.c: ClientKeyExchange (GB/T 38636 §6.4.5.8).
 *
 * ECC suites: uint16 length || DER SM2Ciphertext of the pre-master secret (both Tongsuo and GmSSL).
 * ECDHE suites: the client's ephemeral point as ECParameters || ECPoint, where the two libraries
 * disagree (tlcp-wire.md): Tongsuo sends it bare (03 00 29 41 04..., 69 bytes), GmSSL inside a uint16
 * length (00 45 03 00 29 ..., 71 bytes). A server must take both. They cannot be confused: the bare form
 * starts with curve_type 03, while the prefixed form's length is at most 3 + 1 + 255 < 0x0300. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_client_key_exchange_name[] = "client_key_exchange";

static int tlcp_client_key_exchange_parse_ecc(struct tlcp_client_key_exchange *out, struct buf_reader *in,
                                              struct err *err)
{
        const char *m = tlcp_client_key_exchange_name;
        out->form = TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC;
        TRY(tlcp_field_read_u16_vector(in, &out->encrypted_pre_master, m, "encrypted_pre_master", err));
        if (out->encrypted_pre_master.len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_key_exchange: encrypted_pre_master is empty");
        return tlcp_field_expect_end(in, m, "encrypted_pre_master", err);
}

static int tlcp_client_key_exchange_parse_ecdhe(struct tlcp_client_key_exchange *out, struct buf_reader *in,
                                                struct err *err)
{
        const char *m = tlcp_client_key_exchange_name;
        struct buf_reader params;
        uint8_t first;
        if (buf_peek_u8(in, &first) < 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "client_key_exchange: empty body, expected ECDHE parameters");
        if (first == TLCP_EC_CURVE_TYPE_NAMED) {
                out->form = TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE;
                TRY(tlcp_field_read_ec_point(in, &out->point, m, err));
                return tlcp_field_expect_end(in, m, "point", err);
        }
        out->form = TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED;
        TRY(tlcp_field_read_u16_vector(in, &params, m, "ECDHE parameters", err));
        TRY(tlcp_field_expect_end(in, m, "ECDHE parameters", err));
        TRY(tlcp_field_read_ec_point(&params, &out->point, m, err));
        return tlcp_field_expect_end(&params, m, "point", err);
}

int tlcp_client_key_exchange_parse(struct tlcp_client_key_exchange *out, enum tlcp_key_exchange key_exchange,
                                   struct buf_reader *in, struct err *err)
{
        *out = (struct tlcp_client_key_exchange){.form = TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC};
        switch (key_exchange) {
        case TLCP_KEY_EXCHANGE_ECC:
                return tlcp_client_key_exchange_parse_ecc(out, in, err);
        case TLCP_KEY_EXCHANGE_ECDHE:
                return tlcp_client_key_exchange_parse_ecdhe(out, in, err);
        }
        return SMT_ERR(err, SMT_EINVAL, "client_key_exchange: key exchange %d", (int)key_exchange);
}

static int tlcp_client_key_exchange_write_body(struct buf_writer *out, const struct tlcp_client_key_exchange *cke)
{
        size_t mark;
        switch (cke->form) {
        case TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC:
                TRY(buf_write_u16(out, (uint16_t)cke->encrypted_pre_master.len));
                return buf_write_bytes(out, cke->encrypted_pre_master.data, cke->encrypted_pre_master.len);
        case TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_BARE:
                return tlcp_field_write_ec_point(out, cke->point.data, cke->point.len);
        case TLCP_CLIENT_KEY_EXCHANGE_FORM_ECDHE_PREFIXED:
                TRY(buf_write_vector_begin(out, 2, &mark));
                TRY(tlcp_field_write_ec_point(out, cke->point.data, cke->point.len));
                return buf_write_vector_end(out, 2, mark);
        }
        return SMT_EINVAL;
}

int tlcp_client_key_exchange_write(struct buf_writer *out, const struct tlcp_client_key_exchange *cke, struct err *err)
{
        bool is_ecc = cke->form == TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC;
        if (is_ecc && (cke->encrypted_pre_master.len == 0 || cke->encrypted_pre_master.len > UINT16_MAX))
                return SMT_ERR(err, SMT_EINVAL, "client_key_exchange: encrypted_pre_master of %zu bytes (1..65535)",
                               cke->encrypted_pre_master.len);
        if (!is_ecc && (cke->point.len == 0 || cke->point.len > UINT8_MAX))
                return SMT_ERR(err, SMT_EINVAL, "client_key_exchange: point of %zu bytes (1..255)", cke->point.len);
        return tlcp_field_wrote(tlcp_client_key_exchange_write_body(out, cke), tlcp_client_key_exchange_name, err);
}
