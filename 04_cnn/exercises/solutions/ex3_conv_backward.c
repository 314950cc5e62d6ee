/* 04_cnn/exercises/solutions/ex3_conv_backward.c — reference solution of exercise 3. */
#include "exercises.h"

void ex_conv_backward_weight(const float *x, const float *dy, float *dw, float *db, int B,
                             int C_in, int H, int W, int C_out, int K, int stride, int pad)
{
    int H_out = (H + 2 * pad - K) / stride + 1, W_out = (W + 2 * pad - K) / stride + 1;
    // The definition: each weight saw, at every output position, one input pixel; its
    // gradient sums dy times that pixel over the batch and the positions.
    for (int k = 0; k < C_out; k++) {
        for (int c = 0; c < C_in; c++)
            for (int r = 0; r < K; r++)
                for (int s = 0; s < K; s++) {
                    float sum = 0.0f;
                    for (int n = 0; n < B; n++)
                        for (int p = 0; p < H_out; p++) {
                            int h = p * stride + r - pad;
                            if (h < 0 || h >= H) continue;             // padding row: x = 0
                            for (int q = 0; q < W_out; q++) {
                                int w = q * stride + s - pad;
                                if (w < 0 || w >= W) continue;
                                sum += dy[(((size_t)n * C_out + k) * H_out + p) * W_out + q] *
                                       x[(((size_t)n * C_in + c) * H + h) * W + w];
                            }
                        }
                    dw[((k * C_in + c) * K + r) * K + s] += sum;
                }
        float sb = 0.0f;
        for (int n = 0; n < B; n++)
            for (int o = 0; o < H_out * W_out; o++) sb += dy[((size_t)n * C_out + k) * H_out * W_out + o];
        db[k] += sb;
    }
}
