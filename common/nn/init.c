/* common/nn/init.c — see nn/init.h. */
#include "nn/init.h"

#include <math.h>
#include <string.h>

void init_weights(Tensor *w, Tensor *b, Init init, int fan_in, int fan_out, Rng *r)
{
    switch (init) {
    case INIT_ZERO:
        break;
    case INIT_XAVIER_UNIFORM: {
        float a = sqrtf(6.0f / (float)(fan_in + fan_out));
        tensor_fill_uniform(w, r, -a, a);
        break;
    }
    case INIT_HE_NORMAL:
        tensor_fill_normal(w, r, 0.0f, sqrtf(2.0f / (float)fan_in));
        break;
    case INIT_TORCH_DEFAULT: {
        // kaiming_uniform_(a=√5) gives U(±gain·sqrt(3/fan_in)) with gain = sqrt(2/(1 + 5)),
        // i.e. U(±1/sqrt(fan_in)); the bias uses the same bound.
        float a = 1.0f / sqrtf((float)fan_in);
        tensor_fill_uniform(w, r, -a, a);
        tensor_fill_uniform(b, r, -a, a);
        break;
    }
    }
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
