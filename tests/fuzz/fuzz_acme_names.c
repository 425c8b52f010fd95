/* tests/fuzz/fuzz_acme_names.c: ACME identifier and time syntax on arbitrary text: never a crash, and an
 * accepted name normalises to itself (idempotent). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ca/acme_names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        if (len > 1024)
                return 0;
        char *text = malloc(len + 1);
        if (!text)
                return 0;
        memcpy(text, data, len);
        text[len] = '\0';
        char out[256], again[256];
        if (acme_dns_name_normalize(text, out, sizeof(out)) == 0) {
                if (acme_dns_name_normalize(out, again, sizeof(again)) != 0 || strcmp(out, again) != 0)
                        abort();
        }
        if (acme_ip_normalize(text, out, sizeof(out)) == 0) {
                if (acme_ip_normalize(out, again, sizeof(again)) != 0 || strcmp(out, again) != 0)
                        abort();
        }
        int64_t t;
        if (acme_time_parse(text, &t) == 0)
                acme_time_format(t, out, sizeof(out));
        free(text);
        return 0;
}
