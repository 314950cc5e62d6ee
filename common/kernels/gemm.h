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
 * Source: Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication",
 * ACM TOMS 34(3), 2008; BLIS (Van Zee & van de Geijn, 2015); lecture 2.
 */
#ifndef DL_GEMM_H
#define DL_GEMM_H

#include <stdbool.h>

typedef void (*GemmFn)(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float *C, int ldc, bool accumulate);

typedef struct GemmImpl {
    const char *name;                  // "v0_naive", …
    const char *kernel;                // the --kernel name that selects it: naive|ikj|blocked|simd|threads
    GemmFn fn;
    bool (*available)(void);           // false when the CPU lacks the instructions
} GemmImpl;

/* Every rung, oldest first: benches and tests iterate over this one table. */
extern const GemmImpl GEMM_IMPLS[];
extern const int GEMM_N_IMPLS;

/* The rung that gemm() calls. `kernel` is one of naive|ikj|blocked|simd|threads|auto
 * ("simd" = the widest SIMD rung the CPU has, "auto" = the fastest available), or the name
 * of one rung ("v3_avx2"), which selects exactly that rung if the CPU can run it.
 * Returns false (and changes nothing) for an unknown name or an unavailable rung. */
bool gemm_select(const char *kernel);

/* Name of the rung gemm() currently calls, e.g. "v4_threads". */
const char *gemm_selected(void);

/* C (+)= A·B with the selected rung (see the top of this file for shapes). */
void gemm(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C,
          int ldc, bool accumulate);

#endif
