/* common/data/sparse.h — sparse document vectors: one-hot, bag of words, n-grams and TF-IDF in a
 * compressed sparse row (CSR) matrix (chapter 6's classical representations).
 *
 * A document is a list of tokens (data/tokenize.h). Its features are its n-grams for
 * n = 1 … ngram_max, an n-gram being n consecutive tokens joined by one space ("not good").
 * A SparseVocab is learned on the TRAINING documents only (a test document's unseen n-grams are
 * dropped, as a deployed model would have to): each distinct n-gram with a document frequency
 * df >= min_df becomes a column, columns in order of first appearance.
 *
 * Counts:  x[d][j] = tf(j, d), the number of times feature j occurs in document d ("bag of
 *          words": order is lost except inside an n-gram).
 * TF-IDF (Salton & Buckley, "Term-weighting approaches in automatic text retrieval", 1988;
 *          Manning, Raghavan & Schütze, "Introduction to Information Retrieval", 2008, ch. 6):
 *              idf(j) = ln(N / (1 + df(j))) + 1          N: training documents (the lecture's)
 *              tf'    = tf, or 1 + ln(tf) when sublinear
 *              x[d][j] = tf' · idf(j), then each row divided by its L2 norm (cosine = dot product)
 *          scikit-learn's TfidfVectorizer differs by default in the idf only: smooth_idf=True
 *          gives ln((1 + N) / (1 + df)) + 1 (as if one extra document held every term), so its
 *          weights differ from ours by a term that shrinks as N grows; after L2 normalisation the
 *          two agree to within about 1/N for a collection as large as IMDb's.
 * One-hot: the V-wide vector with a single 1 at a word's id (a one-token document's count row,
 *          sparse_one_hot). Two different words' one-hot vectors share no nonzero column, so
 *          their cosine is 0 whatever the words mean — the problem dense vectors solve.
 */
#ifndef DL_DATA_SPARSE_H
#define DL_DATA_SPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/tokenize.h"

// A CSR matrix: row r's nonzeros are col[k], val[k] for k in [row_ptr[r], row_ptr[r+1]),
// columns strictly ascending within a row.
typedef struct Csr {
    int n_rows, n_cols;
    int64_t *row_ptr;        // (n_rows + 1)
    int32_t *col;            // (nnz)
    float *val;              // (nnz)
} Csr;

static inline int64_t csr_nnz(const Csr *m) { return m->row_ptr[m->n_rows]; }
void csr_free(Csr *m);
/* Dot product of row i of a and row j of b (same n_cols): a merge of the two sorted rows. */
double csr_row_dot(const Csr *a, int i, const Csr *b, int j);
/* Cosine of row i of a and row j of b; 0 when either row is all zeros. */
double csr_row_cosine(const Csr *a, int i, const Csr *b, int j);
/* Divide each row by its L2 norm (rows of zeros stay zero). */
void csr_normalize_rows(Csr *m);

#define SPARSE_NGRAM_MAX 3

typedef struct SparseVocab {
    int ngram_max;           // features are n-grams for n = 1 … ngram_max
    int min_df;              // features kept: df >= min_df
    int n_docs;              // N: the training documents it was fitted on
    int n_features;          // C: columns
    int n_by_order[SPARSE_NGRAM_MAX + 1];  // columns that are unigrams [1], bigrams [2], …
    int64_t n_seen[SPARSE_NGRAM_MAX + 1];  // distinct n-grams seen before min_df, per n
    char **feature;          // (C) feature strings, pointing into pool
    int *df;                 // (C) document frequency in the training documents
    float *idf;              // (C) ln(N / (1 + df)) + 1
    char *pool;              // the feature strings' bytes
    int *table;              // (table_size) open addressing: column id, -1 = empty
    uint64_t *hash;          // (C) each feature's FNV-1a hash
    int64_t table_size;      // a power of two, at least 2·C
} SparseVocab;

/* Learn the features of docs[0 … n_docs): every n-gram (n = 1 … ngram_max) with df >= min_df.
 * Errors (false, err filled): n_docs < 1 or no token in any document ("empty corpus"),
 * ngram_max outside 1 … SPARSE_NGRAM_MAX, min_df < 1, or a min_df that leaves no feature
 * (the message gives the largest df seen). */
bool sparse_vocab_fit(SparseVocab *v, const TokenList *docs, int n_docs, int ngram_max,
                      int min_df, char *err, size_t errlen);
void sparse_vocab_free(SparseVocab *v);
/* The column of a feature string ("not good"), or -1. */
int sparse_vocab_find(const SparseVocab *v, const char *feature);

/* Count matrix (n_docs, C): x[d][j] = occurrences of feature j in docs[d]; n-grams outside the
 * vocabulary are dropped. Rows are built in parallel (threads.h), the same whatever the count. */
void sparse_count(const SparseVocab *v, const TokenList *docs, int n_docs, Csr *out);
/* Turn a count matrix into TF-IDF in place: tf' · idf, tf' = tf or 1 + ln(tf) when sublinear,
 * then rows L2-normalised. */
void sparse_tfidf(const SparseVocab *v, Csr *m, bool sublinear);
/* The one-hot row of one word (1, C): a 1 at its column; all zeros when it is not a feature. */
void sparse_one_hot(const SparseVocab *v, const char *word, Csr *out);

#endif
