/* tests/unit/ca/test_challenge_tls.c: tls-alpn-01 validation (RFC 8737; RFC 8738 6 for IP addresses)
 * against an in-process OpenSSL server whose certificates the test makes with OpenSSL's APIs. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ca/challenge.h"
#include "challenge_fakes.h"
#include "check.h"

#define KEY_AUTHORIZATION "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static const struct challenge_dns_record records[] = {
    {"a.test", 1, "127.0.0.1"},
};

struct tls_peer {
        struct challenge_dns_server dns;
        struct challenge_http_server server;
        char resolver[32];
        struct ca_challenge_config config;
        struct ca_challenge_result result;
        struct err err;
};

static void respond_404(struct challenge_http_server *server, const char *path, char *out, size_t cap)
{
        (void)server;
        (void)path;
        snprintf(out, cap, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

/* A server presenting a certificate made per spec; select_acme_tls false: its ALPN selects nothing. */
static void tls_peer_start(struct tls_peer *peer, const struct challenge_cert_spec *spec, bool select_acme_tls)
{
        memset(peer, 0, sizeof *peer);
        peer->dns.records = records;
        peer->dns.num_records = 1;
        challenge_dns_server_start(&peer->dns);
        peer->server.tls = spec != NULL ? challenge_tls_context(spec, select_acme_tls) : NULL;
        peer->server.is_silent = spec == NULL;
        peer->server.respond = respond_404;
        challenge_http_server_listen(&peer->server);
        challenge_http_server_start(&peer->server);
        snprintf(peer->resolver, sizeof peer->resolver, "127.0.0.1:%u", (unsigned)peer->dns.port);
        peer->config = (struct ca_challenge_config){
            .resolver = peer->resolver, .tls_alpn_port = peer->server.port, .timeout_ms = 5000};
}

static void tls_peer_stop(struct tls_peer *peer)
{
        challenge_http_server_stop(&peer->server);
        challenge_dns_server_stop(&peer->dns);
        SSL_CTX_free(peer->server.tls);
}

static int tls_alpn01(struct tls_peer *peer, const char *domain)
{
        return ca_challenge_tls_alpn01(&peer->config, domain, KEY_AUTHORIZATION, &peer->result, &peer->err);
}

/* Validates domain against a certificate made per spec: the problem seen, and detail must contain needle. */
static void expect_problem(const struct challenge_cert_spec *spec, bool select_acme_tls, const char *domain,
                           enum ca_challenge_problem problem, const char *needle)
{
        struct tls_peer peer;
        tls_peer_start(&peer, spec, select_acme_tls);
        int status = tls_alpn01(&peer, domain);
        char detail[sizeof peer.result.detail];
        memcpy(detail, peer.result.detail, sizeof detail);
        enum ca_challenge_problem seen = peer.result.problem;
        tls_peer_stop(&peer);
        if (problem == CA_PROBLEM_NONE) {
                CHECK_OK(status, &peer.err);
                return;
        }
        CHECK_EQ(status, CA_EVALIDATION);
        if (seen != problem || strstr(detail, needle) == NULL)
                check_fail(__FILE__, __LINE__, "problem %s, detail \"%s\"; expected %s and \"%s\"",
                           ca_challenge_problem_type(seen), detail, ca_challenge_problem_type(problem), needle);
}

static void tls_alpn01_accepts_the_right_certificate(void)
{
        static const struct challenge_cert_spec spec = {.dns_names = {"a.test"},
                                                        .key_authorization = KEY_AUTHORIZATION};
        struct tls_peer peer;
        tls_peer_start(&peer, &spec, true);
        CHECK_OK(tls_alpn01(&peer, "a.test"), &peer.err);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_NONE);
        /* The handshake carried the domain as SNI and no request followed it (RFC 8737 3). */
        CHECK_EQ(challenge_http_server_wait_handshakes(&peer.server, 1), 1);
        CHECK_STR(peer.server.last_sni, "a.test");
        CHECK_EQ(atomic_load(&peer.server.num_requests), 0);
        /* The name is compared ignoring case, as DNS names are. */
        CHECK_OK(tls_alpn01(&peer, "A.Test"), &peer.err);
        tls_peer_stop(&peer);
}

