/* bench/bench.c: the measurement loop shared by every benchmark. */
#include "bench/bench.h"

#include <time.h>

static double bench_now(void)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static double bench_thread_cpu_ns(void)
{
        struct timespec now;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
        return (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
}

void bench_cpu_start(struct bench_cpu *cpu)
{
        cpu->started = bench_thread_cpu_ns();
}

void bench_cpu_stop(struct bench_cpu *cpu)
{
        cpu->ns += bench_thread_cpu_ns() - cpu->started;
}

double bench_cpu_us(const struct bench_cpu *cpu)
{
        return cpu->count > 0 ? cpu->ns / (double)cpu->count / 1e3 : 0;
}

/* bench_measure runs step until seconds have passed and returns steps per second in *rate. */
static int bench_measure(bench_step_fn step, void *arg, double seconds, double *rate, struct err *err)
{
        double start = bench_now(), elapsed = 0;
        long count = 0;
        while (elapsed < seconds) {
                TRY(step(arg, err));
                count++;
                elapsed = bench_now() - start;
        }
        *rate = (double)count / elapsed;
        return SMT_OK;
}

int bench_compare(struct bench_result *result, bench_step_fn ours, void *ours_arg, bench_step_fn peer,
                  void *peer_arg, size_t bytes_per_step, const struct bench_options *options, struct err *err)
{
        result->ours = 0;
        result->peer_rate = 0;
        for (int round = 0; round < options->num_rounds; round++) {
                double ours_rate, peer_rate;
                TRY(bench_measure(ours, ours_arg, options->seconds_per_round, &ours_rate, err));
                TRY(bench_measure(peer, peer_arg, options->seconds_per_round, &peer_rate, err));
                if (ours_rate > result->ours)
                        result->ours = ours_rate;
                if (peer_rate > result->peer_rate)
                        result->peer_rate = peer_rate;
        }
        if (result->unit == BENCH_UNIT_BYTES) {
                result->ours *= (double)bytes_per_step;
                result->peer_rate *= (double)bytes_per_step;
        }
        return SMT_OK;
}
