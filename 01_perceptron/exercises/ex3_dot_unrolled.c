/* 01_perceptron/exercises/ex3_dot_unrolled.c — exercise 3: a dot product with four accumulators.
 * Read: 01_perceptron/README.md, "Making it fast" (the dot kernel). Graded by: make grade.
 */
#include "exercises.h"

float ex_dot_unrolled(const float *a, const float *b, int n)
{
    // TODO: keep four partial sums s0..s3; in steps of 4, s0 += a[i]·b[i], s1 += a[i+1]·b[i+1],
    // s2 += …, s3 += …; add the n % 4 leftover terms; return (s0 + s1) + (s2 + s3).
    // Why faster: the naive loop's additions form one chain, each waiting ~4 cycles for the
    // previous one; four independent chains keep the adder busy. It must be at least 1.2x
    // faster than the naive loop, measured in the same run.
    EX_TODO(a, b, n);
}
