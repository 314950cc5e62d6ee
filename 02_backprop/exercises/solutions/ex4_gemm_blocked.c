/* 02_backprop/exercises/solutions/ex4_gemm_blocked.c — reference solution of exercise 4. */
#include <stdbool.h>
#include <stddef.h>

#include "exercises.h"

enum { TI = 64, TK = 128, TJ = 256 };   // a (TI, TK) tile of A and a (TK, TJ) tile of B: 160 KiB

void ex_gemm_blocked(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                     float *C, int ldc, bool accumulate)
{
    if (!accumulate)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = 0;
    for (int i0 = 0; i0 < M; i0 += TI)
        for (int k0 = 0; k0 < K; k0 += TK)
            for (int j0 = 0; j0 < N; j0 += TJ) {
                int i1 = i0 + TI < M ? i0 + TI : M, k1 = k0 + TK < K ? k0 + TK : K;
                int j1 = j0 + TJ < N ? j0 + TJ : N;
                for (int i = i0; i < i1; i++)
                    for (int k = k0; k < k1; k++) {
                        float a = A[(size_t)i * lda + k];
                        const float *b = B + (size_t)k * ldb;   // row k of B
                        float *c = C + (size_t)i * ldc;         // row i of C
                        for (int j = j0; j < j1; j++) c[j] += a * b[j];   // unit stride
                    }
            }
}
