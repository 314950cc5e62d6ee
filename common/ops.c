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

// ---- regularisation ----

// Inverted dropout: y = x ⊙ m with m_i = 0 (probability p) or 1/(1-p) (probability 1-p), so
// that E[y_i] = x_i and nothing needs rescaling at inference (Srivastava et al., JMLR 2014,
// §10 describes the equivalent "scale the weights by 1-p at test time").
//   dx += dy ⊙ m     (m is saved by forward: the same mask for forward and backward)
static void dropout_backward(Node *n)
{
    const float *dy = n->out->grad, *m = n->saved;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->out->size; i++) dx[i] += dy[i] * m[i];
}

Tensor *op_dropout(Tape *tp, Tensor *x, float p, Rng *rng, bool train)
{
    DL_CHECK(p >= 0.0f && p < 1.0f, "dropout: drop probability p = %g is outside [0, 1) "
             "(p is the fraction DROPPED; p = 1 would drop everything)", p);
    if (!train || p == 0.0f) return x;   // the identity: no node, no random numbers drawn
    DL_CHECK(rng, "dropout: train mode with p = %g needs an Rng for the mask (got NULL)", p);
    Tensor *y = output_like(tp, x, &x, 1);
    float *m = arena_alloc_uninit(tp->arena, x->size * sizeof(float));   // (size): 0 or 1/(1-p)
    const float keep_scale = 1.0f / (1.0f - p);
    rng_fill_uniform(rng, m, x->size);   // the uniforms first, in order; then one vector pass
    for (size_t i = 0; i < x->size; i++) {
        m[i] = m[i] < p ? 0.0f : keep_scale;
        y->data[i] = x->data[i] * m[i];
    }
    Node *n = tape_record(tp, "dropout", dropout_backward, y, &x, 1);
    if (n) n->saved = m;
    return y;
}

// L = Σ|x_i|:  dx_i += dL · sign(x_i), with sign(0) = 0 (the subgradient PyTorch's abs uses)
static void l1_backward(Node *n)
{
    float g = n->out->grad[0];
    const float *x = n->in[0]->data;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->size; i++)
        dx[i] += x[i] > 0.0f ? g : x[i] < 0.0f ? -g : 0.0f;
}

Tensor *op_l1(Tape *tp, Tensor *x)
{
    Tensor *y = scalar_output(tp, &x, 1);
    double s = 0.0;
    for (size_t i = 0; i < x->size; i++) s += fabs((double)x->data[i]);
    y->data[0] = (float)s;
    tape_record(tp, "l1", l1_backward, y, &x, 1);
    return y;
}

// L = ½ Σ x_i²:  dx_i += dL · x_i   (so λ·L adds λ·θ to the gradient: "weight decay")
static void l2_backward(Node *n)
{
    float g = n->out->grad[0];
    const float *x = n->in[0]->data;
    float *dx = n->in[0]->grad;
    for (size_t i = 0; i < n->in[0]->size; i++) dx[i] += g * x[i];
}

Tensor *op_l2(Tape *tp, Tensor *x)
{
    Tensor *y = scalar_output(tp, &x, 1);
    double s = 0.0;
    for (size_t i = 0; i < x->size; i++) s += (double)x->data[i] * x->data[i];
    y->data[0] = (float)(0.5 * s);
    tape_record(tp, "l2", l2_backward, y, &x, 1);
    return y;
}

// ---- batch normalisation ----

typedef struct BatchNormSaved {
    float *xhat;        // (B, K): (x - mean) / σ
    float *inv_std;     // (K): 1/σ = 1/sqrt(var + eps)
    double *sum_dy;     // (K) scratch for backward: Σ_i dy[i, j]
    double *sum_dy_xhat;// (K) scratch for backward: Σ_i dy[i, j]·x̂[i, j]
    bool train;
} BatchNormSaved;

