/* 05_rnn_lstm/bench.c — chapter 5's --bench: every rung of the recurrent ladder on one LSTM
 * layer, forward and BPTT, against v0_matvec's numbers, at 1 and 2 threads (section 4 of the
 * run, timing.c, shows the same at the run's thread count); then the training throughput of
 * Zaremba et al.'s "small" PTB model — the WHOLE step: embedding, 2-layer LSTM, the 10k-word softmax head, backward,
 * clipping, SGD — through the library's loop under every rung, next to PyTorch's nn.LSTM on the
 * same configuration, via scripts/bench_torch_lstm.py).
 * Built into 05_rnn_lstm/run with rnn.c; `./05_rnn_lstm/run --bench` runs the second part.
 */
#include "bench.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/peer.h"
#include "bench/peak.h"
#include "data/batch.h"
#include "kernels/gemm.h"
#include "kernels/recurrent.h"
#include "optim/optimizer.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "train/loop.h"
#include "train/model.h"

#include "lm.h"

// Zaremba, Sutskever & Vinyals (2014), "small": the configuration every figure here uses.
enum { ZS_V = 10000, ZS_D = 200, ZS_H = 200, ZS_L = 2, ZS_T = 20, ZS_B = 20 };
#define BENCH_WINDOWS 3   // timed steps in 3 windows, the best one's tokens/s (as the PyTorch script)

// region: layer_table
// Every rung on one LSTM layer of the small model (B = 20, T = 20, C = H = 200), forward and
// backward, against v0_matvec's numbers.
typedef struct LayerRun {
    RnnLayer l;
    Arena scratch;
    size_t nx, ny, nw_ih, nw_hh, ng;
} LayerRun;

static void layer_fwd(LayerRun *r)
{
    arena_reset(&r->scratch);
    recurrent_impl(ladder_selected(&RNN_LADDER))->forward(&r->l);
}

static void layer_bwd(LayerRun *r)
{
    arena_reset(&r->scratch);
    memset(r->l.dx, 0, r->nx * sizeof(float));
    memset(r->l.dw_ih, 0, r->nw_ih * sizeof(float));
    memset(r->l.dw_hh, 0, r->nw_hh * sizeof(float));
    memset(r->l.db_ih, 0, r->ng * sizeof(float));
    memset(r->l.db_hh, 0, r->ng * sizeof(float));
    recurrent_impl(ladder_selected(&RNN_LADDER))->backward(&r->l);
}

