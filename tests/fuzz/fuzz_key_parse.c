/* tests/fuzz/fuzz_key_parse.c: targets key_parse (src/crypto/key_io.c) on PEM and DER key files, once
 * without and once with a passphrase so encrypted keys reach decryption. A key that parses must also
 * re-encode and parse back to the same public key. Seeds: tests/fuzz/corpus/fuzz_key_parse/, keys of
 * every algorithm and form written once by smtrust and openssl (throwaway test keys). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "crypto/key.h"

/* The seeds' encrypted keys use this passphrase. */
#define FUZZ_PASSPHRASE "fuzz"

static void fuzz_check_round_trip(const struct key *key)
{
        struct buf_writer w;
        struct err err = {0};
        struct key *back = NULL;
        uint8_t a[32], b[32];
        buf_writer_init_heap(&w, KEY_FILE_MAX);
        if (key_write_public(key, KEY_FORMAT_DER, &w, &err) != 0 || key_parse(&back, w.data, w.len, NULL, &err) != 0 ||
            key_public_fingerprint(key, a, &err) != 0 || key_public_fingerprint(back, b, &err) != 0 ||
            memcmp(a, b, sizeof a) != 0 || key_get_alg(back) != key_get_alg(key))
                abort();
        key_free(back);
        buf_writer_cleanup(&w);
}

static void fuzz_parse(const uint8_t *data, size_t len, const char *passphrase)
{
        struct key *key = NULL;
        struct err err = {0};
        int status = key_parse(&key, data, len, passphrase, &err);
        if ((status == 0) != (key != NULL) || (status != 0 && err.msg[0] == 0) || ERR_peek_error() != 0)
                abort();
        if (key != NULL)
                fuzz_check_round_trip(key);
        key_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        fuzz_parse(data, len, NULL);
        fuzz_parse(data, len, FUZZ_PASSPHRASE);
        return 0;
}
