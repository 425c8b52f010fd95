/* src/cmd/crl.c: `smtrust crl verify CRL --issuer CERT`: checks a CRL's signature (SM2 with the default ID,
 * ECDSA, RSA) against its issuer's certificate and prints what it says. Parsing and printing only; the work
 * is crypto/crl.h's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/file.h"
#include "cmd/cmd.h"
#include "crypto/crl.h"

static const char cmd_crl_usage[] = "smtrust crl verify CRL --issuer CERT   (CRL in DER or PEM; CERT in PEM)";

static void cmd_crl_time(char out[32], int64_t t)
{
        struct tm tm;
        time_t value = (time_t)t;
        gmtime_r(&value, &tm);
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmd_crl_verify(const char *crl_path, const char *issuer_path)
{
        struct err err = {0};
        uint8_t *data = NULL, *der = NULL;
        size_t len = 0, der_len = 0;
        struct cert_chain *issuer = NULL;
        struct crl_info info;
        if (cmd_io_read_input(&data, &len, crl_path, CRL_FILE_MAX, &err) < 0)
                return cmd_report(&err, crl_path);
        int status = crl_decode(&der, &der_len, data, len, &err);
        file_free_contents(data, len);
        if (status == 0)
                status = cert_chain_load_pem(&issuer, issuer_path, &err);
        if (status == 0)
                status = crl_verify(der, der_len, cert_chain_get(issuer, 0), &err);
        if (status == 0)
                status = crl_info_read(&info, der, der_len, &err);
        free(der);
        cert_chain_free(issuer);
        if (status < 0)
                return cmd_report(&err, crl_path);
        char this_update[32], next_update[32] = "none";
        cmd_crl_time(this_update, info.this_update);
        if (info.next_update != 0)
                cmd_crl_time(next_update, info.next_update);
        printf("%s: signature ok\nissuer: %s\n", crl_path, info.issuer);
        if (info.has_number)
                printf("number: %llu\n", (unsigned long long)info.number);
        printf("thisUpdate: %s\nnextUpdate: %s\n%zu revoked\n", this_update, next_update, info.num_entries);
        return CMD_EXIT_OK;
}

int cmd_crl_main(int argc, char **argv)
{
        const char *crl = NULL, *issuer = NULL;
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("usage: %s\n", cmd_crl_usage);
                return CMD_EXIT_OK;
        }
        if (argc < 2 || strcmp(argv[1], "verify") != 0)
                return cmd_usage_error("crl", cmd_crl_usage, "expected the sub-command \"verify\"");
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--issuer") == 0 && i + 1 < argc)
                        issuer = argv[++i];
                else if (argv[i][0] != '-' && crl == NULL)
                        crl = argv[i];
                else
                        return cmd_usage_error("crl", cmd_crl_usage, "unexpected argument \"%s\"", argv[i]);
        }
        if (crl == NULL || issuer == NULL)
                return cmd_usage_error("crl", cmd_crl_usage, "give a CRL file and --issuer CERT");
        return cmd_crl_verify(crl, issuer);
}
