/* 04_cnn/exercises/solutions/ex2_maxpool_backward.c — reference solution of exercise 2. */
#include "exercises.h"

void ex_maxpool_forward(const float *x, int B_C, int H, int W, int k, int stride, float *y,
                        int *argmax)
{
    int H_out = (H - k) / stride + 1, W_out = (W - k) / stride + 1;
    for (int i = 0; i < B_C; i++) {
        const float *xi = x + (size_t)i * H * W;
        for (int p = 0; p < H_out; p++)
            for (int q = 0; q < W_out; q++) {
                // Start from the window's first element (not from 0: all values may be
                // negative); '>' keeps the first of equal maxima, as PyTorch.
                int best = p * stride * W + q * stride;
                for (int r = 0; r < k; r++)
                    for (int s = 0; s < k; s++) {
                        int idx = (p * stride + r) * W + q * stride + s;
                        if (xi[idx] > xi[best]) best = idx;
                    }
                size_t o = ((size_t)i * H_out + p) * W_out + q;
                y[o] = xi[best];
                argmax[o] = best;
            }
    }
}

void ex_maxpool_backward(const float *dy, const int *argmax, int B_C, int H, int W, int H_out,
                         int W_out, float *dx)
{
    // Only the winner of each window passed its value on, so only it gets the gradient;
    // overlapping windows can pick the same input, hence +=.
    for (int i = 0; i < B_C; i++)
        for (int o = 0; o < H_out * W_out; o++) {
            size_t io = (size_t)i * H_out * W_out + o;
            dx[(size_t)i * H * W + argmax[io]] += dy[io];
        }
}
