/* src/cmd/acme.c: `smtrust acme certonly|revoke|renewal-info`: argument parsing and output around the project's
 * own ACME client (src/gateway/acme_client.h) and its http-01 responder (src/gateway/acme_responder.h). */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "gateway/acme_client.h"
#include "gateway/acme_responder.h"

#define ACME_USAGE                                                                                                     \
        "smtrust acme certonly --server DIRECTORY_URL --ca-file ROOTS.pem --account-key FILE --dns NAME...\n"          \
        "           [--http01 ADDRESS:PORT] [--key-type ec-p256|ec-p384|rsa-2048|sm2|sm2-pair]\n"                      \
        "           [--eab-kid K --eab-hmac-key B64] [--contact URI...] [--timeout S] --out-dir DIR\n"                 \
        "       smtrust acme revoke --server URL --ca-file ROOTS.pem --account-key FILE --cert FILE [--reason N]\n"    \
        "       smtrust acme renewal-info --server URL --ca-file ROOTS.pem --cert FILE"

enum acme_option {
        ACME_OPT_SERVER = 1,
        ACME_OPT_CA_FILE,
        ACME_OPT_ACCOUNT_KEY,
        ACME_OPT_DNS,
        ACME_OPT_HTTP01,
        ACME_OPT_KEY_TYPE,
        ACME_OPT_EAB_KID,
        ACME_OPT_EAB_HMAC_KEY,
        ACME_OPT_CONTACT,
        ACME_OPT_OUT_DIR,
        ACME_OPT_CERT,
        ACME_OPT_REASON,
        ACME_OPT_TIMEOUT,
        ACME_OPT_HELP,
};

static const struct option acme_long_options[] = {
    {"server", required_argument, NULL, ACME_OPT_SERVER},
    {"ca-file", required_argument, NULL, ACME_OPT_CA_FILE},
    {"account-key", required_argument, NULL, ACME_OPT_ACCOUNT_KEY},
    {"dns", required_argument, NULL, ACME_OPT_DNS},
    {"http01", required_argument, NULL, ACME_OPT_HTTP01},
    {"key-type", required_argument, NULL, ACME_OPT_KEY_TYPE},
    {"eab-kid", required_argument, NULL, ACME_OPT_EAB_KID},
    {"eab-hmac-key", required_argument, NULL, ACME_OPT_EAB_HMAC_KEY},
    {"contact", required_argument, NULL, ACME_OPT_CONTACT},
    {"out-dir", required_argument, NULL, ACME_OPT_OUT_DIR},
    {"cert", required_argument, NULL, ACME_OPT_CERT},
    {"reason", required_argument, NULL, ACME_OPT_REASON},
    {"timeout", required_argument, NULL, ACME_OPT_TIMEOUT},
    {"help", no_argument, NULL, ACME_OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct acme_args {
        const char *server, *ca_file, *account_key, *http01, *key_type, *eab_kid, *eab_hmac_key, *out_dir, *cert;
        const char *names[GW_ACME_NAMES_MAX];
        size_t num_names;
        const char *contacts[8];
        size_t num_contacts;
        int reason; /* -1 = none */
        long timeout_s;
};

static int acme_usage_error(const char *command, const char *fmt, const char *value)
{
        return cmd_usage_error(command, ACME_USAGE, fmt, value);
}

static int acme_number(const char *text, long low, long high, long *out)
{
        char *end = NULL;
        long value = strtol(text, &end, 10);
        if (end == text || *end != '\0' || value < low || value > high)
                return -1;
        *out = value;
        return 0;
}

/* Options that take one text value, and where it goes. */
static const struct {
        int option;
        size_t offset;
} acme_text_options[] = {
    {ACME_OPT_SERVER, offsetof(struct acme_args, server)},
    {ACME_OPT_CA_FILE, offsetof(struct acme_args, ca_file)},
    {ACME_OPT_ACCOUNT_KEY, offsetof(struct acme_args, account_key)},
    {ACME_OPT_HTTP01, offsetof(struct acme_args, http01)},
    {ACME_OPT_KEY_TYPE, offsetof(struct acme_args, key_type)},
    {ACME_OPT_EAB_KID, offsetof(struct acme_args, eab_kid)},
    {ACME_OPT_EAB_HMAC_KEY, offsetof(struct acme_args, eab_hmac_key)},
    {ACME_OPT_OUT_DIR, offsetof(struct acme_args, out_dir)},
    {ACME_OPT_CERT, offsetof(struct acme_args, cert)},
};

static int acme_args_add(struct acme_args *args, int option, const char *value)
{
        long number;
        for (size_t i = 0; i < sizeof(acme_text_options) / sizeof(acme_text_options[0]); i++)
                if (acme_text_options[i].option == option) {
                        *(const char **)((char *)args + acme_text_options[i].offset) = value;
                        return 0;
                }
        if (option == ACME_OPT_DNS && args->num_names < GW_ACME_NAMES_MAX) {
                args->names[args->num_names++] = value;
                return 0;
        }
        if (option == ACME_OPT_CONTACT && args->num_contacts < sizeof(args->contacts) / sizeof(args->contacts[0])) {
                args->contacts[args->num_contacts++] = value;
                return 0;
        }
        if (option == ACME_OPT_REASON && acme_number(value, 0, 10, &number) == 0) {
                args->reason = (int)number;
                return 0;
        }
        if (option == ACME_OPT_TIMEOUT && acme_number(value, 1, 86400, &number) == 0) {
                args->timeout_s = number;
                return 0;
        }
        if (option == ACME_OPT_DNS || option == ACME_OPT_CONTACT)
                return acme_usage_error("acme", "too many values at '%s' (100 --dns, 8 --contact)", value);
        if (option == ACME_OPT_REASON)
                return acme_usage_error("acme", "--reason expects an RFC 5280 reason code 0..10, got '%s'", value);
        if (option == ACME_OPT_TIMEOUT)
                return acme_usage_error("acme", "--timeout expects seconds 1..86400, got '%s'", value);
        return acme_usage_error("acme", "unknown option '%s'", value ? value : "?");
}

static int acme_args_parse(struct acme_args *args, int argc, char **argv)
{
        *args = (struct acme_args){.reason = -1, .timeout_s = 300};
        optind = 0; /* GNU: restart scanning for this argv */
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, ":h", acme_long_options, NULL)) != -1) {
                if (c == '?')
                        return acme_usage_error("acme", "unknown option '%s'", argv[optind - 1]);
                if (c == ':')
                        return acme_usage_error("acme", "option '%s' needs a value", argv[optind - 1]);
                if (c == 'h' || c == ACME_OPT_HELP) {
                        printf("usage: %s\n", ACME_USAGE);
                        return CMD_EXIT_OK;
                }
                int status = acme_args_add(args, c, optarg);
                if (status != 0)
                        return status;
        }
        if (optind != argc)
                return acme_usage_error("acme", "unexpected operand '%s'", argv[optind]);
        return -1;
}

