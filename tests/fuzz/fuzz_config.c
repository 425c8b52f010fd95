/* tests/fuzz/fuzz_config.c: targets config_load_string (src/base/config*.c, libyaml underneath) with the
 * gateway-shaped test schema on arbitrary bytes. Beyond not crashing or leaking: a load succeeds exactly
 * when it lists no problem; a failed one lists at least one, each a single line naming the file, in line
 * order, and leaves the output struct untouched. Seeds: tests/fuzz/corpus/fuzz_config/, small YAML files
 * (valid, and with one problem of each kind). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "../unit/base/test_config_schema.h"

static struct config_errors errors;

static void fuzz_check_errors(void)
{
        for (size_t i = 0; i < errors.num; i++) {
                const char *text = errors.list[i].text;
                if (strncmp(text, "fuzz.yaml", 9) != 0 || strchr(text, '\n') != NULL)
                        abort();
                if (i > 0 && errors.list[i - 1].line > errors.list[i].line)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct test_config config, zero;
        memset(&config, 0, sizeof config);
        memset(&zero, 0, sizeof zero);
        int status = config_load_string(&config, &test_config_schema, "fuzz.yaml", (const char *)data, len, &errors);
        fuzz_check_errors();
        if (status == 0) {
                if (errors.num != 0 || errors.num_more != 0)
                        abort();
                config_free(&config, &test_config_schema);
                return 0;
        }
        if (errors.num == 0 || memcmp(&config, &zero, sizeof config) != 0)
                abort();
        return 0;
}
