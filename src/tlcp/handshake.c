/* src/tlcp/handshake.c: the TLCP handshake as a table (GB/T 38636-2020 §6.4.5.1, figures 2 and 3).
 *
 * tlcp_steps gives each message its record type, handshake type, sender and handlers; the flows list the
 * order for each set of negotiated facts. One loop walks them; an unexpected message is one check here. */
#include "tlcp/handshake.h"

#include <string.h>

#include "tlcp/alert.h"

struct tlcp_step_action {
        uint8_t record_type;    /* enum tlcp_content_type */
        uint8_t handshake_type; /* enum tlcp_handshake_type, for handshake records */
        enum tlcp_role sender;
        int (*send)(struct tlcp_conn *conn, struct err *err);
        int (*recv)(struct tlcp_conn *conn, struct buf_reader *body, struct err *err);
        bool is_optional; /* the receiver goes on without it; smtrust never sends it */
        const char *name;
};

/* clang-format off */
#define TLCP_HS TLCP_CONTENT_HANDSHAKE
#define TLCP_CCS TLCP_CONTENT_CHANGE_CIPHER_SPEC

static const struct tlcp_step_action tlcp_steps[] = {
    /* [step] = { record, handshake type, sender, send, recv, optional, name } */
    [TLCP_STEP_CLIENT_HELLO] = { TLCP_HS, TLCP_HANDSHAKE_CLIENT_HELLO, TLCP_ROLE_CLIENT,
                                 tlcp_handshake_client_hello_send, tlcp_handshake_client_hello_recv, false,
                                 "client_hello" },
    [TLCP_STEP_SERVER_HELLO] = { TLCP_HS, TLCP_HANDSHAKE_SERVER_HELLO, TLCP_ROLE_SERVER,
                                 tlcp_handshake_server_hello_send, tlcp_handshake_server_hello_recv, false,
                                 "server_hello" },
    [TLCP_STEP_SERVER_CERTIFICATE] = { TLCP_HS, TLCP_HANDSHAKE_CERTIFICATE, TLCP_ROLE_SERVER,
                                       tlcp_handshake_certificate_send, tlcp_handshake_certificate_recv, false,
                                       "server certificate" },
    [TLCP_STEP_SERVER_KEY_EXCHANGE] = { TLCP_HS, TLCP_HANDSHAKE_SERVER_KEY_EXCHANGE, TLCP_ROLE_SERVER,
                                        tlcp_handshake_key_exchange_server_send,
                                        tlcp_handshake_key_exchange_server_recv, false, "server_key_exchange" },
    [TLCP_STEP_CERTIFICATE_REQUEST] = { TLCP_HS, TLCP_HANDSHAKE_CERTIFICATE_REQUEST, TLCP_ROLE_SERVER,
                                        tlcp_handshake_certificate_request_send,
                                        tlcp_handshake_certificate_request_recv, false, "certificate_request" },
    [TLCP_STEP_SERVER_HELLO_DONE] = { TLCP_HS, TLCP_HANDSHAKE_SERVER_HELLO_DONE, TLCP_ROLE_SERVER,
                                      tlcp_handshake_server_hello_done_send, tlcp_handshake_server_hello_done_recv,
                                      false, "server_hello_done" },
    [TLCP_STEP_CLIENT_CERTIFICATE] = { TLCP_HS, TLCP_HANDSHAKE_CERTIFICATE, TLCP_ROLE_CLIENT,
                                       tlcp_handshake_certificate_send, tlcp_handshake_certificate_recv, false,
                                       "client certificate" },
    [TLCP_STEP_CLIENT_KEY_EXCHANGE] = { TLCP_HS, TLCP_HANDSHAKE_CLIENT_KEY_EXCHANGE, TLCP_ROLE_CLIENT,
                                        tlcp_handshake_key_exchange_client_send,
                                        tlcp_handshake_key_exchange_client_recv, false, "client_key_exchange" },
    [TLCP_STEP_CERTIFICATE_VERIFY] = { TLCP_HS, TLCP_HANDSHAKE_CERTIFICATE_VERIFY, TLCP_ROLE_CLIENT,
                                       tlcp_handshake_certificate_verify_send,
                                       tlcp_handshake_certificate_verify_recv, false, "certificate_verify" },
    [TLCP_STEP_CLIENT_CHANGE_CIPHER_SPEC] = { TLCP_CCS, 0, TLCP_ROLE_CLIENT,
                                              tlcp_handshake_finished_change_cipher_spec_send,
                                              tlcp_handshake_finished_change_cipher_spec_recv, false,
                                              "client change_cipher_spec" },
    [TLCP_STEP_CLIENT_FINISHED] = { TLCP_HS, TLCP_HANDSHAKE_FINISHED, TLCP_ROLE_CLIENT,
                                    tlcp_handshake_finished_send, tlcp_handshake_finished_recv, false,
                                    "client finished" },
    /* RFC 5077 §3.3: Tongsuo servers send it when the client offered session_ticket; we only skip it. */
    [TLCP_STEP_NEW_SESSION_TICKET] = { TLCP_HS, TLCP_HANDSHAKE_NEW_SESSION_TICKET, TLCP_ROLE_SERVER, NULL,
                                       tlcp_handshake_finished_new_session_ticket_recv, true,
                                       "new_session_ticket" },
    [TLCP_STEP_SERVER_CHANGE_CIPHER_SPEC] = { TLCP_CCS, 0, TLCP_ROLE_SERVER,
                                              tlcp_handshake_finished_change_cipher_spec_send,
                                              tlcp_handshake_finished_change_cipher_spec_recv, false,
                                              "server change_cipher_spec" },
    [TLCP_STEP_SERVER_FINISHED] = { TLCP_HS, TLCP_HANDSHAKE_FINISHED, TLCP_ROLE_SERVER,
                                    tlcp_handshake_finished_send, tlcp_handshake_finished_recv, false,
                                    "server finished" },
};

