/* tests/unit/ca/challenge_fake_dns.c: the DNS server of the challenge tests, answering from a record table
 * over UDP and TCP (RFC 1035 4.1, 4.2; answers built here byte by byte, independently of the code under
 * test). */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/buf.h"
#include "challenge_fakes.h"

static void challenge_dns_die(const char *what)
{
        fprintf(stderr, "challenge fake DNS: %s failed\n", what);
        abort();
}

/* Reads the question's name as lower-case dotted text; returns the offset after QTYPE and QCLASS, 0 when
 * the query is not one this fake understands. */
static size_t challenge_dns_read_question(const uint8_t *query, size_t len, char name[256], uint16_t *type)
{
        size_t at = 12, used = 0;
        if (len < 12 || ((query[4] << 8) | query[5]) != 1)
                return 0;
        while (at < len && query[at] != 0) {
                size_t label = query[at++];
                if (label > 63 || at + label > len || used + label + 2 > 256)
                        return 0;
                for (size_t i = 0; i < label; i++)
                        name[used++] = (char)tolower(query[at + i]);
                name[used++] = '.';
                at += label;
        }
        name[used > 0 ? used - 1 : 0] = 0;
        if (at + 5 > len)
                return 0;
        *type = (uint16_t)((query[at + 1] << 8) | query[at + 2]);
        return at + 5;
}

/* TXT data: character-strings cut at '|' and at 255 bytes (RFC 1035 3.3.14). */
static int challenge_dns_write_txt(struct buf_writer *w, const char *text)
{
        do {
                size_t piece = strcspn(text, "|");
                do {
                        size_t chunk = piece > 255 ? 255 : piece;
                        TRY(buf_write_u8(w, (uint8_t)chunk));
                        TRY(buf_write_bytes(w, (const uint8_t *)text, chunk));
                        text += chunk;
                        piece -= chunk;
                } while (piece > 0);
        } while (*text++ == '|');
        return 0;
}

static int challenge_dns_write_record(struct buf_writer *w, const struct challenge_dns_record *record)
{
        size_t mark;
        uint8_t address[16];
        TRY(buf_write_u16(w, 0xc00c)); /* a pointer to the question's name */
        TRY(buf_write_u16(w, record->type));
        TRY(buf_write_u16(w, 1));
        TRY(buf_write_u32(w, 60));
        TRY(buf_write_vector_begin(w, 2, &mark));
        if (record->type == 1 && inet_pton(AF_INET, record->data, address) == 1)
                TRY(buf_write_bytes(w, address, 4));
        else if (record->type == 28 && inet_pton(AF_INET6, record->data, address) == 1)
                TRY(buf_write_bytes(w, address, 16));
        else
                TRY(challenge_dns_write_txt(w, record->data));
        return buf_write_vector_end(w, 2, mark);
}

size_t challenge_dns_answer(const struct challenge_dns_server *server, const uint8_t *query, size_t len, uint8_t *out,
                            size_t cap, bool truncate)
{
        char name[256];
        uint16_t type = 0;
        size_t question_end = challenge_dns_read_question(query, len, name, &type);
        if (question_end == 0)
                return 0;
        bool known = false;
        uint16_t num_answers = 0;
        for (size_t i = 0; i < server->num_records; i++) {
                known = known || strcmp(server->records[i].name, name) == 0;
                if (!truncate && strcmp(server->records[i].name, name) == 0 && server->records[i].type == type)
                        num_answers++;
        }
        struct buf_writer w;
        buf_writer_init_fixed(&w, out, cap);
        uint16_t flags = (uint16_t)(0x8180 | (truncate ? 0x0200 : 0) | (known ? 0 : 3)); /* QR RD RA, NXDOMAIN */
        int status = buf_write_bytes(&w, query, 2);
        status = status < 0 ? status : buf_write_u16(&w, flags);
        status = status < 0 ? status : buf_write_u16(&w, 1);
        status = status < 0 ? status : buf_write_u16(&w, num_answers);
        status = status < 0 ? status : buf_write_u32(&w, 0);
        status = status < 0 ? status : buf_write_bytes(&w, query + 12, question_end - 12);
        for (size_t i = 0; i < server->num_records && status == 0 && num_answers > 0; i++) {
                if (strcmp(server->records[i].name, name) == 0 && server->records[i].type == type)
                        status = challenge_dns_write_record(&w, &server->records[i]);
        }
        return status == 0 ? w.len : 0;
}

