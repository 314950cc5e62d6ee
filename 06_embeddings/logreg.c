/* 06_embeddings/logreg.c — binary logistic regression on sparse (CSR) or dense rows, by
 * mini-batch AdaGrad; the model, the loss and the training scheme are in classic.h.
 * Shapes: X (n, D) rows, y (n) in {0, 1}, w (D).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"

#include "classic.h"

// ---- rows: one interface over CSR and dense ----

typedef struct Rows {
    const Csr *csr;          // either this …
    const float *dense;      // … or this, (n, D) row-major
    int n, D;
} Rows;

static double row_dot(const Rows *X, int i, const float *w)
{
    double s = 0;
    if (X->csr) {
        const Csr *m = X->csr;
        for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) s += (double)m->val[k] * w[m->col[k]];
    } else {
        const float *x = X->dense + (size_t)i * X->D;
        for (int j = 0; j < X->D; j++) s += (double)x[j] * w[j];
    }
    return s;
}

// w += a · x_i
static void row_axpy(const Rows *X, int i, float a, float *w)
{
    if (X->csr) {
        const Csr *m = X->csr;
        for (int64_t k = m->row_ptr[i]; k < m->row_ptr[i + 1]; k++) w[m->col[k]] += a * m->val[k];
    } else {
        const float *x = X->dense + (size_t)i * X->D;
        for (int j = 0; j < X->D; j++) w[j] += a * x[j];
    }
}

#define ADAGRAD_EPS 1e-8

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

// −ln p(y | z) = softplus(−z) for y = 1, softplus(z) for y = 0, without overflow.
static double log_loss(double z, int y)
{
    double t = y ? -z : z;
    return (t > 0 ? t : 0) + log1p(exp(-fabs(t)));
}

// ---- margins in parallel: z_k = s·(v · x_{idx[k]}) + b ----

typedef struct MarginCtx {
    const Rows *X;
    const int *idx;          // (m) rows, or NULL for 0 … m-1
    const float *v;
    double s, b;
    double *z;               // (m)
} MarginCtx;

static void margin_one(void *ctx_, int k)
{
    MarginCtx *c = ctx_;
    int i = c->idx ? c->idx[k] : k;
    c->z[k] = c->s * row_dot(c->X, i, c->v) + c->b;
}

static void margins(const Rows *X, const int *idx, int m, const float *v, double s, double b,
                    double *z)
{
    MarginCtx c = {X, idx, v, s, b, z};
    parallel_for(m, margin_one, &c);
}

// ---- loss and gradient ----

static double loss_rows(const Logreg *m, const Rows *X, const int *y, float l2, float *dw, float *db)
{
    DL_CHECK(X->n > 0 && X->D == m->D, "logreg loss: %d rows of %d features, model has %d",
             X->n, X->D, m->D);
    double *z = dl_malloc((size_t)X->n * sizeof *z, "logreg margins");
    margins(X, NULL, X->n, m->w, 1, m->b, z);
    double loss = 0, gb = 0, ww = 0;
    if (dw) memset(dw, 0, (size_t)m->D * sizeof *dw);
    for (int i = 0; i < X->n; i++) {
        loss += log_loss(z[i], y[i]);
        double g = sigmoid(z[i]) - y[i];
        gb += g;
        if (dw) row_axpy(X, i, (float)(g / X->n), dw);
    }
    for (int j = 0; j < m->D; j++) {
        ww += (double)m->w[j] * m->w[j];
        if (dw) dw[j] += l2 * m->w[j];
    }
    if (db) *db = (float)(gb / X->n);
    free(z);
    return loss / X->n + 0.5 * l2 * ww;
}

double logreg_loss_csr(const Logreg *m, const Csr *X, const int *y, float l2, float *dw, float *db)
{
    Rows r = {.csr = X, .n = X->n_rows, .D = X->n_cols};
    return loss_rows(m, &r, y, l2, dw, db);
}

double logreg_loss_dense(const Logreg *m, const float *X, const int *y, int n, float l2, float *dw,
                         float *db)
{
    Rows r = {.dense = X, .n = n, .D = m->D};
    return loss_rows(m, &r, y, l2, dw, db);
}

// ---- training: AdaGrad with a lazy L2 shrink ----

/* Feature j's weight after the L2 shrink it owes since it was last brought up to date: with
 * AdaGrad's step η_t / √G_j for the penalty's gradient λ w_j, the steps t since then multiply it
 * by Π (1 − η_t λ / √G_j) ≈ exp(−λ (C − last_j) / √G_j), C = Σ η_t so far (G_j does not change
 * while j is not in a batch). Applying it only when j is next read keeps a step's cost to the
 * batch's nonzeros (the lazy update of Langford, Li & Zhang, "Sparse Online Learning via
 * Truncated Gradient", JMLR 2009). */
