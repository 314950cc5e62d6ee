/* common/kernels/recurrent.c — see kernels/recurrent.h: one recurrent layer, forward and BPTT,
 * textbook loop → one GEMM per step → hoisted input projection → fused, threaded gate math.
 *
 * Layout shared by every rung. Gate pre-activations are split in an input part
 * xg = x_t·W_ih (+ b_ih) and a recurrent part hg = h_{t-1}·W_hh (+ b_hh), because the GRU needs
 * its candidate's recurrent part alone (n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))).
 * Backward produces, per step and example, the gradient of the pre-activations: dgx for the
 * input part and dgh for the recurrent part (the same numbers except the GRU's n gate, where
 * dgh = dgx ⊙ r). Then
 *   dW_ih += Σ_t x_tᵀ·dgx_t     dx_t = dgx_t·W_ihᵀ     db_ih += Σ_t Σ_b dgx_t
 *   dW_hh += Σ_t h_{t-1}ᵀ·dgh_t  dh_{t-1} += dgh_t·W_hhᵀ  db_hh += Σ_t Σ_b dgh_t
 * which the rungs compute per example (v0), per step (v1) or once for all steps (v2, v3).
 * Derivatives used: σ' = σ(1 − σ), tanh' = 1 − tanh².
 */
#include "kernels/recurrent.h"

#include <math.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "kernels/fastmath.h"
#include "kernels/gemm.h"

static int gates_of(CellKind k)
{
    return k == CELL_LSTM ? 4 : k == CELL_GRU ? 3 : 1;
}

static inline float sigmoidf(float a)
{
    return 1.0f / (1.0f + expf(-a));
}

static float *scratch_floats(Arena *a, size_t n)
{
    return arena_alloc_uninit(a, (n ? n : 1) * sizeof(float));
}

static float *scratch_zeros(Arena *a, size_t n)
{
    return arena_alloc(a, (n ? n : 1) * sizeof(float));
}

// (rows, cols) with row stride ld → (cols, rows) dense.
static float *transpose_to(Arena *a, const float *x, int rows, int cols, int ld)
{
    float *t = scratch_floats(a, (size_t)rows * cols);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) t[(size_t)j * rows + i] = x[(size_t)i * ld + j];
    return t;
}

// ---- the cell, one example at one step (fused: all gates of unit j together) ----
// xg, hg: (GH) the input and recurrent products WITHOUT biases; hp, cp: h_{t-1}, c_{t-1} (H).
// Writes act (GH), aux / aux2 (H, see RnnLayer) and h (H); the LSTM's c_t is aux.
// fast: σ and tanh from kernels/fastmath.h (vectorized by the compiler) instead of libm's.
#define SIG(a) (fast ? dl_fast_sigmoidf(a) : sigmoidf(a))
#define TANH(a) (fast ? dl_fast_tanhf(a) : tanhf(a))
static inline __attribute__((always_inline)) void
cell_forward_row_impl(CellKind k, int H, const float *restrict xg, const float *restrict hg,
                      const float *restrict bi, const float *restrict bh,
                      const float *restrict hp, const float *restrict cp, float *restrict act,
                      float *restrict aux, float *restrict aux2, float *restrict h, bool fast)
{
    switch (k) {
    case CELL_RNN:
        for (int j = 0; j < H; j++) {
            float v = TANH((xg[j] + bi[j]) + (hg[j] + bh[j]));
            act[j] = v;
            h[j] = v;
        }
        break;
    case CELL_LSTM:
        for (int j = 0; j < H; j++) {
            float i = SIG((xg[j] + bi[j]) + (hg[j] + bh[j]));
            float f = SIG((xg[H + j] + bi[H + j]) + (hg[H + j] + bh[H + j]));
            float g = TANH((xg[2 * H + j] + bi[2 * H + j]) + (hg[2 * H + j] + bh[2 * H + j]));
            float o = SIG((xg[3 * H + j] + bi[3 * H + j]) + (hg[3 * H + j] + bh[3 * H + j]));
            float c = f * cp[j] + i * g;
            float tc = TANH(c);
            act[j] = i;
            act[H + j] = f;
            act[2 * H + j] = g;
            act[3 * H + j] = o;
            aux[j] = c;
            aux2[j] = tc;
            h[j] = o * tc;
        }
        break;
    case CELL_GRU:
        for (int j = 0; j < H; j++) {
            float r = SIG((xg[j] + bi[j]) + (hg[j] + bh[j]));
            float z = SIG((xg[H + j] + bi[H + j]) + (hg[H + j] + bh[H + j]));
            float hn = hg[2 * H + j] + bh[2 * H + j];
            float n = TANH((xg[2 * H + j] + bi[2 * H + j]) + r * hn);
            act[j] = r;
            act[H + j] = z;
            act[2 * H + j] = n;
            aux[j] = hn;
            h[j] = (1.0f - z) * n + z * hp[j];
        }
        break;
    }
}
#undef SIG
#undef TANH

