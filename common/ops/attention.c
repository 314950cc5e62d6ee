/* common/ops/attention.c — attention and layer normalisation as autograd ops; see
 * ops/attention.h (and kernels/attention.h for the attention math and its rungs).
 *
 * op_attention runs the selected rung of ATTN_LADDER and keeps in the step arena what that
 * rung's backward needs (v0: P, B·NH·T² floats; v1/v2: the log-sum-exp, B·NH·T); the rung is
 * remembered in the node, so backward uses the same one even if --kernel changes in between,
 * and so is the forward's scratch, which backward reuses: the op's memory is saved + scratch.
 * op_layernorm follows torch.nn.LayerNorm (biased variance, eps inside the square root).
 */
#include "ops/attention.h"

#include <string.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "ops/internal.h"

// ---- attention ----

typedef struct AttnSaved {
    AttnShape shape;
    const AttnImpl *impl;
    float *saved;       // the rung's saved state (impl->saved_floats)
    float *scratch;     // the forward's scratch (dead after it), reused by backward …
    size_t n_scratch;   // … when it is big enough (the thread count may have changed since)
    Arena *arena;       // for a bigger scratch
} AttnSaved;

static float *scratch_of(Arena *a, size_t n)
{
    return arena_alloc_uninit(a, (n ? n : 1) * sizeof(float));
}

// dqkv += the rung's backward of dout (kernels/attention.c derives it)
static void attention_backward(Node *n)
{
    AttnSaved *s = n->saved;
    Tensor *qkv = n->in[0];
    if (!qkv->grad) return;
    const size_t need = s->impl->scratch_floats(&s->shape);
    float *scratch = need <= s->n_scratch ? s->scratch : scratch_of(s->arena, need);
    s->impl->backward(&s->shape, qkv->data, n->out->data, s->saved, n->out->grad, qkv->grad,
                      scratch);
}

Tensor *op_attention(Tape *tp, Tensor *qkv, int NH, bool causal)
{
    char sq[64];
    DL_CHECK(qkv->ndim == 3, "attention: qkv must be 3-D (B, T, 3C), got shape %s",
             tensor_shape_str(qkv, sq, sizeof sq));
    DL_CHECK(qkv->shape[2] % 3 == 0, "attention: the last dimension of qkv %s must be 3C "
             "(q, k and v side by side), but %d is not a multiple of 3",
             tensor_shape_str(qkv, sq, sizeof sq), qkv->shape[2]);
    const int B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    DL_CHECK(NH >= 1 && C % NH == 0, "attention: %d heads do not divide C = %d (qkv %s): "
             "choose NH dividing the model width", NH, C, tensor_shape_str(qkv, sq, sizeof sq));
    AttnShape sh = {.B = B, .T = T, .NH = NH, .HS = C / NH, .causal = causal};
    const AttnImpl *impl = attn_impl();
    Tensor *y = tape_output(tp, 3, (int[]){B, T, C}, &qkv, 1);
    float *saved = scratch_of(tp->arena, impl->saved_floats(&sh));
    const size_t n_scratch = impl->scratch_floats(&sh);
    float *scratch = scratch_of(tp->arena, n_scratch);
    impl->forward(&sh, qkv->data, y->data, saved, scratch);
    Node *n = tape_record(tp, "attention", attention_backward, y, &qkv, 1);
    if (n) {
        AttnSaved *s = arena_alloc(tp->arena, sizeof *s);
        *s = (AttnSaved){.shape = sh, .impl = impl, .saved = saved, .scratch = scratch,
                        .n_scratch = n_scratch, .arena = tp->arena};
        n->saved = s;
    }
    return y;
}

// ---- layer normalisation ----

typedef struct LnSaved {
    float *mean, *rstd;     // (rows) μ and 1/√(σ² + eps) of each row
    int rows, C;
} LnSaved;

typedef struct LnCtx {
    const float *x, *gamma, *beta, *dy;
    float *y, *dx;
    float *mean, *rstd;
    int C;
    float eps;
} LnCtx;

// One row: μ and σ² (biased) in double over 8 lanes (internal.h), then y = x̂·γ + β.
static void ln_forward_row(void *ctx, int i)
{
    const LnCtx *c = ctx;
    const int C = c->C;
    const float *restrict x = c->x + (size_t)i * C;
    float *restrict y = c->y + (size_t)i * C;
    Lanes l = {{0}};
    lanes_add(&l, x, (size_t)C);
    const double mu = lanes_total(&l) / C;
    Lanes v = {{0}};
    lanes_add_sq_dev(&v, x, (size_t)C, mu);
    const float m = (float)mu, r = (float)(1.0 / sqrt(lanes_total(&v) / C + c->eps));
    c->mean[i] = m;
    c->rstd[i] = r;
    const float *restrict g = c->gamma;
    if (c->beta) {
        const float *restrict b = c->beta;
        for (int j = 0; j < C; j++) y[j] = (x[j] - m) * r * g[j] + b[j];
    } else {
        for (int j = 0; j < C; j++) y[j] = (x[j] - m) * r * g[j];
    }
}

