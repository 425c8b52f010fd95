/* src/cmd/key.c: `smtrust key gen|show|pub|convert`: argument parsing and output around src/crypto/key.h. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "crypto/key.h"

enum key_opt {
        KEY_OPT_ALG = 1 << 0,
        KEY_OPT_OUT = 1 << 1,
        KEY_OPT_PUB_OUT = 1 << 2,
        KEY_OPT_DER = 1 << 3,
        KEY_OPT_PEM = 1 << 4,
        KEY_OPT_PASSPHRASE_FILE = 1 << 5,
        KEY_OPT_OUT_PASSPHRASE_FILE = 1 << 6,
        KEY_OPT_FORCE = 1 << 7,
        KEY_OPT_HELP = 1 << 8,
};

static const struct option key_long_options[] = {
    {"alg", required_argument, NULL, KEY_OPT_ALG},
    {"out", required_argument, NULL, KEY_OPT_OUT},
    {"pub-out", required_argument, NULL, KEY_OPT_PUB_OUT},
    {"der", no_argument, NULL, KEY_OPT_DER},
    {"pem", no_argument, NULL, KEY_OPT_PEM},
    {"passphrase-file", required_argument, NULL, KEY_OPT_PASSPHRASE_FILE},
    {"out-passphrase-file", required_argument, NULL, KEY_OPT_OUT_PASSPHRASE_FILE},
    {"force", no_argument, NULL, KEY_OPT_FORCE},
    {"help", no_argument, NULL, KEY_OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct key_args {
        const char *alg;
        const char *out;
        const char *pub_out;
        const char *passphrase_file;
        const char *out_passphrase_file;
        const char *input;
        unsigned seen; /* enum key_opt bits given on the command line */
};

struct key_command {
        const char *name;
        const char *title; /* "key gen": how messages name the sub-command */
        int (*run)(const struct key_command *command, const struct key_args *args);
        unsigned allowed;  /* enum key_opt bits this sub-command takes */
        unsigned required; /* ... and those it needs */
        bool has_input;    /* takes one FILE operand */
        const char *usage;
};

static int key_gen_run(const struct key_command *command, const struct key_args *args);
static int key_show_run(const struct key_command *command, const struct key_args *args);
static int key_pub_run(const struct key_command *command, const struct key_args *args);
static int key_convert_run(const struct key_command *command, const struct key_args *args);

static const struct key_command key_commands[] = {
    {"gen", "key gen", key_gen_run,
     KEY_OPT_ALG | KEY_OPT_OUT | KEY_OPT_PUB_OUT | KEY_OPT_DER | KEY_OPT_PASSPHRASE_FILE | KEY_OPT_FORCE, KEY_OPT_ALG,
     false,
     "smtrust key gen --alg sm2|ec-p256|ec-p384|rsa-2048|rsa-3072 [-o FILE] [--pub-out FILE] [--der] "
     "[--passphrase-file F] [--force]"},
    {"show", "key show", key_show_run, KEY_OPT_PASSPHRASE_FILE, 0, true, "smtrust key show FILE [--passphrase-file F]"},
    {"pub", "key pub", key_pub_run, KEY_OPT_OUT | KEY_OPT_DER | KEY_OPT_PASSPHRASE_FILE | KEY_OPT_FORCE, 0, true,
     "smtrust key pub FILE [-o OUT] [--der] [--passphrase-file F] [--force]"},
    {"convert", "key convert", key_convert_run,
     KEY_OPT_OUT | KEY_OPT_DER | KEY_OPT_PEM | KEY_OPT_PASSPHRASE_FILE | KEY_OPT_OUT_PASSPHRASE_FILE | KEY_OPT_FORCE,
     KEY_OPT_OUT, true,
     "smtrust key convert FILE -o OUT [--der|--pem] [--passphrase-file F] [--out-passphrase-file F] "
     "[--force]"},
};

static void key_usage(FILE *out)
{
        fprintf(out, "usage:\n");
        for (size_t i = 0; i < sizeof key_commands / sizeof key_commands[0]; i++)
                fprintf(out, "  %s\n", key_commands[i].usage);
        fprintf(out, "\nPrivate keys are PKCS#8 (encrypted with --passphrase-file: first line of F), public keys\n"
                     "SubjectPublicKeyInfo, PEM unless --der; key files are written 0600.\n");
}

static int key_report(const struct key_command *command, const struct err *err)
{
        return cmd_report(err, command->title);
}

static const char *key_option_name(unsigned bit)
{
        for (size_t i = 0; key_long_options[i].name != NULL; i++)
                if ((unsigned)key_long_options[i].val == bit)
                        return key_long_options[i].name;
        return "?";
}

static void key_args_set(struct key_args *args, unsigned bit, const char *value)
{
        args->seen |= bit;
        if (bit == KEY_OPT_ALG)
                args->alg = value;
        else if (bit == KEY_OPT_OUT)
                args->out = value;
        else if (bit == KEY_OPT_PUB_OUT)
                args->pub_out = value;
        else if (bit == KEY_OPT_PASSPHRASE_FILE)
                args->passphrase_file = value;
        else if (bit == KEY_OPT_OUT_PASSPHRASE_FILE)
                args->out_passphrase_file = value;
}

