/* 07_transformer/lessons.c — sections 1–4 of chapter 7: attention from scratch, multi-head
 * attention and positions, the Transformer block, where the parameters live.
 *
 * Every number printed is computed here, in this run:
 *   1  softmax(QKᵀ/√d_k)V on a 4-token example; the variance of q·k for q, k ~ N(0, I) (= d_k,
 *      Vaswani et al. 2017, footnote 4) and after the 1/√d_k scale (= 1); the softmax saturating
 *      without the scale: its largest probability and the norm of its Jacobian diag(p) − ppᵀ
 *      (the factor every gradient to the scores goes through); the causal mask.
 *   2  multi-head attention with W^O written as loops, checked against the library's
 *      op_attention; sinusoidal positions (Vaswani §3.5) and their dot products, which depend on
 *      the offset only; permutation equivariance without positions, broken with them.
 *   3  LayerNorm, the GELU FFN, residuals; gradient norms per layer at initialisation of a
 *      12-layer pre-LN and post-LN stack (Xiong et al. 2020, "On Layer Normalization in the
 *      Transformer Architecture", §3: post-LN's gradients grow towards the output).
 *   4  parameter counts from the formula (gpt_param_count) and from models built in C.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tape.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/shape.h"
#include "report/metrics.h"
#include "report/plot.h"
#include "train/model.h"

#include "transformer.h"

// ---- small helpers: plain row-major loops, float64 sums ----
static float *fl(size_t n)
{
    float *p = dl_malloc(sizeof(float) * (n ? n : 1), "lessons");
    memset(p, 0, sizeof(float) * (n ? n : 1));
    return p;
}

static void fill_normal(Rng *r, float *x, size_t n, float std)
{
    for (size_t i = 0; i < n; i++) x[i] = std * rng_normal(r);
}

static void print_matrix(const char *name, const float *m, int rows, int cols)
{
    printf("  %s (%d×%d):\n", name, rows, cols);
    for (int i = 0; i < rows; i++) {
        printf("   ");
        for (int j = 0; j < cols; j++) {
            float v = m[(size_t)i * cols + j];
            if (isinf(v)) printf(" %7s", v < 0 ? "-inf" : "inf");
            else printf(" %7.3f", v);
        }
        printf("\n");
    }
}

// softmax of a row of n scores into p (a row of −∞ but not all: zeros there)
static void softmax_row(const float *s, int n, float *p)
{
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) if (s[j] > mx) mx = s[j];
    double z = 0;
    for (int j = 0; j < n; j++) z += exp((double)s[j] - mx);
    for (int j = 0; j < n; j++) p[j] = (float)(exp((double)s[j] - mx) / z);
}

/* One head: q, k, v (T, d) → out (T, d); S and P (T, T) written when not NULL.
 * S = QKᵀ/√d (−∞ above the diagonal when causal), P = softmax(S) row by row, out = PV. */
static void attention_head(const float *q, const float *k, const float *v, int T, int d,
                           int ld, bool causal, float *S, float *P, float *out, int ldo)
{
    float *s = fl((size_t)T), *p = fl((size_t)T);
    double scale = 1.0 / sqrt((double)d);
    for (int i = 0; i < T; i++) {
        for (int j = 0; j < T; j++) {
            double dot = 0;
            for (int c = 0; c < d; c++) dot += (double)q[(size_t)i * ld + c] * k[(size_t)j * ld + c];
            s[j] = (causal && j > i) ? -INFINITY : (float)(dot * scale);
        }
        softmax_row(s, T, p);
        for (int c = 0; c < d; c++) {
            double acc = 0;
            for (int j = 0; j < T; j++) acc += (double)p[j] * v[(size_t)j * ld + c];
            out[(size_t)i * ldo + c] = (float)acc;
        }
        if (S) memcpy(S + (size_t)i * T, s, sizeof(float) * T);
        if (P) memcpy(P + (size_t)i * T, p, sizeof(float) * T);
    }
    free(s);
    free(p);
}

// y (n, m) = x (n, k) · w (k, m)
static void matmul(const float *x, const float *w, int n, int k, int m, float *y)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double acc = 0;
            for (int c = 0; c < k; c++) acc += (double)x[(size_t)i * k + c] * w[(size_t)c * m + j];
            y[(size_t)i * m + j] = (float)acc;
        }
}

