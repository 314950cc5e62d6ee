/* 05_rnn_lstm/exercises/solutions/ex1_rnn_forward.c — reference solution of exercise 1. */
#include <math.h>
#include <stddef.h>

#include "exercises.h"

void ex_rnn_step_forward(const float *x, const float *h_prev, const float *W_xh,
                         const float *W_hh, const float *bias, float *h, int B, int C, int H)
{
    // Row b of h: the pre-activation a = b + x_b W_xh + h_prev_b W_hh, accumulated a row of
    // W at a time (i-k-j order: unit stride along j), then tanh in place.
    for (int b = 0; b < B; b++) {
        float *hb = h + (size_t)b * H;
        for (int j = 0; j < H; j++) hb[j] = bias[j];
        for (int i = 0; i < C; i++) {
            float xi = x[(size_t)b * C + i];
            for (int j = 0; j < H; j++) hb[j] += xi * W_xh[(size_t)i * H + j];
        }
        for (int k = 0; k < H; k++) {
            float hk = h_prev[(size_t)b * H + k];
            for (int j = 0; j < H; j++) hb[j] += hk * W_hh[(size_t)k * H + j];
        }
        for (int j = 0; j < H; j++) hb[j] = tanhf(hb[j]);
    }
}
