/* src/cmd/encrypt.c: `smtrust encrypt` and `smtrust decrypt`: argument parsing and output around
 * sm2_encrypt and sm2_decrypt (crypto/sm2.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/file.h"
#include "cmd/cmd.h"
#include "crypto/key.h"
#include "crypto/sm2.h"

static const struct option encrypt_long_options[] = {
    {"key", required_argument, NULL, 'k'},
    {"passphrase-file", required_argument, NULL, 'p'},
    {"format", required_argument, NULL, 'f'},
    {"in", required_argument, NULL, 'i'},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct encrypt_args {
        const char *key;
        const char *passphrase_file;
        const char *format_name;
        const char *in;
        const char *out;
        bool help;
        enum sm2_ciphertext_format format;
};

struct encrypt_command {
        const char *name;
        const char *usage;
        const char *description;
};

static const struct encrypt_command encrypt_command = {
    "encrypt",
    "smtrust encrypt --key PUB_OR_KEY [--passphrase-file F] [--format asn1|raw] [--in FILE] [--out CT]",
    "Encrypts FILE (standard input if none; at least 1 byte) to an SM2 public key (GB/T 32918.4) and\n"
    "writes the ciphertext to CT (standard output if none): asn1 is the GM/T 0009 DER SEQUENCE (the\n"
    "default, what `openssl pkeyutl` reads), raw is C1 || C3 || C2.\n",
};

static const struct encrypt_command decrypt_command = {
    "decrypt",
    "smtrust decrypt --key KEY [--passphrase-file F] [--format asn1|raw] [--in CT] [--out FILE]",
    "Decrypts the SM2 ciphertext in CT (standard input if none; --format as for encrypt, default asn1)\n"
    "with the private key and writes the plaintext to FILE (mode 0600; standard output if none).\n"
    "A changed ciphertext or one for another key writes nothing and exits 1.\n",
};

static void encrypt_args_set(struct encrypt_args *args, int opt, const char *value)
{
        switch (opt) {
        case 'k':
                args->key = value;
                break;
        case 'p':
                args->passphrase_file = value;
                break;
        case 'f':
                args->format_name = value;
                break;
        case 'i':
                args->in = value;
                break;
        case 'o':
                args->out = value;
                break;
        default:
                args->help = true;
                break;
        }
}

/* encrypt_parse fills args; returns an exit status when the command ends here (help, usage error), else -1. */
static int encrypt_parse(const struct encrypt_command *command, struct encrypt_args *args, int argc, char **argv)
{
        opterr = 0;
        int opt;
        while ((opt = getopt_long(argc, argv, ":k:p:f:i:o:h", encrypt_long_options, NULL)) != -1) {
                if (opt == ':')
                        return cmd_usage_error(command->name, command->usage, "%s needs a value", argv[optind - 1]);
                if (opt == '?')
                        return cmd_usage_error(command->name, command->usage, "unknown option %s", argv[optind - 1]);
                encrypt_args_set(args, opt, optarg);
        }
        if (args->help) {
                printf("usage: %s\n\n%s", command->usage, command->description);
                return CMD_EXIT_OK;
        }
        if (optind < argc)
                return cmd_usage_error(command->name, command->usage, "unexpected argument '%s'", argv[optind]);
        if (args->key == NULL)
                return cmd_usage_error(command->name, command->usage, "--key is required");
        if (args->format_name == NULL || strcmp(args->format_name, "asn1") == 0)
                args->format = SM2_CIPHERTEXT_ASN1;
        else if (strcmp(args->format_name, "raw") == 0)
                args->format = SM2_CIPHERTEXT_RAW;
        else
                return cmd_usage_error(command->name, command->usage, "--format %s: expected asn1 or raw", args->format_name);
        return -1;
}

/* encrypt_run loads the key and input, applies the operation into a heap writer and writes the result to
 * --out with mode; the writer is wiped whatever happens, since it may hold plaintext. */
static int encrypt_run(const struct encrypt_command *command, const struct encrypt_args *args, mode_t mode,
                       int (*operation)(const struct key *, struct buf_writer *, enum sm2_ciphertext_format,
                                        const uint8_t *, size_t, struct err *))
{
        struct err err = {0};
        struct key *key = NULL;
        uint8_t *in = NULL;
        size_t in_len = 0;
        struct buf_writer out;
        buf_writer_init_heap(&out, 0);
        int status = key_load(&key, args->key, args->passphrase_file, &err);
        if (status == SMT_OK)
                status = cmd_io_read_input(&in, &in_len, args->in, CMD_IO_INPUT_MAX, &err);
        if (status == SMT_OK) {
                buf_writer_init_heap(&out, in_len + SM2_CIPHERTEXT_ASN1_OVERHEAD_MAX);
                status = operation(key, &out, args->format, in, in_len, &err);
        }
        if (status == SMT_OK)
                status = cmd_io_write_output(args->out, out.data, out.len, mode, &err);
        buf_writer_cleanup(&out);
        file_free_contents(in, in_len);
        key_free(key);
        return status == SMT_OK ? CMD_EXIT_OK : cmd_report(&err, command->name);
}

int cmd_encrypt_main(int argc, char **argv)
{
        struct encrypt_args args = {0};
        int exit_status = encrypt_parse(&encrypt_command, &args, argc, argv);
        if (exit_status >= 0)
                return exit_status;
        return encrypt_run(&encrypt_command, &args, 0644, sm2_encrypt);
}

int cmd_decrypt_main(int argc, char **argv)
{
        struct encrypt_args args = {0};
        int exit_status = encrypt_parse(&decrypt_command, &args, argc, argv);
        if (exit_status >= 0)
                return exit_status;
        /* The plaintext is the secret the ciphertext protected. */
        return encrypt_run(&decrypt_command, &args, 0600, sm2_decrypt);
}
