/* 06_embeddings/word2vec.h — Word2Vec (skip-gram and CBOW with negative sampling) and FastText's
 * subword skip-gram, trained on a corpus of word ids; the chapter's Word2Vec and FastText sections.
 *
 * Sources: Mikolov et al. 2013a ("Efficient Estimation of Word Representations in Vector Space":
 * skip-gram, CBOW) and 2013b ("Distributed Representations of Words and Phrases": negative
 * sampling with noise ∝ unigram^0.75, frequent-word subsampling); word2vec.c for what the papers
 * leave open (defaults, the subsampling formula, the dynamic window, linear lr decay, init);
 * Bojanowski et al. 2017 ("Enriching Word Vectors with Subword Information") and fastText's
 * source (Dictionary::hash, computeSubwords, Model::computeHidden) for FastText.
 *
 * The SGNS update of one input vector against one positive and K noise output rows is the kernel
 * ladder "w2v" (kernels/word2vec.h); --kernel w2v=… picks the rung the trainer uses. Determinism:
 * every rung but v3_hogwild runs on one thread and gives the same vectors for the same seed;
 * v3_hogwild with 1 thread gives v2's bits; v3_hogwild with more threads varies run to run.
 */
#ifndef CH06_WORD2VEC_H
#define CH06_WORD2VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/imdb.h"
#include "data/wordvec.h"
#include "kernels/word2vec.h"
#include "train/chapter.h"

#include "embed.h"
#include "evaluate.h"

#define W2V_MAX_EPOCHS 100
#define W2V_SENTENCE 1000            // word2vec.c's MAX_SENTENCE_LENGTH: the window never crosses it

typedef enum W2vArch {
    W2V_SKIPGRAM,    // input: a context word's row; target: the centre word (word2vec.c's loop)
    W2V_CBOW,        // input: the MEAN of the context rows (cbow_mean=1); target: the centre word
    W2V_FASTTEXT,    // skip-gram whose input is the mean of the centre word's row and its
                     // character n-gram rows (minn … maxn, hashed into `buckets` rows)
} W2vArch;

typedef enum NoiseKind {
    NOISE_UNIGRAM75, // P(w) ∝ count(w)^0.75 (Mikolov et al. 2013b; the default)
    NOISE_UNIFORM,   // P(w) = 1/V
    NOISE_UNIGRAM,   // P(w) ∝ count(w)
} NoiseKind;

typedef struct W2vConfig {
    W2vArch arch;
    NoiseKind noise;
    int D;               // vector width (100)
    int window;          // maximum context distance; each centre draws b uniform in 1 … window (5)
    int negative;        // noise words per positive, 0 … W2V_MAX_TARGETS − 1 (5)
    int epochs;          // passes over the corpus, 1 … W2V_MAX_EPOCHS (5)
    int threads;         // v3_hogwild's threads (0: threads_get()); other rungs use 1
    float lr;            // starting rate, decayed linearly to lr·1e-4 (0.025 SG; 0.05 CBOW, FastText)
    float sample;        // subsampling threshold t (1e-4; 0: off)
    uint64_t seed;
    int minn, maxn;      // FastText: n-gram lengths (3, 6)
    int buckets;         // FastText: hashed n-gram rows (500,000; fastText's default is 2,000,000)
    const KernelRung *rung;   // a W2V_LADDER rung; NULL: the one --kernel selected
} W2vConfig;

typedef struct W2vStats {
    double seconds;            // wall time of the epochs (not the set-up)
    double words_per_s;        // n × epochs / seconds: corpus tokens (in the vocabulary) per second
    double loss[W2V_MAX_EPOCHS];   // mean SGNS loss per update, per epoch (before each update:
                                   // an online loss, as word2vec.c's and fastText's progress)
    double fixed_loss[W2V_MAX_EPOCHS];   // after each epoch, the weights frozen: the mean SGNS
                                   // loss of a fixed sample of pairs (fixed_sample_loss
                                   // in word2vec.c)
    int epochs;
    int64_t pairs;             // updates made (skip-gram: (centre, context) pairs; CBOW: centres)
    int64_t kept;              // tokens kept by subsampling, summed over epochs
    int threads;               // threads that ran
    const char *rung;          // the rung's name
} W2vStats;

/* A trained model: everything fasttext_word_vector needs for words outside the vocabulary. */
typedef struct W2vModel {
    W2vConfig cfg;             // as trained (defaults filled in)
    int V, D;
    size_t rows;               // input rows: V, + buckets for FastText
    float *in;                 // (rows, D) input vectors ("syn0"; FastText: words then n-grams)
    float *out;                // (V, D) output vectors ("syn1neg")
    int *sub_start, *sub_rows; // FastText: the input rows of word i are
                               // sub_rows[sub_start[i] … sub_start[i+1]) (its own row first)
} W2vModel;

/* word2vec.c's defaults for arch: D 100, window 5, negative 5, epochs 5, lr 0.025 (skip-gram)
 * or 0.05 (CBOW; FastText as fastText's CLI), sample 1e-4, noise unigram^0.75, seed 1,
 * FastText minn 3, maxn 6, buckets 500,000. */