static void cell_forward_row(CellKind k, int H, const float *xg, const float *hg,
                             const float *bi, const float *bh, const float *hp, const float *cp,
                             float *act, float *aux, float *aux2, float *h)
{
    cell_forward_row_impl(k, H, xg, hg, bi, bh, hp, cp, act, aux, aux2, h, false);
}

static void cell_forward_row_fast(CellKind k, int H, const float *xg, const float *hg,
                                  const float *bi, const float *bh, const float *hp,
                                  const float *cp, float *act, float *aux, float *aux2, float *h)
{
    cell_forward_row_impl(k, H, xg, hg, bi, bh, hp, cp, act, aux, aux2, h, true);
}

// Backward of cell_forward_row for one example at one step. dh (H): dL/dh_t in full (output
// plus the future). dc (H, LSTM): in: dL/dc_t from step t + 1; out: dL/dc_{t-1}. Writes dgx,
// dgh (GH; dgh may equal dgx except for the GRU) and, for the GRU, dhd (H): the part of
// dL/dh_{t-1} that bypasses W_hh (z ⊙ dh). Returns Σ dh² (for ‖dL/dh_t‖).
static double cell_backward_row(CellKind k, int H, const float *dh, float *dc,
                                const float *act, const float *aux, const float *aux2,
                                const float *hp, const float *cp, float *dgx, float *dgh,
                                float *dhd)
{
    double ss = 0.0;
    switch (k) {
    case CELL_RNN:
        for (int j = 0; j < H; j++) {
            float v = act[j];
            dgx[j] = dh[j] * (1.0f - v * v);
            ss += (double)dh[j] * dh[j];
        }
        break;
    case CELL_LSTM:
        for (int j = 0; j < H; j++) {
            float i = act[j], f = act[H + j], g = act[2 * H + j], o = act[3 * H + j];
            float tc = aux2[j];
            float d = dh[j];
            float dcj = dc[j] + d * o * (1.0f - tc * tc);
            float di = dcj * g, df = dcj * cp[j], dg = dcj * i, d_o = d * tc;
            (void)aux;
            dc[j] = dcj * f;
            dgx[j] = di * i * (1.0f - i);
            dgx[H + j] = df * f * (1.0f - f);
            dgx[2 * H + j] = dg * (1.0f - g * g);
            dgx[3 * H + j] = d_o * o * (1.0f - o);
            ss += (double)d * d;
        }
        break;
    case CELL_GRU:
        for (int j = 0; j < H; j++) {
            float r = act[j], z = act[H + j], n = act[2 * H + j], hn = aux[j];
            float d = dh[j];
            float dn = d * (1.0f - z), dz = d * (hp[j] - n);
            float dan = dn * (1.0f - n * n);
            float dar = dan * hn * r * (1.0f - r);
            float daz = dz * z * (1.0f - z);
            dhd[j] = d * z;
            dgx[j] = dar;
            dgx[H + j] = daz;
            dgx[2 * H + j] = dan;
            dgh[j] = dar;
            dgh[H + j] = daz;
            dgh[2 * H + j] = dan * r;
            ss += (double)d * d;
        }
        break;
    }
    return ss;
}

// ---- what every rung sets up ----
typedef struct Ctx {
    RnnLayer *l;
    int G, GH;
    const float *h0, *c0;        // never NULL (zeros when the layer's are)
    bool fast;                   // v3: the vectorized σ and tanh of kernels/fastmath.h
} Ctx;

