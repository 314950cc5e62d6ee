/* 02_backprop/exercises/ex4_gemm_blocked.c — exercise 4: a cache-blocked GEMM rung.
 * Read: 02_backprop/README.md, "Making it fast" (the GEMM ladder: loop order, then blocking).
 * Graded by: make grade (values on awkward shapes, and >= 3x the naive rung's speed).
 */
#include <stdbool.h>

#include "exercises.h"

void ex_gemm_blocked(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                     float *C, int ldc, bool accumulate)
{
    // TODO: C[i][j] (+)= Σ_k A[i*lda + k]·B[k*ldb + j].
    // 1. If !accumulate, set the M x N block of C to 0 first (leave the padding alone).
    // 2. Loop order i-k-j: the innermost loop runs along a row of B and of C (unit stride).
    // 3. Block all three loops (tiles of e.g. 64): for each tile of i, k and j, run the
    //    i-k-j loops inside it, so the tile of B stays in cache while it is reused.
    // Every shape must work, including ones that are not multiples of your tile.
    EX_TODO(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}
