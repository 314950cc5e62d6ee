/* common/bench/timing.h — the statistics every benchmark reports (gemm_bench, conv_bench,
 * adam_bench and the chapters' --bench). Times come from now_seconds() (base/clock.h). */
#ifndef DL_BENCH_TIMING_H
#define DL_BENCH_TIMING_H

#include <stddef.h>

/* The median of t[0..n) (sorts t in place; n >= 1; for even n the upper of the two middle
 * values). Benchmarks report the median of >= 11 runs: a busy machine disturbs it less than
 * the mean. */
double bench_median(double *t, int n);

/* max |x[i] − y[i]| over i in [0, n), in double, or NaN as soon as a difference is NaN (a
 * rung that produced NaN must not show a small error). The benchmarks' max|err| column. */
double bench_max_abs_diff(const float *x, const float *y, size_t n);

#endif
