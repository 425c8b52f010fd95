/* bench/tls_peer.h: OpenSSL TLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256, P-256) in memory, the peer figure
 * for `smtrust bench tlcp`. */
#ifndef SMT_BENCH_TLS_PEER_H
#define SMT_BENCH_TLS_PEER_H

#include "base/err.h"

struct bench_tls_peer;

/* bench_tls_peer_new makes a key, a certificate, both contexts, one connected pair and a session. */
int bench_tls_peer_new(struct bench_tls_peer **out, struct err *err) SMT_MUST_USE;
void bench_tls_peer_free(struct bench_tls_peer *peer);

/* One full handshake, one resumed handshake, one 16 KiB record through the connected pair (bench_step_fn). */
int bench_tls_peer_full(void *arg, struct err *err);
int bench_tls_peer_resumed(void *arg, struct err *err);
int bench_tls_peer_bulk(void *arg, struct err *err);

/* bench_tls_peer_server_cpu_us: the server's CPU time per full handshake run by bench_tls_peer_full so far
 * (SSL_new, every SSL_do_handshake, SSL_free), in microseconds. */
double bench_tls_peer_server_cpu_us(const struct bench_tls_peer *peer);

#endif
