/* tests/unit/ca/challenge_fakes.h: the peers a CA validates challenges against, run in-process on
 * 127.0.0.1 ports chosen by the kernel, each on a thread: an HTTP responder (plain or over TLS, which also
 * answers tls-alpn-01 handshakes) and a DNS server (UDP and TCP on the same port). They never call CHECK
 * (not on the test's thread): a setup failure aborts. */
#ifndef SMT_TESTS_CA_CHALLENGE_FAKES_H
#define SMT_TESTS_CA_CHALLENGE_FAKES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* challenge_http_respond writes the whole response (head and body) to out for a request of path; the
 * server is passed for its port and arg. */
struct challenge_http_server;
typedef void (*challenge_http_respond)(struct challenge_http_server *server, const char *path, char *out, size_t cap);

struct challenge_http_server {
        /* set before challenge_http_server_start */
        challenge_http_respond respond;
        void *arg;
        bool is_silent; /* accept and read, never answer */
        SSL_CTX *tls;   /* TLS server (borrowed); a handshake that selected acme-tls/1 is then just closed */
        /* set by the server */
        uint16_t port;
        int listen_fd;
        pthread_t thread;
        atomic_bool stop;
        atomic_int num_requests;
        atomic_int num_handshakes;
        char last_host[256]; /* Host field of the last request */
        char last_sni[256];  /* SNI of the last TLS handshake */
        int held_fds[32];    /* connections a silent server keeps open */
        size_t num_held;
};

/* challenge_http_server_listen binds 127.0.0.1:0 and sets port; challenge_http_server_start serves on a
 * thread (respond may use the port); challenge_http_server_stop ends it and closes everything. */
void challenge_http_server_listen(struct challenge_http_server *server);
void challenge_http_server_start(struct challenge_http_server *server);
void challenge_http_server_stop(struct challenge_http_server *server);

/* challenge_http_server_wait_handshakes waits (2 s at most) until the server finished num TLS handshakes,
 * which it may do after the client (TLS 1.3); returns the number finished. last_sni is set by then. */
int challenge_http_server_wait_handshakes(struct challenge_http_server *server, int num);

/* One DNS record the fake serves; TXT data is split into character-strings at each '|'. */
struct challenge_dns_record {
        const char *name; /* lower case, no trailing dot */
        uint16_t type;    /* 1 A, 16 TXT, 28 AAAA */
        const char *data; /* A/AAAA: an IP literal; TXT: the text */
};

struct challenge_dns_server {
        const struct challenge_dns_record *records;
        size_t num_records;
        const char *truncated_name; /* answered over UDP with TC set and no records: the client must use TCP */
        uint16_t port;
        int udp_fd, tcp_fd;
        pthread_t thread;
        atomic_bool stop;
        atomic_int num_udp_queries;
        atomic_int num_tcp_queries;
};

/* challenge_dns_server_start binds UDP and TCP on one 127.0.0.1 port and answers: the records of the name
 * and type asked, NOERROR without records when the name has others only, NXDOMAIN when it has none. */
void challenge_dns_server_start(struct challenge_dns_server *server);
void challenge_dns_server_stop(struct challenge_dns_server *server);

/* challenge_dns_answer builds the answer to query (len bytes) from records into out (cap bytes): returns
 * its length, 0 for a query it cannot read. truncate answers with TC set and no records. */
size_t challenge_dns_answer(const struct challenge_dns_server *server, const uint8_t *query, size_t len, uint8_t *out,
                            size_t cap, bool truncate);

/* What a tls-alpn-01 certificate holds. */
struct challenge_cert_spec {
        const char *dns_names[4];      /* NULL-terminated */
        const char *ip;                /* an iPAddress SAN, or NULL */
        const char *key_authorization; /* acmeIdentifier = SHA-256 of it; NULL: no extension */
        bool is_not_critical;
};

/* challenge_tls_context makes a TLS server context with a fresh P-256 key and a self-signed certificate
 * per spec; select_acme_tls says whether its ALPN callback selects acme-tls/1 (else it selects nothing). */
SSL_CTX *challenge_tls_context(const struct challenge_cert_spec *spec, bool select_acme_tls);

/* challenge_base64url_sha256 writes base64url(SHA-256(text)) without padding (RFC 8555 8.4) to out[44],
 * computed with OpenSSL's EVP API directly. */
void challenge_base64url_sha256(char out[44], const char *text);

#endif
