/* src/http/server.c: see server.h. The server's life: listening socket, worker threads that accept and
 * serve, and stop. An idle worker takes the accept lock, then waits in poll() on the listening socket and
 * the wake descriptor together, so stop reaches it; the others wait for the lock. Without the lock every
 * idle worker's poll woke for every new connection (a thundering herd: with 64 workers, most of the CPU
 * of a short request went to waking threads that then lost the race to accept). */
#include "http/server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "http/server_internal.h"
#include "net/address.h"
#include "net/socket.h"

#define HTTP_SERVER_BACKLOG           128
#define HTTP_SERVER_ACCEPT_BACKOFF_MS 100

static int http_server_default(int value, int fallback)
{
        return value > 0 ? value : fallback;
}

static int http_server_config_apply(struct http_server *server, const struct http_server_config *config,
                                    struct err *err)
{
        if (config->listen == NULL)
                return SMT_ERR(err, SMT_EINVAL, "http server: no listen address");
        if (config->threads < 0 || config->threads > 4096)
                return SMT_ERR(err, SMT_EINVAL, "http server: threads %d, expected 1..4096", config->threads);
        if ((config->tls_cert_file == NULL) != (config->tls_key_file == NULL))
                return SMT_ERR(err, SMT_EINVAL,
                               "http server: a TLS certificate needs its key and a key its certificate");
        if (config->client_ca_file != NULL && config->tls_cert_file == NULL)
                return SMT_ERR(err, SMT_EINVAL, "http server: client_ca_file %s without TLS", config->client_ca_file);
        server->threads = http_server_default(config->threads, 32);
        server->max_body = config->max_body > 0 ? config->max_body : 64 * 1024;
        server->head_timeout_ms = http_server_default(config->head_timeout_ms, 10000);
        server->body_timeout_ms = http_server_default(config->body_timeout_ms, 30000);
        server->idle_timeout_ms = http_server_default(config->idle_timeout_ms, 30000);
        server->write_timeout_ms = http_server_default(config->write_timeout_ms, 30000);
        http_parser_limits_default(&server->limits);
        if (config->server_header != NULL) {
                server->server_header = strdup(config->server_header);
                if (server->server_header == NULL)
                        return SMT_ERR(err, SMT_ENOMEM, "http server: Server field");
                if (strpbrk(server->server_header, "\r\n") != NULL)
                        return SMT_ERR(err, SMT_EINVAL, "http server: CR or LF in server_header");
        }
        return 0;
}

/* http_server_parse_listen reads "host:port"; net_address_parse wants a real port, so port 0 (the kernel
 * picks one: tests) is split off here. */
static int http_server_parse_listen(struct net_address *out, const char *listen, struct err *err)
{
        size_t len = strlen(listen);
        if (len < 2 || strcmp(&listen[len - 2], ":0") != 0)
                return net_address_parse(out, listen, 0, err);
        char host[NET_ADDRESS_TEXT_MAX];
        if (len - 2 >= sizeof host)
                return SMT_ERR(err, SMT_EINVAL, "http server: listen address of %zu bytes", len);
        memcpy(host, listen, len - 2);
        host[len - 2] = '\0';
        TRY(net_address_parse(out, host, 1, err));
        out->port = 0;
        return 0;
}

static int http_server_listen(struct http_server *server, const char *listen, struct err *err)
{
        struct net_address address;
        TRY(http_server_parse_listen(&address, listen, err));
        TRY(net_socket_listen(&server->listen_fd, &address, HTTP_SERVER_BACKLOG, err));
        server->port = (uint16_t)net_socket_local_port(server->listen_fd);
        server->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (server->wake_fd < 0)
                return SMT_ERR(err, SMT_EIO, "http server: eventfd: %s", strerror(errno));
        return 0;
}

/* http_server_wait_accept waits for a pending connection: READY, or STOPPED (also on a failed poll, which
 * leaves nothing to do but end the worker). */
static int http_server_wait_accept(struct http_server *server, int timeout_ms)
{
        struct pollfd fds[2] = {
            {.fd = server->wake_fd, .events = POLLIN},
            {.fd = server->listen_fd, .events = POLLIN},
        };
        for (;;) {
                int ready = poll(fds, timeout_ms < 0 ? 2 : 1, timeout_ms);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready < 0 || (fds[0].revents != 0) || atomic_load(&server->is_stopping))
                        return HTTP_SERVER_STOPPED;
                return ready == 0 ? HTTP_SERVER_TIMEOUT : HTTP_SERVER_READY;
        }
}

