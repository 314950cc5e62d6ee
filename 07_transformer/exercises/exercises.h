/* 07_transformer/exercises/exercises.h — the functions the chapter 7 exercises implement.
 * Each exK_name.c defines them; exercises/driver.c calls them on fixed inputs and the grader
 * compares the results with expected/ (see EXERCISES.md for the rules). Plain C arrays,
 * row-major; you write the loops yourself. Letters: T positions (tokens), d the width of a
 * query/key/value row (one head: d = d_k), n the length of a token sequence.
 */
#ifndef CH07_EXERCISES_H
#define CH07_EXERCISES_H

#include "grader.h"    // EX_TODO

/* ex1_attention: one head of scaled dot-product attention (Vaswani et al. 2017, eq. 1),
 * bidirectional (every position sees every position). q, k, v (T, d):
 *   S[i][j] = (q_i · k_j) / √d        P[i] = softmax(S[i])        out = P · V
 * Write P (T, T) and out (T, d). The scores may be large (|S| > 100): subtract each row's
 * maximum before exp(), or exp() overflows. T >= 1, d >= 1. */
void ex_attention(const float *q, const float *k, const float *v, int T, int d, float *P,
                  float *out);

/* ex2_causal_mask: the same with the causal mask of a decoder: position i sees only the
 * positions j <= i, i.e. S[i][j] = −∞ for j > i before the softmax, so P[i][j] = 0 there
 * (exactly 0, not NaN). Write P (T, T) and out (T, d). */
void ex_causal_attention(const float *q, const float *k, const float *v, int T, int d, float *P,
                         float *out);

/* ex3_positional_encoding: the sinusoidal table of Vaswani et al. §3.5, pe (T, d):
 *   pe[pos][2i]     = sin(pos / 10000^(2i/d))
 *   pe[pos][2i + 1] = cos(pos / 10000^(2i/d))
 * for pos = 0 … T−1 and every column (d may be odd: the last column is then a sin). */
void ex_positional_encoding(int T, int d, float *pe);

/* ex4_bpe_merge: one step of byte-pair-encoding training (Sennrich et al. 2016; as Karpathy's
 * minbpe): count every pair of consecutive ids (ids[i], ids[i+1]); take the most frequent pair
 * — on a tie, the one whose first occurrence comes first in ids —; write it to pair[0],
 * pair[1]; then replace, scanning left to right, every non-overlapping occurrence of the pair
 * by new_id, in place (ids shrinks). Returns the new length. n >= 2. Example: "aaabdaaabac" as
 * bytes, new_id 256 → pair (97, 97), ids [256, 97, 98, 100, 256, 97, 98, 97, 99], returns 9. */
int ex_bpe_merge(int *ids, int n, int new_id, int *pair);

#endif
