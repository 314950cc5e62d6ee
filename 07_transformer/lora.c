/* 07_transformer/lora.c — section 11: LoRA fine-tuning (Hu et al., "LoRA: Low-Rank Adaptation
 * of Large Language Models", ICLR 2022) of the Shakespeare GPT on another text (the King James
 * Bible, data/bible-kjv.txt, or --finetune FILE).
 *
 * W' = W + (α/r)·B·A on the attention projections (c_attn and c_proj of every block), B = 0 at
 * the start so the adapted model starts as the base; only A and B train, the base is frozen
 * (TrainTask.trainable), and at the end B·A is merged into W (gpt_merge_lora): the same outputs
 * without the extra matmuls. nn/transformer.h has the layers; here: the lecture's count, the
 * fine-tune, the checks (frozen base, merged = adapted) and samples before and after.
 * Shapes: token windows (B, T) ids; logits (T, V) of one window for the merge check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"
#include "data/stream.h"
#include "report/plot.h"
#include "train/decode.h"
#include "train/loop.h"

#include "transformer.h"

// region: helpers

// The fine-tune text as the GPT's character ids: bytes outside its vocabulary are dropped (the
// GPT has no embedding for them), counted per distinct byte; returns the ids (malloc'ed).
static int *finetune_ids(const uint8_t *text, size_t n, const Vocab *chars, size_t *n_ids,
                         size_t *dropped, char *which, size_t which_len)
{
    int *ids = dl_malloc((n ? n : 1) * sizeof *ids, "fine-tune ids");
    size_t k = 0, drop = 0, seen[256] = {0};
    for (size_t i = 0; i < n; i++) {
        int id = chars->byte_id[text[i]];
        if (id < 0) {
            drop++;
            seen[text[i]]++;
            continue;
        }
        ids[k++] = id;
    }
    // the dropped bytes, most frequent first (up to 12), for the printout
    size_t used = 0;
    which[0] = 0;
    for (int shown = 0; shown < 12; shown++) {
        int best = -1;
        for (int b = 0; b < 256; b++)
            if (seen[b] && (best < 0 || seen[b] > seen[best])) best = b;
        if (best < 0) break;
        char item[48];
        if (best >= 33 && best < 127) snprintf(item, sizeof item, "%s'%c' %zu", shown ? ", " : "", best, seen[best]);
        else snprintf(item, sizeof item, "%s\\x%02X %zu", shown ? ", " : "", best, seen[best]);
        if (used + strlen(item) + 1 < which_len) {
            memcpy(which + used, item, strlen(item) + 1);
            used += strlen(item);
        }
        seen[best] = 0;
    }
    *n_ids = k;
    *dropped = drop;
    return ids;
}

// n characters sampled after prompt (temperature 0.8, top-k 200 as nanoGPT's sample.py) with
// the KV cache, printed under a title.
static void print_sample(Gpt *g, const Vocab *chars, const int *prompt, int n_prompt, int n,
                         uint64_t seed, const char *title)
{
    GptLm glm;
    gpt_lm_init(&glm, g, true);
    DecodeConfig dc = {.kind = DECODE_SAMPLE, .temperature = 0.8f, .top_k = 200, .top_p = 1.0f};
    Rng rng;
    rng_seed(&rng, seed);
    int *out = dl_malloc((size_t)(n_prompt + n) * sizeof *out, "LoRA sample");
    decode(&glm.lm, &dc, prompt, n_prompt, n, &rng, out);
    printf("--- %s (temperature 0.8, top-k 200) ---\n", title);
    for (int i = 0; i < n_prompt + n; i++) fputs(vocab_token(chars, out[i]), stdout);
    printf("\n---\n");
    free(out);
    gpt_lm_free(&glm);
}

// The logits (T, V) of one window, whole forward, no tape recorded.
static void window_logits(Gpt *g, const int *tokens, int T, float *out)
{
    Tape *tp = &g->m->tp;
    const bool was = tp->recording;
    tape_set_recording(tp, false);
    Tensor *y = gpt_logits(g, tp, gpt_hidden(g, tp, tokens, 1, T));
    memcpy(out, y->data, y->size * sizeof *out);
    tape_reset(tp);
    tape_set_recording(tp, was);
}

// Freeze (or thaw) the first n parameters of p, as PyTorch's requires_grad_(False): without a
// grad buffer no op computes their gradient, so the backward pass skips the base's dW GEMMs
// (a third of a training step) and only the activations' gradients flow to the adapters.
// Thawing gives the buffers back (zeroed).
static void freeze_base(Params *p, int n, float **saved_grads, bool freeze)
{
    for (int i = 0; i < n; i++) {
        Tensor *t = p->items[i];
        if (freeze) {
            saved_grads[i] = t->grad;
            t->grad = NULL;
            t->requires_grad = false;
        } else {
            t->grad = saved_grads[i];
            t->requires_grad = true;
            tensor_zero_grad(t);
        }
    }
}

// endregion
// region: section 11

void lora_section(Chapter *ch, const Flags *f, Gpt *g, const CharCorpus *c)
{
    chapter_section("11. LoRA: fine-tuning the Shakespeare GPT on another text, base frozen");
    const Cli *cli = &ch->cli;
    Metrics *mt = &ch->metrics;
    const GptConfig *k = &g->cfg;

    // The lecture's count: one 4096 × 4096 projection of a 7B model, rank 8.
    const size_t big = (size_t)4096 * 4096, big_lora = lora_param_count(4096, 4096, 8);
    printf("the lecture's count: a 4096 × 4096 weight has %zu parameters; a rank-8 adapter "
           "r·(in + out) = 8·(4096 + 4096) = %zu (%.2f %% of it)\n", big, big_lora,
           100.0 * (double)big_lora / (double)big);
    metrics_set(mt, "lora_count_4096_r8", (double)big_lora);

    // The text: --finetune FILE or <data>/bible-kjv.txt.
    char path[1024], err[1024];
    if (f->finetune[0]) snprintf(path, sizeof path, "%s", f->finetune);
    else path_join(path, sizeof path, cli->data_dir, KJV_FILE);
    Text t;
    if (!text_load(path, &t, err, sizeof err)) {
        if (f->finetune[0]) dl_die("--finetune %s: %s", f->finetune, err);
        printf("(section 11 skipped: %s — `make data` writes it, or give --finetune FILE)\n", err);
        return;
    }
    size_t n, dropped;
    char which[400];
    int *ids = finetune_ids(t.bytes, t.n, &c->chars, &n, &dropped, which, sizeof which);
    printf("%s: %zu bytes; %zu of them (%.3f %%) are characters the GPT's %d-character "
           "vocabulary lacks and are dropped%s%s%s\n", path, t.n, dropped,
           100.0 * (double)dropped / (double)(t.n ? t.n : 1), k->V, dropped ? " (" : "", which,
           dropped ? ")" : "");
    metrics_set(mt, "lora_dropped_chars", (double)dropped);
    const size_t n_train = n - n / 10;
    const int B = 12, T = k->T;
    if (n_train < (size_t)(4 * T + 2) || n - n_train < (size_t)(B * (T + 1) + 1))
        dl_die("%s: %zu usable characters is too short for the fine-tune: it needs %d for the "
               "training part (90 %%) and %d for validation (10 %%); give a longer --finetune",
               path, n, 4 * T + 2, B * (T + 1) + 1);
    // validation: the first 32,768 characters of the last 10 % (--quick 4,096) — a fixed sample
    const size_t n_val_all = n - n_train, cap = cli->quick ? 4096 : 32768;
    const size_t n_val = n_val_all < cap ? n_val_all : cap;
    const int *val = ids + n_train;
    printf("train on the first %zu characters (90 %%); validate on the first %zu characters of "
           "the last 10 %%\n", n_train, n_val);

    double loss_before, loss_after, shakes_before = NAN, shakes_after = NAN;
    double acc_before = gpt_stream_accuracy(g, val, n_val, B, T, &loss_before);
    const size_t n_sh = (c->n - c->n_train) < cap ? c->n - c->n_train : cap;
    gpt_stream_accuracy(g, c->ids + c->n_train, n_sh, B, T, &shakes_before);
    printf("before: validation loss %.4f nats/char (next-character accuracy %.2f %%); on "
           "Shakespeare's validation text %.4f\n", loss_before, acc_before, shakes_before);

    // a prompt from the new text: its first 12 characters ("In the begin" for the KJV)
    int prompt[12];
    const int n_prompt = 12;   // n_train >= 4T + 2 (checked above)
    memcpy(prompt, ids, sizeof prompt);
    const int n_sample = cli->quick ? 80 : 240;
    print_sample(g, &c->chars, prompt, n_prompt, n_sample, cli->seed + 1100,
                 "the base GPT, before the fine-tune");

    // The base as it is now, to check that it stays frozen.
    Params *p = &g->m->p;
    const int n_base = p->n;
    const size_t base_params = params_count(p);
    float *snap = dl_malloc(base_params * sizeof *snap, "base weights");
    for (int i = 0, o = 0; i < n_base; o += (int)p->items[i]->size, i++)
        memcpy(snap + o, p->items[i]->data, p->items[i]->size * sizeof *snap);

    // Adapters on c_attn and c_proj of every block.
    const int r = f->lora_rank;
    const float alpha = 2.0f * (float)r;
    Rng rng;
    rng_seed(&rng, cli->seed + 11);
    Params trainable;
    params_init(&trainable, &g->m->params);
    gpt_add_lora(g, r, alpha, &rng, &trainable);
    const size_t n_tr = params_count(&trainable), total = params_count(p);
    printf("adapters: rank r = %d, α = %g (scale α/r = %g) on c_attn (%d → %d) and c_proj (%d → "
           "%d) of %d blocks: %d·(%d + %d) + %d·(%d + %d) = %zu per block\n", r, (double)alpha,
           (double)(alpha / (float)r), k->C, 3 * k->C, k->C, k->C, k->L, r, k->C, 3 * k->C, r,
           k->C, k->C, lora_param_count(k->C, 3 * k->C, r) + lora_param_count(k->C, k->C, r));
    printf("trainable: %zu of %zu parameters (%.2f %%); the base's %zu are frozen (no gradient "
           "computed for them, as requires_grad_(False))\n", n_tr, total,
           100.0 * (double)n_tr / (double)total, base_params);
    metrics_set(mt, "lora_rank", r);
    metrics_set(mt, "lora_alpha", alpha);
    metrics_set(mt, "lora_trainable_params", (double)n_tr);
    metrics_set(mt, "lora_total_params", (double)total);

    // Fine-tune: AdamW (no weight decay on the adapters), lr 1e-3 with a short warm-up and a
    // cosine decay, clip 1.0, B 12 windows of T, drawn at random from the training part.
    const int steps = cli->quick ? 20 : 300, epochs = 5, spe = (steps + epochs - 1) / epochs;
    WindowSampler ws;
    if (!window_sampler_init(&ws, ids, n_train, B, T, spe, &rng, err, sizeof err))
        dl_die("%s: %s", path, err);
    OptConfig opt = optim_defaults(OPT_ADAMW);
    opt.lr = 1e-3f;
    opt.beta2 = 0.99f;
    opt.weight_decay = 0.0f;
    const int warmup = steps / 10;
    Schedule sched = {.kind = SCHED_COSINE, .warmup_steps = warmup, .min_lr = 1e-4f,
                      .total_steps = steps - warmup > 0 ? steps - warmup : 1};
    const size_t n_val_epoch = n_val < 8192 ? n_val : 8192;
    TrainConfig tc = {.label = "LoRA", .epochs = epochs, .max_steps = steps, .opt = opt,
                      .schedule = sched, .clip_norm = 1.0f, .val_tokens = val,
                      .n_val_tokens = n_val_epoch, .val_B = B, .val_T = T, .print = true,
                      .metrics = mt, .prefix = "lora"};
    TrainTask task = {g->m, g, gpt_forward, NULL, &trainable};
    TrainLog log;
    float **grads = dl_malloc((size_t)n_base * sizeof *grads, "frozen grads");
    freeze_base(p, n_base, grads, true);
    train_run(&task, &ws.src, &tc, &rng, &log);
    freeze_base(p, n_base, grads, false);
    free(grads);
    window_sampler_free(&ws);
    const double secs = log.seconds[log.epochs_run];
    printf("%ld steps in %.1f s (%.0f tokens/s)\n", log.steps, secs,
           (double)log.steps * B * T / (secs > 0 ? secs : 1));
    metrics_set(mt, "lora_steps", (double)log.steps);
    metrics_set(mt, "lora_train_s", secs);
    train_log_plot(&log, cli->out_dir, "lora_loss", NULL,
                   "LoRA fine-tune: cross-entropy on the new text (nats/char)", true);
    train_log_free(&log);

    // The base is frozen: every base weight bit for bit as before.
    double base_change = 0;
    for (int i = 0, o = 0; i < n_base; o += (int)p->items[i]->size, i++)
        for (size_t j = 0; j < p->items[i]->size; j++)
            base_change = fmax(base_change, fabs((double)p->items[i]->data[j] - snap[o + j]));
    free(snap);
    printf("base weights after the fine-tune: max |change| = %g (%s)\n", base_change,
           base_change == 0 ? "frozen, as they should be" : "CHANGED: the base was not frozen");
    metrics_set(mt, "lora_base_max_change", base_change);

    double acc_after = gpt_stream_accuracy(g, val, n_val, B, T, &loss_after);
    gpt_stream_accuracy(g, c->ids + c->n_train, n_sh, B, T, &shakes_after);
    printf("after:  validation loss %.4f nats/char (accuracy %.2f %%), %+.4f; on Shakespeare's "
           "validation text %.4f (%+.4f: what the adapters cost the old text)\n", loss_after,
           acc_after, loss_after - loss_before, shakes_after, shakes_after - shakes_before);
    metrics_set(mt, "lora_val_loss_before", loss_before);
    metrics_set(mt, "lora_val_loss_after", loss_after);
    metrics_set(mt, "lora_val_acc_before_pct", acc_before);
    metrics_set(mt, "lora_val_acc_after_pct", acc_after);
    metrics_set(mt, "lora_shakespeare_loss_before", shakes_before);
    metrics_set(mt, "lora_shakespeare_loss_after", shakes_after);

    // Merge: W ← W + (α/r)·A·B, B ← 0; the same logits without the adapters' matmuls.
    float *adapted = dl_malloc((size_t)T * k->V * sizeof *adapted, "adapted logits");
    float *merged = dl_malloc((size_t)T * k->V * sizeof *merged, "merged logits");
    window_logits(g, val, T, adapted);
    gpt_merge_lora(g);
    window_logits(g, val, T, merged);
    double diff = 0, scale = 0;
    for (size_t i = 0; i < (size_t)T * k->V; i++) {
        diff = fmax(diff, fabs((double)adapted[i] - merged[i]));
        scale = fmax(scale, fabs((double)adapted[i]));
    }
    printf("merged into W: the logits of a validation window (%d × %d) differ from the adapted "
           "model's by at most %.2g (largest logit %.2f: float rounding, the same function)\n",
           T, k->V, diff, scale);
    metrics_set(mt, "lora_merge_max_diff", diff);
    free(adapted);
    free(merged);
    print_sample(g, &c->chars, prompt, n_prompt, n_sample, cli->seed + 1100,
                 "the merged model, after the fine-tune, same seed");
    free(ids);
    text_free(&t);
}

// endregion
