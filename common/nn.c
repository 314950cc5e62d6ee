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
