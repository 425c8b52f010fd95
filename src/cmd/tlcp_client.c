/* src/cmd/tlcp_client.c: `smtrust tlcp-client`: fetch an https URL over TLCP (GB/T 38636) like curl does:
 * the body to standard output, the status line and headers too with -i, connection facts with -v. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "cmd/cmd.h"
#include "net/tlcp_stream.h"
#include "tlcp/session_cache.h"

#define CLIENT_NAME               "tlcp-client"
#define CLIENT_CONNECT_TIMEOUT_MS 10000
#define CLIENT_IO_TIMEOUT_MS      30000

static const struct option client_long_options[] = {
    {"cafile", required_argument, NULL, 'a'},
    {"cipher", required_argument, NULL, 'c'},
    {"sign-cert", required_argument, NULL, 'S'},
    {"sign-key", required_argument, NULL, 'K'},
    {"enc-cert", required_argument, NULL, 'E'},
    {"enc-key", required_argument, NULL, 'N'},
    {"passphrase-file", required_argument, NULL, 'p'},
    {"resume", no_argument, NULL, 'r'},
    {"ecdhe-form", required_argument, NULL, 'f'},
    {"insecure", no_argument, NULL, 'k'},
    {"include", no_argument, NULL, 'i'},
    {"verbose", no_argument, NULL, 'v'},
    {"connect-timeout", required_argument, NULL, 't'},
    {"timeout", required_argument, NULL, 'T'},
    {"resolve", required_argument, NULL, 'R'},
    {"send", required_argument, NULL, 'D'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char client_usage[] =
    "smtrust tlcp-client URL [--cafile F] [--cipher NAME[,NAME...]] [--sign-cert F --sign-key F --enc-cert F\n"
    "        --enc-key F] [--passphrase-file F] [--resume] [--ecdhe-form tongsuo|gmssl] [--insecure] [-i] [-v]\n"
    "        [--connect-timeout S] [--timeout S] [--resolve HOST:PORT:ADDR]";

static const char client_description[] =
    "Fetches URL (https://host[:port]/path) over TLCP (GB/T 38636-2020) and writes the body to standard\n"
    "output; exits 0 on any HTTP response, 1 when the connection or the handshake fails.\n\n"
    "  --cafile F         trusted root certificates (PEM); required unless --insecure\n"
    "  --cipher LIST      suites to offer, in order: ECC_SM4_GCM_SM3, ECC_SM4_CBC_SM3, ECDHE_SM4_GCM_SM3,\n"
    "                     ECDHE_SM4_CBC_SM3 (ECDHE needs the client certificate pair)\n"
    "  --sign-cert/--sign-key/--enc-cert/--enc-key F\n"
    "                     the client's signing and encryption certificates and keys\n"
    "  --passphrase-file F the keys' passphrase on the first line\n"
    "  --resume           connect a second time offering the first connection's session\n"
    "  --ecdhe-form FORM  tongsuo or gmssl ClientKeyExchange/CertificateVerify (and, for ECC client\n"
    "                     authentication, the certificates sent); default: tongsuo, then gmssl once if\n"
    "                     the server rejects it\n"
    "  --insecure         do not verify the server's certificates\n"
    "  -i, --include      write the status line and headers before the body\n"
    "  -v, --verbose      describe the connection on standard error\n"
    "  --connect-timeout S, --timeout S\n"
    "                     seconds to wait for TCP connect (10) and for each step after it (30)\n"
    "  --resolve HOST:PORT:ADDR  connect to ADDR when the URL names HOST:PORT (like curl)\n"
    "  --send FILE        no HTTP: send FILE's bytes (- for standard input) and write what comes back until\n"
    "                     the server closes or sends nothing for --timeout seconds (a TCP service behind\n"
    "                     a TLCP terminator, like `openssl s_client` or `nc`)\n";

struct client_args {
        const char *url;
        const char *cafile;
        const char *cipher;
        struct cmd_tlcp_pair_files pair;
        const char *ecdhe_form;
        const char *resolve;
        const char *send; /* --send: raw bytes instead of an HTTP request */
        bool resume;
        bool insecure;
        bool include;
        bool verbose;
        bool help;
        int connect_timeout_ms;
        int timeout_ms;
};

struct client {
        struct client_args args;
        struct cmd_tlcp_url url;
        struct net_address connect_address; /* the URL's, or --resolve's */
        char peer[NET_ADDRESS_TEXT_MAX];    /* the URL's host:port, naming the server in messages */
        struct cert_store *trust;
        struct cmd_tlcp_pair pair;
        bool has_pair;
        uint16_t suites[CMD_TLCP_SUITES_MAX];
        size_t num_suites;
        enum tlcp_ecdhe_form form;
        bool is_form_fixed;
        struct tlcp_session session;
        bool has_session;
};

