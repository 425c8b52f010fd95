/* tests/fuzz/fuzz_tlcp_server_key_exchange.c: targets tlcp_server_key_exchange_parse, _write and
 * _write_params. The input is tried as both forms (ECC and ECDHE); what parses writes back to the same
 * bytes, and for ECDHE the signed parameters are exactly what _write_params produces. Seeds: the recorded
 * ServerKeyExchanges of vectors/tlcp/, both forms. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

static void fuzz_round_trip(enum tlcp_key_exchange key_exchange, const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_server_key_exchange skx;
        struct buf_writer w, params;
        struct err err = {0};
        if (tlcp_server_key_exchange_parse(&skx, key_exchange, &in, &err) != 0)
                return;
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_server_key_exchange_write(&w, &skx, &err) != 0 || w.len != len || memcmp(w.data, data, len) != 0)
                abort();
        buf_writer_cleanup(&w);
        if (key_exchange != TLCP_KEY_EXCHANGE_ECDHE)
                return;
        buf_writer_init_heap(&params, len + 16);
        if (tlcp_server_key_exchange_write_params(&params, skx.point.data, skx.point.len, &err) != 0 ||
            params.len != skx.signed_params.len || memcmp(params.data, skx.signed_params.data, params.len) != 0)
                abort();
        buf_writer_cleanup(&params);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        fuzz_round_trip(TLCP_KEY_EXCHANGE_ECC, data, len);
        fuzz_round_trip(TLCP_KEY_EXCHANGE_ECDHE, data, len);
        return 0;
}
