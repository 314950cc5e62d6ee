/* 03_optimizers/exercises/ex1_momentum.c — exercise 1: SGD with momentum, in both conventions.
 * Read: 03_optimizers/README.md, "The math" (momentum: two conventions). Graded by: make grade.
 */
#include "exercises.h"

void ex_momentum_step(float *theta, float *v, const float *g, int n, float lr, float mu)
{
    // TODO: for each i: v[i] = mu·v[i] + g[i], then theta[i] -= lr·v[i].
    // v is the running sum of gradients (gradient units); lr turns it into a step.
    EX_TODO(theta, v, g, n, lr, mu);
}

void ex_momentum_step_lecture(float *theta, float *u, const float *g, int n, float alpha, float beta)
{
    // TODO: for each i: u[i] = beta·u[i] - alpha·g[i], then theta[i] += u[i].
    // u is already a step (parameter units): the learning rate is inside it.
    EX_TODO(theta, u, g, n, alpha, beta);
}
