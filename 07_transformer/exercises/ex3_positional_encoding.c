/* 07_transformer/exercises/ex3_positional_encoding.c — exercise 3: sinusoidal positions.
 * Read: exercises/EXERCISES.md § 3 and exercises.h. Graded by: make grade.
 */
#include <math.h>

#include "exercises.h"

void ex_positional_encoding(int T, int d, float *pe)
{
    // TODO: pe[pos·d + 2i] = sin(pos / 10000^(2i/d)), pe[pos·d + 2i + 1] = cos(the same angle);
    // compute the angle in double.
    EX_TODO(T, d, pe);
}
