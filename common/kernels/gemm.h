/* common/kernels/gemm.h — single-precision matrix multiply, the course's GEMM ladder.
 *
 *   C (M, N) = A (M, K) · B (K, N)          (accumulate = false)
 *   C (M, N) += A (M, K) · B (K, N)         (accumulate = true)
 * All row-major; lda, ldb, ldc are row strides in floats (>= K, N, N). Cost: 2·M·N·K FLOP.
 * Every rung of the ladder has this signature and lives in gemm.c, oldest first:
 *   v0_naive   i-j-k triple loop, the reference
 *   v1_ikj     loop order i-k-j: unit stride through B and C
 *   v2_blocked cache blocking of all three loops
 *   v3_avx2    packed panels + 6x16 AVX2/FMA register-blocked micro-kernel
 *   v3_avx512  the same idea with 512-bit registers (runtime-dispatched; skipped when absent)
 *   v4_threads the best micro-kernel, blocks of C shared among threads_get() threads (threads.h)
 * Results do not depend on the thread count (each C element is summed in the same order).
 * Packing (v3, v4) copies transposing operands 16 x 16 at a time with AVX-512 register
 * transposes where the CPU has them (a copy: the same values either way).
 * Source: Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication",
 * ACM TOMS 34(3), 2008; BLIS (Van Zee & van de Geijn, 2015); lecture 2.
 */
#ifndef DL_GEMM_H
#define DL_GEMM_H

#include <stdbool.h>

#include "kernels/ladder.h"

typedef void (*GemmFn)(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float *C, int ldc, bool accumulate);

typedef struct GemmImpl {
    GemmFn fn;
} GemmImpl;

/* Every rung, oldest first (kernels/ladder.h): v0_naive v1_ikj v2_blocked v3_avx2 v3_avx512
 * v4_threads; "auto" is v4_threads. Benches and tests iterate over GEMM_LADDER.rungs;
 * --kernel gemm=… picks the rung gemm() calls. */
extern KernelLadder GEMM_LADDER;

/* The function of one GEMM rung. */
static inline GemmFn gemm_rung_fn(const KernelRung *r)
{
    return ((const GemmImpl *)r->impl)->fn;
}

/* C (+)= A·B with the selected rung (see the top of this file for shapes). */
void gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
          int ldc, bool accumulate);

/* C (M, N) (+)= op(A)·op(B) with op(A) (M, K), op(B) (K, N), where trans_a means A is stored
 * as its transpose (K, M) with row stride lda (>= M), and trans_b that B is stored as its
 * transpose (N, K) with row stride ldb (>= K): the backward products of a layer, xᵀ·dy and
 * dy·Wᵀ, without transposed copies. Under v4_threads the packing reads the transposed operand
 * directly (the packed panels, hence the results, are those of gemm() on transposed copies);
 * under any other rung it makes the copies and calls gemm(). It also splits products from
 * 2^21 FLOP among the threads (v4: from 2^23), for the small GEMMs of a recurrent loop; the
 * bits do not depend on the thread count. */
void gemm_ex(bool trans_a, bool trans_b, int M, int N, int K, const float *A, int lda,
             const float *B, int ldb, float *C, int ldc, bool accumulate);

#endif
