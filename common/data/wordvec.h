/* common/data/wordvec.h — word vocabularies with counts, and word vectors (chapter 6).
 *
 * A WordVocab is what word2vec.c builds from a corpus: every word seen at least min_count times,
 * by descending count (ties in order of first appearance), so id 0 is the most frequent word and
 * "the 30,000 most frequent words" are ids 0 … 29,999 (word2vec's compute-accuracy restriction).
 * Words are maximal runs of bytes other than white space (' ', '\t', '\n', '\r', '\v', '\f').
 *
 * WordVectors are V rows of D floats with their words, in the same order. The file format is
 * word2vec's text format (Mikolov et al. 2013, word2vec.c with -binary 0), which gensim's
 * KeyedVectors.load_word2vec_format and fastText's scripts read:
 *     V D\n
 *     word v_1 v_2 … v_D\n          (V lines)
 * All parsing lives in functions on bytes in memory (wordvec_parse_text), which
 * wordvec_load_text feeds from a file and tests/fuzz/fuzz_wordvec.c feeds random bytes.
 * Functions that can fail on input return false and fill err (file, line, problem, fix).
 */
#ifndef DL_DATA_WORDVEC_H
#define DL_DATA_WORDVEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// ---- vocabulary with counts ----
typedef struct WordVocab {
    int V;                 // words kept
    char **words;          // (V) 0-terminated
    int64_t *count;        // (V) occurrences in the corpus, descending
    int64_t n_tokens;      // corpus tokens counted (kept or not)
    int *table;            // open-addressing hash word → id, -1 = empty
    int table_size;
} WordVocab;

/* Count the words of text[0 … n) and keep those seen >= min_count times (min_count >= 1).
 * Errors: no word at all, no word reaching min_count, a NUL byte in the text. */
bool word_vocab_build(WordVocab *v, const char *text, size_t n, int min_count, char *err,
                      size_t errlen);
/* The same from a list of tokens (already split, e.g. by data/tokenize.h). */
bool word_vocab_build_tokens(WordVocab *v, char *const *tokens, size_t n_tokens, int min_count,
                             char *err, size_t errlen);
/* Id of a word, or -1. */
int word_vocab_id(const WordVocab *v, const char *word);
/* The ids of text's words that are in the vocabulary, in order (others are dropped, as
 * word2vec.c drops them); malloc'ed in *ids (free it), count in *n_ids, dropped in *n_dropped. */
bool word_vocab_encode(const WordVocab *v, const char *text, size_t n, int **ids, size_t *n_ids,
                       size_t *n_dropped, char *err, size_t errlen);
void word_vocab_free(WordVocab *v);

// ---- vectors ----
typedef struct WordVectors {
    int V, D;
    char **words;          // (V)
    float *vec;            // (V, D) row-major; row i is words[i]'s vector
    int *table;            // hash word → row, -1 = empty
    int table_size;
} WordVectors;

/* V rows of D zeros with copies of words[0 … V) (distinct). */
void wordvec_init(WordVectors *wv, int V, int D, char *const *words);
/* Row of a word, or -1. */
int wordvec_id(const WordVectors *wv, const char *word);
/* Unit-length copies of the rows (V, D) into out (zero rows stay zero): cosine = dot. */
void wordvec_unit_rows(const WordVectors *wv, float *out);
/* Write word2vec's text format atomically (temp file + rename); "%.6g" per value. */
bool wordvec_save_text(const WordVectors *wv, const char *path, char *err, size_t errlen);
/* Parse word2vec's text format from bytes. Errors: bad header, V or D out of range
 * (V <= 10,000,000, D <= 10,000), a short line, a bad number, a repeated word, more or fewer
 * lines than V. `name` is used in messages. */
bool wordvec_parse_text(const char *bytes, size_t n, const char *name, WordVectors *wv, char *err,
                        size_t errlen);
bool wordvec_load_text(const char *path, WordVectors *wv, char *err, size_t errlen);
void wordvec_free(WordVectors *wv);

#endif
