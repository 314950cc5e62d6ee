/* 06_embeddings/documents.h — document vectors on IMDb, and retrieval (the chapter's last two
 * sections).
 *
 * From word vectors to a vector per review, each level measured by the accuracy of a classifier
 * on the IMDb test set (Maas et al. 2011):
 *   (a) mean pooling: the average of the review's word vectors, then logistic regression;
 *   (b) TF-IDF-weighted pooling: each occurrence weighted by idf = log(N / (1 + df)) + 1 from
 *       the training split (the lecture's formula), so "the" weighs ≈ 1 and "brilliant" ≈ 4;
 *   (c) a Deep Averaging Network (Iyyer, Manjunatha, Boyd-Graber & Daumé, ACL 2015): embed →
 *       mean → two ReLU layers → logits, with word dropout, trained end to end (embeddings too);
 *   (d) a 1-D CNN over the embeddings (Kim, EMNLP 2014; Collobert et al., JMLR 2011): filters of
 *       widths 3, 4, 5 spanning the whole embedding, ReLU, max over time, a linear head — learned
 *       n-gram detectors.
 * Retrieval, the first step of retrieval-augmented generation (RAG; Lewis et al., NeurIPS
 * 2020): a query embedded like a review, the reviews nearest to it by cosine.
 *
 * Documents are word ids: the tokens of data/tokenize.h (TOKENIZE_DEFAULT) that have a row in
 * the WordVectors, in text order, the first max_len of them. Models read a Dataset whose rows
 * are those ids as floats, padded with -1 to T (ids are exact in float up to 2^24).
 */
#ifndef CH06_DOCUMENTS_H
#define CH06_DOCUMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/rng.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/imdb.h"
#include "data/wordvec.h"
#include "nn/linear.h"
#include "train/chapter.h"
#include "train/model.h"

// ---- documents as word ids ----
typedef struct DocIds {
    int n;                 // documents
    int *start;            // (n + 1): document i is ids[start[i] … start[i + 1])
    int *ids;              // rows of the WordVectors, in text order
    int *label;            // (n) 1 positive, 0 negative
    long n_tokens;         // tokens of the texts (before truncation)
    long n_oov;            // of those, tokens without a vector (dropped)
    long n_cut;            // tokens beyond max_len (dropped)
} DocIds;

/* Tokenize texts[i] (len[i] bytes, TOKENIZE_DEFAULT) for i < n, keep the words with a row in
 * wv, the first max_len of each document (0: all). labels (n) may be NULL (then 0). */
void doc_ids_build(DocIds *d, char *const *texts, const size_t *len, const int *labels, int n,
                   const WordVectors *wv, int max_len);
/* The same for an IMDb split. */
void doc_ids_from_imdb(DocIds *d, const ImdbSplit *s, const WordVectors *wv, int max_len);
void doc_ids_free(DocIds *d);

/* idf (V) from the documents of d (a word counted once per document it appears in, df):
 * idf[v] = log(N / (1 + df_v)) + 1, N = d->n (the lecture's smoothed formula; it is <= 1 for a
 * word in nearly every document, and log(N) + 1 for a word never seen). */
void doc_idf(const DocIds *d, int V, float *idf);

/* One document's vector, out (D) = Σ_t w(id_t)·vec[id_t] / Σ_t w(id_t) over ids[0 … n), with
 * w = weight[id] (weight NULL: w = 1, the mean). Zeros when n = 0 or the weights sum to 0. */
void doc_pool(const WordVectors *wv, const int *ids, int n, const float *weight, float *out);
/* Every document of d: out (d->n, wv->D). */
void doc_pool_all(const DocIds *d, const WordVectors *wv, const float *weight, float *out);
/* Scale each of the n rows of x (n, D) to unit length (zero rows stay zero): cosine = dot. */
void doc_unit_rows(float *x, int n, int D);

/* Retrieval: the k rows of docs (n, D) with the largest dot product with q (D) — the cosine
 * when both are unit length — in descending order (ties: the lower row first) into idx (k),
 * their scores into sim (k) (may be NULL). Dies unless 1 <= k <= n. */
void doc_top_k(const float *docs, int n, int D, const float *q, int k, int *idx, float *sim);

/* The rows of a model's Dataset: document i's ids as floats in x (n, T), -1 after its end,
 * y = its label; 2 classes. Name "imdb-ids". */
void doc_dataset(const DocIds *d, int T, Dataset *out);
/* The dense rows x (n, D) with labels y (n) as a Dataset (copied), for logistic regression. */
void doc_dense_dataset(const float *x, const int *y, int n, int D, const char *name,
                       Dataset *out);

// ---- logistic regression on dense rows ----
/* Logistic regression (a Linear(D → 2) layer and cross-entropy: softmax regression with two
 * classes is logistic regression) trained with Adam (lr 0.01, batch 100) for `epochs` epochs on
 * tr, features standardised with tr's mean and standard deviation. Returns the accuracy on te
 * in percent; *train_acc (may be NULL) gets the training accuracy. Deterministic for a seed. */
