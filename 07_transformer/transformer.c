/* 07_transformer/transformer.c — chapter 7's program: attention from scratch to a small GPT on
 * tiny Shakespeare, tokenised with byte-level BPE, decoded and fine-tuned with LoRA.
 * Build: make chapter7    Run: ./07_transformer/run --quick    Bench: ./07_transformer/run --bench
 * Sections (lecture order): 1–4 attention, heads, positions, the block and parameter counts
 *   (lessons.c); 5 byte-level BPE (tokenizer.c); 6 a character GPT with nanoGPT's CPU
 *   configuration, 7 attention heat-maps, 8 the GPT on BPE tokens (here); 9 BERT's masked-LM
 *   encoder (bert.c); 10 decoding and the KV cache (decoding.c); 11 LoRA (lora.c). --bench:
 *   bench.c. --sample --resume FILE only generates from a checkpoint (as chapter 5).
 * The configuration and schedule of section 6 are nanoGPT's (Karpathy, github.com/karpathy/
 * nanoGPT, config/train_shakespeare_char.py and its README's CPU command: --block_size=64
 * --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000
 * --dropout=0.0; learning_rate 1e-3, min_lr 1e-4, beta2 0.99, warmup_iters 100, weight_decay
 * 0.1, grad_clip 1.0, bias False), whose published validation loss is 1.88.
 * Shapes: token windows (B, T) ids, logits (B·T, V) row-major; attention maps (NH, T, T).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/threads.h"
#include "data/stream.h"
#include "kernels/attention.h"
#include "kernels/ladder.h"
#include "ops/loss.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"
#include "train/checkpoint.h"
#include "train/eval.h"
#include "train/loop.h"

#include "transformer.h"

#define GPT_MODEL "07_transformer/gpt"
#define LN2 0.69314718055994530942
#define NANOGPT_VAL_LOSS 1.88   // nanoGPT's README, shakespeare_char on a CPU (2000 iterations)

// region: flags

// Check the chapter's flags (exit 2 naming the flag) and resolve their defaults, once.
static void resolve_flags(const Cli *cli, Flags *f)
{
    const struct { const char *flag; int *v, lo, hi, def; } ints[] = {
        {"iters", &f->iters, 1, 1000000, cli->quick ? 40 : 2000},
        {"tokens", &f->tokens, 1, 100000, 300},
        {"bpe-vocab", &f->bpe_vocab, 257, 65536, 512},
        {"lora-rank", &f->lora_rank, 1, 1024, 8},
        {"n-head", &f->n_head, 1, 1024, 4},
        {"d-model", &f->d_model, 1, 8192, cli->quick ? 64 : 128},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int v = *ints[i].v;
        if (v == 0 && !cli_flag_given(cli, ints[i].flag)) { *ints[i].v = ints[i].def; continue; }
        if (v < ints[i].lo || v > ints[i].hi)
            dl_die_status(DL_EXIT_USAGE, "--%s must be %d … %d, got %d", ints[i].flag,
                          ints[i].lo, ints[i].hi, v);
    }
    if (!f->prompt[0]) snprintf(f->prompt, sizeof f->prompt, "ROMEO:");
    GptConfig g = chapter_gpt_config(f, cli->quick, 65);
    char err[256];
    if (!gpt_config_check(&g, err, sizeof err))
        dl_die_status(DL_EXIT_USAGE, "--n-head %d / --d-model %d: %s", f->n_head, f->d_model,
                      err);
    if (!f->sample && (int)strlen(f->prompt) > g.T)   // --sample: the checkpoint's T decides
        dl_die_status(DL_EXIT_USAGE, "--prompt is %zu characters, longer than the model's "
                      "context of T = %d; give a prompt of at most %d characters",
                      strlen(f->prompt), g.T, g.T);
}

GptConfig chapter_gpt_config(const Flags *f, bool quick, int V)
{
    return (GptConfig){.V = V, .T = quick ? 32 : 64, .L = quick ? 2 : 4, .NH = f->n_head,
                       .C = f->d_model, .bias = false, .causal = true, .post_ln = false,
                       .pos = POS_LEARNED, .untied_head = false};
}

// endregion
// region: corpus

// --text FILE or <data>/tinyshakespeare.txt: its bytes, their vocabulary, the ids, the split.
static void load_corpus(const Cli *cli, const Flags *f, CharCorpus *c)
{
    char err[1024];
    memset(c, 0, sizeof *c);
    if (f->text[0]) snprintf(c->path, sizeof c->path, "%s", f->text);
    else path_join(c->path, sizeof c->path, cli->data_dir, SHAKESPEARE_FILE);
    Text t;
    if (!text_load(c->path, &t, err, sizeof err)) {
        if (f->text[0]) dl_die("--text %s: %s", f->text, err);
        dl_die("%s (chapter 7 trains on tiny Shakespeare: run `make data`, or give --text FILE)",
               err);
    }
    c->text = t.bytes;
    c->n = t.n;
    if (!vocab_build_chars(&c->chars, c->text, c->n, err, sizeof err)) dl_die("%s: %s", c->path, err);
    c->ids = dl_malloc(c->n * sizeof *c->ids, "character ids");
    if (!vocab_encode_chars(&c->chars, c->text, c->n, c->ids, err, sizeof err))
        dl_die("%s: %s", c->path, err);
    c->n_train = c->n - c->n / 10;
    // the windows of sections 6–9 need both parts to hold a few of them (B = 12 rows of T + 1)
    const size_t need = 16 * (64 + 1) + 1;
    if (c->n_train < need || c->n - c->n_train < need)
        dl_die("%s: %zu characters is too short: chapter 7 needs at least %zu in each of its "
               "training (90 %%) and validation (10 %%) parts; give a longer --text", c->path,
               c->n, need);
}

static void corpus_free(CharCorpus *c)
{
    free(c->text);
    free(c->ids);
    vocab_free(&c->chars);
    memset(c, 0, sizeof *c);
}

// The prompt's ids in the corpus's vocabulary; a character outside it is a usage error.
static int *encode_prompt(const Vocab *v, const char *prompt, int *n)
{
    char err[512];
    *n = (int)strlen(prompt);
    int *ids = dl_malloc((size_t)(*n ? *n : 1) * sizeof *ids, "prompt ids");
    if (!vocab_encode_chars(v, (const unsigned char *)prompt, (size_t)*n, ids, err, sizeof err))
        dl_die_status(DL_EXIT_USAGE, "--prompt: %s (the model knows only the characters of its "
                      "training text)", err);
    return ids;
}

// endregion
// region: evaluation

size_t chapter_eval_chars(const CharCorpus *c, bool quick)
{
    const size_t n_val = c->n - c->n_train;
    return quick && n_val > 32768 ? 32768 : n_val;
}

double gpt_stream_accuracy(Gpt *g, const int *tokens, size_t n, int B, int T, double *loss)
{
    TokenBatcher tb;
    char err[300];
    if (!token_batcher_init(&tb, tokens, n, B, T, err, sizeof err))
        dl_die("gpt_stream_accuracy: %s", err);
    Tape *tp = &g->m->tp;
    const bool was = tp->recording;
    tape_set_recording(tp, false);
    const int V = g->cfg.V;
    long right = 0, scored = 0;
    double total = 0;
    Batch b;
    while (tb.src.next(&tb.src, &b) > 0) {
        Tensor *logits = gpt_forward(g, tp, &b, false, NULL);
        total += (double)tensor_item(op_cross_entropy(tp, logits, b.y)) * B * T;
        for (int i = 0; i < B * T; i++) {
            const float *row = logits->data + (size_t)i * V;
            int best = 0;
            for (int k = 1; k < V; k++) if (row[k] > row[best]) best = k;
            right += best == b.y[i];
        }
        scored += (long)B * T;
        tape_reset(tp);
    }
    tape_set_recording(tp, was);
    token_batcher_free(&tb);
    if (loss) *loss = total / (double)scored;
    return 100.0 * (double)right / (double)scored;
}

// The loss at a few steps: what the golden test checks tightly (a wrong gradient moves it).
static void record_steps(Metrics *mt, const char *prefix, const TrainLog *log)
{
    static const int STEPS[] = {1, 2, 5, 10, 20, 40, 100, 200, 500, 1000, 2000};
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0] && STEPS[i] <= log->steps; i++)
        metrics_setf(mt, log->step_loss[STEPS[i] - 1], "%s_loss_step_%d", prefix, STEPS[i]);
}

// endregion
// region: training

typedef struct GptRun {
    const char *label, *prefix, *model;
    GptConfig cfg;
    int iters, B;
    bool main;                  // the chapter's main run: --save/--resume, printed per epoch
    const Vocab *chars;         // recorded in the checkpoint (gpt.vocab) for --sample
    double seconds;
} GptRun;

/* Train a fresh GPT on train (n_train tokens) with nanoGPT's recipe, validating after each of
 * 10 "epochs" on the first n_val tokens of val; fills g (its Model allocated here). */
