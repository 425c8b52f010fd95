/* src/net/ssl_pipe.h: an OpenSSL connection that reads and writes memory, not a socket: the plumbing
 * shared by the TLS server and client byte pumps (net/tls_conn.h, net/tls_client.h). Bytes from the peer
 * go into the input BIO, bytes OpenSSL writes for the peer wait in the output BIO until the caller has
 * sent them. */
#ifndef SMT_NET_SSL_PIPE_H
#define SMT_NET_SSL_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ssl_st;
struct ssl_ctx_st;
struct bio_st;

struct net_ssl_pipe {
        struct ssl_st *ssl;
        struct bio_st *in;  /* bytes from the peer, read by OpenSSL */
        struct bio_st *out; /* bytes OpenSSL wrote for the peer */
};

/* net_ssl_pipe_open makes pipe->ssl on ctx with both memory BIOs (an empty input means "wait", not end
 * of stream) and OpenSSL's record buffers released while idle (about 34 KiB a connection, as nginx sets). */
int net_ssl_pipe_open(struct net_ssl_pipe *pipe, struct ssl_ctx_st *ctx, struct err *err) SMT_MUST_USE;

/* net_ssl_pipe_close frees the SSL and both BIOs (a zeroed pipe is fine). */
void net_ssl_pipe_close(struct net_ssl_pipe *pipe);

/* net_ssl_pipe_put_input buffers all len bytes (*consumed = len), or none (SMT_EAGAIN) while more than
 * max_pending bytes wait unprocessed. */
int net_ssl_pipe_put_input(struct net_ssl_pipe *pipe, const uint8_t *data, size_t len, size_t max_pending,
                           size_t *consumed, struct err *err) SMT_MUST_USE;

/* net_ssl_pipe_peek_output points *data at the bytes waiting for the peer and returns their number;
 * net_ssl_pipe_consume_output drops the first len once sent. */
size_t net_ssl_pipe_peek_output(struct net_ssl_pipe *pipe, const uint8_t **data);
void net_ssl_pipe_consume_output(struct net_ssl_pipe *pipe, size_t len);

/* The SSL calls, each 0 or a status: SMT_EAGAIN (needs input, after the output is sent), TLCP_ECLOSED (the
 * peer sent close_notify), TLCP_EHANDSHAKE_FAILURE (the handshake failed; OpenSSL queued its alert in the
 * output), CRYPTO_EOPENSSL (anything else). The same codes as tlcp/conn.h, so callers drive TLS and TLCP
 * alike. net_ssl_pipe_write seals all len bytes; net_ssl_pipe_shutdown queues close_notify. */
int net_ssl_pipe_handshake(struct net_ssl_pipe *pipe, struct err *err) SMT_MUST_USE;
int net_ssl_pipe_read(struct net_ssl_pipe *pipe, uint8_t *buf, size_t cap, size_t *len, struct err *err) SMT_MUST_USE;
int net_ssl_pipe_write(struct net_ssl_pipe *pipe, const uint8_t *data, size_t len, struct err *err) SMT_MUST_USE;
int net_ssl_pipe_shutdown(struct net_ssl_pipe *pipe, struct err *err) SMT_MUST_USE;

#endif
