/* 06_embeddings/glove.h — GloVe (Pennington, Socher & Manning 2014): word vectors from the
 * global co-occurrence counts by weighted least squares.
 *
 *   X_ij   co-occurrences of words i and j within a symmetric window of `window` words, a pair
 *          d words apart counting 1/d (GloVe's cooccur.c with symmetric = 1: both X_ij and X_ji)
 *   J    = Σ_{X_ij > 0} f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²
 *   f(x) = min(1, (x / x_max)^α),  α = 0.75, x_max = 100 in the paper (corpora of 1e9+ tokens)
 *          and 10 in GloVe's demo.sh on text8, which is what a corpus of a million tokens needs
 *          (with 100, under 0.1 % of its entries reach f(X) = 1, the mean f(X) is about 0.02,
 *          and the fit starves: glove_section prints both)
 * trained with AdaGrad (lr 0.05, squared-gradient sums starting at 1) over the non-zero X_ij in
 * a shuffled order; the word vectors are W + W̃ (GloVe's -model 2). As in glove.c the loss of an
 * entry is written ½ f(X)(…)² (its gradient has no factor 2) and "the loss" of an epoch is the
 * mean of ½ f(X)(…)² over the entries, measured before each entry's update.
 */
#ifndef CH06_GLOVE_H
#define CH06_GLOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/wordvec.h"
#include "evaluate.h"
#include "train/chapter.h"

// ---- co-occurrence counts ----
// X is symmetric, so only i <= j is stored, row by row (CSR); X_ii is stored in full (each
// occurrence of the pair (i, i) counts for X_ii twice, once per order, as cooccur.c writes it).
typedef struct Cooc {
    int V, window;
    size_t nnz;        // stored entries (i <= j)
    size_t *row;       // (V + 1) entries of row i are row[i] … row[i+1]-1
    int *col;          // (nnz) j, ascending within a row
    float *x;          // (nnz) X_ij
    size_t peak_bytes; // the most memory counting held at once (the pair buffer + the CSR)
} Cooc;

/* Count the co-occurrences of ids (n, each in 0 … V-1) within window (>= 1) words. Two passes
 * over the corpus (count each row's pairs, then place them), then per row the pairs summed in
 * corpus order into a dense accumulator: the same bits whatever the thread count. */
void glove_cooccur(const int *ids, size_t n, int V, int window, Cooc *c);
/* Entries of the full symmetric matrix: 2 nnz − (diagonal entries). */
size_t cooc_entries(const Cooc *c);
/* X_ij (0 when absent), either order. */
float cooc_get(const Cooc *c, int i, int j);
void cooc_free(Cooc *c);

// ---- the model ----
typedef struct GloveConfig {
    int dim;         // D (100, to compare with word2vec)
    int window;      // 10 (demo.sh: 15)
    int epochs;      // passes over the entries
    float x_max;     // 10 (demo.sh on text8; the paper's 100 is for corpora of 1e9+ tokens)
    float alpha;     // 0.75
    float lr;        // AdaGrad's learning rate, 0.05
    uint64_t seed;
    int threads;     // 1: deterministic; more: Hogwild over slices of each epoch (as glove.c)
} GloveConfig;

/* The defaults for the text8 prefix: D 100 (word2vec's, to compare), window 10, 15 epochs and
 * x_max 10 (demo.sh on text8; demo.sh's window is 15, --full uses it), α 0.75, lr 0.05 (glove.c),
 * 1 thread. */
GloveConfig glove_defaults(void);

typedef struct GloveModel {
    int V, D;
    float *w, *wt;     // (V, D + 1) W and W̃, the bias b_i / b̃_j in column D
    float *gw, *gwt;   // AdaGrad's sums of squared gradients, same shapes, starting at 1
} GloveModel;

/* Parameters uniform in [-0.5, 0.5) / (D + 1) (glove.c's initialisation), AdaGrad sums 1. */
void glove_init(GloveModel *m, int V, int D, uint64_t seed);
void glove_free(GloveModel *m);

/* f(x) = min(1, (x / x_max)^alpha). */
float glove_weight(float x, float x_max, float alpha);

/* The loss ½ f(x)(w_i·w̃_j + b_i + b̃_j − log x)² of one entry (i, j, x > 0). When gi and gj
 * are not NULL, its gradient with respect to row i of W (gi, D + 1: the vector, then the bias)
 * and row j of W̃ (gj, D + 1). */
double glove_entry_loss(const GloveModel *m, int i, int j, float x, float x_max, float alpha,
                        float *gi, float *gj);

/* The mean entry loss over every entry of c, with no update (for tests and reports). */
double glove_loss(const GloveModel *m, const Cooc *c, float x_max, float alpha);

/* cfg->epochs epochs of AdaGrad over c's entries (both orders of each pair), reshuffled every
 * epoch with cfg->seed; loss (cfg->epochs, may be NULL) receives each epoch's mean loss.
 * Returns the last epoch's. */
double glove_train(GloveModel *m, const Cooc *c, const GloveConfig *cfg, double *loss);

/* The word vectors W + W̃ (biases dropped) with v's words. */
void glove_vectors(const GloveModel *m, const WordVocab *v, WordVectors *out);

/* Section 5 of the chapter: co-occurrence statistics of the corpus ids (n, ids of v; e.g. the
 * text8 prefix with min-count 5) — non-zeros, density, memory, seconds — then GloVe trained
 * (--quick: the first 300,000 tokens, D 50, 3 epochs; default D 100, 15 epochs; --full window
 * 15, 25 epochs)
 * with the loss per epoch printed and plotted (glove_loss.png), then evaluate_vectors with
 * prefix "glove". Metrics: glove_cooc_nnz, glove_cooc_density, glove_cooc_mb, glove_cooc_s,
 * glove_mean_f_xmax100, glove_mean_f_xmax10, glove_loss_epoch_<e>, glove_train_s, and
 * evaluate_vectors' glove_*. out (may be NULL)
 * receives the vectors. */
void glove_section(Chapter *ch, const WordVocab *v, const int *ids, size_t n,
                   const WordEval *ev, WordVectors *out);

#endif