static void gpt_train(Chapter *ch, GptRun *r, const int *train, size_t n_train, const int *val,
                      size_t n_val, Gpt *g, TrainLog *log)
{
    char err[512];
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    Model *m = dl_malloc(sizeof *m, "GPT model");
    model_init(m, r->model);
    gpt_init(g, m, &r->cfg, &rng);
    if (r->chars) {   // buffers "gpt.config" (V, T, L, NH, C) and "gpt.vocab" (V byte values)
        const GptConfig *c = &r->cfg;
        float *conf = arena_alloc(&m->params, 5 * sizeof *conf);
        float *bytes = arena_alloc(&m->params, (size_t)c->V * sizeof *bytes);
        const float values[5] = {(float)c->V, (float)c->T, (float)c->L, (float)c->NH,
                                 (float)c->C};
        memcpy(conf, values, sizeof values);
        for (int i = 0; i < c->V; i++) bytes[i] = (unsigned char)vocab_token(r->chars, i)[0];
        params_add_buffer(&m->p, "gpt.config", conf, 5);
        params_add_buffer(&m->p, "gpt.vocab", bytes, (size_t)c->V);
    }
    const int epochs = 10, spe = (r->iters + epochs - 1) / epochs;
    WindowSampler ws;
    if (!window_sampler_init(&ws, train, n_train, r->B, r->cfg.T, spe, &rng, err, sizeof err))
        dl_die("%s: %s", r->label, err);
    OptConfig opt = optim_defaults(OPT_ADAMW);
    opt.lr = 1e-3f;
    opt.beta2 = 0.99f;
    opt.weight_decay = 0.1f;
    opt.decay_min_ndim = 2;
    const int warmup = r->iters >= 1000 ? 100 : r->iters / 10;
    Schedule sched = {.kind = SCHED_COSINE, .warmup_steps = warmup, .min_lr = 1e-4f,
                      .total_steps = r->iters - warmup > 0 ? r->iters - warmup : 1};
    TrainConfig tc = {.label = r->label, .epochs = epochs, .max_steps = r->iters, .opt = opt,
                      .schedule = sched, .clip_norm = 1.0f, .val_tokens = val,
                      .n_val_tokens = n_val, .val_B = r->B, .val_T = r->cfg.T,
                      .eval_before = r->main, .print = true, .metrics = &ch->metrics,
                      .prefix = r->prefix, .cli = &ch->cli, .save = r->main};
    TrainTask task = {m, g, gpt_forward, NULL, NULL};
    train_run(&task, &ws.src, &tc, &rng, log);
    r->seconds = log->seconds[log->epochs_run];
    window_sampler_free(&ws);
}

