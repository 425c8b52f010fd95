/* tests/unit/ca/challenge_fake_http.c: the HTTP (and TLS) peer of the challenge tests. One connection at a
 * time, blocking sockets with a receive timeout, so a confused client cannot hang the test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "challenge_fakes.h"

#define CHALLENGE_HTTP_REQUEST_MAX  8192
#define CHALLENGE_HTTP_RESPONSE_MAX (80 * 1024)

static void challenge_die(const char *what)
{
        fprintf(stderr, "challenge fake: %s failed\n", what);
        abort();
}

void challenge_http_server_listen(struct challenge_http_server *server)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        server->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server->listen_fd < 0 || bind(server->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            listen(server->listen_fd, 16) != 0 || getsockname(server->listen_fd, (struct sockaddr *)&sa, &len) != 0)
                challenge_die("HTTP listen");
        server->port = ntohs(sa.sin_port);
}

static ssize_t challenge_io_read(int fd, SSL *ssl, char *buf, size_t cap)
{
        if (ssl == NULL)
                return recv(fd, buf, cap, 0);
        size_t got = 0;
        return SSL_read_ex(ssl, buf, cap, &got) == 1 ? (ssize_t)got : -1;
}

static void challenge_io_write(int fd, SSL *ssl, const char *data, size_t len)
{
        size_t written = 0;
        if (ssl != NULL)
                SSL_write_ex(ssl, data, len, &written);
        else if (send(fd, data, len, MSG_NOSIGNAL) < 0)
                return;
}

/* Reads a request head; returns its length, 0 when the client went away first. */
static size_t challenge_http_read_head(int fd, SSL *ssl, char *request)
{
        size_t len = 0;
        while (len < CHALLENGE_HTTP_REQUEST_MAX - 1) {
                ssize_t got = challenge_io_read(fd, ssl, request + len, CHALLENGE_HTTP_REQUEST_MAX - 1 - len);
                if (got <= 0)
                        return 0;
                len += (size_t)got;
                request[len] = 0;
                if (strstr(request, "\r\n\r\n") != NULL)
                        return len;
        }
        return 0;
}

static void challenge_http_answer(struct challenge_http_server *server, int fd, SSL *ssl, char *request)
{
        char path[1024] = "", *host = strstr(request, "\r\nHost: ");
        if (sscanf(request, "GET %1023s HTTP/1.1", path) != 1)
                return;
        if (host != NULL)
                snprintf(server->last_host, sizeof server->last_host, "%.*s", (int)strcspn(host + 8, "\r"), host + 8);
        atomic_fetch_add(&server->num_requests, 1);
        char *response = malloc(CHALLENGE_HTTP_RESPONSE_MAX);
        if (response == NULL)
                challenge_die("malloc");
        server->respond(server, path, response, CHALLENGE_HTTP_RESPONSE_MAX);
        challenge_io_write(fd, ssl, response, strlen(response));
        free(response);
}

/* RFC 8737 3: after an acme-tls/1 handshake nothing more is exchanged; wait for the client to close. */
static bool challenge_tls_accept(struct challenge_http_server *server, int fd, SSL **ssl)
{
        *ssl = SSL_new(server->tls);
        if (*ssl == NULL || SSL_set_fd(*ssl, fd) != 1)
                challenge_die("SSL_new");
        if (SSL_accept(*ssl) != 1)
                return false;
        const char *sni = SSL_get_servername(*ssl, TLSEXT_NAMETYPE_host_name);
        snprintf(server->last_sni, sizeof server->last_sni, "%s", sni != NULL ? sni : "");
        atomic_fetch_add(&server->num_handshakes, 1);
        const unsigned char *alpn = NULL;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(*ssl, &alpn, &alpn_len);
        if (alpn_len == 10 && memcmp(alpn, "acme-tls/1", 10) == 0) {
                char ignored[64];
                while (challenge_io_read(fd, *ssl, ignored, sizeof ignored) > 0)
                        continue;
                return false;
        }
        return true;
}

static void challenge_http_serve(struct challenge_http_server *server, int fd)
{
        struct timeval timeout = {.tv_sec = 3};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        SSL *ssl = NULL;
        char request[CHALLENGE_HTTP_REQUEST_MAX];
        bool keep_going = server->tls == NULL || challenge_tls_accept(server, fd, &ssl);
        if (keep_going && server->is_silent &&
            server->num_held < sizeof server->held_fds / sizeof server->held_fds[0]) {
                server->held_fds[server->num_held++] = fd;
                return;
        }
        if (keep_going && challenge_http_read_head(fd, ssl, request) > 0)
                challenge_http_answer(server, fd, ssl, request);
        if (ssl != NULL)
                SSL_shutdown(ssl);
        SSL_free(ssl);
        close(fd);
}

static void *challenge_http_main(void *arg)
{
        struct challenge_http_server *server = arg;
        while (!atomic_load(&server->stop)) {
                struct pollfd pfd = {.fd = server->listen_fd, .events = POLLIN};
                if (poll(&pfd, 1, 20) <= 0)
                        continue;
                int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0)
                        challenge_http_serve(server, fd);
        }
        return NULL;
}

void challenge_http_server_start(struct challenge_http_server *server)
{
        signal(SIGPIPE, SIG_IGN);
        atomic_store(&server->stop, false);
        if (pthread_create(&server->thread, NULL, challenge_http_main, server) != 0)
                challenge_die("pthread_create");
}

int challenge_http_server_wait_handshakes(struct challenge_http_server *server, int num)
{
        for (int i = 0; i < 200 && atomic_load(&server->num_handshakes) < num; i++)
                usleep(10 * 1000);
        return atomic_load(&server->num_handshakes);
}

void challenge_http_server_stop(struct challenge_http_server *server)
{
        atomic_store(&server->stop, true);
        pthread_join(server->thread, NULL);
        for (size_t i = 0; i < server->num_held; i++)
                close(server->held_fds[i]);
        close(server->listen_fd);
}
