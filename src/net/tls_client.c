/* src/net/tls_client.c: see tls_client.h. */
#include "net/tls_client.h"

#include "net/ssl_pipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "crypto/crypto_error.h"
#include "net/address.h"

/* Input waiting unprocessed beyond this is refused with SMT_EAGAIN, as by net_tls_conn. */
#define NET_TLS_CLIENT_INPUT_MAX (256 * 1024)

struct net_tls_client_ctx {
        SSL_CTX *ssl_ctx; /* app data: this struct, for the callbacks */
        int verify;       /* enum net_tls_client_verify */
        char *server_name;
        bool is_ip;
        uint8_t (*pins)[NET_TLS_CLIENT_PIN_LEN];
        size_t num_pins;
        pthread_mutex_t lock; /* guards session: worker threads connect to one origin at once */
        SSL_SESSION *session; /* the newest resumable session, offered by the next connection; may be NULL */
};

struct net_tls_client {
        struct net_tls_client_ctx *ctx;
        struct net_ssl_pipe pipe; /* the SSL and its memory BIOs */
};

/* net_tls_client_new_session_cb keeps a copy of the newest session of the origin (a TLS 1.2 session at the end
 * of the handshake, each TLS 1.3 NewSessionTicket as it is read). A copy, because OpenSSL marks the
 * connection's own session not resumable when that connection ends without close_notify, which an origin
 * connection often does and which no longer forbids resumption (RFC 5246 §7.2.1). */
static int net_tls_client_new_session_cb(SSL *ssl, SSL_SESSION *session)
{
        struct net_tls_client_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
        SSL_SESSION *copy = SSL_SESSION_is_resumable(session) == 1 ? SSL_SESSION_dup(session) : NULL;
        if (copy == NULL)
                return 0;
        pthread_mutex_lock(&ctx->lock);
        SSL_SESSION *old = ctx->session;
        ctx->session = copy;
        pthread_mutex_unlock(&ctx->lock);
        SSL_SESSION_free(old);
        return 0; /* OpenSSL keeps (and drops) its own reference */
}

static bool net_tls_client_pin_matches(const struct net_tls_client_ctx *ctx, X509 *leaf)
{
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (leaf == NULL || X509_digest(leaf, EVP_sha256(), digest, &len) != 1 || len != NET_TLS_CLIENT_PIN_LEN)
                return false;
        for (size_t i = 0; i < ctx->num_pins; i++)
                if (CRYPTO_memcmp(digest, ctx->pins[i], NET_TLS_CLIENT_PIN_LEN) == 0)
                        return true;
        return false;
}

/* net_tls_client_pin_cb replaces chain verification in PIN mode: whatever OpenSSL found about the chain
 * (self-signed, expired, unknown issuer), the leaf's SHA-256 alone decides. A mismatch stops the handshake
 * with X509_V_ERR_APPLICATION_VERIFICATION, which the status mapping names. */
static int net_tls_client_pin_cb(int preverify_ok, X509_STORE_CTX *store)
{
        (void)preverify_ok;
        SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
        const struct net_tls_client_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
        if (net_tls_client_pin_matches(ctx, X509_STORE_CTX_get0_cert(store))) {
                X509_STORE_CTX_set_error(store, X509_V_OK);
                return 1;
        }
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
}

static int net_tls_client_trust(struct net_tls_client_ctx *ctx, const struct cert_store *trust, struct err *err)
{
        if (trust == NULL) {
                if (SSL_CTX_set_default_verify_paths(ctx->ssl_ctx) != 1)
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "origin %s: the system's CA paths",
                                                ctx->server_name);
                return 0;
        }
        X509_STORE *store = SSL_CTX_get_cert_store(ctx->ssl_ctx);
        for (size_t i = 0; i < cert_store_count(trust); i++)
                if (X509_STORE_add_cert(store, cert_x509(cert_store_get(trust, i))) != 1)
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "origin %s: trusted certificate %zu",
                                                ctx->server_name, i);
        return 0;
}

/* net_tls_client_policy: TLS 1.2 and 1.3, OpenSSL's default suites (an unchanged origin may be old, so the
 * server's stricter list is not imposed here), no renegotiation, ALPN http/1.1 (RFC 7301), sessions kept by
 * our callback only. */
static int net_tls_client_policy(struct net_tls_client_ctx *ctx, const struct net_tls_client_config *config,
                                 struct err *err)
{
        static const unsigned char alpn[] = "\x08http/1.1";
        SSL_CTX *c = ctx->ssl_ctx;
        SSL_CTX_set_app_data(c, ctx);
        SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
        if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 || SSL_CTX_set_alpn_protos(c, alpn, 9) != 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "origin %s: TLS client policy", ctx->server_name);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(c, net_tls_client_new_session_cb);
        switch (config->verify) {
        case NET_TLS_CLIENT_VERIFY_OFF:
                SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
                return 0;
        case NET_TLS_CLIENT_VERIFY_ON:
                SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
                /* RFC 6125 §6.4.3: a wildcard only as the whole left-most label. */
                X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(c), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                return net_tls_client_trust(ctx, config->trust, err);
        default:
                SSL_CTX_set_verify(c, SSL_VERIFY_PEER, net_tls_client_pin_cb);
                return 0;
        }
}