static void gpt_free(Gpt *g)
{
    if (!g->m) return;
    model_free(g->m);
    free(g->m);
    g->m = NULL;
}

// Generate n characters after the prompt with the KV cache, sampled at temperature 0.8 and
// top-k 200 (nanoGPT's sample.py), and print them.
static void print_sample(Gpt *g, const Vocab *chars, const int *prompt, int n_prompt, int n,
                         uint64_t seed)
{
    GptLm glm;
    gpt_lm_init(&glm, g, true);
    DecodeConfig dc = {.kind = DECODE_SAMPLE, .temperature = 0.8f, .top_k = 200, .top_p = 1};
    Rng rng;
    rng_seed(&rng, seed + 100);
    int *out = dl_malloc((size_t)(n_prompt + n) * sizeof *out, "sample ids");
    decode(&glm.lm, &dc, prompt, n_prompt, n, &rng, out);
    char desc[64];
    printf("--- sample: %s, %d characters ---\n", decode_describe(&dc, desc, sizeof desc), n);
    for (int i = 0; i < n_prompt + n; i++) fputs(vocab_token(chars, out[i]), stdout);
    printf("\n---\n");
    free(out);
    gpt_lm_free(&glm);
}

// endregion
// region: section 6

void gpt_section(Chapter *ch, const Flags *f, const CharCorpus *c, Gpt *g, double *next_char_acc)
{
    chapter_section("6. A character GPT on tiny Shakespeare (nanoGPT's CPU configuration)");
    const Cli *cli = &ch->cli;
    Metrics *mt = &ch->metrics;
    GptRun r = {.label = "char GPT", .prefix = "gpt", .model = GPT_MODEL,
                .cfg = chapter_gpt_config(f, cli->quick, c->chars.V), .iters = f->iters,
                .B = 12, .main = true, .chars = &c->chars};
    const size_t n_val = chapter_eval_chars(c, cli->quick);
    // The per-epoch validation loss: on the first 16,384 characters of the validation part
    // (nanoGPT averages 20 random batches of 12 × 64 = 15,360 in its CPU run); the final one on
    // the whole validation part, below.
    const size_t n_val_epoch = n_val < 16384 ? n_val : 16384;
    const GptConfig *k = &r.cfg;
    printf("%s: %zu characters, V = %d; train %zu, validation %zu (the last 10 %%%s)\n", c->path,
           c->n, k->V, c->n_train, c->n - c->n_train, cli->quick ? "; --quick evaluates its "
           "first 32,768" : "");
    printf("GPT: %d layers, %d heads, d_model %d, context %d, batch %d, no bias, tied head, no "
           "dropout; AdamW lr 1e-3 (β 0.9, 0.99), weight decay 0.1 on matrices and embeddings, "
           "warm-up %d then cosine to 1e-4, clip 1.0; %d iterations%s\n", k->L, k->NH, k->C, k->T,
           r.B, r.iters >= 1000 ? 100 : r.iters / 10, r.iters,
           cli->quick ? " (--quick: 2 layers, d_model 64, context 32)" : "");
    TrainLog log;
    gpt_train(ch, &r, c->ids, c->n_train, c->ids + c->n_train, n_val_epoch, g, &log);
    printf("  %zu parameters trained (gpt_param_count's formula: %zu; nanoGPT prints the count "
           "without the position table)\n", params_count(&g->m->p), gpt_param_count(k));
    const double toks = (double)log.steps * r.B * k->T;
    double val_loss;
    const double t0 = now_seconds();
    const double acc = gpt_stream_accuracy(g, c->ids + c->n_train, n_val, r.B, k->T, &val_loss);
    const double eval_s = now_seconds() - t0;
    *next_char_acc = acc;
    printf("  %ld iterations in %.1f s: %.0f training tokens/s (%d thread(s))\n", log.steps,
           r.seconds, toks / r.seconds, threads_get());
    printf("  validation (%zu characters, windows of %d): %.4f nats/char = %.4f bits/char; "
           "nanoGPT's published %.2f (its CPU run, 2000 iterations)%s\n", n_val, k->T, val_loss,
           val_loss / LN2, NANOGPT_VAL_LOSS, cli->quick ? " — --quick trains a smaller model "
           "briefly, so expect far higher" : "");
    printf("  next-character accuracy on the validation part: %.2f %% (%.1f s)\n", acc, eval_s);
    metrics_set(mt, "gpt_params", (double)params_count(&g->m->p));
    metrics_set(mt, "gpt_val_loss", val_loss);
    metrics_set(mt, "gpt_val_bits", val_loss / LN2);
    metrics_set(mt, "gpt_next_char_acc_pct", acc);
    metrics_set(mt, "gpt_train_s", r.seconds);
    metrics_set(mt, "gpt_train_tokens_per_s", toks / r.seconds);
    record_steps(mt, "gpt", &log);
    train_log_plot(&log, cli->out_dir, "gpt_loss", NULL, "char GPT: cross-entropy (nats/char)",
                   true);
    train_log_free(&log);
    int n_prompt;
    int *prompt = encode_prompt(&c->chars, f->prompt, &n_prompt);
    print_sample(g, &c->chars, prompt, n_prompt, f->tokens, cli->seed);
    free(prompt);
}

