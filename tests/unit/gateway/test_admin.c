/* tests/unit/gateway/test_admin.c: gateway/admin's routes over a real socket: without a certificates
 * callback GET /certificates is the 404 JSON {"error": GW_ADMIN_NO_AUTO_SITES} and /metrics has no
 * certificate samples; with one (here gw_autocert_status_format on a fixed list, the formatter the manager's
 * callback uses) GET /certificates is its JSON and /metrics ends with its samples; a callback that fails
 * makes a 500 carrying its message; gw_admin_set_certificates(NULL) goes back to the 404; POST is a 405. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "gateway/admin.h"
#include "gateway/autocert_status.h"

struct certificates_source {
        struct gw_autocert_status list[1];
        bool is_failing;
};

static int certificates_cb(void *arg, bool is_json, struct buf_writer *out, struct err *err)
{
        struct certificates_source *source = arg;
        if (source->is_failing)
                return SMT_ERR(err, SMT_ENOSPACE, "certificates: no room left");
        return gw_autocert_status_format(source->list, 1, is_json, 1795000000, out, err);
}

struct exchange {
        struct net_loop *loop;
        uint16_t port;
        const char *request;
        char response[1 << 16];
};

static void *exchange_run(void *arg)
{
        struct exchange *x = arg;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {
            .sin_family = AF_INET, .sin_port = htons(x->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        size_t len = 0;
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
            send(fd, x->request, strlen(x->request), MSG_NOSIGNAL) == (ssize_t)strlen(x->request)) {
                ssize_t n;
                while ((n = recv(fd, x->response + len, sizeof x->response - 1 - len, 0)) > 0)
                        len += (size_t)n;
        }
        x->response[len] = '\0';
        if (fd >= 0)
                close(fd);
        net_loop_stop(x->loop);
        return NULL;
}

/* Sends request to the admin listener on port while the loop runs; the whole response in x->response. */
static void exchange(struct exchange *x, struct net_loop *loop, uint16_t port, const char *request)
{
        struct err err;
        x->loop = loop;
        x->port = port;
        x->request = request;
        pthread_t thread;
        CHECK(pthread_create(&thread, NULL, exchange_run, x) == 0);
        CHECK_OK(net_loop_run(loop, &err), &err);
        pthread_join(thread, NULL);
}

static const char *body_of(const char *response)
{
        const char *end = strstr(response, "\r\n\r\n");
        CHECK(end != NULL);
        return end + 4;
}

static uint16_t unused_port(void)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t sa_len = sizeof sa;
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        CHECK(getsockname(fd, (struct sockaddr *)&sa, &sa_len) == 0);
        close(fd);
        return ntohs(sa.sin_port);
}

static void check_no_manager(struct exchange *x, struct net_loop *loop, uint16_t port)
{
        exchange(x, loop, port, "GET /certificates HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(strncmp(x->response, "HTTP/1.1 404 ", 13) == 0);
        CHECK(strstr(x->response, "\r\nContent-Type: application/json\r\n") != NULL);
        json_t *doc = json_loads(body_of(x->response), 0, NULL);
        CHECK(doc != NULL);
        CHECK_STR(json_string_value(json_object_get(doc, "error")), GW_ADMIN_NO_AUTO_SITES);
        json_decref(doc);
        exchange(x, loop, port, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(strncmp(x->response, "HTTP/1.1 200 ", 13) == 0);
        CHECK(strstr(x->response, "smtrust_gateway_certificate_") == NULL);
}

static void test_routes(void)
{
        struct err err;
        struct net_loop *loop;
        struct gw_metrics *metrics;
        struct gw_admin *admin;
        struct exchange *x = calloc(1, sizeof *x);
        struct certificates_source source = {0};
        snprintf(source.list[0].site, sizeof source.list[0].site, "shop");
        source.list[0].kind = GW_AUTOCERT_SM2;
        source.list[0].failures = 4;
        CHECK(x != NULL);
        CHECK_OK(net_loop_new(&loop, &err), &err);
        CHECK_OK(gw_metrics_new(&metrics, 1, &err), &err);
        uint16_t port = unused_port();
        char listen[32];
        snprintf(listen, sizeof listen, "127.0.0.1:%u", port);
        CHECK_OK(gw_admin_start(&admin, loop, listen, metrics, NULL, NULL, NULL, NULL, &err), &err);
        check_no_manager(x, loop, port);

        gw_admin_set_certificates(admin, certificates_cb, &source);
        exchange(x, loop, port, "GET /certificates HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(strncmp(x->response, "HTTP/1.1 200 ", 13) == 0);
        json_t *doc = json_loads(body_of(x->response), 0, NULL);
        json_t *first = json_array_get(json_object_get(doc, "certificates"), 0);
        CHECK_STR(json_string_value(json_object_get(first, "site")), "shop");
        CHECK_STR(json_string_value(json_object_get(first, "kind")), "sm2");
        json_decref(doc);
        exchange(x, loop, port, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(strstr(body_of(x->response),
                     "\nsmtrust_gateway_certificate_renewal_failures{site=\"shop\",kind=\"sm2\"} 4\n") != NULL);

        source.is_failing = true;
        exchange(x, loop, port, "GET /certificates HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(strncmp(x->response, "HTTP/1.1 500 ", 13) == 0);
        CHECK_STR(body_of(x->response), "certificates: no room left\n");
        exchange(x, loop, port, "POST /certificates HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        CHECK(strncmp(x->response, "HTTP/1.1 405 ", 13) == 0);

        gw_admin_set_certificates(admin, NULL, NULL);
        check_no_manager(x, loop, port);
        gw_admin_stop(admin);
        gw_metrics_free(metrics);
        net_loop_free(loop);
        free(x);
}

CHECK_MAIN(CHECK_TEST(test_routes))
