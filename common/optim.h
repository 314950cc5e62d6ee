/* common/optim.h — the parameter list and plain stochastic gradient descent.
 *
 * SGD: θ ← θ - lr · ∂L/∂θ (Robbins & Monro, 1951; lecture 1). Momentum, RMSprop, Adam
 * and AdamW join this file in chapter 3.
 */
#ifndef DL_OPTIM_H
#define DL_OPTIM_H

#include <stddef.h>

#include "tensor.h"

#define DL_MAX_PARAMS 256

typedef struct Params {
    Tensor *items[DL_MAX_PARAMS];
    int n;
} Params;

/* Append a parameter (which must have a grad buffer); dies when DL_MAX_PARAMS is reached. */
void params_add(Params *p, Tensor *t);

/* Total number of scalars in all parameters. */
size_t params_count(const Params *p);

/* Set every parameter's grad to zero (call before the forward pass). */
void params_zero_grad(Params *p);

/* One SGD step on every parameter: data -= lr · grad. */
void sgd_step(Params *p, float lr);

#endif
