/* common/ops/activation.c — ReLU, leaky ReLU, sigmoid, tanh, GELU, softmax, log-softmax;
 * see ops/activation.h. */
#include "ops/activation.h"

#include <math.h>

#include "ops/internal.h"

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

// ---- softmax family (rows of a (B, C) tensor) ----

// Row-wise log-softmax: out[j] = x[j] - m - log Σ_k exp(x[k] - m), m = max_k x[k].
// Subtracting the max keeps every exp() in (0, 1]: no overflow for any logits.

// y = softmax(x) per row:  dx_j += y_j (dy_j - Σ_k dy_k y_k)
static void softmax_backward(Node *n)
{
    int B = n->out->shape[0], C = n->out->shape[1];
    for (int i = 0; i < B; i++) {
        const float *y = n->out->data + (size_t)i * C, *dy = n->out->grad + (size_t)i * C;
        float *dx = n->in[0]->grad + (size_t)i * C;
        double dot = 0.0;
        for (int j = 0; j < C; j++) dot += (double)dy[j] * y[j];
        for (int j = 0; j < C; j++) dx[j] += y[j] * (dy[j] - (float)dot);
    }
}

Tensor *op_softmax(Tape *tp, Tensor *a)
{
    int B, C;
    tensor_require_2d(a, "softmax", &B, &C);
    Tensor *y = output_like(tp, a, &a, 1);
    for (int i = 0; i < B; i++) {
        float *row = y->data + (size_t)i * C;
        log_softmax_row(a->data + (size_t)i * C, row, C);
        for (int j = 0; j < C; j++) row[j] = expf(row[j]);
    }
    tape_record(tp, "softmax", softmax_backward, y, &a, 1);
    return y;
}

// y = log_softmax(x) per row:  dx_j += dy_j - softmax(x)_j · Σ_k dy_k
static void log_softmax_backward(Node *n)
{
    int B = n->out->shape[0], C = n->out->shape[1];
    for (int i = 0; i < B; i++) {
        const float *y = n->out->data + (size_t)i * C, *dy = n->out->grad + (size_t)i * C;
        float *dx = n->in[0]->grad + (size_t)i * C;
        double s = 0.0;
        for (int j = 0; j < C; j++) s += dy[j];
        for (int j = 0; j < C; j++) dx[j] += dy[j] - expf(y[j]) * (float)s;
    }
}

Tensor *op_log_softmax(Tape *tp, Tensor *a)
{
    int B, C;
    tensor_require_2d(a, "log_softmax", &B, &C);
    Tensor *y = output_like(tp, a, &a, 1);
    for (int i = 0; i < B; i++) log_softmax_row(a->data + (size_t)i * C, y->data + (size_t)i * C, C);
    tape_record(tp, "log_softmax", log_softmax_backward, y, &a, 1);
    return y;
}