static void http_server_accept_loop(struct http_server *server, struct http_server_conn *conn)
{
        for (;;) {
                struct err err = {0};
                int fd = -1, status = SMT_EAGAIN;
                pthread_mutex_lock(&server->accept_lock);
                int ready = http_server_wait_accept(server, -1);
                if (ready == HTTP_SERVER_READY)
                        status = net_socket_accept(server->listen_fd, &fd, NULL, &err);
                pthread_mutex_unlock(&server->accept_lock);
                if (ready != HTTP_SERVER_READY)
                        return;
                if (status == SMT_EAGAIN)
                        continue; /* the client went away before the accept */
                if (status < 0) {
                        /* EMFILE and the like: give descriptors time to come back instead of spinning. */
                        if (http_server_wait_accept(server, HTTP_SERVER_ACCEPT_BACKOFF_MS) == HTTP_SERVER_STOPPED)
                                return;
                        continue;
                }
                http_server_conn_serve(conn, fd);
        }
}

static void *http_server_worker(void *arg)
{
        struct http_server *server = arg;
        struct http_server_conn *conn = calloc(1, sizeof *conn);
        struct err err = {0};
        if (conn == NULL)
                return NULL;
        if (http_server_conn_init(conn, server, &err) == 0)
                http_server_accept_loop(server, conn);
        http_server_conn_cleanup(conn);
        free(conn);
        return NULL;
}

/* http_server_start_workers starts the threads with SIGPIPE blocked: a write to a socket the client has
 * closed then fails with EPIPE (OpenSSL's socket BIO uses write(), which has no MSG_NOSIGNAL) instead of
 * killing the process. The signal is thread-directed, so blocking it in the workers is enough. */
static int http_server_start_workers(struct http_server *server, struct err *err)
{
        server->workers = calloc((size_t)server->threads, sizeof *server->workers);
        if (server->workers == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "http server: %d threads", server->threads);
        sigset_t block, saved;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &block, &saved);
        int status = 0;
        for (int i = 0; i < server->threads && status == 0; i++) {
                int failed = pthread_create(&server->workers[i], NULL, http_server_worker, server);
                if (failed != 0)
                        status = SMT_ERR(err, SMT_EIO, "http server: thread %d of %d: %s", i + 1, server->threads,
                                         strerror(failed));
                else
                        server->num_workers++;
        }
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        return status;
}

int http_server_start(struct http_server **out, const struct http_server_config *config, http_server_handler *handler,
                      void *context, struct err *err)
{
        *out = NULL;
        struct http_server *server = calloc(1, sizeof *server);
        if (server == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "http server");
        server->handler = handler;
        server->context = context;
        server->listen_fd = -1;
        server->wake_fd = -1;
        atomic_init(&server->is_stopping, false);
        pthread_mutex_init(&server->accept_lock, NULL);
        int status = http_server_config_apply(server, config, err);
        if (status == 0 && config->tls_cert_file != NULL)
                status = http_server_tls_init(server, config, err);
        if (status == 0)
                status = http_server_listen(server, config->listen, err);
        if (status == 0)
                status = http_server_start_workers(server, err);
        if (status < 0) {
                http_server_stop(server);
                return status;
        }
        *out = server;
        return 0;
}

uint16_t http_server_port(const struct http_server *server)
{
        return server->port;
}

void http_server_stop(struct http_server *server)
{
        if (server == NULL)
                return;
        atomic_store(&server->is_stopping, true);
        if (server->wake_fd >= 0) {
                uint64_t one = 1;
                SMT_IGNORE((int)write(server->wake_fd, &one, sizeof one)); /* a full counter wakes just as well */
        }
        for (int i = 0; i < server->num_workers; i++)
                pthread_join(server->workers[i], NULL);
        free(server->workers);
        if (server->listen_fd >= 0)
                close(server->listen_fd);
        if (server->wake_fd >= 0)
                close(server->wake_fd);
        http_server_tls_cleanup(server);
        pthread_mutex_destroy(&server->accept_lock);
        free(server->server_header);
        free(server);
}

const char *http_server_request_field(const struct http_server_request *request, const char *name)
{
        for (size_t i = 0; i < request->num_fields; i++) {
                if (strcasecmp(request->fields[i].name, name) == 0)
                        return request->fields[i].value;
        }
        return NULL;
}
