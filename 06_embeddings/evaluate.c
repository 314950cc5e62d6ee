/* 06_embeddings/evaluate.c — word-vector evaluation: nearest neighbours, 3CosAdd analogies,
 * Spearman correlations with human similarity, PCA; see evaluate.h.
 *
 * Analogies follow word2vec.c's compute-accuracy.c (Mikolov et al. 2013) line by line: the
 * vocabulary cut to the first 30,000 rows (the most frequent words), every row and the query
 * b − a + c built from unit vectors, the answer the row of largest dot product > 0 other than
 * a, b, c, compared with d; questions with a word outside the cut are skipped and counted
 * ("Questions seen / total"). Semantic = sections not named gram*, syntactic = gram*. Instead
 * of compute-accuracy's loop over rows per question, the queries go 256 at a time through one
 * GEMM (S = Q·Uᵀ), the arg-max of each row of S in parallel; GEMM's sums do not depend on the
 * thread count, so neither do the answers.
 * Spearman: Spearman (1904); ties by average ranks as scipy.stats.spearmanr. PCA: power
 * iteration with deflation on the covariance (Golub & Van Loan, Matrix Computations, §7.3, §8.2).
 */
#include "evaluate.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "kernels/gemm.h"
#include "report/plot.h"

#include "embed.h"

#define ANALOGY_BATCH 256   // queries per GEMM: 256 x 30,000 scores = 30 MB

// ---- loading ----
// region: load

bool word_eval_load(WordEval *ev, const char *data_dir, char *err, size_t errlen)
{
    *ev = (WordEval){0};
    char path[DL_PATH_LEN];
    if (!path_join(path, sizeof path, data_dir, ANALOGY_FILE) ||
        !analogy_load(path, &ev->analogy, err, errlen))
        goto fail;
    if (!path_join(path, sizeof path, data_dir, WORDSIM_FILE) ||
        !simpairs_load(path, &ev->wordsim, err, errlen))
        goto fail;
    if (!path_join(path, sizeof path, data_dir, SIMLEX_FILE) ||
        !simpairs_load(path, &ev->simlex, err, errlen))
        goto fail;
    return true;
fail:
    if (strlen(data_dir) + 64 > DL_PATH_LEN)
        snprintf(err, errlen, "--data %.60s…: the path is too long", data_dir);
    word_eval_free(ev);
    return false;
}

void word_eval_free(WordEval *ev)
{
    analogy_free(&ev->analogy);
    simpairs_free(&ev->wordsim);
    simpairs_free(&ev->simlex);
}

// ---- case-blind lookup ----
// region: fold

// Folded (ASCII lower-case) words of the first R rows → the first row holding each.
typedef struct FoldIndex {
    char **key;     // (R) folded copies
    int *table;     // open addressing, -1 = empty
    int size;
} FoldIndex;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static char *fold_copy(const char *w)
{
    size_t n = strlen(w);
    char *s = dl_malloc(n + 1, "a folded word");
    for (size_t k = 0; k <= n; k++) s[k] = w[k] >= 'A' && w[k] <= 'Z' ? (char)(w[k] + 32) : w[k];
    return s;
}

static void fold_build(FoldIndex *f, const WordVectors *wv, int R)
{
    f->size = 16;
    while (f->size < 2 * R + 2) f->size *= 2;
    f->table = dl_malloc((size_t)f->size * sizeof *f->table, "folded word table");
    for (int i = 0; i < f->size; i++) f->table[i] = -1;
    f->key = dl_malloc((size_t)(R ? R : 1) * sizeof *f->key, "folded words");
    size_t mask = (size_t)f->size - 1;
    for (int r = 0; r < R; r++) {
        f->key[r] = fold_copy(wv->words[r]);
        size_t i = (size_t)fnv1a(f->key[r]) & mask;
        bool seen = false;
        while (f->table[i] >= 0 && !seen) {
            seen = strcmp(f->key[f->table[i]], f->key[r]) == 0;   // a more frequent variant
            i = (i + 1) & mask;
        }
        if (!seen) f->table[i] = r;
    }
}

// Row of the folded word w (already lower-case), or -1.
static int fold_find(const FoldIndex *f, const char *w)
{
    size_t mask = (size_t)f->size - 1, i = (size_t)fnv1a(w) & mask;
    while (f->table[i] >= 0) {
        if (strcmp(f->key[f->table[i]], w) == 0) return f->table[i];
        i = (i + 1) & mask;
    }
    return -1;
}

