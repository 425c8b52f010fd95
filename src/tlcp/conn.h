/* src/tlcp/conn.h: a TLCP connection (GB/T 38636-2020), client or server, as a byte pump.
 *
 * The connection never touches a socket. The caller moves bytes: what arrives from the peer goes in with
 * tlcp_conn_put_input, what must go to the peer comes out with tlcp_conn_peek_output/_consume_output.
 * tlcp_conn_handshake, _read and _write return SMT_EAGAIN when they need more input (after the caller
 * has flushed all output). On a fatal error the connection queues the matching alert as output, so the
 * caller flushes output once more and then closes; every later call returns the same error.
 *
 * Typical loop (the socket adapter does this):
 *     while ((status = tlcp_conn_handshake(conn, &err)) == SMT_EAGAIN) { flush output; read socket; put input }
 *     flush output;   (also after an error: it may hold an alert) */
#ifndef SMT_TLCP_CONN_H
#define SMT_TLCP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "tlcp/protocol.h"

enum tlcp_role {
        TLCP_ROLE_CLIENT = 1,
        TLCP_ROLE_SERVER = 2,
};

/* Whether a server asks for a client certificate pair. The ECDHE suites need one whatever this says
 * (GB/T 38636 §6.4.5.5): with TLCP_CLIENT_AUTH_NONE a server does not choose an ECDHE suite. */
enum tlcp_client_auth {
        TLCP_CLIENT_AUTH_NONE = 0,     /* never ask (ECC suites only) */
        TLCP_CLIENT_AUTH_OPTIONAL = 1, /* ask; a client without certificates may go on with an ECC suite */
        TLCP_CLIENT_AUTH_REQUIRED = 2, /* ask, and fail the handshake without a verified pair */
};

/* The two ECDHE wire forms real peers use (tlcp-wire.md): ClientKeyExchange without (Tongsuo) or with
 * (GmSSL) a uint16 length, and CertificateVerify over SM3(handshake_messages) (Tongsuo) or over the raw
 * messages (GmSSL). Under an ECC suite with client authentication the form picks the CertificateVerify and
 * whether the client's Certificate carries its pair (Tongsuo) or its signing certificate and chain only
 * (GmSSL). A server accepts both always; a client sends the form chosen here. */
enum tlcp_ecdhe_form {
        TLCP_ECDHE_FORM_TONGSUO = 1,
        TLCP_ECDHE_FORM_GMSSL = 2,
};

/* struct tlcp_credentials: one side's certificate pair. All members are borrowed and must outlive every
 * connection using them. The Certificate message carries sign_cert, enc_cert, then chain (GB/T 38636
 * §6.4.5.3: signing certificate first). */
struct tlcp_credentials {
        const struct cert *sign_cert;
        const struct cert *enc_cert;
        const struct cert_chain *chain; /* intermediates, may be NULL */
        const struct key *sign_key;
        const struct key *enc_key;
};

struct tlcp_session_cache; /* server-side session cache, tlcp/session_cache.h */
struct tlcp_session;       /* a resumable session, tlcp/session_cache.h */

/* tlcp_credentials_select_fn: the server's SNI hook. server_name is NULL when the client sent none.
 * Return 0 with *out set, or TLCP_EUNSUPPORTED_SITE to refuse the name (the handshake fails with
 * unrecognized_name-style handshake_failure). */
typedef int (*tlcp_credentials_select_fn)(void *arg, const char *server_name, const struct tlcp_credentials **out);

struct tlcp_config {
        enum tlcp_role role;
        /* Suites in preference order (server) or offer order (client); NULL: tlcp_suite_all's order. */
        const uint16_t *suites;
        size_t num_suites;
        /* Peer verification: trusted roots. A client with verify_peer and no trust fails to configure. */
        const struct cert_store *trust;
        bool verify_peer;   /* client: verify the server pair (default true in tlcp_config_init) */
        time_t verify_time; /* 0: now; tests set a fixed time */

        /* server */
        const struct tlcp_credentials *credentials; /* used when select is NULL */
        tlcp_credentials_select_fn select;
        void *select_arg;
        enum tlcp_client_auth client_auth;
        struct tlcp_session_cache *session_cache; /* NULL: no resumption */

        /* client */
        const char *server_name; /* sent as SNI and checked against the server's certificates */
        const struct tlcp_credentials *client_credentials;
        enum tlcp_ecdhe_form ecdhe_form;
        const struct tlcp_session *resume; /* offer this session (from tlcp_conn_get_session) */
};

/* tlcp_config_init fills config with defaults for role: all suites, verify_peer true, Tongsuo ECDHE form. */
void tlcp_config_init(struct tlcp_config *config, enum tlcp_role role);

