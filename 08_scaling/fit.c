/* 08_scaling/fit.c — fitting scaling laws; see fit.h.
 *
 * L-BFGS: Nocedal & Wright, "Numerical Optimization" (2nd ed. 2006): the two-loop recursion
 * (Alg. 7.4) with H0 = γI, γ = sᵀy / yᵀy (eq. 7.20), inside Alg. 7.5; the step length by the
 * line search of Alg. 3.5 with zoom (Alg. 3.6), which returns a step satisfying the strong Wolfe
 * conditions (eq. 3.7, c1 = 1e-4, c2 = 0.9), trial steps in zoom by the minimiser of the cubic
 * through both ends' values and slopes (eq. 3.59), safeguarded by bisection.
 *
 * Chinchilla's Approach 3: Hoffmann et al. 2022, "Training Compute-Optimal Large Language
 * Models", §3.3 and appendix D.2 (eq. 10: the LSE parametrisation and the Huber loss, δ = 1e-3,
 * the grid of initialisations); Besiroglu et al. 2024, "Chinchilla Scaling: A replication
 * attempt" (the same objective on the extracted points, summed over them, by L-BFGS-B).
 * With x = (a, b, e, α, β) and for a point (N, D, L):
 *   u1 = a − α ln N, u2 = b − β ln D, u3 = e, m = max(u), s = Σ exp(u_k − m)
 *   r = m + ln s − ln L,       w_k = exp(u_k − m)/s  (softmax weights)
 *   ∂r/∂a = w1, ∂r/∂α = −w1 ln N, ∂r/∂b = w2, ∂r/∂β = −w2 ln D, ∂r/∂e = w3
 *   Huber_δ(r) = r²/2 (|r| ≤ δ), δ(|r| − δ/2) else;  Huber'(r) = clamp(r, −δ, δ)
 * The grid's 4500 starts are independent: they run on the thread pool (base/threads.h), each
 * writing its own slot, to scipy's default tolerances; the 8 best are then polished to tight
 * ones and the winner is the smallest final objective, ties to the lowest index, so the result
 * does not depend on the thread count.
 */
#include "fit.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"

// ---- L-BFGS ----

#define LS_C1       1e-4
#define LS_C2       0.9
#define LS_MAX_EVAL 40     // evaluations one line search may spend

/* The line's state: x + t·d, the objective there and its slope along d. */
typedef struct Line {
    ObjectiveFn f;
    void *ctx;
    int n;
    const double *x, *d;
    double *xt, *gt;     // (n) the last trial point and its gradient
    int evals;
} Line;

/* φ(t) = f(x + t d) and φ'(t) = ∇f · d into *phi, *dphi (xt, gt keep the point). */
static void line_eval(Line *ln, double t, double *phi, double *dphi)
{
    for (int i = 0; i < ln->n; i++) ln->xt[i] = ln->x[i] + t * ln->d[i];
    *phi = ln->f(ln->ctx, ln->xt, ln->gt, ln->n);
    double s = 0;
    for (int i = 0; i < ln->n; i++) s += ln->gt[i] * ln->d[i];
    *dphi = s;
    ln->evals++;
}

/* Minimiser of the cubic through (a, fa, da) and (b, fb, db) (N&W eq. 3.59), kept at least 10 %
 * of the interval away from its ends; bisection when the cubic has no minimiser there. */
static double cubic_step(double a, double fa, double da, double b, double fb, double db)
{
    double lo = fmin(a, b), hi = fmax(a, b), w = hi - lo;
    double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    double t = 0.5 * (a + b);
    if (disc >= 0 && isfinite(disc)) {
        double d2 = copysign(sqrt(disc), b - a);
        double den = db - da + 2.0 * d2;
        if (den != 0) {
            double c = b - (b - a) * (db + d2 - d1) / den;
            if (isfinite(c)) t = c;
        }
    }
    if (t < lo + 0.1 * w || t > hi - 0.1 * w) t = 0.5 * (a + b);
    return t;
}

/* Alg. 3.6: a step in the bracket [lo, hi] (lo satisfies sufficient decrease and has the lower
 * value). Returns the step (xt, gt, *ft at it) or 0 when the bracket collapses without one. */
