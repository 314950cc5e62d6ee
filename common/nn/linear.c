/* common/nn/linear.c — see nn/linear.h. */
#include "nn/linear.h"

#include "base/error.h"
#include "ops/linalg.h"

void linear_init(Linear *l, Arena *params, int in, int out, Init init, Rng *r, Params *list)
{
    DL_CHECK(in >= 1 && out >= 1, "linear_init: sizes must be >= 1, got in=%d out=%d", in, out);
    l->in = in;
    l->out = out;
    l->w = tensor_param(params, 2, (int[]){in, out}, "linear.w");
    l->b = tensor_param(params, 1, (int[]){out}, "linear.b");
    init_weights(l->w, l->b, init, in, out, r);
    if (list) {
        params_add(list, l->w);
        params_add(list, l->b);
    }
}

Tensor *linear_forward(Tape *tp, const Linear *l, Tensor *x)
{
    int B, in;
    tensor_require_2d(x, "linear", &B, &in);
    DL_CHECK(in == l->in, "linear: input has %d features per row, the layer expects %d "
             "(layer is %d -> %d)", in, l->in, l->in, l->out);
    return op_bias_add(tp, op_matmul(tp, x, l->w), l->b);
}
