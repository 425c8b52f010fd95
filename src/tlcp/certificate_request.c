/* src/tlcp/certificate_request.c: CertificateRequest (GB/T 38636 §6.4.5.5): certificate_types<1..2^8-1> ||
 * DistinguishedName certificate_authorities<0..2^16-1>, each name <1..2^16-1>. Unlike TLS 1.2 there is no
 * supported_signature_algorithms: GmSSL sends types {ecdsa_sign}, Tongsuo {rsa_sign, ecdsa_sign}. */
#include "tlcp/messages.h"

#include <string.h>

#include "tlcp/field.h"

static const char tlcp_certificate_request_name[] = "certificate_request";

int tlcp_certificate_request_parse(struct tlcp_certificate_request *out, struct buf_reader *in, struct err *err)
{
        const char *m = tlcp_certificate_request_name;
        *out = (struct tlcp_certificate_request){.num_certificate_authorities = 0};
        TRY(tlcp_field_read_u8_vector(in, &out->certificate_types, m, "certificate_types", err));
        if (out->certificate_types.len == 0)
                return SMT_ERR(err, TLCP_EDECODE_ERROR, "certificate_request: certificate_types is empty");
        TRY(tlcp_field_read_u16_vector(in, &out->certificate_authorities, m, "certificate_authorities", err));
        TRY(tlcp_field_expect_end(in, m, "certificate_authorities", err));
        struct buf_reader cursor = out->certificate_authorities;
        while (!buf_reader_is_empty(&cursor)) {
                struct buf_reader name;
                TRY(tlcp_field_read_u16_vector(&cursor, &name, m, "certificate_authorities name", err));
                if (name.len == 0)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR, "certificate_request: authority %zu is empty",
                                       out->num_certificate_authorities);
                out->num_certificate_authorities++;
        }
        return SMT_OK;
}

bool tlcp_certificate_request_has_type(const struct tlcp_certificate_request *request, uint8_t type)
{
        return request->certificate_types.len > 0 &&
               memchr(request->certificate_types.data, type, request->certificate_types.len) != NULL;
}

bool tlcp_certificate_request_next_authority(struct buf_reader *cursor, struct buf_reader *name)
{
        return buf_read_u16_vector(cursor, name) == SMT_OK;
}

static int tlcp_certificate_request_write_body(struct buf_writer *out, const uint8_t *types, size_t num_types,
                                               const struct buf_reader *authorities, size_t num_authorities)
{
        size_t mark;
        TRY(buf_write_u8(out, (uint8_t)num_types));
        TRY(buf_write_bytes(out, types, num_types));
        TRY(buf_write_vector_begin(out, 2, &mark));
        for (size_t i = 0; i < num_authorities; i++) {
                TRY(buf_write_u16(out, (uint16_t)authorities[i].len));
                TRY(buf_write_bytes(out, authorities[i].data, authorities[i].len));
        }
        return buf_write_vector_end(out, 2, mark);
}

int tlcp_certificate_request_write(struct buf_writer *out, const uint8_t *types, size_t num_types,
                                   const struct buf_reader *authorities, size_t num_authorities, struct err *err)
{
        size_t total = 0;
        if (num_types == 0 || num_types > UINT8_MAX)
                return SMT_ERR(err, SMT_EINVAL, "certificate_request: %zu certificate types (1..255)", num_types);
        for (size_t i = 0; i < num_authorities; i++) {
                if (authorities[i].len == 0 || authorities[i].len > UINT16_MAX)
                        return SMT_ERR(err, SMT_EINVAL, "certificate_request: authority %zu of %zu bytes (1..65535)", i,
                                       authorities[i].len);
                total += 2 + authorities[i].len;
        }
        if (total > UINT16_MAX)
                return SMT_ERR(err, SMT_EINVAL, "certificate_request: authorities of %zu bytes exceed 65535", total);
        return tlcp_field_wrote(
            tlcp_certificate_request_write_body(out, types, num_types, authorities, num_authorities),
            tlcp_certificate_request_name, err);
}
