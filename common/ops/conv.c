/* common/ops/conv.c — conv2d and pooling, layout NCHW; see ops/conv.h. */
#include "ops/conv.h"

#include <math.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "kernels/conv.h"
#include "ops/internal.h"

// ---- convolution ----

typedef struct ConvSaved {
    ConvShape s;
    const ConvImpl *impl;   // the rung forward used; backward uses the same one
    float *work;            // its workspace (work_floats), reused by backward
    size_t work_floats;
    Arena *arena;           // for a larger workspace if threads_set() changed in between
} ConvSaved;

// db[k] += Σ_n Σ_p Σ_q dy[n][k][p][q], for a bias whose weight needs no gradient.
static void conv_bias_grad(const ConvShape *s, const float *dy, float *db)
{
    size_t PQ = (size_t)s->H_out * s->W_out;
    for (int n = 0; n < s->B; n++)
        for (int k = 0; k < s->C_out; k++) {
            Lanes l = {{0}};
            lanes_add(&l, dy + ((size_t)n * s->C_out + k) * PQ, PQ);
            db[k] += (float)lanes_total(&l);
        }
}

// The formulas are in kernels/conv.h; every rung implements them.
static void conv2d_backward(Node *n)
{
    ConvSaved *cs = n->saved;
    Tensor *x = n->in[0], *w = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL;
    const float *dy = n->out->grad;
    size_t need = cs->impl->workspace(&cs->s);
    if (need > cs->work_floats) {
        cs->work = arena_alloc_uninit(cs->arena, need * sizeof(float));
        cs->work_floats = need;
    }
    float *db = b && b->grad ? b->grad : NULL;
    if (x->grad) cs->impl->backward_data(&cs->s, dy, w->data, x->grad, cs->work);
    if (w->grad)
        cs->impl->backward_weight(&cs->s, x->data, dy, w->grad, db, cs->work);
    else if (db)
        conv_bias_grad(&cs->s, dy, db);
}

Tensor *op_conv2d(Tape *tp, Tensor *x, Tensor *w, Tensor *b, int stride, int pad)
{
    char sx[64], sw[64], sb[64];
    require_4d("conv2d", "input x", x);
    require_4d("conv2d", "weight w (C_out, C_in, KH, KW)", w);
    DL_CHECK(x->shape[1] == w->shape[1],
             "conv2d: input %s has %d channels but weight %s expects C_in = %d (weight is "
             "(C_out, C_in, KH, KW)); make the layer's in_ch match the previous layer's out_ch",
             tensor_shape_str(x, sx, sizeof sx), x->shape[1], tensor_shape_str(w, sw, sizeof sw),
             w->shape[1]);
    DL_CHECK(!b || (b->ndim == 1 && b->shape[0] == w->shape[0]),
             "conv2d: bias %s does not match weight %s (need (C_out) = (%d))",
             b ? tensor_shape_str(b, sb, sizeof sb) : "", tensor_shape_str(w, sw, sizeof sw),
             w->shape[0]);
    ConvShape s;
    const char *err = conv_shape_init(&s, x->shape[0], x->shape[1], x->shape[2], x->shape[3],
                                      w->shape[0], w->shape[2], w->shape[3], stride, pad);
    if (err) dl_die("%s; input %s, weight %s", err, tensor_shape_str(x, sx, sizeof sx),
                    tensor_shape_str(w, sw, sizeof sw));
    const ConvImpl *impl = conv_selected();
    size_t work_floats = impl->workspace(&s);
    float *work = work_floats ? arena_alloc_uninit(tp->arena, work_floats * sizeof(float)) : NULL;
    Tensor *in[] = {x, w, b};
    int n_in = b ? 3 : 2;
    Tensor *y = tape_output(tp, 4, (int[]){s.B, s.C_out, s.H_out, s.W_out}, in, n_in);
    impl->forward(&s, x->data, w->data, b ? b->data : NULL, y->data, work);
    Node *n = tape_record(tp, "conv2d", conv2d_backward, y, in, n_in);
    if (n) {
        ConvSaved *cs = arena_alloc(tp->arena, sizeof *cs);
        *cs = (ConvSaved){s, impl, work, work_floats, tp->arena};
        n->saved = cs;
    }
    return y;
}

// ---- pooling ----

