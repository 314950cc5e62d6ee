/* 08_scaling/bench.c — chapter 8's --bench: the bf16 GEMM ladder beside the float32 one.
 * Build: make chapter8    Run: ./08_scaling/run --bench [--quick] [--threads N]
 * For N = 256, 512, 1024, 2048 (--quick 128, 256), on 1 thread and on --threads (2 on the
 * course machine): C = A·B, N x N x N, timed for the float32 GEMM ladder's fastest rung (chapter
 * 2's v4_threads, kernels/gemm.h), OpenBLAS's cblas_sgemm and, when that OpenBLAS was built with
 * bfloat16, its cblas_sbgemm (both loaded at run time with dlopen, as chapter 2's bench does: the
 * course never links them), and every rung of GEMM_BF16_LADDER (kernels/gemm_bf16.h). GFLOP/s =
 * 2·N³ / the median time (of 7 runs after a warm-up; 3 when a run takes > 0.15 s, the warm-up
 * alone when it takes > 1 s), and % of the float32 FMA peak measured in the same run
 * (bench/peak.h). VDPBF16PS does 32 bf16 products per instruction where a float32 FMA does 16,
 * so the bf16 ceiling is twice that peak on a core that issues both at the same rate.
 * Writes <out>/bench/bf16_bench.tsv and the plot bf16_bench.png; metrics bench_bf16_*.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "kernels/gemm.h"
#include "kernels/gemm_bf16.h"
#include "report/plot.h"

#include "scaling.h"

// ---- OpenBLAS, found at run time ----
// cblas_sgemm / cblas_sbgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
// with RowMajor = 101, NoTrans = 111 and 32-bit integers (Debian's libopenblas0); sbgemm's A
// and B are bfloat16 (uint16_t), C float.
typedef void (*SgemmFn)(int, int, int, int, int, int, float, const float *, int, const float *,
                        int, float, float *, int);
typedef void (*SbgemmFn)(int, int, int, int, int, int, float, const bf16 *, int, const bf16 *,
                         int, float, float *, int);
typedef void (*SetThreadsFn)(int);

typedef struct Blas {
    void *lib;
    SgemmFn sgemm;
    SbgemmFn sbgemm;
    SetThreadsFn set_threads;
} Blas;

static Blas blas_load(void)
{
    Blas b = {0};
    b.lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);   // kept open: its threads live on
    if (!b.lib) return b;
    b.sgemm = (SgemmFn)dlsym(b.lib, "cblas_sgemm");
    b.sbgemm = (SbgemmFn)dlsym(b.lib, "cblas_sbgemm");
    b.set_threads = (SetThreadsFn)dlsym(b.lib, "openblas_set_num_threads");
    return b;
}

// ---- timing ----
enum { K_FP32, K_SGEMM, K_SBGEMM, K_BF16 };   // what one column runs (K_BF16 + rung index)

typedef struct BenchCall {
    int kind, n;
    const float *a, *b;
    const bf16 *a16, *b16;
    float *c;
    const Blas *blas;
} BenchCall;

static void call_once(const BenchCall *x)
{
    const int n = x->n;
    switch (x->kind) {
    case K_FP32: gemm(n, n, n, x->a, n, x->b, n, x->c, n, false); break;
    case K_SGEMM: x->blas->sgemm(101, 111, 111, n, n, n, 1.0f, x->a, n, x->b, n, 0.0f, x->c, n);
        break;
    case K_SBGEMM:
        x->blas->sbgemm(101, 111, 111, n, n, n, 1.0f, x->a16, n, x->b16, n, 0.0f, x->c, n);
        break;
    default: {
        const KernelRung *r = &GEMM_BF16_LADDER.rungs[x->kind - K_BF16];
        ((const GemmBf16Impl *)r->impl)->fn(n, n, n, x->a16, x->b16, x->c);
    }
    }
}

static double call_seconds(const BenchCall *x)
{
    double t0 = now_seconds();
    call_once(x);
    double first = now_seconds() - t0;
    if (first > 1.0) return first;
    int reps = first > 0.15 ? 3 : 7;
    double t[7];
    for (int r = 0; r < reps; r++) {
        t0 = now_seconds();
        call_once(x);
        t[r] = now_seconds() - t0;
    }
    return bench_median(t, reps);
}

#define MAX_COLS 8
#define MAX_SIZES 4

void bench_section(Chapter *ch, const Flags *f)
{
    (void)f;
    const Cli *cli = &ch->cli;
    chapter_section("--bench: the bf16 GEMM ladder beside float32 (C = A·B, N x N x N)");
    const int sizes_full[] = {256, 512, 1024, 2048}, sizes_quick[] = {128, 256};
    const int *sizes = cli->quick ? sizes_quick : sizes_full;
    const int n_sizes = cli->quick ? 2 : 4;
    const int saved_threads = threads_get();
    int thread_counts[2] = {1, saved_threads}, n_tc = saved_threads > 1 ? 2 : 1;
    Blas blas = blas_load();
    // the columns: fp32 fastest rung, OpenBLAS sgemm, OpenBLAS sbgemm, each bf16 rung
    int kinds[MAX_COLS], n_cols = 0;
    const char *names[MAX_COLS];
    char fp32_name[64];
    snprintf(fp32_name, sizeof fp32_name, "fp32 %s", ladder_find(&GEMM_LADDER, "auto")->name);
    kinds[n_cols] = K_FP32; names[n_cols++] = fp32_name;
    if (blas.sgemm) { kinds[n_cols] = K_SGEMM; names[n_cols++] = "OpenBLAS sgemm"; }
    if (blas.sbgemm) { kinds[n_cols] = K_SBGEMM; names[n_cols++] = "OpenBLAS sbgemm"; }
    for (int k = 0; k < GEMM_BF16_LADDER.n_rungs && n_cols < MAX_COLS; k++) {
        kinds[n_cols] = K_BF16 + k;
        names[n_cols++] = GEMM_BF16_LADDER.rungs[k].name;
    }
    if (!blas.lib) printf("OpenBLAS: not installed (apt-get install libopenblas-dev to compare)\n");
    else if (!blas.sbgemm) printf("OpenBLAS: cblas_sgemm only (this build has no bfloat16 "
                                  "cblas_sbgemm)\n");
    char dir[600], path[700];
    cli_out_subdir(cli, "bench", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bf16_bench.tsv", dir);
    FILE *tsv = atomic_open(path);
    if (!tsv) dl_die("cannot write %s", path);
    fprintf(tsv, "n\tthreads\tversion\tms\tgflops\tpct_peak\n");
    static float px[MAX_SIZES], py[2][MAX_COLS][MAX_SIZES];
    for (int ti = 0; ti < n_tc; ti++) {
        const int T = thread_counts[ti];
        threads_set(T);
        if (blas.set_threads) blas.set_threads(T);
        double peak = peak_gflops(T), again = peak_gflops(T);   // load only lowers it: the best
        if (again > peak) peak = again;
        printf("\n%d thread(s): float32 FMA peak %.1f GFLOP/s (%s, measured now); bf16 ceiling "
               "2x that. GFLOP/s (%% of the fp32 peak):\n", T, peak, peak_isa());
        printf("  %5s", "N");
        for (int c = 0; c < n_cols; c++) printf(" %20s", names[c]);
        printf("  %12s\n", "bf16 / fp32");
        metrics_setf(&ch->metrics, peak, "bench_bf16_peak_t%d_gflops", T);
        for (int s = 0; s < n_sizes; s++) {
            const int n = sizes[s];
            const size_t nn = (size_t)n * n;
            float *a = dl_malloc(nn * sizeof *a, "A"), *b = dl_malloc(nn * sizeof *b, "B");
            float *c = dl_malloc(nn * sizeof *c, "C");
            bf16 *a16 = dl_malloc(nn * sizeof *a16, "A bf16");
            bf16 *b16 = dl_malloc(nn * sizeof *b16, "B bf16");
            Rng r;
            rng_seed(&r, cli->seed + (uint64_t)n);
            for (size_t i = 0; i < nn; i++) a[i] = rng_uniform_range(&r, -1.0f, 1.0f);
            for (size_t i = 0; i < nn; i++) b[i] = rng_uniform_range(&r, -1.0f, 1.0f);
            bf16_from_floats(a, a16, nn);
            bf16_from_floats(b, b16, nn);
            printf("  %5d", n);
            px[s] = (float)n;
            double g32 = 0, gbest = 0;
            for (int col = 0; col < n_cols; col++) {
                const int kind = kinds[col];
                if (kind >= K_BF16 && !rung_available(&GEMM_BF16_LADDER.rungs[kind - K_BF16])) {
                    printf(" %20s", "n/a");
                    py[ti][col][s] = 0;
                    continue;
                }
                BenchCall x = {kind, n, a, b, a16, b16, c, &blas};
                const double sec = call_seconds(&x), gf = 2.0 * n * n * n / sec / 1e9;
                char cell[32];
                snprintf(cell, sizeof cell, "%.1f (%.0f%%)", gf, 100.0 * gf / peak);
                printf(" %20s", cell);
                fprintf(tsv, "%d\t%d\t%s\t%.4f\t%.3f\t%.2f\n", n, T, names[col], sec * 1e3, gf,
                        100.0 * gf / peak);
                metrics_setf(&ch->metrics, gf, "bench_bf16_n%d_t%d_%s_gflops", n, T,
                             kind == K_FP32 ? "fp32" : kind == K_SGEMM ? "openblas_sgemm"
                             : kind == K_SBGEMM ? "openblas_sbgemm" : names[col]);
                py[ti][col][s] = (float)gf;
                if (kind == K_FP32) g32 = gf;
                if (kind >= K_BF16 && gf > gbest) gbest = gf;
            }
            printf("  %11.2fx\n", gbest / g32);
            free(a); free(b); free(c); free(a16); free(b16);
        }
    }
    threads_set(saved_threads);
    if (blas.set_threads) blas.set_threads(saved_threads);
    if (!atomic_close(tsv, path)) dl_die("cannot write %s", path);
    PlotSeries ser[2 * MAX_COLS];
    char titles[2 * MAX_COLS][64];
    int ns = 0;
    for (int ti = 0; ti < n_tc; ti++)
        for (int col = 0; col < n_cols; col++) {
            if (py[ti][col][0] <= 0) continue;
            snprintf(titles[ns], sizeof titles[ns], "%s, %d thread(s)", names[col],
                     thread_counts[ti]);
            ser[ns] = (PlotSeries){titles[ns], px, py[ti][col], n_sizes,
                                   ti ? "linespoints pt 7" : "linespoints pt 6 dt 2"};
            ns++;
        }
    plot_lines(dir, "bf16_bench", "GEMM: bf16 operands (fp32 accumulation) vs fp32", "N",
               "GFLOP/s", ser, ns, false);
    printf("\nwrote %s and the plot bf16_bench.png to %s/\n", path, dir);
}
