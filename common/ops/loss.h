/* common/ops/loss.h — losses: the mean over the batch, returned as a scalar (0-d) tensor, in
 * nats. Targets are the caller's memory and must stay valid until backward. */
#ifndef DL_OPS_LOSS_H
#define DL_OPS_LOSS_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* Cross-entropy from logits (B, V) and integer targets (B) in [0, V): the mean of
 * logsumexp(z) - z_target, computed stably. Backward: (softmax(z) - onehot) / B.
 * Dies on a target out of range. */
Tensor *op_cross_entropy(Tape *tp, Tensor *logits, const int *targets);
/* The same loss for a big vocabulary (a language model's (B·T, 10000) logits): float32 with the
 * vectorized exp of kernels/fastmath.h, rows shared among threads (the same bits for any thread
 * count). Agrees with op_cross_entropy to ~1e-6 relative; chapters 1–4 keep op_cross_entropy
 * (their reference numbers), chapter 5's training loss uses this. */
Tensor *op_cross_entropy_fast(Tape *tp, Tensor *logits, const int *targets);
/* Class-weighted cross-entropy from logits (B, V), as torch's CrossEntropyLoss(weight=…):
 * Σ_i w[y_i]·(logsumexp(z_i) − z_i[y_i]) / Σ_i w[y_i]. class_weight (V) must stay valid
 * until backward; dies on a target out of range or a non-positive total weight. */
Tensor *op_cross_entropy_weighted(Tape *tp, Tensor *logits, const int *targets,
                                  const float *class_weight);
/* Binary cross-entropy of probabilities p and targets y in [0, 1] (same shape):
 * mean of -(y·log p + (1-y)·log(1-p)), each log clamped to >= -100 as in PyTorch's
 * BCELoss. */
Tensor *op_bce(Tape *tp, Tensor *p, Tensor *y);
/* Mean squared error: mean of (pred - target)^2; target gets no gradient. */
Tensor *op_mse(Tape *tp, Tensor *pred, Tensor *target);

#endif
