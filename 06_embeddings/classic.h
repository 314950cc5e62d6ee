/* 06_embeddings/classic.h — the classical baselines: sparse representations (one-hot, bag of
 * words, n-grams, TF-IDF; data/sparse.h) and binary logistic regression on them (logreg.c), the
 * chapter's section 2 and its scikit-learn peer (classic.c).
 *
 * Logistic regression (Cox 1958; Murphy, "Probabilistic Machine Learning", 2022, ch. 10):
 *     p(y = 1 | x) = σ(w·x + b),   loss = (1/n) Σ_i −[y_i ln p_i + (1 − y_i) ln(1 − p_i)] + λ/2 ‖w‖²
 *     ∂loss/∂w = (1/n) Σ_i (p_i − y_i) x_i + λ w,   ∂loss/∂b = (1/n) Σ_i (p_i − y_i)
 * trained by mini-batch AdaGrad (Duchi, Hazan & Singer, JMLR 2011): a fixed shuffle per epoch
 * (seeded), each weight's step η_t / √(Σ its squared gradients) — raw counts ("the" × 30) and
 * rare bigrams get steps to their own scale, where one plain SGD rate fits neither — with η_t
 * decaying linearly from η0 to 0; the L2 penalty's shrink applied lazily, when a column is next
 * read, so a step costs only the batch's nonzeros. The margins of a batch are computed in
 * parallel (threads.h) and the updates applied in batch order, so the weights are bit-identical
 * whatever the thread count.
 * scikit-learn's LogisticRegression(C) minimises the same objective with λ = 1 / (C·n).
 * The trainers and predictors use the thread pool: do not call them from inside a parallel_for.
 */
#ifndef CH06_CLASSIC_H
#define CH06_CLASSIC_H

#include <stdint.h>

#include "data/imdb.h"
#include "data/sparse.h"
#include "report/cli.h"
#include "train/chapter.h"

typedef struct LogregOptions {
    int epochs;              // passes over the data (0: 10)
    int batch;               // B, examples per step (0: 32)
    float lr;                // η0, AdaGrad's rate at the first step (0: 0.5)
    float l2;                // λ >= 0 (0: no penalty)
    uint64_t seed;           // the shuffles
} LogregOptions;

typedef struct Logreg {
    int D;                   // features
    float *w;                // (D)
    float b;
    float lr;                // the η0 it was trained with
    float loss;              // the training loss (with the penalty) after the last epoch
} Logreg;

/* Train on CSR rows X (n, D) with labels y (n) in {0, 1}; out is allocated (logreg_free). */
void logreg_train_csr(const Csr *X, const int *y, const LogregOptions *o, Logreg *out);
/* Train on dense rows X (n, D), row-major — e.g. mean-pooled word vectors. */
void logreg_train_dense(const float *X, const int *y, int n, int D, const LogregOptions *o,
                        Logreg *out);
/* The loss above on all rows; when dw (D) / db are non-NULL, its gradient is written there. */
double logreg_loss_csr(const Logreg *m, const Csr *X, const int *y, float l2, float *dw, float *db);
double logreg_loss_dense(const Logreg *m, const float *X, const int *y, int n, float l2, float *dw,
                         float *db);
/* p(y = 1 | x) for each row into p (n). */
void logreg_predict_csr(const Logreg *m, const Csr *X, float *p);
void logreg_predict_dense(const Logreg *m, const float *X, int n, float *p);
/* Accuracy in percent: predicted class p >= 0.5 against y. */
double logreg_accuracy_csr(const Logreg *m, const Csr *X, const int *y);
double logreg_accuracy_dense(const Logreg *m, const float *X, const int *y, int n);
void logreg_free(Logreg *m);

/* Section 2: one-hot, bag of words, vocabulary growth with n, TF-IDF; logistic regression on
 * BoW, TF-IDF and TF-IDF + bigrams (the accuracy table beside the published anchors) and the
 * most positive and negative features. Metrics sparse_*. */
void sparse_section(Chapter *ch, const ImdbSplit *train, const ImdbSplit *test);

/* --bench: our TF-IDF + bigram pipeline (tokenize, vectorize, train, test) timed on the IMDb
 * splits, beside scripts/bench_sklearn_tfidf.py (scikit-learn) on the same reviews (the splits
 * were loaded from <cli->data_dir>/IMDB_DIR with per_class reviews per class, 0 = all: the
 * script is told the same); prints accuracy and seconds side by side, metrics bench_tfidf_*. */
void classic_bench(const Cli *cli, Metrics *mt, const ImdbSplit *train, const ImdbSplit *test,
                   int per_class);

#endif
