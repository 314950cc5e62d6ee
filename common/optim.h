/* common/optim.h — the parameter list, the optimizers, learning-rate schedules and
 * gradient clipping.
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
 * optim.c explains why the lecture's momentum v = βv − α∇L is the same method.
 */
#ifndef DL_OPTIM_H
#define DL_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "tensor.h"

#define DL_MAX_PARAMS 256

typedef struct Params {
    Tensor *items[DL_MAX_PARAMS];
    int n;
} Params;

/* Append a parameter (which must have a grad buffer); dies when DL_MAX_PARAMS is reached. */
void params_add(Params *p, Tensor *t);

/* Total number of scalars in all parameters. */
size_t params_count(const Params *p);

/* Set every parameter's grad to zero (call before the forward pass). */
void params_zero_grad(Params *p);

/* One SGD step on every parameter: data -= lr · grad. */
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
} OptConfig;

/* torch.optim defaults for that kind: SGD-family lr 0.01 (torch requires one; 0.01 is the
 * course's choice), momentum 0.9; AdaGrad lr 0.01 eps 1e-10; RMSprop lr 0.01 alpha 0.99
 * eps 1e-8; Adam lr 1e-3 betas (0.9, 0.999) eps 1e-8; AdamW the same with wd 0.01. */
OptConfig optim_defaults(OptKind kind);

typedef struct Optimizer {
    OptConfig cfg;
    Params *params;
    float *m[DL_MAX_PARAMS];   // per parameter: momentum buffer / Adam m (NULL when unused)
    float *v[DL_MAX_PARAMS];   // per parameter: AdaGrad sum, RMSprop mean square, Adam v
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

/* ---- learning-rate schedules ----------------------------------------------------------- */

typedef enum { SCHED_CONSTANT, SCHED_STEP, SCHED_EXPONENTIAL, SCHED_COSINE } SchedKind;

typedef struct Schedule {
    SchedKind kind;
    float base_lr;
    int step_size;       // SCHED_STEP: multiply by gamma every step_size steps
    float gamma;         // SCHED_STEP, SCHED_EXPONENTIAL
    int total_steps;     // SCHED_COSINE: T_max (steps after warm-up)
    float min_lr;        // SCHED_COSINE: eta_min
    int warmup_steps;    // linear warm-up from 0 (0 = none)
} Schedule;

/* lr at step (0-based); linear warm-up base_lr·(step+1)/(warmup_steps+1)… see optim.c for
 * the exact form, then the kind with torch StepLR / ExponentialLR / CosineAnnealingLR
 * semantics counted from the end of warm-up. */
float schedule_lr(const Schedule *s, int step);

/* torch.nn.utils.clip_grad_norm_: the global L2 norm of all grads; when it exceeds max_norm
 * every grad is scaled by max_norm/(norm + 1e-6). Returns the norm before clipping. */
float clip_grad_norm(Params *p, float max_norm);

#endif
