/* 05_rnn_lstm/rnn.c — recurrent networks: why sequences need memory, back-propagation through
 * time, vanishing and exploding gradients and clipping, the LSTM and the GRU, character- and
 * word-level language models on real text, sampling, and a time-series forecaster.
 * Build: make chapter5    Run: ./05_rnn_lstm/run --quick    Bench: ./05_rnn_lstm/run --bench
 * cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Icommon 05_rnn_lstm/{rnn,char,lm,bench,forecast}.c $(find common -name '*.c') -lm -pthread -o 05_rnn_lstm/run
 * Sections (lecture order): 1 why_recurrence, 2 bptt (by hand, gradient norms, clipping),
 *   3 cells (LSTM/GRU parameter counts, perplexity), 4 kernel lesson (bench.c), 5 char_lm (char.c:
 *   tiny Shakespeare or --text FILE; samples), 6 compare (RNN vs GRU vs LSTM), 7 ptb (Zaremba small),
 *   8 time series (forecast.c). Every model trains through the library's loop (train_run) with
 *   lm.c's network; --sample --resume FILE generates from a checkpoint without training.
 * The ops, layers and the recurrent ladder live in common/ (ops/recurrent.c, nn/recurrent.c,
 * kernels/recurrent.c); text, vocabularies and the BPTT batcher in common/data/.
 * Shapes: tokens (B, T); embeddings (B, T, D); hidden states (B, T, H); logits (B·T, V).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "data/batch.h"
#include "data/stream.h"
#include "data/text.h"
#include "kernels/recurrent.h"
#include "nn/params.h"
#include "nn/recurrent.h"
#include "ops/elementwise.h"
#include "ops/recurrent.h"
#include "ops/reduce.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"
#include "train/chapter.h"
#include "train/checkpoint.h"
#include "train/eval.h"
#include "train/loop.h"
#include "train/model.h"

#include "bench.h"
#include "forecast.h"
#include "lm.h"
#include "rnn.h"

// region: data

void corpus_free(Corpus *c)
{
    free(c->ids);
    vocab_free(&c->vocab);
    text_free(&c->text);
}

// The character corpus: --text FILE, else <data>/tinyshakespeare.txt, else the Debian fallback
// <data>/bible-kjv.txt that `make data` writes when tiny Shakespeare cannot be had.
void load_char_corpus(const Cli *cli, const Flags *f, Corpus *c)
{
    char path[1024], err[512];
    memset(c, 0, sizeof *c);
    if (f->text[0]) {
        FILE *probe = fopen(f->text, "rb");
        if (!probe) dl_die("--text %s: cannot open it (%s)", f->text, strerror(errno));
        fclose(probe);
        snprintf(path, sizeof path, "%s", f->text);
        snprintf(c->name, sizeof c->name, "%s", f->text);
    } else {
        path_join(path, sizeof path, cli->data_dir, "tinyshakespeare.txt");
        snprintf(c->name, sizeof c->name, "tinyshakespeare");
        FILE *probe = fopen(path, "rb");
        if (probe) fclose(probe);
        else {
            char alt[1024];
            path_join(alt, sizeof alt, cli->data_dir, "bible-kjv.txt");
            if ((probe = fopen(alt, "rb"))) {
                fclose(probe);
                printf("notice: %s is missing; training on the King James Bible (%s) instead — "
                       "run `make data` with network access for tiny Shakespeare\n", path, alt);
                snprintf(path, sizeof path, "%s", alt);
                snprintf(c->name, sizeof c->name, "bible-kjv");
            }
        }
    }
    if (!text_load(path, &c->text, err, sizeof err)) dl_die("%s", err);
    if (!vocab_build_chars(&c->vocab, c->text.bytes, c->text.n, err, sizeof err))
        dl_die("%s", err);
    c->n = c->text.n;
    c->ids = dl_malloc(c->n * sizeof *c->ids, "character ids");
    if (!vocab_encode_chars(&c->vocab, c->text.bytes, c->n, c->ids, err, sizeof err))
        dl_die("%s", err);
    c->n_train = c->n - c->n / 10;
    c->n_val = c->n - c->n_train;
}
// endregion

// region: lm_run

void scaled_orthogonal(float *w, int n, float rho, Rng *rng);   // region bptt

void lm_run(Chapter *ch, LmRun *r, const Corpus *c, Model *m, RnnLM *lm, TrainLog *log)
{
    char name[DL_MODEL_NAME], err[512];
    snprintf(name, sizeof name, "05_rnn_lstm/%s", r->name);
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    model_init(m, name);
    lm_init(lm, m, &r->cfg, &rng);
    DL_CHECK(r->rho == 0 || r->cfg.kind == CELL_RNN, "lm_run: rho is for RNN cells (W_hh (H, H))");
    for (int l = 0; r->rho > 0 && l < r->cfg.L; l++)
        scaled_orthogonal(lm->rnn.w_hh[l]->data, r->cfg.H, r->rho, &rng);
    if (r->vocab) {   // buffers "lm.config" (kind, V, D, H, L, B) and "lm.vocab" (V byte values)
        const LmConfig *g = &r->cfg;
        float *conf = arena_alloc(&m->params, 6 * sizeof *conf);
        float *bytes = arena_alloc(&m->params, (size_t)g->V * sizeof *bytes);
        const float values[6] = {(float)g->kind, (float)g->V, (float)g->D, (float)g->H,
                                 (float)g->L, (float)g->B};
        memcpy(conf, values, sizeof values);
        for (int i = 0; i < g->V; i++) bytes[i] = (unsigned char)vocab_token(r->vocab, i)[0];
        params_add_buffer(&m->p, "lm.config", conf, 6);
        params_add_buffer(&m->p, "lm.vocab", bytes, (size_t)g->V);
    }
    TokenBatcher tb;
    if (!token_batcher_init(&tb, c->ids, c->n_train, r->cfg.B, r->T, err, sizeof err))
        dl_die("%s: %s", r->label, err);
    TrainConfig tc = {.label = r->label, .epochs = r->epochs, .max_steps = r->max_steps,
                      .opt = r->opt, .schedule = r->schedule, .clip_norm = r->clip,
                      .stop_on_divergence = r->stop_on_divergence,
                      .val_tokens = c->ids + c->n_train, .n_val_tokens = c->n_val,
                      .val_B = r->cfg.B_eval, .val_T = r->T, .eval_before = r->main,
                      .print = r->main, .metrics = r->prefix ? &ch->metrics : NULL,
                      .prefix = r->prefix, .cli = &ch->cli, .save = r->main};
    TrainTask task = {m, lm, lm_forward, lm_loss, NULL};   // lm.h: the fast cross-entropy
    train_run(&task, &tb.src, &tc, &rng, log);
    r->seconds = log->seconds[log->epochs_run];
    token_batcher_free(&tb);
}

// The loss at a few steps: what the golden test checks tightly (a wrong gradient moves it).
void record_steps(Metrics *mt, const char *prefix, const TrainLog *log)
{
    static const int STEPS[10] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    for (int i = 0; i < 10 && STEPS[i] <= log->steps; i++)
        metrics_setf(mt, log->step_loss[STEPS[i] - 1], "%s_loss_step_%d", prefix, STEPS[i]);
}
// endregion

// region: why_recurrence
// Order matters: "not good" and "good not" hold the same words. A bag of words (the sum of
// their embeddings) cannot tell them apart; an RNN reads them in order, so its last hidden
// state differs. And the RNN's parameters are the same for any length T, while a dense layer
// over the whole sequence (T·C inputs) grows with T.
void why_section(uint64_t seed, Metrics *mt)
{
    enum { C = 8, H = 16 };
    Rng rng;
    rng_seed(&rng, seed);
    Model m;
    model_init(&m, "05_rnn_lstm/why");
    Tensor *emb = tensor_param(&m.params, 2, (int[]){2, C}, "emb");   // 0 = "not", 1 = "good"
    tensor_fill_normal(emb, &rng, 0.0f, 1.0f);
    Recurrent rnn;
    recurrent_init(&rnn, &m.params, CELL_RNN, C, H, 1, 0.0f, &rng, NULL);
    tape_set_recording(&m.tp, false);
    static const int ORDER[2][2] = {{0, 1}, {1, 0}};   // "not good", "good not"
    float bag[2][C], last[2][H];
    for (int s = 0; s < 2; s++) {
        Tensor *x = tensor_new(&m.step, 3, (int[]){1, 2, C});
        for (int t = 0; t < 2; t++) {
            memcpy(x->data + t * C, emb->data + ORDER[s][t] * C, C * sizeof(float));
            for (int j = 0; j < C; j++) bag[s][j] = (t ? bag[s][j] : 0) + emb->data[ORDER[s][t] * C + j];
        }
        Tensor *out = recurrent_forward(&m.tp, &rnn, x, NULL, 0, false, NULL, NULL);
        memcpy(last[s], out->data + H, H * sizeof(float));   // h_2, the state after both words
    }
    double dbag = 0, drnn = 0;
    for (int j = 0; j < C; j++) dbag += (bag[0][j] - bag[1][j]) * (bag[0][j] - bag[1][j]);
    for (int j = 0; j < H; j++) drnn += (last[0][j] - last[1][j]) * (last[0][j] - last[1][j]);
    printf("\"not good\" vs \"good not\" (random embeddings, C = %d; an RNN with H = %d):\n", C, H);
    printf("  bag of words  ‖sum(not, good) − sum(good, not)‖ = %.4f   (the same input)\n",
           sqrt(dbag));
    printf("  RNN           ‖h_2(not good) − h_2(good not)‖   = %.4f   (h_t = tanh(x_t W_xh + "
           "h_{t-1} W_hh + b) reads the order)\n", sqrt(drnn));
    metrics_set(mt, "why_bow_diff", sqrt(dbag));
    metrics_set(mt, "why_rnn_diff", sqrt(drnn));
    // parameters against the sequence length (characters: C = 65 inputs, H = 128 units)
    const int Cc = 65, Hh = 128;
    Recurrent r10;
    Params p;
    params_init(&p, &m.params);
    recurrent_init(&r10, &m.params, CELL_RNN, Cc, Hh, 1, 0.0f, &rng, &p);
    size_t rnn_params = params_count(&p);
    printf("parameters for C = %d inputs per step, H = %d units:\n", Cc, Hh);
    for (int T = 10; T <= 1000; T *= 100) {
        long long dense = (long long)T * Cc * Hh + Hh;
        printf("  T = %4d: RNN %zu (W_xh %d·%d + W_hh %d·%d + 2 biases %d) — dense layer over "
               "all T·C inputs: %lld\n", T, rnn_params, Cc, Hh, Hh, Hh, Hh, dense);
        metrics_setf(mt, (double)rnn_params, "why_rnn_params_T%d", T);
        metrics_setf(mt, (double)dense, "why_dense_params_T%d", T);
    }
    model_free(&m);
}
// endregion

// region: bptt
// BPTT written out for the vanilla RNN (our layout: w_ih (C, H), w_hh (H, H), two biases):
//   forward   a_t = x_t W_ih + b_ih + h_{t-1} W_hh + b_hh,   h_t = tanh(a_t)
//   loss      L = Σ_t Σ_j R_tj h_tj                           (any loss: dL/dh_t from the output)
//   backward  for t = T … 1:  dh_t = R_t + dh_next          (the output's gradient + the future's)
//                             da_t = dh_t ⊙ (1 − h_t²)
//                             dW_ih += x_tᵀ da_t,  dW_hh += h_{t−1}ᵀ da_t,  db += da_t
//                             dh_next = da_t W_hhᵀ          (one step further back in time)
// The gradient reaching h_1 went through T−1 factors diag(1 − h²)·W_hhᵀ: it shrinks or grows
// like ρ(W_hh)^(T−1) — vanishing and exploding gradients (Bengio, Simard & Frasconi 1994).
void bptt_by_hand(int B, int T, int C, int H, const float *x, const float *w_ih,
                         const float *w_hh, const float *b_ih, const float *b_hh, const float *R,
                         float *h, float *dw_ih, float *dw_hh, float *db)
{
    for (int t = 0; t < T; t++)                       // forward; h is (T, B, H), h_0 = 0
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                double a = b_ih[j] + b_hh[j];
                for (int k = 0; k < C; k++) a += x[((size_t)b * T + t) * C + k] * w_ih[k * H + j];
                for (int k = 0; t > 0 && k < H; k++)
                    a += h[((size_t)(t - 1) * B + b) * H + k] * w_hh[k * H + j];
                h[((size_t)t * B + b) * H + j] = (float)tanh(a);
            }
    float *dh_next = dl_malloc((size_t)B * H * sizeof(float), "bptt dh_next");
    float *da = dl_malloc((size_t)B * H * sizeof(float), "bptt da");
    memset(dh_next, 0, (size_t)B * H * sizeof(float));   // nothing flows back from after T
    for (int t = T - 1; t >= 0; t--) {                // backward through time
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                float ht = h[((size_t)t * B + b) * H + j];
                float dh = R[((size_t)b * T + t) * H + j] + dh_next[b * H + j];
                da[b * H + j] = dh * (1.0f - ht * ht);
            }
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                float d = da[b * H + j];
                db[j] += d;
                for (int k = 0; k < C; k++) dw_ih[k * H + j] += x[((size_t)b * T + t) * C + k] * d;
                for (int k = 0; t > 0 && k < H; k++)
                    dw_hh[k * H + j] += h[((size_t)(t - 1) * B + b) * H + k] * d;
            }
        for (int b = 0; b < B; b++)
            for (int k = 0; k < H; k++) {
                double s = 0;
                for (int j = 0; j < H; j++) s += da[b * H + j] * w_hh[k * H + j];
                dh_next[b * H + k] = (float)s;
            }
    }
    free(dh_next);
    free(da);
}

// The loop above against the library's op_recurrent (ops/recurrent.c) on the same numbers.
void bptt_check(uint64_t seed, Metrics *mt)
{
    enum { B = 2, T = 6, C = 3, H = 4 };
    Rng rng;
    rng_seed(&rng, seed + 1);
    Model m;
    model_init(&m, "05_rnn_lstm/bptt");
    Recurrent r;
    recurrent_init(&r, &m.params, CELL_RNN, C, H, 1, 0.0f, &rng, &m.p);
    Tensor *x = tensor_new(&m.params, 3, (int[]){B, T, C});
    Tensor *R = tensor_new(&m.params, 3, (int[]){B, T, H});
    tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    tensor_fill_normal(R, &rng, 0.0f, 1.0f);
    Tensor *out = recurrent_forward(&m.tp, &r, x, NULL, 0, true, NULL, NULL);
    tape_backward(&m.tp, op_sum(&m.tp, op_mul(&m.tp, out, R)));
    float h[T * B * H], dw_ih[C * H] = {0}, dw_hh[H * H] = {0}, db[H] = {0};
    bptt_by_hand(B, T, C, H, x->data, r.w_ih[0]->data, r.w_hh[0]->data, r.b_ih[0]->data,
                 r.b_hh[0]->data, R->data, h, dw_ih, dw_hh, db);
    double worst = 0;
    for (int i = 0; i < C * H; i++) worst = fmax(worst, fabs(dw_ih[i] - r.w_ih[0]->grad[i]));
    for (int i = 0; i < H * H; i++) worst = fmax(worst, fabs(dw_hh[i] - r.w_hh[0]->grad[i]));
    for (int i = 0; i < H; i++) {
        worst = fmax(worst, fabs(db[i] - r.b_ih[0]->grad[i]));
        worst = fmax(worst, fabs(db[i] - r.b_hh[0]->grad[i]));
    }
    printf("BPTT by hand (this file, region bptt) vs op_recurrent's backward (B = %d, T = %d, C = "
           "%d, H = %d): largest |difference| of dW_ih, dW_hh, db = %.2e\n", B, T, C, H, worst);
    metrics_set(mt, "bptt_max_abs_diff", worst);
    model_free(&m);
}

// W (n, n) = ρ·Q with Q orthogonal (Gram–Schmidt on a Gaussian matrix, in double): every
// eigenvalue of Q has |λ| = 1, so the spectral radius of W is exactly ρ, and so is its norm.
void scaled_orthogonal(float *w, int n, float rho, Rng *rng)
{
    double *q = dl_malloc((size_t)n * n * sizeof *q, "orthogonal matrix");
    for (int i = 0; i < n * n; i++) q[i] = rng_normal(rng);
    for (int i = 0; i < n; i++) {                    // rows q_i, orthonormalised in order
        for (int k = 0; k < i; k++) {
            double d = 0;
            for (int j = 0; j < n; j++) d += q[i * n + j] * q[k * n + j];
            for (int j = 0; j < n; j++) q[i * n + j] -= d * q[k * n + j];
        }
        double s = 0;
        for (int j = 0; j < n; j++) s += q[i * n + j] * q[i * n + j];
        for (int j = 0; j < n; j++) q[i * n + j] /= sqrt(s);
    }
    for (int i = 0; i < n * n; i++) w[i] = (float)(rho * q[i]);
    free(q);
}

// ‖dL/dh_t‖ for t = 1 … T of one layer, L = r · h_T (only the last step has a loss), as the
// op's backward computes it (RecurrentArgs.dh_norm). RNN: W_hh = ρ·Q, tiny inputs (the tanh
// stays in its linear range, so the factor per step is ρ). LSTM: PyTorch's initialisation with
// the forget gate's biases set to forget_bias (f = σ(b_f + …) ≈ σ(forget_bias)).
void grad_norms(CellKind kind, float rho, float forget_bias, int B, int T, int H,
                       uint64_t seed, float *dh_norm)
{
    Rng rng;
    rng_seed(&rng, seed);
    Model m;
    model_init(&m, "05_rnn_lstm/gradnorm");
    Recurrent r;
    recurrent_init(&r, &m.params, kind, H, H, 1, 0.0f, &rng, &m.p);
    Tensor *x = tensor_new(&m.params, 3, (int[]){B, T, H});
    if (kind == CELL_RNN) {
        scaled_orthogonal(r.w_hh[0]->data, H, rho, &rng);
        tensor_fill(r.b_ih[0], 0.0f);
        tensor_fill(r.b_hh[0], 0.0f);
        tensor_fill_normal(x, &rng, 0.0f, 1e-3f);
    } else {
        for (int j = 0; j < H; j++) {                // gate order i, f, g, o: f is block 1
            r.b_ih[0]->data[H + j] = forget_bias;
            r.b_hh[0]->data[H + j] = 0.0f;
        }
        tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    }
    Tensor *mask = tensor_new(&m.params, 3, (int[]){B, T, H});   // r on the last step only
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++)
            mask->data[((size_t)b * T + T - 1) * H + j] = rng_normal(&rng) / sqrtf((float)(B * H));
    Tensor *out = recurrent_forward(&m.tp, &r, x, NULL, 0, true, NULL, dh_norm);
    tape_backward(&m.tp, op_sum(&m.tp, op_mul(&m.tp, out, mask)));
    model_free(&m);
}

void gradient_section(const Chapter *ch, Metrics *mt)
{
    enum { B = 8, H = 64, T = 50 };
    typedef struct { const char *title, *key; CellKind kind; float rho, bf; } Case;
    static const Case CASES[5] = {
        {"RNN, rho(W_hh) = 0.9", "rnn_rho_0.9", CELL_RNN, 0.9f, 0},
        {"RNN, rho(W_hh) = 1.0", "rnn_rho_1.0", CELL_RNN, 1.0f, 0},
        {"RNN, rho(W_hh) = 1.1", "rnn_rho_1.1", CELL_RNN, 1.1f, 0},
        {"LSTM, forget bias 0 (f ~ 0.5)", "lstm_bf_0", CELL_LSTM, 0, 0.0f},
        {"LSTM, forget bias 3 (f ~ 0.95)", "lstm_bf_3", CELL_LSTM, 0, 3.0f},
    };
    static float norms[5][T], steps[T];
    for (int t = 0; t < T; t++) steps[t] = (float)(t + 1);
    printf("‖dL/dh_t‖ for a loss on the last step only (T = %d, H = %d, B = %d), from the BPTT "
           "loop of op_recurrent:\n", T, H, B);
    printf("  %-32s %11s %11s %11s %14s\n", "cell", "t = T", "t = T/2", "t = 1", "t=1 / t=T");
    PlotSeries s[5];
    for (int c = 0; c < 5; c++) {
        const Case *k = &CASES[c];
        grad_norms(k->kind, k->rho, k->bf, B, T, H, ch->cli.seed + 7, norms[c]);
        double ratio = norms[c][0] / norms[c][T - 1];
        printf("  %-32s %11.3e %11.3e %11.3e %14.3e\n", k->title, (double)norms[c][T - 1],
               (double)norms[c][T / 2 - 1], (double)norms[c][0], ratio);
        metrics_setf(mt, ratio, "bptt_grad_ratio_%s", k->key);
        s[c] = (PlotSeries){k->title, steps, norms[c], T, "lines lw 2"};
    }
    printf("  RNN: the factor per step is ρ (tanh'(a) ≈ 1 for these small inputs): 0.9^%d = %.2e, "
           "1.1^%d = %.2e.\n  LSTM: the cell path c_t = f ⊙ c_{t-1} + … multiplies the "
           "gradient by f, not by W_hh: an open forget gate keeps it alive.\n", T - 1,
           pow(0.9, T - 1), T - 1, pow(1.1, T - 1));
    plot_lines(ch->cli.out_dir, "grad_norms", "‖dL/dh_t‖ back through time (loss at t = T)",
               "time step t", "‖dL/dh_t‖", s, 5, true);
}
// endregion

// region: clipping
// Gradient clipping by global norm (Pascanu, Mikolov & Bengio 2013): after backward, before the
// optimizer step, when ‖g‖ > max_norm every gradient is scaled by max_norm / ‖g‖ (optim/clip.h,
// applied by train_run when clip_norm > 0). The same vanilla-RNN character model and learning
// rate, once without and once with clipping.
typedef struct ClipSetup { int H, T, B; float lr, clip, rho; long steps; } ClipSetup;

// One vanilla-RNN character run of the clipping demonstration; W_hh = ρ·Q (Q orthogonal).
void clip_run(Chapter *ch, const Corpus *c, const ClipSetup *k, TrainLog *log)
{
    LmRun r = {.name = k->clip > 0 ? "clip_on" : "clip_off",
               .label = k->clip > 0 ? "RNN, clipped" : "RNN, no clip",
               .cfg = {.kind = CELL_RNN, .V = c->vocab.V, .D = 32, .H = k->H, .L = 1, .B = k->B,
                       .B_eval = k->B},
               .T = k->T, .epochs = 1000, .max_steps = k->steps, .opt = optim_defaults(OPT_SGD),
               .clip = k->clip, .stop_on_divergence = true, .rho = k->rho};
    r.opt.lr = k->lr;
    Model m;
    RnnLM lm;
    lm_run(ch, &r, c, &m, &lm, log);
    model_free(&m);
}

void clipping_section(Chapter *ch, const Corpus *c, bool quick)
{
    ClipSetup k = {.H = 256, .T = 50, .B = 32, .lr = 1.0f, .clip = 0, .rho = 1.5f,
                   .steps = quick ? 40 : 300};
    printf("a vanilla RNN character model (H = %d, T = %d, B = %d), SGD lr %g, %ld steps, "
           "W_hh = %.1f·Q (Q orthogonal):\n", k.H, k.T, k.B, (double)k.lr, k.steps, (double)k.rho);
    static const float CLIPS[2] = {0.0f, 1.0f};
    for (int i = 0; i < 2; i++) {
        k.clip = CLIPS[i];
        TrainLog log;
        clip_run(ch, c, &k, &log);
        const char *key = i ? "clip_on" : "clip_off";
        char label[64];
        snprintf(label, sizeof label, i ? "clip at %.0f" : "no clipping", (double)k.clip);
        float worst = 0;
        for (long j = 0; j < log.steps; j++) worst = fmaxf(worst, log.step_loss[j]);
        if (log.diverged)
            printf("  %-13s diverged at step %ld (loss %.4g; first step %.4f)\n", label,
                   log.diverged_step, (double)log.diverged_loss, (double)log.step_loss[0]);
        else
            printf("  %-13s stable: %ld steps, loss %.4f → %.4f (highest %.4f)\n", label,
                   log.steps, (double)log.step_loss[0], (double)log.step_loss[log.steps - 1],
                   (double)worst);
        metrics_setf(&ch->metrics, log.diverged, "%s_diverged", key);
        metrics_setf(&ch->metrics, log.diverged ? (double)log.diverged_step : (double)log.steps,
                     "%s_steps", key);
        if (!log.diverged)
            metrics_setf(&ch->metrics, log.step_loss[log.steps - 1], "%s_final_loss", key);
        train_log_free(&log);
    }
}
// endregion

// region: cells
// Parameter counts of real layers (the same C and H): per layer G·(C·H + H·H + 2·H) with G = 1
// (RNN), 3 (GRU: reset, update, new), 4 (LSTM: input, forget, cell, output) — the lecture's
// ≈ 1 : 3 : 4. And perplexity: exp(cross-entropy); a model that spreads its probability evenly
// over V tokens has cross-entropy ln V and perplexity exactly V.
static Tensor *uniform_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    (void)train, (void)rng;
    const int *V = net;
    Tensor *logits = tape_output(tp, 2, (int[]){b->B * b->T, *V}, NULL, 0);
    tensor_fill(logits, 0.0f);   // equal logits: p = 1/V for every token
    return logits;
}

void cells_section(const Corpus *c, uint64_t seed, Metrics *mt)
{
    enum { C = 256, H = 256 };
    static const CellKind KINDS[3] = {CELL_RNN, CELL_GRU, CELL_LSTM};
    Rng rng;
    rng_seed(&rng, seed);
    Model m;
    model_init(&m, "05_rnn_lstm/cells");
    size_t count[3];
    printf("one layer, C = %d inputs, H = %d units (PyTorch's layout: two bias vectors):\n", C, H);
    for (int k = 0; k < 3; k++) {
        Params p;
        params_init(&p, &m.params);
        Recurrent r;
        recurrent_init(&r, &m.params, KINDS[k], C, H, 1, 0.0f, &rng, &p);
        count[k] = params_count(&p);
        printf("  %-5s %d gate(s): %7zu parameters  (%.2f × RNN)\n", cell_name(KINDS[k]),
               cell_gates(KINDS[k]), count[k], (double)count[k] / count[0]);
        metrics_setf(mt, (double)count[k], "cells_%s_params", cell_name(KINDS[k]));
    }
    model_free(&m);
    Model u;
    model_init(&u, "05_rnn_lstm/uniform");
    int V = c->vocab.V;
    LmEval e = eval_lm(&u, &V, uniform_forward, c->ids + c->n_train, c->n_val, 1, 256);
    printf("a uniform model over the V = %d characters of %s, on %ld validation characters: "
           "cross-entropy %.4f nats = ln %d, perplexity exp(%.4f) = %.3f = V\n", V, c->name,
           e.tokens, e.loss, V, e.loss, e.ppl);
    metrics_set(mt, "cells_uniform_loss", e.loss);
    metrics_set(mt, "cells_uniform_ppl", e.ppl);
    model_free(&u);
}
// endregion


// region: compare
// The lecture's comparison table, from runs: the three cells on the same character task with
// the same sizes, steps and optimizer.
void compare_section(Chapter *ch, const Corpus *c)
{
    const bool q = ch->cli.quick;
    static const CellKind KINDS[3] = {CELL_RNN, CELL_GRU, CELL_LSTM};
    const int H = q ? 32 : 256;
    const long steps = q ? 20 : 400;
    enum { B = 32, T = 64 };
    printf("one layer, H = %d, D = 64, T = %d, B = %d, Adam lr 2e-3, clip 5, %ld steps each\n", H,
           T, B, steps);
    int spe = 0;   // steps in one epoch (the runs' TrainLog)
    printf("  %-5s %10s %12s %12s %12s %12s\n", "cell", "params", "s/100 steps", "s/epoch*",
           "val loss", "bits/char");
    for (int k = 0; k < 3; k++) {
        char name[32], label[32];
        snprintf(name, sizeof name, "compare_%s", cell_name(KINDS[k]));
        snprintf(label, sizeof label, "%s", cell_name(KINDS[k]));
        LmRun r = {.name = name, .label = label,
                   .cfg = {.kind = KINDS[k], .V = c->vocab.V, .D = 64, .H = H, .L = 1, .B = B,
                           .B_eval = B},
                   .T = T, .epochs = 1000, .max_steps = steps, .opt = optim_defaults(OPT_ADAM),
                   .clip = 5.0f};
        r.opt.lr = 2e-3f;
        Model m;
        RnnLM lm;
        TrainLog log;
        lm_run(ch, &r, c, &m, &lm, &log);
        spe = log.steps_per_epoch;
        // the epoch ended by max_steps is evaluated too: the last entry with a value
        double vl = NAN;
        for (int e = 0; e <= log.epochs; e++) if (!isnan(log.val_loss[e])) vl = log.val_loss[e];
        double per100 = r.seconds / log.steps * 100;
        printf("  %-5s %10zu %12.2f %12.1f %12.4f %12.4f\n", label, params_count(&m.p), per100,
               per100 / 100 * spe, vl, vl / LN2);
        metrics_setf(&ch->metrics, (double)params_count(&m.p), "compare_%s_params", label);
        metrics_setf(&ch->metrics, vl, "compare_%s_val_loss", label);
        metrics_setf(&ch->metrics, per100, "compare_%s_s_per_100_steps", label);
        metrics_setf(&ch->metrics, per100 / 100 * spe, "compare_%s_epoch_s", label);
        train_log_free(&log);
        model_free(&m);
    }
    printf("  * the time of one epoch (%d steps of B·T = %d characters) at the measured time per "
           "step; validation after %ld steps: the budget is the same, not convergence\n", spe,
           B * T, steps);
}
// endregion

// region: ptb
// Word level: Zaremba, Sutskever & Vinyals (2014), "small" model exactly — 2 layers of 200 LSTM
// units, unrolled 20 steps, batch 20, the 10k-word vocabulary, every weight U(-0.1, 0.1), SGD
// lr 1 for 4 epochs then halved every epoch, 13 epochs, clipping at global norm 5, no dropout.
// Their result: validation perplexity 120.7, test 114.5.
void ptb_section(Chapter *ch)
{
    const Cli *cli = &ch->cli;
    const bool q = cli->quick;
    char dir[1024], path[1100], err[512];
    path_join(dir, sizeof dir, cli->data_dir, "ptb");
    static const char *const SPLITS[3] = {"train", "valid", "test"};
    Text text[3];
    for (int s = 0; s < 3; s++) {
        snprintf(path, sizeof path, "%s/ptb.%s.txt", dir, SPLITS[s]);
        if (!text_load(path, &text[s], err, sizeof err)) {
            printf("notice: skipping Penn Treebank: %s\n", err);
            for (int k = 0; k < s; k++) text_free(&text[k]);
            metrics_set(&ch->metrics, "ptb_skipped", 1);
            return;
        }
    }
    Corpus c = {.text = text[0]};
    snprintf(c.name, sizeof c.name, "ptb");
    if (!vocab_build_words(&c.vocab, text[0].bytes, text[0].n, 0, err, sizeof err)) dl_die("%s", err);
    int *ids[3];
    size_t n[3];
    for (int s = 0; s < 3; s++)
        if (!vocab_encode_words(&c.vocab, text[s].bytes, text[s].n, &ids[s], &n[s], err, sizeof err))
            dl_die("%s/ptb.%s.txt: %s", dir, SPLITS[s], err);
    printf("Penn Treebank: V = %d words; train %zu, valid %zu, test %zu tokens (with <eos>)\n",
           c.vocab.V, n[0], n[1], n[2]);
    // one array: train then valid, so that lm_run's split (n_train) validates on ptb.valid
    c.n = n[0] + n[1];
    c.n_train = n[0];
    c.n_val = n[1];
    if (q) n[1] = n[2] = c.n_val = 4000;   // --quick: the first 4000 tokens of valid and test
    c.ids = dl_malloc(c.n * sizeof *c.ids, "ptb ids");
    memcpy(c.ids, ids[0], n[0] * sizeof *c.ids);
    memcpy(c.ids + n[0], ids[1], n[1] * sizeof *c.ids);
    LmRun r = {.name = "ptb_small", .label = "PTB small",
               .cfg = {.kind = CELL_LSTM, .V = c.vocab.V, .D = 200, .H = 200, .L = 2, .B = 20,
                       .B_eval = 10, .init_range = 0.1f},
               .T = 20, .epochs = cli->full ? 13 : 1, .max_steps = q ? 10 : 0,
               .opt = optim_defaults(OPT_SGD), .clip = 5.0f / 20, .prefix = "ptb"};
    // Their loss is the cross-entropy summed over the T = 20 steps and averaged over the batch
    // (main.lua: derr = 1 for each step of ClassNLLCriterion's batch mean); ours is the mean
    // per token, 1/T of it, with gradients 1/T of theirs. So lr 1 and clipping at 5 on theirs are
    // lr T = 20 and clipping at 5/T = 0.25 on ours: the same update, θ -= 20·min(1, 0.25/‖g‖)·g.
    r.opt.lr = 20.0f;
    const int spe = (int)((n[0] / 20 - 1) / 20);
    r.schedule = (Schedule){.kind = SCHED_STEP, .step_size = spe, .gamma = 0.5f,
                            .delay_steps = 3 * spe};
    printf("LSTM 2 × 200, T = 20, B = 20, U(±0.1), SGD lr 1 (halved every epoch after epoch 4), "
           "clip 5, no dropout, on the loss summed over the 20 steps (here: lr 20 and clip 0.25 on "
           "the mean per word, the same update): %d of the paper's 13 epochs (%d steps each)%s\n",
           r.epochs, spe,
           q ? ", --quick: 10 steps" : cli->full ? "" : "; --full runs all 13");
    Model m;
    RnnLM lm;
    TrainLog log;
    r.main = false;
    lm_run(ch, &r, &c, &m, &lm, &log);
    LmEval val = eval_lm(&m, &lm, lm_forward, ids[1], n[1], 10, 20);
    LmEval test = eval_lm(&m, &lm, lm_forward, ids[2], n[2], 10, 20);
    printf("  %-10s %8s %8s\n", "", "epoch", "ppl");
    for (int e = 1; e <= log.epochs_run; e++)
        printf("  %-10s %8d %8.1f\n", "valid", e, exp(log.val_loss[e]));
    printf("  after %ld steps (%.0f s, %.0f words/s): valid perplexity %.1f, test %.1f — the "
           "paper after 13 epochs: 120.7 / 114.5\n", log.steps, r.seconds,
           log.steps * 400.0 / r.seconds, val.ppl, test.ppl);
    Metrics *mt = &ch->metrics;
    record_steps(mt, "ptb", &log);
    metrics_set(mt, "ptb_valid_ppl", val.ppl);
    metrics_set(mt, "ptb_test_ppl", test.ppl);
    metrics_set(mt, "ptb_epochs", log.epochs_run);
    metrics_set(mt, "ptb_words_per_s", log.steps * 400.0 / r.seconds);
    train_log_plot(&log, cli->out_dir, "ptb_loss", NULL, "PTB small: cross-entropy (nats/word)",
                   true);
    train_log_free(&log);
    model_free(&m);
    for (int s = 0; s < 3; s++) free(ids[s]);
    free(c.ids);
    vocab_free(&c.vocab);
    for (int s = 0; s < 3; s++) text_free(&text[s]);
}
// endregion

// A --resume FILE that is not one of this program's checkpoints is refused before any training
// (the loop would only notice at the end, after every run had found it foreign).
void check_resume_model(const char *path)
{
    Checkpoint c;
    char err[512];
    if (!checkpoint_read(path, &c, err, sizeof err)) dl_die("%s", err);
    bool ours = strncmp(c.model, "05_rnn_lstm/", 12) == 0;
    if (!ours)
        dl_die("%s is a checkpoint of the model '%s', not of one of chapter 5's (05_rnn_lstm/…): "
               "resume it with its own chapter's program", path, c.model);
    checkpoint_free(&c);
}

// The character model's batch and window against the corpus: a clear error before any training
// (the demonstrations of sections 2 and 6 use B = 32 and windows of 50 and 64 characters, so a
// --text file needs at least 32·65 = 2080 characters in its training part).
void check_char_sizes(const Corpus *c, const Flags *f, bool quick)
{
    char err[512];
    const int B = f->batch, T = f->seq_len;
    TokenBatcher tb;
    if (!token_batcher_init(&tb, c->ids, c->n_train, B, T, err, sizeof err))
        dl_die("%s (the character model: --batch %d, --seq-len %d): %s", c->name, B, T, err);
    token_batcher_free(&tb);
    if (!token_batcher_init(&tb, c->ids + c->n_train, c->n_val, char_eval_batch(quick), T, err,
                            sizeof err))
        dl_die("%s: its last 10 %% (the validation part, --seq-len %d): %s", c->name, T, err);
    token_batcher_free(&tb);
    if (!token_batcher_init(&tb, c->ids, c->n_train, 32, 64, err, sizeof err))
        dl_die("%s: too short for the chapter's demonstrations (B = 32 rows of T = 64): %s",
               c->name, err);
    token_batcher_free(&tb);
}

#ifndef NO_MAIN
int main(int argc, char **argv)
{
    Flags f = {.prompt = "The ", .length = 300, .lr = 3e-3f, .dropout = 0.2f};
    const CliExtra extras[] = {
        {"text", 's', f.text, sizeof f.text, "train the character model on this file instead of "
                                             "tiny Shakespeare (its distinct bytes are the vocabulary)"},
        {"sample", 'b', &f.sample, 0, "generate from --resume FILE and exit (no training)"},
        {"prompt", 's', f.prompt, sizeof f.prompt, "the text the samples start from"},
        {"length", 'i', &f.length, 0, "characters per sample"},
        {"epochs", 'i', &f.epochs, 0, "the character model's epochs (0: 5, 1 --quick, 20 --full)"},
        {"hidden", 'i', &f.hidden, 0, "the character model's units per layer (0: 256, 64 --quick)"},
        {"seq-len", 'i', &f.seq_len, 0, "the character model's BPTT window T (0: 100, 32 --quick)"},
        {"batch", 'i', &f.batch, 0, "the character model's batch B (0: 32, 16 --quick)"},
        {"lr", 'f', &f.lr, 0, "the character model's Adam learning rate (cosine-decayed to lr/10)"},
        {"dropout", 'f', &f.dropout, 0, "the character model's dropout between layers and before "
                                        "the head"},
    };
    kernels_register(&RNN_LADDER);   // before the flags: --kernel rnn=RUNG, --help lists it
    Chapter ch;
    chapter_begin(&ch, "05_rnn_lstm", argc, argv, "Chapter 5: recurrent networks — BPTT, "
                  "vanishing/exploding gradients, clipping, LSTM and GRU language models on tiny "
                  "Shakespeare and Penn Treebank, sampling, a sunspot forecaster; --bench: the "
                  "recurrent ladder and training speed vs PyTorch", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &ch.cli;
    if (!(f.lr > 0 && f.lr <= 1))
        dl_die_status(DL_EXIT_USAGE, "--lr must be in (0, 1], got %g", (double)f.lr);
    if (!(f.dropout >= 0 && f.dropout < 1))
        dl_die_status(DL_EXIT_USAGE, "--dropout must be in [0, 1), got %g", (double)f.dropout);
    if (f.length < 1 || f.length > 100000)
        dl_die_status(DL_EXIT_USAGE, "--length must be 1 … 100000, got %d", f.length);
    const struct { const char *flag; int v; } counts[4] = {
        {"epochs", f.epochs}, {"hidden", f.hidden}, {"seq-len", f.seq_len}, {"batch", f.batch}};
    for (int i = 0; i < 4; i++)   // 0 is "the default" for the flag, but not when given
        if (counts[i].v < 0 || (counts[i].v == 0 && cli_flag_given(cli, counts[i].flag)))
            dl_die_status(DL_EXIT_USAGE, "--%s must be >= 1, got %d", counts[i].flag,
                          counts[i].v);
    const bool q = cli->quick;   // 0 means "the default": resolved once, here
    if (!f.epochs) f.epochs = q ? 1 : cli->full ? 20 : 5;
    if (!f.hidden) f.hidden = q ? 64 : 256;
    if (!f.seq_len) f.seq_len = q ? 32 : 100;
    if (!f.batch) f.batch = q ? 16 : 32;
    if (cli->bench) {
        bench_run(cli);
        metrics_free(&ch.metrics);
        return 0;
    }
    if (cli->resume_path[0]) check_resume_model(cli->resume_path);
    if (f.sample) return sample_only(&ch, &f);
    Corpus chars;   // data first: a missing file or a bad size costs no time
    load_char_corpus(cli, &f, &chars);
    if (cli->quick && chars.n_val > 8192)   // enough for the windows of --seq-len
        chars.n_val = (size_t)fmax(8192, char_eval_batch(true) * (f.seq_len + 1.0) + 1);
    if (chars.n_val > chars.n - chars.n_train) chars.n_val = chars.n - chars.n_train;
    check_char_sizes(&chars, &f, cli->quick);
    printf("data: %s from %s; %d thread(s), seed %llu, recurrent rung %s%s\n", chars.name,
           f.text[0] ? f.text : cli->data_dir, threads_get(), (unsigned long long)cli->seed,
           ladder_selected(&RNN_LADDER)->name, cli->quick ? ", --quick" : "");

    chapter_section("1. Why recurrence: order, and parameters shared over time");
    why_section(cli->seed, &ch.metrics);
    chapter_section("2. Back-propagation through time: vanishing and exploding gradients");
    bptt_check(cli->seed, &ch.metrics);
    gradient_section(&ch, &ch.metrics);
    clipping_section(&ch, &chars, cli->quick);
    chapter_section("3. LSTM and GRU cells; perplexity");
    cells_section(&chars, cli->seed, &ch.metrics);
    chapter_section("4. The recurrent ladder (kernel lesson)");
    rnn_timing_section(cli->quick, cli->seed, &ch.metrics);
    chapter_section("5. A character-level LSTM language model");
    CharModel cm;
    char_section(&ch, &chars, &f, &cm);
    model_free(&cm.m);
    chapter_section("6. RNN vs GRU vs LSTM on the same budget");
    compare_section(&ch, &chars);
    chapter_section("7. Word level: Penn Treebank, Zaremba et al.'s small LSTM");
    ptb_section(&ch);
    chapter_section("8. Time series: forecasting monthly sunspots");
    forecast_section(&ch);

    corpus_free(&chars);
    return chapter_end(&ch);
}
#endif