// Row of any word, case-blind.
static int fold_lookup(const FoldIndex *f, const char *w)
{
    char buf[256];
    size_t n = strlen(w);
    if (n >= sizeof buf) {
        char *s = fold_copy(w);
        int r = fold_find(f, s);
        free(s);
        return r;
    }
    for (size_t k = 0; k <= n; k++) buf[k] = w[k] >= 'A' && w[k] <= 'Z' ? (char)(w[k] + 32) : w[k];
    return fold_find(f, buf);
}

static void fold_free(FoldIndex *f, int R)
{
    for (int r = 0; r < R; r++) free(f->key[r]);
    free(f->key);
    free(f->table);
    *f = (FoldIndex){0};
}

// ---- nearest neighbours ----
// region: neighbours

int nearest_cosine(const float *unit, int V, int D, const float *query, int k,
                   const int *exclude, int n_exclude, int *ids, float *cos)
{
    DL_CHECK(V >= 0 && D >= 1 && k >= 0, "nearest_cosine: V = %d, D = %d, k = %d", V, D, k);
    double qq = 0;
    for (int d = 0; d < D; d++) qq += (double)query[d] * query[d];
    DL_CHECK(qq > 0, "nearest_cosine: the query vector is zero (a word without a vector?)");
    float inv = (float)(1.0 / sqrt(qq));
    int found = 0;
    for (int r = 0; r < V; r++) {
        bool skip = false;
        for (int e = 0; e < n_exclude && !skip; e++) skip = exclude[e] == r;
        if (skip) continue;
        const float *u = unit + (size_t)r * D;
        float s = 0;
        for (int d = 0; d < D; d++) s += u[d] * query[d];
        s *= inv;
        if (found == k && (k == 0 || s <= cos[k - 1])) continue;
        int j = found < k ? found++ : k - 1;   // insert, keeping the earlier row first on ties
        while (j > 0 && cos[j - 1] < s) {
            cos[j] = cos[j - 1];
            ids[j] = ids[j - 1];
            j--;
        }
        cos[j] = s;
        ids[j] = r;
    }
    return found;
}

void print_neighbours(const WordVectors *wv, const float *unit, const char *const *words,
                      int n_words, int k)
{
    float *own = NULL;
    if (!unit) {
        own = dl_malloc((size_t)wv->V * wv->D * sizeof *own, "unit vectors");
        wordvec_unit_rows(wv, own);
        unit = own;
    }
    int *ids = dl_malloc((size_t)(k ? k : 1) * sizeof *ids, "neighbour ids");
    float *cos = dl_malloc((size_t)(k ? k : 1) * sizeof *cos, "neighbour cosines");
    for (int w = 0; w < n_words; w++) {
        int id = wordvec_id(wv, words[w]);
        double norm = 0;
        for (int d = 0; id >= 0 && d < wv->D; d++) norm += fabsf(unit[(size_t)id * wv->D + d]);
        if (id < 0 || norm == 0) {
            printf("  %-12s (no vector)\n", words[w]);
            continue;
        }
        int got = nearest_cosine(unit, wv->V, wv->D, unit + (size_t)id * wv->D, k, &id, 1, ids,
                                 cos);
        printf("  %-12s", words[w]);
        for (int j = 0; j < got; j++)
            printf("%s %s %.2f", j ? "," : "", wv->words[ids[j]], (double)cos[j]);
        printf("\n");
    }
    free(ids);
    free(cos);
    free(own);
}

// ---- analogies ----
// region: analogy

typedef struct ArgmaxCtx {
    const float *S;         // (nb, R) scores
    int R;
    const int (*abc)[4];    // (nb) rows of a, b, c, d
    int *best;              // (nb) arg-max row, -2 = none with a positive score
} ArgmaxCtx;

static void argmax_row(void *vctx, int q)
{
    const ArgmaxCtx *c = vctx;
    const float *s = c->S + (size_t)q * c->R;
    const int *w = c->abc[q];
    float best = 0;   // compute-accuracy keeps bestd = 0: only a positive score is an answer
    int arg = -2;
    for (int r = 0; r < c->R; r++) {
        if (s[r] > best && r != w[0] && r != w[1] && r != w[2]) {
            best = s[r];
            arg = r;
        }
    }
    c->best[q] = arg;
}

