/* common/base/rng.h — deterministic random numbers.
 *
 * Algorithm: PCG32 (XSH-RR 64/32), M. E. O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number Generation", 2014.
 * The seed goes through SplitMix64 first so that nearby seeds (1, 2, 3 …) give
 * unrelated streams. The same seed gives the same sequence on every machine: there is
 * no global state, and floats are built from integers with exact arithmetic.
 */
#ifndef DL_RNG_H
#define DL_RNG_H

#include <stdint.h>
#include <stddef.h>

typedef struct Rng {
    uint64_t state, inc;
    int has_spare;                     // Box–Muller makes normals in pairs
    double spare;
} Rng;

/* Seed a generator; any 64-bit value is fine. */
void rng_seed(Rng *r, uint64_t seed);

/* Next 32 random bits. */
uint32_t rng_u32(Rng *r);

/* Uniform integer in [0, n), unbiased (Lemire's rejection); n >= 1. */
uint32_t rng_below(Rng *r, uint32_t n);

/* Uniform float in [0, 1), 24 random bits. */
float rng_uniform(Rng *r);

/* out[i] = rng_uniform(r) for i in [0, n), in order: the same numbers as n calls, without a
 * function call per number (dropout masks draw hundreds of thousands per step). */
void rng_fill_uniform(Rng *r, float *out, size_t n);

/* Uniform float in [lo, hi). */
float rng_uniform_range(Rng *r, float lo, float hi);

/* Standard normal N(0, 1) by the Box–Muller transform (Box & Muller, 1958). */
float rng_normal(Rng *r);

/* Fisher–Yates shuffle of idx[0..n) (Knuth, TAOCP vol. 2, Algorithm P). */
void rng_shuffle(Rng *r, int *idx, size_t n);

#endif
