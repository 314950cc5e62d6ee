/* common/ops.c — differentiable operations; see ops.h.
 *
 * Every op has the same two halves:
 *   forward  — check shapes, allocate the output on the tape, compute, record a Node;
 *   backward — read out->grad (dL/dy) and ADD dL/dx into each input's grad (when it has one).
 * The local derivative is written above each backward in the notation of lecture 2.
 */
#include "ops.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "gemm.h"

// ---- helpers ----

static void require_same_shape(const char *op, const Tensor *a, const Tensor *b)
{
    char sa[64], sb[64];
    DL_CHECK(tensor_same_shape(a, b), "%s: shapes %s and %s differ (both inputs need the same "
             "shape)", op, tensor_shape_str(a, sa, sizeof sa), tensor_shape_str(b, sb, sizeof sb));
}

static Tensor *output_like(Tape *tp, Tensor *a, Tensor *const *in, int n_in)
{
    return tape_output(tp, a->ndim, a->shape, in, n_in);
}

static Tensor *scalar_output(Tape *tp, Tensor *const *in, int n_in)
{
    return tape_output(tp, 0, NULL, in, n_in);
}

// ---- element-wise ----

// y = a + b:  da += dy, db += dy
static void add_backward(Node *n)
{
    const float *dy = n->out->grad;
    for (int k = 0; k < 2; k++) {
        float *dx = n->in[k]->grad;
        if (dx)
            for (size_t i = 0; i < n->out->size; i++) dx[i] += dy[i];
    }
}

Tensor *op_add(Tape *tp, Tensor *a, Tensor *b)
{
    require_same_shape("add", a, b);
    Tensor *in[] = {a, b};
    Tensor *y = output_like(tp, a, in, 2);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] + b->data[i];
    tape_record(tp, "add", add_backward, y, in, 2);
    return y;
}

// y = a - b:  da += dy, db -= dy
static void sub_backward(Node *n)
{
    const float *dy = n->out->grad;
    float *da = n->in[0]->grad, *db = n->in[1]->grad;
    for (size_t i = 0; i < n->out->size; i++) {
        if (da) da[i] += dy[i];
        if (db) db[i] -= dy[i];
    }
}

Tensor *op_sub(Tape *tp, Tensor *a, Tensor *b)
{
    require_same_shape("sub", a, b);
    Tensor *in[] = {a, b};
    Tensor *y = output_like(tp, a, in, 2);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] - b->data[i];
    tape_record(tp, "sub", sub_backward, y, in, 2);
    return y;
}

// y = a ⊙ b:  da += dy ⊙ b, db += dy ⊙ a
static void mul_backward(Node *n)
{
    const float *dy = n->out->grad, *a = n->in[0]->data, *b = n->in[1]->data;
    float *da = n->in[0]->grad, *db = n->in[1]->grad;
    for (size_t i = 0; i < n->out->size; i++) {
        if (da) da[i] += dy[i] * b[i];
        if (db) db[i] += dy[i] * a[i];
    }
}

Tensor *op_mul(Tape *tp, Tensor *a, Tensor *b)
{
    require_same_shape("mul", a, b);
    Tensor *in[] = {a, b};
    Tensor *y = output_like(tp, a, in, 2);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] * b->data[i];
    tape_record(tp, "mul", mul_backward, y, in, 2);
    return y;
}

// y = s·a:  da += s·dy
static void scale_backward(Node *n)
{
    const float *dy = n->out->grad;
    float *da = n->in[0]->grad, s = n->fparam;
    for (size_t i = 0; i < n->out->size; i++) da[i] += s * dy[i];
}

Tensor *op_scale(Tape *tp, Tensor *a, float s)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) y->data[i] = s * a->data[i];
    Node *n = tape_record(tp, "scale", scale_backward, y, &a, 1);
    if (n) n->fparam = s;
    return y;
}

// ---- linear algebra ----

// Transpose a (rows, cols) matrix into a new (cols, rows) buffer in the arena.
static float *transposed(Arena *arena, const float *x, int rows, int cols)
{
    float *t = arena_alloc(arena, (size_t)rows * (size_t)cols * sizeof(float));
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) t[(size_t)j * rows + i] = x[(size_t)i * cols + j];
    return t;
}

// C = A·B with A (M, K), B (K, N):
//   dA += dC·Bᵀ   (M, N)·(N, K)
//   dB += Aᵀ·dC   (K, M)·(M, N)
// Transposed copies cost O(MK + KN) against the O(MNK) multiply; the backward pass
// reaches the same GEMM rung as the forward pass.
static void matmul_backward(Node *n)
{
    Tensor *a = n->in[0], *b = n->in[1], *c = n->out;
    int M = a->shape[0], K = a->shape[1], N = b->shape[1];
    Arena *arena = (Arena *)n->saved;
    if (a->grad) {
        float *bt = transposed(arena, b->data, K, N);   // (N, K)
        gemm(M, K, N, c->grad, N, bt, K, a->grad, K, true);
    }
    if (b->grad) {
        float *at = transposed(arena, a->data, M, K);   // (K, M)
        gemm(K, N, M, at, M, c->grad, N, b->grad, N, true);
    }
}

