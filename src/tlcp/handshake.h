/* src/tlcp/handshake.h: the TLCP handshake engine (GB/T 38636-2020 §6.4.5) behind tlcp/conn.h.
 *
 * struct tlcp_conn lives here, shared by conn.c (the public byte pump) and the handshake files: handshake.c
 * holds the step table and the flows, and each handshake_<message>.c sends and receives one message. Only
 * tlcp_handshake_advance (through its transition function) moves conn->step. Handlers return a status;
 * conn.c turns a failure into the alert that alert.c's table names. Not an API for other layers. */
#ifndef SMT_TLCP_HANDSHAKE_H
#define SMT_TLCP_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/sm2.h"
#include "tlcp/conn.h"
#include "tlcp/key_schedule.h"
#include "tlcp/messages.h"
#include "tlcp/record_io.h"
#include "tlcp/session_cache.h"
#include "tlcp/transcript.h"

/* One step per message of any flow, in wire order; the flows in handshake.c pick and order them. */
enum tlcp_step {
        TLCP_STEP_CLIENT_HELLO = 1,
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
        TLCP_STEP_APPLICATION_DATA, /* the handshake is complete */
};

/* The peer's certificate pair, parsed from its Certificate message. */
struct tlcp_peer {
        struct cert *sign_cert;
        struct cert *enc_cert;
        struct cert_chain *chain; /* every certificate after the first two, may be empty */
        struct key *sign_key;     /* public keys of the two certificates */
        struct key *enc_key;
};

struct tlcp_conn {
        const struct tlcp_config *config;
        enum tlcp_role role;
        enum tlcp_step step;          /* the message to send or receive next */
        enum tlcp_step previous_step; /* the last one done: flows go on from it */
        int failure;                  /* the sticky fatal status, 0 while none */
        struct err failure_err;
        bool is_peer_closed;       /* close_notify received */
        bool is_close_sent;        /* close_notify or a fatal alert sent */
        int alert_received;        /* description of the peer's fatal alert, -1 while none */
        int last_warning_received; /* description of the last warning alert, -1 while none (for tests) */
        struct tlcp_record_io io;
        struct tlcp_transcript transcript;

        /* facts the handlers record; the flow is picked from them */
        const struct tlcp_suite *suite; /* NULL before ServerHello */
        bool is_resumed;
        bool has_certificate_request;                                /* the server asks for the client's certificates */
        bool has_client_certificate;                                 /* the client sent a non-empty Certificate */
        enum tlcp_client_key_exchange_form client_key_exchange_form; /* as sent or received */

        uint8_t client_random[TLCP_RANDOM_LEN];
        uint8_t server_random[TLCP_RANDOM_LEN];
        uint8_t session_id[TLCP_SESSION_ID_MAX];
        size_t session_id_len;
        uint8_t pre_master_secret[TLCP_PRE_MASTER_SECRET_LEN];
        uint8_t master_secret[TLCP_MASTER_SECRET_LEN];
        struct tlcp_key_block key_block;       /* from the master secret until both ChangeCipherSpecs are through */
        struct sm2_key_exchange *key_exchange; /* ECDHE: our ephemeral key */
        uint8_t peer_point[SM2_POINT_LEN];     /* ECDHE: the server's ephemeral point (client side) */

        const struct tlcp_credentials *credentials; /* ours: the server's selected pair or the client's */
        struct tlcp_peer peer;
        bool has_server_name;
        char server_name[TLCP_SERVER_NAME_MAX + 1];
        struct tlcp_session session; /* client: the one offered, then the one made; server: the one resumed */
        bool has_session;            /* client: session holds a completed handshake's session */
};

