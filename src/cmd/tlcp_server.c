/* src/cmd/tlcp_server.c: `smtrust tlcp-server`: a TLCP (GB/T 38636) test server. It serves one connection
 * at a time in one process, so its session cache sees every connection (resumption works) and a slow or
 * hostile client costs at most the I/O timeout; each connection gets one log line on standard error. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "cmd/cmd.h"
#include "net/tlcp_stream.h"
#include "tlcp/session_cache.h"

#define SERVER_NAME               "tlcp-server"
#define SERVER_DEFAULT_LISTEN     "127.0.0.1:4433"
#define SERVER_DEFAULT_CACHE      1024
#define SERVER_DEFAULT_TIMEOUT_S  10
#define SERVER_SESSION_LIFETIME_S 3600
/* The most --www reads of a request before answering: the request line and headers. */
#define SERVER_REQUEST_MAX (16 * 1024)
#define SERVER_PAGE_MAX    4096

/* Set by SIGINT/SIGTERM: the accept loop and any wait in a connection stop (DESIGN.md allows cmd/ this). */
static volatile sig_atomic_t server_stop;

static const struct option server_long_options[] = {
    {"sign-cert", required_argument, NULL, 'S'},
    {"sign-key", required_argument, NULL, 'K'},
    {"enc-cert", required_argument, NULL, 'E'},
    {"enc-key", required_argument, NULL, 'N'},
    {"chain", required_argument, NULL, 'C'},
    {"passphrase-file", required_argument, NULL, 'p'},
    {"listen", required_argument, NULL, 'l'},
    {"cafile", required_argument, NULL, 'a'},
    {"verify-client", no_argument, NULL, 'V'},
    {"www", no_argument, NULL, 'w'},
    {"cipher", required_argument, NULL, 'c'},
    {"session-cache", required_argument, NULL, 's'},
    {"timeout", required_argument, NULL, 't'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char server_usage[] =
    "smtrust tlcp-server --sign-cert F --sign-key F --enc-cert F --enc-key F [--chain F] [--passphrase-file F]\n"
    "        [--listen ADDR:PORT] [--cafile F] [--verify-client] [--www] [--cipher LIST] [--session-cache N]\n"
    "        [--timeout S] [-v]";

static const char server_description[] =
    "A TLCP (GB/T 38636-2020) test server. Without --www it echoes what each client sends.\n\n"
    "  --sign-cert/--sign-key/--enc-cert/--enc-key F\n"
    "                     the signing and encryption certificates and SM2 keys (keys mode 0600)\n"
    "  --chain F          intermediate certificates sent after the pair\n"
    "  --listen ADDR:PORT where to listen (default " SERVER_DEFAULT_LISTEN "; [v6]:port for IPv6)\n"
    "  --cafile F         ask for a client certificate pair and verify it against these roots (the ECDHE\n"
    "                     suites need one)\n"
    "  --verify-client    require a verified client certificate pair for every suite (needs --cafile)\n"
    "  --www              answer each HTTP request with 200 and a page describing the connection\n"
    "                     (chunked when the path starts with /chunked)\n"
    "  --cipher LIST      suites in preference order (default: all, GCM first, ECC before ECDHE)\n"
    "  --session-cache N  sessions kept for resumption (default 1024, 0: no resumption)\n"
    "  --timeout S        seconds a client may take for the handshake and for each read (default 10)\n"
    "  -v, --verbose      debug log lines\n";

struct server_args {
        struct cmd_tlcp_pair_files pair;
        const char *listen;
        const char *cafile;
        const char *cipher;
        bool verify_client;
        bool www;
        bool verbose;
        bool help;
        long session_cache;
        long timeout_s;
};

struct server {
        struct server_args args;
        struct cmd_tlcp_pair pair;
        struct cert_store *trust;
        uint16_t suites[CMD_TLCP_SUITES_MAX];
        size_t num_suites;
        struct tlcp_session_cache *session_cache;
        struct tlcp_config config;
        int listen_fd;
        char listen_text[NET_ADDRESS_TEXT_MAX];
};

/* server_number reads a whole decimal number in min..max, or returns -1. */
static long server_number(const char *text, long min, long max)
{
        char *end = NULL;
        errno = 0;
        long value = strtol(text, &end, 10);
        if (end == text || *end != '\0' || errno != 0 || value < min || value > max)
                return -1;
        return value;
}

static void server_args_set(struct server_args *args, int opt, const char *value)
{
        if (cmd_tlcp_pair_option(&args->pair, opt, value))
                return;
        switch (opt) {
        case 'l':
                args->listen = value;
                break;
        case 'a':
                args->cafile = value;
                break;
        case 'c':
                args->cipher = value;
                break;
        case 'V':
                args->verify_client = true;
                break;
        case 'w':
                args->www = true;
                break;
        case 'v':
                args->verbose = true;
                break;
        case 's':
                args->session_cache = server_number(value, 0, 1000000);
                break;
        case 't':
                args->timeout_s = server_number(value, 1, 86400);
                break;
        default:
                args->help = true;
                break;
        }
}

/* server_parse fills args; returns an exit status when the command ends here (help, usage error), else -1. */
static int server_parse(struct server_args *args, int argc, char **argv)
{
        args->listen = SERVER_DEFAULT_LISTEN;
        args->session_cache = SERVER_DEFAULT_CACHE;
        args->timeout_s = SERVER_DEFAULT_TIMEOUT_S;
        opterr = 0;
        int opt;
        while ((opt = getopt_long(argc, argv, ":vh", server_long_options, NULL)) != -1) {
                if (opt == ':')
                        return cmd_usage_error(SERVER_NAME, server_usage, "%s needs a value", argv[optind - 1]);
                if (opt == '?')
                        return cmd_usage_error(SERVER_NAME, server_usage, "unknown option %s", argv[optind - 1]);
                server_args_set(args, opt, optarg);
        }
        if (args->help) {
                printf("usage: %s\n\n%s", server_usage, server_description);
                return CMD_EXIT_OK;
        }
        if (optind < argc)
                return cmd_usage_error(SERVER_NAME, server_usage, "unexpected argument '%s'", argv[optind]);
        if (args->pair.sign_cert == NULL || args->pair.sign_key == NULL || args->pair.enc_cert == NULL ||
            args->pair.enc_key == NULL)
                return cmd_usage_error(SERVER_NAME, server_usage, "--sign-cert, --sign-key, --enc-cert and --enc-key are required");
        if (args->session_cache < 0)
                return cmd_usage_error(SERVER_NAME, server_usage, "--session-cache: expected a number 0..1000000");
        if (args->timeout_s < 0)
                return cmd_usage_error(SERVER_NAME, server_usage, "--timeout: expected seconds 1..86400");
        if (args->verify_client && args->cafile == NULL)
                return cmd_usage_error(SERVER_NAME, server_usage, "--verify-client needs --cafile (the roots that client certificates "
                                          "chain to)");
        return -1;
}

static int server_listen(struct server *server, struct err *err)
{
        struct net_address address;
        struct addrinfo *list = NULL;
        TRY(net_address_parse(&address, server->args.listen, 0, err));
        TRY(net_address_resolve(&list, &address, true, err));
        net_address_format(server->listen_text, &address);
        int status = SMT_ERR(err, SMT_EIO, "--listen %s: no address", server->listen_text);
        for (const struct addrinfo *ai = list; ai != NULL && status < 0; ai = ai->ai_next) {
                int one = 1;
                int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, ai->ai_protocol);
                if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
                    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) {
                        server->listen_fd = fd;
                        status = SMT_OK;
                } else {
                        status = SMT_ERR(err, SMT_EIO, "--listen %s: %s", server->listen_text, strerror(errno));
                        if (fd >= 0)
                                close(fd);
                }
        }
        net_address_free_list(list);
        return status;
}

