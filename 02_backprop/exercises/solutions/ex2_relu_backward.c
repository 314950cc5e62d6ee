/* 02_backprop/exercises/solutions/ex2_relu_backward.c — reference solution of exercise 2. */
#include "exercises.h"

void ex_relu_backward(const float *x, const float *dy, float *dx, int n)
{
    for (int i = 0; i < n; i++)
        if (x[i] > 0) dx[i] += dy[i];
}
