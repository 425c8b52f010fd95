/* bench/gateway_load_channel.c: the secure channel of `smtrust bench load`: OpenSSL's TLS client straight
 * on the non-blocking socket, or our TLCP client (tlcp/conn.h) with the socket pumped here. Either way
 * no session is ever offered again, so every new connection is a full handshake. */
#include "bench/gateway_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "crypto/cert.h"
#include "crypto/crypto_error.h"
#include "net/address.h"
#include "tlcp/conn.h"
#include "tlcp/protocol.h"

/* What the socket gave and the TLCP connection has not taken yet: one whole record at most. */
#define LOAD_CHANNEL_INPUT_MAX  (TLCP_RECORD_HEADER_LEN + TLCP_MAX_CIPHERTEXT)
#define LOAD_CHANNEL_SUITES_MAX 16

struct bench_gateway_load_client {
        enum bench_gateway_load_protocol protocol;
        char server_name[NET_ADDRESS_HOST_MAX];
        bool is_ip_literal;
        bool verify;
        SSL_CTX *ssl_ctx;
        struct cert_store *trust;
        struct tlcp_config tlcp;
        uint16_t suites[LOAD_CHANNEL_SUITES_MAX];
};

struct bench_gateway_load_channel {
        struct bench_gateway_load_client *client;
        int fd;
        SSL *ssl;
        struct tlcp_conn *tlcp;
        bool is_write_queued; /* TLCP: the bytes of an unfinished write are sealed in the output already */
        uint8_t *input;
        size_t input_start;
        size_t input_len;
};

static int load_channel_tls_client(struct bench_gateway_load_client *client, const char *cafile, struct err *err)
{
        /* ALPN "http/1.1" (RFC 7301 §3.1: a length-prefixed list), as browsers and curl offer it. */
        static const unsigned char alpn[] = "\x08http/1.1";
        client->ssl_ctx = SSL_CTX_new(TLS_client_method());
        if (client->ssl_ctx == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "SSL_CTX_new");
        SSL_CTX_set_min_proto_version(client->ssl_ctx, TLS1_2_VERSION);
        /* No client session cache and no tickets asked for: each connection is a full handshake. A server
         * that ends TCP without close_notify ends the stream, as it does for curl. */
        SSL_CTX_set_session_cache_mode(client->ssl_ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(client->ssl_ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
        if (SSL_CTX_set_alpn_protos(client->ssl_ctx, alpn, sizeof alpn - 1) != 0)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "SSL_CTX_set_alpn_protos");
        if (cafile == NULL) {
                SSL_CTX_set_verify(client->ssl_ctx, SSL_VERIFY_NONE, NULL);
                return SMT_OK;
        }
        if (SSL_CTX_load_verify_locations(client->ssl_ctx, cafile, NULL) != 1)
                return crypto_error_set(err, CRYPTO_ECERT, "--cafile %s", cafile);
        SSL_CTX_set_verify(client->ssl_ctx, SSL_VERIFY_PEER, NULL);
        return SMT_OK;
}

static int load_channel_tlcp_client(struct bench_gateway_load_client *client, const char *cafile, struct err *err)
{
        tlcp_config_init(&client->tlcp, TLCP_ROLE_CLIENT);
        client->tlcp.verify_peer = cafile != NULL;
        if (cafile != NULL) {
                TRY(cert_store_load(&client->trust, cafile, err));
                client->tlcp.trust = client->trust;
        }
        client->tlcp.server_name = client->server_name;
        /* Without a client certificate pair only the ECC suites can be agreed (GB/T 38636 §6.4.5.5). */
        size_t num_all = 0, num_suites = 0;
        const struct tlcp_suite *all = tlcp_suite_all(&num_all);
        for (size_t i = 0; i < num_all && num_suites < LOAD_CHANNEL_SUITES_MAX; i++)
                if (all[i].key_exchange != TLCP_KEY_EXCHANGE_ECDHE)
                        client->suites[num_suites++] = (uint16_t)all[i].id;
        client->tlcp.suites = client->suites;
        client->tlcp.num_suites = num_suites;
        return SMT_OK;
}

int bench_gateway_load_client_new(struct bench_gateway_load_client **out,
                                  const struct bench_gateway_load_client_config *config, struct err *err)
{
        struct bench_gateway_load_client *client = calloc(1, sizeof *client);
        if (client == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "load client: out of memory");
        client->protocol = config->protocol;
        snprintf(client->server_name, sizeof client->server_name, "%s",
                 config->server_name != NULL ? config->server_name : "");
        client->is_ip_literal = net_address_is_ip_literal(client->server_name);
        client->verify = config->cafile != NULL;
        int status = config->protocol == BENCH_GATEWAY_LOAD_TLCP ? load_channel_tlcp_client(client, config->cafile, err)
                                                                 : load_channel_tls_client(client, config->cafile, err);
        if (status < 0) {
                bench_gateway_load_client_free(client);
                return status;
        }
        *out = client;
        return SMT_OK;
}

void bench_gateway_load_client_free(struct bench_gateway_load_client *client)
{
        if (client == NULL)
                return;
        SSL_CTX_free(client->ssl_ctx);
        cert_store_free(client->trust);
        free(client);
}

/* load_channel_tls_name sends SNI (RFC 6066 §3: host names only, never IP literals) and sets the name or
 * address the certificate must match. */
static int load_channel_tls_name(struct bench_gateway_load_channel *channel, struct err *err)
{
        const struct bench_gateway_load_client *client = channel->client;
        if (client->server_name[0] == '\0')
                return SMT_OK;
        if (!client->is_ip_literal && SSL_set_tlsext_host_name(channel->ssl, client->server_name) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "SNI %s", client->server_name);
        if (!client->verify)
                return SMT_OK;
        X509_VERIFY_PARAM *param = SSL_get0_param(channel->ssl);
        int ok = client->is_ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, client->server_name)
                                       : X509_VERIFY_PARAM_set1_host(param, client->server_name, 0);
        return ok == 1 ? SMT_OK : crypto_error_set(err, CRYPTO_EOPENSSL, "verify name %s", client->server_name);
}

