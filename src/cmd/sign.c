/* src/cmd/sign.c: `smtrust sign` and `smtrust verify`: argument parsing and output around sm2_sign and
 * sm2_verify (crypto/sm2.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "cmd/cmd.h"
#include "crypto/key.h"
#include "crypto/sm2.h"

/* A DER signature is at most SM2_SIGNATURE_MAX bytes; a bigger file is read only to be called malformed. */
#define SIGN_SIGNATURE_FILE_MAX 4096

static const struct option sign_long_options[] = {
    {"key", required_argument, NULL, 'k'}, {"passphrase-file", required_argument, NULL, 'p'},
    {"id", required_argument, NULL, 'I'},  {"in", required_argument, NULL, 'i'},
    {"out", required_argument, NULL, 'o'}, {"sig", required_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
};

struct sign_args {
        const char *key;
        const char *passphrase_file;
        const char *id;
        const char *in;
        const char *out;
        const char *sig;
        bool help;
};

struct sign_command {
        const char *name;
        const char *options; /* getopt's optstring: the options this command takes */
        const char *usage;
        const char *description;
};

static const struct sign_command sign_command = {
    "sign",
    ":k:p:I:i:o:h",
    "smtrust sign --key KEY [--passphrase-file F] [--id ID] [--in FILE] [--out SIG]",
    "Signs FILE (standard input if none) with an SM2 private key: SM3 over Z(ID) || message\n"
    "(GB/T 32918.2), written as DER SEQUENCE { r, s } to SIG (standard output if none).\n"
    "ID defaults to " SM2_DEFAULT_ID "; F holds the key's passphrase on its first line.\n",
};

static const struct sign_command verify_command = {
    "verify",
    ":k:p:I:i:s:h",
    "smtrust verify --key KEY_OR_PUB [--passphrase-file F] [--id ID] --sig SIG [--in FILE]",
    "Checks the DER SM2 signature in SIG over FILE (standard input if none) with the signer's public\n"
    "(or private) key and ID (default " SM2_DEFAULT_ID "). Prints \"verified\" and exits 0, or exits 1.\n",
};

static void sign_args_set(struct sign_args *args, int opt, const char *value)
{
        switch (opt) {
        case 'k':
                args->key = value;
                break;
        case 'p':
                args->passphrase_file = value;
                break;
        case 'I':
                args->id = value;
                break;
        case 'i':
                args->in = value;
                break;
        case 'o':
                args->out = value;
                break;
        case 's':
                args->sig = value;
                break;
        default:
                args->help = true;
                break;
        }
}

/* sign_parse fills args; returns an exit status when the command ends here (help, usage error), else -1. */
static int sign_parse(const struct sign_command *command, struct sign_args *args, int argc, char **argv)
{
        opterr = 0;
        int opt, index = -1;
        while ((opt = getopt_long(argc, argv, command->options, sign_long_options, &index)) != -1) {
                if (opt == ':')
                        return cmd_usage_error(command->name, command->usage, "%s needs a value", argv[optind - 1]);
                if (opt == '?')
                        return cmd_usage_error(command->name, command->usage, "unknown option %s", argv[optind - 1]);
                /* The options table is shared: --out belongs to sign only, --sig to verify only. */
                if (strchr(command->options + 1, opt) == NULL)
                        return cmd_usage_error(command->name, command->usage, "--%s is not an option of %s",
                                                index >= 0 ? sign_long_options[index].name : "?", command->name);
                sign_args_set(args, opt, optarg);
                index = -1;
        }
        if (args->help) {
                printf("usage: %s\n\n%s", command->usage, command->description);
                return CMD_EXIT_OK;
        }
        if (optind < argc)
                return cmd_usage_error(command->name, command->usage, "unexpected argument '%s'", argv[optind]);
        if (args->key == NULL)
                return cmd_usage_error(command->name, command->usage, "--key is required");
        return -1;
}

int cmd_sign_main(int argc, char **argv)
{
        struct sign_args args = {0};
        int exit_status = sign_parse(&sign_command, &args, argc, argv);
        if (exit_status >= 0)
                return exit_status;
        struct err err = {0};
        struct key *key = NULL;
        uint8_t *msg = NULL;
        size_t msg_len = 0, sig_len = 0;
        uint8_t sig[SM2_SIGNATURE_MAX];
        int status = key_load(&key, args.key, args.passphrase_file, &err);
        if (status == SMT_OK)
                status = cmd_io_read_input(&msg, &msg_len, args.in, CMD_IO_INPUT_MAX, &err);
        if (status == SMT_OK)
                status = sm2_sign(key, sig, &sig_len, args.id, msg, msg_len, &err);
        if (status == SMT_OK)
                status = cmd_io_write_output(args.out, sig, sig_len, 0644, &err);
        file_free_contents(msg, msg_len);
        key_free(key);
        return status == SMT_OK ? CMD_EXIT_OK : cmd_report(&err, "sign");
}

int cmd_verify_main(int argc, char **argv)
{
        struct sign_args args = {0};
        int exit_status = sign_parse(&verify_command, &args, argc, argv);
        if (exit_status >= 0)
                return exit_status;
        if (args.sig == NULL)
                return cmd_usage_error(verify_command.name, verify_command.usage, "--sig is required");
        if (cmd_io_is_standard(args.sig) && cmd_io_is_standard(args.in))
                return cmd_usage_error(verify_command.name, verify_command.usage, "--sig and the message cannot both be standard input");
        struct err err = {0};
        struct key *key = NULL;
        uint8_t *msg = NULL, *sig = NULL;
        size_t msg_len = 0, sig_len = 0;
        int status = key_load(&key, args.key, args.passphrase_file, &err);
        if (status == SMT_OK)
                status = cmd_io_read_input(&sig, &sig_len, args.sig, SIGN_SIGNATURE_FILE_MAX, &err);
        if (status == SMT_OK)
                status = cmd_io_read_input(&msg, &msg_len, args.in, CMD_IO_INPUT_MAX, &err);
        if (status == SMT_OK)
                status = sm2_verify(key, args.id, msg, msg_len, sig, sig_len, &err);
        file_free_contents(msg, msg_len);
        file_free_contents(sig, sig_len);
        key_free(key);
        if (status < 0)
                return cmd_report(&err, "verify");
        printf("verified\n");
        return fflush(stdout) == 0 ? CMD_EXIT_OK : CMD_EXIT_FAILURE;
}
