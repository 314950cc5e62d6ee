/* 08_scaling/exercises/solutions/ex3_gpt_flops.c — reference solution of exercise 3. */
#include "exercises.h"

double ex_gpt_forward_flops(int V, int T, int L, int NH, int C, int B)
{
    const double c = C, tokens = (double)B * T, hs = (double)C / NH;
    const double gemm = 2 * c * 3 * c + 2 * c * c + 2 * c * 4 * c + 2 * 4 * c * c;  // per token
    const double pairs = (double)T * (T + 1) / 2;                                  // per sequence
    const double attn = 2 * (2 * hs * pairs) * NH;                                 // QKᵀ and PV
    return L * (gemm * tokens + attn * B) + 2 * c * V * tokens;
}
