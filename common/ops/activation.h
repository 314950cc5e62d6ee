/* common/ops/activation.h — activation functions (element-wise) and the softmax family
 * (row-wise over the last dimension of a (B, C) tensor). Each derivative is written next to
 * its backward in activation.c; chapter 1 plots them against their closed forms. */
#ifndef DL_OPS_ACTIVATION_H
#define DL_OPS_ACTIVATION_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

// ---- element-wise ----
Tensor *op_relu(Tape *tp, Tensor *a);                    // max(0, x)
Tensor *op_leaky_relu(Tape *tp, Tensor *a, float slope); // x > 0 ? x : slope·x (Maas et al., 2013)
Tensor *op_sigmoid(Tape *tp, Tensor *a);                 // 1 / (1 + e^-x)
Tensor *op_tanh(Tape *tp, Tensor *a);
/* GELU, exact form x·Φ(x) with Φ the standard normal CDF (Hendrycks & Gimpel,
 * arXiv:1606.08415; PyTorch's default approximate='none'). */
Tensor *op_gelu(Tape *tp, Tensor *a);

// ---- row-wise over the last dimension of a (B, C) tensor ----
Tensor *op_softmax(Tape *tp, Tensor *a);                 // exp(x_i - max) / Σ exp(x_j - max)
Tensor *op_log_softmax(Tape *tp, Tensor *a);             // x_i - max - log Σ exp(x_j - max)

#endif
