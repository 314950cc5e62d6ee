/* 03_optimizers/exercises/exercises.h — the functions the chapter 3 exercises implement.
 * Each exK_name.c defines one of them; exercises/driver.c calls it on fixed inputs and
 * the grader compares the results with expected/ (see EXERCISES.md for the rules).
 * The exercises work on plain float arrays, without the library's optimizers (common/optim.h):
 * you write the update rules yourself. All arrays have n elements; updates are in place.
 */
#ifndef CH03_EXERCISES_H
#define CH03_EXERCISES_H

#include <stdbool.h>

#include "grader.h"    // EX_TODO

/* ex1_momentum, PyTorch's convention (torch.optim.SGD, momentum μ, dampening 0; Polyak 1964):
 *   v ← μ·v + g;   θ ← θ − lr·v
 * One step for every i in [0, n). v starts at 0 before the first step. */
void ex_momentum_step(float *theta, float *v, const float *g, int n, float lr, float mu);

/* ex1_momentum, the lecture's convention (velocity in parameter units):
 *   u ← β·u − α·g;   θ ← θ + u
 * One step for every i in [0, n). u starts at 0 before the first step. */
void ex_momentum_step_lecture(float *theta, float *u, const float *g, int n, float alpha,
                              float beta);

/* ex2_adam_bias_correction: step t (t = 1 for the first step) of Adam (Kingma & Ba, ICLR 2015,
 * Algorithm 1), for every i in [0, n):
 *   m ← β1·m + (1 − β1)·g;     v ← β2·v + (1 − β2)·g²
 *   m̂ = m / (1 − β1ᵗ);         v̂ = v / (1 − β2ᵗ)
 *   θ ← θ − lr·m̂ / (√v̂ + ε)                          (ε outside the square root)
 * m and v start at 0 before step 1. */
void ex_adam_step(float *theta, float *m, float *v, const float *g, int n, int t, float lr,
                  float beta1, float beta2, float eps);

/* ex3_cosine_schedule: the learning rate of step `step` (0-based) for W = warmup_steps >= 0
 * steps of linear warm-up followed by T = anneal_steps >= 1 steps of cosine annealing from
 * base_lr down to min_lr (torch.optim.lr_scheduler.CosineAnnealingLR, T_max = T, counted from
 * the end of the warm-up; Loshchilov & Hutter, ICLR 2017, eq. 5 without restarts):
 *   step < W:            base_lr·(step + 1)/(W + 1)
 *   W <= step < W + T:   min_lr + (base_lr − min_lr)·(1 + cos(π·(step − W)/T))/2
 *   step >= W + T:       min_lr   (the end of training; torch's closed form would rise again)
 */
float ex_cosine_lr(int step, float base_lr, float min_lr, int warmup_steps, int anneal_steps);

/* ex4_inverted_dropout, forward: drop element i when u[i] < p (u: uniforms in [0, 1), drawn by
 * the caller). In training, y[i] = 0 if dropped, else x[i]/(1 − p), and scale[i] records the
 * factor used (0 or 1/(1 − p)) for the backward pass. In evaluation (train false) y = x and
 * scale[i] = 1: nothing is dropped and nothing rescaled. 0 <= p < 1. */
void ex_dropout_forward(const float *x, const float *u, float *y, float *scale, int n, float p,
                        bool train);

/* ex4_inverted_dropout, backward: dx[i] += dy[i]·scale[i] (add, as every backward does). */
void ex_dropout_backward(const float *dy, const float *scale, float *dx, int n);

#endif
