/* 01_perceptron/exercises/ex1_sigmoid.c — exercise 1: the sigmoid and its derivative.
 * Read: 01_perceptron/README.md, "The math" (logistic regression). Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

void ex_sigmoid(const float *x, float *y, float *dy, int n)
{
    // TODO: for each i, y[i] = 1 / (1 + e^-x[i]) and dy[i] = y[i]·(1 - y[i]).
    // e^-x overflows a float for x < -88.7, and e^x for x > 88.7: pick, for each sign of x,
    // the form that only ever computes e^(-|x|).
    EX_TODO(x, y, dy, n);
}