static Ctx ctx_make(RnnLayer *l)
{
    DL_CHECK(l->B >= 1 && l->T >= 1 && l->C >= 1 && l->H >= 1,
             "rnn kernel: sizes B=%d T=%d C=%d H=%d must be >= 1", l->B, l->T, l->C, l->H);
    Ctx c = {.l = l, .G = gates_of(l->kind)};
    c.GH = c.G * l->H;
    size_t bh = (size_t)l->B * l->H;
    c.h0 = l->h0 ? l->h0 : scratch_zeros(l->scratch, bh);
    c.c0 = l->c0 ? l->c0 : scratch_zeros(l->scratch, bh);
    return c;
}

// h_{t-1} and c_{t-1} of example b (row pointers; c only meaningful for the LSTM).
static inline const float *hprev(const Ctx *c, int b, int t)
{
    const RnnLayer *l = c->l;
    return t == 0 ? c->h0 + (size_t)b * l->H : l->y + ((size_t)b * l->T + t - 1) * l->H;
}

static inline const float *cprev(const Ctx *c, int b, int t)
{
    const RnnLayer *l = c->l;
    if (l->kind != CELL_LSTM) return c->c0 + (size_t)b * l->H;
    return t == 0 ? c->c0 + (size_t)b * l->H : l->aux + ((size_t)b * l->T + t - 1) * l->H;
}

static inline size_t row_bt(const RnnLayer *l, int b, int t)
{
    return (size_t)b * l->T + t;
}

static void forward_row(const Ctx *c, int b, int t, const float *xg, const float *hg)
{
    RnnLayer *l = c->l;
    size_t r = row_bt(l, b, t);
    (c->fast ? cell_forward_row_fast : cell_forward_row)(l->kind, l->H, xg, hg, l->b_ih, l->b_hh, hprev(c, b, t), cprev(c, b, t),
                     l->act + r * c->GH, l->aux ? l->aux + r * l->H : NULL,
                     l->aux2 ? l->aux2 + r * l->H : NULL, l->y + r * l->H);
}

// The same step as forward_row for all B examples, written as separate passes over the
// (B, G·H) gate block, as one would with whole-array operations (v1, v2): (1) pre-activations
// into a temporary, (2) σ / tanh into act, (3) the state update. Each element sees the same
// operations in the same order as in cell_forward_row, so the values are the same; the cost
// is the extra trips through memory (and no vectorized σ), which v3 removes.
static void forward_block_unfused(const Ctx *c, int t, const float *xg, int ldx,
                                  const float *hg, float *pre)
{
    RnnLayer *l = c->l;
    const int B = l->B, H = l->H, GH = c->GH;
    const CellKind k = l->kind;
    for (int b = 0; b < B; b++) {                                   // (1) pre-activations
        const float *x = xg + (size_t)b * ldx, *h = hg + (size_t)b * GH;
        float *p = pre + (size_t)b * GH;
        for (int j = 0; j < GH; j++) {
            if (k == CELL_GRU && j >= 2 * H) p[j] = x[j] + l->b_ih[j];        // x W_in + b_in
            else p[j] = (x[j] + l->b_ih[j]) + (h[j] + l->b_hh[j]);
        }
        if (k == CELL_GRU) {
            float *aux = l->aux + row_bt(l, b, t) * H;
            for (int j = 0; j < H; j++) aux[j] = h[2 * H + j] + l->b_hh[2 * H + j];   // h W_hn + b_hn
        }
    }
    for (int b = 0; b < B; b++) {                                   // (2) nonlinearities
        const float *p = pre + (size_t)b * GH;
        float *a = l->act + row_bt(l, b, t) * GH;
        if (k == CELL_RNN)
            for (int j = 0; j < H; j++) a[j] = tanhf(p[j]);
        if (k == CELL_LSTM)
            for (int j = 0; j < GH; j++) a[j] = j >= 2 * H && j < 3 * H ? tanhf(p[j]) : sigmoidf(p[j]);
        if (k == CELL_GRU) {
            const float *hn = l->aux + row_bt(l, b, t) * H;
            for (int j = 0; j < 2 * H; j++) a[j] = sigmoidf(p[j]);
            for (int j = 0; j < H; j++) a[2 * H + j] = tanhf(p[2 * H + j] + a[j] * hn[j]);
        }
    }
    for (int b = 0; b < B; b++) {                                   // (3) the state update
        size_t r = row_bt(l, b, t);
        const float *a = l->act + r * GH, *hp = hprev(c, b, t), *cp = cprev(c, b, t);
        float *h = l->y + r * H;
        for (int j = 0; j < H; j++) {
            if (k == CELL_RNN) {
                h[j] = a[j];
            } else if (k == CELL_LSTM) {
                float cj = a[H + j] * cp[j] + a[j] * a[2 * H + j];
                float tc = tanhf(cj);
                l->aux[r * H + j] = cj;
                l->aux2[r * H + j] = tc;
                h[j] = a[3 * H + j] * tc;
            } else {
                h[j] = (1.0f - a[H + j]) * a[2 * H + j] + a[H + j] * hp[j];
            }
        }
    }
}

