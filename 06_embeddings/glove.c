/* 06_embeddings/glove.c — GloVe: co-occurrence counts and their weighted least-squares fit; see
 * glove.h.
 *
 * Source: Pennington, Socher & Manning, "GloVe: Global Vectors for Word Representation", EMNLP
 * 2014, eq. (8)–(9), and the reference code (stanfordnlp/GloVe: cooccur.c, glove.c, demo.sh).
 * The update is glove.c's, including its AdaGrad detail: the step is lr·g / sqrt(G) with G
 * the sum of the squares of the lr-scaled gradients (lr·g)², starting at 1.
 */
#include "glove.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/threads.h"
#include "report/plot.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

// ---- co-occurrence counts ----
// region: cooc

// The rows of one slice, summed: each row's pairs (placed in corpus order at buf[row[i] …])
// go through a dense accumulator; the distinct columns, ascending, are written back over the
// start of the row's own range, their count into uniq[i].
typedef struct CoocCtx {
    int V, n_slices;
    const size_t *row;
    int *col;            // (pairs) j, in place
    float *w;            // (pairs) weights, in place
    size_t *uniq;        // (V)
} CoocCtx;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void cooc_slice(void *vctx, int s)
{
    const CoocCtx *c = vctx;
    int r0 = (int)((int64_t)c->V * s / c->n_slices), r1 = (int)((int64_t)c->V * (s + 1) / c->n_slices);
    double *acc = calloc((size_t)c->V, sizeof *acc);
    int *touched = dl_malloc((size_t)c->V * sizeof *touched, "co-occurrence columns");
    DL_CHECK(acc, "out of memory: a co-occurrence accumulator of %d values", c->V);
    for (int i = r0; i < r1; i++) {
        size_t a = c->row[i], b = c->row[i + 1];
        int nt = 0;
        for (size_t k = a; k < b; k++) {
            int j = c->col[k];
            if (acc[j] == 0) touched[nt++] = j;   // weights are > 0: 0 means not seen yet
            acc[j] += c->w[k];
        }
        qsort(touched, (size_t)nt, sizeof *touched, cmp_int);
        for (int t = 0; t < nt; t++) {
            c->col[a + t] = touched[t];
            c->w[a + t] = (float)acc[touched[t]];
            acc[touched[t]] = 0;
        }
        c->uniq[i] = (size_t)nt;
    }
    free(acc);
    free(touched);
}

void glove_cooccur(const int *ids, size_t n, int V, int window, Cooc *c)
{
    DL_CHECK(V >= 1 && window >= 1, "glove_cooccur: V = %d, window = %d: both must be >= 1", V,
             window);
    *c = (Cooc){.V = V, .window = window};
    // pass 1: the pairs of each row (the smaller id of the two)
    size_t *row = calloc((size_t)V + 1, sizeof *row);
    DL_CHECK(row, "out of memory: %d co-occurrence rows", V);
    for (size_t p = 0; p < n; p++) {
        DL_CHECK(ids[p] >= 0 && ids[p] < V, "glove_cooccur: id %d at %zu outside 0 … %d", ids[p],
                 p, V - 1);
        for (int k = 1; k <= window && (size_t)k <= p; k++) {
            int a = ids[p], b = ids[p - k];
            row[(a < b ? a : b) + 1]++;
        }
    }
    for (int i = 0; i < V; i++) row[i + 1] += row[i];
    size_t pairs = row[V];
    // pass 2: place (j, 1/d) in corpus order; X_ii gets both orders
    int *col = dl_malloc((pairs ? pairs : 1) * sizeof *col, "co-occurrence pairs");
    float *w = dl_malloc((pairs ? pairs : 1) * sizeof *w, "co-occurrence weights");
    size_t *fill = dl_malloc((size_t)V * sizeof *fill, "co-occurrence cursors");
    memcpy(fill, row, (size_t)V * sizeof *fill);
    for (size_t p = 0; p < n; p++)
        for (int k = 1; k <= window && (size_t)k <= p; k++) {
            int a = ids[p], b = ids[p - k], i = a < b ? a : b, j = a < b ? b : a;
            col[fill[i]] = j;
            w[fill[i]++] = a == b ? 2.0f / (float)k : 1.0f / (float)k;
        }
    free(fill);
    // sum each row's duplicates (rows in slices across the threads), then compact
    size_t *uniq = dl_malloc((size_t)V * sizeof *uniq, "co-occurrence row sizes");
    CoocCtx ctx = {.V = V, .n_slices = V < 64 ? 1 : 64, .row = row, .col = col, .w = w,
                   .uniq = uniq};
    parallel_for(ctx.n_slices, cooc_slice, &ctx);
    size_t nnz = 0;
    for (int i = 0; i < V; i++) {
        memmove(col + nnz, col + row[i], uniq[i] * sizeof *col);
        memmove(w + nnz, w + row[i], uniq[i] * sizeof *w);
        row[i] = nnz;
        nnz += uniq[i];
    }
    row[V] = nnz;
    free(uniq);
    c->peak_bytes = pairs * (sizeof *col + sizeof *w) + ((size_t)V + 1) * sizeof *row;
    c->nnz = nnz;
    c->row = row;
    c->col = realloc(col, (nnz ? nnz : 1) * sizeof *col);
    c->x = realloc(w, (nnz ? nnz : 1) * sizeof *w);
    DL_CHECK(c->col && c->x, "out of memory shrinking the co-occurrences");
}

