/* src/tlcp/record_io.h: one connection's record stream (GB/T 38636-2020 §6.3): the record being received,
 * handshake messages reassembled across records (and several taken from one record), and the sealed
 * records waiting to be sent.
 *
 * Input is taken one record at a time: tlcp_record_io_put_input keeps at most one record beyond the one
 * being read. tlcp_record_io_next yields what the connection acts on: one whole handshake message, one
 * ChangeCipherSpec, one alert, or an application_data record's content. */
#ifndef SMT_TLCP_RECORD_IO_H
#define SMT_TLCP_RECORD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "tlcp/messages.h"
#include "tlcp/record.h"

/* Sealed output a connection holds before the caller sends it: a 64 MiB write at most. */
#define TLCP_RECORD_IO_OUTPUT_MAX (64u * 1024 * 1024)

struct tlcp_record_io {
        struct tlcp_record_protection read;  /* switched by the peer's ChangeCipherSpec */
        struct tlcp_record_protection write; /* switched by ours */
        uint8_t input[TLCP_RECORD_HEADER_LEN + TLCP_MAX_CIPHERTEXT];
        struct buf_writer collected; /* over input: the bytes of the record being received */
        bool is_open;                /* input holds an opened record whose plaintext is content */
        uint8_t content_type;
        struct buf_reader content; /* what is left of the opened record's plaintext */
        struct buf_writer message; /* a handshake message being reassembled */
        bool is_message_whole;     /* message was yielded whole: the next call drops it */
        struct buf_writer output;  /* sealed records for the peer */
        size_t output_sent;        /* bytes of output already handed out and consumed */
};

/* struct tlcp_record_io_unit: what tlcp_record_io_next yields, valid until the next call on io. */
struct tlcp_record_io_unit {
        uint8_t type;                           /* enum tlcp_content_type */
        struct tlcp_handshake_header handshake; /* handshake: its header */
        struct buf_reader message;              /* handshake: the whole message, header included */
        struct buf_reader body;                 /* handshake: body; change_cipher_spec: 1 byte; alert: 2 bytes */
        struct buf_reader *application_data;    /* application_data: the record's content; read from it */
};

/* tlcp_record_io_init prepares io with no protection in either direction; cleanup after. */
void tlcp_record_io_init(struct tlcp_record_io *io);

/* tlcp_record_io_cleanup wipes keys, buffered plaintext and output, and frees the buffers. */
void tlcp_record_io_cleanup(struct tlcp_record_io *io);

/* tlcp_record_io_put_input takes up to len bytes (*consumed says how many): never more than completes the
 * record being received, nothing while an opened record still has content to read. A bad record header
 * is reported by the next tlcp_record_io_next, not here. */
void tlcp_record_io_put_input(struct tlcp_record_io *io, const uint8_t *data, size_t len, size_t *consumed);

/* tlcp_record_io_next yields the next unit: SMT_EAGAIN when the input holds no whole one. Failures: the
 * record header's (TLCP_EPROTOCOL_VERSION, TLCP_ERECORD_OVERFLOW...), tlcp_record_open's
 * (TLCP_EBAD_RECORD_MAC), TLCP_EUNEXPECTED_MESSAGE for a record that splits a handshake message,
 * TLCP_EDECODE_ERROR for a ChangeCipherSpec other than the single byte 1, a short alert, or a
 * handshake header announcing more than TLCP_MAX_HANDSHAKE_MESSAGE. */
int tlcp_record_io_next(struct tlcp_record_io *io, struct tlcp_record_io_unit *unit, struct err *err) SMT_MUST_USE;

/* tlcp_record_io_write seals len bytes of type into records of at most TLCP_MAX_PLAINTEXT bytes. */
int tlcp_record_io_write(struct tlcp_record_io *io, uint8_t type, const uint8_t *data, size_t len,
                         struct err *err) SMT_MUST_USE;

/* tlcp_record_io_has_room says whether len bytes of type sealed into records still fit the output limit. */
bool tlcp_record_io_has_room(const struct tlcp_record_io *io, size_t len);

/* tlcp_record_io_peek_output points *data at the unsent output (borrowed until the next call) and returns
 * its length. */
size_t tlcp_record_io_peek_output(struct tlcp_record_io *io, const uint8_t **data);

/* tlcp_record_io_consume_output drops len sent bytes (at most what peek returned). */
void tlcp_record_io_consume_output(struct tlcp_record_io *io, size_t len);

#endif
