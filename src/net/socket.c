/* src/net/socket.c: see socket.h. */
#include "net/socket.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NET_SOCKET_FLAGS (SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)

static bool net_socket_is_wildcard(const char *host)
{
        return host[0] == '\0' || strcmp(host, "*") == 0;
}

/* net_socket_text names address for messages; the wildcard is written "*:port". */
static void net_socket_text(char out[NET_ADDRESS_TEXT_MAX], const struct net_address *address)
{
        if (net_socket_is_wildcard(address->host))
                snprintf(out, NET_ADDRESS_TEXT_MAX, "*:%u", (unsigned)address->port);
        else
                net_address_format(out, address);
}

static int net_socket_set_int(int fd, int level, int name, int value)
{
        return setsockopt(fd, level, name, &value, sizeof value);
}

/* net_socket_bind_listen makes one listening socket on sa (dual_stack: an IPv6 wildcard that takes IPv4
 * too). On failure *failed_call names the system call and errno is kept for the caller's message. */
static int net_socket_bind_listen(int *fd, const struct sockaddr *sa, socklen_t sa_len, bool dual_stack, int backlog,
                                  const char **failed_call)
{
        *fd = socket(sa->sa_family, NET_SOCKET_FLAGS, IPPROTO_TCP);
        if (*fd < 0) {
                *failed_call = "socket";
                return -1;
        }
        /* A restarted gateway must bind again at once, while old connections sit in TIME_WAIT. */
        if (net_socket_set_int(*fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) {
                *failed_call = "setsockopt SO_REUSEADDR";
        } else if (dual_stack && net_socket_set_int(*fd, IPPROTO_IPV6, IPV6_V6ONLY, 0) != 0) {
                *failed_call = "setsockopt IPV6_V6ONLY";
        } else if (bind(*fd, sa, sa_len) != 0) {
                *failed_call = "bind";
        } else if (listen(*fd, backlog) != 0) {
                *failed_call = "listen";
        } else {
                return 0;
        }
        int saved = errno;
        close(*fd);
        *fd = -1;
        errno = saved;
        return -1;
}

/* net_socket_listen_wildcard listens on every IPv6 and IPv4 address with one dual-stack socket, or on every
 * IPv4 address where the system has no IPv6. */
static int net_socket_listen_wildcard(int *fd, const struct net_address *address, int backlog, struct err *err)
{
        struct sockaddr_in6 any6 = {
            .sin6_family = AF_INET6, .sin6_port = htons(address->port), .sin6_addr = IN6ADDR_ANY_INIT};
        struct sockaddr_in any4 = {
            .sin_family = AF_INET, .sin_port = htons(address->port), .sin_addr.s_addr = htonl(INADDR_ANY)};
        const char *call = NULL;
        if (net_socket_bind_listen(fd, (const struct sockaddr *)&any6, sizeof any6, true, backlog, &call) == 0)
                return SMT_OK;
        if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL) {
                if (net_socket_bind_listen(fd, (const struct sockaddr *)&any4, sizeof any4, false, backlog, &call) == 0)
                        return SMT_OK;
        }
        char text[NET_ADDRESS_TEXT_MAX];
        net_socket_text(text, address);
        return SMT_ERR(err, SMT_EIO, "%s %s: %s", call, text, strerror(errno));
}

int net_socket_listen(int *fd, const struct net_address *address, int backlog, struct err *err)
{
        *fd = -1;
        if (net_socket_is_wildcard(address->host))
                return net_socket_listen_wildcard(fd, address, backlog, err);
        struct addrinfo *list = NULL;
        TRY(net_address_resolve(&list, address, true, err));
        const char *call = "getaddrinfo";
        int saved = ENOENT;
        for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
                if (net_socket_bind_listen(fd, ai->ai_addr, ai->ai_addrlen, false, backlog, &call) == 0) {
                        net_address_free_list(list);
                        return SMT_OK;
                }
                saved = errno;
        }
        net_address_free_list(list);
        char text[NET_ADDRESS_TEXT_MAX];
        net_socket_text(text, address);
        return SMT_ERR(err, SMT_EIO, "%s %s: %s", call, text, strerror(saved));
}

int net_socket_accept(int listen_fd, int *fd, char peer[NET_ADDRESS_TEXT_MAX], struct err *err)
{
        struct sockaddr_storage sa;
        socklen_t sa_len;
        *fd = -1;
        for (;;) {
                sa_len = sizeof sa;
                *fd = accept4(listen_fd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (*fd >= 0)
                        break;
                /* accept(2), "Error handling": a connection that died in the queue or a pending network
                 * error is not the listener's failure; the next one may be fine. */
                if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return SMT_ERR(err, SMT_EAGAIN, "accept: no connection pending");
                return SMT_ERR(err, SMT_EIO, "accept on fd %d: %s", listen_fd, strerror(errno));
        }
        if (net_socket_set_int(*fd, IPPROTO_TCP, TCP_NODELAY, 1) != 0) {
                int saved = errno;
                close(*fd);
                *fd = -1;
                return SMT_ERR(err, SMT_EIO, "setsockopt TCP_NODELAY on an accepted connection: %s", strerror(saved));
        }
        if (peer != NULL)
                net_address_format_sockaddr(peer, (const struct sockaddr *)&sa, sa_len);
        return SMT_OK;
}

int net_socket_connect(int *fd, const struct sockaddr *sa, socklen_t sa_len, struct err *err)
{
        char text[NET_ADDRESS_TEXT_MAX];
        *fd = socket(sa->sa_family, NET_SOCKET_FLAGS, IPPROTO_TCP);
        if (*fd < 0) {
                net_address_format_sockaddr(text, sa, sa_len);
                return SMT_ERR(err, SMT_EIO, "socket for %s: %s", text, strerror(errno));
        }
        const char *call = "setsockopt TCP_NODELAY";
        if (net_socket_set_int(*fd, IPPROTO_TCP, TCP_NODELAY, 1) == 0) {
                call = "connect";
                if (connect(*fd, sa, sa_len) == 0)
                        return SMT_OK;
                if (errno == EINPROGRESS)
                        return SMT_ERR(err, SMT_EAGAIN, "connect in progress");
        }
        int saved = errno;
        close(*fd);
        *fd = -1;
        net_address_format_sockaddr(text, sa, sa_len);
        return SMT_ERR(err, SMT_EIO, "%s %s: %s", call, text, strerror(saved));
}

int net_socket_connect_result(int fd, struct err *err)
{
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
                return SMT_ERR(err, SMT_EIO, "getsockopt SO_ERROR on fd %d: %s", fd, strerror(errno));
        /* The peer's address is gone from a socket whose connect failed: the caller adds it. */
        if (so_error != 0)
                return SMT_ERR(err, SMT_EIO, "connect: %s", strerror(so_error));
        return SMT_OK;
}

unsigned net_socket_local_port(int fd)
{
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
                return 0;
        if (sa.ss_family == AF_INET)
                return ntohs(((const struct sockaddr_in *)(const void *)&sa)->sin_port);
        if (sa.ss_family == AF_INET6)
                return ntohs(((const struct sockaddr_in6 *)(const void *)&sa)->sin6_port);
        return 0;
}