static int acme_require(const char *command, const char *value, const char *option)
{
        return value ? 0 : acme_usage_error(command, "%s is required", option);
}

static void acme_print_cert(const char *role, const char *cert_path, const struct cert *cert)
{
        char subject[CERT_NAME_TEXT_MAX] = "?", serial[CERT_SERIAL_HEX_MAX] = "?", not_after[64] = "?";
        struct err err = {0};
        time_t when = 0;
        SMT_IGNORE(cert_subject_text(cert, subject, sizeof(subject), &err));
        SMT_IGNORE(cert_serial_hex(cert, serial, sizeof(serial), &err));
        if (cert_not_after(cert, &when, &err) == 0)
                strftime(not_after, sizeof(not_after), "%Y-%m-%dT%H:%M:%SZ", gmtime(&when));
        printf("%s: %s\n  subject: %s\n  serial: %s\n  not after: %s\n", role, cert_path, subject, serial, not_after);
}

/* Opens the client and finds or creates the account: what every sub-command needs first. */
static int acme_connect(const struct acme_args *args, bool need_account, struct gw_acme_client **client,
                        struct key **key, struct err *err)
{
        struct gw_acme_client_config config = {.directory_url = args->server, .ca_file = args->ca_file};
        bool key_created = false, account_created = false;
        TRY(gw_acme_client_open(client, &config, err));
        if (!need_account)
                return 0;
        /* After the directory answered: a server that cannot be reached leaves no new key behind. */
        TRY(gw_acme_account_key_load(key, &key_created, args->account_key, err));
        struct gw_acme_account_params params = {.key = *key,
                                                .contacts = args->contacts,
                                                .num_contacts = args->num_contacts,
                                                .eab_kid = args->eab_kid,
                                                .eab_hmac_key_b64 = args->eab_hmac_key};
        TRY(gw_acme_client_account(*client, &params, &account_created, err));
        printf("account: %s (%s%s)\n", gw_acme_client_account_url(*client), account_created ? "created" : "existing",
               key_created ? ", new key" : "");
        return 0;
}

