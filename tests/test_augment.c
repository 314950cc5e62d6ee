/* tests/test_augment.c — chapter 4's helpers: image augmentation (augment.h), class
 * imbalance (dataset_class_counts, dataset_subsample_per_class, sample_weighted in data/)
 * and the image-grid plot (plot_image_grid in report/plot.h).
 * Run from the repo root (make test does): the mass test reads data/mnist/ (make data).
 */
#include "testutil.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/files.h"
#include "base/rng.h"
#include "data/augment.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/synthetic.h"
#include "report/plot.h"

// ---- helpers ----

static void fill_uniform(float *x, size_t n, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = rng_uniform(&r);
}

// A round Gaussian blob of width sigma centred at (cx, cy) (column, row) in an h x w image.
static void blob(float *x, int h, int w, double cx, double cy, double sigma)
{
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            x[i * w + j] = (float)exp(-((j - cx) * (j - cx) + (i - cy) * (i - cy)) /
                                      (2 * sigma * sigma));
}

// Centre of mass (column, row) and total mass of an h x w image.
static double centre_of_mass(const float *x, int h, int w, double *cx, double *cy)
{
    double m = 0, sx = 0, sy = 0;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            double v = x[i * w + j];
            m += v;
            sx += v * j;
            sy += v * i;
        }
    *cx = sx / m;
    *cy = sy / m;
    return m;
}

// ---- augment_affine: one known transform ----

// deg 90 (counter-clockwise on screen) sends y[i][j] = x[j][w−1−i]: the transpose, flipped
// upside down. Tolerance 1e-5: cos 90° is 6e-17 in double, not 0, so the sample points sit
// ~1e-15 off the grid and the bilinear weights are 1 − ε, ε instead of exactly 1, 0.
START_TEST(test_affine_rot90_is_transpose_flipped)
{
    enum { N = 9 };
    float x[N * N], y[N * N], want[N * N];
    fill_uniform(x, N * N, 1);
    augment_affine(x, y, N, N, 90, 0, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) want[i * N + j] = x[j * N + (N - 1 - i)];
    dl_ck_close("rot +90", y, want, N * N, 1e-5, 0);
    // −90 is the other way round: y[i][j] = x[N−1−j][i]; 180 flips both axes.
    augment_affine(x, y, N, N, -90, 0, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) want[i * N + j] = x[(N - 1 - j) * N + i];
    dl_ck_close("rot -90", y, want, N * N, 1e-5, 0);
    augment_affine(x, y, N, N, 180, 0, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) want[i * N + j] = x[(N - 1 - i) * N + (N - 1 - j)];
    dl_ck_close("rot 180", y, want, N * N, 1e-5, 0);
}
END_TEST

// An even-sized image rotates about its centre between pixels, (w−1)/2, too.
START_TEST(test_affine_rot90_even_size)
{
    enum { N = 28 };
    float x[N * N], y[N * N], want[N * N];
    fill_uniform(x, N * N, 2);
    augment_affine(x, y, N, N, 90, 0, 0);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) want[i * N + j] = x[j * N + (N - 1 - i)];
    dl_ck_close("rot +90 28x28", y, want, N * N, 1e-5, 0);   // same reason as above
}
END_TEST

// An integer shift is an index shift, exactly (no rotation: cos 0 = 1, sin 0 = 0, so every
// sample point is a grid point), with zeros entering where the source is off the image.
START_TEST(test_affine_integer_shift_is_index_shift)
{
    enum { H = 6, W = 9 };
    float x[H * W], y[H * W];
    fill_uniform(x, H * W, 3);
    for (int k = 0; x[k] == 0 && k < H * W; k++) x[k] = 0.5f;   // no zero pixels of our own
    const int shifts[][2] = {{2, -3}, {-1, 1}, {0, 5}, {9, 0}, {-4, -6}};
    for (size_t c = 0; c < sizeof shifts / sizeof shifts[0]; c++) {
        int dx = shifts[c][0], dy = shifts[c][1];
        augment_affine(x, y, H, W, 0, (float)dx, (float)dy);
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                int si = i - dy, sj = j - dx;   // content moves right by dx, down by dy
                float want = si >= 0 && si < H && sj >= 0 && sj < W ? x[si * W + sj] : 0.0f;
                ck_assert_msg(y[i * W + j] == want, "shift (%d, %d): y[%d][%d] = %g, want %g",
                              dx, dy, i, j, (double)y[i * W + j], (double)want);
            }
    }
}
END_TEST

