/* common/nn.c — layers; see nn.h. */
#include "nn.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "ops.h"

void linear_init(Linear *l, Arena *params, int in, int out, Init init, Rng *r, Params *list)
{
    DL_CHECK(in >= 1 && out >= 1, "linear_init: sizes must be >= 1, got in=%d out=%d", in, out);
    l->in = in;
    l->out = out;
    l->w = tensor_param(params, 2, (int[]){in, out}, "linear.w");
    l->b = tensor_param(params, 1, (int[]){out}, "linear.b");
    switch (init) {
    case INIT_ZERO:
        break;
    case INIT_XAVIER_UNIFORM: {
        float a = sqrtf(6.0f / (float)(in + out));
        tensor_fill_uniform(l->w, r, -a, a);
        break;
    }
    case INIT_HE_NORMAL:
        tensor_fill_normal(l->w, r, 0.0f, sqrtf(2.0f / (float)in));
        break;
    case INIT_TORCH_DEFAULT: {
        // kaiming_uniform_(a=√5) on the weight reduces to U(-1/√in, 1/√in); the bias uses the
        // same bound.
        float a = 1.0f / sqrtf((float)in);
        tensor_fill_uniform(l->w, r, -a, a);
        tensor_fill_uniform(l->b, r, -a, a);
        break;
    }
    }
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

bool init_from_name(const char *name, Init *out)
{
    static const struct { const char *name; Init init; } names[] = {
        {"zero", INIT_ZERO}, {"xavier", INIT_XAVIER_UNIFORM},
        {"he", INIT_HE_NORMAL}, {"torch", INIT_TORCH_DEFAULT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].init;
            return true;
        }
    return false;
}

// ---- batch normalisation ----

void batchnorm_init(BatchNorm *bn, Arena *params, int features, Params *list)
{
    DL_CHECK(features >= 1, "batchnorm_init: features must be >= 1, got %d", features);
    bn->features = features;
    bn->gamma = tensor_param(params, 1, (int[]){features}, "batchnorm.gamma");
    bn->beta = tensor_param(params, 1, (int[]){features}, "batchnorm.beta");
    tensor_fill(bn->gamma, 1.0f);
    bn->running_mean = arena_alloc(params, (size_t)features * sizeof(float));   // zeroed
    bn->running_var = arena_alloc(params, (size_t)features * sizeof(float));
    for (int j = 0; j < features; j++) bn->running_var[j] = 1.0f;
    bn->momentum = 0.1f;
    bn->eps = 1e-5f;
    if (list) {
        params_add(list, bn->gamma);
        params_add(list, bn->beta);
    }
}

Tensor *batchnorm_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train)
{
    int B, K;
    tensor_require_2d(x, "batchnorm", &B, &K);
    DL_CHECK(K == bn->features, "batchnorm: input has %d features per row, the layer expects %d",
             K, bn->features);
    if (!train)
        return op_batchnorm(tp, x, bn->gamma, bn->beta, bn->running_mean, bn->running_var,
                            bn->eps, false);
    float *mean = arena_alloc(tp->arena, 2 * (size_t)K * sizeof(float)), *var = mean + K;
    Tensor *y = op_batchnorm(tp, x, bn->gamma, bn->beta, mean, var, bn->eps, true);
    // Running statistics (Algorithm 2 uses the unbiased variance for inference; PyTorch keeps
    // an exponential moving average of it): r ← (1 - momentum)·r + momentum·batch.
    const float m = bn->momentum, unbias = (float)B / (float)(B - 1);
    for (int j = 0; j < K; j++) {
        bn->running_mean[j] = (1.0f - m) * bn->running_mean[j] + m * mean[j];
        bn->running_var[j] = (1.0f - m) * bn->running_var[j] + m * var[j] * unbias;
    }
    return y;
}
