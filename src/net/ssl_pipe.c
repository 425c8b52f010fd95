/* src/net/ssl_pipe.c: an OpenSSL connection over two memory BIOs. */
#include "net/ssl_pipe.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "crypto/crypto_error.h"

int net_ssl_pipe_open(struct net_ssl_pipe *pipe, SSL_CTX *ctx, struct err *err)
{
        pipe->ssl = SSL_new(ctx);
        pipe->in = BIO_new(BIO_s_mem());
        pipe->out = BIO_new(BIO_s_mem());
        if (pipe->ssl == NULL || pipe->in == NULL || pipe->out == NULL) {
                SSL_free(pipe->ssl);
                BIO_free(pipe->in);
                BIO_free(pipe->out);
                *pipe = (struct net_ssl_pipe){ 0 };
                return crypto_error_set(err, SMT_ENOMEM, "SSL_new");
        }
        BIO_set_mem_eof_return(pipe->in, -1);
        BIO_set_mem_eof_return(pipe->out, -1);
        SSL_set_bio(pipe->ssl, pipe->in, pipe->out);
        SSL_set_mode(pipe->ssl, SSL_MODE_RELEASE_BUFFERS);
        return SMT_OK;
}

void net_ssl_pipe_close(struct net_ssl_pipe *pipe)
{
        SSL_free(pipe->ssl); /* frees both BIOs */
        *pipe = (struct net_ssl_pipe){ 0 };
}

int net_ssl_pipe_put_input(struct net_ssl_pipe *pipe, const uint8_t *data, size_t len, size_t max_pending,
                           size_t *consumed, struct err *err)
{
        *consumed = 0;
        if (len == 0)
                return SMT_OK;
        size_t pending = BIO_ctrl_pending(pipe->in);
        if (pending > max_pending)
                return SMT_ERR(err, SMT_EAGAIN, "%zu input bytes still unprocessed", pending);
        size_t written = 0;
        if (BIO_write_ex(pipe->in, data, len, &written) != 1 || written != len)
                return crypto_error_set(err, SMT_ENOMEM, "buffering %zu input bytes", len);
        *consumed = len;
        return SMT_OK;
}

size_t net_ssl_pipe_peek_output(struct net_ssl_pipe *pipe, const uint8_t **data)
{
        char *p = NULL;
        long n = BIO_get_mem_data(pipe->out, &p);
        *data = (const uint8_t *)p;
        return n > 0 ? (size_t)n : 0;
}

void net_ssl_pipe_consume_output(struct net_ssl_pipe *pipe, size_t len)
{
        uint8_t scratch[4096];
        while (len > 0) {
                size_t got = 0;
                if (BIO_read_ex(pipe->out, scratch, len < sizeof scratch ? len : sizeof scratch, &got) != 1)
                        break;
                len -= got;
        }
}

/* net_ssl_pipe_status maps a failed SSL call to a status; OpenSSL has queued any alert in the output. */
static int net_ssl_pipe_status(struct net_ssl_pipe *pipe, int ret, const char *what, struct err *err)
{
        switch (SSL_get_error(pipe->ssl, ret)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
                ERR_clear_error();
                return SMT_ERR(err, SMT_EAGAIN, "%s needs more input", what);
        case SSL_ERROR_ZERO_RETURN:
                ERR_clear_error();
                return SMT_ERR(err, TLCP_ECLOSED, "%s: the peer sent close_notify", what);
        case SSL_ERROR_SSL:
                return crypto_error_set(err, SSL_is_init_finished(pipe->ssl) ? CRYPTO_EOPENSSL : TLCP_EHANDSHAKE_FAILURE,
                                        "%s", what);
        default:
                return crypto_error_set(err, CRYPTO_EOPENSSL, "%s", what);
        }
}

int net_ssl_pipe_handshake(struct net_ssl_pipe *pipe, struct err *err)
{
        int ret = SSL_do_handshake(pipe->ssl);
        return ret == 1 ? SMT_OK : net_ssl_pipe_status(pipe, ret, "TLS handshake", err);
}

int net_ssl_pipe_read(struct net_ssl_pipe *pipe, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        *len = 0;
        int ret = SSL_read_ex(pipe->ssl, buf, cap, len);
        return ret == 1 ? SMT_OK : net_ssl_pipe_status(pipe, ret, "TLS read", err);
}

int net_ssl_pipe_write(struct net_ssl_pipe *pipe, const uint8_t *data, size_t len, struct err *err)
{
        size_t written = 0;
        if (len == 0)
                return SMT_OK;
        int ret = SSL_write_ex(pipe->ssl, data, len, &written);
        return ret == 1 ? SMT_OK : net_ssl_pipe_status(pipe, ret, "TLS write", err);
}

int net_ssl_pipe_shutdown(struct net_ssl_pipe *pipe, struct err *err)
{
        int ret = SSL_shutdown(pipe->ssl);
        return ret >= 0 ? SMT_OK : net_ssl_pipe_status(pipe, ret, "TLS close_notify", err);
}
