/* common/bench/conv_bench.c — see bench/conv_bench.h: every conv rung timed side by side. */
#include "base/clock.h"
#include "bench/conv_bench.h"

#include "kernels/conv.h"
#include "base/error.h"
#include "kernels/gemm.h"
#include "bench/peak.h"
#include "bench/timing.h"
#include "base/rng.h"
#include "base/threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SEED 42
#define BENCH_REPS 7       // median of this many timed runs after a warm-up ...
#define BENCH_V0_REPS 3    // ... and of this many for v0_direct (seconds per run at batch 64)

static float *alloc_floats(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) dl_die("conv_bench: out of memory for %zu floats", n);
    return p;
}

// One pass of one rung. The backward passes accumulate, so each run first clears its output:
// a memset of dx or dw, negligible next to the convolution (and the same for every rung).
typedef struct Pass {
    const ConvImpl *impl;
    const ConvShape *s;
    int pass;                  // 0 forward, 1 backward_data, 2 backward_weight
    const float *x, *w, *b, *dy;
    float *out, *db, *work;
    size_t out_n;
} Pass;

static void pass_run(const Pass *p)
{
    switch (p->pass) {
    case 0: p->impl->forward(p->s, p->x, p->w, p->b, p->out, p->work); break;
    case 1:
        memset(p->out, 0, p->out_n * sizeof(float));
        p->impl->backward_data(p->s, p->dy, p->w, p->out, p->work);
        break;
    default:
        memset(p->out, 0, p->out_n * sizeof(float));
        memset(p->db, 0, (size_t)p->s->C_out * sizeof(float));
        p->impl->backward_weight(p->s, p->x, p->dy, p->out, p->db, p->work);
    }
}

static double time_median(const Pass *p, int reps)
{
    pass_run(p);   // warm-up: page faults, packing buffers, thread pool start
    double t[BENCH_REPS];
    for (int i = 0; i < reps; i++) {
        double t0 = now_seconds();
        pass_run(p);
        t[i] = now_seconds() - t0;
    }
    return bench_median(t, reps);
}

