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

/* bench_crypto_run measures every crypto operation, writing up to BENCH_CRYPTO_MAX results. */
int bench_crypto_run(struct bench_result *results, size_t *num_results, const struct bench_options *options,
                     struct err *err) SMT_MUST_USE;

#endif