/* GB/T 38636 §6.4.5.1 figure 2: the full handshake; ServerKeyExchange is always sent. */
static const enum tlcp_step tlcp_flow_ecc[] = {
        TLCP_STEP_CLIENT_HELLO,
        TLCP_STEP_SERVER_HELLO,
        TLCP_STEP_SERVER_CERTIFICATE,
        TLCP_STEP_SERVER_KEY_EXCHANGE,
        TLCP_STEP_SERVER_HELLO_DONE,
        TLCP_STEP_CLIENT_KEY_EXCHANGE,
        TLCP_STEP_CLIENT_CHANGE_CIPHER_SPEC,
        TLCP_STEP_CLIENT_FINISHED,
        TLCP_STEP_NEW_SESSION_TICKET,
        TLCP_STEP_SERVER_CHANGE_CIPHER_SPEC,
        TLCP_STEP_SERVER_FINISHED,
        TLCP_STEP_APPLICATION_DATA,
};

/* The same with client authentication; the ECDHE suites always take it (§6.4.5.5). */
static const enum tlcp_step tlcp_flow_client_auth[] = {
        TLCP_STEP_CLIENT_HELLO,
        TLCP_STEP_SERVER_HELLO,
        TLCP_STEP_SERVER_CERTIFICATE,
        TLCP_STEP_SERVER_KEY_EXCHANGE,
        TLCP_STEP_CERTIFICATE_REQUEST,
        TLCP_STEP_SERVER_HELLO_DONE,
        TLCP_STEP_CLIENT_CERTIFICATE,
        TLCP_STEP_CLIENT_KEY_EXCHANGE,
        TLCP_STEP_CERTIFICATE_VERIFY,
        TLCP_STEP_CLIENT_CHANGE_CIPHER_SPEC,
        TLCP_STEP_CLIENT_FINISHED,
        TLCP_STEP_NEW_SESSION_TICKET,
        TLCP_STEP_SERVER_CHANGE_CIPHER_SPEC,
        TLCP_STEP_SERVER_FINISHED,
        TLCP_STEP_APPLICATION_DATA,
};

