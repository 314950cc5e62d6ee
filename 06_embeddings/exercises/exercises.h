/* 06_embeddings/exercises/exercises.h — the functions the chapter 6 exercises implement.
 * Each exK_name.c defines them; exercises/driver.c calls them on fixed inputs and the grader
 * compares the results with expected/ (see EXERCISES.md for the rules). Plain C arrays,
 * row-major; you write the loops yourself. Letters: N documents, V words (the vocabulary),
 * D vector width, K negative samples.
 */
#ifndef CH06_EXERCISES_H
#define CH06_EXERCISES_H

#include <stdint.h>

#include "grader.h"    // EX_TODO

/* ex1_tfidf: TF-IDF with the lecture's formulas, from raw term counts.
 * counts (N, V): counts[d·V + t] = how often term t occurs in document d (>= 0).
 *   df[t]     = the number of documents with counts[d][t] > 0
 *   idf[t]    = ln(N / (1 + df[t])) + 1                         (natural log; note the 1 + df)
 *   tf[d][t]  = 1 + ln(counts[d][t]) when counts[d][t] > 0, else 0     (sublinear TF)
 *   w[d][t]   = tf[d][t] · idf[t], then each row divided by its L2 norm (a row of zeros stays
 *               zeros: no division by 0)
 * out (N, V) is overwritten with w. */
void ex_tfidf(const int *counts, int N, int V, float *out);

/* ex2_sgns_step: one SGD step of skip-gram with negative sampling (Mikolov et al. 2013) for one
 * (center, context) pair and K noise words, in place. v (D) is the center word's input vector,
 * u_pos (D) the context word's output vector, u_neg (K, D) the K noise words' output vectors
 * (distinct rows). With σ(x) = 1 / (1 + e^(−x)):
 *   loss = −ln σ(u_pos · v) − Σ_k ln σ(−u_neg[k] · v)
 * Every gradient is taken at the values BEFORE the step, then all are updated:
 *   v -= lr · ∂loss/∂v,   u_pos -= lr · ∂loss/∂u_pos,   u_neg[k] -= lr · ∂loss/∂u_neg[k]
 * Returns the loss before the step. lr > 0. */
float ex_sgns_step(float *v, float *u_pos, float *u_neg, int K, int D, float lr);

/* ex3_cosine_analogy, part 1: cosine similarity a · b / (‖a‖ ‖b‖) of two D-vectors; 0 when
 * either is all zeros. */
float ex_cosine(const float *a, const float *b, int D);

/* ex3_cosine_analogy, part 2: the analogy "a is to b as c is to ?" by 3CosAdd (Mikolov et al.
 * 2013; word2vec's compute-accuracy): with every row of E (V, D) scaled to unit length first
 * (ê_w = e_w / ‖e_w‖; no row is zero), the answer is
 *   argmax over w ∉ {a, b, c} of  cos(ê_w, ê_b − ê_a + ê_c)
 * (the lowest w on a tie). a, b, c are row indices of E (not necessarily distinct); V >= 4.
 * Returns the answer's row index. E is not modified. */
int ex_analogy_3cosadd(const float *E, int V, int D, int a, int b, int c);

/* ex4_subword_ngrams: the hashed character n-grams fastText (Bojanowski et al. 2017) builds a
 * word's vector from, exactly as fastText's Dictionary::computeSubwords does. The word (UTF-8,
 * 0-terminated) is wrapped as "<" word ">"; a character is a byte that is not a UTF-8
 * continuation byte (10xxxxxx) together with the continuation bytes after it. For every start
 * character i (in order), for n = 1, 2, … while characters remain and n <= maxn: the n-gram is
 * the n characters from i; it is kept when n >= minn, except a 1-character n-gram at the very
 * start or end (the lone "<" and ">"). Each kept n-gram's id is
 *   fnv1a(n-gram bytes) % buckets,  fnv1a: h = 2166136261; for each byte b:
 *                                   h = (h ^ (uint32_t)(int8_t)b) * 16777619   (32-bit wrap)
 * — fastText's hash casts each byte to a SIGNED char first, which matters for bytes >= 0x80.
 * ids gets the ids in that order (the driver gives it room for all); returns how many.
 * 1 <= minn <= maxn; buckets >= 1. */
int ex_subword_buckets(const char *word, int minn, int maxn, uint32_t buckets, uint32_t *ids);

#endif