static int acme_certonly_run(const struct acme_args *args, enum gw_acme_key_type type, struct err *err)
{
        struct gw_acme_client *client = NULL;
        struct gw_acme_responder *responder = NULL;
        struct key *key = NULL;
        struct gw_acme_solver solver = {0};
        struct gw_acme_issued issued[GW_ACME_ISSUED_MAX];
        size_t num_issued = 0;
        int status = 0;
        if (args->http01)
                status = gw_acme_responder_start(&responder, args->http01, err);
        if (responder)
                gw_acme_responder_solver(responder, &solver);
        if (status == 0)
                status = acme_connect(args, true, &client, &key, err);
        if (status == 0)
                status = gw_acme_client_issue(client, type, args->names, args->num_names, &solver, args->out_dir,
                                              time(NULL) + args->timeout_s, issued, &num_issued, err);
        for (size_t i = 0; status == 0 && i < num_issued; i++)
                acme_print_cert(issued[i].role, issued[i].cert_path, cert_chain_get(issued[i].chain, 0));
        gw_acme_issued_cleanup(issued, num_issued);
        gw_acme_client_free(client);
        gw_acme_responder_stop(responder);
        key_free(key);
        return status;
}

static int acme_certonly(const struct acme_args *args)
{
        const char *command = "acme certonly";
        enum gw_acme_key_type type = GW_ACME_KEY_EC_P256;
        if (acme_require(command, args->server, "--server") ||
            acme_require(command, args->account_key, "--account-key") ||
            acme_require(command, args->out_dir, "--out-dir"))
                return CMD_EXIT_USAGE;
        if (args->num_names == 0)
                return acme_usage_error(command, "at least one --dns NAME is required%s", "");
        if (args->key_type && gw_acme_key_type_parse(args->key_type, &type) < 0)
                return acme_usage_error(command, "--key-type: unknown type '%s'", args->key_type);
        if (!args->eab_kid != !args->eab_hmac_key)
                return acme_usage_error(command, "--eab-kid and --eab-hmac-key go together%s", "");
        struct err err = {0};
        if (acme_certonly_run(args, type, &err) < 0)
                return cmd_report(&err, command);
        return CMD_EXIT_OK;
}

static int acme_revoke_run(const struct acme_args *args, struct err *err)
{
        struct gw_acme_client *client = NULL;
        struct key *key = NULL;
        struct cert_chain *chain = NULL;
        int status = cert_chain_load_pem(&chain, args->cert, err);
        if (status == 0)
                status = acme_connect(args, true, &client, &key, err);
        if (status == 0)
                status = gw_acme_client_revoke(client, cert_chain_get(chain, 0), args->reason, err);
        if (status == 0)
                acme_print_cert("revoked", args->cert, cert_chain_get(chain, 0));
        cert_chain_free(chain);
        gw_acme_client_free(client);
        key_free(key);
        return status;
}

static int acme_renewal_info_run(const struct acme_args *args, struct err *err)
{
        struct gw_acme_client *client = NULL;
        struct cert_chain *chain = NULL;
        struct gw_acme_renewal_info info;
        int status = cert_chain_load_pem(&chain, args->cert, err);
        if (status == 0)
                status = acme_connect(args, false, &client, NULL, err);
        if (status == 0)
                status = gw_acme_client_renewal_info(client, cert_chain_get(chain, 0), &info, err);
        if (status == 0) {
                char start[64], end[64];
                strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&info.window_start));
                strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", gmtime(&info.window_end));
                printf("renewal window: %s .. %s\nretry after: %d s\n", start, end, info.retry_after_s);
        }
        cert_chain_free(chain);
        gw_acme_client_free(client);
        return status;
}

static int acme_cert_command(const struct acme_args *args, const char *command, bool need_account)
{
        if (acme_require(command, args->server, "--server") || acme_require(command, args->cert, "--cert") ||
            (need_account && acme_require(command, args->account_key, "--account-key")))
                return CMD_EXIT_USAGE;
        struct err err = {0};
        int status = need_account ? acme_revoke_run(args, &err) : acme_renewal_info_run(args, &err);
        return status < 0 ? cmd_report(&err, command) : CMD_EXIT_OK;
}

int cmd_acme_main(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fprintf(argc < 2 ? stderr : stdout, "usage: %s\n", ACME_USAGE);
                return argc < 2 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
        }
        struct acme_args args;
        int status = acme_args_parse(&args, argc - 1, argv + 1);
        if (status >= 0)
                return status;
        if (strcmp(argv[1], "certonly") == 0)
                return acme_certonly(&args);
        if (strcmp(argv[1], "revoke") == 0)
                return acme_cert_command(&args, "acme revoke", true);
        if (strcmp(argv[1], "renewal-info") == 0)
                return acme_cert_command(&args, "acme renewal-info", false);
        return acme_usage_error("acme", "unknown sub-command '%s'", argv[1]);
}
