/* 01_perceptron/bench.c — chapter 1's timing of the dot/matvec ladder (dot.c): every rung on
 * one problem, side by side, in GB/s against the memory bandwidth, with its error against v0
 * and against a sum in double. Section 7 of every run times one in-cache size of each kernel
 * (bench_problem); `./01_perceptron/run --bench` (bench_run) sweeps from L1 to DRAM.
 * Built into 01_perceptron/run with perceptron.c and dot.c.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dot.h"

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "kernels/ladder.h"
#include "report/cli.h"
#include "report/metrics.h"

void bench_run(const Cli *cli);

// region: bench
// One timed problem: a dot of length n (M = 0) or an (M, N) matvec.
typedef struct BenchCase {
    const VecImpl *impl;   // the rung's kernels
    const float *a, *b;   // dot: a (n), b (n);  matvec: A (M, N), x (N)
    float *y;             // matvec output (M)
    size_t n;
    int M, N;
    float result;         // dot's result, kept so the call is not optimised away
} BenchCase;

static void bench_call(BenchCase *c)
{
    if (c->M == 0) c->result = c->impl->dot(c->a, c->b, c->n);
    else c->impl->matvec(c->a, c->b, c->y, c->M, c->N);
}

// Median seconds per call over `runs` (>= 11) timed runs after one warm-up call; a run
// repeats the call until it lasts >= 1 ms, far above the clock's resolution.
static double bench_case_seconds(BenchCase *c, int runs)
{
    bench_call(c);
    int reps = 1;
    double t0 = now_seconds();
    bench_call(c);
    double once = now_seconds() - t0;
    if (once < 1e-3) reps = (int)(1e-3 / fmax(once, 1e-8)) + 1;
    double t[64];
    for (int k = 0; k < runs; k++) {
        t0 = now_seconds();
        for (int rep = 0; rep < reps; rep++) bench_call(c);
        t[k] = (now_seconds() - t0) / reps;
    }
    return bench_median(t, runs);
}

static float *random_floats(size_t n, Rng *r)
{
    float *v = malloc(n * sizeof *v);
    DL_CHECK(v, "bench: out of memory for %zu floats (%.0f MB)", n, n * 4.0 / 1e6);
    for (size_t i = 0; i < n; i++) v[i] = rng_uniform_range(r, -1.0f, 1.0f);
    return v;
}

// The exact answer, to within double rounding: y64 (M) = A·x in double (a dot when M = 1).
static void matvec_fp64(const float *A, const float *x, double *y64, int M, size_t N)
{
    for (int i = 0; i < M; i++) {
        double s = 0.0;
        for (size_t j = 0; j < N; j++) s += (double)A[(size_t)i * N + j] * x[j];
        y64[i] = s;
    }
}

// Time every available rung on one problem and print a row each; bytes as stated in the
// regions of dot.c (dot: 8n; matvec: 4(MN + N + M)). bw: the memory bandwidth to compare with
// (<= 0: not measured, no % column). Errors: max |y - y_v0| and max |y - y_fp64|.
// Records <key>_<rung>_gbs and returns the best speedup over v0.
double bench_problem(Metrics *m, const char *key, const char *label, size_t n, int M, int N,
                     double bw, int runs, Rng *r)
{
    bool is_dot = M == 0;
    size_t na = is_dot ? n : (size_t)M * N, nb = is_dot ? n : (size_t)N;
    double bytes = is_dot ? 8.0 * n : 4.0 * ((double)M * N + N + M);
    float *a = random_floats(na, r), *b = random_floats(nb, r);
    int ny = is_dot ? 1 : M;
    float *y = malloc((size_t)ny * sizeof *y), *y0 = malloc((size_t)ny * sizeof *y0);
    double *y64 = malloc((size_t)ny * sizeof *y64);
    DL_CHECK(y && y0 && y64, "bench: out of memory for %d outputs", ny);
    matvec_fp64(a, b, y64, ny, nb);
    double t_naive = 0.0, best = 1.0;
    const KernelRung *naive = ladder_find(&DOT_LADDER, "naive");   // v0, the first row
    for (int v = 0; v < DOT_LADDER.n_rungs; v++) {
        const KernelRung *rung = &DOT_LADDER.rungs[v];
        if (!rung_available(rung)) continue;
        BenchCase c = {vec_impl(rung), a, b, y, n, M, N, 0.0f};
        double t = bench_case_seconds(&c, runs);
        if (is_dot) y[0] = c.result;
        if (rung == naive) {
            t_naive = t;
            memcpy(y0, y, (size_t)ny * sizeof *y);
        }
        double err64 = 0.0;
        for (int i = 0; i < ny; i++) err64 = fmax(err64, fabs(y[i] - y64[i]));
        double gbs = bytes / t / 1e9;
        char pct[16] = "-";
        if (bw > 0) snprintf(pct, sizeof pct, "%.0f%%", 100 * gbs / bw);
        printf("%-16s %-11s %10.2f %8.2f %6s %7.1fx %9.2e %9.2e\n", rung == naive ? label : "",
               rung->name, t * 1e6, gbs, pct, t_naive / t, bench_max_abs_diff(y, y0, (size_t)ny),
               err64);
        best = fmax(best, t_naive / t);
        metrics_setf(m, gbs, "%s_%s_gbs", key, rung->name);
    }
    free(a);
    free(b);
    free(y);
    free(y0);
    free(y64);
    return best;
}

void bench_header(void)
{
    printf("%-16s %-11s %10s %8s %6s %8s %9s %9s\n", "problem", "version", "us/call", "GB/s",
           "% bw", "speedup", "|y-y_v0|", "|y-exact|");
}

// --bench: sizes from L1 to DRAM, against the measured memory bandwidth (peak.h); the GB/s
// go to <out>/bench/metrics.tsv, so they do not replace a training run's metrics. This
// machine's caches are not assumed: 4K floats fit in L1, 64K in L2, 1M in a last-level
// cache of >= 8 MB, and 32M (256 MB for a dot) in none.
void bench_run(const Cli *cli)
{
    char dir[600];
    cli_out_subdir(cli, "bench", dir, sizeof dir);
    Metrics m;
    metrics_init(&m, dir);
    int T = threads_get();
    printf("measuring memory bandwidth (STREAM triad, 3 x 160 MiB arrays) ...\n");
    double bw1 = stream_triad_gbs(1, 160), bwT = T > 1 ? stream_triad_gbs(T, 160) : bw1;
    double bw = fmax(bw1, bwT);
    printf("triad bandwidth: %.1f GB/s on 1 thread, %.1f GB/s on %d threads; %% bw below is "
           "against the larger, %.1f GB/s\n", bw1, bwT, T, bw);
    metrics_set(&m, "bench_triad_1thread_gbs", bw1);
    metrics_set(&m, "bench_triad_gbs", bwT);
    metrics_set(&m, "bench_threads", T);
    Rng r;
    rng_seed(&r, cli->seed + 7);
    printf("\ndot: bytes = 8n (a and b read once), 2n FLOP; median of 11 runs\n");
    bench_header();
    static const size_t DOT_N[] = {(size_t)1 << 12, (size_t)1 << 16, (size_t)1 << 20,
                                   (size_t)1 << 25};
    for (size_t i = 0; i < sizeof DOT_N / sizeof DOT_N[0]; i++) {
        char label[32], key[32];
        snprintf(label, sizeof label, "dot n=%zu", DOT_N[i]);
        snprintf(key, sizeof key, "bench_dot_%zu", DOT_N[i]);
        bench_problem(&m, key, label, DOT_N[i], 0, 0, bw, 11, &r);
    }
    printf("\nmatvec: bytes = 4(MN + N + M) (A and x read, y written), 2MN FLOP\n");
    bench_header();
    static const int MV_N[] = {64, 256, 1024, 8192};
    for (size_t i = 0; i < sizeof MV_N / sizeof MV_N[0]; i++) {
        char label[32], key[32];
        snprintf(label, sizeof label, "matvec %dx%d", MV_N[i], MV_N[i]);
        snprintf(key, sizeof key, "bench_matvec_%d", MV_N[i]);
        bench_problem(&m, key, label, 0, MV_N[i], MV_N[i], bw, 11, &r);
    }
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    printf("\nwrote %s\n", m.path);
    metrics_free(&m);
}
// endregion
