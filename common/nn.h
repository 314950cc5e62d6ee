/* common/nn.h — layers as plain structs of parameter tensors, and their initialisations.
 *
 * Linear stores its weight as w (in, out) so that the forward pass is one matmul,
 * y (B, out) = x (B, in) · w + b. (PyTorch stores the transpose, (out, in); the fixture
 * script in scripts/ transposes when it writes reference values.)
 * Parameter count: in·out + out.
 */
#ifndef DL_NN_H
#define DL_NN_H

#include "autograd.h"
#include "optim.h"
#include "rng.h"
#include "tensor.h"

typedef enum {
    INIT_ZERO,          // all zeros (breaks symmetry badly; for demonstrations)
    INIT_XAVIER_UNIFORM,// U(-a, a), a = sqrt(6 / (in + out)): Glorot & Bengio, AISTATS 2010
    INIT_HE_NORMAL,     // N(0, 2 / in): He, Zhang, Ren & Sun, ICCV 2015 ("Kaiming")
    INIT_TORCH_DEFAULT, // U(-1/sqrt(in), 1/sqrt(in)) for w and b: nn.Linear.reset_parameters
} Init;

typedef struct Linear {
    int in, out;
    Tensor *w;          // (in, out)
    Tensor *b;          // (out)
} Linear;

/* Allocate w and b in `params` (usually the params arena), initialise them with `init`
 * (biases are zero except for INIT_TORCH_DEFAULT), and add both to `list` if not NULL. */
void linear_init(Linear *l, Arena *params, int in, int out, Init init, Rng *r, Params *list);

/* y (B, out) = x (B, in) · w + b. Dies if x is not (B, in). */
Tensor *linear_forward(Tape *tp, const Linear *l, Tensor *x);

/* Parse "xavier" | "he" | "torch" | "zero"; returns false for anything else. */
bool init_from_name(const char *name, Init *out);

#endif
