/* tests/unit/net/test_tlcp_stream.c: the blocking socket adapter over real loopback TCP: a whole handshake
 * and a bulk echo (many records, partial writes) with close_notify, and the failure paths a server meets:
 * a silent peer (timeout), a peer that hangs up, garbage instead of a ClientHello (an alert goes back), and
 * a signal that cancels a wait. The server side runs in a forked child. */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "check.h"
#include "shared_pki.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "net/tlcp_stream.h"

#define BULK_LEN (300 * 1024)

struct pki {
        struct cert_chain *sign_cert;
        struct cert_chain *enc_cert;
        struct key *sign_key;
        struct key *enc_key;
        struct cert_store *trust;
        struct tlcp_credentials credentials;
};

static void pki_load(struct pki *pki)
{
        struct err err = {0};
        memset(pki, 0, sizeof *pki);
        CHECK_OK(cert_chain_load_pem(&pki->sign_cert, shared_pki_path("server_sign.crt"), &err), &err);
        CHECK_OK(cert_chain_load_pem(&pki->enc_cert, shared_pki_path("server_enc.crt"), &err), &err);
        CHECK_OK(cert_store_load(&pki->trust, shared_pki_path("ca.crt"), &err), &err);
        pki->sign_key = shared_pki_key("server_sign.key");
        pki->enc_key = shared_pki_key("server_enc.key");
        pki->credentials.sign_cert = cert_chain_get(pki->sign_cert, 0);
        pki->credentials.enc_cert = cert_chain_get(pki->enc_cert, 0);
        pki->credentials.sign_key = pki->sign_key;
        pki->credentials.enc_key = pki->enc_key;
}

static void pki_free(struct pki *pki)
{
        cert_chain_free(pki->sign_cert);
        cert_chain_free(pki->enc_cert);
        key_free(pki->sign_key);
        key_free(pki->enc_key);
        cert_store_free(pki->trust);
}

/* listen_loopback opens a listening socket on 127.0.0.1 with a free port. */
static int listen_loopback(struct net_address *address)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sa_len = sizeof sa;
        CHECK(fd >= 0);
        CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        CHECK(listen(fd, 4) == 0);
        CHECK(getsockname(fd, (struct sockaddr *)&sa, &sa_len) == 0);
        snprintf(address->host, sizeof address->host, "127.0.0.1");
        address->port = ntohs(sa.sin_port);
        return fd;
}

/* echo_server runs in the child: one TLCP connection, everything read is written back until close_notify. */
static _Noreturn void echo_server(int listen_fd)
{
        struct pki pki;
        struct tlcp_config config;
        struct net_tlcp_stream stream;
        struct err err = {0};
        uint8_t chunk[TLCP_MAX_PLAINTEXT];
        pki_load(&pki);
        tlcp_config_init(&config, TLCP_ROLE_SERVER);
        config.credentials = &pki.credentials;
        net_tlcp_stream_init(&stream);
        int fd = accept(listen_fd, NULL, NULL);
        struct sockaddr_in peer = {.sin_family = AF_INET};
        int status = net_tlcp_stream_attach(&stream, fd, (struct sockaddr *)&peer, sizeof peer, &err);
        if (status == SMT_OK)
                status = net_tlcp_stream_start(&stream, &config, &err);
        if (status == SMT_OK)
                status = net_tlcp_stream_handshake(&stream, &err);
        while (status == SMT_OK) {
                size_t len = 0;
                status = net_tlcp_stream_read(&stream, chunk, sizeof chunk, &len, &err);
                if (status == SMT_OK)
                        status = net_tlcp_stream_write_all(&stream, chunk, len, &err);
        }
        if (status != TLCP_ECLOSED)
                fprintf(stderr, "echo server: %s\n", err.msg);
        net_tlcp_stream_close(&stream);
        pki_free(&pki);
        _exit(status == TLCP_ECLOSED ? 0 : 1);
}

static pid_t start_child(int listen_fd, void (*serve)(int))
{
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                serve(listen_fd);
        close(listen_fd);
        return pid;
}

