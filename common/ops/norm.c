/* common/ops/norm.c — batch normalisation over (B, C) and over the channels of (B, C, H, W);
 * see ops/norm.h. */
#include "ops/norm.h"

#include <math.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "ops/internal.h"

// ---- batch normalisation ----

typedef struct BatchNormSaved {
    float *xhat;        // (B, C): (x - mean) / σ
    float *inv_std;     // (C): 1/σ = 1/sqrt(var + eps)
    double *sum_dy;     // (C) scratch for backward: Σ_i dy[i, j]
    double *sum_dy_xhat;// (C) scratch for backward: Σ_i dy[i, j]·x̂[i, j]
    bool train;
} BatchNormSaved;

// Derivation (Ioffe & Szegedy 2015, §3, the chain rule through Algorithm 1, simplified):
// per feature, with x̂_i = (x_i - μ)/σ, σ = sqrt(v + eps), y_i = γ x̂_i + β, and g_i = dy_i:
//   dβ = Σ_i g_i,   dγ = Σ_i g_i x̂_i,   dx̂_i = γ g_i.
// Train mode: μ and v depend on every x_i (∂μ/∂x_i = 1/B, ∂v/∂x_i = 2(x_i - μ)/B), so
//   dv = Σ_k dx̂_k (x_k - μ) · (-½) σ⁻³,   dμ = -Σ_k dx̂_k / σ   (the dv term has Σ(x_k - μ) = 0)
//   dx_i = dx̂_i/σ + dv · 2(x_i - μ)/B + dμ/B
//        = (γ / (B σ)) · (B g_i - Σ_k g_k - x̂_i Σ_k g_k x̂_k),
// one pass for the two sums and one for dx, instead of the five of the staged graph.
// Eval mode: μ and v are constants, so dx_i = γ g_i / σ.
static void batchnorm_backward(Node *n)
{
    Tensor *x = n->in[0], *gamma = n->in[1], *beta = n->in[2];
    const BatchNormSaved *s = n->saved;
    int B = x->shape[0], C = x->shape[1];
    const float *dy = n->out->grad;
    double *sdy = s->sum_dy, *sdyx = s->sum_dy_xhat;
    for (int j = 0; j < C; j++) sdy[j] = sdyx[j] = 0.0;
    // Rows outer, features inner: both passes stream through (B, C) in memory order.
    for (int i = 0; i < B; i++)
        for (int j = 0; j < C; j++) {
            size_t ij = (size_t)i * C + j;
            sdy[j] += dy[ij];
            sdyx[j] += (double)dy[ij] * s->xhat[ij];
        }
    if (beta->grad)
        for (int j = 0; j < C; j++) beta->grad[j] += (float)sdy[j];
    if (gamma->grad)
        for (int j = 0; j < C; j++) gamma->grad[j] += (float)sdyx[j];
    if (!x->grad) return;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < C; j++) {
            size_t ij = (size_t)i * C + j;
            float c = gamma->data[j] * s->inv_std[j];
            if (s->train)
                x->grad[ij] +=
                    c * (float)(((double)B * dy[ij] - sdy[j] - s->xhat[ij] * sdyx[j]) / B);
            else
                x->grad[ij] += c * dy[ij];
        }
}

Tensor *op_batchnorm(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                     float eps, bool train)
{
    int B, C;
    tensor_require_2d(x, "batchnorm (input)", &B, &C);
    char sx[64], sg[64], sb[64];
    DL_CHECK(gamma->ndim == 1 && gamma->shape[0] == C && beta->ndim == 1 && beta->shape[0] == C,
             "batchnorm: gamma %s and beta %s must both be (C) for input %s (B, C)",
             tensor_shape_str(gamma, sg, sizeof sg), tensor_shape_str(beta, sb, sizeof sb),
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(!train || B >= 2, "batchnorm: train mode needs a batch of at least 2 rows to "
             "estimate a variance, got input %s (use a larger batch, or eval mode)",
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(eps > 0.0f, "batchnorm: eps = %g must be > 0 (it keeps 1/sqrt(var + eps) finite)",
             eps);
    DL_CHECK(mean && var, "batchnorm: mean and var must point to C = %d floats each (got NULL)", C);
    if (train) {
        // Two passes in double: the mean, then the mean squared deviation. (The one-pass
        // E[x²] - E[x]² cancels catastrophically when |mean| >> std.)
        double *mu = arena_alloc(tp->arena, 2 * (size_t)C * sizeof(double)), *v = mu + C;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < C; j++) mu[j] += x->data[(size_t)i * C + j];
        for (int j = 0; j < C; j++) mu[j] /= B;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < C; j++) {
                double d = x->data[(size_t)i * C + j] - mu[j];
                v[j] += d * d;
            }
        for (int j = 0; j < C; j++) {
            mean[j] = (float)mu[j];
            var[j] = (float)(v[j] / B);
        }
    } else {
        for (int j = 0; j < C; j++)
            DL_CHECK(var[j] >= 0.0f, "batchnorm: running variance %g of feature %d is negative "
                     "or NaN (the statistics are corrupt: did training diverge?)", var[j], j);
    }
    Tensor *in[] = {x, gamma, beta};
    Tensor *y = output_like(tp, x, in, 3);
    BatchNormSaved *s = arena_alloc(tp->arena, sizeof *s);
    s->xhat = arena_alloc(tp->arena, x->size * sizeof(float));
    s->inv_std = arena_alloc(tp->arena, (size_t)C * sizeof(float));
    s->train = train;
    for (int j = 0; j < C; j++) s->inv_std[j] = (float)(1.0 / sqrt((double)var[j] + eps));
    for (int i = 0; i < B; i++)
        for (int j = 0; j < C; j++) {
            size_t ij = (size_t)i * C + j;
            s->xhat[ij] = (x->data[ij] - mean[j]) * s->inv_std[j];
            y->data[ij] = gamma->data[j] * s->xhat[ij] + beta->data[j];
        }
    Node *n = tape_record(tp, "batchnorm", batchnorm_backward, y, in, 3);
    if (n) {
        s->sum_dy = arena_alloc(tp->arena, 2 * (size_t)C * sizeof(double));
        s->sum_dy_xhat = s->sum_dy + C;
        n->saved = s;
    }
    return y;
}

