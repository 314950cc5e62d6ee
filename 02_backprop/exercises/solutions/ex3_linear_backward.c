/* 02_backprop/exercises/solutions/ex3_linear_backward.c — reference solution of exercise 3. */
#include <stddef.h>

#include "exercises.h"

void ex_linear_backward(const float *x, const float *w, const float *dy, int B, int in, int out,
                        float *dx, float *dw, float *db)
{
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * in, *dyb = dy + (size_t)b * out;   // rows (in), (out)
        for (int i = 0; i < in; i++) {
            float s = 0;
            for (int o = 0; o < out; o++) s += dyb[o] * w[(size_t)i * out + o];
            dx[(size_t)b * in + i] += s;
            for (int o = 0; o < out; o++) dw[(size_t)i * out + o] += xb[i] * dyb[o];
        }
        for (int o = 0; o < out; o++) db[o] += dyb[o];
    }
}
