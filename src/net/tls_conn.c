/* src/net/tls_conn.c: see tls_conn.h. */
#include "net/tls_conn.h"

#include "net/ssl_pipe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/buf.h"
#include "crypto/crypto_error.h"

/* RFC 9325 §4.2: TLS 1.2 only with ECDHE and AEAD suites. TLS 1.3 keeps OpenSSL's default AEAD list. */
#define NET_TLS_CIPHERS_12 "ECDHE+AESGCM:ECDHE+CHACHA20"

/* What a ticket remembers of its session (RFC 8446 §4.6.1 leaves the ticket's content to the server): the
 * certificate algorithm that first authenticated it, so a resumed connection still reports it. */
#define NET_TLS_TICKET_ECDSA "ECDSA"
#define NET_TLS_TICKET_RSA   "RSA"

/* RFC 7301 3.1 protocol IDs: http/1.1, and acme-tls/1 (RFC 8737 6.2), in the wire form of a list. */
static const unsigned char net_tls_alpn_http[] = "\x08http/1.1";
static const unsigned char net_tls_alpn_acme[] = "\x0a"
                                                 "acme-tls/1";

/* The SSL ex_data slot marking a ClientHello that asked for tls-alpn-01 (set in the client hello callback,
 * read by the SNI callback that runs after OpenSSL has parsed the server_name extension). */
static int net_tls_acme_index = -1;
static pthread_once_t net_tls_acme_once = PTHREAD_ONCE_INIT;
static char net_tls_acme_mark; /* its address is the mark */

