/* 02_backprop/bench.c — chapter 2's --bench: the GEMM ladder (common/bench/gemm_bench.c) on
 * square matrices, every rung side by side with GFLOP/s, % of the peak measured in the same run,
 * and OpenBLAS's cblas_sgemm when it is installed (the peer a user would pick instead).
 * Built into 02_backprop/run with backprop.c; `./02_backprop/run --bench` runs it.
 */
#include <stdio.h>

#include "base/error.h"
#include "base/files.h"
#include "bench/gemm_bench.h"
#include "kernels/gemm.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"

// region: bench
// --bench: the GEMM ladder on square matrices (common/bench/gemm_bench.c), every rung side
// by side with GFLOP/s, % of the measured peak and OpenBLAS; figures and a plot go to
// <out>/bench/ so they do not replace the training run's metrics.
void bench_run(const Cli *cli)
{
    char dir[600], path[700];
    cli_out_subdir(cli, "bench", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/gemm_bench.tsv", dir);
    FILE *tsv = atomic_open(path);
    if (!tsv) dl_die("cannot write %s", path);
    GemmBenchResult res;
    gemm_bench(cli->threads, cli->quick, stdout, tsv, &res);
    if (!atomic_close(tsv, path)) dl_die("cannot write %s", path);
    Metrics m;
    metrics_init(&m, dir);
    metrics_set(&m, "bench_threads", res.threads);
    metrics_set(&m, "peak_1thread_gflops", res.peak1_gflops);
    metrics_set(&m, "peak_gflops", res.peak_gflops);
    float x[GEMM_BENCH_MAX_SIZES], y[GEMM_BENCH_MAX_RUNGS + 1][GEMM_BENCH_MAX_SIZES];
    PlotSeries s[GEMM_BENCH_MAX_RUNGS + 1];
    int n_series = 0;
    for (int j = 0; j < GEMM_LADDER.n_rungs && j < GEMM_BENCH_MAX_RUNGS; j++) {
        if (res.size[0].gflops[j] <= 0) continue;   // a rung this CPU cannot run
        for (int i = 0; i < res.n_sizes; i++) {
            x[i] = (float)res.size[i].n;
            y[n_series][i] = (float)res.size[i].gflops[j];
            metrics_setf(&m, res.size[i].gflops[j], "gemm_%s_n%d_gflops",
                         GEMM_LADDER.rungs[j].name, res.size[i].n);
        }
        s[n_series] = (PlotSeries){GEMM_LADDER.rungs[j].name, x, y[n_series], res.n_sizes,
                                   "linespoints pt 7"};
        n_series++;
    }
    if (res.openblas) {
        for (int i = 0; i < res.n_sizes; i++) {
            y[n_series][i] = (float)res.size[i].openblas_gflops;
            metrics_setf(&m, res.size[i].openblas_gflops, "gemm_openblas_n%d_gflops",
                         res.size[i].n);
        }
        s[n_series] = (PlotSeries){"OpenBLAS", x, y[n_series], res.n_sizes,
                                   "linespoints pt 5 dt 2"};
        n_series++;
    }
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    metrics_free(&m);
    plot_lines(dir, "gemm_ladder", "GEMM ladder: C = A·B, N x N x N", "N", "GFLOP/s", s,
               n_series, true);
    printf("\nwrote %s, %s and the plot gemm_ladder.png to %s/\n", path, m.path, dir);
}
// endregion