static void tls_alpn01_validates_an_ip_address_by_its_reverse_name(void)
{
        static const struct challenge_cert_spec spec = {.ip = "127.0.0.1", .key_authorization = KEY_AUTHORIZATION};
        struct tls_peer peer;
        tls_peer_start(&peer, &spec, true);
        CHECK_OK(tls_alpn01(&peer, "127.0.0.1"), &peer.err);
        CHECK_EQ(challenge_http_server_wait_handshakes(&peer.server, 1), 1);
        CHECK_STR(peer.server.last_sni, "1.0.0.127.in-addr.arpa");
        CHECK_EQ(atomic_load(&peer.dns.num_udp_queries), 0);
        tls_peer_stop(&peer);
        static const struct challenge_cert_spec dns_spec = {.dns_names = {"127.0.0.1"},
                                                            .key_authorization = KEY_AUTHORIZATION};
        expect_problem(&dns_spec, true, "127.0.0.1", CA_PROBLEM_TLS,
                       "names dNSName \"127.0.0.1\", expected iPAddress 127.0.0.1");
}

static void tls_alpn01_refuses_the_digest_of_another_key_authorization(void)
{
        static const struct challenge_cert_spec spec = {.dns_names = {"a.test"}, .key_authorization = "other.key"};
        expect_problem(&spec, true, "a.test", CA_PROBLEM_INCORRECT_RESPONSE,
                       "expected SHA-256 of the key authorization, ");
}

static void tls_alpn01_refuses_a_non_critical_identifier(void)
{
        static const struct challenge_cert_spec spec = {
            .dns_names = {"a.test"}, .key_authorization = KEY_AUTHORIZATION, .is_not_critical = true};
        expect_problem(&spec, true, "a.test", CA_PROBLEM_TLS, "not marked critical");
}

static void tls_alpn01_refuses_a_certificate_without_identifier(void)
{
        static const struct challenge_cert_spec spec = {.dns_names = {"a.test"}};
        expect_problem(&spec, true, "a.test", CA_PROBLEM_TLS, "no acmeIdentifier extension");
}

static void tls_alpn01_refuses_two_names_or_another_name(void)
{
        static const struct challenge_cert_spec two = {.dns_names = {"a.test", "b.test"},
                                                       .key_authorization = KEY_AUTHORIZATION};
        expect_problem(&two, true, "a.test", CA_PROBLEM_TLS,
                       "2 subjectAltName entries, expected exactly one: dNSName a.test");
        static const struct challenge_cert_spec other = {.dns_names = {"b.test"},
                                                         .key_authorization = KEY_AUTHORIZATION};
        expect_problem(&other, true, "a.test", CA_PROBLEM_TLS, "names dNSName \"b.test\", expected dNSName a.test");
}

static void tls_alpn01_refuses_a_server_that_selects_no_alpn(void)
{
        static const struct challenge_cert_spec spec = {.dns_names = {"a.test"},
                                                        .key_authorization = KEY_AUTHORIZATION};
        expect_problem(&spec, false, "a.test", CA_PROBLEM_TLS, "selected no ALPN protocol");
}

static void tls_alpn01_gives_up_on_a_silent_server_at_the_timeout(void)
{
        struct tls_peer peer;
        tls_peer_start(&peer, NULL, false);
        peer.config.timeout_ms = 300;
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_STATUS(tls_alpn01(&peer, "a.test"), CA_EVALIDATION);
        clock_gettime(CLOCK_MONOTONIC, &end);
        long took = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
        CHECK(took >= 290 && took < 1500);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_CONNECTION);
        CHECK(strstr(peer.result.detail, "tls-alpn-01: a.test port") != NULL);
        CHECK(strstr(peer.result.detail, "TLS handshake: timed out") != NULL);
        tls_peer_stop(&peer);
}

CHECK_MAIN(CHECK_TEST(tls_alpn01_accepts_the_right_certificate),
           CHECK_TEST(tls_alpn01_validates_an_ip_address_by_its_reverse_name),
           CHECK_TEST(tls_alpn01_refuses_the_digest_of_another_key_authorization),
           CHECK_TEST(tls_alpn01_refuses_a_non_critical_identifier),
           CHECK_TEST(tls_alpn01_refuses_a_certificate_without_identifier),
           CHECK_TEST(tls_alpn01_refuses_two_names_or_another_name),
           CHECK_TEST(tls_alpn01_refuses_a_server_that_selects_no_alpn),
           CHECK_TEST(tls_alpn01_gives_up_on_a_silent_server_at_the_timeout))
