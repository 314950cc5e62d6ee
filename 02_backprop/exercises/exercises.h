/* 02_backprop/exercises/exercises.h — the functions the chapter 2 exercises implement.
 * Each exK_name.c defines one of them; exercises/driver.c calls it on fixed inputs and
 * the grader compares the results with expected/ (see EXERCISES.md for the rules).
 * Backward functions add into their gradients (+=), as everywhere in the course.
 */
#ifndef CH02_EXERCISES_H
#define CH02_EXERCISES_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "grader.h"    // EX_TODO

/* ex1_hand_backprop: the lecture's network z = w1·x, h = relu(z), ŷ = w2·h,
 * L = (ŷ - y)²: write L, dL/dw1 and dL/dw2. */
void ex_hand_backprop(float x, float w1, float w2, float y, float *loss, float *dw1, float *dw2);

/* ex2_relu_backward: y = relu(x) element-wise; given dy = dL/dy, add dL/dx into dx:
 * dx[i] += x[i] > 0 ? dy[i] : 0  (relu'(0) = 0, as in PyTorch). x, dy, dx: (n). */
void ex_relu_backward(const float *x, const float *dy, float *dx, int n);

/* ex3_linear_backward: y = x·w + b with x (B, in), w (in, out), b (out), y (B, out), all
 * row-major. Given dy (B, out), add the gradients: dx += dy·wᵀ (B, in), dw += xᵀ·dy
 * (in, out), db += Σ_rows dy (out). */
void ex_linear_backward(const float *x, const float *w, const float *dy, int B, int in, int out,
                        float *dx, float *dw, float *db);

/* ex4_gemm_blocked: C (M, N) = A (M, K)·B (K, N) (accumulate false) or C += A·B (true),
 * row-major with row strides lda, ldb, ldc (>= K, N, N): the GemmFn signature of
 * common/kernels/gemm.h. Must agree with the naive rung and be >= 3x faster than it. */
void ex_gemm_blocked(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                     float *C, int ldc, bool accumulate);

/* ex5_mlp_step: one SGD step of the MLP x → l1 → ReLU → l2 → cross-entropy with the
 * class targets y, on tape tp (empty and recording; the caller resets it afterwards).
 * `params` holds l1's and l2's weights and biases. Returns the loss before the step. */
float ex_mlp_step(Tape *tp, const Linear *l1, const Linear *l2, Params *params, Tensor *x,
                  const int *y, float lr);

#endif