static void write_final_state(const Ctx *c)
{
    RnnLayer *l = c->l;
    for (int b = 0; b < l->B; b++) {
        size_t r = row_bt(l, b, l->T - 1);
        if (l->h_n) memcpy(l->h_n + (size_t)b * l->H, l->y + r * l->H, (size_t)l->H * sizeof(float));
        if (l->c_n && l->kind == CELL_LSTM)
            memcpy(l->c_n + (size_t)b * l->H, l->aux + r * l->H, (size_t)l->H * sizeof(float));
    }
}

// Backward state shared by the rungs: the carried dL/dh (B, H) and dL/dc (B, H), the
// pre-activation grads dgx, dgh (B, T, GH; dgh aliases dgx except for the GRU), and the
// GRU's bypass term (B, H).
typedef struct Back {
    float *dhc, *dcc, *dgx, *dgh, *dhd, *dh;
    double *ss;                  // (B) Σ dh² per example at the current step
} Back;

static Back back_make(const Ctx *c)
{
    RnnLayer *l = c->l;
    size_t bh = (size_t)l->B * l->H, n = (size_t)l->B * l->T * c->GH;
    Back k;
    k.dhc = scratch_zeros(l->scratch, bh);
    k.dcc = scratch_zeros(l->scratch, bh);
    k.dgx = scratch_floats(l->scratch, n);
    k.dgh = l->kind == CELL_GRU ? scratch_floats(l->scratch, n) : k.dgx;
    k.dhd = scratch_zeros(l->scratch, bh);
    k.dh = scratch_floats(l->scratch, bh);
    k.ss = arena_alloc(l->scratch, (size_t)l->B * sizeof(double));
    return k;
}

// Step t of BPTT for example b: dh = dy_t + carried, then the cell's backward.
static void backward_row(const Ctx *c, Back *k, int b, int t)
{
    RnnLayer *l = c->l;
    const int H = l->H;
    size_t r = row_bt(l, b, t);
    float *dh = k->dh + (size_t)b * H, *dhc = k->dhc + (size_t)b * H;
    const float *dy = l->dy + r * H;
    for (int j = 0; j < H; j++) dh[j] = dy[j] + dhc[j];
    k->ss[b] = cell_backward_row(l->kind, H, dh, k->dcc + (size_t)b * H, l->act + r * c->GH,
                                 l->aux ? l->aux + r * H : NULL,
                                 l->aux2 ? l->aux2 + r * H : NULL, hprev(c, b, t),
                                 cprev(c, b, t), k->dgx + r * c->GH, k->dgh + r * c->GH,
                                 k->dhd + (size_t)b * H);
}

static void record_norm(const Ctx *c, const Back *k, int t)
{
    RnnLayer *l = c->l;
    if (!l->dh_norm) return;
    double s = 0.0;
    for (int b = 0; b < l->B; b++) s += k->ss[b];
    l->dh_norm[t] = (float)sqrt(s);
}

// After the loop: dh0, dc0 from the carried grads.
static void backward_finish_state(const Ctx *c, const Back *k)
{
    RnnLayer *l = c->l;
    size_t bh = (size_t)l->B * l->H;
    if (l->dh0)
        for (size_t i = 0; i < bh; i++) l->dh0[i] += k->dhc[i];
    if (l->dc0 && l->kind == CELL_LSTM)
        for (size_t i = 0; i < bh; i++) l->dc0[i] += k->dcc[i];
}

