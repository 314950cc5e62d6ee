/* 05_rnn_lstm/exercises/solutions/ex2_rnn_backward.c — reference solution of exercise 2. */
#include <stdlib.h>

#include "exercises.h"

void ex_rnn_step_backward(const float *x, const float *h_prev, const float *h, const float *dh,
                          const float *W_xh, const float *W_hh, float *dx, float *dh_prev,
                          float *dW_xh, float *dW_hh, float *dbias, int B, int C, int H)
{
    float *da = malloc(sizeof(float) * (size_t)H);
    if (!da) abort();
    for (int b = 0; b < B; b++) {
        const float *xb = x + (size_t)b * C, *hpb = h_prev + (size_t)b * H;
        // Through tanh: tanh'(a) = 1 − tanh(a)² = 1 − h².
        for (int j = 0; j < H; j++) {
            float hj = h[(size_t)b * H + j];
            da[j] = dh[(size_t)b * H + j] * (1.0f - hj * hj);
        }
        // Into the inputs: dx = da W_xhᵀ, dh_prev = da W_hhᵀ (overwritten).
        for (int i = 0; i < C; i++) {
            float s = 0.0f;
            for (int j = 0; j < H; j++) s += da[j] * W_xh[(size_t)i * H + j];
            dx[(size_t)b * C + i] = s;
        }
        for (int k = 0; k < H; k++) {
            float s = 0.0f;
            for (int j = 0; j < H; j++) s += da[j] * W_hh[(size_t)k * H + j];
            dh_prev[(size_t)b * H + k] = s;
        }
        // Into the shared weights: outer products, ADDED (BPTT sums over the steps).
        for (int i = 0; i < C; i++)
            for (int j = 0; j < H; j++) dW_xh[(size_t)i * H + j] += xb[i] * da[j];
        for (int k = 0; k < H; k++)
            for (int j = 0; j < H; j++) dW_hh[(size_t)k * H + j] += hpb[k] * da[j];
        for (int j = 0; j < H; j++) dbias[j] += da[j];
    }
    free(da);
}