static void net_tls_acme_index_init(void)
{
        net_tls_acme_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

struct net_tls_conn {
        struct net_ssl_pipe pipe; /* the SSL and its memory BIOs */
};

static bool net_tls_has_pair(const struct net_tls_credentials *c)
{
        return c != NULL &&
               ((c->ecc_cert != NULL && c->ecc_key != NULL) || (c->rsa_cert != NULL && c->rsa_key != NULL));
}

static int net_tls_config_check(const struct net_tls_config *config, struct err *err)
{
        if (config->select == NULL && !net_tls_has_pair(config->credentials))
                return SMT_ERR(err, SMT_EINVAL,
                               "TLS server config has no select callback and no certificate with its key");
        return 0;
}

/* net_tls_use_pair installs one certificate with its key and the intermediates after it, on a connection
 * built on demand. */
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

/* net_tls_switch gives the connection the chosen credentials: their prepared context (certificates, keys
 * and chains shared, not copied), or the pairs installed on this connection alone. */
static int net_tls_switch(SSL *ssl, const struct net_tls_credentials *c)
{
        if (c->prepared != NULL)
                return SSL_set_SSL_CTX(ssl, c->prepared) != NULL;
        return net_tls_use_pair(ssl, c->ecc_cert, c->ecc_key, c->chain) &&
               net_tls_use_pair(ssl, c->rsa_cert, c->rsa_key, c->chain);
}

/* net_tls_acme_switch gives a tls-alpn-01 handshake the validation context of its SNI name, or refuses it
 * (RFC 8737 3 needs SNI; a name without a pending challenge must not get the site's certificate). */
static int net_tls_acme_switch(SSL *ssl, const struct net_tls_config *config, int *alert)
{
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        SSL_CTX *ctx = name != NULL ? config->acme_select(config->acme_select_arg, name) : NULL;
        if (ctx == NULL) {
                *alert = SSL_AD_UNRECOGNIZED_NAME;
                return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        bool switched = SSL_set_SSL_CTX(ssl, ctx) != NULL;
        SSL_CTX_free(ctx); /* the hook's reference; the SSL took its own */
        if (!switched) {
                *alert = SSL_AD_INTERNAL_ERROR;
                return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        return SSL_TLSEXT_ERR_OK;
}

/* net_tls_servername_cb runs early in every ClientHello (OpenSSL calls it with or without SNI), before
 * OpenSSL picks a certificate, so the pair chosen for the name is the one offered. arg is the config. */
static int net_tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
        const struct net_tls_config *config = arg;
        const struct net_tls_credentials *chosen = config->credentials;
        if (config->acme_select != NULL && SSL_get_ex_data(ssl, net_tls_acme_index) == &net_tls_acme_mark)
                return net_tls_acme_switch(ssl, config, alert);
        if (config->select != NULL &&
            config->select(config->select_arg, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), &chosen) != 0) {
                *alert = SSL_AD_UNRECOGNIZED_NAME; /* RFC 6066 §3 */
                return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        if (chosen == NULL || !net_tls_switch(ssl, chosen)) {
                *alert = SSL_AD_INTERNAL_ERROR;
                return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        return SSL_TLSEXT_ERR_OK;
}

/* net_tls_alpn_cb picks the protocol of the context (arg: http/1.1, or acme-tls/1 on a validation context)
 * when the client offers it (RFC 7301 §3.2); no common protocol means no ALPN answer, not a failure. */
static int net_tls_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *out_len, const unsigned char *in,
                           unsigned int in_len, void *arg)
{
        const unsigned char *ours = arg;
        unsigned char *selected = NULL;
        (void)ssl;
        if (SSL_select_next_proto(&selected, out_len, ours, (unsigned)ours[0] + 1, in, in_len) !=
            OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK;
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
}

/* net_tls_alpn_offers says whether the ClientHello's ProtocolNameList (RFC 7301 3.1) holds protocol (in
 * wire form); a malformed list holds nothing (OpenSSL refuses it afterwards). */
static bool net_tls_alpn_offers(struct buf_reader list, const unsigned char *protocol)
{
        struct buf_reader names, name;
        if (buf_read_u16_vector(&list, &names) != 0)
                return false;
        while (names.len > 0) {
                if (buf_read_u8_vector(&names, &name) != 0)
                        return false;
                if (name.len == protocol[0] && memcmp(name.data, protocol + 1, name.len) == 0)
                        return true;
        }
        return false;
}

/* net_tls_client_hello_cb runs first on every ClientHello of a config with an acme_select hook. Only a
 * client offering acme-tls/1 without http/1.1 is validating (RFC 8737 3: the CA offers acme-tls/1 alone);
 * it is marked for the SNI callback, and kept from resuming a site's session or getting a ticket: that
 * has to be decided here, before OpenSSL looks at the session it offers. */
static int net_tls_client_hello_cb(SSL *ssl, int *alert, void *arg)
{
        const unsigned char *data = NULL;
        size_t len = 0;
        (void)arg;
        if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data, &len) != 1)
                return SSL_CLIENT_HELLO_SUCCESS;
        struct buf_reader list = buf_reader_make(data, len);
        if (!net_tls_alpn_offers(list, net_tls_alpn_acme) || net_tls_alpn_offers(list, net_tls_alpn_http))
                return SSL_CLIENT_HELLO_SUCCESS;
        SSL_set_options(ssl, SSL_OP_NO_TICKET);
        if (SSL_set_num_tickets(ssl, 0) != 1 || SSL_set_ex_data(ssl, net_tls_acme_index, &net_tls_acme_mark) != 1) {
                *alert = SSL_AD_INTERNAL_ERROR;
                return SSL_CLIENT_HELLO_ERROR;
        }
        return SSL_CLIENT_HELLO_SUCCESS;
}

/* net_tls_served_alg names the key of the certificate OpenSSL chose for this handshake. */
static const char *net_tls_served_alg(const SSL *ssl)
{
        X509 *leaf = SSL_get_certificate(ssl);
        EVP_PKEY *key = leaf != NULL ? X509_get0_pubkey(leaf) : NULL;
        if (key == NULL)
                return "";
        switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC:
                return NET_TLS_TICKET_ECDSA;
        case EVP_PKEY_RSA:
        case EVP_PKEY_RSA_PSS:
                return NET_TLS_TICKET_RSA;
        default:
                return "";
        }
}

/* net_tls_ticket_cb runs as OpenSSL seals a ticket. A resumed session already carries its algorithm
 * (OpenSSL copies the ticket data into the renewed session); a full handshake records the one just served. */
static int net_tls_ticket_cb(SSL *ssl, void *arg)
{
        (void)arg;
        if (SSL_session_reused(ssl) == 1)
                return 1;
        const char *alg = net_tls_served_alg(ssl);
        return SSL_SESSION_set1_ticket_appdata(SSL_get_session(ssl), alg, strlen(alg));
}

/* net_tls_policy_ctx_new makes a context with the policy every one of ours shares. ALPN is asked of the
 * current context, which SNI may have switched, so each context has the hook. */
