/* 07_transformer/bench.c — --bench: the attention ladder, then our GPT against PyTorch on
 * nanoGPT's CPU configuration (L 4, NH 4, C 128, T 64, B 12, no biases, tied head), at 1 and 2
 * threads, measured in one run.
 *
 *   (a) the attention ladder: bench/attn_bench.h (every rung × T 256 … 4096, GFLOP/s, peak memory)
 *   (b) training tokens/s: B·T tokens per optimizer step (forward, cross-entropy, backward,
 *       clip_grad_norm 1.0, AdamW with nanoGPT's weight-decay groups), windows of the
 *       chapter's text from a WindowSampler (random tokens without a corpus), W untimed
 *       warm-up steps, then S steps in 3 consecutive windows, the fastest window counts — the
 *       rule of scripts/peer_gpt.py, which times PyTorch the same way (nanoGPT's model.py, its
 *       get_batch and AdamW) at its best thread split.
 *       GFLOP/s: nanoGPT's estimate_mfu count, 6·N + 12·L·C·T FLOPs per token (N the
 *       parameters without the position table; the attention term does not halve for the causal
 *       mask) — beside the machine's peak (bench/peak.h) for the same threads.
 *   (c) generation tokens/s at batch 1: rounds of T − 1 new tokens sampled (temperature 1) from
 *       a one-token prompt, so no context is ever cropped: without a cache (gpt_next_logits, a
 *       whole forward over the prefix per token, as nanoGPT's generate) and with the KV cache
 *       (gpt_decode_step); both from the same seeds must give the same tokens. Ours: the
 *       fastest of 3 windows of several rounds; PyTorch's: the fastest single round (its
 *       benefit of the doubt).
 * The targets: training ≥ 2× PyTorch, generation with the KV cache ≥ 10× PyTorch's
 * (with its own simple KV cache), at 1 and 2 threads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#if defined(__has_include)
#if __has_include("bench/attn_bench.h")
#include "bench/attn_bench.h"
#define HAVE_ATTN_BENCH 1
#endif
#endif
#include "bench/peak.h"
#include "bench/peer.h"
#include "data/stream.h"
#include "nn/params.h"
#include "ops/loss.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "report/metrics.h"
#include "train/decode.h"
#include "train/model.h"

#include "transformer.h"

#define PEER_SCRIPT "peer_gpt.py"

static GptConfig nano_config(int V)
{
    return (GptConfig){.V = V, .T = 64, .L = 4, .NH = 4, .C = 128, .bias = false,
                       .causal = true, .pos = POS_LEARNED};
}

// nanoGPT's estimate_mfu: 6·N + 12·L·C·T FLOPs per trained token, N without the position table
static double train_flops_per_token(const GptConfig *c)
{
    double N = (double)gpt_param_count(c) - (double)c->T * c->C;
    return 6 * N + 12.0 * c->L * c->C * c->T;
}

/* FLOPs of one KV-cache step at the mean position of a round ((T − 1)/2 cached keys): the
 * matrix-vector products 2·(12·C²·L) (qkv, W^O, the FFN) + 2·V·C (the tied head) + the
 * attention 4·L·C·pos (q·k and p·v over the cached positions). */
static double gen_flops_per_token(const GptConfig *c)
{
    double C = c->C, pos = (c->T - 1) / 2.0;
    return 2 * 12 * C * C * c->L + 2.0 * c->V * C + 4 * c->L * C * pos;
}

// ---- (b) training ----
typedef struct TrainBench {
    double tokens_per_s, loss;
    int steps;
} TrainBench;

