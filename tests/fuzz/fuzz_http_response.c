/* tests/fuzz/fuzz_http_response.c: targets http_parser_parse on responses and the body decoder
 * (http_parser_body_decode, http_parser_body_finish) on their bodies, the end of the input being the
 * origin's close (which ends an until-close body and truncates others).
 *
 * Input: two control bytes — the first's bit 0 picks small limits (see fuzz_http_request.c), the second
 * gives 2 bits per response for the method it answers (GET, HEAD, CONNECT, POST: RFC 9112 §6.3 rules 1-2)
 * — then a stream of responses. fuzz_http.h reads it at once and byte by byte and aborts unless both give
 * the same heads, bodies, trailers and final status and message. Seeds: interim and final responses,
 * every framing, answers to HEAD and CONNECT, and refused responses. */
#include <stdint.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        if (len < 2)
                return 0;
        struct fuzz_http_config cfg = {.is_response = true, .methods = data[1], .has_small_limits = (data[0] & 1) != 0};
        fuzz_http_check(&cfg, data + 2, len - 2);
        return 0;
}
