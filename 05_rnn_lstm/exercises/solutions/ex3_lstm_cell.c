/* 05_rnn_lstm/exercises/solutions/ex3_lstm_cell.c — reference solution of exercise 3. */
#include <math.h>
#include <stdlib.h>

#include "exercises.h"

static float sigmoid_(float a)
{
    return 1.0f / (1.0f + expf(-a));     // expf(-a) = inf for a < -88: the result is 0, not NaN
}

void ex_lstm_cell_forward(const float *x, const float *h_prev, const float *c_prev,
                          const float *W_ih, const float *W_hh, const float *b_ih,
                          const float *b_hh, float *h, float *c, int B, int C, int H)
{
    int G = 4 * H;
    float *gates = malloc(sizeof(float) * (size_t)G);
    if (!gates) abort();
    for (int b = 0; b < B; b++) {
        // All four gates' pre-activations at once: one row of x W_ih + b_ih + h W_hh + b_hh.
        for (int k = 0; k < G; k++) gates[k] = b_ih[k] + b_hh[k];
        for (int i = 0; i < C; i++) {
            float xi = x[(size_t)b * C + i];
            for (int k = 0; k < G; k++) gates[k] += xi * W_ih[(size_t)i * G + k];
        }
        for (int j = 0; j < H; j++) {
            float hj = h_prev[(size_t)b * H + j];
            for (int k = 0; k < G; k++) gates[k] += hj * W_hh[(size_t)j * G + k];
        }
        // PyTorch's order: i, f, g, o.
        for (int j = 0; j < H; j++) {
            float ig = sigmoid_(gates[j]);
            float fg = sigmoid_(gates[H + j]);
            float gg = tanhf(gates[2 * H + j]);
            float og = sigmoid_(gates[3 * H + j]);
            float ct = fg * c_prev[(size_t)b * H + j] + ig * gg;
            c[(size_t)b * H + j] = ct;
            h[(size_t)b * H + j] = og * tanhf(ct);
        }
    }
    free(gates);
}