// Derivation (Ioffe & Szegedy 2015, §3, the chain rule through Algorithm 1, simplified):
// per feature, with x̂_i = (x_i - μ)/σ, σ = sqrt(v + eps), y_i = γ x̂_i + β, and g_i = dy_i:
//   dβ = Σ_i g_i,   dγ = Σ_i g_i x̂_i,   dx̂_i = γ g_i.
// Train mode: μ and v depend on every x_i (∂μ/∂x_i = 1/B, ∂v/∂x_i = 2(x_i - μ)/B), so
//   dv = Σ_k dx̂_k (x_k - μ) · (-½) σ⁻³,   dμ = -Σ_k dx̂_k / σ   (the dv term has Σ(x_k - μ) = 0)
//   dx_i = dx̂_i/σ + dv · 2(x_i - μ)/B + dμ/B
//        = (γ / (B σ)) · (B g_i - Σ_k g_k - x̂_i Σ_k g_k x̂_k),
// one pass for the two sums and one for dx, instead of the five of the staged graph.
// Eval mode: μ and v are constants, so dx_i = γ g_i / σ.
static void batchnorm_backward(Node *n)
{
    Tensor *x = n->in[0], *gamma = n->in[1], *beta = n->in[2];
    const BatchNormSaved *s = n->saved;
    int B = x->shape[0], K = x->shape[1];
    const float *dy = n->out->grad;
    double *sdy = s->sum_dy, *sdyx = s->sum_dy_xhat;
    for (int j = 0; j < K; j++) sdy[j] = sdyx[j] = 0.0;
    // Rows outer, features inner: both passes stream through (B, K) in memory order.
    for (int i = 0; i < B; i++)
        for (int j = 0; j < K; j++) {
            size_t ij = (size_t)i * K + j;
            sdy[j] += dy[ij];
            sdyx[j] += (double)dy[ij] * s->xhat[ij];
        }
    if (beta->grad)
        for (int j = 0; j < K; j++) beta->grad[j] += (float)sdy[j];
    if (gamma->grad)
        for (int j = 0; j < K; j++) gamma->grad[j] += (float)sdyx[j];
    if (!x->grad) return;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < K; j++) {
            size_t ij = (size_t)i * K + j;
            float c = gamma->data[j] * s->inv_std[j];
            if (s->train)
                x->grad[ij] +=
                    c * (float)(((double)B * dy[ij] - sdy[j] - s->xhat[ij] * sdyx[j]) / B);
            else
                x->grad[ij] += c * dy[ij];
        }
}

Tensor *op_batchnorm(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                     float eps, bool train)
{
    int B, K;
    tensor_require_2d(x, "batchnorm (input)", &B, &K);
    char sx[64], sg[64], sb[64];
    DL_CHECK(gamma->ndim == 1 && gamma->shape[0] == K && beta->ndim == 1 && beta->shape[0] == K,
             "batchnorm: gamma %s and beta %s must both be (K) for input %s (B, K)",
             tensor_shape_str(gamma, sg, sizeof sg), tensor_shape_str(beta, sb, sizeof sb),
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(!train || B >= 2, "batchnorm: train mode needs a batch of at least 2 rows to "
             "estimate a variance, got input %s (use a larger batch, or eval mode)",
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(eps > 0.0f, "batchnorm: eps = %g must be > 0 (it keeps 1/sqrt(var + eps) finite)",
             eps);
    DL_CHECK(mean && var, "batchnorm: mean and var must point to K = %d floats each (got NULL)", K);
    if (train) {
        // Two passes in double: the mean, then the mean squared deviation. (The one-pass
        // E[x²] - E[x]² cancels catastrophically when |mean| >> std.)
        double *mu = arena_alloc(tp->arena, 2 * (size_t)K * sizeof(double)), *v = mu + K;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < K; j++) mu[j] += x->data[(size_t)i * K + j];
        for (int j = 0; j < K; j++) mu[j] /= B;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < K; j++) {
                double d = x->data[(size_t)i * K + j] - mu[j];
                v[j] += d * d;
            }
        for (int j = 0; j < K; j++) {
            mean[j] = (float)mu[j];
            var[j] = (float)(v[j] / B);
        }
    } else {
        for (int j = 0; j < K; j++)
            DL_CHECK(var[j] >= 0.0f, "batchnorm: running variance %g of feature %d is negative "
                     "or NaN (the statistics are corrupt: did training diverge?)", var[j], j);
    }
    Tensor *in[] = {x, gamma, beta};
    Tensor *y = output_like(tp, x, in, 3);
    BatchNormSaved *s = arena_alloc(tp->arena, sizeof *s);
    s->xhat = arena_alloc(tp->arena, x->size * sizeof(float));
    s->inv_std = arena_alloc(tp->arena, (size_t)K * sizeof(float));
    s->train = train;
    for (int j = 0; j < K; j++) s->inv_std[j] = (float)(1.0 / sqrt((double)var[j] + eps));
    for (int i = 0; i < B; i++)
        for (int j = 0; j < K; j++) {
            size_t ij = (size_t)i * K + j;
            s->xhat[ij] = (x->data[ij] - mean[j]) * s->inv_std[j];
            y->data[ij] = gamma->data[j] * s->xhat[ij] + beta->data[j];
        }
    Node *n = tape_record(tp, "batchnorm", batchnorm_backward, y, in, 3);
    if (n) {
        s->sum_dy = arena_alloc(tp->arena, 2 * (size_t)K * sizeof(double));
        s->sum_dy_xhat = s->sum_dy + K;
        n->saved = s;
    }
    return y;
}