// db += Σ over all B·T rows of g (B·T, GH), rows in order.
static void bias_grad(float *db, const float *g, size_t rows, int GH)
{
    if (!db) return;
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < GH; j++) db[j] += g[r * GH + j];
}

// ---- v0_matvec: the textbook loop ----
// For every step, for every example, for every gate: a matrix-vector product with the gate's
// (C, H) block of W_ih and one with its (H, H) block of W_hh. B·T·G·2 small products, each
// streaming its weight block through the cache: the reference, not fast.
static void matvec_gate(const float *v, int n, const float *W, int ldw, int col0, int H,
                        float *out)
{
    for (int j = 0; j < H; j++) out[j] = 0.0f;
    for (int i = 0; i < n; i++) {
        const float *w = W + (size_t)i * ldw + col0;
        float vi = v[i];
        for (int j = 0; j < H; j++) out[j] += vi * w[j];
    }
}

static void rnn_v0_forward(RnnLayer *l)
{
    Ctx c = ctx_make(l);
    const int H = l->H, C = l->C;
    float *xg = scratch_floats(l->scratch, (size_t)c.GH), *hg = scratch_floats(l->scratch, (size_t)c.GH);
    for (int t = 0; t < l->T; t++)
        for (int b = 0; b < l->B; b++) {
            const float *x = l->x + row_bt(l, b, t) * C, *hp = hprev(&c, b, t);
            for (int g = 0; g < c.G; g++) {
                matvec_gate(x, C, l->w_ih, c.GH, g * H, H, xg + g * H);
                matvec_gate(hp, H, l->w_hh, c.GH, g * H, H, hg + g * H);
            }
            forward_row(&c, b, t, xg, hg);
        }
    write_final_state(&c);
}

static void rnn_v0_backward(RnnLayer *l)
{
    Ctx c = ctx_make(l);
    Back k = back_make(&c);
    const int H = l->H, C = l->C, GH = c.GH;
    float *dhp = scratch_floats(l->scratch, (size_t)H);
    for (int t = l->T - 1; t >= 0; t--) {
        for (int b = 0; b < l->B; b++) backward_row(&c, &k, b, t);
        record_norm(&c, &k, t);
        for (int b = 0; b < l->B; b++) {
            size_t r = row_bt(l, b, t);
            const float *dgx = k.dgx + r * GH, *dgh = k.dgh + r * GH;
            const float *x = l->x + r * C, *hp = hprev(&c, b, t);
            // per gate: dx += W_ih,g · dgx_g, dW_ih,g += x ⊗ dgx_g (and the same for h)
            for (int g = 0; g < c.G; g++) {
                const float *dgxg = dgx + g * H, *dghg = dgh + g * H;
                for (int i = 0; i < C; i++) {
                    const float *w = l->w_ih + (size_t)i * GH + g * H;
                    float s = 0.0f;
                    for (int j = 0; j < H; j++) s += w[j] * dgxg[j];
                    if (l->dx) l->dx[r * C + i] += s;
                    if (l->dw_ih) {
                        float *dw = l->dw_ih + (size_t)i * GH + g * H;
                        for (int j = 0; j < H; j++) dw[j] += x[i] * dgxg[j];
                    }
                }
                for (int i = 0; i < H; i++) {
                    const float *w = l->w_hh + (size_t)i * GH + g * H;
                    float s = 0.0f;
                    for (int j = 0; j < H; j++) s += w[j] * dghg[j];
                    if (g == 0) dhp[i] = s;
                    else dhp[i] += s;
                    if (l->dw_hh) {
                        float *dw = l->dw_hh + (size_t)i * GH + g * H;
                        for (int j = 0; j < H; j++) dw[j] += hp[i] * dghg[j];
                    }
                }
            }
            if (l->db_ih) for (int j = 0; j < GH; j++) l->db_ih[j] += dgx[j];
            if (l->db_hh) for (int j = 0; j < GH; j++) l->db_hh[j] += dgh[j];
            float *dhc = k.dhc + (size_t)b * H;
            const float *dhd = k.dhd + (size_t)b * H;
            for (int i = 0; i < H; i++)
                dhc[i] = l->kind == CELL_GRU ? dhp[i] + dhd[i] : dhp[i];
        }
    }
    backward_finish_state(&c, &k);
}