static double zoom(Line *ln, double f0, double d0, double lo, double flo, double dlo, double hi,
                   double fhi, double dhi, double *ft)
{
    while (ln->evals < LS_MAX_EVAL) {
        double t = cubic_step(lo, flo, dlo, hi, fhi, dhi);
        if (!(fabs(hi - lo) > 1e-16 * fmax(1.0, fabs(lo)))) break;
        double ph, dph;
        line_eval(ln, t, &ph, &dph);
        if (!isfinite(ph) || ph > f0 + LS_C1 * t * d0 || ph >= flo) {
            hi = t; fhi = isfinite(ph) ? ph : DBL_MAX; dhi = isfinite(dph) ? dph : 0;
        } else {
            if (fabs(dph) <= -LS_C2 * d0) {
                *ft = ph;
                return t;
            }
            if (dph * (hi - lo) >= 0) {
                hi = lo; fhi = flo; dhi = dlo;
            }
            lo = t; flo = ph; dlo = dph;
        }
    }
    // No strong-Wolfe point found: accept lo when it decreased f (a weaker but safe step).
    if (lo > 0 && flo < f0) {
        double ph, dph;
        line_eval(ln, lo, &ph, &dph);
        *ft = ph;
        return lo;
    }
    return 0;
}

/* Alg. 3.5 from step t1: the accepted step (ln->xt, ln->gt, *ft at it), or 0 on failure. */
static double line_search(Line *ln, double f0, double d0, double t1, double *ft)
{
    double tp = 0, fp = f0, dp = d0, t = t1;
    for (int i = 0; ln->evals < LS_MAX_EVAL; i++) {
        double ph, dph;
        line_eval(ln, t, &ph, &dph);
        if (!isfinite(ph) || !isfinite(dph)) {   // overflow: come back towards tp
            t = tp + 0.25 * (t - tp);
            if (t - tp < 1e-20) return 0;
            continue;
        }
        if (ph > f0 + LS_C1 * t * d0 || (i > 0 && ph >= fp))
            return zoom(ln, f0, d0, tp, fp, dp, t, ph, dph, ft);
        if (fabs(dph) <= -LS_C2 * d0) {
            *ft = ph;
            return t;
        }
        if (dph >= 0) return zoom(ln, f0, d0, t, ph, dph, tp, fp, dp, ft);
        tp = t; fp = ph; dp = dph;
        t *= 2.0;
    }
    return 0;
}

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

