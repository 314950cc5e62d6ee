/* common/kernels/recurrent.h — the recurrent layer's kernel ladder ("rnn"): forward and
 * back-propagation through time of one RNN / LSTM / GRU layer over a whole sequence.
 *
 * The math (cells, gate order, weight layout) is in ops/recurrent.h; op_recurrent calls the
 * rung selected with --kernel rnn=RUNG. Every rung does the same work, for all three cells,
 * organised differently (lecture 5's "recurrent step" lesson; Appleyard, Kocisky & Blunsom,
 * "Optimizing Performance of Recurrent Neural Networks on GPUs", 2016, for v1 … v3):
 *   v0_matvec        per step and per example, one matrix-vector product per gate, for the
 *                    input part and the recurrent part: the textbook loop
 *   v1_fused_gemm    per step, one GEMM for all gates of all B examples (x_t·W_ih and
 *                    h_{t-1}·W_hh, (B, C)·(C, G·H) and (B, H)·(H, G·H)); backward likewise per step
 *   v2_hoisted       the input projections of ALL T steps as one big GEMM (B·T, C)·(C, G·H)
 *                    before the recurrence, only (B, H)·(H, G·H) inside the loop; in backward
 *                    dW_ih, dX and dW_hh as one big GEMM each after the loop
 *   v3_fused_threads v2 with the bias adds, the gate nonlinearities and the cell update fused
 *                    into one pass over the (B, G·H) block, rows shared among threads
 *   auto = v3_fused_threads.
 * GEMMs come from kernels/gemm.h (the selected GEMM rung). Every rung agrees with v0 to float
 * rounding, and each gives the same bits for any thread count (threads split batch rows,
 * each row's arithmetic is the same; every sum runs in a fixed order).
 */
#ifndef DL_KERNELS_RECURRENT_H
#define DL_KERNELS_RECURRENT_H

#include <stdbool.h>

#include "base/arena.h"
#include "kernels/ladder.h"

typedef enum CellKind { CELL_RNN, CELL_LSTM, CELL_GRU } CellKind;

/* One layer's call: sizes, inputs, outputs, what forward saves for backward, and the grads.
 * G = cell_gates(kind) (ops/recurrent.h), GH = G·H. All arrays row-major, batch first. */
typedef struct RnnLayer {
    CellKind kind;
    int B, T, C, H;
    const float *x;                    // (B, T, C)
    const float *w_ih, *w_hh;          // (C, GH), (H, GH)
    const float *b_ih, *b_hh;          // (GH), (GH)
    const float *h0, *c0;              // (B, H) each, or NULL for zeros (c0: LSTM only)
    float *y;                          // (B, T, H) out: h_1 … h_T
    float *h_n, *c_n;                  // (B, H) out, or NULL: h_T, c_T
    // Saved by forward for backward (allocated by the caller, written in full by forward):
    float *act;                        // (B, T, GH) gate activations after σ / tanh
    float *aux;                        // (B, T, H) LSTM c_t, GRU h_{t-1}·W_hn + b_hn; RNN NULL
    float *aux2;                       // (B, T, H) LSTM tanh(c_t); else NULL
    // Backward: dy in, grads ADDED into the non-NULL outputs.
    const float *dy;                   // (B, T, H) dL/dy
    float *dx;                         // (B, T, C) or NULL
    float *dw_ih, *dw_hh, *db_ih, *db_hh;   // or NULL
    float *dh0, *dc0;                  // (B, H) or NULL
    float *dh_norm;                    // (T) or NULL: ‖dL/dh_t‖₂ over the batch (overwritten)
    Arena *scratch;                    // temporaries (the tape's step arena)
} RnnLayer;

typedef struct RecurrentImpl {
    void (*forward)(RnnLayer *l);
    void (*backward)(RnnLayer *l);
} RecurrentImpl;

/* Every rung, oldest first (kernels/ladder.h): v0_matvec v1_fused_gemm v2_hoisted
 * v3_fused_threads; "auto" is v3_fused_threads. Not registered by default: a chapter that
 * uses recurrent layers calls kernels_register(&RNN_LADDER) before cli_parse so that
 * --kernel rnn=… and --help know it (op_recurrent uses the selected rung either way). */
extern KernelLadder RNN_LADDER;

static inline const RecurrentImpl *recurrent_impl(const KernelRung *r)
{
    return (const RecurrentImpl *)r->impl;
}

/* Forward / backward with the rung in use. */
void rnn_layer_forward(RnnLayer *l);
void rnn_layer_backward(RnnLayer *l);

#endif
