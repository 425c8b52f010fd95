/* src/cmd/bench.c: `smtrust bench crypto`: prints smtrust's figures next to OpenSSL's, measured in one run. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bench/bench.h"
#include "bench/gateway_load.h"
#include "cmd/cmd.h"

static void cmd_bench_usage(FILE *out)
{
        fprintf(out, "usage: smtrust bench crypto|tlcp [--seconds S] [--rounds N]\n"
                     "  crypto: SM2 sign/verify/encrypt/decrypt (per second) and SM3, SM4-CBC, SM4-GCM (MB/s)\n"
                     "          through smtrust's API and through OpenSSL directly.\n"
                     "  tlcp:   TLCP full and resumed handshakes per second and 16 KiB records (MB/s) per suite,\n"
                     "          client and server in one process, next to OpenSSL TLS 1.2 ECDHE-ECDSA P-256;\n"
                     "          and the server's CPU time per full handshake (\"full, server\", us CPU).\n"
                     "  Both sides alternate N rounds of S seconds (default 3 x 0.4); each side's best round counts.\n");
}

static void cmd_bench_print_rate(const struct bench_result *r, double rate)
{
        if (r->unit == BENCH_UNIT_BYTES)
                printf(" %12.1f MB/s", rate / 1e6);
        else if (r->unit == BENCH_UNIT_CPU_US)
                printf(" %9.1f us CPU", rate);
        else
                printf(" %12.1f op/s", rate);
}

static void cmd_bench_print(const struct bench_result *results, size_t num_results)
{
        printf("%-30s %17s %17s %7s  %s\n", "operation", "smtrust", "peer", "ratio", "peer measured");
        for (size_t i = 0; i < num_results; i++) {
                const struct bench_result *r = &results[i];
                printf("%-30s", r->operation);
                cmd_bench_print_rate(r, r->ours);
                cmd_bench_print_rate(r, r->peer_rate);
                printf(" %7.2f  %s\n", r->peer_rate > 0 ? r->ours / r->peer_rate : 0.0, r->peer);
        }
        printf("ratio = smtrust / peer (above 1: smtrust is faster; for \"us CPU\" rows, below 1: smtrust spends "
               "less); peer library: %s\n",
               OpenSSL_version(OPENSSL_VERSION));
}

static int cmd_bench_parse(int argc, char **argv, struct bench_options *options)
{
        static const struct option long_options[] = {
                { "seconds", required_argument, NULL, 's' },
                { "rounds", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int opt;
        while ((opt = getopt_long(argc, argv, "s:r:h", long_options, NULL)) != -1) {
                char *end = NULL;
                if (opt == 's')
                        options->seconds_per_round = strtod(optarg, &end);
                else if (opt == 'r')
                        options->num_rounds = (int)strtol(optarg, &end, 10);
                else if (opt == 'h')
                        return 1;
                else
                        return -1;
                if (end == optarg || *end != 0) {
                        fprintf(stderr, "smtrust: bench: --%s expects a number, got \"%s\"\n",
                                opt == 's' ? "seconds" : "rounds", optarg);
                        return -1;
                }
        }
        if (options->seconds_per_round <= 0 || options->seconds_per_round > 60 || options->num_rounds < 1 ||
            options->num_rounds > 100) {
                fprintf(stderr, "smtrust: bench: --seconds must be in (0, 60] and --rounds in [1, 100]\n");
                return -1;
        }
        return 0;
}

int cmd_bench_main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "load") == 0) /* `smtrust bench load`: bench/gateway_load.h */
                return bench_gateway_load_main(argc - 1, argv + 1);
        if (argc < 2 || (strcmp(argv[1], "crypto") != 0 && strcmp(argv[1], "tlcp") != 0)) {
                if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                        cmd_bench_usage(stdout);
                        return CMD_EXIT_OK;
                }
                cmd_bench_usage(stderr);
                return CMD_EXIT_USAGE;
        }
        struct bench_options options = { .seconds_per_round = 0.4, .num_rounds = 3 };
        int parsed = cmd_bench_parse(argc - 1, argv + 1, &options);
        if (parsed != 0) {
                cmd_bench_usage(parsed > 0 ? stdout : stderr);
                return parsed > 0 ? CMD_EXIT_OK : CMD_EXIT_USAGE;
        }
        bool is_tlcp = strcmp(argv[1], "tlcp") == 0;
        struct bench_result results[BENCH_CRYPTO_MAX > BENCH_TLCP_MAX ? BENCH_CRYPTO_MAX : BENCH_TLCP_MAX];
        size_t num_results = 0;
        struct err err = { 0 };
        int status = is_tlcp ? bench_tlcp_run(results, &num_results, &options, &err)
                             : bench_crypto_run(results, &num_results, &options, &err);
        if (status != 0)
                return cmd_report(&err, is_tlcp ? "bench tlcp" : "bench crypto");
        cmd_bench_print(results, num_results);
        return CMD_EXIT_OK;
}