AnalogyResult analogy_accuracy(const WordVectors *wv, const AnalogySet *a, int restrict_vocab,
                               int *pred)
{
    double t0 = now_seconds();
    AnalogyResult res = {.total = a->n};
    int R = restrict_vocab <= 0 || restrict_vocab > wv->V ? wv->V : restrict_vocab, D = wv->D;
    FoldIndex f = {0};
    fold_build(&f, wv, R);

    // the questions whose four words are in the cut: their rows and index
    int (*rows)[4] = dl_malloc((size_t)(a->n ? a->n : 1) * sizeof *rows, "analogy rows");
    int *qi = dl_malloc((size_t)(a->n ? a->n : 1) * sizeof *qi, "analogy question index");
    int n_seen = 0;
    for (int i = 0; i < a->n; i++) {
        if (pred) pred[i] = -1;
        int r[4];
        bool ok = true;
        for (int k = 0; k < 4 && ok; k++) ok = (r[k] = fold_find(&f, a->q[i][k])) >= 0;
        if (!ok) continue;
        memcpy(rows[n_seen], r, sizeof r);
        qi[n_seen++] = i;
    }
    fold_free(&f, R);

    float *U = dl_malloc((size_t)R * D * sizeof *U, "unit vectors");
    {
        WordVectors head = *wv;   // the first R rows
        head.V = R;
        wordvec_unit_rows(&head, U);
    }
    int nb_max = ANALOGY_BATCH;
    float *Q = dl_malloc((size_t)nb_max * D * sizeof *Q, "analogy queries");
    float *S = dl_malloc((size_t)nb_max * R * sizeof *S, "analogy scores");
    int *best = dl_malloc((size_t)nb_max * sizeof *best, "analogy answers");
    for (int q0 = 0; q0 < n_seen; q0 += nb_max) {
        int nb = n_seen - q0 < nb_max ? n_seen - q0 : nb_max;
        for (int q = 0; q < nb; q++) {
            const int *r = rows[q0 + q];
            const float *ua = U + (size_t)r[0] * D, *ub = U + (size_t)r[1] * D,
                        *uc = U + (size_t)r[2] * D;
            float *y = Q + (size_t)q * D;
            for (int d = 0; d < D; d++) y[d] = (ub[d] - ua[d]) + uc[d];   // b − a + c
        }
        gemm_ex(false, true, nb, R, D, Q, D, U, D, S, R, false);   // S (nb, R) = Q · Uᵀ
        ArgmaxCtx ctx = {.S = S, .R = R, .abc = (const int (*)[4])(rows + q0), .best = best};
        parallel_for(nb, argmax_row, &ctx);
        for (int q = 0; q < nb; q++) {
            int i = qi[q0 + q];
            bool syn = a->syntactic[a->section[i]], right = best[q] == rows[q0 + q][3];
            if (pred) pred[i] = best[q];
            res.seen++;
            res.correct += right;
            if (syn) {
                res.syn_seen++;
                res.syn_correct += right;
            } else {
                res.sem_seen++;
                res.sem_correct += right;
            }
        }
    }
    free(U);
    free(Q);
    free(S);
    free(best);
    free(rows);
    free(qi);
    res.acc_pct = res.seen ? 100.0 * res.correct / res.seen : 0;
    res.sem_acc_pct = res.sem_seen ? 100.0 * res.sem_correct / res.sem_seen : 0;
    res.syn_acc_pct = res.syn_seen ? 100.0 * res.syn_correct / res.syn_seen : 0;
    res.seen_pct = res.total ? 100.0 * res.seen / res.total : 0;
    res.seconds = now_seconds() - t0;
    return res;
}

// ---- similarity ----
// region: similarity

typedef struct Ranked {
    double v;
    int i;
} Ranked;

static int by_value(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

// Average ranks (1-based) of x (n) into rank (n).
static void average_ranks(const double *x, int n, double *rank)
{
    Ranked *r = dl_malloc((size_t)n * sizeof *r, "ranks");
    for (int i = 0; i < n; i++) r[i] = (Ranked){x[i], i};
    qsort(r, (size_t)n, sizeof *r, by_value);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v) j++;
        double avg = 0.5 * (i + j) + 1;   // ranks i+1 … j+1
        for (int k = i; k <= j; k++) rank[r[k].i] = avg;
        i = j + 1;
    }
    free(r);
}