/* client_seconds reads a positive number of seconds (decimals allowed) as milliseconds, or -1. */
static int client_seconds(const char *text)
{
        char *end = NULL;
        double seconds = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(seconds) || seconds <= 0 || seconds > 86400)
                return -1;
        return (int)(seconds * 1000);
}

static void client_args_set(struct client_args *args, int opt, const char *value)
{
        if (cmd_tlcp_pair_option(&args->pair, opt, value))
                return;
        switch (opt) {
        case 'a':
                args->cafile = value;
                break;
        case 'c':
                args->cipher = value;
                break;
        case 'f':
                args->ecdhe_form = value;
                break;
        case 'R':
                args->resolve = value;
                break;
        case 'D':
                args->send = value;
                break;
        case 'r':
                args->resume = true;
                break;
        case 'k':
                args->insecure = true;
                break;
        case 'i':
                args->include = true;
                break;
        case 'v':
                args->verbose = true;
                break;
        case 't':
                args->connect_timeout_ms = client_seconds(value);
                break;
        case 'T':
                args->timeout_ms = client_seconds(value);
                break;
        default:
                args->help = true;
                break;
        }
}

static int client_check_args(const struct client_args *args)
{
        const struct cmd_tlcp_pair_files *pair = &args->pair;
        int given =
            (pair->sign_cert != NULL) + (pair->sign_key != NULL) + (pair->enc_cert != NULL) + (pair->enc_key != NULL);
        if (given != 0 && given != 4)
                return cmd_usage_error(CLIENT_NAME, client_usage, "a client certificate pair needs all of --sign-cert, --sign-key, "
                                          "--enc-cert and --enc-key");
        if (args->connect_timeout_ms < 0 || args->timeout_ms < 0)
                return cmd_usage_error(CLIENT_NAME, client_usage, "timeouts are positive numbers of seconds");
        if (args->ecdhe_form != NULL && strcmp(args->ecdhe_form, "tongsuo") != 0 &&
            strcmp(args->ecdhe_form, "gmssl") != 0)
                return cmd_usage_error(CLIENT_NAME, client_usage, "--ecdhe-form '%s': expected tongsuo or gmssl", args->ecdhe_form);
        if (args->cafile == NULL && !args->insecure)
                return cmd_usage_error(CLIENT_NAME, client_usage, "no trusted roots: give --cafile with the CA certificate that issued the "
                                          "server's certificates (there are no system SM2 roots), or --insecure");
        return -1;
}

/* client_parse fills args; returns an exit status when the command ends here (help, usage error), else -1. */
static int client_parse(struct client_args *args, int argc, char **argv)
{
        args->connect_timeout_ms = CLIENT_CONNECT_TIMEOUT_MS;
        args->timeout_ms = CLIENT_IO_TIMEOUT_MS;
        opterr = 0;
        int opt;
        while ((opt = getopt_long(argc, argv, ":ivhk", client_long_options, NULL)) != -1) {
                if (opt == ':')
                        return cmd_usage_error(CLIENT_NAME, client_usage, "%s needs a value", argv[optind - 1]);
                if (opt == '?')
                        return cmd_usage_error(CLIENT_NAME, client_usage, "unknown option %s", argv[optind - 1]);
                client_args_set(args, opt, optarg);
        }
        if (args->help) {
                printf("usage: %s\n\n%s", client_usage, client_description);
                return CMD_EXIT_OK;
        }
        if (optind + 1 != argc)
                return cmd_usage_error(CLIENT_NAME, client_usage, optind == argc ? "a URL is required" : "one URL only, got '%s' too",
                                          argv[argc - 1]);
        args->url = argv[optind];
        return client_check_args(args);
}