typedef struct PoolShape {
    int B, C, H, W, k, stride, P, Q;   // x (B, C, H, W) → y (B, C, P, Q)
} PoolShape;

static PoolShape pool_shape(const char *op, const Tensor *x, int k, int stride)
{
    char sx[64];
    require_4d(op, "input x", x);
    DL_CHECK(k >= 1, "%s: window size k = %d must be >= 1", op, k);
    DL_CHECK(stride >= 1, "%s: stride %d must be >= 1 (usually the window size k = %d)", op,
             stride, k);
    DL_CHECK(k <= x->shape[2] && k <= x->shape[3],
             "%s: window %dx%d is larger than the input %dx%d (input %s); use a smaller window "
             "or pool earlier in the network", op, k, k, x->shape[2], x->shape[3],
             tensor_shape_str(x, sx, sizeof sx));
    PoolShape p = {x->shape[0], x->shape[1], x->shape[2], x->shape[3], k, stride, 0, 0};
    p.P = (p.H - k) / stride + 1;
    p.Q = (p.W - k) / stride + 1;
    return p;
}

typedef struct PoolTask {
    PoolShape s;
    const float *x;   // (B·C, H, W)
    float *y;         // (B·C, P, Q) forward output, or dy in backward
    float *dx;        // backward
    int *arg;         // (B·C, P, Q) maxpool: the arg-max h·W + w inside its plane
} PoolTask;

// Output q of a 2x2, stride-2 max pool row: r0, r1 the two input rows (row stride W), base the
// plane index of r0[0]. Branch-free selects, so that the loop over q vectorizes.
static inline void maxpool2x2_one(const float *restrict r0, const float *restrict r1, int W,
                                  int q, int base, float *restrict y, int *restrict arg)
{
    float m = r0[2 * q], v;
    int idx = base + 2 * q, c;
    v = r0[2 * q + 1];
    c = (v > m) | isnan(v);
    m = c ? v : m;
    idx = c ? base + 2 * q + 1 : idx;
    v = r1[2 * q];
    c = (v > m) | isnan(v);
    m = c ? v : m;
    idx = c ? base + W + 2 * q : idx;
    v = r1[2 * q + 1];
    c = (v > m) | isnan(v);
    m = c ? v : m;
    idx = c ? base + W + 2 * q + 1 : idx;
    y[q] = m;
    arg[q] = idx;
}

static void maxpool2x2_row(const float *restrict r0, int W, int Q, int base, float *restrict y,
                           int *restrict arg)
{
    const float *restrict r1 = r0 + W;
    for (int q = 0; q < Q; q++) maxpool2x2_one(r0, r1, W, q, base, y, arg);
}

// y[p][q] = max over the window at (p·stride, q·stride); arg = the index of the first maximum
// in scan order (NaN wins, as PyTorch's CPU kernel).
static void maxpool_plane(void *ctx, int i)
{
    const PoolTask *t = ctx;
    const PoolShape *s = &t->s;
    const int W = s->W, P = s->P, Q = s->Q, k = s->k, st = s->stride;
    const float *restrict x = t->x + (size_t)i * s->H * W;
    float *restrict y = t->y + (size_t)i * P * Q;
    int *restrict arg = t->arg + (size_t)i * P * Q;
    if (k == 2 && st == 2) {   // the common case: see maxpool2x2_row
        for (int p = 0; p < P; p++)
            maxpool2x2_row(x + (size_t)2 * p * W, W, Q, 2 * p * W, y + (size_t)p * Q,
                           arg + (size_t)p * Q);
        return;
    }
    for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++) {
            const int start = p * st * W + q * st;
            int idx = start;
            float m = x[start];
            for (int r = 0; r < k; r++) {
                const float *row = x + start + r * W;
                for (int c = 0; c < k; c++) {
                    float v = row[c];
                    int take = (v > m) | isnan(v);
                    m = take ? v : m;
                    idx = take ? start + r * W + c : idx;
                }
            }
            y[p * Q + q] = m;
            arg[p * Q + q] = idx;
        }
}

static void maxpool_plane_backward(void *ctx, int i)
{
    const PoolTask *t = ctx;
    size_t HW = (size_t)t->s.H * t->s.W, PQ = (size_t)t->s.P * t->s.Q;
    float *dx = t->dx + i * HW;
    const float *dy = t->y + i * PQ;
    const int *arg = t->arg + i * PQ;
    for (size_t j = 0; j < PQ; j++) dx[arg[j]] += dy[j];
}