double spearman(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double *rx = dl_malloc((size_t)n * sizeof *rx, "ranks"), *ry = dl_malloc((size_t)n * sizeof *ry, "ranks");
    average_ranks(x, n, rx);
    average_ranks(y, n, ry);
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += rx[i];
        my += ry[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    free(rx);
    free(ry);
    if (sxx == 0 || syy == 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

static double cosine_rows(const WordVectors *wv, int i, int j)
{
    const float *x = wv->vec + (size_t)i * wv->D, *y = wv->vec + (size_t)j * wv->D;
    double xy = 0, xx = 0, yy = 0;
    for (int d = 0; d < wv->D; d++) {
        xy += (double)x[d] * y[d];
        xx += (double)x[d] * x[d];
        yy += (double)y[d] * y[d];
    }
    return xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
}

SimResult similarity_spearman(const WordVectors *wv, const SimPairs *p)
{
    SimResult res = {.rho = NAN, .total = p->n};
    FoldIndex f = {0};
    fold_build(&f, wv, wv->V);
    double *cos = dl_malloc((size_t)(p->n ? p->n : 1) * sizeof *cos, "pair cosines");
    double *human = dl_malloc((size_t)(p->n ? p->n : 1) * sizeof *human, "pair scores");
    for (int i = 0; i < p->n; i++) {
        int a = fold_lookup(&f, p->w1[i]), b = fold_lookup(&f, p->w2[i]);
        if (a < 0 || b < 0) continue;
        cos[res.used] = cosine_rows(wv, a, b);
        human[res.used] = p->score[i];
        res.used++;
    }
    res.rho = spearman(cos, human, res.used);
    free(cos);
    free(human);
    fold_free(&f, wv->V);
    return res;
}

// ---- PCA ----
// region: pca

/* Leading eigenvector of the symmetric C (D, D) by power iteration from v; returns its
 * eigenvalue (the Rayleigh quotient). */
static double power_iteration(const double *C, int D, double *v)
{
    double *w = dl_malloc((size_t)D * sizeof *w, "power iteration");
    double lambda = 0;
    for (int it = 0; it < 5000; it++) {
        double nn = 0;
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int j = 0; j < D; j++) s += C[(size_t)i * D + j] * v[j];
            w[i] = s;
            nn += s * s;
        }
        if (nn == 0) break;   // v in the null space: C is zero here
        double inv = 1 / sqrt(nn), change = 0, l = 0;
        for (int i = 0; i < D; i++) {
            l += v[i] * w[i];
            double x = w[i] * inv;
            change += fabs(x - v[i]);
            v[i] = x;
        }
        lambda = l;
        if (change < 1e-12 * D) break;
    }
    free(w);
    int big = 0;   // sign: the largest component positive
    for (int i = 1; i < D; i++)
        if (fabs(v[i]) > fabs(v[big])) big = i;
    if (v[big] < 0)
        for (int i = 0; i < D; i++) v[i] = -v[i];
    return lambda;
}

void pca_2d(const float *x, int n, int D, float *out, double *explained)
{
    DL_CHECK(n >= 2 && D >= 1, "pca_2d: need at least 2 rows (got %d) of D >= 1 (got %d)", n, D);
    double *mean = calloc((size_t)D, sizeof *mean), *C = calloc((size_t)D * D, sizeof *C);
    double *v = dl_malloc((size_t)2 * D * sizeof *v, "principal directions");
    DL_CHECK(mean && C, "out of memory: a %d x %d covariance", D, D);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < D; d++) mean[d] += x[(size_t)i * D + d];
    for (int d = 0; d < D; d++) mean[d] /= n;
    for (int i = 0; i < n; i++) {
        const float *r = x + (size_t)i * D;
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++) C[(size_t)a * D + b] += (r[a] - mean[a]) * (r[b] - mean[b]);
    }
    double trace = 0;
    for (int a = 0; a < D * D; a++) C[a] /= n - 1;
    for (int a = 0; a < D; a++) trace += C[(size_t)a * D + a];
    Rng rng;
    rng_seed(&rng, 2013);
    double lam[2];
    for (int k = 0; k < 2; k++) {
        double *vk = v + (size_t)k * D;
        for (int d = 0; d < D; d++) vk[d] = rng_uniform(&rng) - 0.5;
        lam[k] = D > k ? power_iteration(C, D, vk) : 0;
        for (int a = 0; a < D; a++)   // deflate: C -= λ v vᵀ
            for (int b = 0; b < D; b++) C[(size_t)a * D + b] -= lam[k] * vk[a] * vk[b];
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            double s = 0;
            for (int d = 0; d < D; d++) s += (x[(size_t)i * D + d] - mean[d]) * v[(size_t)k * D + d];
            out[2 * i + k] = (float)s;
        }
    if (explained)
        for (int k = 0; k < 2; k++) explained[k] = trace > 0 ? lam[k] / trace : 0;
    free(mean);
    free(C);
    free(v);
}

