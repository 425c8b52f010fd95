/* src/net/secure_stream.h: one byte-pump interface over the two secure back ends of the shared port,
 * tlcp/conn.h (TLCP, GB/T 38636-2020) and net/tls_conn.h (TLS 1.2/1.3 over OpenSSL), so the gateway moves
 * bytes and application data without caring which one the client chose. The operations and status codes
 * are those of tlcp/conn.h (SMT_EAGAIN, TLCP_ECLOSED, handshake failures with the alert queued). */
#ifndef SMT_NET_SECURE_STREAM_H
#define SMT_NET_SECURE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "net/tls_conn.h"
#include "tlcp/conn.h"

enum net_secure_stream_kind {
        NET_SECURE_STREAM_TLCP = 1,
        NET_SECURE_STREAM_TLS = 2,
};

struct net_secure_stream;

/* net_secure_stream_new_tlcp / _new_tls wrap a new back-end connection (config borrowed, as by it). */
int net_secure_stream_new_tlcp(struct net_secure_stream **out, const struct tlcp_config *config,
                               struct err *err) SMT_MUST_USE;
int net_secure_stream_new_tls(struct net_secure_stream **out, const struct net_tls_config *config,
                              struct err *err) SMT_MUST_USE;

/* net_secure_stream_new_for_client_hello sniffs the client's first bytes (net/sniff.h, not consumed: put
 * them with net_secure_stream_put_input next) and makes the matching back end. SMT_EAGAIN when more bytes
 * are needed to tell; SMT_EDECODE for plain HTTP, anything unknown, or a protocol whose config is NULL
 * (the port does not serve it). */
int net_secure_stream_new_for_client_hello(struct net_secure_stream **out, const uint8_t *first, size_t len,
                                           const struct tlcp_config *tlcp, const struct net_tls_config *tls,
                                           struct err *err) SMT_MUST_USE;

void net_secure_stream_free(struct net_secure_stream *stream);

enum net_secure_stream_kind net_secure_stream_get_kind(const struct net_secure_stream *stream);

/* The byte pump; see tlcp/conn.h for each operation's contract. */
int net_secure_stream_put_input(struct net_secure_stream *stream, const uint8_t *data, size_t len, size_t *consumed,
                                struct err *err) SMT_MUST_USE;
size_t net_secure_stream_peek_output(struct net_secure_stream *stream, const uint8_t **data);
void net_secure_stream_consume_output(struct net_secure_stream *stream, size_t len);
int net_secure_stream_handshake(struct net_secure_stream *stream, struct err *err) SMT_MUST_USE;
int net_secure_stream_read(struct net_secure_stream *stream, uint8_t *buf, size_t cap, size_t *len,
                           struct err *err) SMT_MUST_USE;
int net_secure_stream_write(struct net_secure_stream *stream, const uint8_t *data, size_t len,
                            struct err *err) SMT_MUST_USE;
int net_secure_stream_close(struct net_secure_stream *stream, struct err *err) SMT_MUST_USE;

/* Facts after the handshake: "TLCP" or "TLSv1.2"/"TLSv1.3"; the suite (GB/T name for TLCP, OpenSSL's for
 * TLS; "" before a suite is chosen); the client's SNI (NULL if none). */
const char *net_secure_stream_get_protocol(const struct net_secure_stream *stream);
const char *net_secure_stream_get_cipher(const struct net_secure_stream *stream);
const char *net_secure_stream_get_server_name(const struct net_secure_stream *stream);

/* net_secure_stream_get_certificate_alg: "SM2" for TLCP, else as net_tls_conn_get_certificate_alg ("ECDSA",
 * "RSA", "" before the handshake). net_secure_stream_is_resumed: the session was resumed (a TLCP session
 * ID, a TLS ticket). */
const char *net_secure_stream_get_certificate_alg(const struct net_secure_stream *stream);
bool net_secure_stream_is_resumed(const struct net_secure_stream *stream);

/* net_secure_stream_is_acme: the finished handshake was a tls-alpn-01 validation (net_tls_conn_is_acme;
 * never for TLCP): close without reading a request. */
bool net_secure_stream_is_acme(const struct net_secure_stream *stream);

#endif
