/* src/net/tls_conn.h: a TLS 1.2/1.3 server connection (RFC 5246, RFC 8446) over OpenSSL, as a byte pump of
 * the same shape as tlcp/conn.h, so the gateway drives TLS and TLCP the same way: the caller moves bytes
 * between the socket and put_input / peek_output / consume_output and calls handshake, read, write, close.
 * OpenSSL reads from and writes to memory BIOs only; it never touches a socket.
 *
 * Status codes are shared with tlcp/conn.h so callers need not tell the back ends apart: SMT_EAGAIN (needs
 * input), TLCP_EHANDSHAKE_FAILURE (the handshake failed, including a name the select callback refused,
 * which sends unrecognized_name; OpenSSL's alert is queued in the output), TLCP_ECLOSED after the peer's
 * close_notify, CRYPTO_EOPENSSL when OpenSSL fails otherwise.
 *
 * Policy: TLS 1.2 and 1.3 only; TLS 1.2 suites are ECDHE with AES-GCM or ChaCha20-Poly1305 only (RFC 9325
 * §4.2); ALPN "http/1.1" when the client offers it. Session tickets and the session cache are OFF: each
 * connection has its own SSL_CTX (credentials are chosen per SNI), so a ticket key would not outlive it;
 * resumption comes with a shared, rotating ticket key later. */
#ifndef SMT_NET_TLS_CONN_H
#define SMT_NET_TLS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

/* struct net_tls_credentials: an ECC and/or an RSA certificate with its key (at least one pair), and the
 * intermediates sent after either leaf. All borrowed; they must outlive every connection using them. */
struct net_tls_credentials {
        const struct cert *ecc_cert;
        const struct key *ecc_key;
        const struct cert *rsa_cert;
        const struct key *rsa_key;
        const struct cert_chain *chain; /* may be NULL */
};

/* net_tls_credentials_select_fn: the SNI hook (server_name NULL when the client sent none). Return 0 with
 * *out set, or any negative status to refuse the name (the handshake fails with unrecognized_name). */
typedef int (*net_tls_credentials_select_fn)(void *arg, const char *server_name,
                                             const struct net_tls_credentials **out);

struct net_tls_config {
        const struct net_tls_credentials *credentials; /* used when select is NULL */
        net_tls_credentials_select_fn select;
        void *select_arg;
};

struct net_tls_conn;

/* net_tls_conn_new makes a server connection following config (borrowed: it must outlive the connection);
 * SMT_EINVAL when config has neither credentials nor select, or credentials without a pair. */
int net_tls_conn_new(struct net_tls_conn **out, const struct net_tls_config *config, struct err *err) SMT_MUST_USE;

/* net_tls_conn_free releases conn (NULL is fine); OpenSSL wipes the session keys. */
void net_tls_conn_free(struct net_tls_conn *conn);

/* net_tls_conn_put_input takes the peer's bytes; *consumed is len, or 0 (SMT_EAGAIN) while more than
 * NET_TLS_INPUT_MAX bytes are waiting unprocessed. */
#define NET_TLS_INPUT_MAX (256 * 1024)
int net_tls_conn_put_input(struct net_tls_conn *conn, const uint8_t *data, size_t len, size_t *consumed,
                           struct err *err) SMT_MUST_USE;

/* net_tls_conn_peek_output points *data at the bytes waiting to go to the peer (borrowed until the next
 * call on conn) and returns their number; net_tls_conn_consume_output drops the first len once sent. */
size_t net_tls_conn_peek_output(struct net_tls_conn *conn, const uint8_t **data);
void net_tls_conn_consume_output(struct net_tls_conn *conn, size_t len);

/* net_tls_conn_handshake: 0 when complete, SMT_EAGAIN when it needs input, else a failure (alert queued). */
int net_tls_conn_handshake(struct net_tls_conn *conn, struct err *err) SMT_MUST_USE;

/* net_tls_conn_read copies up to cap bytes of application data (*len set); SMT_EAGAIN when none is ready,
 * TLCP_ECLOSED after close_notify. */
int net_tls_conn_read(struct net_tls_conn *conn, uint8_t *buf, size_t cap, size_t *len, struct err *err) SMT_MUST_USE;

/* net_tls_conn_write seals all len bytes into the output. */
int net_tls_conn_write(struct net_tls_conn *conn, const uint8_t *data, size_t len, struct err *err) SMT_MUST_USE;

/* net_tls_conn_close queues a close_notify alert; the caller flushes the output and closes the socket. */
int net_tls_conn_close(struct net_tls_conn *conn, struct err *err) SMT_MUST_USE;

/* Facts about an established connection: "TLSv1.2"/"TLSv1.3", OpenSSL's cipher name, the SNI the client
 * sent (NULL if none), whether the session was resumed (always false while tickets are off). */
const char *net_tls_conn_get_protocol(const struct net_tls_conn *conn);
const char *net_tls_conn_get_cipher(const struct net_tls_conn *conn);
const char *net_tls_conn_get_server_name(const struct net_tls_conn *conn);
bool net_tls_conn_is_resumed(const struct net_tls_conn *conn);

#endif
