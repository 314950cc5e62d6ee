/* 03_optimizers/exercises/ex2_adam_bias_correction.c — exercise 2: one Adam step, with the
 * bias correction of its moment estimates.
 * Read: 03_optimizers/README.md, "The math" (Adam: bias correction). Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

void ex_adam_step(float *theta, float *m, float *v, const float *g, int n, int t, float lr,
                  float beta1, float beta2, float eps)
{
    // TODO: for each i:
    //   m[i] = beta1·m[i] + (1 - beta1)·g[i]        (running mean of g)
    //   v[i] = beta2·v[i] + (1 - beta2)·g[i]²       (running mean of g²)
    //   m̂ = m[i] / (1 - beta1^t),  v̂ = v[i] / (1 - beta2^t)   (powf; t = 1 at the first step)
    //   theta[i] -= lr·m̂ / (sqrtf(v̂) + eps)
    // Only m and v are kept between steps; m̂ and v̂ are recomputed from them each time.
    EX_TODO(theta, m, v, g, n, t, lr, beta1, beta2, eps);
}
