/* src/ca/challenge_resolve.c: name resolution for challenge validation. With a configured resolver we ask
 * it ourselves, over UDP and again over TCP when the answer is truncated (RFC 1035 4.2; RFC 7766 5), so
 * every wait ends at the validation's deadline and tests can answer on a loopback port. Without one, the
 * system's resolver: getaddrinfo for addresses, res_nquery for TXT (bounded by its own retry settings,
 * which we lower to fit the time left). */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ca/challenge_internal.h"

#define CA_CHALLENGE_DNS_RETRANSMIT_MS 1000

static const char *ca_challenge_dns_type_name(uint16_t type)
{
        return type == CA_CHALLENGE_DNS_A ? "A" : type == CA_CHALLENGE_DNS_AAAA ? "AAAA" : "TXT";
}

static void ca_challenge_sockaddr_set(struct ca_challenge_addresses *out, const char *ip, uint16_t port)
{
        struct sockaddr_storage *ss = &out->items[out->num];
        memset(ss, 0, sizeof *ss);
        struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
                v4->sin_family = AF_INET;
                v4->sin_port = htons(port);
                out->lens[out->num++] = sizeof *v4;
        } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
                v6->sin6_family = AF_INET6;
                v6->sin6_port = htons(port);
                out->lens[out->num++] = sizeof *v6;
        }
}

/* The configured resolver must be an IP literal with an optional port (53). */
static int ca_challenge_resolver_address(struct ca_challenge_run *run, struct ca_challenge_addresses *out,
                                         struct err *err)
{
        struct net_address address;
        out->num = 0;
        TRY(net_address_parse(&address, run->config.resolver, 53, err));
        ca_challenge_sockaddr_set(out, address.host, address.port);
        if (out->num == 0)
                return SMT_ERR(err, SMT_EINVAL, "challenge resolver \"%s\": expected an IP address and port",
                               run->config.resolver);
        return SMT_OK;
}

static int ca_challenge_dns_udp_wait(struct ca_challenge_run *run, int fd, const uint8_t *query, size_t query_len,
                                     struct ca_challenge_dns_reply *reply, const struct ca_challenge_dns_question *q,
                                     struct err *err)
{
        for (;;) {
                int left = ca_challenge_remaining_ms(run);
                if (left == 0)
                        return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "no answer within %d ms",
                                                 run->config.timeout_ms);
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int ready =
                    poll(&pfd, 1, left < CA_CHALLENGE_DNS_RETRANSMIT_MS ? left : CA_CHALLENGE_DNS_RETRANSMIT_MS);
                if (ready == 0) {
                        /* A lost datagram is sent again, as every stub resolver does (RFC 1035 4.2.1). */
                        SMT_IGNORE((int)send(fd, query, query_len, 0));
                        continue;
                }
                ssize_t got = recv(fd, reply->message, sizeof reply->message, 0);
                if (got < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (got < 0)
                        return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "%s", strerror(errno));
                reply->message_len = (size_t)got;
                /* A datagram with another ID is a late answer to an earlier try, or a forgery: ignored. */
                if (got >= 2 && ((reply->message[0] << 8) | reply->message[1]) != q->id)
                        continue;
                return SMT_OK;
        }
}

