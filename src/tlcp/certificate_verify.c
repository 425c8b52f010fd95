/* src/tlcp/certificate_verify.c: CertificateVerify (GB/T 38636 §6.4.5.9): uint16 length || DER SM2
 * signature, with no algorithm field. What was signed (SM3 of the transcript for Tongsuo, the raw
 * transcript for GmSSL) is the engine's business. */
#include "tlcp/messages.h"

#include "tlcp/field.h"

static const char tlcp_certificate_verify_name[] = "certificate_verify";

int tlcp_certificate_verify_parse(struct tlcp_certificate_verify *out, struct buf_reader *in, struct err *err)
{
        const char *m = tlcp_certificate_verify_name;
        *out = (struct tlcp_certificate_verify){.signature = {0}};
        TRY(tlcp_field_read_signature(in, &out->signature, m, err));
        return tlcp_field_expect_end(in, m, "signature", err);
}

static int tlcp_certificate_verify_write_body(struct buf_writer *out, const struct tlcp_certificate_verify *verify)
{
        TRY(buf_write_u16(out, (uint16_t)verify->signature.len));
        return buf_write_bytes(out, verify->signature.data, verify->signature.len);
}

int tlcp_certificate_verify_write(struct buf_writer *out, const struct tlcp_certificate_verify *verify, struct err *err)
{
        TRY(tlcp_field_check_signature_len(verify->signature.len, tlcp_certificate_verify_name, err));
        return tlcp_field_wrote(tlcp_certificate_verify_write_body(out, verify), tlcp_certificate_verify_name, err);
}
