/* src/net/tls_conn.c: see tls_conn.h. */
#include "net/tls_conn.h"

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "crypto/crypto_error.h"

/* RFC 9325 §4.2: TLS 1.2 only with ECDHE and AEAD suites. TLS 1.3 keeps OpenSSL's default AEAD list. */
#define NET_TLS_CIPHERS_12 "ECDHE+AESGCM:ECDHE+CHACHA20"

struct net_tls_conn {
        const struct net_tls_config *config;
        SSL_CTX *ctx;
        SSL *ssl;
        BIO *in;  /* bytes from the peer, read by OpenSSL */
        BIO *out; /* bytes OpenSSL wrote for the peer */
};

/* net_tls_use_pair installs one certificate with its key and the intermediates after it. */
static int net_tls_use_pair(SSL *ssl, const struct cert *cert, const struct key *key, const struct cert_chain *chain)
{
        if (cert == NULL || key == NULL)
                return 1;
        if (SSL_use_certificate(ssl, cert_x509(cert)) != 1 || SSL_use_PrivateKey(ssl, key_evp(key)) != 1)
                return 0;
        for (size_t i = 0; chain != NULL && i < cert_chain_count(chain); i++)
                if (SSL_add1_chain_cert(ssl, cert_x509(cert_chain_get(chain, i))) != 1)
                        return 0;
        return 1;
}

static int net_tls_use_credentials(SSL *ssl, const struct net_tls_credentials *c)
{
        return net_tls_use_pair(ssl, c->ecc_cert, c->ecc_key, c->chain) &&
               net_tls_use_pair(ssl, c->rsa_cert, c->rsa_key, c->chain);
}

/* net_tls_servername_cb runs early in every ClientHello (OpenSSL calls it with or without SNI), before
 * OpenSSL picks a certificate, so the pair chosen for the name is the one offered. */
