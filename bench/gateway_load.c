/* bench/gateway_load.c: `smtrust bench load`: the connections, their requests and responses, and the report.
 * The TLS and TLCP channels are in gateway_load_channel.c. */
#include "bench/gateway_load.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "net/loop.h"

#define LOAD_NAME            "bench load"
#define LOAD_CONNECTIONS_MAX 60000
#define LOAD_SECONDS_MAX     3600
/* Connections that have never finished a handshake, at most: a burst of 1000 SYNs would overflow the
 * server's listen backlog (511 for nginx and the gateway) and cost a one-second SYN retransmission. */
#define LOAD_RAMP_MAX    128
#define LOAD_RETRY_MS    10 /* pause after a failure, so a refused port does not spin the loop */
#define LOAD_READ_MAX    65536
#define LOAD_REQUEST_MAX (CMD_TLCP_PATH_MAX + NET_ADDRESS_TEXT_MAX + 256)

static const char load_usage[] =
    "smtrust bench load URL [--connections N] [--seconds S] [--new-connection-per-request] [--tlcp | --tls]\n"
    "        [--cafile F] [--path P] [--idle]";

static const char load_description[] =
    "Sends GET requests to URL (https://host[:port]/path) from N connections for S seconds in one epoll\n"
    "loop and prints requests/s, handshakes/s, errors and latency; the last line is machine-readable:\n"
    "  result requests_per_s=... handshakes_per_s=... errors=... p50_ms=... p99_ms=...\n\n"
    "  --connections N  concurrent connections (default 50)\n"
    "  --seconds S      how long to send (default 5)\n"
    "  --new-connection-per-request\n"
    "                   a new connection and full handshake for each request (Connection: close);\n"
    "                   default: keep-alive connections, one request after another\n"
    "  --tls, --tlcp    TLS 1.2/1.3 over OpenSSL (default), or TLCP (GB/T 38636, ECC suites) over smtrust\n"
    "  --cafile F       verify the server against these roots (default: no verification)\n"
    "  --path P         request P instead of the URL's path\n"
    "  --idle           open N connections, finish their handshakes, send nothing; print \"idle N\" once all\n"
    "                   are open and hold them for S seconds (to measure a server's memory per connection)\n";

struct load_args {
        const char *url;
        const char *cafile;
        const char *path;
        long connections;
        double seconds;
        bool new_connection;
        bool idle;
        bool help;
        enum bench_gateway_load_protocol protocol;
};

enum load_state {
        LOAD_PAUSED = 1, /* not started, or waiting LOAD_RETRY_MS after a failure */
        LOAD_CONNECTING,
        LOAD_HANDSHAKE,
        LOAD_SENDING,
        LOAD_RECEIVING,
        LOAD_IDLE,
};

struct load_run;

struct load_conn {
        struct load_run *run;
        struct net_watcher watcher;
        struct net_timer pause;
        int fd;
        struct bench_gateway_load_channel *channel;
        enum load_state state;
        bool is_ramping;   /* started, no handshake finished yet */
        bool has_response; /* a response was read whole on this connection */
        struct bench_gateway_load_response response;
        int64_t started_ns; /* the request was sent (keep-alive) or the connection opened */
};

struct load_stats {
        uint64_t requests; /* complete responses with a 2xx or 3xx status */
        uint64_t handshakes;
        uint64_t errors;
        struct bench_gateway_load_latency latency; /* of the requests counted */
};

struct load_run {
        struct load_args args;
        struct cmd_tlcp_url url;
        struct sockaddr_storage address;
        socklen_t address_len;
        struct bench_gateway_load_client *client;
        struct net_loop *loop;
        struct net_timer end;
        struct load_conn *conns;
        size_t num_started;
        size_t num_ramping;
        size_t num_idle;
        uint8_t request[LOAD_REQUEST_MAX];
        size_t request_len;
        uint8_t scratch[LOAD_READ_MAX];
        struct http_head head; /* the head being parsed: only ever one at a time */
        struct load_stats stats;
        char first_error[sizeof((struct err *)NULL)->msg];
        char negotiated[96];
        int64_t start_ns;
        int64_t end_ns;
};