static int server_setup(struct server *server, struct err *err)
{
        TRY(cmd_tlcp_pair_load(&server->pair, &server->args.pair, err));
        if (server->args.cafile != NULL)
                TRY(cert_store_load(&server->trust, server->args.cafile, err));
        if (server->args.cipher != NULL)
                TRY(cmd_tlcp_suites_parse(server->suites, &server->num_suites, server->args.cipher, err));
        if (server->args.session_cache > 0)
                TRY(tlcp_session_cache_new(&server->session_cache, (size_t)server->args.session_cache,
                                           SERVER_SESSION_LIFETIME_S, err));
        struct tlcp_config *config = &server->config;
        tlcp_config_init(config, TLCP_ROLE_SERVER);
        config->suites = server->args.cipher != NULL ? server->suites : NULL;
        config->num_suites = server->num_suites;
        config->credentials = &server->pair.credentials;
        config->trust = server->trust;
        config->verify_peer = server->trust != NULL;
        config->client_auth = server->args.verify_client ? TLCP_CLIENT_AUTH_REQUIRED
                              : server->trust != NULL    ? TLCP_CLIENT_AUTH_OPTIONAL
                                                         : TLCP_CLIENT_AUTH_NONE;
        config->session_cache = server->session_cache;
        if (server->trust == NULL && cmd_tlcp_suites_have_ecdhe(config->suites, config->num_suites))
                log_info("without --cafile no client certificate is asked for, so the ECDHE suites are not chosen");
        return server_listen(server, err);
}

