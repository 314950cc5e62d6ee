/* 02_backprop/exercises/ex5_mlp_step.c — exercise 5: one training step of an MLP with the tape.
 * Read: 02_backprop/README.md, "Code tour" (the training step: forward, loss, backward, SGD).
 * Graded by: make grade.
 */
#include "exercises.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "nn/linear.h"
#include "nn/params.h"

float ex_mlp_step(Tape *tp, const Linear *l1, const Linear *l2, Params *params, Tensor *x,
                  const int *y, float lr)
{
    // TODO: 1. zero the gradients of params (they accumulate: backward adds);
    // 2. forward on tp: h = relu(linear_forward(l1, x)), logits = linear_forward(l2, h);
    // 3. loss = op_cross_entropy(logits, y); 4. tape_backward(tp, loss);
    // 5. sgd_step(params, lr); 6. return the loss's value (tensor_item).
    EX_TODO(tp, l1, l2, params, x, y, lr);
}