// y = max over the window:  dx[arg-max] += dy  (0 for every other input of the window)
static void maxpool2d_backward(Node *n)
{
    Tensor *x = n->in[0];
    PoolTask t = *(PoolTask *)n->saved;
    t.y = n->out->grad;
    t.dx = x->grad;
    run_tasks(t.s.B * t.s.C, maxpool_plane_backward, &t, x->size);
}

Tensor *op_maxpool2d(Tape *tp, Tensor *x, int k, int stride)
{
    PoolShape s = pool_shape("maxpool2d", x, k, stride);
    Tensor *y = tape_output(tp, 4, (int[]){s.B, s.C, s.P, s.Q}, &x, 1);
    int *argmax = arena_alloc_uninit(tp->arena, y->size * sizeof(int));   // (B, C, P, Q)
    PoolTask t = {s, x->data, y->data, NULL, argmax};
    run_tasks(s.B * s.C, maxpool_plane, &t, x->size);
    Node *n = tape_record(tp, "maxpool2d", maxpool2d_backward, y, &x, 1);
    if (n) {
        PoolTask *saved = arena_alloc(tp->arena, sizeof *saved);
        *saved = t;
        n->saved = saved;
    }
    return y;
}

// y[p][q] = (1/k²) Σ_window x, summed row by row in a fixed order.
static void avgpool_plane(void *ctx, int i)
{
    const PoolTask *t = ctx;
    const PoolShape *s = &t->s;
    const int W = s->W, P = s->P, Q = s->Q, k = s->k, st = s->stride;
    const float inv = 1.0f / (float)(k * k);
    const float *restrict x = t->x + (size_t)i * s->H * W;
    float *restrict y = t->y + (size_t)i * P * Q;
    if (k == 2 && st == 2) {   // the common case: contiguous loops the compiler vectorizes
        for (int p = 0; p < P; p++) {
            const float *restrict r0 = x + (size_t)2 * p * W, *restrict r1 = r0 + W;
            float *restrict yp = y + (size_t)p * Q;
            for (int q = 0; q < Q; q++)
                yp[q] = (((r0[2 * q] + r0[2 * q + 1]) + r1[2 * q]) + r1[2 * q + 1]) * 0.25f;
        }
        return;
    }
    for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++) {
            const float *win = x + (size_t)p * st * W + q * st;
            float acc = 0.0f;
            for (int r = 0; r < k; r++)
                for (int c = 0; c < k; c++) acc += win[r * W + c];
            y[p * Q + q] = acc * inv;
        }
}

static void avgpool_plane_backward(void *ctx, int i)
{
    const PoolTask *t = ctx;
    const PoolShape *s = &t->s;
    const int W = s->W, P = s->P, Q = s->Q, k = s->k, st = s->stride;
    const float inv = 1.0f / (float)(k * k);
    float *restrict dx = t->dx + (size_t)i * s->H * W;
    const float *restrict dy = t->y + (size_t)i * P * Q;
    if (k == 2 && st == 2) {
        for (int p = 0; p < P; p++) {
            float *restrict r0 = dx + (size_t)2 * p * W, *restrict r1 = r0 + W;
            const float *restrict dyp = dy + (size_t)p * Q;
            for (int q = 0; q < Q; q++) {
                float g = dyp[q] * inv;
                r0[2 * q] += g;
                r0[2 * q + 1] += g;
                r1[2 * q] += g;
                r1[2 * q + 1] += g;
            }
        }
        return;
    }
    for (int p = 0; p < P; p++)
        for (int q = 0; q < Q; q++) {
            float g = dy[p * Q + q] * inv;
            float *win = dx + (size_t)p * st * W + q * st;
            for (int r = 0; r < k; r++)
                for (int c = 0; c < k; c++) win[r * W + c] += g;
        }
}

// y = (1/k²) Σ_window x:  dx += dy/k² over every input of the window (overlaps add up)
static void avgpool2d_backward(Node *n)
{
    PoolTask t = *(PoolTask *)n->saved;
    t.y = n->out->grad;
    t.dx = n->in[0]->grad;
    run_tasks(t.s.B * t.s.C, avgpool_plane_backward, &t, n->in[0]->size);
}

