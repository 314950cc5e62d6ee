/* 05_rnn_lstm/char.c — section 5 of chapter 5: the character-level LSTM language model on
 * tiny Shakespeare (or --text FILE), its curves in nats and bits, samples at three temperatures
 * and with top-k, and --sample --resume FILE, which generates from a checkpoint without
 * training. Built into 05_rnn_lstm/run with rnn.c (the other sections).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/error.h"
#include "base/rng.h"
#include "data/stream.h"
#include "nn/recurrent.h"
#include "report/plot.h"
#include "train/checkpoint.h"
#include "train/generate.h"

#include "rnn.h"

// region: char_lm
// The main run: a 2-layer LSTM character model (char-rnn, Karpathy 2015) on tiny Shakespeare
// (or --text FILE). Adam, clipping at 5, truncated BPTT over windows of T characters with the
// state carried from window to window; the last 10 % of the text validates.

// A sample of n characters after `prompt` (ids), at temperature tau, top-k (0: all).
void sample_text(CharModel *cm, const int *prompt, int n_prompt, int n, float tau,
                        int top_k, Rng *rng, char *out)
{
    RnnLM *lm = &cm->lm;
    Model *m = &cm->m;
    RecurrentState s;
    Arena a;
    arena_init(&a, "sample state");
    recurrent_state_init(&s, &a, &lm->rnn, 1, NULL, NULL);
    float *logits = dl_malloc((size_t)lm->cfg.V * sizeof *logits, "sample logits");
    for (int i = 0; i < n_prompt; i++) lm_step(lm, m, &s, prompt[i], logits);
    for (int i = 0; i < n; i++) {
        int id = sample_token(logits, lm->cfg.V, tau, top_k, rng);
        out[i] = vocab_token(cm->vocab, id)[0];
        lm_step(lm, m, &s, id, logits);
    }
    out[n] = 0;
    free(logits);
    arena_free(&a);
}

void print_samples(CharModel *cm, const char *prompt, int length, uint64_t seed,
                          Metrics *mt)
{
    char err[512];
    int n_prompt = (int)strlen(prompt);
    int *ids = dl_malloc((size_t)(n_prompt ? n_prompt : 1) * sizeof *ids, "prompt ids");
    if (!vocab_encode_chars(cm->vocab, (const unsigned char *)prompt, (size_t)n_prompt, ids, err,
                            sizeof err))
        dl_die_status(DL_EXIT_USAGE, "--prompt: %s", err);
    typedef struct { float tau; int k; const char *key; } Setting;
    static const Setting SET[4] = {{0.5f, 0, "t0.5"}, {1.0f, 0, "t1.0"}, {1.5f, 0, "t1.5"},
                                   {1.0f, 40, "t1.0_top40"}};
    char *text = dl_malloc((size_t)length + 1, "sample");
    for (int s = 0; s < 4; s++) {
        Rng rng;
        rng_seed(&rng, seed + 100 + s);
        sample_text(cm, ids, n_prompt, length, SET[s].tau, SET[s].k, &rng, text);
        printf("--- temperature %.1f%s, prompt \"%s\" ---\n%s%s\n", (double)SET[s].tau,
               SET[s].k ? ", top-k 40" : "", prompt, prompt, text);
        // how much of the sample is made of the training text's words: a crude but honest
        // measure of whether the model writes English (spaces per character)
        int spaces = 0;
        for (int i = 0; i < length; i++) spaces += text[i] == ' ';
        if (mt) metrics_setf(mt, (double)spaces / length, "sample_%s_space_frac", SET[s].key);
    }
    free(text);
    free(ids);
}

void char_section(Chapter *ch, const Corpus *c, const Flags *f, CharModel *cm)
{
    const Cli *cli = &ch->cli;
    const bool q = cli->quick;
    LmRun r = {.name = "char", .label = "char LSTM",
               .cfg = {.kind = CELL_LSTM, .V = c->vocab.V, .D = q ? 32 : 64,
                       .H = f->hidden, .L = 2, .B = f->batch, .B_eval = char_eval_batch(q),
                       .dropout = f->dropout},
               .T = f->seq_len, .epochs = f->epochs,
               .max_steps = q ? 40 : 0, .opt = optim_defaults(OPT_ADAM), .clip = 5.0f,
               .main = true, .prefix = "char", .vocab = &c->vocab};
    r.opt.lr = f->lr;
    TokenBatcher probe;
    char err[512];
    if (!token_batcher_init(&probe, c->ids, c->n_train, r.cfg.B, r.T, err, sizeof err))
        dl_die("%s: %s", c->name, err);
    const int spe = token_batcher_steps(&probe);
    token_batcher_free(&probe);
    r.schedule = (Schedule){.kind = SCHED_COSINE, .min_lr = r.opt.lr / 10,
                            .total_steps = r.epochs * spe};
    printf("%s: %zu characters, V = %d; train %zu, validation %zu (the last 10 %%%s)\n", c->name,
           c->n, c->vocab.V, c->n_train, c->n_val, c->n_val < c->n - c->n_train ? "; --quick: its "
           "start" : "");
    printf("LSTM: %d layers × H = %d, embedding D = %d, T = %d, B = %d, dropout %g; Adam lr %g "
           "(cosine to %g), clip 5; %d epoch(s) of %d steps%s\n", r.cfg.L, r.cfg.H, r.cfg.D, r.T,
           r.cfg.B, (double)r.cfg.dropout, (double)r.opt.lr, (double)r.opt.lr / 10, r.epochs, spe,
           r.max_steps ? " (--quick: 40 steps)" : "");
    TrainLog log;
    cm->vocab = (Vocab *)&c->vocab;
    lm_run(ch, &r, c, &cm->m, &cm->lm, &log);
    printf("  %zu parameters; %ld steps in %.1f s (%.0f characters/s)\n", params_count(&cm->m.p),
           log.steps, r.seconds, log.steps * (double)r.cfg.B * r.T / r.seconds);
    const double vl = log.val_loss[log.epochs_run];
    printf("  validation: %.4f nats/char = %.4f bits/char, perplexity %.2f (uniform: %d; "
           "char-rnn-style models reach ≈ 1.5 nats or lower on tiny Shakespeare)\n", vl,
           vl / LN2, exp(vl), c->vocab.V);
    Metrics *mt = &ch->metrics;
    record_steps(mt, "char", &log);
    metrics_set(mt, "char_val_loss", vl);
    metrics_set(mt, "char_val_bits", vl / LN2);
    metrics_set(mt, "char_params", (double)params_count(&cm->m.p));
    metrics_set(mt, "char_train_s", r.seconds);
    // the curves in nats and in bits per character
    int E = log.epochs_run;
    float ex[64], tr[64], va[64], trb[64], vab[64];
    int n = 0;
    for (int e = 0; e <= E && n < 64; e++, n++) {
        ex[n] = (float)e;
        tr[n] = log.train_loss[e], va[n] = log.val_loss[e];
        trb[n] = tr[n] / (float)LN2, vab[n] = va[n] / (float)LN2;
    }
    train_log_plot(&log, cli->out_dir, "char_loss", NULL, "char LSTM: cross-entropy (nats/char)",
                   true);
    PlotSeries s[2] = {{"train (bits/char)", ex + 1, trb + 1, n - 1, "linespoints"},
                       {"validation (bits/char)", ex, vab, n, "linespoints"}};
    plot_lines(cli->out_dir, "char_bits", "char LSTM: bits per character", "epoch",
               "bits/char", s, 2, false);
    train_log_free(&log);
    printf("samples (--length %d; the prompt is --prompt):\n", f->length);
    print_samples(cm, f->prompt, f->length, cli->seed, mt);
}

// --sample --resume FILE: rebuild the character model from the checkpoint's own record of its
// sizes and vocabulary, load its parameters, print the samples. No training, no data needed.
int sample_only(Chapter *ch, const Flags *f)
{
    const Cli *cli = &ch->cli;
    char err[512];
    if (!cli->resume_path[0])
        dl_die_status(DL_EXIT_USAGE, "--sample needs --resume FILE (a checkpoint written by "
                      "--save FILE or by Ctrl-C)");
    Checkpoint c;
    if (!checkpoint_read(cli->resume_path, &c, err, sizeof err)) dl_die("%s", err);
    if (strcmp(c.model, CHAR_MODEL) != 0)
        dl_die("%s holds the model '%s'; --sample generates from the character model '%s' "
               "(written by ./05_rnn_lstm/run --save FILE)", cli->resume_path, c.model, CHAR_MODEL);
    float conf[6];
    if (!checkpoint_get(&c, "lm.config", DL_CKPT_F32, conf, 6, err, sizeof err)) dl_die("%s", err);
    LmConfig cfg = {.kind = (CellKind)conf[0], .V = (int)conf[1], .D = (int)conf[2],
                    .H = (int)conf[3], .L = (int)conf[4], .B = (int)conf[5], .B_eval = 1};
    DL_CHECK(cfg.V >= 1 && cfg.V <= 256 && cfg.L >= 1 && cfg.L <= DL_MAX_RNN_LAYERS,
             "%s: the model's recorded sizes are not those of a character model", cli->resume_path);
    float vbytes[256];
    unsigned char bytes[256];
    if (!checkpoint_get(&c, "lm.vocab", DL_CKPT_F32, vbytes, (size_t)cfg.V, err, sizeof err))
        dl_die("%s", err);
    for (int i = 0; i < cfg.V; i++) bytes[i] = (unsigned char)vbytes[i];
    Vocab vocab;
    if (!vocab_from_bytes(&vocab, bytes, cfg.V, err, sizeof err)) dl_die("%s: %s", cli->resume_path, err);
    CharModel cm = {.vocab = &vocab};
    Rng rng;
    rng_seed(&rng, cli->seed);
    model_init(&cm.m, CHAR_MODEL);
    lm_init(&cm.lm, &cm.m, &cfg, &rng);
    const Params *p = &cm.m.p;
    for (int i = 0; i < p->n; i++)
        if (!checkpoint_get(&c, p->names[i], DL_CKPT_F32, p->items[i]->data, p->items[i]->size,
                            err, sizeof err))
            dl_die("%s", err);
    checkpoint_free(&c);
    printf("%s: a %d-layer %s, H = %d, V = %d characters\n", cli->resume_path, cfg.L,
           cell_name(cfg.kind), cfg.H, cfg.V);
    print_samples(&cm, f->prompt, f->length, cli->seed, NULL);
    model_free(&cm.m);
    vocab_free(&vocab);
    metrics_free(&ch->metrics);   // nothing measured: no metrics.tsv, out/ is left as it was
    return 0;
}
// endregion