// A fractional shift moves the centre of mass by exactly that much (bilinear interpolation
// of a translation keeps the first moment, as long as nothing leaves the image).
START_TEST(test_affine_fractional_shift_moves_centre_of_mass)
{
    enum { H = 28, W = 28 };
    float x[H * W], y[H * W];
    blob(x, H, W, 13.5, 13.5, 2.0);
    double cx0, cy0, cx1, cy1;
    double m0 = centre_of_mass(x, H, W, &cx0, &cy0);
    augment_affine(x, y, H, W, 0, 1.3f, -0.7f);
    double m1 = centre_of_mass(y, H, W, &cx1, &cy1);
    // 1e-3: float pixel sums; the identity is exact in real arithmetic.
    dl_ck_close1("centre x moved by dx", cx1 - cx0, 1.3, 1e-3, 0);
    dl_ck_close1("centre y moved by dy", cy1 - cy0, -0.7, 1e-3, 0);
    dl_ck_close1("mass", m1, m0, 0, 1e-3);
}
END_TEST

// A rotation about the centre keeps a blob at the centre where it was (its mass too, within
// the 1 % that bilinear resampling of a rotation blurs away from a 2-px-wide blob).
START_TEST(test_affine_rotation_about_the_centre)
{
    enum { H = 28, W = 28 };
    float x[H * W], y[H * W];
    blob(x, H, W, 13.5 + 5, 13.5, 2.0);   // 5 px right of the centre
    double cx, cy;
    double m0 = centre_of_mass(x, H, W, &cx, &cy);
    augment_affine(x, y, H, W, 90, 0, 0);   // counter-clockwise: right → top
    double m1 = centre_of_mass(y, H, W, &cx, &cy);
    dl_ck_close1("rotated centre x", cx, 13.5, 1e-3, 0);        // float sums, as above
    dl_ck_close1("rotated centre y", cy, 13.5 - 5, 1e-3, 0);
    dl_ck_close1("mass", m1, m0, 0, 1e-3);
    augment_affine(x, y, H, W, 30, 0, 0);
    centre_of_mass(y, H, W, &cx, &cy);
    // 0.05 px: a rotation by 30° resamples off the grid; the blob's moments stay to ~1e-2 px.
    dl_ck_close1("30° centre x", cx, 13.5 + 5 * cos(3.14159265358979 / 6), 0.05, 0);
    dl_ck_close1("30° centre y", cy, 13.5 - 5 * sin(3.14159265358979 / 6), 0.05, 0);
}
END_TEST

// ---- augment_shift_rotate: random transforms ----

// Bounds 0 and 0 copy the batch exactly, and still take 3 draws per image.
START_TEST(test_augment_zero_bounds_is_exact_copy)
{
    enum { N = 5, H = 13, W = 17 };
    float x[N * H * W], y[N * H * W];
    fill_uniform(x, N * H * W, 4);
    Rng r, ref;
    rng_seed(&r, 9);
    rng_seed(&ref, 9);
    augment_shift_rotate(x, y, N, H, W, 0, 0, &r);
    ck_assert(memcmp(x, y, sizeof x) == 0);
    for (int k = 0; k < 3 * N; k++) rng_uniform(&ref);
    ck_assert_uint_eq(rng_u32(&r), rng_u32(&ref));
}
END_TEST

