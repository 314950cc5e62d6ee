/* 08_scaling/bf16.c — section 7: lower precision. bf16 storage with float32 accumulation, first
 * for one GEMM (bytes, speed, error), then for training chapter 7's GPT.
 * Build: make chapter8    Run: ./08_scaling/run (section 7)    Kernel: common/kernels/gemm_bf16.c
 * Part 1: C = A·B at N = 512, 1024, 2048 (--quick 128, 256) with A, B uniform in [-1, 1): the
 *   operands' bytes in float32 and bf16; GFLOP/s of our float32 GEMM (kernels/gemm.h, the rung in
 *   use) and of both bf16 rungs; the bf16 product's error against the float32 product of the
 *   unrounded operands (relative Frobenius, and max / mean |ΔC| over the RMS of C).
 * Part 2: chapter 7's character GPT (nanoGPT's CPU configuration: 4 layers, 4 heads, d_model
 *   128, context 64, batch 12; --quick 2 layers, d_model 64, context 32) on tiny Shakespeare,
 *   trained twice from the same seed: in float32, and with gemm_set_bf16(true) — every GEMM of
 *   the library (the Linear layers and the tied head, forward and backward) reads its operands
 *   rounded to bf16 and accumulates in float32, while the master weights, the gradients' sums
 *   and AdamW stay float32 (Micikevicius et al. 2018, "Mixed Precision Training"; bf16 needs no
 *   loss scaling: Kalamkar et al. 2019). The attention's own products (kernels/attention.c)
 *   stay float32. Loss curves overlaid in bf16_training.png; final validation losses compared.
 * Shapes: A (N, N), B (N, N), C (N, N) row-major; token windows (B, T), logits (B·T, V).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/timing.h"
#include "data/stream.h"
#include "data/text.h"
#include "kernels/gemm.h"
#include "kernels/gemm_bf16.h"
#include "nn/params.h"
#include "nn/transformer.h"
#include "report/plot.h"
#include "train/eval.h"
#include "train/loop.h"

#include "scaling.h"

#define BF16_TEXT "tinyshakespeare.txt"   // Karpathy's char-rnn corpus (make data)
#define LN2 0.69314718055994530942

// region: the GEMM in bf16

typedef struct GemmCall {
    int n;
    const float *a32, *b32;
    const bf16 *a16, *b16;
    float *c;
    GemmBf16Fn bf;       // NULL: the float32 gemm()
} GemmCall;

static void gemm_call(const GemmCall *g)
{
    if (g->bf) g->bf(g->n, g->n, g->n, g->a16, g->b16, g->c);
    else gemm(g->n, g->n, g->n, g->a32, g->n, g->b32, g->n, g->c, g->n, false);
}

// Median seconds of `reps` runs after one warm-up (the warm-up alone when it took > 1 s).
static double gemm_seconds(const GemmCall *g, int reps, int *done)
{
    double t0 = now_seconds();
    gemm_call(g);
    double first = now_seconds() - t0;
    if (first > 1.0) { *done = 1; return first; }
    double t[16];
    if (reps > 16) reps = 16;
    for (int r = 0; r < reps; r++) {
        t0 = now_seconds();
        gemm_call(g);
        t[r] = now_seconds() - t0;
    }
    *done = reps;
    return bench_median(t, reps);
}

// Errors of c against the float32 product ref: ‖ΔC‖_F / ‖C‖_F, and max and mean |ΔC| / RMS(C).
static void gemm_errors(const float *c, const float *ref, size_t n, double *fro, double *max_rel,
                        double *mean_rel)
{
    double num = 0, den = 0, worst = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)c[i] - ref[i]);
        num += d * d;
        den += (double)ref[i] * ref[i];
        sum += d;
        if (d > worst) worst = d;
    }
    double rms = sqrt(den / (double)n);
    *fro = sqrt(num / den);
    *max_rel = worst / rms;
    *mean_rel = sum / (double)n / rms;
}

static void gemm_part(Chapter *ch)
{
    const bool quick = ch->cli.quick;
    const int sizes_full[] = {512, 1024, 2048}, sizes_quick[] = {128, 256};
    const int *sizes = quick ? sizes_quick : sizes_full;
    const int n_sizes = quick ? 2 : 3;
    const KernelRung *rung32 = ladder_selected(&GEMM_LADDER);
    printf("C = A·B, N x N x N, A and B uniform in [-1, 1); %d thread(s); the float32 GEMM is "
           "chapter 2's rung %s. Operand bytes: A and B (C is float32 in both).\n",
           threads_get(), rung32->name);
    printf("  %5s  %9s %9s  %10s", "N", "fp32 MiB", "bf16 MiB", "fp32 GF/s");
    for (int k = 0; k < GEMM_BF16_LADDER.n_rungs; k++)
        printf(" %15s", GEMM_BF16_LADDER.rungs[k].name);
    printf("  %10s %10s %10s\n", "rel err", "max/rms", "mean/rms");
    double fro_last = 0, max_last = 0;
    for (int s = 0; s < n_sizes; s++) {
        const int n = sizes[s];
        const size_t nn = (size_t)n * n;
        float *a = dl_malloc(nn * sizeof *a, "bf16 A"), *b = dl_malloc(nn * sizeof *b, "bf16 B");
        float *c32 = dl_malloc(nn * sizeof *c32, "C fp32"), *c = dl_malloc(nn * sizeof *c, "C");
        bf16 *a16 = dl_malloc(nn * sizeof *a16, "A bf16"), *b16 = dl_malloc(nn * sizeof *b16, "B");
        Rng r;
        rng_seed(&r, ch->cli.seed + (uint64_t)n);
        for (size_t i = 0; i < nn; i++) a[i] = rng_uniform_range(&r, -1.0f, 1.0f);
        for (size_t i = 0; i < nn; i++) b[i] = rng_uniform_range(&r, -1.0f, 1.0f);
        bf16_from_floats(a, a16, nn);
        bf16_from_floats(b, b16, nn);
        const double flop = 2.0 * n * n * n, mib = 1024.0 * 1024.0;
        const int reps = n <= 512 ? 7 : n <= 1024 ? 5 : 3;
        int done;
        GemmCall g = {n, a, b, a16, b16, c32, NULL};
        double t32 = gemm_seconds(&g, reps, &done);
        printf("  %5d  %9.1f %9.1f  %10.1f", n, 2.0 * nn * 4 / mib, 2.0 * nn * 2 / mib,
               flop / t32 / 1e9);
        metrics_setf(&ch->metrics, flop / t32 / 1e9, "bf16_gemm_n%d_fp32_gflops", n);
        double fro = 0, mx = 0, mean = 0;
        for (int k = 0; k < GEMM_BF16_LADDER.n_rungs; k++) {
            const KernelRung *rung = &GEMM_BF16_LADDER.rungs[k];
            if (!rung_available(rung)) { printf(" %15s", "n/a"); continue; }
            g = (GemmCall){n, a, b, a16, b16, c, ((const GemmBf16Impl *)rung->impl)->fn};
            double t = gemm_seconds(&g, reps, &done);
            printf(" %15.1f", flop / t / 1e9);
            metrics_setf(&ch->metrics, flop / t / 1e9, "bf16_gemm_n%d_%s_gflops", n, rung->name);
            gemm_errors(c, c32, nn, &fro, &mx, &mean);   // the last rung's (all agree closely)
        }
        printf("  %10.2e %10.2e %10.2e\n", fro, mx, mean);
        metrics_setf(&ch->metrics, fro, "bf16_gemm_n%d_rel_err", n);
        fro_last = fro;
        max_last = mx;
        free(a); free(b); free(c32); free(c); free(a16); free(b16);
    }
    printf("  GF/s: 2·N³ / median time. rel err: ‖C_bf16 − C_fp32‖_F / ‖C_fp32‖_F, the fp32 "
           "product of the unrounded operands as reference. Rounding each operand to 8 "
           "significant bits errs by up to 2^-9 = %.2e (relative), on average a third of that; "
           "a product of two rounded operands carries two such errors.\n", ldexp(1.0, -9));
    printf("  bf16 halves the bytes of A and B: a memory-bound product moves half as much, and "
           "VDPBF16PS does two multiply-adds per float32 lane where FMA does one.\n");
    metrics_set(&ch->metrics, "bf16_gemm_rel_err", fro_last);
    metrics_set(&ch->metrics, "bf16_gemm_max_rel_err", max_last);
}

// endregion
// region: training in bf16

typedef struct Bf16Run {
    const char *label;
    bool bf16;
    TrainLog log;
    double val_loss, seconds;
} Bf16Run;

// Train a fresh GPT from cli->seed on train, validating on val each epoch; then the loss on
// the n_final validation tokens, evaluated in the run's own precision.
static void bf16_train(Chapter *ch, Bf16Run *run, const GptConfig *cfg, int B, int iters,
                       int epochs, const int *train, size_t n_train, const int *val,
                       size_t n_val_epoch, size_t n_final)
{
    char err[512];
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    Model m;
    model_init(&m, run->bf16 ? "08_scaling/gpt_bf16" : "08_scaling/gpt_fp32");
    Gpt g;
    gpt_init(&g, &m, cfg, &rng);
    WindowSampler ws;
    const int spe = (iters + epochs - 1) / epochs;
    if (!window_sampler_init(&ws, train, n_train, B, cfg->T, spe, &rng, err, sizeof err))
        dl_die("bf16 section: %s", err);
    OptConfig opt = optim_defaults(OPT_ADAMW);   // nanoGPT's recipe, as chapter 7
    opt.lr = 1e-3f;
    opt.beta2 = 0.99f;
    opt.weight_decay = 0.1f;
    opt.decay_min_ndim = 2;
    const int warmup = iters >= 1000 ? 100 : iters / 10;
    Schedule sched = {.kind = SCHED_COSINE, .warmup_steps = warmup, .min_lr = 1e-4f,
                      .total_steps = iters - warmup > 0 ? iters - warmup : 1};
    TrainConfig tc = {.label = run->label, .epochs = epochs, .max_steps = iters, .opt = opt,
                      .schedule = sched, .clip_norm = 1.0f, .val_tokens = val,
                      .n_val_tokens = n_val_epoch, .val_B = B, .val_T = cfg->T,
                      .eval_before = true, .print = false};
    TrainTask task = {&m, &g, gpt_forward, NULL, NULL};
    gemm_set_bf16(run->bf16);
    train_run(&task, &ws.src, &tc, &rng, &run->log);
    run->seconds = run->log.seconds[run->log.epochs_run];
    LmEval e = eval_lm(&m, &g, gpt_forward, val, n_final, B, cfg->T);
    gemm_set_bf16(false);
    run->val_loss = e.loss;
    window_sampler_free(&ws);
    model_free(&m);
}

static void training_part(Chapter *ch)
{
    const Cli *cli = &ch->cli;
    const bool quick = cli->quick;
    char path[1024], err[1024];
    path_join(path, sizeof path, cli->data_dir, BF16_TEXT);
    Text t;
    if (!text_load(path, &t, err, sizeof err))
        dl_die("%s (section 7 trains on tiny Shakespeare: run `make data`)", err);
    Vocab chars;
    if (!vocab_build_chars(&chars, t.bytes, t.n, err, sizeof err)) dl_die("%s: %s", path, err);
    int *ids = dl_malloc(t.n * sizeof *ids, "character ids");
    if (!vocab_encode_chars(&chars, t.bytes, t.n, ids, err, sizeof err))
        dl_die("%s: %s", path, err);
    const size_t n_train = t.n - t.n / 10, n_val = t.n - n_train;
    const GptConfig cfg = {.V = chars.V, .T = quick ? 32 : 64, .L = quick ? 2 : 4, .NH = 4,
                           .C = quick ? 64 : 128, .bias = false, .causal = true,
                           .post_ln = false, .pos = POS_LEARNED};
    const int B = 12, iters = quick ? 24 : 600, epochs = quick ? 3 : 6;
    const size_t n_val_epoch = n_val < (quick ? 4096u : 16384u) ? n_val : (quick ? 4096u : 16384u);
    const size_t n_final = quick && n_val > 8192 ? 8192 : n_val;
    if (n_val_epoch < (size_t)B * (cfg.T + 1) + 1 || n_train < (size_t)cfg.T + 2)
        dl_die("%s: %zu characters is too short for section 7 (it needs %d in its validation "
               "tenth)", path, t.n, B * (cfg.T + 1) + 1);
    printf("\nChapter 7's GPT on %s (%zu characters, V = %d): %d layers, %d heads, d_model %d, "
           "context %d, batch %d, %zu parameters; AdamW as nanoGPT, %d iterations%s. Twice from "
           "seed %llu: float32, then bf16 operands in every GEMM (fp32 accumulation, fp32 master "
           "weights and AdamW).\n", BF16_TEXT, t.n, cfg.V, cfg.L, cfg.NH, cfg.C, cfg.T, B,
           gpt_param_count(&cfg), iters, quick ? " (--quick: a small model briefly)" : "",
           (unsigned long long)cli->seed);
    Bf16Run runs[2] = {{.label = "GPT fp32", .bf16 = false}, {.label = "GPT bf16", .bf16 = true}};
    for (int i = 0; i < 2; i++)
        bf16_train(ch, &runs[i], &cfg, B, iters, epochs, ids, n_train, ids + n_train,
                   n_val_epoch, n_final);
    const double toks = (double)iters * B * cfg.T;
    printf("  %-9s %10s %12s %12s %14s %10s\n", "run", "step-1 loss", "final train", "val loss",
           "val bits/char", "tokens/s");
    for (int i = 0; i < 2; i++) {
        const Bf16Run *r = &runs[i];
        const TrainLog *l = &r->log;
        printf("  %-9s %10.4f %12.4f %12.4f %14.4f %10.0f\n", r->label + 4, l->step_loss[0],
               l->train_loss[l->epochs_run], r->val_loss, r->val_loss / LN2, toks / r->seconds);
    }
    const double gap = runs[1].val_loss - runs[0].val_loss;
    double max_step_gap = 0;
    for (long s = 0; s < runs[0].log.steps && s < runs[1].log.steps; s++) {
        double d = fabs((double)runs[1].log.step_loss[s] - runs[0].log.step_loss[s]);
        if (d > max_step_gap) max_step_gap = d;
    }
    printf("  validation loss (%zu characters), bf16 − fp32: %+.4f nats/char (%+.2f %%); the "
           "largest gap between the two step-loss curves: %.4f. bf16 keeps float32's exponent, "
           "so nothing overflows or underflows and no loss scaling is needed; its 8-bit "
           "mantissa is noise the optimizer averages away. The bf16 run here is emulated (the "
           "operands rounded, then the float32 GEMM): its tokens/s says nothing about bf16's "
           "speed (the rounding costs a little; the rest is the machine's load) — that is part "
           "1's (and --bench's).\n", n_final, gap, 100.0 * gap / runs[0].val_loss,
           max_step_gap);
    Metrics *mt = &ch->metrics;
    metrics_set(mt, "bf16_fp32_val_loss", runs[0].val_loss);
    metrics_set(mt, "bf16_bf16_val_loss", runs[1].val_loss);
    metrics_set(mt, "bf16_loss_gap", gap);
    metrics_set(mt, "bf16_max_step_loss_gap", max_step_gap);
    metrics_set(mt, "bf16_fp32_step1_loss", runs[0].log.step_loss[0]);
    metrics_set(mt, "bf16_bf16_step1_loss", runs[1].log.step_loss[0]);
    // the overlay: step losses and the per-epoch validation losses, by step
    const long steps = runs[0].log.steps < runs[1].log.steps ? runs[0].log.steps
                                                               : runs[1].log.steps;
    float *xs = dl_malloc((size_t)steps * sizeof *xs, "plot x");
    for (long s = 0; s < steps; s++) xs[s] = (float)(s + 1);
    float vx[2][64], vy[2][64];
    PlotSeries ser[4];
    int ns = 0;
    for (int i = 0; i < 2; i++)
        ser[ns++] = (PlotSeries){i ? "bf16: step loss" : "fp32: step loss", xs,
                                 runs[i].log.step_loss, (int)steps, "lines lw 1"};
    for (int i = 0; i < 2; i++) {
        const TrainLog *l = &runs[i].log;
        int k = 0;
        for (int e = 0; e <= l->epochs_run && k < 64; e++) {
            if (isnan(l->val_loss[e])) continue;
            vx[i][k] = (float)((long)e * l->steps_per_epoch < l->steps
                               ? (long)e * l->steps_per_epoch : l->steps);
            vy[i][k++] = l->val_loss[e];
        }
        ser[ns++] = (PlotSeries){i ? "bf16: validation" : "fp32: validation", vx[i], vy[i], k,
                                 i ? "linespoints pt 6 lw 2" : "linespoints pt 7 lw 2"};
    }
    plot_lines(cli->out_dir, "bf16_training", "GPT on tiny Shakespeare: fp32 vs bf16 GEMMs",
               "step", "cross-entropy (nats/char)", ser, ns, false);
    // the curves overlap at this scale: their difference, step by step, shows how far apart
    float *gapy = dl_malloc((size_t)steps * sizeof *gapy, "plot gap");
    for (long s = 0; s < steps; s++) gapy[s] = runs[1].log.step_loss[s] - runs[0].log.step_loss[s];
    PlotSeries gs = {"bf16 − fp32, step loss", xs, gapy, (int)steps, "lines lw 1"};
    plot_lines(cli->out_dir, "bf16_loss_gap", "GPT: bf16 step loss minus fp32 step loss", "step",
               "Δ cross-entropy (nats/char)", &gs, 1, false);
    printf("  loss curves overlaid: %s/bf16_training.png; their difference: bf16_loss_gap.png\n",
           cli->out_dir);
    free(gapy);
    free(xs);
    for (int i = 0; i < 2; i++) train_log_free(&runs[i].log);
    free(ids);
    vocab_free(&chars);
    text_free(&t);
}

// endregion

void bf16_section(Chapter *ch, const Flags *f)
{
    (void)f;
    chapter_section("7. Lower precision: bf16 storage, float32 accumulation");
    gemm_part(ch);
    training_part(ch);
}