static int load_channel_start(struct bench_gateway_load_channel *channel, struct err *err)
{
        struct bench_gateway_load_client *client = channel->client;
        if (client->protocol == BENCH_GATEWAY_LOAD_TLCP) {
                channel->input = malloc(LOAD_CHANNEL_INPUT_MAX);
                if (channel->input == NULL)
                        return SMT_ERR(err, SMT_ENOMEM, "load channel: out of memory");
                return tlcp_conn_new(&channel->tlcp, &client->tlcp, err);
        }
        channel->ssl = SSL_new(client->ssl_ctx);
        if (channel->ssl == NULL)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "SSL_new");
        if (SSL_set_fd(channel->ssl, channel->fd) != 1)
                return crypto_error_set(err, CRYPTO_EOPENSSL, "SSL_set_fd");
        SSL_set_connect_state(channel->ssl);
        return load_channel_tls_name(channel, err);
}

int bench_gateway_load_channel_new(struct bench_gateway_load_channel **out, struct bench_gateway_load_client *client,
                                   int fd, struct err *err)
{
        struct bench_gateway_load_channel *channel = calloc(1, sizeof *channel);
        if (channel == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "load channel: out of memory");
        channel->client = client;
        channel->fd = fd;
        int status = load_channel_start(channel, err);
        if (status < 0) {
                bench_gateway_load_channel_free(channel);
                return status;
        }
        *out = channel;
        return SMT_OK;
}

void bench_gateway_load_channel_free(struct bench_gateway_load_channel *channel)
{
        if (channel == NULL)
                return;
        SSL_free(channel->ssl);
        tlcp_conn_free(channel->tlcp);
        free(channel->input);
        free(channel);
}

