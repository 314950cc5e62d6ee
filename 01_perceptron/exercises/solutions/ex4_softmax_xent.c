/* 01_perceptron/exercises/solutions/ex4_softmax_xent.c — reference solution of exercise 4. */
#include <math.h>

#include "exercises.h"

float ex_softmax_xent(const float *z, int V, int target, float *dz)
{
    // Shift by the max: softmax is unchanged, and every e^(z - m) lies in (0, 1].
    float m = z[0];
    for (int j = 1; j < V; j++) m = fmaxf(m, z[j]);
    float S = 0;
    for (int j = 0; j < V; j++) S += expf(z[j] - m);
    for (int j = 0; j < V; j++) dz[j] = expf(z[j] - m) / S - (j == target ? 1.0f : 0.0f);
    return logf(S) + (m - z[target]);
}
