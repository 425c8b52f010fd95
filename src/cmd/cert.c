/* src/cmd/cert.c: `smtrust cert req|issue|show|verify`: argument parsing and output around src/crypto/csr.h
 * and src/crypto/cert.h. `issue` is a plain issuing tool for tests and small set-ups (subject and names
 * copied from a verified request); the CA's profiles live in src/ca/. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "cmd/cmd.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

#define CERT_CMD_LIST_MAX 64
#define CERT_CMD_PEM_MAX  (4 * 1024 * 1024)

enum cert_opt {
        CERT_OPT_KEY = 256,
        CERT_OPT_CN,
        CERT_OPT_DNS,
        CERT_OPT_IP,
        CERT_OPT_EMAIL,
        CERT_OPT_ORG,
        CERT_OPT_COUNTRY,
        CERT_OPT_ENCRYPTION,
        CERT_OPT_OUT,
        CERT_OPT_PASSPHRASE_FILE,
        CERT_OPT_CSR,
        CERT_OPT_CA_CERT,
        CERT_OPT_CA_KEY,
        CERT_OPT_DAYS,
        CERT_OPT_HOURS,
        CERT_OPT_IS_CA,
        CERT_OPT_USAGE,
        CERT_OPT_CA_ROOTS,
        CERT_OPT_CHAIN,
        CERT_OPT_HOST,
        CERT_OPT_HELP,
};

struct cert_cmd_list {
        const char *values[CERT_CMD_LIST_MAX];
        size_t count;
};

struct cert_cmd_args {
        const char *key, *common_name, *organization, *country, *out, *passphrase_file;
        const char *csr, *ca_cert, *ca_key, *ca_roots, *chain, *host, *input;
        struct cert_cmd_list dns, ip, email, usage;
        const char *days, *hours;
        bool is_encryption, is_ca, is_help;
};

struct cert_cmd {
        const char *name;
        const char *title; /* "cert req": how messages name the sub-command */
        int (*run)(const struct cert_cmd *command, const struct cert_cmd_args *args);
        const struct option *options;
        bool has_input; /* takes one FILE operand */
        const char *usage;
        const char *help;          /* what --help adds below the usage line */
        enum cert_opt required[3]; /* options it needs (0: none) */
};