// Each image's shift is the (dx, dy) of its 2nd and 3rd draws: with no rotation, the centre
// of mass of a blob moves by exactly that (within 0.05 px, the brief's bound; float sums
// give ~1e-4).
START_TEST(test_augment_shift_moves_centre_by_drawn_amount)
{
    enum { N = 20, H = 28, W = 28 };
    static float x[N * H * W], y[N * H * W];
    for (int k = 0; k < N; k++) blob(x + k * H * W, H, W, 12 + k % 4, 14 - k % 3, 1.5 + 0.1 * k);
    Rng r, ref;
    rng_seed(&r, 77);
    rng_seed(&ref, 77);
    const float max_shift = 3;
    augment_shift_rotate(x, y, N, H, W, max_shift, 0, &r);
    int moved = 0;
    for (int k = 0; k < N; k++) {
        rng_uniform(&ref);   // angle (0 here)
        double dx = max_shift * (2.0f * rng_uniform(&ref) - 1.0f);
        double dy = max_shift * (2.0f * rng_uniform(&ref) - 1.0f);
        double cx0, cy0, cx1, cy1;
        centre_of_mass(x + k * H * W, H, W, &cx0, &cy0);
        centre_of_mass(y + k * H * W, H, W, &cx1, &cy1);
        ck_assert_msg(fabs(cx1 - cx0 - dx) < 0.05 && fabs(cy1 - cy0 - dy) < 0.05,
                      "image %d: centre moved by (%.4f, %.4f), drawn shift (%.4f, %.4f)", k,
                      cx1 - cx0, cy1 - cy0, dx, dy);
        moved += fabs(dx) > 0.5 || fabs(dy) > 0.5;
    }
    ck_assert_int_ge(moved, N / 2);   // the draws really span ±max_shift
}
END_TEST

START_TEST(test_augment_deterministic_from_seed)
{
    enum { N = 8, H = 28, W = 28 };
    static float x[N * H * W], a[N * H * W], b[N * H * W], c[N * H * W];
    fill_uniform(x, N * H * W, 5);
    Rng r1, r2, r3;
    rng_seed(&r1, 123);
    rng_seed(&r2, 123);
    rng_seed(&r3, 124);
    augment_shift_rotate(x, a, N, H, W, 2, 15, &r1);
    augment_shift_rotate(x, b, N, H, W, 2, 15, &r2);
    augment_shift_rotate(x, c, N, H, W, 2, 15, &r3);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert(memcmp(a, c, sizeof a) != 0);
    ck_assert_uint_eq(rng_u32(&r1), rng_u32(&r2));   // both streams advanced alike
    // each image its own transform: image 0 and 1 of a batch of identical images differ
    for (int k = 0; k < N; k++) memcpy(x + k * H * W, x, H * W * sizeof(float));
    augment_shift_rotate(x, a, N, H, W, 2, 15, &r1);
    ck_assert(memcmp(a, a + H * W, H * W * sizeof(float)) != 0);
}
END_TEST

// Small transforms of centred images keep their ink: with everything outside the central
// 20x20 cleared first (MNIST digits sit there anyway; Fashion-MNIST garments, which make data
// falls back to, fill the frame), a 2-px shift and a 10° turn lose nothing off the edge; what
// changes is bilinear resampling, measured for the first 256 training images (seed 3) at
// worst 0.09 % (MNIST) and 0.03 % (Fashion-MNIST), mean 0.01 %. Limits 1 % and 0.2 %: a
// transform that scales, or drops a border row, moves several percent.
START_TEST(test_augment_keeps_mass_of_mnist_digits)
{
    Dataset d;
    char err[512];
    ck_assert_msg(mnist_load("data", true, &d, err, sizeof err), "%s", err);
    enum { N = 256 };
    int hw = d.rows * d.cols;
    float *y = malloc((size_t)N * hw * sizeof(float));
    ck_assert_ptr_nonnull(y);
    Rng r;
    rng_seed(&r, 3);
    for (int k = 0; k < N; k++)   // clear the 4-px frame
        for (int p = 0; p < hw; p++) {
            int row = p / d.cols, col = p % d.cols;
            if (row < 4 || row >= d.rows - 4 || col < 4 || col >= d.cols - 4)
                d.x[(size_t)k * hw + p] = 0.0f;
        }
    augment_shift_rotate(d.x, y, N, d.rows, d.cols, 2, 10, &r);
    double worst = 0, mean = 0;
    for (int k = 0; k < N; k++) {
        double m0 = 0, m1 = 0;
        for (int p = 0; p < hw; p++) {
            m0 += d.x[(size_t)k * hw + p];
            m1 += y[(size_t)k * hw + p];
        }
        double e = fabs(m1 / m0 - 1);
        mean += e / N;
        if (e > worst) worst = e;
    }
    ck_assert_msg(worst < 0.01 && mean < 0.002, "%s: relative change of ink: worst %.4f, "
                  "mean %.4f", d.name, worst, mean);
    for (int p = 0; p < N * hw; p++)   // interpolation stays within the pixel range
        ck_assert(y[p] >= 0.0f && y[p] <= 1.0f);
    free(y);
    dataset_free(&d);
}
END_TEST