static int wait_child(pid_t pid)
{
        int wstatus = 0;
        CHECK(waitpid(pid, &wstatus, 0) == pid);
        return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

static void test_handshake_and_bulk_echo(void)
{
        struct pki pki;
        struct net_address address;
        pki_load(&pki);
        int listen_fd = listen_loopback(&address);
        pid_t child = start_child(listen_fd, echo_server);

        struct tlcp_config config;
        struct net_tlcp_stream stream;
        struct err err = {0};
        tlcp_config_init(&config, TLCP_ROLE_CLIENT);
        config.trust = pki.trust;
        config.server_name = "localhost";
        net_tlcp_stream_init(&stream);
        CHECK_OK(net_tlcp_stream_connect(&stream, &address, 5000, &err), &err);
        CHECK_STR(stream.peer_address, stream.peer);
        CHECK_OK(net_tlcp_stream_start(&stream, &config, &err), &err);
        CHECK_OK(net_tlcp_stream_handshake(&stream, &err), &err);
        CHECK(stream.is_established);

        /* More than the socket buffers hold at once: the server's writes block and finish in parts, so both
         * sides must interleave; the client writes in two halves and reads back after each. */
        static uint8_t sent[BULK_LEN], received[BULK_LEN];
        for (size_t i = 0; i < sizeof sent; i++)
                sent[i] = (uint8_t)(i * 7 + (i >> 8));
        size_t received_len = 0;
        for (int half = 0; half < 2; half++) {
                CHECK_OK(net_tlcp_stream_write_all(&stream, sent + half * (BULK_LEN / 2), BULK_LEN / 2, &err), &err);
                while (received_len < (size_t)(half + 1) * (BULK_LEN / 2)) {
                        size_t len = 0;
                        CHECK_OK(net_tlcp_stream_read(&stream, received + received_len, sizeof received - received_len,
                                                      &len, &err),
                                 &err);
                        received_len += len;
                }
        }
        CHECK_EQ(received_len, BULK_LEN);
        CHECK_MEM(received, sent, BULK_LEN);
        net_tlcp_stream_close(&stream); /* close_notify: the server's read ends with TLCP_ECLOSED */
        CHECK_EQ(stream.fd, -1);
        CHECK_EQ(wait_child(child), 0);
        pki_free(&pki);
}

/* A server that accepts and then does nothing for a while, or closes at once. */
static _Noreturn void silent_server(int listen_fd)
{
        int fd = accept(listen_fd, NULL, NULL);
        sleep(3);
        close(fd);
        _exit(0);
}

static _Noreturn void hang_up_server(int listen_fd)
{
        uint8_t hello[64];
        int fd = accept(listen_fd, NULL, NULL);
        ssize_t got = recv(fd, hello, sizeof hello, 0); /* the start of the ClientHello, then hang up */
        close(fd);
        _exit(got > 0 ? 0 : 1);
}

static int client_handshake_against(void (*serve)(int), int timeout_ms, struct net_tlcp_stream *stream, struct err *err)
{
        struct pki pki;
        struct net_address address;
        struct tlcp_config config;
        pki_load(&pki);
        int listen_fd = listen_loopback(&address);
        pid_t child = start_child(listen_fd, serve);
        tlcp_config_init(&config, TLCP_ROLE_CLIENT);
        config.trust = pki.trust;
        config.server_name = "localhost";
        net_tlcp_stream_init(stream);
        stream->timeout_ms = timeout_ms;
        CHECK_OK(net_tlcp_stream_connect(stream, &address, 5000, err), err);
        CHECK_OK(net_tlcp_stream_start(stream, &config, err), err);
        int status = net_tlcp_stream_handshake(stream, err);
        net_tlcp_stream_close(stream);
        kill(child, SIGKILL);
        wait_child(child);
        pki_free(&pki);
        return status;
}

static void test_silent_peer_times_out(void)
{
        struct net_tlcp_stream stream;
        struct err err = {0};
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_STATUS(client_handshake_against(silent_server, 300, &stream, &err), SMT_EIO);
        clock_gettime(CLOCK_MONOTONIC, &end);
        double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
        CHECK(seconds >= 0.25 && seconds < 2.5);
        CHECK(strstr(err.msg, "timed out") != NULL);
        CHECK(strncmp(err.msg, "127.0.0.1:", 10) == 0);
}

static void test_peer_hang_up_during_handshake(void)
{
        struct net_tlcp_stream stream;
        struct err err = {0};
        CHECK_STATUS(client_handshake_against(hang_up_server, 5000, &stream, &err), SMT_EIO);
        CHECK(stream.is_peer_closed);
        CHECK(strstr(err.msg, "closed the connection during the handshake") != NULL);
}

static void test_garbage_gets_an_alert(void)
{
        struct pki pki;
        struct net_address address;
        struct tlcp_config config;
        struct net_tlcp_stream stream;
        struct err err = {0};
        pki_load(&pki);
        int listen_fd = listen_loopback(&address);
        int raw = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons(address.port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        CHECK(connect(raw, (struct sockaddr *)&sa, sizeof sa) == 0);
        static const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
        CHECK(send(raw, garbage, sizeof garbage - 1, 0) == (ssize_t)(sizeof garbage - 1));

        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept(listen_fd, (struct sockaddr *)&peer, &peer_len);
        tlcp_config_init(&config, TLCP_ROLE_SERVER);
        config.credentials = &pki.credentials;
        net_tlcp_stream_init(&stream);
        stream.timeout_ms = 2000;
        CHECK_OK(net_tlcp_stream_attach(&stream, fd, (struct sockaddr *)&peer, peer_len, &err), &err);
        CHECK_OK(net_tlcp_stream_start(&stream, &config, &err), &err);
        int status = net_tlcp_stream_handshake(&stream, &err);
        CHECK(status < 0 && status != SMT_EIO && status != SMT_EAGAIN);
        CHECK(strncmp(err.msg, "127.0.0.1:", 10) == 0);
        net_tlcp_stream_close(&stream);

        uint8_t answer[64];
        ssize_t got = recv(raw, answer, sizeof answer, 0);
        CHECK(got >= 7);
        CHECK_EQ(answer[0], TLCP_CONTENT_ALERT);
        CHECK_EQ(answer[5], TLCP_ALERT_FATAL);
        close(raw);
        close(listen_fd);
        pki_free(&pki);
}

static volatile sig_atomic_t cancel_flag;

static void on_alarm(int signal_number)
{
        (void)signal_number;
        cancel_flag = 1;
}

static void test_signal_cancels_a_wait(void)
{
        struct sigaction action = {.sa_handler = on_alarm}; /* no SA_RESTART: poll returns EINTR */
        sigemptyset(&action.sa_mask);
        CHECK(sigaction(SIGALRM, &action, NULL) == 0);
        struct pki pki;
        struct net_address address;
        struct tlcp_config config;
        struct net_tlcp_stream stream;
        struct err err = {0};
        pki_load(&pki);
        int listen_fd = listen_loopback(&address);
        tlcp_config_init(&config, TLCP_ROLE_CLIENT);
        config.trust = pki.trust;
        config.server_name = "localhost";
        net_tlcp_stream_init(&stream);
        stream.timeout_ms = 60000;
        stream.cancel = &cancel_flag;
        /* The kernel completes the TCP handshake from the backlog; nobody ever answers the ClientHello. */
        CHECK_OK(net_tlcp_stream_connect(&stream, &address, 5000, &err), &err);
        CHECK_OK(net_tlcp_stream_start(&stream, &config, &err), &err);
        alarm(1);
        CHECK_STATUS(net_tlcp_stream_handshake(&stream, &err), SMT_EIO);
        CHECK(strstr(err.msg, "interrupted") != NULL);
        net_tlcp_stream_close(&stream);
        close(listen_fd);
        pki_free(&pki);
        signal(SIGALRM, SIG_DFL);
}

CHECK_MAIN(CHECK_TEST(test_handshake_and_bulk_echo), CHECK_TEST(test_silent_peer_times_out),
           CHECK_TEST(test_peer_hang_up_during_handshake), CHECK_TEST(test_garbage_gets_an_alert),
           CHECK_TEST(test_signal_cancels_a_wait))
