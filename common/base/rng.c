/* common/base/rng.c — PCG32 seeded through SplitMix64; see base/rng.h. */
#include "base/rng.h"

#include <math.h>

// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): one step turns a seed into a
// well-mixed 64-bit value.
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rng_seed(Rng *r, uint64_t seed)
{
    uint64_t s = seed;
    r->state = 0;
    r->inc = (splitmix64(&s) << 1) | 1u;   // the stream must be odd
    rng_u32(r);
    r->state += splitmix64(&s);
    rng_u32(r);
    r->has_spare = 0;
    r->spare = 0.0;
}

uint32_t rng_u32(Rng *r)
{
    // PCG32 XSH-RR: a 64-bit LCG step, output = rotate(xorshift(high bits)).
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ull + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t rng_below(Rng *r, uint32_t n)
{
    // Lemire, "Fast Random Integer Generation in an Interval", ACM TOMACS 2019.
    uint64_t m = (uint64_t)rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float rng_uniform(Rng *r)
{
    return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f);   // 24 bits -> exact float in [0,1)
}

void rng_fill_uniform(Rng *r, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = rng_uniform(r);   // rng_u32 is inlined here
}

float rng_uniform_range(Rng *r, float lo, float hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}

float rng_normal(Rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return (float)r->spare;
    }
    // u1 in (0, 1] so log(u1) is finite; 53-bit doubles for accuracy in the tails.
    // (Separate statements: C leaves the order of two calls in one expression unspecified.)
    uint64_t hi = rng_u32(r), lo = rng_u32(r);
    double u1 = ((double)((hi << 21) ^ lo) + 1.0) / 9007199254740992.0;
    double u2 = (double)rng_u32(r) / 4294967296.0;
    double rad = sqrt(-2.0 * log(u1));
    double theta = 6.283185307179586 * u2;
    r->spare = rad * sin(theta);
    r->has_spare = 1;
    return (float)(rad * cos(theta));
}

void rng_shuffle(Rng *r, int *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(r, (uint32_t)i);
        int t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
