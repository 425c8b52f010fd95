/* tests/fuzz/fuzz_tlcp_finished.c: targets tlcp_finished_parse and _write: only a 12-byte body parses,
 * and it writes back to the same bytes. Seeds: the decrypted Finished bodies of vectors/tlcp/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_finished finished;
        struct buf_writer w;
        struct err err = {0};
        if (tlcp_finished_parse(&finished, &in, &err) != 0)
                return 0;
        if (len != TLCP_VERIFY_DATA_LEN)
                abort();
        buf_writer_init_heap(&w, 64);
        if (tlcp_finished_write(&w, &finished, &err) != 0 || w.len != len || memcmp(w.data, data, len) != 0)
                abort();
        buf_writer_cleanup(&w);
        return 0;
}
