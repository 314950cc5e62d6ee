/* 03_optimizers/exercises/solutions/ex4_inverted_dropout.c — reference solution of exercise 4. */
#include "exercises.h"

void ex_dropout_forward(const float *x, const float *u, float *y, float *scale, int n, float p,
                        bool train)
{
    float keep = train ? 1.0f / (1.0f - p) : 1.0f;
    for (int i = 0; i < n; i++) {
        scale[i] = train && u[i] < p ? 0.0f : keep;
        y[i] = x[i] * scale[i];
    }
}

void ex_dropout_backward(const float *dy, const float *scale, float *dx, int n)
{
    for (int i = 0; i < n; i++) dx[i] += dy[i] * scale[i];
}