// ---- v1_fused_gemm: one GEMM per step for all gates and all examples ----
// What changed: the G gate blocks of a weight are adjacent columns of one (C, G·H) matrix and
// the B examples are rows of one (B, C) matrix, so a step's input part is ONE GEMM
// (B, C)·(C, G·H) and its recurrent part another (B, H)·(H, G·H). The weights are read once per
// step instead of once per example, and the GEMM kernel blocks them in cache and registers.
// Backward likewise: per step dx_t = dgx_t·W_ihᵀ, dh_{t-1} = dgh_t·W_hhᵀ, dW_ih += x_tᵀ·dgx_t,
// dW_hh += h_{t-1}ᵀ·dgh_t (transposed operands copied to scratch, as ops/linalg.c does).
static void step_recurrent_gemm(const Ctx *c, int t, float *hg)
{
    const RnnLayer *l = c->l;
    if (t == 0) gemm(l->B, c->GH, l->H, c->h0, l->H, l->w_hh, c->GH, hg, c->GH, false);
    else gemm(l->B, c->GH, l->H, l->y + (size_t)(t - 1) * l->H, l->T * l->H, l->w_hh, c->GH,
              hg, c->GH, false);
}

static void rnn_v1_forward(RnnLayer *l)
{
    Ctx c = ctx_make(l);
    size_t bg = (size_t)l->B * c.GH;
    float *xg = scratch_floats(l->scratch, bg), *hg = scratch_floats(l->scratch, bg);
    float *pre = scratch_floats(l->scratch, bg);
    for (int t = 0; t < l->T; t++) {
        gemm(l->B, c.GH, l->C, l->x + (size_t)t * l->C, l->T * l->C, l->w_ih, c.GH, xg, c.GH, false);
        step_recurrent_gemm(&c, t, hg);
        forward_block_unfused(&c, t, xg, c.GH, hg, pre);
    }
    write_final_state(&c);
}

// h_{t-1} of all examples as an (H, B) matrix: the left operand of dW_hh += h_{t-1}ᵀ·dgh_t.
static void hprev_transposed(const Ctx *c, int t, float *out)
{
    const RnnLayer *l = c->l;
    for (int b = 0; b < l->B; b++) {
        const float *hp = hprev(c, b, t);
        for (int i = 0; i < l->H; i++) out[(size_t)i * l->B + b] = hp[i];
    }
}

// dhc = dgh_t·W_hhᵀ (+ the GRU's bypass), rows b of step t.
static void carry_dh(const Ctx *c, Back *k, int t, const float *whh_t)
{
    const RnnLayer *l = c->l;
    gemm(l->B, l->H, c->GH, k->dgh + (size_t)t * c->GH, l->T * c->GH, whh_t, l->H, k->dhc,
         l->H, false);
    if (l->kind == CELL_GRU)
        for (size_t i = 0; i < (size_t)l->B * l->H; i++) k->dhc[i] += k->dhd[i];
}

static void rnn_v1_backward(RnnLayer *l)
{
    Ctx c = ctx_make(l);
    Back k = back_make(&c);
    const int B = l->B, T = l->T, C = l->C, H = l->H, GH = c.GH;
    float *whh_t = transpose_to(l->scratch, l->w_hh, H, GH, GH);       // (GH, H)
    float *wih_t = transpose_to(l->scratch, l->w_ih, C, GH, GH);       // (GH, C)
    float *xt = scratch_floats(l->scratch, (size_t)C * B);
    float *ht = scratch_floats(l->scratch, (size_t)H * B);
    for (int t = T - 1; t >= 0; t--) {
        for (int b = 0; b < B; b++) backward_row(&c, &k, b, t);
        record_norm(&c, &k, t);
        const float *dgx = k.dgx + (size_t)t * GH, *dgh = k.dgh + (size_t)t * GH;
        if (l->dx)
            gemm(B, C, GH, dgx, T * GH, wih_t, C, l->dx + (size_t)t * C, T * C, true);
        if (l->dw_ih) {
            for (int b = 0; b < B; b++)
                for (int i = 0; i < C; i++) xt[(size_t)i * B + b] = l->x[row_bt(l, b, t) * C + i];
            gemm(C, GH, B, xt, B, dgx, T * GH, l->dw_ih, GH, true);
        }
        if (l->dw_hh) {
            hprev_transposed(&c, t, ht);
            gemm(H, GH, B, ht, B, dgh, T * GH, l->dw_hh, GH, true);
        }
        for (int b = 0; b < B; b++) {
            if (l->db_ih) for (int j = 0; j < GH; j++) l->db_ih[j] += dgx[(size_t)b * T * GH + j];
            if (l->db_hh) for (int j = 0; j < GH; j++) l->db_hh[j] += dgh[(size_t)b * T * GH + j];
        }
        carry_dh(&c, &k, t, whh_t);
    }
    backward_finish_state(&c, &k);
}

