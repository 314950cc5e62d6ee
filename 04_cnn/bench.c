/* 04_cnn/bench.c — chapter 4's timings of the conv ladder: section 4 of the run (every rung on
 * the DigitCNN's two conv layers, forward and backward, against v0_direct's numbers) and
 * --bench (the full conv_bench of common/bench/conv_bench.c, then DigitCNN training images/s
 * through the library's loop next to PyTorch's, via scripts/bench_torch_cnn.py).
 * Built into 04_cnn/run with cnn.c; `./04_cnn/run --bench` runs the second part.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/peer.h"
#include "bench/conv_bench.h"
#include "data/dataset.h"
#include "kernels/conv.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "train/loop.h"

#define IMG 28
#define N_CLASSES 10

// region: conv_timing
// The kernel lesson in the default run: every rung of the conv ladder on the DigitCNN conv
// layers at batch B, forward and both backward passes, against v0_direct's numbers.
// (--bench runs the full conv_bench of common/bench/conv_bench.c.)
static double time_call(void (*fn)(void *), void *ctx, double budget, int *reps_out)
{
    double t0 = now_seconds();
    fn(ctx);
    double one = now_seconds() - t0, best = one;
    int reps = 1;
    while (reps < 50 && (reps + 1) * one < budget) {
        t0 = now_seconds();
        fn(ctx);
        double t = now_seconds() - t0;
        best = t < best ? t : best;
        reps++;
    }
    *reps_out = reps;
    return best;
}

typedef struct ConvRun {
    const ConvImpl *impl;
    const ConvShape *s;
    const float *x, *w, *b, *dy;
    float *y, *dx, *dw, *db, *work;
} ConvRun;

static void run_fwd(void *p)
{
    ConvRun *r = p;
    r->impl->forward(r->s, r->x, r->w, r->b, r->y, r->work);
}

static void run_bwd(void *p)
{
    ConvRun *r = p;
    memset(r->dx, 0, (size_t)r->s->B * r->s->C_in * r->s->H * r->s->W * sizeof(float));
    memset(r->dw, 0, (size_t)r->s->C_out * r->s->C_in * r->s->KH * r->s->KW * sizeof(float));
    memset(r->db, 0, (size_t)r->s->C_out * sizeof(float));
    r->impl->backward_data(r->s, r->dy, r->w, r->dx, r->work);
    r->impl->backward_weight(r->s, r->x, r->dy, r->dw, r->db, r->work);
}

static double max_rel_diff(const float *a, const float *ref, size_t n)
{
    double d = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - ref[i]));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    return scale > 0 ? d / scale : d;
}

void conv_timing_section(int batch, double budget, uint64_t seed, Metrics *m)
{
    static const struct { const char *name; int c_in, hw, c_out; } LAYERS[2] = {
        {"conv1", 1, 28, 32}, {"conv2", 32, 14, 64}};
    Rng rng;
    rng_seed(&rng, seed);
    printf("the DigitCNN conv layers, batch %d, %d thread(s); time = best of up to 50 runs within "
           "%.2g s; error = max |difference| / max |v0| over y, dx, dw\n", batch, threads_get(),
           budget);
    printf("  %-6s %-20s %10s %9s %11s %9s %10s\n", "layer", "rung", "fwd ms", "GFLOP/s",
           "bwd ms", "GFLOP/s", "error");
    for (int l = 0; l < 2; l++) {
        ConvShape s;
        const char *err = conv_shape_init(&s, batch, LAYERS[l].c_in, LAYERS[l].hw, LAYERS[l].hw,
                                          LAYERS[l].c_out, 3, 3, 1, 1);
        DL_CHECK(!err, "conv timing: %s", err);
        size_t nx = (size_t)s.B * s.C_in * s.H * s.W, nw = (size_t)s.C_out * s.C_in * 9,
               ny = (size_t)s.B * s.C_out * s.H_out * s.W_out;
        float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
        float *b = malloc((size_t)s.C_out * sizeof(float)), *dy = malloc(ny * sizeof(float));
        float *ref = malloc((ny + nx + nw) * sizeof(float));   // v0's y, dx, dw
        float *y = malloc(ny * sizeof(float)), *dx = malloc(nx * sizeof(float));
        float *dw = malloc(nw * sizeof(float)), *db = malloc((size_t)s.C_out * sizeof(float));
        DL_CHECK(x && w && b && dy && ref && y && dx && dw && db, "conv timing: out of memory");
        for (size_t i = 0; i < nx; i++) x[i] = rng_uniform(&rng);
        for (size_t i = 0; i < nw; i++) w[i] = rng_uniform_range(&rng, -0.3f, 0.3f);
        for (int i = 0; i < s.C_out; i++) b[i] = rng_uniform_range(&rng, -0.1f, 0.1f);
        for (size_t i = 0; i < ny; i++) dy[i] = rng_uniform_range(&rng, -1, 1);
        double flops = conv_flops(&s);
        for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
            const KernelRung *rung = &CONV_LADDER.rungs[k];
            const ConvImpl *impl = conv_impl(rung);
            size_t ws = impl->workspace(&s);
            float *work = ws ? malloc(ws * sizeof(float)) : NULL;
            DL_CHECK(!ws || work, "conv timing: out of memory");
            ConvRun r = {impl, &s, x, w, b, dy, y, dx, dw, db, work};
            int rf, rb;
            double tf = time_call(run_fwd, &r, budget, &rf);
            double tb = time_call(run_bwd, &r, 2 * budget, &rb);
            double e = 0;
            if (k == 0) {
                memcpy(ref, y, ny * sizeof(float));
                memcpy(ref + ny, dx, nx * sizeof(float));
                memcpy(ref + ny + nx, dw, nw * sizeof(float));
            } else {
                e = fmax(max_rel_diff(y, ref, ny), fmax(max_rel_diff(dx, ref + ny, nx),
                                                        max_rel_diff(dw, ref + ny + nx, nw)));
            }
            printf("  %-6s %-20s %10.3f %9.2f %11.3f %9.2f %10.1e\n", LAYERS[l].name, rung->name,
                   1e3 * tf, flops / tf / 1e9, 1e3 * tb, 2 * flops / tb / 1e9, e);
            // keys by rung number ("v2"), which stays when a rung is renamed
            const int tag = (int)strcspn(rung->name, "_");
            const char *ln = LAYERS[l].name;
            metrics_setf(m, tf, "convtime_%s_%.*s_fwd_s", ln, tag, rung->name);
            metrics_setf(m, tb, "convtime_%s_%.*s_bwd_s", ln, tag, rung->name);
            metrics_setf(m, e, "convtime_%s_%.*s_rel_err", ln, tag, rung->name);
            free(work);
        }
        free(x); free(w); free(b); free(dy); free(ref); free(y); free(dx); free(dw); free(db);
    }
    printf("  op_conv2d uses '%s' (--kernel conv=v0|v1|v2|auto)\n",
           ladder_selected(&CONV_LADDER)->name);
}
// endregion

// region: bench
// --bench: conv_bench (the full ladder, common/bench/conv_bench.c), then the training
// throughput of DigitCNN — images/s of forward + backward + Adam at batch 64 through the
// library's training loop — on 1 and 2 threads, next to PyTorch's.
#define BENCH_BATCH 64
#define BENCH_WARMUP 3         // untimed steps first (the first ones fill the step arena)

void digitcnn_train_steps(const Dataset *tr, long max_steps, uint64_t seed, TrainLog *log);

/* Images per second of DigitCNN training steps (random images and labels, batch 64) through
 * train_run, timed over `steps` steps after BENCH_WARMUP: BENCH_BATCH·steps / Σ step times
 * (log.step_seconds: data, forward, backward, Adam) — the measure of
 * scripts/bench_torch_cnn.py (S·B / seconds). */