int plot_words_pca(const char *out_dir, const char *name, const char *title,
                   const WordVectors *wv, const char *const *words, int n_words, bool print)
{
    float *x = dl_malloc((size_t)(n_words ? n_words : 1) * wv->D * sizeof *x, "PCA rows");
    const char **lab = dl_malloc((size_t)(n_words ? n_words : 1) * sizeof *lab, "PCA labels");
    int n = 0;
    for (int w = 0; w < n_words; w++) {
        int id = wordvec_id(wv, words[w]);
        if (id < 0) continue;
        memcpy(x + (size_t)n * wv->D, wv->vec + (size_t)id * wv->D, (size_t)wv->D * sizeof *x);
        lab[n++] = words[w];
    }
    if (n >= 2) {
        float *xy = dl_malloc((size_t)n * 2 * sizeof *xy, "PCA coordinates");
        double ex[2];
        pca_2d(x, n, wv->D, xy, ex);
        if (print) {
            printf("  PCA of %d words: the two components explain %.1f %% and %.1f %% of the "
                   "variance\n", n, 100 * ex[0], 100 * ex[1]);
            for (int i = 0; i < n; i++)
                printf("    %-12s %7.3f %7.3f\n", lab[i], (double)xy[2 * i], (double)xy[2 * i + 1]);
        }
        char xl[64], yl[64];
        snprintf(xl, sizeof xl, "PC1 (%.0f %% of variance)", 100 * ex[0]);
        snprintf(yl, sizeof yl, "PC2 (%.0f %% of variance)", 100 * ex[1]);
        plot_labelled_points(out_dir, name, title, xl, yl, xy, n, lab);
        free(xy);
    }
    free(x);
    free(lab);
    return n;
}

// ---- everything ----
// region: summary

EvalSummary evaluate_vectors(Chapter *ch, const WordVectors *wv, const WordEval *ev,
                             const char *prefix, bool print)
{
    EvalSummary s = {.wordsim = {.rho = NAN}, .simlex = {.rho = NAN}};
    Metrics *m = &ch->metrics;
    if (ev->analogy.n > 0) {
        s.analogy = analogy_accuracy(wv, &ev->analogy, ANALOGY_RESTRICT, NULL);
        const AnalogyResult *a = &s.analogy;
        metrics_setf(m, a->acc_pct, "%s_analogy_acc_pct", prefix);
        metrics_setf(m, a->sem_acc_pct, "%s_analogy_sem_acc_pct", prefix);
        metrics_setf(m, a->syn_acc_pct, "%s_analogy_syn_acc_pct", prefix);
        metrics_setf(m, a->seen, "%s_analogy_seen", prefix);
        if (print)
            printf("  %s: analogies (3CosAdd, top %d words) %.2f %% overall, semantic %.2f %%, "
                   "syntactic %.2f %%; questions seen %d / %d (%.1f %%), %.1f s\n", prefix,
                   ANALOGY_RESTRICT, a->acc_pct, a->sem_acc_pct, a->syn_acc_pct, a->seen,
                   a->total, a->seen_pct, a->seconds);
    }
    const SimPairs *sets[2] = {&ev->wordsim, &ev->simlex};
    const char *names[2] = {"WordSim-353", "SimLex-999"}, *keys[2] = {"wordsim", "simlex"};
    SimResult *out[2] = {&s.wordsim, &s.simlex};
    for (int k = 0; k < 2; k++) {
        if (sets[k]->n == 0) continue;
        *out[k] = similarity_spearman(wv, sets[k]);
        if (isfinite(out[k]->rho)) metrics_setf(m, out[k]->rho, "%s_%s_spearman", prefix, keys[k]);
        if (print)
            printf("  %s: %s Spearman rho %.3f (%d / %d pairs)\n", prefix, names[k],
                   out[k]->rho, out[k]->used, out[k]->total);
    }
    return s;
}
