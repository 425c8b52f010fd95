/* tests/unit/net/test_socket.c: net/socket on loopback: listen, a non-blocking connect, accept, bytes both
 * ways, and the failures a gateway meets (refused connect, port in use), checked through the system's own
 * view of each socket (fcntl, getsockopt, getsockname). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "net/socket.h"

static void test_wait(int fd, short events)
{
        struct pollfd p = {.fd = fd, .events = events};
        CHECK_EQ(poll(&p, 1, 5000), 1);
}

/* test_address: host with port 0 (any free port), which net_address_parse rightly refuses in a config. */
static struct net_address test_address(const char *host)
{
        struct net_address a = {.port = 0};
        snprintf(a.host, sizeof a.host, "%s", host);
        return a;
}

/* test_check_options: what every socket from this module must be. */
static void test_check_options(int fd)
{
        int flags = fcntl(fd, F_GETFL);
        CHECK(flags >= 0 && (flags & O_NONBLOCK) != 0);
        CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
}

static void test_check_nodelay(int fd)
{
        int value = 0;
        socklen_t len = sizeof value;
        CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &len) == 0);
        CHECK(value != 0);
}

/* test_connect_to runs a non-blocking connect to 127.0.0.1:port up to its outcome. */
static int test_connect_to(int *fd, unsigned port, struct err *err)
{
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int status = net_socket_connect(fd, (const struct sockaddr *)&sa, sizeof sa, err);
        if (status != SMT_EAGAIN)
                return status;
        CHECK(*fd >= 0);
        test_wait(*fd, POLLOUT);
        return net_socket_connect_result(*fd, err);
}

static void test_listen_connect_accept(void)
{
        struct net_address a = test_address("127.0.0.1");
        struct err err = {0};
        int listener = -1, client = -1, server = -1;
        char peer[NET_ADDRESS_TEXT_MAX] = "";
        CHECK_OK(net_socket_listen(&listener, &a, 16, &err), &err);
        test_check_options(listener);
        unsigned port = net_socket_local_port(listener);
        CHECK(port != 0);
        CHECK_STATUS(net_socket_accept(listener, &server, peer, &err), SMT_EAGAIN);
        CHECK_EQ(server, -1);

        CHECK_OK(test_connect_to(&client, port, &err), &err);
        test_check_options(client);
        test_check_nodelay(client);
        test_wait(listener, POLLIN);
        CHECK_OK(net_socket_accept(listener, &server, peer, &err), &err);
        test_check_options(server);
        test_check_nodelay(server);
        char want[NET_ADDRESS_TEXT_MAX];
        snprintf(want, sizeof want, "127.0.0.1:%u", net_socket_local_port(client));
        CHECK_STR(peer, want);

        char buf[8] = {0};
        CHECK_EQ(write(client, "ping", 4), 4);
        test_wait(server, POLLIN);
        CHECK_EQ(read(server, buf, sizeof buf), 4);
        CHECK_MEM(buf, "ping", 4);
        CHECK_EQ(write(server, "pong", 4), 4);
        test_wait(client, POLLIN);
        CHECK_EQ(read(client, buf, sizeof buf), 4);
        CHECK_MEM(buf, "pong", 4);
        /* Nothing more waits: the accepted socket does not block. */
        CHECK_EQ(read(server, buf, sizeof buf), -1);
        CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
        close(client);
        close(server);
        close(listener);
}

/* A port nobody listens on: on Linux the connect is in progress at first and connect_result reports the
 * refusal once the loop says the socket is writable. */
static void test_connect_refused(void)
{
        struct net_address a = test_address("127.0.0.1");
        struct err err = {0};
        int listener = -1, client = -1;
        CHECK_OK(net_socket_listen(&listener, &a, 1, &err), &err);
        unsigned port = net_socket_local_port(listener);
        close(listener);
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        CHECK_STATUS(net_socket_connect(&client, (const struct sockaddr *)&sa, sizeof sa, &err), SMT_EAGAIN);
        test_wait(client, POLLOUT);
        CHECK_STATUS(net_socket_connect_result(client, &err), SMT_EIO);
        CHECK_STR(err.msg, "connect: Connection refused");
        close(client);
}

/* A second listener on a port in use fails, naming the call and the address. */
static void test_port_in_use(void)
{
        struct net_address a = test_address("127.0.0.1");
        struct err err = {0};
        int first = -1, second = -1;
        CHECK_OK(net_socket_listen(&first, &a, 1, &err), &err);
        a.port = (uint16_t)net_socket_local_port(first);
        CHECK_STATUS(net_socket_listen(&second, &a, 1, &err), SMT_EIO);
        CHECK_EQ(second, -1);
        char want[64];
        snprintf(want, sizeof want, "bind 127.0.0.1:%u: Address already in use", (unsigned)a.port);
        CHECK_STR(err.msg, want);
        close(first);
}

/* "*:0" listens on every address: a client on 127.0.0.1 reaches it. */
static void test_wildcard(void)
{
        struct net_address a = test_address("*");
        struct err err = {0};
        int listener = -1, client = -1, server = -1;
        CHECK_OK(net_socket_listen(&listener, &a, 4, &err), &err);
        unsigned port = net_socket_local_port(listener);
        CHECK(port != 0);
        CHECK_OK(test_connect_to(&client, port, &err), &err);
        test_wait(listener, POLLIN);
        CHECK_OK(net_socket_accept(listener, &server, NULL, &err), &err);
        close(client);
        close(server);
        close(listener);
}

/* A name that does not resolve fails before any socket is made. */
static void test_unresolvable(void)
{
        struct net_address a = test_address("no-such-host.invalid");
        a.port = 443;
        struct err err = {0};
        int fd = 0;
        CHECK_STATUS(net_socket_listen(&fd, &a, 1, &err), SMT_EIO);
        CHECK_EQ(fd, -1);
        CHECK(strstr(err.msg, "no-such-host.invalid:443") != NULL);
}

static void test_local_port_of_nothing(void)
{
        CHECK_EQ(net_socket_local_port(-1), 0);
}

CHECK_MAIN(CHECK_TEST(test_listen_connect_accept), CHECK_TEST(test_connect_refused), CHECK_TEST(test_port_in_use),
           CHECK_TEST(test_wildcard), CHECK_TEST(test_unresolvable), CHECK_TEST(test_local_port_of_nothing))