/* Multi-head attention of one sequence x (T, C): qkv = x·w_qkv (C, 3C) laid out [q | k | v],
 * head h on columns h·HS …; the heads side by side (T, C), then · w_o (C, C). */
static void mha(const float *x, const float *w_qkv, const float *w_o, int T, int C, int NH,
                bool causal, float *out)
{
    int HS = C / NH;
    float *qkv = fl((size_t)T * 3 * C), *heads = fl((size_t)T * C);
    matmul(x, w_qkv, T, C, 3 * C, qkv);
    for (int h = 0; h < NH; h++)
        attention_head(qkv + h * HS, qkv + C + h * HS, qkv + 2 * C + h * HS, T, HS, 3 * C,
                       causal, NULL, NULL, heads + h * HS, C);
    matmul(heads, w_o, T, C, C, out);
    free(qkv);
    free(heads);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;
    }
    return m;
}

// ---- 1 ----
static void section_attention(Chapter *ch, Rng *rng)
{
    chapter_section("1. Attention from scratch: softmax(QKᵀ/√d_k)·V");
    enum { T = 4, D = 4 };
    float q[T * D], k[T * D], v[T * D], S[T * T], P[T * T], out[T * D];
    fill_normal(rng, q, T * D, 1);
    fill_normal(rng, k, T * D, 1);
    fill_normal(rng, v, T * D, 1);
    printf("Four tokens, one head of d_k = %d: each query row asks, each key row answers, each "
           "value row is what is passed on.\n", D);
    print_matrix("Q", q, T, D);
    print_matrix("K", k, T, D);
    print_matrix("V", v, T, D);
    attention_head(q, k, v, T, D, D, false, S, P, out, D);
    print_matrix("S = QKᵀ/√d_k", S, T, T);
    print_matrix("P = softmax(S) by rows (each row sums to 1)", P, T, T);
    print_matrix("out = P·V (row i: a weighted mean of V's rows)", out, T, D);
    double rowsum = 0;
    for (int i = 0; i < T; i++) {
        double s = 0;
        for (int j = 0; j < T; j++) s += P[i * T + j];
        rowsum = fmax(rowsum, fabs(s - 1));
    }
    metrics_set(&ch->metrics, "attn_toy_rowsum_err", rowsum);
    metrics_set(&ch->metrics, "attn_toy_out00", out[0]);

    // why √d_k
    int n_pairs = ch->cli.quick ? 2000 : 20000;
    static const int DK[4] = {16, 64, 256, 1024};
    printf("\nWhy divide by √d_k: for q, k ~ N(0, I), q·k is a sum of d_k products of variance 1,\n"
           "so its variance is d_k (%d random pairs each):\n", n_pairs);
    printf("  %6s %12s %18s\n", "d_k", "var(q·k)", "var(q·k / √d_k)");
    float *a = fl(1024), *b = fl(1024);
    for (int t = 0; t < 4; t++) {
        int d = DK[t];
        double s1 = 0, s2 = 0;
        for (int i = 0; i < n_pairs; i++) {
            fill_normal(rng, a, (size_t)d, 1);
            fill_normal(rng, b, (size_t)d, 1);
            double dot = 0;
            for (int c = 0; c < d; c++) dot += (double)a[c] * b[c];
            s1 += dot;
            s2 += dot * dot;
        }
        double mean = s1 / n_pairs, var = s2 / n_pairs - mean * mean;
        printf("  %6d %12.1f %18.3f\n", d, var, var / d);
        metrics_setf(&ch->metrics, var, "attn_qk_var_d%d", d);
        metrics_setf(&ch->metrics, var / d, "attn_qk_var_scaled_d%d", d);
    }

    // saturation
    enum { NK = 16 };
    int trials = ch->cli.quick ? 100 : 1000;
    printf("\nWithout the scale the scores grow like √d_k and the softmax saturates: one key takes "
           "almost all\nthe weight and the Jacobian ∂p/∂s = diag(p) − ppᵀ, through which every "
           "gradient to the scores\npasses, goes to 0 (%d keys, mean over %d random queries):\n",
           NK, trials);
    printf("  %6s %14s %14s %14s %14s\n", "d_k", "max p (QKᵀ)", "‖J‖_F (QKᵀ)", "max p (/√d_k)",
           "‖J‖_F (/√d_k)");
    float *keys = fl((size_t)NK * 1024), s[NK], p[NK];
    for (int t = 0; t < 4; t++) {
        int d = DK[t];
        double mp[2] = {0, 0}, jn[2] = {0, 0};
        for (int it = 0; it < trials; it++) {
            fill_normal(rng, a, (size_t)d, 1);
            fill_normal(rng, keys, (size_t)NK * d, 1);
            for (int sc = 0; sc < 2; sc++) {
                double scale = sc ? 1.0 / sqrt((double)d) : 1.0;
                for (int j = 0; j < NK; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += (double)a[c] * keys[(size_t)j * d + c];
                    s[j] = (float)(dot * scale);
                }
                softmax_row(s, NK, p);
                double m = 0, f2 = 0;
                for (int i = 0; i < NK; i++) {
                    if (p[i] > m) m = p[i];
                    for (int j = 0; j < NK; j++) {
                        double J = (i == j ? p[i] : 0.0) - (double)p[i] * p[j];
                        f2 += J * J;
                    }
                }
                mp[sc] += m;
                jn[sc] += sqrt(f2);
            }
        }
        for (int sc = 0; sc < 2; sc++) { mp[sc] /= trials; jn[sc] /= trials; }
        printf("  %6d %14.4f %14.4f %14.4f %14.4f\n", d, mp[0], jn[0], mp[1], jn[1]);
        metrics_setf(&ch->metrics, mp[0], "attn_sat_maxp_raw_d%d", d);
        metrics_setf(&ch->metrics, jn[0], "attn_sat_jac_raw_d%d", d);
        metrics_setf(&ch->metrics, mp[1], "attn_sat_maxp_scaled_d%d", d);
        metrics_setf(&ch->metrics, jn[1], "attn_sat_jac_scaled_d%d", d);
    }
    printf("  (uniform weights over %d keys would give max p = %.4f; a one-hot p gives ‖J‖ = 0)\n",
           NK, 1.0 / NK);
    free(keys);
    free(a);
    free(b);

    // the causal mask
    printf("\nThe causal mask: a decoder's position i may only look at positions 0 … i, so the "
           "scores above\nthe diagonal are set to −∞ before the softmax and get probability 0:\n");
    attention_head(q, k, v, T, D, D, true, S, P, out, D);
    print_matrix("S with the mask", S, T, T);
    print_matrix("P = softmax(S): row 0 attends only to itself", P, T, T);
    double above = 0;
    for (int i = 0; i < T; i++)
        for (int j = i + 1; j < T; j++) above += P[i * T + j];
    metrics_set(&ch->metrics, "attn_causal_p_above_diag", above);
}