// endregion
// region: section 7

void attention_maps_section(Chapter *ch, const CharCorpus *c, Gpt *g)
{
    chapter_section("7. What the heads look at: attention heat-maps of the trained GPT");
    const GptConfig *k = &g->cfg;
    // a line of the validation text: from the first line start after the split
    size_t s = c->n_train;
    while (s < c->n - 1 && c->text[s - 1] != '\n') s++;
    const int T = k->T < 40 ? k->T : 40;
    if (s + (size_t)T > c->n) s = c->n_train;
    char line[80];
    for (int i = 0; i < T; i++) line[i] = c->text[s + i] == '\n' ? '|' : (char)c->text[s + i];
    line[T] = 0;
    printf("text (%d characters, '|' = newline): \"%s\"\n", T, line);
    float *P = dl_malloc((size_t)k->NH * T * T * sizeof *P, "attention maps");
    printf("%-6s %-5s %12s %12s %12s %14s\n", "layer", "head", "self", "previous", "first",
           "mean distance");
    double best_prev = -1;
    int best_l = 0, best_h = 0;
    for (int l = 0; l < k->L; l++) {
        gpt_attention_maps(g, c->ids + s, T, l, P);
        for (int h = 0; h < k->NH; h++) {
            const float *A = P + (size_t)h * T * T;
            double self = 0, prev = 0, first = 0, dist = 0;
            for (int i = 1; i < T; i++) {   // row 0 can only look at itself
                self += A[i * T + i];
                prev += A[i * T + i - 1];
                first += A[i * T];
                for (int j = 0; j <= i; j++) dist += A[i * T + j] * (i - j);
            }
            self /= T - 1, prev /= T - 1, first /= T - 1, dist /= T - 1;
            printf("%-6d %-5d %12.3f %12.3f %12.3f %14.2f\n", l, h, self, prev, first, dist);
            metrics_setf(&ch->metrics, prev, "attn_l%d_h%d_prev", l, h);
            metrics_setf(&ch->metrics, dist, "attn_l%d_h%d_dist", l, h);
            if (prev > best_prev) best_prev = prev, best_l = l, best_h = h;
            if (l == 0 || l == k->L - 1) {
                char name[64], title[160];
                snprintf(name, sizeof name, "attn_layer%d_head%d", l, h);
                snprintf(title, sizeof title, "layer %d head %d: P(query row attends to key "
                         "column) on “%.24s…”", l, h, line);
                plot_heatmap(ch->cli.out_dir, name, title, "key position (earlier characters)",
                             "query position", A, T, T);
            }
        }
    }
    double uniform = 0;   // a head spreading evenly over the i + 1 visible positions
    for (int i = 1; i < T; i++) uniform += 1.0 / (i + 1);
    printf("(mean over the query positions 1 … %d of the attention on itself, on the previous "
           "character, on the first one, and the mean distance looked back; a uniform causal "
           "head gives previous = %.3f)\n", T - 1, uniform / (T - 1));
    printf("the most 'previous-character' head: layer %d head %d, %.0f %% of its attention on "
           "the character just before — the bigram statistics of the text; heads with a larger "
           "mean distance gather the word and the line so far. PNGs: attn_layer<l>_head<h>.png "
           "(first and last layer)\n", best_l, best_h, 100 * best_prev);
    metrics_set(&ch->metrics, "attn_best_prev", best_prev);
    free(P);
}