static int net_tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
        const struct net_tls_conn *conn = arg;
        const struct net_tls_credentials *chosen = conn->config->credentials;
        if (conn->config->select != NULL &&
            conn->config->select(conn->config->select_arg, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name),
                                 &chosen) != 0) {
                *alert = SSL_AD_UNRECOGNIZED_NAME; /* RFC 6066 §3 */
                return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        if (chosen == NULL || !net_tls_use_credentials(ssl, chosen)) {
                *alert = SSL_AD_INTERNAL_ERROR;
                return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        return SSL_TLSEXT_ERR_OK;
}

/* net_tls_alpn_cb picks http/1.1 (RFC 7301 §3.2); no common protocol means no ALPN answer, not a failure. */
static int net_tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *out_len, const unsigned char *in,
                           unsigned int in_len, void *arg)
{
        static const unsigned char ours[] = "\x08http/1.1";
        unsigned char *selected = NULL;
        (void)ssl;
        (void)arg;
        if (SSL_select_next_proto(&selected, out_len, ours, sizeof(ours) - 1, in, in_len) != OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK;
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
}

static int net_tls_ctx_setup(struct net_tls_conn *conn, struct err *err)
{
        conn->ctx = SSL_CTX_new(TLS_server_method());
        if (conn->ctx == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "SSL_CTX_new");
        SSL_CTX_set_options(conn->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        SSL_CTX_set_session_cache_mode(conn->ctx, SSL_SESS_CACHE_OFF);
        if (SSL_CTX_set_min_proto_version(conn->ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_cipher_list(conn->ctx, NET_TLS_CIPHERS_12) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS server policy");
        SSL_CTX_set_tlsext_servername_callback(conn->ctx, net_tls_servername_cb);
        SSL_CTX_set_tlsext_servername_arg(conn->ctx, conn);
        SSL_CTX_set_alpn_select_cb(conn->ctx, net_tls_alpn_cb, NULL);
        return 0;
}

static int net_tls_ssl_setup(struct net_tls_conn *conn, struct err *err)
{
        conn->ssl = SSL_new(conn->ctx);
        conn->in = BIO_new(BIO_s_mem());
        conn->out = BIO_new(BIO_s_mem());
        if (conn->ssl == NULL || conn->in == NULL || conn->out == NULL) {
                BIO_free(conn->in);
                BIO_free(conn->out);
                conn->in = conn->out = NULL;
                return crypto_error_set(err, SMT_ENOMEM, "SSL_new");
        }
        /* An empty input BIO means "wait for more", not end of stream. */
        BIO_set_mem_eof_return(conn->in, -1);
        BIO_set_mem_eof_return(conn->out, -1);
        SSL_set_bio(conn->ssl, conn->in, conn->out);
        SSL_set_accept_state(conn->ssl);
        return 0;
}

int net_tls_conn_new(struct net_tls_conn **out, const struct net_tls_config *config, struct err *err)
{
        *out = NULL;
        const struct net_tls_credentials *c = config->credentials;
        if (config->select == NULL &&
            (c == NULL || ((c->ecc_cert == NULL || c->ecc_key == NULL) && (c->rsa_cert == NULL || c->rsa_key == NULL))))
                return SMT_ERR(err, SMT_EINVAL,
                               "TLS server config has no select callback and no certificate with its key");
        struct net_tls_conn *conn = calloc(1, sizeof(*conn));
        if (conn == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "allocating a TLS connection");
        conn->config = config;
        int status = net_tls_ctx_setup(conn, err);
        if (status == 0)
                status = net_tls_ssl_setup(conn, err);
        if (status != 0) {
                net_tls_conn_free(conn);
                return status;
        }
        *out = conn;
        return 0;
}

void net_tls_conn_free(struct net_tls_conn *conn)
{
        if (conn == NULL)
                return;
        SSL_free(conn->ssl); /* frees both BIOs */
        SSL_CTX_free(conn->ctx);
        free(conn);
}

int net_tls_conn_put_input(struct net_tls_conn *conn, const uint8_t *data, size_t len, size_t *consumed,
                           struct err *err)
{
        *consumed = 0;
        if (len == 0)
                return 0;
        if (BIO_ctrl_pending(conn->in) > NET_TLS_INPUT_MAX)
                return SMT_ERR(err, SMT_EAGAIN, "%zu input bytes still unprocessed",
                               (size_t)BIO_ctrl_pending(conn->in));
        size_t written = 0;
        if (BIO_write_ex(conn->in, data, len, &written) != 1 || written != len)
                return crypto_error_set(err, SMT_ENOMEM, "buffering %zu input bytes", len);
        *consumed = len;
        return 0;
}

size_t net_tls_conn_peek_output(struct net_tls_conn *conn, const uint8_t **data)
{
        char *p = NULL;
        long n = BIO_get_mem_data(conn->out, &p);
        *data = (const uint8_t *)p;
        return n > 0 ? (size_t)n : 0;
}

void net_tls_conn_consume_output(struct net_tls_conn *conn, size_t len)
{
        uint8_t scratch[4096];
        while (len > 0) {
                size_t got = 0;
                if (BIO_read_ex(conn->out, scratch, len < sizeof(scratch) ? len : sizeof(scratch), &got) != 1)
                        break;
                len -= got;
        }
}

/* net_tls_status maps a failed SSL call to a status; OpenSSL has queued any alert in the output. */
static int net_tls_status(struct net_tls_conn *conn, int ret, const char *what, struct err *err)
{
        switch (SSL_get_error(conn->ssl, ret)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
                ERR_clear_error();
                return SMT_ERR(err, SMT_EAGAIN, "%s needs more input", what);
        case SSL_ERROR_ZERO_RETURN:
                ERR_clear_error();
                return SMT_ERR(err, TLCP_ECLOSED, "%s: the peer sent close_notify", what);
        case SSL_ERROR_SSL:
                return crypto_error_set(
                    err, SSL_is_init_finished(conn->ssl) ? CRYPTO_EOPENSSL : TLCP_EHANDSHAKE_FAILURE, "%s", what);
        default:
                return crypto_error_set(err, CRYPTO_EOPENSSL, "%s", what);
        }
}

int net_tls_conn_handshake(struct net_tls_conn *conn, struct err *err)
{
        int ret = SSL_do_handshake(conn->ssl);
        return ret == 1 ? 0 : net_tls_status(conn, ret, "TLS handshake", err);
}

int net_tls_conn_read(struct net_tls_conn *conn, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        *len = 0;
        int ret = SSL_read_ex(conn->ssl, buf, cap, len);
        return ret == 1 ? 0 : net_tls_status(conn, ret, "TLS read", err);
}

int net_tls_conn_write(struct net_tls_conn *conn, const uint8_t *data, size_t len, struct err *err)
{
        size_t written = 0;
        if (len == 0)
                return 0;
        int ret = SSL_write_ex(conn->ssl, data, len, &written);
        return ret == 1 ? 0 : net_tls_status(conn, ret, "TLS write", err);
}

int net_tls_conn_close(struct net_tls_conn *conn, struct err *err)
{
        int ret = SSL_shutdown(conn->ssl);
        return ret >= 0 ? 0 : net_tls_status(conn, ret, "TLS close_notify", err);
}

const char *net_tls_conn_get_protocol(const struct net_tls_conn *conn)
{
        return SSL_get_version(conn->ssl);
}

const char *net_tls_conn_get_cipher(const struct net_tls_conn *conn)
{
        return SSL_get_cipher_name(conn->ssl);
}

const char *net_tls_conn_get_server_name(const struct net_tls_conn *conn)
{
        return SSL_get_servername(conn->ssl, TLSEXT_NAMETYPE_host_name);
}

bool net_tls_conn_is_resumed(const struct net_tls_conn *conn)
{
        return SSL_session_reused(conn->ssl) == 1;
}
