/* common/kernels/adam.h — the Adam/AdamW update on raw float arrays, the course's
 * memory-bound kernel ladder.
 *
 * For i in [0, n), with step t >= 1 (Kingma & Ba, 2015, Algorithm 1; torch.optim.Adam/AdamW):
 *   decoupled (AdamW):  θ ← θ·(1 − lr·wd);  gi = g      (Loshchilov & Hutter, 2019)
 *   else (Adam + L2):   gi = g + wd·θ
 *   m ← β1·m + (1−β1)·gi;   v ← β2·v + (1−β2)·gi²
 *   θ ← θ − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 * Every rung has this signature and lives in adam.c, oldest first:
 *   v0_naive    the textbook: separate passes (decay, m, v, m̂, v̂, update) through temporaries
 *   v1_fused    one pass: read θ,g,m,v, write θ,m,v — 28 bytes per parameter
 *   v2_simd     v1 with AVX2 / AVX-512 (runtime dispatched), scalar fallback elsewhere
 *   v3_threads  v2 over contiguous chunks shared by threads_get() threads (threads.h)
 * The update is elementwise, so v1..v3 give the same bits for any thread count; they
 * differ from v0 only by rounding (v0 stores m̂, v̂ and computes in another order).
 */
#ifndef DL_ADAM_H
#define DL_ADAM_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/ladder.h"

typedef void (*AdamFn)(float *theta, const float *g, float *m, float *v, size_t n, float lr,
                       float beta1, float beta2, float eps, float weight_decay, bool decoupled,
                       long t);

typedef struct AdamImpl {
    AdamFn fn;
    double bytes_per_param;            // memory traffic per parameter (see adam.c)
} AdamImpl;

/* Every rung, oldest first (kernels/ladder.h): v0_naive v1_fused v2_simd v3_threads; "auto"
 * is v3_threads. Benches and tests iterate over ADAM_LADDER.rungs; --kernel adam=… picks the
 * rung optim_step runs. */
extern KernelLadder ADAM_LADDER;

/* The entry points of one Adam rung. */
static inline const AdamImpl *adam_impl(const KernelRung *r)
{
    return (const AdamImpl *)r->impl;
}

/* One step with the rung in use (by default v3_threads, which with 1 thread runs v2 inline).
 * optim_step calls it for OPT_ADAM and OPT_ADAMW. */
void adam_update(float *theta, const float *g, float *m, float *v, size_t n, float lr,
                 float beta1, float beta2, float eps, float weight_decay, bool decoupled, long t);

/* Instruction set v2_simd uses on this CPU: "avx512", "avx2" or "scalar". */
const char *adam_simd_isa(void);

#endif
