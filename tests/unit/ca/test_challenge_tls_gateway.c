/* tests/unit/ca/test_challenge_tls_gateway.c: our CA's tls-alpn-01 validator (ca_challenge_tls_alpn01,
 * RFC 8737) against the gateway's answer to it: a TCP server on 127.0.0.1 running net_tls_conn with the
 * gateway's challenge table (gateway/challenges.h) as its acme_select hook, as the gateway's workers do.
 * The validator accepts the certificate for a DNS name and for an IP address (RFC 8738 6), and refuses
 * it for another key authorization or when no challenge is pending. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ca/challenge.h"
#include "challenge_fakes.h"
#include "check.h"
#include "gateway/challenges.h"
#include "net/tls_conn.h"

#define KEY_AUTHORIZATION "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static const struct challenge_dns_record records[] = {
    {"a.test", 1, "127.0.0.1"},
};

struct gateway_peer {
        struct gw_challenges *challenges;
        struct net_tls_config tls;
        int listen_fd;
        uint16_t port;
        pthread_t thread;
        atomic_bool stop;
        atomic_int num_acme;    /* handshakes that ended as validations */
        atomic_int num_refused; /* handshakes that failed */
        struct challenge_dns_server dns;
        char resolver[32];
        struct ca_challenge_config config;
        struct ca_challenge_result result;
        struct err err;
};

/* The sites' select: this server has no site, only challenges. */
static int no_site(void *arg, const char *server_name, const struct net_tls_credentials **out)
{
        (void)arg;
        (void)server_name;
        (void)out;
        return SMT_EINVAL;
}

static bool flush_output(struct net_tls_conn *conn, int fd)
{
        const uint8_t *data = NULL;
        for (size_t n; (n = net_tls_conn_peek_output(conn, &data)) > 0;) {
                ssize_t sent = send(fd, data, n, MSG_NOSIGNAL);
                if (sent <= 0)
                        return false;
                net_tls_conn_consume_output(conn, (size_t)sent);
        }
        return true;
}

/* serve_one drives one connection as a gateway worker would: handshake, then close (a validation carries
 * no request). Blocking reads bounded by the client's own timeout. */
static void serve_one(struct gateway_peer *peer, int fd)
{
        struct net_tls_conn *conn = NULL;
        struct err err;
        if (net_tls_conn_new(&conn, &peer->tls, &err) != 0)
                return;
        int status = SMT_EAGAIN;
        while ((status = net_tls_conn_handshake(conn, &err)) == SMT_EAGAIN) {
                uint8_t buf[4096];
                size_t consumed = 0;
                if (!flush_output(conn, fd))
                        break;
                ssize_t n = recv(fd, buf, sizeof buf, 0);
                if (n <= 0 || net_tls_conn_put_input(conn, buf, (size_t)n, &consumed, &err) != 0)
                        break;
        }
        if (status == 0 && net_tls_conn_is_acme(conn)) {
                atomic_fetch_add(&peer->num_acme, 1);
                SMT_IGNORE(net_tls_conn_close(conn, &err));
        } else if (status != SMT_EAGAIN && status != 0) {
                atomic_fetch_add(&peer->num_refused, 1);
        }
        flush_output(conn, fd);
        net_tls_conn_free(conn);
}

static void *gateway_peer_run(void *arg)
{
        struct gateway_peer *peer = arg;
        while (!atomic_load(&peer->stop)) {
                struct pollfd p = {.fd = peer->listen_fd, .events = POLLIN};
                if (poll(&p, 1, 50) <= 0)
                        continue;
                int fd = accept(peer->listen_fd, NULL, NULL);
                if (fd < 0)
                        continue;
                struct timeval limit = {.tv_sec = 2};
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
                serve_one(peer, fd);
                close(fd);
        }
        return NULL;
}