Tensor *op_matmul(Tape *tp, Tensor *a, Tensor *b)
{
    int M, K, K2, N;
    tensor_require_2d(a, "matmul (left operand)", &M, &K);
    tensor_require_2d(b, "matmul (right operand)", &K2, &N);
    char sa[64], sb[64];
    DL_CHECK(K == K2, "matmul: inner dimensions differ: %s · %s (need (M, K) · (K, N))",
             tensor_shape_str(a, sa, sizeof sa), tensor_shape_str(b, sb, sizeof sb));
    Tensor *in[] = {a, b};
    Tensor *c = tape_output(tp, 2, (int[]){M, N}, in, 2);
    gemm(M, N, K, a->data, K, b->data, N, c->data, N, false);
    Node *n = tape_record(tp, "matmul", matmul_backward, c, in, 2);
    if (n) n->saved = tp->arena;
    return c;
}

// y[i, j] = x[i, j] + b[j]:  dx += dy, db[j] += Σ_i dy[i, j]
static void bias_add_backward(Node *n)
{
    Tensor *x = n->in[0], *b = n->in[1];
    const float *dy = n->out->grad;
    int B = x->shape[0], K = x->shape[1];
    if (x->grad)
        for (size_t i = 0; i < x->size; i++) x->grad[i] += dy[i];
    if (b->grad)
        for (int i = 0; i < B; i++)
            for (int j = 0; j < K; j++) b->grad[j] += dy[(size_t)i * K + j];
}

Tensor *op_bias_add(Tape *tp, Tensor *x, Tensor *b)
{
    int B, K;
    tensor_require_2d(x, "bias_add (input)", &B, &K);
    char sx[64], sb[64];
    DL_CHECK(b->ndim == 1 && b->shape[0] == K,
             "bias_add: bias of shape %s does not match input %s (need (K) for (B, K))",
             tensor_shape_str(b, sb, sizeof sb), tensor_shape_str(x, sx, sizeof sx));
    Tensor *in[] = {x, b};
    Tensor *y = output_like(tp, x, in, 2);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < K; j++) y->data[(size_t)i * K + j] = x->data[(size_t)i * K + j] + b->data[j];
    tape_record(tp, "bias_add", bias_add_backward, y, in, 2);
    return y;
}

// ---- reductions ----

// y = c · Σ a_i  (c = 1 for sum, 1/n for mean):  da_i += c·dy
static void sum_backward(Node *n)
{
    float g = n->out->grad[0] * n->fparam;
    float *da = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->size; i++) da[i] += g;
}

static Tensor *reduce_sum(Tape *tp, Tensor *a, float c, const char *op)
{
    Tensor *y = scalar_output(tp, &a, 1);
    double s = 0.0;   // double accumulator: the sum of 1e6 floats keeps ~7 digits
    for (size_t i = 0; i < a->size; i++) s += a->data[i];
    y->data[0] = (float)(s * c);
    Node *n = tape_record(tp, op, sum_backward, y, &a, 1);
    if (n) n->fparam = c;
    return y;
}

Tensor *op_sum(Tape *tp, Tensor *a) { return reduce_sum(tp, a, 1.0f, "sum"); }
Tensor *op_mean(Tape *tp, Tensor *a) { return reduce_sum(tp, a, 1.0f / (float)a->size, "mean"); }

// ---- activations ----

// y = max(0, x):  dx += dy · [x > 0]   (the subgradient 0 is used at x = 0, as PyTorch)
static void relu_backward(Node *n)
{
    const float *x = n->in[0]->data, *dy = n->out->grad;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->out->size; i++) dx[i] += x[i] > 0.0f ? dy[i] : 0.0f;
}

Tensor *op_relu(Tape *tp, Tensor *a)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) y->data[i] = a->data[i] > 0.0f ? a->data[i] : 0.0f;
    tape_record(tp, "relu", relu_backward, y, &a, 1);
    return y;
}

// y = x > 0 ? x : s·x:  dx += dy · (x > 0 ? 1 : s)
static void leaky_relu_backward(Node *n)
{
    const float *x = n->in[0]->data, *dy = n->out->grad;
    float *dx = n->in[0]->grad, s = n->fparam;
    for (size_t i = 0; i < n->out->size; i++) dx[i] += x[i] > 0.0f ? dy[i] : s * dy[i];
}