// endregion
// region: section 8

void bpe_gpt_section(Chapter *ch, const Flags *f, const CharCorpus *c, const Bpe *bpe,
                     double char_val_loss)
{
    chapter_section("8. The same GPT on BPE tokens: bits per character");
    const Cli *cli = &ch->cli;
    const size_t n_val = chapter_eval_chars(c, cli->quick);   // the text section 6 scored
    int *train = dl_malloc(c->n_train * sizeof *train, "BPE train ids");
    int *val = dl_malloc(n_val * sizeof *val, "BPE validation ids");
    const size_t nt = bpe_encode(bpe, c->text, c->n_train, train);
    const size_t nv = bpe_encode(bpe, c->text + c->n_train, n_val, val);
    printf("BPE vocabulary %d (section 5): train %zu characters → %zu tokens (%.2f characters "
           "per token), validation %zu → %zu\n", bpe->V, c->n_train, nt,
           (double)c->n_train / (double)nt, n_val, nv);
    const int B = 12, T = chapter_gpt_config(f, cli->quick, bpe->V).T;
    if (nt < (size_t)B * (T + 1) + 1 || nv < (size_t)B * (T + 1) + 1) {
        printf("(skipped: %zu training and %zu validation tokens; this section needs at least "
               "%d of each — a longer --text)\n", nt, nv, B * (T + 1) + 1);
        free(train);
        free(val);
        return;
    }
    GptRun r = {.label = "BPE GPT", .prefix = "bpe_gpt", .model = "07_transformer/bpe_gpt",
                .cfg = chapter_gpt_config(f, cli->quick, bpe->V),
                .iters = cli->quick ? 20 : (f->iters >= 4 ? f->iters / 4 : 1), .B = 12};
    const GptConfig *k = &r.cfg;
    printf("the same GPT (V = %d, context %d tokens ≈ %.0f characters), %d iterations (a shorter "
           "run than section 6's %d)\n", k->V, k->T, k->T * (double)c->n_train / (double)nt,
           r.iters, f->iters);
    Gpt g;
    TrainLog log;
    const size_t n_val_epoch = nv < 8192 ? nv : 8192;
    gpt_train(ch, &r, train, nt, val, n_val_epoch, &g, &log);
    double vloss;
    const double acc = gpt_stream_accuracy(&g, val, nv, r.B, k->T, &vloss);
    // bits per character: the validation text's total code length over its characters. Both
    // models score (almost) every token of the same text: eval's windows leave out the first
    // token of each row and a short tail.
    const double bpc = vloss * (double)nv / (double)n_val / LN2;
    printf("  %ld iterations in %.1f s; validation %.4f nats/token (next-token accuracy %.2f %%)\n",
           log.steps, r.seconds, vloss, acc);
    printf("  %-28s %12s %14s %12s\n", "model", "nats/token", "chars/token", "bits/char");
    printf("  %-28s %12.4f %14.3f %12.4f\n", "character GPT (section 6)", char_val_loss, 1.0,
           char_val_loss / LN2);
    printf("  %-28s %12.4f %14.3f %12.4f\n", "BPE GPT", vloss, (double)n_val / (double)nv, bpc);
    printf("  (bits/char = nats/token × tokens / characters / ln 2 on the same validation text; "
           "the BPE model saw %.1f× more characters per step and %d× fewer steps)\n",
           (double)n_val / (double)nv, f->iters / (r.iters ? r.iters : 1));
    Metrics *mt = &ch->metrics;
    metrics_set(mt, "bpe_gpt_val_loss", vloss);
    metrics_set(mt, "bpe_gpt_val_bits_per_char", bpc);
    metrics_set(mt, "bpe_gpt_chars_per_token", (double)n_val / (double)nv);
    metrics_set(mt, "bpe_gpt_train_s", r.seconds);
    record_steps(mt, "bpe_gpt", &log);
    train_log_free(&log);
    gpt_free(&g);
    free(train);
    free(val);
}

