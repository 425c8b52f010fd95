/* src/cmd/ocsp.c: `smtrust ocsp status CERT`: asks the certificate's OCSP responder (RFC 6960) what it says
 * about CERT and prints the verified answer. Arguments and output only; the work is http/ocsp_client.h's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "http/ocsp_client.h"

static const char cmd_ocsp_usage[] =
        "smtrust ocsp status CERT [--issuer FILE] [--url URL] [--nonce|--no-nonce] [--post|--get] [--ca-file FILE]\n"
        "                    [--timeout SECONDS] [--json]\n"
        "  CERT is PEM (a chain: the issuer is the next certificate) or DER; without a chain or --issuer the issuer\n"
        "  is fetched from the certificate's caIssuers URL. --url overrides the certificate's OCSP URL; --ca-file\n"
        "  gives the roots for an https responder. No nonce by default (pre-signed responders, RFC 5019).\n"
        "  exit status: 0 good, 1 revoked, 3 unknown, 2 error (no answer, or one that does not verify)";

enum { CMD_OCSP_EXIT_UNKNOWN = 3 };

struct cmd_ocsp_args {
        const char *cert, *issuer, *url, *ca_file;
        bool use_nonce, is_json;
        enum http_ocsp_client_method method;
        long timeout_s;
};

static void cmd_ocsp_time(char out[32], time_t t)
{
        struct tm tm;
        if (t == 0) {
                strcpy(out, "none");
                return;
        }
        gmtime_r(&t, &tm);
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* cmd_ocsp_json_string prints value as a JSON string (names and URLs: quote, backslash and controls escaped). */
static void cmd_ocsp_json_string(const char *value)
{
        putchar('"');
        for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
                if (*c == '"' || *c == '\\')
                        printf("\\%c", *c);
                else if (*c < 0x20)
                        printf("\\u%04x", *c);
                else
                        putchar(*c);
        }
        putchar('"');
}

static void cmd_ocsp_print_json(const struct http_ocsp_client_result *r)
{
        char this_update[32], next_update[32], produced_at[32], revoked_at[32];
        cmd_ocsp_time(this_update, r->single.this_update);
        cmd_ocsp_time(next_update, r->single.next_update);
        cmd_ocsp_time(produced_at, r->produced_at);
        printf("{\"status\": \"%s\"", http_ocsp_client_status_name(r->single.status));
        if (r->single.status == OCSP_CERT_REVOKED) {
                cmd_ocsp_time(revoked_at, r->single.revocation_time);
                printf(", \"revocation_time\": \"%s\", \"revocation_reason\": \"%s\"", revoked_at,
                       http_ocsp_client_reason_name(r->single.revocation_reason));
        }
        printf(", \"this_update\": \"%s\", \"next_update\": %s%s%s, \"produced_at\": \"%s\", \"responder\": ",
               this_update, r->single.next_update ? "\"" : "", r->single.next_update ? next_update : "null",
               r->single.next_update ? "\"" : "", produced_at);
        cmd_ocsp_json_string(r->is_delegated ? r->responder : "the issuing CA");
        printf(", \"delegated\": %s, \"method\": \"%s\", \"url\": ", r->is_delegated ? "true" : "false",
               r->was_get ? "GET" : "POST");
        cmd_ocsp_json_string(r->url);
        printf("}\n");
}

static void cmd_ocsp_print_text(const struct http_ocsp_client_result *r)
{
        char this_update[32], next_update[32], produced_at[32], revoked_at[32];
        cmd_ocsp_time(this_update, r->single.this_update);
        cmd_ocsp_time(next_update, r->single.next_update);
        cmd_ocsp_time(produced_at, r->produced_at);
        printf("status: %s\n", http_ocsp_client_status_name(r->single.status));
        if (r->single.status == OCSP_CERT_REVOKED) {
                cmd_ocsp_time(revoked_at, r->single.revocation_time);
                printf("revocation time: %s\nrevocation reason: %s\n", revoked_at,
                       http_ocsp_client_reason_name(r->single.revocation_reason));
        }
        printf("thisUpdate: %s\nnextUpdate: %s\nproducedAt: %s\n", this_update, next_update, produced_at);
        if (r->is_delegated)
                printf("responder: %s (delegated)\n", r->responder[0] ? r->responder : "unnamed");
        else
                printf("responder: the issuing CA\n");
        printf("asked: %s %s\n", r->was_get ? "GET" : "POST", r->url);
}

/* cmd_ocsp_load_certs reads CERT (a PEM chain or one DER certificate) into *chain. */
static int cmd_ocsp_load_certs(struct cert_chain **chain, const char *path, struct err *err)
{
        uint8_t *data = NULL;
        size_t len = 0;
        struct cert *cert = NULL;
        TRY(cmd_io_read_input(&data, &len, path, CERT_FILE_MAX, err));
        int status = cert_chain_parse_pem(chain, data, len, err);
        if (status < 0 && (status = cert_parse_der(&cert, data, len, err)) == 0) {
                status = cert_chain_new(chain, err);
                if (status == 0)
                        status = cert_chain_append(*chain, cert, err);
                else
                        cert_free(cert);
        }
        free(data);
        return status;
}

