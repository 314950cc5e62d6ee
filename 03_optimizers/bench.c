/* 03_optimizers/bench.c — chapter 3's --bench: the Adam step ladder (common/bench/adam_bench.c)
 * from 1 M to 100 M parameters, every rung side by side in GB/s against the memory bandwidth
 * measured in the same run (an optimizer step is memory-bound).
 * Built into 03_optimizers/run with optimizers.c; `./03_optimizers/run --bench` runs it.
 */
#include <stdio.h>

#include "base/error.h"
#include "base/files.h"
#include "bench/adam_bench.h"
#include "kernels/adam.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"

// region: adam_bench
// --bench: the Adam update ladder (common/kernels/adam.c), GB/s against the in-place update
// bandwidth. Figures (adam_<rung>_<n>M_gbs, mem_update_gbs, mem_triad_gbs) and the plot
// adam_ladder.png go to <out>/bench/, so they do not replace the training run's metrics.
void bench_run(const Cli *cli)
{
    AdamBenchResult res;   // measured first; then written where the training run's outputs aren't
    adam_bench(cli->threads, cli->quick, stdout, &res);
    char dir[600];
    cli_out_subdir(cli, "bench", dir, sizeof dir);
    Metrics m;
    metrics_init(&m, dir);
    metrics_set(&m, "bench_threads", res.threads);
    metrics_set(&m, "mem_triad_gbs", res.triad_gbs);
    metrics_set(&m, "mem_update_gbs", res.update_gbs);
    static float x[ADAM_BENCH_MAX_SIZES], y[ADAM_BENCH_MAX_RUNGS + 1][ADAM_BENCH_MAX_SIZES];
    PlotSeries s[ADAM_BENCH_MAX_RUNGS + 1];
    const int R = ADAM_LADDER.n_rungs < ADAM_BENCH_MAX_RUNGS ? ADAM_LADDER.n_rungs
                                                             : ADAM_BENCH_MAX_RUNGS;
    int n = 0;
    for (int i = 0; i < res.n_rows; i++)
        if (!res.rows[i].skipped) x[n++] = (float)(res.rows[i].n / 1e6);
    for (int j = 0; j < R; j++) {
        for (int i = 0, k = 0; i < res.n_rows; i++) {
            if (res.rows[i].skipped) continue;
            y[j][k++] = (float)res.rows[i].gbs[j];
            metrics_setf(&m, res.rows[i].gbs[j], "adam_%s_%zuM_gbs", ADAM_LADDER.rungs[j].name,
                         res.rows[i].n / 1000000);
        }
        s[j] = (PlotSeries){ADAM_LADDER.rungs[j].name, x, y[j], n, "linespoints pt 7"};
    }
    for (int k = 0; k < n; k++) y[R][k] = (float)res.update_gbs;
    s[R] = (PlotSeries){"in-place update bandwidth (measured)", x, y[R], n, "lines dt 2"};
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    metrics_free(&m);
    plot_lines(dir, "adam_ladder", "Adam update: GB/s against measured memory bandwidth",
               "parameters (millions)", "GB/s", s, R + 1, false);
    printf("\nwrote %s and the plot adam_ladder.png to %s/\n", m.path, dir);
}
// endregion
