/* tests/fuzz/fuzz_sm2_ciphertext.c: targets sm2_ciphertext_parse and sm2_ciphertext_write.
 *
 * The input is tried as both forms. Whatever parses must write back to the same bytes (the parser
 * accepts only the one DER encoding the writer produces), and converting to the other form and back
 * must give them again. Seeds: real ciphertexts of both forms (GB/T 32918.5 Annex C, and ones from
 * `openssl pkeyutl -encrypt` of 1, 32, 33 and 200 bytes, with their raw conversions). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sm2.h"

static void fuzz_check_same(const struct buf_writer *w, const uint8_t *data, size_t len)
{
        if (w->len != len || memcmp(w->data, data, len) != 0)
                abort();
}

static void fuzz_round_trip(enum sm2_ciphertext_format format, enum sm2_ciphertext_format other, const uint8_t *data,
                            size_t len)
{
        struct sm2_ciphertext ct, converted;
        struct buf_writer same, across, back;
        struct err err = {0};
        if (sm2_ciphertext_parse(&ct, format, data, len, &err) != 0)
                return;
        buf_writer_init_heap(&same, len + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
        buf_writer_init_heap(&across, len + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
        buf_writer_init_heap(&back, len + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
        if (sm2_ciphertext_write(&same, &ct, format, &err) != 0)
                abort();
        fuzz_check_same(&same, data, len);
        if (sm2_ciphertext_write(&across, &ct, other, &err) != 0 ||
            sm2_ciphertext_parse(&converted, other, across.data, across.len, &err) != 0 ||
            sm2_ciphertext_write(&back, &converted, format, &err) != 0)
                abort();
        fuzz_check_same(&back, data, len);
        buf_writer_cleanup(&same);
        buf_writer_cleanup(&across);
        buf_writer_cleanup(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        fuzz_round_trip(SM2_CIPHERTEXT_ASN1, SM2_CIPHERTEXT_RAW, data, len);
        fuzz_round_trip(SM2_CIPHERTEXT_RAW, SM2_CIPHERTEXT_ASN1, data, len);
        return 0;
}