Tensor *op_avgpool2d(Tape *tp, Tensor *x, int k, int stride)
{
    PoolShape s = pool_shape("avgpool2d", x, k, stride);
    Tensor *y = tape_output(tp, 4, (int[]){s.B, s.C, s.P, s.Q}, &x, 1);
    PoolTask t = {s, x->data, y->data, NULL, NULL};
    run_tasks(s.B * s.C, avgpool_plane, &t, x->size);
    Node *n = tape_record(tp, "avgpool2d", avgpool2d_backward, y, &x, 1);
    if (n) {
        PoolTask *saved = arena_alloc(tp->arena, sizeof *saved);
        *saved = t;
        n->saved = saved;
    }
    return y;
}

typedef struct GapTask {
    size_t HW;
    const float *x;   // (B·C, HW)
    float *y;         // (B·C) forward output, or dy in backward
    float *dx;        // (B·C, HW) backward
} GapTask;

static void gap_plane(void *ctx, int i)
{
    const GapTask *t = ctx;
    Lanes l = {{0}};
    lanes_add(&l, t->x + (size_t)i * t->HW, t->HW);
    t->y[i] = (float)(lanes_total(&l) / (double)t->HW);
}

static void gap_plane_backward(void *ctx, int i)
{
    const GapTask *t = ctx;
    const float g = t->y[i] / (float)t->HW;
    float *restrict dx = t->dx + (size_t)i * t->HW;
    for (size_t j = 0; j < t->HW; j++) dx[j] += g;
}

// y[n][c] = (1/HW) Σ_{h,w} x[n][c][h][w]:  dx[n][c][h][w] += dy[n][c] / HW
static void global_avgpool_backward(Node *n)
{
    Tensor *x = n->in[0];
    GapTask t = {(size_t)x->shape[2] * x->shape[3], NULL, n->out->grad, x->grad};
    run_tasks((int)n->out->size, gap_plane_backward, &t, x->size);
}

Tensor *op_global_avgpool(Tape *tp, Tensor *x)
{
    require_4d("global_avgpool", "input x", x);
    Tensor *y = tape_output(tp, 2, (int[]){x->shape[0], x->shape[1]}, &x, 1);
    GapTask t = {(size_t)x->shape[2] * x->shape[3], x->data, y->data, NULL};
    run_tasks((int)y->size, gap_plane, &t, x->size);
    tape_record(tp, "global_avgpool", global_avgpool_backward, y, &x, 1);
    return y;
}

// ---- global max pooling (max over time) ----

typedef struct GmpTask {
    size_t HW;
    const float *x;   // (B·C, HW)
    float *y;         // (B·C) forward output, or dy in backward
    int *arg;         // (B·C) the arg-max inside each plane
    float *dx;        // (B·C, HW) backward
} GmpTask;

// The first maximum in scan order; a NaN counts as the maximum (as op_maxpool2d and PyTorch).
static void gmp_plane(void *ctx, int i)
{
    const GmpTask *t = ctx;
    const float *x = t->x + (size_t)i * t->HW;
    size_t best = 0;
    for (size_t j = 1; j < t->HW && !isnan(x[best]); j++)
        if (x[j] > x[best] || isnan(x[j])) best = j;
    t->y[i] = x[best];
    t->arg[i] = (int)best;
}

// y[n][c] = x[n][c][arg]:  dx[n][c][arg] += dy[n][c], every other position gets nothing
static void global_maxpool_backward(Node *n)
{
    Tensor *x = n->in[0];
    const int *arg = n->saved;
    const size_t HW = (size_t)x->shape[2] * x->shape[3];
    for (size_t i = 0; i < n->out->size; i++) x->grad[i * HW + (size_t)arg[i]] += n->out->grad[i];
}

Tensor *op_global_maxpool(Tape *tp, Tensor *x)
{
    require_4d("global_maxpool", "input x", x);
    Tensor *y = tape_output(tp, 2, (int[]){x->shape[0], x->shape[1]}, &x, 1);
    int *arg = arena_alloc_uninit(tp->arena, y->size * sizeof(int));
    GmpTask t = {(size_t)x->shape[2] * x->shape[3], x->data, y->data, arg, NULL};
    run_tasks((int)y->size, gmp_plane, &t, x->size);
    Node *n = tape_record(tp, "global_maxpool", global_maxpool_backward, y, &x, 1);
    if (n) n->saved = arg;
    return y;
}
