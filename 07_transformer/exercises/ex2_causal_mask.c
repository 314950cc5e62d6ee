/* 07_transformer/exercises/ex2_causal_mask.c — exercise 2: attention with the causal mask.
 * Read: exercises/EXERCISES.md § 2 and exercises.h. Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

void ex_causal_attention(const float *q, const float *k, const float *v, int T, int d, float *P,
                         float *out)
{
    // TODO: as exercise 1, but row i only sees j <= i: S[i][j] = -INFINITY for j > i (or skip
    // those keys), so that P[i][j] = 0 exactly there.
    EX_TODO(q, k, v, T, d, P, out);
}
