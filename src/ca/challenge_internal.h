/* src/ca/challenge_internal.h: the pieces behind challenge.h, shared by its files only.
 *   challenge.c          one validation's context (defaults, deadline, problem reporting), dns-01
 *   challenge_dns.c      DNS messages: the query we send, a bounds-checked reader of the answer (fuzzed)
 *   challenge_resolve.c  asking the configured DNS server (UDP, TCP when truncated) or the system's
 *   challenge_stream.c   TCP connections and TLS over them, every wait bounded by the deadline
 *   challenge_http.c     http-01: a minimal HTTP/1.1 GET that follows redirects
 *   challenge_tls.c      tls-alpn-01 */
#ifndef SMT_CA_CHALLENGE_INTERNAL_H
#define SMT_CA_CHALLENGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/types.h>

#include "base/buf.h"
#include "base/err.h"
#include "ca/challenge.h"
#include "net/address.h"

/* One validation: the settings with defaults applied, the monotonic time it must end by, and where its
 * problem goes. */
struct ca_challenge_run {
        struct ca_challenge_config config;
        int64_t deadline_ms;
        struct ca_challenge_result *result;
};

/* ca_challenge_run_init applies the defaults (ports 80 and 443, 10 s) and starts the clock. */
void ca_challenge_run_init(struct ca_challenge_run *run, const struct ca_challenge_config *config,
                           struct ca_challenge_result *result);

/* ca_challenge_remaining_ms returns the milliseconds left before the deadline (0 when past). */
int ca_challenge_remaining_ms(const struct ca_challenge_run *run);

/* ca_challenge_fail records problem and the formatted detail in run's result and in err; returns
 * CA_EVALIDATION. */
int ca_challenge_fail(struct ca_challenge_run *run, struct err *err, enum ca_challenge_problem problem, const char *fmt,
                      ...) SMT_PRINTF(4, 5);

/* ca_challenge_prefix puts "context: " in front of a failure's detail (result and err); returns err->code. */
int ca_challenge_prefix(struct ca_challenge_run *run, struct err *err, const char *fmt, ...) SMT_PRINTF(3, 4);

/* ca_challenge_timed_out fails with a connection problem naming what was awaited and the time budget. */
int ca_challenge_timed_out(struct ca_challenge_run *run, struct err *err, const char *what);

/* ca_challenge_quote writes at most 64 bytes of data to out (cap >= 300) as a C-like quoted string,
 * escaping what is not printable, with "..." when cut: for messages that show what a peer sent. */
void ca_challenge_quote(char *out, size_t cap, const uint8_t *data, size_t len);

/* ca_challenge_check_domain accepts an IP literal or a DNS name (LDH labels of 1..63, 253 bytes at most);
 * SMT_EINVAL otherwise. */
int ca_challenge_check_domain(const char *domain, struct err *err) SMT_MUST_USE;

/* ca_challenge_sha256 hashes the key authorization (RFC 8555 8.1). */
void ca_challenge_sha256(uint8_t out[32], const char *key_authorization);

/* DNS (RFC 1035 4.1). */
#define CA_CHALLENGE_DNS_NAME_MAX    255 /* a name in wire form, RFC 1035 2.3.4 */
#define CA_CHALLENGE_DNS_RECORDS_MAX 64
#define CA_CHALLENGE_DNS_MESSAGE_MAX 65535

enum ca_challenge_dns_type { CA_CHALLENGE_DNS_A = 1, CA_CHALLENGE_DNS_TXT = 16, CA_CHALLENGE_DNS_AAAA = 28 };

enum ca_challenge_dns_rcode {
        CA_CHALLENGE_DNS_NOERROR = 0,
        CA_CHALLENGE_DNS_SERVFAIL = 2,
        CA_CHALLENGE_DNS_NXDOMAIN = 3
};

struct ca_challenge_dns_question {
        uint16_t id;
        uint16_t type;
        uint8_t name[CA_CHALLENGE_DNS_NAME_MAX]; /* wire form: length-prefixed labels, ending with 0 */
        size_t name_len;
};

/* struct ca_challenge_dns_answer: the records of the question's type and class IN in the answer section
 * (CNAMEs the resolver followed come before them and are skipped); data borrows the message. */
struct ca_challenge_dns_answer {
        uint8_t rcode;
        bool is_truncated;
        size_t num_records;
        size_t num_records_dropped; /* beyond CA_CHALLENGE_DNS_RECORDS_MAX */
        struct buf_reader records[CA_CHALLENGE_DNS_RECORDS_MAX];
};

/* ca_challenge_dns_question_init encodes name (a trailing dot allowed) for a query of type; SMT_EINVAL
 * for an empty label, one over 63 bytes or a name over 255 bytes. */
int ca_challenge_dns_question_init(struct ca_challenge_dns_question *q, const char *name, uint16_t type, uint16_t id,
                                   struct err *err) SMT_MUST_USE;