// ---- v2_hoisted: the input projection of all steps at once ----
// What changed: x_t·W_ih does not depend on h, so all T steps' input parts are ONE GEMM
// (B·T, C)·(C, G·H) before the loop — a big, efficient GEMM instead of T small ones — and
// only the recurrent GEMM (B, H)·(H, G·H) stays inside the sequential loop. In backward the
// same: the loop only carries dh back through W_hh; dx = dgx·W_ihᵀ, dW_ih = Xᵀ·dgx and
// dW_hh = H_prevᵀ·dgh (h_{t-1} of every step stacked) are one big GEMM each afterwards, and the
// bias grads one column sum over all B·T rows. The transposed operands (W_hhᵀ, W_ihᵀ, Xᵀ, H_prevᵀ)
// are read in place by gemm_ex, which packs them transposed: no copies.
typedef struct Rows {
    const Ctx *c;
    Back *k;
    const float *xg, *hg;
    int t;
} Rows;

static void forward_rows_serial(const Rows *w)
{
    const RnnLayer *l = w->c->l;
    for (int b = 0; b < l->B; b++)
        forward_row(w->c, b, w->t, w->xg + row_bt(l, b, w->t) * w->c->GH,
                    w->hg + (size_t)b * w->c->GH);
}

static void forward_row_task(void *ctx, int b)
{
    const Rows *w = ctx;
    const RnnLayer *l = w->c->l;
    forward_row(w->c, b, w->t, w->xg + row_bt(l, b, w->t) * w->c->GH,
                w->hg + (size_t)b * w->c->GH);
}

static void backward_row_task(void *ctx, int b)
{
    const Rows *w = ctx;
    backward_row(w->c, w->k, b, w->t);
}

// Rows on threads only when a step's gate block is big enough to pay for the hand-off (the
// pool wakes in microseconds; the small PTB model's (20, 800) block takes about as long):
// RNN_PAR_MIN elements, like the ops' DL_PAR_MIN.
#define RNN_PAR_MIN 65536
static bool row_threads(const Ctx *c, bool threads)
{
    return threads && threads_get() > 1 && c->l->B > 1 &&
           (size_t)c->l->B * c->GH >= RNN_PAR_MIN;
}

static void hoisted_forward(RnnLayer *l, bool threads)
{
    Ctx c = ctx_make(l);
    c.fast = threads;
    const int BT = l->B * l->T;
    float *xg = scratch_floats(l->scratch, (size_t)BT * c.GH);
    float *hg = scratch_floats(l->scratch, (size_t)l->B * c.GH);
    float *pre = scratch_floats(l->scratch, (size_t)l->B * c.GH);
    gemm(BT, c.GH, l->C, l->x, l->C, l->w_ih, c.GH, xg, c.GH, false);
    bool par = row_threads(&c, threads);
    for (int t = 0; t < l->T; t++) {
        const float *hp = t == 0 ? c.h0 : l->y + (size_t)(t - 1) * l->H;
        gemm_ex(false, false, l->B, c.GH, l->H, hp, t == 0 ? l->H : l->T * l->H, l->w_hh, c.GH,
                hg, c.GH, false);
        Rows w = {&c, NULL, xg, hg, t};
        if (!threads) forward_block_unfused(&c, t, xg + (size_t)t * c.GH, l->T * c.GH, hg, pre);
        else if (par) parallel_for(l->B, forward_row_task, &w);
        else forward_rows_serial(&w);
    }
    write_final_state(&c);
}

