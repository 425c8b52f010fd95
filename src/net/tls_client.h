/* src/net/tls_client.h: a TLS 1.2/1.3 client connection over OpenSSL as a byte pump (the shape of
 * net/tls_conn.h and tlcp/conn.h), for the gateway's connections to https:// origins.
 *
 * A struct net_tls_client_ctx holds what is shared by every connection to one origin (OpenSSL's SSL_CTX:
 * trust, verification mode, a cache of the origin's sessions for resumption); it is thread-safe once made,
 * so all worker threads use one per origin. Verification (net_tls_client_verify):
 *   OFF  any certificate: self-signed, expired, another name (the operator said so for this origin);
 *   ON   the chain must lead to trust (NULL: the system's default CA paths) and the leaf must match
 *        server_name (RFC 6125; an IP literal matches an iPAddress SAN);
 *   PIN  the SHA-256 of the leaf certificate's DER must be one of pins; chain and name are not checked
 *        (a pinned self-signed origin).
 * A verification failure ends the handshake with CRYPTO_ECERT_UNTRUSTED (or CRYPTO_ECERT_EXPIRED) naming
 * the origin and the reason; the matching alert is queued. Status codes otherwise as net/tls_conn.h:
 * SMT_EAGAIN (needs input), TLCP_EHANDSHAKE_FAILURE (the server refused, or a protocol failure),
 * TLCP_ECLOSED after close_notify, CRYPTO_EOPENSSL. */
#ifndef SMT_NET_TLS_CLIENT_H
#define SMT_NET_TLS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"

enum net_tls_client_verify {
        NET_TLS_CLIENT_VERIFY_OFF = 1,
        NET_TLS_CLIENT_VERIFY_ON = 2,
        NET_TLS_CLIENT_VERIFY_PIN = 3,
};

#define NET_TLS_CLIENT_PIN_LEN 32

struct net_tls_client_config {
        int verify;                      /* enum net_tls_client_verify */
        const struct cert_store *trust;  /* VERIFY_ON; NULL: system default paths (copied into the ctx) */
        const uint8_t (*pins)[NET_TLS_CLIENT_PIN_LEN]; /* VERIFY_PIN (copied) */
        size_t num_pins;
        const char *server_name; /* SNI (not sent for an IP literal) and the name checked (copied) */
};

struct net_tls_client_ctx;
struct net_tls_client;

/* net_tls_client_ctx_new prepares the shared part; SMT_EINVAL for VERIFY_PIN without pins or no
 * server_name. Free with net_tls_client_ctx_free once no connection uses it. */
int net_tls_client_ctx_new(struct net_tls_client_ctx **out, const struct net_tls_client_config *config,
                           struct err *err) SMT_MUST_USE;
void net_tls_client_ctx_free(struct net_tls_client_ctx *ctx);

/* net_tls_client_new starts a connection (ClientHello queued by the first handshake call), offering a
 * session cached in ctx by an earlier connection when there is one. */
int net_tls_client_new(struct net_tls_client **out, struct net_tls_client_ctx *ctx, struct err *err) SMT_MUST_USE;
void net_tls_client_free(struct net_tls_client *conn);

int net_tls_client_put_input(struct net_tls_client *conn, const uint8_t *data, size_t len, size_t *consumed,
                             struct err *err) SMT_MUST_USE;
size_t net_tls_client_peek_output(struct net_tls_client *conn, const uint8_t **data);
void net_tls_client_consume_output(struct net_tls_client *conn, size_t len);
int net_tls_client_handshake(struct net_tls_client *conn, struct err *err) SMT_MUST_USE;
int net_tls_client_read(struct net_tls_client *conn, uint8_t *buf, size_t cap, size_t *len,
                        struct err *err) SMT_MUST_USE;
int net_tls_client_write(struct net_tls_client *conn, const uint8_t *data, size_t len, struct err *err) SMT_MUST_USE;
int net_tls_client_close(struct net_tls_client *conn, struct err *err) SMT_MUST_USE;

const char *net_tls_client_get_protocol(const struct net_tls_client *conn);
const char *net_tls_client_get_cipher(const struct net_tls_client *conn);
bool net_tls_client_is_resumed(const struct net_tls_client *conn);

#endif
