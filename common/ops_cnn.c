/* common/ops_cnn.c — the differentiable ops of convolutional networks, layout NCHW; see the
 * bottom of ops.h. Checked in tests/test_cnn_ops.c (finite differences and PyTorch).
 *
 * Same two halves as ops.c: forward checks shapes, allocates on the tape, computes and records
 * a Node; backward ADDS dL/d(input) into each input's grad. Convolution is delegated to the
 * selected rung of the conv ladder (kernels/conv.h); the rest is written here as one or two
 * plain passes over contiguous (H, W) planes.
 * Threads: an op on a large tensor (more than PAR_MIN elements) spreads its (n, c) planes or
 * its channels over parallel_for. Every task writes only its own planes, and every sum runs
 * inside one task in a fixed order, so the results do not depend on the thread count.
 */
// Vectorization: gcc at -O2 only vectorizes loops whose trip count is a known multiple of the
// vector width; these plane loops need -O3, which the Makefile gives this file as it does the
// kernels in kernels/ (clang vectorizes them at -O2). No floating-point sum changes order, so
// the results are the same bit for bit.

#include "ops.h"

#include <math.h>
#include <string.h>

#include "conv.h"
#include "error.h"
#include "threads.h"

#define PAR_MIN 65536   // elements: below this a thread hand-off costs more than it saves

// ---- helpers ----

// fn(ctx, i) for i in [0, n): on the pool when the op touches more than PAR_MIN elements.
static void run_tasks(int n, ParallelFn fn, void *ctx, size_t elements)
{
    if (elements > PAR_MIN && threads_get() > 1 && n > 1) {
        parallel_for(n, fn, ctx);
    } else {
        for (int i = 0; i < n; i++) fn(ctx, i);
    }
}

static void require_4d(const char *op, const char *what, const Tensor *t)
{
    char s[64];
    DL_CHECK(t->ndim == 4, "%s: %s must be 4-D (N, C, H, W), got shape %s", op, what,
             tensor_shape_str(t, s, sizeof s));
}

// Sums in double over 8 lanes (element i goes to lane i mod 8, the lanes are added in a fixed
// order at the end): the same result on every run and thread count, and 8 independent
// additions per step instead of one long dependency chain.
typedef struct Lanes { double v[8]; } Lanes;

static inline double lanes_total(const Lanes *l)
{
    return ((l->v[0] + l->v[1]) + (l->v[2] + l->v[3])) + ((l->v[4] + l->v[5]) + (l->v[6] + l->v[7]));
}

// l += Σ x[i]
static inline void lanes_add(Lanes *l, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) l->v[j] += (double)x[i + j];
    for (int j = 0; i < n; i++, j++) l->v[j] += (double)x[i];
}

// l += Σ (x[i] - m)²
static inline void lanes_add_sq_dev(Lanes *l, const float *x, size_t n, double m)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            double d = (double)x[i + j] - m;
            l->v[j] += d * d;
        }
    for (int j = 0; i < n; i++, j++) {
        double d = (double)x[i] - m;
        l->v[j] += d * d;
    }
}

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
    for (int n = 0; n < s->N; n++)
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
    Tensor *y = tape_output(tp, 4, (int[]){s.N, s.C_out, s.H_out, s.W_out}, in, n_in);
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
    int N, C, H, W, k, stride, P, Q;   // x (N, C, H, W) → y (N, C, P, Q)
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
    const float *x;   // (N·C, H, W)
    float *y;         // (N·C, P, Q) forward output, or dy in backward
    float *dx;        // backward
    int *arg;         // (N·C, P, Q) maxpool: the arg-max h·W + w inside its plane
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
    run_tasks(t.s.N * t.s.C, maxpool_plane_backward, &t, x->size);
}

Tensor *op_maxpool2d(Tape *tp, Tensor *x, int k, int stride)
{
    PoolShape s = pool_shape("maxpool2d", x, k, stride);
    Tensor *y = tape_output(tp, 4, (int[]){s.N, s.C, s.P, s.Q}, &x, 1);
    int *argmax = arena_alloc_uninit(tp->arena, y->size * sizeof(int));   // (N, C, P, Q)
    PoolTask t = {s, x->data, y->data, NULL, argmax};
    run_tasks(s.N * s.C, maxpool_plane, &t, x->size);
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
    run_tasks(t.s.N * t.s.C, avgpool_plane_backward, &t, n->in[0]->size);
}

