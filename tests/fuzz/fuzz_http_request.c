/* tests/fuzz/fuzz_http_request.c: targets http_parser_parse on requests and the body decoder
 * (http_parser_body_decode, http_parser_body_finish) on their bodies.
 *
 * Input: one control byte (bit 0: small limits — 200-byte heads, 60-byte request lines, 6 fields, 24-byte
 * chunk lines — so the fuzzer reaches every limit), then a stream of pipelined requests. fuzz_http.h reads
 * it at once and byte by byte and aborts unless both give the same heads, bodies, trailers and final
 * status and message, and checks each head against the parser's promises. Seeds: requests of each target
 * form, pipelined, chunked with extensions and trailers, and the smuggling vectors of
 * tests/unit/http/test_parser_refusals.c. */
#include <stdint.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        if (len == 0)
                return 0;
        struct fuzz_http_config cfg = {.is_response = false, .has_small_limits = (data[0] & 1) != 0};
        fuzz_http_check(&cfg, data + 1, len - 1);
        return 0;
}
