/* 02_backprop/exercises/solutions/ex5_mlp_step.c — reference solution of exercise 5. */
#include "exercises.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/loss.h"
#include "optim/optimizer.h"

float ex_mlp_step(Tape *tp, const Linear *l1, const Linear *l2, Params *params, Tensor *x,
                  const int *y, float lr)
{
    params_zero_grad(params);
    Tensor *h = op_relu(tp, linear_forward(tp, l1, x));
    Tensor *logits = linear_forward(tp, l2, h);
    Tensor *loss = op_cross_entropy(tp, logits, y);
    tape_backward(tp, loss);
    sgd_step(params, lr);
    return tensor_item(loss);
}
