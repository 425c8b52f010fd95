/* tests/fuzz/fuzz_tlcp_certificate.c: targets tlcp_certificate_parse and tlcp_certificate_write: a
 * Certificate body that parses writes back to the same bytes. Seeds: the server and client certificate
 * lists of vectors/tlcp/ (sign, enc, CA) and an empty list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_certificate certificate;
        struct buf_writer w;
        struct err err = {0};
        if (tlcp_certificate_parse(&certificate, &in, &err) != 0)
                return 0;
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_certificate_write(&w, &certificate, &err) != 0 || w.len != len || memcmp(w.data, data, len) != 0)
                abort();
        buf_writer_cleanup(&w);
        return 0;
}
