/* tests/fuzz/fuzz_net_hello_sni.c: the pass-through listener's SNI reader on a client's first bytes: any
 * input gives a status, never a crash; a name found is NUL-terminated and has no NUL inside. */
#include <stdlib.h>
#include <string.h>

#include "net/hello_sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        char name[NET_HELLO_SNI_MAX + 1];
        size_t need = 0;
        struct err err;
        int status = net_hello_sni(data, len, name, &need, &err);
        if (status == 0 && strlen(name) > NET_HELLO_SNI_MAX)
                abort();
        if (status == SMT_EAGAIN && need <= len)
                abort(); /* asked for bytes it already had */
        return 0;
}