static int net_tls_client_config_check(const struct net_tls_client_config *config, struct err *err)
{
        if (config->server_name == NULL || config->server_name[0] == '\0')
                return SMT_ERR(err, SMT_EINVAL, "TLS client config has no server name");
        if (config->verify != NET_TLS_CLIENT_VERIFY_OFF && config->verify != NET_TLS_CLIENT_VERIFY_ON &&
            config->verify != NET_TLS_CLIENT_VERIFY_PIN)
                return SMT_ERR(err, SMT_EINVAL, "origin %s: verify mode %d, expected off (1), on (2) or pin (3)",
                               config->server_name, config->verify);
        if (config->verify == NET_TLS_CLIENT_VERIFY_PIN && (config->pins == NULL || config->num_pins == 0))
                return SMT_ERR(err, SMT_EINVAL, "origin %s: verify pin without any pin", config->server_name);
        return 0;
}

int net_tls_client_ctx_new(struct net_tls_client_ctx **out, const struct net_tls_client_config *config, struct err *err)
{
        *out = NULL;
        TRY(net_tls_client_config_check(config, err));
        struct net_tls_client_ctx *ctx = calloc(1, sizeof(*ctx));
        if (ctx == NULL || pthread_mutex_init(&ctx->lock, NULL) != 0) {
                free(ctx);
                return SMT_ERR(err, SMT_ENOMEM, "allocating a TLS client context");
        }
        ctx->verify = config->verify;
        ctx->server_name = strdup(config->server_name);
        ctx->is_ip = net_address_is_ip_literal(config->server_name);
        ctx->num_pins = config->verify == NET_TLS_CLIENT_VERIFY_PIN ? config->num_pins : 0;
        ctx->pins = ctx->num_pins > 0 ? calloc(ctx->num_pins, sizeof(*ctx->pins)) : NULL;
        ctx->ssl_ctx = SSL_CTX_new(TLS_client_method());
        int status = 0;
        if (ctx->server_name == NULL || (ctx->num_pins > 0 && ctx->pins == NULL))
                status = SMT_ERR(err, SMT_ENOMEM, "copying the TLS client config");
        else if (ctx->ssl_ctx == NULL)
                status = crypto_error_set(err, SMT_ENOMEM, "SSL_CTX_new");
        if (status == 0 && ctx->num_pins > 0)
                memcpy(ctx->pins, config->pins, ctx->num_pins * sizeof(*ctx->pins));
        if (status == 0)
                status = net_tls_client_policy(ctx, config, err);
        if (status != 0) {
                net_tls_client_ctx_free(ctx);
                return status;
        }
        *out = ctx;
        return 0;
}

void net_tls_client_ctx_free(struct net_tls_client_ctx *ctx)
{
        if (ctx == NULL)
                return;
        SSL_SESSION_free(ctx->session);
        SSL_CTX_free(ctx->ssl_ctx);
        pthread_mutex_destroy(&ctx->lock);
        free(ctx->server_name);
        free(ctx->pins);
        free(ctx);
}

/* net_tls_client_name_setup sends SNI (never for an IP literal, RFC 6066 §3) and, in ON mode, sets the name
 * the leaf must carry: a dNSName, or an iPAddress for a literal (RFC 6125 §6.2.1). */
static int net_tls_client_name_setup(struct net_tls_client *conn, struct err *err)
{
        const struct net_tls_client_ctx *ctx = conn->ctx;
        if (!ctx->is_ip && SSL_set_tlsext_host_name(conn->pipe.ssl, ctx->server_name) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "origin %s: SNI", ctx->server_name);
        if (ctx->verify != NET_TLS_CLIENT_VERIFY_ON)
                return 0;
        int ok = ctx->is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn->pipe.ssl), ctx->server_name)
                            : SSL_set1_host(conn->pipe.ssl, ctx->server_name);
        return ok == 1 ? 0 : crypto_error_set(err, CRYPTO_EOPENSSL, "origin %s: name to check", ctx->server_name);
}

/* net_tls_client_offer_session offers a private copy of the ctx's newest session: connections on other
 * threads never share (or spoil) one SSL_SESSION. */