/* load_channel_tls_status turns the result of an SSL call into ours: what to wait for, a clean end of the
 * stream, or a failure naming what was being done. */
static int load_channel_tls_status(struct bench_gateway_load_channel *channel, int result, const char *what,
                                   unsigned *want, struct err *err)
{
        int saved_errno = errno;
        switch (SSL_get_error(channel->ssl, result)) {
        case SSL_ERROR_WANT_READ:
                *want = BENCH_GATEWAY_LOAD_WANT_READ;
                return SMT_EAGAIN;
        case SSL_ERROR_WANT_WRITE:
                *want = BENCH_GATEWAY_LOAD_WANT_WRITE;
                return SMT_EAGAIN;
        case SSL_ERROR_ZERO_RETURN:
                return SMT_ERR(err, TLCP_ECLOSED, "TLS %s: the server closed the connection", what);
        case SSL_ERROR_SYSCALL:
                if (ERR_peek_error() == 0 && saved_errno == 0)
                        return SMT_ERR(err, TLCP_ECLOSED, "TLS %s: the server closed the connection", what);
                if (ERR_peek_error() == 0)
                        return SMT_ERR(err, SMT_EIO, "TLS %s: %s", what, strerror(saved_errno));
                break;
        default:
                break;
        }
        long verify = SSL_get_verify_result(channel->ssl);
        if (verify != X509_V_OK)
                return crypto_error_set(err, CRYPTO_ECERT_UNTRUSTED, "TLS %s: %s", what,
                                        X509_verify_cert_error_string(verify));
        return crypto_error_set(err, TLCP_EHANDSHAKE_FAILURE, "TLS %s", what);
}

/* load_channel_flush sends what the TLCP connection has queued. */
static int load_channel_flush(struct bench_gateway_load_channel *channel, unsigned *want, struct err *err)
{
        const uint8_t *data = NULL;
        size_t len;
        while ((len = tlcp_conn_peek_output(channel->tlcp, &data)) > 0) {
                ssize_t sent = send(channel->fd, data, len, MSG_NOSIGNAL);
                if (sent > 0) {
                        tlcp_conn_consume_output(channel->tlcp, (size_t)sent);
                } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        *want = BENCH_GATEWAY_LOAD_WANT_WRITE;
                        return SMT_EAGAIN;
                } else if (sent < 0 && errno != EINTR) {
                        return SMT_ERR(err, SMT_EIO, "TLCP send: %s", strerror(errno));
                }
        }
        return SMT_OK;
}

/* load_channel_feed gives the TLCP connection bytes, reading the socket when none wait: TLCP_ECLOSED at
 * the end of the TCP stream. */
static int load_channel_feed(struct bench_gateway_load_channel *channel, unsigned *want, struct err *err)
{
        if (channel->input_len == 0) {
                ssize_t got = recv(channel->fd, channel->input, LOAD_CHANNEL_INPUT_MAX, 0);
                if (got == 0)
                        return SMT_ERR(err, TLCP_ECLOSED, "TLCP: the server closed the connection");
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                        *want = BENCH_GATEWAY_LOAD_WANT_READ;
                        return SMT_EAGAIN;
                }
                if (got < 0)
                        return SMT_ERR(err, SMT_EIO, "TLCP recv: %s", strerror(errno));
                channel->input_start = 0;
                channel->input_len = (size_t)got;
        }
        struct buf_reader waiting = buf_reader_make(channel->input, channel->input_start + channel->input_len);
        TRY(buf_skip(&waiting, channel->input_start));
        size_t consumed = 0;
        TRY(tlcp_conn_put_input(channel->tlcp, waiting.data, waiting.len, &consumed, err));
        if (consumed == 0)
                return SMT_ERR(err, SMT_EINTERNAL, "the TLCP connection asked for input but took none of %zu bytes",
                               waiting.len);
        channel->input_start += consumed;
        channel->input_len -= consumed;
        return SMT_OK;
}

