/* src/tlcp/conn.c: the public byte pump of tlcp/conn.h: configuration checks, input and output, sticky
 * failures with their alert, application data and closing. The handshake itself is handshake.c's. */
#include "tlcp/conn.h"

#include <stdlib.h>
#include <string.h>

#include "tlcp/alert.h"
#include "tlcp/handshake.h"

void tlcp_config_init(struct tlcp_config *config, enum tlcp_role role)
{
        *config = (struct tlcp_config){.role = role,
                                       .verify_peer = true,
                                       .client_auth = TLCP_CLIENT_AUTH_NONE,
                                       .ecdhe_form = TLCP_ECDHE_FORM_TONGSUO};
}

static int tlcp_conn_check_credentials(const struct tlcp_credentials *credentials, const char *whose, struct err *err)
{
        if (credentials->sign_cert == NULL || credentials->enc_cert == NULL || credentials->sign_key == NULL ||
            credentials->enc_key == NULL)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: %s credentials need both certificates and both keys", whose);
        if (!key_is_private(credentials->sign_key) || !key_is_private(credentials->enc_key))
                return SMT_ERR(err, SMT_EINVAL, "tlcp: %s credentials need the private signing and encryption keys",
                               whose);
        if (key_get_alg(credentials->sign_key) != KEY_ALG_SM2 || key_get_alg(credentials->enc_key) != KEY_ALG_SM2)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: %s credentials need SM2 keys", whose);
        return SMT_OK;
}

static int tlcp_conn_check_config(const struct tlcp_config *config, struct err *err)
{
        if (config->suites != NULL && config->num_suites == 0)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: an empty cipher suite list");
        for (size_t i = 0; config->suites != NULL && i < config->num_suites; i++)
                if (tlcp_suite_lookup(config->suites[i]) == NULL)
                        return SMT_ERR(err, SMT_EINVAL, "tlcp: cipher suite 0x%04x is not implemented",
                                       (unsigned)config->suites[i]);
        if (config->role == TLCP_ROLE_SERVER) {
                if (config->credentials == NULL && config->select == NULL)
                        return SMT_ERR(err, SMT_EINVAL, "tlcp: a server needs credentials or a select callback");
                if (config->credentials != NULL)
                        TRY(tlcp_conn_check_credentials(config->credentials, "server", err));
                if (config->client_auth != TLCP_CLIENT_AUTH_NONE && config->trust == NULL)
                        return SMT_ERR(err, SMT_EINVAL, "tlcp: a server asking for client certificates needs trust");
                return SMT_OK;
        }
        if (config->role != TLCP_ROLE_CLIENT)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: role %d is neither client nor server", (int)config->role);
        if (config->verify_peer && config->trust == NULL)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: a client that verifies the server needs trust");
        if (config->ecdhe_form != TLCP_ECDHE_FORM_TONGSUO && config->ecdhe_form != TLCP_ECDHE_FORM_GMSSL)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: ECDHE form %d is neither Tongsuo's nor GmSSL's",
                               (int)config->ecdhe_form);
        if (config->server_name != NULL && strlen(config->server_name) > TLCP_SERVER_NAME_MAX)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: server name longer than %d bytes", TLCP_SERVER_NAME_MAX);
        if (config->client_credentials != NULL)
                return tlcp_conn_check_credentials(config->client_credentials, "client", err);
        for (size_t i = 0; config->suites != NULL && i < config->num_suites; i++)
                if (tlcp_suite_lookup(config->suites[i])->key_exchange == TLCP_KEY_EXCHANGE_ECC)
                        return SMT_OK;
        if (config->suites == NULL)
                return SMT_OK;
        return SMT_ERR(err, SMT_EINVAL,
                       "tlcp: a client without certificates can offer no ECDHE suite, and has only those");
}

int tlcp_conn_new(struct tlcp_conn **out, const struct tlcp_config *config, struct err *err)
{
        TRY(tlcp_conn_check_config(config, err));
        struct tlcp_conn *conn = calloc(1, sizeof *conn);
        if (conn == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "tlcp: out of memory for a connection");
        conn->config = config;
        conn->role = config->role;
        conn->step = TLCP_STEP_CLIENT_HELLO;
        conn->alert_received = -1;
        conn->last_warning_received = -1;
        conn->credentials = config->role == TLCP_ROLE_CLIENT ? config->client_credentials : config->credentials;
        tlcp_record_io_init(&conn->io);
        int status = tlcp_transcript_init(&conn->transcript, err);
        if (status < 0) {
                tlcp_conn_free(conn);
                return status;
        }
        *out = conn;
        return SMT_OK;
}