LbfgsResult lbfgs_minimize(ObjectiveFn f, void *ctx, double *x, int n, const LbfgsConfig *cfg)
{
    DL_CHECK(n >= 1 && x && f, "lbfgs_minimize: n = %d, need n >= 1, x and f", n);
    int m = cfg && cfg->m > 0 ? cfg->m : 10;
    int max_iter = cfg && cfg->max_iter > 0 ? cfg->max_iter : 1000;
    double gtol = cfg && cfg->gtol > 0 ? cfg->gtol : 1e-9;
    double ftol = cfg && cfg->ftol > 0 ? cfg->ftol : 1e-12;

    // One block: g, d, xt, gt (n each), S, Y (m·n each), rho, al (m each).
    double *mem = dl_malloc((size_t)(4 * n + 2 * m * n + 2 * m) * sizeof(double), "lbfgs");
    double *g = mem, *d = g + n, *xt = d + n, *gt = xt + n, *S = gt + n, *Y = S + (size_t)m * n;
    double *rho = Y + (size_t)m * n, *al = rho + m;

    LbfgsResult r = {0};
    double fx = f(ctx, x, g, n);
    r.evals = 1;
    int k = 0, head = 0;   // pairs stored; the newest is at (head − 1) mod m
    while (r.iters < max_iter) {
        if (!isfinite(fx)) break;
        double gmax = 0;
        for (int i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
        if (gmax < gtol) { r.converged = true; break; }

        // d = −H g by the two-loop recursion.
        for (int i = 0; i < n; i++) d[i] = -g[i];
        for (int j = 0; j < k; j++) {
            int c = ((head - 1 - j) % m + m) % m;
            al[c] = rho[c] * dot(S + (size_t)c * n, d, n);
            for (int i = 0; i < n; i++) d[i] -= al[c] * Y[(size_t)c * n + i];
        }
        if (k > 0) {
            int c = ((head - 1) % m + m) % m;
            const double *yc = Y + (size_t)c * n;
            double gamma = dot(S + (size_t)c * n, yc, n) / dot(yc, yc, n);
            for (int i = 0; i < n; i++) d[i] *= gamma;
        }
        for (int j = k - 1; j >= 0; j--) {
            int c = ((head - 1 - j) % m + m) % m;
            double be = rho[c] * dot(Y + (size_t)c * n, d, n);
            for (int i = 0; i < n; i++) d[i] += (al[c] - be) * S[(size_t)c * n + i];
        }
        double d0 = dot(g, d, n);
        if (!(d0 < 0)) {   // not a descent direction (numerical trouble): restart
            k = 0;
            for (int i = 0; i < n; i++) d[i] = -g[i];
            d0 = dot(g, d, n);
        }
        double t1 = 1.0;
        if (k == 0) t1 = fmin(1.0, 1.0 / sqrt(-d0));   // first step: ‖t d‖ <= 1

        Line ln = {.f = f, .ctx = ctx, .n = n, .x = x, .d = d, .xt = xt, .gt = gt};
        double fnew = fx;
        double t = line_search(&ln, fx, d0, t1, &fnew);
        r.evals += ln.evals;
        if (t <= 0) {
            if (k > 0) { k = 0; continue; }   // retry once along −g
            break;
        }
        r.iters++;
        // The new pair s = t d, y = g_new − g.
        double *sc = S + (size_t)head * n, *yc = Y + (size_t)head * n;
        for (int i = 0; i < n; i++) {
            sc[i] = xt[i] - x[i];
            yc[i] = gt[i] - g[i];
        }
        double sy = dot(sc, yc, n);
        if (sy > 1e-300 && isfinite(sy)) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % m;
            if (k < m) k++;
        }
        double fold = fx;
        memcpy(x, xt, (size_t)n * sizeof *x);
        memcpy(g, gt, (size_t)n * sizeof *g);
        fx = fnew;
        if (fold - fx <= ftol * fmax(fmax(fabs(fold), fabs(fx)), 1.0)) {
            r.converged = true;
            break;
        }
    }
    r.f = fx;
    free(mem);
    return r;
}

// ---- Chinchilla's parametric loss ----

double chinchilla_loss(const Chinchilla *c, double N, double D)
{
    return c->E + c->A / pow(N, c->alpha) + c->B / pow(D, c->beta);
}

/* The points in logs, for the objective. */
typedef struct ChinData {
    const double *lnN, *lnD, *lnL;   // (n)
    const int *idx;                  // (n) which points, or NULL: 0..n-1 (chin_objective_ref
                                     // only; the fast objective needs NULL)
    int n;
    double delta;
} ChinData;

/* The Huber objective of x = (a, b, e, α, β) and its gradient g (5); see the file header.
 * The plain loop with libm's exp and log: the reference for chin_objective below. */
static double chin_objective_ref(void *ctx, const double *x, double *g, int n5)
{
    (void)n5;
    const ChinData *cd = ctx;
    const double a = x[0], b = x[1], e = x[2], al = x[3], be = x[4], dl = cd->delta;
    double f = 0, ga = 0, gb = 0, ge = 0, gal = 0, gbe = 0;
    for (int j = 0; j < cd->n; j++) {
        int i = cd->idx ? cd->idx[j] : j;
        double u1 = a - al * cd->lnN[i], u2 = b - be * cd->lnD[i];
        double mx = fmax(fmax(u1, u2), e);
        double e1 = exp(u1 - mx), e2 = exp(u2 - mx), e3 = exp(e - mx);
        double s = e1 + e2 + e3;
        double r = mx + log(s) - cd->lnL[i];
        double ar = fabs(r), h;
        if (ar <= dl) { f += 0.5 * r * r; h = r; }
        else { f += dl * (ar - 0.5 * dl); h = r > 0 ? dl : -dl; }
        double hs = h / s;
        double w1 = e1 * hs, w2 = e2 * hs;
        ga += w1;
        gal -= w1 * cd->lnN[i];
        gb += w2;
        gbe -= w2 * cd->lnD[i];
        ge += e3 * hs;
    }
    if (g) {
        g[0] = ga; g[1] = gb; g[2] = ge; g[3] = gal; g[4] = gbe;
    }
    return f;
}

