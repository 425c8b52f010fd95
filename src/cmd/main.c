/* src/cmd/main.c: the smtrust executable: dispatches to a sub-command. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

struct cmd_entry {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

static const struct cmd_entry cmd_entries[] = {
        { "key", cmd_key_main, "generate, show and convert keys (SM2, EC, RSA)" },
        { "cert", cmd_cert_main, "certificate requests, issuing, showing and verifying (SM2, EC, RSA)" },
        { "sign", cmd_sign_main, "sign a file with an SM2 key and distinguishing ID (DER signature)" },
        { "verify", cmd_verify_main, "verify an SM2 signature" },
        { "encrypt", cmd_encrypt_main, "encrypt to an SM2 public key (GM/T 0009 ASN.1 or raw C1C3C2)" },
        { "decrypt", cmd_decrypt_main, "decrypt an SM2 ciphertext with the private key" },
        { "tlcp-client", cmd_tlcp_client_main, "fetch an https URL over TLCP (GB/T 38636), like curl" },
        { "tlcp-server", cmd_tlcp_server_main, "a TLCP test server (echo, or --www status page)" },
        { "gateway", cmd_gateway_main, "the SM2/ECC HTTPS gateway in front of unchanged sites (-c gateway.yaml)" },
        { "acme", cmd_acme_main, "obtain, revoke and check certificates from an ACME CA (RFC 8555; SM2 pairs)" },
        { "ca", cmd_ca_main, "the certificate authority: init, check, or serve ACME and the CA API (-c ca.yaml)" },
        { "crl", cmd_crl_main, "verify a CRL's signature against its issuer (SM2 with the default ID, ECDSA, RSA)" },
        { "ocsp", cmd_ocsp_main, "ask an OCSP responder about a certificate and check the signed answer" },
        { "ts", cmd_ts_main, "RFC 3161 time-stamps: make a query, verify a token (SM2, ECC, RSA)" },
        { "demo-pki", cmd_demo_pki_main, "create a demo SM2 + ECC PKI (roots and site certificates) in a folder" },
        { "bench", cmd_bench_main, "measure smtrust against OpenSSL in one run" },
};

static void cmd_usage(FILE *out)
{
        fprintf(out, "usage: smtrust COMMAND [ARGS]\n\ncommands:\n");
        for (size_t i = 0; i < sizeof cmd_entries / sizeof cmd_entries[0]; i++)
                fprintf(out, "  %-12s %s\n", cmd_entries[i].name, cmd_entries[i].summary);
        fprintf(out, "  %-12s %s\n", "version", "print the version");
        fprintf(out, "\n'smtrust COMMAND --help' describes a command.\n");
}

int cmd_report(const struct err *err, const char *context)
{
        if (context != NULL)
                fprintf(stderr, "smtrust: %s: %s\n", context, err->msg);
        else
                fprintf(stderr, "smtrust: %s\n", err->msg);
        return CMD_EXIT_FAILURE;
}

int cmd_usage_error(const char *command, const char *usage, const char *fmt, ...)
{
        va_list args;
        fprintf(stderr, "smtrust: %s: ", command);
        va_start(args, fmt);
        vfprintf(stderr, fmt, args);
        va_end(args);
        fprintf(stderr, "\nusage: %s\n", usage);
        return CMD_EXIT_USAGE;
}

int main(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                cmd_usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? CMD_EXIT_USAGE : CMD_EXIT_OK;
        }
        if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
                printf("smtrust %s\n", SMT_VERSION);
                return CMD_EXIT_OK;
        }
        for (size_t i = 0; i < sizeof cmd_entries / sizeof cmd_entries[0]; i++)
                if (strcmp(argv[1], cmd_entries[i].name) == 0)
                        return cmd_entries[i].run(argc - 1, argv + 1);
        fprintf(stderr, "smtrust: unknown command '%s'\n\n", argv[1]);
        cmd_usage(stderr);
        return CMD_EXIT_USAGE;
}