Tensor *op_leaky_relu(Tape *tp, Tensor *a, float slope)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) {
        float x = a->data[i];
        y->data[i] = x > 0.0f ? x : slope * x;
    }
    Node *n = tape_record(tp, "leaky_relu", leaky_relu_backward, y, &a, 1);
    if (n) n->fparam = slope;
    return y;
}

// y = σ(x) = 1 / (1 + e^-x):  dx += dy · y (1 - y)
static void sigmoid_backward(Node *n)
{
    const float *y = n->out->data, *dy = n->out->grad;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->out->size; i++) dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

Tensor *op_sigmoid(Tape *tp, Tensor *a)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) {
        // Two branches so that exp() never overflows: for x < 0, σ(x) = e^x / (1 + e^x).
        float x = a->data[i];
        if (x >= 0.0f) {
            y->data[i] = 1.0f / (1.0f + expf(-x));
        } else {
            float e = expf(x);
            y->data[i] = e / (1.0f + e);
        }
    }
    tape_record(tp, "sigmoid", sigmoid_backward, y, &a, 1);
    return y;
}

// y = tanh(x):  dx += dy · (1 - y²)
static void tanh_backward(Node *n)
{
    const float *y = n->out->data, *dy = n->out->grad;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->out->size; i++) dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

Tensor *op_tanh(Tape *tp, Tensor *a)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) y->data[i] = tanhf(a->data[i]);
    tape_record(tp, "tanh", tanh_backward, y, &a, 1);
    return y;
}

// y = x·Φ(x), Φ(x) = ½ (1 + erf(x/√2)):  dx += dy · (Φ(x) + x·φ(x)), φ(x) = e^{-x²/2}/√(2π)
static void gelu_backward(Node *n)
{
    const float *x = n->in[0]->data, *dy = n->out->grad;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->out->size; i++) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * expf(-0.5f * v * v);
        dx[i] += dy[i] * (cdf + v * pdf);
    }
}

Tensor *op_gelu(Tape *tp, Tensor *a)
{
    Tensor *y = output_like(tp, a, &a, 1);
    for (size_t i = 0; i < y->size; i++) {
        float v = a->data[i];
        y->data[i] = v * 0.5f * (1.0f + erff(v * 0.70710678118654752f));
    }
    tape_record(tp, "gelu", gelu_backward, y, &a, 1);
    return y;
}

// ---- softmax family (rows of a (B, K) tensor) ----

// Row-wise log-softmax: out[j] = x[j] - m - log Σ_k exp(x[k] - m), m = max_k x[k].
// Subtracting the max keeps every exp() in (0, 1]: no overflow for any logits.
static void log_softmax_row(const float *x, float *out, int K)
{
    float m = x[0];
    for (int j = 1; j < K; j++) m = x[j] > m ? x[j] : m;
    double s = 0.0;
    for (int j = 0; j < K; j++) s += exp((double)(x[j] - m));
    float lse = m + (float)log(s);
    for (int j = 0; j < K; j++) out[j] = x[j] - lse;
}

// y = softmax(x) per row:  dx_j += y_j (dy_j - Σ_k dy_k y_k)
static void softmax_backward(Node *n)
{
    int B = n->out->shape[0], K = n->out->shape[1];
    for (int i = 0; i < B; i++) {
        const float *y = n->out->data + (size_t)i * K, *dy = n->out->grad + (size_t)i * K;
        float *dx = n->in[0]->grad + (size_t)i * K;
        double dot = 0.0;
        for (int j = 0; j < K; j++) dot += (double)dy[j] * y[j];
        for (int j = 0; j < K; j++) dx[j] += y[j] * (dy[j] - (float)dot);
    }
}

Tensor *op_softmax(Tape *tp, Tensor *a)
{
    int B, K;
    tensor_require_2d(a, "softmax", &B, &K);
    Tensor *y = output_like(tp, a, &a, 1);
    for (int i = 0; i < B; i++) {
        float *row = y->data + (size_t)i * K;
        log_softmax_row(a->data + (size_t)i * K, row, K);
        for (int j = 0; j < K; j++) row[j] = expf(row[j]);
    }
    tape_record(tp, "softmax", softmax_backward, y, &a, 1);
    return y;
}

// y = log_softmax(x) per row:  dx_j += dy_j - softmax(x)_j · Σ_k dy_k
static void log_softmax_backward(Node *n)
{
    int B = n->out->shape[0], K = n->out->shape[1];
    for (int i = 0; i < B; i++) {
        const float *y = n->out->data + (size_t)i * K, *dy = n->out->grad + (size_t)i * K;
        float *dx = n->in[0]->grad + (size_t)i * K;
        double s = 0.0;
        for (int j = 0; j < K; j++) s += dy[j];
        for (int j = 0; j < K; j++) dx[j] += dy[j] - expf(y[j]) * (float)s;
    }
}

