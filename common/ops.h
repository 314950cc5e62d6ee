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

// ---- regularisation (gradients checked in tests/test_regularize.c) ----
/* Inverted dropout (Srivastava et al., JMLR 2014; "inverted" as in PyTorch): in training,
 * each element is kept with probability 1-p and scaled by 1/(1-p), else 0; the mask is
 * drawn from rng (uniform < p → drop). In evaluation (train=false) or p=0 it is the
 * identity: it returns x itself and draws nothing (rng may then be NULL).
 * Backward: dx += dy·mask/(1-p). Dies unless 0 <= p < 1. */
Tensor *op_dropout(Tape *tp, Tensor *x, float p, Rng *rng, bool train);
/* Σ|x| (L1 penalty; subgradient 0 at 0) and ½Σx² (L2 penalty). Scalars. */
Tensor *op_l1(Tape *tp, Tensor *x);
Tensor *op_l2(Tape *tp, Tensor *x);

/* Batch normalisation of x (B, K), feature by feature (Ioffe & Szegedy, ICML 2015, Alg. 1):
 *   y = gamma ⊙ x̂ + beta,  x̂ = (x - mean) / sqrt(var + eps),  gamma, beta (K).
 * train=true:  mean, var (K) are OUTPUTS: the op writes the batch mean and the biased batch
 *              variance (÷B) into them and normalises with those; needs B >= 2.
 * train=false: mean, var (K) are INPUTS (the running statistics); the op is affine in x.
 * Backward, with σ = sqrt(var + eps) and sums over the batch:
 *   train: dx = (1/B)·(γ/σ)·(B·dy − Σdy − x̂·Σ(dy·x̂));  eval: dx = (γ/σ)·dy;
 *   both:  dγ = Σ dy·x̂,  dβ = Σ dy.
 * Dies on a shape mismatch. nn.h's BatchNorm layer keeps the running statistics. */
Tensor *op_batchnorm(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                     float eps, bool train);

// ---- convolutional networks, layout NCHW (common/ops_cnn.c; checked in tests/test_cnn_ops.c) ----
/* 2-D convolution: x (N, C_in, H, W), w (C_out, C_in, KH, KW), b (C_out) or NULL →
 * y (N, C_out, H_out, W_out), H_out = ⌊(H + 2·pad − KH)/stride⌋ + 1 (kernels/conv.h has the
 * formulas). Runs the selected rung of the conv ladder (conv_select) with a workspace from
 * the step arena (the rung used by forward also runs backward). Dies with a message naming the
 * problem on a channel mismatch, a bias that is not (C_out), a zero or negative stride,
 * negative padding, or a kernel larger than the padded input. */
Tensor *op_conv2d(Tape *tp, Tensor *x, Tensor *w, Tensor *b, int stride, int pad);
/* Max pooling over k×k windows with the given stride (no padding): x (N, C, H, W) →
 * (N, C, H_out, W_out), H_out = ⌊(H − k)/stride⌋ + 1. The arg-max of every window is kept
 * for backward, which routes dy to that one input (the first maximum in scan order on ties,
 * and a NaN counts as the maximum, as PyTorch). Dies when k < 1, stride < 1 or k > H or k > W. */
Tensor *op_maxpool2d(Tape *tp, Tensor *x, int k, int stride);
/* Average pooling over k×k windows (no padding); backward spreads dy/(k·k) over the window. */
Tensor *op_avgpool2d(Tape *tp, Tensor *x, int k, int stride);
/* Global average pooling: x (N, C, H, W) → (N, C), the mean of each feature map
 * (Lin, Chen & Yan, "Network In Network", 2014). */
Tensor *op_global_avgpool(Tape *tp, Tensor *x);
/* BatchNorm2d: op_batchnorm's math per channel c of x (N, C, H, W), statistics over the
 * N·H·W values of that channel; gamma, beta, mean, var have C entries (same train/eval
 * contract as op_batchnorm; train needs N·H·W >= 2). */
Tensor *op_batchnorm2d(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                       float eps, bool train);
/* ReLU(BatchNorm2d(x)) in one pass over memory instead of two, forward and backward — the
 * first fusion rung of chapter 4's "Making it fast". The same numbers as op_relu(op_batchnorm2d
 * (…)) bit for bit (tests/test_cnn_ops.c checks it), one node, one output tensor. */
Tensor *op_batchnorm2d_relu(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean,
                            float *var, float eps, bool train);
/* A view of x with another shape of the same size (no copy: data and grad are shared, so the
 * view's consumers add straight into x->grad). No tape node is recorded; the view gets a grad
 * only when the tape is recording and x requires grad (as tape_output). Dies on a size mismatch.
 * op_flatten: (N, d1, …) → (N, d1·…), the step between the conv blocks and the classifier. */
Tensor *op_reshape(Tape *tp, Tensor *x, int ndim, const int *shape);
Tensor *op_flatten(Tape *tp, Tensor *x);
/* Class-weighted cross-entropy from logits (B, V), as torch's CrossEntropyLoss(weight=…):
 * Σ_i w[y_i]·(logsumexp(z_i) − z_i[y_i]) / Σ_i w[y_i]. class_weight (V) must stay valid
 * until backward; dies on a target out of range or a non-positive total weight. */
Tensor *op_cross_entropy_weighted(Tape *tp, Tensor *logits, const int *targets,
                                  const float *class_weight);

#endif
