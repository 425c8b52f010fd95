/* tests/unit/ca/test_challenge_dns.c: dns-01 validation (RFC 8555 8.4) against the in-process DNS server,
 * and the DNS message code behind it talking to that server's independent encoder. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ca/challenge.h"
#include "ca/challenge_internal.h"
#include "challenge_fakes.h"
#include "check.h"

/* RFC 8555 8.1: token "." thumbprint (RFC 8555's example token, RFC 7638 3.1's thumbprint). */
#define KEY_AUTHORIZATION "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/* base64url of SHA-256("abc"), FIPS 180-2 B.1's digest ba7816bf...f20015ad. */
#define ABC_DIGEST "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"

static char digest[44], split_digest[48];

static const struct challenge_dns_record records[] = {
    {"a.test", 1, "127.0.0.1"},
    {"_acme-challenge.a.test", 16, "unrelated"},
    {"_acme-challenge.a.test", 16, digest},
    {"_acme-challenge.split.test", 16, split_digest},
    {"_acme-challenge.wrong.test", 16, "wrong-value"},
    {"_acme-challenge.wrong.test", 16, "other"},
    {"_acme-challenge.big.test", 16, digest},
    {"_acme-challenge.abc.test", 16, ABC_DIGEST},
    {"_acme-challenge.nodata.test", 1, "127.0.0.1"},
};

struct dns_peer {
        struct challenge_dns_server dns;
        char resolver[32];
        struct ca_challenge_config config;
        struct ca_challenge_result result;
        struct err err;
};

static void dns_peer_start(struct dns_peer *peer)
{
        challenge_base64url_sha256(digest, KEY_AUTHORIZATION);
        /* Two character-strings, to be concatenated (RFC 8555 8.4, RFC 1035 3.3.14). */
        snprintf(split_digest, sizeof split_digest, "%.20s|%s", digest, digest + 20);
        memset(peer, 0, sizeof *peer);
        peer->dns.records = records;
        peer->dns.num_records = sizeof records / sizeof records[0];
        peer->dns.truncated_name = "_acme-challenge.big.test";
        challenge_dns_server_start(&peer->dns);
        snprintf(peer->resolver, sizeof peer->resolver, "127.0.0.1:%u", (unsigned)peer->dns.port);
        peer->config = (struct ca_challenge_config){.resolver = peer->resolver, .timeout_ms = 5000};
}

static int dns01(struct dns_peer *peer, const char *domain, const char *key_authorization)
{
        return ca_challenge_dns01(&peer->config, domain, key_authorization, &peer->result, &peer->err);
}

static void dns01_finds_the_digest_among_records(void)
{
        struct dns_peer peer;
        dns_peer_start(&peer);
        CHECK_OK(dns01(&peer, "a.test", KEY_AUTHORIZATION), &peer.err);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_NONE);
        CHECK_OK(dns01(&peer, "abc.test", "abc"), &peer.err);
        CHECK_OK(dns01(&peer, "split.test", KEY_AUTHORIZATION), &peer.err);
        CHECK_EQ(atomic_load(&peer.dns.num_tcp_queries), 0);
        challenge_dns_server_stop(&peer.dns);
}

static void dns01_refuses_other_values_and_lists_them(void)
{
        struct dns_peer peer;
        dns_peer_start(&peer);
        CHECK_STATUS(dns01(&peer, "wrong.test", KEY_AUTHORIZATION), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_INCORRECT_RESPONSE);
        CHECK(strstr(peer.result.detail, "TXT records found: \"wrong-value\", \"other\"") != NULL);
        CHECK(strstr(peer.result.detail, digest) != NULL);
        CHECK(strncmp(peer.result.detail, "dns-01: no TXT record at _acme-challenge.wrong.test", 50) == 0);
        /* The right record of another key authorization does not do. */
        CHECK_STATUS(dns01(&peer, "abc.test", KEY_AUTHORIZATION), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_INCORRECT_RESPONSE);
        challenge_dns_server_stop(&peer.dns);
}

static void dns01_reports_missing_names_and_records(void)
{
        struct dns_peer peer;
        dns_peer_start(&peer);
        CHECK_STATUS(dns01(&peer, "missing.test", KEY_AUTHORIZATION), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_DNS);
        CHECK(strstr(peer.result.detail, "TXT _acme-challenge.missing.test") != NULL);
        CHECK(strstr(peer.result.detail, "NXDOMAIN") != NULL);
        CHECK(strstr(peer.result.detail, peer.resolver) != NULL);
        CHECK_STATUS(dns01(&peer, "nodata.test", KEY_AUTHORIZATION), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_DNS);
        CHECK_STR(peer.result.detail, "dns-01: no TXT record at _acme-challenge.nodata.test");
        challenge_dns_server_stop(&peer.dns);
}

