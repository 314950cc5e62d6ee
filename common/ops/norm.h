/* common/ops/norm.h — batch normalisation (Ioffe & Szegedy, ICML 2015, Algorithm 1), over
 * the features of (B, C) and over the channels of (B, C, H, W). nn/batchnorm.h keeps the
 * running statistics and is what models use. */
#ifndef DL_OPS_NORM_H
#define DL_OPS_NORM_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* Batch normalisation of x (B, C), feature by feature:
 *   y = gamma ⊙ x̂ + beta,  x̂ = (x - mean) / sqrt(var + eps),  gamma, beta (C).
 * train=true:  mean, var (C) are OUTPUTS: the op writes the batch mean and the biased batch
 *              variance (÷B) into them and normalises with those; needs B >= 2.
 * train=false: mean, var (C) are INPUTS (the running statistics); the op is affine in x.
 * Backward, with σ = sqrt(var + eps) and sums over the batch:
 *   train: dx = (1/B)·(γ/σ)·(B·dy − Σdy − x̂·Σ(dy·x̂));  eval: dx = (γ/σ)·dy;
 *   both:  dγ = Σ dy·x̂,  dβ = Σ dy.
 * Dies on a shape mismatch. */
Tensor *op_batchnorm(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                     float eps, bool train);
/* BatchNorm2d: op_batchnorm's math per channel c of x (B, C, H, W), statistics over the
 * B·H·W values of that channel; gamma, beta, mean, var have C entries (same train/eval
 * contract as op_batchnorm; train needs B·H·W >= 2). */
Tensor *op_batchnorm2d(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                       float eps, bool train);
/* ReLU(BatchNorm2d(x)) in one pass over memory instead of two, forward and backward — the
 * first fusion rung of chapter 4's "Making it fast". The same numbers as op_relu(op_batchnorm2d
 * (…)) bit for bit (tests/test_cnn_ops.c checks it), one node, one output tensor. */
Tensor *op_batchnorm2d_relu(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean,
                            float *var, float eps, bool train);

#endif