/* client_resolve_override applies --resolve HOST:PORT:ADDR when HOST:PORT is the URL's. */
static int client_resolve_override(struct client *client, struct err *err)
{
        client->connect_address = client->url.address;
        if (client->args.resolve == NULL)
                return SMT_OK;
        const char *text = client->args.resolve;
        const char *first = strchr(text, ':');
        const char *second = first != NULL ? strchr(first + 1, ':') : NULL;
        char host[NET_ADDRESS_HOST_MAX], port_text[8];
        uint16_t port = 0;
        if (second == NULL || (size_t)(first - text) >= sizeof host || (size_t)(second - first - 1) >= sizeof port_text)
                return SMT_ERR(err, SMT_EINVAL, "--resolve '%s': expected HOST:PORT:ADDRESS", text);
        snprintf(host, sizeof host, "%.*s", (int)(first - text), text);
        snprintf(port_text, sizeof port_text, "%.*s", (int)(second - first - 1), first + 1);
        TRY(net_address_port_parse(&port, port_text, err));
        if (strcasecmp(host, client->url.address.host) != 0 || port != client->url.address.port)
                return SMT_OK;
        char address[NET_ADDRESS_HOST_MAX];
        snprintf(address, sizeof address, "%s", second + 1);
        size_t len = strlen(address);
        if (len > 2 && address[0] == '[' && address[len - 1] == ']') {
                memmove(address, address + 1, len - 2);
                address[len - 2] = '\0';
        }
        if (!net_address_is_ip_literal(address))
                return SMT_ERR(err, SMT_EINVAL, "--resolve '%s': '%s' is not an IP address", text, address);
        snprintf(client->connect_address.host, sizeof client->connect_address.host, "%s", address);
        return SMT_OK;
}

/* client_pick_suites turns --cipher into the offered list; without a certificate pair the default offer
 * leaves out the ECDHE suites, which need one (GB/T 38636 §6.4.5.5). */
static int client_pick_suites(struct client *client, struct err *err)
{
        if (client->args.cipher != NULL) {
                TRY(cmd_tlcp_suites_parse(client->suites, &client->num_suites, client->args.cipher, err));
                if (!client->has_pair && cmd_tlcp_suites_have_ecdhe(client->suites, client->num_suites))
                        return SMT_ERR(err, SMT_EINVAL,
                                       "--cipher %s: the ECDHE suites need a client certificate "
                                       "pair (--sign-cert, --sign-key, --enc-cert, --enc-key)",
                                       client->args.cipher);
                return SMT_OK;
        }
        size_t num_all = 0;
        const struct tlcp_suite *all = tlcp_suite_all(&num_all);
        for (size_t i = 0; i < num_all && client->num_suites < CMD_TLCP_SUITES_MAX; i++)
                if (client->has_pair || all[i].key_exchange != TLCP_KEY_EXCHANGE_ECDHE)
                        client->suites[client->num_suites++] = (uint16_t)all[i].id;
        return SMT_OK;
}

static int client_setup(struct client *client, struct err *err)
{
        TRY(cmd_tlcp_url_parse(&client->url, client->args.url, err));
        net_address_format(client->peer, &client->url.address);
        TRY(client_resolve_override(client, err));
        if (client->args.cafile != NULL)
                TRY(cert_store_load(&client->trust, client->args.cafile, err));
        if (client->args.pair.sign_cert != NULL) {
                client->has_pair = true;
                TRY(cmd_tlcp_pair_load(&client->pair, &client->args.pair, err));
        }
        TRY(client_pick_suites(client, err));
        client->is_form_fixed = client->args.ecdhe_form != NULL;
        client->form = client->is_form_fixed && strcmp(client->args.ecdhe_form, "gmssl") == 0 ? TLCP_ECDHE_FORM_GMSSL
                                                                                              : TLCP_ECDHE_FORM_TONGSUO;
        return SMT_OK;
}

static void client_config(const struct client *client, struct tlcp_config *config, bool offer_session)
{
        tlcp_config_init(config, TLCP_ROLE_CLIENT);
        config->suites = client->suites;
        config->num_suites = client->num_suites;
        config->trust = client->trust;
        config->verify_peer = !client->args.insecure;
        config->server_name = client->url.address.host;
        config->client_credentials = client->has_pair ? &client->pair.credentials : NULL;
        config->ecdhe_form = client->form;
        config->resume = offer_session && client->has_session ? &client->session : NULL;
}

static const char *client_form_name(enum tlcp_ecdhe_form form)
{
        return form == TLCP_ECDHE_FORM_GMSSL ? "gmssl" : "tongsuo";
}