static void dns01_asks_again_over_tcp_when_truncated(void)
{
        struct dns_peer peer;
        dns_peer_start(&peer);
        CHECK_OK(dns01(&peer, "big.test", KEY_AUTHORIZATION), &peer.err);
        CHECK_EQ(atomic_load(&peer.dns.num_udp_queries), 1);
        CHECK_EQ(atomic_load(&peer.dns.num_tcp_queries), 1);
        challenge_dns_server_stop(&peer.dns);
}

/* A UDP socket nobody reads: the query is retransmitted until the deadline, then a dns problem. */
static void dns01_gives_up_on_a_silent_resolver_at_the_timeout(void)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        CHECK(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
        char resolver[32];
        snprintf(resolver, sizeof resolver, "127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
        struct ca_challenge_config config = {.resolver = resolver, .timeout_ms = 1300};
        struct ca_challenge_result result;
        struct err err = {0};
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        CHECK_STATUS(ca_challenge_dns01(&config, "a.test", KEY_AUTHORIZATION, &result, &err), CA_EVALIDATION);
        clock_gettime(CLOCK_MONOTONIC, &end);
        long took = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
        CHECK(took >= 1290 && took < 2500);
        CHECK_EQ(result.problem, CA_PROBLEM_DNS);
        CHECK(strstr(result.detail, "no answer within 1300 ms") != NULL);
        /* The first query and one retransmission arrived. */
        uint8_t datagram[512];
        CHECK(recv(fd, datagram, sizeof datagram, MSG_DONTWAIT) > 12);
        CHECK(recv(fd, datagram, sizeof datagram, MSG_DONTWAIT) > 12);
        close(fd);
}

static void dns01_does_not_apply_to_ip_addresses(void)
{
        struct dns_peer peer;
        dns_peer_start(&peer);
        CHECK_STATUS(dns01(&peer, "127.0.0.1", KEY_AUTHORIZATION), CA_EVALIDATION);
        CHECK_EQ(peer.result.problem, CA_PROBLEM_UNAUTHORIZED);
        CHECK(strstr(peer.result.detail, "RFC 8738") != NULL);
        CHECK_EQ(atomic_load(&peer.dns.num_udp_queries), 0);
        challenge_dns_server_stop(&peer.dns);
}

/* Our query, the fake's independent answer, our parser: then the ways an answer is refused. */
static void dns_answer_parse_reads_the_fakes_answers_and_refuses_others(void)
{
        struct challenge_dns_server fake = {.records = records, .num_records = sizeof records / sizeof records[0]};
        struct ca_challenge_dns_question q;
        struct ca_challenge_dns_answer answer;
        struct err err = {0};
        uint8_t query[300], message[1024];
        struct buf_writer w;
        buf_writer_init_fixed(&w, query, sizeof query);
        CHECK_OK(ca_challenge_dns_question_init(&q, "_acme-challenge.wrong.test.", CA_CHALLENGE_DNS_TXT, 0x1234, &err),
                 &err);
        CHECK_OK(ca_challenge_dns_query_write(&w, &q), &err);
        size_t len = challenge_dns_answer(&fake, query, w.len, message, sizeof message, false);
        CHECK(len > 0);
        CHECK_OK(ca_challenge_dns_answer_parse(&answer, &q, message, len, &err), &err);
        CHECK_EQ(answer.num_records, 2);
        CHECK_EQ(answer.records[0].len, 12);
        CHECK_MEM(answer.records[0].data, "\x0bwrong-value", 12);
        for (size_t cut = 0; cut < len; cut++)
                CHECK(ca_challenge_dns_answer_parse(&answer, &q, message, cut, &err) < 0);
        message[1] ^= 1; /* another ID */
        CHECK_STATUS(ca_challenge_dns_answer_parse(&answer, &q, message, len, &err), SMT_EDECODE);
        message[1] ^= 1;
        message[14] ^= 0x20; /* a letter of the question in another case: still ours (RFC 4343) */
        CHECK_OK(ca_challenge_dns_answer_parse(&answer, &q, message, len, &err), &err);
        message[14] = '!'; /* another name */
        CHECK_STATUS(ca_challenge_dns_answer_parse(&answer, &q, message, len, &err), SMT_EDECODE);
        CHECK_STATUS(ca_challenge_dns_question_init(&q, "a..test", CA_CHALLENGE_DNS_TXT, 1, &err), SMT_EINVAL);
}

CHECK_MAIN(CHECK_TEST(dns01_finds_the_digest_among_records), CHECK_TEST(dns01_refuses_other_values_and_lists_them),
           CHECK_TEST(dns01_reports_missing_names_and_records), CHECK_TEST(dns01_asks_again_over_tcp_when_truncated),
           CHECK_TEST(dns01_gives_up_on_a_silent_resolver_at_the_timeout),
           CHECK_TEST(dns01_does_not_apply_to_ip_addresses),
           CHECK_TEST(dns_answer_parse_reads_the_fakes_answers_and_refuses_others))