size_t cooc_entries(const Cooc *c)
{
    size_t diag = 0;
    for (int i = 0; i < c->V; i++)
        for (size_t k = c->row[i]; k < c->row[i + 1]; k++) diag += c->col[k] == i;
    return 2 * c->nnz - diag;
}

float cooc_get(const Cooc *c, int i, int j)
{
    if (i > j) {
        int t = i;
        i = j;
        j = t;
    }
    size_t lo = c->row[i], hi = c->row[i + 1];   // binary search in the ascending row
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->col[mid] < j) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->row[i + 1] && c->col[lo] == j ? c->x[lo] : 0.0f;
}

void cooc_free(Cooc *c)
{
    free(c->row);
    free(c->col);
    free(c->x);
    *c = (Cooc){0};
}

// ---- the model ----
// region: model

GloveConfig glove_defaults(void)
{
    return (GloveConfig){.dim = 100, .window = 10, .epochs = 15, .x_max = 10, .alpha = 0.75f,
                         .lr = 0.05f, .seed = 42, .threads = 1};
}

void glove_init(GloveModel *m, int V, int D, uint64_t seed)
{
    DL_CHECK(V >= 1 && D >= 1, "glove_init: V = %d, D = %d", V, D);
    *m = (GloveModel){.V = V, .D = D};
    size_t n = (size_t)V * (D + 1);
    m->w = dl_malloc(n * sizeof *m->w, "GloVe W");
    m->wt = dl_malloc(n * sizeof *m->wt, "GloVe W~");
    m->gw = dl_malloc(n * sizeof *m->gw, "GloVe AdaGrad sums");
    m->gwt = dl_malloc(n * sizeof *m->gwt, "GloVe AdaGrad sums");
    Rng r;
    rng_seed(&r, seed);
    for (size_t k = 0; k < n; k++) m->w[k] = (rng_uniform(&r) - 0.5f) / (float)(D + 1);
    for (size_t k = 0; k < n; k++) m->wt[k] = (rng_uniform(&r) - 0.5f) / (float)(D + 1);
    for (size_t k = 0; k < n; k++) m->gw[k] = m->gwt[k] = 1.0f;
}

void glove_free(GloveModel *m)
{
    free(m->w);
    free(m->wt);
    free(m->gw);
    free(m->gwt);
    *m = (GloveModel){0};
}

float glove_weight(float x, float x_max, float alpha)
{
    return x < x_max ? powf(x / x_max, alpha) : 1.0f;
}

// w_i·w̃_j + b_i + b̃_j − log x
static float entry_diff(const float *wi, const float *wj, int D, float x)
{
    float s = 0;
    for (int d = 0; d < D; d++) s += wi[d] * wj[d];
    return s + wi[D] + wj[D] - logf(x);
}

double glove_entry_loss(const GloveModel *m, int i, int j, float x, float x_max, float alpha,
                        float *gi, float *gj)
{
    int D = m->D;
    const float *wi = m->w + (size_t)i * (D + 1), *wj = m->wt + (size_t)j * (D + 1);
    float diff = entry_diff(wi, wj, D, x), fdiff = glove_weight(x, x_max, alpha) * diff;
    if (gi && gj) {
        for (int d = 0; d < D; d++) {
            gi[d] = fdiff * wj[d];
            gj[d] = fdiff * wi[d];
        }
        gi[D] = gj[D] = fdiff;
    }
    return 0.5 * (double)fdiff * diff;
}

// One training entry: (i, j) of the full matrix with log X_ij and f(X_ij) computed once.
typedef struct Entry {
    int i, j;
    float logx, f;
} Entry;

