/* 05_rnn_lstm/exercises/ex4_clip_grad_norm.c — exercise 4: gradient clipping by global norm.
 * Read: exercises/EXERCISES.md § 4 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

float ex_clip_grad_norm(float *const *grads, const int *n, int n_grads, float max_norm)
{
    // TODO: norm = sqrt of the sum of grads[k][i]² over EVERY grad k and element i (one norm
    // for all of them, not one per grad); if norm > max_norm, multiply every element of every
    // grad by max_norm / (norm + 1e-6). Return norm (the value before clipping).
    EX_TODO(grads, n, n_grads, max_norm);
}
