/* common/optim/optimizer.h — the optimizers: SGD and its descendants.
 *
 * Every optimizer follows the exact update form of torch.optim (PyTorch 1.13 docs), so
 * trajectories can be checked against it (tests/test_optim.c, fixtures from
 * scripts/gen_fixtures_optim.py). With g = ∂L/∂θ (+ wd·θ for L2 weight decay):
 *   SGD        θ ← θ − lr·g                                   (Robbins & Monro, 1951)
 *   momentum   v ← μ·v + g;  θ ← θ − lr·v                      (Polyak, 1964; torch form)
 *   Nesterov   v ← μ·v + g;  θ ← θ − lr·(g + μ·v)              (Nesterov 1983; Sutskever et al. 2013)
 *   AdaGrad    s ← s + g²;   θ ← θ − lr·g / (√s + ε)           (Duchi, Hazan & Singer, 2011)
 *   RMSprop    s ← ρ·s + (1−ρ)·g²;  θ ← θ − lr·g / (√s + ε)    (Hinton, lecture 6e, 2012)
 *   Adam       m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *              θ ← θ − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)     (Kingma & Ba, 2015, Alg. 1)
 *   AdamW      θ ← θ·(1 − lr·wd), then Adam with g = ∂L/∂θ      (Loshchilov & Hutter, 2019)
 * optimizer.c explains why the lecture's momentum v = βv − α∇L is the same method.
 */
#ifndef DL_OPTIM_OPTIMIZER_H
#define DL_OPTIM_OPTIMIZER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "nn/params.h"

/* One plain SGD step on every parameter: data -= lr · grad (the update of lectures 1–2;
 * optim_step with OPT_SGD computes the same numbers). */
void sgd_step(Params *p, float lr);

/* ---- optimizers ---------------------------------------------------------------------- */

typedef enum { OPT_SGD, OPT_MOMENTUM, OPT_NESTEROV, OPT_ADAGRAD, OPT_RMSPROP, OPT_ADAM, OPT_ADAMW } OptKind;

typedef struct OptConfig {
    OptKind kind;
    float lr;            // base learning rate
    float momentum;      // μ (momentum, nesterov): PyTorch convention v = μ·v + g, θ -= lr·v
    float beta1, beta2;  // Adam/AdamW; for RMSprop beta2 is the smoothing constant (torch's alpha)
    float eps;
    float weight_decay;  // L2 added to the gradient (SGD … Adam, as torch.optim), decoupled for AdamW
    int decay_min_ndim;  // weight decay only on parameters with at least this many dimensions
                         // (0: all; 2: nanoGPT's groups — matrices and embeddings decay,
                         // biases and LayerNorm gains do not)
} OptConfig;

/* torch.optim defaults for that kind: SGD-family lr 0.01 (torch requires one; 0.01 is the
 * course's choice), momentum 0.9; AdaGrad lr 0.01 eps 1e-10; RMSprop lr 0.01 alpha 0.99
 * eps 1e-8; Adam lr 1e-3 betas (0.9, 0.999) eps 1e-8; AdamW the same with wd 0.01. */
OptConfig optim_defaults(OptKind kind);

typedef struct Optimizer {
    OptConfig cfg;
    Params *params;
    float **m;                 // (params->n): momentum buffer / Adam m per parameter, or NULL
    float **v;                 // (params->n): AdaGrad sum, RMSprop mean square, Adam v, or NULL
    long t;                    // steps taken so far
} Optimizer;

/* Bind `cfg` to the parameters `p` (all added already) and allocate the zeroed state in
 * `state` (the params arena). Validates cfg: lr >= 0 and finite, momentum/betas in [0,1),
 * eps > 0, weight_decay >= 0; dies naming the field and the fix otherwise. */
void optim_init(Optimizer *o, const OptConfig *cfg, Params *p, Arena *state);

/* One update of every parameter from its grad with learning rate lr (a schedule's value,
 * usually schedule_lr(...)); t += 1. Dies on a negative or non-finite lr. */
void optim_step(Optimizer *o, float lr);

/* "sgd" "momentum" "nesterov" "adagrad" "rmsprop" "adam" "adamw" → kind; false if unknown. */
bool optim_kind_from_name(const char *name, OptKind *out);

/* The name optim_kind_from_name accepts for k. */
const char *optim_kind_name(OptKind k);

#endif