static TrainBench time_training(const GptConfig *cfg, int B, const int *tokens, size_t n,
                                int warmup, int steps, uint64_t seed)
{
    char err[512];
    Rng rng;
    rng_seed(&rng, seed);
    Model m;
    model_init(&m, "07_transformer/bench_gpt");
    Gpt g;
    gpt_init(&g, &m, cfg, &rng);
    WindowSampler ws;
    if (!window_sampler_init(&ws, tokens, n, B, cfg->T, 1000000, &rng, err, sizeof err))
        dl_die("bench: %s", err);
    OptConfig oc = optim_defaults(OPT_ADAMW);
    oc.lr = 1e-3f;
    oc.beta2 = 0.99f;
    oc.weight_decay = 0.1f;
    oc.decay_min_ndim = 2;
    Optimizer opt;
    optim_init(&opt, &oc, &m.p, &m.state);
    Batch b;
    float loss = NAN;
    TrainBench r = {0, 0, steps};
    int windows = steps >= 3 ? 3 : 1;
    for (int w = -1; w < windows; w++) {   // w = -1: the warm-up, untimed
        int k = w < 0 ? warmup : steps * (w + 1) / windows - steps * w / windows;
        double t0 = now_seconds();
        for (int s = 0; s < k; s++) {
            if (!ws.src.next(&ws.src, &b)) ws.src.next(&ws.src, &b);
            params_zero_grad(&m.p);
            Tensor *logits = gpt_forward(&g, &m.tp, &b, true, NULL);
            Tensor *l = op_cross_entropy(&m.tp, logits, b.y);
            loss = l->data[0];
            tape_backward(&m.tp, l);
            clip_grad_norm(&m.p, 1.0f);
            optim_step(&opt, 1e-3f);
            tape_reset(&m.tp);
        }
        double dt = now_seconds() - t0;
        if (w >= 0 && k > 0) {
            double tps = (double)k * B * cfg->T / dt;
            if (tps > r.tokens_per_s) r.tokens_per_s = tps;
        }
    }
    r.loss = loss;
    window_sampler_free(&ws);
    model_free(&m);
    return r;
}

// ---- (c) generation ----
typedef struct GenBench {
    double nocache_tps, cache_tps;
    bool same;
} GenBench;

// One round: n_new tokens after token 0, sampled at temperature 1 from seed; out (n_new + 1).
static void gen_round(Gpt *g, KvCache *kv, bool cache, int n_new, uint64_t seed, int *out,
                      float *logits)
{
    Rng r;
    rng_seed(&r, seed);
    int V = g->cfg.V;
    out[0] = 0;
    if (cache) {
        kv_cache_reset(kv);
        gpt_decode_step(g, kv, out[0], logits);
    } else {
        gpt_next_logits(g, out, 1, logits);
    }
    for (int i = 1; i <= n_new; i++) {
        out[i] = sample_token_nucleus(logits, V, 1.0f, 0, 1.0f, &r);
        if (i == n_new) break;
        if (cache) gpt_decode_step(g, kv, out[i], logits);
        else gpt_next_logits(g, out, i + 1, logits);
    }
}

static GenBench time_generation(Gpt *g, int rounds, uint64_t seed)
{
    int T = g->cfg.T, n_new = T - 1;
    KvCache kv;
    kv_cache_init(&kv, g);
    float *logits = dl_malloc(sizeof(float) * (size_t)g->cfg.V, "logits");
    int *a = dl_malloc(sizeof(int) * (size_t)T, "tokens"), *b = dl_malloc(sizeof(int) * (size_t)T, "tokens");
    GenBench res = {0, 0, true};
    gen_round(g, &kv, false, 4, seed, a, logits);   // warm-up
    gen_round(g, &kv, true, 4, seed, a, logits);
    for (int cache = 0; cache < 2; cache++) {
        int n_rounds = cache ? rounds * 8 : rounds;   // the cached rounds are much shorter
        double best = 0;
        for (int w = 0; w < 3; w++) {
            int k = n_rounds * (w + 1) / 3 - n_rounds * w / 3;
            if (k < 1) continue;
            double t0 = now_seconds();
            for (int i = 0; i < k; i++)
                gen_round(g, &kv, cache, n_new, seed + (uint64_t)(w * 1000 + i), a, logits);
            double tps = (double)k * n_new / (now_seconds() - t0);
            if (tps > best) best = tps;
        }
        if (cache) res.cache_tps = best;
        else res.nocache_tps = best;
    }
    for (int i = 0; i < 3 && res.same; i++) {   // the same tokens either way
        gen_round(g, &kv, false, n_new, seed + 77 + (uint64_t)i, a, logits);
        gen_round(g, &kv, true, n_new, seed + 77 + (uint64_t)i, b, logits);
        res.same = memcmp(a, b, sizeof(int) * (size_t)T) == 0;
    }
    free(logits);
    free(a);
    free(b);
    kv_cache_free(&kv);
    return res;
}

