/* tests/fuzz/fuzz_tlcp_certificate_verify.c: targets tlcp_certificate_verify_parse and _write: a body
 * that parses writes back to the same bytes. Seeds: the recorded client CertificateVerify messages of
 * vectors/tlcp/ (Tongsuo and GmSSL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_certificate_verify verify;
        struct buf_writer w;
        struct err err = {0};
        if (tlcp_certificate_verify_parse(&verify, &in, &err) != 0)
                return 0;
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_certificate_verify_write(&w, &verify, &err) != 0 || w.len != len || memcmp(w.data, data, len) != 0)
                abort();
        buf_writer_cleanup(&w);
        return 0;
}
