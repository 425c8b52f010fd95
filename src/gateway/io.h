/* src/gateway/io.h: one side of a proxied connection (the client's or the origin's) on a non-blocking
 * socket, with or without a secure layer in between, as one interface: bytes in as plaintext, plaintext
 * out, and the loop interest that follows from what is buffered.
 *
 * Three kinds: PLAIN (a TCP socket), SECURE_SERVER (a client's TLCP or TLS connection, net/secure_stream.h)
 * and TLS_CLIENT (an https origin, net/tls_client.h). The secure layers are byte pumps; this module moves
 * bytes between them and the socket. Output is queued without limit here: callers stop producing (stop
 * reading the other side) when gw_io_pending_output passes their high-water mark, which is the whole of
 * the proxy's flow control. */
#ifndef SMT_GATEWAY_IO_H
#define SMT_GATEWAY_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "net/loop.h"
#include "net/secure_stream.h"
#include "net/tls_client.h"

enum gw_io_kind {
        GW_IO_PLAIN = 1,
        GW_IO_SECURE_SERVER = 2,
        GW_IO_TLS_CLIENT = 3,
};

struct gw_io {
        int fd; /* -1 when closed */
        struct net_watcher watcher;
        enum gw_io_kind kind;
        struct net_secure_stream *secure; /* SECURE_SERVER */
        struct net_tls_client *tls;       /* TLS_CLIENT */
        struct buf_writer raw_in;         /* secure kinds: socket bytes the secure layer has not taken */
        struct buf_writer out;            /* PLAIN: bytes not yet sent */
        bool is_eof;                      /* the peer ended its side (TCP FIN or close_notify) */
        bool is_write_closed;             /* we shut our side after flushing (or the socket failed) */
        bool is_drained;                  /* the last recv was short: the socket had no more for now */
        uint64_t bytes_received;          /* socket bytes, for metrics */
        uint64_t bytes_sent;
};

/* gw_io_init makes io PLAIN on fd (taking it: gw_io_cleanup closes it); callback/arg as net_watcher_init. */
void gw_io_init(struct gw_io *io, int fd, net_watcher_fn callback, void *arg);

/* gw_io_cleanup unwatches, closes the socket and frees the secure layer and buffers (a no-op when done). */
void gw_io_cleanup(struct gw_io *io, struct net_loop *loop);

/* gw_io_handshake drives the secure layer's handshake as far as the socket allows: 0 done (also for
 * PLAIN), SMT_EAGAIN waiting for the peer, or the failure (an alert is queued: flush, then close). */
int gw_io_handshake(struct gw_io *io, struct err *err) SMT_MUST_USE;

/* gw_io_receive appends plaintext to in until in holds max bytes or the socket has nothing more:
 * 0 when it added something, SMT_EAGAIN when nothing (io->is_eof tells whether the peer ended),
 * another status when the connection failed. */
int gw_io_receive(struct gw_io *io, struct buf_writer *in, size_t max, struct err *err) SMT_MUST_USE;

/* gw_io_send queues len bytes of plaintext (sealed by the secure layer); gw_io_flush sends them. The
 * connection flushes once per event, so a response head and its body leave in one send(). */
int gw_io_send(struct gw_io *io, const uint8_t *data, size_t len, struct err *err) SMT_MUST_USE;

/* gw_io_flush writes queued bytes to the socket: 0 when all are out, SMT_EAGAIN when the socket is
 * full, SMT_EIO when it failed. */
int gw_io_flush(struct gw_io *io, struct err *err) SMT_MUST_USE;

/* gw_io_pending_output says how many bytes wait to go to the socket. */
size_t gw_io_pending_output(struct gw_io *io);

/* gw_io_close_write queues close_notify (secure kinds) and, once flushed, shuts down our sending side. */
void gw_io_close_write(struct gw_io *io);

/* gw_io_watch sets the loop interest: READ when want_read, WRITE when output is pending. */
int gw_io_watch(struct gw_io *io, struct net_loop *loop, bool want_read, struct err *err) SMT_MUST_USE;

#endif
