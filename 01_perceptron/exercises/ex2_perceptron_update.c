/* 01_perceptron/exercises/ex2_perceptron_update.c — exercise 2: one epoch of the perceptron rule.
 * Read: 01_perceptron/README.md, "The math" (the perceptron rule). Graded by: make grade.
 */
#include "exercises.h"

int ex_perceptron_epoch(const float *x, const int *y, int n, int dim, float lr, float *w, float *b)
{
    // TODO: for each example i in order (its features are x[i*dim .. i*dim + dim)):
    //   score = w·x_i + b; if y[i]·score <= 0 (wrong side, or on the boundary) it is a
    //   mistake: w += lr·y[i]·x_i, b += lr·y[i]. Return the number of mistakes.
    EX_TODO(x, y, n, dim, lr, w, b);
}
