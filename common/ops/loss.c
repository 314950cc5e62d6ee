/* common/ops/loss.c — cross-entropy (plain and class-weighted), BCE, MSE; see ops/loss.h. */
#include "ops/loss.h"

#include <math.h>

#include "base/error.h"
#include "kernels/fastmath.h"
#include "ops/internal.h"

// ---- losses ----

// L = (1/B) Σ_i [logsumexp(z_i) - z_i,t_i]:  dz_i,j += dL · (softmax(z_i)_j - [j = t_i]) / B
// forward saves softmax(z) (B, V) for this.
static void cross_entropy_backward(Node *n)
{
    Tensor *z = n->in[0];
    int B = z->shape[0], V = z->shape[1];
    const float *p = n->saved;
    float g = n->out->grad[0] / (float)B;
    for (int i = 0; i < B; i++)
        for (int j = 0; j < V; j++) {
            float onehot = j == n->iparam[i] ? 1.0f : 0.0f;
            z->grad[(size_t)i * V + j] += g * (p[(size_t)i * V + j] - onehot);
        }
}

Tensor *op_cross_entropy(Tape *tp, Tensor *logits, const int *targets)
{
    int B, V;
    tensor_require_2d(logits, "cross_entropy (logits)", &B, &V);
    Tensor *loss = scalar_output(tp, &logits, 1);
    float *logp = arena_alloc(tp->arena, logits->size * sizeof(float));
    double total = 0.0;
    for (int i = 0; i < B; i++) {
        int t = targets[i];
        DL_CHECK(t >= 0 && t < V, "cross_entropy: target %d of row %d is outside [0, %d)", t, i, V);
        float *row = logp + (size_t)i * V;
        log_softmax_row(logits->data + (size_t)i * V, row, V);
        total -= row[t];
    }
    loss->data[0] = (float)(total / B);
    Node *n = tape_record(tp, "cross_entropy", cross_entropy_backward, loss, &logits, 1);
    if (n) {
        for (size_t k = 0; k < logits->size; k++) logp[k] = expf(logp[k]);   // now softmax
        n->saved = logp;
        n->iparam = targets;
    }
    return loss;
}

// L = -(1/n) Σ [y log p + (1-y) log(1-p)], logs clamped at -100 as torch.nn.BCELoss:
//   dp += dL · (p - y) / (p (1 - p)) / n, with p (1 - p) kept >= 1e-12 (PyTorch's EPSILON).
static void bce_backward(Node *n)
{
    Tensor *p = n->in[0], *y = n->in[1];
    float g = n->out->grad[0] / (float)p->size;
    if (p->grad)
        for (size_t i = 0; i < p->size; i++) {
            float pi = p->data[i], den = pi * (1.0f - pi);
            p->grad[i] += g * (pi - y->data[i]) / (den > 1e-12f ? den : 1e-12f);
        }
}

Tensor *op_bce(Tape *tp, Tensor *p, Tensor *y)
{
    require_same_shape("bce", p, y);
    Tensor *in[] = {p, y};
    Tensor *loss = scalar_output(tp, in, 1);   // the target gets no gradient
    double total = 0.0;
    for (size_t i = 0; i < p->size; i++) {
        float pi = p->data[i], yi = y->data[i];
        DL_CHECK(pi >= 0.0f && pi <= 1.0f, "bce: prediction %g at index %zu is not a probability "
                 "in [0, 1] (apply sigmoid first)", pi, i);
        double lp = fmax(log((double)pi), -100.0), l1p = fmax(log(1.0 - pi), -100.0);
        total -= yi * lp + (1.0 - yi) * l1p;
    }
    loss->data[0] = (float)(total / (double)p->size);
    tape_record(tp, "bce", bce_backward, loss, in, 2);
    return loss;
}

// L = (1/n) Σ (a - t)²:  da += dL · 2 (a - t) / n
static void mse_backward(Node *n)
{
    Tensor *a = n->in[0], *t = n->in[1];
    float g = 2.0f * n->out->grad[0] / (float)a->size;
    for (size_t i = 0; i < a->size; i++) a->grad[i] += g * (a->data[i] - t->data[i]);
}