// ---- 2 ----
static void sinusoidal(float *pe, int T, int d)
{
    for (int pos = 0; pos < T; pos++)
        for (int i = 0; i < d; i += 2) {
            double ang = pos / pow(10000.0, (double)i / d);
            pe[(size_t)pos * d + i] = (float)sin(ang);
            if (i + 1 < d) pe[(size_t)pos * d + i + 1] = (float)cos(ang);
        }
}

static double dot64(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static void section_multihead(Chapter *ch, Rng *rng)
{
    chapter_section("2. Multi-head attention, W^O, and where the positions come from");
    enum { T = 6, C = 8, NH = 2 };
    int HS = C / NH;
    float *x = fl(T * C), *wqkv = fl(C * 3 * C), *wo = fl(C * C), *out = fl(T * C);
    fill_normal(rng, x, T * C, 1);
    fill_normal(rng, wqkv, C * 3 * C, 1 / sqrtf(C));
    fill_normal(rng, wo, C * C, 1 / sqrtf(C));
    mha(x, wqkv, wo, T, C, NH, true, out);
    printf("NH = %d heads of HS = C/NH = %d on C = %d: qkv = x·W_qkv (C×3C), each head attends "
           "with its own\n%d columns of q, k and v, the heads are put side by side (T×C) and mixed "
           "by W^O (C×C):\n4C² = %d weights (+ 4C = %d biases), the same as one head of width C.\n",
           NH, HS, C, HS, 4 * C * C, 4 * C);
    print_matrix("out (causal, the loops of this file)", out, T, C);
    // the library's op on the same numbers
    Arena ar;
    arena_init(&ar, "lessons");
    Tape tp;
    tape_init(&tp, &ar);
    tape_set_recording(&tp, false);
    Tensor *tx = tensor_2d(&ar, T, C), *tw = tensor_2d(&ar, C, 3 * C), *to = tensor_2d(&ar, C, C);
    tensor_copy_from(tx, x, T * C);
    tensor_copy_from(tw, wqkv, C * 3 * C);
    tensor_copy_from(to, wo, C * C);
    Tensor *qkv = op_matmul(&tp, tx, tw);
    qkv = op_reshape(&tp, qkv, 3, (int[]){1, T, 3 * C});
    Tensor *y = op_attention(&tp, qkv, NH, true);
    y = op_matmul(&tp, op_reshape(&tp, y, 2, (int[]){T, C}), to);
    double d_op = max_abs_diff(out, y->data, T * C);
    printf("  the library's op_attention (+ op_matmul for W^O) on the same input: max |difference| "
           "%.2e\n", d_op);
    metrics_set(&ch->metrics, "mha_vs_op_attention_maxdiff", d_op);

    // sinusoidal positions
    enum { PT = 64, PD = 64 };
    float *pe = fl(PT * PD);
    sinusoidal(pe, PT, PD);
    printf("\nSinusoidal positions (Vaswani §3.5), d = %d: PE(pos, 2i) = sin(pos/10000^(2i/d)), "
           "PE(pos, 2i+1) = cos(…):\n  %4s", PD, "pos");
    for (int i = 0; i < 6; i++) printf(" %8s", i % 2 ? "cos" : "sin");
    printf("   (columns 0 … 5) … column 62, 63\n");
    for (int pos = 0; pos < 4; pos++) {
        printf("  %4d", pos);
        for (int i = 0; i < 6; i++) printf(" %8.4f", pe[pos * PD + i]);
        printf("   … %8.4f %8.4f\n", pe[pos * PD + 62], pe[pos * PD + 63]);
    }
    printf("PE(p)·PE(p+k) = Σ_i cos(k·ω_i) depends on the offset k only, not on p:\n  %4s",
           "k \\ p");
    static const int PS[3] = {0, 10, 30}, KS[4] = {0, 1, 2, 8};
    for (int j = 0; j < 3; j++) printf("   p = %-5d", PS[j]);
    printf("\n");
    double spread = 0;
    for (int ki = 0; ki < 4; ki++) {
        printf("  %4d ", KS[ki]);
        double first = 0;
        for (int j = 0; j < 3; j++) {
            double dp = dot64(pe + PS[j] * PD, pe + (PS[j] + KS[ki]) * PD, PD);
            if (j == 0) first = dp;
            spread = fmax(spread, fabs(dp - first));
            printf(" %11.5f", dp);
        }
        printf("\n");
    }
    metrics_set(&ch->metrics, "pe_dot_spread_over_p", spread);
    metrics_set(&ch->metrics, "pe_1_0", pe[PD]);
    if (plot_heatmap(ch->cli.out_dir, "positional_encoding", "sinusoidal PE (64 positions x 64 dims)",
                     "dimension", "position", pe, PT, PD))
        printf("  heat-map of the table: %s/positional_encoding.png\n", ch->cli.out_dir);
    printf("Learned positions (GPT, BERT) are instead a T×C parameter table wpe, trained like "
           "the token\nembeddings: GPT-2 small's is 1024×768 = %d numbers; it cannot go past T.\n",
           1024 * 768);

    // permutation equivariance
    static const int PERM[T] = {3, 0, 5, 1, 4, 2};
    float *xp = fl(T * C), *outp = fl(T * C), *out0 = fl(T * C), *outp_want = fl(T * C);
    mha(x, wqkv, wo, T, C, NH, false, out0);
    for (int i = 0; i < T; i++) memcpy(xp + i * C, x + PERM[i] * C, sizeof(float) * C);
    mha(xp, wqkv, wo, T, C, NH, false, outp);
    for (int i = 0; i < T; i++) memcpy(outp_want + i * C, out0 + PERM[i] * C, sizeof(float) * C);
    double d_nopos = max_abs_diff(outp, outp_want, T * C);
    // with positions: x + PE(pos); the tokens are permuted, the positions stay
    float *xpe = fl(T * C), *xppe = fl(T * C), *pe8 = fl(T * C);
    sinusoidal(pe8, T, C);
    for (int i = 0; i < T * C; i++) { xpe[i] = x[i] + pe8[i]; xppe[i] = xp[i] + pe8[i]; }
    mha(xpe, wqkv, wo, T, C, NH, false, out0);
    mha(xppe, wqkv, wo, T, C, NH, false, outp);
    for (int i = 0; i < T; i++) memcpy(outp_want + i * C, out0 + PERM[i] * C, sizeof(float) * C);
    double d_pos = max_abs_diff(outp, outp_want, T * C);
    printf("\nPermutation equivariance: permute the %d input rows by π = (3 0 5 1 4 2); "
           "bidirectional attention\nwithout positions permutes the output rows the same way "
           "and changes nothing else:\n  max |attn(πx) − π·attn(x)| = %.2e without positions, "
           "%.3f with sinusoidal positions added\n  (order is invisible to attention itself: "
           "the positions are what tells \"dog bites man\" from \"man bites dog\")\n",
           T, d_nopos, d_pos);
    metrics_set(&ch->metrics, "perm_equiv_maxdiff_nopos", d_nopos);
    metrics_set(&ch->metrics, "perm_equiv_maxdiff_pos", d_pos);
    free(x); free(wqkv); free(wo); free(out); free(pe); free(xp); free(outp); free(out0);
    free(outp_want); free(xpe); free(xppe); free(pe8);
    arena_free(&ar);
}

// ---- 3 ----
// Σ‖grad‖² of the tensors of one block's weights → the norm
static double block_grad_norm(const GptBlock *b, bool ffn_only)
{
    const Tensor *t[4] = {b->fc.w, b->fc_proj.w, b->qkv.w, b->proj.w};
    double s = 0;
    for (int i = 0; i < (ffn_only ? 2 : 4); i++)
        for (size_t j = 0; j < t[i]->size; j++) s += (double)t[i]->grad[j] * t[i]->grad[j];
    return sqrt(s);
}

/* One backward at initialisation: the FFN weights' gradient norm of every layer. fan_in:
 * redraw every weight matrix of the blocks from N(0, 1/fan_in) (Vaswani-style, the setting of
 * Xiong et al.'s analysis) instead of GPT-2's N(0, 0.02²) with the residual projections scaled
 * down by 1/√(2L), which keeps every sub-layer's output small beside the residual stream. */
static void layer_grad_norms(const GptConfig *cfg, uint64_t seed, int B, bool fan_in,
                             double *norms)
{
    Model m;
    model_init(&m, "07_transformer/ln_study");
    Gpt g;
    Rng r;
    rng_seed(&r, seed);
    gpt_init(&g, &m, cfg, &r);
    if (fan_in)
        for (int l = 0; l < cfg->L; l++) {
            GptBlock *bl = &g.blocks[l];
            Linear *lin[4] = {&bl->qkv, &bl->proj, &bl->fc, &bl->fc_proj};
            for (int i = 0; i < 4; i++)
                tensor_fill_normal(lin[i]->w, &r, 0, 1.0f / sqrtf((float)lin[i]->in));
        }
    int n = B * cfg->T;
    int *tok = dl_malloc(sizeof(int) * (size_t)n, "tokens"), *tgt = dl_malloc(sizeof(int) * (size_t)n, "targets");
    Rng dr;
    rng_seed(&dr, seed + 1);
    for (int i = 0; i < n; i++) { tok[i] = (int)rng_below(&dr, (uint32_t)cfg->V); tgt[i] = (int)rng_below(&dr, (uint32_t)cfg->V); }
    Batch b = {.B = B, .T = cfg->T, .tokens = tok, .y = tgt};
    params_zero_grad(&m.p);
    Tensor *logits = gpt_forward(&g, &m.tp, &b, true, NULL);
    Tensor *loss = op_cross_entropy(&m.tp, logits, tgt);
    tape_backward(&m.tp, loss);
    for (int l = 0; l < cfg->L; l++) norms[l] = block_grad_norm(&g.blocks[l], true);
    tape_reset(&m.tp);
    free(tok);
    free(tgt);
    model_free(&m);
}

static void section_block(Chapter *ch, Rng *rng)
{
    chapter_section("3. The block: LayerNorm, the FFN, residuals; pre-LN against post-LN");
    enum { R = 4, C = 8 };
    Arena ar;
    arena_init(&ar, "lessons");
    Tape tp;
    tape_init(&tp, &ar);
    tape_set_recording(&tp, false);
    Tensor *x = tensor_2d(&ar, R, C), *gm = tensor_1d(&ar, C);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            x->data[i * C + j] = (float)(i * 3.0 - 2.0) + (float)(1 + i) * rng_normal(rng);
    tensor_fill(gm, 1);
    Tensor *y = op_layernorm(&tp, x, gm, NULL, 1e-5f);
    printf("LayerNorm normalises each row (token) over its C = %d features — not over the "
           "batch, as BatchNorm\n(chapter 4) does — then scales by γ and shifts by β (γ = 1, β "
           "= 0 here):\n  %4s %10s %10s   %10s %10s\n", C, "row", "mean in", "var in",
           "mean out", "var out");
    double worst = 0;
    for (int i = 0; i < R; i++) {
        double m0 = 0, v0 = 0, m1 = 0, v1 = 0;
        for (int j = 0; j < C; j++) { m0 += x->data[i * C + j]; m1 += y->data[i * C + j]; }
        m0 /= C; m1 /= C;
        for (int j = 0; j < C; j++) {
            v0 += pow(x->data[i * C + j] - m0, 2);
            v1 += pow(y->data[i * C + j] - m1, 2);
        }
        v0 /= C; v1 /= C;
        printf("  %4d %10.4f %10.4f   %10.2e %10.6f\n", i, m0, v0, m1, v1);
        worst = fmax(worst, fmax(fabs(m1), fabs(v1 - 1 + 1e-5 / (v0 + 1e-5))));
    }
    metrics_set(&ch->metrics, "layernorm_row_err", worst);

    // FFN and GELU
    Tensor *gx = tensor_1d(&ar, 7);
    for (int i = 0; i < 7; i++) gx->data[i] = (float)(i - 3);
    Tensor *gy = op_gelu(&tp, gx);
    printf("\nThe FFN: C → 4C → C per token, GELU(x) = x·Φ(x) in between (Hendrycks & Gimpel "
           "2016); GELU at x = -3 … 3:\n ");
    for (int i = 0; i < 7; i++) printf(" %8.4f", gy->data[i]);
    printf("\n  (smooth, ≈ 0 for x ≪ 0, ≈ x for x ≫ 0). Its weights: 2·C·4C = 8C², twice "
           "the attention's 4C².\nResiduals: x + attn(LN(x)), x + FFN(LN(x)) — each sub-layer "
           "adds to a stream that carries the input\nunchanged, so the gradient reaches every "
           "layer through the identity path too.\n");
    metrics_set(&ch->metrics, "gelu_at_1", gy->data[4]);
    arena_free(&ar);

    // pre-LN vs post-LN
    GptConfig cfg = {.V = 65, .T = ch->cli.quick ? 16 : 64, .L = 12, .NH = 4,
                     .C = ch->cli.quick ? 32 : 128, .bias = true, .causal = true,
                     .pos = POS_LEARNED};
    int B = ch->cli.quick ? 2 : 8;
    double g[4][12];   // pre GPT-2 init, post GPT-2 init, pre fan-in, post fan-in
    double t0 = now_seconds();
    for (int k = 0; k < 4; k++) {
        cfg.post_ln = k % 2 == 1;
        layer_grad_norms(&cfg, ch->cli.seed, B, k >= 2, g[k]);
    }
    printf("\nPre-LN (GPT-2) normalises the input of each sub-layer; post-LN (Vaswani, BERT) "
           "the sum after\nthe residual. At initialisation (L %d, C %d, NH %d, batch %d×%d of "
           "random tokens, one backward\nof the cross-entropy; %.1f s for the four) the norm of "
           "the FFN weights' gradient per layer,\nwith GPT-2's initialisation (N(0, 0.02²), "
           "residual projections /√(2L)) and with N(0, 1/fan_in):\n"
           "  %5s %12s %12s   %12s %12s\n", cfg.L, cfg.C, cfg.NH, B, cfg.T,
           now_seconds() - t0, "layer", "pre (GPT-2)", "post (GPT-2)", "pre (1/fan)",
           "post (1/fan)");
    float xs[12], ys[4][12];
    for (int l = 0; l < cfg.L; l++) {
        printf("  %5d %12.4e %12.4e   %12.4e %12.4e\n", l + 1, g[0][l], g[1][l], g[2][l],
               g[3][l]);
        xs[l] = (float)(l + 1);
        for (int k = 0; k < 4; k++) ys[k][l] = (float)g[k][l];
    }
    double ratio[4];
    for (int k = 0; k < 4; k++) ratio[k] = g[k][cfg.L - 1] / g[k][0];
    static const char *const NAME[4] = {"pre-LN, GPT-2 init", "post-LN, GPT-2 init",
                                        "pre-LN, 1/fan_in init", "post-LN, 1/fan_in init"};
    printf("  last / first layer:");
    for (int k = 0; k < 4; k++)
        printf("%s %s %.2f (%s)", k ? "," : "", NAME[k], ratio[k],
               ratio[k] > 1.25 ? "grows towards the output" :
               ratio[k] < 0.8 ? "shrinks towards the output" : "level");
    printf(".\n  In a pre-LN stack the residual stream x grows with depth (every block adds "
           "to it) and each\n  block's LayerNorm divides by its size, so deeper blocks see "
           "smaller gradients; a post-LN\n  stack renormalises x after every block. Xiong et "
           "al. (2020, Fig. 3) measure the opposite\n  trend for post-LN at scale (growing "
           "towards the output, hence its learning-rate warm-up);\n  this small random-token "
           "probe at initialisation shows what the table says, no more.\n");
    metrics_set(&ch->metrics, "ln_grad_ratio_pre_gpt2init", ratio[0]);
    metrics_set(&ch->metrics, "ln_grad_ratio_post_gpt2init", ratio[1]);
    metrics_set(&ch->metrics, "ln_grad_ratio_pre", ratio[2]);
    metrics_set(&ch->metrics, "ln_grad_ratio_post", ratio[3]);
    PlotSeries ps[4] = {{"pre-LN, GPT-2 init", xs, ys[0], cfg.L, "linespoints pt 7"},
                        {"post-LN, GPT-2 init", xs, ys[1], cfg.L, "linespoints pt 5"},
                        {"pre-LN, 1/fan_in init", xs, ys[2], cfg.L, "linespoints pt 6"},
                        {"post-LN, 1/fan_in init", xs, ys[3], cfg.L, "linespoints pt 4"}};
    if (plot_lines(ch->cli.out_dir, "ln_grad_norms", "FFN gradient norm per layer at init",
                   "layer", "||grad W_ffn||", ps, 4, true))
        printf("  plot: %s/ln_grad_norms.png\n", ch->cli.out_dir);
}

// ---- 4 ----
static size_t block_count(const GptBlock *b)
{
    const Tensor *t[12] = {b->ln1_g, b->ln1_b, b->qkv.w, b->qkv.b, b->proj.w, b->proj.b,
                           b->ln2_g, b->ln2_b, b->fc.w, b->fc.b, b->fc_proj.w, b->fc_proj.b};
    size_t n = 0;
    for (int i = 0; i < 12; i++) n += t[i] ? t[i]->size : 0;
    return n;
}

// Build the configuration in C; its parameter count (params_count), one block's, the seconds.
static size_t built_count(const GptConfig *cfg, uint64_t seed, size_t *one_block, double *secs)
{
    double t0 = now_seconds();
    Model m;
    model_init(&m, "07_transformer/count");
    Gpt g;
    Rng r;
    rng_seed(&r, seed);
    gpt_init(&g, &m, cfg, &r);
    size_t n = params_count(&m.p);
    if (one_block) *one_block = block_count(&g.blocks[0]);
    model_free(&m);
    *secs = now_seconds() - t0;
    return n;
}

static void section_counts(Chapter *ch)
{
    chapter_section("4. Parameter counts: one block, BERT-base, GPT-2 small");
    GptConfig gpt2 = {.V = 50257, .T = 1024, .L = 12, .NH = 12, .C = 768, .bias = true,
                      .causal = true, .pos = POS_LEARNED};
    GptConfig bert = {.V = 30522, .T = 512, .L = 12, .NH = 12, .C = 768, .bias = true,
                      .causal = false, .post_ln = true, .pos = POS_LEARNED, .n_segments = 2,
                      .emb_ln = true, .pooler = true};
    GptConfig nano = {.V = 65, .T = 64, .L = 4, .NH = 4, .C = 128, .bias = false,
                      .causal = true, .pos = POS_LEARNED};
    size_t C = 768;
    size_t attn = 4 * C * C + 4 * C, ffn = 8 * C * C + 5 * C, lns = 4 * C;
    size_t blk = 12 * C * C + 13 * C;
    GptConfig one = gpt2;
    one.L = 1;
    one.V = 1;
    one.T = 1;
    size_t built_blk = 0;
    double s_one;
    built_count(&one, ch->cli.seed, &built_blk, &s_one);
    printf("One block of width C (with biases): attention 4C² + 4C (W_qkv, W^O), FFN 8C² + 5C, two "
           "LayerNorms 4C:\n  12C² + 13C = %zu for C = 768; built in C (gpt_init, the block's "
           "tensors): %zu\n", blk, built_blk);
    metrics_set(&ch->metrics, "params_block_formula", (double)blk);
    metrics_set(&ch->metrics, "params_block_built", (double)built_blk);

    const struct { const char *name; const GptConfig *cfg; double published; bool big; } M[3] = {
        {"GPT-2 small", &gpt2, 124439808, true},
        {"BERT-base", &bert, 109482240, true},
        {"nanoGPT CPU (chars)", &nano, 0, false}};
    printf("\n  %-20s %13s %13s %8s %7s %7s %7s %7s\n", "model", "formula", "built in C",
           "seconds", "emb %", "attn %", "FFN %", "other %");
    for (int i = 0; i < 3; i++) {
        const GptConfig *c = M[i].cfg;
        size_t nf = gpt_param_count(c);
        size_t cc = (size_t)c->C;
        double emb = (double)c->V * cc + (double)c->T * cc + (double)c->n_segments * cc;
        double a = (double)c->L * (4.0 * cc * cc + (c->bias ? 4.0 * cc : 0));
        double f = (double)c->L * (8.0 * cc * cc + (c->bias ? 5.0 * cc : 0));
        double other = (double)nf - emb - a - f;
        char built[32] = "skipped", secs[16] = "-";
        size_t nb = 0;
        if (!ch->cli.quick || !M[i].big) {
            double s;
            nb = built_count(c, ch->cli.seed, NULL, &s);
            snprintf(built, sizeof built, "%zu", nb);
            snprintf(secs, sizeof secs, "%.2f", s);
            metrics_setf(&ch->metrics, (double)nb, "params_built_%d", i);
            metrics_setf(&ch->metrics, s, "params_built_seconds_%d", i);
        }
        printf("  %-20s %13zu %13s %8s %6.1f%% %6.1f%% %6.1f%% %6.1f%%\n", M[i].name, nf, built,
               secs, 100 * emb / nf, 100 * a / nf, 100 * f / nf, 100 * other / nf);
        metrics_setf(&ch->metrics, (double)nf, "params_formula_%d", i);
    }
    printf("  (GPT-2 small: the published 124,439,808 of HF's GPT2Model; BERT-base: 109,482,240, "
           "HF's BertModel\n  with the pooler, the \"110 M\" of Devlin et al.; the nanoGPT model "
           "is the one of sections 6–11;\n  metrics params_*_0, _1, _2 in this order.%s)\n",
           ch->cli.quick ? " --quick skips building the two big ones." : "");
    printf("Per block the FFN holds 2/3 of the weights (8C² of 12C²); in GPT-2 small the "
           "token embeddings\nstill take %.0f%% — in the tiny character model they are small "
           "(V = 65). nanoGPT prints\n%.2fM for it: it leaves the position table out (%zu).\n",
           100.0 * 50257 * 768 / gpt_param_count(&gpt2),
           (gpt_param_count(&nano) - (size_t)nano.T * nano.C) / 1e6,
           gpt_param_count(&nano) - (size_t)nano.T * nano.C);
    (void)attn; (void)ffn; (void)lns;
}

void lessons_section(Chapter *ch, const Flags *f)
{
    (void)f;
    Rng rng;
    rng_seed(&rng, ch->cli.seed);
    double t0 = now_seconds();
    section_attention(ch, &rng);
    section_multihead(ch, &rng);
    section_block(ch, &rng);
    section_counts(ch);
    metrics_set(&ch->metrics, "lessons_seconds", now_seconds() - t0);
}
