/* src/base/der.h: strict DER reading and writing for the few structures smtrust encodes
 * itself (SM2 ciphertexts and signatures, GM/T 0009); X.509 stays with OpenSSL.
 * Only single-byte tags and definite, minimally encoded lengths are accepted. */
#ifndef SMT_BASE_DER_H
#define SMT_BASE_DER_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

enum der_tag {
        DER_TAG_INTEGER = 0x02,
        DER_TAG_BIT_STRING = 0x03,
        DER_TAG_OCTET_STRING = 0x04,
        DER_TAG_NULL = 0x05,
        DER_TAG_OID = 0x06,
        DER_TAG_SEQUENCE = 0x30,
};

/* der_read_element reads one element whose tag must be tag; *content borrows its value bytes.
 * Fails with SMT_EDECODE (wrong tag, bad length) or SMT_ETRUNCATED, naming what in err. */
int der_read_element(struct buf_reader *r, uint8_t tag, struct buf_reader *content, const char *what,
                     struct err *err) SMT_MUST_USE;

/* der_read_unsigned_integer reads a non-negative INTEGER and writes it left-padded with zeros to
 * exactly out_len bytes; fails when it is negative, not minimal, or longer than out_len. */
int der_read_unsigned_integer(struct buf_reader *r, uint8_t *out, size_t out_len, const char *what,
                              struct err *err) SMT_MUST_USE;

/* der_write_header appends a tag and the DER length of a content_len-byte value. */
int der_write_header(struct buf_writer *w, uint8_t tag, size_t content_len) SMT_MUST_USE;

/* der_write_unsigned_integer appends a big-endian unsigned number of in_len bytes as a minimal INTEGER. */
int der_write_unsigned_integer(struct buf_writer *w, const uint8_t *in, size_t in_len) SMT_MUST_USE;

/* der_unsigned_integer_len returns the full encoded size of der_write_unsigned_integer's output. */
size_t der_unsigned_integer_len(const uint8_t *in, size_t in_len);

/* der_element_len returns the full encoded size of an element with content_len value bytes. */
size_t der_element_len(size_t content_len);

#endif