void tlcp_conn_free(struct tlcp_conn *conn)
{
        if (conn == NULL)
                return;
        tlcp_record_io_cleanup(&conn->io);
        tlcp_transcript_cleanup(&conn->transcript);
        tlcp_key_schedule_key_block_cleanup(&conn->key_block);
        sm2_key_exchange_free(conn->key_exchange);
        tlcp_handshake_peer_cleanup(&conn->peer);
        explicit_bzero(conn, sizeof *conn); /* pre-master, master secret and session with it */
        free(conn);
}

/* tlcp_conn_fail makes status sticky and queues its alert, once; it returns status. */
static int tlcp_conn_fail(struct tlcp_conn *conn, int status, struct err *err)
{
        conn->failure = status;
        if (err != NULL)
                conn->failure_err = *err;
        struct tlcp_alert alert;
        if (!conn->is_close_sent && tlcp_alert_lookup(status, &alert)) {
                struct err ignored = {0};
                if (tlcp_alert_write(&conn->io.write, &conn->io.output, status, &ignored) == SMT_OK)
                        conn->is_close_sent = true;
        }
        /* RFC 5246 §7.2.2: a session whose connection ended with a fatal alert cannot be resumed. */
        if (status != TLCP_ECLOSED && conn->role == TLCP_ROLE_SERVER && conn->config->session_cache != NULL &&
            conn->session_id_len > 0)
                tlcp_session_cache_remove(conn->config->session_cache, conn->session_id, conn->session_id_len);
        return status;
}

/* tlcp_conn_failed returns the sticky failure again, with its message, or 0. */
static int tlcp_conn_failed(const struct tlcp_conn *conn, struct err *err)
{
        if (conn->failure == 0)
                return SMT_OK;
        if (err != NULL)
                *err = conn->failure_err;
        return conn->failure;
}

int tlcp_conn_put_input(struct tlcp_conn *conn, const uint8_t *data, size_t len, size_t *consumed, struct err *err)
{
        *consumed = 0;
        TRY(tlcp_conn_failed(conn, err));
        tlcp_record_io_put_input(&conn->io, data, len, consumed);
        return SMT_OK;
}

size_t tlcp_conn_peek_output(struct tlcp_conn *conn, const uint8_t **data)
{
        return tlcp_record_io_peek_output(&conn->io, data);
}

void tlcp_conn_consume_output(struct tlcp_conn *conn, size_t len)
{
        tlcp_record_io_consume_output(&conn->io, len);
}

int tlcp_conn_handshake(struct tlcp_conn *conn, struct err *err)
{
        TRY(tlcp_conn_failed(conn, err));
        int status = tlcp_handshake_advance(conn, err);
        if (status < 0 && status != SMT_EAGAIN)
                return tlcp_conn_fail(conn, status, err);
        return status;
}

/* tlcp_conn_refuse_renegotiation answers a peer's attempt to renegotiate (RFC 5746 §4.2 and §4.4: a
 * HelloRequest to a client, a ClientHello to a server) with a warning no_renegotiation and goes on. */
static int tlcp_conn_refuse_renegotiation(struct tlcp_conn *conn, const struct tlcp_record_io_unit *unit,
                                          struct err *err)
{
        uint8_t type = unit->handshake.type;
        bool is_attempt =
            conn->role == TLCP_ROLE_CLIENT ? type == TLCP_HANDSHAKE_HELLO_REQUEST : type == TLCP_HANDSHAKE_CLIENT_HELLO;
        if (!is_attempt)
                return SMT_ERR(err, TLCP_EUNEXPECTED_MESSAGE, "tlcp: %s after the handshake",
                               tlcp_handshake_type_name(type));
        return tlcp_alert_write(&conn->io.write, &conn->io.output, TLCP_ENO_RENEGOTIATION, err);
}

