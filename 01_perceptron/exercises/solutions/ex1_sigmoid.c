/* 01_perceptron/exercises/solutions/ex1_sigmoid.c — reference solution of exercise 1. */
#include <math.h>

#include "exercises.h"

void ex_sigmoid(const float *x, float *y, float *dy, int n)
{
    for (int i = 0; i < n; i++) {
        // Only e^(-|x|) is computed, which lies in (0, 1]: nothing overflows.
        float e = expf(-fabsf(x[i]));
        float s = x[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
        y[i] = s;
        dy[i] = s * (1.0f - s);
    }
}