// Derivation (the chain rule through μ and σ², as batch norm's but along a row; x̂ = (x − μ)·r,
// r = 1/√(σ² + eps), g_j = dy_j·γ_j):
//   dx_j = r · (g_j − (1/C) Σ_k g_k − x̂_j · (1/C) Σ_k g_k x̂_k)
//   dγ_j += Σ_rows dy_j x̂_j,   dβ_j += Σ_rows dy_j.
static void ln_backward_row(void *ctx, int i)
{
    const LnCtx *c = ctx;
    const int C = c->C;
    const float *restrict x = c->x + (size_t)i * C, *restrict dy = c->dy + (size_t)i * C;
    const float *restrict g = c->gamma;
    float *restrict dx = c->dx + (size_t)i * C;
    const float m = c->mean[i], r = c->rstd[i];
    double sg = 0.0, sgx = 0.0;
    for (int j = 0; j < C; j++) {
        const float gj = dy[j] * g[j], xh = (x[j] - m) * r;
        sg += gj;
        sgx += (double)gj * xh;
    }
    const float a = (float)(sg / C), b = (float)(sgx / C);
    for (int j = 0; j < C; j++) {
        const float xh = (x[j] - m) * r;
        dx[j] += r * (dy[j] * g[j] - a - xh * b);
    }
}

static void layernorm_backward(Node *n)
{
    const LnSaved *s = n->saved;
    Tensor *x = n->in[0], *gamma = n->in[1], *beta = n->n_in > 2 ? n->in[2] : NULL;
    const int C = s->C, rows = s->rows;
    const float *dy = n->out->grad;
    if (x->grad) {
        LnCtx c = {.x = x->data, .gamma = gamma->data, .dy = dy, .dx = x->grad, .mean = s->mean,
                   .rstd = s->rstd, .C = C};
        run_tasks(rows, ln_backward_row, &c, x->size);
    }
    // Rows outer, features inner: a fixed order, vectorised over the features.
    if (gamma->grad) {
        float *restrict dg = gamma->grad;
        for (int i = 0; i < rows; i++) {
            const float *restrict xi = x->data + (size_t)i * C, *restrict di = dy + (size_t)i * C;
            const float m = s->mean[i], r = s->rstd[i];
            for (int j = 0; j < C; j++) dg[j] += di[j] * ((xi[j] - m) * r);
        }
    }
    if (beta && beta->grad) {
        float *restrict db = beta->grad;
        for (int i = 0; i < rows; i++) {
            const float *restrict di = dy + (size_t)i * C;
            for (int j = 0; j < C; j++) db[j] += di[j];
        }
    }
}

Tensor *op_layernorm(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float eps)
{
    char sx[64], sg[64], sb[64];
    DL_CHECK(x->ndim >= 1, "layernorm: input must have at least one dimension (…, C), got a "
             "scalar");
    const int C = x->shape[x->ndim - 1];
    DL_CHECK(gamma && gamma->ndim == 1 && gamma->shape[0] == C,
             "layernorm: gamma %s must be (C) = (%d) for input %s",
             gamma ? tensor_shape_str(gamma, sg, sizeof sg) : "NULL", C,
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(!beta || (beta->ndim == 1 && beta->shape[0] == C),
             "layernorm: beta %s must be (C) = (%d) or NULL for input %s",
             beta ? tensor_shape_str(beta, sb, sizeof sb) : "NULL", C,
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(eps > 0.0f, "layernorm: eps = %g must be > 0 (it keeps 1/sqrt(var + eps) finite)",
             eps);
    const int rows = (int)(x->size / (size_t)C);
    Tensor *in[] = {x, gamma, beta};
    const int n_in = beta ? 3 : 2;
    Tensor *y = output_like(tp, x, in, n_in);
    LnSaved *s = arena_alloc(tp->arena, sizeof *s);
    s->mean = arena_alloc_uninit(tp->arena, (size_t)rows * sizeof(float));
    s->rstd = arena_alloc_uninit(tp->arena, (size_t)rows * sizeof(float));
    s->rows = rows;
    s->C = C;
    LnCtx c = {.x = x->data, .gamma = gamma->data, .beta = beta ? beta->data : NULL,
               .y = y->data, .mean = s->mean, .rstd = s->rstd, .C = C, .eps = eps};
    run_tasks(rows, ln_forward_row, &c, x->size);
    Node *n = tape_record(tp, "layernorm", layernorm_backward, y, in, n_in);
    if (n) n->saved = s;
    return y;
}