// Every entry of the full symmetric matrix, row by row.
static Entry *all_entries(const Cooc *c, float x_max, float alpha, size_t *n)
{
    size_t E = cooc_entries(c), k = 0;
    Entry *e = dl_malloc((E ? E : 1) * sizeof *e, "GloVe entries");
    for (int i = 0; i < c->V; i++)
        for (size_t q = c->row[i]; q < c->row[i + 1]; q++) {
            float lx = logf(c->x[q]), f = glove_weight(c->x[q], x_max, alpha);
            e[k++] = (Entry){i, c->col[q], lx, f};
            if (c->col[q] != i) e[k++] = (Entry){c->col[q], i, lx, f};
        }
    *n = E;
    return e;
}

double glove_loss(const GloveModel *m, const Cooc *c, float x_max, float alpha)
{
    double s = 0;
    size_t E = 0;
    for (int i = 0; i < c->V; i++)
        for (size_t q = c->row[i]; q < c->row[i + 1]; q++) {
            int j = c->col[q];
            s += glove_entry_loss(m, i, j, c->x[q], x_max, alpha, NULL, NULL);
            E++;
            if (j != i) {
                s += glove_entry_loss(m, j, i, c->x[q], x_max, alpha, NULL, NULL);
                E++;
            }
        }
    return E ? s / (double)E : 0;
}

// A slice of an epoch's shuffled entries, updated in order (Hogwild across slices).
typedef struct EpochCtx {
    GloveModel *m;
    const Entry *e;
    size_t n;
    int slices;
    float lr;
    double *loss;        // (slices) sums
} EpochCtx;

/* One entry's AdaGrad step (glove.c): wi, wj the rows of W and W̃ (D + 1, bias last), gi, gj
 * their squared-gradient sums; returns the entry's loss ½ f diff². With AVX2 the D columns go 8
 * at a time (the dot product in 8 lanes summed in a fixed order); the same bits on every run. */
static double entry_step(float *restrict wi, float *restrict wj, float *restrict gi,
                         float *restrict gj, int D, float logx, float f, float lr)
{
    int d = 0;
    float dot = 0;
#if defined(__AVX2__)
    __m256 acc = _mm256_setzero_ps();
    for (; d + 8 <= D; d += 8)
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(wi + d), _mm256_loadu_ps(wj + d)));
    float lane[8];
    _mm256_storeu_ps(lane, acc);
    dot = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
#endif
    for (; d < D; d++) dot += wi[d] * wj[d];
    float diff = dot + wi[D] + wj[D] - logx, fdiff = f * diff;
    if (!isfinite(fdiff)) return 0;   // glove.c skips such an entry too
    double cost = 0.5 * (double)fdiff * diff;
    fdiff *= lr;
    d = 0;
#if defined(__AVX2__)
    const __m256 fd = _mm256_set1_ps(fdiff);
    for (; d + 8 <= D; d += 8) {
        __m256 a = _mm256_loadu_ps(wi + d), b = _mm256_loadu_ps(wj + d);
        __m256 ga = _mm256_loadu_ps(gi + d), gb = _mm256_loadu_ps(gj + d);
        __m256 t1 = _mm256_mul_ps(fd, b), t2 = _mm256_mul_ps(fd, a);
        _mm256_storeu_ps(wi + d, _mm256_sub_ps(a, _mm256_div_ps(t1, _mm256_sqrt_ps(ga))));
        _mm256_storeu_ps(wj + d, _mm256_sub_ps(b, _mm256_div_ps(t2, _mm256_sqrt_ps(gb))));
        _mm256_storeu_ps(gi + d, _mm256_add_ps(ga, _mm256_mul_ps(t1, t1)));
        _mm256_storeu_ps(gj + d, _mm256_add_ps(gb, _mm256_mul_ps(t2, t2)));
    }
#endif
    for (; d < D; d++) {
        float t1 = fdiff * wj[d], t2 = fdiff * wi[d];   // lr-scaled gradients
        wi[d] -= t1 / sqrtf(gi[d]);
        wj[d] -= t2 / sqrtf(gj[d]);
        gi[d] += t1 * t1;
        gj[d] += t2 * t2;
    }
    wi[D] -= fdiff / sqrtf(gi[D]);
    wj[D] -= fdiff / sqrtf(gj[D]);
    gi[D] += fdiff * fdiff;
    gj[D] += fdiff * fdiff;
    return cost;
}

