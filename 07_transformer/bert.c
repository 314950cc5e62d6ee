/* 07_transformer/bert.c — section 9 of chapter 7: an encoder trained with BERT's masked-LM
 * objective (Devlin et al. 2019, §3.1 and appendix A.1; google-research/bert,
 * create_pretraining_data.py): in every window of T characters, round(15 % · T) positions are
 * chosen; of those, 80 % are replaced by [MASK] (an extra id V), 10 % by a random character,
 * 10 % kept; the loss is the cross-entropy of the original character at the chosen positions
 * only (their hidden rows gathered, op_embedding on the hidden matrix used as a row gather).
 * The encoder is the GPT of section 6 with causal = false and BERT's post-LN blocks (Vaswani et
 * al.'s x = LN(x + sublayer(x)); BERT-base is post-LN), biases, an embedding LayerNorm and the
 * tied output head; it sees the characters on both sides of a masked one, which the GPT's
 * next-character prediction cannot: masked-character accuracy against the GPT's
 * next-character accuracy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/stream.h"
#include "ops/embedding.h"
#include "ops/loss.h"
#include "train/loop.h"

#include "transformer.h"

typedef struct Bert {
    Gpt g;
    int V;                // characters; the [MASK] id is V
    int B, T, n_pick;     // windows (B, T); round(0.15 T) chosen positions in each
    int *masked;          // (B, T) the input: tokens with the chosen positions altered
    int *rows;            // (B·n_pick) chosen rows of the (B·T, C) hidden matrix
    int *targets;         // (B·n_pick) the original characters there
    bool *was_mask;       // (B·n_pick) replaced by [MASK] (not random or kept)
} Bert;

// BERT's masking of one batch of windows (B, T): chosen positions without replacement in each
// row (a partial Fisher–Yates shuffle), then 80/10/10, all from rng.
static void bert_mask(Bert *bt, const int *tokens, Rng *rng)
{
    const int T = bt->T;
    int *perm = dl_malloc((size_t)T * sizeof *perm, "mask positions");
    memcpy(bt->masked, tokens, (size_t)bt->B * T * sizeof *tokens);
    for (int b = 0; b < bt->B; b++) {
        for (int t = 0; t < T; t++) perm[t] = t;
        for (int k = 0; k < bt->n_pick; k++) {
            const int j = k + (int)rng_below(rng, (uint32_t)(T - k));
            const int t = perm[j];
            perm[j] = perm[k], perm[k] = t;
            const int i = b * bt->n_pick + k, at = b * T + t;
            bt->rows[i] = at;
            bt->targets[i] = tokens[at];
            const float u = rng_uniform(rng);
            bt->was_mask[i] = u < 0.8f;
            if (u < 0.8f) bt->masked[at] = bt->V;                        // [MASK]
            else if (u < 0.9f) bt->masked[at] = (int)rng_below(rng, (uint32_t)bt->V); // random
            // else: kept as it is (but still predicted)
        }
    }
    free(perm);
}

// ForwardFn: the batch's windows, masked with rng, → logits (B·n_pick, V + 1) at the chosen rows.
static Tensor *bert_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    Bert *bt = net;
    (void)train;
    DL_CHECK(rng && b->B == bt->B && b->T == bt->T, "bert_forward: a (%d, %d) batch, rng %s",
             b->B, b->T, rng ? "set" : "NULL");
    bert_mask(bt, b->tokens, rng);
    Tensor *h = gpt_hidden(&bt->g, tp, bt->masked, bt->B, bt->T);             // (B·T, C)
    Tensor *picked = op_embedding(tp, h, bt->rows, bt->B * bt->n_pick);       // (N, C)
    return gpt_logits(&bt->g, tp, picked);                                    // (N, V + 1)
}

static Tensor *bert_loss(void *net, Tape *tp, Tensor *out, const Batch *b)
{
    (void)b;
    Bert *bt = net;
    return op_cross_entropy(tp, out, bt->targets);
}

// Masked-character accuracy (%) on the stream (validation), masks from a fixed seed: at every
// chosen position, and at the [MASK]ed ones alone.
static void bert_accuracy(Bert *bt, const int *tokens, size_t n, uint64_t seed, double *acc_all,
                          double *acc_mask, double *loss)
{
    TokenBatcher tb;
    char err[300];
    if (!token_batcher_init(&tb, tokens, n, bt->B, bt->T, err, sizeof err))
        dl_die("bert_accuracy: %s", err);
    Rng rng;
    rng_seed(&rng, seed);
    Tape *tp = &bt->g.m->tp;
    tape_set_recording(tp, false);
    const int V1 = bt->V + 1, N = bt->B * bt->n_pick;
    long right = 0, all = 0, right_m = 0, all_m = 0;
    double total = 0;
    Batch b;
    while (tb.src.next(&tb.src, &b) > 0) {
        Tensor *logits = bert_forward(bt, tp, &b, false, &rng);
        total += (double)tensor_item(op_cross_entropy(tp, logits, bt->targets)) * N;
        for (int i = 0; i < N; i++) {
            const float *row = logits->data + (size_t)i * V1;
            int best = 0;
            for (int k = 1; k < bt->V; k++) if (row[k] > row[best]) best = k;   // not [MASK]
            const bool ok = best == bt->targets[i];
            right += ok, all++;
            if (bt->was_mask[i]) right_m += ok, all_m++;
        }
        tape_reset(tp);
    }
    tape_set_recording(tp, true);
    token_batcher_free(&tb);
    *acc_all = 100.0 * (double)right / (double)all;
    *acc_mask = all_m ? 100.0 * (double)right_m / (double)all_m : NAN;
    *loss = total / (double)all;
}

// The accuracy of always guessing the most frequent character of tokens (n), in percent.
static double mode_acc(const int *tokens, size_t n, int V)
{
    long *count = calloc((size_t)V, sizeof *count), best = 0;
    DL_CHECK(count != NULL, "mode_acc: out of memory");
    for (size_t i = 0; i < n; i++) count[tokens[i]]++;
    for (int v = 0; v < V; v++) if (count[v] > best) best = count[v];
    free(count);
    return 100.0 * (double)best / (double)n;
}

void bert_section(Chapter *ch, const Flags *f, const CharCorpus *c, double gpt_next_char_acc)
{
    chapter_section("9. An encoder: BERT's masked language model on the same text");
    const Cli *cli = &ch->cli;
    char err[512];
    // Windows of 16 characters, 48 of them a step: the GPT's 768 characters per step. With 64
    // (the GPT's context) the encoder stays for hundreds of steps on the plateau every masked LM
    // starts on — copy the visible characters, guess the frequent one for [MASK] — as it must
    // learn from position embeddings alone which positions are the neighbours (a causal mask
    // gives a decoder that for free); 16 positions are learnt in this chapter's budget.
    Bert bt = {.V = c->chars.V, .B = 48};
    GptConfig cfg = chapter_gpt_config(f, cli->quick, c->chars.V + 1);   // + [MASK]
    cfg.T = cfg.T < 16 ? cfg.T : 16;
    cfg.causal = false;
    cfg.post_ln = true;
    cfg.bias = true;
    cfg.emb_ln = true;
    bt.T = cfg.T;
    bt.n_pick = (int)lround(0.15 * cfg.T);
    if (bt.n_pick < 1) bt.n_pick = 1;
    const int N = bt.B * bt.n_pick;
    bt.masked = dl_malloc((size_t)bt.B * bt.T * sizeof *bt.masked, "masked windows");
    bt.rows = dl_malloc((size_t)N * sizeof *bt.rows, "masked rows");
    bt.targets = dl_malloc((size_t)N * sizeof *bt.targets, "masked targets");
    bt.was_mask = dl_malloc((size_t)N * sizeof *bt.was_mask, "masked kinds");
    Rng rng;
    rng_seed(&rng, cli->seed + 9);
    Model m;
    model_init(&m, "07_transformer/bert");
    gpt_init(&bt.g, &m, &cfg, &rng);
    const int iters = cli->quick ? 20 : f->iters;   // the GPT's steps and characters
    printf("encoder: %d post-LN layers, %d heads, d_model %d, windows of %d, bidirectional "
           "attention, biases, embedding LayerNorm, tied head; V = %d characters + [MASK]; "
           "%zu parameters\n", cfg.L, cfg.NH, cfg.C, cfg.T, c->chars.V, params_count(&m.p));
    printf("masked LM: %d of %d positions per window (15 %%): 80 %% [MASK], 10 %% a random "
           "character, 10 %% kept; loss on those %d only; %d iterations of batch %d (the GPT's "
           "%d characters a step), AdamW as section 6\n", bt.n_pick, bt.T, bt.n_pick, iters,
           bt.B, bt.B * bt.T);
    const int epochs = 5, spe = (iters + epochs - 1) / epochs;
    WindowSampler ws;
    if (!window_sampler_init(&ws, c->ids, c->n_train, bt.B, bt.T, spe, &rng, err, sizeof err))
        dl_die("BERT: %s", err);
    OptConfig opt = optim_defaults(OPT_ADAMW);
    opt.lr = 1e-3f;
    opt.beta2 = 0.99f;
    opt.weight_decay = 0.1f;
    opt.decay_min_ndim = 2;
    const int warmup = iters / 10;
    TrainConfig tc = {.label = "BERT MLM", .epochs = epochs, .max_steps = iters, .opt = opt,
                      .schedule = {.kind = SCHED_COSINE, .warmup_steps = warmup, .min_lr = 1e-4f,
                                   .total_steps = iters - warmup > 0 ? iters - warmup : 1},
                      .clip_norm = 1.0f, .print = true, .metrics = &ch->metrics,
                      .prefix = "bert", .cli = cli};
    TrainTask task = {&m, &bt, bert_forward, bert_loss, NULL};
    TrainLog log;
    train_run(&task, &ws.src, &tc, &rng, &log);
    const double secs = log.seconds[log.epochs_run];
    double acc, acc_mask, loss;
    bert_accuracy(&bt, c->ids + c->n_train, chapter_eval_chars(c, cli->quick), cli->seed + 99,
                  &acc, &acc_mask, &loss);
    printf("  %ld iterations in %.1f s; on the validation part (masks from a fixed seed):\n",
           log.steps, secs);
    printf("  %-52s %10s\n", "", "accuracy");
    printf("  %-52s %9.2f%%\n", "BERT: the chosen character (both sides visible)", acc);
    printf("  %-52s %9.2f%%\n", "BERT: the [MASK]ed characters alone", acc_mask);
    printf("  %-52s %9.2f%%\n", "GPT (section 6): the next character (left side only)",
           gpt_next_char_acc);
    printf("  (masked-LM loss %.4f nats at the chosen positions; always guessing the most "
           "frequent character would score %.2f %% on the [MASK]ed ones)\n", loss,
           mode_acc(c->ids + c->n_train, chapter_eval_chars(c, cli->quick), c->chars.V));
    if (acc_mask > gpt_next_char_acc)
        printf("  With both sides visible a masked character is easier than the next one: the "
               "encoder reads the rest of its word on the right, the decoder must guess it — but "
               "only the decoder can generate text left to right.\n");
    else
        printf("  Here the encoder is still behind the decoder: with 15 %% of the positions scored "
               "it gets %.0f× fewer targets per step than the GPT (every position) and sees "
               "%d characters, not %d; in %d steps it has not yet caught up (the plateau masked "
               "LMs start on: copy the visible characters, guess the frequent ones for [MASK]). "
               "More steps: --iters.\n", 1.0 / 0.15, cfg.T,
               chapter_gpt_config(f, cli->quick, 2).T, iters);
    metrics_set(&ch->metrics, "bert_val_mlm_loss", loss);
    metrics_set(&ch->metrics, "bert_masked_acc_pct", acc);
    metrics_set(&ch->metrics, "bert_mask_token_acc_pct", acc_mask);
    metrics_set(&ch->metrics, "bert_train_s", secs);
    for (int s = 1; s <= log.steps && s <= 20; s *= 2)
        metrics_setf(&ch->metrics, log.step_loss[s - 1], "bert_loss_step_%d", s);
    train_log_free(&log);
    window_sampler_free(&ws);
    model_free(&m);
    free(bt.masked);
    free(bt.rows);
    free(bt.targets);
    free(bt.was_mask);
}
