/* common/ops.h — differentiable operations.
 *
 * Each op checks shapes (dying with a message that names the op and both shapes), computes
 * its output in the tape's step arena, and records a Node whose backward adds the
 * input gradients. Conventions: batches are rows, so a 2-D activation is (B, K).
 * Reductions (sum, mean, losses) return a scalar (0-d) tensor.
 * The derivative of every op is written next to its backward, and checked by finite
 * differences in tests/test_autograd.c.
 */
#ifndef DL_OPS_H
#define DL_OPS_H

#include "autograd.h"
#include "tensor.h"

// ---- element-wise, same shapes ----
Tensor *op_add(Tape *tp, Tensor *a, Tensor *b);          // a + b
Tensor *op_sub(Tape *tp, Tensor *a, Tensor *b);          // a - b
Tensor *op_mul(Tape *tp, Tensor *a, Tensor *b);          // a ⊙ b (Hadamard)
Tensor *op_scale(Tape *tp, Tensor *a, float s);          // s·a

// ---- linear algebra ----
/* (M, K) · (K, N) → (M, N) with the selected GEMM rung (kernels/gemm.h).
 * Backward: dA += dC·Bᵀ, dB += Aᵀ·dC. */
Tensor *op_matmul(Tape *tp, Tensor *a, Tensor *b);
/* x (B, K) + b (K) broadcast over rows. Backward: db += Σ_rows dy. */
Tensor *op_bias_add(Tape *tp, Tensor *x, Tensor *b);

// ---- reductions to a scalar ----
Tensor *op_sum(Tape *tp, Tensor *a);
Tensor *op_mean(Tape *tp, Tensor *a);

// ---- activations (element-wise) ----
Tensor *op_relu(Tape *tp, Tensor *a);                    // max(0, x)
Tensor *op_leaky_relu(Tape *tp, Tensor *a, float slope); // x > 0 ? x : slope·x (Maas et al., 2013)
Tensor *op_sigmoid(Tape *tp, Tensor *a);                 // 1 / (1 + e^-x)
Tensor *op_tanh(Tape *tp, Tensor *a);
/* GELU, exact form x·Φ(x) with Φ the standard normal CDF (Hendrycks & Gimpel,
 * arXiv:1606.08415; PyTorch's default approximate='none'). */
Tensor *op_gelu(Tape *tp, Tensor *a);

// ---- row-wise over the last dimension of a (B, K) tensor ----
Tensor *op_softmax(Tape *tp, Tensor *a);                 // exp(x_i - max) / Σ exp(x_j - max)
Tensor *op_log_softmax(Tape *tp, Tensor *a);             // x_i - max - log Σ exp(x_j - max)

// ---- losses (mean over the batch; return a scalar) ----
/* Cross-entropy from logits (B, V) and integer targets (B) in [0, V): the mean of
 * logsumexp(z) - z_target, computed stably. Backward: (softmax(z) - onehot) / B.
 * `targets` must stay valid until backward. Dies on a target out of range. */
Tensor *op_cross_entropy(Tape *tp, Tensor *logits, const int *targets);
/* Binary cross-entropy of probabilities p and targets y in [0, 1] (same shape):
 * mean of -(y·log p + (1-y)·log(1-p)), each log clamped to >= -100 as in PyTorch's
 * BCELoss. */
Tensor *op_bce(Tape *tp, Tensor *p, Tensor *y);
/* Mean squared error: mean of (pred - target)^2; target gets no gradient. */
Tensor *op_mse(Tape *tp, Tensor *pred, Tensor *target);

#endif
