/* tests/unit/tlcp/handshake_fixture.h: a TLCP client and server in memory for the handshake tests: the
 * shared test PKI (vectors/tlcp/pki/sm2), certificates issued on the spot for the failure cases, and a
 * pump that moves bytes between the two connections (whole, or a few bytes at a time). */
#ifndef SMT_TESTS_TLCP_HANDSHAKE_FIXTURE_H
#define SMT_TESTS_TLCP_HANDSHAKE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "tlcp/conn.h"

/* 2027-06-01 00:00:00 UTC: inside the shared PKI's validity (2026-11-22 .. 2031-11-21). */
#define HANDSHAKE_FIXTURE_TIME ((time_t)1811808000)

/* The shared PKI: both pairs, the root as trust. */
struct handshake_fixture_pki {
        struct cert *ca;
        struct cert *server_sign, *server_enc, *client_sign, *client_enc;
        struct key *server_sign_key, *server_enc_key, *client_sign_key, *client_enc_key;
        struct cert_store *trust;
        struct tlcp_credentials server;
        struct tlcp_credentials client;
};

/* handshake_fixture_pki_load loads the shared PKI (skips the program when it is absent). */
void handshake_fixture_pki_load(struct handshake_fixture_pki *pki);
void handshake_fixture_pki_free(struct handshake_fixture_pki *pki);

/* handshake_fixture_issue makes a certificate for subject_key signed by issuer (NULL: self-signed CA),
 * with DNS name cn, key usage bits and validity [not_before, not_after]; fails the test on error. */
struct cert *handshake_fixture_issue(const struct key *subject_key, const struct cert *issuer_cert,
                                     const struct key *issuer_key, const char *cn, bool is_ca, unsigned key_usage,
                                     time_t not_before, time_t not_after);

/* Bytes in flight in one direction. chunk limits each delivery (0: as much as the receiver takes). */
struct handshake_fixture_wire {
        uint8_t *data;
        size_t len;
        size_t cap;
        size_t chunk;
};

struct handshake_fixture {
        struct tlcp_config client_config;
        struct tlcp_config server_config;
        struct tlcp_conn *client;
        struct tlcp_conn *server;
        struct handshake_fixture_wire to_server;
        struct handshake_fixture_wire to_client;
        int client_status; /* of the last tlcp_conn_handshake */
        int server_status;
        struct err client_err;
        struct err server_err;
};

/* handshake_fixture_init fills both configs for the shared PKI (client: trust, server name "localhost",
 * fixed verify time; server: credentials); the test adjusts them before handshake_fixture_start. */
void handshake_fixture_init(struct handshake_fixture *f, const struct handshake_fixture_pki *pki);

/* handshake_fixture_start makes both connections from the configs (fails the test on error). */
void handshake_fixture_start(struct handshake_fixture *f);

/* handshake_fixture_run pumps until neither side moves: both complete, or one failed and the other got
 * its alert. Statuses and errors end up in f. */
void handshake_fixture_run(struct handshake_fixture *f);

/* handshake_fixture_transfer moves what each side has queued onto the wire; true when anything moved. */
bool handshake_fixture_transfer(struct handshake_fixture *f);

/* handshake_fixture_read reads exactly len bytes of application data on conn (the client or the server),
 * delivering from its wire as needed; returns the last tlcp_conn_read status (0 when all arrived). */
int handshake_fixture_read(struct handshake_fixture *f, struct tlcp_conn *conn, uint8_t *buf, size_t len,
                           struct err *err);

/* handshake_fixture_cleanup frees both connections and the wires (configs are the test's). */
void handshake_fixture_cleanup(struct handshake_fixture *f);

#endif
