/* common/nn/conv2d.h — the 2-D convolution layer, layout NCHW (lecture 4).
 *
 * w (C_out, C_in, KH, KW), b (C_out); parameter count (KH·KW·C_in + 1)·C_out, whatever the
 * image size. Initialisation with fan_in = C_in·KH·KW, fan_out = C_out·KH·KW (nn/init.h):
 * INIT_TORCH_DEFAULT is nn.Conv2d's (w, b ~ U(±1/sqrt(fan_in))), INIT_HE_NORMAL N(0, 2/fan_in)
 * with b = 0, INIT_XAVIER_UNIFORM a = sqrt(6/(fan_in + fan_out)).
 */
#ifndef DL_NN_CONV2D_H
#define DL_NN_CONV2D_H

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "nn/init.h"
#include "nn/params.h"

typedef struct Conv2d {
    int C_in, C_out, KH, KW, stride, pad;
    Tensor *w;          // (C_out, C_in, KH, KW)
    Tensor *b;          // (C_out)
} Conv2d;

/* A square KH = KW = k kernel: allocate and initialise w and b in `params`; add both to
 * `list` if not NULL. Dies unless C_in, C_out, k >= 1, stride >= 1 and pad >= 0. */
void conv2d_init(Conv2d *c, Arena *params, int C_in, int C_out, int k, int stride, int pad,
                 Init init, Rng *r, Params *list);

/* y (B, C_out, H_out, W_out) = conv(x, w) + b; dies if x is not (B, C_in, H, W) or the
 * kernel does not fit. */
Tensor *conv2d_forward(Tape *tp, const Conv2d *c, Tensor *x);

#endif