struct tlcp_conn;

/* tlcp_conn_new makes a connection that follows config (borrowed: it must outlive the connection);
 * SMT_EINVAL names what is missing (a server without credentials, a client without trust...). */
int tlcp_conn_new(struct tlcp_conn **out, const struct tlcp_config *config, struct err *err) SMT_MUST_USE;

/* tlcp_conn_free wipes every secret and releases conn (NULL is fine). */
void tlcp_conn_free(struct tlcp_conn *conn);

/* tlcp_conn_put_input takes up to len bytes from the peer and says in *consumed how many it kept; it keeps
 * at most one record beyond what it has processed, so call the other functions before putting more. */
int tlcp_conn_put_input(struct tlcp_conn *conn, const uint8_t *data, size_t len, size_t *consumed,
                        struct err *err) SMT_MUST_USE;

/* tlcp_conn_peek_output points *data at the bytes waiting to go to the peer (borrowed until the next call
 * on conn) and returns their number; 0 when there is nothing to send. */
size_t tlcp_conn_peek_output(struct tlcp_conn *conn, const uint8_t **data);

/* tlcp_conn_consume_output drops the first len bytes of the output, once they are sent. */
void tlcp_conn_consume_output(struct tlcp_conn *conn, size_t len);

/* tlcp_conn_handshake runs the handshake as far as the input allows: 0 when it is complete, SMT_EAGAIN when
 * it needs input, or a TLCP_E* / CRYPTO_E* failure whose alert is queued. */
int tlcp_conn_handshake(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;

/* tlcp_conn_read copies up to cap bytes of application data to buf (*len set); SMT_EAGAIN when none is
 * buffered, TLCP_ECLOSED after the peer's close_notify. Zero-length records (Tongsuo) are skipped. */
int tlcp_conn_read(struct tlcp_conn *conn, uint8_t *buf, size_t cap, size_t *len, struct err *err) SMT_MUST_USE;

/* tlcp_conn_write seals len bytes of application data (split into records of at most 2^14 bytes) into
 * the output. SMT_ENOSPACE (not sticky: nothing was queued) when the output would exceed 64 MiB. */
int tlcp_conn_write(struct tlcp_conn *conn, const uint8_t *data, size_t len, struct err *err) SMT_MUST_USE;

/* tlcp_conn_close queues a close_notify alert; the caller flushes the output and closes the socket. */
int tlcp_conn_close(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;

/* Facts about an established connection, for logs and `smtrust tlcp-client -v`. */
const struct tlcp_suite *tlcp_conn_get_suite(const struct tlcp_conn *conn);
bool tlcp_conn_is_resumed(const struct tlcp_conn *conn);
/* tlcp_conn_get_server_name returns the SNI name the client sent (server side) or used (client), or NULL. */
const char *tlcp_conn_get_server_name(const struct tlcp_conn *conn);
/* tlcp_conn_get_peer_sign_cert / _enc_cert return the peer's certificates (borrowed), or NULL if it sent
 * none (a server's client that did not authenticate). A server's resumed connection reports the client
 * certificates of the full handshake that made the session (the session cache keeps them); a client's
 * resumed connection has none (it verified the server when it made the session). _enc_cert is also NULL
 * for a client that authenticated an ECC suite with its signing certificate alone (GmSSL's client does). */
const struct cert *tlcp_conn_get_peer_sign_cert(const struct tlcp_conn *conn);
const struct cert *tlcp_conn_get_peer_enc_cert(const struct tlcp_conn *conn);
/* tlcp_conn_get_session returns a client's session for later resumption (borrowed; struct tlcp_session in
 * tlcp/session_cache.h is plain data, copy it by assignment and wipe it when done), or NULL before the
 * handshake completes and when the server gave no session ID (it keeps no cache). */
const struct tlcp_session *tlcp_conn_get_session(const struct tlcp_conn *conn);
/* tlcp_conn_get_alert_received returns the description of the fatal alert the peer sent, or -1. */
int tlcp_conn_get_alert_received(const struct tlcp_conn *conn);
/* tlcp_conn_is_ecdhe_form_refused says whether a client's handshake ended with a fatal alert from the server
 * after we sent something config->ecdhe_form shapes: an ECDHE ClientKeyExchange, or under an ECC suite our
 * certificates and CertificateVerify. That is the sign of a server that reads only the other wire form, so
 * the caller may connect again once with the other form (Tongsuo and GmSSL each refuse the other's,
 * tlcp-wire.md; a GmSSL server refuses the Tongsuo form's client pair under ECC too). */
bool tlcp_conn_is_ecdhe_form_refused(const struct tlcp_conn *conn);

#endif
