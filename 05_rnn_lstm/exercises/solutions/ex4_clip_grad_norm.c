/* 05_rnn_lstm/exercises/solutions/ex4_clip_grad_norm.c — reference solution of exercise 4. */
#include <math.h>

#include "exercises.h"

float ex_clip_grad_norm(float *const *grads, const int *n, int n_grads, float max_norm)
{
    // One norm over all the grads, as if they were one vector (summed in double: thousands
    // of squares lose digits in a float sum).
    double sq = 0.0;
    for (int k = 0; k < n_grads; k++)
        for (int i = 0; i < n[k]; i++) sq += (double)grads[k][i] * grads[k][i];
    float norm = (float)sqrt(sq);
    if (norm > max_norm) {
        float scale = max_norm / (norm + 1e-6f);
        for (int k = 0; k < n_grads; k++)
            for (int i = 0; i < n[k]; i++) grads[k][i] *= scale;
    }
    return norm;
}