static const struct option cert_req_options[] = {
    {"key", required_argument, NULL, CERT_OPT_KEY},
    {"passphrase-file", required_argument, NULL, CERT_OPT_PASSPHRASE_FILE},
    {"cn", required_argument, NULL, CERT_OPT_CN},
    {"dns", required_argument, NULL, CERT_OPT_DNS},
    {"ip", required_argument, NULL, CERT_OPT_IP},
    {"email", required_argument, NULL, CERT_OPT_EMAIL},
    {"org", required_argument, NULL, CERT_OPT_ORG},
    {"country", required_argument, NULL, CERT_OPT_COUNTRY},
    {"encryption", no_argument, NULL, CERT_OPT_ENCRYPTION},
    {"out", required_argument, NULL, CERT_OPT_OUT},
    {"help", no_argument, NULL, CERT_OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const struct option cert_issue_options[] = {
    {"csr", required_argument, NULL, CERT_OPT_CSR},
    {"ca-cert", required_argument, NULL, CERT_OPT_CA_CERT},
    {"ca-key", required_argument, NULL, CERT_OPT_CA_KEY},
    {"passphrase-file", required_argument, NULL, CERT_OPT_PASSPHRASE_FILE},
    {"days", required_argument, NULL, CERT_OPT_DAYS},
    {"hours", required_argument, NULL, CERT_OPT_HOURS},
    {"ca", no_argument, NULL, CERT_OPT_IS_CA},
    {"usage", required_argument, NULL, CERT_OPT_USAGE},
    {"out", required_argument, NULL, CERT_OPT_OUT},
    {"help", no_argument, NULL, CERT_OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const struct option cert_show_options[] = {
    {"help", no_argument, NULL, CERT_OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const struct option cert_verify_options[] = {
    {"ca", required_argument, NULL, CERT_OPT_CA_ROOTS},
    {"chain", required_argument, NULL, CERT_OPT_CHAIN},
    {"host", required_argument, NULL, CERT_OPT_HOST},
    {"help", no_argument, NULL, CERT_OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int cert_req_run(const struct cert_cmd *command, const struct cert_cmd_args *args);
static int cert_issue_run(const struct cert_cmd *command, const struct cert_cmd_args *args);
static int cert_show_run(const struct cert_cmd *command, const struct cert_cmd_args *args);
static int cert_verify_run(const struct cert_cmd *command, const struct cert_cmd_args *args);

static const struct cert_cmd cert_commands[] = {
    {"req",
     "cert req",
     cert_req_run,
     cert_req_options,
     false,
     "smtrust cert req --key KEY [--cn NAME] [--dns NAME]... [--ip ADDR]... [--email ADDR]... [--org O] "
     "[--country CC] [--encryption] [--passphrase-file F] [-o CSR.pem]",
     "Makes a PKCS#10 request signed by KEY (SM2: SM2-with-SM3, ID 1234567812345678; EC: ECDSA; RSA: SHA-256),\n"
     "written as PEM to -o/--out or standard output. The CN defaults to the first --dns name. It asks keyUsage\n"
     "digitalSignature, or with --encryption keyEncipherment, dataEncipherment and keyAgreement: the SM2\n"
     "encryption certificate of a TLCP pair (GB/T 38636).\n",
     {CERT_OPT_KEY}},
    {"issue",
     "cert issue",
     cert_issue_run,
     cert_issue_options,
     false,
     "smtrust cert issue --csr CSR --ca-cert CA.crt --ca-key CA.key [--passphrase-file F] [--days N | --hours N] "
     "[--ca] [--usage server|client|email|code|ocsp|timestamp]... [-o CERT.pem]",
     "Checks the request's signature, then issues a certificate with its subject, names and requested keyUsage,\n"
     "signed by the CA (SM2 CAs sign SM2-with-SM3 with ID 1234567812345678). Valid from now for --days\n"
     "(default 90, 1825 with --ca) or --hours. --ca makes a CA certificate; each --usage adds an\n"
     "extendedKeyUsage purpose (none given: no extension). Written as PEM to -o/--out or standard output.\n",
     {CERT_OPT_CSR, CERT_OPT_CA_CERT, CERT_OPT_CA_KEY}},
    {"show",
     "cert show",
     cert_show_run,
     cert_show_options,
     true,
     "smtrust cert show CERT.pem",
     "Describes every certificate of a PEM (or DER) file: names, validity, key, SANs, usages, SHA-256.\n",
     {0}},
    {"verify",
     "cert verify",
     cert_verify_run,
     cert_verify_options,
     true,
     "smtrust cert verify CERT.pem --ca ROOTS.pem [--chain INTERMEDIATES.pem] [--host NAME]",
     "Checks the first certificate of CERT.pem (PEM or DER) chains to a root of ROOTS.pem, through the other\n"
     "certificates of CERT.pem and of --chain (RFC 5280 strict; SM2 with ID 1234567812345678) and, with --host,\n"
     "that it is valid for that name or address. Prints OK and exits 0, or prints the reason and exits 1.\n",
     {CERT_OPT_CA_ROOTS}},
};

static void cert_usage(FILE *out)
{
        fprintf(out, "usage:\n");
        for (size_t i = 0; i < sizeof cert_commands / sizeof cert_commands[0]; i++)
                fprintf(out, "  %s\n", cert_commands[i].usage);
        fprintf(out, "\n'smtrust cert SUB-COMMAND --help' describes one.\n");
}

/* --- arguments --- */

static int cert_list_add(const struct cert_cmd *command, struct cert_cmd_list *list, const char *value)
{
        if (list->count == CERT_CMD_LIST_MAX)
                return cmd_usage_error(command->title, command->usage, "more than %d values of one option",
                                       CERT_CMD_LIST_MAX);
        list->values[list->count++] = value;
        return -1;
}

/* Where each option's value goes: a file or name, a repeatable value, or a flag. */
enum cert_arg_kind {
        CERT_ARG_TEXT = 1,
        CERT_ARG_LIST = 2,
        CERT_ARG_FLAG = 3,
};

static const struct cert_arg_target {
        enum cert_opt option;
        enum cert_arg_kind kind;
        size_t offset;
} cert_arg_targets[] = {
    {CERT_OPT_KEY, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, key)},
    {CERT_OPT_CN, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, common_name)},
    {CERT_OPT_DNS, CERT_ARG_LIST, offsetof(struct cert_cmd_args, dns)},
    {CERT_OPT_IP, CERT_ARG_LIST, offsetof(struct cert_cmd_args, ip)},
    {CERT_OPT_EMAIL, CERT_ARG_LIST, offsetof(struct cert_cmd_args, email)},
    {CERT_OPT_ORG, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, organization)},
    {CERT_OPT_COUNTRY, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, country)},
    {CERT_OPT_ENCRYPTION, CERT_ARG_FLAG, offsetof(struct cert_cmd_args, is_encryption)},
    {CERT_OPT_OUT, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, out)},
    {CERT_OPT_PASSPHRASE_FILE, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, passphrase_file)},
    {CERT_OPT_CSR, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, csr)},
    {CERT_OPT_CA_CERT, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, ca_cert)},
    {CERT_OPT_CA_KEY, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, ca_key)},
    {CERT_OPT_DAYS, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, days)},
    {CERT_OPT_HOURS, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, hours)},
    {CERT_OPT_IS_CA, CERT_ARG_FLAG, offsetof(struct cert_cmd_args, is_ca)},
    {CERT_OPT_USAGE, CERT_ARG_LIST, offsetof(struct cert_cmd_args, usage)},
    {CERT_OPT_CA_ROOTS, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, ca_roots)},
    {CERT_OPT_CHAIN, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, chain)},
    {CERT_OPT_HOST, CERT_ARG_TEXT, offsetof(struct cert_cmd_args, host)},
    {CERT_OPT_HELP, CERT_ARG_FLAG, offsetof(struct cert_cmd_args, is_help)},
};

