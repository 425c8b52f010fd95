/* src/gateway/io.c: moves bytes between a socket and the plaintext of a proxied connection. */
#include "gateway/io.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One recv: a full TLS record and its header fit, so a secure layer gets whole records in one step. */
#define GW_IO_READ_CHUNK (17 * 1024)
/* Socket bytes kept for the secure layer; it takes them a record at a time. */
#define GW_IO_RAW_IN_MAX (64 * 1024)
/* Outgoing bytes are a queue the caller bounds with gw_io_pending_output; this only stops runaways. */
#define GW_IO_OUT_MAX ((size_t)64 << 20)

void gw_io_init(struct gw_io *io, int fd, net_watcher_fn callback, void *arg)
{
        memset(io, 0, sizeof *io);
        io->fd = fd;
        io->kind = GW_IO_PLAIN;
        net_watcher_init(&io->watcher, fd, callback, arg);
        buf_writer_init_heap(&io->raw_in, GW_IO_RAW_IN_MAX);
        buf_writer_init_heap(&io->out, GW_IO_OUT_MAX);
}

void gw_io_cleanup(struct gw_io *io, struct net_loop *loop)
{
        if (io->fd >= 0) {
                net_loop_unwatch(loop, &io->watcher);
                close(io->fd);
                io->fd = -1;
        }
        net_secure_stream_free(io->secure);
        io->secure = NULL;
        net_tls_client_free(io->tls);
        io->tls = NULL;
        buf_writer_cleanup(&io->raw_in);
        buf_writer_cleanup(&io->out);
}

/* --- the secure layer's byte pump, whichever it is --- */

static size_t gw_io_layer_peek(struct gw_io *io, const uint8_t **data)
{
        if (io->kind == GW_IO_SECURE_SERVER)
                return net_secure_stream_peek_output(io->secure, data);
        if (io->kind == GW_IO_TLS_CLIENT)
                return net_tls_client_peek_output(io->tls, data);
        *data = io->out.data;
        return io->out.len;
}

static void gw_io_layer_consume(struct gw_io *io, size_t len)
{
        if (io->kind == GW_IO_SECURE_SERVER)
                net_secure_stream_consume_output(io->secure, len);
        else if (io->kind == GW_IO_TLS_CLIENT)
                net_tls_client_consume_output(io->tls, len);
        else
                buf_writer_drop_front(&io->out, len);
}

static int gw_io_layer_put(struct gw_io *io, const uint8_t *data, size_t len, size_t *consumed, struct err *err)
{
        if (io->kind == GW_IO_SECURE_SERVER)
                return net_secure_stream_put_input(io->secure, data, len, consumed, err);
        return net_tls_client_put_input(io->tls, data, len, consumed, err);
}

static int gw_io_layer_read(struct gw_io *io, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        if (io->kind == GW_IO_SECURE_SERVER)
                return net_secure_stream_read(io->secure, buf, cap, len, err);
        return net_tls_client_read(io->tls, buf, cap, len, err);
}

static int gw_io_layer_handshake(struct gw_io *io, struct err *err)
{
        if (io->kind == GW_IO_SECURE_SERVER)
                return net_secure_stream_handshake(io->secure, err);
        if (io->kind == GW_IO_TLS_CLIENT)
                return net_tls_client_handshake(io->tls, err);
        return 0;
}

/* --- the socket --- */