/* ca_challenge_dns_query_write appends a recursive query for q (header and question, RFC 1035 4.1.1-2). */
int ca_challenge_dns_query_write(struct buf_writer *w, const struct ca_challenge_dns_question *q) SMT_MUST_USE;

/* ca_challenge_dns_answer_parse reads a response to q: the ID, QR, opcode and question must match
 * (SMT_EDECODE otherwise, or SMT_ETRUNCATED); a truncated message yields is_truncated and no records. */
int ca_challenge_dns_answer_parse(struct ca_challenge_dns_answer *answer, const struct ca_challenge_dns_question *q,
                                  const uint8_t *message, size_t message_len, struct err *err) SMT_MUST_USE;

/* ca_challenge_dns_txt_join appends the character-strings of a TXT record's data, concatenated (RFC 1035
 * 3.3.14; RFC 8555 8.4 values longer than 255 bytes are split); SMT_EDECODE when they do not fill it. */
int ca_challenge_dns_txt_join(struct buf_writer *out, struct buf_reader rdata, struct err *err) SMT_MUST_USE;

/* A DNS answer and the message its records borrow. */
struct ca_challenge_dns_reply {
        uint8_t message[CA_CHALLENGE_DNS_MESSAGE_MAX];
        size_t message_len;
        struct ca_challenge_dns_answer answer;
};

/* ca_challenge_resolve_query asks for the records of type at name: the configured resolver or, without
 * one, the system's (res_nquery). NXDOMAIN, SERVFAIL, no answer in time: a dns problem. 0 may come with
 * no records (NOERROR, no data). */
int ca_challenge_resolve_query(struct ca_challenge_run *run, struct ca_challenge_dns_reply *reply, const char *name,
                               uint16_t type, struct err *err) SMT_MUST_USE;

#define CA_CHALLENGE_ADDRESSES_MAX 8

struct ca_challenge_addresses {
        size_t num;
        struct sockaddr_storage items[CA_CHALLENGE_ADDRESSES_MAX];
        socklen_t lens[CA_CHALLENGE_ADDRESSES_MAX];
};

/* ca_challenge_resolve_addresses fills out with host's addresses and port: the literal itself, or AAAA
 * then A records (the configured resolver, else getaddrinfo). None: a dns problem. */
int ca_challenge_resolve_addresses(struct ca_challenge_run *run, struct ca_challenge_addresses *out, const char *host,
                                   uint16_t port, struct err *err) SMT_MUST_USE;

/* A TCP connection, TLS over it once started; start from { .fd = -1 }. */
struct ca_challenge_stream {
        int fd;
        SSL_CTX *ctx;
        SSL *ssl;
        char peer[NET_ADDRESS_TEXT_MAX];
};

/* ca_challenge_stream_connect connects to the first of host's addresses that answers on port. */
int ca_challenge_stream_connect(struct ca_challenge_run *run, struct ca_challenge_stream *stream, const char *host,
                                uint16_t port, struct err *err) SMT_MUST_USE;

/* ca_challenge_stream_connect_to connects to the first of addresses that answers. */
int ca_challenge_stream_connect_to(struct ca_challenge_run *run, struct ca_challenge_stream *stream,
                                   const struct ca_challenge_addresses *addresses, struct err *err) SMT_MUST_USE;

/* ca_challenge_stream_start_tls runs a TLS (1.2 or later) handshake without checking the certificate,
 * sending sni (NULL: none) and the ALPN list alpn (wire form; NULL: none). A failure is a tls problem. */
int ca_challenge_stream_start_tls(struct ca_challenge_run *run, struct ca_challenge_stream *stream, const char *sni,
                                  const uint8_t *alpn, size_t alpn_len, struct err *err) SMT_MUST_USE;

/* ca_challenge_stream_write sends all len bytes. */
int ca_challenge_stream_write(struct ca_challenge_run *run, struct ca_challenge_stream *stream, const uint8_t *data,
                              size_t len, struct err *err) SMT_MUST_USE;

/* ca_challenge_stream_read reads what arrives next, up to cap bytes; *got 0 means the peer closed. */
int ca_challenge_stream_read(struct ca_challenge_run *run, struct ca_challenge_stream *stream, uint8_t *buf, size_t cap,
                             size_t *got, struct err *err) SMT_MUST_USE;

/* ca_challenge_stream_close ends the connection and frees the TLS state (fine on { .fd = -1 }). */
void ca_challenge_stream_close(struct ca_challenge_stream *stream);

/* ca_challenge_wait_fd waits for events on fd until the deadline: 0 when ready, else a timeout failure
 * naming what. */
int ca_challenge_wait_fd(struct ca_challenge_run *run, int fd, short events, const char *what,
                         struct err *err) SMT_MUST_USE;

#endif