static void client_print_facts(const struct client *client, const struct net_tlcp_stream *stream)
{
        const struct tlcp_suite *suite = tlcp_conn_get_suite(stream->conn);
        const char *server_name = tlcp_conn_get_server_name(stream->conn);
        fprintf(stderr, "* protocol: TLCP 1.1 (0x%04X)\n", TLCP_VERSION);
        fprintf(stderr, "* cipher suite: %s (0x%04X)\n", suite != NULL ? suite->name : "?",
                suite != NULL ? (unsigned)suite->id : 0u);
        bool is_resumed = tlcp_conn_is_resumed(stream->conn);
        if (suite != NULL && suite->key_exchange == TLCP_KEY_EXCHANGE_ECDHE && !is_resumed)
                fprintf(stderr, "* ECDHE form: %s\n", client_form_name(client->form));
        /* RFC 6066 §3: an IP address is never sent as SNI; the certificates are still checked against it. */
        if (server_name == NULL || net_address_is_ip_literal(server_name))
                fprintf(stderr, "* server name (SNI): (none)\n");
        else
                fprintf(stderr, "* server name (SNI): %s\n", server_name);
        fprintf(stderr, "* resumed: %s\n", is_resumed ? "yes" : "no");
        if (is_resumed)
                fprintf(stderr, "* certificates: none sent (an abbreviated handshake reuses the verified session)\n");
        if (client->args.insecure)
                fprintf(stderr, "* certificates: not verified (--insecure)\n");
        const struct cert *sign_cert = tlcp_conn_get_peer_sign_cert(stream->conn);
        const struct cert *enc_cert = tlcp_conn_get_peer_enc_cert(stream->conn);
        if (sign_cert != NULL)
                (void)cmd_tlcp_print_cert(stderr, "server signing certificate", sign_cert);
        if (enc_cert != NULL)
                (void)cmd_tlcp_print_cert(stderr, "server encryption certificate", enc_cert);
}

/* client_should_retry_gmssl: the default Tongsuo form reached ECDHE and the server then refused it (an
 * alert, or a hang-up as GmSSL does), or an ECC server refused our certificates (a GmSSL server reads
 * them as one chain), so the GmSSL form is worth one more connection (tlcp-wire.md). */
static bool client_should_retry_gmssl(const struct client *client, const struct net_tlcp_stream *stream, int status)
{
        if (client->is_form_fixed || client->form != TLCP_ECDHE_FORM_TONGSUO || stream->conn == NULL)
                return false;
        const struct tlcp_suite *suite = tlcp_conn_get_suite(stream->conn);
        if (suite == NULL)
                return false;
        if (suite->key_exchange != TLCP_KEY_EXCHANGE_ECDHE)
                return tlcp_conn_is_ecdhe_form_refused(stream->conn);
        return status == TLCP_EPEER_ALERT || tlcp_conn_get_alert_received(stream->conn) >= 0 ||
               (status == SMT_EIO && stream->is_peer_closed);
}

static int client_connect_once(struct client *client, struct net_tlcp_stream *stream, const struct tlcp_config *config,
                               struct err *err)
{
        net_tlcp_stream_init(stream);
        stream->timeout_ms = client->args.timeout_ms;
        TRY(net_tlcp_stream_connect(stream, &client->connect_address, client->args.connect_timeout_ms, err));
        snprintf(stream->peer, sizeof stream->peer, "%s", client->peer);
        if (client->args.verbose)
                fprintf(stderr, "* connected to %s (%s)\n", client->peer, stream->peer_address);
        TRY(net_tlcp_stream_start(stream, config, err));
        return net_tlcp_stream_handshake(stream, err);
}

/* client_connect makes a TLCP connection, trying the GmSSL form once when the default one is refused.
 * config must outlive the stream (the connection borrows it). */
static int client_connect(struct client *client, struct net_tlcp_stream *stream, struct tlcp_config *config,
                          bool offer_session, struct err *err)
{
        client_config(client, config, offer_session);
        int status = client_connect_once(client, stream, config, err);
        if (status < 0 && client_should_retry_gmssl(client, stream, status)) {
                if (client->args.verbose)
                        fprintf(stderr, "* the tongsuo form failed (%s); trying the gmssl form\n", err->msg);
                net_tlcp_stream_close(stream);
                client->form = TLCP_ECDHE_FORM_GMSSL;
                client_config(client, config, offer_session);
                status = client_connect_once(client, stream, config, err);
        }
        return status;
}

static int client_write_response(const struct client *client, const struct cmd_tlcp_http_response *response,
                                 struct err *err)
{
        const uint8_t *body = NULL;
        size_t body_len = 0;
        cmd_tlcp_http_response_body(response, &body, &body_len);
        if (client->args.include && fwrite(response->raw.data, 1, response->head_len, stdout) != response->head_len)
                return SMT_ERR(err, SMT_EIO, "standard output: write failed");
        if (body_len > 0 && fwrite(body, 1, body_len, stdout) != body_len)
                return SMT_ERR(err, SMT_EIO, "standard output: write failed");
        if (fflush(stdout) != 0)
                return SMT_ERR(err, SMT_EIO, "standard output: write failed");
        return SMT_OK;
}

