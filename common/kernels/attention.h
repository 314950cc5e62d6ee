/* common/kernels/attention.h — multi-head scaled dot-product attention, three ways (a ladder).
 *
 * The math (Vaswani et al. 2017, eq. 1; lecture 7): for one sequence and one head h,
 *   S = Q Kᵀ / √HS   (T, T)        Q, K, V (T, HS): head h's columns of the fused qkv
 *   S[i][j] = −∞ for j > i          when causal (a decoder: position i sees only 0 … i)
 *   P = softmax(S) row by row       out_h = P V   (T, HS)
 * and the heads' outputs side by side give out (T, C), C = NH·HS (W^O is a separate linear).
 * Layout, as llm.c and nanoGPT's c_attn: qkv (B, T, 3C) holds for every position the row
 * [q (C) | k (C) | v (C)], head h in columns h·HS … (h+1)·HS of each; out is (B, T, C).
 *
 * The rungs (--kernel attn=…):
 *   v0_materialized  S and P for one (b, h) materialised as T×T matrices; backward keeps P
 *                    (B, NH, T, T) from the forward: memory O(B·NH·T²)
 *   v1_flash         tiled forward with the online softmax (Milakov & Gimelshein 2018; Dao et
 *                    al. 2022, FlashAttention, Alg. 1–2): a running max and sum per query row,
 *                    key/value tiles of a fixed size; only the log-sum-exp (B, NH, T) is kept
 *                    for backward, which recomputes P tile by tile: memory O(B·NH·T)
 *   v2_threads       v1 with the (b, h) pairs spread over the thread pool (base/threads.h)
 * Every rung computes the same function; sums run in a fixed order per (b, h), so a rung's
 * result does not depend on the thread count.
 */
#ifndef DL_KERNELS_ATTENTION_H
#define DL_KERNELS_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ladder.h"

typedef struct AttnShape {
    int B, T, NH, HS;          // batch, sequence length, heads, head size (C = NH·HS)
    bool causal;               // mask j > i (decoder); false: bidirectional (encoder, BERT)
} AttnShape;

typedef struct AttnImpl {
    /* Floats of the state the forward keeps for backward (v0: P, B·NH·T·T; v1/v2: the
     * log-sum-exp, B·NH·T) and of the scratch it needs while running (per thread: v2 counts
     * one slot for each thread of the pool at the time of the call, so the caller allocates
     * exactly scratch_floats; forward and backward can share one scratch). */
    size_t (*saved_floats)(const AttnShape *s);
    size_t (*scratch_floats)(const AttnShape *s);
    /* qkv (B, T, 3C) → out (B, T, C); writes saved (saved_floats) for backward. */
    void (*forward)(const AttnShape *s, const float *qkv, float *out, float *saved,
                    float *scratch);
    /* dout (B, T, C) → dqkv (B, T, 3C), ACCUMULATED (+=), from qkv, out and saved. */
    void (*backward)(const AttnShape *s, const float *qkv, const float *out, const float *saved,
                     const float *dout, float *dqkv, float *scratch);
} AttnImpl;

/* The ladder: v0_materialized v1_flash v2_threads; "auto" is v2_threads. Not registered by
 * default: chapter 7 calls kernels_register(&ATTN_LADDER) before cli_parse. */
extern KernelLadder ATTN_LADDER;

/* The selected rung's entry points. */
const AttnImpl *attn_impl(void);

/* FLOPs of one forward (4·B·NH·T²·HS, halved when causal: the masked half is skipped) —
 * for GFLOP/s; backward is counted as twice the forward (and v1/v2 recompute P: reported
 * separately by the benchmark). */
double attn_forward_flops(const AttnShape *s);

/* The attention probabilities P (T, T) of sequence b, head h, for a heat-map (row i: how much
 * query i attends to each key; zeros above the diagonal when causal). Reference loops. */
void attn_probs(const AttnShape *s, const float *qkv, int b, int h, float *P);

#endif
