/* src/net/tlcp_stream.c: the blocking socket adapter around the TLCP byte pump (tlcp/conn.h).
 *
 * The socket itself is non-blocking: every wait goes through poll() with a deadline, so a send that
 * would block or a silent peer costs at most the stream's timeout. */
#include "net/tlcp_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NET_TLCP_STREAM_DEFAULT_TIMEOUT_MS 30000
/* Application data goes into the connection in slices, so its output buffer stays small. */
#define NET_TLCP_STREAM_WRITE_SLICE (4 * TLCP_MAX_PLAINTEXT)
/* What net_tlcp_stream_receive says when TCP ends; callers replace it with what the end means. */
#define NET_TLCP_STREAM_END "end of stream"

void net_tlcp_stream_init(struct net_tlcp_stream *stream)
{
        memset(stream, 0, sizeof *stream);
        stream->fd = -1;
        stream->timeout_ms = NET_TLCP_STREAM_DEFAULT_TIMEOUT_MS;
        snprintf(stream->peer, sizeof stream->peer, "(not connected)");
}

static int64_t net_tlcp_stream_now_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A deadline is an absolute CLOCK_MONOTONIC time in ms, or -1 for none. */
static int64_t net_tlcp_stream_deadline(int timeout_ms)
{
        return timeout_ms < 0 ? -1 : net_tlcp_stream_now_ms() + timeout_ms;
}

static bool net_tlcp_stream_is_cancelled(const struct net_tlcp_stream *stream)
{
        return stream->cancel != NULL && *stream->cancel != 0;
}

/* net_tlcp_stream_wait blocks until fd is ready for events, the deadline passes or a cancelling signal
 * arrives. Readiness includes errors and hang-ups: the following recv/send reports them. */
static int net_tlcp_stream_wait(struct net_tlcp_stream *stream, short events, int64_t deadline, struct err *err)
{
        for (;;) {
                int wait_ms = -1;
                if (deadline >= 0) {
                        int64_t left = deadline - net_tlcp_stream_now_ms();
                        if (left <= 0) {
                                stream->is_timed_out = true;
                                return SMT_ERR(err, SMT_EIO, "timed out waiting to %s",
                                               events == POLLIN ? "receive" : "send");
                        }
                        wait_ms = left > 60000 ? 60000 : (int)left;
                }
                struct pollfd ready = {.fd = stream->fd, .events = events};
                int count = poll(&ready, 1, wait_ms);
                if (count > 0)
                        return SMT_OK;
                if (count < 0 && errno != EINTR)
                        return SMT_ERR(err, SMT_EIO, "poll: %s", strerror(errno));
                if (count < 0 && net_tlcp_stream_is_cancelled(stream))
                        return SMT_ERR(err, SMT_EIO, "interrupted");
        }
}

static int net_tlcp_stream_socket_error(struct net_tlcp_stream *stream, const char *what, int error, struct err *err)
{
        if (error == EPIPE || error == ECONNRESET)
                stream->is_peer_closed = true;
        return SMT_ERR(err, SMT_EIO, "%s: %s", what, strerror(error));
}

/* net_tlcp_stream_flush sends everything the connection has queued. */
static int net_tlcp_stream_flush(struct net_tlcp_stream *stream, int64_t deadline, struct err *err)
{
        const uint8_t *data = NULL;
        size_t len;
        while ((len = tlcp_conn_peek_output(stream->conn, &data)) > 0) {
                ssize_t sent = send(stream->fd, data, len, MSG_NOSIGNAL);
                if (sent > 0) {
                        tlcp_conn_consume_output(stream->conn, (size_t)sent);
                } else if (sent < 0 && errno == EINTR) {
                        if (net_tlcp_stream_is_cancelled(stream))
                                return SMT_ERR(err, SMT_EIO, "interrupted");
                } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        TRY(net_tlcp_stream_wait(stream, POLLOUT, deadline, err));
                } else {
                        return net_tlcp_stream_socket_error(stream, "send", sent < 0 ? errno : EIO, err);
                }
        }
        return SMT_OK;
}