// ---- bad arguments ----

static float bx[4 * 4], by[4 * 4];
static Rng brng;
static void aug_n0(void) { augment_shift_rotate(bx, by, 0, 4, 4, 1, 1, &brng); }
static void aug_h0(void) { augment_shift_rotate(bx, by, 1, 0, 4, 1, 1, &brng); }
static void aug_neg_shift(void) { augment_shift_rotate(bx, by, 1, 4, 4, -1, 1, &brng); }
static void aug_nan_deg(void) { augment_shift_rotate(bx, by, 1, 4, 4, 1, NAN, &brng); }
static void aug_inplace(void) { augment_shift_rotate(bx, bx, 1, 4, 4, 1, 1, &brng); }
static void aff_inf(void) { augment_affine(bx, by, 4, 4, INFINITY, 0, 0); }
static void aff_w0(void) { augment_affine(bx, by, 4, 0, 0, 0, 0); }

START_TEST(test_augment_bad_arguments_die_with_message)
{
    static const DlDeathCase C[] = {
        {"aug_n0", aug_n0, {"augment_shift_rotate", "n 0"}},
        {"aug_h0", aug_h0, {"augment_shift_rotate", "0 x 4"}},
        {"aug_neg_shift", aug_neg_shift, {"max_shift = -1", ">= 0"}},
        {"aug_nan_deg", aug_nan_deg, {"max_deg = nan", "finite"}},
        {"aug_inplace", aug_inplace, {"overlap", "separate buffer"}},
        {"aff_inf", aff_inf, {"augment_affine", "finite"}},
        {"aff_w0", aff_w0, {"augment_affine", "4 x 0"}},
    };
    dl_check_deaths(C, sizeof C / sizeof C[0]);
}
END_TEST

// ---- class imbalance ----

// 10 examples, 3 classes; x[i] = (i, −i) so a copy can be traced back.
static void small_set(Dataset *d)
{
    static const int labels[10] = {2, 0, 2, 1, 2, 0, 2, 2, 1, 2};
    Rng r;
    rng_seed(&r, 1);
    dataset_blobs(d, 10, 1, &r);   // any 2-D set: we overwrite it
    d->n_classes = 3;
    for (int i = 0; i < 10; i++) {
        d->y[i] = labels[i];
        d->x[2 * i] = (float)i;
        d->x[2 * i + 1] = (float)-i;
    }
}

START_TEST(test_class_counts)
{
    Dataset d;
    small_set(&d);
    int counts[3] = {-1, -1, -1};
    dataset_class_counts(&d, counts);
    ck_assert_int_eq(counts[0], 2);
    ck_assert_int_eq(counts[1], 2);
    ck_assert_int_eq(counts[2], 6);
    dataset_free(&d);
}
END_TEST

