/* 08_scaling/fit.h — fitting scaling laws: an L-BFGS minimiser, the Chinchilla parametric loss
 * fitted with the Huber loss in log space (Hoffmann et al. 2022, Approach 3; Besiroglu et al.
 * 2024's replication), bootstrap intervals, IsoFLOP parabolas (Approach 2) and power laws.
 *
 * Approach 3: L̂(N, D) = E + A/N^α + B/D^β, parametrised as in the paper's eq. (10) by
 * a = log A, b = log B, e = log E:
 *   log L̂ = LSE(a − α log N, b − β log D, e)
 * objective Σ_i Huber_δ(log L̂_i − log L_i), δ = 1e-3, minimised by L-BFGS from every point of
 * Hoffmann's grid (α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −.5, …, 1}, a, b ∈ {0, 5, …, 25}); the best
 * final objective wins.
 */
#ifndef CH08_FIT_H
#define CH08_FIT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/rng.h"
#include "data/scaling.h"

// ---- L-BFGS (Nocedal & Wright 2006, Alg. 7.4–7.5, with a line search satisfying the strong
// Wolfe conditions, Alg. 3.5–3.6) ----
/* f(x) and its gradient g (n) at x (n). */
typedef double (*ObjectiveFn)(void *ctx, const double *x, double *g, int n);

typedef struct LbfgsConfig {
    int m;            // history pairs (0: 10)
    int max_iter;     // (0: 1000)
    double gtol;      // stop when ‖g‖∞ < gtol (0: 1e-9)
    double ftol;      // stop when the relative decrease of f < ftol (0: 1e-12)
} LbfgsConfig;

typedef struct LbfgsResult {
    double f;         // final objective
    int iters;
    int evals;        // objective evaluations
    bool converged;   // a tolerance was met (not max_iter or a failed line search)
} LbfgsResult;

/* Minimise f from x (n), in place. Deterministic. */
LbfgsResult lbfgs_minimize(ObjectiveFn f, void *ctx, double *x, int n, const LbfgsConfig *cfg);

// ---- Chinchilla's parametric loss ----
typedef struct Chinchilla {
    double E, A, B, alpha, beta;
} Chinchilla;

/* L̂(N, D). */
double chinchilla_loss(const Chinchilla *c, double N, double D);

/* The Huber objective Σ_i Huber_δ(log L̂_i − log L_i) of c on the points. */
double chinchilla_objective(const Chinchilla *c, const ScalingPoint *p, size_t n, double delta);

typedef struct ChinchillaFit {
    Chinchilla c;
    double objective;
    int inits;        // grid points tried
    int best_init;    // index of the winning one
    long evals;       // objective evaluations in all
} ChinchillaFit;

/* Approach 3 fitted from Hoffmann's whole grid (or from `start` alone when not NULL: the
 * bootstrap refits start from the full fit). */
ChinchillaFit chinchilla_fit(const ScalingPoint *p, size_t n, double delta,
                             const Chinchilla *start);

/* Compute-optimal allocation under C = 6ND for a fitted law: N_opt = G (C/6)^a, D_opt =
 * G⁻¹ (C/6)^b with a = β/(α+β), b = α/(α+β), G = (αA/(βB))^{1/(α+β)} (Hoffmann eq. 4). */
void chinchilla_optimal(const Chinchilla *c, double C, double *N_opt, double *D_opt);

/* Bootstrap: n_boot resamples of the points with replacement, each refitted from `fit`; the
 * 2.5 and 97.5 percentiles of E, A, B, α, β and a = β/(α+β) into lo[6], hi[6] (that order). */
void chinchilla_bootstrap(const ScalingPoint *p, size_t n, double delta, const Chinchilla *fit,
                          int n_boot, Rng *rng, double lo[6], double hi[6]);

// ---- power laws and Approach 2 ----
/* y = k·x^e fitted by least squares in log-log: returns e, writes k. */
double power_law_fit(const double *x, const double *y, int n, double *k);

typedef struct IsoFlopMin {
    double C;         // the budget (FLOPs)
    double N_opt;     // the parabola's minimum in log N
    double D_opt;     // C / (6 N_opt)
    double loss;      // the parabola's value there
    int n_points;     // runs used
} IsoFlopMin;

/* Approach 2: the points grouped by budget (C within a factor `tol` of each other, e.g. 1.25:
 * sorted by C, a group is every point within tol of its smallest), for each group of >= 3 points
 * a least-squares parabola loss = a (ln N)² + b ln N + c, its minimum; C is the group's geometric
 * mean. A group whose parabola opens downwards or whose vertex lies outside the group's range of
 * N (an extrapolation, not a minimum) is skipped. Returns the number of budgets written to out
 * (capacity max_out), in increasing C. */
int isoflop_minima(const ScalingPoint *p, size_t n, double tol, IsoFlopMin *out, int max_out);

#endif
