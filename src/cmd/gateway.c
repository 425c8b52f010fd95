/* src/cmd/gateway.c: `smtrust gateway -c FILE [--check]`: runs the gateway in the foreground. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "gateway/server.h"

#define GATEWAY_NAME "gateway"

static const char gateway_usage[] = "smtrust gateway -c FILE [--check]";
static const char gateway_description[] =
    "Terminates HTTPS for the sites in FILE (TLCP with SM2 certificate pairs and TLS 1.2/1.3 with ECC/RSA on\n"
    "the same port) and forwards requests to their origins. Runs in the foreground; logs to standard error\n"
    "unless the file says otherwise.\n\n"
    "  -c, --config FILE  the configuration (see examples/gateway.yaml)\n"
    "  --check            load FILE and every certificate and key it names, report, and exit\n\n"
    "Signals: SIGHUP reloads FILE and the certificates (a bad file is refused and the running one stays),\n"
    "SIGUSR1 reopens the log files, SIGTERM or SIGINT stops after open requests finish.\n";

static void gateway_print_errors(const struct config_errors *errors)
{
        for (size_t i = 0; i < errors->num; i++)
                fprintf(stderr, "%s\n", errors->list[i].text);
        if (errors->num_more > 0)
                fprintf(stderr, "... and %zu more problem(s)\n", errors->num_more);
}

int cmd_gateway_main(int argc, char **argv)
{
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
