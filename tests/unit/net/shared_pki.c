/* tests/unit/net/shared_pki.c: the shared TLCP test PKI for the net tests. */
#include "shared_pki.h"

#include <stdio.h>

#include "base/file.h"
#include "check.h"

const char *shared_pki_path(const char *name)
{
        char relative[128];
        snprintf(relative, sizeof relative, "vectors/tlcp/pki/sm2/%s", name);
        const char *path = check_shared_path(relative);
        if (path == NULL)
                check_skip_all("no shared test PKI (vectors/tlcp/pki/sm2)");
        return path;
}

struct key *shared_pki_key(const char *name)
{
        uint8_t *data = NULL;
        size_t len = 0;
        struct key *key = NULL;
        struct err err = { 0 };
        CHECK_OK(file_read_all(&data, &len, shared_pki_path(name), KEY_FILE_MAX, &err), &err);
        CHECK_OK(key_parse(&key, data, len, NULL, &err), &err);
        file_free_contents(data, len);
        return key;
}
