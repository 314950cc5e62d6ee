/* 03_optimizers/exercises/ex4_inverted_dropout.c — exercise 4: inverted dropout, forward and
 * backward, in training and in evaluation.
 * Read: 03_optimizers/README.md, "The math" (dropout: inverted vs scale at inference).
 * Graded by: make grade.
 */
#include "exercises.h"

void ex_dropout_forward(const float *x, const float *u, float *y, float *scale, int n, float p,
                        bool train)
{
    // TODO: in training, element i is dropped when u[i] < p: scale[i] = 0; otherwise it is kept
    // and scaled up, scale[i] = 1/(1 - p), so that E[y[i]] = x[i]. Then y[i] = x[i]·scale[i].
    // In evaluation (train false): scale[i] = 1 and y[i] = x[i].
    EX_TODO(x, u, y, scale, n, p, train);
}

void ex_dropout_backward(const float *dy, const float *scale, float *dx, int n)
{
    // TODO: dx[i] += dy[i]·scale[i]. Add (+=), do not overwrite.
    EX_TODO(dy, scale, dx, n);
}
