/* tests/fuzz/fuzz_tlcp_server_hello.c: targets tlcp_server_hello_parse and tlcp_server_hello_write.
 *
 * The input is a ServerHello body; whatever parses is written back with the whole extensions block as
 * extra_extensions and must give the input again (less a present-but-empty block, which the writer leaves
 * out). Seeds: the recorded ServerHellos of vectors/tlcp/ (Tongsuo's session_ticket and GmSSL's server_name
 * acknowledgements, none) and a hand-made one with renegotiation_info. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_server_hello hello;
        struct buf_writer w;
        struct err err = {0};
        if (tlcp_server_hello_parse(&hello, &in, &err) != 0)
                return 0;
        struct tlcp_server_hello_params params = {
            .server_version = hello.server_version,
            .random = hello.random,
            .session_id = hello.session_id,
            .session_id_len = hello.session_id_len,
            .cipher_suite = hello.cipher_suite,
            .extra_extensions = hello.extensions.block,
        };
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_server_hello_write(&w, &params, &err) != 0)
                abort();
        size_t expected_len = hello.extensions.is_present && hello.extensions.block.len == 0 ? len - 2 : len;
        if (w.len != expected_len || memcmp(w.data, data, expected_len) != 0)
                abort();
        buf_writer_cleanup(&w);
        return 0;
}
