/* src/cmd/demo_pki.c: `smtrust demo-pki DIR [--name NAME]... [--days N]`: argument parsing and output around
 * src/gateway/demo_pki.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "gateway/demo_pki.h"

#define DEMO_PKI_USAGE "smtrust demo-pki DIR [--name NAME]... [--days N]"

enum demo_pki_opt {
        DEMO_PKI_OPT_NAME = 1,
        DEMO_PKI_OPT_DAYS = 2,
        DEMO_PKI_OPT_HELP = 3,
};

static const struct option demo_pki_long_options[] = {
    {"name", required_argument, NULL, DEMO_PKI_OPT_NAME},
    {"days", required_argument, NULL, DEMO_PKI_OPT_DAYS},
    {"help", no_argument, NULL, DEMO_PKI_OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct demo_pki_args {
        const char *dir;
        const char *names[GW_DEMO_PKI_NAMES_MAX];
        struct gw_demo_pki_params params;
        bool wants_help;
};

static void demo_pki_help(void)
{
        printf("usage: %s\n\n"
               "Creates a demo PKI in DIR for trying the gateway on this machine: an SM2 root and an ECC root\n"
               "(P-256), the SM2 signing and encryption certificates of a site (TLCP) and its ECC certificate\n"
               "(TLS). Files that exist are never replaced: run again, it says the PKI is already there.\n\n"
               "  --name NAME  a host name or IP address for the site certificates, repeatable (at most %d;\n"
               "               default: localhost, 127.0.0.1 and ::1); the first is the subject CN\n"
               "  --days N     site certificate validity in days, 1..%d (default %d; roots: 10 years)\n",
               DEMO_PKI_USAGE, GW_DEMO_PKI_NAMES_MAX, GW_DEMO_PKI_DAYS_MAX, GW_DEMO_PKI_DAYS_DEFAULT);
}

static int demo_pki_parse_days(const char *text, int *out)
{
        char *end = NULL;
        errno = 0;
        long days = strtol(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || days < 1 || days > GW_DEMO_PKI_DAYS_MAX)
                return cmd_usage_error("demo-pki", DEMO_PKI_USAGE, "--days: expected 1..%d, got \"%s\"",
                                       GW_DEMO_PKI_DAYS_MAX, text);
        *out = (int)days;
        return -1;
}

/* demo_pki_parse returns an exit status when parsing ends the command, else -1. */
static int demo_pki_parse(struct demo_pki_args *args, int argc, char **argv)
{
        optind = 0; /* GNU: restart scanning for this argv */
        opterr = 0;
        int c, status = -1;
        while (status < 0 && (c = getopt_long(argc, argv, ":h", demo_pki_long_options, NULL)) != -1) {
                if (c == '?')
                        return cmd_usage_error("demo-pki", DEMO_PKI_USAGE, "unknown option '%s'", argv[optind - 1]);
                if (c == ':')
                        return cmd_usage_error("demo-pki", DEMO_PKI_USAGE, "option '%s' needs a value",
                                               argv[optind - 1]);
                if (c == 'h' || c == DEMO_PKI_OPT_HELP)
                        args->wants_help = true;
                else if (c == DEMO_PKI_OPT_DAYS)
                        status = demo_pki_parse_days(optarg, &args->params.days);
                else if (args->params.num_names == GW_DEMO_PKI_NAMES_MAX)
                        return cmd_usage_error("demo-pki", DEMO_PKI_USAGE, "at most %d --name options",
                                               GW_DEMO_PKI_NAMES_MAX);
                else
                        args->names[args->params.num_names++] = optarg;
        }
        if (status >= 0)
                return status;
        if (args->wants_help) {
                demo_pki_help();
                return CMD_EXIT_OK;
        }
        if (argc - optind != 1)
                return cmd_usage_error("demo-pki", DEMO_PKI_USAGE, "expected one DIR, got %d operands", argc - optind);
        args->dir = argv[optind];
        args->params.names = args->names;
        return -1;
}

static void demo_pki_print_created(const struct demo_pki_args *args)
{
        int days = args->params.days != 0 ? args->params.days : GW_DEMO_PKI_DAYS_DEFAULT;
        printf("%s: demo PKI created (site certificates valid %d days for ", args->dir, days);
        if (args->params.num_names == 0)
                printf("localhost, 127.0.0.1, ::1");
        for (size_t i = 0; i < args->params.num_names; i++)
                printf("%s%s", i == 0 ? "" : ", ", args->names[i]);
        printf(")\n");
        for (size_t i = 0; gw_demo_pki_file_name(i) != NULL; i++)
                printf("  %s/%s\n", args->dir, gw_demo_pki_file_name(i));
        printf("TLS clients trust %s/%s (curl --cacert), TLCP clients %s/%s (smtrust tlcp-client --cafile).\n",
               args->dir, GW_DEMO_PKI_ECC_ROOT_CERT, args->dir, GW_DEMO_PKI_SM2_ROOT_CERT);
}

int cmd_demo_pki_main(int argc, char **argv)
{
        struct demo_pki_args args = {0};
        int status = demo_pki_parse(&args, argc, argv);
        if (status >= 0)
                return status;
        struct err err = {0};
        enum gw_demo_pki_result result;
        if (gw_demo_pki_create(args.dir, &args.params, &result, &err) < 0)
                return cmd_report(&err, "demo-pki");
        if (result == GW_DEMO_PKI_ALREADY_PRESENT)
                printf("%s: demo PKI already present\n", args.dir);
        else
                demo_pki_print_created(&args);
        return CMD_EXIT_OK;
}
