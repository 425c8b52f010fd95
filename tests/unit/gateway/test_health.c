/* tests/unit/gateway/test_health.c: gateway/health on loopback sockets and a real loop, against a server thread
 * that answers with the status a shared flag names (or never), in plain HTTP or over TLS (OpenSSL). Pinned:
 * down after exactly `fall` 503s and up after exactly `rise` 200s, the request as documented; a TCP target
 * rises, falls on "connection refused" and rises again; a silent target falls by timeout after about
 * fall * timeout_ms, its connections closed; https targets are checked through TLS, a refused handshake
 * fails; first checks spread over the interval; a stop with checks in flight closes every socket, leaves no
 * timer and calls nothing afterwards (ASan: no leak); bad settings are refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "check.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "gateway/health.h"
#include "net/socket.h"

/* Long enough never to matter on a loaded machine, short enough that a missing event fails. */
#define WAIT_MS 5000

static int64_t test_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the origin: a thread serving one connection at a time --- */

struct test_server {
        int listen_fd;
        unsigned port;
        pthread_t thread;
        SSL_CTX *ssl_ctx; /* an https origin with a self-signed certificate for origin.test; NULL: plain */
        struct key *key;
        struct cert *cert;
        atomic_int answer; /* status to answer; 0: read the request, never answer */
        atomic_bool stop;
        atomic_int answered[6];       /* answers sent, by status / 100 */
        atomic_int closed_unanswered; /* unanswered connections the client closed */
        atomic_int handshake_failures;
        pthread_mutex_t lock;
        char last_request[1024];
};

/* test_peer_wait waits for something to read, giving up when the test stops the server. */
static bool test_peer_wait(struct test_server *s, int fd, SSL *ssl)
{
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        while (!atomic_load(&s->stop))
                if ((ssl != NULL && SSL_pending(ssl) > 0) || poll(&pfd, 1, 20) > 0)
                        return true;
        return false;
}