/* Asked for certificates, the client had none: an empty Certificate and no CertificateVerify (§6.4.5.9). */
static const enum tlcp_step tlcp_flow_client_auth_without_certificate[] = {
        TLCP_STEP_CLIENT_HELLO,
        TLCP_STEP_SERVER_HELLO,
        TLCP_STEP_SERVER_CERTIFICATE,
        TLCP_STEP_SERVER_KEY_EXCHANGE,
        TLCP_STEP_CERTIFICATE_REQUEST,
        TLCP_STEP_SERVER_HELLO_DONE,
        TLCP_STEP_CLIENT_CERTIFICATE,
        TLCP_STEP_CLIENT_KEY_EXCHANGE,
        TLCP_STEP_CLIENT_CHANGE_CIPHER_SPEC,
        TLCP_STEP_CLIENT_FINISHED,
        TLCP_STEP_NEW_SESSION_TICKET,
        TLCP_STEP_SERVER_CHANGE_CIPHER_SPEC,
        TLCP_STEP_SERVER_FINISHED,
        TLCP_STEP_APPLICATION_DATA,
};

/* §6.4.5.1 figure 3: resumption; the server finishes first. */
static const enum tlcp_step tlcp_flow_resumed[] = {
        TLCP_STEP_CLIENT_HELLO,
        TLCP_STEP_SERVER_HELLO,
        TLCP_STEP_NEW_SESSION_TICKET,
        TLCP_STEP_SERVER_CHANGE_CIPHER_SPEC,
        TLCP_STEP_SERVER_FINISHED,
        TLCP_STEP_CLIENT_CHANGE_CIPHER_SPEC,
        TLCP_STEP_CLIENT_FINISHED,
        TLCP_STEP_APPLICATION_DATA,
};

/* clang-format on */

struct tlcp_flow {
        const enum tlcp_step *steps;
        size_t num_steps;
};

#define TLCP_FLOW(steps) ((struct tlcp_flow){(steps), sizeof(steps) / sizeof((steps)[0])})

/* tlcp_handshake_pick_flow reads the facts: before ServerHello every flow starts the same way. */
static struct tlcp_flow tlcp_handshake_pick_flow(const struct tlcp_conn *conn)
{
        if (conn->is_resumed)
                return TLCP_FLOW(tlcp_flow_resumed);
        if (conn->suite != NULL && conn->suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE)
                return TLCP_FLOW(tlcp_flow_client_auth);
        if (!conn->has_certificate_request)
                return TLCP_FLOW(tlcp_flow_ecc);
        /* Until the client's Certificate is through, the two client-auth flows are the same. */
        if (!conn->has_client_certificate)
                return TLCP_FLOW(tlcp_flow_client_auth_without_certificate);
        return TLCP_FLOW(tlcp_flow_client_auth);
}

/* tlcp_handshake_transition is the only writer of conn->step: the step after done in the flow the facts
 * now pick. */
static void tlcp_handshake_transition(struct tlcp_conn *conn, enum tlcp_step done)
{
        struct tlcp_flow flow = tlcp_handshake_pick_flow(conn);
        conn->previous_step = done;
        for (size_t i = 0; i + 1 < flow.num_steps; i++) {
                if (flow.steps[i] == done) {
                        conn->step = flow.steps[i + 1];
                        return;
                }
        }
        conn->step = TLCP_STEP_APPLICATION_DATA; /* unreachable: done is in every flow that led to it */
}

bool tlcp_handshake_is_complete(const struct tlcp_conn *conn)
{
        return conn->step == TLCP_STEP_APPLICATION_DATA;
}

time_t tlcp_handshake_now(const struct tlcp_conn *conn)
{
        return conn->config->verify_time != 0 ? conn->config->verify_time : time(NULL);
}

int tlcp_handshake_send_message(struct tlcp_conn *conn, uint8_t type, const struct buf_writer *body, struct err *err)
{
        struct buf_writer message;
        buf_writer_init_heap(&message, TLCP_HANDSHAKE_HEADER_LEN + TLCP_MAX_HANDSHAKE_MESSAGE);
        int status = tlcp_handshake_header_write(&message, type, body->len, err);
        if (status == SMT_OK && buf_write_bytes(&message, body->data, body->len) < 0)
                status = SMT_ERR(err, SMT_ENOMEM, "%s: no memory for the message", tlcp_handshake_type_name(type));
        if (status == SMT_OK)
                status = tlcp_transcript_add(&conn->transcript, message.data, message.len, err);
        if (status == SMT_OK)
                status = tlcp_record_io_write(&conn->io, TLCP_CONTENT_HANDSHAKE, message.data, message.len, err);
        buf_writer_cleanup(&message);
        return status;
}

