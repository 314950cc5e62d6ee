/* common/optim/optimizer.c — see optim/optimizer.h: SGD and its descendants.
 *
 * Every update follows the exact form of torch.optim in PyTorch 1.13 (the docs' pseudo-code
 * and the torch/optim sources), including where ε goes and where weight decay enters, so a
 * trajectory can be compared with torch step by step (tests/test_optim.c). Adam and AdamW
 * run the one-pass kernel of common/kernels/adam.c; the others are single plain loops.
 *
 * ---- Two ways to write momentum, one method ----
 * The lecture (Polyak's heavy ball, 1964) writes
 *     v ← β·v − α·∇L,        θ ← θ + v                                     (L)
 * PyTorch (and this file) writes, with μ = β and learning rate lr = α,
 *     u ← μ·u + ∇L,          θ ← θ − lr·u                                  (P)
 * Claim: with v₀ = u₀ = 0 and a constant α = lr, v_k = −α·u_k for every k, so both give
 * the same θ_k. Induction: v₀ = 0 = −α·u₀; if v_{k−1} = −α·u_{k−1} then
 *     v_k = β·v_{k−1} − α·∇L = −α·(μ·u_{k−1} + ∇L) = −α·u_k,
 * and θ_k = θ_{k−1} + v_k = θ_{k−1} − α·u_k: the update of (P). (test_momentum_conventions
 * checks it in numbers.) The forms differ only when lr changes during training: in (L) the
 * velocity remembers the old lr (v is a step), in (P) u is a sum of gradients and the new lr
 * scales all of it at once. PyTorch chose (P); we follow it so schedules behave the same.
 *
 * Nesterov (1983) evaluates the gradient at the look-ahead point θ + μ·v. Sutskever, Martens,
 * Dahl & Hinton (ICML 2013, eq. 3–4) rewrote it in the variable θ' = θ + μv, which needs
 * only the gradient at the current parameters; in PyTorch's scaling that is
 *     u ← μ·u + g,           θ ← θ − lr·(g + μ·u).
 */
#include "optim/optimizer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "kernels/adam.h"

void sgd_step(Params *p, float lr)
{
    for (int i = 0; i < p->n; i++) {
        Tensor *t = p->items[i];
        for (size_t k = 0; k < t->size; k++) t->data[k] -= lr * t->grad[k];
    }
}

// ---- configuration ----

static const char *const KIND_NAMES[] = {"sgd", "momentum", "nesterov", "adagrad",
                                         "rmsprop", "adam", "adamw"};
#define N_KINDS ((int)(sizeof KIND_NAMES / sizeof KIND_NAMES[0]))

const char *optim_kind_name(OptKind k)
{
    return (int)k >= 0 && (int)k < N_KINDS ? KIND_NAMES[k] : "?";
}

bool optim_kind_from_name(const char *name, OptKind *out)
{
    for (int k = 0; name && k < N_KINDS; k++)
        if (strcmp(name, KIND_NAMES[k]) == 0) {
            *out = (OptKind)k;
            return true;
        }
    return false;
}

OptConfig optim_defaults(OptKind kind)
{
    // The torch.optim constructor defaults (1.13); SGD has no default lr in torch, 0.01 here.
    OptConfig c = {.kind = kind, .lr = 0.01f, .momentum = 0.0f, .beta1 = 0.9f, .beta2 = 0.999f,
                   .eps = 1e-8f, .weight_decay = 0.0f};
    switch (kind) {
    case OPT_SGD: break;
    case OPT_MOMENTUM:
    case OPT_NESTEROV: c.momentum = 0.9f; break;
    case OPT_ADAGRAD: c.eps = 1e-10f; break;                    // torch.optim.Adagrad
    case OPT_RMSPROP: c.beta2 = 0.99f; break;                   // torch's alpha
    case OPT_ADAM: c.lr = 1e-3f; break;
    case OPT_ADAMW: c.lr = 1e-3f; c.weight_decay = 1e-2f; break;
    default: dl_die("optim_defaults: unknown optimizer kind %d", (int)kind);
    }
    return c;
}

// A value in [0, 1): momentum and the decay rates (1 would never forget, > 1 diverges).
static void check_unit(const char *kind, const char *field, float x)
{
    DL_CHECK(x >= 0.0f && x < 1.0f,
             "optimizer %s: %s = %g is outside [0, 1); use e.g. 0.9 (1 never forgets the past, "
             "values above 1 make the averages grow without bound)", kind, field, (double)x);
}