Tensor *op_mse(Tape *tp, Tensor *pred, Tensor *target)
{
    require_same_shape("mse", pred, target);
    Tensor *in[] = {pred, target};
    Tensor *loss = scalar_output(tp, in, 1);
    double total = 0.0;
    for (size_t i = 0; i < pred->size; i++) {
        double d = (double)pred->data[i] - target->data[i];
        total += d * d;
    }
    loss->data[0] = (float)(total / (double)pred->size);
    tape_record(tp, "mse", mse_backward, loss, in, 2);
    return loss;
}

// ---- class-weighted cross-entropy ----

typedef struct CeWeightedSaved {
    float *p;              // (B, V) softmax of the logits
    const float *weight;   // (V) class weights, the caller's
    float total;           // Σ_i w[y_i]
} CeWeightedSaved;

// L = Σ_i w_{t_i} (logsumexp(z_i) − z_i,t_i) / W, W = Σ_i w_{t_i}:
//   dz_i,j += dL · w_{t_i} / W · (softmax(z_i)_j − [j = t_i])
static void cross_entropy_weighted_backward(Node *n)
{
    Tensor *z = n->in[0];
    const CeWeightedSaved *s = n->saved;
    int B = z->shape[0], V = z->shape[1];
    float g = n->out->grad[0] / s->total;
    for (int i = 0; i < B; i++) {
        int t = n->iparam[i];
        float gi = g * s->weight[t];
        const float *p = s->p + (size_t)i * V;
        float *dz = z->grad + (size_t)i * V;
        for (int j = 0; j < V; j++) dz[j] += gi * (p[j] - (j == t ? 1.0f : 0.0f));
    }
}

Tensor *op_cross_entropy_weighted(Tape *tp, Tensor *logits, const int *targets,
                                  const float *class_weight)
{
    int B, V;
    tensor_require_2d(logits, "cross_entropy_weighted (logits)", &B, &V);
    DL_CHECK(targets && class_weight, "cross_entropy_weighted: targets (B = %d) and class_weight "
             "(V = %d) must not be NULL", B, V);
    Tensor *loss = tape_output(tp, 0, NULL, &logits, 1);
    float *p = arena_alloc(tp->arena, logits->size * sizeof(float));   // (B, V)
    double total = 0.0, wsum = 0.0;
    for (int i = 0; i < B; i++) {
        int t = targets[i];
        DL_CHECK(t >= 0 && t < V, "cross_entropy_weighted: target %d of row %d is outside "
                 "[0, %d)", t, i, V);
        // log-softmax of row i, max subtracted so that no exp() overflows
        const float *z = logits->data + (size_t)i * V;
        float *row = p + (size_t)i * V;
        float m = z[0];
        for (int j = 1; j < V; j++) m = z[j] > m ? z[j] : m;
        double s = 0.0;
        for (int j = 0; j < V; j++) s += exp((double)(z[j] - m));
        float lse = m + (float)log(s);
        for (int j = 0; j < V; j++) row[j] = z[j] - lse;
        total -= (double)class_weight[t] * row[t];
        wsum += class_weight[t];
    }
    DL_CHECK(wsum > 0.0 && isfinite(wsum), "cross_entropy_weighted: the targets' total class "
             "weight is %g; it must be > 0 (give the classes positive weights)", wsum);
    loss->data[0] = (float)(total / wsum);
    Node *n = tape_record(tp, "cross_entropy_weighted", cross_entropy_weighted_backward, loss,
                          &logits, 1);
    if (n) {
        for (size_t k = 0; k < logits->size; k++) p[k] = expf(p[k]);   // now softmax
        CeWeightedSaved *s = arena_alloc(tp->arena, sizeof *s);
        *s = (CeWeightedSaved){p, class_weight, (float)wsum};
        n->saved = s;
        n->iparam = targets;
    }
    return loss;
}

// ---- cross-entropy for big vocabularies ----
// The same loss as op_cross_entropy, per row: m = max z, s = Σ exp(z − m) with the vectorized
// exp of kernels/fastmath.h summed in 16 float lanes (a fixed order: lane l takes the columns
// j ≡ l mod 16, the lanes meet in a fixed tree), lse = m + log s; the softmax exp(z − m)/s is
// kept for backward. Rows are independent and shared among threads by parallel_for's static
// split, so the bits do not depend on the thread count; the per-row losses are summed in double
// in row order.
#define CE_LANES 16