void conv_bench(int threads, bool quick, FILE *out, ConvBenchResult *res)
{
    static const char *pass_name[CONV_BENCH_PASSES] = {"forward", "backward_data",
                                                       "backward_weight"};
    static const struct { const char *name; int C_in, H, C_out; } layers[CONV_BENCH_LAYERS] = {
        {"conv1", 1, 28, 32}, {"conv2", 32, 14, 64}};
    if (threads < 1) threads = 1;
    if (CONV_LADDER.n_rungs > CONV_BENCH_MAX_RUNGS)
        dl_die("conv_bench: CONV_LADDER has %d rungs, raise CONV_BENCH_MAX_RUNGS (%d)",
               CONV_LADDER.n_rungs, CONV_BENCH_MAX_RUNGS);
    int batch = quick ? 16 : 64;
    ConvBenchResult r = {.threads = threads, .batch = batch, .isa = peak_isa(),
                         .n_rungs = CONV_LADDER.n_rungs};
    int saved_threads = threads_get();
    threads_set(threads);
    r.peak1_gflops = peak_gflops(1);
    r.peak_gflops = threads == 1 ? r.peak1_gflops : peak_gflops(threads);
    // v1's GEMM is the selected rung: threaded only when that is v4_threads.
    int v1_threads = strcmp(ladder_selected(&GEMM_LADDER)->name, "v4_threads") == 0 ? threads : 1;

    fprintf(out, "Conv ladder: DigitCNN conv layers, batch %d, NCHW, seed %d, median of %d runs "
                 "(v0: %d) after a warm-up\n", batch, BENCH_SEED, BENCH_REPS, BENCH_V0_REPS);
    fprintf(out, "FLOP per pass = 2·B·C_out·H_out·W_out·C_in·KH·KW (each backward pass the "
                 "same as forward)\n");
    fprintf(out, "threads: v0_direct 1; v1_im2col %d (its GEMM is gemm()'s rung %s); v2 %d. "
                 "%%peak vs the %s FMA peak on that many threads: %.1f GFLOP/s on 1, %.1f on %d\n",
            v1_threads, ladder_selected(&GEMM_LADDER)->name, threads, r.isa, r.peak1_gflops, r.peak_gflops, threads);

    Rng rng;
    rng_seed(&rng, BENCH_SEED);
    for (int li = 0; li < CONV_BENCH_LAYERS; li++) {
        ConvShape s;
        const char *err = conv_shape_init(&s, batch, layers[li].C_in, layers[li].H, layers[li].H,
                                          layers[li].C_out, 3, 3, 1, 1);
        if (err) dl_die("conv_bench: %s", err);
        ConvBenchLayer *L = &r.layer[li];
        *L = (ConvBenchLayer){.name = layers[li].name, .B = s.B, .C_in = s.C_in, .H = s.H,
                              .W = s.W, .C_out = s.C_out, .KH = 3, .KW = 3, .gflop = conv_flops(&s) / 1e9};
        size_t xn = (size_t)s.B * s.C_in * s.H * s.W, wn = (size_t)s.C_out * s.C_in * 9,
               yn = (size_t)s.B * s.C_out * s.H_out * s.W_out;
        float *x = alloc_floats(xn), *w = alloc_floats(wn), *b = alloc_floats(s.C_out);
        float *dy = alloc_floats(yn);
        for (size_t i = 0; i < xn; i++) x[i] = rng_uniform_range(&rng, -1.0f, 1.0f);
        for (size_t i = 0; i < wn; i++) w[i] = rng_uniform_range(&rng, -1.0f, 1.0f);
        for (int i = 0; i < s.C_out; i++) b[i] = rng_uniform_range(&rng, -1.0f, 1.0f);
        for (size_t i = 0; i < yn; i++) dy[i] = rng_uniform_range(&rng, -1.0f, 1.0f);
        size_t out_n[CONV_BENCH_PASSES] = {yn, xn, wn};
        float *ref[CONV_BENCH_PASSES], *got[CONV_BENCH_PASSES];
        for (int p = 0; p < CONV_BENCH_PASSES; p++) {
            ref[p] = alloc_floats(out_n[p]);
            got[p] = alloc_floats(out_n[p]);
        }
        float *db = alloc_floats(s.C_out);

        L->im2col_mib_image = conv_im2col_floats(&s) * 4.0 / (1 << 20);
        L->im2col_mib_batch = L->im2col_mib_image * s.B;
        fprintf(out, "\n%s: x (%d, %d, %d, %d) -> y (%d, %d, %d, %d), 3x3, stride 1, pad 1; "
                     "%.3g GFLOP per pass\n", L->name, s.B, s.C_in, s.H, s.W, s.B, s.C_out,
                s.H_out, s.W_out, L->gflop);
        fprintf(out, "  memory: im2col buffer %.3f MiB per image, %.2f MiB for the whole batch; "
                     "workspace", L->im2col_mib_image, L->im2col_mib_batch);
        for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
            L->work_mib[k] = conv_impl(&CONV_LADDER.rungs[k])->workspace(&s) * 4.0 / (1 << 20);
            fprintf(out, " %s %.2f MiB%s", CONV_LADDER.rungs[k].name, L->work_mib[k],
                    k + 1 < CONV_LADDER.n_rungs ? "," : "\n");
        }
        fprintf(out, "  %-16s %-20s %3s %4s %9s %9s %7s %9s  %s\n", "pass", "version", "thr",
                "reps", "ms", "GFLOP/s", "%peak", "speedup", "max|err|");
        for (int p = 0; p < CONV_BENCH_PASSES; p++) {
            double v0_sec = 0;
            for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
                const ConvImpl *impl = conv_impl(&CONV_LADDER.rungs[k]);
                size_t wsz = impl->workspace(&s);
                float *work = wsz ? alloc_floats(wsz) : NULL;
                Pass run = {.impl = impl, .s = &s, .pass = p, .x = x, .w = w, .b = b, .dy = dy,
                            .out = k == 0 ? ref[p] : got[p], .db = db, .work = work,
                            .out_n = out_n[p]};
                int reps = k == 0 ? BENCH_V0_REPS : BENCH_REPS;
                double sec = time_median(&run, reps);
                free(work);
                if (k == 0) v0_sec = sec;
                int thr = k == 0 ? 1 : k == 1 ? v1_threads : threads;
                double gf = conv_flops(&s) / sec / 1e9;
                double peak = thr == 1 ? r.peak1_gflops : r.peak_gflops;
                L->ms[k][p] = sec * 1e3;
                L->gflops[k][p] = gf;
                L->max_err[k][p] = k == 0 ? 0.0 : bench_max_abs_diff(got[p], ref[p], out_n[p]);
                fprintf(out, "  %-16s %-20s %3d %4d %9.3f %9.2f %6.1f%% %8.1fx  %.1e\n",
                        p == 0 || k == 0 ? pass_name[p] : "", CONV_LADDER.rungs[k].name, thr, reps, sec * 1e3,
                        gf, 100.0 * gf / peak, v0_sec / sec, L->max_err[k][p]);
            }
        }
        for (int p = 0; p < CONV_BENCH_PASSES; p++) {
            free(ref[p]);
            free(got[p]);
        }
        free(x); free(w); free(b); free(dy); free(db);
    }
    // A training step's conv work with the fastest rung (the last): conv1 needs no dx.
    int f = CONV_LADDER.n_rungs - 1;
    r.step_ms = r.layer[0].ms[f][0] + r.layer[0].ms[f][2] + r.layer[1].ms[f][0] +
                r.layer[1].ms[f][1] + r.layer[1].ms[f][2];
    fprintf(out, "\n%s per training step (conv1 fwd + bwd_weight, conv2 fwd + bwd_data + "
                 "bwd_weight), batch %d: %.2f ms on %d thread%s\n", CONV_LADDER.rungs[f].name, batch,
            r.step_ms, threads, threads == 1 ? "" : "s");
    threads_set(saved_threads);
    if (res) *res = r;
}