static void server_on_signal(int signal_number)
{
        (void)signal_number;
        server_stop = 1;
}

static void server_install_signals(void)
{
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = server_on_signal;
        sigemptyset(&action.sa_mask);
        /* No SA_RESTART: a blocked poll() or accept() must return EINTR so the loop sees server_stop. */
        sigaction(SIGINT, &action, NULL);
        sigaction(SIGTERM, &action, NULL);
        signal(SIGPIPE, SIG_IGN);
}

/* server_message drops the "peer: " the stream put in front of a message, for log lines that name it. */
static const char *server_message(const struct net_tlcp_stream *stream, const struct err *err)
{
        size_t peer_len = strlen(stream->peer);
        if (strncmp(err->msg, stream->peer, peer_len) == 0 && strncmp(err->msg + peer_len, ": ", 2) == 0)
                return err->msg + peer_len + 2;
        return err->msg;
}

static void server_log_connection(const struct net_tlcp_stream *stream)
{
        const struct tlcp_suite *suite = tlcp_conn_get_suite(stream->conn);
        const char *server_name = tlcp_conn_get_server_name(stream->conn);
        char subject[CERT_NAME_TEXT_MAX];
        cmd_tlcp_subject(tlcp_conn_get_peer_sign_cert(stream->conn), subject);
        log_info("%s: %s, resumed %s, SNI %s, client certificate %s", stream->peer, suite != NULL ? suite->name : "?",
                 tlcp_conn_is_resumed(stream->conn) ? "yes" : "no", server_name != NULL ? server_name : "(none)",
                 subject);
}

/* server_describe writes the --www page: what the connection negotiated. */
static int server_describe(const struct net_tlcp_stream *stream, char *page, size_t page_cap)
{
        const struct tlcp_suite *suite = tlcp_conn_get_suite(stream->conn);
        const char *server_name = tlcp_conn_get_server_name(stream->conn);
        char sign_subject[CERT_NAME_TEXT_MAX], enc_subject[CERT_NAME_TEXT_MAX];
        cmd_tlcp_subject(tlcp_conn_get_peer_sign_cert(stream->conn), sign_subject);
        cmd_tlcp_subject(tlcp_conn_get_peer_enc_cert(stream->conn), enc_subject);
        return snprintf(page, page_cap,
                        "smtrust tlcp-server\n"
                        "protocol: TLCP 1.1 (0x%04X)\n"
                        "cipher suite: %s (0x%04X)\n"
                        "resumed: %s\n"
                        "server name (SNI): %s\n"
                        "client address: %s\n"
                        "client signing certificate: %s\n"
                        "client encryption certificate: %s\n",
                        TLCP_VERSION, suite != NULL ? suite->name : "?", suite != NULL ? (unsigned)suite->id : 0u,
                        tlcp_conn_is_resumed(stream->conn) ? "yes" : "no", server_name != NULL ? server_name : "(none)",
                        stream->peer, sign_subject, enc_subject);
}

/* server_read_request reads until the blank line that ends the request's headers (RFC 9112 §2.1). */
static int server_read_request(struct net_tlcp_stream *stream, struct buf_writer *request, struct err *err)
{
        uint8_t chunk[TLCP_MAX_PLAINTEXT];
        while (request->len < 4 || memmem(request->data, request->len, "\r\n\r\n", 4) == NULL) {
                size_t len = 0;
                TRY(net_tlcp_stream_read(stream, chunk, sizeof chunk, &len, err));
                if (buf_write_bytes(request, chunk, len) < 0)
                        return SMT_ERR(err, SMT_EDECODE, "request headers exceed %d bytes", SERVER_REQUEST_MAX);
        }
        return SMT_OK;
}

static int server_www_answer(struct net_tlcp_stream *stream, bool is_chunked, struct err *err)
{
        char page[SERVER_PAGE_MAX], answer[SERVER_PAGE_MAX + 256];
        int page_len = server_describe(stream, page, sizeof page);
        if (page_len < 0 || (size_t)page_len >= sizeof page)
                return SMT_ERR(err, SMT_EINTERNAL, "page does not fit");
        int len;
        if (is_chunked) {
                /* Two chunks and the last one, so the client's chunked decoding gets exercised. */
                int half = page_len / 2;
                len = snprintf(answer, sizeof answer,
                               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                               "Connection: close\r\n\r\n%x\r\n%.*s\r\n%x;ext=1\r\n%s\r\n0\r\n\r\n",
                               (unsigned)half, half, page, (unsigned)(page_len - half), page + half);
        } else {
                len = snprintf(answer, sizeof answer,
                               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                               "Connection: close\r\n\r\n%s",
                               page_len, page);
        }
        if (len < 0 || (size_t)len >= sizeof answer)
                return SMT_ERR(err, SMT_EINTERNAL, "answer does not fit");
        return net_tlcp_stream_write_all(stream, (const uint8_t *)answer, (size_t)len, err);
}