static void challenge_dns_serve_udp(struct challenge_dns_server *server)
{
        uint8_t query[512], answer[4096];
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        ssize_t got = recvfrom(server->udp_fd, query, sizeof query, 0, (struct sockaddr *)&peer, &peer_len);
        if (got <= 0)
                return;
        atomic_fetch_add(&server->num_udp_queries, 1);
        char name[256];
        uint16_t type;
        bool truncate = server->truncated_name != NULL &&
                        challenge_dns_read_question(query, (size_t)got, name, &type) != 0 &&
                        strcmp(name, server->truncated_name) == 0;
        size_t len = challenge_dns_answer(server, query, (size_t)got, answer, 512, truncate);
        if (len > 0)
                sendto(server->udp_fd, answer, len, 0, (struct sockaddr *)&peer, peer_len);
}

/* RFC 7766 8: a two-byte length before each message. */
static void challenge_dns_serve_tcp(struct challenge_dns_server *server)
{
        int fd = accept4(server->tcp_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        struct timeval timeout = {.tv_sec = 2};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        uint8_t query[514], answer[8192];
        size_t have = 0;
        while (have < 2 || have < 2 + (size_t)((query[0] << 8) | query[1])) {
                ssize_t got = recv(fd, query + have, sizeof query - have, 0);
                if (got <= 0 || (have += (size_t)got) == sizeof query)
                        break;
        }
        atomic_fetch_add(&server->num_tcp_queries, 1);
        size_t len =
            have > 2 ? challenge_dns_answer(server, query + 2, have - 2, answer + 2, sizeof answer - 2, false) : 0;
        answer[0] = (uint8_t)(len >> 8);
        answer[1] = (uint8_t)len;
        if (len > 0)
                send(fd, answer, len + 2, MSG_NOSIGNAL);
        close(fd);
}

static void *challenge_dns_main(void *arg)
{
        struct challenge_dns_server *server = arg;
        while (!atomic_load(&server->stop)) {
                struct pollfd pfds[2] = {{.fd = server->udp_fd, .events = POLLIN},
                                         {.fd = server->tcp_fd, .events = POLLIN}};
                if (poll(pfds, 2, 20) <= 0)
                        continue;
                if (pfds[0].revents & POLLIN)
                        challenge_dns_serve_udp(server);
                if (pfds[1].revents & POLLIN)
                        challenge_dns_serve_tcp(server);
        }
        return NULL;
}

/* UDP takes a free port, TCP must get the same one: a few tries. */
static bool challenge_dns_bind(struct challenge_dns_server *server)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        server->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        server->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server->udp_fd < 0 || server->tcp_fd < 0 || bind(server->udp_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(server->udp_fd, (struct sockaddr *)&sa, &len) != 0)
                challenge_dns_die("DNS UDP bind");
        if (bind(server->tcp_fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(server->tcp_fd, 8) == 0) {
                server->port = ntohs(sa.sin_port);
                return true;
        }
        close(server->udp_fd);
        close(server->tcp_fd);
        return false;
}

void challenge_dns_server_start(struct challenge_dns_server *server)
{
        bool bound = false;
        for (int i = 0; i < 20 && !bound; i++)
                bound = challenge_dns_bind(server);
        if (!bound)
                challenge_dns_die("DNS TCP bind on the UDP port");
        atomic_store(&server->stop, false);
        if (pthread_create(&server->thread, NULL, challenge_dns_main, server) != 0)
                challenge_dns_die("pthread_create");
}

void challenge_dns_server_stop(struct challenge_dns_server *server)
{
        atomic_store(&server->stop, true);
        pthread_join(server->thread, NULL);
        close(server->udp_fd);
        close(server->tcp_fd);
}