typedef struct CeFast {
    const float *z;
    float *p;                // (B, V) softmax, or NULL (not recording)
    const int *t;
    double *row_loss;        // (B)
    int V;
    float g;                 // backward: dL/dloss / B
    float *dz;               // backward: (B, V)
} CeFast;

static void ce_fast_row(void *ctx, int i)
{
    const CeFast *c = ctx;
    const int V = c->V;
    const float *z = c->z + (size_t)i * V;
    float mx[CE_LANES];
    for (int l = 0; l < CE_LANES; l++) mx[l] = z[0];
    int j = 0;
    for (; j + CE_LANES <= V; j += CE_LANES)
        for (int l = 0; l < CE_LANES; l++) mx[l] = z[j + l] > mx[l] ? z[j + l] : mx[l];
    float m = mx[0];
    for (int l = 1; l < CE_LANES; l++) m = mx[l] > m ? mx[l] : m;
    for (; j < V; j++) m = z[j] > m ? z[j] : m;
    float acc[CE_LANES] = {0};
    float *p = c->p ? c->p + (size_t)i * V : NULL;
    j = 0;
    if (p) {
        for (; j + CE_LANES <= V; j += CE_LANES)
            for (int l = 0; l < CE_LANES; l++) {
                float e = dl_fast_expf(z[j + l] - m);
                p[j + l] = e;
                acc[l] += e;
            }
    } else {
        for (; j + CE_LANES <= V; j += CE_LANES)
            for (int l = 0; l < CE_LANES; l++) acc[l] += dl_fast_expf(z[j + l] - m);
    }
    for (int l = 0; j < V; j++, l++) {
        float e = dl_fast_expf(z[j] - m);
        if (p) p[j] = e;
        acc[l] += e;
    }
    for (int w = CE_LANES / 2; w >= 1; w /= 2)          // the fixed tree: 8, 4, 2, 1
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    float s = acc[0];
    c->row_loss[i] = (double)m + log((double)s) - (double)z[c->t[i]];
    if (p) {
        float inv = 1.0f / s;
        for (int k = 0; k < V; k++) p[k] *= inv;
    }
}

static void ce_fast_back_row(void *ctx, int i)
{
    const CeFast *c = ctx;
    const int V = c->V;
    const float *p = c->p + (size_t)i * V;
    float *dz = c->dz + (size_t)i * V;
    for (int j = 0; j < V; j++) dz[j] += c->g * p[j];
    dz[c->t[i]] -= c->g;
}

static void cross_entropy_fast_backward(Node *n)
{
    Tensor *z = n->in[0];
    if (!z->grad) return;
    CeFast c = *(const CeFast *)n->saved;
    c.g = n->out->grad[0] / (float)z->shape[0];
    c.dz = z->grad;
    run_tasks(z->shape[0], ce_fast_back_row, &c, z->size);
}

Tensor *op_cross_entropy_fast(Tape *tp, Tensor *logits, const int *targets)
{
    int B, V;
    tensor_require_2d(logits, "cross_entropy_fast (logits)", &B, &V);
    for (int i = 0; i < B; i++)
        DL_CHECK(targets[i] >= 0 && targets[i] < V, "cross_entropy: target %d of row %d is "
                 "outside [0, %d)", targets[i], i, V);
    Tensor *loss = scalar_output(tp, &logits, 1);
    const bool rec = tp->recording && loss->requires_grad;
    CeFast *c = arena_alloc(tp->arena, sizeof *c);
    *c = (CeFast){.z = logits->data, .t = targets, .V = V,
                  .p = rec ? arena_alloc_uninit(tp->arena, logits->size * sizeof(float)) : NULL,
                  .row_loss = arena_alloc_uninit(tp->arena, (size_t)B * sizeof(double))};
    run_tasks(B, ce_fast_row, c, logits->size);
    double total = 0.0;
    for (int i = 0; i < B; i++) total += c->row_loss[i];
    loss->data[0] = (float)(total / B);
    Node *n = tape_record(tp, "cross_entropy_fast", cross_entropy_fast_backward, loss, &logits, 1);
    if (n) {
        n->saved = c;
        n->iparam = targets;
    }
    return loss;
}
