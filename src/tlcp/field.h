/* src/tlcp/field.h: reading the fields of one handshake message, for the codecs behind tlcp/messages.h.
 *
 * Each function is the base/buf.h read of the same name, except that a short read or a leftover byte
 * becomes TLCP_EDECODE_ERROR (the decode_error alert, GB/T 38636 §6.4.4.2) with a message naming the
 * message and the field: "client_hello: cipher_suites length 40 exceeds the 3 bytes left". On failure
 * the reader is unchanged. */
#ifndef SMT_TLCP_FIELD_H
#define SMT_TLCP_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

int tlcp_field_read_u8(struct buf_reader *in, uint8_t *out, const char *message, const char *field,
                       struct err *err) SMT_MUST_USE;
int tlcp_field_read_u16(struct buf_reader *in, uint16_t *out, const char *message, const char *field,
                        struct err *err) SMT_MUST_USE;
int tlcp_field_read_u32(struct buf_reader *in, uint32_t *out, const char *message, const char *field,
                        struct err *err) SMT_MUST_USE;
int tlcp_field_read_bytes(struct buf_reader *in, uint8_t *out, size_t len, const char *message, const char *field,
                          struct err *err) SMT_MUST_USE;

/* tlcp_field_read_u8_vector .. _u24_vector read a length prefix of that width and the vector it announces. */
int tlcp_field_read_u8_vector(struct buf_reader *in, struct buf_reader *out, const char *message, const char *field,
                              struct err *err) SMT_MUST_USE;
int tlcp_field_read_u16_vector(struct buf_reader *in, struct buf_reader *out, const char *message, const char *field,
                               struct err *err) SMT_MUST_USE;
int tlcp_field_read_u24_vector(struct buf_reader *in, struct buf_reader *out, const char *message, const char *field,
                               struct err *err) SMT_MUST_USE;

/* tlcp_field_read_session_id reads SessionID<0..32> into out (RFC 5246 §7.4.1.2). */
int tlcp_field_read_session_id(struct buf_reader *in, uint8_t out[32], size_t *out_len, const char *message,
                               struct err *err) SMT_MUST_USE;

/* tlcp_field_read_ec_point reads ECParameters || ECPoint as TLCP's ECDHE messages carry them
 * (RFC 4492 §5.4 with GB/T 38636's curve): curve_type named_curve (3), curve SM2 (41), then
 * point<1..2^8-1>, which *point borrows. Another curve is TLCP_EILLEGAL_PARAMETER. */
int tlcp_field_read_ec_point(struct buf_reader *in, struct buf_reader *point, const char *message,
                             struct err *err) SMT_MUST_USE;

/* tlcp_field_write_ec_point appends 03 00 29 || uint8 length || point (point_len 1..255); a bare status. */
int tlcp_field_write_ec_point(struct buf_writer *out, const uint8_t *point, size_t point_len) SMT_MUST_USE;

/* tlcp_field_read_signature reads signature<1..2^16-1> and refuses one longer than a DER SM2 signature
 * can be (SM2_SIGNATURE_MAX, 72 bytes): TLCP signatures carry no algorithm (GB/T 38636 §6.4.5.4). */
int tlcp_field_read_signature(struct buf_reader *in, struct buf_reader *signature, const char *message,
                              struct err *err) SMT_MUST_USE;

/* tlcp_field_check_signature_len fails with SMT_EINVAL, for writers, unless len is 1..SM2_SIGNATURE_MAX. */
int tlcp_field_check_signature_len(size_t len, const char *message, struct err *err) SMT_MUST_USE;

/* tlcp_field_expect_end fails when bytes are left after field (the last one read). */
int tlcp_field_expect_end(const struct buf_reader *in, const char *message, const char *field,
                          struct err *err) SMT_MUST_USE;

/* tlcp_field_wrote gives a writer's status a message ("certificate: output buffer too small") when it is
 * a failure; writers validate their input first, so only the buffer can fail afterwards. */
int tlcp_field_wrote(int status, const char *message, struct err *err);

#endif
