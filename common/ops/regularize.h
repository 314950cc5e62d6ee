/* common/ops/regularize.h — dropout and weight penalties (gradients checked in
 * tests/test_regularize.c, values against PyTorch). */
#ifndef DL_OPS_REGULARIZE_H
#define DL_OPS_REGULARIZE_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/rng.h"

/* Inverted dropout (Srivastava et al., JMLR 2014; "inverted" as in PyTorch): in training,
 * each element is kept with probability 1-p and scaled by 1/(1-p), else 0; the mask is
 * drawn from rng (uniform < p → drop). In evaluation (train=false) or p=0 it is the
 * identity: it returns x itself and draws nothing (rng may then be NULL).
 * Backward: dx += dy·mask/(1-p). Dies unless 0 <= p < 1. */
Tensor *op_dropout(Tape *tp, Tensor *x, float p, Rng *rng, bool train);
/* Σ|x| (L1 penalty; subgradient 0 at 0) and ½Σx² (L2 penalty). Scalars. */
Tensor *op_l1(Tape *tp, Tensor *x);
Tensor *op_l2(Tape *tp, Tensor *x);

#endif
