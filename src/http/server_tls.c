/* src/http/server_tls.c: see server_internal.h. The server's one SSL_CTX (TLS 1.2 and 1.3, built once and
 * shared by every worker: OpenSSL's SSL_CTX is thread-safe once configured) and the handshake.
 *
 * Client certificates: requested (SSL_VERIFY_PEER without FAIL_IF_NO_PEER_CERT) with a verify callback
 * that lets every handshake through, then checked after it with cert_verify_chain against client_ca_file:
 * the project's one chain check (RFC 5280 strict, the SM2 distinguishing ID of GM/T 0009 clause 10 set on
 * SM2-signed certificates, messages naming the failing certificate) rather than OpenSSL's in-handshake
 * verdict with its own defaults. A client certificate must also allow TLS client authentication
 * (extendedKeyUsage clientAuth, or no EKU), as OpenSSL's "sslclient" purpose would require. */
#include <poll.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/crypto_error.h"
#include "crypto/key.h"
#include "http/server_internal.h"

#define HTTP_SERVER_TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

/* A session resumed with a client certificate must come from this server's own contexts (OpenSSL refuses
 * to resume under SSL_VERIFY_PEER without one). */
static const unsigned char http_server_session_context[] = "smtrust http server";

static int http_server_tls_accept_any(int preverified, X509_STORE_CTX *store_ctx)
{
        (void)preverified;
        (void)store_ctx;
        return 1; /* the verdict is ours, after the handshake: see the top of this file */
}

static int http_server_tls_ctx_new(SSL_CTX **out, struct err *err)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (ctx == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "http server: SSL_CTX_new");
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        /* RFC 9325 §4.2: TLS 1.2 only with AEAD suites and forward secrecy. */
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_cipher_list(ctx, HTTP_SERVER_TLS12_CIPHERS) != 1 ||
            SSL_CTX_set_session_id_context(ctx, http_server_session_context, sizeof http_server_session_context - 1) !=
                1) {
                SSL_CTX_free(ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "http server: TLS policy");
        }
        *out = ctx;
        return 0;
}

/* http_server_tls_use_chain installs the leaf and its intermediates (the context takes its own references). */
static int http_server_tls_use_chain(SSL_CTX *ctx, const char *path, struct err *err)
{
        struct cert_chain *chain = NULL;
        TRY(cert_chain_load_pem(&chain, path, err));
        int status = 0;
        if (SSL_CTX_use_certificate(ctx, cert_x509(cert_chain_get(chain, 0))) != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "http server: certificate %s", path);
        for (size_t i = 1; status == 0 && i < cert_chain_count(chain); i++) {
                if (SSL_CTX_add1_chain_cert(ctx, cert_x509(cert_chain_get(chain, i))) != 1)
                        status =
                            crypto_error_set(err, CRYPTO_EOPENSSL, "http server: certificate %zu of %s", i + 1, path);
        }
        cert_chain_free(chain);
        return status;
}

static int http_server_tls_use_key(SSL_CTX *ctx, const char *path, struct err *err)
{
        struct key *key = NULL;
        TRY(key_load(&key, path, NULL, err));
        int status = 0;
        if (SSL_CTX_use_PrivateKey(ctx, key_evp(key)) != 1 || SSL_CTX_check_private_key(ctx) != 1)
                status = crypto_error_set(err, CRYPTO_EOPENSSL, "http server: key %s (does it match the certificate?)",
                                          path);
        key_free(key);
        return status;
}

/* http_server_tls_ask_client_certs loads the client CAs, names them in the CertificateRequest
 * (RFC 8446 §4.2.4 certificate_authorities, RFC 5246 §7.4.4) and asks for a certificate. */
static int http_server_tls_ask_client_certs(struct http_server *server, const char *path, struct err *err)
{
        TRY(cert_store_load(&server->client_store, path, err));
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);
        if (names == NULL)
                return crypto_error_set(err, CRYPTO_ECERT, "http server: client CA names in %s", path);
        SSL_CTX_set_client_CA_list(server->ssl_ctx, names);
        SSL_CTX_set_verify(server->ssl_ctx, SSL_VERIFY_PEER, http_server_tls_accept_any);
        return 0;
}

