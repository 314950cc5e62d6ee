/* common/bench/adam_bench.h — the Adam step ladder benchmark behind chapter 3's --bench. */
#ifndef DL_BENCH_ADAM_BENCH_H
#define DL_BENCH_ADAM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kernels/adam.h"

#define ADAM_BENCH_MAX_SIZES 3
#define ADAM_BENCH_MAX_RUNGS 8

typedef struct AdamBenchRow {
    size_t n;                          // parameters
    bool skipped;                      // allocation failed (note printed)
    int runs[ADAM_BENCH_MAX_RUNGS];                       // timed runs per rung (median taken)
    double seconds[ADAM_BENCH_MAX_RUNGS];                 // median seconds per step, per rung (ADAM_LADDER order)
    double gbs[ADAM_BENCH_MAX_RUNGS];                     // bytes_per_param · n / seconds / 1e9
    double max_err[ADAM_BENCH_MAX_RUNGS];                 // max |θ_rung − θ_v0| after one step
} AdamBenchRow;

typedef struct AdamBenchResult {
    int threads;
    double triad_gbs;                  // stream_triad_gbs(threads, …) measured in this run
    double update_gbs;                 // stream_update_gbs(threads, …): the same traffic as a
                                       // fused step, no arithmetic; the % column's reference
    int n_rows;
    AdamBenchRow rows[ADAM_BENCH_MAX_SIZES];
} AdamBenchResult;

/* Time every rung on n = 1M, 10M, 100M parameters (quick: 1M only), print a table with
 * bytes/param, GB/s, % of the measured in-place update bandwidth (peak.h; the STREAM triad is
 * printed too) and max|err| vs v0 to `out`, and fill
 * `res` (may be NULL). Sizes that cannot be allocated are skipped with a note. */
void adam_bench(int threads, bool quick, FILE *out, AdamBenchResult *res);

#endif
