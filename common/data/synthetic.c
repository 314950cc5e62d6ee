/* common/data/synthetic.c — synthetic 2-D sets (blobs, XOR, spirals, moons); see data/synthetic.h. */
#include "data/synthetic.h"

#include <math.h>
#include <stdlib.h>

#include "base/error.h"

// ---- synthetic 2-D sets ----
// Labels alternate with the index (0, 1, 0, 1, … or by cluster), so any slice of a set
// is balanced; the Batcher shuffles.

void dataset_blobs(Dataset *d, int n, float gap, Rng *r)
{
    DL_CHECK(n > 0, "dataset_blobs: n = %d, expected n > 0", n);
    DL_CHECK(gap >= 0, "dataset_blobs: gap = %g, expected gap >= 0", (double)gap);
    dataset_alloc(d, "blobs", n, 2, 2);
    // Class c is a unit Gaussian centred at ±(gap/2 + 1)·u, u = (1, 1)/√2, cut at the
    // margin: a sample whose projection on u lies within gap/2 of 0, or on the wrong side,
    // is drawn again. So the classes are separated by the band |x·u| < gap/2, whose width
    // is `gap` — linearly separable by construction, and about 16% of draws are redone.
    const float u = 0.70710678f;
    const float half = 0.5f * gap, c = half + 1.0f;
    for (int i = 0; i < n; i++) {
        int label = i & 1;
        float s = label ? 1.0f : -1.0f;
        float x0, x1;
        do {
            x0 = s * c * u + rng_normal(r);
            x1 = s * c * u + rng_normal(r);
        } while (s * (x0 * u + x1 * u) < half);
        d->x[2 * i] = x0;
        d->x[2 * i + 1] = x1;
        d->y[i] = label;
    }
}

void dataset_xor(Dataset *d, int n, float noise, Rng *r)
{
    DL_CHECK(n > 0, "dataset_xor: n = %d, expected n > 0", n);
    dataset_alloc(d, "xor", n, 2, 2);
    // Example i belongs to corner i % 4 of the square (±1, ±1); its label is 1 when that
    // corner has x·y < 0. Noise moves the point, not the label, so with large noise some
    // points cross into a neighbour's quadrant (label noise near the axes).
    static const float CX[4] = {-1, 1, -1, 1}, CY[4] = {-1, 1, 1, -1};
    for (int i = 0; i < n; i++) {
        int k = i & 3;
        d->x[2 * i] = CX[k] + noise * rng_normal(r);
        d->x[2 * i + 1] = CY[k] + noise * rng_normal(r);
        d->y[i] = CX[k] * CY[k] < 0;
    }
}

void dataset_spirals(Dataset *d, int n, float noise, Rng *r)
{
    DL_CHECK(n > 0, "dataset_spirals: n = %d, expected n > 0", n);
    dataset_alloc(d, "spirals", n, 2, 2);
    // Arm c at parameter t in [0, 1): radius t, angle 3π·t + c·π (one and a half turns),
    // so the second arm is the first rotated by 180°, wound between its coils.
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < n; i++) {
        int c = i & 1;
        double t = rng_uniform(r);
        double a = 3.0 * pi * t + c * pi;
        d->x[2 * i] = (float)(t * cos(a)) + noise * rng_normal(r);
        d->x[2 * i + 1] = (float)(t * sin(a)) + noise * rng_normal(r);
        d->y[i] = c;
    }
}

void dataset_moons(Dataset *d, int n, float noise, Rng *r)
{
    DL_CHECK(n > 0, "dataset_moons: n = %d, expected n > 0", n);
    dataset_alloc(d, "moons", n, 2, 2);
    // sklearn.datasets.make_moons: n/2 points on the upper half circle (cos θ, sin θ) with
    // label 0, the rest on the lower one (1 - cos θ, 0.5 - sin θ) with label 1, θ evenly
    // spaced in [0, π]; then Gaussian noise on every coordinate, then a shuffle.
    const double pi = 3.14159265358979323846;
    int n_out = n / 2, n_in = n - n_out;
    int *perm = dl_malloc((size_t)n * sizeof *perm, "dataset_moons order");
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(r, perm, (size_t)n);
    for (int i = 0; i < n; i++) {
        bool outer = i < n_out;
        int j = outer ? i : i - n_out, m = outer ? n_out : n_in;
        double th = m > 1 ? pi * j / (m - 1) : 0.0;   // np.linspace(0, π, m)
        float x0 = outer ? (float)cos(th) : (float)(1.0 - cos(th));
        float x1 = outer ? (float)sin(th) : (float)(0.5 - sin(th));
        int k = perm[i];
        d->x[2 * k] = x0 + noise * rng_normal(r);
        d->x[2 * k + 1] = x1 + noise * rng_normal(r);
        d->y[k] = outer ? 0 : 1;
    }
    free(perm);
}