/* tlcp_conn_next_application_data points *data at the next application data, acting on what comes first. */
static int tlcp_conn_next_application_data(struct tlcp_conn *conn, struct buf_reader **data, struct err *err)
{
        for (;;) {
                struct tlcp_record_io_unit unit;
                TRY(tlcp_handshake_next_unit(conn, &unit, err));
                switch (unit.type) {
                case TLCP_CONTENT_APPLICATION_DATA:
                        if (unit.application_data->len == 0)
                                continue; /* Tongsuo's empty record before its first data (tlcp-wire.md) */
                        *data = unit.application_data;
                        return SMT_OK;
                case TLCP_CONTENT_HANDSHAKE:
                        TRY(tlcp_conn_refuse_renegotiation(conn, &unit, err));
                        continue;
                default:
                        return SMT_ERR(err, TLCP_EUNEXPECTED_MESSAGE, "tlcp: change_cipher_spec after the handshake");
                }
        }
}

int tlcp_conn_read(struct tlcp_conn *conn, uint8_t *buf, size_t cap, size_t *len, struct err *err)
{
        *len = 0;
        TRY(tlcp_conn_handshake(conn, err));
        struct buf_reader *data =
            conn->io.is_open && conn->io.content_type == TLCP_CONTENT_APPLICATION_DATA ? &conn->io.content : NULL;
        if (data == NULL || data->len == 0) {
                int status = tlcp_conn_next_application_data(conn, &data, err);
                if (status == SMT_EAGAIN)
                        return status;
                if (status < 0)
                        return tlcp_conn_fail(conn, status, err);
        }
        size_t n = cap < data->len ? cap : data->len;
        if (buf_read_bytes(data, buf, n) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "tlcp: application data shorter than announced");
        *len = n;
        return SMT_OK;
}

int tlcp_conn_write(struct tlcp_conn *conn, const uint8_t *data, size_t len, struct err *err)
{
        TRY(tlcp_conn_handshake(conn, err));
        if (conn->is_close_sent)
                return SMT_ERR(err, SMT_EINVAL, "tlcp: write after close");
        /* Refused whole rather than half-sealed, so the connection stays usable once output is sent. */
        if (!tlcp_record_io_has_room(&conn->io, len))
                return SMT_ERR(err, SMT_ENOSPACE, "tlcp: %zu bytes do not fit the %u-byte output; send what is queued",
                               len, TLCP_RECORD_IO_OUTPUT_MAX);
        int status = tlcp_record_io_write(&conn->io, TLCP_CONTENT_APPLICATION_DATA, data, len, err);
        if (status < 0)
                return tlcp_conn_fail(conn, status, err);
        return SMT_OK;
}

int tlcp_conn_close(struct tlcp_conn *conn, struct err *err)
{
        if (conn->is_close_sent)
                return SMT_OK;
        TRY(tlcp_alert_write(&conn->io.write, &conn->io.output, TLCP_ECLOSED, err));
        conn->is_close_sent = true;
        return SMT_OK;
}

const struct tlcp_suite *tlcp_conn_get_suite(const struct tlcp_conn *conn)
{
        return conn->suite;
}

bool tlcp_conn_is_resumed(const struct tlcp_conn *conn)
{
        return conn->is_resumed;
}

const char *tlcp_conn_get_server_name(const struct tlcp_conn *conn)
{
        if (conn->role == TLCP_ROLE_CLIENT)
                return conn->config->server_name;
        return conn->has_server_name ? conn->server_name : NULL;
}

const struct cert *tlcp_conn_get_peer_sign_cert(const struct tlcp_conn *conn)
{
        return conn->peer.sign_cert;
}

const struct cert *tlcp_conn_get_peer_enc_cert(const struct tlcp_conn *conn)
{
        return conn->peer.enc_cert;
}

const struct tlcp_session *tlcp_conn_get_session(const struct tlcp_conn *conn)
{
        return conn->has_session && tlcp_handshake_is_complete(conn) ? &conn->session : NULL;
}

int tlcp_conn_get_alert_received(const struct tlcp_conn *conn)
{
        return conn->alert_received;
}

bool tlcp_conn_is_ecdhe_form_refused(const struct tlcp_conn *conn)
{
        if (conn->role != TLCP_ROLE_CLIENT || conn->suite == NULL || conn->failure != TLCP_EPEER_ALERT ||
            tlcp_handshake_is_complete(conn))
                return false;
        if (conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE)
                return conn->client_key_exchange_form != 0;
        /* ECC: the form shapes only a client's Certificate list and CertificateVerify. */
        return conn->has_client_certificate;
}
