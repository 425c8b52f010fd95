/* tests/unit/http/test_server.c: the plain-HTTP side of src/http/server.c, talked to over real loopback
 * sockets: keep-alive and pipelining, Content-Length and chunked bodies, 100-continue, the answers the
 * server gives itself (400 and smuggling, 408, 413, 500), HEAD, Connection handling both ways, HTTP/1.0,
 * and every timeout and stop bounding how long a client can hold a thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "server_fixture.h"

#define GET_ROOT "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"

static struct http_server *start_default(void)
{
        struct http_server_config config = {.threads = 4};
        return server_fixture_start(&config);
}

/* expect_echo checks one echoed request line by line. */
static void expect_line(const struct server_reply *reply, const char *line)
{
        if (!server_reply_has_line(reply, line))
                check_fail(__FILE__, __LINE__, "no line \"%s\" in:\n%s", line, reply->body_text);
}

static void test_keep_alive_serves_several_requests(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *first = server_client_request(client, "GET",
                                                           "GET /a/b?x=1&y=%41 HTTP/1.1\r\nHost: "
                                                           "example.test:8080\r\nX-One: 1\r\n\r\n");
        CHECK(first != NULL);
        CHECK_EQ(first->status, 200);
        expect_line(first, "method=GET");
        expect_line(first, "target=/a/b?x=1&y=%41");
        expect_line(first, "path=/a/b");
        expect_line(first, "query=x=1&y=%41");
        expect_line(first, "host=example.test:8080");
        expect_line(first, "field=X-One: 1");
        expect_line(first, "tls=0");
        expect_line(first, "remote=127.0.0.1");
        expect_line(first, "client=-");
        CHECK(server_reply_field(first, "Connection") == NULL);
        CHECK_STR(server_reply_field(first, "Content-Type"), "text/plain");
        /* IMF-fixdate, RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT". */
        const char *date = server_reply_field(first, "Date");
        CHECK(date != NULL && strlen(date) == 29 && strcmp(date + 25, " GMT") == 0 && date[3] == ',');
        struct server_reply *second = server_client_request(
            client, "POST", "POST /submit HTTP/1.1\r\nHost: example.test\r\nContent-Length: 11\r\n\r\nhello world");
        CHECK(second != NULL);
        expect_line(second, "method=POST");
        expect_line(second, "body=hello world");
        struct server_reply *third = server_client_request(client, "GET", GET_ROOT);
        CHECK(third != NULL);
        expect_line(third, "query=");
        CHECK(server_reply_field(third, "Date") != NULL);
        free(first);
        free(second);
        free(third);
        server_client_free(client);
        http_server_stop(server);
}