/* cmd_ocsp_issuer picks the issuer: the next certificate of CERT, --issuer, else the caIssuers URL. */
static int cmd_ocsp_issuer(struct cert **out, const struct cert_chain *chain, const struct cmd_ocsp_args *a,
                           const struct http_ocsp_client_options *options, struct err *err)
{
        struct cert_chain *file = NULL;
        char url[CERT_URL_MAX];
        if (a->issuer != NULL) {
                TRY(cert_chain_load_pem(&file, a->issuer, err));
                int status = cert_dup(out, cert_chain_get(file, 0), err);
                cert_chain_free(file);
                return status;
        }
        if (cert_chain_count(chain) > 1)
                return cert_dup(out, cert_chain_get(chain, 1), err);
        if (cert_ca_issuers_url(cert_chain_get(chain, 0), url, sizeof(url), err) < 0)
                return SMT_ERR(err, CRYPTO_ECERT, "no issuer: CERT holds one certificate, no --issuer, no caIssuers URL");
        return http_ocsp_client_fetch_issuer(out, url, options, err);
}

static int cmd_ocsp_status(const struct cmd_ocsp_args *a)
{
        struct err err = {0};
        struct cert_chain *chain = NULL;
        struct cert *issuer = NULL;
        struct http_ocsp_client_result result = {0};
        struct http_ocsp_client_options options = {
                .url = a->url,
                .use_nonce = a->use_nonce,
                .method = a->method,
                .timeout_ms = a->timeout_s * 1000,
                .ca_file = a->ca_file,
        };
        int status = cmd_ocsp_load_certs(&chain, a->cert, &err);
        if (status == 0)
                status = cmd_ocsp_issuer(&issuer, chain, a, &options, &err);
        if (status == 0)
                status = http_ocsp_client_status(&result, cert_chain_get(chain, 0), issuer, &options, &err);
        cert_free(issuer);
        cert_chain_free(chain);
        if (status < 0) {
                http_ocsp_client_result_cleanup(&result);
                cmd_report(&err, a->cert);
                return CMD_EXIT_USAGE; /* 2: no verified answer (1 means revoked here) */
        }
        if (a->is_json)
                cmd_ocsp_print_json(&result);
        else
                cmd_ocsp_print_text(&result);
        enum ocsp_cert_status cert_status = result.single.status;
        http_ocsp_client_result_cleanup(&result);
        return cert_status == OCSP_CERT_GOOD ? CMD_EXIT_OK
               : cert_status == OCSP_CERT_REVOKED ? CMD_EXIT_FAILURE
                                                   : CMD_OCSP_EXIT_UNKNOWN;
}

static bool cmd_ocsp_option(struct cmd_ocsp_args *a, int argc, char **argv, int *i)
{
        const char *name = argv[*i];
        const char *value = *i + 1 < argc ? argv[*i + 1] : NULL;
        const char **slot = strcmp(name, "--issuer") == 0    ? &a->issuer
                            : strcmp(name, "--url") == 0     ? &a->url
                            : strcmp(name, "--ca-file") == 0 ? &a->ca_file
                                                             : NULL;
        if (slot != NULL && value != NULL) {
                *slot = value;
                (*i)++;
                return true;
        }
        if (strcmp(name, "--timeout") == 0 && value != NULL) {
                char *end = NULL;
                a->timeout_s = strtol(value, &end, 10);
                (*i)++;
                return *end == '\0' && a->timeout_s > 0 && a->timeout_s <= 3600;
        }
        bool flag = true;
        if (strcmp(name, "--nonce") == 0 || strcmp(name, "--no-nonce") == 0)
                a->use_nonce = strcmp(name, "--nonce") == 0;
        else if (strcmp(name, "--post") == 0 || strcmp(name, "--get") == 0)
                a->method = name[2] == 'p' ? HTTP_OCSP_CLIENT_POST : HTTP_OCSP_CLIENT_GET;
        else if (strcmp(name, "--json") == 0)
                a->is_json = true;
        else if (name[0] != '-' && a->cert == NULL)
                a->cert = name;
        else
                flag = false;
        return flag;
}

int cmd_ocsp_main(int argc, char **argv)
{
        struct cmd_ocsp_args a = {.timeout_s = 10};
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("usage: %s\n", cmd_ocsp_usage);
                return CMD_EXIT_OK;
        }
        if (argc < 2 || strcmp(argv[1], "status") != 0)
                return cmd_usage_error("ocsp", cmd_ocsp_usage, "expected the sub-command \"status\"");
        for (int i = 2; i < argc; i++)
                if (!cmd_ocsp_option(&a, argc, argv, &i))
                        return cmd_usage_error("ocsp", cmd_ocsp_usage, "unexpected argument \"%s\"", argv[i]);
        if (a.cert == NULL)
                return cmd_usage_error("ocsp", cmd_ocsp_usage, "give the certificate file CERT");
        return cmd_ocsp_status(&a);
}