START_TEST(test_subsample_per_class_keeps_first_in_order)
{
    Dataset d, s;
    small_set(&d);
    const int want_counts[3] = {1, 5, 3};   // class 1 has only 2: all of them
    dataset_subsample_per_class(&d, want_counts, &s);
    // kept: class 0 → example 1; class 1 → 3, 8; class 2 → 0, 2, 4 — in the original order
    const int kept[] = {0, 1, 2, 3, 4, 8};
    ck_assert_int_eq(s.n, 6);
    ck_assert_int_eq(s.dim, 2);
    ck_assert_int_eq(s.n_classes, 3);
    for (int j = 0; j < 6; j++) {
        ck_assert_int_eq(s.y[j], d.y[kept[j]]);
        ck_assert(s.x[2 * j] == (float)kept[j] && s.x[2 * j + 1] == (float)-kept[j]);
    }
    int counts[3];
    dataset_class_counts(&s, counts);
    ck_assert(counts[0] == 1 && counts[1] == 2 && counts[2] == 3);
    dataset_free(&s);
    const int none[3] = {0, 0, 0};
    dataset_subsample_per_class(&d, none, &s);
    ck_assert_int_eq(s.n, 0);
    dataset_free(&s);
    dataset_free(&d);
}
END_TEST

// 100 000 draws: each count is Binomial(m, p_i), so it lies within 4 standard deviations
// sqrt(m p (1 − p)) of m p (a false alarm has probability ~6e-5 per entry; the seed is fixed,
// so the test is deterministic anyway). Zero weights are never drawn.
START_TEST(test_sample_weighted_frequencies)
{
    enum { NW = 7, M = 100000 };
    const float w[NW] = {1, 0, 2, 3, 0, 4, 0.01f};
    double sum = 0;
    for (int i = 0; i < NW; i++) sum += w[i];
    static int out[M];
    Rng r;
    rng_seed(&r, 2024);
    sample_weighted(&r, w, NW, out, M);
    int count[NW] = {0};
    for (int k = 0; k < M; k++) {
        ck_assert_msg(out[k] >= 0 && out[k] < NW, "draw %d = %d is outside [0, %d)", k, out[k],
                      NW);
        count[out[k]]++;
    }
    for (int i = 0; i < NW; i++) {
        double p = w[i] / sum, mean = M * p, sd = sqrt(M * p * (1 - p));
        if (w[i] == 0) ck_assert_msg(count[i] == 0, "zero weight %d drawn %d times", i, count[i]);
        else ck_assert_msg(fabs(count[i] - mean) <= 4 * sd, "index %d drawn %d times, expected "
                           "%.1f ± 4·%.1f", i, count[i], mean, sd);
    }
    // Same state, same draws.
    static int again[M];
    rng_seed(&r, 2024);
    sample_weighted(&r, w, NW, again, M);
    ck_assert(memcmp(out, again, sizeof out) == 0);
}
END_TEST

// Trailing and leading zero weights, and a single positive weight, are never mis-drawn.
START_TEST(test_sample_weighted_edge_weights)
{
    const float w1[5] = {0, 0, 5, 0, 0};
    int out[1000];
    Rng r;
    rng_seed(&r, 1);
    sample_weighted(&r, w1, 5, out, 1000);
    for (int k = 0; k < 1000; k++) ck_assert_int_eq(out[k], 2);
    const float w2[1] = {0.25f};
    sample_weighted(&r, w2, 1, out, 10);
    for (int k = 0; k < 10; k++) ck_assert_int_eq(out[k], 0);
    // 60000 equal weights (the MNIST case): every index in range, the halves about equal.
    enum { N = 60000, M = 20000 };
    static float w3[N];
    static int o3[M];
    for (int i = 0; i < N; i++) w3[i] = 1.0f / N;
    sample_weighted(&r, w3, N, o3, M);
    int low = 0;
    for (int k = 0; k < M; k++) {
        ck_assert(o3[k] >= 0 && o3[k] < N);
        low += o3[k] < N / 2;
    }
    ck_assert_msg(fabs(low - M / 2.0) <= 4 * sqrt(M * 0.25), "first half drawn %d of %d", low,
                  M);   // Binomial(M, 1/2): 4 standard deviations
}
END_TEST

static Rng srng;
static int sout[4];
static void sw_negative(void) { const float w[3] = {1, -0.5f, 1}; sample_weighted(&srng, w, 3, sout, 4); }
static void sw_nan(void) { const float w[3] = {1, NAN, 1}; sample_weighted(&srng, w, 3, sout, 4); }
static void sw_inf(void) { const float w[2] = {INFINITY, 1}; sample_weighted(&srng, w, 2, sout, 4); }
static void sw_zero_sum(void) { const float w[3] = {0, 0, 0}; sample_weighted(&srng, w, 3, sout, 4); }
static void sw_n0(void) { const float w[1] = {1}; sample_weighted(&srng, w, 0, sout, 4); }
static void sub_negative(void)
{
    Dataset d, s;
    small_set(&d);
    const int counts[3] = {1, -2, 1};
    dataset_subsample_per_class(&d, counts, &s);
}