// ---- batch normalisation over channels ----

typedef struct Bn2dTask {
    int B, C;
    size_t HW;
    const float *x, *gamma, *beta;
    float *y;             // forward output
    float *dy;            // backward: dL/dy (the fused ReLU masks it in place)
    float *dx, *dgamma, *dbeta;
    float *mean, *var;    // (C): written (train) or read (eval)
    float *inv_std;       // (C): 1/sqrt(var + eps)
    float eps;
    bool train;
    bool relu;            // op_batchnorm2d_relu: y = max(0, BN(x)), and backward masks dy by y > 0
} Bn2dTask;

// One channel: statistics (train), then y = γ·x̂ + β with x̂ = (x − mean)·inv_std.
static void bn2d_forward_channel(void *ctx, int c)
{
    Bn2dTask *t = ctx;
    const size_t HW = t->HW, stride = (size_t)t->C * HW;
    const float *xc = t->x + (size_t)c * HW;   // plane (0, c); plane (n, c) is n·stride further
    if (t->train) {
        // Two passes in double (as op_batchnorm): the mean, then the mean squared deviation.
        double M = (double)t->B * (double)HW;
        Lanes l = {{0}};
        for (int n = 0; n < t->B; n++) lanes_add(&l, xc + n * stride, HW);
        double mu = lanes_total(&l) / M;
        Lanes v = {{0}};
        for (int n = 0; n < t->B; n++) lanes_add_sq_dev(&v, xc + n * stride, HW, mu);
        t->mean[c] = (float)mu;
        t->var[c] = (float)(lanes_total(&v) / M);
    }
    const float inv = (float)(1.0 / sqrt((double)t->var[c] + t->eps));
    t->inv_std[c] = inv;
    const float m = t->mean[c], g = t->gamma[c], b = t->beta[c];
    for (int n = 0; n < t->B; n++) {
        const float *restrict x = xc + n * stride;
        float *restrict y = t->y + (size_t)c * HW + n * stride;
        if (t->relu)   // the same expression as op_relu's, so the numbers are identical
            for (size_t j = 0; j < HW; j++) {
                float v = g * ((x[j] - m) * inv) + b;
                y[j] = v > 0.0f ? v : 0.0f;
            }
        else
            for (size_t j = 0; j < HW; j++) y[j] = g * ((x[j] - m) * inv) + b;
    }
}

// The derivation is op_batchnorm's (above), with the batch sums running over the M = B·H·W
// values of a channel:  dβ = Σ dy,  dγ = Σ dy·x̂,
//   train: dx = (γ/σ)·(dy − Σdy/M − x̂·Σ(dy·x̂)/M);   eval: dx = (γ/σ)·dy.
// x̂ is recomputed from x (cheaper than storing a second copy of the activation).
static void bn2d_backward_channel(void *ctx, int c)
{
    Bn2dTask *t = ctx;
    const size_t HW = t->HW, stride = (size_t)t->C * HW, off = (size_t)c * HW;
    const float m = t->mean[c], inv = t->inv_std[c];
    if (t->relu)
        // The fused ReLU first: dL/d(BN output) = dy where y > 0, else 0 (op_relu's rule),
        // written over dy itself — this node is the only reader of its output's gradient.
        for (int n = 0; n < t->B; n++) {
            const float *restrict y = t->y + off + n * stride;
            float *restrict dy = t->dy + off + n * stride;
            for (size_t j = 0; j < HW; j++) dy[j] = y[j] > 0.0f ? dy[j] : 0.0f;
        }
    Lanes sdy = {{0}}, sdyx = {{0}};
    for (int n = 0; n < t->B; n++) {
        const float *x = t->x + off + n * stride, *dy = t->dy + off + n * stride;
        size_t j = 0;
        for (; j + 8 <= HW; j += 8)
            for (int l = 0; l < 8; l++) {
                float xh = (x[j + l] - m) * inv;
                sdy.v[l] += (double)dy[j + l];
                sdyx.v[l] += (double)dy[j + l] * (double)xh;
            }
        for (int l = 0; j < HW; j++, l++) {
            float xh = (x[j] - m) * inv;
            sdy.v[l] += (double)dy[j];
            sdyx.v[l] += (double)dy[j] * (double)xh;
        }
    }
    double s1 = lanes_total(&sdy), s2 = lanes_total(&sdyx);
    if (t->dbeta) t->dbeta[c] += (float)s1;
    if (t->dgamma) t->dgamma[c] += (float)s2;
    if (!t->dx) return;
    const float k = t->gamma[c] * inv;
    const double M = (double)t->B * (double)HW;
    const float a = t->train ? (float)(s1 / M) : 0.0f, b = t->train ? (float)(s2 / M) : 0.0f;
    for (int n = 0; n < t->B; n++) {
        const float *restrict x = t->x + off + n * stride, *restrict dy = t->dy + off + n * stride;
        float *restrict dx = t->dx + off + n * stride;
        if (t->train)
            for (size_t j = 0; j < HW; j++) dx[j] += k * (dy[j] - a - ((x[j] - m) * inv) * b);
        else
            for (size_t j = 0; j < HW; j++) dx[j] += k * dy[j];
    }
}