static int64_t load_now_ns(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void load_conn_advance(struct load_conn *conn);
static void load_conn_start(struct load_conn *conn);

static void load_conn_close(struct load_conn *conn)
{
        net_loop_unwatch(conn->run->loop, &conn->watcher);
        net_loop_timer_stop(conn->run->loop, &conn->pause);
        bench_gateway_load_channel_free(conn->channel);
        conn->channel = NULL;
        if (conn->fd >= 0)
                close(conn->fd);
        conn->fd = -1;
        conn->has_response = false;
        conn->state = LOAD_PAUSED;
}

/* load_start_more opens connections until all are started or LOAD_RAMP_MAX are still in their first
 * handshake. */
static void load_start_more(struct load_run *run)
{
        while (run->num_started < (size_t)run->args.connections && run->num_ramping < LOAD_RAMP_MAX) {
                struct load_conn *conn = &run->conns[run->num_started++];
                conn->is_ramping = true;
                run->num_ramping++;
                load_conn_start(conn);
        }
}

static void load_conn_ramped(struct load_conn *conn)
{
        if (!conn->is_ramping)
                return;
        conn->is_ramping = false;
        conn->run->num_ramping--;
        load_start_more(conn->run);
}

static void load_conn_paused(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)loop;
        (void)timer;
        load_conn_start(arg);
}

static void load_conn_fail(struct load_conn *conn, const struct err *err)
{
        struct load_run *run = conn->run;
        run->stats.errors++;
        if (run->first_error[0] == '\0')
                snprintf(run->first_error, sizeof run->first_error, "%s", err->msg);
        if (conn->state == LOAD_IDLE)
                run->num_idle--;
        load_conn_close(conn);
        struct err timer_err = {0};
        if (net_loop_timer_start(run->loop, &conn->pause, LOAD_RETRY_MS, load_conn_paused, conn, &timer_err) < 0)
                net_loop_stop(run->loop);
        /* A connection that never got through stays ramping, so failures do not open more at once. */
}

/* load_conn_want waits for what the channel asked for. */
static void load_conn_want(struct load_conn *conn, unsigned want)
{
        struct err err = {0};
        if (net_loop_modify(conn->run->loop, &conn->watcher, want, &err) < 0)
                load_conn_fail(conn, &err);
}

static void load_conn_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg);

static int load_conn_connect(struct load_conn *conn, struct err *err)
{
        struct load_run *run = conn->run;
        conn->fd = socket(run->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (conn->fd < 0)
                return SMT_ERR(err, SMT_EIO, "socket: %s", strerror(errno));
        int one = 1;
        /* Requests and handshake flights are small and answered at once: Nagle would only delay them. */
        (void)setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        net_watcher_init(&conn->watcher, conn->fd, load_conn_ready, conn);
        TRY(net_loop_watch(run->loop, &conn->watcher, NET_LOOP_WRITE, err));
        conn->state = LOAD_CONNECTING;
        if (connect(conn->fd, (const struct sockaddr *)&run->address, run->address_len) != 0 && errno != EINPROGRESS)
                return SMT_ERR(err, SMT_EIO, "connect to %s: %s", run->args.url, strerror(errno));
        return SMT_OK;
}

static void load_conn_start(struct load_conn *conn)
{
        struct err err = {0};
        conn->started_ns = load_now_ns();
        if (load_conn_connect(conn, &err) < 0)
                load_conn_fail(conn, &err);
}

static int load_conn_connected(struct load_conn *conn, struct err *err)
{
        int error = 0;
        socklen_t error_len = sizeof error;
        if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0)
                error = errno;
        if (error != 0)
                return SMT_ERR(err, SMT_EIO, "connect to %s: %s", conn->run->args.url, strerror(error));
        TRY(bench_gateway_load_channel_new(&conn->channel, conn->run->client, conn->fd, err));
        conn->state = LOAD_HANDSHAKE;
        return SMT_OK;
}

