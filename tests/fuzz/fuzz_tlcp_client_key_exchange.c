/* tests/fuzz/fuzz_tlcp_client_key_exchange.c: targets tlcp_client_key_exchange_parse and _write. The input
 * is tried as ECC and as ECDHE; what parses, written back in the form the parser reported, gives the same
 * bytes, so the two ECDHE forms (Tongsuo's bare one, GmSSL's length-prefixed one) are never confused.
 * Seeds: the recorded ClientKeyExchanges of vectors/tlcp/: ECC, ECDHE bare and ECDHE prefixed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

static void fuzz_round_trip(enum tlcp_key_exchange key_exchange, const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len);
        struct tlcp_client_key_exchange cke;
        struct buf_writer w;
        struct err err = {0};
        if (tlcp_client_key_exchange_parse(&cke, key_exchange, &in, &err) != 0)
                return;
        if ((key_exchange == TLCP_KEY_EXCHANGE_ECC) != (cke.form == TLCP_CLIENT_KEY_EXCHANGE_FORM_ECC))
                abort();
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_client_key_exchange_write(&w, &cke, &err) != 0 || w.len != len || memcmp(w.data, data, len) != 0)
                abort();
        buf_writer_cleanup(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        fuzz_round_trip(TLCP_KEY_EXCHANGE_ECC, data, len);
        fuzz_round_trip(TLCP_KEY_EXCHANGE_ECDHE, data, len);
        return 0;
}
