/* 03_optimizers/exercises/solutions/ex1_momentum.c — reference solution of exercise 1. */
#include "exercises.h"

void ex_momentum_step(float *theta, float *v, const float *g, int n, float lr, float mu)
{
    for (int i = 0; i < n; i++) {
        v[i] = mu * v[i] + g[i];
        theta[i] -= lr * v[i];
    }
}

void ex_momentum_step_lecture(float *theta, float *u, const float *g, int n, float alpha, float beta)
{
    for (int i = 0; i < n; i++) {
        u[i] = beta * u[i] - alpha * g[i];
        theta[i] += u[i];
    }
}