// The 1-minute load average (/proc/loadavg), or -1: the figures below are only comparable on
// a machine that is not busy with something else.
static double load_average(void)
{
    FILE *fp = fopen("/proc/loadavg", "r");
    double l = -1;
    if (fp) {
        if (fscanf(fp, "%lf", &l) != 1) l = -1;
        fclose(fp);
    }
    return l;
}

// ---- the peer ----
enum { PK_TRAIN, PK_NOCACHE, PK_CACHE, PK_SAME, PK_N };
static const char *const PEER_KEYS[PK_N] = {"train_tokens_per_s=", "gen_nocache_tokens_per_s=",
                                            "gen_cache_tokens_per_s=", "gen_same="};

static bool run_peer(const Chapter *ch, int threads, double *v, char *why, size_t why_len)
{
    const char *argv0 = ch->cli.argv ? ch->cli.argv[0] : "./run";
    int got = peer_script_values(argv0, PEER_SCRIPT, threads, PK_N, PEER_KEYS, v, why, why_len);
    return got == PK_N;
}

static void ratio_str(char *buf, size_t len, double ours, double peer)
{
    if (peer > 0 && ours > 0) snprintf(buf, len, "%.2fx", ours / peer);
    else snprintf(buf, len, "-");
}

void bench_section(Chapter *ch, const Flags *f, const CharCorpus *c)
{
    (void)f;
    bool quick = ch->cli.quick;
    int max_threads = threads_get();

    chapter_section("Bench (a): the attention ladder — v0 materialised, v1 flash, v2 threads");
#ifdef HAVE_ATTN_BENCH
    AttnBenchConfig acfg = {.max_T = quick ? 512 : 4096};
    attn_bench_rungs(&acfg, max_threads, stdout, &ch->metrics, NULL);
#else   // TEMPORARY until common/bench/attn_bench.c (helper-attn) is merged
    printf("(the attention ladder's benchmark, common/bench/attn_bench.h, is not in this build)\n");
#endif

    chapter_section("Bench (b, c): our GPT against PyTorch, nanoGPT's CPU configuration");
    int V = c && c->n > 0 ? c->chars.V : 65;
    GptConfig cfg = nano_config(V);
    const int B = 12;
    // the training text: the corpus's ids, else a random stream (the data do not change the work)
    size_t n_tok = c && c->n_train > (size_t)(cfg.T + 2) ? c->n_train : 100000;
    int *random = NULL;
    const int *tokens = c && c->n_train > (size_t)(cfg.T + 2) ? c->ids : NULL;
    if (!tokens) {
        Rng r;
        rng_seed(&r, ch->cli.seed);
        random = dl_malloc(sizeof(int) * n_tok, "bench tokens");
        for (size_t i = 0; i < n_tok; i++) random[i] = (int)rng_below(&r, (uint32_t)V);
        tokens = random;
    }
    int warmup = quick ? 1 : 5, steps = quick ? 3 : 60, rounds = quick ? 1 : 6;
    double fpt = train_flops_per_token(&cfg);
    printf("V %d, T %d, L %d, NH %d, C %d, B %d, no biases, tied head: %zu parameters; "
           "training %d warm-up + %d timed steps (fastest of 3 windows); generation: rounds of "
           "%d tokens at batch 1. PyTorch: scripts/%s (nanoGPT's model.py) at its best thread "
           "split. Training FLOPs per token (nanoGPT's estimate): %.2f M.\n", cfg.V, cfg.T,
           cfg.L, cfg.NH, cfg.C, B, gpt_param_count(&cfg), warmup, steps, cfg.T - 1, PEER_SCRIPT,
           fpt / 1e6);

    double load = load_average();
    if (load >= 0) {
        printf("Load average before the measurements: %.2f on %d threads%s\n", load, max_threads,
               load > 0.5 * max_threads ? " — the machine is busy with other work: every figure "
               "below (ours and PyTorch's alike) is depressed and noisy; compare the ratios, "
               "measured back to back" : "");
        metrics_set(&ch->metrics, "bench_loadavg", load);
    }
    int thr[2] = {1, 2}, n_thr = max_threads >= 2 ? 2 : 1;
    struct { double train, loss, gflops, peak, nocache, cache; bool same;
             double p[PK_N]; bool peer; } row[2];
    Model gm;
    model_init(&gm, "07_transformer/bench_gen");
    Gpt g;
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    gpt_init(&g, &gm, &cfg, &rng);
    char why[1024] = "";
    for (int k = 0; k < n_thr; k++) {
        threads_set(thr[k]);
        TrainBench tb = time_training(&cfg, B, tokens, n_tok, warmup, steps, ch->cli.seed);
        GenBench gb = time_generation(&g, rounds, ch->cli.seed);
        row[k].train = tb.tokens_per_s;
        row[k].loss = tb.loss;
        row[k].gflops = tb.tokens_per_s * fpt / 1e9;
        row[k].peak = peak_gflops(thr[k]);
        row[k].nocache = gb.nocache_tps;
        row[k].cache = gb.cache_tps;
        row[k].same = gb.same;
        printf("  measured ours at %d thread%s: training %.0f tokens/s, generation %.0f (no "
               "cache) and %.0f (KV cache) tokens/s%s\n", thr[k], thr[k] > 1 ? "s" : "",
               row[k].train, row[k].nocache, row[k].cache, quick ? "" : "; now PyTorch …");
        if (quick) {
            row[k].peer = false;
            snprintf(why, sizeof why, "--quick: the PyTorch peer is not run");
        } else {
            row[k].peer = run_peer(ch, thr[k], row[k].p, why, sizeof why);
        }
        if (!row[k].peer) memset(row[k].p, 0, sizeof row[k].p);
    }
    threads_set(max_threads);
    model_free(&gm);
    free(random);

    printf("\n  %-34s %8s %14s %14s %8s\n", "training (tokens/s)", "threads", "ours",
           "PyTorch", "ratio");
    for (int k = 0; k < n_thr; k++) {
        char rs[32];
        ratio_str(rs, sizeof rs, row[k].train, row[k].p[PK_TRAIN]);
        printf("  %-34s %8d %14.0f %14.0f %8s   (%.2f GFLOP/s, %.1f%% of the %.0f GFLOP/s peak; "
               "loss after the steps %.3f)\n", "forward+backward+AdamW", thr[k], row[k].train,
               row[k].p[PK_TRAIN], rs, row[k].gflops, 100 * row[k].gflops / row[k].peak,
               row[k].peak, row[k].loss);
        metrics_setf(&ch->metrics, row[k].train, "bench_train_tokens_per_s_t%d", thr[k]);
        metrics_setf(&ch->metrics, row[k].gflops, "bench_train_gflops_t%d", thr[k]);
        metrics_setf(&ch->metrics, row[k].gflops / row[k].peak, "bench_train_peak_frac_t%d",
                     thr[k]);
        if (row[k].peer) {
            metrics_setf(&ch->metrics, row[k].p[PK_TRAIN], "bench_train_torch_tokens_per_s_t%d",
                         thr[k]);
            metrics_setf(&ch->metrics, row[k].train / row[k].p[PK_TRAIN],
                         "bench_train_ratio_t%d", thr[k]);
        }
    }
    printf("\n  %-34s %8s %14s %14s %8s\n", "generation at batch 1 (tokens/s)", "threads",
           "ours", "PyTorch", "ratio");
    for (int k = 0; k < n_thr; k++) {
        char r1[32], r2[32];
        ratio_str(r1, sizeof r1, row[k].nocache, row[k].p[PK_NOCACHE]);
        ratio_str(r2, sizeof r2, row[k].cache, row[k].p[PK_CACHE]);
        printf("  %-34s %8d %14.0f %14.0f %8s\n", "no cache (whole forward per token)", thr[k],
               row[k].nocache, row[k].p[PK_NOCACHE], r1);
        double gg = row[k].cache * gen_flops_per_token(&cfg) / 1e9;
        printf("  %-34s %8d %14.0f %14.0f %8s   (ours %.2f GFLOP/s, matrix-vector work; KV cache "
               "speed-up: ours %.1fx, PyTorch's %.1fx; same tokens with and without: ours %s, "
               "PyTorch's %s)\n", "KV cache", thr[k], row[k].cache, row[k].p[PK_CACHE], r2, gg,
               row[k].cache / row[k].nocache,
               row[k].p[PK_NOCACHE] > 0 ? row[k].p[PK_CACHE] / row[k].p[PK_NOCACHE] : 0,
               row[k].same ? "yes" : "NO", !row[k].peer ? "-" : row[k].p[PK_SAME] == 1 ? "yes" : "NO");
        metrics_setf(&ch->metrics, row[k].nocache, "bench_gen_nocache_tokens_per_s_t%d", thr[k]);
        metrics_setf(&ch->metrics, row[k].cache, "bench_gen_cache_tokens_per_s_t%d", thr[k]);
        metrics_setf(&ch->metrics, row[k].same ? 1 : 0, "bench_gen_same_t%d", thr[k]);
        metrics_setf(&ch->metrics, gg, "bench_gen_cache_gflops_t%d", thr[k]);
        if (row[k].peer) {
            metrics_setf(&ch->metrics, row[k].p[PK_NOCACHE],
                         "bench_gen_torch_nocache_tokens_per_s_t%d", thr[k]);
            metrics_setf(&ch->metrics, row[k].p[PK_CACHE], "bench_gen_torch_cache_tokens_per_s_t%d",
                         thr[k]);
            metrics_setf(&ch->metrics, row[k].cache / row[k].p[PK_CACHE],
                         "bench_gen_cache_ratio_t%d", thr[k]);
            metrics_setf(&ch->metrics, row[k].nocache / row[k].p[PK_NOCACHE],
                         "bench_gen_nocache_ratio_t%d", thr[k]);
        }
    }
    bool any_peer = false;
    for (int k = 0; k < n_thr; k++) any_peer |= row[k].peer;
    if (!any_peer) {
        printf("  (PyTorch skipped: %s)\n", why[0] ? why : "no result");
    } else {
        printf("  targets (issue 12): training ≥ 2x PyTorch —");
        for (int k = 0; k < n_thr; k++)
            if (row[k].peer)
                printf(" %d thread%s: %s", thr[k], thr[k] > 1 ? "s" : "",
                       row[k].train >= 2 * row[k].p[PK_TRAIN] ? "met" : "MISSED");
        printf("; generation with the KV cache ≥ 10x —");
        for (int k = 0; k < n_thr; k++)
            if (row[k].peer)
                printf(" %d thread%s: %s", thr[k], thr[k] > 1 ? "s" : "",
                       row[k].cache >= 10 * row[k].p[PK_CACHE] ? "met" : "MISSED");
        printf("\n");
    }
}
