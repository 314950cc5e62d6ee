/* common/nn/init.h — weight initialisation, shared by every layer.
 *
 * A layer's weight w is drawn from a distribution whose scale depends on fan_in (the inputs
 * each output sums over) and fan_out (the outputs each input reaches): for Linear(in, out)
 * fan_in = in, fan_out = out; for Conv2d(C_in → C_out, K×K) fan_in = C_in·K·K and
 * fan_out = C_out·K·K. Chapter 3 (section 5) shows what each does to a 10-layer network.
 */
#ifndef DL_NN_INIT_H
#define DL_NN_INIT_H

#include <stdbool.h>

#include "autograd/tensor.h"
#include "base/rng.h"

typedef enum {
    INIT_ZERO,          // all zeros (breaks symmetry badly; for demonstrations)
    INIT_XAVIER_UNIFORM,// U(-a, a), a = sqrt(6 / (fan_in + fan_out)): Glorot & Bengio, AISTATS 2010
    INIT_HE_NORMAL,     // N(0, 2 / fan_in): He, Zhang, Ren & Sun, ICCV 2015 ("Kaiming")
    INIT_TORCH_DEFAULT, // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for w and b: PyTorch's
                        // nn.Linear / nn.Conv2d reset_parameters (kaiming_uniform_ with a = √5)
} Init;

/* Initialise w (and b, which only INIT_TORCH_DEFAULT draws; the others leave it as it is,
 * zero for a fresh tensor) with `init`, drawing from r in a fixed order: all of w, then b. */
void init_weights(Tensor *w, Tensor *b, Init init, int fan_in, int fan_out, Rng *r);

/* Parse "xavier" | "he" | "torch" | "zero"; returns false for anything else. */
bool init_from_name(const char *name, Init *out);

#endif