static int net_tls_policy_ctx_new(SSL_CTX **out, struct err *err)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (ctx == NULL)
                return crypto_error_set(err, SMT_ENOMEM, "SSL_CTX_new");
        SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_cipher_list(ctx, NET_TLS_CIPHERS_12) != 1) {
                SSL_CTX_free(ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS server policy");
        }
        SSL_CTX_set_alpn_select_cb(ctx, net_tls_alpn_cb, (void *)net_tls_alpn_http);
        *out = ctx;
        return 0;
}

/* net_tls_base_ctx_new makes the context a connection starts from: the SNI hook and, when prepared, tickets
 * under this context's key. No server-side session cache: tickets keep the state with the client. */
static int net_tls_base_ctx_new(SSL_CTX **out, const struct net_tls_config *config, bool tickets, struct err *err)
{
        if (config->acme_select != NULL &&
            (pthread_once(&net_tls_acme_once, net_tls_acme_index_init) != 0 || net_tls_acme_index < 0))
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS ex_data index for tls-alpn-01");
        TRY(net_tls_policy_ctx_new(out, err));
        SSL_CTX_set_session_cache_mode(*out, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_tlsext_servername_callback(*out, net_tls_servername_cb);
        SSL_CTX_set_tlsext_servername_arg(*out, (void *)config);
        if (config->acme_select != NULL)
                SSL_CTX_set_client_hello_cb(*out, net_tls_client_hello_cb, NULL);
        if (!tickets) {
                /* No TLS 1.2 ticket, and no TLS 1.3 NewSessionTicket at all (SSL_OP_NO_TICKET alone would send
                 * stateful ones, useless without a cache). */
                SSL_CTX_set_options(*out, SSL_OP_NO_TICKET);
                SSL_CTX_set_num_tickets(*out, 0);
        } else if (SSL_CTX_set_session_ticket_cb(*out, net_tls_ticket_cb, NULL, NULL) != 1) {
                SSL_CTX_free(*out);
                *out = NULL;
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS session ticket hook");
        }
        return 0;
}

/* net_tls_key_is says whether key (a certificate's or a private one) is of the type a slot takes. */
static bool net_tls_key_is(const EVP_PKEY *key, bool rsa)
{
        int id = key != NULL ? EVP_PKEY_get_base_id(key) : EVP_PKEY_NONE;
        return rsa ? id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS : id == EVP_PKEY_EC;
}

/* net_tls_ctx_add_pair puts one certificate, its key and the chain in their slot of ctx; OpenSSL keeps
 * one slot per key type, so an ECC and an RSA pair sit side by side. */
static int net_tls_ctx_add_pair(SSL_CTX *ctx, const struct cert *cert, const struct key *key,
                                const struct cert_chain *chain, bool rsa, struct err *err)
{
        const char *what = rsa ? "RSA" : "ECC";
        if (cert == NULL || key == NULL)
                return 0;
        /* OpenSSL files a pair by its key's type: an EC key given as the RSA pair would land in the ECC slot. */
        if (!net_tls_key_is(X509_get0_pubkey(cert_x509(cert)), rsa) || !net_tls_key_is(key_evp(key), rsa))
                return SMT_ERR(err, CRYPTO_EWRONGALG, "TLS %s pair: the certificate and key must both be %s", what,
                               rsa ? "RSA" : "EC (ECDSA)");
        if (SSL_CTX_use_certificate(ctx, cert_x509(cert)) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS %s certificate", what);
        if (SSL_CTX_use_PrivateKey(ctx, key_evp(key)) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS %s key (does it match the certificate?)", what);
        for (size_t i = 0; chain != NULL && i < cert_chain_count(chain); i++)
                if (SSL_CTX_add1_chain_cert(ctx, cert_x509(cert_chain_get(chain, i))) != 1)
                        return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS %s chain certificate %zu", what, i);
        return 0;
}

int net_tls_credentials_prepare(struct net_tls_credentials *c, struct err *err)
{
        if (!net_tls_has_pair(c))
                return SMT_ERR(err, SMT_EINVAL, "TLS credentials have no certificate with its key");
        SSL_CTX *ctx = NULL;
        TRY(net_tls_policy_ctx_new(&ctx, err));
        int status = net_tls_ctx_add_pair(ctx, c->ecc_cert, c->ecc_key, c->chain, false, err);
        if (status == 0)
                status = net_tls_ctx_add_pair(ctx, c->rsa_cert, c->rsa_key, c->chain, true, err);
        if (status != 0) {
                SSL_CTX_free(ctx);
                return status;
        }
        SSL_CTX_free(c->prepared);
        c->prepared = ctx;
        return 0;
}

void net_tls_credentials_release(struct net_tls_credentials *c)
{
        SSL_CTX_free(c->prepared);
        c->prepared = NULL;
}

/* net_tls_status_cb runs once OpenSSL has chosen the leaf (RFC 6066 8: the staple answers for the certificate
 * sent); no staple is a normal outcome (SSL_TLSEXT_ERR_NOACK), never a handshake failure. */
static int net_tls_status_cb(SSL *ssl, void *arg)
{
        const struct net_tls_stapler *stapler = arg;
        X509 *leaf = SSL_get_certificate(ssl);
        unsigned char *leaf_der = NULL;
        uint8_t *staple = NULL;
        size_t staple_len = 0;
        int leaf_len = leaf != NULL ? i2d_X509(leaf, &leaf_der) : -1;
        int status = leaf_len > 0 ? stapler->fn(stapler->arg, leaf_der, (size_t)leaf_len, &staple, &staple_len) : -1;
        OPENSSL_free(leaf_der);
        unsigned char *copy = status == 0 && staple != NULL ? OPENSSL_memdup(staple, staple_len) : NULL;
        free(staple);
        if (copy == NULL)
                return SSL_TLSEXT_ERR_NOACK;
        if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)staple_len) != 1) {
                OPENSSL_free(copy);
                return SSL_TLSEXT_ERR_NOACK;
        }
        return SSL_TLSEXT_ERR_OK;
}

