/* common/bench/gemm_bench.h — the GEMM ladder benchmark behind `--bench` and `make bench`.
 *
 * For each N in {64, 128, 256, 512, 1024} ({64, 256} with quick) it times C = A·B on
 * N x N x N for every rung of GEMM_LADDER (and OpenBLAS's cblas_sgemm when the library is
 * installed, loaded at run time with dlopen — the course code never links it) and prints:
 *   version  reps  ms  GFLOP/s  %peak  speedup  max|err|
 * GFLOP/s = 2·N³ / time; time = median of 11 runs after one warm-up run. The slow rungs at
 * large N get fewer so the whole bench stays within about a minute (the reps column says how
 * many): 3-9 when one run takes > 0.15 s, and a single run, the warm-up itself, when it takes
 * > 1 s (v0_naive at N = 1024); %peak is against peak_gflops() measured in the same run
 * before each table, keeping the best measurement so far since load from other programs can
 * only lower it (1 thread for the single-thread rungs, `threads` for v4 and OpenBLAS);
 * speedup is vs v0_naive; max|err| is the largest |C - C_v0|. Inputs are uniform in [-1, 1)
 * from a fixed seed. Each table ends with the ratio fastest rung / OpenBLAS.
 */
#ifndef DL_GEMM_BENCH_H
#define DL_GEMM_BENCH_H

#include <stdbool.h>
#include <stdio.h>

#define GEMM_BENCH_MAX_SIZES 5
#define GEMM_BENCH_MAX_RUNGS 8

/* Figures for one N. Rung j is GEMM_LADDER.rungs[j]; a rung the CPU cannot run has gflops 0. */
typedef struct GemmBenchSize {
    int n;
    double ms[GEMM_BENCH_MAX_RUNGS];       // median time per rung, milliseconds
    double gflops[GEMM_BENCH_MAX_RUNGS];   // 2·n³ / time / 1e9
    double max_err[GEMM_BENCH_MAX_RUNGS];  // max |C - C_v0|
    int best;                              // index of the fastest rung
    double openblas_gflops;                // 0 when OpenBLAS is not installed
    double ratio;                          // gflops[best] / openblas_gflops (0 if absent)
} GemmBenchSize;

typedef struct GemmBenchResult {
    int threads;                 // thread count used by v4_threads and OpenBLAS
    const char *isa;             // peak_isa()
    double peak1_gflops;         // measured peak, 1 thread (best of the per-table measurements)
    double peak_gflops;          // measured peak, `threads` threads (likewise)
    bool openblas;               // libopenblas.so.0 was found
    int n_sizes;
    GemmBenchSize size[GEMM_BENCH_MAX_SIZES];
} GemmBenchResult;

/* Run the benchmark on `threads` threads (>= 1; restores threads_get() afterwards) over the
 * quick or full size list. Tables go to `out` (e.g. stdout); when `tsv` is not NULL one
 * line per (N, version) is written to it for plotting, after the header line
 * "n\tversion\treps\tms\tgflops\tpct_peak\tspeedup\tmax_err". When `res` is not NULL it
 * receives the key figures (for metrics.tsv). Takes ~5 s quick, ~30-60 s full. */
void gemm_bench(int threads, bool quick, FILE *out, FILE *tsv, GemmBenchResult *res);

#endif