static int ca_challenge_dns_udp(struct ca_challenge_run *run, const struct ca_challenge_addresses *server,
                                const struct ca_challenge_dns_question *q, struct ca_challenge_dns_reply *reply,
                                struct err *err)
{
        uint8_t query[CA_CHALLENGE_DNS_NAME_MAX + 16];
        struct buf_writer w;
        buf_writer_init_fixed(&w, query, sizeof query);
        if (ca_challenge_dns_query_write(&w, q) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "DNS query does not fit %zu bytes", sizeof query);
        int fd = socket(server->items[0].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return SMT_ERR(err, SMT_EIO, "socket: %s", strerror(errno));
        int status = SMT_OK;
        if (connect(fd, (const struct sockaddr *)&server->items[0], server->lens[0]) != 0 ||
            send(fd, query, w.len, 0) != (ssize_t)w.len)
                status = ca_challenge_fail(run, err, CA_PROBLEM_DNS, "%s", strerror(errno));
        if (status == 0)
                status = ca_challenge_dns_udp_wait(run, fd, query, w.len, reply, q, err);
        close(fd);
        return status;
}

/* RFC 7766 8: over TCP each message has a two-byte length prefix. */
static int ca_challenge_dns_tcp(struct ca_challenge_run *run, const struct ca_challenge_addresses *server,
                                const struct ca_challenge_dns_question *q, struct ca_challenge_dns_reply *reply,
                                struct err *err)
{
        uint8_t query[CA_CHALLENGE_DNS_NAME_MAX + 18];
        struct buf_writer w;
        size_t mark;
        buf_writer_init_fixed(&w, query, sizeof query);
        if (buf_write_vector_begin(&w, 2, &mark) < 0 || ca_challenge_dns_query_write(&w, q) < 0 ||
            buf_write_vector_end(&w, 2, mark) < 0)
                return SMT_ERR(err, SMT_EINTERNAL, "DNS query does not fit %zu bytes", sizeof query);
        struct ca_challenge_stream stream = {.fd = -1};
        int status = ca_challenge_stream_connect_to(run, &stream, server, err);
        if (status == 0)
                status = ca_challenge_stream_write(run, &stream, query, w.len, err);
        size_t have = 0, want = 2;
        while (status == 0 && have < want) {
                size_t got = 0;
                uint8_t *into = have < 2 ? query + have : reply->message + have - 2;
                status = ca_challenge_stream_read(run, &stream, into, have < 2 ? 2 - have : want - have, &got, err);
                if (status == 0 && got == 0)
                        status =
                            ca_challenge_fail(run, err, CA_PROBLEM_DNS, "TCP connection closed after %zu bytes", have);
                have += got;
                if (status == 0 && have == 2)
                        want = 2 + (size_t)((query[0] << 8) | query[1]);
        }
        ca_challenge_stream_close(&stream);
        reply->message_len = have >= 2 ? have - 2 : 0;
        if (status == CA_EVALIDATION)
                run->result->problem = CA_PROBLEM_DNS;
        return status;
}

static int ca_challenge_dns_check_rcode(struct ca_challenge_run *run, const struct ca_challenge_dns_answer *answer,
                                        struct err *err)
{
        switch (answer->rcode) {
        case CA_CHALLENGE_DNS_NOERROR:
                return SMT_OK;
        case CA_CHALLENGE_DNS_NXDOMAIN:
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "no such name (NXDOMAIN)");
        case CA_CHALLENGE_DNS_SERVFAIL:
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "the server failed (SERVFAIL)");
        default:
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "refused with response code %u",
                                         (unsigned)answer->rcode);
        }
}

static int ca_challenge_query_resolver(struct ca_challenge_run *run, struct ca_challenge_dns_reply *reply,
                                       const char *name, uint16_t type, struct err *err)
{
        struct ca_challenge_addresses server;
        struct ca_challenge_dns_question q;
        uint8_t id[2];
        TRY(ca_challenge_resolver_address(run, &server, err));
        if (RAND_bytes(id, sizeof id) != 1)
                return SMT_ERR(err, SMT_EINTERNAL, "no random DNS query ID");
        TRY(ca_challenge_dns_question_init(&q, name, type, (uint16_t)((id[0] << 8) | id[1]), err));
        int status = ca_challenge_dns_udp(run, &server, &q, reply, err);
        if (status == 0)
                status = ca_challenge_dns_answer_parse(&reply->answer, &q, reply->message, reply->message_len, err);
        if (status == 0 && reply->answer.is_truncated) {
                status = ca_challenge_dns_tcp(run, &server, &q, reply, err);
                if (status == 0)
                        status =
                            ca_challenge_dns_answer_parse(&reply->answer, &q, reply->message, reply->message_len, err);
        }
        if (status == SMT_EDECODE || status == SMT_ETRUNCATED)
                status = ca_challenge_fail(run, err, CA_PROBLEM_DNS, "malformed answer: %s", err->msg);
        if (status == 0)
                status = ca_challenge_dns_check_rcode(run, &reply->answer, err);
        return status;
}