double doc_logreg(const Dataset *tr, const Dataset *te, int epochs, uint64_t seed,
                  double *train_acc);

// ---- models trained end to end ----
/* The embedding table (V, D) of a model, a parameter initialised from wv's vectors. */
Tensor *doc_embedding_init(Model *m, const WordVectors *wv, bool train);

/* Deep Averaging Network: ids (B, T) → op_embedding_mean → ReLU(Linear(D, H)) →
 * ReLU(Linear(H, H)) → Linear(H, 2) logits. In training each word is dropped with probability
 * word_dropout before the mean (Iyyer et al.'s word dropout; a document keeps at least its
 * first word). */
typedef struct Dan {
    Tensor *emb;           // (V, D)
    Linear h1, h2, out;    // D → H → H → 2
    int T;
    float word_dropout;
} Dan;
void dan_init(Dan *n, Model *m, const WordVectors *wv, int T, int hidden, float word_dropout,
              Rng *r);
Tensor *dan_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng);

/* Text CNN (Kim 2014): ids (B, T) → op_embedding_padded (padding reads as zero vectors) →
 * (B, T, D) → op_transpose → (B, D, 1, T): D channels over time → for each width k: op_conv2d
 * with `filters` kernels (D, 1, k) (a 1-D convolution, nn.Conv1d(D, F, k)) → (B, F, 1, T−k+1)
 * → ReLU → op_global_maxpool (max over time) → (B, F); the widths' features concatenated →
 * dropout → Linear(widths·F, 2). With train_emb false the table gets no gradient (Kim's
 * "CNN-static"). Why the transpose: Kim's picture, one input channel (B, 1, T, D) with
 * (k, D) kernels, computes the same numbers but runs ~60x slower in the implicit-GEMM
 * convolution (one channel leaves nothing to vectorise over), measured here. */
#define TEXT_CNN_WIDTHS 3
typedef struct TextCnn {
    Tensor *emb;           // (V, D)
    int width[TEXT_CNN_WIDTHS];   // 3, 4, 5
    int filters, T, D;
    Tensor *w[TEXT_CNN_WIDTHS];   // (F, D, 1, k)
    Tensor *b[TEXT_CNN_WIDTHS];   // (F)
    Linear out;            // (widths·F → 2)
    float dropout;
} TextCnn;
void text_cnn_init(TextCnn *c, Model *m, const WordVectors *wv, int T, int filters,
                   float dropout, bool train_emb, Rng *r);
Tensor *text_cnn_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng);
/* ReLU activation of filter f of width index wi at position t of ids[0 … n) (needs
 * t + width <= n): b + Σ_{r<k} w[f, r, :]·emb[ids[t + r], :], clamped at 0. */
float text_cnn_activation(const TextCnn *c, int wi, int f, const int *ids, int n, int t);

// ---- the sections (main() prints their titles with chapter_section, e.g. "8. Document
// vectors: pooling, a Deep Averaging Network, a text CNN" and "9. Retrieval: the nearest
// reviews to a query (the first step of RAG)") ----
/* What retrieval reads: TF-IDF-pooled unit vectors of the test reviews. */
typedef struct DocSpace {
    const WordVectors *wv; // not owned
    float *idf;            // (wv->V) from the training reviews
    int n, D;
    float *vec;            // (n, D) unit rows
    int *index;            // (n) row i is review index[i] of the test split (--quick: a subset)
    int *label;            // (n)
} DocSpace;
void doc_space_free(DocSpace *s);

/* Section "document vectors": (a) – (d) above on train → test, one accuracy table, metric keys
 * docs_<method>_acc_pct (mean, tfidf, dan, cnn) and docs_<method>_s, the weight that mean
 * pooling and TF-IDF pooling give to frequent words, and the CNN's top-activating trigrams.
 * Default (the whole splits, ≈ 2 minutes on 2 threads): reviews cut to 400 words (the CNN
 * reads 256), logistic regression 10 epochs, DAN 4 epochs, CNN 50 filters per width, 2 epochs;
 * the DAN and the CNN keep their best epoch on a validation tenth of the training reviews.
 * --quick: the first 1000 reviews of each class of each split, 100 words, small models, a few
 * seconds. space (may be NULL) receives the test reviews' TF-IDF-pooled vectors for
 * retrieval_section (free it with doc_space_free). Dies only on a programming error. */
void documents_section(Chapter *ch, const ImdbSplit *train, const ImdbSplit *test,
                       const WordVectors *wv, DocSpace *space);

/* Section "retrieval" (retrieval.c): queries embedded by TF-IDF pooling, the top 5 test reviews
 * by cosine (label, cosine, first 100 characters), and precision@10 of label agreement over a
 * set of positive and negative queries (metric docs_retrieval_p_at_10_pct). */
void retrieval_section(Chapter *ch, const ImdbSplit *test, const DocSpace *space);

/* Embed a query string into q (D), unit length, as the reviews of space are; returns the
 * number of its words that have a vector (0: q is zeros). */
int doc_embed_query(const DocSpace *space, const char *text, float *q);

#endif
