/* common/nn/batchnorm.h — batch normalisation layers with PyTorch's semantics
 * (Ioffe & Szegedy, ICML 2015, Algorithms 1 and 2; torch.nn.BatchNorm1d / BatchNorm2d).
 *
 * Train mode normalises with the batch mean and the biased batch variance and updates the
 * running statistics with momentum: running = (1 − momentum)·running + momentum·batch, where
 * running_var takes the UNBIASED batch variance, as torch. Eval mode normalises with the
 * running statistics. gamma and beta are parameters; running_mean and running_var are
 * buffers (nn/params.h), so snapshots and checkpoints keep them.
 * The ops themselves (forward and backward) are in ops/norm.h.
 */
#ifndef DL_NN_BATCHNORM_H
#define DL_NN_BATCHNORM_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "nn/params.h"

typedef struct BatchNorm {
    int C;                             // features (BatchNorm1d) or channels (BatchNorm2d)
    Tensor *gamma, *beta;              // (C) each: scale and shift, learned
    float *running_mean, *running_var; // (C) each: the statistics eval mode uses
    float momentum, eps;
} BatchNorm;

/* gamma=1, beta=0, running mean 0 and var 1, momentum 0.1, eps 1e-5 (PyTorch's defaults).
 * Everything lives in `params`; gamma and beta are added to `list` as parameters and the
 * running statistics as buffers, if list is not NULL. */
void batchnorm_init(BatchNorm *bn, Arena *params, int C, Params *list);

/* BatchNorm1d: y (B, C) = gamma ⊙ (x − mean) / sqrt(var + eps) + beta. Dies if x is not
 * (B, C), or if B < 2 in train mode (one row has no variance). Every train-mode call updates
 * the running statistics, also when the tape is not recording (as torch does under no_grad). */
Tensor *batchnorm_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train);

/* BatchNorm2d: the same per channel of x (B, C, H, W), statistics over the B·H·W values of
 * each channel. */
Tensor *batchnorm2d_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train);
/* ReLU(batchnorm2d_forward(…)) fused into one op (op_batchnorm2d_relu): the same numbers and
 * the same running-statistics update, about half the memory traffic. */
Tensor *batchnorm2d_relu_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train);

#endif