W2vConfig w2v_config_default(W2vArch arch);

/* Train on ids[0 … n) (ids of v's words, in corpus order; v's counts set the noise and the
 * subsampling) and fill m (free with w2v_model_free). st may be NULL. Errors (false, err filled,
 * m untouched): an empty corpus, an id outside [0, V), a config value out of range (named, with
 * its allowed range). */
bool w2v_train_model(const WordVocab *v, const int *ids, size_t n, const W2vConfig *c,
                     W2vModel *m, W2vStats *st, char *err, size_t errlen);
/* The vocabulary's vectors: word2vec's input rows, or for FastText each word's mean of rows
 * (fastText's getWordVector). out is initialised here (free with wordvec_free). */
void w2v_model_vectors(const W2vModel *m, const WordVocab *v, WordVectors *out);
void w2v_model_free(W2vModel *m);

/* w2v_train_model, then w2v_model_vectors, then w2v_model_free. */
bool w2v_train(const WordVocab *v, const int *ids, size_t n, const W2vConfig *c,
               WordVectors *out, W2vStats *st, char *err, size_t errlen);

/* Probability that subsampling keeps a word seen `count` times out of `total` (word2vec.c):
 * keep = (√(count / (t·total)) + 1) · t·total / count, capped at 1; 1 when t = 0. */
double w2v_keep_prob(int64_t count, int64_t total, double t);

// ---- FastText's subwords ----
/* fastText's Dictionary::hash: 32-bit FNV-1a over the bytes, each byte sign-extended first
 * (fastText xors an int8_t into the uint32_t): h = 2166136261; h ^= (uint32_t)(int8_t)b;
 * h *= 16777619. */
uint32_t fasttext_hash(const char *s, size_t n);
/* The character n-grams of "<" word ">" with minn <= n <= maxn (UTF-8 characters, as fastText's
 * computeSubwords; the whole "<word>" included when it is short enough, single "<"/">" never),
 * written space-separated into out ("<wh whe her ere re>" for "where", n = 3). Returns how many;
 * out is truncated (still 0-terminated) when outlen is too small. */
int fasttext_ngrams(const char *word, int minn, int maxn, char *out, size_t outlen);
/* Their rows: V + fasttext_hash(ngram) % buckets, at most max_rows written; returns the count. */
int fasttext_ngram_rows(const char *word, int minn, int maxn, int V, int buckets, int *rows,
                        int max_rows);
/* The vector of ANY string (fastText's getWordVector): the mean of the word's own row (when in
 * the vocabulary v) and its n-gram rows; zeros when it has neither. out: (D). m must be a
 * FastText model. */
void fasttext_word_vector(const W2vModel *m, const WordVocab *v, const char *word, float *out);

// ---- the chapter's corpus and sections ----
typedef struct W2vCorpus {
    WordVocab vocab;
    int *ids;                  // (n) the corpus's in-vocabulary words
    size_t n;
    size_t n_dropped;          // words below min_count, dropped
    int64_t raw_words;         // every word of the text (= vocab.n_tokens)
    char path[512];
} W2vCorpus;

/* Read a text corpus (words separated by white space), keep at most max_bytes of it (0: all; cut
 * at a white space), build the vocabulary with min_count and encode it. Errors: the file cannot
 * be read, is empty, or min_count leaves no word (the message names the file and `make data`
 * or --min-count). */
bool w2v_corpus_load(W2vCorpus *c, const char *path, size_t max_bytes, int min_count, char *err,
                     size_t errlen);
void w2v_corpus_free(W2vCorpus *c);

/* Section "Word2Vec": skip-gram and CBOW on the corpus with the flags' settings (f resolved:
 * every field set), the loss per epoch, words/s, the evaluation on ev (NULL or empty sets:
 * skipped), the noise comparison; saves f->save_vectors. The skip-gram vectors are returned in
 * sg_out (free with wordvec_free). Metrics: w2v_sg_*, w2v_cbow_*, w2v_noise_*. */
void word2vec_section(Chapter *ch, const Flags *f, const W2vCorpus *c, const WordEval *ev,
                      WordVectors *sg_out);
/* Section "FastText": subword skip-gram vs the plain skip-gram vectors sg (same corpus and
 * settings): analogy accuracy (the syntactic lift), neighbours of out-of-vocabulary and misspelled
 * words. Metrics: fasttext_*. */
void fasttext_section(Chapter *ch, const Flags *f, const W2vCorpus *c, const WordEval *ev,
                      const WordVectors *sg);
/* The skip-gram vectors of the IMDb training reviews, tokenized by the chapter's pipeline
 * (TOKENIZE_DEFAULT), min-count f->min_count, 5 epochs (1 --quick, 15 --full), the flags' other
 * settings: the word vectors section 8's document models start from (free with wordvec_free).
 * Metrics docs_w2v_*. */
void imdb_word_vectors(Chapter *ch, const Flags *f, const ImdbSplit *train, WordVectors *out);

#endif