static void test_pipelined_requests_are_answered_in_order(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        server_client_send(client, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                                   "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                                   "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
        for (int i = 1; i <= 3; i++) {
                char path[32];
                snprintf(path, sizeof path, "path=/%d", i);
                struct server_reply *reply = server_client_read_reply(client, i == 2 ? "POST" : "GET");
                CHECK(reply != NULL);
                expect_line(reply, path);
                if (i == 2)
                        expect_line(reply, "body=abc");
                free(reply);
        }
        server_client_free(client);
        http_server_stop(server);
}

static void test_chunked_body_is_dechunked(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        server_client_send(client, "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n");
        usleep(50 * 1000); /* the rest in a second segment: the decoder must resume */
        struct server_reply *reply =
            server_client_request(client, "POST", "5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n");
        CHECK(reply != NULL);
        CHECK_EQ(reply->status, 200);
        expect_line(reply, "body=Wikipedia");
        free(reply);
        /* the connection goes on after the trailer section */
        reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_large_content_length_body_is_whole(void)
{
        struct http_server_config config = {.threads = 2, .max_body = 200 * 1000};
        struct http_server *server = server_fixture_start(&config);
        struct server_client *client = server_client_connect(http_server_port(server));
        static char body[100 * 1000 + 1];
        for (size_t i = 0; i < sizeof body - 1; i++)
                body[i] = (char)('a' + i % 26);
        char head[128];
        snprintf(head, sizeof head, "PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: %zu\r\n\r\n", sizeof body - 1);
        server_client_send(client, head);
        server_client_send(client, body);
        struct server_reply *reply = server_client_read_reply(client, "PUT");
        CHECK(reply != NULL);
        const char *echoed = strstr(reply->body_text, "body=");
        CHECK(echoed != NULL);
        CHECK_EQ(strlen(echoed + 5), sizeof body - 1);
        CHECK_MEM(echoed + 5, body, sizeof body - 1);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

/* expect_refusal sends request and expects status with Connection: close, then the close itself. */
static void expect_refusal(struct http_server *server, const char *request, int status)
{
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", request);
        if (reply == NULL)
                check_fail(__FILE__, __LINE__, "no answer to %s", request);
        if (reply->status != status)
                check_fail(__FILE__, __LINE__, "status %d, expected %d, to %s", reply->status, status, request);
        CHECK_STR(server_reply_field(reply, "Connection"), "close");
        CHECK(server_reply_field(reply, "Date") != NULL);
        CHECK(server_client_wait_closed(client, 2000));
        CHECK_EQ(client->in_len, 0); /* nothing after the refusal */
        free(reply);
        server_client_free(client);
}

static void test_body_over_max_body_gets_413(void)
{
        struct http_server_config config = {.threads = 2, .max_body = 10};
        struct http_server *server = server_fixture_start(&config);
        expect_refusal(server, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n01234567890", 413);
        /* chunked: only the decoded size tells, 6 + 5 > 10 */
        expect_refusal(server,
                       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n"
                       "5\r\n67890\r\n0\r\n\r\n",
                       413);
        /* a body of exactly max_body passes */
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply =
            server_client_request(client, "POST", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789");
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_malformed_and_smuggling_requests_get_400_and_close(void)
{
        struct http_server *server = start_default();
        expect_refusal(server, "GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n", 400);
        expect_refusal(server, "GET / HTTP/1.1\r\n\r\n", 400); /* no Host */
        expect_refusal(server,
                       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "0\r\n\r\n",
                       400);
        expect_refusal(server, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400);
        expect_refusal(server, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
        expect_refusal(server, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
        expect_refusal(server, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501);
        expect_refusal(server, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
        /* over the parser's default limits: an 8 KiB request line, a 32 KiB head */
        static char huge[40 * 1024];
        snprintf(huge, sizeof huge, "GET /%09000d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
        expect_refusal(server, huge, 414);
        int at = snprintf(huge, sizeof huge, "GET / HTTP/1.1\r\nHost: a\r\n");
        for (int i = 0; i < 40; i++)
                at += snprintf(huge + at, sizeof huge - (size_t)at, "X-Filler-%d: %0900d\r\n", i, 0);
        snprintf(huge + at, sizeof huge - (size_t)at, "\r\n");
        expect_refusal(server, huge, 431);
        /* after a 400 the same server still serves */
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_head_gets_the_head_only(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *get = server_client_request(client, "GET", "GET /h HTTP/1.1\r\nHost: a\r\n\r\n");
        struct server_reply *head = server_client_request(client, "HEAD", "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(get != NULL && head != NULL);
        CHECK_EQ(head->status, 200);
        /* the length of what GET would send, differing only in "method=HEAD" vs "method=GET" (one byte) */
        CHECK_EQ(atol(server_reply_field(head, "Content-Length")), get->body_len + 1);
        /* no body bytes followed: the next answer parses from its first byte */
        struct server_reply *after = server_client_request(client, "GET", "GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(after != NULL);
        expect_line(after, "path=/after");
        free(get);
        free(head);
        free(after);
        server_client_free(client);
        http_server_stop(server);
}

static void test_expect_100_continue_is_answered_before_the_body(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        server_client_send(client, "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
        struct server_reply *interim = server_client_read_reply(client, "POST");
        CHECK(interim != NULL);
        CHECK_EQ(interim->status, 100);
        CHECK(strncmp(interim->head, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0);
        struct server_reply *reply = server_client_request(client, "POST", "body");
        CHECK(reply != NULL && reply->status == 200);
        expect_line(reply, "body=body");
        free(interim);
        free(reply);
        /* too large: 413 at once, no 100 Continue first */
        struct http_server_config config = {.threads = 1, .max_body = 3};
        struct http_server *small = server_fixture_start(&config);
        expect_refusal(small, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", 413);
        http_server_stop(small);
        server_client_free(client);
        http_server_stop(server);
}

static void test_handler_without_status_gives_500(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", "GET /status0 HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(reply != NULL);
        CHECK_EQ(reply->status, 500);
        CHECK(strstr(reply->body_text, "method=") == NULL); /* the handler's half-made body is not sent */
        free(reply);
        reply = server_client_request(client, "GET", GET_ROOT); /* a 500 of ours does not end the connection */
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_connection_close_is_honoured_both_ways(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply =
            server_client_request(client, "GET", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        CHECK_STR(server_reply_field(reply, "Connection"), "close");
        CHECK(server_client_wait_closed(client, 2000));
        free(reply);
        server_client_free(client);
        client = server_client_connect(http_server_port(server));
        reply = server_client_request(client, "GET", "GET /close HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        CHECK_STR(server_reply_field(reply, "Connection"), "close");
        CHECK(server_client_wait_closed(client, 2000));
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_http_1_0_closes_unless_keep_alive_asked(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", "GET /old HTTP/1.0\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        CHECK_STR(server_reply_field(reply, "Connection"), "close");
        CHECK(server_client_wait_closed(client, 2000));
        free(reply);
        server_client_free(client);
        client = server_client_connect(http_server_port(server));
        reply = server_client_request(client, "GET", "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        CHECK_STR(server_reply_field(reply, "Connection"), "keep-alive");
        free(reply);
        reply = server_client_request(client, "GET", "GET /again HTTP/1.0\r\n\r\n");
        CHECK(reply != NULL);
        expect_line(reply, "path=/again");
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_absolute_form_target_is_cut_to_origin_form(void)
{
        struct http_server *server = start_default();
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(
            client, "GET", "GET http://example.test:81/p/q?z=9 HTTP/1.1\r\nHost: other.test\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        expect_line(reply, "host=example.test:81"); /* RFC 9112 §3.2.2: the target's authority wins over Host */
        expect_line(reply, "target=/p/q?z=9");
        expect_line(reply, "path=/p/q");
        expect_line(reply, "query=z=9");
        free(reply);
        reply =
            server_client_request(client, "GET", "GET http://example.test?z=1 HTTP/1.1\r\nHost: example.test\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        expect_line(reply, "target=/?z=1");
        expect_line(reply, "path=/");
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_response_fields_are_checked(void)
{
        struct http_server_config config = {.threads = 1, .server_header = "smtrust-test"};
        struct http_server *server = server_fixture_start(&config);
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", "GET /fields HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(reply != NULL && reply->status == 200);
        char verdicts[128];
        snprintf(verdicts, sizeof verdicts, "good=0 injected=%d bad_name=%d length=0", SMT_EINVAL, SMT_EINVAL);
        expect_line(reply, verdicts);
        CHECK_STR(server_reply_field(reply, "X-Good"), "7-seven");
        CHECK(server_reply_field(reply, "Set-Cookie") == NULL);
        CHECK_STR(server_reply_field(reply, "Server"), "smtrust-test");
        /* the handler's Content-Length was not copied: ours is the true one */
        CHECK_EQ(atol(server_reply_field(reply, "Content-Length")), reply->body_len);
        CHECK(strstr(reply->head, "999") == NULL);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_idle_connection_is_closed_after_idle_timeout(void)
{
        struct http_server_config config = {.threads = 1, .idle_timeout_ms = 400};
        struct http_server *server = server_fixture_start(&config);
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL);
        free(reply);
        int64_t start = server_now_ms();
        CHECK(!server_client_wait_closed(client, 200)); /* still open well before the timeout */
        CHECK(server_client_wait_closed(client, 2000));
        int64_t took = server_now_ms() - start;
        CHECK(took >= 350 && took < 1500);
        CHECK_EQ(client->in_len, 0); /* closed silently: nothing was asked */
        server_client_free(client);
        http_server_stop(server);
}

static void test_half_a_head_gets_408_after_head_timeout(void)
{
        struct http_server_config config = {.threads = 1, .head_timeout_ms = 300};
        struct http_server *server = server_fixture_start(&config);
        struct server_client *client = server_client_connect(http_server_port(server));
        int64_t start = server_now_ms();
        server_client_send(client, "GET / HTTP/1.1\r\nHo");
        usleep(100 * 1000);
        server_client_send(client, "st"); /* a slowloris trickle does not extend the deadline */
        struct server_reply *reply = server_client_read_reply(client, "GET");
        int64_t took = server_now_ms() - start;
        CHECK(reply != NULL);
        CHECK_EQ(reply->status, 408);
        CHECK(took >= 250 && took < 1500);
        CHECK(server_client_wait_closed(client, 2000));
        free(reply);
        server_client_free(client);
        /* with its one thread free again, the server answers the next client */
        client = server_client_connect(http_server_port(server));
        reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL && reply->status == 200);
        free(reply);
        server_client_free(client);
        http_server_stop(server);
}

static void test_silent_client_holds_one_thread_only(void)
{
        struct http_server_config config = {.threads = 2};
        struct http_server *server = server_fixture_start(&config);
        struct server_client *silent = server_client_connect(http_server_port(server));
        server_client_send(silent, "GET / HT");
        for (int i = 0; i < 3; i++) {
                struct server_client *client = server_client_connect(http_server_port(server));
                int64_t start = server_now_ms();
                struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
                CHECK(reply != NULL && reply->status == 200);
                CHECK(server_now_ms() - start < 1000);
                free(reply);
                server_client_free(client);
        }
        server_client_free(silent);
        http_server_stop(server);
}

static void test_threads_serve_blocking_handlers_at_once(void)
{
        struct http_server_config config = {.threads = 4};
        struct http_server *server = server_fixture_start(&config);
        struct server_client *clients[4];
        int64_t start = server_now_ms();
        for (int i = 0; i < 4; i++) {
                clients[i] = server_client_connect(http_server_port(server));
                server_client_send(clients[i], "GET /sleep HTTP/1.1\r\nHost: a\r\n\r\n"); /* 300 ms each */
        }
        for (int i = 0; i < 4; i++) {
                struct server_reply *reply = server_client_read_reply(clients[i], "GET");
                CHECK(reply != NULL && reply->status == 200);
                free(reply);
                server_client_free(clients[i]);
        }
        int64_t took = server_now_ms() - start;
        CHECK(took >= 300 && took < 1000); /* one after the other would take 1200 ms */
        http_server_stop(server);
}

struct load_client {
        uint16_t port;
        int index;
        int served;
};

/* load_run: one client thread, 50 POSTs on one keep-alive connection, each echoed back exactly. */
static void *load_run(void *arg)
{
        struct load_client *load = arg;
        struct server_client *client = server_client_connect(load->port);
        for (int i = 0; i < 50; i++) {
                char request[256], expected[64];
                int body_len = snprintf(expected, sizeof expected, "client %d request %d", load->index, i);
                snprintf(request, sizeof request, "POST /load HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s",
                         body_len, expected);
                struct server_reply *reply = server_client_request(client, "POST", request);
                char line[80];
                snprintf(line, sizeof line, "body=%s", expected);
                if (reply != NULL && reply->status == 200 && server_reply_has_line(reply, line))
                        load->served++;
                free(reply);
        }
        server_client_free(client);
        return NULL;
}

static void test_concurrent_keep_alive_clients(void)
{
        struct http_server_config config = {.threads = 4};
        struct http_server *server = server_fixture_start(&config);
        pthread_t threads[4];
        struct load_client loads[4];
        for (int i = 0; i < 4; i++) {
                loads[i] = (struct load_client){.port = http_server_port(server), .index = i};
                CHECK_EQ(pthread_create(&threads[i], NULL, load_run, &loads[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(threads[i], NULL);
                CHECK_EQ(loads[i].served, 50);
        }
        http_server_stop(server);
}

static void test_stop_closes_idle_connections_at_once(void)
{
        struct http_server_config config = {.threads = 2}; /* idle timeout 30 s */
        struct http_server *server = server_fixture_start(&config);
        struct server_client *client = server_client_connect(http_server_port(server));
        struct server_reply *reply = server_client_request(client, "GET", GET_ROOT);
        CHECK(reply != NULL);
        free(reply);
        int64_t start = server_now_ms();
        http_server_stop(server);
        CHECK(server_now_ms() - start < 1000);
        CHECK(server_client_wait_closed(client, 1000));
        server_client_free(client);
}

struct stop_thread {
        struct http_server *server;
        int64_t stopped_at;
};

static void *stop_later(void *arg)
{
        struct stop_thread *stop = arg;
        usleep(100 * 1000);
        http_server_stop(stop->server);
        stop->stopped_at = server_now_ms();
        return NULL;
}

static void test_stop_lets_the_request_in_the_handler_finish(void)
{
        struct http_server_config config = {.threads = 2};
        struct stop_thread stop = {.server = server_fixture_start(&config)};
        struct server_client *client = server_client_connect(http_server_port(stop.server));
        server_client_send(client, "GET /sleep HTTP/1.1\r\nHost: a\r\n\r\n"); /* 300 ms in the handler */
        usleep(50 * 1000);
        pthread_t thread;
        CHECK_EQ(pthread_create(&thread, NULL, stop_later, &stop), 0);
        struct server_reply *reply = server_client_read_reply(client, "GET");
        CHECK(reply != NULL && reply->status == 200);
        CHECK_STR(server_reply_field(reply, "Connection"), "close");
        CHECK(server_client_wait_closed(client, 2000));
        pthread_join(thread, NULL);
        free(reply);
        server_client_free(client);
}

static void test_start_refuses_bad_configs(void)
{
        struct http_server *server = NULL;
        struct err err = {0};
        struct http_server_config config = {.listen = "127.0.0.1:notaport"};
        CHECK(http_server_start(&server, &config, server_fixture_echo, NULL, &err) < 0);
        CHECK(server == NULL);
        struct http_server *first = start_default();
        char taken[64];
        snprintf(taken, sizeof taken, "127.0.0.1:%u", http_server_port(first));
        config = (struct http_server_config){.listen = taken};
        CHECK_STATUS(http_server_start(&server, &config, server_fixture_echo, NULL, &err), SMT_EIO);
        CHECK(strstr(err.msg, taken) != NULL);
        http_server_stop(first);
        config = (struct http_server_config){.listen = "127.0.0.1:0", .tls_cert_file = "/nonexistent.pem"};
        CHECK_STATUS(http_server_start(&server, &config, server_fixture_echo, NULL, &err), SMT_EINVAL);
        http_server_stop(NULL);
}

CHECK_MAIN(CHECK_TEST(test_keep_alive_serves_several_requests),
           CHECK_TEST(test_pipelined_requests_are_answered_in_order), CHECK_TEST(test_chunked_body_is_dechunked),
           CHECK_TEST(test_large_content_length_body_is_whole), CHECK_TEST(test_body_over_max_body_gets_413),
           CHECK_TEST(test_malformed_and_smuggling_requests_get_400_and_close),
           CHECK_TEST(test_head_gets_the_head_only), CHECK_TEST(test_expect_100_continue_is_answered_before_the_body),
           CHECK_TEST(test_handler_without_status_gives_500), CHECK_TEST(test_connection_close_is_honoured_both_ways),
           CHECK_TEST(test_http_1_0_closes_unless_keep_alive_asked),
           CHECK_TEST(test_absolute_form_target_is_cut_to_origin_form), CHECK_TEST(test_response_fields_are_checked),
           CHECK_TEST(test_idle_connection_is_closed_after_idle_timeout),
           CHECK_TEST(test_half_a_head_gets_408_after_head_timeout),
           CHECK_TEST(test_silent_client_holds_one_thread_only),
           CHECK_TEST(test_threads_serve_blocking_handlers_at_once), CHECK_TEST(test_concurrent_keep_alive_clients),
           CHECK_TEST(test_stop_closes_idle_connections_at_once),
           CHECK_TEST(test_stop_lets_the_request_in_the_handler_finish), CHECK_TEST(test_start_refuses_bad_configs))