/* tlcp_handshake_advance runs the flow as far as input allows: 0 when complete, SMT_EAGAIN for input. */
int tlcp_handshake_advance(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;

/* tlcp_handshake_next_unit yields the next handshake message, change_cipher_spec or application data,
 * acting on alerts on the way: warnings are skipped, close_notify is TLCP_ECLOSED and a fatal alert
 * TLCP_EPEER_ALERT (both recorded in conn). */
int tlcp_handshake_next_unit(struct tlcp_conn *conn, struct tlcp_record_io_unit *unit, struct err *err) SMT_MUST_USE;

/* tlcp_handshake_is_complete says whether the handshake has finished. */
bool tlcp_handshake_is_complete(const struct tlcp_conn *conn);

/* tlcp_handshake_now returns the connection's clock: config->verify_time when set, else the time now. */
time_t tlcp_handshake_now(const struct tlcp_conn *conn);

/* tlcp_handshake_send_message frames body as a handshake message of type, adds it to the transcript and
 * queues it as records (handshake.c). */
int tlcp_handshake_send_message(struct tlcp_conn *conn, uint8_t type, const struct buf_writer *body,
                                struct err *err) SMT_MUST_USE;

/* tlcp_handshake_certificate_subject writes cert's subject for messages ("?" when unreadable). */
void tlcp_handshake_certificate_subject(const struct cert *cert, char out[CERT_NAME_TEXT_MAX]);

/* tlcp_handshake_peer_cleanup frees what the peer's certificates gave (handshake_certificate.c). */
void tlcp_handshake_peer_cleanup(struct tlcp_peer *peer);

/* tlcp_handshake_client_hello_random fills a hello's Random: gmt_unix_time (4) || random_bytes (28),
 * GB/T 38636 §6.4.5.2.1 (handshake_client_hello.c). */
int tlcp_handshake_client_hello_random(const struct tlcp_conn *conn, uint8_t out[TLCP_RANDOM_LEN],
                                       struct err *err) SMT_MUST_USE;

/* tlcp_handshake_client_hello_is_offered says whether a client offers suite id: configured, and ECDHE only
 * with client credentials (handshake_client_hello.c). */
bool tlcp_handshake_client_hello_is_offered(const struct tlcp_conn *conn, uint16_t id);

/* Send and receive handlers, one pair per step (NULL where that side never acts). A receiver gets the
 * message body; the transcript gets the whole message after it returns. */
int tlcp_handshake_client_hello_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_client_hello_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err) SMT_MUST_USE;
int tlcp_handshake_server_hello_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_server_hello_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err) SMT_MUST_USE;
int tlcp_handshake_certificate_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_certificate_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err) SMT_MUST_USE;
int tlcp_handshake_certificate_request_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_certificate_request_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                            struct err *err) SMT_MUST_USE;
int tlcp_handshake_server_hello_done_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_server_hello_done_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                          struct err *err) SMT_MUST_USE;
int tlcp_handshake_key_exchange_server_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_key_exchange_server_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                            struct err *err) SMT_MUST_USE;
int tlcp_handshake_key_exchange_client_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_key_exchange_client_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                            struct err *err) SMT_MUST_USE;
int tlcp_handshake_certificate_verify_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_certificate_verify_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                           struct err *err) SMT_MUST_USE;
int tlcp_handshake_finished_change_cipher_spec_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_finished_change_cipher_spec_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                                    struct err *err) SMT_MUST_USE;
int tlcp_handshake_finished_send(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;
int tlcp_handshake_finished_recv(struct tlcp_conn *conn, struct buf_reader *body, struct err *err) SMT_MUST_USE;
int tlcp_handshake_finished_new_session_ticket_recv(struct tlcp_conn *conn, struct buf_reader *body,
                                                    struct err *err) SMT_MUST_USE;

/* tlcp_handshake_key_exchange_master_secret turns the pre-master secret into the master secret and key
 * block, wiping the pre-master secret (handshake_key_exchange.c). */
int tlcp_handshake_key_exchange_master_secret(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;

/* tlcp_handshake_finished_key_block derives conn->key_block from conn->master_secret (handshake_finished.c). */
int tlcp_handshake_finished_key_block(struct tlcp_conn *conn, struct err *err) SMT_MUST_USE;

#endif
