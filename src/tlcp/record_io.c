/* src/tlcp/record_io.c: receiving records one at a time, reassembling handshake messages, queueing output. */
#include "tlcp/record_io.h"

#include <string.h>

/* Output this large that was sent is moved out of the way rather than kept in front of the rest. */
#define TLCP_RECORD_IO_COMPACT_AT (64u * 1024)

void tlcp_record_io_init(struct tlcp_record_io *io)
{
        tlcp_record_protection_init(&io->read);
        tlcp_record_protection_init(&io->write);
        buf_writer_init_fixed(&io->collected, io->input, sizeof io->input);
        io->is_open = false;
        io->content_type = 0;
        io->content = buf_reader_make(NULL, 0);
        buf_writer_init_heap(&io->message, TLCP_HANDSHAKE_HEADER_LEN + TLCP_MAX_HANDSHAKE_MESSAGE);
        io->is_message_whole = false;
        buf_writer_init_heap(&io->output, TLCP_RECORD_IO_OUTPUT_MAX);
        io->output_sent = 0;
}

void tlcp_record_io_cleanup(struct tlcp_record_io *io)
{
        tlcp_record_protection_cleanup(&io->read);
        tlcp_record_protection_cleanup(&io->write);
        explicit_bzero(io->input, sizeof io->input);
        buf_writer_cleanup(&io->message);
        buf_writer_cleanup(&io->output);
        io->is_open = false;
        io->content = buf_reader_make(NULL, 0);
}

/* tlcp_record_io_release forgets a fully read record, wiping its plaintext. */
static void tlcp_record_io_release(struct tlcp_record_io *io)
{
        if (!io->is_open || io->content.len > 0)
                return;
        buf_writer_cleanup(&io->collected);
        io->is_open = false;
}

/* tlcp_record_io_wanted returns how many more input bytes complete the record being received (0 when it is
 * complete or its header is bad, which tlcp_record_io_next then reports). */
static size_t tlcp_record_io_wanted(const struct tlcp_record_io *io)
{
        if (io->collected.len < TLCP_RECORD_HEADER_LEN)
                return TLCP_RECORD_HEADER_LEN - io->collected.len;
        struct buf_reader r = buf_reader_make(io->input, io->collected.len);
        struct tlcp_record_header header;
        if (tlcp_record_header_parse(&header, &r, NULL) < 0)
                return 0;
        return TLCP_RECORD_HEADER_LEN + header.length - io->collected.len;
}

void tlcp_record_io_put_input(struct tlcp_record_io *io, const uint8_t *data, size_t len, size_t *consumed)
{
        *consumed = 0;
        tlcp_record_io_release(io);
        while (!io->is_open && *consumed < len) {
                size_t wanted = tlcp_record_io_wanted(io);
                if (wanted == 0)
                        return;
                struct buf_reader in = buf_reader_make(data, len);
                struct buf_reader chunk;
                size_t take = wanted < len - *consumed ? wanted : len - *consumed;
                if (buf_skip(&in, *consumed) < 0 || buf_read_slice(&in, &chunk, take) < 0 ||
                    buf_write_bytes(&io->collected, chunk.data, chunk.len) < 0)
                        return; /* cannot happen: take fits both */
                *consumed += take;
        }
}

/* tlcp_record_io_open opens the collected record once it is whole. */
static int tlcp_record_io_open(struct tlcp_record_io *io, struct err *err)
{
        struct buf_reader r = buf_reader_make(io->input, io->collected.len);
        struct tlcp_record_header header;
        TRY(tlcp_record_header_parse(&header, &r, err));
        if (r.len < header.length)
                return SMT_EAGAIN;
        /* The header parser capped header.length at TLCP_MAX_CIPHERTEXT: the fragment fits input. */
        TRY(tlcp_record_open(&io->read, &io->content, &header, &io->input[TLCP_RECORD_HEADER_LEN], err));
        io->is_open = true;
        io->content_type = header.type;
        return SMT_OK;
}

/* tlcp_record_io_take_handshake moves bytes of the opened record into the message until it is whole:
 * SMT_EAGAIN when the record ends first. */
static int tlcp_record_io_take_handshake(struct tlcp_record_io *io, struct tlcp_record_io_unit *unit, struct err *err)
{
        for (;;) {
                struct buf_reader assembled = buf_reader_make(io->message.data, io->message.len);
                struct tlcp_handshake_header header;
                size_t wanted = TLCP_HANDSHAKE_HEADER_LEN - io->message.len;
                int status = tlcp_handshake_header_parse(&header, &assembled, err);
                if (status == SMT_OK) {
                        wanted = header.length - assembled.len;
                        if (wanted == 0) {
                                *unit = (struct tlcp_record_io_unit){
                                    .type = TLCP_CONTENT_HANDSHAKE, .handshake = header, .body = assembled};
                                unit->message = buf_reader_make(io->message.data, io->message.len);
                                io->is_message_whole = true;
                                return SMT_OK;
                        }
                } else if (status != SMT_EAGAIN) {
                        return status;
                }
                if (io->content.len == 0)
                        return SMT_EAGAIN;
                struct buf_reader chunk;
                if (buf_read_slice(&io->content, &chunk, wanted < io->content.len ? wanted : io->content.len) < 0 ||
                    buf_write_bytes(&io->message, chunk.data, chunk.len) < 0)
                        return SMT_ERR(err, SMT_ENOMEM, "record: no memory for a handshake message");
        }
}