static int load_channel_tlcp_handshake(struct bench_gateway_load_channel *channel, unsigned *want, struct err *err)
{
        for (;;) {
                int status = tlcp_conn_handshake(channel->tlcp, err);
                if (status != SMT_OK && status != SMT_EAGAIN) {
                        unsigned ignored;
                        struct err flush_err = {0};
                        (void)load_channel_flush(channel, &ignored, &flush_err); /* the alert, if it fits */
                        return err_prefix(err, "TLCP handshake");
                }
                TRY(load_channel_flush(channel, want, err));
                if (status == SMT_OK)
                        return SMT_OK;
                status = load_channel_feed(channel, want, err);
                if (status == TLCP_ECLOSED)
                        return SMT_ERR(err, SMT_EIO, "TLCP handshake: the server closed the connection");
                TRY(status);
        }
}

int bench_gateway_load_channel_handshake(struct bench_gateway_load_channel *channel, unsigned *want, struct err *err)
{
        if (channel->tlcp != NULL)
                return load_channel_tlcp_handshake(channel, want, err);
        errno = 0; /* SSL_ERROR_SYSCALL with errno still 0 is the end of the TCP stream */
        int result = SSL_do_handshake(channel->ssl);
        if (result == 1)
                return SMT_OK;
        int status = load_channel_tls_status(channel, result, "handshake", want, err);
        return status == TLCP_ECLOSED ? SMT_ERR(err, SMT_EIO, "TLS handshake: the server closed the connection")
                                      : status;
}

int bench_gateway_load_channel_write(struct bench_gateway_load_channel *channel, const uint8_t *data, size_t len,
                                     unsigned *want, struct err *err)
{
        if (channel->tlcp == NULL) {
                errno = 0;
                int result = SSL_write(channel->ssl, data, (int)len);
                if (result > 0)
                        return SMT_OK;
                int status = load_channel_tls_status(channel, result, "write", want, err);
                return status == TLCP_ECLOSED ? SMT_ERR(err, SMT_EIO, "TLS write: the server closed the connection")
                                              : status;
        }
        if (!channel->is_write_queued) {
                TRY(tlcp_conn_write(channel->tlcp, data, len, err));
                channel->is_write_queued = true;
        }
        TRY(load_channel_flush(channel, want, err));
        channel->is_write_queued = false;
        return SMT_OK;
}

static int load_channel_tlcp_read(struct bench_gateway_load_channel *channel, uint8_t *buf, size_t cap, size_t *len,
                                  unsigned *want, struct err *err)
{
        for (;;) {
                TRY(load_channel_flush(channel, want, err));
                *len = 0;
                int status = tlcp_conn_read(channel->tlcp, buf, cap, len, err);
                if (status == SMT_OK && *len > 0)
                        return SMT_OK;
                if (status != SMT_OK && status != SMT_EAGAIN)
                        return status;
                TRY(load_channel_feed(channel, want, err));
        }
}

int bench_gateway_load_channel_read(struct bench_gateway_load_channel *channel, uint8_t *buf, size_t cap, size_t *len,
                                    unsigned *want, struct err *err)
{
        if (channel->tlcp != NULL)
                return load_channel_tlcp_read(channel, buf, cap, len, want, err);
        errno = 0;
        int result = SSL_read(channel->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
        if (result > 0) {
                *len = (size_t)result;
                return SMT_OK;
        }
        return load_channel_tls_status(channel, result, "read", want, err);
}

void bench_gateway_load_channel_describe(const struct bench_gateway_load_channel *channel, char *out, size_t cap)
{
        if (channel->tlcp != NULL) {
                const struct tlcp_suite *suite = tlcp_conn_get_suite(channel->tlcp);
                snprintf(out, cap, "TLCP %s", suite != NULL ? suite->name : "(no suite)");
                return;
        }
        snprintf(out, cap, "%s %s", SSL_get_version(channel->ssl), SSL_get_cipher_name(channel->ssl));
}