static float shrunk(float w, double l2, double owed, double G)
{
    return w == 0 || owed == 0 ? w : (float)(w * exp(-l2 * owed / (sqrt(G) + ADAGRAD_EPS)));
}

static void train_rows(const Rows *X, const int *y, const LogregOptions *o, Logreg *out)
{
    DL_CHECK(X->n > 0 && X->D > 0, "logreg: %d rows of %d features: nothing to train on", X->n, X->D);
    for (int i = 0; i < X->n; i++)
        DL_CHECK(y[i] == 0 || y[i] == 1, "logreg: label %d of row %d is not 0 or 1", y[i], i);
    int epochs = o->epochs > 0 ? o->epochs : 10;
    int B = o->batch > 0 ? o->batch : 32, D = X->D;
    if (B > X->n) B = X->n;
    double lr = o->lr > 0 ? o->lr : 0.5, l2 = o->l2;
    DL_CHECK(l2 >= 0, "logreg: L2 penalty %g must be >= 0", l2);
    out->D = D;
    out->w = dl_malloc((size_t)D * sizeof *out->w, "logreg weights");
    out->lr = (float)lr;
    float *w = out->w;                                                       // (D)
    float *gacc = dl_malloc((size_t)D * sizeof *gacc, "logreg gradient");   // (D) the batch's
    double *G = dl_malloc((size_t)D * sizeof *G, "AdaGrad sums");           // (D) Σ g_j²
    double *last = dl_malloc((size_t)D * sizeof *last, "AdaGrad shrink");   // (D) C when synced
    int *stamp = dl_malloc((size_t)D * sizeof *stamp, "AdaGrad stamps");    // (D) last step read
    int *touched = dl_malloc((size_t)D * sizeof *touched, "AdaGrad batch columns");
    for (int j = 0; j < D; j++) {
        w[j] = gacc[j] = 0;
        G[j] = last[j] = 0;
        stamp[j] = -1;
    }
    double b = 0, Gb = 0, C = 0;
    int *order = dl_malloc((size_t)X->n * sizeof *order, "logreg order");
    for (int i = 0; i < X->n; i++) order[i] = i;
    double *z = dl_malloc((size_t)B * sizeof *z, "logreg batch margins");
    Rng rng;
    rng_seed(&rng, o->seed);
    int steps_per_epoch = (X->n + B - 1) / B, step = 0;
    double total = (double)epochs * steps_per_epoch;
    for (int e = 0; e < epochs; e++) {
        rng_shuffle(&rng, order, (size_t)X->n);
        for (int start = 0; start < X->n; start += B, step++) {
            int m = X->n - start < B ? X->n - start : B, nt = 0;
            double eta = lr * (1 - step / total);
            // bring the batch's columns up to date (in batch order: deterministic)
            for (int k = 0; k < m; k++) {
                int i = order[start + k];
                int64_t p0 = X->csr ? X->csr->row_ptr[i] : 0, p1 = X->csr ? X->csr->row_ptr[i + 1] : D;
                for (int64_t q = p0; q < p1; q++) {
                    int j = X->csr ? X->csr->col[q] : (int)q;
                    if (stamp[j] == step) continue;
                    stamp[j] = step;
                    touched[nt++] = j;
                    w[j] = shrunk(w[j], l2, C - last[j], G[j]);
                    last[j] = C;
                }
            }
            margins(X, order + start, m, w, 1, b, z);                       // in parallel
            double gb = 0;
            for (int k = 0; k < m; k++) {             // the batch's mean log-loss gradient
                double g = sigmoid(z[k]) - y[order[start + k]];
                gb += g;
                row_axpy(X, order[start + k], (float)(g / m), gacc);
            }
            for (int t = 0; t < nt; t++) {            // AdaGrad (Duchi, Hazan & Singer 2011)
                int j = touched[t];
                G[j] += (double)gacc[j] * gacc[j];
                w[j] -= (float)(eta * gacc[j] / (sqrt(G[j]) + ADAGRAD_EPS));
                gacc[j] = 0;
            }
            gb /= m;
            Gb += gb * gb;
            b -= eta * gb / (sqrt(Gb) + ADAGRAD_EPS);                       // no penalty on b
            C += eta;                                 // this step's shrink, owed by every column
        }
    }
    for (int j = 0; j < D; j++) w[j] = shrunk(w[j], l2, C - last[j], G[j]);
    out->b = (float)b;
    free(order);
    free(z);
    free(gacc);
    free(G);
    free(last);
    free(stamp);
    free(touched);
    out->loss = (float)loss_rows(out, X, y, o->l2, NULL, NULL);
}

