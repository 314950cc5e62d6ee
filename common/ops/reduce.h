/* common/ops/reduce.h — reductions of a whole tensor to a scalar (0-d) tensor.
 *   y = Σ a:  da += dy          y = mean a = Σ a / size:  da += dy / size
 */
#ifndef DL_OPS_REDUCE_H
#define DL_OPS_REDUCE_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

Tensor *op_sum(Tape *tp, Tensor *a);
Tensor *op_mean(Tape *tp, Tensor *a);

#endif