/* net_tlcp_stream_receive refills the (empty) input buffer from the socket. */
static int net_tlcp_stream_receive(struct net_tlcp_stream *stream, int64_t deadline, struct err *err)
{
        stream->input_start = 0;
        for (;;) {
                ssize_t got = recv(stream->fd, stream->input, sizeof stream->input, 0);
                if (got > 0) {
                        stream->input_len = (size_t)got;
                        return SMT_OK;
                }
                if (got == 0) {
                        stream->is_peer_closed = true;
                        return SMT_ERR(err, SMT_EIO, NET_TLCP_STREAM_END);
                }
                if (errno == EINTR && net_tlcp_stream_is_cancelled(stream))
                        return SMT_ERR(err, SMT_EIO, "interrupted");
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        TRY(net_tlcp_stream_wait(stream, POLLIN, deadline, err));
                else if (errno != EINTR)
                        return net_tlcp_stream_socket_error(stream, "recv", errno, err);
        }
}

/* net_tlcp_stream_feed gives the connection the bytes it asked for, reading the socket when none wait. */
static int net_tlcp_stream_feed(struct net_tlcp_stream *stream, int64_t deadline, struct err *err)
{
        if (stream->input_len == 0)
                TRY(net_tlcp_stream_receive(stream, deadline, err));
        size_t consumed = 0;
        TRY(tlcp_conn_put_input(stream->conn, stream->input + stream->input_start, stream->input_len, &consumed, err));
        if (consumed == 0)
                return SMT_ERR(err, SMT_EINTERNAL, "the TLCP connection asked for input but took none of %zu bytes",
                               stream->input_len);
        stream->input_start += consumed;
        stream->input_len -= consumed;
        return SMT_OK;
}

/* net_tlcp_stream_flush_alert sends what a failed connection queued (its alert), briefly and quietly. */
static void net_tlcp_stream_flush_alert(struct net_tlcp_stream *stream)
{
        struct err ignored = {0};
        if (stream->conn != NULL && stream->fd >= 0 && !stream->is_peer_closed)
                (void)net_tlcp_stream_flush(stream, net_tlcp_stream_deadline(NET_TLCP_STREAM_LINGER_MS), &ignored);
}

static int net_tlcp_stream_fail(struct net_tlcp_stream *stream, struct err *err)
{
        net_tlcp_stream_flush_alert(stream);
        return err_prefix(err, "%s", stream->peer);
}