/* key_args_check applies the sub-command's rules once getopt is done; returns an exit status or -1. */
static int key_args_check(const struct key_command *command, struct key_args *args, int argc, char **argv)
{
        if (args->seen & KEY_OPT_HELP) {
                printf("usage: %s\n", command->usage);
                return CMD_EXIT_OK;
        }
        unsigned missing = command->required & ~args->seen;
        if (missing != 0)
                return cmd_usage_error(command->title, command->usage, "--%s is required", key_option_name(missing & -missing));
        if ((args->seen & KEY_OPT_DER) && (args->seen & KEY_OPT_PEM))
                return cmd_usage_error(command->title, command->usage, "--der and --pem exclude each other");
        int num_operands = argc - optind;
        if (command->has_input && num_operands != 1)
                return cmd_usage_error(command->title, command->usage, "expected one FILE, got %d operands", num_operands);
        if (!command->has_input && num_operands != 0)
                return cmd_usage_error(command->title, command->usage, "unexpected operand '%s'", argv[optind]);
        if (command->has_input)
                args->input = argv[optind];
        return -1;
}

static int key_args_parse(const struct key_command *command, struct key_args *args, int argc, char **argv)
{
        *args = (struct key_args){0};
        optind = 0; /* GNU: restart scanning for this argv */
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":o:h", key_long_options, NULL)) != -1) {
                unsigned bit = c == 'o' ? KEY_OPT_OUT : c == 'h' ? KEY_OPT_HELP : (unsigned)c;
                if (c == '?')
                        return cmd_usage_error(command->title, command->usage, "unknown option '%s'", argv[optind - 1]);
                if (c == ':')
                        return cmd_usage_error(command->title, command->usage, "option '%s' needs a value", argv[optind - 1]);
                if (bit != KEY_OPT_HELP && !(command->allowed & bit))
                        return cmd_usage_error(command->title, command->usage, "option --%s does not apply", key_option_name(bit));
                key_args_set(args, bit, optarg);
        }
        return key_args_check(command, args, argc, argv);
}

static enum key_format key_args_format(const struct key_args *args)
{
        return (args->seen & KEY_OPT_DER) ? KEY_FORMAT_DER : KEY_FORMAT_PEM;
}

static int key_write_stdout(struct buf_writer *data, struct err *err)
{
        if (fwrite(data->data, 1, data->len, stdout) != data->len || fflush(stdout) != 0)
                return SMT_ERR(err, SMT_EIO, "writing to standard output failed");
        return SMT_OK;
}

/* key_refuse_existing fails early, before a slow key generation, when an output exists and --force is
 * not given; key_save_* check again atomically. */
static int key_refuse_existing(const struct key_args *args, const char *path, struct err *err)
{
        if (path == NULL || (args->seen & KEY_OPT_FORCE) || access(path, F_OK) != 0)
                return SMT_OK;
        return SMT_ERR(err, SMT_EEXIST, "%s: already exists; use --force to replace it", path);
}

static int key_emit_private(const struct key *key, const struct key_args *args, const char *out_passphrase,
                            struct err *err)
{
        bool force = (args->seen & KEY_OPT_FORCE) != 0;
        if (args->out != NULL)
                return key_save_private(key, args->out, key_args_format(args), out_passphrase, force, err);
        struct buf_writer data;
        buf_writer_init_heap(&data, KEY_FILE_MAX);
        int status = key_write_private(key, key_args_format(args), out_passphrase, &data, err);
        if (status == SMT_OK)
                status = key_write_stdout(&data, err);
        buf_writer_cleanup(&data);
        return status;
}

static int key_emit_public(const struct key *key, const char *path, const struct key_args *args, struct err *err)
{
        bool force = (args->seen & KEY_OPT_FORCE) != 0;
        if (path != NULL)
                return key_save_public(key, path, key_args_format(args), force, err);
        struct buf_writer data;
        buf_writer_init_heap(&data, KEY_FILE_MAX);
        int status = key_write_public(key, key_args_format(args), &data, err);
        if (status == SMT_OK)
                status = key_write_stdout(&data, err);
        buf_writer_cleanup(&data);
        return status;
}

static int key_gen_with(enum key_alg alg, const struct key_args *args, const char *passphrase, struct err *err)
{
        struct key *key = NULL;
        TRY(key_generate(&key, alg, err));
        int status = key_emit_private(key, args, passphrase, err);
        if (status == SMT_OK && args->pub_out != NULL)
                status = key_emit_public(key, args->pub_out, args, err);
        key_free(key);
        return status;
}

