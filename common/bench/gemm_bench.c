/* common/bench/gemm_bench.c — see bench/gemm_bench.h: every GEMM rung timed side by side. */
#include "base/clock.h"
#include "bench/gemm_bench.h"

#include "base/error.h"
#include "kernels/gemm.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "base/rng.h"
#include "base/threads.h"

#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SEED 42
#define BENCH_REPS 11          // median of this many timed runs ...
#define BENCH_MIN_REPS 3       // ... or of at least this many when one run is slow
#define BENCH_SLOW_RUN 0.15    // seconds: above this a rung gets fewer reps
#define BENCH_RUNG_BUDGET 1.5  // seconds of timed runs per slow rung
#define BENCH_VERY_SLOW 1.0    // seconds: above this the warm-up run is the one timing

// ---- OpenBLAS, found at run time ----
// cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) with the
// CBLAS enum values RowMajor = 101, NoTrans = 111 and 32-bit integers (Debian's libopenblas0).
typedef void (*CblasSgemmFn)(int, int, int, int, int, int, float, const float *, int,
                             const float *, int, float, float *, int);
typedef void (*SetThreadsFn)(int);

static CblasSgemmFn openblas_load(int threads)
{
    static void *lib;   // kept open for the whole run: its worker threads may still be alive
    static CblasSgemmFn sgemm;
    if (!lib) {
        lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!lib) return NULL;
        sgemm = (CblasSgemmFn)dlsym(lib, "cblas_sgemm");
    }
    SetThreadsFn set = (SetThreadsFn)dlsym(lib, "openblas_set_num_threads");
    if (set) set(threads);
    return sgemm;
}

// ---- timing ----
typedef struct Run {
    GemmFn fn;               // a rung, or NULL for OpenBLAS
    CblasSgemmFn blas;
    int n;
    const float *a, *b;
    float *c;
} Run;

static void run_once(const Run *r)
{
    if (r->fn) r->fn(r->n, r->n, r->n, r->a, r->n, r->b, r->n, r->c, r->n, false);
    else r->blas(101, 111, 111, r->n, r->n, r->n, 1.0f, r->a, r->n, r->b, r->n, 0.0f, r->c, r->n);
}

// Median seconds of `*reps` runs after one warm-up run (which also sets *reps). A run
// longer than BENCH_VERY_SLOW (v0 at N = 1024 takes seconds) is timed once, warm-up
// included: its page faults and buffer set-up are noise next to seconds of compute.
static double time_median(const Run *r, int *reps)
{
    double t0 = now_seconds();
    run_once(r);   // warm-up: page faults, packing buffers, thread pool start
    double warm = now_seconds() - t0;
    if (warm > BENCH_VERY_SLOW) {
        *reps = 1;
        return warm;
    }
    int n = BENCH_REPS;
    if (warm > BENCH_SLOW_RUN) {
        n = (int)(BENCH_RUNG_BUDGET / warm);
        if (n < BENCH_MIN_REPS) n = BENCH_MIN_REPS;
        if (n > BENCH_REPS) n = BENCH_REPS;
        n |= 1;   // odd, so the median is one run
    }
    double t[BENCH_REPS];
    for (int i = 0; i < n; i++) {
        t0 = now_seconds();
        run_once(r);
        t[i] = now_seconds() - t0;
    }
    *reps = n;
    return bench_median(t, n);
}

static void print_row(FILE *out, FILE *tsv, int n, const char *name, int reps, double sec,
                      double peak, double v0_sec, double err)
{
    double flop = 2.0 * n * n * n;   // 2·M·N·K: one multiply and one add per term
    double gf = flop / sec / 1e9;
    fprintf(out, "  %-12s %4d %10.3f %9.2f %6.1f%% %9.1fx  %.1e\n", name, reps, sec * 1e3, gf,
            100.0 * gf / peak, v0_sec / sec, err);
    if (tsv)
        fprintf(tsv, "%d\t%s\t%d\t%.6g\t%.6g\t%.4g\t%.6g\t%.3g\n", n, name, reps, sec * 1e3, gf,
                100.0 * gf / peak, v0_sec / sec, err);
}

