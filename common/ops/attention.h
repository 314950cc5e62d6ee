/* common/ops/attention.h — attention and layer normalisation as autograd ops (lecture 7).
 *
 * op_attention:  multi-head scaled dot-product attention on a fused qkv (kernels/attention.h
 *                for the math, the layout and the rungs): qkv (B, T, 3C) → (B, T, C).
 * op_layernorm:  y = (x − μ) / √(σ² + eps) · γ + β over the last dimension, μ and σ² (biased)
 *                of each row (Ba, Kiros & Hinton 2016; torch.nn.LayerNorm).
 * Both are checked against PyTorch (tests/test_attention.c, scripts/gen_fixtures_attn.py) and
 * by finite differences.
 */
#ifndef DL_OPS_ATTENTION_H
#define DL_OPS_ATTENTION_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* qkv (B, T, 3C) with C divisible by NH → out (B, T, C), causal or not, with the rung
 * selected in ATTN_LADDER. Dies with a message naming the shapes when qkv is not 3-D, its last
 * dimension is not a multiple of 3, or NH does not divide C. */
Tensor *op_attention(Tape *tp, Tensor *qkv, int NH, bool causal);

/* x (…, C) → (…, C) normalised per row; gamma (C), beta (C) or NULL (nanoGPT's bias=False).
 * eps 1e-5 as torch. Dies when gamma/beta are not (C). */
Tensor *op_layernorm(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float eps);

#endif
