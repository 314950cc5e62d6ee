/* 01_perceptron/dot.h — chapter 1's kernel ladder (dot.c) and its timing harness (bench.c),
 * shared by the lesson (perceptron.c), --bench and tests/test_ch01.c.
 *
 * One ladder, "dot", whose rungs each carry both kernels: the dot product s = a·b (the
 * perceptron's score) and the matrix-vector product y = A·x built from it. `--kernel
 * dot=v1_unroll4` picks a rung by name (kernels/ladder.h); "auto" is v3_threads.
 */
#ifndef CH01_DOT_H
#define CH01_DOT_H

#include <stddef.h>

#include "base/rng.h"
#include "kernels/ladder.h"
#include "report/metrics.h"

typedef float (*DotFn)(const float *a, const float *b, size_t n);
typedef void (*MatvecFn)(const float *A, const float *x, float *y, int M, int N);

typedef struct VecImpl {
    DotFn dot;            // s = Σ_i a_i·b_i over n
    MatvecFn matvec;      // y (M) = A (M, N) · x (N), A row-major
} VecImpl;

extern KernelLadder DOT_LADDER;   // v0_naive, v1_unroll4, v2_avx2 (x86-64), v3_threads

/* The rung's kernels. */
static inline const VecImpl *vec_impl(const KernelRung *r) { return r->impl; }

/* The dot product with the rung in use (what the perceptron calls). */
float dot(const float *a, const float *b, size_t n);

// ---- bench.c ----
/* The column titles of bench_problem's rows. */
void bench_header(void);
/* Time every rung this CPU runs on one problem — a dot of length n (M = 0) or an (M, N)
 * matvec — and print a row each (median of `runs` >= 11); bw: the memory bandwidth for the
 * "% bw" column (<= 0: none). Records <key>_<rung>_gbs; returns the best speedup over v0. */
double bench_problem(Metrics *m, const char *key, const char *label, size_t n, int M, int N,
                     double bw, int runs, Rng *r);

#endif
