/* src/net/tlcp_stream.h: a TLCP connection (tlcp/conn.h) over a TCP socket, for callers that block.
 *
 * The stream owns the socket and the tlcp_conn. Each call waits with poll() for at most the stream's
 * timeout (the whole handshake shares one deadline, so a peer that trickles bytes cannot hold it forever),
 * retries after EINTR unless *cancel is set, finishes partial writes, and never raises SIGPIPE.
 * Every error message starts with the peer's address ("localhost:4433: ..."). Typical client:
 *     net_tlcp_stream_init(&s); net_tlcp_stream_connect(&s, &address, timeout, &err);
 *     net_tlcp_stream_start(&s, &config, &err); net_tlcp_stream_handshake(&s, &err);
 *     net_tlcp_stream_write_all(...); net_tlcp_stream_read(...) until TLCP_ECLOSED;
 *     net_tlcp_stream_close(&s); */
#ifndef SMT_NET_TLCP_STREAM_H
#define SMT_NET_TLCP_STREAM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"
#include "net/address.h"
#include "tlcp/conn.h"
#include "tlcp/protocol.h"

/* What the socket gave and the connection has not taken yet: one whole record at most. */
#define NET_TLCP_STREAM_INPUT_MAX (TLCP_RECORD_HEADER_LEN + TLCP_MAX_CIPHERTEXT)
/* How long net_tlcp_stream_close waits for the peer to finish, so closing with unread bytes does not
 * turn into a TCP reset that destroys what we sent last. */
#define NET_TLCP_STREAM_LINGER_MS 1000

struct net_tlcp_stream {
        int fd; /* -1 when not connected */
        struct tlcp_conn *conn;
        char peer[NET_ADDRESS_TEXT_MAX];         /* how errors name the peer: the URL's host:port, or an IP */
        char peer_address[NET_ADDRESS_TEXT_MAX]; /* the IP address and port actually connected */
        int timeout_ms;                          /* longest wait per call (per handshake); < 0: forever */
        const volatile sig_atomic_t *cancel;     /* NULL, or a flag a signal handler sets to stop waiting */
        bool is_established;                     /* the handshake completed */
        bool is_peer_closed;                     /* TCP closed or reset by the peer (no close_notify) */
        bool is_timed_out;                       /* the last wait ended at timeout_ms (SMT_EIO) */
        uint8_t input[NET_TLCP_STREAM_INPUT_MAX];
        size_t input_start;
        size_t input_len;
};

/* net_tlcp_stream_init empties stream: no socket, no connection, timeout 30 s, no cancel flag. */
void net_tlcp_stream_init(struct net_tlcp_stream *stream);

/* net_tlcp_stream_connect opens TCP to address, trying each address it resolves to, each for at most
 * timeout_ms (< 0: the system's limit). SMT_EIO names the address and the last system error. */
int net_tlcp_stream_connect(struct net_tlcp_stream *stream, const struct net_address *address, int timeout_ms,
                            struct err *err) SMT_MUST_USE;

/* net_tlcp_stream_attach takes ownership of fd, a connected socket (from accept) whose peer is sa. */
int net_tlcp_stream_attach(struct net_tlcp_stream *stream, int fd, const struct sockaddr *sa, socklen_t sa_len,
                           struct err *err) SMT_MUST_USE;

/* net_tlcp_stream_start makes the TLCP connection; config is borrowed and must outlive the stream. */
int net_tlcp_stream_start(struct net_tlcp_stream *stream, const struct tlcp_config *config,
                          struct err *err) SMT_MUST_USE;

/* net_tlcp_stream_handshake runs the handshake to its end. On failure the alert the connection queued
 * has been sent; a fatal alert from the peer is named in the message (TLCP_EPEER_ALERT), and a peer that
 * closed TCP instead gives SMT_EIO with is_peer_closed set. */
int net_tlcp_stream_handshake(struct net_tlcp_stream *stream, struct err *err) SMT_MUST_USE;

/* net_tlcp_stream_read waits for application data and copies up to cap bytes to buf (*len > 0).
 * TLCP_ECLOSED: the peer sent close_notify (the normal end). SMT_EIO with is_peer_closed: TCP closed
 * without close_notify, so what was read may be truncated. */
int net_tlcp_stream_read(struct net_tlcp_stream *stream, uint8_t *buf, size_t cap, size_t *len,
                         struct err *err) SMT_MUST_USE;

/* net_tlcp_stream_write_all sends all len bytes as application data. */
int net_tlcp_stream_write_all(struct net_tlcp_stream *stream, const uint8_t *data, size_t len,
                              struct err *err) SMT_MUST_USE;

/* net_tlcp_stream_close sends close_notify if the handshake completed, lets the peer finish (at most
 * NET_TLCP_STREAM_LINGER_MS), closes the socket and frees the connection. Errors are ignored: the
 * connection is over either way. The stream can be used again after net_tlcp_stream_init. */
void net_tlcp_stream_close(struct net_tlcp_stream *stream);

#endif
