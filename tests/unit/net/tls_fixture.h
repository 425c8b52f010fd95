/* tests/unit/net/tls_fixture.h: what the TLS tests share: a small PKI made with cert_issue (a P-256 CA, an
 * intermediate, ECC and RSA leaves) and OpenSSL's own TLS client driven in memory against net_tls_conn. */
#ifndef SMT_TESTS_NET_TLS_FIXTURE_H
#define SMT_TESTS_NET_TLS_FIXTURE_H

#include <stdbool.h>
#include <time.h>

#include <openssl/ssl.h>

#include "crypto/cert.h"
#include "net/tls_conn.h"

/* a: "localhost" (ECC, also IP 127.0.0.1) and b: "b.example" (ECC), issued by the P-256 CA; rsa: "localhost"
 * (RSA 2048) issued by the RSA CA, so a client that accepts only RSA signatures can verify its chain;
 * inter_a: "localhost" (ECC) issued by the intermediate, which the P-256 CA issued. Keys are made once per
 * process (RSA generation is slow), certificates per call. */
struct tls_fixture_pki {
        struct key *ca_key, *rsa_ca_key, *inter_key, *a_key, *b_key, *rsa_key; /* borrowed from the process cache */
        struct cert *ca, *rsa_ca, *inter, *a, *b, *rsa, *inter_a;
        struct cert_chain *inter_chain; /* the intermediate alone, to send after inter_a */
        struct net_tls_credentials cred_a, cred_b, cred_both, cred_inter;
};

/* tls_fixture_issue makes a certificate for name (a DNS SAN; ip adds an iPAddress SAN when not NULL), valid
 * from not_before to not_after (0, 0: from now for a day); issuer NULL for self-signed. */
struct cert *tls_fixture_issue(const struct key *subject, const struct key *issuer_key, const struct cert *issuer,
                               const char *name, const char *ip, bool is_ca, time_t not_before, time_t not_after);

void tls_fixture_pki_make(struct tls_fixture_pki *pki);
void tls_fixture_pki_free(struct tls_fixture_pki *pki);

/* tls_fixture_select: b.example gets cred_b, localhost or no SNI gets cred_a, anything else is refused. arg
 * is the struct tls_fixture_pki. */
int tls_fixture_select(void *arg, const char *name, const struct net_tls_credentials **out);

/* An OpenSSL client that trusts one root and checks the name it sends as SNI (when not NULL). */
struct tls_fixture_client {
        SSL_CTX *ctx;
        SSL *ssl;
        BIO *in, *out;
};

/* tls_fixture_client_new: version pins the protocol (0: TLS 1.2 and 1.3). */
void tls_fixture_client_new(struct tls_fixture_client *c, const struct cert *root, int version, const char *sni);

/* tls_fixture_client_trust adds another root. */
void tls_fixture_client_trust(struct tls_fixture_client *c, const struct cert *root);
void tls_fixture_client_free(struct tls_fixture_client *c);

/* tls_fixture_pump moves every waiting byte both ways. */
void tls_fixture_pump(struct tls_fixture_client *c, struct net_tls_conn *s);

/* tls_fixture_handshake runs both sides to the end; returns the server's status, the client's outcome in
 * *client_ok, and whether the client's error queue named a received unrecognized_name alert. */
int tls_fixture_handshake(struct tls_fixture_client *c, struct net_tls_conn *s, bool *client_ok,
                          bool *unrecognized_name_seen);

/* tls_fixture_exchange sends len bytes each way and checks they arrive whole (it also makes the client
 * read TLS 1.3 tickets). */
void tls_fixture_exchange(struct tls_fixture_client *c, struct net_tls_conn *s, size_t len);

/* tls_fixture_close sends close_notify from the server, answers it from the client, and checks both see it. */
void tls_fixture_close(struct tls_fixture_client *c, struct net_tls_conn *s);

/* tls_fixture_peer_is says whether the certificate the client received is want. */
bool tls_fixture_peer_is(const struct tls_fixture_client *c, const struct cert *want);

#endif