static void check_lr(const char *who, float lr)
{
    DL_CHECK(isfinite(lr) && lr >= 0.0f,
             "%s: learning rate %g is %s; use a finite value >= 0, e.g. 0.01", who, (double)lr,
             isnan(lr) ? "NaN" : !isfinite(lr) ? "infinite" : "negative");
}

void optim_init(Optimizer *o, const OptConfig *cfg, Params *p, Arena *state)
{
    const char *name = optim_kind_name(cfg->kind);
    DL_CHECK((int)cfg->kind >= 0 && (int)cfg->kind < N_KINDS,
             "optim_init: unknown optimizer kind %d; use one of sgd momentum nesterov adagrad "
             "rmsprop adam adamw", (int)cfg->kind);
    char who[64];
    snprintf(who, sizeof who, "optimizer %s", name);
    check_lr(who, cfg->lr);
    check_unit(name, "momentum", cfg->momentum);
    check_unit(name, "beta1", cfg->beta1);
    check_unit(name, cfg->kind == OPT_RMSPROP ? "beta2 (RMSprop's alpha)" : "beta2", cfg->beta2);
    DL_CHECK(isfinite(cfg->eps) && cfg->eps > 0.0f,
             "optimizer %s: eps = %g must be > 0 and finite (it keeps the division by √v away "
             "from 0); use 1e-8", name, (double)cfg->eps);
    DL_CHECK(isfinite(cfg->weight_decay) && cfg->weight_decay >= 0.0f,
             "optimizer %s: weight_decay = %g must be >= 0 and finite; use 0 (off) or e.g. 1e-4",
             name, (double)cfg->weight_decay);
    DL_CHECK(cfg->decay_min_ndim >= 0 && cfg->decay_min_ndim <= DL_MAX_DIMS,
             "optimizer %s: decay_min_ndim = %d must be in 0 … %d; use 0 (decay every "
             "parameter) or 2 (matrices only, as nanoGPT)", name, cfg->decay_min_ndim, DL_MAX_DIMS);

    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    o->params = p;
    OptKind k = cfg->kind;
    bool need_m = k == OPT_MOMENTUM || k == OPT_NESTEROV || k == OPT_ADAM || k == OPT_ADAMW ||
                  (k == OPT_RMSPROP && cfg->momentum > 0.0f);
    bool need_v = k == OPT_ADAGRAD || k == OPT_RMSPROP || k == OPT_ADAM || k == OPT_ADAMW;
    o->m = arena_alloc(state, (size_t)p->n * sizeof *o->m);   // zeroed: NULL where unused
    o->v = arena_alloc(state, (size_t)p->n * sizeof *o->v);
    for (int i = 0; i < p->n; i++) {
        size_t bytes = p->items[i]->size * sizeof(float);
        if (need_m) o->m[i] = arena_alloc(state, bytes);   // zeroed: u₀ = m₀ = 0
        if (need_v) o->v[i] = arena_alloc(state, bytes);   // zeroed: s₀ = v₀ = 0
    }
}

// ---- the updates (g = grad + wd·θ unless decoupled; one loop per kind) ----

// SGD, momentum, Nesterov: torch.optim.SGD with dampening 0. torch starts the buffer at g
// on the first step; starting it at 0 gives μ·0 + g = g, the same.
static void step_sgd(const OptConfig *c, float *th, const float *gr, float *u, size_t n, float lr)
{
    const float wd = c->weight_decay, mu = c->momentum;
    for (size_t i = 0; i < n; i++) {
        float g = gr[i] + wd * th[i];
        if (c->kind == OPT_SGD) {
            th[i] = th[i] - lr * g;
        } else {
            u[i] = mu * u[i] + g;
            float d = c->kind == OPT_NESTEROV ? g + mu * u[i] : u[i];
            th[i] = th[i] - lr * d;
        }
    }
}

// AdaGrad (Duchi, Hazan & Singer, JMLR 2011, diagonal form; torch.optim.Adagrad, lr_decay 0):
// s ← s + g², θ ← θ − lr·g/(√s + ε). The sum only grows, so the step sizes only shrink.
static void step_adagrad(const OptConfig *c, float *th, const float *gr, float *s, size_t n, float lr)
{
    const float wd = c->weight_decay, eps = c->eps;
    for (size_t i = 0; i < n; i++) {
        float g = gr[i] + wd * th[i];
        s[i] = s[i] + g * g;
        th[i] = th[i] + (-lr * g) / (sqrtf(s[i]) + eps);
    }
}

