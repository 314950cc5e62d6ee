/* common/kernels/word2vec.h — the skip-gram-with-negative-sampling (SGNS) update, chapter 6's
 * kernel ladder "w2v", and the noise samplers it draws negatives from.
 *
 * The unit of work is one SGNS update of ONE input vector h (D) against the output rows of one
 * positive word and K noise words (Mikolov et al. 2013, "Distributed Representations of Words
 * and Phrases and their Compositionality", eq. 4; word2vec.c's inner loop). For each target row
 * u_c with label l (1 for rows[0], the positive; 0 for the negatives):
 *     g   = lr · (l − σ(h·u_c))
 *     dh += g · u_c            (with u_c BEFORE its own update, as word2vec.c)
 *     u_c += g · h
 * and the caller adds dh into the input row(s) h came from. This is gradient ascent on
 *     log σ(u_o·h) + Σ_k log σ(−u_k·h)
 * i.e. descent on the SGNS loss L = −log σ(u_o·h) − Σ_k log σ(−u_k·h), which the update returns.
 *
 * The rungs (kernels/ladder.h; --kernel w2v=…), oldest first:
 *   v0_scalar       scalar loops, σ exact (expf), negatives from word2vec.c's unigram table
 *                   (1e8 ints = 400 MB: one random read far outside every cache per negative)
 *   v1_simd         v0 with the dot product and the two axpys in AVX-512 / AVX2 (runtime
 *                   dispatch; the portable loop elsewhere); same sampler, σ exact
 *   v2_table_alias  σ and log σ from word2vec.c's table (EXP_TABLE_SIZE 1000 over ±MAX_EXP 6;
 *                   error measured by w2v_sigmoid_table_max_error), negatives by Walker's alias
 *                   method (V floats + V ints: ~0.5 MB for 70k words, stays in L2)
 *   v3_hogwild      v2 with the corpus split into one contiguous chunk per thread, every thread
 *                   updating the shared matrices without locks (Recht et al. 2011, Hogwild!)
 * The rung decides the update function, the sampler and whether the trainer
 * (06_embeddings/word2vec.h) runs threads. DETERMINISM: v0–v2 run on one thread and give the
 * same bits for a seed; v3 with 1 thread is v2 bit for bit; v3 with more threads is NOT
 * reproducible (threads race on shared rows by design) — tests and golden runs use v2.
 */
#ifndef DL_KERNELS_WORD2VEC_H
#define DL_KERNELS_WORD2VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "kernels/ladder.h"

#define W2V_EXP_TABLE_SIZE 1000     // word2vec.c's EXP_TABLE_SIZE
#define W2V_MAX_EXP 6               // word2vec.c's MAX_EXP: σ(x) for |x| < 6 from the table
#define W2V_UNIGRAM_TABLE 100000000 // word2vec.c's table_size (1e8)
#define W2V_MAX_TARGETS 64          // 1 positive + up to 63 negatives per update

/* One SGNS update (the formula at the top): h (D), dh (D) accumulated (+=), U the output
 * matrix (rows of D floats), rows[0] the positive row, rows[1 … n_rows) the negatives.
 * Returns the loss −log σ(u_0·h) − Σ log σ(−u_k·h) evaluated before the update. */
typedef float (*W2vUpdateFn)(const float *h, float *dh, float *U, const int *rows, int n_rows,
                             int D, float lr);

typedef enum W2vSamplerKind {
    W2V_SAMPLER_TABLE,    // word2vec.c: a table of ids, id i repeated ∝ its weight; draw = uniform index
    W2V_SAMPLER_ALIAS,    // Walker (1977) / Vose (1991) alias method: one uniform column + one coin
} W2vSamplerKind;

typedef struct W2vImpl {
    W2vUpdateFn update;
    W2vSamplerKind sampler;
    bool hogwild;             // the trainer splits the corpus among threads_get() threads
} W2vImpl;

/* The ladder: v0_scalar v1_simd v2_table_alias v3_hogwild; "auto" is v3_hogwild. */
extern KernelLadder W2V_LADDER;

static inline const W2vImpl *w2v_impl(const KernelRung *r)
{
    return (const W2vImpl *)r->impl;
}

// ---- noise samplers ----
typedef struct W2vSampler {
    W2vSamplerKind kind;
    int V;
    int *table;               // TABLE: (table_size) ids
    size_t table_size;
    float *prob;              // ALIAS: (V) probability of keeping column i
    int *alias;               // ALIAS: (V) the other id of column i
} W2vSampler;

/* A sampler drawing id i with probability weight[i] / Σ weight (weights >= 0, sum > 0; V >= 1).
 * TABLE fills table_size slots the way word2vec.c's InitUnigramTable does (cumulative share,
 * id advanced when the slot index passes it); ALIAS builds Vose's tables in O(V). Dies on bad
 * arguments (programming errors). */
void w2v_sampler_init(W2vSampler *s, W2vSamplerKind kind, const double *weight, int V,
                      size_t table_size);
void w2v_sampler_free(W2vSampler *s);

/* One draw. */
static inline int w2v_sample(const W2vSampler *s, Rng *r)
{
    if (s->kind == W2V_SAMPLER_TABLE) {
        uint64_t x = ((uint64_t)rng_u32(r) << 32 | rng_u32(r)) % s->table_size;
        return s->table[x];
    }
    uint32_t u = rng_u32(r);
    int col = (int)(((uint64_t)u * (uint32_t)s->V) >> 32);     // uniform column (Lemire's mul)
    float coin = (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f);
    return coin < s->prob[col] ? col : s->alias[col];
}

// ---- σ ----
/* σ(x) from the table (word2vec.c: exp((i / SIZE · 2 − 1) · MAX_EXP) / (… + 1), index by
 * truncation); x outside (−MAX_EXP, MAX_EXP) gives σ(±MAX_EXP)'s limits 1 and 0 as word2vec.c. */
float w2v_sigmoid_table(float x);
/* max |σ_table(x) − σ(x)| over a fine grid of (−MAX_EXP, MAX_EXP), and outside (the clamp). */
double w2v_sigmoid_table_max_error(void);

/* y += a·x over D floats, vectorised like v1's primitives (AVX-512 / AVX2 / portable): the
 * trainer's row sums and scatters (CBOW's context mean, FastText's n-gram rows) use it. */
void w2v_axpy(int D, float a, const float *x, float *y);

/* Instruction set v1+ use here: "avx512", "avx2" or "scalar". */
const char *w2v_simd_isa(void);

#endif