Tensor *op_avgpool2d(Tape *tp, Tensor *x, int k, int stride)
{
    PoolShape s = pool_shape("avgpool2d", x, k, stride);
    Tensor *y = tape_output(tp, 4, (int[]){s.N, s.C, s.P, s.Q}, &x, 1);
    PoolTask t = {s, x->data, y->data, NULL, NULL};
    run_tasks(s.N * s.C, avgpool_plane, &t, x->size);
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
    const float *x;   // (N·C, HW)
    float *y;         // (N·C) forward output, or dy in backward
    float *dx;        // (N·C, HW) backward
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

// ---- batch normalisation over channels ----

typedef struct Bn2dTask {
    int N, C;
    size_t HW;
    const float *x, *gamma, *beta;
    float *y;             // forward output
    float *dy;            // backward: dL/dy (the fused ReLU masks it in place)
    float *dx, *dgamma, *dbeta;
    float *mean, *var;    // (C): written (train) or read (eval)
    float *inv_std;       // (C): 1/sqrt(var + eps)
    float eps;
    bool train;
    bool relu;            // op_batchnorm2d_relu: y = max(0, BN(x)), and backward masks dy by y > 0
} Bn2dTask;

// One channel: statistics (train), then y = γ·x̂ + β with x̂ = (x − mean)·inv_std.
static void bn2d_forward_channel(void *ctx, int c)
{
    Bn2dTask *t = ctx;
    const size_t HW = t->HW, stride = (size_t)t->C * HW;
    const float *xc = t->x + (size_t)c * HW;   // plane (0, c); plane (n, c) is n·stride further
    if (t->train) {
        // Two passes in double (as op_batchnorm): the mean, then the mean squared deviation.
        double M = (double)t->N * (double)HW;
        Lanes l = {{0}};
        for (int n = 0; n < t->N; n++) lanes_add(&l, xc + n * stride, HW);
        double mu = lanes_total(&l) / M;
        Lanes v = {{0}};
        for (int n = 0; n < t->N; n++) lanes_add_sq_dev(&v, xc + n * stride, HW, mu);
        t->mean[c] = (float)mu;
        t->var[c] = (float)(lanes_total(&v) / M);
    }
    const float inv = (float)(1.0 / sqrt((double)t->var[c] + t->eps));
    t->inv_std[c] = inv;
    const float m = t->mean[c], g = t->gamma[c], b = t->beta[c];
    for (int n = 0; n < t->N; n++) {
        const float *restrict x = xc + n * stride;
        float *restrict y = t->y + (size_t)c * HW + n * stride;
        if (t->relu)   // the same expression as op_relu's, so the numbers are identical
            for (size_t j = 0; j < HW; j++) {
                float v = g * ((x[j] - m) * inv) + b;
                y[j] = v > 0.0f ? v : 0.0f;
            }
        else
            for (size_t j = 0; j < HW; j++) y[j] = g * ((x[j] - m) * inv) + b;
    }
}

// The derivation is op_batchnorm's (ops.c), with the batch sums running over the M = N·H·W
// values of a channel:  dβ = Σ dy,  dγ = Σ dy·x̂,
//   train: dx = (γ/σ)·(dy − Σdy/M − x̂·Σ(dy·x̂)/M);   eval: dx = (γ/σ)·dy.
// x̂ is recomputed from x (cheaper than storing a second copy of the activation).
static void bn2d_backward_channel(void *ctx, int c)
{
    Bn2dTask *t = ctx;
    const size_t HW = t->HW, stride = (size_t)t->C * HW, off = (size_t)c * HW;
    const float m = t->mean[c], inv = t->inv_std[c];
    if (t->relu)
        // The fused ReLU first: dL/d(BN output) = dy where y > 0, else 0 (op_relu's rule),
        // written over dy itself — this node is the only reader of its output's gradient.
        for (int n = 0; n < t->N; n++) {
            const float *restrict y = t->y + off + n * stride;
            float *restrict dy = t->dy + off + n * stride;
            for (size_t j = 0; j < HW; j++) dy[j] = y[j] > 0.0f ? dy[j] : 0.0f;
        }
    Lanes sdy = {{0}}, sdyx = {{0}};
    for (int n = 0; n < t->N; n++) {
        const float *x = t->x + off + n * stride, *dy = t->dy + off + n * stride;
        size_t j = 0;
        for (; j + 8 <= HW; j += 8)
            for (int l = 0; l < 8; l++) {
                float xh = (x[j + l] - m) * inv;
                sdy.v[l] += (double)dy[j + l];
                sdyx.v[l] += (double)dy[j + l] * (double)xh;
            }
        for (int l = 0; j < HW; j++, l++) {
            float xh = (x[j] - m) * inv;
            sdy.v[l] += (double)dy[j];
            sdyx.v[l] += (double)dy[j] * (double)xh;
        }
    }
    double s1 = lanes_total(&sdy), s2 = lanes_total(&sdyx);
    if (t->dbeta) t->dbeta[c] += (float)s1;
    if (t->dgamma) t->dgamma[c] += (float)s2;
    if (!t->dx) return;
    const float k = t->gamma[c] * inv;
    const double M = (double)t->N * (double)HW;
    const float a = t->train ? (float)(s1 / M) : 0.0f, b = t->train ? (float)(s2 / M) : 0.0f;
    for (int n = 0; n < t->N; n++) {
        const float *restrict x = t->x + off + n * stride, *restrict dy = t->dy + off + n * stride;
        float *restrict dx = t->dx + off + n * stride;
        if (t->train)
            for (size_t j = 0; j < HW; j++) dx[j] += k * (dy[j] - a - ((x[j] - m) * inv) * b);
        else
            for (size_t j = 0; j < HW; j++) dx[j] += k * dy[j];
    }
}

static void batchnorm2d_backward(Node *n)
{
    Bn2dTask t = *(Bn2dTask *)n->saved;
    t.dy = n->out->grad;
    t.dx = n->in[0]->grad;
    t.dgamma = n->in[1]->grad;
    t.dbeta = n->in[2]->grad;
    run_tasks(t.C, bn2d_backward_channel, &t, n->in[0]->size);
}

static Tensor *batchnorm2d_op(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean,
                              float *var, float eps, bool train, bool relu)
{
    char sx[64], sg[64], sb[64];
    require_4d("batchnorm2d", "input x", x);
    const int N = x->shape[0], C = x->shape[1];
    const size_t HW = (size_t)x->shape[2] * x->shape[3];
    DL_CHECK(gamma->ndim == 1 && gamma->shape[0] == C && beta->ndim == 1 && beta->shape[0] == C,
             "batchnorm2d: gamma %s and beta %s must both be (C) for input %s (N, C, H, W)",
             tensor_shape_str(gamma, sg, sizeof sg), tensor_shape_str(beta, sb, sizeof sb),
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(!train || (size_t)N * HW >= 2, "batchnorm2d: train mode needs at least 2 values per "
             "channel (N·H·W >= 2) to estimate a variance, got input %s (use a larger batch, or "
             "eval mode)", tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(eps > 0.0f, "batchnorm2d: eps = %g must be > 0 (it keeps 1/sqrt(var + eps) finite)",
             eps);
    DL_CHECK(mean && var, "batchnorm2d: mean and var must point to C = %d floats each (got NULL)",
             C);
    if (!train)
        for (int c = 0; c < C; c++)
            DL_CHECK(var[c] >= 0.0f, "batchnorm2d: running variance %g of channel %d is negative "
                     "or NaN (the statistics are corrupt: did training diverge?)", var[c], c);
    Tensor *in[] = {x, gamma, beta};
    Tensor *y = tape_output(tp, 4, x->shape, in, 3);
    Bn2dTask *t = arena_alloc(tp->arena, sizeof *t);
    *t = (Bn2dTask){.N = N, .C = C, .HW = HW, .x = x->data, .gamma = gamma->data,
                    .beta = beta->data, .y = y->data, .eps = eps, .train = train,
                    .relu = relu};
    // Backward needs the statistics of this call: keep copies (the caller's buffers may be the
    // running statistics, which the next train step changes).
    t->mean = arena_alloc(tp->arena, 3 * (size_t)C * sizeof(float));
    t->var = t->mean + C;
    t->inv_std = t->var + C;
    if (!train) {
        memcpy(t->mean, mean, (size_t)C * sizeof(float));
        memcpy(t->var, var, (size_t)C * sizeof(float));
    }
    run_tasks(C, bn2d_forward_channel, t, x->size);
    if (train) {
        memcpy(mean, t->mean, (size_t)C * sizeof(float));
        memcpy(var, t->var, (size_t)C * sizeof(float));
    }
    Node *n = tape_record(tp, relu ? "batchnorm2d_relu" : "batchnorm2d", batchnorm2d_backward, y,
                          in, 3);
    if (n) n->saved = t;
    return y;
}

Tensor *op_batchnorm2d(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                       float eps, bool train)
{
    return batchnorm2d_op(tp, x, gamma, beta, mean, var, eps, train, false);
}

Tensor *op_batchnorm2d_relu(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean,
                            float *var, float eps, bool train)
{
    return batchnorm2d_op(tp, x, gamma, beta, mean, var, eps, train, true);
}

// ---- views ----

// A view: a new Tensor header over x's data, and over x's grad when x takes part in autograd
// (the same rule as tape_output). No node is recorded: whatever the consumers of the view add
// into its grad lands directly in x->grad, which x's producer reads when its own node runs —
// and that node was recorded before the view's consumers, so the tape's reverse order still
// holds. The view keeps x's node so that tape_backward on a view starts in the right place.
Tensor *op_reshape(Tape *tp, Tensor *x, int ndim, const int *shape)
{
    char sx[64];
    DL_CHECK(ndim >= 0 && ndim <= DL_MAX_DIMS, "reshape: %d dimensions asked, at most %d "
             "supported", ndim, DL_MAX_DIMS);
    size_t size = 1;
    for (int i = 0; i < ndim; i++) {
        DL_CHECK(shape[i] >= 1, "reshape: dimension %d has size %d; sizes must be >= 1", i,
                 shape[i]);
        size *= (size_t)shape[i];
    }
    Tensor view = {.ndim = ndim, .size = size};
    for (int i = 0; i < ndim; i++) view.shape[i] = shape[i];
    char sv[64];
    DL_CHECK(size == x->size, "reshape: cannot view %s (%zu elements) as %s (%zu elements); the "
             "sizes must match", tensor_shape_str(x, sx, sizeof sx), x->size,
             tensor_shape_str(&view, sv, sizeof sv), size);
    Tensor *y = arena_alloc(tp->arena, sizeof *y);
    *y = view;
    y->data = x->data;
    if (tp->recording && x->requires_grad && x->grad) {
        y->grad = x->grad;
        y->requires_grad = true;
        y->node = x->node;
    }
    y->name = x->name;
    return y;
}

Tensor *op_flatten(Tape *tp, Tensor *x)
{
    char sx[64];
    DL_CHECK(x->ndim >= 1, "flatten: needs a tensor with a batch dimension, got shape %s",
             tensor_shape_str(x, sx, sizeof sx));
    return op_reshape(tp, x, 2, (int[]){x->shape[0], (int)(x->size / (size_t)x->shape[0])});
}

// ---- class-weighted cross-entropy ----

typedef struct CeWeightedSaved {
    float *p;              // (B, V) softmax of the logits
    const float *weight;   // (V) class weights, the caller's
    float total;           // Σ_i w[y_i]
} CeWeightedSaved;

// L = Σ_i w_{t_i} (logsumexp(z_i) − z_i,t_i) / W, W = Σ_i w_{t_i}:
//   dz_i,j += dL · w_{t_i} / W · (softmax(z_i)_j − [j = t_i])
static void cross_entropy_weighted_backward(Node *n)
{
    Tensor *z = n->in[0];
    const CeWeightedSaved *s = n->saved;
    int B = z->shape[0], V = z->shape[1];
    float g = n->out->grad[0] / s->total;
    for (int i = 0; i < B; i++) {
        int t = n->iparam[i];
        float gi = g * s->weight[t];
        const float *p = s->p + (size_t)i * V;
        float *dz = z->grad + (size_t)i * V;
        for (int j = 0; j < V; j++) dz[j] += gi * (p[j] - (j == t ? 1.0f : 0.0f));
    }
}

Tensor *op_cross_entropy_weighted(Tape *tp, Tensor *logits, const int *targets,
                                  const float *class_weight)
{
    int B, V;
    tensor_require_2d(logits, "cross_entropy_weighted (logits)", &B, &V);
    DL_CHECK(targets && class_weight, "cross_entropy_weighted: targets (B = %d) and class_weight "
             "(V = %d) must not be NULL", B, V);
    Tensor *loss = tape_output(tp, 0, NULL, &logits, 1);
    float *p = arena_alloc(tp->arena, logits->size * sizeof(float));   // (B, V)
    double total = 0.0, wsum = 0.0;
    for (int i = 0; i < B; i++) {
        int t = targets[i];
        DL_CHECK(t >= 0 && t < V, "cross_entropy_weighted: target %d of row %d is outside "
                 "[0, %d)", t, i, V);
        // log-softmax of row i, max subtracted so that no exp() overflows
        const float *z = logits->data + (size_t)i * V;
        float *row = p + (size_t)i * V;
        float m = z[0];
        for (int j = 1; j < V; j++) m = z[j] > m ? z[j] : m;
        double s = 0.0;
        for (int j = 0; j < V; j++) s += exp((double)(z[j] - m));
        float lse = m + (float)log(s);
        for (int j = 0; j < V; j++) row[j] = z[j] - lse;
        total -= (double)class_weight[t] * row[t];
        wsum += class_weight[t];
    }
    DL_CHECK(wsum > 0.0 && isfinite(wsum), "cross_entropy_weighted: the targets' total class "
             "weight is %g; it must be > 0 (give the classes positive weights)", wsum);
    loss->data[0] = (float)(total / wsum);
    Node *n = tape_record(tp, "cross_entropy_weighted", cross_entropy_weighted_backward, loss,
                          &logits, 1);
    if (n) {
        for (size_t k = 0; k < logits->size; k++) p[k] = expf(p[k]);   // now softmax
        CeWeightedSaved *s = arena_alloc(tp->arena, sizeof *s);
        *s = (CeWeightedSaved){p, class_weight, (float)wsum};
        n->saved = s;
        n->iparam = targets;
    }
    return loss;
}
