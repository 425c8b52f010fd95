/* src/tlcp/server_key_exchange.c: ServerKeyExchange (GB/T 38636 §6.4.5.4). The ECC suites send one although
 * their key exchange is static: a signature binding both randoms to the server's encryption certificate.
 * The ECDHE suites send the server's ephemeral SM2 point (RFC 4492 §5.4 layout) and its signature. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_server_key_exchange_name[] = "server_key_exchange";

static int tlcp_server_key_exchange_parse_ecdhe(struct tlcp_server_key_exchange *out, struct buf_reader *in,
                                                struct err *err)
{
        const char *m = tlcp_server_key_exchange_name;
        struct buf_reader params = *in;
        TRY(tlcp_field_read_ec_point(in, &out->point, m, err));
        /* The signed bytes are exactly what was just read: ECParameters (3) || uint8 length || point. */
        return buf_read_slice(&params, &out->signed_params, 4 + out->point.len);
}

static int tlcp_server_key_exchange_parse_signature(struct tlcp_server_key_exchange *out, struct buf_reader *in,
                                                    struct err *err)
{
        const char *m = tlcp_server_key_exchange_name;
        TRY(tlcp_field_read_signature(in, &out->signature, m, err));
        return tlcp_field_expect_end(in, m, "signature", err);
}

int tlcp_server_key_exchange_parse(struct tlcp_server_key_exchange *out, enum tlcp_key_exchange key_exchange,
                                   struct buf_reader *in, struct err *err)
{
        *out = (struct tlcp_server_key_exchange){.key_exchange = key_exchange};
        switch (key_exchange) {
        case TLCP_KEY_EXCHANGE_ECC:
                return tlcp_server_key_exchange_parse_signature(out, in, err);
        case TLCP_KEY_EXCHANGE_ECDHE:
                TRY(tlcp_server_key_exchange_parse_ecdhe(out, in, err));
                return tlcp_server_key_exchange_parse_signature(out, in, err);
        }
        return SMT_ERR(err, SMT_EINVAL, "server_key_exchange: key exchange %d", (int)key_exchange);
}

int tlcp_server_key_exchange_write_params(struct buf_writer *out, const uint8_t *point, size_t point_len,
                                          struct err *err)
{
        if (point_len == 0 || point_len > UINT8_MAX)
                return SMT_ERR(err, SMT_EINVAL, "server_key_exchange: point of %zu bytes (1..255)", point_len);
        return tlcp_field_wrote(tlcp_field_write_ec_point(out, point, point_len), tlcp_server_key_exchange_name, err);
}

static int tlcp_server_key_exchange_write_signature(struct buf_writer *out, struct buf_reader signature)
{
        TRY(buf_write_u16(out, (uint16_t)signature.len));
        return buf_write_bytes(out, signature.data, signature.len);
}

int tlcp_server_key_exchange_write(struct buf_writer *out, const struct tlcp_server_key_exchange *skx, struct err *err)
{
        const char *m = tlcp_server_key_exchange_name;
        TRY(tlcp_field_check_signature_len(skx->signature.len, m, err));
        switch (skx->key_exchange) {
        case TLCP_KEY_EXCHANGE_ECC:
                return tlcp_field_wrote(tlcp_server_key_exchange_write_signature(out, skx->signature), m, err);
        case TLCP_KEY_EXCHANGE_ECDHE:
                TRY(tlcp_server_key_exchange_write_params(out, skx->point.data, skx->point.len, err));
                return tlcp_field_wrote(tlcp_server_key_exchange_write_signature(out, skx->signature), m, err);
        }
        return SMT_ERR(err, SMT_EINVAL, "server_key_exchange: key exchange %d", (int)skx->key_exchange);
}