// endregion
// region: --sample

// --sample --resume FILE: rebuild the GPT from the checkpoint's record of its sizes and
// vocabulary, load its parameters, print a sample. No training, no data needed.
static int sample_only(Chapter *ch, const Flags *f)
{
    const Cli *cli = &ch->cli;
    char err[512];
    if (!cli->resume_path[0])
        dl_die_status(DL_EXIT_USAGE, "--sample needs --resume FILE (a checkpoint written by "
                      "--save FILE or by Ctrl-C)");
    Checkpoint ck;
    if (!checkpoint_read(cli->resume_path, &ck, err, sizeof err)) dl_die("%s", err);
    if (strcmp(ck.model, GPT_MODEL) != 0)
        dl_die("%s holds the model '%s'; --sample generates from the character GPT '%s' "
               "(written by ./07_transformer/run --save FILE)", cli->resume_path, ck.model,
               GPT_MODEL);
    float conf[5];
    if (!checkpoint_get(&ck, "gpt.config", DL_CKPT_F32, conf, 5, err, sizeof err))
        dl_die("%s", err);
    GptConfig cfg = chapter_gpt_config(f, false, (int)conf[0]);
    cfg.T = (int)conf[1], cfg.L = (int)conf[2], cfg.NH = (int)conf[3], cfg.C = (int)conf[4];
    if (!(cfg.V >= 1 && cfg.V <= 256) || !gpt_config_check(&cfg, err, sizeof err))
        dl_die("%s: the recorded sizes are not those of a character GPT (%s)", cli->resume_path,
               cfg.V >= 1 && cfg.V <= 256 ? err : "V outside 1 … 256");
    float vbytes[256];
    unsigned char bytes[256];
    if (!checkpoint_get(&ck, "gpt.vocab", DL_CKPT_F32, vbytes, (size_t)cfg.V, err, sizeof err))
        dl_die("%s", err);
    for (int i = 0; i < cfg.V; i++) bytes[i] = (unsigned char)vbytes[i];
    Vocab vocab;
    if (!vocab_from_bytes(&vocab, bytes, cfg.V, err, sizeof err))
        dl_die("%s: %s", cli->resume_path, err);
    if ((int)strlen(f->prompt) > cfg.T)
        dl_die_status(DL_EXIT_USAGE, "--prompt is %zu characters, longer than the model's "
                      "context of T = %d; give a prompt of at most %d characters",
                      strlen(f->prompt), cfg.T, cfg.T);
    int n_prompt;
    int *prompt = encode_prompt(&vocab, f->prompt, &n_prompt);
    Rng rng;
    rng_seed(&rng, cli->seed);
    Model m;
    model_init(&m, GPT_MODEL);
    Gpt g;
    gpt_init(&g, &m, &cfg, &rng);
    const Params *p = &m.p;
    for (int i = 0; i < p->n; i++)
        if (!checkpoint_get(&ck, p->names[i], DL_CKPT_F32, p->items[i]->data, p->items[i]->size,
                            err, sizeof err))
            dl_die("%s", err);
    checkpoint_free(&ck);
    printf("%s: a %d-layer GPT, %d heads, d_model %d, context %d, V = %d characters\n",
           cli->resume_path, cfg.L, cfg.NH, cfg.C, cfg.T, cfg.V);
    print_sample(&g, &vocab, prompt, n_prompt, f->tokens, cli->seed);
    free(prompt);
    model_free(&m);
    vocab_free(&vocab);
    metrics_free(&ch->metrics);   // nothing measured: no metrics.tsv, out/ is left as it was
    return 0;
}

