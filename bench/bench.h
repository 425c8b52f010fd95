/* bench/bench.h: benchmarks that measure smtrust and a peer (OpenSSL) on the same operation in the
 * same process, alternating between the two so that clock drift and thermal state hit both alike. */
#ifndef SMT_BENCH_BENCH_H
#define SMT_BENCH_BENCH_H

#include <stddef.h>

#include "base/err.h"

enum bench_unit {
        BENCH_UNIT_OPS = 1,    /* operations per second */
        BENCH_UNIT_BYTES = 2,  /* bytes per second, printed as MB/s */
        BENCH_UNIT_CPU_US = 3, /* CPU microseconds per operation (lower is better) */
};

/* struct bench_cpu adds up the CPU time of one side of an exchange (a server's share of a handshake that
 * runs client and server in one thread): bench_cpu_start/stop around each of its calls. */
struct bench_cpu {
        double ns;
        long count; /* operations the time belongs to */
        double started;
};
void bench_cpu_start(struct bench_cpu *cpu);
void bench_cpu_stop(struct bench_cpu *cpu);

/* bench_cpu_us is the CPU time per operation counted, in microseconds (0 without any). */
double bench_cpu_us(const struct bench_cpu *cpu);

struct bench_result {
        const char *operation; /* "sm2 sign" */
        const char *peer;      /* what the peer figure measures, e.g. "OpenSSL SM4-CBC" */
        enum bench_unit unit;
        double ours;           /* per second, or CPU µs per operation (BENCH_UNIT_CPU_US) */
        double peer_rate;      /* the same for the peer */
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
