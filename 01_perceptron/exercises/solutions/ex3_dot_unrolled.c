/* 01_perceptron/exercises/solutions/ex3_dot_unrolled.c — reference solution of exercise 3. */
#include "exercises.h"

float ex_dot_unrolled(const float *a, const float *b, int n)
{
    // Four independent dependency chains: the CPU overlaps their additions.
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];          // the n % 4 leftovers
    return (s0 + s1) + (s2 + s3);
}
