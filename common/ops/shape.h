/* common/ops/shape.h — ops that change how values are arranged, not the values. */
#ifndef DL_OPS_SHAPE_H
#define DL_OPS_SHAPE_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* A view of x with another shape of the same size (no copy: data and grad are shared, so the
 * view's consumers add straight into x->grad). No tape node is recorded; the view gets a grad
 * only when the tape is recording and x requires grad (as tape_output). Dies on a size mismatch.
 * op_flatten: (B, d1, …) → (B, d1·…), the step between the conv blocks and the classifier. */
Tensor *op_reshape(Tape *tp, Tensor *x, int ndim, const int *shape);
Tensor *op_flatten(Tape *tp, Tensor *x);

#endif