/* tlcp_record_io_take_other yields a change_cipher_spec, an alert or application data from the opened
 * record. RFC 5246 §6.2.1: no other record may come between the fragments of one handshake message. */
static int tlcp_record_io_take_other(struct tlcp_record_io *io, struct tlcp_record_io_unit *unit, struct err *err)
{
        const char *name = io->content_type == TLCP_CONTENT_ALERT                ? "alert"
                           : io->content_type == TLCP_CONTENT_CHANGE_CIPHER_SPEC ? "change_cipher_spec"
                                                                                 : "application_data";
        if (io->message.len > 0)
                return SMT_ERR(err, TLCP_EUNEXPECTED_MESSAGE,
                               "record: a %s record inside a fragmented handshake message", name);
        *unit = (struct tlcp_record_io_unit){.type = io->content_type};
        uint8_t value;
        switch (io->content_type) {
        case TLCP_CONTENT_CHANGE_CIPHER_SPEC:
                /* GB/T 38636 §6.4.3: the protocol is the single byte 1. */
                if (io->content.len != 1 || buf_peek_u8(&io->content, &value) < 0 || value != 1)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR,
                                       "change_cipher_spec: %zu bytes, expected the single byte 01", io->content.len);
                return buf_read_slice(&io->content, &unit->body, 1);
        case TLCP_CONTENT_ALERT:
                if (buf_read_slice(&io->content, &unit->body, 2) < 0)
                        return SMT_ERR(err, TLCP_EDECODE_ERROR, "alert: %zu bytes, expected 2", io->content.len);
                return SMT_OK;
        default:
                unit->application_data = &io->content;
                return SMT_OK;
        }
}

int tlcp_record_io_next(struct tlcp_record_io *io, struct tlcp_record_io_unit *unit, struct err *err)
{
        /* The previous unit is used up: a yielded handshake message goes, a fully read record too. */
        if (io->is_message_whole) {
                buf_writer_cleanup(&io->message);
                io->is_message_whole = false;
        }
        for (;;) {
                tlcp_record_io_release(io);
                if (!io->is_open)
                        TRY(tlcp_record_io_open(io, err));
                if (io->content_type != TLCP_CONTENT_HANDSHAKE)
                        return tlcp_record_io_take_other(io, unit, err);
                int status = tlcp_record_io_take_handshake(io, unit, err);
                if (status != SMT_EAGAIN)
                        return status;
        }
}

int tlcp_record_io_write(struct tlcp_record_io *io, uint8_t type, const uint8_t *data, size_t len, struct err *err)
{
        struct buf_reader in = buf_reader_make(data, len);
        while (in.len > 0) {
                struct buf_reader fragment;
                if (buf_read_slice(&in, &fragment, in.len < TLCP_MAX_PLAINTEXT ? in.len : TLCP_MAX_PLAINTEXT) < 0)
                        return SMT_ERR(err, SMT_EINTERNAL, "record: fragment outside its input");
                TRY(tlcp_record_seal(&io->write, &io->output, type, fragment.data, fragment.len, err));
        }
        return SMT_OK;
}

bool tlcp_record_io_has_room(const struct tlcp_record_io *io, size_t len)
{
        size_t num_records = len / TLCP_MAX_PLAINTEXT + 1;
        size_t unsent = io->output.len - io->output_sent;
        if (len > TLCP_RECORD_IO_OUTPUT_MAX || num_records > TLCP_RECORD_IO_OUTPUT_MAX / TLCP_RECORD_MAX_SEALED_LEN)
                return false;
        return unsent + len + num_records * (TLCP_RECORD_HEADER_LEN + TLCP_RECORD_MAX_OVERHEAD) <=
               TLCP_RECORD_IO_OUTPUT_MAX - io->output_sent;
}

size_t tlcp_record_io_peek_output(struct tlcp_record_io *io, const uint8_t **data)
{
        struct buf_reader unsent = buf_reader_make(io->output.data, io->output.len);
        if (buf_skip(&unsent, io->output_sent) < 0 || unsent.len == 0) {
                *data = NULL;
                return 0;
        }
        *data = unsent.data;
        return unsent.len;
}

void tlcp_record_io_consume_output(struct tlcp_record_io *io, size_t len)
{
        size_t unsent = io->output.len - io->output_sent;
        io->output_sent += len < unsent ? len : unsent;
        /* Both keep the buffer for the next records. */
        if (io->output_sent == io->output.len || io->output_sent >= TLCP_RECORD_IO_COMPACT_AT) {
                buf_writer_drop_front(&io->output, io->output_sent);
                io->output_sent = 0;
        }
}
