/* common/data/wordeval.h — the word-vector evaluation sets (chapter 6): the Google analogy
 * questions and the word-similarity pairs.
 *
 * Analogies (Mikolov et al. 2013, questions-words.txt, as word2vec.c's compute-accuracy reads it):
 *     : capital-common-countries        a section
 *     Athens Greece Baghdad Iraq        a : b :: c : d  ("Athens is to Greece as Baghdad is to ?")
 * Words are lower-cased (ASCII) when read, as compute-accuracy compares them case-blind. A
 * section whose name starts with "gram" is syntactic (gram1-adjective-to-adverb …
 * gram9-plural-verbs), every other one semantic (capital-common-countries … family): in the
 * Google set, sections 0–4 semantic and 5–13 syntactic, 8,869 + 10,675 = 19,544 questions.
 *
 * Similarity pairs (WordSim-353, Finkelstein et al. 2002; SimLex-999, Hill et al. 2015; in
 * gensim's layout, gensim/test/test_data/wordsim353.tsv and simlex999.txt):
 *     # comment lines
 *     w1<TAB>w2<TAB>score               the human similarity (0–10)
 * also lower-cased. All parsing lives in functions on bytes in memory (*_parse), which *_load
 * feeds from a file and tests/fuzz/fuzz_wordeval.c feeds random bytes. Functions that can fail
 * return false and fill err with the file's name, the line, the problem and the fix.
 */
#ifndef DL_DATA_WORDEVAL_H
#define DL_DATA_WORDEVAL_H

#include <stdbool.h>
#include <stddef.h>

// ---- analogies ----
typedef struct AnalogySet {
    int n;                  // questions
    char *(*q)[4];          // (n) the four words a b c d of each question, lower-cased
    int *section;           // (n) index of each question's section
    int n_sections;
    char **section_name;    // (n_sections) "capital-common-countries", "gram1-adjective-to-adverb"
    bool *syntactic;        // (n_sections) the name starts with "gram"
} AnalogySet;

/* Parse a questions file from bytes. Blank lines are skipped; a line ": name" opens a section;
 * every other line is one question of exactly 4 words. Errors: a question before the first
 * section, a line of other than 4 words, a section line without a name, a NUL byte, no
 * question at all. `name` is used in messages. */
bool analogy_parse(const char *bytes, size_t n, const char *name, AnalogySet *a, char *err,
                   size_t errlen);
bool analogy_load(const char *path, AnalogySet *a, char *err, size_t errlen);
void analogy_free(AnalogySet *a);

// ---- similarity pairs ----
typedef struct SimPairs {
    int n;                  // pairs
    char **w1, **w2;        // (n) lower-cased
    float *score;           // (n) the human score
} SimPairs;

/* Parse a similarity file from bytes: '#' lines and blank lines are skipped; every other line
 * holds w1, w2 and a finite score, separated by tabs or spaces. Errors: a line of other than 3
 * fields, a score that is not a finite number, a NUL byte, no pair at all. */
bool simpairs_parse(const char *bytes, size_t n, const char *name, SimPairs *p, char *err,
                    size_t errlen);
bool simpairs_load(const char *path, SimPairs *p, char *err, size_t errlen);
void simpairs_free(SimPairs *p);

#endif