static void batchnorm2d_backward(Node *n)
{
    Bn2dTask t = *(Bn2dTask *)n->saved;
    t.dy = n->out->grad;
    t.dx = n->in[0]->grad;
    t.dgamma = n->in[1]->grad;
    t.dbeta = n->in[2]->grad;
    run_tasks(t.C, bn2d_backward_channel, &t, n->in[0]->size);
}

static Tensor *batchnorm2d_op(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean,
                              float *var, float eps, bool train, bool relu)
{
    char sx[64], sg[64], sb[64];
    require_4d("batchnorm2d", "input x", x);
    const int B = x->shape[0], C = x->shape[1];
    const size_t HW = (size_t)x->shape[2] * x->shape[3];
    DL_CHECK(gamma->ndim == 1 && gamma->shape[0] == C && beta->ndim == 1 && beta->shape[0] == C,
             "batchnorm2d: gamma %s and beta %s must both be (C) for input %s (B, C, H, W)",
             tensor_shape_str(gamma, sg, sizeof sg), tensor_shape_str(beta, sb, sizeof sb),
             tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(!train || (size_t)B * HW >= 2, "batchnorm2d: train mode needs at least 2 values per "
             "channel (B·H·W >= 2) to estimate a variance, got input %s (use a larger batch, or "
             "eval mode)", tensor_shape_str(x, sx, sizeof sx));
    DL_CHECK(eps > 0.0f, "batchnorm2d: eps = %g must be > 0 (it keeps 1/sqrt(var + eps) finite)",
             eps);
    DL_CHECK(mean && var, "batchnorm2d: mean and var must point to C = %d floats each (got NULL)",
             C);
    if (!train)
        for (int c = 0; c < C; c++)
            DL_CHECK(var[c] >= 0.0f, "batchnorm2d: running variance %g of channel %d is negative "
                     "or NaN (the statistics are corrupt: did training diverge?)", var[c], c);
    Tensor *in[] = {x, gamma, beta};
    Tensor *y = tape_output(tp, 4, x->shape, in, 3);
    Bn2dTask *t = arena_alloc(tp->arena, sizeof *t);
    *t = (Bn2dTask){.B = B, .C = C, .HW = HW, .x = x->data, .gamma = gamma->data,
                    .beta = beta->data, .y = y->data, .eps = eps, .train = train,
                    .relu = relu};
    // Backward needs the statistics of this call: keep copies (the caller's buffers may be the
    // running statistics, which the next train step changes).
    t->mean = arena_alloc(tp->arena, 3 * (size_t)C * sizeof(float));
    t->var = t->mean + C;
    t->inv_std = t->var + C;
    if (!train) {
        memcpy(t->mean, mean, (size_t)C * sizeof(float));
        memcpy(t->var, var, (size_t)C * sizeof(float));
    }
    run_tasks(C, bn2d_forward_channel, t, x->size);
    if (train) {
        memcpy(mean, t->mean, (size_t)C * sizeof(float));
        memcpy(var, t->var, (size_t)C * sizeof(float));
    }
    Node *n = tape_record(tp, relu ? "batchnorm2d_relu" : "batchnorm2d", batchnorm2d_backward, y,
                          in, 3);
    if (n) n->saved = t;
    return y;
}

Tensor *op_batchnorm2d(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean, float *var,
                       float eps, bool train)
{
    return batchnorm2d_op(tp, x, gamma, beta, mean, var, eps, train, false);
}

Tensor *op_batchnorm2d_relu(Tape *tp, Tensor *x, Tensor *gamma, Tensor *beta, float *mean,
                            float *var, float eps, bool train)
{
    return batchnorm2d_op(tp, x, gamma, beta, mean, var, eps, train, true);
}