// A --resume checkpoint must be one of this chapter's; the GPT's must have this text's characters.
static void check_resume(const char *path, const CharCorpus *c)
{
    Checkpoint ck;
    char err[512];
    if (!checkpoint_read(path, &ck, err, sizeof err)) dl_die("%s", err);
    if (strncmp(ck.model, "07_transformer/", 15) != 0)
        dl_die("%s is a checkpoint of the model '%s', not of one of chapter 7's "
               "(07_transformer/…): resume it with its own chapter's program", path, ck.model);
    float vbytes[256];
    if (c && strcmp(ck.model, GPT_MODEL) == 0 && checkpoint_find(&ck, "gpt.vocab")) {
        bool same = checkpoint_get(&ck, "gpt.vocab", DL_CKPT_F32, vbytes, (size_t)c->chars.V,
                                   err, sizeof err);
        for (int i = 0; same && i < c->chars.V; i++)
            same = (unsigned char)vbytes[i] == (unsigned char)vocab_token(&c->chars, i)[0];
        if (!same)
            dl_die("%s was trained on a text with other characters than %s: resume it with the "
                   "same --text", path, c->path);
    }
    checkpoint_free(&ck);
}

// endregion

#ifndef NO_MAIN
int main(int argc, char **argv)
{
    Flags f = {0};
    const CliExtra extras[] = {
        {"text", 's', f.text, sizeof f.text, "train the GPT on this file instead of tiny "
                                             "Shakespeare (its distinct bytes are the vocabulary)"},
        {"finetune", 's', f.finetune, sizeof f.finetune, "LoRA's text instead of "
                                                         "data/bible-kjv.txt"},
        {"prompt", 's', f.prompt, sizeof f.prompt, "the text the samples start from (\"\": "
                                                   "ROMEO:)"},
        {"sample", 'b', &f.sample, 0, "generate from --resume FILE and exit (no training)"},
        {"iters", 'i', &f.iters, 0, "the character GPT's optimizer steps (0: 2000, 40 --quick)"},
        {"tokens", 'i', &f.tokens, 0, "characters/tokens per sample (0: 300)"},
        {"bpe-vocab", 'i', &f.bpe_vocab, 0, "the BPE vocabulary (0: 512)"},
        {"lora-rank", 'i', &f.lora_rank, 0, "LoRA's rank r (0: 8)"},
        {"n-head", 'i', &f.n_head, 0, "the GPT's heads (0: 4); must divide --d-model"},
        {"d-model", 'i', &f.d_model, 0, "the GPT's width (0: 128, 64 --quick)"},
    };
    kernels_register(&ATTN_LADDER);     // --kernel attn=… (before the flags are parsed)
    Chapter ch;
    chapter_begin(&ch, "07_transformer", argc, argv, "Chapter 7: the Transformer — attention "
                  "from scratch, multi-head attention, positions, the block, a character GPT on "
                  "tiny Shakespeare (nanoGPT's CPU configuration), byte-level BPE, BERT's masked "
                  "LM, decoding with a KV cache, LoRA; --bench: the attention ladder and "
                  "training/generation speed vs PyTorch", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &ch.cli;
    resolve_flags(cli, &f);
    if (f.sample) return sample_only(&ch, &f);
    if (cli->resume_path[0]) check_resume(cli->resume_path, NULL);
    CharCorpus corpus;                  // data first: a missing file costs no time
    load_corpus(cli, &f, &corpus);
    if (cli->resume_path[0]) check_resume(cli->resume_path, &corpus);
    int n_prompt;                       // a prompt outside the vocabulary: before any training
    free(encode_prompt(&corpus.chars, f.prompt, &n_prompt));
    printf("data: %s; %d thread(s), seed %llu, attention rung %s%s\n", corpus.path,
           threads_get(), (unsigned long long)cli->seed, ladder_selected(&ATTN_LADDER)->name,
           cli->quick ? ", --quick" : "");
    if (cli->bench) {
        bench_section(&ch, &f, &corpus);
    } else {
        lessons_section(&ch, &f);                          // 1–4
        Bpe bpe = {0};
        tokenizer_section(&ch, &f, &corpus, &bpe);         // 5
        Gpt g;
        double acc;
        gpt_section(&ch, &f, &corpus, &g, &acc);           // 6
        attention_maps_section(&ch, &corpus, &g);          // 7
        double char_val_loss = 0;
        metrics_get(&ch.metrics, "gpt_val_loss", &char_val_loss);
        if (bpe.V > 0) bpe_gpt_section(&ch, &f, &corpus, &bpe, char_val_loss);   // 8
        else printf("(section 8 skipped: section 5 trained no BPE tokenizer)\n");
        bert_section(&ch, &f, &corpus, acc);               // 9
        decoding_section(&ch, &f, &g, &corpus);            // 10
        lora_section(&ch, &f, &g, &corpus);                // 11
        gpt_free(&g);
        bpe_free(&bpe);
    }
    corpus_free(&corpus);
    return chapter_end(&ch);
}
#endif
