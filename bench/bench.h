/* bench/bench.h: benchmarks that measure smtrust and a peer (OpenSSL) on the same operation in the
 * same process, alternating between the two so that clock drift and thermal state hit both alike. */
#ifndef SMT_BENCH_BENCH_H
#define SMT_BENCH_BENCH_H

#include <stddef.h>

#include "base/err.h"

enum bench_unit {
        BENCH_UNIT_OPS = 1,   /* operations per second */
        BENCH_UNIT_BYTES = 2, /* bytes per second, printed as MB/s */
};

struct bench_result {
        const char *operation; /* "sm2 sign" */
        const char *peer;      /* what the peer figure measures, e.g. "OpenSSL SM4-CBC" */
        enum bench_unit unit;
        double ours;           /* per second */
        double peer_rate;      /* per second */
};

#define BENCH_CRYPTO_MAX 16

struct bench_options {
        double seconds_per_round; /* time per side per round */
        int num_rounds;           /* the best round of each side counts */
};

/* bench_step_fn runs one operation on arg; a failure stops the benchmark. */
typedef int (*bench_step_fn)(void *arg, struct err *err);

/* bench_compare measures ours and the peer alternately for options->num_rounds rounds, keeping each side's
 * best, and fills result's rates (scaled by bytes_per_step for BENCH_UNIT_BYTES). */
int bench_compare(struct bench_result *result, bench_step_fn ours, void *ours_arg, bench_step_fn peer,
                  void *peer_arg, size_t bytes_per_step, const struct bench_options *options,
                  struct err *err) SMT_MUST_USE;

#define BENCH_TLCP_MAX 16

/* bench_tlcp_run measures full and resumed handshakes and bulk transfer per TLCP suite. */
int bench_tlcp_run(struct bench_result *results, size_t *num_results, const struct bench_options *options,
                   struct err *err) SMT_MUST_USE;

/* bench_crypto_run measures every crypto operation, writing up to BENCH_CRYPTO_MAX results. */
int bench_crypto_run(struct bench_result *results, size_t *num_results, const struct bench_options *options,
                     struct err *err) SMT_MUST_USE;

#endif
