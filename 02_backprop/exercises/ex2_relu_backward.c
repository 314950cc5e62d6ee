/* 02_backprop/exercises/ex2_relu_backward.c — exercise 2: the backward pass of ReLU.
 * Read: 02_backprop/README.md, "The math" (activations and their local derivatives).
 * Graded by: make grade.
 */
#include "exercises.h"

void ex_relu_backward(const float *x, const float *dy, float *dx, int n)
{
    // TODO: dx[i] += (x[i] > 0 ? dy[i] : 0). Add (+=), do not overwrite: dx may already hold
    // gradient from another path through the graph. At x = 0 the derivative is taken as 0.
    EX_TODO(x, dy, dx, n);
}
