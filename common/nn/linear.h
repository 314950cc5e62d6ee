/* common/nn/linear.h — the fully connected layer, y = x·w + b (lecture 2).
 *
 * Linear stores its weight as w (C_in, C_out) so that the forward pass is one matmul,
 * y (B, C_out) = x (B, C_in) · w + b. (PyTorch stores the transpose, (out, in); the fixture
 * scripts in scripts/ transpose when they write reference values.)
 * Parameter count: C_in·C_out + C_out.
 */
#ifndef DL_NN_LINEAR_H
#define DL_NN_LINEAR_H

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "nn/init.h"
#include "nn/params.h"

typedef struct Linear {
    int in, out;        // C_in, C_out
    Tensor *w;          // (C_in, C_out)
    Tensor *b;          // (C_out)
} Linear;

/* Allocate w and b in `params` (usually the params arena), initialise them with `init`
 * (fan_in = in, fan_out = out; biases are zero except for INIT_TORCH_DEFAULT), and add both
 * to `list` if not NULL. Dies unless in, out >= 1. */
void linear_init(Linear *l, Arena *params, int in, int out, Init init, Rng *r, Params *list);

/* y (B, out) = x (B, in) · w + b. Dies if x is not (B, in). */
Tensor *linear_forward(Tape *tp, const Linear *l, Tensor *x);

#endif
