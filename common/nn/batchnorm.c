/* common/nn/batchnorm.c — see nn/batchnorm.h. */
#include "nn/batchnorm.h"

#include "base/error.h"
#include "ops/norm.h"

void batchnorm_init(BatchNorm *bn, Arena *params, int C, Params *list)
{
    DL_CHECK(C >= 1, "batchnorm_init: the number of features/channels must be >= 1, got %d", C);
    bn->C = C;
    bn->gamma = tensor_param(params, 1, (int[]){C}, "batchnorm.gamma");
    bn->beta = tensor_param(params, 1, (int[]){C}, "batchnorm.beta");
    tensor_fill(bn->gamma, 1.0f);
    bn->running_mean = arena_alloc(params, (size_t)C * sizeof(float));   // zeroed
    bn->running_var = arena_alloc(params, (size_t)C * sizeof(float));
    for (int j = 0; j < C; j++) bn->running_var[j] = 1.0f;
    bn->momentum = 0.1f;
    bn->eps = 1e-5f;
    if (list) {
        params_add(list, bn->gamma);
        params_add(list, bn->beta);
        params_add_buffer(list, "batchnorm.running_mean", bn->running_mean, (size_t)C);
        params_add_buffer(list, "batchnorm.running_var", bn->running_var, (size_t)C);
    }
}

// Running statistics (Algorithm 2 uses the unbiased variance for inference; PyTorch keeps an
// exponential moving average of it): r ← (1 − momentum)·r + momentum·batch, with the batch
// variance times unbias = M/(M − 1) for M values per feature.
static void update_running(BatchNorm *bn, const float *mean, const float *var, float unbias)
{
    const float m = bn->momentum;
    for (int j = 0; j < bn->C; j++) {
        bn->running_mean[j] = (1.0f - m) * bn->running_mean[j] + m * mean[j];
        bn->running_var[j] = (1.0f - m) * bn->running_var[j] + m * var[j] * unbias;
    }
}

Tensor *batchnorm_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train)
{
    int B, C;
    tensor_require_2d(x, "batchnorm", &B, &C);
    DL_CHECK(C == bn->C, "batchnorm: input has %d features per row, the layer expects %d", C,
             bn->C);
    if (!train)
        return op_batchnorm(tp, x, bn->gamma, bn->beta, bn->running_mean, bn->running_var,
                            bn->eps, false);
    float *mean = arena_alloc(tp->arena, 2 * (size_t)C * sizeof(float)), *var = mean + C;
    Tensor *y = op_batchnorm(tp, x, bn->gamma, bn->beta, mean, var, bn->eps, true);
    update_running(bn, mean, var, (float)B / (float)(B - 1));
    return y;
}

static Tensor *batchnorm2d_layer(Tape *tp, BatchNorm *bn, Tensor *x, bool train, bool relu)
{
    char sx[64];
    DL_CHECK(x->ndim == 4 && x->shape[1] == bn->C,
             "batchnorm2d: input %s is not (B, %d, H, W): the layer expects %d channels",
             tensor_shape_str(x, sx, sizeof sx), bn->C, bn->C);
    const int C = bn->C;
    Tensor *(*op)(Tape *, Tensor *, Tensor *, Tensor *, float *, float *, float, bool) =
        relu ? op_batchnorm2d_relu : op_batchnorm2d;
    if (!train)
        return op(tp, x, bn->gamma, bn->beta, bn->running_mean, bn->running_var, bn->eps, false);
    float *mean = arena_alloc(tp->arena, 2 * (size_t)C * sizeof(float)), *var = mean + C;
    Tensor *y = op(tp, x, bn->gamma, bn->beta, mean, var, bn->eps, true);
    const double M = (double)x->size / C;   // B·H·W values per channel
    update_running(bn, mean, var, (float)(M / (M - 1.0)));
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
