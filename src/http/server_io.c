/* src/http/server_io.c: see server_internal.h. Reads and writes on a non-blocking socket, plain or
 * through OpenSSL, where every wait is a poll() with a deadline: no call can block past it, whatever
 * the client does (SO_RCVTIMEO would restart with each byte a slow client sends, and OpenSSL may need
 * to write while reading). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "http/server_internal.h"

int64_t http_server_io_now_ms(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int http_server_io_wait(struct http_server_conn *conn, short events, int64_t deadline, bool watch_stop, struct err *err)
{
        struct pollfd fds[2] = {
            {.fd = conn->fd, .events = events},
            {.fd = conn->server->wake_fd, .events = POLLIN},
        };
        for (;;) {
                int64_t left = deadline - http_server_io_now_ms();
                if (left <= 0)
                        return HTTP_SERVER_TIMEOUT;
                int ready = poll(fds, watch_stop ? 2 : 1, left > 60000 ? 60000 : (int)left);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready < 0)
                        return SMT_ERR(err, SMT_EIO, "http server: poll: %s", strerror(errno));
                if (watch_stop && fds[1].revents != 0)
                        return HTTP_SERVER_STOPPED;
                if (ready > 0)
                        return HTTP_SERVER_READY; /* POLLERR and POLLHUP too: the next call reports them */
        }
}

/* http_server_io_await maps a wait's outcome for the read and write loops: 0 to try again, else the
 * status they return (0 for stop means "closed" to a read). */
static int http_server_io_await(struct http_server_conn *conn, short events, int64_t deadline, bool watch_stop,
                                bool *done, struct err *err)
{
        int waited = http_server_io_wait(conn, events, deadline, watch_stop, err);
        *done = true;
        if (waited == HTTP_SERVER_TIMEOUT)
                return SMT_EAGAIN;
        if (waited == HTTP_SERVER_STOPPED)
                return 0;
        if (waited < 0)
                return waited;
        *done = false;
        return 0;
}

/* http_server_io_read_once tries one read into the room left in conn->in: bytes (> 0), 0 at the peer's
 * close, SMT_EAGAIN with *events set to what to wait for, SMT_EIO. */
static int http_server_io_read_once(struct http_server_conn *conn, short *events, struct err *err)
{
        uint8_t *room = conn->in.data + conn->in.len;
        size_t room_len = conn->in.cap - conn->in.len;
        *events = POLLIN;
        if (conn->ssl == NULL) {
                ssize_t got = recv(conn->fd, room, room_len, 0);
                if (got >= 0)
                        return (int)got;
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                        return SMT_EAGAIN;
                return SMT_ERR(err, SMT_EIO, "http server: recv from %s: %s", conn->remote_addr, strerror(errno));
        }
        int got = SSL_read(conn->ssl, room, room_len > INT32_MAX ? INT32_MAX : (int)room_len);
        if (got > 0)
                return got;
        switch (SSL_get_error(conn->ssl, got)) {
        case SSL_ERROR_WANT_READ:
                return SMT_EAGAIN;
        case SSL_ERROR_WANT_WRITE:
                *events = POLLOUT;
                return SMT_EAGAIN;
        case SSL_ERROR_ZERO_RETURN:
                return 0;
        default:
                ERR_clear_error();
                return SMT_ERR(err, SMT_EIO, "http server: TLS read from %s failed", conn->remote_addr);
        }
}

int http_server_io_read(struct http_server_conn *conn, int64_t deadline, bool watch_stop, struct err *err)
{
        if (conn->in.len >= conn->in.cap)
                return SMT_ERR(err, SMT_ENOSPACE, "http server: input buffer full");
        for (;;) {
                short events;
                int got = http_server_io_read_once(conn, &events, err);
                if (got != SMT_EAGAIN) {
                        if (got > 0)
                                conn->in.len += (size_t)got;
                        return got;
                }
                bool done;
                int status = http_server_io_await(conn, events, deadline, watch_stop, &done, err);
                if (done)
                        return status;
        }
}

/* http_server_io_write_once sends from data: bytes taken (> 0), SMT_EAGAIN with *events, SMT_EIO. */
static int http_server_io_write_once(struct http_server_conn *conn, const uint8_t *data, size_t len, short *events,
                                     struct err *err)
{
        *events = POLLOUT;
        if (conn->ssl == NULL) {
                ssize_t sent = send(conn->fd, data, len > INT32_MAX ? INT32_MAX : len, MSG_NOSIGNAL);
                if (sent >= 0)
                        return (int)sent;
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                        return SMT_EAGAIN;
                return SMT_ERR(err, SMT_EIO, "http server: send to %s: %s", conn->remote_addr, strerror(errno));
        }
        /* After WANT_*, OpenSSL wants the same call again: same data, same length (it is ours until done). */
        int sent = SSL_write(conn->ssl, data, len > INT32_MAX ? INT32_MAX : (int)len);
        if (sent > 0)
                return sent;
        switch (SSL_get_error(conn->ssl, sent)) {
        case SSL_ERROR_WANT_WRITE:
                return SMT_EAGAIN;
        case SSL_ERROR_WANT_READ:
                *events = POLLIN;
                return SMT_EAGAIN;
        default:
                ERR_clear_error();
                return SMT_ERR(err, SMT_EIO, "http server: TLS write to %s failed", conn->remote_addr);
        }
}

int http_server_io_write(struct http_server_conn *conn, const uint8_t *data, size_t len, int64_t deadline,
                         struct err *err)
{
        struct buf_reader rest = buf_reader_make(data, len);
        while (!buf_reader_is_empty(&rest)) {
                short events;
                int sent = http_server_io_write_once(conn, rest.data, rest.len, &events, err);
                if (sent > 0) {
                        TRY(buf_skip(&rest, (size_t)sent));
                        continue;
                }
                if (sent != SMT_EAGAIN)
                        return sent;
                bool done;
                int status = http_server_io_await(conn, events, deadline, false, &done, err);
                if (done)
                        return status;
        }
        return 0;
}

/* http_server_io_linger reads and drops what the client still sends until it closes, the linger time
 * passes or the server stops. */
static void http_server_io_linger(struct http_server_conn *conn)
{
        int64_t deadline = http_server_io_now_ms() + HTTP_SERVER_LINGER_MS;
        uint8_t drop[4096];
        for (;;) {
                ssize_t got = recv(conn->fd, drop, sizeof drop, 0);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                        return;
                if (got > 0)
                        continue;
                if (http_server_io_wait(conn, POLLIN, deadline, true, NULL) != HTTP_SERVER_READY)
                        return;
        }
}

void http_server_io_close(struct http_server_conn *conn)
{
        if (conn->ssl != NULL) {
                /* One call queues and tries to send our close_notify; the client's is not awaited (RFC 8446
                 * §6.1 allows closing the read side at once). */
                if (SSL_is_init_finished(conn->ssl))
                        SMT_IGNORE(SSL_shutdown(conn->ssl));
                ERR_clear_error();
                SSL_free(conn->ssl);
                conn->ssl = NULL;
        }
        if (conn->needs_linger) {
                shutdown(conn->fd, SHUT_WR); /* the client sees the end of our answer at once */
                http_server_io_linger(conn);
        }
        close(conn->fd);
        conn->fd = -1;
}
