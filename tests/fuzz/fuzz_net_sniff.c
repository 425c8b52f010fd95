/* tests/fuzz/fuzz_net_sniff.c: targets net_sniff_classify (src/net/sniff.c). For every prefix of the input
 * the answer must be a known kind with a name, and once an answer is final (not NEED_MORE) every longer
 * prefix must give the same one — a listener that reads more bytes must never change its mind. An input of
 * NET_SNIFF_METHOD_MAX bytes or more must get a final answer. Seeds: tests/fuzz/corpus/fuzz_net_sniff/,
 * the captured TLS ClientHellos of tests/unit/net/data/, a TLCP ClientHello record and HTTP request lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum net_sniff_kind final = NET_SNIFF_NEED_MORE;
        size_t limit = size < 64 ? size : 64;
        for (size_t i = 0; i <= limit; i++) {
                enum net_sniff_kind got = net_sniff_classify(data, i);
                if (got > NET_SNIFF_UNKNOWN || net_sniff_kind_name(got) == NULL)
                        abort();
                if (final != NET_SNIFF_NEED_MORE && got != final)
                        abort();
                if (got == NET_SNIFF_NEED_MORE && i >= NET_SNIFF_METHOD_MAX)
                        abort();
                final = got;
        }
        if (size > limit && net_sniff_classify(data, size) != final)
                abort();
        return 0;
}
