/* common/nn/conv2d.c — see nn/conv2d.h. The op itself is in ops/conv.c. */
#include "nn/conv2d.h"

#include "base/error.h"
#include "ops/conv.h"

void conv2d_init(Conv2d *c, Arena *params, int C_in, int C_out, int k, int stride, int pad,
                 Init init, Rng *r, Params *list)
{
    DL_CHECK(C_in >= 1 && C_out >= 1 && k >= 1, "conv2d_init: sizes must be >= 1, got "
             "C_in=%d C_out=%d kernel %dx%d", C_in, C_out, k, k);
    DL_CHECK(stride >= 1 && pad >= 0, "conv2d_init: need stride >= 1 and pad >= 0, got "
             "stride=%d pad=%d", stride, pad);
    *c = (Conv2d){.C_in = C_in, .C_out = C_out, .KH = k, .KW = k, .stride = stride, .pad = pad};
    c->w = tensor_param(params, 4, (int[]){C_out, C_in, k, k}, "conv2d.w");
    c->b = tensor_param(params, 1, (int[]){C_out}, "conv2d.b");
    // Each output sums C_in·KH·KW inputs (fan_in); each input reaches C_out·KH·KW outputs.
    init_weights(c->w, c->b, init, C_in * k * k, C_out * k * k, r);
    if (list) {
        params_add(list, c->w);
        params_add(list, c->b);
    }
}

Tensor *conv2d_forward(Tape *tp, const Conv2d *c, Tensor *x)
{
    char sx[64];
    DL_CHECK(x->ndim == 4 && x->shape[1] == c->C_in,
             "conv2d: input %s is not (B, %d, H, W): the layer is %d -> %d channels, kernel %dx%d",
             tensor_shape_str(x, sx, sizeof sx), c->C_in, c->C_in, c->C_out, c->KH, c->KW);
    return op_conv2d(tp, x, c->w, c->b, c->stride, c->pad);
}
