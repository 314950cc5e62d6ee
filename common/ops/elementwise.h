/* common/ops/elementwise.h — element-wise arithmetic on tensors of the same shape.
 *
 * Every op in common/ops/ checks shapes (dying with a message that names the op and both
 * shapes), writes its output in the tape's step arena and records a Node whose backward ADDS
 * the input gradients (autograd/tape.h). Derivatives are checked by finite differences in
 * tests/test_autograd.c and against PyTorch in tests/fixtures/ops_torch.txt.
 *   y = a + b:  da += dy, db += dy       y = a - b:  da += dy, db -= dy
 *   y = a ⊙ b:  da += dy ⊙ b, db += dy ⊙ a (Hadamard)      y = s·a:  da += s·dy
 */
#ifndef DL_OPS_ELEMENTWISE_H
#define DL_OPS_ELEMENTWISE_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

Tensor *op_add(Tape *tp, Tensor *a, Tensor *b);          // a + b
Tensor *op_sub(Tape *tp, Tensor *a, Tensor *b);          // a - b
Tensor *op_mul(Tape *tp, Tensor *a, Tensor *b);          // a ⊙ b (Hadamard)
Tensor *op_scale(Tape *tp, Tensor *a, float s);          // s·a

#endif
