/* 08_scaling/exercises/ex3_gpt_flops.c — exercise 3: the FLOPs of a GPT's forward pass.
 * Read: exercises/EXERCISES.md § 3 and exercises.h. Graded by: make grade.
 */
#include "exercises.h"

double ex_gpt_forward_flops(int V, int T, int L, int NH, int C, int B)
{
    // TODO: per layer, the four GEMMs for every one of the B·T tokens, attention over the
    // T(T+1)/2 causal pairs of every sequence (both QKᵀ and P·V, all heads); then the head.
    // Count in double: GPT-3's numbers overflow an int.
    EX_TODO(V, T, L, NH, C, B);
    return 0;
}