// RMSprop (Hinton, Coursera "Neural Networks for Machine Learning", lecture 6e, 2012;
// torch.optim.RMSprop, not centered): s ← ρ·s + (1−ρ)·g², θ ← θ − lr·g/(√s + ε): AdaGrad
// with a forgetting average. With momentum μ > 0 (torch): u ← μ·u + g/(√s + ε), θ ← θ − lr·u.
static void step_rmsprop(const OptConfig *c, float *th, const float *gr, float *s, float *u,
                         size_t n, float lr)
{
    const float wd = c->weight_decay, eps = c->eps, rho = c->beta2, mu = c->momentum;
    const float one_m_rho = (float)(1.0 - (double)rho);
    for (size_t i = 0; i < n; i++) {
        float g = gr[i] + wd * th[i];
        s[i] = rho * s[i] + one_m_rho * g * g;
        float denom = sqrtf(s[i]) + eps;
        if (u) {
            u[i] = mu * u[i] + g / denom;
            th[i] = th[i] - lr * u[i];
        } else {
            th[i] = th[i] + (-lr * g) / denom;
        }
    }
}

// The SGD family on a big parameter (an embedding or a softmax head: millions of floats),
// cut into fixed chunks shared among the threads. Each element's update is the same
// arithmetic wherever it runs, so the result is the same bits for any thread count.
#define SGD_CHUNK 65536

typedef struct SgdJob {
    const OptConfig *c;
    float *th, *u;
    const float *g;
    size_t n;
    float lr;
} SgdJob;

static void sgd_chunk(void *ctx, int k)
{
    const SgdJob *j = ctx;
    size_t lo = (size_t)k * SGD_CHUNK, hi = lo + SGD_CHUNK < j->n ? lo + SGD_CHUNK : j->n;
    step_sgd(j->c, j->th + lo, j->g + lo, j->u ? j->u + lo : NULL, hi - lo, j->lr);
}

static void step_sgd_par(const OptConfig *c, float *th, const float *g, float *u, size_t n,
                         float lr)
{
    int chunks = (int)((n + SGD_CHUNK - 1) / SGD_CHUNK);
    if (threads_get() < 2 || chunks < 2) {
        step_sgd(c, th, g, u, n, lr);
        return;
    }
    SgdJob j = {c, th, u, g, n, lr};
    parallel_for(chunks, sgd_chunk, &j);
}

void optim_step(Optimizer *o, float lr)
{
    char who[64];
    snprintf(who, sizeof who, "optim_step (%s)", optim_kind_name(o->cfg.kind));
    check_lr(who, lr);
    o->t++;
    for (int i = 0; i < o->params->n; i++) {
        Tensor *p = o->params->items[i];
        float *th = p->data, *m = o->m[i], *v = o->v[i];
        const float *g = p->grad;
        size_t n = p->size;
        // nanoGPT's parameter groups (configure_optimizers): weight decay only on parameters
        // with at least decay_min_ndim dimensions (matrices, embeddings), none on biases
        // and LayerNorm gains when it is 2.
        OptConfig pc = o->cfg;
        if (p->ndim < pc.decay_min_ndim) pc.weight_decay = 0.0f;
        const OptConfig *c = &pc;
        switch (c->kind) {
        case OPT_SGD:
        case OPT_MOMENTUM:
        case OPT_NESTEROV: step_sgd_par(c, th, g, m, n, lr); break;
        case OPT_ADAGRAD: step_adagrad(c, th, g, v, n, lr); break;
        case OPT_RMSPROP: step_rmsprop(c, th, g, v, m, n, lr); break;
        case OPT_ADAM:
        case OPT_ADAMW:
            // Kingma & Ba (ICLR 2015), Algorithm 1; AdamW: Loshchilov & Hutter (ICLR 2019),
            // Algorithm 2. Formulas at the top of common/kernels/adam.h.
            adam_update(th, g, m, v, n, lr, c->beta1, c->beta2, c->eps, c->weight_decay,
                        c->kind == OPT_ADAMW, o->t);
            break;
        }
    }
}