int http_server_tls_init(struct http_server *server, const struct http_server_config *config, struct err *err)
{
        TRY(http_server_tls_ctx_new(&server->ssl_ctx, err));
        TRY(http_server_tls_use_chain(server->ssl_ctx, config->tls_cert_file, err));
        TRY(http_server_tls_use_key(server->ssl_ctx, config->tls_key_file, err));
        if (config->client_ca_file != NULL)
                TRY(http_server_tls_ask_client_certs(server, config->client_ca_file, err));
        return 0;
}

void http_server_tls_cleanup(struct http_server *server)
{
        SSL_CTX_free(server->ssl_ctx);
        server->ssl_ctx = NULL;
        cert_store_free(server->client_store);
        server->client_store = NULL;
}

/* http_server_tls_wrap makes a struct cert of its own from a certificate OpenSSL keeps. */
static int http_server_tls_wrap(struct cert **out, X509 *x509, struct err *err)
{
        if (X509_up_ref(x509) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "http server: X509_up_ref");
        return cert_wrap(out, x509, err);
}

/* http_server_tls_peer_chain copies the intermediates the client sent (the server side's peer chain
 * lacks the leaf; a leaf in it would be ignored anyway). */
static int http_server_tls_peer_chain(struct cert_chain **out, SSL *ssl, struct err *err)
{
        TRY(cert_chain_new(out, err));
        STACK_OF(X509) *sent = SSL_get_peer_cert_chain(ssl);
        for (int i = 0; sent != NULL && i < sk_X509_num(sent); i++) {
                struct cert *cert = NULL;
                TRY(http_server_tls_wrap(&cert, sk_X509_value(sent, i), err));
                TRY(cert_chain_append(*out, cert, err));
        }
        return 0;
}

/* http_server_tls_check_client sets conn->client_cert when the client's certificate verifies; a client
 * without one, or with one that does not verify, goes on without (the handler decides). */
static void http_server_tls_check_client(struct http_server_conn *conn)
{
        X509 *peer = SSL_get0_peer_certificate(conn->ssl);
        if (conn->server->client_store == NULL || peer == NULL)
                return;
        struct err err = {0};
        struct cert *leaf = NULL;
        struct cert_chain *intermediates = NULL;
        int status = http_server_tls_wrap(&leaf, peer, &err);
        if (status == 0)
                status = http_server_tls_peer_chain(&intermediates, conn->ssl, &err);
        if (status == 0)
                status = cert_verify_chain(conn->server->client_store, leaf, intermediates, 0, NULL, &err);
        if (status == 0)
                status = cert_check_extended_usage(leaf, CERT_EXTENDED_USAGE_CLIENT_AUTH, &err);
        cert_chain_free(intermediates);
        crypto_error_clear();
        if (status < 0) {
                cert_free(leaf);
                return;
        }
        conn->client_cert = leaf;
}

static int http_server_tls_handshake(struct http_server_conn *conn, int64_t deadline, struct err *err)
{
        for (;;) {
                int done = SSL_accept(conn->ssl);
                if (done == 1)
                        return 0;
                short events;
                switch (SSL_get_error(conn->ssl, done)) {
                case SSL_ERROR_WANT_READ:
                        events = POLLIN;
                        break;
                case SSL_ERROR_WANT_WRITE:
                        events = POLLOUT;
                        break;
                default:
                        return crypto_error_set(err, TLCP_EHANDSHAKE_FAILURE, "http server: TLS handshake with %s",
                                                conn->remote_addr);
                }
                /* Stop ends a handshake: no request has been made on it yet. */
                int waited = http_server_io_wait(conn, events, deadline, true, err);
                if (waited == HTTP_SERVER_STOPPED)
                        return SMT_ERR(err, SMT_EIO, "http server: stopping during the TLS handshake with %s",
                                       conn->remote_addr);
                if (waited == HTTP_SERVER_TIMEOUT)
                        return SMT_ERR(err, SMT_EAGAIN, "http server: TLS handshake with %s timed out",
                                       conn->remote_addr);
                if (waited < 0)
                        return waited;
        }
}

int http_server_tls_accept(struct http_server_conn *conn, int64_t deadline, struct err *err)
{
        conn->ssl = SSL_new(conn->server->ssl_ctx);
        if (conn->ssl == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "http server: SSL_new");
        if (SSL_set_fd(conn->ssl, conn->fd) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "http server: SSL_set_fd");
        TRY(http_server_tls_handshake(conn, deadline, err));
        http_server_tls_check_client(conn);
        return 0;
}
