/* src/cmd/ca.c: `smtrust ca init|check -c FILE` and `smtrust ca -c FILE` (serving: cmd/ca_serve.c). */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/authority.h"
#include "ca/config.h"
#include "cmd/cmd.h"

#define CA_NAME "ca"

static const char ca_usage[] = "smtrust ca [init|check] -c FILE";
static const char ca_description[] =
    "The certificate authority described by FILE (see examples/ca.yaml).\n\n"
    "  smtrust ca init -c FILE   make what FILE describes under its state_dir: the SM2 and ECC roots, every\n"
    "                            issuing CA, the admin CA, the CA's HTTPS certificate and an operator's client\n"
    "                            certificate for the CA API; existing files are kept, never overwritten\n"
    "  smtrust ca check -c FILE  report every problem of FILE, one per line (exit 1 when there is one)\n"
    "  smtrust ca -c FILE        serve ACME, the CA API, issuer certificates, CRLs and OCSP (foreground;\n"
    "                            SIGTERM or SIGINT stops)\n\n"
    "  -c, --config FILE  the configuration\n";

static void ca_print_errors(const struct config_errors *errors)
{
        for (size_t i = 0; i < errors->num; i++)
                fprintf(stderr, "%s\n", errors->list[i].text);
        if (errors->num_more > 0)
                fprintf(stderr, "... and %zu more problem(s)\n", errors->num_more);
}

static bool ca_was_created(const struct ca_init_report *report, const char *path)
{
        size_t num = report->num_created < 64 ? report->num_created : 64;
        for (size_t i = 0; i < num; i++)
                if (strcmp(report->created[i], path) == 0)
                        return true;
        return false;
}

static int ca_is_pem_file(const struct dirent *entry)
{
        size_t len = strlen(entry->d_name);
        return len > 4 &&
               (strcmp(entry->d_name + len - 4, ".crt") == 0 || strcmp(entry->d_name + len - 4, ".key") == 0);
}

/* Lists the files of the hierarchy that existed before (those init did not create). */
static void ca_print_kept(const struct ca_config *config, const struct ca_init_report *report)
{
        static const char *const folders[] = {"roots", "cas", "tls", "admin"};
        for (size_t f = 0; f < sizeof folders / sizeof folders[0]; f++) {
                char folder[1024], path[1536];
                struct dirent **entries = NULL;
                snprintf(folder, sizeof folder, "%s/%s", config->state_dir, folders[f]);
                int num = scandir(folder, &entries, ca_is_pem_file, alphasort);
                for (int i = 0; i < num; i++) {
                        snprintf(path, sizeof path, "%s/%s", folder, entries[i]->d_name);
                        if (!ca_was_created(report, path))
                                printf("kept    %s\n", path);
                        free(entries[i]);
                }
                free(entries);
        }
}

static int ca_init_main(const char *config_path)
{
        static struct config_errors errors;
        static struct ca_init_report report;
        struct ca_config config;
        struct err err = {0};
        if (ca_config_load(&config, config_path, &errors) < 0) {
                ca_print_errors(&errors);
                return CMD_EXIT_FAILURE;
        }
        int status = ca_init(&config, &report, &err);
        for (size_t i = 0; i < report.num_created && i < 64; i++)
                printf("created %s\n", report.created[i]);
        if (report.num_created > 64)
                printf("... and %zu more created\n", report.num_created - 64);
        else
                ca_print_kept(&config, &report);
        if (status == SMT_OK)
                printf("The operator's client certificate for the CA API: %s/admin/operator.crt (key "
                       "%s/admin/operator.key)\n",
                       config.state_dir, config.state_dir);
        ca_config_free(&config);
        return status < 0 ? cmd_report(&err, "ca init") : CMD_EXIT_OK;
}

static int ca_check_main(const char *config_path)
{
        static struct config_errors errors;
        struct ca_config config;
        if (ca_config_load(&config, config_path, &errors) < 0) {
                ca_print_errors(&errors);
                return CMD_EXIT_FAILURE;
        }
        printf("%s: ok (%zu issuing CAs, state in %s)\n", config_path, config.issuing_cas.num, config.state_dir);
        ca_config_free(&config);
        return CMD_EXIT_OK;
}

/* Reads -c FILE (and --help) from argv; returns -1 to go on, else the exit status. */
static int ca_parse_options(int argc, char **argv, const char **config)
{
        static const struct option options[] = {
            {"config", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        int opt;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
                if (opt == 'c') {
                        *config = optarg;
                } else if (opt == 'h') {
                        printf("usage: %s\n\n%s", ca_usage, ca_description);
                        return CMD_EXIT_OK;
                } else if (opt == ':') {
                        return cmd_usage_error(CA_NAME, ca_usage, "%s needs a value", argv[optind - 1]);
                } else {
                        return cmd_usage_error(CA_NAME, ca_usage, "unknown option %s", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cmd_usage_error(CA_NAME, ca_usage, "unexpected argument '%s'", argv[optind]);
        if (*config == NULL)
                return cmd_usage_error(CA_NAME, ca_usage, "-c FILE is required");
        return -1;
}

int cmd_ca_main(int argc, char **argv)
{
        const char *action = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
        if (action != NULL && strcmp(action, "init") != 0 && strcmp(action, "check") != 0)
                return cmd_usage_error(CA_NAME, ca_usage, "unknown action '%s' (init, check, or none to serve)",
                                       action);
        const char *config = NULL;
        int status =
            action != NULL ? ca_parse_options(argc - 1, argv + 1, &config) : ca_parse_options(argc, argv, &config);
        if (status >= 0)
                return status;
        if (action == NULL)
                return cmd_ca_serve(config);
        return strcmp(action, "init") == 0 ? ca_init_main(config) : ca_check_main(config);
}