static void net_tls_client_offer_session(struct net_tls_client *conn)
{
        struct net_tls_client_ctx *ctx = conn->ctx;
        pthread_mutex_lock(&ctx->lock);
        SSL_SESSION *copy = ctx->session != NULL ? SSL_SESSION_dup(ctx->session) : NULL;
        pthread_mutex_unlock(&ctx->lock);
        if (copy == NULL || SSL_set_session(conn->pipe.ssl, copy) != 1)
                crypto_error_clear(); /* none, or none usable: a full handshake */
        SSL_SESSION_free(copy);
}

int net_tls_client_new(struct net_tls_client **out, struct net_tls_client_ctx *ctx, struct err *err)
{
        *out = NULL;
        struct net_tls_client *conn = calloc(1, sizeof(*conn));
        if (conn == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "allocating a TLS client connection");
        conn->ctx = ctx;
        int opened = net_ssl_pipe_open(&conn->pipe, ctx->ssl_ctx, err);
        if (opened != 0) {
                free(conn);
                return opened;
        }
        SSL_set_connect_state(conn->pipe.ssl);
        int status = net_tls_client_name_setup(conn, err);
        if (status != 0) {
                net_tls_client_free(conn);
                return status;
        }
        net_tls_client_offer_session(conn);
        *out = conn;
        return 0;
}

void net_tls_client_free(struct net_tls_client *conn)
{
        if (conn == NULL)
                return;
        net_ssl_pipe_close(&conn->pipe);
        free(conn);
}

int net_tls_client_put_input(struct net_tls_client *conn, const uint8_t *data, size_t len, size_t *consumed,
                             struct err *err)
{
        return net_ssl_pipe_put_input(&conn->pipe, data, len, NET_TLS_CLIENT_INPUT_MAX, consumed, err);
}

size_t net_tls_client_peek_output(struct net_tls_client *conn, const uint8_t **data)
{
        return net_ssl_pipe_peek_output(&conn->pipe, data);
}

void net_tls_client_consume_output(struct net_tls_client *conn, size_t len)
{
        net_ssl_pipe_consume_output(&conn->pipe, len);
}

/* net_tls_client_verify_failure names why the origin's certificate was refused. */
static int net_tls_client_verify_failure(const struct net_tls_client *conn, long result, struct err *err)
{
        const char *name = conn->ctx->server_name;
        crypto_error_clear();
        if (conn->ctx->verify == NET_TLS_CLIENT_VERIFY_PIN)
                return SMT_ERR(err, CRYPTO_ECERT_UNTRUSTED, "origin %s: origin certificate does not match any pin",
                               name);
        if (result == X509_V_ERR_CERT_HAS_EXPIRED || result == X509_V_ERR_CERT_NOT_YET_VALID)
                return SMT_ERR(err, CRYPTO_ECERT_EXPIRED, "origin %s: certificate refused: %s", name,
                               X509_verify_cert_error_string(result));
        return SMT_ERR(err, CRYPTO_ECERT_UNTRUSTED, "origin %s: certificate refused: %s", name,
                       X509_verify_cert_error_string(result));
}

/* net_tls_client_result names the origin in a failure, and why its certificate was refused when that
 * is what ended the handshake. */
static int net_tls_client_result(struct net_tls_client *conn, int status, struct err *err)
{
        if (status == SMT_OK || status == SMT_EAGAIN)
                return status;
        long verified = SSL_get_verify_result(conn->pipe.ssl);
        if (status == TLCP_EHANDSHAKE_FAILURE && conn->ctx->verify != NET_TLS_CLIENT_VERIFY_OFF && verified != X509_V_OK)
                return net_tls_client_verify_failure(conn, verified, err);
        return err_prefix(err, "origin %s", conn->ctx->server_name);
}

int net_tls_client_handshake(struct net_tls_client *conn, struct err *err)
{
        return net_tls_client_result(conn, net_ssl_pipe_handshake(&conn->pipe, err), err);
}

int net_tls_client_read(struct net_tls_client *conn, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        return net_tls_client_result(conn, net_ssl_pipe_read(&conn->pipe, buf, cap, len, err), err);
}

int net_tls_client_write(struct net_tls_client *conn, const uint8_t *data, size_t len, struct err *err)
{
        return net_tls_client_result(conn, net_ssl_pipe_write(&conn->pipe, data, len, err), err);
}

int net_tls_client_close(struct net_tls_client *conn, struct err *err)
{
        return net_tls_client_result(conn, net_ssl_pipe_shutdown(&conn->pipe, err), err);
}

const char *net_tls_client_get_protocol(const struct net_tls_client *conn)
{
        return SSL_get_version(conn->pipe.ssl);
}

const char *net_tls_client_get_cipher(const struct net_tls_client *conn)
{
        return SSL_get_cipher_name(conn->pipe.ssl);
}

bool net_tls_client_is_resumed(const struct net_tls_client *conn)
{
        return SSL_session_reused(conn->pipe.ssl) == 1;
}
