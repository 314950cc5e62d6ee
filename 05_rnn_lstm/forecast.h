/* 05_rnn_lstm/forecast.h — the chapter's time-series section: monthly sunspot numbers
 * 1749–1983 forecast one month ahead by persistence, a linear autoregressive model and an LSTM.
 *
 * forecast_section() is what the chapter's main calls; the pieces below it are the section's
 * arithmetic, declared here so that tests/test_csv.c can check each on known inputs.
 * Series are double (the values of the CSV, in sunspot numbers); t indexes months from 0.
 */
#ifndef CH05_FORECAST_H
#define CH05_FORECAST_H

#include <stdbool.h>

#include "train/chapter.h"

/* The section: load <data_dir>/timeseries/monthly-sunspots.csv (when missing: a notice naming
 * `make data`, nothing recorded), ACF and window, split, scaling, the three forecasters, the
 * RMSE table, metric keys ts_* and the plots ts_acf.png and ts_forecast.png in the out folder. */
void forecast_section(Chapter *ch);

// ---- the pieces ----

/* Sample autocorrelation of y (n) at lags 0 … max_lag (Box & Jenkins; the estimator every
 * statistics package uses): acf[k] = Σ_{t<n-k} (y_t − ȳ)(y_{t+k} − ȳ) / Σ_t (y_t − ȳ)², so
 * acf[0] = 1. A constant series gives acf[k] = 0 for k >= 1. Dies unless 0 <= max_lag < n. */
void ts_acf(const double *y, int n, int max_lag, double *acf);

/* The first lag k >= 1 with acf[k] < threshold (the window-length rule of lecture 5, threshold
 * 0.5), or -1 when the ACF stays at or above it up to max_lag. */
int ts_first_lag_below(const double *acf, int max_lag, double threshold);

/* Chronological split of n observations: the first 70 % train, the next 15 % validation, the
 * rest test (n·70/100 and n·15/100 rounded down; never shuffled). */
typedef struct TsSplit { int n_train, n_val, n_test; } TsSplit;
TsSplit ts_split(int n);

/* Min-max scaling s = (y − lo) / (hi − lo), fitted on y[0 … n) (the training part only: the
 * later parts may fall outside [0, 1], as they would in deployment). A constant part gives
 * hi = lo + 1, so scaling stays defined. */
typedef struct MinMax { double lo, hi; } MinMax;
MinMax ts_minmax_fit(const double *y, int n);
double ts_scale(MinMax m, double y);
double ts_unscale(MinMax m, double s);

/* Solve A x = b for a symmetric positive-definite A (p, p), row-major, by Cholesky
 * A = L Lᵀ, then L z = b and Lᵀ x = z (Golub & Van Loan, Matrix Computations, §4.2). A and b
 * are overwritten (A by L in its lower triangle, b by x). Returns false when a pivot is <= 0
 * (A not positive definite, e.g. collinear regressors). */
bool ts_cholesky_solve(double *A, double *b, int p);

/* Linear autoregressive model of order W, ŷ_t = c + Σ_{i=1}^{W} a_i y_{t−i}, fitted by least
 * squares on the targets t = W … n_fit − 1 (each with its W previous values): the normal
 * equations XᵀX θ = Xᵀy, θ = (c, a_1, …, a_W), solved with ts_cholesky_solve. A ridge of
 * 1e-9·trace(XᵀX)/(W + 1) on the diagonal keeps a near-singular system solvable without
 * changing a well-posed fit. coef (W + 1) receives θ. Returns false when the system cannot be
 * solved or there are fewer targets than coefficients. */
bool ts_ar_fit(const double *y, int n_fit, int W, double *coef);
/* ŷ_t from y[t − W … t − 1] (t >= W). */
double ts_ar_predict(const double *coef, int W, const double *y, int t);

/* √(mean of (pred_i − truth_i)²) over n values. */
double ts_rmse(const double *pred, const double *truth, int n);

#endif