double train_throughput(int steps, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    Dataset d;   // 4 batches of random "images": the data does not change the work
    dataset_alloc(&d, "random", 4 * BENCH_BATCH, IMG * IMG, N_CLASSES);
    d.rows = d.cols = IMG;
    for (size_t i = 0; i < (size_t)d.n * d.dim; i++) d.x[i] = rng_uniform(&rng);
    for (int i = 0; i < d.n; i++) d.y[i] = (int)rng_below(&rng, N_CLASSES);
    TrainLog log;
    digitcnn_train_steps(&d, steps + BENCH_WARMUP, seed, &log);
    double t = 0;
    for (long s = BENCH_WARMUP; s < log.steps; s++) t += log.step_seconds[s];
    double ips = (double)(log.steps - BENCH_WARMUP) * BENCH_BATCH / t;
    train_log_free(&log);
    dataset_free(&d);
    return ips;
}

/* PyTorch's images/s from scripts/bench_torch_cnn.py (bench/peer.h), or 0 with the reason in
 * why (torch missing: the script's own notice). */
static double torch_throughput(const char *argv0, int threads, char *why, size_t why_len)
{
    return peer_script_value(argv0, "bench_torch_cnn.py", threads, "torch_cnn images_per_s=", why, why_len);
}

void bench_run(const Cli *cli)
{
    conv_bench(cli->threads, cli->quick, stdout, NULL);
    char dir[600];   // the figures go to <out>/bench/: the training run's metrics stay
    cli_out_subdir(cli, "bench", dir, sizeof dir);
    Metrics m;
    metrics_init(&m, dir);
    metrics_set(&m, "bench_threads", cli->threads);
    const int steps = cli->quick ? 3 : 80;   // ~3 s per thread count at 1700 images/s
    printf("\nDigitCNN training throughput: forward + backward + Adam step through train_run, "
           "batch %d, %d steps timed after %d warm-up steps (conv rung %s)\n", BENCH_BATCH, steps,
           BENCH_WARMUP, ladder_selected(&CONV_LADDER)->name);
    printf("  %7s %14s %16s %10s\n", "threads", "C images/s", "PyTorch images/s", "C/PyTorch");
    const int T[2] = {1, 2};
    for (int i = 0; i < 2; i++) {
        threads_set(T[i]);
        double c = train_throughput(steps, cli->seed);
        char why[512] = "";
        double t = cli->quick ? 0 : torch_throughput(cli->argv[0], T[i], why, sizeof why);
        if (cli->quick) snprintf(why, sizeof why, "--quick: PyTorch not run");
        if (t > 0) printf("  %7d %14.0f %16.0f %9.2fx\n", T[i], c, t, c / t);
        else printf("  %7d %14.0f %16s %10s   (PyTorch skipped: %s)\n", T[i], c, "-", "-", why);
        metrics_setf(&m, c, "bench_train_%dt_images_per_s", T[i]);
        if (t > 0) {
            metrics_setf(&m, t, "bench_torch_%dt_images_per_s", T[i]);
            metrics_setf(&m, c / t, "bench_c_over_torch_%dt", T[i]);
        }
    }
    threads_set(cli->threads);
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    metrics_free(&m);
    printf("\nwrote %s\n", m.path);
}
// endregion