// Best time of up to 20 calls within budget seconds (at least one call).
static double best_time(void (*fn)(LayerRun *), LayerRun *r, double budget)
{
    double t0 = now_seconds();
    fn(r);
    double best = now_seconds() - t0, spent = best;
    for (int k = 1; k < 20 && spent + best < budget; k++) {
        t0 = now_seconds();
        fn(r);
        double t = now_seconds() - t0;
        spent += t;
        best = t < best ? t : best;
    }
    return best;
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

static float *rand_floats(Rng *r, size_t n, float lo, float hi)
{
    float *p = dl_malloc(n * sizeof *p, "rnn timing");
    for (size_t i = 0; i < n; i++) p[i] = rng_uniform_range(r, lo, hi);
    return p;
}

static void layer_timing(bool quick, uint64_t seed, Metrics *m, const char *key_suffix)
{
    const int B = ZS_B, T = ZS_T, C = ZS_D, H = ZS_H, G = 4, GH = G * H;
    Rng rng;
    rng_seed(&rng, seed);
    LayerRun r = {.nx = (size_t)B * T * C, .ny = (size_t)B * T * H, .nw_ih = (size_t)C * GH,
                  .nw_hh = (size_t)H * GH, .ng = (size_t)GH};
    arena_init(&r.scratch, "rnn timing");
    r.l = (RnnLayer){
        .kind = CELL_LSTM, .B = B, .T = T, .C = C, .H = H,
        .x = rand_floats(&rng, r.nx, -1, 1), .w_ih = rand_floats(&rng, r.nw_ih, -0.1f, 0.1f),
        .w_hh = rand_floats(&rng, r.nw_hh, -0.1f, 0.1f), .b_ih = rand_floats(&rng, GH, -0.1f, 0.1f),
        .b_hh = rand_floats(&rng, GH, -0.1f, 0.1f), .h0 = rand_floats(&rng, (size_t)B * H, -0.5f, 0.5f),
        .c0 = rand_floats(&rng, (size_t)B * H, -0.5f, 0.5f),
        .y = rand_floats(&rng, r.ny, 0, 0), .act = rand_floats(&rng, (size_t)B * T * GH, 0, 0),
        .aux = rand_floats(&rng, r.ny, 0, 0), .aux2 = rand_floats(&rng, r.ny, 0, 0),
        .dy = rand_floats(&rng, r.ny, -0.01f, 0.01f),
        .dx = rand_floats(&rng, r.nx, 0, 0), .dw_ih = rand_floats(&rng, r.nw_ih, 0, 0),
        .dw_hh = rand_floats(&rng, r.nw_hh, 0, 0), .db_ih = rand_floats(&rng, GH, 0, 0),
        .db_hh = rand_floats(&rng, GH, 0, 0),
        .scratch = &r.scratch,
    };
    // v0's results, to compare every rung with
    const size_t nref = r.ny + r.nx + r.nw_ih + r.nw_hh;
    float *ref = dl_malloc(nref * sizeof *ref, "rnn timing");
    // FLOP: per step and example, G·H·(C + H) multiply-adds forward; backward twice that
    const double flops_f = 2.0 * B * T * GH * (double)(C + H), flops_b = 2 * flops_f;
    const double budget = quick ? 0.05 : 0.5;
    const KernelRung *in_use = ladder_selected(&RNN_LADDER);
    const double peak = peak_gflops(threads_get());   // measured now (bench/peak.h)
    printf("one LSTM layer of the small PTB model (B = %d, T = %d, C = H = %d), %d thread(s), "
           "peak %.0f GFLOP/s (%s FMA loop, measured); time = best of up to 20 runs within %.2g "
           "s; error = max |difference| / max |v0| over y, dx, dW_ih, dW_hh\n", B, T, H,
           threads_get(), peak, peak_isa(), budget);
    printf("  %-18s %9s %8s %9s %8s %8s %11s %9s\n", "rung", "fwd ms", "GFLOP/s", "bwd ms",
           "GFLOP/s", "of peak", "tokens/s", "error");
    for (int k = 0; k < RNN_LADDER.n_rungs; k++) {
        const KernelRung *rung = &RNN_LADDER.rungs[k];
        RNN_LADDER.selected = rung;
        double tf = best_time(layer_fwd, &r, budget), tb = best_time(layer_bwd, &r, 2 * budget);
        double e = 0;
        float *parts[4] = {r.l.y, r.l.dx, r.l.dw_ih, r.l.dw_hh};
        size_t ns[4] = {r.ny, r.nx, r.nw_ih, r.nw_hh};
        for (size_t i = 0, off = 0; i < 4; off += ns[i], i++) {
            if (k == 0) memcpy(ref + off, parts[i], ns[i] * sizeof(float));
            else e = fmax(e, max_rel_diff(parts[i], ref + off, ns[i]));
        }
        double tps = B * T / (tf + tb);
        const double all = (flops_f + flops_b) / (tf + tb) / 1e9;   // forward + backward
        printf("  %-18s %9.2f %8.2f %9.2f %8.2f %7.1f%% %11.0f %9.1e\n", rung->name, 1e3 * tf,
               flops_f / tf / 1e9, 1e3 * tb, flops_b / tb / 1e9, 100 * all / peak, tps, e);
        const int tag = (int)strcspn(rung->name, "_");
        metrics_setf(m, tf, "rnntime_%.*s_fwd_s%s", tag, rung->name, key_suffix);
        metrics_setf(m, tb, "rnntime_%.*s_bwd_s%s", tag, rung->name, key_suffix);
        metrics_setf(m, tps, "rnntime_%.*s_tokens_per_s%s", tag, rung->name, key_suffix);
        metrics_setf(m, e, "rnntime_%.*s_rel_err%s", tag, rung->name, key_suffix);
    }
    RNN_LADDER.selected = in_use;
    printf("  op_recurrent uses '%s' (--kernel rnn=v0|v1|v2|v3|auto); of peak: forward + "
           "backward FLOP/s over the peak\n", in_use->name);
    const float *owned[] = {r.l.x, r.l.w_ih, r.l.w_hh, r.l.b_ih, r.l.b_hh, r.l.h0, r.l.c0, r.l.y,
                            r.l.act, r.l.aux, r.l.aux2, r.l.dy, r.l.dx, r.l.dw_ih, r.l.dw_hh,
                            r.l.db_ih, r.l.db_hh, ref};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free((void *)owned[i]);
    arena_free(&r.scratch);
}


void rnn_timing_section(bool quick, uint64_t seed, Metrics *m)
{
    layer_timing(quick, seed, m, "");
}
// endregion

// region: train_throughput
// The training step the chapter trains PTB with, timed: lm.c's model (Zaremba small), a source
// of random-token windows (the data does not change the work), train_run with SGD lr 1 and
// clipping at 5, cross-entropy over the 10k words.
typedef struct RandomStream {
    BatchSource src;      // first member: a RandomStream is a BatchSource
    int B, T, windows;    // windows of T tokens per row, then the epoch ends
    int *stream;          // (B, windows·T + 1)
    int *tokens, *y;      // (B, T) the batch handed out
    int pos[1];           // the window of the epoch (src.state)
} RandomStream;

static int random_stream_next(BatchSource *s, Batch *b)
{
    RandomStream *r = (RandomStream *)s;
    if (r->pos[0] == r->windows) {
        r->pos[0] = 0;
        return 0;
    }
    const int w = r->pos[0]++, len = r->windows * r->T + 1;
    for (int i = 0; i < r->B; i++)
        for (int t = 0; t < r->T; t++) {
            r->tokens[i * r->T + t] = r->stream[i * len + w * r->T + t];
            r->y[i * r->T + t] = r->stream[i * len + w * r->T + t + 1];
        }
    *b = (Batch){.B = r->B, .T = r->T, .tokens = r->tokens, .y = r->y, .reset_state = w == 0};
    return r->B;
}

double lm_train_tokens_per_s(CellKind kind, int steps, int warmup, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    RandomStream rs = {.B = ZS_B, .T = ZS_T, .windows = 16};
    const int len = rs.windows * rs.T + 1;
    rs.stream = dl_malloc((size_t)rs.B * len * sizeof(int), "bench stream");
    rs.tokens = dl_malloc((size_t)rs.B * rs.T * sizeof(int), "bench stream");
    rs.y = dl_malloc((size_t)rs.B * rs.T * sizeof(int), "bench stream");
    for (int i = 0; i < rs.B * len; i++) rs.stream[i] = (int)rng_below(&rng, ZS_V);
    rs.src = (BatchSource){.next = random_stream_next, .steps_per_epoch = rs.windows,
                           .state = rs.pos, .n_state = 1};
    Model m;
    model_init(&m, "05_rnn_lstm/bench");
    RnnLM lm;
    LmConfig cfg = {.kind = kind, .V = ZS_V, .D = ZS_D, .H = ZS_H, .L = ZS_L, .B = ZS_B,
                    .B_eval = ZS_B, .init_range = 0.1f, .dropout = 0};
    lm_init(&lm, &m, &cfg, &rng);
    TrainTask task = {.model = &m, .net = &lm, .forward = lm_forward, .loss = lm_loss};
    const long total = steps + warmup;
    TrainConfig tc = {.label = "bench", .epochs = (int)((total + rs.windows - 1) / rs.windows),
                      .max_steps = total, .opt = optim_defaults(OPT_SGD), .clip_norm = 5.0f,
                      .stop_on_divergence = true};
    tc.opt.lr = 1.0f;
    TrainLog log;
    train_run(&task, &rs.src, &tc, &rng, &log);
    // the timed steps in BENCH_WINDOWS consecutive windows; the best window's rate counts (a
    // machine shared with other work slows some windows, not the code)
    const long timed = log.steps - warmup;
    const int windows = timed >= BENCH_WINDOWS ? BENCH_WINDOWS : 1;
    double tps = 0;
    for (int w = 0; w < windows; w++) {
        long s0 = warmup + timed * w / windows, s1 = warmup + timed * (w + 1) / windows;
        double t = 0;
        for (long s = s0; s < s1; s++) t += log.step_seconds[s];
        double r = (double)(s1 - s0) * ZS_B * ZS_T / t;
        tps = r > tps ? r : tps;
    }
    train_log_free(&log);
    model_free(&m);
    free(rs.stream);
    free(rs.tokens);
    free(rs.y);
    return tps;
}
// endregion

// region: bench
/* PyTorch's tokens/s from scripts/bench_torch_lstm.py (bench/peer.h), or 0 with the reason in
 * why (torch missing: the script's own notice). */
static double torch_throughput(const char *argv0, int threads, char *why, size_t why_len)
{
    return peer_script_value(argv0, "bench_torch_lstm.py", threads, "torch_lstm tokens_per_s=", why, why_len);
}

void bench_run(const Cli *cli)
{
    char dir[600];   // the figures go to <out>/bench/: the training run's metrics stay
    cli_out_subdir(cli, "bench", dir, sizeof dir);
    Metrics m;
    metrics_init(&m, dir);
    metrics_set(&m, "bench_threads", cli->threads);
    const int T[2] = {1, 2};
    for (int i = 0; i < 2; i++) {
        threads_set(T[i]);
        char suffix[16];
        snprintf(suffix, sizeof suffix, "_%dt", T[i]);
        layer_timing(cli->quick, cli->seed, &m, suffix);
        printf("\n");
    }
    const int steps = cli->quick ? 3 : 24, warmup = cli->quick ? 1 : 3;
    const KernelRung *in_use = ladder_selected(&RNN_LADDER);
    printf("training throughput of Zaremba et al.'s small LSTM (V = %d, D = H = %d, L = %d, "
           "T = %d, B = %d; embedding, LSTM, softmax head, backward, clipping at 5, SGD) through "
           "train_run: tokens/s of the best of %d windows of %d steps after %d warm-up steps "
           "(v0: a quarter of them; PyTorch measured the same way, at its best thread split); "
           "GEMM rung %s\n", ZS_V, ZS_H, ZS_L, ZS_T, ZS_B, BENCH_WINDOWS, steps / BENCH_WINDOWS,
           warmup,
           ladder_selected(&GEMM_LADDER)->name);
    printf("  %7s", "threads");
    for (int k = 0; k < RNN_LADDER.n_rungs; k++) printf(" %17s", RNN_LADDER.rungs[k].name);
    printf(" %10s %10s\n", "PyTorch", "best/PyT");
    for (int i = 0; i < 2; i++) {
        threads_set(T[i]);
        printf("  %7d", T[i]);
        double best = 0;
        for (int k = 0; k < RNN_LADDER.n_rungs; k++) {
            RNN_LADDER.selected = &RNN_LADDER.rungs[k];
            int s = k == 0 ? (steps + 3) / 4 : steps;   // v0: 6 steps, windows of 2
            double tps = lm_train_tokens_per_s(CELL_LSTM, s, k == 0 ? 1 : warmup, cli->seed);
            best = tps > best ? tps : best;
            printf(" %17.0f", tps);
            fflush(stdout);
            const int tag = (int)strcspn(RNN_LADDER.rungs[k].name, "_");
            metrics_setf(&m, tps, "bench_train_%.*s_%dt_tokens_per_s", tag,
                         RNN_LADDER.rungs[k].name, T[i]);
        }
        RNN_LADDER.selected = in_use;
        char why[512] = "";
        double t = cli->quick ? 0 : torch_throughput(cli->argv[0], T[i], why, sizeof why);
        if (cli->quick) snprintf(why, sizeof why, "--quick: PyTorch not run");
        if (t > 0) {
            printf(" %10.0f %9.2fx\n", t, best / t);
            metrics_setf(&m, t, "bench_torch_%dt_tokens_per_s", T[i]);
            metrics_setf(&m, best / t, "bench_c_over_torch_%dt", T[i]);
        } else {
            printf(" %10s %10s   (PyTorch skipped: %s)\n", "-", "-", why);
        }
    }
    threads_set(cli->threads);
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    metrics_free(&m);
    printf("\nwrote %s\n", m.path);
}
// endregion
