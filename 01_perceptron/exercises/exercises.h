/* 01_perceptron/exercises/exercises.h — the functions the chapter 1 exercises implement.
 * Each exK_name.c defines one of them; exercises/driver.c calls it on fixed inputs and
 * the grader compares the results with expected/ (see EXERCISES.md for the rules).
 */
#ifndef CH01_EXERCISES_H
#define CH01_EXERCISES_H

#include "grader.h"    // EX_TODO

/* ex1_sigmoid: y[i] = σ(x[i]) = 1 / (1 + e^-x[i]) and dy[i] = σ'(x[i]) = σ(x[i])·(1 - σ(x[i]))
 * for i in [0, n). Must stay finite for any float x (x = ±1000 included). */
void ex_sigmoid(const float *x, float *y, float *dy, int n);

/* ex2_perceptron_update: one epoch of Rosenblatt's rule over the n examples in order.
 * x (n, dim) row-major, labels y[i] in {-1, +1}; w (dim) and *b are updated in place:
 * on a mistake, y·(w·x + b) <= 0, do w += lr·y·x and b += lr·y. Returns the mistakes. */
int ex_perceptron_epoch(const float *x, const int *y, int n, int dim, float lr, float *w, float *b);

/* ex3_dot_unrolled: Σ a[i]·b[i] over [0, n) with four independent partial sums
 * (s0 += a[i]·b[i], s1 += a[i+1]·b[i+1], …), the leftover n % 4 terms, then
 * (s0 + s1) + (s2 + s3). n >= 0. */
float ex_dot_unrolled(const float *a, const float *b, int n);

/* ex4_softmax_xent: for one example with V logits z and the class `target` in [0, V):
 * returns the cross-entropy loss -log softmax(z)[target] = logsumexp(z) - z[target],
 * computed stably, and writes its gradient dz[j] = softmax(z)[j] - [j == target]. */
float ex_softmax_xent(const float *z, int V, int target, float *dz);

#endif
