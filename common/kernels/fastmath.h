/* common/kernels/fastmath.h — exp, sigmoid and tanh in float32, written so that the compiler
 * vectorizes the loops that call them (no branches, no libm call, no errno).
 *
 * exp(x) = 2^n · exp(r), n = round(x / ln 2), r = x − n·ln 2 in [−ln2/2, ln2/2] (ln 2 split in
 * a high part exact in float and a low part, Cody & Waite 1980), exp(r) by Cephes' degree-6
 * polynomial (S. Moshier, Cephes Math Library, expf.c), 2^n built in the exponent bits. The
 * rounding uses the 1.5·2²³ trick (adding it rounds to an integer held in the low mantissa
 * bits), so no float → int conversion happens (none is undefined for NaN or huge x).
 * Accuracy: relative error below 2·10⁻⁷ (about 2 ulp) on [−87, 88] (tests/test_recurrent.c
 * measures it against libm); x is clamped to [−87.3, 88.3], so exp never overflows to inf
 * nor returns 0 or a subnormal (below e^−87.3 ≈ 1.2·10⁻³⁸ it returns that).
 * sigmoid(a) = 1 / (1 + exp(−a)); tanh(a) = 2·sigmoid(2a) − 1 (absolute error ~1e-7, which
 * is what a cell state needs; relative error grows for |a| < 1e-3).
 * Every step is a separate IEEE operation (-ffp-contract=off, no FMA), so scalar and vector
 * code, any vector width and any thread count give the same bits.
 */
#ifndef DL_KERNELS_FASTMATH_H
#define DL_KERNELS_FASTMATH_H

#include <stdint.h>
#include <string.h>

static inline float dl_fast_expf(float x)
{
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    const float magic = 12582912.0f;                    // 1.5·2^23
    float t = x * 1.44269504088896341f + magic;         // n in the low mantissa bits
    float n = t - magic;                                 // round(x / ln 2)
    float r = x - n * 0.693359375f;                      // ln 2, high part (exact)
    r = r - n * -2.12194440e-4f;                         // ln 2, low part
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    uint32_t ti;
    memcpy(&ti, &t, sizeof ti);
    uint32_t sb = (ti - 0x4B400000u + 127u) << 23;       // 2^n
    float scale;
    memcpy(&scale, &sb, sizeof scale);
    return p * scale;
}

static inline float dl_fast_sigmoidf(float a)
{
    return 1.0f / (1.0f + dl_fast_expf(-a));
}

static inline float dl_fast_tanhf(float a)
{
    return 2.0f / (1.0f + dl_fast_expf(-2.0f * a)) - 1.0f;
}

#endif