/* load_conn_idle_read takes what arrives on an idle connection: TLS 1.3 session tickets (RFC 8446 §4.6.1)
 * are fine, application data or the end of the connection is not. */
static void load_conn_idle_read(struct load_conn *conn)
{
        struct err err = {0};
        unsigned want = 0;
        size_t len = 0;
        struct load_run *run = conn->run;
        int status =
            bench_gateway_load_channel_read(conn->channel, run->scratch, sizeof run->scratch, &len, &want, &err);
        if (status == SMT_EAGAIN) {
                load_conn_want(conn, want);
                return;
        }
        if (status == SMT_OK)
                (void)SMT_ERR(&err, SMT_EDECODE, "%zu bytes on an idle connection", len);
        else if (status == TLCP_ECLOSED)
                (void)SMT_ERR(&err, SMT_EIO, "the server closed an idle connection");
        load_conn_fail(conn, &err);
}

static void load_conn_ready(struct net_loop *loop, struct net_watcher *watcher, unsigned events, void *arg)
{
        (void)loop;
        (void)watcher;
        (void)events;
        struct load_conn *conn = arg;
        struct err err = {0};
        if (conn->state == LOAD_CONNECTING && load_conn_connected(conn, &err) < 0) {
                load_conn_fail(conn, &err);
                return;
        }
        if (conn->state == LOAD_IDLE)
                load_conn_idle_read(conn);
        else
                load_conn_advance(conn);
}

static int load_conn_handshake(struct load_conn *conn, unsigned *want, struct err *err)
{
        struct load_run *run = conn->run;
        TRY(bench_gateway_load_channel_handshake(conn->channel, want, err));
        run->stats.handshakes++;
        if (run->negotiated[0] == '\0')
                bench_gateway_load_channel_describe(conn->channel, run->negotiated, sizeof run->negotiated);
        load_conn_ramped(conn);
        if (!run->args.idle) {
                conn->state = LOAD_SENDING;
                return SMT_OK;
        }
        conn->state = LOAD_IDLE;
        *want = NET_LOOP_READ; /* only to notice the server closing it */
        if (++run->num_idle == (size_t)run->args.connections) {
                printf("idle %zu\n", run->num_idle);
                fflush(stdout);
        }
        return SMT_EAGAIN;
}

static int load_conn_send(struct load_conn *conn, unsigned *want, struct err *err)
{
        struct load_run *run = conn->run;
        if (!run->args.new_connection)
                conn->started_ns = load_now_ns(); /* a keep-alive request's time starts when it is sent */
        TRY(bench_gateway_load_channel_write(conn->channel, run->request, run->request_len, want, err));
        TRY(bench_gateway_load_response_start(&conn->response, err));
        conn->state = LOAD_RECEIVING;
        return SMT_OK;
}

/* load_conn_finish counts a complete response; the next request follows on this connection or a new one. */
static void load_conn_finish(struct load_conn *conn)
{
        struct load_run *run = conn->run;
        conn->has_response = true;
        conn->state = LOAD_SENDING;
        if (conn->response.status >= 400) {
                /* Counted as an error, but the connection goes on if the server keeps it. */
                run->stats.errors++;
                if (run->first_error[0] == '\0')
                        snprintf(run->first_error, sizeof run->first_error, "HTTP status %d", conn->response.status);
                return;
        }
        run->stats.requests++;
        uint64_t micros = (uint64_t)(load_now_ns() - conn->started_ns) / 1000;
        bench_gateway_load_latency_add(&run->stats.latency, micros);
}

