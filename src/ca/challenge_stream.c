/* src/ca/challenge_stream.c: the outbound connections of a validation: non-blocking TCP connects and
 * TLS handshakes, reads and writes, each wait a poll() that ends at the validation's deadline.
 * Writes to a peer that closed raise SIGPIPE unless the process ignores it, as servers do. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ca/challenge_internal.h"
#include "net/socket.h"

int ca_challenge_wait_fd(struct ca_challenge_run *run, int fd, short events, const char *what, struct err *err)
{
        for (;;) {
                int left = ca_challenge_remaining_ms(run);
                if (left == 0)
                        return ca_challenge_timed_out(run, err, what);
                struct pollfd pfd = {.fd = fd, .events = events};
                int ready = poll(&pfd, 1, left);
                if (ready > 0)
                        return SMT_OK;
                if (ready < 0 && errno != EINTR)
                        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "%s: poll: %s", what,
                                                 strerror(errno));
        }
}

/* One address: SMT_EIO (refused, unreachable: try the next) or a validation failure (time is up). */
static int ca_challenge_connect_one(struct ca_challenge_run *run, struct ca_challenge_stream *stream,
                                    const struct sockaddr *sa, socklen_t sa_len, struct err *err)
{
        net_address_format_sockaddr(stream->peer, sa, sa_len);
        int status = net_socket_connect(&stream->fd, sa, sa_len, err);
        if (status != SMT_EAGAIN)
                return status;
        char what[NET_ADDRESS_TEXT_MAX + 16];
        snprintf(what, sizeof what, "connect %s", stream->peer);
        status = ca_challenge_wait_fd(run, stream->fd, POLLOUT, what, err);
        if (status == 0) {
                int so_error = 0;
                socklen_t len = sizeof so_error;
                if (getsockopt(stream->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
                        so_error = errno;
                if (so_error == 0)
                        return SMT_OK;
                status = SMT_ERR(err, SMT_EIO, "%s: %s", what, strerror(so_error));
        }
        close(stream->fd);
        stream->fd = -1;
        return status;
}

int ca_challenge_stream_connect_to(struct ca_challenge_run *run, struct ca_challenge_stream *stream,
                                   const struct ca_challenge_addresses *addresses, struct err *err)
{
        *stream = (struct ca_challenge_stream){.fd = -1};
        int status = SMT_EIO;
        for (size_t i = 0; i < addresses->num && status == SMT_EIO; i++)
                status = ca_challenge_connect_one(run, stream, (const struct sockaddr *)&addresses->items[i],
                                                  addresses->lens[i], err);
        if (status == SMT_EIO)
                return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "%s", err->msg);
        return status;
}

int ca_challenge_stream_connect(struct ca_challenge_run *run, struct ca_challenge_stream *stream, const char *host,
                                uint16_t port, struct err *err)
{
        struct ca_challenge_addresses addresses;
        *stream = (struct ca_challenge_stream){.fd = -1};
        TRY(ca_challenge_resolve_addresses(run, &addresses, host, port, err));
        return ca_challenge_stream_connect_to(run, stream, &addresses, err);
}

/* After an SSL call returned ret: 0 when it asked to wait and the wait ended, else a failure. */
static int ca_challenge_ssl_wait(struct ca_challenge_run *run, struct ca_challenge_stream *stream, int ret,
                                 const char *what, struct err *err)
{
        int code = SSL_get_error(stream->ssl, ret);
        if (code == SSL_ERROR_WANT_READ)
                return ca_challenge_wait_fd(run, stream->fd, POLLIN, what, err);
        if (code == SSL_ERROR_WANT_WRITE)
                return ca_challenge_wait_fd(run, stream->fd, POLLOUT, what, err);
        unsigned long error = ERR_peek_last_error();
        if (error != 0) {
                char reason[160];
                ERR_error_string_n(error, reason, sizeof reason);
                ERR_clear_error();
                return ca_challenge_fail(run, err, CA_PROBLEM_TLS, "%s with %s: %s", what, stream->peer, reason);
        }
        if (code == SSL_ERROR_SYSCALL && errno != 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "%s with %s: %s", what, stream->peer,
                                         strerror(errno));
        return ca_challenge_fail(run, err, CA_PROBLEM_TLS, "%s with %s: the peer closed the connection", what,
                                 stream->peer);
}

static int ca_challenge_tls_setup(struct ca_challenge_stream *stream, const char *sni, const uint8_t *alpn,
                                  size_t alpn_len, struct err *err)
{
        stream->ctx = SSL_CTX_new(TLS_client_method());
        if (stream->ctx == NULL || SSL_CTX_set_min_proto_version(stream->ctx, TLS1_2_VERSION) != 1)
                return SMT_ERR(err, SMT_EINTERNAL, "TLS client context: %s", ERR_reason_error_string(ERR_get_error()));
        /* RFC 8555 8.3 (https redirects) and RFC 8737 3: the certificate is examined, not verified. */
        SSL_CTX_set_verify(stream->ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_options(stream->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
        stream->ssl = SSL_new(stream->ctx);
        if (stream->ssl == NULL || SSL_set_fd(stream->ssl, stream->fd) != 1)
                return SMT_ERR(err, SMT_EINTERNAL, "TLS connection: %s", ERR_reason_error_string(ERR_get_error()));
        if (sni != NULL && SSL_set_tlsext_host_name(stream->ssl, sni) != 1)
                return SMT_ERR(err, SMT_EINVAL, "TLS: server name \"%.64s\" refused", sni);
        if (alpn != NULL && SSL_set_alpn_protos(stream->ssl, alpn, (unsigned)alpn_len) != 0)
                return SMT_ERR(err, SMT_EINTERNAL, "TLS: ALPN list refused");
        return SMT_OK;
}

int ca_challenge_stream_start_tls(struct ca_challenge_run *run, struct ca_challenge_stream *stream, const char *sni,
                                  const uint8_t *alpn, size_t alpn_len, struct err *err)
{
        ERR_clear_error();
        TRY(ca_challenge_tls_setup(stream, sni, alpn, alpn_len, err));
        for (;;) {
                errno = 0;
                int ret = SSL_connect(stream->ssl);
                if (ret == 1)
                        return SMT_OK;
                TRY(ca_challenge_ssl_wait(run, stream, ret, "TLS handshake", err));
        }
}

static int ca_challenge_plain_write(struct ca_challenge_run *run, struct ca_challenge_stream *stream,
                                    const uint8_t *data, size_t len, struct err *err)
{
        for (size_t done = 0; done < len;) {
                ssize_t sent = send(stream->fd, data + done, len - done, MSG_NOSIGNAL);
                if (sent > 0) {
                        done += (size_t)sent;
                        continue;
                }
                if (sent < 0 && errno != EAGAIN && errno != EINTR)
                        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "send to %s: %s", stream->peer,
                                                 strerror(errno));
                TRY(ca_challenge_wait_fd(run, stream->fd, POLLOUT, "sending the request", err));
        }
        return SMT_OK;
}

int ca_challenge_stream_write(struct ca_challenge_run *run, struct ca_challenge_stream *stream, const uint8_t *data,
                              size_t len, struct err *err)
{
        if (stream->ssl == NULL)
                return ca_challenge_plain_write(run, stream, data, len, err);
        for (size_t done = 0; done < len;) {
                size_t sent = 0;
                errno = 0;
                int ret = SSL_write_ex(stream->ssl, data + done, len - done, &sent);
                if (ret == 1)
                        done += sent;
                else
                        TRY(ca_challenge_ssl_wait(run, stream, ret, "TLS write", err));
        }
        return SMT_OK;
}

static int ca_challenge_plain_read(struct ca_challenge_run *run, struct ca_challenge_stream *stream, uint8_t *buf,
                                   size_t cap, size_t *got, struct err *err)
{
        for (;;) {
                ssize_t n = recv(stream->fd, buf, cap, 0);
                if (n >= 0) {
                        *got = (size_t)n;
                        return SMT_OK;
                }
                if (errno != EAGAIN && errno != EINTR)
                        return ca_challenge_fail(run, err, CA_PROBLEM_CONNECTION, "receive from %s: %s", stream->peer,
                                                 strerror(errno));
                TRY(ca_challenge_wait_fd(run, stream->fd, POLLIN, "waiting for the answer", err));
        }
}

int ca_challenge_stream_read(struct ca_challenge_run *run, struct ca_challenge_stream *stream, uint8_t *buf, size_t cap,
                             size_t *got, struct err *err)
{
        *got = 0;
        if (stream->ssl == NULL)
                return ca_challenge_plain_read(run, stream, buf, cap, got, err);
        for (;;) {
                errno = 0;
                int ret = SSL_read_ex(stream->ssl, buf, cap, got);
                if (ret == 1 || SSL_get_error(stream->ssl, ret) == SSL_ERROR_ZERO_RETURN)
                        return SMT_OK;
                TRY(ca_challenge_ssl_wait(run, stream, ret, "TLS read", err));
        }
}

void ca_challenge_stream_close(struct ca_challenge_stream *stream)
{
        SSL_free(stream->ssl);
        SSL_CTX_free(stream->ctx);
        if (stream->fd >= 0)
                close(stream->fd);
        *stream = (struct ca_challenge_stream){.fd = -1};
}
