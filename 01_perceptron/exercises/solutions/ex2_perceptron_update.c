/* 01_perceptron/exercises/solutions/ex2_perceptron_update.c — reference solution of exercise 2. */
#include "exercises.h"

int ex_perceptron_epoch(const float *x, const int *y, int n, int dim, float lr, float *w, float *b)
{
    int mistakes = 0;
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * dim;    // (dim)
        float score = *b;
        for (int j = 0; j < dim; j++) score += w[j] * xi[j];
        if ((float)y[i] * score <= 0.0f) {
            for (int j = 0; j < dim; j++) w[j] += lr * (float)y[i] * xi[j];
            *b += lr * (float)y[i];
            mistakes++;
        }
    }
    return mistakes;
}