static int load_conn_receive(struct load_conn *conn, unsigned *want, struct err *err)
{
        struct load_run *run = conn->run;
        size_t len = 0;
        int status = bench_gateway_load_channel_read(conn->channel, run->scratch, sizeof run->scratch, &len, want, err);
        if (status == TLCP_ECLOSED) {
                /* A body delimited by the end of the connection ends here; anything else was cut short. */
                TRY(bench_gateway_load_response_end(&conn->response, err));
                load_conn_finish(conn);
                return TLCP_ECLOSED;
        }
        TRY(status);
        bool is_complete = false;
        TRY(bench_gateway_load_response_take(&conn->response, run->scratch, len, &is_complete, err));
        if (is_complete)
                load_conn_finish(conn);
        return SMT_OK;
}

/* load_conn_step runs one state's work: 0 to go on, SMT_EAGAIN with *want to wait, TLCP_ECLOSED when the
 * connection is done and the next request needs a new one, or a failure. */
static int load_conn_step(struct load_conn *conn, unsigned *want, struct err *err)
{
        switch (conn->state) {
        case LOAD_HANDSHAKE:
                return load_conn_handshake(conn, want, err);
        case LOAD_SENDING:
                if (conn->has_response && (conn->run->args.new_connection || !conn->response.is_keep_alive))
                        return TLCP_ECLOSED;
                return load_conn_send(conn, want, err);
        case LOAD_RECEIVING:
                return load_conn_receive(conn, want, err);
        case LOAD_PAUSED:
        case LOAD_CONNECTING:
        case LOAD_IDLE:
                *want = conn->state == LOAD_IDLE ? NET_LOOP_READ : NET_LOOP_WRITE;
                return SMT_EAGAIN;
        }
        return SMT_ERR(err, SMT_EINTERNAL, "connection state %d", (int)conn->state);
}

static void load_conn_advance(struct load_conn *conn)
{
        struct err err = {0};
        unsigned want = 0;
        int status;
        while ((status = load_conn_step(conn, &want, &err)) == SMT_OK) {
        }
        if (status == SMT_EAGAIN) {
                load_conn_want(conn, want);
        } else if (status == TLCP_ECLOSED) {
                load_conn_close(conn);
                load_conn_start(conn);
        } else {
                load_conn_fail(conn, &err);
        }
}

static void load_end(struct net_loop *loop, struct net_timer *timer, void *arg)
{
        (void)timer;
        struct load_run *run = arg;
        run->end_ns = load_now_ns();
        net_loop_stop(loop);
}

static int load_number(const char *text, double min, double max, double *out)
{
        char *end = NULL;
        errno = 0;
        *out = strtod(text, &end);
        return end != text && *end == '\0' && errno == 0 && *out >= min && *out <= max ? 0 : -1;
}

static int load_args_set(struct load_args *args, int opt, const char *value)
{
        double number = 0;
        switch (opt) {
        case 'c':
                if (load_number(value, 1, LOAD_CONNECTIONS_MAX, &number) < 0 || number != (double)(long)number)
                        return cmd_usage_error(LOAD_NAME, load_usage, "--connections '%s': expected 1..%d", value,
                                               LOAD_CONNECTIONS_MAX);
                args->connections = (long)number;
                return -1;
        case 's':
                if (load_number(value, 0.001, LOAD_SECONDS_MAX, &args->seconds) < 0)
                        return cmd_usage_error(LOAD_NAME, load_usage, "--seconds '%s': expected a number in (0, %d]",
                                               value, LOAD_SECONDS_MAX);
                return -1;
        case 'n':
                args->new_connection = true;
                return -1;
        case 'T':
        case 'L':
                args->protocol = opt == 'L' ? BENCH_GATEWAY_LOAD_TLCP : BENCH_GATEWAY_LOAD_TLS;
                return -1;
        case 'a':
                args->cafile = value;
                return -1;
        case 'p':
                args->path = value;
                return -1;
        case 'i':
                args->idle = true;
                return -1;
        default:
                args->help = true;
                return -1;
        }
}

