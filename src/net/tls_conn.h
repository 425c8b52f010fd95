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
 * §4.2); ALPN "http/1.1" when the client offers it. No renegotiation, no 0-RTT data.
 *
 * tls-alpn-01 (RFC 8737): with an acme_select hook, a ClientHello whose ALPN offers "acme-tls/1" and not
 * "http/1.1" is an ACME validation. The hook gets the SNI: the context it returns (net_tls_acme_ctx_new)
 * replaces the site credentials, "acme-tls/1" is selected and net_tls_conn_is_acme says so once the
 * handshake is over (the caller then closes: RFC 8737 3 has no application data). When the hook returns
 * NULL (no pending challenge, no SNI) the handshake fails with unrecognized_name, so a site certificate is
 * never served under acme-tls/1. Such handshakes neither resume nor issue tickets. "acme-tls/1" offered
 * next to "http/1.1" is an ordinary handshake. The only cost to other handshakes is reading the ALPN
 * extension in a client hello callback. Without the hook none of this runs: a client offering acme-tls/1
 * gets the site's certificate and no ALPN, as before (no validation can pass on it).
 *
 * Preparing (the fast path): OpenSSL's SSL_CTX is costly to make, so a server makes them once, before it
 * serves: net_tls_credentials_prepare gives each credentials one SSL_CTX holding its ECC and RSA pairs
 * (OpenSSL serves whichever the client's signature algorithms and suites accept), and net_tls_config_prepare
 * gives the config one base SSL_CTX that every connection starts from; SNI then switches the connection
 * to the chosen credentials' SSL_CTX. A prepared config issues session tickets (RFC 5077, RFC 8446 §4.6.1)
 * under one random key made by the prepare, shared by every connection and thread until release, so a
 * client resumes on any worker; a reload (a new prepare) makes a new key and old tickets fall back to a
 * full handshake. A ticket keeps the name of the certificate algorithm that authenticated the session.
 * Both prepares are for setup time: afterwards the structs are read-only and may be shared by any number of
 * threads (OpenSSL's SSL_CTX is thread-safe once configured). Release only when no thread will make a new
 * connection from them; live connections hold their own references.
 *
 * Unprepared config or credentials still work (tests, tools): the SSL_CTX is then built for each
 * connection, and such a config issues no tickets (a per-connection key could never resume). */
#ifndef SMT_NET_TLS_CONN_H
#define SMT_NET_TLS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"

struct ssl_ctx_st; /* OpenSSL's SSL_CTX */

/* struct net_tls_credentials: an ECC and/or an RSA certificate with its key (at least one pair), and the
 * intermediates sent after either leaf. All borrowed; they must outlive every connection using them. */
struct net_tls_credentials {
        const struct cert *ecc_cert;
        const struct key *ecc_key;
        const struct cert *rsa_cert;
        const struct key *rsa_key;
        const struct cert_chain *chain; /* may be NULL */
        struct ssl_ctx_st *prepared;    /* set by net_tls_credentials_prepare; NULL: built per connection */
};

/* net_tls_credentials_select_fn: the SNI hook (server_name NULL when the client sent none). Return 0 with
 * *out set, or any negative status to refuse the name (the handshake fails with unrecognized_name). */
typedef int (*net_tls_credentials_select_fn)(void *arg, const char *server_name,
                                             const struct net_tls_credentials **out);

/* net_tls_acme_select_fn: the tls-alpn-01 hook (server_name as the client sent it in SNI; for an IP
 * address the reverse-mapping name, RFC 8738 6). Returns a NEW reference to the context serving that
 * name's validation certificate (the connection drops it once switched), or NULL to refuse. Called from
 * any worker thread. */
typedef struct ssl_ctx_st *(*net_tls_acme_select_fn)(void *arg, const char *server_name);

struct net_tls_config {
        const struct net_tls_credentials *credentials; /* used when select is NULL */
        net_tls_credentials_select_fn select;
        void *select_arg;
        struct ssl_ctx_st *prepared; /* set by net_tls_config_prepare; NULL: built per connection, no tickets */
        net_tls_acme_select_fn acme_select; /* NULL: tls-alpn-01 is not answered */
        void *acme_select_arg;
};

/* net_tls_acme_ctx_new makes a context with this policy serving cert and key (copied references: the pair
 * may be freed afterwards) and selecting ALPN "acme-tls/1": what an acme_select hook returns. No tickets,
 * no session cache. CRYPTO_EOPENSSL when OpenSSL refuses the pair. Free with net_tls_ctx_free. */
int net_tls_acme_ctx_new(struct ssl_ctx_st **out, const struct cert *cert, const struct key *key,
                         struct err *err) SMT_MUST_USE;

/* net_tls_ctx_free drops one reference to ctx (NULL is fine); live connections keep their own. */
void net_tls_ctx_free(struct ssl_ctx_st *ctx);

/* net_tls_credentials_prepare builds credentials->prepared from its pairs and chain (fill them first;
 * preparing again rebuilds). SMT_EINVAL without a whole pair, CRYPTO_EWRONGALG when the ECC pair is not EC
 * or the RSA pair not RSA, CRYPTO_EOPENSSL when OpenSSL refuses a certificate or a key that does not match
 * its certificate. net_tls_credentials_release frees it and sets it NULL (harmless on unprepared credentials). */
int net_tls_credentials_prepare(struct net_tls_credentials *credentials, struct err *err) SMT_MUST_USE;
void net_tls_credentials_release(struct net_tls_credentials *credentials);

/* net_tls_stapler: the OCSP stapling hook (RFC 6066 8). fn runs during a full handshake whose client sent
 * status_request, with the DER of the leaf chosen for it (ECC or RSA); it returns 0 with *out (malloc'd,
 * taken over) holding the OCSPResponse to staple, or a negative status to send none. Any worker thread. */
struct net_tls_stapler {
        int (*fn)(void *arg, const uint8_t *leaf, size_t leaf_len, uint8_t **out, size_t *out_len);
        void *arg;
};

/* net_tls_credentials_set_stapler has the prepared context of credentials ask stapler (borrowed: it must
 * outlive the context) for a staple; SMT_EINVAL when the credentials are not prepared. */
int net_tls_credentials_set_stapler(const struct net_tls_credentials *credentials,
                                    const struct net_tls_stapler *stapler, struct err *err) SMT_MUST_USE;

/* net_tls_config_prepare builds config->prepared: the policy above, the SNI hook and a fresh session ticket
 * key. The base context keeps a pointer to config for the SNI hook, so prepare the struct where it stays
 * (a copy would still call back into the original). It does not prepare the credentials: prepare each of
 * them too, or they are built per connection. SMT_EINVAL as net_tls_conn_new. net_tls_config_release frees
 * it and sets it NULL. */
int net_tls_config_prepare(struct net_tls_config *config, struct err *err) SMT_MUST_USE;
void net_tls_config_release(struct net_tls_config *config);

/* net_tls_config_share_ticket_key gives the prepared config to the ticket key of the prepared config from,
 * so tickets issued under from resume under to (the gateway's reload: returning clients keep resuming).
 * SMT_EINVAL when either is not prepared. */
int net_tls_config_share_ticket_key(struct net_tls_config *to, const struct net_tls_config *from,
                                    struct err *err) SMT_MUST_USE;

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
 * sent (NULL if none; on a TLS 1.2 resumption the name of the original session, RFC 6066 §3), whether the
 * session was resumed from a ticket. */
const char *net_tls_conn_get_protocol(const struct net_tls_conn *conn);
const char *net_tls_conn_get_cipher(const struct net_tls_conn *conn);
const char *net_tls_conn_get_server_name(const struct net_tls_conn *conn);
bool net_tls_conn_is_resumed(const struct net_tls_conn *conn);

/* net_tls_conn_is_acme says whether the handshake is over and was a tls-alpn-01 validation (acme-tls/1
 * selected with a validation certificate); the caller closes without reading a request. */
bool net_tls_conn_is_acme(const struct net_tls_conn *conn);

/* net_tls_conn_get_certificate_alg names the key of the certificate that authenticated the session: "ECDSA"
 * or "RSA", the one served in this handshake or, when resumed, the one the ticket was first issued under;
 * "" before the handshake is complete (or for a ticket that does not say). */
const char *net_tls_conn_get_certificate_alg(const struct net_tls_conn *conn);

#endif
