/* tests/unit/gateway/test_acme_client_responder.c: gateway/acme_responder, the ACME client's built-in http-01
 * responder, over a real loopback socket: a token added through the solver is served with its key
 * authorization (RFC 8555 8.3), an unknown or removed token and other paths get 404, POST is not served, and
 * a token that is not base64url never enters the table. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "gateway/acme_responder.h"

#define TOKEN             "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEY_AUTHORIZATION TOKEN ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"

/* Sends one request and reads the whole answer (the server closes: Connection: close). */
static void http_exchange(uint16_t port, const char *request, char *answer, size_t cap)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0);
        CHECK(write(fd, request, strlen(request)) == (ssize_t)strlen(request));
        size_t used = 0;
        ssize_t got;
        while (used < cap - 1 && (got = read(fd, answer + used, cap - 1 - used)) > 0)
                used += (size_t)got;
        answer[used] = '\0';
        close(fd);
}

static void http_get(uint16_t port, const char *method, const char *path, char *answer, size_t cap)
{
        char request[512];
        snprintf(request, sizeof(request), "%s %s HTTP/1.1\r\nHost: site.example.test\r\nConnection: close\r\n%s\r\n",
                 method, path, strcmp(method, "POST") == 0 ? "Content-Length: 0\r\n" : "");
        http_exchange(port, request, answer, cap);
}

static const char *body_of(const char *answer)
{
        const char *end = strstr(answer, "\r\n\r\n");
        return end ? end + 4 : "";
}

static void test_serves_a_presented_token_until_cleanup(void)
{
        struct gw_acme_responder *responder = NULL;
        struct err err = {0};
        CHECK_OK(gw_acme_responder_start(&responder, "127.0.0.1:0", &err), &err);
        uint16_t port = gw_acme_responder_port(responder);
        struct gw_acme_solver solver;
        gw_acme_responder_solver(responder, &solver);
        CHECK_EQ(solver.num_types, 1);
        CHECK_STR(solver.types[0], "http-01");
        struct gw_acme_challenge challenge = {.type = "http-01",
                                              .identifier = "site.example.test",
                                              .token = TOKEN,
                                              .key_authorization = KEY_AUTHORIZATION,
                                              .dns_value = "unused"};
        CHECK_OK(solver.present(solver.context, &challenge, &err), &err);
        char answer[4096];
        http_get(port, "GET", "/.well-known/acme-challenge/" TOKEN, answer, sizeof(answer));
        CHECK(strncmp(answer, "HTTP/1.1 200 ", 13) == 0);
        CHECK_STR(body_of(answer), KEY_AUTHORIZATION);
        http_get(port, "GET", "/.well-known/acme-challenge/" TOKEN "x", answer, sizeof(answer));
        CHECK(strncmp(answer, "HTTP/1.1 404 ", 13) == 0);
        http_get(port, "GET", "/" TOKEN, answer, sizeof(answer));
        CHECK(strncmp(answer, "HTTP/1.1 404 ", 13) == 0);
        http_get(port, "POST", "/.well-known/acme-challenge/" TOKEN, answer, sizeof(answer));
        CHECK(strncmp(answer, "HTTP/1.1 404 ", 13) == 0);
        solver.cleanup(solver.context, &challenge);
        http_get(port, "GET", "/.well-known/acme-challenge/" TOKEN, answer, sizeof(answer));
        CHECK(strncmp(answer, "HTTP/1.1 404 ", 13) == 0);
        gw_acme_responder_stop(responder);
}

static void test_many_tokens_and_removal_keep_the_others(void)
{
        struct gw_acme_responder *responder = NULL;
        struct err err = {0};
        CHECK_OK(gw_acme_responder_start(&responder, "127.0.0.1:0", &err), &err);
        char token[64], value[96], path[128], answer[4096];
        for (int i = 0; i < GW_ACME_RESPONDER_TOKENS_MAX; i++) {
                snprintf(token, sizeof(token), "token-%03d", i);
                snprintf(value, sizeof(value), "token-%03d.thumbprint", i);
                CHECK_OK(gw_acme_responder_add(responder, token, value, &err), &err);
        }
        CHECK_STATUS(gw_acme_responder_add(responder, "one-too-many", "x", &err), SMT_ENOSPACE);
        gw_acme_responder_remove(responder, "token-000");
        CHECK_OK(gw_acme_responder_add(responder, "one-too-many", "one-too-many.t", &err), &err);
        http_get(gw_acme_responder_port(responder), "GET", "/.well-known/acme-challenge/token-255", answer,
                 sizeof(answer));
        CHECK_STR(body_of(answer), "token-255.thumbprint");
        snprintf(path, sizeof(path), "/.well-known/acme-challenge/%s", "token-000");
        http_get(gw_acme_responder_port(responder), "GET", path, answer, sizeof(answer));
        CHECK(strncmp(answer, "HTTP/1.1 404 ", 13) == 0);
        gw_acme_responder_stop(responder);
}

static void test_refuses_a_token_that_is_not_base64url(void)
{
        struct gw_acme_responder *responder = NULL;
        struct err err = {0};
        CHECK_OK(gw_acme_responder_start(&responder, "127.0.0.1:0", &err), &err);
        CHECK_STATUS(gw_acme_responder_add(responder, "../etc", "x", &err), SMT_EINVAL);
        CHECK_STATUS(gw_acme_responder_add(responder, "", "x", &err), SMT_EINVAL);
        CHECK_STATUS(gw_acme_responder_add(responder, "a b", "x", &err), SMT_EINVAL);
        gw_acme_responder_stop(responder);
}

static void test_start_fails_on_a_bad_address(void)
{
        struct gw_acme_responder *responder = NULL;
        struct err err = {0};
        CHECK(gw_acme_responder_start(&responder, "not an address", &err) < 0);
        CHECK(strstr(err.msg, "http-01 responder on not an address") != NULL);
        CHECK(responder == NULL);
}

CHECK_MAIN(CHECK_TEST(test_serves_a_presented_token_until_cleanup),
           CHECK_TEST(test_many_tokens_and_removal_keep_the_others),
           CHECK_TEST(test_refuses_a_token_that_is_not_base64url), CHECK_TEST(test_start_fails_on_a_bad_address))
