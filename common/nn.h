/* common/nn.h — layers as plain structs of parameter tensors, and their initialisations.
 *
 * Linear stores its weight as w (in, out) so that the forward pass is one matmul,
 * y (B, out) = x (B, in) · w + b. (PyTorch stores the transpose, (out, in); the fixture
 * script in scripts/ transposes when it writes reference values.)
 * Parameter count: in·out + out.
 */
#ifndef DL_NN_H
#define DL_NN_H

#include "autograd.h"
#include "optim.h"
#include "rng.h"
#include "tensor.h"

typedef enum {
    INIT_ZERO,          // all zeros (breaks symmetry badly; for demonstrations)
    INIT_XAVIER_UNIFORM,// U(-a, a), a = sqrt(6 / (in + out)): Glorot & Bengio, AISTATS 2010
    INIT_HE_NORMAL,     // N(0, 2 / in): He, Zhang, Ren & Sun, ICCV 2015 ("Kaiming")
    INIT_TORCH_DEFAULT, // U(-1/sqrt(in), 1/sqrt(in)) for w and b: nn.Linear.reset_parameters
} Init;

typedef struct Linear {
    int in, out;
    Tensor *w;          // (in, out)
    Tensor *b;          // (out)
} Linear;

/* Allocate w and b in `params` (usually the params arena), initialise them with `init`
 * (biases are zero except for INIT_TORCH_DEFAULT), and add both to `list` if not NULL. */
void linear_init(Linear *l, Arena *params, int in, int out, Init init, Rng *r, Params *list);

/* y (B, out) = x (B, in) · w + b. Dies if x is not (B, in). */
Tensor *linear_forward(Tape *tp, const Linear *l, Tensor *x);

/* Parse "xavier" | "he" | "torch" | "zero"; returns false for anything else. */
bool init_from_name(const char *name, Init *out);

/* Batch normalisation over the batch dimension of (B, K) (Ioffe & Szegedy, ICML 2015,
 * Algorithm 1 and 2), PyTorch BatchNorm1d semantics: train mode normalises with the batch
 * mean and the biased batch variance, and updates running_mean/running_var with momentum
 * (running = (1-momentum)·running + momentum·batch, running_var uses the UNBIASED batch
 * variance, as torch); eval mode uses the running statistics. gamma, beta (K) are
 * parameters. */
typedef struct BatchNorm {
    int features;                      // K
    Tensor *gamma, *beta;              // (K) each: scale and shift, learned
    float *running_mean, *running_var; // (K) each: the statistics eval mode uses
    float momentum, eps;
} BatchNorm;

/* gamma=1, beta=0, running mean 0 and var 1, momentum 0.1, eps 1e-5 (PyTorch's defaults).
 * gamma, beta and the running statistics live in `params`; gamma and beta are added to
 * `list` if not NULL. */
void batchnorm_init(BatchNorm *bn, Arena *params, int features, Params *list);

/* y (B, K) = gamma ⊙ (x - mean) / sqrt(var + eps) + beta. Dies if x is not (B, features),
 * or if B < 2 in train mode (one row has no variance). Every train-mode call updates the
 * running statistics, also when the tape is not recording (as torch does under no_grad). */
Tensor *batchnorm_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train);

/* 2-D convolution layer (common/nn_cnn.c): w (out_ch, in_ch, k, k), b (out_ch), NCHW.
 * Parameter count: (k·k·in_ch + 1)·out_ch. Initialisation with fan_in = in_ch·k·k,
 * fan_out = out_ch·k·k: INIT_TORCH_DEFAULT is nn.Conv2d's (w, b ~ U(±1/sqrt(fan_in))),
 * INIT_HE_NORMAL N(0, 2/fan_in) with b = 0, INIT_XAVIER_UNIFORM a = sqrt(6/(fan_in+fan_out)). */
typedef struct Conv2d {
    int in_ch, out_ch, k, stride, pad;
    Tensor *w;          // (out_ch, in_ch, k, k)
    Tensor *b;          // (out_ch)
} Conv2d;

void conv2d_init(Conv2d *c, Arena *params, int in_ch, int out_ch, int k, int stride, int pad,
                 Init init, Rng *r, Params *list);

/* y (N, out_ch, H_out, W_out) = conv(x, w) + b; dies if x is not (N, in_ch, H, W) or the
 * kernel does not fit. */
Tensor *conv2d_forward(Tape *tp, const Conv2d *c, Tensor *x);

/* BatchNorm2d (PyTorch semantics, as batchnorm_forward, statistics per channel over N·H·W):
 * bn from batchnorm_init(bn, params, C, list); x (N, C, H, W). */
Tensor *batchnorm2d_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train);
/* ReLU(batchnorm2d_forward(…)) fused into one op (op_batchnorm2d_relu): the same numbers and
 * the same running-statistics update, about half the memory traffic. */
Tensor *batchnorm2d_relu_forward(Tape *tp, BatchNorm *bn, Tensor *x, bool train);

#endif