static const struct cert_arg_target *cert_arg_target(int option)
{
        for (size_t i = 0; i < sizeof cert_arg_targets / sizeof cert_arg_targets[0]; i++)
                if ((int)cert_arg_targets[i].option == option)
                        return &cert_arg_targets[i];
        return NULL;
}

/* cert_args_set stores one option; returns an exit status, or -1 to go on. */
static int cert_args_set(const struct cert_cmd *command, struct cert_cmd_args *args, int option, const char *value)
{
        const struct cert_arg_target *target = cert_arg_target(option);
        if (target == NULL)
                return cmd_usage_error(command->title, command->usage, "option %d has no destination", option);
        void *field = (char *)args + target->offset;
        switch (target->kind) {
        case CERT_ARG_TEXT:
                *(const char **)field = value;
                return -1;
        case CERT_ARG_LIST:
                return cert_list_add(command, field, value);
        case CERT_ARG_FLAG:
                *(bool *)field = true;
                return -1;
        }
        return -1;
}

/* cert_args_missing names the first required option of command not given, NULL when all are there. */
static const char *cert_args_missing(const struct cert_cmd *command, const struct cert_cmd_args *args)
{
        for (size_t i = 0; i < sizeof command->required / sizeof command->required[0]; i++) {
                const struct cert_arg_target *target = cert_arg_target((int)command->required[i]);
                if (target == NULL || *(const char *const *)((const char *)args + target->offset) != NULL)
                        continue;
                for (const struct option *o = command->options; o->name != NULL; o++)
                        if (o->val == (int)command->required[i])
                                return o->name;
        }
        return NULL;
}

static int cert_args_check(const struct cert_cmd *command, struct cert_cmd_args *args, int argc, char **argv)
{
        if (args->is_help) {
                printf("usage: %s\n\n%s", command->usage, command->help);
                return CMD_EXIT_OK;
        }
        const char *missing = cert_args_missing(command, args);
        if (missing != NULL)
                return cmd_usage_error(command->title, command->usage, "--%s is required", missing);
        if (args->days != NULL && args->hours != NULL)
                return cmd_usage_error(command->title, command->usage, "--days and --hours exclude each other");
        int num_operands = argc - optind;
        if (command->has_input && num_operands != 1)
                return cmd_usage_error(command->title, command->usage, "expected one FILE, got %d operands",
                                       num_operands);
        if (!command->has_input && num_operands != 0)
                return cmd_usage_error(command->title, command->usage, "unexpected operand '%s'", argv[optind]);
        if (command->has_input)
                args->input = argv[optind];
        return -1;
}