/* The same, fast: the points in blocks of CHIN_BLOCK, each in two passes. Pass 1 is arithmetic
 * only — exp and log by the polynomials below, max and Huber's two cases by selects — so the
 * compiler vectorises it (4 or 8 points per instruction); pass 2 adds the block's terms in point
 * order (a vectorised sum would reorder the additions). The arrays are padded to whole blocks
 * (chin_data), so pass 1 always runs CHIN_BLOCK points. Needs cd->idx == NULL. */
#define CHIN_BLOCK 64

/* e^x for x <= 0 (clamped at −700, where e^x < 1e-304): x = k ln 2 + r, |r| <= ln 2 / 2, e^r by
 * its Taylor polynomial to r^13 (truncation < 1e-17 relative), times 2^k built in the exponent
 * bits; k from the "add 1.5·2^52" rounding trick (round to nearest). fdlibm's split of ln 2. */
static inline double exp_nonpos(double x)
{
    x = x < -700.0 ? -700.0 : x;
    const double shifter = 6755399441055744.0;                // 1.5 · 2^52
    double kd = x * 1.44269504088896338700e+00 + shifter;
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shifter;
    double r = (x - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;                            // 1/13!
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t bits = (ki + 1023u) << 52;                       // ki's low bits hold k
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* ln s for s in [1, 3] (a sum of three exponentials, the largest 1): s = 2^e m with m in
 * [1/√2, √2], ln m = 2 atanh f, f = (m − 1)/(m + 1), |f| <= 0.172, by its series to f^21
 * (truncation < 1e-18). */
static inline double log_1to3(double s)
{
    double e = 0.0, m = s;
    double h1 = m > 1.4142135623730951 ? 1.0 : 0.0;
    m = h1 > 0 ? 0.5 * m : m;
    e += h1;
    double h2 = m > 1.4142135623730951 ? 1.0 : 0.0;
    m = h2 > 0 ? 0.5 * m : m;
    e += h2;
    double f = (m - 1.0) / (m + 1.0), f2 = f * f;
    double q = 1.0 / 21;
    q = q * f2 + 1.0 / 19;
    q = q * f2 + 1.0 / 17;
    q = q * f2 + 1.0 / 15;
    q = q * f2 + 1.0 / 13;
    q = q * f2 + 1.0 / 11;
    q = q * f2 + 1.0 / 9;
    q = q * f2 + 1.0 / 7;
    q = q * f2 + 1.0 / 5;
    q = q * f2 + 1.0 / 3;
    q = q * f2 + 1.0;
    return e * 6.93147180369123816490e-01 + (e * 1.90821492927058770002e-10 + 2.0 * f * q);
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize")))
#endif
static void chin_block(const double *lnN, const double *lnD, const double *lnL, const double *x,
                       double dl, double (*restrict out)[CHIN_BLOCK])
{
    const double a = x[0], b = x[1], e = x[2], al = x[3], be = x[4];
    double *restrict F = out[0], *restrict W1 = out[1], *restrict W2 = out[2],
           *restrict W3 = out[3];
    for (int j = 0; j < CHIN_BLOCK; j++) {
        double u1 = a - al * lnN[j], u2 = b - be * lnD[j];
        double mx = u1 > u2 ? u1 : u2;
        mx = mx > e ? mx : e;
        double e1 = exp_nonpos(u1 - mx), e2 = exp_nonpos(u2 - mx), e3 = exp_nonpos(e - mx);
        double s = e1 + e2 + e3;
        double r = mx + log_1to3(s) - lnL[j];
        double ar = r < 0 ? -r : r;
        bool quad = ar <= dl;
        F[j] = quad ? 0.5 * r * r : dl * (ar - 0.5 * dl);
        double h = quad ? r : (r > 0 ? dl : -dl);
        double hs = h / s;
        W1[j] = e1 * hs;
        W2[j] = e2 * hs;
        W3[j] = e3 * hs;
    }
}

static double chin_objective(void *ctx, const double *x, double *g, int n5)
{
    const ChinData *cd = ctx;
    if (cd->idx) return chin_objective_ref(ctx, x, g, n5);
    double out[4][CHIN_BLOCK];
    double f = 0, ga = 0, gb = 0, ge = 0, gal = 0, gbe = 0;
    for (int j0 = 0; j0 < cd->n; j0 += CHIN_BLOCK) {
        chin_block(cd->lnN + j0, cd->lnD + j0, cd->lnL + j0, x, cd->delta, out);
        int nb = cd->n - j0 < CHIN_BLOCK ? cd->n - j0 : CHIN_BLOCK;
        for (int j = 0; j < nb; j++) {
            f += out[0][j];
            ga += out[1][j];
            gal -= out[1][j] * cd->lnN[j0 + j];
            gb += out[2][j];
            gbe -= out[2][j] * cd->lnD[j0 + j];
            ge += out[3][j];
        }
    }
    if (g) {
        g[0] = ga; g[1] = gb; g[2] = ge; g[3] = gal; g[4] = gbe;
    }
    return f;
}

/* Room for n points padded to whole blocks, three arrays (lnN, lnD, lnL): 3 · chin_pad(n). */
static size_t chin_pad(size_t n)
{
    return (n + CHIN_BLOCK - 1) / CHIN_BLOCK * CHIN_BLOCK;
}

/* The logs of the points into buf (3 · chin_pad(n), zeroed: the padding stays 0): lnN, lnD,
 * lnL, each array chin_pad(n) long. */
static ChinData chin_data(const ScalingPoint *p, size_t n, double delta, double *buf)
{
    DL_CHECK(n < (size_t)1 << 30, "chinchilla: %zu points", n);
    size_t np = chin_pad(n);
    for (size_t i = 0; i < n; i++) {
        DL_CHECK(p[i].N > 0 && p[i].D > 0 && p[i].loss > 0, "chinchilla: point %zu has "
                 "N %g, D %g, loss %g; all must be > 0", i, p[i].N, p[i].D, p[i].loss);
        buf[i] = log(p[i].N);
        buf[np + i] = log(p[i].D);
        buf[2 * np + i] = log(p[i].loss);
    }
    return (ChinData){buf, buf + np, buf + 2 * np, NULL, (int)n, delta};
}

double chinchilla_objective(const Chinchilla *c, const ScalingPoint *p, size_t n, double delta)
{
    DL_CHECK(c->A > 0 && c->B > 0 && c->E > 0, "chinchilla_objective: E, A, B must be > 0 "
             "(got %g, %g, %g)", c->E, c->A, c->B);
    double x[5] = {log(c->A), log(c->B), log(c->E), c->alpha, c->beta};
    double *buf = calloc(3 * chin_pad(n ? n : 1), sizeof(double));
    if (!buf) dl_die("out of memory for the objective's %zu points", n);
    ChinData cd = chin_data(p, n ? n : 0, delta, buf);
    double f = chin_objective(&cd, x, NULL, 5);
    free(buf);
    return f;
}

static Chinchilla from_x(const double *x)
{
    return (Chinchilla){.E = exp(x[2]), .A = exp(x[0]), .B = exp(x[1]), .alpha = x[3],
                        .beta = x[4]};
}

static const LbfgsConfig FIT_CFG = {.m = 10, .max_iter = 1000, .gtol = 1e-10, .ftol = 1e-13};
// The grid's starts run to scipy's default tolerances (L-BFGS-B: factr 1e7 · eps ≈ 2.2e-9,
// pgtol 1e-5); the best GRID_POLISH of them then continue to FIT_CFG's.
static const LbfgsConfig GRID_CFG = {.m = 10, .max_iter = 1000, .gtol = 1e-5, .ftol = 2.2e-9};
#define GRID_POLISH 8

/* Grid start i of Hoffmann's 4500: α, β, e, a, b nested in that order (b fastest). */
static void grid_start(int i, double x[5])
{
    int ib = i % 6, ia = (i / 6) % 6, ie = (i / 36) % 5, ibe = (i / 180) % 5, ial = i / 900;
    x[0] = 5.0 * ia;
    x[1] = 5.0 * ib;
    x[2] = -1.0 + 0.5 * ie;
    x[3] = 0.5 * ial;
    x[4] = 0.5 * ibe;
}
#define GRID_INITS 4500

typedef struct GridJob {
    const ChinData *cd;
    double (*x)[5];        // (GRID_INITS) final points
    double *f;             // (GRID_INITS) final objectives
    int *evals;
} GridJob;

static void grid_one(void *ctx, int i)
{
    GridJob *job = ctx;
    double x[5];
    grid_start(i, x);
    LbfgsResult r = lbfgs_minimize(chin_objective, (void *)job->cd, x, 5, &GRID_CFG);
    memcpy(job->x[i], x, sizeof x);
    job->f[i] = isfinite(r.f) ? r.f : INFINITY;
    job->evals[i] = r.evals;
}

ChinchillaFit chinchilla_fit(const ScalingPoint *p, size_t n, double delta,
                             const Chinchilla *start)
{
    DL_CHECK(n >= 1, "chinchilla_fit: no points");
    double *buf = calloc(3 * chin_pad(n), sizeof(double));
    if (!buf) dl_die("out of memory for the fit's %zu points", n);
    ChinData cd = chin_data(p, n, delta, buf);
    ChinchillaFit out = {0};
    if (start) {
        DL_CHECK(start->A > 0 && start->B > 0 && start->E > 0, "chinchilla_fit: the start "
                 "needs E, A, B > 0");
        double x[5] = {log(start->A), log(start->B), log(start->E), start->alpha, start->beta};
        LbfgsResult r = lbfgs_minimize(chin_objective, &cd, x, 5, &FIT_CFG);
        out.c = from_x(x);
        out.objective = r.f;
        out.inits = 1;
        out.best_init = 0;
        out.evals = r.evals;
        free(buf);
        return out;
    }
    double (*xs)[5] = dl_malloc(GRID_INITS * sizeof *xs, "chinchilla grid");
    double *fs = dl_malloc(GRID_INITS * sizeof *fs, "chinchilla grid");
    int *ev = dl_malloc(GRID_INITS * sizeof *ev, "chinchilla grid");
    GridJob job = {&cd, xs, fs, ev};
    parallel_for(GRID_INITS, grid_one, &job);
    // The GRID_POLISH smallest (ties to the lower index), polished; the best polished wins.
    int top[GRID_POLISH], nt = 0;
    for (int i = 0; i < GRID_INITS; i++) {
        out.evals += ev[i];
        int j = nt < GRID_POLISH ? nt++ : GRID_POLISH;
        if (j == GRID_POLISH && !(fs[i] < fs[top[GRID_POLISH - 1]])) continue;
        if (j == GRID_POLISH) j = GRID_POLISH - 1;
        while (j > 0 && fs[i] < fs[top[j - 1]]) { top[j] = top[j - 1]; j--; }
        top[j] = i;
    }
    int best = top[0];
    for (int t = 0; t < nt; t++) {
        int i = top[t];
        LbfgsResult r = lbfgs_minimize(chin_objective, &cd, xs[i], 5, &FIT_CFG);
        fs[i] = isfinite(r.f) ? r.f : INFINITY;
        out.evals += r.evals;
        if (fs[i] < fs[best] || (fs[i] == fs[best] && i < best)) best = i;
    }
    out.c = from_x(xs[best]);
    out.objective = fs[best];
    out.inits = GRID_INITS;
    out.best_init = best;
    free(xs);
    free(fs);
    free(ev);
    free(buf);
    return out;
}

void chinchilla_optimal(const Chinchilla *c, double C, double *N_opt, double *D_opt)
{
    double s = c->alpha + c->beta;
    DL_CHECK(s > 0 && c->A > 0 && c->B > 0 && C > 0, "chinchilla_optimal: needs α + β > 0, "
             "A, B, C > 0");
    double G = pow(c->alpha * c->A / (c->beta * c->B), 1.0 / s);
    double a = c->beta / s, b = c->alpha / s;
    *N_opt = G * pow(C / 6.0, a);
    *D_opt = pow(C / 6.0, b) / G;
}

// ---- bootstrap ----

typedef struct BootJob {
    ChinData cd;           // the full data; idx per resample
    const int *idx;        // (n_boot, n)
    Chinchilla start;
    double (*q)[6];        // (n_boot) E, A, B, α, β, a
} BootJob;

static void boot_one(void *ctx, int k)
{
    BootJob *job = ctx;
    // The resample's points copied out (padded, for the fast objective).
    int n = job->cd.n;
    size_t np = chin_pad((size_t)n);
    double *rb = calloc(3 * np, sizeof(double));
    if (!rb) dl_die("out of memory for a bootstrap resample of %d points", n);
    const int *idx = job->idx + (size_t)k * n;
    for (int j = 0; j < n; j++) {
        rb[j] = job->cd.lnN[idx[j]];
        rb[np + j] = job->cd.lnD[idx[j]];
        rb[2 * np + j] = job->cd.lnL[idx[j]];
    }
    ChinData cd = {rb, rb + np, rb + 2 * np, NULL, n, job->cd.delta};
    double x[5] = {log(job->start.A), log(job->start.B), log(job->start.E), job->start.alpha,
                   job->start.beta};
    lbfgs_minimize(chin_objective, &cd, x, 5, &FIT_CFG);
    free(rb);
    Chinchilla c = from_x(x);
    double *q = job->q[k];
    q[0] = c.E; q[1] = c.A; q[2] = c.B; q[3] = c.alpha; q[4] = c.beta;
    q[5] = c.beta / (c.alpha + c.beta);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted v (n) with linear interpolation (numpy's default). */
static double quantile(const double *v, int n, double q)
{
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1) return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

void chinchilla_bootstrap(const ScalingPoint *p, size_t n, double delta, const Chinchilla *fit,
                          int n_boot, Rng *rng, double lo[6], double hi[6])
{
    DL_CHECK(n_boot >= 1, "chinchilla_bootstrap: n_boot = %d, need >= 1", n_boot);
    DL_CHECK(n >= 1, "chinchilla_bootstrap: no points");
    double *buf = calloc(3 * chin_pad(n), sizeof(double));
    if (!buf) dl_die("out of memory for the bootstrap's %zu points", n);
    int *idx = dl_malloc((size_t)n_boot * n * sizeof *idx, "bootstrap resamples");
    double (*q)[6] = dl_malloc((size_t)n_boot * sizeof *q, "bootstrap estimates");
    for (size_t k = 0; k < (size_t)n_boot * n; k++) idx[k] = (int)rng_below(rng, (uint32_t)n);
    BootJob job = {chin_data(p, n, delta, buf), idx, *fit, q};
    parallel_for(n_boot, boot_one, &job);
    double *v = dl_malloc((size_t)n_boot * sizeof *v, "bootstrap column");
    for (int j = 0; j < 6; j++) {
        for (int k = 0; k < n_boot; k++) v[k] = q[k][j];
        qsort(v, (size_t)n_boot, sizeof *v, cmp_double);
        lo[j] = quantile(v, n_boot, 0.025);
        hi[j] = quantile(v, n_boot, 0.975);
    }
    free(v);
    free(q);
    free(idx);
    free(buf);
}

// ---- power laws and Approach 2 ----

double power_law_fit(const double *x, const double *y, int n, double *k)
{
    DL_CHECK(n >= 2, "power_law_fit: %d points, need >= 2", n);
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        DL_CHECK(x[i] > 0 && y[i] > 0, "power_law_fit: point %d is (%g, %g); a power law in "
                 "log-log needs x, y > 0", i, x[i], y[i]);
        mx += log(x[i]);
        my += log(y[i]);
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double dx = log(x[i]) - mx, dy = log(y[i]) - my;
        sxx += dx * dx;
        sxy += dx * dy;
    }
    DL_CHECK(sxx > 0, "power_law_fit: every x is the same; the exponent is undefined");
    double e = sxy / sxx;
    if (k) *k = exp(my - e * mx);
    return e;
}

typedef struct ByC {
    double C;
    int i;
} ByC;

static int cmp_byc(const void *a, const void *b)
{
    const ByC *x = a, *y = b;
    if (x->C != y->C) return (x->C > y->C) - (x->C < y->C);
    return (x->i > y->i) - (x->i < y->i);
}

/* Least-squares parabola y = c2 t² + c1 t + c0 through (t, y) (n >= 3) by the normal
 * equations (t centred by the caller), solved by Cramer's rule. False when singular. */
static bool parabola(const double *t, const double *y, int n, double c[3])
{
    double s[5] = {0}, r[3] = {0};
    for (int i = 0; i < n; i++) {
        double p = 1;
        for (int k = 0; k < 5; k++) {
            if (k < 3) r[k] += p * y[i];
            s[k] += p;
            p *= t[i];
        }
    }
    // [s0 s1 s2; s1 s2 s3; s2 s3 s4] [c0 c1 c2]ᵀ = [r0 r1 r2]ᵀ
    double M[3][3] = {{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}};
    double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1])
               - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0])
               + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
    if (!(fabs(det) > 1e-12 * fmax(1.0, s[0] * s[2] * s[4]))) return false;
    for (int k = 0; k < 3; k++) {
        double A[3][3];
        memcpy(A, M, sizeof A);
        for (int j = 0; j < 3; j++) A[j][k] = r[j];
        c[k] = (A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1])
              - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0])
              + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0])) / det;
    }
    return true;
}