START_TEST(test_imbalance_bad_arguments_die_with_message)
{
    static const DlDeathCase C[] = {
        {"sw_negative", sw_negative, {"weights[1] = -0.5", ">= 0"}},
        {"sw_nan", sw_nan, {"weights[1] = nan", "finite"}},
        {"sw_inf", sw_inf, {"weights[0] = inf", "finite"}},
        {"sw_zero_sum", sw_zero_sum, {"sum to 0", "at least one weight > 0"}},
        {"sw_n0", sw_n0, {"sample_weighted", "n >= 1"}},
        {"sub_negative", sub_negative, {"counts[1] = -2", ">= 0"}},
    };
    dl_check_deaths(C, sizeof C / sizeof C[0]);
}
END_TEST

// ---- plot_image_grid ----

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static char *slurp_alloc(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq((long)fread(buf, 1, (size_t)n, f), n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

// 5 images of 3 x 4 in 2 columns: the .dat holds one block per image (12 pixel lines each,
// with the value scaled per image to 0..1 and the raw value), then 5 captions; the .gp draws
// every block with image and the captions with labels.
static void grid_case(bool per_image)
{
    enum { N = 5, H = 3, W = 4 };
    float img[N * H * W];
    for (int k = 0; k < N; k++)
        for (int p = 0; p < H * W; p++) img[k * H * W + p] = (float)(k * 100 + p);   // ranges differ
    const char *labels[N] = {"7\xe2\x86\x92" "1", "a \"quoted\" one", NULL, "3", "4"};
    char dir[64], path[160];
    dl_tmpdir(dir, sizeof dir);
    bool made = plot_image_grid(dir, "grid", "five images", img, N, H, W, 2, per_image, labels);

    snprintf(path, sizeof path, "%s/grid.dat", dir);
    char *dat = slurp_alloc(path);
    int pixels = 0, captions = 0, block = -1;
    double lo[N], hi[N];
    for (char *line = strtok(dat, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "# image ", 8) == 0) { block++; lo[block] = 1e30; hi[block] = -1e30; }
        if (strncmp(line, "# captions", 10) == 0) block = N;
        if (line[0] == '#') continue;
        if (block < N) {
            double x, y, shown, raw;
            ck_assert_int_eq(sscanf(line, "%lf %lf %lf %lf", &x, &y, &shown, &raw), 4);
            int k = block, p = pixels % (H * W);
            ck_assert_msg(raw == img[k * H * W + p], "block %d pixel %d: raw %g", k, p, raw);
            // cell (k / 2, k % 2); pitch: w + gap (1) = 5 columns, h + gap (1) + caption (4) = 8 rows
            ck_assert_msg(x == (k % 2) * 5 + p % W && y == (k / 2) * 8 + p / W,
                          "block %d pixel %d at (%g, %g)", k, p, x, y);
            if (shown < lo[k]) lo[k] = shown;
            if (shown > hi[k]) hi[k] = shown;
            pixels++;
        } else {
            ck_assert_msg(strchr(line, '"') != NULL, "caption line without a string: %s", line);
            captions++;
        }
    }
    ck_assert_int_eq(pixels, N * H * W);
    ck_assert_int_eq(captions, N);
    for (int k = 0; k < N; k++) {
        // 1e-6: the scaled value is printed with 9 significant digits
        if (per_image) ck_assert_msg(fabs(lo[k]) < 1e-6 && fabs(hi[k] - 1) < 1e-6,
                                     "image %d shown in [%g, %g], want [0, 1]", k, lo[k], hi[k]);
        else ck_assert_msg(fabs(lo[k] - k * 100 / 411.0) < 1e-6 &&
                           fabs(hi[k] - (k * 100 + 11) / 411.0) < 1e-6,
                           "image %d shown in [%g, %g] of the global range", k, lo[k], hi[k]);
    }
    free(dat);
    char *again = slurp_alloc(path);
    ck_assert(strstr(again, "\"7\xe2\x86\x92" "1\"") && strstr(again, "\"a 'quoted' one\"") &&
              strstr(again, " \"\"\n"));   // caption quotes made safe; NULL → empty
    free(again);

    snprintf(path, sizeof path, "%s/grid.gp", dir);
    char *gp = slurp_alloc(path);
    ck_assert(strstr(gp, "plot for [k=0:4] 'grid.dat' index k using 1:2:3 with image"));
    ck_assert(strstr(gp, "'grid.dat' index 5 using 1:2:3 with labels"));
    ck_assert(strstr(gp, "set palette gray"));
    ck_assert(strstr(gp, "set title 'five images'"));
    ck_assert_msg(!strstr(gp, dir), "the script must name its files relative to its folder");
    free(gp);

    snprintf(path, sizeof path, "%s/grid.png", dir);
    ck_assert_int_eq(made, plot_available());
    if (plot_available()) ck_assert_msg(file_size(path) > 1000, "%s: %ld bytes", path, file_size(path));
    snprintf(path, sizeof path, "%s/grid.png.tmp", dir);
    ck_assert(!file_exists(path));
    dl_rm_rf(dir);
}

START_TEST(test_image_grid_per_image) { grid_case(true); }
END_TEST
START_TEST(test_image_grid_global_range) { grid_case(false); }
END_TEST

// No labels: no caption block; constant and non-finite pixels do not break the scaling.
START_TEST(test_image_grid_no_labels_constant_image)
{
    float img[2 * 2 * 2] = {3, 3, 3, 3, 0, NAN, 1, 2};
    char dir[64], path[160];
    dl_tmpdir(dir, sizeof dir);
    bool made = plot_image_grid(dir, "flat", NULL, img, 2, 2, 2, 5, true, NULL);
    ck_assert_int_eq(made, plot_available());
    snprintf(path, sizeof path, "%s/flat.dat", dir);
    char *dat = slurp_alloc(path);
    ck_assert(!strstr(dat, "# captions"));
    ck_assert(strstr(dat, "0 0 0 3\n"));      // a constant image shows as 0 (black)
    ck_assert(strstr(dat, "4 0 NaN NaN\n"));  // cols 5 > n: the grid is 2 wide; pitch 3
    ck_assert(strstr(dat, "3 1 0.5 1\n"));    // image 1: range [0, 2]
    free(dat);
    snprintf(path, sizeof path, "%s/flat.gp", dir);
    char *gp = slurp_alloc(path);
    ck_assert(!strstr(gp, "with labels") && !strstr(gp, "set title"));
    free(gp);
    dl_rm_rf(dir);
}
END_TEST

// A real image set, as chapter 4 draws it: 16 MNIST digits in 4 columns.
START_TEST(test_image_grid_mnist_digits)
{
    Dataset d;
    char err[512], dir[64], path[160];
    ck_assert_msg(mnist_load("data", false, &d, err, sizeof err), "%s", err);
    dl_tmpdir(dir, sizeof dir);
    char text[16][8];
    const char *labels[16];
    for (int i = 0; i < 16; i++) {
        snprintf(text[i], sizeof text[i], "%d", d.y[i]);
        labels[i] = text[i];
    }
    bool made = plot_image_grid(dir, "digits", "test digits", d.x, 16, d.rows, d.cols, 4, false,
                                labels);
    ck_assert_int_eq(made, plot_available());
    snprintf(path, sizeof path, "%s/digits.dat", dir);
    ck_assert(file_size(path) > 16 * 784 * 8);   // "x y shown raw" per pixel
    snprintf(path, sizeof path, "%s/digits.png", dir);
    if (plot_available()) ck_assert(file_size(path) > 5000);
    dl_rm_rf(dir);
    dataset_free(&d);
}
END_TEST

// Without gnuplot on PATH: false, .dat and .gp written, no PNG. Relies on Check running each
// test in its own process (plot_available() has not looked yet), as test_report does; so it is
// registered only in fork mode.
START_TEST(test_image_grid_without_gnuplot)
{
    char dir[64], bin[128], path[160], old_path[4096];
    dl_tmpdir(dir, sizeof dir);
    snprintf(bin, sizeof bin, "%s/emptybin", dir);
    ck_assert(make_dirs(bin));
    snprintf(old_path, sizeof old_path, "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", bin, 1);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    ck_assert(freopen("/dev/null", "w", stderr) != NULL);   // the one "gnuplot not found" notice
    float img[3 * 4] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    bool made = plot_image_grid(dir, "nognu", "t", img, 3, 2, 2, 2, false, NULL);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    setenv("PATH", old_path, 1);
    ck_assert(!made && !plot_available());
    snprintf(path, sizeof path, "%s/nognu.dat", dir);
    ck_assert(file_size(path) > 0);
    snprintf(path, sizeof path, "%s/nognu.gp", dir);
    ck_assert(file_size(path) > 0);
    snprintf(path, sizeof path, "%s/nognu.png", dir);
    ck_assert(!file_exists(path));
    dl_rm_rf(dir);
}
END_TEST

static void grid_n0(void)
{
    float v = 0;
    plot_image_grid("/tmp", "x", NULL, &v, 0, 1, 1, 1, false, NULL);
}
static void grid_cols0(void)
{
    float v = 0;
    plot_image_grid("/tmp", "x", NULL, &v, 1, 1, 1, 0, false, NULL);
}

START_TEST(test_image_grid_bad_arguments_die)
{
    char out[512];
    ck_assert_int_eq(dl_run_child(grid_n0, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "plot_image_grid 'x'") && strstr(out, "n 0"), "got: %s", out);
    ck_assert_int_eq(dl_run_child(grid_cols0, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "cols >= 1") && strstr(out, "cols 0"), "got: %s", out);
}
END_TEST

static Suite *augment_suite(void)
{
    Suite *s = suite_create("augment");
    TCase *a = tcase_create("augment");
    tcase_add_test(a, test_affine_rot90_is_transpose_flipped);
    tcase_add_test(a, test_affine_rot90_even_size);
    tcase_add_test(a, test_affine_integer_shift_is_index_shift);
    tcase_add_test(a, test_affine_fractional_shift_moves_centre_of_mass);
    tcase_add_test(a, test_affine_rotation_about_the_centre);
    tcase_add_test(a, test_augment_zero_bounds_is_exact_copy);
    tcase_add_test(a, test_augment_shift_moves_centre_by_drawn_amount);
    tcase_add_test(a, test_augment_deterministic_from_seed);
    tcase_add_test(a, test_augment_keeps_mass_of_mnist_digits);
    tcase_add_test(a, test_augment_bad_arguments_die_with_message);
    suite_add_tcase(s, a);

    TCase *im = tcase_create("imbalance");
    tcase_add_test(im, test_class_counts);
    tcase_add_test(im, test_subsample_per_class_keeps_first_in_order);
    tcase_add_test(im, test_sample_weighted_frequencies);
    tcase_add_test(im, test_sample_weighted_edge_weights);
    tcase_add_test(im, test_imbalance_bad_arguments_die_with_message);
    suite_add_tcase(s, im);

    TCase *pl = tcase_create("image_grid");
    tcase_set_timeout(pl, 30);   // each plot runs gnuplot
    tcase_add_test(pl, test_image_grid_per_image);
    tcase_add_test(pl, test_image_grid_global_range);
    tcase_add_test(pl, test_image_grid_no_labels_constant_image);
    tcase_add_test(pl, test_image_grid_mnist_digits);
    dl_tcase_add_test_if(pl, test_image_grid_without_gnuplot, dl_check_forks(),
                         "CK_FORK=no, and it needs a fresh process per test");
    tcase_add_test(pl, test_image_grid_bad_arguments_die);
    suite_add_tcase(s, pl);
    return s;
}

DL_TEST_MAIN(augment_suite)
