/* src/tlcp/handshake_certificate_request.c: CertificateRequest (GB/T 38636-2020 §6.4.5.5): the server asks
 * for the client's certificate pair, always for ECDHE and when configured for ECC. */
#include "tlcp/handshake.h"

/* At most this many trusted roots are named, in at most this many bytes: a store of hundreds of public
 * roots must not make every handshake carry them all. */
#define TLCP_CERTIFICATE_REQUEST_AUTHORITIES_MAX       64
#define TLCP_CERTIFICATE_REQUEST_AUTHORITIES_BYTES_MAX (16 * 1024)

/* tlcp_handshake_certificate_request_authorities lists the DER subject names of the trusted roots (RFC
 * 5246 §7.4.4 DistinguishedName, which §6.4.5.5 takes over). GmSSL's client refuses to answer unless the
 * issuer of the last certificate of its chain is listed (tls_authorities_issued_certificate), and Tongsuo
 * lists its CA file the same way (vector 03): an empty list, which the standard allows, locks GmSSL out. */
static int tlcp_handshake_certificate_request_authorities(const struct cert_store *trust, struct buf_reader *out,
                                                          size_t *num_out, struct err *err)
{
        size_t total = 0, count = trust != NULL ? cert_store_count(trust) : 0;
        *num_out = 0;
        for (size_t i = 0; i < count && *num_out < TLCP_CERTIFICATE_REQUEST_AUTHORITIES_MAX; i++) {
                const uint8_t *name;
                size_t len;
                TRY(cert_subject_der(cert_store_get(trust, i), &name, &len, err));
                if (total + 2 + len > TLCP_CERTIFICATE_REQUEST_AUTHORITIES_BYTES_MAX)
                        continue;
                total += 2 + len;
                out[(*num_out)++] = buf_reader_make(name, len);
        }
        return SMT_OK;
}

int tlcp_handshake_certificate_request_send(struct tlcp_conn *conn, struct err *err)
{
        /* ecdsa_sign alone, as GmSSL sends (vector 05); Tongsuo adds rsa_sign (03-04), which no SM2 client
         * can use. */
        static const uint8_t types[] = {TLCP_CERTIFICATE_TYPE_ECDSA_SIGN};
        struct buf_reader authorities[TLCP_CERTIFICATE_REQUEST_AUTHORITIES_MAX];
        size_t num_authorities = 0;
        TRY(tlcp_handshake_certificate_request_authorities(conn->config->trust, authorities, &num_authorities, err));
        struct buf_writer body;
        buf_writer_init_heap(&body, TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_certificate_request_write(&body, types, sizeof types, authorities, num_authorities, err);
        if (status == SMT_OK)
                status = tlcp_handshake_send_message(conn, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, &body, err);
        buf_writer_cleanup(&body);
        return status;
}

int tlcp_handshake_certificate_request_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err)
{
        struct tlcp_certificate_request request;
        TRY(tlcp_certificate_request_parse(&request, body, err));
        /* The client answers with its pair whatever types and authorities are listed: it has only one. */
        conn->has_certificate_request = true;
        return SMT_OK;
}
