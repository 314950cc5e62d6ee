/* common/ops/conv.h — the differentiable ops of convolutional networks, layout NCHW
 * (checked in tests/test_cnn_ops.c by finite differences and against PyTorch). The raw
 * convolution loops are the conv ladder of kernels/conv.h; this file wraps them as ops. */
#ifndef DL_OPS_CONV_H
#define DL_OPS_CONV_H

#include "autograd/tape.h"
#include "autograd/tensor.h"

/* 2-D convolution: x (B, C_in, H, W), w (C_out, C_in, KH, KW), b (C_out) or NULL →
 * y (B, C_out, H_out, W_out), H_out = ⌊(H + 2·pad − KH)/stride⌋ + 1 (kernels/conv.h has the
 * formulas). Runs the selected rung of the conv ladder with a workspace from the step arena
 * (the rung used by forward also runs backward). Dies with a message naming the problem on a
 * channel mismatch, a bias that is not (C_out), a zero or negative stride, negative padding,
 * or a kernel larger than the padded input. */
Tensor *op_conv2d(Tape *tp, Tensor *x, Tensor *w, Tensor *b, int stride, int pad);
/* Max pooling over k×k windows with the given stride (no padding): x (B, C, H, W) →
 * (B, C, H_out, W_out), H_out = ⌊(H − k)/stride⌋ + 1. The arg-max of every window is kept
 * for backward, which routes dy to that one input (the first maximum in scan order on ties,
 * and a NaN counts as the maximum, as PyTorch). Dies when k < 1, stride < 1 or k > H or k > W. */
Tensor *op_maxpool2d(Tape *tp, Tensor *x, int k, int stride);
/* Average pooling over k×k windows (no padding); backward spreads dy/(k·k) over the window. */
Tensor *op_avgpool2d(Tape *tp, Tensor *x, int k, int stride);
/* Global average pooling: x (B, C, H, W) → (B, C), the mean of each feature map
 * (Lin, Chen & Yan, "Network In Network", 2014). */
Tensor *op_global_avgpool(Tape *tp, Tensor *x);
/* Global max pooling: x (B, C, H, W) → (B, C), the maximum of each feature map, its position
 * kept for backward, which routes dy there alone (the first maximum in scan order on ties; a
 * NaN counts as the maximum). On a sentence laid out as (B, C, T, 1) it is the "max over time"
 * of a text CNN (Collobert et al., JMLR 2011; Kim, EMNLP 2014): each filter keeps its
 * strongest n-gram wherever it is. */
Tensor *op_global_maxpool(Tape *tp, Tensor *x);

#endif
