/* 07_transformer/exercises/solutions/ex3_positional_encoding.c — reference solution of
 * exercise 3. */
#include <math.h>

#include "exercises.h"

void ex_positional_encoding(int T, int d, float *pe)
{
    for (int pos = 0; pos < T; pos++)
        for (int i = 0; i < d; i += 2) {
            double angle = pos / pow(10000.0, (double)i / d);
            pe[(size_t)pos * d + i] = (float)sin(angle);
            if (i + 1 < d) pe[(size_t)pos * d + i + 1] = (float)cos(angle);
        }
}