static void epoch_slice(void *vctx, int s)
{
    const EpochCtx *c = vctx;
    GloveModel *m = c->m;
    int D = m->D;
    size_t a = c->n * (size_t)s / (size_t)c->slices, b = c->n * (size_t)(s + 1) / (size_t)c->slices;
    double cost = 0;
    size_t row_bytes = (size_t)(D + 1) * sizeof(float);
    for (size_t k = a; k < b; k++) {
        if (k + 4 < b) {   // the rows of a later entry, on their way while this one computes
            const Entry *f = &c->e[k + 4];
            const char *p[4] = {(const char *)(m->w + (size_t)f->i * (D + 1)),
                                (const char *)(m->wt + (size_t)f->j * (D + 1)),
                                (const char *)(m->gw + (size_t)f->i * (D + 1)),
                                (const char *)(m->gwt + (size_t)f->j * (D + 1))};
            for (int r = 0; r < 4; r++)
                for (size_t o = 0; o < row_bytes; o += 64) __builtin_prefetch(p[r] + o, 1);
        }
        const Entry *e = &c->e[k];
        size_t ri = (size_t)e->i * (D + 1), rj = (size_t)e->j * (D + 1);
        cost += entry_step(m->w + ri, m->wt + rj, m->gw + ri, m->gwt + rj, D, e->logx, e->f, c->lr);
    }
    c->loss[s] = cost;
}

double glove_train(GloveModel *m, const Cooc *c, const GloveConfig *cfg, double *loss)
{
    DL_CHECK(m->V == c->V, "glove_train: the model has %d words, the counts %d", m->V, c->V);
    DL_CHECK(cfg->threads >= 1 && cfg->epochs >= 0, "glove_train: threads %d, epochs %d",
             cfg->threads, cfg->epochs);
    size_t E;
    Entry *e = all_entries(c, cfg->x_max, cfg->alpha, &E);
    DL_CHECK(E < UINT32_MAX, "glove_train: %zu entries, more than the shuffle handles", E);
    double sums[64], last = 0;
    int slices = cfg->threads < 64 ? cfg->threads : 64;
    for (int ep = 0; ep < cfg->epochs; ep++) {
        Rng r;
        rng_seed(&r, cfg->seed + 7919u * (uint64_t)ep);
        for (size_t k = E; k > 1; k--) {   // Fisher–Yates
            size_t j = rng_below(&r, (uint32_t)k);
            Entry t = e[k - 1];
            e[k - 1] = e[j];
            e[j] = t;
        }
        EpochCtx ctx = {.m = m, .e = e, .n = E, .slices = slices, .lr = cfg->lr, .loss = sums};
        if (slices == 1) epoch_slice(&ctx, 0);
        else parallel_for(slices, epoch_slice, &ctx);
        double s = 0;
        for (int t = 0; t < slices; t++) s += sums[t];
        last = E ? s / (double)E : 0;
        if (loss) loss[ep] = last;
    }
    free(e);
    return last;
}

void glove_vectors(const GloveModel *m, const WordVocab *v, WordVectors *out)
{
    DL_CHECK(v->V == m->V, "glove_vectors: %d words for a model of %d", v->V, m->V);
    wordvec_init(out, m->V, m->D, v->words);
    for (int i = 0; i < m->V; i++)
        for (int d = 0; d < m->D; d++)
            out->vec[(size_t)i * m->D + d] = m->w[(size_t)i * (m->D + 1) + d] +
                                             m->wt[(size_t)i * (m->D + 1) + d];
}

// ---- the section ----
// region: section

