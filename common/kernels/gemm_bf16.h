/* common/kernels/gemm_bf16.h — bfloat16 storage, float32 accumulation (chapter 8's kernel lesson).
 *
 * bf16 keeps float32's sign and 8-bit exponent and the top 7 bits of its mantissa: the same range,
 * ~3 significant digits, half the bytes (Kalamkar et al. 2019, "A Study of BFLOAT16 for Deep
 * Learning Training"). Rounding is to nearest, ties to even (as torch's .bfloat16()). The GEMM
 * reads bf16 A and B and accumulates in float32:
 *   v0_portable     convert each bf16 to float (a 16-bit shift) and multiply-add in float32 loops
 *   v1_avx512bf16   VDPBF16PS: pairs of bf16 products summed into float32 lanes (AVX512-BF16;
 *                   not available: the rung is marked n/a)
 * Also a training mode: gemm_set_bf16(true) makes every GEMM of the library (kernels/gemm.h)
 * round its operands to bf16 first — weights and activations in bf16, accumulation, master
 * weights and the optimizer in float32 — the numerics of mixed-precision training, emulated.
 */
#ifndef DL_KERNELS_GEMM_BF16_H
#define DL_KERNELS_GEMM_BF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/ladder.h"

typedef uint16_t bf16;

/* float → bf16, round to nearest even (NaN stays NaN). */
bf16 bf16_from_float(float x);
float bf16_to_float(bf16 h);
void bf16_from_floats(const float *x, bf16 *out, size_t n);

/* C (M, N) = A (M, K) · B (K, N), A and B bf16 row-major, C float32 (overwritten). */
typedef void (*GemmBf16Fn)(int M, int N, int K, const bf16 *A, const bf16 *B, float *C);
typedef struct GemmBf16Impl { GemmBf16Fn fn; } GemmBf16Impl;

/* v0_portable v1_avx512bf16; "auto" the fastest this CPU runs. Registered by chapter 8. */
extern KernelLadder GEMM_BF16_LADDER;
void gemm_bf16(int M, int N, int K, const bf16 *A, const bf16 *B, float *C);

/* Mixed-precision emulation for training: when on, gemm()/gemm_ex() round A and B to bf16
 * before multiplying (results as if stored in bf16), accumulation stays float32. Off by default. */
void gemm_set_bf16(bool on);
bool gemm_bf16_enabled(void);

#endif
