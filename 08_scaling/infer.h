/* 08_scaling/infer.h — the pure parts of section 6 (inference-time compute), which
 * tests/test_infer.c checks on their own: the addition task's text and its checker, the
 * unbiased pass@k estimator, best-of-k with a scoring verifier, majority voting, and the
 * FLOPs of one decoding step of a GPT.
 *
 * The task: a + b with a, b in [0, 1000), written "123+456=" and answered with the sum's four
 * digits as written, most significant first ("0579"). Tokens: '0' … '9' → 0 … 9, '+' → 10,
 * '=' → 11. Why not reversed (least significant first, "9750": each digit is then the two
 * digits above it plus the carry of the digit just written, and it is learned with far fewer
 * examples, Lee et al. 2023, "Teaching arithmetic to small transformers")? Measured here: with
 * the reversed answer a 2-layer d_model-32 GPT (25 k parameters) and a 3-layer d_model-96 one
 * both answer 100 % of the test problems after section 6's 1,500 steps, leaving nothing for
 * sampling to fix; in the written order the first digit needs every carry at once, and the
 * small model stays imperfect (≈ 88 % greedy) while the large one does better. ADD_REVERSED 1
 * (at compile time) switches the order.
 */
#ifndef CH08_INFER_H
#define CH08_INFER_H

#include <stdbool.h>

#include "nn/transformer.h"

#define ADD_DIGITS   3                          // digits of each operand
#define ADD_PROMPT   (2 * ADD_DIGITS + 2)       // "123+456=": 8 tokens
#define ADD_ANSWER   (ADD_DIGITS + 1)           // the sum's digits, reversed: 4 tokens
#define ADD_LEN      (ADD_PROMPT + ADD_ANSWER)  // 12 tokens in all
#define ADD_V        12                         // vocabulary: 10 digits, '+', '='
#define ADD_PLUS     10
#define ADD_EQUALS   11
#define ADD_RANGE    1000                       // operands in [0, ADD_RANGE)
#ifndef ADD_REVERSED
#define ADD_REVERSED 0
#endif

/* The problem a + b (0 <= a, b < ADD_RANGE) as ADD_LEN tokens: the prompt then the answer. */
void add_encode(int a, int b, int *tokens);

/* The value of an answer (ADD_ANSWER tokens, least significant digit first), or -1 when a
 * token is not a digit (the model wrote '+' or '='). */
int add_answer_value(const int *answer);

/* "123+456=9750": the problem's text (buf >= ADD_LEN + 1 bytes); returns buf. */
const char *add_text(const int *tokens, int n, char *buf);

/* The unbiased estimator of pass@k from n samples of which c are correct (Chen et al. 2021,
 * "Evaluating large language models trained on code", eq. 1 and its numerically stable
 * product form): 1 − C(n−c, k)/C(n, k) = 1 − Π_{i=n−c+1}^{n} (1 − k/i). 1 <= k <= n. */
double pass_at_k(int n, int c, int k);

/* Best-of-k with a scoring verifier: the expected correctness of the highest-scoring sample
 * of a k-subset drawn uniformly from the n samples (score (n), correct (n)). Exact: with the
 * samples ranked by score (ties: the earlier sample first), rank r (0-based) is the best of
 * the subset with probability C(n−1−r, k−1)/C(n, k). 1 <= k <= n. */
double best_of_k(const double *score, const bool *correct, int n, int k);

/* Majority voting over k answers (values; -1 = unparseable, never elected unless every answer
 * is): the most common value; a tie goes to the tied value with the highest score (for the
 * model's log-probability: the more likely answer), then the earlier one. */
int majority_vote(const int *value, const double *score, int k);

/* Majority@k estimated from n samples: the mean, over the n/k disjoint groups of k
 * consecutive samples, of whether the group's vote equals truth. 1 <= k <= n. */
double majority_at_k(const int *value, const double *score, int n, int k, int truth);

/* Forward FLOPs of one KV-cache decoding step of a GPT at position pos (0-based: it attends
 * to pos + 1 keys), counted per multiply-add as 2: the matrix products of every layer
 * (qkv 3C², proj C², MLP 2·C·ffn), the attention scores and the weighted sum of values
 * (2·(pos+1)·C each per layer) and the tied head C·V; LayerNorm, GELU and softmax are left
 * out (O(C) per token). Kaplan et al. (2020, table 1): ≈ 2N + 2·L·n_ctx·C. */
double gpt_step_flops(const GptConfig *c, int pos);

#endif