/* test_peer_recv reads plaintext: bytes read, 0 at the end of the stream (TCP FIN or close_notify), -1. */
static ssize_t test_peer_recv(struct test_server *s, int fd, SSL *ssl, char *buf, size_t cap)
{
        if (!test_peer_wait(s, fd, ssl))
                return -1;
        if (ssl == NULL)
                return recv(fd, buf, cap, 0);
        int n = SSL_read(ssl, buf, (int)cap);
        return n > 0 ? n : SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

/* test_server_serve reads one request and answers it as the flag says, or waits for the client to close. */
static void test_server_serve(struct test_server *s, int fd, SSL *ssl)
{
        char request[sizeof s->last_request] = {0}, response[256];
        size_t len = 0;
        if (ssl != NULL && SSL_accept(ssl) != 1) {
                atomic_fetch_add(&s->handshake_failures, 1);
                return;
        }
        while (strstr(request, "\r\n\r\n") == NULL && len + 1 < sizeof request) {
                ssize_t n = test_peer_recv(s, fd, ssl, request + len, sizeof request - 1 - len);
                if (n <= 0)
                        return;
                len += (size_t)n;
        }
        pthread_mutex_lock(&s->lock);
        memcpy(s->last_request, request, sizeof request);
        pthread_mutex_unlock(&s->lock);
        int status = atomic_load(&s->answer);
        if (status == 0) {
                char byte;
                while (test_peer_recv(s, fd, ssl, &byte, 1) > 0)
                        continue;
                if (!atomic_load(&s->stop))
                        atomic_fetch_add(&s->closed_unanswered, 1);
                return;
        }
        snprintf(response, sizeof response, "HTTP/1.1 %d %s\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                 status, status == 200 ? "OK" : "Service Unavailable");
        /* Counted before it leaves: the checker may judge it before this thread runs again. */
        atomic_fetch_add(&s->answered[status / 100], 1);
        if (ssl != NULL)
                SSL_write(ssl, response, (int)strlen(response));
        else
                (void)send(fd, response, strlen(response), MSG_NOSIGNAL);
}

static void *test_server_main(void *arg)
{
        struct test_server *s = arg;
        while (!atomic_load(&s->stop)) {
                struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
                if (poll(&pfd, 1, 20) <= 0)
                        continue;
                int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                struct timeval limit = {.tv_sec = 2}; /* a handshake never blocks the thread for longer */
                if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0)
                        continue;
                SSL *ssl = s->ssl_ctx != NULL ? SSL_new(s->ssl_ctx) : NULL;
                if (ssl != NULL)
                        SSL_set_fd(ssl, fd);
                test_server_serve(s, fd, ssl);
                if (ssl != NULL)
                        SSL_shutdown(ssl);
                SSL_free(ssl);
                close(fd);
        }
        return NULL;
}

/* test_listen listens on 127.0.0.1:port (0: any free port) and returns the socket. */
static int test_listen(unsigned port)
{
        struct net_address address = {.host = "127.0.0.1", .port = (uint16_t)port};
        struct err err = {0};
        int fd = -1;
        CHECK_OK(net_socket_listen(&fd, &address, 1024, &err), &err);
        return fd;
}

/* test_server_make_tls makes the server an OpenSSL TLS server with a self-signed ECC certificate for
 * origin.test from our own issuer. */
static void test_server_make_tls(struct test_server *s)
{
        struct err err = {0};
        CHECK_OK(key_generate(&s->key, KEY_ALG_EC_P256, &err), &err);
        struct cert_issue_params params = {
            .subject_key = s->key, .common_name = "origin.test", .not_after = time(NULL) + 86400};
        CHECK_OK(cert_issue(&s->cert, &params, &err), &err);
        CHECK((s->ssl_ctx = SSL_CTX_new(TLS_server_method())) != NULL);
        CHECK(SSL_CTX_use_certificate(s->ssl_ctx, cert_x509(s->cert)) == 1);
        CHECK(SSL_CTX_use_PrivateKey(s->ssl_ctx, key_evp(s->key)) == 1);
}

static void test_server_start(struct test_server *s, int answer, bool is_tls)
{
        memset(s, 0, sizeof *s);
        signal(SIGPIPE, SIG_IGN); /* OpenSSL writes with write(2): a checker gone must not end the test */
        if (is_tls)
                test_server_make_tls(s);
        s->listen_fd = test_listen(0);
        s->port = net_socket_local_port(s->listen_fd);
        atomic_store(&s->answer, answer);
        pthread_mutex_init(&s->lock, NULL);
        CHECK(pthread_create(&s->thread, NULL, test_server_main, s) == 0);
}

static void test_server_stop(struct test_server *s)
{
        atomic_store(&s->stop, true);
        pthread_join(s->thread, NULL);
        close(s->listen_fd);
        pthread_mutex_destroy(&s->lock);
        SSL_CTX_free(s->ssl_ctx);
        cert_free(s->cert);
        key_free(s->key);
}

/* test_expect_request checks the last request the server read starts with want. */
static void test_expect_request(struct test_server *s, const char *want)
{
        pthread_mutex_lock(&s->lock);
        bool is_match = strncmp(s->last_request, want, strlen(want)) == 0;
        pthread_mutex_unlock(&s->lock);
        if (!is_match)
                check_fail(__FILE__, __LINE__, "the last request is not \"%s...\"", want);
}

/* --- the checker's side --- */

struct test_ctx {
        struct net_loop *loop;
        struct gw_health *h;
        struct test_server *server;
        int num_changes;
        int changes_after_stop;
        bool is_stopped;
        /* the last change, and what was true when it was reported */
        size_t index;
        bool is_up;
        char reason[GW_HEALTH_TEXT_MAX];
        struct gw_health_state state;
        int answered[6];
        atomic_int *counter;          /* what test_has_count watches */
        int64_t first_change_ms[256]; /* test_now_ms of each target's first change */
};

static void test_on_change(void *arg, size_t index, bool is_up, const char *reason)
{
        struct test_ctx *t = arg;
        struct err err = {0};
        if (t->is_stopped)
                t->changes_after_stop++;
        t->num_changes++;
        if (index < 256 && t->first_change_ms[index] == 0)
                t->first_change_ms[index] = test_now_ms();
        t->index = index;
        t->is_up = is_up;
        snprintf(t->reason, sizeof t->reason, "%s", reason);
        CHECK_OK(gw_health_get(t->h, index, &t->state, &err), &err);
        for (int i = 0; t->server != NULL && i < 6; i++)
                t->answered[i] = atomic_load(&t->server->answered[i]);
}

static struct gw_health_target test_target(unsigned port, const char *name, struct net_tls_client_ctx *tls_ctx)
{
        struct gw_health_target target = {.addr_len = sizeof(struct sockaddr_in), .name = name, .tls_ctx = tls_ctx};
        struct sockaddr_in *sin = (struct sockaddr_in *)&target.addr;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return target;
}

static void test_start(struct test_ctx *t, const struct gw_health_config *config,
                       const struct gw_health_target *targets, size_t num)
{
        struct err err = {0};
        if (t->loop == NULL)
                CHECK_OK(net_loop_new(&t->loop, &err), &err);
        CHECK_OK(gw_health_start(&t->h, t->loop, config, targets, num, test_on_change, t, &err), &err);
}

static void test_finish(struct test_ctx *t)
{
        gw_health_stop(t->h);
        t->h = NULL;
        net_loop_free(t->loop);
        t->loop = NULL;
}

static struct gw_health_state test_state(struct test_ctx *t, size_t index)
{
        struct gw_health_state state;
        struct err err = {0};
        CHECK_OK(gw_health_get(t->h, index, &state, &err), &err);
        return state;
}

/* test_run_until runs the loop until cond holds (true) or limit_ms passed (false). */
static bool test_run_until(struct test_ctx *t, bool (*cond)(struct test_ctx *t, long want), long want, int64_t limit_ms)
{
        struct err err = {0};
        int64_t end = test_now_ms() + limit_ms;
        while (!cond(t, want)) {
                if (test_now_ms() > end)
                        return false;
                CHECK_OK(net_loop_run_once(t->loop, 10, &err), &err);
        }
        return true;
}

static bool test_has_changes(struct test_ctx *t, long want)
{
        return t->num_changes >= want;
}

static bool test_has_checks(struct test_ctx *t, long want)
{
        for (size_t i = 0; i < gw_health_count(t->h); i++)
                if (test_state(t, i).checks_done < (uint64_t)want)
                        return false;
        return true;
}

static bool test_has_count(struct test_ctx *t, long want)
{
        return atomic_load(t->counter) >= want;
}

static void test_expect_in(const char *text, const char *part)
{
        if (strstr(text, part) == NULL)
                check_fail(__FILE__, __LINE__, "\"%s\" lacks \"%s\"", text, part);
}

/* --- tests --- */

static struct gw_health_config test_config(enum gw_health_kind kind, int timeout_ms, int rise, int fall)
{
        struct gw_health_config c = {.kind = kind, .path = "/healthz", .host = "health.test", .interval_ms = 20};
        c.timeout_ms = timeout_ms, c.rise = rise, c.fall = fall;
        return c;
}

static void test_http_down_after_fall_up_after_rise(void)
{
        struct test_server server;
        struct test_ctx t = {.server = &server};
        test_server_start(&server, 200, false);
        struct gw_health_config config = test_config(GW_HEALTH_HTTP, 2000, 2, 3);
        struct gw_health_target target = test_target(server.port, "shop-1", NULL);
        test_start(&t, &config, &target, 1);
        struct gw_health_state state = test_state(&t, 0);
        CHECK(state.is_up); /* up before any check: a fresh gateway serves at once */
        CHECK_EQ(state.checks_done, 0);

        /* Healthy: checks pass and nothing is reported. */
        CHECK(test_run_until(&t, test_has_checks, 3, WAIT_MS));
        state = test_state(&t, 0);
        CHECK_EQ(t.num_changes, 0);
        CHECK_EQ(state.checks_failed, 0);
        CHECK_EQ(state.last_status, 200);
        CHECK_STR(state.last_error, "");
        CHECK(state.last_check_unix_ms > 0);
        test_expect_request(&server, "GET /healthz HTTP/1.1\r\nHost: health.test\r\nConnection: close\r\n"
                                     "User-Agent: smtrust-health\r\n\r\n");

        /* 503: down at exactly the third failure. */
        atomic_store(&server.answer, 503);
        CHECK(test_run_until(&t, test_has_changes, 1, WAIT_MS));
        CHECK(!t.is_up);
        CHECK_EQ(t.answered[5], 3);
        CHECK_EQ(t.state.consecutive_fail, 3);
        CHECK_EQ(t.state.last_status, 503);
        test_expect_in(t.reason, "shop-1: GET /healthz: status 503, expected 200..399 (3 consecutive failures)");

        /* Healthy again: up at exactly the second success after the flip. */
        int ok_before = atomic_load(&server.answered[2]);
        atomic_store(&server.answer, 200);
        CHECK(test_run_until(&t, test_has_changes, 2, WAIT_MS));
        CHECK(t.is_up);
        CHECK_EQ(t.answered[2] - ok_before, 2);
        CHECK_EQ(t.state.consecutive_ok, 2);
        CHECK_STR(t.state.last_error, "");
        test_expect_in(t.reason, "status 200 (2 consecutive successes)");
        CHECK_EQ(t.state.checks_failed, 3);
        CHECK_EQ(t.state.checks_done, 3 + (uint64_t)atomic_load(&server.answered[2]));
        gw_health_stop(t.h);

        /* An exact status: 200 fails too. Without host and path, the address is the Host and "/" the path. */
        config = test_config(GW_HEALTH_HTTP, 2000, 1, 1);
        config.status_min = config.status_max = 204;
        config.host = config.path = NULL;
        test_start(&t, &config, &target, 1);
        CHECK(test_run_until(&t, test_has_changes, 3, WAIT_MS));
        CHECK(!t.is_up);
        test_expect_in(t.reason, "GET /: status 200, expected 204");
        char want[128];
        snprintf(want, sizeof want, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", server.port);
        test_expect_request(&server, want);
        test_finish(&t);
        test_server_stop(&server);
}

/* A TCP target that starts down rises after `rise` connects, falls on "connection refused" after `fall`
 * checks once its port closes, and rises again when something listens there anew. */
static void test_tcp_refused_and_back(void)
{
        struct test_ctx t = {0};
        int listen_fd = test_listen(0);
        unsigned port = net_socket_local_port(listen_fd);
        struct gw_health_config config = test_config(GW_HEALTH_TCP, 2000, 2, 2);
        config.starts_down = true;
        struct gw_health_target target = test_target(port, "tcp-1", NULL);
        test_start(&t, &config, &target, 1);
        CHECK(!test_state(&t, 0).is_up);

        CHECK(test_run_until(&t, test_has_changes, 1, WAIT_MS));
        CHECK(t.is_up);
        CHECK_EQ(t.state.checks_done, 2);
        test_expect_in(t.reason, "connected (2 consecutive successes)");

        close(listen_fd);
        CHECK(test_run_until(&t, test_has_changes, 2, WAIT_MS));
        CHECK(!t.is_up);
        CHECK_EQ(t.state.consecutive_fail, 2);
        test_expect_in(t.reason, "Connection refused");
        test_expect_in(t.state.last_error, "Connection refused");
        CHECK_EQ(t.state.last_status, 0);

        listen_fd = test_listen(port);
        CHECK(test_run_until(&t, test_has_changes, 3, WAIT_MS));
        CHECK(t.is_up);
        test_finish(&t);
        close(listen_fd);
}

/* A target that accepts and reads the request but never answers is down after fall timeouts: never
 * before fall * timeout_ms, and well before that plus the intervals and a generous margin. */
static void test_silent_target_times_out(void)
{
        enum { TIMEOUT_MS = 200, FALL = 3 };
        struct test_server server;
        struct test_ctx t = {.server = &server};
        test_server_start(&server, 0, false);
        struct gw_health_config config = test_config(GW_HEALTH_HTTP, TIMEOUT_MS, 1, FALL);
        struct gw_health_target target = test_target(server.port, "silent", NULL);
        int64_t started = test_now_ms();
        test_start(&t, &config, &target, 1);
        CHECK(test_run_until(&t, test_has_changes, 1, WAIT_MS));
        int64_t elapsed = test_now_ms() - started;
        CHECK(!t.is_up);
        CHECK_EQ(t.state.checks_done, FALL);
        if (elapsed < FALL * TIMEOUT_MS || elapsed > FALL * (TIMEOUT_MS + config.interval_ms) + 1500)
                check_fail(__FILE__, __LINE__, "down after %lld ms, expected about %d", (long long)elapsed,
                           FALL * TIMEOUT_MS);
        CHECK(t.state.last_duration_ms >= TIMEOUT_MS && t.state.last_duration_ms < TIMEOUT_MS + 500);
        test_expect_in(t.reason, "timed out after 200 ms waiting for the response head");
        t.counter = &server.closed_unanswered; /* each timed-out check closed its connection */
        CHECK(test_run_until(&t, test_has_count, FALL, WAIT_MS));
        test_finish(&t);
        test_server_stop(&server);
}

/* An https origin is checked through TLS: the request arrives decrypted and the status is judged. A TCP
 * check of it includes the handshake: with verification on, its self-signed certificate fails the check
 * although the port accepts. */
static void test_https_target(void)
{
        struct test_server server;
        struct test_ctx t = {.server = &server};
        struct net_tls_client_ctx *ctx = NULL, *verifying_ctx = NULL;
        struct err err = {0};
        test_server_start(&server, 200, true);
        struct net_tls_client_config client = {.verify = NET_TLS_CLIENT_VERIFY_OFF, .server_name = "origin.test"};
        CHECK_OK(net_tls_client_ctx_new(&ctx, &client, &err), &err);
        struct gw_health_config config = test_config(GW_HEALTH_HTTP, 2000, 1, 2);
        struct gw_health_target target = test_target(server.port, "https-1", ctx);
        test_start(&t, &config, &target, 1);
        CHECK(test_run_until(&t, test_has_checks, 2, WAIT_MS));
        struct gw_health_state state = test_state(&t, 0);
        CHECK_EQ(state.checks_failed, 0);
        CHECK_EQ(state.last_status, 200);
        test_expect_request(&server, "GET /healthz HTTP/1.1\r\nHost: health.test\r\n");

        atomic_store(&server.answer, 503);
        CHECK(test_run_until(&t, test_has_changes, 1, WAIT_MS));
        CHECK(!t.is_up);
        CHECK_EQ(t.answered[5], 2);
        test_expect_in(t.reason, "status 503");
        CHECK_EQ(atomic_load(&server.handshake_failures), 0);
        gw_health_stop(t.h);

        client.verify = NET_TLS_CLIENT_VERIFY_ON;
        CHECK_OK(net_tls_client_ctx_new(&verifying_ctx, &client, &err), &err);
        config = test_config(GW_HEALTH_TCP, 2000, 1, 1);
        target.tls_ctx = verifying_ctx;
        test_start(&t, &config, &target, 1);
        CHECK(test_run_until(&t, test_has_changes, 2, WAIT_MS));
        CHECK(!t.is_up);
        test_expect_in(t.reason, "TLS handshake");
        t.counter = &server.handshake_failures; /* the server saw the client's alert */
        CHECK(test_run_until(&t, test_has_count, 1, WAIT_MS));
        test_finish(&t);
        test_server_stop(&server);
        net_tls_client_ctx_free(ctx);
        net_tls_client_ctx_free(verifying_ctx);
}

static int test_compare_ms(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

/* 200 targets starting together: their first checks spread over the interval instead of one burst. */
static void test_first_checks_spread(void)
{
        enum { NUM = 200, INTERVAL_MS = 400 };
        struct test_ctx t = {0};
        struct gw_health_target targets[NUM];
        int listen_fd = test_listen(0);
        for (size_t i = 0; i < NUM; i++)
                targets[i] = test_target(net_socket_local_port(listen_fd), "many", NULL);
        struct gw_health_config config = test_config(GW_HEALTH_TCP, 2000, 1, 1);
        config.interval_ms = INTERVAL_MS;
        config.starts_down = true;
        int64_t started = test_now_ms();
        test_start(&t, &config, targets, NUM);
        CHECK(test_run_until(&t, test_has_changes, NUM, WAIT_MS));
        qsort(t.first_change_ms, NUM, sizeof t.first_change_ms[0], test_compare_ms);
        int64_t p10 = t.first_change_ms[NUM / 10] - started, p90 = t.first_change_ms[NUM * 9 / 10] - started;
        int64_t last = t.first_change_ms[NUM - 1] - started;
        /* Uniform over the interval: p90 - p10 is about 0.8 * 400 ms (a burst would make it about 0); the
         * margins absorb a loaded machine stalling the loop and bunching some of them. */
        if (p90 - p10 < INTERVAL_MS / 2 || last > INTERVAL_MS + 1500)
                check_fail(__FILE__, __LINE__, "first checks: 10%% by %lld ms, 90%% by %lld ms, all by %lld ms",
                           (long long)p10, (long long)p90, (long long)last);
        test_finish(&t);
        close(listen_fd);
}

/* test_all_readable says whether each of fds has bytes waiting. */
static bool test_all_readable(int *fds, size_t num)
{
        struct pollfd pfds[64];
        for (size_t i = 0; i < num; i++)
                pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        return poll(pfds, num, 0) == (int)num;
}

/* Stop with every check in flight (plain ones waiting for the response, TLS ones in the handshake): every
 * socket is closed, no timer is left, and the timeouts that would have failed them never call back. */
static void test_stop_with_checks_in_flight(void)
{
        enum { NUM = 24, TIMEOUT_MS = 300 };
        struct test_ctx t = {0};
        struct net_tls_client_ctx *ctx = NULL;
        struct err err = {0};
        struct net_tls_client_config client = {.verify = NET_TLS_CLIENT_VERIFY_OFF, .server_name = "origin.test"};
        CHECK_OK(net_tls_client_ctx_new(&ctx, &client, &err), &err);
        int listen_fd = test_listen(0), accepted[NUM];
        struct gw_health_target targets[NUM];
        for (size_t i = 0; i < NUM; i++)
                targets[i] = test_target(net_socket_local_port(listen_fd), "in-flight", i % 2 == 0 ? ctx : NULL);
        struct gw_health_config config = test_config(GW_HEALTH_HTTP, TIMEOUT_MS, 1, 1);
        test_start(&t, &config, targets, NUM);
        size_t num_accepted = 0;
        int64_t end = test_now_ms() + WAIT_MS;
        while ((num_accepted < NUM || !test_all_readable(accepted, NUM)) && test_now_ms() < end) {
                CHECK_OK(net_loop_run_once(t.loop, 5, &err), &err);
                while (num_accepted < NUM && net_socket_accept(listen_fd, &accepted[num_accepted], NULL, &err) == 0)
                        num_accepted++;
        }
        CHECK_EQ(num_accepted, NUM);
        CHECK(test_all_readable(accepted, NUM)); /* a request or a ClientHello from each */
        CHECK_EQ(t.num_changes, 0);              /* nothing timed out yet: all are in flight */

        gw_health_stop(t.h);
        t.h = NULL;
        t.is_stopped = true;
        CHECK_EQ(net_loop_timer_count(t.loop), 0);
        for (size_t i = 0; i < NUM; i++) {
                char buf[4096];
                ssize_t n;
                while ((n = recv(accepted[i], buf, sizeof buf, 0)) > 0)
                        continue;
                CHECK_EQ(n, 0); /* the checker closed it */
                close(accepted[i]);
        }
        int64_t until = test_now_ms() + 2 * TIMEOUT_MS;
        while (test_now_ms() < until)
                CHECK_OK(net_loop_run_once(t.loop, 20, &err), &err);
        CHECK_EQ(t.changes_after_stop, 0);
        CHECK_EQ(t.num_changes, 0);
        test_finish(&t);
        close(listen_fd);
        net_tls_client_ctx_free(ctx);
}

static void test_bad_settings_refused(void)
{
        struct net_loop *loop = NULL;
        struct gw_health *h = NULL;
        struct err err = {0};
        struct gw_health_target target = test_target(1, "t", NULL);
        CHECK_OK(net_loop_new(&loop, &err), &err);
        struct gw_health_config good = test_config(GW_HEALTH_HTTP, 2000, 1, 1), bad[9];
        for (size_t i = 0; i < 9; i++)
                bad[i] = good;
        bad[0].interval_ms = 0, bad[1].timeout_ms = -1, bad[2].rise = 0, bad[3].fall = 0;
        bad[4].path = "/health check", bad[5].path = "healthz", bad[6].host = "a\r\nX-Injected: 1";
        bad[7].status_min = 200, bad[7].status_max = 600, bad[8].kind = 0;
        for (size_t i = 0; i < 9; i++) {
                CHECK_STATUS(gw_health_start(&h, loop, &bad[i], &target, 1, test_on_change, NULL, &err), SMT_EINVAL);
                CHECK(h == NULL);
        }
        test_expect_in(err.msg, "kind 0");
        CHECK_STATUS(gw_health_start(&h, loop, &good, &target, 0, test_on_change, NULL, &err), SMT_EINVAL);
        CHECK_STATUS(gw_health_start(&h, loop, &good, &target, 1, NULL, NULL, &err), SMT_EINVAL);
        struct gw_health_target no_address = {.name = "none"};
        CHECK_STATUS(gw_health_start(&h, loop, &good, &no_address, 1, test_on_change, NULL, &err), SMT_EINVAL);
        CHECK_EQ(net_loop_timer_count(loop), 0);
        net_loop_free(loop);
}

CHECK_MAIN(CHECK_TEST(test_http_down_after_fall_up_after_rise), CHECK_TEST(test_tcp_refused_and_back),
           CHECK_TEST(test_silent_target_times_out), CHECK_TEST(test_https_target),
           CHECK_TEST(test_first_checks_spread), CHECK_TEST(test_stop_with_checks_in_flight),
           CHECK_TEST(test_bad_settings_refused))