static int server_www(struct net_tlcp_stream *stream, struct err *err)
{
        struct buf_writer request;
        buf_writer_init_heap(&request, SERVER_REQUEST_MAX);
        int status = server_read_request(stream, &request, err);
        if (status == SMT_OK) {
                const uint8_t *line_end = memchr(request.data, '\r', request.len);
                size_t line_len = (size_t)(line_end - request.data); /* the request ends in CRLF CRLF */
                const uint8_t *space = memchr(request.data, ' ', line_len);
                bool is_chunked = space != NULL && (size_t)(space - request.data) + 9 <= line_len &&
                                  memcmp(space + 1, "/chunked", 8) == 0;
                log_debug("%s: request \"%.*s\"", stream->peer, (int)(line_len < 200 ? line_len : 200),
                          (const char *)request.data);
                status = server_www_answer(stream, is_chunked, err);
        }
        buf_writer_cleanup(&request);
        return status;
}

static int server_echo(struct net_tlcp_stream *stream, struct err *err)
{
        uint8_t chunk[TLCP_MAX_PLAINTEXT];
        for (;;) {
                size_t len = 0;
                int status = net_tlcp_stream_read(stream, chunk, sizeof chunk, &len, err);
                if (status == TLCP_ECLOSED)
                        return SMT_OK;
                TRY(status);
                TRY(net_tlcp_stream_write_all(stream, chunk, len, err));
        }
}

static void server_serve(struct server *server, int fd, const struct sockaddr *sa, socklen_t sa_len)
{
        struct net_tlcp_stream stream;
        struct err err = {0};
        net_tlcp_stream_init(&stream);
        stream.timeout_ms = (int)server->args.timeout_s * 1000;
        stream.cancel = &server_stop;
        int status = net_tlcp_stream_attach(&stream, fd, sa, sa_len, &err);
        if (status == SMT_OK)
                status = net_tlcp_stream_start(&stream, &server->config, &err);
        if (status == SMT_OK)
                status = net_tlcp_stream_handshake(&stream, &err);
        if (status < 0) {
                log_warning("%s: handshake failed: %s", stream.peer, server_message(&stream, &err));
        } else {
                server_log_connection(&stream);
                status = server->args.www ? server_www(&stream, &err) : server_echo(&stream, &err);
                if (status < 0)
                        log_warning("%s: %s", stream.peer, server_message(&stream, &err));
        }
        net_tlcp_stream_close(&stream);
}

static void server_run(struct server *server)
{
        while (!server_stop) {
                struct pollfd ready = {.fd = server->listen_fd, .events = POLLIN};
                if (poll(&ready, 1, -1) < 0) {
                        if (errno != EINTR)
                                log_error("poll: %s", strerror(errno));
                        continue;
                }
                struct sockaddr_storage peer;
                socklen_t peer_len = sizeof peer;
                int fd = accept4(server->listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
                if (fd >= 0) {
                        server_serve(server, fd, (const struct sockaddr *)&peer, peer_len);
                } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                        log_error("accept: %s", strerror(errno));
                        poll(NULL, 0, 100); /* let resources come back instead of spinning */
                }
        }
}

int cmd_tlcp_server_main(int argc, char **argv)
{
        struct server server;
        memset(&server, 0, sizeof server);
        server.listen_fd = -1;
        int exit_status = server_parse(&server.args, argc, argv);
        if (exit_status >= 0)
                return exit_status;
        if (server.args.verbose)
                log_set_level(LOG_LEVEL_DEBUG);
        struct err err = {0};
        server_install_signals();
        int status = server_setup(&server, &err);
        if (status == SMT_OK) {
                log_info("listening on %s (TLCP%s)", server.listen_text, server.args.www ? ", --www" : ", echo");
                server_run(&server);
                log_info("stopping");
        }
        if (server.listen_fd >= 0)
                close(server.listen_fd);
        tlcp_session_cache_free(server.session_cache);
        cert_store_free(server.trust);
        cmd_tlcp_pair_cleanup(&server.pair);
        return status == SMT_OK ? CMD_EXIT_OK : cmd_report(&err, SERVER_NAME);
}