int net_tls_credentials_set_stapler(const struct net_tls_credentials *c, const struct net_tls_stapler *stapler,
                                    struct err *err)
{
        if (c->prepared == NULL)
                return SMT_ERR(err, SMT_EINVAL, "OCSP stapling needs prepared TLS credentials");
        SSL_CTX_set_tlsext_status_cb(c->prepared, net_tls_status_cb);
        SSL_CTX_set_tlsext_status_arg(c->prepared, (void *)stapler);
        return 0;
}

int net_tls_acme_ctx_new(SSL_CTX **out, const struct cert *cert, const struct key *key, struct err *err)
{
        SSL_CTX *ctx = NULL;
        *out = NULL;
        TRY(net_tls_policy_ctx_new(&ctx, err));
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx, 0);
        SSL_CTX_set_alpn_select_cb(ctx, net_tls_alpn_cb, (void *)net_tls_alpn_acme);
        if (SSL_CTX_use_certificate(ctx, cert_x509(cert)) != 1 || SSL_CTX_use_PrivateKey(ctx, key_evp(key)) != 1) {
                SSL_CTX_free(ctx);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "tls-alpn-01 certificate and key");
        }
        *out = ctx;
        return SMT_OK;
}

void net_tls_ctx_free(SSL_CTX *ctx)
{
        SSL_CTX_free(ctx);
}

int net_tls_config_prepare(struct net_tls_config *config, struct err *err)
{
        TRY(net_tls_config_check(config, err));
        SSL_CTX *ctx = NULL;
        TRY(net_tls_base_ctx_new(&ctx, config, true, err));
        SSL_CTX_free(config->prepared);
        config->prepared = ctx;
        return 0;
}

void net_tls_config_release(struct net_tls_config *config)
{
        SSL_CTX_free(config->prepared);
        config->prepared = NULL;
}

/* net_tls_ssl_setup makes the connection on ctx (which it then holds a reference to). */
static int net_tls_ssl_setup(struct net_tls_conn *conn, SSL_CTX *ctx, struct err *err)
{
        TRY(net_ssl_pipe_open(&conn->pipe, ctx, err));
        SSL_set_accept_state(conn->pipe.ssl);
        return 0;
}

int net_tls_conn_new(struct net_tls_conn **out, const struct net_tls_config *config, struct err *err)
{
        *out = NULL;
        TRY(net_tls_config_check(config, err));
        SSL_CTX *ctx = config->prepared;
        if (ctx == NULL)
                TRY(net_tls_base_ctx_new(&ctx, config, false, err));
        else
                SSL_CTX_up_ref(ctx);
        struct net_tls_conn *conn = calloc(1, sizeof(*conn));
        int status = conn != NULL ? net_tls_ssl_setup(conn, ctx, err)
                                  : SMT_ERR(err, SMT_ENOMEM, "allocating a TLS connection");
        SSL_CTX_free(ctx); /* the connection holds its own reference */
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
        net_ssl_pipe_close(&conn->pipe);
        free(conn);
}