void glove_section(Chapter *ch, const WordVocab *v, const int *ids, size_t n,
                   const WordEval *ev, WordVectors *out)
{
    chapter_section("5. GloVe: global co-occurrence counts, weighted least squares");
    const Cli *cli = &ch->cli;
    Metrics *mt = &ch->metrics;
    GloveConfig cfg = glove_defaults();
    cfg.seed = cli->seed;
    if (cli->quick) {
        cfg.dim = 50;
        cfg.epochs = 3;
        if (n > 300000) n = 300000;
    } else if (cli->full) {
        cfg.window = 15;   // demo.sh's
        cfg.epochs = 25;
    }
    double t0 = now_seconds();
    Cooc c;
    glove_cooccur(ids, n, v->V, cfg.window, &c);
    double t_cooc = now_seconds() - t0;
    size_t E = cooc_entries(&c);
    double density = (double)E / ((double)v->V * v->V);
    double mb = (double)(c.nnz * (sizeof *c.col + sizeof *c.x) + ((size_t)c.V + 1) * sizeof *c.row) / 1e6;
    printf("co-occurrences of %zu tokens, V = %d, window %d (1/d weights, both directions):\n"
           "  %zu non-zero X_ij (%zu stored, i <= j): density %.3f %% of V^2 = %.0f M cells\n"
           "  sparse rows %.1f MB (a dense V x V float matrix: %.0f MB), counting held %.1f MB, "
           "%.2f s\n", n, v->V, cfg.window, E, c.nnz, 100 * density, (double)v->V * v->V / 1e6,
           mb, 4.0 * v->V * (double)v->V / 1e6, (double)c.peak_bytes / 1e6, t_cooc);
    metrics_set(mt, "glove_cooc_nnz", (double)E);
    metrics_set(mt, "glove_cooc_density", density);
    metrics_set(mt, "glove_cooc_mb", mb);
    metrics_set(mt, "glove_cooc_s", t_cooc);
    // How much of the fit each x_max leaves at full weight: the paper's 100 suits billions of
    // tokens; on a million, almost every count is far below it and f(X) starves the loss.
    for (int k = 0; k < 2; k++) {
        float xm = k == 0 ? 100.0f : 10.0f;
        double full = 0, fsum = 0;
        for (int i = 0; i < c.V; i++)
            for (size_t q = c.row[i]; q < c.row[i + 1]; q++) {
                double mult = c.col[q] == i ? 1 : 2;   // both orders of an off-diagonal pair
                full += mult * (c.x[q] >= xm);
                fsum += mult * glove_weight(c.x[q], xm, cfg.alpha);
            }
        printf("  x_max %3.0f: %.3f %% of the entries reach f(X) = 1, mean f(X) %.4f%s\n",
               (double)xm, 100 * full / (double)E, fsum / (double)E,
               k == 0 ? " (the paper's, for corpora of 1e9+ tokens)"
                      : " (demo.sh's on text8: used here)");
        metrics_setf(mt, fsum / (double)E, "glove_mean_f_xmax%.0f", (double)xm);
    }

    GloveModel m;
    glove_init(&m, v->V, cfg.dim, cfg.seed);
    double *loss = dl_malloc((size_t)(cfg.epochs ? cfg.epochs : 1) * sizeof *loss, "GloVe losses");
    float *xs = dl_malloc((size_t)(cfg.epochs ? cfg.epochs : 1) * sizeof *xs, "plot x"),
          *ys = dl_malloc((size_t)(cfg.epochs ? cfg.epochs : 1) * sizeof *ys, "plot y");
    printf("GloVe: D = %d, x_max %.0f, alpha %.2f, AdaGrad lr %.2f, %d epochs over %zu entries "
           "(shuffled, seed %llu)\n", cfg.dim, (double)cfg.x_max, (double)cfg.alpha,
           (double)cfg.lr, cfg.epochs, E, (unsigned long long)cfg.seed);
    double t1 = now_seconds();
    printf("  loss before training %.4f\n", glove_loss(&m, &c, cfg.x_max, cfg.alpha));
    glove_train(&m, &c, &cfg, loss);
    for (int ep = 0; ep < cfg.epochs; ep++) {
        printf("  epoch %2d  loss %.4f\n", ep + 1, loss[ep]);
        metrics_setf(mt, loss[ep], "glove_loss_epoch_%d", ep + 1);
        xs[ep] = (float)(ep + 1);
        ys[ep] = (float)loss[ep];
    }
    double t_train = now_seconds() - t1;
    metrics_set(mt, "glove_train_s", t_train);
    printf("  %.1f s (%.2f M entry updates/s)\n", t_train, (double)E * cfg.epochs / t_train / 1e6);
    PlotSeries s = {.title = "mean ½ f(X)(w·w̃ + b + b̃ − log X)²", .x = xs, .y = ys,
                    .n = cfg.epochs, .style = "linespoints lw 2 pt 7"};
    plot_lines(cli->out_dir, "glove_loss", "GloVe: weighted least-squares loss per epoch",
               "epoch", "loss", &s, 1, false);
    WordVectors wv;
    glove_vectors(&m, v, &wv);
    glove_free(&m);
    cooc_free(&c);
    evaluate_vectors(ch, &wv, ev, "glove", true);
    static const char *const probe[] = {"king", "france", "computer", "three"};
    print_neighbours(&wv, NULL, probe, 4, 5);
    if (out) *out = wv;
    else wordvec_free(&wv);
    free(loss);
    free(xs);
    free(ys);
}
