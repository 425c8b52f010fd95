/* bench/gateway_load.h: `smtrust bench load`, an HTTPS load generator over TLS (OpenSSL) or TLCP (tlcp/conn.h)
 * for bench/gateway-vs-nginx: one epoll loop (net/loop.h) drives every connection, so on a small machine the
 * client takes one core and leaves the rest to the server it measures.
 *
 * Connections either stay open and send GET after GET (keep-alive), or each request gets a new connection
 * and a full handshake (no session is ever offered again). A response counts when it is whole: the head
 * parsed by http/parser.h, then its body by the framing the head gives (Content-Length or chunked). Anything
 * else (a refused connection, a failed handshake, a malformed or truncated response, a status other than
 * 2xx/3xx) is an error, and the connection starts over after a short pause.
 *
 * The secure channel of one connection is below: the same calls over TLS and TLCP on a non-blocking socket,
 * each returning 0, SMT_EAGAIN with *want saying which readiness to wait for, or a failure. */
#ifndef SMT_BENCH_GATEWAY_LOAD_H
#define SMT_BENCH_GATEWAY_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "http/parser.h"

/* bench_gateway_load_main runs `smtrust bench load` (argv[0] is "load") and returns the exit status. */
int bench_gateway_load_main(int argc, char **argv);

enum bench_gateway_load_protocol {
        BENCH_GATEWAY_LOAD_TLS = 1,  /* TLS 1.2 or 1.3, whichever the server picks */
        BENCH_GATEWAY_LOAD_TLCP = 2, /* GB/T 38636 ECC suites (no client certificate) */
};

/* What to wait for before calling again after SMT_EAGAIN (the net/loop.h interest bits). */
enum bench_gateway_load_want {
        BENCH_GATEWAY_LOAD_WANT_READ = 1,
        BENCH_GATEWAY_LOAD_WANT_WRITE = 2,
};

struct bench_gateway_load_client_config {
        enum bench_gateway_load_protocol protocol;
        const char *server_name; /* SNI and the name checked in the certificate; NULL for an IP literal */
        const char *cafile;      /* trusted roots (PEM); NULL: the server's certificates are not verified */
};

struct bench_gateway_load_client;  /* what every connection shares: OpenSSL's SSL_CTX, or the TLCP config */
struct bench_gateway_load_channel; /* one connection's TLS or TLCP state over its socket */

/* bench_gateway_load_client_new prepares config's protocol (config is copied); free with _client_free. */
int bench_gateway_load_client_new(struct bench_gateway_load_client **out,
                                  const struct bench_gateway_load_client_config *config, struct err *err) SMT_MUST_USE;
void bench_gateway_load_client_free(struct bench_gateway_load_client *client);

/* bench_gateway_load_channel_new starts a client handshake over fd, a connected non-blocking socket that
 * stays the caller's (close it after _channel_free). */
int bench_gateway_load_channel_new(struct bench_gateway_load_channel **out, struct bench_gateway_load_client *client,
                                   int fd, struct err *err) SMT_MUST_USE;
void bench_gateway_load_channel_free(struct bench_gateway_load_channel *channel);

/* bench_gateway_load_channel_handshake advances the handshake: 0 once it is complete; SMT_EIO when the server
 * closed the connection, which only _read reports as TLCP_ECLOSED. */
int bench_gateway_load_channel_handshake(struct bench_gateway_load_channel *channel, unsigned *want,
                                         struct err *err) SMT_MUST_USE;

/* bench_gateway_load_channel_write sends all len bytes; after SMT_EAGAIN call it again with the same bytes. */
int bench_gateway_load_channel_write(struct bench_gateway_load_channel *channel, const uint8_t *data, size_t len,
                                     unsigned *want, struct err *err) SMT_MUST_USE;

/* bench_gateway_load_channel_read copies up to cap bytes of application data to buf (*len > 0), SMT_EAGAIN
 * when none has arrived, or TLCP_ECLOSED when the server closed the connection (with or without close_notify). */
int bench_gateway_load_channel_read(struct bench_gateway_load_channel *channel, uint8_t *buf, size_t cap, size_t *len,
                                    unsigned *want, struct err *err) SMT_MUST_USE;

/* bench_gateway_load_channel_describe writes what was negotiated ("TLSv1.3 TLS_AES_256_GCM_SHA384",
 * "TLCP ECC_SM4_GCM_SM3") to out, for the report. */
void bench_gateway_load_channel_describe(const struct bench_gateway_load_channel *channel, char *out, size_t cap);

/* struct bench_gateway_load_response: one response read as its bytes arrive (gateway_load_response.c). */
struct bench_gateway_load_response {
        struct http_parser parser;
        struct http_parser_body body;
        struct http_head *head;    /* borrowed scratch: one head is parsed at a time per loop */
        struct buf_writer pending; /* an unfinished head or chunk line, kept for the next read */
        bool has_head;
        bool is_keep_alive; /* the server lets the connection carry another request */
        int status;
};

/* Latency histogram: exact below 128 µs, then 64 buckets per power of two (1.6% wide) up to 2^40 µs. */
#define BENCH_GATEWAY_LOAD_LATENCY_BUCKETS (128 + 34 * 64)

struct bench_gateway_load_latency {
        uint64_t counts[BENCH_GATEWAY_LOAD_LATENCY_BUCKETS];
        uint64_t total;
};

/* bench_gateway_load_latency_add counts one response that took micros µs. */
void bench_gateway_load_latency_add(struct bench_gateway_load_latency *latency, uint64_t micros);

/* bench_gateway_load_latency_percentile returns the latency (µs, a bucket's lower bound) within which
 * fraction (0..1) of the responses came, or 0 when none was counted. */
double bench_gateway_load_latency_percentile(const struct bench_gateway_load_latency *latency, double fraction);

/* bench_gateway_load_response_init prepares response, parsing heads into head (borrowed, may be shared by
 * responses read one at a time); release with _response_cleanup. */
void bench_gateway_load_response_init(struct bench_gateway_load_response *response, struct http_head *head);
void bench_gateway_load_response_cleanup(struct bench_gateway_load_response *response);

/* bench_gateway_load_response_start forgets the last response, before a GET is sent. */
int bench_gateway_load_response_start(struct bench_gateway_load_response *response, struct err *err) SMT_MUST_USE;

/* bench_gateway_load_response_take adds len received bytes; *is_complete once the response is whole.
 * Failures: http/parser.h's refusals, SMT_EDECODE for bytes after the response (nothing is pipelined). */
int bench_gateway_load_response_take(struct bench_gateway_load_response *response, const uint8_t *data, size_t len,
                                     bool *is_complete, struct err *err) SMT_MUST_USE;

/* bench_gateway_load_response_end says the connection closed: 0 when that completes the response (a body
 * delimited by the end of the connection), else SMT_EIO or SMT_ETRUNCATED. */
int bench_gateway_load_response_end(struct bench_gateway_load_response *response, struct err *err) SMT_MUST_USE;

#endif