static void net_tlcp_stream_set_options(int fd)
{
        int one = 1;
        /* Handshake flights are small and answered at once: do not let Nagle hold them back. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* net_tlcp_stream_connect_one tries one resolved address; on failure the socket is closed. */
static int net_tlcp_stream_connect_one(struct net_tlcp_stream *stream, const struct addrinfo *ai, int timeout_ms,
                                       struct err *err)
{
        net_address_format_sockaddr(stream->peer_address, ai->ai_addr, ai->ai_addrlen);
        stream->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (stream->fd < 0)
                return SMT_ERR(err, SMT_EIO, "socket: %s", strerror(errno));
        int status = SMT_OK;
        /* A non-blocking connect (or one a signal interrupted) goes on in the background: wait for it. */
        if (connect(stream->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
                if (errno == EINPROGRESS || errno == EINTR)
                        status = net_tlcp_stream_wait(stream, POLLOUT, net_tlcp_stream_deadline(timeout_ms), err);
                else
                        status = SMT_ERR(err, SMT_EIO, "%s", strerror(errno));
                int error = 0;
                socklen_t error_len = sizeof error;
                if (status == SMT_OK && getsockopt(stream->fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0)
                        error = errno;
                if (status == SMT_OK && error != 0)
                        status = SMT_ERR(err, SMT_EIO, "%s", strerror(error));
        }
        if (status < 0) {
                close(stream->fd);
                stream->fd = -1;
                return err_prefix(err, "connect to %s", stream->peer_address);
        }
        net_tlcp_stream_set_options(stream->fd);
        return SMT_OK;
}

int net_tlcp_stream_connect(struct net_tlcp_stream *stream, const struct net_address *address, int timeout_ms,
                            struct err *err)
{
        net_address_format(stream->peer, address);
        struct addrinfo *list = NULL;
        int status = net_address_resolve(&list, address, false, err);
        if (status < 0)
                return status; /* the message already names the address */
        status = SMT_ERR(err, SMT_EIO, "no address to connect to");
        for (const struct addrinfo *ai = list; ai != NULL && status < 0; ai = ai->ai_next) {
                if (net_tlcp_stream_is_cancelled(stream))
                        break;
                status = net_tlcp_stream_connect_one(stream, ai, timeout_ms, err);
        }
        net_address_free_list(list);
        return status < 0 ? err_prefix(err, "%s", stream->peer) : SMT_OK;
}

int net_tlcp_stream_attach(struct net_tlcp_stream *stream, int fd, const struct sockaddr *sa, socklen_t sa_len,
                           struct err *err)
{
        stream->fd = fd;
        net_address_format_sockaddr(stream->peer, sa, sa_len);
        memcpy(stream->peer_address, stream->peer, sizeof stream->peer);
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return SMT_ERR(err, SMT_EIO, "%s: fcntl O_NONBLOCK: %s", stream->peer, strerror(errno));
        net_tlcp_stream_set_options(fd);
        return SMT_OK;
}

int net_tlcp_stream_start(struct net_tlcp_stream *stream, const struct tlcp_config *config, struct err *err)
{
        if (stream->conn != NULL)
                return SMT_ERR(err, SMT_EINVAL, "%s: the TLCP connection is already started", stream->peer);
        int status = tlcp_conn_new(&stream->conn, config, err);
        return status < 0 ? err_prefix(err, "%s", stream->peer) : SMT_OK;
}

/* net_tlcp_stream_explain adds what the socket saw to a failed handshake's message: the peer's alert by
 * name, or that the peer hung up without one. */
static void net_tlcp_stream_explain(struct net_tlcp_stream *stream, int status, struct err *err)
{
        char message[sizeof err->msg];
        snprintf(message, sizeof message, "%s", err->msg);
        int alert = tlcp_conn_get_alert_received(stream->conn);
        if (status == SMT_EIO && stream->is_peer_closed && strcmp(message, NET_TLCP_STREAM_END) == 0)
                (void)SMT_ERR(err, SMT_EIO, "the peer closed the connection during the handshake");
        else if (status == SMT_EIO && stream->is_peer_closed)
                (void)SMT_ERR(err, SMT_EIO, "the peer closed the connection during the handshake (%s)", message);
        else if (alert >= 0 && strstr(message, tlcp_alert_description_name((uint8_t)alert)) == NULL)
                (void)SMT_ERR(err, status, "%s (the peer sent alert %s)", message,
                              tlcp_alert_description_name((uint8_t)alert));
}

int net_tlcp_stream_handshake(struct net_tlcp_stream *stream, struct err *err)
{
        if (stream->conn == NULL || stream->fd < 0)
                return SMT_ERR(err, SMT_EINVAL, "%s: handshake before connect and start", stream->peer);
        int64_t deadline = net_tlcp_stream_deadline(stream->timeout_ms);
        int status;
        while ((status = tlcp_conn_handshake(stream->conn, err)) == SMT_EAGAIN) {
                status = net_tlcp_stream_flush(stream, deadline, err);
                if (status == SMT_OK)
                        status = net_tlcp_stream_feed(stream, deadline, err);
                if (status < 0)
                        break;
        }
        if (status == SMT_OK)
                status = net_tlcp_stream_flush(stream, deadline, err);
        if (status < 0) {
                net_tlcp_stream_explain(stream, status, err);
                return net_tlcp_stream_fail(stream, err);
        }
        stream->is_established = true;
        return SMT_OK;
}

int net_tlcp_stream_read(struct net_tlcp_stream *stream, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        if (!stream->is_established)
                return SMT_ERR(err, SMT_EINVAL, "%s: read before the handshake", stream->peer);
        int64_t deadline = net_tlcp_stream_deadline(stream->timeout_ms);
        for (;;) {
                *len = 0;
                int status = tlcp_conn_read(stream->conn, buf, cap, len, err);
                if (status == SMT_OK && *len > 0)
                        return SMT_OK;
                if (status == TLCP_ECLOSED)
                        return err_prefix(err, "%s", stream->peer);
                if (status != SMT_OK && status != SMT_EAGAIN)
                        return net_tlcp_stream_fail(stream, err);
                status = net_tlcp_stream_flush(stream, deadline, err);
                if (status == SMT_OK)
                        status = net_tlcp_stream_feed(stream, deadline, err);
                if (status == SMT_EIO && stream->is_peer_closed)
                        (void)SMT_ERR(err, SMT_EIO,
                                      "the peer closed the connection without close_notify "
                                      "(the data may be truncated)");
                if (status < 0)
                        return net_tlcp_stream_fail(stream, err);
        }
}

int net_tlcp_stream_write_all(struct net_tlcp_stream *stream, const uint8_t *data, size_t len, struct err *err)
{
        if (!stream->is_established)
                return SMT_ERR(err, SMT_EINVAL, "%s: write before the handshake", stream->peer);
        struct buf_reader rest = buf_reader_make(data, len);
        while (!buf_reader_is_empty(&rest)) {
                struct buf_reader slice;
                size_t slice_len = rest.len < NET_TLCP_STREAM_WRITE_SLICE ? rest.len : NET_TLCP_STREAM_WRITE_SLICE;
                if (buf_read_slice(&rest, &slice, slice_len) < 0)
                        return SMT_ERR(err, SMT_EINTERNAL, "%s: write slice", stream->peer);
                int status = tlcp_conn_write(stream->conn, slice.data, slice.len, err);
                if (status == SMT_OK)
                        status = net_tlcp_stream_flush(stream, net_tlcp_stream_deadline(stream->timeout_ms), err);
                if (status < 0)
                        return net_tlcp_stream_fail(stream, err);
        }
        return SMT_OK;
}

/* net_tlcp_stream_linger reads and drops what the peer still sends until it closes, for a short while. */
static void net_tlcp_stream_linger(struct net_tlcp_stream *stream)
{
        uint8_t scratch[4096];
        struct err ignored = {0};
        int64_t deadline = net_tlcp_stream_deadline(NET_TLCP_STREAM_LINGER_MS);
        for (;;) {
                ssize_t got = recv(stream->fd, scratch, sizeof scratch, 0);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                        return;
                if (got < 0 && errno == EINTR && net_tlcp_stream_is_cancelled(stream))
                        return;
                if (got < 0 && errno != EINTR && net_tlcp_stream_wait(stream, POLLIN, deadline, &ignored) < 0)
                        return;
        }
}

void net_tlcp_stream_close(struct net_tlcp_stream *stream)
{
        if (stream->fd >= 0) {
                struct err ignored = {0};
                if (stream->is_established && !stream->is_peer_closed &&
                    tlcp_conn_close(stream->conn, &ignored) == SMT_OK)
                        net_tlcp_stream_flush_alert(stream);
                if (!stream->is_peer_closed) {
                        (void)shutdown(stream->fd, SHUT_WR);
                        net_tlcp_stream_linger(stream);
                }
                close(stream->fd);
        }
        tlcp_conn_free(stream->conn);
        stream->fd = -1;
        stream->conn = NULL;
        stream->is_established = false;
        stream->input_start = 0;
        stream->input_len = 0;
}
