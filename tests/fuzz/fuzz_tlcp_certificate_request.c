/* tests/fuzz/fuzz_tlcp_certificate_request.c: targets tlcp_certificate_request_parse, _next_authority and
 * _write: the names walked from a parsed body, written back with its types, give the same bytes. Seeds:
 * the recorded CertificateRequests of vectors/tlcp/ (Tongsuo and GmSSL) and one without authorities. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlcp/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
        struct buf_reader in = buf_reader_make(data, len), cursor;
        struct tlcp_certificate_request request;
        struct buf_writer w;
        struct err err = {0};
        size_t num_names = 0;
        if (tlcp_certificate_request_parse(&request, &in, &err) != 0)
                return 0;
        struct buf_reader *names = calloc(request.num_certificate_authorities + 1, sizeof *names);
        if (names == NULL)
                abort();
        cursor = request.certificate_authorities;
        while (num_names <= request.num_certificate_authorities &&
               tlcp_certificate_request_next_authority(&cursor, &names[num_names]))
                num_names++;
        if (num_names != request.num_certificate_authorities || !buf_reader_is_empty(&cursor))
                abort();
        buf_writer_init_heap(&w, len + 16);
        if (tlcp_certificate_request_write(&w, request.certificate_types.data, request.certificate_types.len, names,
                                           num_names, &err) != 0 ||
            w.len != len || memcmp(w.data, data, len) != 0)
                abort();
        buf_writer_cleanup(&w);
        free(names);
        return 0;
}