Tensor *op_log_softmax(Tape *tp, Tensor *a)
{
    int B, K;
    tensor_require_2d(a, "log_softmax", &B, &K);
    Tensor *y = output_like(tp, a, &a, 1);
    for (int i = 0; i < B; i++) log_softmax_row(a->data + (size_t)i * K, y->data + (size_t)i * K, K);
    tape_record(tp, "log_softmax", log_softmax_backward, y, &a, 1);
    return y;
}

// ---- losses ----

// L = (1/B) Σ_i [logsumexp(z_i) - z_i,t_i]:  dz_i,j += dL · (softmax(z_i)_j - [j = t_i]) / B
// forward saves softmax(z) (B, V) for this.
static void cross_entropy_backward(Node *n)
{
    Tensor *z = n->in[0];
    int B = z->shape[0], V = z->shape[1];
    const float *p = n->saved;
    float g = n->out->grad[0] / (float)B;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < V; j++) {
            float onehot = j == n->iparam[i] ? 1.0f : 0.0f;
            z->grad[(size_t)i * V + j] += g * (p[(size_t)i * V + j] - onehot);
        }
}

Tensor *op_cross_entropy(Tape *tp, Tensor *logits, const int *targets)
{
    int B, V;
    tensor_require_2d(logits, "cross_entropy (logits)", &B, &V);
    Tensor *loss = scalar_output(tp, &logits, 1);
    float *logp = arena_alloc(tp->arena, logits->size * sizeof(float));
    double total = 0.0;
    for (int i = 0; i < B; i++) {
        int t = targets[i];
        DL_CHECK(t >= 0 && t < V, "cross_entropy: target %d of row %d is outside [0, %d)", t, i, V);
        float *row = logp + (size_t)i * V;
        log_softmax_row(logits->data + (size_t)i * V, row, V);
        total -= row[t];
    }
    loss->data[0] = (float)(total / B);
    Node *n = tape_record(tp, "cross_entropy", cross_entropy_backward, loss, &logits, 1);
    if (n) {
        for (size_t k = 0; k < logits->size; k++) logp[k] = expf(logp[k]);   // now softmax
        n->saved = logp;
        n->iparam = targets;
    }
    return loss;
}

// L = -(1/n) Σ [y log p + (1-y) log(1-p)], logs clamped at -100 as torch.nn.BCELoss:
//   dp += dL · (p - y) / (p (1 - p)) / n, with p (1 - p) kept >= 1e-12 (PyTorch's EPSILON).
static void bce_backward(Node *n)
{
    Tensor *p = n->in[0], *y = n->in[1];
    float g = n->out->grad[0] / (float)p->size;
    if (p->grad)
        for (size_t i = 0; i < p->size; i++) {
            float pi = p->data[i], den = pi * (1.0f - pi);
            p->grad[i] += g * (pi - y->data[i]) / (den > 1e-12f ? den : 1e-12f);
        }
}

Tensor *op_bce(Tape *tp, Tensor *p, Tensor *y)
{
    require_same_shape("bce", p, y);
    Tensor *in[] = {p, y};
    Tensor *loss = scalar_output(tp, in, 1);   // the target gets no gradient
    double total = 0.0;
    for (size_t i = 0; i < p->size; i++) {
        float pi = p->data[i], yi = y->data[i];
        DL_CHECK(pi >= 0.0f && pi <= 1.0f, "bce: prediction %g at index %zu is not a probability "
                 "in [0, 1] (apply sigmoid first)", pi, i);
        double lp = fmax(log((double)pi), -100.0), l1p = fmax(log(1.0 - pi), -100.0);
        total -= yi * lp + (1.0 - yi) * l1p;
    }
    loss->data[0] = (float)(total / (double)p->size);
    tape_record(tp, "bce", bce_backward, loss, in, 2);
    return loss;
}

// L = (1/n) Σ (a - t)²:  da += dL · 2 (a - t) / n
static void mse_backward(Node *n)
{
    Tensor *a = n->in[0], *t = n->in[1];
    float g = 2.0f * n->out->grad[0] / (float)a->size;
    for (size_t i = 0; i < a->size; i++) a->grad[i] += g * (a->data[i] - t->data[i]);
}

Tensor *op_mse(Tape *tp, Tensor *pred, Tensor *target)
{
    require_same_shape("mse", pred, target);
    Tensor *in[] = {pred, target};
    Tensor *loss = scalar_output(tp, in, 1);
    double total = 0.0;
    for (size_t i = 0; i < pred->size; i++) {
        double d = (double)pred->data[i] - target->data[i];
        total += d * d;
    }
    loss->data[0] = (float)(total / (double)pred->size);
    tape_record(tp, "mse", mse_backward, loss, in, 2);
    return loss;
}
