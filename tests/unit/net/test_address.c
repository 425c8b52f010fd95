/* tests/unit/net/test_address.c: host:port parsing (IPv6 in brackets, RFC 3986 §3.2.2), formatting and
 * resolution of literals. */
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "net/address.h"

static void test_parse_name_and_port(void)
{
        struct net_address address;
        struct err err = {0};
        CHECK_OK(net_address_parse(&address, "localhost:4433", 443, &err), &err);
        CHECK_STR(address.host, "localhost");
        CHECK_EQ(address.port, 4433);
        CHECK_OK(net_address_parse(&address, "example.com", 443, &err), &err);
        CHECK_STR(address.host, "example.com");
        CHECK_EQ(address.port, 443);
}

static void test_parse_ipv6_in_brackets(void)
{
        struct net_address address;
        struct err err = {0};
        CHECK_OK(net_address_parse(&address, "[::1]:8443", 443, &err), &err);
        CHECK_STR(address.host, "::1");
        CHECK_EQ(address.port, 8443);
        CHECK_OK(net_address_parse(&address, "[2001:db8::7]", 443, &err), &err);
        CHECK_STR(address.host, "2001:db8::7");
        CHECK_EQ(address.port, 443);
        char text[NET_ADDRESS_TEXT_MAX];
        net_address_format(text, &address);
        CHECK_STR(text, "[2001:db8::7]:443");
}

static void test_parse_rejects(void)
{
        struct net_address address;
        struct err err = {0};
        CHECK_STATUS(net_address_parse(&address, "::1:443", 443, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "brackets") != NULL);
        CHECK_STATUS(net_address_parse(&address, "[::1", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "[::1]x", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "[localhost]:1", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "host:0", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "host:65536", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "host:44a", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "host:", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, ":443", 443, &err), SMT_EINVAL);
        CHECK_STATUS(net_address_parse(&address, "host", 0, &err), SMT_EINVAL);
        CHECK(strstr(err.msg, "host:port") != NULL);
}

static void test_ip_literal(void)
{
        CHECK(net_address_is_ip_literal("127.0.0.1"));
        CHECK(net_address_is_ip_literal("::1"));
        CHECK(!net_address_is_ip_literal("localhost"));
        CHECK(!net_address_is_ip_literal("127.0.0.1.example"));
}

static void test_resolve_literal_and_format_sockaddr(void)
{
        struct net_address address;
        struct addrinfo *list = NULL;
        struct err err = {0};
        CHECK_OK(net_address_parse(&address, "127.0.0.1:4433", 0, &err), &err);
        CHECK_OK(net_address_resolve(&list, &address, false, &err), &err);
        CHECK(list != NULL);
        char text[NET_ADDRESS_TEXT_MAX];
        net_address_format_sockaddr(text, list->ai_addr, list->ai_addrlen);
        CHECK_STR(text, "127.0.0.1:4433");
        net_address_free_list(list);

        struct sockaddr_in6 v6 = {
            .sin6_family = AF_INET6, .sin6_port = htons(8443), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        net_address_format_sockaddr(text, (const struct sockaddr *)&v6, sizeof v6);
        CHECK_STR(text, "[::1]:8443");
}

static void test_resolve_failure_names_the_host(void)
{
        struct net_address address;
        struct addrinfo *list = NULL;
        struct err err = {0};
        CHECK_OK(net_address_parse(&address, "no-such-host.invalid:443", 0, &err), &err);
        CHECK_STATUS(net_address_resolve(&list, &address, false, &err), SMT_EIO);
        CHECK(list == NULL);
        CHECK(strstr(err.msg, "no-such-host.invalid:443") != NULL);
}

CHECK_MAIN(CHECK_TEST(test_parse_name_and_port), CHECK_TEST(test_parse_ipv6_in_brackets),
           CHECK_TEST(test_parse_rejects), CHECK_TEST(test_ip_literal),
           CHECK_TEST(test_resolve_literal_and_format_sockaddr), CHECK_TEST(test_resolve_failure_names_the_host))