static void hoisted_backward(RnnLayer *l, bool threads)
{
    Ctx c = ctx_make(l);
    Back k = back_make(&c);
    const int B = l->B, T = l->T, C = l->C, H = l->H, GH = c.GH, BT = B * T;
    bool par = row_threads(&c, threads);
    for (int t = T - 1; t >= 0; t--) {
        Rows w = {&c, &k, NULL, NULL, t};
        if (par) parallel_for(B, backward_row_task, &w);
        else for (int b = 0; b < B; b++) backward_row(&c, &k, b, t);
        record_norm(&c, &k, t);
        // dhc = dgh_t·W_hhᵀ (+ the GRU's bypass): W_hh read transposed in place
        gemm_ex(false, true, B, H, GH, k.dgh + (size_t)t * GH, T * GH, l->w_hh, GH, k.dhc, H,
                false);
        if (l->kind == CELL_GRU)
            for (size_t i = 0; i < (size_t)B * H; i++) k.dhc[i] += k.dhd[i];
    }
    backward_finish_state(&c, &k);
    if (l->dx) gemm_ex(false, true, BT, C, GH, k.dgx, GH, l->w_ih, GH, l->dx, C, true);
    if (l->dw_ih) gemm_ex(true, false, C, GH, BT, l->x, C, k.dgx, GH, l->dw_ih, GH, true);
    if (l->dw_hh) {
        float *hp = scratch_floats(l->scratch, (size_t)BT * H);         // (B·T, H): h_{t-1}
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                memcpy(hp + row_bt(l, b, t) * H, hprev(&c, b, t), (size_t)H * sizeof(float));
        gemm_ex(true, false, H, GH, BT, hp, H, k.dgh, GH, l->dw_hh, GH, true);
    }
    bias_grad(l->db_ih, k.dgx, (size_t)BT, GH);
    bias_grad(l->db_hh, k.dgh, (size_t)BT, GH);
}

static void rnn_v2_forward(RnnLayer *l) { hoisted_forward(l, false); }
static void rnn_v2_backward(RnnLayer *l) { hoisted_backward(l, false); }

// ---- v3_fused_threads: v2 with the gate math fused and threaded ----
// What changed: the B rows of each step's gate block are shared among the pool's threads
// (base/threads.h: a static split, so each row is always computed by the same arithmetic and
// the result does not depend on the thread count); each row runs the fused cell (all gates of
// a unit at once, biases added on the fly, no temporaries), with σ and tanh from
// kernels/fastmath.h so that the compiler vectorizes the whole unit loop (libm's expf and
// tanhf are calls, one element at a time). The GEMMs are threaded by the GEMM itself
// (gemm_ex splits even the small recurrent products).
static void rnn_v3_forward(RnnLayer *l) { hoisted_forward(l, true); }
static void rnn_v3_backward(RnnLayer *l) { hoisted_backward(l, true); }

// ---- the ladder ----
static const RecurrentImpl V0 = {rnn_v0_forward, rnn_v0_backward},
                           V1 = {rnn_v1_forward, rnn_v1_backward},
                           V2 = {rnn_v2_forward, rnn_v2_backward},
                           V3 = {rnn_v3_forward, rnn_v3_backward};
static const KernelRung RNN_RUNGS[] = {
    {"v0_matvec", &V0, NULL}, {"v1_fused_gemm", &V1, NULL}, {"v2_hoisted", &V2, NULL},
    {"v3_fused_threads", &V3, NULL},
};
KernelLadder RNN_LADDER = {"rnn", "one RNN/LSTM/GRU layer forward + BPTT (chapter 5)", RNN_RUNGS,
                           sizeof RNN_RUNGS / sizeof RNN_RUNGS[0], "v3_fused_threads", NULL};

void rnn_layer_forward(RnnLayer *l)
{
    recurrent_impl(ladder_selected(&RNN_LADDER))->forward(l);
}

void rnn_layer_backward(RnnLayer *l)
{
    recurrent_impl(ladder_selected(&RNN_LADDER))->backward(l);
}
