/* tests/unit/ca/test_challenge.c: http-01 validation (RFC 8555 8.3, RFC 8738 for IP addresses) against an
 * in-process HTTP responder, with names resolved by the in-process DNS server. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/challenge.h"
#include "challenge_fakes.h"
#include "check.h"

/* RFC 8555 8.1: token "." base64url(JWK thumbprint); the token is RFC 8555's example, the thumbprint
 * RFC 7638 3.1's. */
#define KEY_AUTHORIZATION "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define CHALLENGE_PATH    "/.well-known/acme-challenge/"

static const struct challenge_dns_record dns_records[] = {
    {"a.test", 1, "127.0.0.1"},
    {"txt-only.test", 16, "hello"},
};

struct peers {
        struct challenge_dns_server dns;
        struct challenge_http_server http, https;
        char resolver[32];
        struct ca_challenge_config config;
        struct ca_challenge_result result;
        struct err err;
};

/* Routes by the token (the last path segment). */
static void respond(struct challenge_http_server *server, const char *path, char *out, size_t cap)
{
        const struct peers *peers = server->arg;
        const char *token =
            strncmp(path, CHALLENGE_PATH, strlen(CHALLENGE_PATH)) == 0 ? path + strlen(CHALLENGE_PATH) : "";
        if (strcmp(token, "length") == 0)
                snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s\r\n",
                         strlen(KEY_AUTHORIZATION) + 2, KEY_AUTHORIZATION);
        else if (strcmp(token, "chunked") == 0)
                snprintf(
                    out, cap,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n%.16s\r\n%zx\r\n%s \n\r\n0\r\n\r\n",
                    KEY_AUTHORIZATION, strlen(KEY_AUTHORIZATION) - 16 + 2, KEY_AUTHORIZATION + 16);
        else if (strcmp(token, "close") == 0)
                snprintf(out, cap, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n", KEY_AUTHORIZATION);
        else if (strcmp(token, "wrong") == 0)
                snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Length: 22\r\n\r\nnot the authorization\n");
        else if (strcmp(token, "hop1") == 0)
                snprintf(out, cap,
                         "HTTP/1.1 302 Found\r\nLocation: http://a.test:%u" CHALLENGE_PATH "hop2\r\n"
                         "Content-Length: 0\r\n\r\n",
                         (unsigned)peers->http.port);
        else if (strcmp(token, "hop2") == 0)
                snprintf(out, cap, "HTTP/1.1 301 Moved\r\nLocation: hop3\r\nContent-Length: 0\r\n\r\n");
        else if (strcmp(token, "hop3") == 0)
                snprintf(out, cap,
                         "HTTP/1.1 307 Temporary\r\nLocation: https://127.0.0.1:%u" CHALLENGE_PATH "length\r\n"
                         "Content-Length: 0\r\n\r\n",
                         (unsigned)peers->https.port);
        else if (strcmp(token, "nolocation") == 0)
                snprintf(out, cap, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
        else if (strcmp(token, "huge") == 0 && cap > 70100) {
                int head = snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n");
                memset(out + head, 'a', 70000);
                out[head + 70000] = 0;
        } else if (strcmp(token, "loop") == 0)
                snprintf(out, cap,
                         "HTTP/1.1 302 Found\r\nLocation: " CHALLENGE_PATH "loop\r\nContent-Length: 0\r\n\r\n");
        else
                snprintf(out, cap, "HTTP/1.1 404 Not Found\r\nContent-Length: 8\r\n\r\nno such\n");
}

static void peers_start(struct peers *peers)
{
        memset(peers, 0, sizeof *peers);
        peers->dns.records = dns_records;
        peers->dns.num_records = sizeof dns_records / sizeof dns_records[0];
        challenge_dns_server_start(&peers->dns);
        static const struct challenge_cert_spec spec = {.dns_names = {"a.test"}};
        peers->https.tls = challenge_tls_context(&spec, false);
        challenge_http_server_listen(&peers->http);
        challenge_http_server_listen(&peers->https);
        peers->http.respond = peers->https.respond = respond;
        peers->http.arg = peers->https.arg = peers;
        challenge_http_server_start(&peers->http);
        challenge_http_server_start(&peers->https);
        snprintf(peers->resolver, sizeof peers->resolver, "127.0.0.1:%u", (unsigned)peers->dns.port);
        peers->config = (struct ca_challenge_config){
            .resolver = peers->resolver, .http_port = peers->http.port, .timeout_ms = 5000};
}

static void peers_stop(struct peers *peers)
{
        challenge_http_server_stop(&peers->http);
        challenge_http_server_stop(&peers->https);
        challenge_dns_server_stop(&peers->dns);
        SSL_CTX_free(peers->https.tls);
}

static int http01(struct peers *peers, const char *domain, const char *token)
{
        return ca_challenge_http01(&peers->config, domain, token, KEY_AUTHORIZATION, &peers->result, &peers->err);
}

static void http01_accepts_the_key_authorization_in_every_framing(void)
{
        static const char *const tokens[] = {"length", "chunked", "close"};
        struct peers peers;
        peers_start(&peers);
        for (size_t i = 0; i < 3; i++) {
                CHECK_OK(http01(&peers, "a.test", tokens[i]), &peers.err);
                CHECK_EQ(peers.result.problem, CA_PROBLEM_NONE);
                CHECK_STR(peers.result.detail, "");
        }
        /* RFC 8555 8.3: Host is the domain being validated; one request per token. */
        CHECK_STR(peers.http.last_host, "a.test");
        CHECK_EQ(atomic_load(&peers.http.num_requests), 3);
        peers_stop(&peers);
}

static void http01_validates_an_ip_address_without_dns(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_OK(http01(&peers, "127.0.0.1", "length"), &peers.err);
        CHECK_STR(peers.http.last_host, "127.0.0.1");
        CHECK_EQ(atomic_load(&peers.dns.num_udp_queries), 0);
        peers_stop(&peers);
}

/* Without a configured resolver the system's (getaddrinfo, /etc/hosts here): localhost may come as ::1
 * first, where nothing listens, and then as 127.0.0.1. */
static void http01_resolves_through_the_system_without_a_resolver(void)
{
        struct peers peers;
        peers_start(&peers);
        peers.config.resolver = NULL;
        CHECK_OK(http01(&peers, "localhost", "length"), &peers.err);
        CHECK_STR(peers.http.last_host, "localhost");
        CHECK_EQ(atomic_load(&peers.dns.num_udp_queries), 0);
        peers_stop(&peers);
}

static void http01_refuses_a_wrong_body(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_STATUS(http01(&peers, "a.test", "wrong"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_INCORRECT_RESPONSE);
        CHECK_STR(ca_challenge_problem_type(peers.result.problem), "incorrectResponse");
        CHECK(strstr(peers.result.detail, "body was \"not the authorization\\n\"") != NULL);
        CHECK(strstr(peers.result.detail, "/.well-known/acme-challenge/wrong") != NULL);
        CHECK_EQ(peers.err.code, CA_EVALIDATION);
        peers_stop(&peers);
}

/* At most 64 KiB of response are read. */
static void http01_refuses_a_huge_response(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_STATUS(http01(&peers, "a.test", "huge"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_UNAUTHORIZED);
        CHECK(strstr(peers.result.detail, "the response exceeds 65536 bytes") != NULL);
        peers_stop(&peers);
}

static void http01_refuses_a_404(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_STATUS(http01(&peers, "a.test", "absent"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_UNAUTHORIZED);
        CHECK_STR(ca_challenge_problem_type(peers.result.problem), "unauthorized");
        char expected[128];
        snprintf(expected, sizeof expected, "http-01: GET http://a.test:%u/.well-known/acme-challenge/absent: got 404",
                 (unsigned)peers.http.port);
        CHECK(strncmp(peers.result.detail, expected, strlen(expected)) == 0);
        peers_stop(&peers);
}

/* An absolute http URL naming a port, a relative reference, then https (certificate not checked). */
static void http01_follows_a_redirect_chain_to_https(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_OK(http01(&peers, "a.test", "hop1"), &peers.err);
        CHECK_EQ(atomic_load(&peers.http.num_requests), 3);
        CHECK_EQ(atomic_load(&peers.https.num_requests), 1);
        CHECK_EQ(challenge_http_server_wait_handshakes(&peers.https, 1), 1);
        CHECK_STR(peers.https.last_sni, "");
        char host[32];
        snprintf(host, sizeof host, "127.0.0.1:%u", (unsigned)peers.https.port);
        CHECK_STR(peers.https.last_host, host);
        peers_stop(&peers);
}

static void http01_stops_after_ten_redirects(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_STATUS(http01(&peers, "a.test", "loop"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_CONNECTION);
        CHECK(strstr(peers.result.detail, "more than 10 redirects") != NULL);
        CHECK_EQ(atomic_load(&peers.http.num_requests), 11);
        CHECK_STATUS(http01(&peers, "a.test", "nolocation"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_CONNECTION);
        CHECK(strstr(peers.result.detail, "got 302 without a Location") != NULL);
        peers_stop(&peers);
}

static long elapsed_ms(const struct timespec *start)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void http01_gives_up_on_a_silent_server_at_the_timeout(void)
{
        struct peers peers;
        peers_start(&peers);
        peers.http.is_silent = true;
        peers.config.timeout_ms = 400;
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_STATUS(http01(&peers, "a.test", "length"), CA_EVALIDATION);
        long took = elapsed_ms(&start);
        CHECK(took >= 390 && took < 1500);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_CONNECTION);
        CHECK(strstr(peers.result.detail, "timed out") != NULL);
        peers_stop(&peers);
}

static void http01_reports_a_refused_connection(void)
{
        struct peers peers;
        peers_start(&peers);
        struct challenge_http_server closed = {0};
        challenge_http_server_listen(&closed);
        peers.config.http_port = closed.port;
        close(closed.listen_fd);
        CHECK_STATUS(http01(&peers, "127.0.0.1", "length"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_CONNECTION);
        CHECK_STR(ca_challenge_problem_type(peers.result.problem), "connection");
        CHECK(strstr(peers.result.detail, "Connection refused") != NULL);
        peers_stop(&peers);
}

static void http01_reports_names_dns_cannot_resolve(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_STATUS(http01(&peers, "missing.test", "length"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_DNS);
        CHECK(strstr(peers.result.detail, "missing.test") != NULL);
        CHECK(strstr(peers.result.detail, "NXDOMAIN") != NULL);
        CHECK_STATUS(http01(&peers, "txt-only.test", "length"), CA_EVALIDATION);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_DNS);
        CHECK(strstr(peers.result.detail, "no A or AAAA record") != NULL);
        CHECK_EQ(atomic_load(&peers.http.num_requests), 0);
        peers_stop(&peers);
}

static void http01_refuses_bad_arguments(void)
{
        struct peers peers;
        peers_start(&peers);
        CHECK_STATUS(http01(&peers, "a.test", "../../etc/passwd"), SMT_EINVAL);
        CHECK_STATUS(http01(&peers, "a test", "length"), SMT_EINVAL);
        CHECK_EQ(peers.result.problem, CA_PROBLEM_NONE);
        peers_stop(&peers);
}

static void problem_types_are_rfc_8555_names(void)
{
        CHECK_STR(ca_challenge_problem_type(CA_PROBLEM_NONE), "");
        CHECK_STR(ca_challenge_problem_type(CA_PROBLEM_DNS), "dns");
        CHECK_STR(ca_challenge_problem_type(CA_PROBLEM_TLS), "tls");
}

CHECK_MAIN(CHECK_TEST(http01_accepts_the_key_authorization_in_every_framing),
           CHECK_TEST(http01_validates_an_ip_address_without_dns),
           CHECK_TEST(http01_resolves_through_the_system_without_a_resolver), CHECK_TEST(http01_refuses_a_wrong_body),
           CHECK_TEST(http01_refuses_a_404), CHECK_TEST(http01_refuses_a_huge_response),
           CHECK_TEST(http01_follows_a_redirect_chain_to_https), CHECK_TEST(http01_stops_after_ten_redirects),
           CHECK_TEST(http01_gives_up_on_a_silent_server_at_the_timeout),
           CHECK_TEST(http01_reports_a_refused_connection), CHECK_TEST(http01_reports_names_dns_cannot_resolve),
           CHECK_TEST(http01_refuses_bad_arguments), CHECK_TEST(problem_types_are_rfc_8555_names))
