/* src/net/ssl_pipe.c: an OpenSSL connection over two memory BIOs. */
#include "net/ssl_pipe.h"

#include <openssl/bio.h>
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