static int ca_challenge_query_system(struct ca_challenge_run *run, struct ca_challenge_dns_reply *reply,
                                     const char *name, uint16_t type, struct err *err)
{
        struct __res_state state;
        memset(&state, 0, sizeof state);
        if (res_ninit(&state) != 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "the system's resolver configuration is unusable");
        int left_s = ca_challenge_remaining_ms(run) / 1000;
        state.retrans = left_s > 1 ? left_s : 1;
        state.retry = 1;
        int len = res_nquery(&state, name, ns_c_in, type, reply->message, sizeof reply->message);
        int h_error = state.res_h_errno;
        res_nclose(&state);
        memset(&reply->answer, 0, sizeof reply->answer);
        if (len < 0 && h_error == NO_DATA)
                return SMT_OK;
        if (len < 0 && h_error == HOST_NOT_FOUND)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "no such name (NXDOMAIN)");
        if (len < 2)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "no answer (%s)", hstrerror(h_error));
        struct ca_challenge_dns_question q;
        /* res_nquery matched the ID already. */
        TRY(ca_challenge_dns_question_init(&q, name, type, (uint16_t)((reply->message[0] << 8) | reply->message[1]),
                                           err));
        reply->message_len = (size_t)len;
        if (ca_challenge_dns_answer_parse(&reply->answer, &q, reply->message, reply->message_len, err) < 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "malformed answer: %s", err->msg);
        return ca_challenge_dns_check_rcode(run, &reply->answer, err);
}

int ca_challenge_resolve_query(struct ca_challenge_run *run, struct ca_challenge_dns_reply *reply, const char *name,
                               uint16_t type, struct err *err)
{
        int status = run->config.resolver != NULL ? ca_challenge_query_resolver(run, reply, name, type, err)
                                                  : ca_challenge_query_system(run, reply, name, type, err);
        if (status == CA_EVALIDATION)
                ca_challenge_prefix(run, err, "%s %s at %s", ca_challenge_dns_type_name(type), name,
                                    run->config.resolver != NULL ? run->config.resolver : "the system's resolver");
        return status;
}

static int ca_challenge_addresses_from_dns(struct ca_challenge_run *run, struct ca_challenge_addresses *out,
                                           const char *host, uint16_t port, struct err *err)
{
        static const uint16_t types[] = {CA_CHALLENGE_DNS_AAAA, CA_CHALLENGE_DNS_A};
        struct ca_challenge_dns_reply *reply = malloc(sizeof *reply);
        if (reply == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "no memory for a DNS answer");
        int status = SMT_OK;
        for (size_t t = 0; t < sizeof types / sizeof types[0] && status == 0; t++) {
                status = ca_challenge_resolve_query(run, reply, host, types[t], err);
                for (size_t i = 0;
                     status == 0 && i < reply->answer.num_records && out->num < CA_CHALLENGE_ADDRESSES_MAX; i++) {
                        char ip[INET6_ADDRSTRLEN];
                        inet_ntop(types[t] == CA_CHALLENGE_DNS_A ? AF_INET : AF_INET6, reply->answer.records[i].data,
                                  ip, sizeof ip);
                        ca_challenge_sockaddr_set(out, ip, port);
                }
                /* A name without AAAA records may well have A records: only the last query's failure counts. */
                if (status == CA_EVALIDATION && t == 0 && run->result->problem == CA_PROBLEM_DNS &&
                    strstr(run->result->detail, "NXDOMAIN") == NULL) {
                        run->result->problem = CA_PROBLEM_NONE;
                        run->result->detail[0] = 0;
                        status = SMT_OK;
                }
        }
        free(reply);
        return status;
}

static int ca_challenge_addresses_from_system(struct ca_challenge_run *run, struct ca_challenge_addresses *out,
                                              const char *host, uint16_t port, struct err *err)
{
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list = NULL;
        int rc = getaddrinfo(host, NULL, &hints, &list);
        if (rc != 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "%s at the system's resolver: %s", host,
                                         gai_strerror(rc));
        for (struct addrinfo *ai = list; ai != NULL && out->num < CA_CHALLENGE_ADDRESSES_MAX; ai = ai->ai_next) {
                char ip[INET6_ADDRSTRLEN];
                const void *addr = ai->ai_family == AF_INET
                                       ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                       : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
                if (inet_ntop(ai->ai_family, addr, ip, sizeof ip) != NULL)
                        ca_challenge_sockaddr_set(out, ip, port);
        }
        freeaddrinfo(list);
        return SMT_OK;
}

int ca_challenge_resolve_addresses(struct ca_challenge_run *run, struct ca_challenge_addresses *out, const char *host,
                                   uint16_t port, struct err *err)
{
        out->num = 0;
        if (net_address_is_ip_literal(host)) {
                ca_challenge_sockaddr_set(out, host, port);
                return SMT_OK;
        }
        TRY(run->config.resolver != NULL ? ca_challenge_addresses_from_dns(run, out, host, port, err)
                                         : ca_challenge_addresses_from_system(run, out, host, port, err));
        if (out->num == 0)
                return ca_challenge_fail(run, err, CA_PROBLEM_DNS, "%s has no A or AAAA record", host);
        return SMT_OK;
}
