/* 01_perceptron/exercises/ex4_softmax_xent.c — exercise 4: softmax cross-entropy and its gradient.
 * Read: 01_perceptron/README.md, "The math" (softmax regression). Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

float ex_softmax_xent(const float *z, int V, int target, float *dz)
{
    // TODO: m = max_j z[j]; S = Σ_j e^(z[j] - m)  (every exponent <= 0: no overflow, and
    // the largest term is 1: S >= 1, no division by 0); loss = log S + m - z[target];
    // dz[j] = e^(z[j] - m) / S - (j == target ? 1 : 0). Return the loss.
    EX_TODO(z, V, target, dz);
}
