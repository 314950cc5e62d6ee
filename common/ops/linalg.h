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

#endif
