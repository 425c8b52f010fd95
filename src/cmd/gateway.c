/* src/cmd/gateway.c: `smtrust gateway -c FILE [--check]`: runs the gateway in the foreground;
 * `smtrust gateway status -c FILE [--json]`: the certificates of the one running (gateway/status_client.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "gateway/server.h"
#include "gateway/status_client.h"

#define GATEWAY_NAME "gateway"

static const char gateway_usage[] = "smtrust gateway -c FILE [--check] | smtrust gateway status -c FILE [--json]";
static const char gateway_status_usage[] = "smtrust gateway status -c FILE [--json]";
static const char gateway_description[] =
    "Terminates HTTPS for the sites in FILE (TLCP with SM2 certificate pairs and TLS 1.2/1.3 with ECC/RSA on\n"
    "the same port) and forwards requests to their origins. Runs in the foreground; logs to standard error\n"
    "unless the file says otherwise.\n\n"
    "  -c, --config FILE  the configuration (see examples/gateway.yaml)\n"
    "  --check            load FILE and every certificate and key it names, report, and exit\n\n"
    "smtrust gateway status -c FILE [--json] asks the gateway running with FILE, at its admin.listen, for the\n"
    "certificates it obtains by ACME (sites with certificates: auto): per site and kind (ecc, sm2) the\n"
    "algorithm, issuer, expiry, next renewal and last error; then the OCSP staples of the sites' ECC/RSA\n"
    "certificates: stapled or not, OCSP status, nextUpdate, next fetch and last error. --json prints\n"
    "GET /certificates' document.\n\n"
    "Signals: SIGHUP reloads FILE and the certificates (a bad file is refused and the running one stays),\n"
    "SIGUSR1 reopens the log files, SIGTERM or SIGINT stops after open requests finish.\n";

static void gateway_print_errors(const struct config_errors *errors)
{
        for (size_t i = 0; i < errors->num; i++)
                fprintf(stderr, "%s\n", errors->list[i].text);
        if (errors->num_more > 0)
                fprintf(stderr, "... and %zu more problem(s)\n", errors->num_more);
}

static int gateway_status(const char *config, bool is_json)
{
        static struct config_errors errors;
        struct err err = { 0 };
        struct buf_writer doc, table;
        buf_writer_init_heap(&doc, (size_t)16 << 20);
        buf_writer_init_heap(&table, (size_t)16 << 20);
        int status = gw_status_client_get(&doc, config, &errors, &err);
        if (status == SMT_OK && !is_json)
                status = gw_status_client_table(&table, doc.data, doc.len, &err);
        if (status == SMT_OK) {
                const struct buf_writer *shown = is_json ? &doc : &table;
                fwrite(shown->data, 1, shown->len, stdout);
        } else if (errors.num > 0) {
                gateway_print_errors(&errors);
        } else {
                cmd_report(&err, GATEWAY_NAME " status");
        }
        buf_writer_cleanup(&doc);
        buf_writer_cleanup(&table);
        return status == SMT_OK ? CMD_EXIT_OK : CMD_EXIT_FAILURE;
}

/* `smtrust gateway status -c FILE [--json]`; argv[0] is "status". */
static int gateway_status_main(int argc, char **argv)
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *config = NULL;
        bool is_json = false;
        int opt;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
                if (opt == 'c') {
                        config = optarg;
                } else if (opt == 'j') {
                        is_json = true;
                } else if (opt == 'h') {
                        printf("usage: %s\n\n%s", gateway_status_usage, gateway_description);
                        return CMD_EXIT_OK;
                } else {
                        return cmd_usage_error(GATEWAY_NAME " status", gateway_status_usage,
                                               opt == ':' ? "%s needs a value" : "unknown option %s", argv[optind - 1]);
                }
        }
        if (config == NULL)
                return cmd_usage_error(GATEWAY_NAME " status", gateway_status_usage, "-c FILE is required");
        if (optind < argc)
                return cmd_usage_error(GATEWAY_NAME " status", gateway_status_usage, "unexpected argument '%s'",
                                       argv[optind]);
        return gateway_status(config, is_json);
}

int cmd_gateway_main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "status") == 0)
                return gateway_status_main(argc - 1, argv + 1);
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *config = NULL;
        bool check = false;
        int opt;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
                if (opt == 'c') {
                        config = optarg;
                } else if (opt == 'k') {
                        check = true;
                } else if (opt == 'h') {
                        printf("usage: %s\n\n%s", gateway_usage, gateway_description);
                        return CMD_EXIT_OK;
                } else if (opt == ':') {
                        return cmd_usage_error(GATEWAY_NAME, gateway_usage, "%s needs a value", argv[optind - 1]);
                } else {
                        return cmd_usage_error(GATEWAY_NAME, gateway_usage, "unknown option %s", argv[optind - 1]);
                }
        }
        if (config == NULL)
                return cmd_usage_error(GATEWAY_NAME, gateway_usage, "-c FILE is required");
        if (optind < argc)
                return cmd_usage_error(GATEWAY_NAME, gateway_usage, "unexpected argument '%s'", argv[optind]);
        static struct config_errors errors;
        struct err err = { 0 };
        if (check) {
                char summary[128];
                if (gw_server_check(config, summary, sizeof summary, &errors, &err) < 0) {
                        if (errors.num > 0) {
                                gateway_print_errors(&errors);
                                return CMD_EXIT_FAILURE;
                        }
                        return cmd_report(&err, config);
                }
                printf("%s: ok (%s)\n", config, summary);
                return CMD_EXIT_OK;
        }
        if (gw_server_run(config, &errors, &err) < 0) {
                if (errors.num > 0) {
                        gateway_print_errors(&errors);
                        return CMD_EXIT_FAILURE;
                }
                return cmd_report(&err, GATEWAY_NAME);
        }
        return CMD_EXIT_OK;
}