void gemm_bench(int threads, bool quick, FILE *out, FILE *tsv, GemmBenchResult *res)
{
    static const int full_sizes[] = {64, 128, 256, 512, 1024}, quick_sizes[] = {64, 256};
    const int *sizes = quick ? quick_sizes : full_sizes;
    int n_sizes = quick ? 2 : 5;
    if (threads < 1) threads = 1;
    if (GEMM_LADDER.n_rungs > GEMM_BENCH_MAX_RUNGS)
        dl_die("gemm_bench: GEMM_LADDER has %d rungs, raise GEMM_BENCH_MAX_RUNGS (%d)",
               GEMM_LADDER.n_rungs, GEMM_BENCH_MAX_RUNGS);
    GemmBenchResult r = {.threads = threads, .isa = peak_isa(), .n_sizes = n_sizes};
    int saved_threads = threads_get();
    threads_set(threads);

    CblasSgemmFn blas = openblas_load(threads);
    r.openblas = blas != NULL;

    fprintf(out, "GEMM ladder: C = A·B, N x N x N, FLOP = 2·N³, seed %d, median of up to %d "
                 "runs after a warm-up\n", BENCH_SEED, BENCH_REPS);
    fprintf(out, "%%peak: vs the %s FMA peak measured before each table (best so far: a busy "
                 "machine can only lower it)\n       on 1 thread, or on %d for v4_threads and "
                 "OpenBLAS\n", r.isa, threads);
    if (!blas)
        fprintf(out, "OpenBLAS: not installed (apt-get install libopenblas-dev to compare)\n");
    if (tsv) fprintf(tsv, "n\tversion\treps\tms\tgflops\tpct_peak\tspeedup\tmax_err\n");

    Rng rng;
    rng_seed(&rng, BENCH_SEED);
    for (int s = 0; s < n_sizes; s++) {
        int n = sizes[s];
        size_t nn = (size_t)n * n;
        float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b);
        float *c0 = malloc(nn * sizeof *c0), *c = malloc(nn * sizeof *c);
        if (!a || !b || !c0 || !c)
            dl_die("gemm_bench: out of memory for four %d x %d matrices", n, n);
        for (size_t i = 0; i < nn; i++) a[i] = rng_uniform_range(&rng, -1.0f, 1.0f);
        for (size_t i = 0; i < nn; i++) b[i] = rng_uniform_range(&rng, -1.0f, 1.0f);

        double p1 = peak_gflops(1), pt = threads == 1 ? p1 : peak_gflops(threads);
        if (p1 > r.peak1_gflops) r.peak1_gflops = p1;
        if (pt > r.peak_gflops) r.peak_gflops = pt;
        GemmBenchSize *z = &r.size[s];
        z->n = n;
        z->best = 0;
        fprintf(out, "\nN = %d (%.3g GFLOP per product; peak %.1f GFLOP/s on 1 thread, %.1f on "
                     "%d)\n", n, 2.0 * n * n * n / 1e9, r.peak1_gflops, r.peak_gflops, threads);
        fprintf(out, "  %-12s %4s %10s %9s %7s %10s  %s\n", "version", "reps", "ms", "GFLOP/s",
                "%peak", "speedup", "max|err|");
        double v0_sec = 0;
        for (int k = 0; k < GEMM_LADDER.n_rungs; k++) {
            const KernelRung *g = &GEMM_LADDER.rungs[k];
            if (!rung_available(g)) {
                fprintf(out, "  %-12s (skipped: this CPU lacks the instructions)\n", g->name);
                continue;
            }
            Run run = {.fn = gemm_rung_fn(g), .n = n, .a = a, .b = b, .c = k == 0 ? c0 : c};
            int reps;
            double sec = time_median(&run, &reps);
            if (k == 0) v0_sec = sec;
            bool threaded = strcmp(g->name, "v4_threads") == 0;
            z->ms[k] = sec * 1e3;
            z->gflops[k] = 2.0 * n * n * n / sec / 1e9;
            z->max_err[k] = k == 0 ? 0.0 : bench_max_abs_diff(c, c0, nn);
            if (z->gflops[k] > z->gflops[z->best]) z->best = k;
            print_row(out, tsv, n, g->name, reps, sec, threaded ? r.peak_gflops : r.peak1_gflops,
                      v0_sec, z->max_err[k]);
        }
        if (blas) {
            Run run = {.blas = blas, .n = n, .a = a, .b = b, .c = c};
            int reps;
            double sec = time_median(&run, &reps);
            z->openblas_gflops = 2.0 * n * n * n / sec / 1e9;
            z->ratio = z->gflops[z->best] / z->openblas_gflops;
            print_row(out, tsv, n, "OpenBLAS", reps, sec, r.peak_gflops, v0_sec,
                      bench_max_abs_diff(c, c0, nn));
            fprintf(out, "  fastest rung %s / OpenBLAS (%d thread%s) = %.2f\n",
                    GEMM_LADDER.rungs[z->best].name, threads, threads == 1 ? "" : "s", z->ratio);
            // OpenBLAS's idle workers spin for ~0.1 s: let them go to sleep before the next
            // timing, or they would steal a core from it.
            nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 250000000}, NULL);
        }
        free(a);
        free(b);
        free(c0);
        free(c);
    }
    threads_set(saved_threads);
    if (res) *res = r;
}
