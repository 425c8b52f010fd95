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

/* gateway_options reads -c FILE and one switch (flag: "check" or "json") for the command name: 0 to go on,
 * else *exit_status is set (help printed or a usage error reported). */
static int gateway_options(int argc, char **argv, const char *name, const char *usage, const char *flag,
                           const char **config, bool *is_flag_set, int *exit_status)
{
        const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { flag, no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int opt;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
                if (opt == 'c') {
                        *config = optarg;
                } else if (opt == 'f') {
                        *is_flag_set = true;
                } else if (opt == 'h') {
                        printf("usage: %s\n\n%s", usage, gateway_description);
                        *exit_status = CMD_EXIT_OK;
                        return -1;
                } else {
                        *exit_status = cmd_usage_error(name, usage, opt == ':' ? "%s needs a value" : "unknown option %s",
                                                       argv[optind - 1]);
                        return -1;
                }
        }
        if (*config == NULL)
                *exit_status = cmd_usage_error(name, usage, "-c FILE is required");
        else if (optind < argc)
                *exit_status = cmd_usage_error(name, usage, "unexpected argument '%s'", argv[optind]);
        else
                return 0;
        return -1;
}

int cmd_gateway_main(int argc, char **argv)
{
        const char *config = NULL;
        bool is_flag_set = false;
        int exit_status = CMD_EXIT_OK;
        if (argc > 1 && strcmp(argv[1], "status") == 0) {
                if (gateway_options(argc - 1, argv + 1, GATEWAY_NAME " status", gateway_status_usage, "json", &config,
                                    &is_flag_set, &exit_status) < 0)
                        return exit_status;
                return gateway_status(config, is_flag_set);
        }
        if (gateway_options(argc, argv, GATEWAY_NAME, gateway_usage, "check", &config, &is_flag_set, &exit_status) < 0)
                return exit_status;
        bool check = is_flag_set;
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