static void gateway_peer_start(struct gateway_peer *peer)
{
        struct err err = {0};
        memset(peer, 0, sizeof *peer);
        CHECK_OK(gw_challenges_new(&peer->challenges, &err), &err);
        peer->tls = (struct net_tls_config){
            .select = no_site, .acme_select = gw_challenges_tls_alpn01_select, .acme_select_arg = peer->challenges};
        CHECK_OK(net_tls_config_prepare(&peer->tls, &err), &err);
        peer->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof addr;
        CHECK(peer->listen_fd >= 0);
        CHECK_EQ(bind(peer->listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
        CHECK_EQ(listen(peer->listen_fd, 16), 0);
        CHECK_EQ(getsockname(peer->listen_fd, (struct sockaddr *)&addr, &len), 0);
        peer->port = ntohs(addr.sin_port);
        CHECK_EQ(pthread_create(&peer->thread, NULL, gateway_peer_run, peer), 0);
        peer->dns.records = records;
        peer->dns.num_records = 1;
        challenge_dns_server_start(&peer->dns);
        snprintf(peer->resolver, sizeof peer->resolver, "127.0.0.1:%u", (unsigned)peer->dns.port);
        peer->config =
            (struct ca_challenge_config){.resolver = peer->resolver, .tls_alpn_port = peer->port, .timeout_ms = 5000};
}

static void gateway_peer_stop(struct gateway_peer *peer)
{
        atomic_store(&peer->stop, true);
        pthread_join(peer->thread, NULL);
        close(peer->listen_fd);
        challenge_dns_server_stop(&peer->dns);
        net_tls_config_release(&peer->tls);
        gw_challenges_free(peer->challenges);
}

static int validate(struct gateway_peer *peer, const char *domain)
{
        return ca_challenge_tls_alpn01(&peer->config, domain, KEY_AUTHORIZATION, &peer->result, &peer->err);
}

static void validator_accepts_the_gateway_for_a_name(void)
{
        struct gateway_peer peer;
        gateway_peer_start(&peer);
        CHECK_OK(gw_challenges_add_tls_alpn01(peer.challenges, "a.test", KEY_AUTHORIZATION, &peer.err), &peer.err);
        CHECK_OK(validate(&peer, "a.test"), &peer.err);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_NONE);
        /* Once removed, the same validation fails: the gateway refuses the handshake. */
        gw_challenges_remove_tls_alpn01(peer.challenges, "a.test");
        CHECK_STATUS(validate(&peer, "a.test"), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_TLS);
        gateway_peer_stop(&peer);
        CHECK_EQ(atomic_load(&peer.num_acme), 1);
        CHECK_EQ(atomic_load(&peer.num_refused), 1);
}

static void validator_accepts_the_gateway_for_an_ip_address(void)
{
        struct gateway_peer peer;
        gateway_peer_start(&peer);
        CHECK_OK(gw_challenges_add_tls_alpn01(peer.challenges, "127.0.0.1", KEY_AUTHORIZATION, &peer.err), &peer.err);
        CHECK_OK(validate(&peer, "127.0.0.1"), &peer.err);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_NONE);
        gateway_peer_stop(&peer);
        CHECK_EQ(atomic_load(&peer.num_acme), 1);
}

static void validator_refuses_another_key_authorization(void)
{
        struct gateway_peer peer;
        gateway_peer_start(&peer);
        CHECK_OK(gw_challenges_add_tls_alpn01(peer.challenges, "a.test", KEY_AUTHORIZATION "x", &peer.err), &peer.err);
        CHECK_STATUS(validate(&peer, "a.test"), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_INCORRECT_RESPONSE);
        CHECK(strstr(peer.result.detail, "expected SHA-256 of the key authorization") != NULL);
        gateway_peer_stop(&peer);
}

/* A challenge for another name is no answer for this one. */
static void validator_refused_without_a_pending_challenge(void)
{
        struct gateway_peer peer;
        gateway_peer_start(&peer);
        CHECK_OK(gw_challenges_add_tls_alpn01(peer.challenges, "b.test", KEY_AUTHORIZATION, &peer.err), &peer.err);
        CHECK_STATUS(validate(&peer, "a.test"), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_TLS);
        gateway_peer_stop(&peer);
        CHECK_EQ(atomic_load(&peer.num_acme), 0);
        CHECK_EQ(atomic_load(&peer.num_refused), 1);
}

/* The `openssl` command, an independent client, sees what RFC 8737 3 asks for: ALPN acme-tls/1, the name
 * as the only SAN and the critical acmeIdentifier extension. */
static void openssl_client_sees_the_validation_certificate(void)
{
        if (system("openssl version >/dev/null 2>&1") != 0)
                return; /* no openssl command here: the C tests above still ran */
        struct gateway_peer peer;
        gateway_peer_start(&peer);
        CHECK_OK(gw_challenges_add_tls_alpn01(peer.challenges, "a.test", KEY_AUTHORIZATION, &peer.err), &peer.err);
        char command[512], output[16384];
        snprintf(command, sizeof command,
                 "cd %s && openssl s_client -connect 127.0.0.1:%u -servername a.test -alpn acme-tls/1 </dev/null "
                 ">s_client.txt 2>&1; grep 'ALPN protocol' s_client.txt; openssl x509 -noout -text -in s_client.txt",
                 check_temp_dir(), (unsigned)peer.port);
        FILE *run = popen(command, "r");
        CHECK(run != NULL);
        size_t len = fread(output, 1, sizeof output - 1, run);
        output[len] = '\0';
        pclose(run);
        gateway_peer_stop(&peer);
        if (strstr(output, "ALPN protocol: acme-tls/1") == NULL ||
            strstr(output, "1.3.6.1.5.5.7.1.31: critical") == NULL || strstr(output, "DNS:a.test") == NULL)
                check_fail(__FILE__, __LINE__, "openssl s_client / x509 printed:\n%s", output);
        CHECK_EQ(atomic_load(&peer.num_acme), 1);
}

CHECK_MAIN(CHECK_TEST(validator_accepts_the_gateway_for_a_name),
           CHECK_TEST(validator_accepts_the_gateway_for_an_ip_address),
           CHECK_TEST(validator_refuses_another_key_authorization),
           CHECK_TEST(validator_refused_without_a_pending_challenge),
           CHECK_TEST(openssl_client_sees_the_validation_certificate))
