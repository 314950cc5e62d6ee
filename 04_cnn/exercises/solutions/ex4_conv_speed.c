/* 04_cnn/exercises/solutions/ex4_conv_speed.c — reference solution of exercise 4:
 * im2col, then a cache-friendly i-k-j matrix product, in plain C. */
#include <stdio.h>
#include <stdlib.h>

#include "exercises.h"

void ex_conv_forward_fast(const float *x, const float *w, const float *b, float *y, int B,
                          int C_in, int H, int W, int C_out, int K, int pad)
{
    int H_out = H + 2 * pad - K + 1, W_out = W + 2 * pad - K + 1;
    int P = H_out * W_out, R = C_in * K * K;            // col is (R, P)
    float *col = malloc(sizeof(float) * (size_t)R * (size_t)P);
    if (!col) { fprintf(stderr, "ex_conv_forward_fast: out of memory\n"); exit(1); }
    for (int n = 0; n < B; n++) {
        // im2col: row (c·K + r)·K + s holds the pixel tap (r, s) of channel c sees at
        // every output position, 0 in the padding.
        const float *xn = x + (size_t)n * C_in * H * W;
        for (int c = 0; c < C_in; c++)
            for (int r = 0; r < K; r++)
                for (int s = 0; s < K; s++) {
                    float *row = col + (size_t)((c * K + r) * K + s) * P;
                    for (int p = 0; p < H_out; p++) {
                        int h = p + r - pad;
                        for (int q = 0; q < W_out; q++) {
                            int wi = q + s - pad;
                            row[p * W_out + q] = h >= 0 && h < H && wi >= 0 && wi < W
                                                     ? xn[((size_t)c * H + h) * W + wi] : 0.0f;
                        }
                    }
                }
        // y_n (C_out, P) = b + w (C_out, R) · col (R, P), loop order i-k-j: the inner loop
        // runs along a row of col and of y (unit stride, vectorizable, P independent sums).
        float *yn = y + (size_t)n * C_out * P;
        for (int k = 0; k < C_out; k++) {
            float *yrow = yn + (size_t)k * P;
            for (int j = 0; j < P; j++) yrow[j] = b[k];
            for (int i = 0; i < R; i++) {
                float wki = w[(size_t)k * R + i];
                const float *crow = col + (size_t)i * P;
                for (int j = 0; j < P; j++) yrow[j] += wki * crow[j];
            }
        }
    }
    free(col);
}
