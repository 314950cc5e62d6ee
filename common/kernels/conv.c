/* common/kernels/conv.c — the convolution ladder: every rung side by side, oldest first.
 * Build: part of libdl.a (make lib)      Bench: ./04_cnn/run --bench      Test: test_conv
 * Shapes, formulas and sources: conv.h.
 */
#include "conv.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "threads.h"

// ---- shapes ----

int conv_out_size(int in, int k, int stride, int pad)
{
    if (in < 1 || k < 1 || stride < 1 || pad < 0 || k > in + 2 * pad) return 0;
    return (in + 2 * pad - k) / stride + 1;
}

const char *conv_shape_init(ConvShape *s, int N, int C_in, int H, int W, int C_out, int KH,
                            int KW, int stride, int pad)
{
    static _Thread_local char msg[256];
    if (N < 1 || C_in < 1 || H < 1 || W < 1 || C_out < 1 || KH < 1 || KW < 1) {
        snprintf(msg, sizeof msg, "conv2d: sizes must be >= 1 (got N=%d C_in=%d H=%d W=%d "
                 "C_out=%d kernel %dx%d)", N, C_in, H, W, C_out, KH, KW);
        return msg;
    }
    if (stride < 1) {
        snprintf(msg, sizeof msg, "conv2d: stride %d must be >= 1 (stride 1 visits every "
                 "position, 2 every other one)", stride);
        return msg;
    }
    if (pad < 0) {
        snprintf(msg, sizeof msg, "conv2d: padding %d must be >= 0", pad);
        return msg;
    }
    if (KH > H + 2 * pad || KW > W + 2 * pad) {
        snprintf(msg, sizeof msg, "conv2d: kernel %dx%d is larger than the padded input %dx%d "
                 "(H + 2*pad = %d + 2*%d); use a smaller kernel or more padding",
                 KH, KW, H + 2 * pad, W + 2 * pad, H, pad);
        return msg;
    }
    *s = (ConvShape){.N = N, .C_in = C_in, .H = H, .W = W, .C_out = C_out, .KH = KH, .KW = KW,
                     .stride = stride, .pad = pad,
                     .H_out = conv_out_size(H, KH, stride, pad),
                     .W_out = conv_out_size(W, KW, stride, pad)};
    return NULL;
}

double conv_flops(const ConvShape *s)
{
    return 2.0 * s->N * s->C_out * s->H_out * s->W_out * (double)s->C_in * s->KH * s->KW;
}

size_t conv_im2col_floats(const ConvShape *s)
{
    return (size_t)s->C_in * s->KH * s->KW * (size_t)s->H_out * s->W_out;
}

// ---- v0_direct ----
// v0: the definition, seven nested loops (n, k, p, q, c, r, s). Out-of-range input
// positions are the zero padding and are skipped.

static size_t conv_v0_workspace(const ConvShape *s)
{
    (void)s;
    return 0;
}

static void conv_v0_forward(const ConvShape *s, const float *x, const float *w, const float *b,
                            float *y, float *work)
{
    (void)work;
    const int H = s->H, W = s->W, C = s->C_in, KH = s->KH, KW = s->KW, P = s->H_out,
              Q = s->W_out;
    for (int n = 0; n < s->N; n++)
        for (int k = 0; k < s->C_out; k++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float acc = b ? b[k] : 0.0f;
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < KH; r++) {
                            int h = p * s->stride + r - s->pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < KW; t++) {
                                int ww = q * s->stride + t - s->pad;
                                if (ww < 0 || ww >= W) continue;
                                acc += w[(((size_t)k * C + c) * KH + r) * KW + t] *
                                       x[(((size_t)n * C + c) * H + h) * W + ww];
                            }
                        }
                    y[(((size_t)n * s->C_out + k) * P + p) * Q + q] = acc;
                }
}

static void conv_v0_backward_data(const ConvShape *s, const float *dy, const float *w,
                                  float *dx, float *work)
{
    (void)work;
    const int H = s->H, W = s->W, C = s->C_in, KH = s->KH, KW = s->KW, P = s->H_out,
              Q = s->W_out;
    for (int n = 0; n < s->N; n++)
        for (int k = 0; k < s->C_out; k++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float g = dy[(((size_t)n * s->C_out + k) * P + p) * Q + q];
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < KH; r++) {
                            int h = p * s->stride + r - s->pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < KW; t++) {
                                int ww = q * s->stride + t - s->pad;
                                if (ww < 0 || ww >= W) continue;
                                dx[(((size_t)n * C + c) * H + h) * W + ww] +=
                                    w[(((size_t)k * C + c) * KH + r) * KW + t] * g;
                            }
                        }
                }
}

static void conv_v0_backward_weight(const ConvShape *s, const float *x, const float *dy,
                                    float *dw, float *db, float *work)
{
    (void)work;
    const int H = s->H, W = s->W, C = s->C_in, KH = s->KH, KW = s->KW, P = s->H_out,
              Q = s->W_out;
    for (int n = 0; n < s->N; n++)
        for (int k = 0; k < s->C_out; k++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float g = dy[(((size_t)n * s->C_out + k) * P + p) * Q + q];
                    if (db) db[k] += g;
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < KH; r++) {
                            int h = p * s->stride + r - s->pad;
                            if (h < 0 || h >= H) continue;
                            for (int t = 0; t < KW; t++) {
                                int ww = q * s->stride + t - s->pad;
                                if (ww < 0 || ww >= W) continue;
                                dw[(((size_t)k * C + c) * KH + r) * KW + t] +=
                                    x[(((size_t)n * C + c) * H + h) * W + ww] * g;
                            }
                        }
                }
}

// ---- the table and the selection ----

const ConvImpl CONV_IMPLS[] = {
    {"v0_direct", "direct", conv_v0_workspace, conv_v0_forward, conv_v0_backward_data,
     conv_v0_backward_weight},
};
const int CONV_N_IMPLS = (int)(sizeof CONV_IMPLS / sizeof CONV_IMPLS[0]);

static const ConvImpl *conv_current = &CONV_IMPLS[0];

bool conv_select(const char *kernel)
{
    if (!kernel) return false;
    if (strcmp(kernel, "auto") == 0) kernel = "fast";
    for (int i = 0; i < CONV_N_IMPLS; i++)
        if (strcmp(CONV_IMPLS[i].kernel, kernel) == 0) {
            conv_current = &CONV_IMPLS[i];
            return true;
        }
    // Until the fast rung exists, "fast" means the newest rung.
    if (strcmp(kernel, "fast") == 0) {
        conv_current = &CONV_IMPLS[CONV_N_IMPLS - 1];
        return true;
    }
    return false;
}

const ConvImpl *conv_selected(void)
{
    return conv_current;
}