int net_tls_conn_put_input(struct net_tls_conn *conn, const uint8_t *data, size_t len, size_t *consumed,
                           struct err *err)
{
        return net_ssl_pipe_put_input(&conn->pipe, data, len, NET_TLS_INPUT_MAX, consumed, err);
}

size_t net_tls_conn_peek_output(struct net_tls_conn *conn, const uint8_t **data)
{
        return net_ssl_pipe_peek_output(&conn->pipe, data);
}

void net_tls_conn_consume_output(struct net_tls_conn *conn, size_t len)
{
        net_ssl_pipe_consume_output(&conn->pipe, len);
}

int net_tls_conn_handshake(struct net_tls_conn *conn, struct err *err)
{
        return net_ssl_pipe_handshake(&conn->pipe, err);
}

int net_tls_conn_read(struct net_tls_conn *conn, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        return net_ssl_pipe_read(&conn->pipe, buf, cap, len, err);
}

int net_tls_conn_write(struct net_tls_conn *conn, const uint8_t *data, size_t len, struct err *err)
{
        return net_ssl_pipe_write(&conn->pipe, data, len, err);
}

int net_tls_conn_close(struct net_tls_conn *conn, struct err *err)
{
        return net_ssl_pipe_shutdown(&conn->pipe, err);
}

const char *net_tls_conn_get_protocol(const struct net_tls_conn *conn)
{
        return SSL_get_version(conn->pipe.ssl);
}

const char *net_tls_conn_get_cipher(const struct net_tls_conn *conn)
{
        return SSL_get_cipher_name(conn->pipe.ssl);
}

const char *net_tls_conn_get_server_name(const struct net_tls_conn *conn)
{
        return SSL_get_servername(conn->pipe.ssl, TLSEXT_NAMETYPE_host_name);
}

bool net_tls_conn_is_resumed(const struct net_tls_conn *conn)
{
        return SSL_session_reused(conn->pipe.ssl) == 1;
}

bool net_tls_conn_is_acme(const struct net_tls_conn *conn)
{
        /* Only a validation context selects acme-tls/1 (the others offer http/1.1 alone). */
        const unsigned char *selected = NULL;
        unsigned selected_len = 0;
        if (!SSL_is_init_finished(conn->pipe.ssl))
                return false;
        SSL_get0_alpn_selected(conn->pipe.ssl, &selected, &selected_len);
        return selected_len == net_tls_alpn_acme[0] && memcmp(selected, net_tls_alpn_acme + 1, selected_len) == 0;
}

const char *net_tls_conn_get_certificate_alg(const struct net_tls_conn *conn)
{
        if (!SSL_is_init_finished(conn->pipe.ssl))
                return "";
        if (SSL_session_reused(conn->pipe.ssl) != 1)
                return net_tls_served_alg(conn->pipe.ssl);
        void *data = NULL;
        size_t len = 0;
        if (SSL_SESSION_get0_ticket_appdata(SSL_get_session(conn->pipe.ssl), &data, &len) != 1)
                return "";
        if (len == strlen(NET_TLS_TICKET_ECDSA) && memcmp(data, NET_TLS_TICKET_ECDSA, len) == 0)
                return NET_TLS_TICKET_ECDSA;
        if (len == strlen(NET_TLS_TICKET_RSA) && memcmp(data, NET_TLS_TICKET_RSA, len) == 0)
                return NET_TLS_TICKET_RSA;
        return "";
}

int net_tls_config_share_ticket_key(struct net_tls_config *to, const struct net_tls_config *from, struct err *err)
{
        /* OpenSSL 3.0's ticket key material: name (16), HMAC secret (32) and AES key (32). */
        unsigned char keys[80];
        if (to->prepared == NULL || from->prepared == NULL)
                return SMT_ERR(err, SMT_EINVAL, "sharing a TLS ticket key needs two prepared configs");
        if (SSL_CTX_get_tlsext_ticket_keys(from->prepared, keys, sizeof keys) != 1 ||
            SSL_CTX_set_tlsext_ticket_keys(to->prepared, keys, sizeof keys) != 1) {
                OPENSSL_cleanse(keys, sizeof keys);
                return crypto_error_set(err, CRYPTO_EOPENSSL, "TLS ticket key");
        }
        OPENSSL_cleanse(keys, sizeof keys);
        return SMT_OK;
}
