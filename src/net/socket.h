/* src/net/socket.h: the few socket system calls the gateway makes, with the options it always wants:
 * non-blocking, close-on-exec, and errors that name the address and the call. */
#ifndef SMT_NET_SOCKET_H
#define SMT_NET_SOCKET_H

#include <stdbool.h>
#include <sys/socket.h>

#include "base/err.h"
#include "net/address.h"

/* net_socket_listen binds and listens on address (host "" or "*" or absent: every address, IPv6 and IPv4
 * when the system allows, else IPv4) with SO_REUSEADDR, non-blocking. *fd is the listening socket. SMT_EIO
 * names the address and the call ("bind 127.0.0.1:443: Permission denied"). */
int net_socket_listen(int *fd, const struct net_address *address, int backlog, struct err *err) SMT_MUST_USE;

/* net_socket_accept takes one pending connection, non-blocking, close-on-exec, TCP_NODELAY set; fills
 * peer (may be NULL) with its "ip:port". SMT_EAGAIN when none is pending; SMT_EIO otherwise (EMFILE
 * included: the caller backs off). */
int net_socket_accept(int listen_fd, int *fd, char peer[NET_ADDRESS_TEXT_MAX], struct err *err) SMT_MUST_USE;

/* net_socket_connect starts a non-blocking TCP connect to sa (TCP_NODELAY set). 0 when connected at once,
 * SMT_EAGAIN when in progress (watch for NET_LOOP_WRITE, then call net_socket_connect_result), SMT_EIO. */
int net_socket_connect(int *fd, const struct sockaddr *sa, socklen_t sa_len, struct err *err) SMT_MUST_USE;

/* net_socket_connect_result reads the outcome of an in-progress connect (SO_ERROR): 0 or SMT_EIO. */
int net_socket_connect_result(int fd, struct err *err) SMT_MUST_USE;

/* net_socket_local_port returns the port a socket is bound to (for ":0" listeners in tests), or 0. */
unsigned net_socket_local_port(int fd);

#endif
