/* 07_transformer/exercises/ex1_attention.c — exercise 1: scaled dot-product attention, one head.
 * Read: exercises/EXERCISES.md § 1 and exercises.h. Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

void ex_attention(const float *q, const float *k, const float *v, int T, int d, float *P,
                  float *out)
{
    // TODO: for each query row i: S[i][j] = q_i · k_j / sqrt(d); P[i] = softmax(S[i]) (subtract
    // the row's max before exp); out[i] = sum_j P[i][j] · v_j.
    EX_TODO(q, k, v, T, d, P, out);
}
