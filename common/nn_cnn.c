/* common/nn_cnn.c — the layers of convolutional networks: Conv2d and BatchNorm2d; see the
 * bottom of nn.h. The ops themselves are in ops_cnn.c.
 */
#include "nn.h"

#include <math.h>

#include "error.h"
#include "ops.h"

void conv2d_init(Conv2d *c, Arena *params, int in_ch, int out_ch, int k, int stride, int pad,
                 Init init, Rng *r, Params *list)
{
    DL_CHECK(in_ch >= 1 && out_ch >= 1 && k >= 1, "conv2d_init: sizes must be >= 1, got "
             "in_ch=%d out_ch=%d k=%d", in_ch, out_ch, k);
    DL_CHECK(stride >= 1 && pad >= 0, "conv2d_init: need stride >= 1 and pad >= 0, got "
             "stride=%d pad=%d", stride, pad);
    *c = (Conv2d){.in_ch = in_ch, .out_ch = out_ch, .k = k, .stride = stride, .pad = pad};
    c->w = tensor_param(params, 4, (int[]){out_ch, in_ch, k, k}, "conv2d.w");
    c->b = tensor_param(params, 1, (int[]){out_ch}, "conv2d.b");
    // Each output sums in_ch·k·k inputs (fan_in); each input reaches out_ch·k·k outputs.
    const float fan_in = (float)(in_ch * k * k), fan_out = (float)(out_ch * k * k);
    switch (init) {
    case INIT_ZERO:
        break;
    case INIT_XAVIER_UNIFORM: {
        float a = sqrtf(6.0f / (fan_in + fan_out));
        tensor_fill_uniform(c->w, r, -a, a);
        break;
    }
    case INIT_HE_NORMAL:
        tensor_fill_normal(c->w, r, 0.0f, sqrtf(2.0f / fan_in));
        break;
    case INIT_TORCH_DEFAULT: {
        // nn.Conv2d.reset_parameters: kaiming_uniform_(a=√5) gives the weight
        // U(±gain·sqrt(3/fan_in)) with gain = sqrt(2/(1 + 5)), i.e. U(±1/sqrt(fan_in)); the
        // bias uses the same bound.
        float a = 1.0f / sqrtf(fan_in);
        tensor_fill_uniform(c->w, r, -a, a);
        tensor_fill_uniform(c->b, r, -a, a);
        break;
    }
    }
    if (list) {
        params_add(list, c->w);
        params_add(list, c->b);
    }
}

Tensor *conv2d_forward(Tape *tp, const Conv2d *c, Tensor *x)
{
    char sx[64];
    DL_CHECK(x->ndim == 4 && x->shape[1] == c->in_ch,
             "conv2d: input %s is not (N, %d, H, W): the layer is %d -> %d channels, kernel %dx%d",
             tensor_shape_str(x, sx, sizeof sx), c->in_ch, c->in_ch, c->out_ch, c->k, c->k);
    return op_conv2d(tp, x, c->w, c->b, c->stride, c->pad);
}

static Tensor *batchnorm2d_layer(Tape *tp, BatchNorm *bn, Tensor *x, bool train, bool relu)
{
    char sx[64];
    DL_CHECK(x->ndim == 4 && x->shape[1] == bn->features,
             "batchnorm2d: input %s is not (N, %d, H, W): the layer expects %d channels",
             tensor_shape_str(x, sx, sizeof sx), bn->features, bn->features);
    const int C = bn->features;
    if (!train)
        return (relu ? op_batchnorm2d_relu : op_batchnorm2d)(tp, x, bn->gamma, bn->beta,
                                                             bn->running_mean, bn->running_var,
                                                             bn->eps, false);
    float *mean = arena_alloc(tp->arena, 2 * (size_t)C * sizeof(float)), *var = mean + C;
    Tensor *y = (relu ? op_batchnorm2d_relu : op_batchnorm2d)(tp, x, bn->gamma, bn->beta, mean,
                                                              var, bn->eps, true);
    // As batchnorm_forward: r ← (1 − momentum)·r + momentum·batch, the variance unbiased over
    // the M = N·H·W values of each channel (torch's BatchNorm2d).
    const double M = (double)x->size / C;
    const float m = bn->momentum, unbias = (float)(M / (M - 1.0));
    for (int j = 0; j < C; j++) {
        bn->running_mean[j] = (1.0f - m) * bn->running_mean[j] + m * mean[j];
        bn->running_var[j] = (1.0f - m) * bn->running_var[j] + m * var[j] * unbias;
    }
    return y;
}

Tensor *batchnorm2d_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train)
{
    return batchnorm2d_layer(tp, bn, x, train, false);
}

Tensor *batchnorm2d_relu_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train)
{
    return batchnorm2d_layer(tp, bn, x, train, true);
}