/* tlcp_handshake_expect matches a received unit against the step, skipping what may be left out. */
static int tlcp_handshake_expect(struct tlcp_conn *conn, const struct tlcp_record_io_unit *unit, struct err *err)
{
        for (;;) {
                const struct tlcp_step_action *action = &tlcp_steps[conn->step];
                bool is_handshake = unit->type == TLCP_CONTENT_HANDSHAKE;
                if (unit->type == action->record_type &&
                    (!is_handshake || unit->handshake.type == action->handshake_type))
                        return SMT_OK;
                /* §6.4.5.5: only CertificateRequest itself tells a client that the server asks for its
                 * certificates; where ServerHelloDone was due, it switches to the client-auth flow. */
                if (conn->role == TLCP_ROLE_CLIENT && conn->step == TLCP_STEP_SERVER_HELLO_DONE && is_handshake &&
                    unit->handshake.type == TLCP_HANDSHAKE_CERTIFICATE_REQUEST && !conn->has_certificate_request) {
                        conn->has_certificate_request = true;
                        tlcp_handshake_transition(conn, conn->previous_step);
                        continue;
                }
                if (action->is_optional) {
                        tlcp_handshake_transition(conn, conn->step);
                        continue;
                }
                const char *got = unit->type == TLCP_CONTENT_CHANGE_CIPHER_SPEC ? "change_cipher_spec"
                                  : unit->type == TLCP_CONTENT_APPLICATION_DATA
                                      ? "application_data"
                                      : tlcp_handshake_type_name(unit->handshake.type);
                return SMT_ERR(err, TLCP_EUNEXPECTED_MESSAGE, "handshake: received %s while waiting for %s", got,
                               action->name);
        }
}

int tlcp_handshake_next_unit(struct tlcp_conn *conn, struct tlcp_record_io_unit *unit, struct err *err)
{
        for (;;) {
                TRY(tlcp_record_io_next(&conn->io, unit, err));
                if (unit->type != TLCP_CONTENT_ALERT)
                        return SMT_OK;
                struct tlcp_alert alert;
                int status = tlcp_alert_receive(&alert, &unit->body, err);
                if (status == SMT_OK) {
                        conn->last_warning_received = alert.description;
                        continue;
                }
                if (status == TLCP_ECLOSED)
                        conn->is_peer_closed = true;
                else if (status == TLCP_EPEER_ALERT)
                        conn->alert_received = alert.description;
                return status;
        }
}

/* tlcp_handshake_receive takes the next message for the step and hands it to the step's receiver. */
static int tlcp_handshake_receive(struct tlcp_conn *conn, struct err *err)
{
        struct tlcp_record_io_unit unit;
        int status = tlcp_handshake_next_unit(conn, &unit, err);
        if (status == SMT_EAGAIN || status == TLCP_ECLOSED || status == TLCP_EPEER_ALERT)
                return status;
        if (status < 0) {
                err_prefix(err, "waiting for %s", tlcp_steps[conn->step].name); /* a record-level failure */
                return status;
        }
        TRY(tlcp_handshake_expect(conn, &unit, err));
        enum tlcp_step step = conn->step;
        TRY(tlcp_steps[step].recv(conn, &unit.body, err));
        /* After the receiver: Finished and CertificateVerify cover the messages before themselves. */
        if (unit.type == TLCP_CONTENT_HANDSHAKE)
                TRY(tlcp_transcript_add(&conn->transcript, unit.message.data, unit.message.len, err));
        tlcp_handshake_transition(conn, step);
        return SMT_OK;
}

int tlcp_handshake_advance(struct tlcp_conn *conn, struct err *err)
{
        while (conn->step != TLCP_STEP_APPLICATION_DATA) {
                const struct tlcp_step_action *action = &tlcp_steps[conn->step];
                enum tlcp_step step = conn->step;
                if (action->sender == conn->role && action->is_optional) {
                        tlcp_handshake_transition(conn, step); /* never sent by smtrust */
                        continue;
                }
                if (action->sender == conn->role) {
                        TRY(action->send(conn, err));
                        tlcp_handshake_transition(conn, step);
                        continue;
                }
                TRY(tlcp_handshake_receive(conn, err));
        }
        return SMT_OK;
}
