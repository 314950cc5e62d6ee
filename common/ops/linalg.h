/* common/ops/linalg.h — matrix multiply and bias, the ops of a Linear layer (lecture 2). */
#ifndef DL_OPS_LINALG_H
#define DL_OPS_LINALG_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* a (M, K) · b (K, N) → (M, N) with the selected GEMM rung (kernels/gemm.h).
 * Backward: da += dy·bᵀ, db += aᵀ·dy. Dies unless both are 2-D with matching inner sizes. */
Tensor *op_matmul(Tape *tp, Tensor *a, Tensor *b);
/* x (B, C) + b (C) broadcast over the rows. Backward: dx += dy, db += Σ_rows dy. */
Tensor *op_bias_add(Tape *tp, Tensor *x, Tensor *b);
/* x (N, K) · w (K, M) + b (M) as ONE op: the rows of y start as b and the GEMM accumulates
 * into them, so there is no separate bias pass forward and no copy of dy backward (dx += dy·wᵀ,
 * dw += xᵀ·dy, db += Σ_rows dy, the column sums shared among threads by columns). The values
 * may differ from op_bias_add(op_matmul(…)) by rounding (b meets the products' partial sums
 * inside the GEMM); chapters 1–4 keep that pair, a big head (chapter 5's 10k-word
 * softmax) uses this. Dies unless the shapes fit. */
Tensor *op_linear(Tape *tp, Tensor *x, Tensor *w, Tensor *b);

#endif
