/* 06_embeddings/exercises/ex2_sgns_step.c — exercise 2: one skip-gram negative-sampling step.
 * Read: exercises/EXERCISES.md § 2 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

float ex_sgns_step(float *v, float *u_pos, float *u_neg, int K, int D, float lr)
{
    // TODO: s = u_pos · v, s_k = u_neg[k] · v; loss = −ln σ(s) − Σ_k ln σ(−s_k).
    // Gradients at the OLD values: g = σ(s) − 1 for the positive pair, g_k = σ(s_k) for noise k;
    // ∂loss/∂v = g·u_pos + Σ_k g_k·u_neg[k], ∂loss/∂u_pos = g·v, ∂loss/∂u_neg[k] = g_k·v.
    // Then step every vector by −lr times its gradient, and return the loss.
    EX_TODO(v, u_pos, u_neg, K, D, lr);
}
