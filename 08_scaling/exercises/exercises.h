/* 08_scaling/exercises/exercises.h — the functions the chapter 8 exercises implement.
 * Each exK_name.c defines them; exercises/driver.c calls them on fixed inputs and the grader
 * compares the results with expected/ (see EXERCISES.md for the rules). Plain C, double
 * precision; you write the loops yourself. Letters: N parameters, D training tokens, C compute
 * (FLOPs), p ranks (processes), n numbers in a gradient.
 */
#ifndef CH08_EXERCISES_H
#define CH08_EXERCISES_H

#include "grader.h"    // EX_TODO

/* ex1_power_law: fit y ≈ k·x^e by least squares in log-log: the straight line
 * log y = log k + e·log x through the n points (log x_i, log y_i) (ordinary least squares,
 * natural logs). Returns the exponent e and writes the prefactor k. All x_i, y_i > 0; n >= 2
 * and the x_i not all equal. */
double ex_power_law_fit(const double *x, const double *y, int n, double *k);

/* ex2_chinchilla_optimal: the compute-optimal allocation of Hoffmann et al. (2022) eq. (4) for
 * L(N, D) = E + A/N^α + B/D^β under the constraint C = 6·N·D:
 *   N_opt(C) = G·(C/6)^a,  D_opt(C) = G⁻¹·(C/6)^b,
 *   G = (α·A / (β·B))^(1/(α+β)),  a = β/(α+β),  b = α/(α+β).
 * Write N_opt and D_opt (so that 6·N_opt·D_opt = C). A, B, α, β, C > 0. */
void ex_chinchilla_optimal(double A, double B, double alpha, double beta, double C, double *N_opt,
                           double *D_opt);

/* ex3_gpt_flops: the FLOPs of one forward pass of a GPT decoder (chapter 7's: pre-LN, causal,
 * no biases, tied head, MLP width 4C) over B sequences of T tokens, counted per layer with a
 * multiply-add = 2 FLOPs (Kaplan et al. 2020, Table 1):
 *   per token and layer the GEMMs: qkv 2·C·3C, the output projection 2·C·C, the MLP 2·C·4C and
 *     2·4C·C;
 *   per sequence and layer, attention: QKᵀ and P·V, each 2·(C/NH) FLOPs per head and per
 *     (query, key) pair, over the pairs a causal kernel computes (key j <= query i): T(T+1)/2;
 *   per token once, the LM head 2·C·V.
 * Not counted: embeddings, LayerNorm, softmax, GELU, residual adds, the loss. */
double ex_gpt_forward_flops(int V, int T, int L, int NH, int C, int B);

/* ex4_ring_allreduce: simulate the ring all-reduce of p ranks on one machine. buf[r] (n floats)
 * is rank r's gradient; on return every buf[r] holds the element-wise sum over the ranks, and
 * bytes_sent[r] the bytes rank r sent (4 per float). The vector is cut into p chunks, chunk c =
 * [c·n/p, (c+1)·n/p) (integer division). Rank r sends only to rank (r+1) mod p.
 *   reduce-scatter, steps s = 0 … p−2: every rank r sends chunk (r − s) mod p to r+1, which adds
 *     it to its own copy (all sends of a step happen at once: use the values before the step);
 *     after it rank r holds the full sum of chunk (r+1) mod p;
 *   all-gather, steps s = 0 … p−2: every rank r sends chunk (r + 1 − s) mod p to r+1, which
 *     overwrites its own copy with it.
 * p >= 1 (p = 1: nothing is sent), n >= 0. */
void ex_ring_allreduce(float *const *buf, int p, int n, double *bytes_sent);

#endif