static int cert_args_parse(const struct cert_cmd *command, struct cert_cmd_args *args, int argc, char **argv)
{
        *args = (struct cert_cmd_args){0};
        optind = 0; /* GNU: restart scanning for this argv */
        opterr = 0;
        bool has_out = command->run == cert_req_run || command->run == cert_issue_run;
        int c;
        while ((c = getopt_long(argc, argv, has_out ? ":o:h" : ":h", command->options, NULL)) != -1) {
                if (c == '?')
                        return cmd_usage_error(command->title, command->usage, "unknown option '%s'", argv[optind - 1]);
                if (c == ':')
                        return cmd_usage_error(command->title, command->usage, "option '%s' needs a value",
                                               argv[optind - 1]);
                int status = cert_args_set(command, args,
                                           c == 'o'   ? CERT_OPT_OUT
                                           : c == 'h' ? CERT_OPT_HELP
                                                      : c,
                                           optarg);
                if (status >= 0)
                        return status;
        }
        return cert_args_check(command, args, argc, argv);
}

/* --- req --- */

static int cert_req_with(const struct cert_cmd_args *args, const struct key *key, struct err *err)
{
        struct csr_params params = {
            .key = key,
            .common_name = args->common_name != NULL ? args->common_name
                           : args->dns.count > 0     ? args->dns.values[0]
                                                     : NULL,
            .organization = args->organization,
            .country = args->country,
            .dns_names = args->dns.values,
            .num_dns_names = args->dns.count,
            .ip_addresses = args->ip.values,
            .num_ip_addresses = args->ip.count,
            .emails = args->email.values,
            .num_emails = args->email.count,
            .key_usage = args->is_encryption ? CERT_KEY_USAGE_KEY_ENCIPHERMENT | CERT_KEY_USAGE_DATA_ENCIPHERMENT |
                                                   CERT_KEY_USAGE_KEY_AGREEMENT
                                             : CERT_KEY_USAGE_DIGITAL_SIGNATURE,
        };
        struct csr *csr = NULL;
        struct buf_writer pem;
        TRY(csr_create(&csr, &params, err));
        buf_writer_init_heap(&pem, CSR_MAX * 2);
        int status = csr_write_pem(csr, &pem, err);
        if (status == SMT_OK)
                status = cmd_io_write_output(args->out, pem.data, pem.len, 0644, err);
        buf_writer_cleanup(&pem);
        csr_free(csr);
        return status;
}

static int cert_req_run(const struct cert_cmd *command, const struct cert_cmd_args *args)
{
        if (args->common_name == NULL && args->dns.count + args->ip.count + args->email.count == 0)
                return cmd_usage_error(command->title, command->usage,
                                       "give --cn or at least one --dns, --ip or --email");
        struct err err = {0};
        struct key *key = NULL;
        int status = key_load(&key, args->key, args->passphrase_file, &err);
        if (status == SMT_OK)
                status = cert_req_with(args, key, &err);
        key_free(key);
        return status == SMT_OK ? CMD_EXIT_OK : cmd_report(&err, command->title);
}

static int cert_issue_run(const struct cert_cmd *command, const struct cert_cmd_args *args)
{
        struct cmd_cert_issue_args issue = {
            .csr = args->csr,
            .ca_cert = args->ca_cert,
            .ca_key = args->ca_key,
            .passphrase_file = args->passphrase_file,
            .out = args->out,
            .days = args->days,
            .hours = args->hours,
            .usages = args->usage.values,
            .num_usages = args->usage.count,
            .is_ca = args->is_ca,
        };
        struct err err = {0};
        if (cmd_cert_issue(&issue, &err) < 0)
                return cmd_report(&err, command->title);
        return CMD_EXIT_OK;
}

/* --- certificate files, show --- */

/* cert_file_load reads every certificate of a PEM file, or the one of a DER file ("-": standard input). */
static int cert_file_load(struct cert_chain **out, const char *path, struct err *err)
{
        uint8_t *data = NULL;
        size_t len = 0;
        TRY(cmd_io_read_input(&data, &len, path, CERT_CMD_PEM_MAX, err));
        int status = SMT_OK;
        if (len > 0 && data[0] == 0x30) { /* a DER SEQUENCE, never the start of PEM text */
                struct cert *cert = NULL;
                status = cert_chain_new(out, err);
                if (status == SMT_OK)
                        status = cert_parse_der(&cert, data, len, err);
                if (status == SMT_OK)
                        status = cert_chain_append(*out, cert, err);
        } else {
                status = cert_chain_parse_pem(out, data, len, err);
        }
        file_free_contents(data, len);
        return status < 0 ? err_prefix(err, "%s", path) : SMT_OK;
}