/* load_parse fills args; returns an exit status when the command ends here (help, usage error), else -1. */
static int load_parse(struct load_args *args, int argc, char **argv)
{
        static const struct option options[] = {
            {"connections", required_argument, NULL, 'c'},
            {"seconds", required_argument, NULL, 's'},
            {"new-connection-per-request", no_argument, NULL, 'n'},
            {"tls", no_argument, NULL, 'T'},
            {"tlcp", no_argument, NULL, 'L'},
            {"cafile", required_argument, NULL, 'a'},
            {"path", required_argument, NULL, 'p'},
            {"idle", no_argument, NULL, 'i'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        *args = (struct load_args){.connections = 50, .seconds = 5, .protocol = BENCH_GATEWAY_LOAD_TLS};
        optind = 1;
        opterr = 0;
        int opt;
        while ((opt = getopt_long(argc, argv, ":c:s:h", options, NULL)) != -1) {
                if (opt == ':')
                        return cmd_usage_error(LOAD_NAME, load_usage, "%s needs a value", argv[optind - 1]);
                if (opt == '?')
                        return cmd_usage_error(LOAD_NAME, load_usage, "unknown option %s", argv[optind - 1]);
                int exit_status = load_args_set(args, opt, optarg);
                if (exit_status >= 0)
                        return exit_status;
        }
        if (args->help) {
                printf("usage: %s\n\n%s", load_usage, load_description);
                return CMD_EXIT_OK;
        }
        if (optind + 1 != argc)
                return cmd_usage_error(LOAD_NAME, load_usage, optind == argc ? "a URL is required" : "one URL only");
        args->url = argv[optind];
        if (args->idle && args->new_connection)
                return cmd_usage_error(LOAD_NAME, load_usage,
                                       "--idle sends no requests: drop --new-connection-per-request");
        return -1;
}

/* load_request writes the GET every connection sends; with a connection per request it asks the server to
 * close (RFC 9112 §9.6), as a client that needs one response does. */
static int load_request(struct load_run *run, struct err *err)
{
        char host[NET_ADDRESS_TEXT_MAX];
        net_address_format(host, &run->url.address);
        const char *path = run->args.path != NULL ? run->args.path : run->url.path;
        if (strpbrk(path, " \r\n\t") != NULL || path[0] != '/')
                return SMT_ERR(err, SMT_EINVAL, "--path '%s': expected /path without spaces", path);
        int len = snprintf((char *)run->request, sizeof run->request,
                           "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: smtrust-bench-load\r\nAccept: */*\r\n%s\r\n",
                           path, host, run->args.new_connection ? "Connection: close\r\n" : "");
        if (len < 0 || (size_t)len >= sizeof run->request)
                return SMT_ERR(err, SMT_EINVAL, "--path: the request exceeds %zu bytes", sizeof run->request);
        run->request_len = (size_t)len;
        return SMT_OK;
}

static int load_setup(struct load_run *run, struct err *err)
{
        TRY(cmd_tlcp_url_parse(&run->url, run->args.url, err));
        TRY(load_request(run, err));
        struct addrinfo *list = NULL;
        TRY(net_address_resolve(&list, &run->url.address, false, err));
        memcpy(&run->address, list->ai_addr, list->ai_addrlen);
        run->address_len = list->ai_addrlen;
        net_address_free_list(list);
        struct bench_gateway_load_client_config config = {
            .protocol = run->args.protocol,
            .server_name = run->url.address.host,
            .cafile = run->args.cafile,
        };
        TRY(bench_gateway_load_client_new(&run->client, &config, err));
        TRY(net_loop_new(&run->loop, err));
        run->conns = calloc((size_t)run->args.connections, sizeof *run->conns);
        if (run->conns == NULL)
                return SMT_ERR(err, SMT_ENOMEM, "%ld connections: out of memory", run->args.connections);
        for (long i = 0; i < run->args.connections; i++) {
                struct load_conn *conn = &run->conns[i];
                conn->run = run;
                conn->fd = -1;
                conn->state = LOAD_PAUSED;
                bench_gateway_load_response_init(&conn->response, &run->head);
        }
        return SMT_OK;
}

static void load_cleanup(struct load_run *run)
{
        for (size_t i = 0; run->conns != NULL && i < (size_t)run->args.connections; i++) {
                load_conn_close(&run->conns[i]);
                bench_gateway_load_response_cleanup(&run->conns[i].response);
        }
        free(run->conns);
        net_loop_free(run->loop);
        bench_gateway_load_client_free(run->client);
}

static int load_execute(struct load_run *run, struct err *err)
{
        TRY(net_loop_timer_start(run->loop, &run->end, (int64_t)(run->args.seconds * 1000), load_end, run, err));
        run->start_ns = load_now_ns();
        load_start_more(run);
        TRY(net_loop_run(run->loop, err));
        if (run->end_ns == 0)
                run->end_ns = load_now_ns();
        return SMT_OK;
}

static void load_report(const struct load_run *run)
{
        const struct load_stats *stats = &run->stats;
        double seconds = (double)(run->end_ns - run->start_ns) / 1e9;
        double requests_per_s = (double)stats->requests / seconds;
        double handshakes_per_s = (double)stats->handshakes / seconds;
        double p50 = bench_gateway_load_latency_percentile(&stats->latency, 0.50) / 1000.0;
        double p99 = bench_gateway_load_latency_percentile(&stats->latency, 0.99) / 1000.0;
        printf("%s: %s over %s, %ld %s connections, %.2f s\n", LOAD_NAME, run->args.url,
               run->negotiated[0] != '\0' ? run->negotiated : "(no handshake completed)", run->args.connections,
               run->args.idle             ? "idle"
               : run->args.new_connection ? "new-per-request"
                                          : "keep-alive",
               seconds);
        printf("  requests    %10llu  %12.1f/s\n", (unsigned long long)stats->requests, requests_per_s);
        printf("  handshakes  %10llu  %12.1f/s\n", (unsigned long long)stats->handshakes, handshakes_per_s);
        printf("  errors      %10llu%s%s\n", (unsigned long long)stats->errors, stats->errors > 0 ? "  first: " : "",
               run->first_error);
        printf("  latency     p50 %.3f ms  p99 %.3f ms\n", p50, p99);
        printf("result requests_per_s=%.1f handshakes_per_s=%.1f errors=%llu p50_ms=%.3f p99_ms=%.3f seconds=%.2f "
               "connections=%ld\n",
               requests_per_s, handshakes_per_s, (unsigned long long)stats->errors, p50, p99, seconds,
               run->args.connections);
}

int bench_gateway_load_main(int argc, char **argv)
{
        struct load_run *run = calloc(1, sizeof *run);
        if (run == NULL) {
                fprintf(stderr, "smtrust: %s: out of memory\n", LOAD_NAME);
                return CMD_EXIT_FAILURE;
        }
        int exit_status = load_parse(&run->args, argc, argv);
        if (exit_status >= 0) {
                free(run);
                return exit_status;
        }
        struct err err = {0};
        int status = load_setup(run, &err);
        if (status == SMT_OK)
                status = load_execute(run, &err);
        if (status == SMT_OK) {
                load_report(run);
                bool is_done =
                    run->args.idle ? run->num_idle == (size_t)run->args.connections : run->stats.requests > 0;
                exit_status = is_done ? CMD_EXIT_OK : CMD_EXIT_FAILURE;
        } else {
                exit_status = cmd_report(&err, LOAD_NAME);
        }
        load_cleanup(run);
        free(run);
        return exit_status;
}