static int key_gen_run(const struct key_command *command, const struct key_args *args)
{
        enum key_alg alg = KEY_ALG_SM2;
        if (key_alg_parse(args->alg, &alg) < 0)
                return cmd_usage_error(command->title, command->usage,
                                       "unknown algorithm '%s'; expected sm2, ec-p256, ec-p384, "
                                       "rsa-2048 or rsa-3072",
                                       args->alg);
        struct err err = {0};
        char passphrase[KEY_PASSPHRASE_MAX];
        int status = key_refuse_existing(args, args->out, &err);
        if (status == SMT_OK)
                status = key_refuse_existing(args, args->pub_out, &err);
        if (status == SMT_OK && args->passphrase_file != NULL)
                status = key_passphrase_load(passphrase, args->passphrase_file, &err);
        if (status == SMT_OK)
                status = key_gen_with(alg, args, args->passphrase_file != NULL ? passphrase : NULL, &err);
        explicit_bzero(passphrase, sizeof passphrase);
        return status == SMT_OK ? CMD_EXIT_OK : key_report(command, &err);
}

static void key_print_hex(const char *label, const uint8_t *data, size_t len)
{
        printf("%s", label);
        for (size_t i = 0; i < len; i++)
                printf("%02x", data[i]);
        printf("\n");
}

static int key_show_print(const struct key *key, struct err *err)
{
        uint8_t fingerprint[32];
        uint8_t point[133]; /* 0x04 || x || y for P-384, the largest curve we take */
        size_t point_len = 0;
        enum key_alg alg = key_get_alg(key);
        bool is_ec = alg == KEY_ALG_SM2 || alg == KEY_ALG_EC_P256 || alg == KEY_ALG_EC_P384;
        TRY(key_public_fingerprint(key, fingerprint, err));
        if (is_ec)
                TRY(key_public_point(key, point, sizeof point, &point_len, err));
        printf("algorithm: %s\n", key_alg_name(alg));
        printf("bits: %d\n", key_bits(key));
        printf("type: %s\n", key_is_private(key) ? "private" : "public");
        if (is_ec)
                key_print_hex("public-point: ", point, point_len);
        key_print_hex("spki-sha256: ", fingerprint, sizeof fingerprint);
        return fflush(stdout) == 0 ? SMT_OK : SMT_ERR(err, SMT_EIO, "writing to standard output failed");
}

static int key_show_run(const struct key_command *command, const struct key_args *args)
{
        struct err err = {0};
        struct key *key = NULL;
        int status = key_load(&key, args->input, args->passphrase_file, &err);
        if (status == SMT_OK)
                status = key_show_print(key, &err);
        key_free(key);
        return status == SMT_OK ? CMD_EXIT_OK : key_report(command, &err);
}

static int key_pub_run(const struct key_command *command, const struct key_args *args)
{
        struct err err = {0};
        struct key *key = NULL;
        int status = key_refuse_existing(args, args->out, &err);
        if (status == SMT_OK)
                status = key_load(&key, args->input, args->passphrase_file, &err);
        if (status == SMT_OK)
                status = key_emit_public(key, args->out, args, &err);
        key_free(key);
        return status == SMT_OK ? CMD_EXIT_OK : key_report(command, &err);
}

static int key_convert_with(const struct key *key, const struct key_args *args, struct err *err)
{
        if (!key_is_private(key)) {
                if (args->out_passphrase_file != NULL)
                        return SMT_ERR(err, SMT_EINVAL,
                                       "%s: a public key is never encrypted; drop "
                                       "--out-passphrase-file",
                                       args->input);
                return key_emit_public(key, args->out, args, err);
        }
        if (args->out_passphrase_file == NULL)
                return key_emit_private(key, args, NULL, err);
        char passphrase[KEY_PASSPHRASE_MAX];
        int status = key_passphrase_load(passphrase, args->out_passphrase_file, err);
        if (status == SMT_OK)
                status = key_emit_private(key, args, passphrase, err);
        explicit_bzero(passphrase, sizeof passphrase);
        return status;
}

static int key_convert_run(const struct key_command *command, const struct key_args *args)
{
        struct err err = {0};
        struct key *key = NULL;
        int status = key_refuse_existing(args, args->out, &err);
        if (status == SMT_OK)
                status = key_load(&key, args->input, args->passphrase_file, &err);
        if (status == SMT_OK)
                status = key_convert_with(key, args, &err);
        key_free(key);
        return status == SMT_OK ? CMD_EXIT_OK : key_report(command, &err);
}

int cmd_key_main(int argc, char **argv)
{
        if (argc < 2) {
                key_usage(stderr);
                return CMD_EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                key_usage(stdout);
                return CMD_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof key_commands / sizeof key_commands[0]; i++) {
                const struct key_command *command = &key_commands[i];
                if (strcmp(argv[1], command->name) != 0)
                        continue;
                struct key_args args;
                int status = key_args_parse(command, &args, argc - 1, argv + 1);
                if (status >= 0)
                        return status;
                return command->run(command, &args);
        }
        fprintf(stderr, "smtrust: key: unknown sub-command '%s'\n", argv[1]);
        key_usage(stderr);
        return CMD_EXIT_USAGE;
}