/* client_receive reads the response until it is complete or the server closes with close_notify. */
static int client_receive(struct net_tlcp_stream *stream, struct cmd_tlcp_http_response *response, struct err *err)
{
        uint8_t chunk[TLCP_MAX_PLAINTEXT];
        while (!response->is_complete) {
                size_t len = 0;
                int status = net_tlcp_stream_read(stream, chunk, sizeof chunk, &len, err);
                if (status == TLCP_ECLOSED)
                        return cmd_tlcp_http_response_end(response, err);
                TRY(status);
                TRY(cmd_tlcp_http_response_put(response, chunk, len, err));
        }
        return SMT_OK;
}

static int client_exchange(struct client *client, struct net_tlcp_stream *stream, struct err *err)
{
        struct buf_writer request;
        struct cmd_tlcp_http_response response;
        buf_writer_init_heap(&request, CMD_TLCP_PATH_MAX + 4096);
        cmd_tlcp_http_response_init(&response, CMD_IO_INPUT_MAX);
        int status = cmd_tlcp_http_request(&request, &client->url, "smtrust/" SMT_VERSION, err);
        if (status == SMT_OK)
                status = net_tlcp_stream_write_all(stream, request.data, request.len, err);
        if (status == SMT_OK)
                status = client_receive(stream, &response, err);
        if (status < 0 && err->msg[0] != '\0' && strncmp(err->msg, client->peer, strlen(client->peer)) != 0)
                (void)err_prefix(err, "%s", client->peer);
        if (status == SMT_OK && client->args.verbose)
                fprintf(stderr, "* HTTP status: %d\n", response.status_code);
        if (status == SMT_OK)
                status = client_write_response(client, &response, err);
        cmd_tlcp_http_response_cleanup(&response);
        buf_writer_cleanup(&request);
        return status;
}

/* client_send_raw sends --send's bytes and copies what comes back to standard output until the server
 * closes, or is silent for the I/O timeout (then the exchange is over, as for `nc -w`). */
static int client_send_raw(struct client *client, struct net_tlcp_stream *stream, struct err *err)
{
        uint8_t *data = NULL;
        size_t len = 0;
        TRY(cmd_io_read_input(&data, &len, client->args.send, CMD_IO_INPUT_MAX, err));
        int status = net_tlcp_stream_write_all(stream, data, len, err);
        file_free_contents(data, len);
        uint8_t chunk[TLCP_MAX_PLAINTEXT];
        while (status == SMT_OK) {
                size_t got = 0;
                status = net_tlcp_stream_read(stream, chunk, sizeof chunk, &got, err);
                if (status == TLCP_ECLOSED || (status == SMT_EIO && (stream->is_peer_closed || stream->is_timed_out)))
                        return SMT_OK;
                if (status == SMT_OK && fwrite(chunk, 1, got, stdout) != got)
                        status = SMT_ERR(err, SMT_EIO, "writing standard output failed");
                fflush(stdout);
        }
        return status;
}

/* client_fetch makes one connection, gets the URL and keeps the session for --resume. */
static int client_fetch(struct client *client, bool offer_session, struct err *err)
{
        struct net_tlcp_stream stream;
        struct tlcp_config config;
        int status = client_connect(client, &stream, &config, offer_session, err);
        if (status == SMT_OK && client->args.verbose)
                client_print_facts(client, &stream);
        if (status == SMT_OK) {
                const struct tlcp_session *session = tlcp_conn_get_session(stream.conn);
                client->has_session = session != NULL;
                if (session != NULL)
                        client->session = *session;
        }
        if (status == SMT_OK)
                status = client->args.send != NULL ? client_send_raw(client, &stream, err)
                                                   : client_exchange(client, &stream, err);
        net_tlcp_stream_close(&stream);
        return status;
}

int cmd_tlcp_client_main(int argc, char **argv)
{
        struct client client;
        memset(&client, 0, sizeof client);
        int exit_status = client_parse(&client.args, argc, argv);
        if (exit_status >= 0)
                return exit_status;
        if (client.args.insecure)
                fprintf(stderr, "smtrust: " CLIENT_NAME ": warning: --insecure: the server's certificates are not "
                                "verified\n");
        struct err err = {0};
        int status = client_setup(&client, &err);
        if (status == SMT_OK)
                status = client_fetch(&client, false, &err);
        if (status == SMT_OK && client.args.resume) {
                if (!client.has_session && client.args.verbose)
                        fprintf(stderr, "* no session to resume: the second connection is a full handshake\n");
                status = client_fetch(&client, true, &err);
        }
        tlcp_session_wipe(&client.session);
        cmd_tlcp_pair_cleanup(&client.pair);
        cert_store_free(client.trust);
        return status == SMT_OK ? CMD_EXIT_OK : cmd_report(&err, CLIENT_NAME);
}
