/* 06_embeddings/evaluate.h — how good are word vectors? Nearest neighbours, the Google analogy
 * test, word-similarity correlations and a 2-D picture.
 *
 *   nearest neighbours  the k rows of highest cosine to a word (or any vector);
 *   analogies           3CosAdd (Mikolov et al. 2013): for "a : b :: c : ?" the answer is the
 *                       word of highest cosine to b − a + c, a, b, c excluded, searched among the
 *                       restrict_vocab most frequent words (30,000; rows 0 … 29,999); a question
 *                       with a word outside them is skipped and counted (questions seen / total):
 *                       word2vec.c's compute-accuracy, semantic / syntactic / overall;
 *   similarity          Spearman's ρ between cosine and human scores over the pairs whose two
 *                       words have vectors (WordSim-353, SimLex-999), pairs used / total;
 *   PCA                 the two principal directions of chosen words' vectors, plotted.
 * Words are looked up case-blind (ASCII), the most frequent of a word's case variants winning,
 * as compute-accuracy (upper-casing) and gensim (case_insensitive=True) do.
 */
#ifndef CH06_EVALUATE_H
#define CH06_EVALUATE_H

#include <stdbool.h>

#include "data/wordeval.h"
#include "data/wordvec.h"
#include "train/chapter.h"

#define ANALOGY_RESTRICT 30000   // compute-accuracy's threshold (gensim: restrict_vocab)

// The evaluation sets, loaded once and shared by every method's vectors.
typedef struct WordEval {
    AnalogySet analogy;     // questions-words.txt
    SimPairs wordsim;       // wordsim353.tsv
    SimPairs simlex;        // simlex999.txt
} WordEval;

/* Load ANALOGY_FILE, WORDSIM_FILE and SIMLEX_FILE (embed.h) from data_dir. Errors: a missing or
 * malformed file (the loader's message, which names the file and says: make data). */
bool word_eval_load(WordEval *ev, const char *data_dir, char *err, size_t errlen);
void word_eval_free(WordEval *ev);

// ---- nearest neighbours ----

/* The k rows of unit (V, D) (unit-length rows, wordvec_unit_rows) of highest cosine to query (D,
 * any length, not zero), best first, skipping the rows in exclude[0 … n_exclude): row ids into
 * ids (k) and cosines into cos (k). Returns how many were found (min(k, rows left)). Ties keep
 * the lower row. */
int nearest_cosine(const float *unit, int V, int D, const float *query, int k,
                   const int *exclude, int n_exclude, int *ids, float *cos);

/* Print "word: n1 0.71, n2 0.69, …" (k neighbours, the word excluded) for each word of words
 * that has a vector, "word: (no vector)" otherwise. unit = wv's unit rows (or NULL: computed). */
void print_neighbours(const WordVectors *wv, const float *unit, const char *const *words,
                      int n_words, int k);

// ---- analogies ----
typedef struct AnalogyResult {
    int total;                    // questions in the set
    int seen, correct;            // questions with all 4 words in the restricted vocabulary
    int sem_seen, sem_correct;    // … of the semantic sections
    int syn_seen, syn_correct;    // … of the syntactic ("gram*") sections
    double acc_pct, sem_acc_pct, syn_acc_pct;   // correct / seen × 100 (0 when none seen)
    double seen_pct;              // seen / total × 100
    double seconds;
} AnalogyResult;

/* 3CosAdd accuracy of wv on a, searching the first restrict_vocab rows (<= 0 or > V: all V):
 * queries b − a + c on unit rows, batched through the library GEMM, scored in parallel; the
 * same numbers whatever the thread count. As compute-accuracy, an answer needs a cosine > 0
 * (none: wrong). pred (a->n, may be NULL) receives each question's predicted row, -1 for a
 * skipped question, -2 when no row had a positive cosine. */
AnalogyResult analogy_accuracy(const WordVectors *wv, const AnalogySet *a, int restrict_vocab,
                               int *pred);

// ---- similarity ----

/* Spearman's rank correlation of x and y (n): Pearson's correlation of their ranks, ties
 * given their average rank (scipy.stats.spearmanr). NaN when n < 2 or a side is constant. */
double spearman(const double *x, const double *y, int n);

typedef struct SimResult {
    double rho;       // Spearman's ρ of cosine vs the human score (NaN when < 2 pairs used)
    int used, total;  // pairs with both words in wv / pairs in the set
} SimResult;

/* Cosine of each pair whose two words have vectors, against the human scores. */
SimResult similarity_spearman(const WordVectors *wv, const SimPairs *p);

// ---- PCA ----

/* The 2-D principal-component projection of the rows x (n, D) (n >= 2): the rows centred,
 * the two leading eigenvectors of their covariance by power iteration with deflation (each
 * sign fixed so that its largest component is positive), out (n, 2) the coordinates;
 * explained (2, may be NULL) the fractions of the total variance. */
void pca_2d(const float *x, int n, int D, float *out, double *explained);

/* PCA of the vectors of those words that have one, plotted with their labels as
 * <out_dir>/<name>.png (report/plot.h); prints the coordinates when print. Returns the number
 * of words plotted (words without a vector are skipped; fewer than 2: nothing drawn). */
int plot_words_pca(const char *out_dir, const char *name, const char *title,
                   const WordVectors *wv, const char *const *words, int n_words, bool print);

// ---- everything at once ----
typedef struct EvalSummary {
    AnalogyResult analogy;
    SimResult wordsim, simlex;
} EvalSummary;

/* Analogies (restricted to ANALOGY_RESTRICT rows) and both similarity sets on wv, recorded in
 * ch's metrics as <prefix>_analogy_acc_pct, <prefix>_analogy_sem_acc_pct,
 * <prefix>_analogy_syn_acc_pct, <prefix>_analogy_seen, <prefix>_wordsim_spearman,
 * <prefix>_simlex_spearman; with print, one line per measure. A set with n = 0 (not loaded) is
 * skipped (its metrics not recorded). */
EvalSummary evaluate_vectors(Chapter *ch, const WordVectors *wv, const WordEval *ev,
                             const char *prefix, bool print);

#endif
