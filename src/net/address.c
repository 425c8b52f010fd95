/* src/net/address.c: host:port parsing, getaddrinfo and sockaddr formatting. */
#include "net/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int net_address_port_parse(uint16_t *out, const char *text, struct err *err)
{
        unsigned long value = 0;
        size_t len = strlen(text);
        if (len == 0 || len > 5)
                return SMT_ERR(err, SMT_EINVAL, "port '%s': expected a number 1..65535", text);
        for (size_t i = 0; i < len; i++) {
                if (text[i] < '0' || text[i] > '9')
                        return SMT_ERR(err, SMT_EINVAL, "port '%s': expected a number 1..65535", text);
                value = value * 10 + (unsigned long)(text[i] - '0');
        }
        if (value == 0 || value > 65535)
                return SMT_ERR(err, SMT_EINVAL, "port %lu: expected 1..65535", value);
        *out = (uint16_t)value;
        return SMT_OK;
}

/* net_address_split finds the host part of text (without brackets) and where the port text starts
 * (NULL when there is none). */
static int net_address_split(const char *text, const char **host, size_t *host_len, const char **port, struct err *err)
{
        if (text[0] == '[') {
                const char *close = strchr(text, ']');
                if (close == NULL)
                        return SMT_ERR(err, SMT_EINVAL, "address '%s': '[' without ']'", text);
                *host = text + 1;
                *host_len = (size_t)(close - text) - 1;
                if (close[1] != '\0' && close[1] != ':')
                        return SMT_ERR(err, SMT_EINVAL, "address '%s': expected ':port' after ']'", text);
                *port = close[1] == ':' ? close + 2 : NULL;
                return SMT_OK;
        }
        const char *colon = strchr(text, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
                return SMT_ERR(err, SMT_EINVAL, "address '%s': write an IPv6 address in brackets, as [%s]:port", text,
                               text);
        *host = text;
        *host_len = colon != NULL ? (size_t)(colon - text) : strlen(text);
        *port = colon != NULL ? colon + 1 : NULL;
        return SMT_OK;
}

int net_address_parse(struct net_address *out, const char *text, uint16_t default_port, struct err *err)
{
        const char *host = NULL, *port = NULL;
        size_t host_len = 0;
        TRY(net_address_split(text, &host, &host_len, &port, err));
        if (host_len == 0)
                return SMT_ERR(err, SMT_EINVAL, "address '%s': no host", text);
        if (host_len >= sizeof out->host)
                return SMT_ERR(err, SMT_EINVAL, "address: host of %zu characters exceeds %zu", host_len,
                               sizeof out->host - 1);
        if (memchr(host, '/', host_len) != NULL || memchr(host, ' ', host_len) != NULL)
                return SMT_ERR(err, SMT_EINVAL, "address '%s': the host has a '/' or a space", text);
        if (text[0] == '[') {
                char literal[NET_ADDRESS_HOST_MAX];
                struct in6_addr ignored;
                memcpy(literal, host, host_len);
                literal[host_len] = '\0';
                if (inet_pton(AF_INET6, literal, &ignored) != 1)
                        return SMT_ERR(err, SMT_EINVAL, "address '%s': '%s' is not an IPv6 address", text, literal);
        }
        if (port != NULL) {
                TRY(net_address_port_parse(&out->port, port, err));
        } else if (default_port != 0) {
                out->port = default_port;
        } else {
                return SMT_ERR(err, SMT_EINVAL, "address '%s': expected host:port", text);
        }
        memcpy(out->host, host, host_len);
        out->host[host_len] = '\0';
        return SMT_OK;
}

bool net_address_is_ip_literal(const char *host)
{
        uint8_t ignored[sizeof(struct in6_addr)];
        return inet_pton(AF_INET, host, ignored) == 1 || inet_pton(AF_INET6, host, ignored) == 1;
}

void net_address_format(char out[NET_ADDRESS_TEXT_MAX], const struct net_address *address)
{
        if (strchr(address->host, ':') != NULL)
                snprintf(out, NET_ADDRESS_TEXT_MAX, "[%s]:%u", address->host, (unsigned)address->port);
        else
                snprintf(out, NET_ADDRESS_TEXT_MAX, "%s:%u", address->host, (unsigned)address->port);
}

void net_address_format_sockaddr(char out[NET_ADDRESS_TEXT_MAX], const struct sockaddr *sa, socklen_t sa_len)
{
        char host[NET_ADDRESS_HOST_MAX], port[6]; /* "65535" */
        if (getnameinfo(sa, sa_len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
                snprintf(out, NET_ADDRESS_TEXT_MAX, "(unknown address)");
                return;
        }
        if (sa->sa_family == AF_INET6)
                snprintf(out, NET_ADDRESS_TEXT_MAX, "[%s]:%s", host, port);
        else
                snprintf(out, NET_ADDRESS_TEXT_MAX, "%s:%s", host, port);
}

int net_address_resolve(struct addrinfo **out, const struct net_address *address, bool passive, struct err *err)
{
        char port[8];
        snprintf(port, sizeof port, "%u", (unsigned)address->port);
        struct addrinfo hints = {0};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_protocol = IPPROTO_TCP;
        /* No AI_ADDRCONFIG: on a host with only loopback configured it hides 127.0.0.1 and ::1. */
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
        int status = getaddrinfo(address->host, port, &hints, out);
        if (status != 0) {
                char text[NET_ADDRESS_TEXT_MAX];
                net_address_format(text, address);
                *out = NULL;
                return SMT_ERR(err, SMT_EIO, "%s: cannot resolve: %s", text, gai_strerror(status));
        }
        return SMT_OK;
}

void net_address_free_list(struct addrinfo *list)
{
        if (list != NULL)
                freeaddrinfo(list);
}
