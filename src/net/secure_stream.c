/* src/net/secure_stream.c: see secure_stream.h. A tagged union: two back ends do not need a vtable. */
#include "net/secure_stream.h"

#include <stdlib.h>

#include "net/sniff.h"
#include "tlcp/protocol.h"

struct net_secure_stream {
        enum net_secure_stream_kind kind;
        union {
                struct tlcp_conn *tlcp;
                struct net_tls_conn *tls;
        } u;
};

static int net_secure_stream_alloc(struct net_secure_stream **out, enum net_secure_stream_kind kind, struct err *err)
{
        *out = calloc(1, sizeof(**out));
        if (*out == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "allocating a secure stream");
        (*out)->kind = kind;
        return 0;
}

int net_secure_stream_new_tlcp(struct net_secure_stream **out, const struct tlcp_config *config, struct err *err)
{
        TRY(net_secure_stream_alloc(out, NET_SECURE_STREAM_TLCP, err));
        int status = tlcp_conn_new(&(*out)->u.tlcp, config, err);
        if (status != 0) {
                free(*out);
                *out = NULL;
        }
        return status;
}

int net_secure_stream_new_tls(struct net_secure_stream **out, const struct net_tls_config *config, struct err *err)
{
        TRY(net_secure_stream_alloc(out, NET_SECURE_STREAM_TLS, err));
        int status = net_tls_conn_new(&(*out)->u.tls, config, err);
        if (status != 0) {
                free(*out);
                *out = NULL;
        }
        return status;
}

int net_secure_stream_new_for_client_hello(struct net_secure_stream **out, const uint8_t *first, size_t len,
                                           const struct tlcp_config *tlcp, const struct net_tls_config *tls,
                                           struct err *err)
{
        *out = NULL;
        enum net_sniff_kind kind = net_sniff_classify(first, len);
        if (kind == NET_SNIFF_NEED_MORE)
                return SMT_ERR(err, SMT_EAGAIN, "%zu first bytes do not tell TLCP from TLS yet", len);
        if (kind == NET_SNIFF_TLCP && tlcp != NULL)
                return net_secure_stream_new_tlcp(out, tlcp, err);
        if (kind == NET_SNIFF_TLS && tls != NULL)
                return net_secure_stream_new_tls(out, tls, err);
        return SMT_ERR(err, SMT_EDECODE, "the client's first bytes are %s, not a ClientHello this port serves",
                       net_sniff_kind_name(kind));
}

void net_secure_stream_free(struct net_secure_stream *stream)
{
        if (stream == NULL)
                return;
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                tlcp_conn_free(stream->u.tlcp);
        else
                net_tls_conn_free(stream->u.tls);
        free(stream);
}

enum net_secure_stream_kind net_secure_stream_get_kind(const struct net_secure_stream *stream)
{
        return stream->kind;
}

int net_secure_stream_put_input(struct net_secure_stream *stream, const uint8_t *data, size_t len, size_t *consumed,
                                struct err *err)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_put_input(stream->u.tlcp, data, len, consumed, err);
        return net_tls_conn_put_input(stream->u.tls, data, len, consumed, err);
}

size_t net_secure_stream_peek_output(struct net_secure_stream *stream, const uint8_t **data)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_peek_output(stream->u.tlcp, data);
        return net_tls_conn_peek_output(stream->u.tls, data);
}

void net_secure_stream_consume_output(struct net_secure_stream *stream, size_t len)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                tlcp_conn_consume_output(stream->u.tlcp, len);
        else
                net_tls_conn_consume_output(stream->u.tls, len);
}

int net_secure_stream_handshake(struct net_secure_stream *stream, struct err *err)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_handshake(stream->u.tlcp, err);
        return net_tls_conn_handshake(stream->u.tls, err);
}

int net_secure_stream_read(struct net_secure_stream *stream, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_read(stream->u.tlcp, buf, cap, len, err);
        return net_tls_conn_read(stream->u.tls, buf, cap, len, err);
}

int net_secure_stream_write(struct net_secure_stream *stream, const uint8_t *data, size_t len, struct err *err)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_write(stream->u.tlcp, data, len, err);
        return net_tls_conn_write(stream->u.tls, data, len, err);
}

int net_secure_stream_close(struct net_secure_stream *stream, struct err *err)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_close(stream->u.tlcp, err);
        return net_tls_conn_close(stream->u.tls, err);
}

const char *net_secure_stream_get_protocol(const struct net_secure_stream *stream)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return "TLCP";
        return net_tls_conn_get_protocol(stream->u.tls);
}

const char *net_secure_stream_get_cipher(const struct net_secure_stream *stream)
{
        if (stream->kind == NET_SECURE_STREAM_TLS)
                return net_tls_conn_get_cipher(stream->u.tls);
        const struct tlcp_suite *suite = tlcp_conn_get_suite(stream->u.tlcp);
        return suite != NULL ? suite->name : "";
}

const char *net_secure_stream_get_server_name(const struct net_secure_stream *stream)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_get_server_name(stream->u.tlcp);
        return net_tls_conn_get_server_name(stream->u.tls);
}

const char *net_secure_stream_get_certificate_alg(const struct net_secure_stream *stream)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return "SM2"; /* GB/T 38636: both TLCP certificates are SM2 */
        return net_tls_conn_get_certificate_alg(stream->u.tls);
}

bool net_secure_stream_is_resumed(const struct net_secure_stream *stream)
{
        if (stream->kind == NET_SECURE_STREAM_TLCP)
                return tlcp_conn_is_resumed(stream->u.tlcp);
        return net_tls_conn_is_resumed(stream->u.tls);
}

bool net_secure_stream_is_acme(const struct net_secure_stream *stream)
{
        return stream->kind == NET_SECURE_STREAM_TLS && net_tls_conn_is_acme(stream->u.tls);
}
