/* src/tlcp/certificate.c: Certificate (GB/T 38636 §6.4.5.3): certificate_list<0..2^24-1> of
 * ASN.1Cert<1..2^24-1>, the signing certificate first, the encryption certificate second, then the chain.
 * Only the framing is checked here; the certificates themselves are crypto/cert's to judge. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_certificate_name[] = "certificate";

int tlcp_certificate_parse(struct tlcp_certificate *out, struct buf_reader *in, struct err *err)
{
        const char *m = tlcp_certificate_name;
        struct buf_reader list;
        *out = (struct tlcp_certificate){.num_certificates = 0};
        TRY(tlcp_field_read_u24_vector(in, &list, m, "certificate_list", err));
        TRY(tlcp_field_expect_end(in, m, "certificate_list", err));
        while (!buf_reader_is_empty(&list)) {
                struct buf_reader der;
                if (out->num_certificates == TLCP_CERTIFICATE_LIST_MAX)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR, "certificate: more than %d certificates",
                                       TLCP_CERTIFICATE_LIST_MAX);
                TRY(tlcp_field_read_u24_vector(&list, &der, m, "certificate entry", err));
                if (der.len == 0)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR, "certificate: entry %zu is empty",
                                       out->num_certificates);
                out->certificates[out->num_certificates++] = der;
        }
        return SMT_OK;
}

static int tlcp_certificate_write_body(struct buf_writer *out, const struct tlcp_certificate *certificate)
{
        size_t list_mark;
        TRY(buf_write_vector_begin(out, 3, &list_mark));
        for (size_t i = 0; i < certificate->num_certificates; i++) {
                TRY(buf_write_u24(out, (uint32_t)certificate->certificates[i].len));
                TRY(buf_write_bytes(out, certificate->certificates[i].data, certificate->certificates[i].len));
        }
        return buf_write_vector_end(out, 3, list_mark);
}

int tlcp_certificate_write(struct buf_writer *out, const struct tlcp_certificate *certificate, struct err *err)
{
        size_t total = 0;
        if (certificate->num_certificates > TLCP_CERTIFICATE_LIST_MAX)
                return SMT_ERR(err, SMT_EINVAL, "certificate: %zu certificates exceed %d",
                               certificate->num_certificates, TLCP_CERTIFICATE_LIST_MAX);
        for (size_t i = 0; i < certificate->num_certificates; i++) {
                size_t len = certificate->certificates[i].len;
                if (len == 0 || len > TLCP_MAX_HANDSHAKE_MESSAGE)
                        return SMT_ERR(err, SMT_EINVAL, "certificate: entry %zu of %zu bytes (1..%d)", i, len,
                                       TLCP_MAX_HANDSHAKE_MESSAGE);
                total += 3 + len;
        }
        if (total > TLCP_MAX_HANDSHAKE_MESSAGE - 3)
                return SMT_ERR(err, SMT_EINVAL, "certificate: list of %zu bytes exceeds %d", total,
                               TLCP_MAX_HANDSHAKE_MESSAGE - 3);
        return tlcp_field_wrote(tlcp_certificate_write_body(out, certificate), tlcp_certificate_name, err);
}
