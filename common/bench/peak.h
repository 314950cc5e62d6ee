/* common/bench/peak.h — measured ceilings: the machine's peak FLOP/s and memory bandwidth.
 *
 * Kernels report their speed as a fraction of what the machine can do at best, and both
 * ceilings are measured in the same run (nothing is looked up in a table):
 *  - peak FLOP/s: a loop of independent fused multiply-adds on the widest vectors the CPU
 *    has (AVX-512, AVX2/FMA, else scalar), enough accumulators to hide FMA latency, on
 *    `threads` threads. 1 FMA = 2 FLOP.
 *  - bandwidth: STREAM-style triad a[i] = b[i] + s·c[i] on arrays far larger than the
 *    last-level cache (McCalpin, "Memory Bandwidth and Machine Balance", 1995): 12 bytes
 *    moved per element (ignoring write-allocate).
 */
#ifndef DL_PEAK_H
#define DL_PEAK_H

#include <stddef.h>

/* Peak single-precision GFLOP/s on `threads` threads (>= 1), measured for ~0.2 s. */
double peak_gflops(int threads);

/* Name of the instruction set the peak loop used: "avx512", "avx2+fma" or "scalar". */
const char *peak_isa(void);

/* Sustained memory bandwidth in GB/s (1e9 bytes/s) on `threads` threads, best of a few
 * triad passes over 3 arrays of `mib` MiB each (use >= 4x the last-level cache). */
double stream_triad_gbs(int threads, int mib);

/* The bandwidth of an in-place update, the traffic of an optimizer step: x[i] += g[i],
 * m[i] += g[i], v[i] += g[i] over 4 arrays of `mib` MiB each, counted as 28 bytes per element
 * (read x, g, m, v; write x, m, v). A line that is read before it is written needs no extra
 * read for the write (no write-allocate), so on most machines this ceiling is well above the
 * triad's, whose output array is only written. Best of a few passes, in GB/s. */
double stream_update_gbs(int threads, int mib);

#endif