void logreg_train_csr(const Csr *X, const int *y, const LogregOptions *o, Logreg *out)
{
    Rows r = {.csr = X, .n = X->n_rows, .D = X->n_cols};
    train_rows(&r, y, o, out);
}

void logreg_train_dense(const float *X, const int *y, int n, int D, const LogregOptions *o,
                        Logreg *out)
{
    Rows r = {.dense = X, .n = n, .D = D};
    train_rows(&r, y, o, out);
}

// ---- prediction ----

static void predict_rows(const Logreg *m, const Rows *X, float *p)
{
    DL_CHECK(X->D == m->D, "logreg predict: rows have %d features, the model %d", X->D, m->D);
    double *z = dl_malloc((size_t)(X->n + 1) * sizeof *z, "logreg margins");
    margins(X, NULL, X->n, m->w, 1, m->b, z);
    for (int i = 0; i < X->n; i++) p[i] = (float)sigmoid(z[i]);
    free(z);
}

void logreg_predict_csr(const Logreg *m, const Csr *X, float *p)
{
    Rows r = {.csr = X, .n = X->n_rows, .D = X->n_cols};
    predict_rows(m, &r, p);
}

void logreg_predict_dense(const Logreg *m, const float *X, int n, float *p)
{
    Rows r = {.dense = X, .n = n, .D = m->D};
    predict_rows(m, &r, p);
}

static double accuracy(const float *p, const int *y, int n)
{
    int right = 0;
    for (int i = 0; i < n; i++) right += (p[i] >= 0.5f) == (y[i] == 1);
    return n ? 100.0 * right / n : 0;
}

double logreg_accuracy_csr(const Logreg *m, const Csr *X, const int *y)
{
    float *p = dl_malloc((size_t)(X->n_rows + 1) * sizeof *p, "logreg predictions");
    logreg_predict_csr(m, X, p);
    double a = accuracy(p, y, X->n_rows);
    free(p);
    return a;
}

double logreg_accuracy_dense(const Logreg *m, const float *X, const int *y, int n)
{
    float *p = dl_malloc((size_t)(n + 1) * sizeof *p, "logreg predictions");
    logreg_predict_dense(m, X, n, p);
    double a = accuracy(p, y, n);
    free(p);
    return a;
}

void logreg_free(Logreg *m)
{
    free(m->w);
    memset(m, 0, sizeof *m);
}
