/* src/net/address.h: "host:port" text, name resolution and peer-address formatting for sockets.
 *
 * IPv6 literals are written in brackets ("[::1]:4433", RFC 3986 §3.2.2) so the port stays unambiguous;
 * the parsed host never keeps the brackets. */
#ifndef SMT_NET_ADDRESS_H
#define SMT_NET_ADDRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"

/* A DNS name is at most 253 characters (RFC 1035 §2.3.4); an IPv6 literal with a zone fits too. */
#define NET_ADDRESS_HOST_MAX 256
/* The longest text net_address_format writes: "[" host "]:" 5-digit port and the NUL. */
#define NET_ADDRESS_TEXT_MAX (NET_ADDRESS_HOST_MAX + 9)

struct addrinfo;

struct net_address {
        char host[NET_ADDRESS_HOST_MAX]; /* a name or an IP literal, without brackets */
        uint16_t port;
};

/* net_address_parse reads "host", "host:port", "[v6]" or "[v6]:port" from text; default_port applies when
 * no port is given (0: a port is required). SMT_EINVAL names the part that is wrong. */
int net_address_parse(struct net_address *out, const char *text, uint16_t default_port, struct err *err) SMT_MUST_USE;

/* net_address_port_parse reads a decimal port 1..65535 from the whole of text. */
int net_address_port_parse(uint16_t *out, const char *text, struct err *err) SMT_MUST_USE;

/* net_address_is_ip_literal says whether host is an IPv4 or IPv6 literal rather than a name. */
bool net_address_is_ip_literal(const char *host);

/* net_address_format writes "host:port" (brackets around IPv6) to out, cut to fit. */
void net_address_format(char out[NET_ADDRESS_TEXT_MAX], const struct net_address *address);

/* net_address_format_sockaddr writes a socket address as "ip:port" ("[v6]:port") to out. */
void net_address_format_sockaddr(char out[NET_ADDRESS_TEXT_MAX], const struct sockaddr *sa, socklen_t sa_len);

/* net_address_resolve looks address up (getaddrinfo, TCP); passive asks for addresses to listen on.
 * Free *out with net_address_free_list. SMT_EIO carries getaddrinfo's message and the name. */
int net_address_resolve(struct addrinfo **out, const struct net_address *address, bool passive,
                        struct err *err) SMT_MUST_USE;

/* net_address_free_list releases a list from net_address_resolve (NULL is fine). */
void net_address_free_list(struct addrinfo *list);

#endif