static int cert_show_print(const struct cert_chain *chain, struct err *err)
{
        size_t count = cert_chain_count(chain);
        for (size_t i = 0; i < count; i++) {
                struct buf_writer text;
                buf_writer_init_heap(&text, 64 * 1024);
                int status = cert_describe(cert_chain_get(chain, i), &text, err);
                if (status == SMT_OK && count > 1)
                        printf("%sCertificate %zu of %zu:\n", i > 0 ? "\n" : "", i + 1, count);
                if (status == SMT_OK)
                        fwrite(text.data, 1, text.len, stdout);
                buf_writer_cleanup(&text);
                TRY(status);
        }
        return fflush(stdout) == 0 ? SMT_OK : SMT_ERR(err, SMT_EIO, "writing to standard output failed");
}

static int cert_show_run(const struct cert_cmd *command, const struct cert_cmd_args *args)
{
        struct err err = {0};
        struct cert_chain *chain = NULL;
        int status = cert_file_load(&chain, args->input, &err);
        if (status == SMT_OK)
                status = cert_show_print(chain, &err);
        cert_chain_free(chain);
        return status == SMT_OK ? CMD_EXIT_OK : cmd_report(&err, command->title);
}

/* --- verify --- */

/* cert_verify_add_copies appends copies of chain's certificates from index first on to out. */
static int cert_verify_add_copies(struct cert_chain *out, const struct cert_chain *chain, size_t first, struct err *err)
{
        for (size_t i = first; i < cert_chain_count(chain); i++) {
                struct cert *copy = NULL;
                TRY(cert_dup(&copy, cert_chain_get(chain, i), err));
                TRY(cert_chain_append(out, copy, err));
        }
        return SMT_OK;
}

static int cert_verify_with(const struct cert_chain *leaf_file, const struct cert_cmd_args *args, struct err *err)
{
        struct cert_store *store = NULL;
        struct cert_chain *extra = NULL, *intermediates = NULL;
        int status = cert_store_load(&store, args->ca_roots, err);
        if (status == SMT_OK && args->chain != NULL)
                status = cert_chain_load_pem(&extra, args->chain, err);
        if (status == SMT_OK)
                status = cert_chain_new(&intermediates, err);
        if (status == SMT_OK)
                status = cert_verify_add_copies(intermediates, leaf_file, 1, err);
        if (status == SMT_OK && extra != NULL)
                status = cert_verify_add_copies(intermediates, extra, 0, err);
        const struct cert *leaf = cert_chain_get(leaf_file, 0);
        if (status == SMT_OK)
                status = cert_verify_chain(store, leaf, intermediates, 0, NULL, err);
        if (status == SMT_OK && args->host != NULL)
                status = cert_check_host(leaf, args->host, err);
        cert_chain_free(intermediates);
        cert_chain_free(extra);
        cert_store_free(store);
        return status;
}

static int cert_verify_run(const struct cert_cmd *command, const struct cert_cmd_args *args)
{
        struct err err = {0};
        struct cert_chain *leaf_file = NULL;
        int status = cert_file_load(&leaf_file, args->input, &err);
        if (status == SMT_OK)
                status = cert_verify_with(leaf_file, args, &err);
        cert_chain_free(leaf_file);
        if (status < 0)
                return cmd_report(&err, command->title);
        printf("OK\n");
        return fflush(stdout) == 0 ? CMD_EXIT_OK : CMD_EXIT_FAILURE;
}

int cmd_cert_main(int argc, char **argv)
{
        if (argc < 2) {
                cert_usage(stderr);
                return CMD_EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                cert_usage(stdout);
                return CMD_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof cert_commands / sizeof cert_commands[0]; i++) {
                const struct cert_cmd *command = &cert_commands[i];
                if (strcmp(argv[1], command->name) != 0)
                        continue;
                struct cert_cmd_args args;
                int status = cert_args_parse(command, &args, argc - 1, argv + 1);
                if (status >= 0)
                        return status;
                return command->run(command, &args);
        }
        fprintf(stderr, "smtrust: cert: unknown sub-command '%s'\n", argv[1]);
        cert_usage(stderr);
        return CMD_EXIT_USAGE;
}