int gw_io_flush(struct gw_io *io, struct err *err)
{
        const uint8_t *data;
        size_t len;
        while (io->fd >= 0 && (len = gw_io_layer_peek(io, &data)) > 0) {
                ssize_t n = send(io->fd, data, len, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return SMT_EAGAIN;
                if (n < 0) {
                        io->is_write_closed = true;
                        return SMT_ERR(err, SMT_EIO, "send: %s", strerror(errno));
                }
                io->bytes_sent += (uint64_t)n;
                gw_io_layer_consume(io, (size_t)n);
        }
        return 0;
}

size_t gw_io_pending_output(struct gw_io *io)
{
        const uint8_t *data;
        return gw_io_layer_peek(io, &data);
}

/* gw_io_recv_socket reads once into dst (up to cap): bytes read, 0 at end of stream, -1 with EAGAIN in
 * *status, or -1 with a failure in *status. */
static ssize_t gw_io_recv_socket(struct gw_io *io, uint8_t *dst, size_t cap, int *status, struct err *err)
{
        for (;;) {
                ssize_t n = recv(io->fd, dst, cap, 0);
                if (n >= 0) {
                        io->bytes_received += (uint64_t)n;
                        return n;
                }
                if (errno == EINTR)
                        continue;
                *status = errno == EAGAIN || errno == EWOULDBLOCK ? SMT_EAGAIN
                                                                   : SMT_ERR(err, SMT_EIO, "recv: %s", strerror(errno));
                return -1;
        }
}

/* gw_io_put_raw hands the secure layer what it takes of data and keeps the rest in raw_in. */
static int gw_io_put_raw(struct gw_io *io, const uint8_t *data, size_t len, size_t *taken, struct err *err)
{
        size_t consumed = 0;
        int status = gw_io_layer_put(io, data, len, &consumed, err);
        if (status < 0 && status != SMT_EAGAIN)
                return status;
        *taken = consumed;
        return SMT_OK;
}

/* gw_io_fill_raw feeds the secure layer: first what raw_in kept, then socket bytes read into a stack
 * buffer (a TLS layer takes them all, so raw_in, and its memory, is only used by TLCP's one-record
 * lookahead): 0 when the layer got bytes, SMT_EAGAIN when there were none, a failure otherwise. */
static int gw_io_fill_raw(struct gw_io *io, struct err *err)
{
        size_t taken = 0;
        if (io->raw_in.len > 0) {
                TRY(gw_io_put_raw(io, io->raw_in.data, io->raw_in.len, &taken, err));
                buf_writer_drop_front(&io->raw_in, taken);
                if (io->raw_in.len == 0)
                        buf_writer_cleanup(&io->raw_in);
                return taken > 0 ? 0 : SMT_EAGAIN;
        }
        if (io->is_eof)
                return SMT_EAGAIN;
        uint8_t chunk[GW_IO_READ_CHUNK];
        int status = 0;
        ssize_t n = gw_io_recv_socket(io, chunk, sizeof chunk, &status, err);
        if (n == 0)
                io->is_eof = true;
        if (n < 0)
                return status;
        if (n == 0)
                return SMT_EAGAIN;
        io->is_drained = (size_t)n < sizeof chunk;
        TRY(gw_io_put_raw(io, chunk, (size_t)n, &taken, err));
        if (taken < (size_t)n)
                TRY(buf_write_bytes(&io->raw_in, chunk + taken, (size_t)n - taken));
        return SMT_OK;
}

int gw_io_handshake(struct gw_io *io, struct err *err)
{
        for (;;) {
                int status = gw_io_layer_handshake(io, err);
                int flushed = gw_io_flush(io, err);
                if (flushed < 0 && flushed != SMT_EAGAIN)
                        return flushed;
                if (status != SMT_EAGAIN)
                        return status;
                status = gw_io_fill_raw(io, err);
                if (status == SMT_EAGAIN && io->is_eof && io->raw_in.len == 0)
                        return SMT_ERR(err, SMT_EIO, "the peer closed the connection during the handshake");
                if (status < 0)
                        return status;
        }
}

/* Reads go to the stack first and only what arrived is appended: an idle connection's buffer then holds
 * what it was sent, not a whole read chunk reserved ahead (memory per idle connection). */
static int gw_io_receive_plain(struct gw_io *io, struct buf_writer *in, size_t max, struct err *err)
{
        bool got = false;
        uint8_t chunk[GW_IO_READ_CHUNK];
        while (in->len < max && !io->is_eof) {
                size_t want = max - in->len < sizeof chunk ? max - in->len : sizeof chunk;
                int status = 0;
                ssize_t n = gw_io_recv_socket(io, chunk, want, &status, err);
                if (n == 0)
                        io->is_eof = true;
                if (n < 0 && status == SMT_EAGAIN)
                        break;
                if (n < 0)
                        return status;
                TRY(buf_write_bytes(in, chunk, (size_t)n));
                got = got || n > 0;
                if ((size_t)n < want)
                        break; /* the socket is drained for now: save a recv that would say EAGAIN */
        }
        return got ? 0 : SMT_EAGAIN;
}

/* gw_io_read_layer copies what plaintext the secure layer has into in (up to max). */
static int gw_io_read_layer(struct gw_io *io, struct buf_writer *in, size_t max, bool *got, struct err *err)
{
        uint8_t chunk[GW_IO_READ_CHUNK];
        while (in->len < max) {
                size_t want = max - in->len < sizeof chunk ? max - in->len : sizeof chunk;
                size_t n = 0;
                int status = gw_io_layer_read(io, chunk, want, &n, err);
                if (status == SMT_EAGAIN)
                        return 0;
                if (status == TLCP_ECLOSED) {
                        io->is_eof = true;
                        return 0;
                }
                if (status < 0)
                        return status;
                TRY(buf_write_bytes(in, chunk, n));
                *got = *got || n > 0;
        }
        return 0;
}

int gw_io_receive(struct gw_io *io, struct buf_writer *in, size_t max, struct err *err)
{
        if (io->kind == GW_IO_PLAIN)
                return gw_io_receive_plain(io, in, max, err);
        bool got = false;
        io->is_drained = false;
        for (;;) {
                TRY(gw_io_read_layer(io, in, max, &got, err));
                /* A short read emptied the socket: another recv now would only say EAGAIN (the loop is
                 * level-triggered, so bytes arriving later wake us again). */
                if (in->len >= max || io->is_eof || (io->is_drained && io->raw_in.len == 0))
                        break;
                int status = gw_io_fill_raw(io, err);
                if (status == SMT_EAGAIN)
                        break;
                if (status < 0)
                        return status;
        }
        /* Reading may have produced output (a TLS 1.3 key update, an alert): send it. */
        int flushed = gw_io_flush(io, err);
        if (flushed < 0 && flushed != SMT_EAGAIN)
                return flushed;
        if (io->is_eof && io->raw_in.len == 0 && io->kind != GW_IO_PLAIN)
                return got ? 0 : SMT_EAGAIN;
        return got ? 0 : SMT_EAGAIN;
}

int gw_io_send(struct gw_io *io, const uint8_t *data, size_t len, struct err *err)
{
        if (len == 0)
                return 0;
        if (io->kind == GW_IO_SECURE_SERVER)
                TRY(net_secure_stream_write(io->secure, data, len, err));
        else if (io->kind == GW_IO_TLS_CLIENT)
                TRY(net_tls_client_write(io->tls, data, len, err));
        else
                TRY(buf_write_bytes(&io->out, data, len));
        return SMT_OK;
}

void gw_io_close_write(struct gw_io *io)
{
        struct err ignored;
        if (io->is_write_closed || io->fd < 0)
                return;
        if (io->kind == GW_IO_SECURE_SERVER)
                SMT_IGNORE(net_secure_stream_close(io->secure, &ignored));
        else if (io->kind == GW_IO_TLS_CLIENT)
                SMT_IGNORE(net_tls_client_close(io->tls, &ignored));
        if (gw_io_flush(io, &ignored) == 0) {
                shutdown(io->fd, SHUT_WR);
                io->is_write_closed = true;
        }
}

int gw_io_watch(struct gw_io *io, struct net_loop *loop, bool want_read, struct err *err)
{
        unsigned interest = (want_read ? NET_LOOP_READ : 0u) | (gw_io_pending_output(io) > 0 ? NET_LOOP_WRITE : 0u);
        if (io->fd < 0)
                return 0;
        if (!io->watcher.is_watched)
                return net_loop_watch(loop, &io->watcher, interest, err);
        return net_loop_modify(loop, &io->watcher, interest, err);
}
