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

/* Concatenation along the last dimension: xs[0 … n) of shapes (B, C_0) … (B, C_{n-1}) →
 * (B, C_0 + … + C_{n-1}) (torch.cat(xs, dim=-1)); 1-D inputs (C_i) give (Σ C_i). One node with
 * n inputs (an LSTM joins x_t and h_{t-1} this way). Backward: each dx_i += its block of dy's
 * columns. Dies when n < 1 or the inputs differ in anything but the last dimension. */
Tensor *op_concat(Tape *tp, Tensor *const *xs, int n);

/* Step t of a sequence: x (B, T, C) → y (B, C) = x[:, t, :] (torch: x[:, t]), a copy. A
 * forecaster reads the last step (t = T - 1) of a recurrent layer's outputs this way and puts a
 * Linear head on it. Backward: dx[:, t, :] += dy, every other step gets nothing. Dies unless x
 * is 3-D and 0 <= t < T. */
Tensor *op_time_step(Tape *tp, Tensor *x, int t);

/* The last two dimensions swapped: x (B, M, N) → y (B, N, M), y[b][j][i] = x[b][i][j] (torch:
 * x.transpose(1, 2).contiguous()), a copy. A text CNN turns its embedded words (B, T, D) into
 * D channels over time (B, D, T) this way, the layout in which a (1, k) convolution over the
 * D channels runs fast (ops/conv.h). Backward: dx[b][i][j] += dy[b][j][i]. Dies unless x is
 * 3-D. */
Tensor *op_transpose(Tape *tp, Tensor *x);

#endif