int isoflop_minima(const ScalingPoint *p, size_t n, double tol, IsoFlopMin *out, int max_out)
{
    DL_CHECK(tol > 1.0, "isoflop_minima: tol = %g; budgets group within a factor tol > 1", tol);
    if (n == 0 || max_out <= 0) return 0;
    ByC *o = dl_malloc(n * sizeof *o, "isoflop order");
    double *t = dl_malloc(n * sizeof *t, "isoflop t"), *y = dl_malloc(n * sizeof *y, "isoflop y");
    for (size_t i = 0; i < n; i++) o[i] = (ByC){p[i].C, (int)i};
    qsort(o, n, sizeof *o, cmp_byc);
    int found = 0;
    size_t g0 = 0;
    while (g0 < n && found < max_out) {
        size_t g1 = g0 + 1;
        while (g1 < n && o[g1].C <= o[g0].C * tol) g1++;
        int m = (int)(g1 - g0);
        if (m >= 3) {
            double mt = 0, lc = 0, tmin = INFINITY, tmax = -INFINITY;
            for (int j = 0; j < m; j++) {
                const ScalingPoint *q = &p[o[g0 + j].i];
                t[j] = log(q->N);
                y[j] = q->loss;
                mt += t[j];
                lc += log(q->C);
                tmin = fmin(tmin, t[j]);
                tmax = fmax(tmax, t[j]);
            }
            mt /= m;
            for (int j = 0; j < m; j++) t[j] -= mt;
            double c[3];
            // A minimum needs a parabola that opens upwards, with its vertex among the runs.
            if (parabola(t, y, m, c) && c[2] > 0) {
                double tv = -c[1] / (2.0 * c[2]);
                if (tv + mt >= tmin && tv + mt <= tmax) {
                    IsoFlopMin *r = &out[found++];
                    r->C = exp(lc / m);
                    r->N_opt = exp(tv + mt);
                    r->D_opt = r->C / (6.0 * r->N_opt);
                    r->loss = c[0] + c[1] * tv + c[2] * tv * tv;
                    r->n_points = m;
                }
            }
        }
        g0 = g1;
    }
    free(o);
    free(t);
    free(y);
    return found;
}
