/* tests/fuzz/fuzz_tlcp_client_hello.c: targets tlcp_client_hello_parse and tlcp_client_hello_write.
 *
 * The input is a ClientHello body. Whatever parses is written back through the engine's writer, with the
 * parsed suites, the compression list as received and the whole extensions block passed as
 * extra_extensions, and must give the input again (the writer leaves out a present-but-empty block, the
 * only normalisation). The server_name, session_ticket and renegotiation_info fields are read back from
 * the block with tlcp_extensions_lookup and must agree. Seeds: the recorded Tongsuo and GmSSL
 * ClientHellos of vectors/tlcp/ and hand-made ones with unknown and renegotiation_info extensions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

static void fuzz_check_same(const struct buf_writer *w, const uint8_t *data, size_t len)
{
        if (w->len != len || memcmp(w->data, data, len) != 0)
                abort();
}

static void fuzz_check_lookups(const struct tlcp_client_hello *hello)
{
        struct buf_reader data;
        if (hello->has_server_name && !tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_SERVER_NAME, &data))
                abort();
        if (hello->has_server_name && strlen(hello->server_name) != hello->server_name_len)
                abort();
        if (tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_SESSION_TICKET, &data) !=
            hello->has_session_ticket)
                abort();
        if (tlcp_extensions_lookup(&hello->extensions, TLCP_EXTENSION_RENEGOTIATION_INFO, &data) !=
            hello->has_renegotiation_info)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_client_hello hello;
        struct buf_writer w;
        struct err err = {0};
        if (tlcp_client_hello_parse(&hello, &in, &err) != 0)
                return 0;
        fuzz_check_lookups(&hello);
        uint16_t *suites = malloc(hello.num_cipher_suites * sizeof *suites);
        if (suites == NULL)
                abort();
        for (size_t i = 0; i < hello.num_cipher_suites; i++)
                suites[i] = tlcp_client_hello_suite_get(&hello, i);
        struct tlcp_client_hello_params params = {
            .client_version = hello.client_version,
            .random = hello.random,
            .session_id = hello.session_id,
            .session_id_len = hello.session_id_len,
            .suites = suites,
            .num_suites = hello.num_cipher_suites,
            .compression_methods = hello.compression_methods.data,
            .num_compression_methods = hello.compression_methods.len,
            .extra_extensions = hello.extensions.block,
        };
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_client_hello_write(&w, &params, &err) != 0)
                abort();
        bool empty_block = hello.extensions.is_present && hello.extensions.block.len == 0;
        fuzz_check_same(&w, data, empty_block ? len - 2 : len);
        buf_writer_cleanup(&w);
        free(suites);
        return 0;
}
