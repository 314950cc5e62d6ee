/* tests/test_conv.c — the convolution ladder (common/kernels/conv.c).
 * Build and run: make build/default/tests/test_conv && build/default/tests/test_conv
 * Claims: every rung equals v0_direct (forward, backward_data, backward_weight, with and
 * without bias) on awkward shapes — stride 2, padding 0/1/2, 1x1, 2x2, 5x5 and 3x5 kernels,
 * odd non-square inputs, batch 1, C_in 1/3/32, C_out 5 and 7, batches that leave a partial
 * chunk in v2, C_out 20/24/27/30 on v2's implicit-GEMM kernels (8/12-row, 32/48-wide tiles)
 * — within atol = 1e-5·sqrt(n), rtol 1e-4, n the length of each output's sum;
 * col2im is the adjoint of im2col; v1 and v2 give bitwise the same results on 1, 2 and 3
 * threads; conv_shape_init names the problem; conv_out_size matches the lecture's cases;
 * The ladder (kernels/ladder.h) finds each rung by name.
 */
#include "testutil.h"

#include "base/rng.h"
#include "base/threads.h"
#include "kernels/conv.h"

typedef struct Case {
    int B, C_in, H, W, C_out, KH, KW, stride, pad;
} Case;

static const Case CASES[] = {
    {1, 1, 5, 5, 1, 3, 3, 1, 1},      // smallest "same" conv, batch 1
    {2, 3, 7, 9, 5, 3, 3, 2, 1},      // stride 2, odd non-square, C_out 5
    {3, 3, 7, 9, 5, 5, 5, 1, 2},      // 5x5 kernel, pad 2
    {2, 32, 6, 5, 5, 1, 1, 1, 0},     // 1x1 kernel, C_in 32
    {2, 4, 8, 8, 7, 2, 2, 2, 0},      // 2x2 stride 2 (pooling-like), C_out 7
    {1, 2, 4, 4, 3, 5, 5, 1, 2},      // kernel larger than the input, fits the padding
    {3, 1, 11, 13, 5, 3, 3, 2, 2},    // stride 2, pad 2, C_in 1
    {2, 3, 7, 9, 5, 3, 5, 1, 0},      // non-square 3x5 kernel, valid conv
    {2, 1, 28, 28, 32, 3, 3, 1, 1},   // DigitCNN conv1 (batch 2)
    {5, 32, 14, 14, 64, 3, 3, 1, 1},  // DigitCNN conv2, batch 5: v2 chunks of 4 + 1
    {9, 3, 5, 6, 5, 3, 3, 1, 1},      // tiny images: v2 packs many per chunk (9 = 1 chunk)
    {3, 8, 7, 9, 27, 3, 3, 1, 1},     // C_out 27 (not a multiple of 16): v2's implicit GEMM
    {2, 16, 9, 7, 30, 5, 5, 1, 0},    // 5x5 valid conv on the implicit-GEMM path
    {2, 8, 7, 9, 24, 3, 5, 1, 1},     // 3x5 kernel on it: backward_data pads 1 and 3
    {2, 12, 6, 6, 20, 3, 3, 1, 3},    // pad 3 > KH − 1: backward_data takes v2's fallback
};
#define N_CASES ((int)(sizeof CASES / sizeof CASES[0]))

typedef struct Data {
    ConvShape s;
    size_t xn, wn, yn;
    float *x, *w, *b, *dy, *dx0, *dw0, *db0;   // inputs and the starting gradients
} Data;

static float *rand_floats(Rng *r, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++) p[i] = rng_uniform_range(r, -1.0f, 1.0f);
    return p;
}

static Data data_make(const Case *c, unsigned seed)
{
    Data d;
    const char *err = conv_shape_init(&d.s, c->B, c->C_in, c->H, c->W, c->C_out, c->KH, c->KW,
                                      c->stride, c->pad);
    ck_assert_msg(err == NULL, "conv_shape_init: %s", err ? err : "");
    d.xn = (size_t)c->B * c->C_in * c->H * c->W;
    d.wn = (size_t)c->C_out * c->C_in * c->KH * c->KW;
    d.yn = (size_t)c->B * c->C_out * d.s.H_out * d.s.W_out;
    Rng r;
    rng_seed(&r, seed);
    d.x = rand_floats(&r, d.xn);
    d.w = rand_floats(&r, d.wn);
    d.b = rand_floats(&r, (size_t)c->C_out);
    d.dy = rand_floats(&r, d.yn);
    d.dx0 = rand_floats(&r, d.xn);   // backward adds into these: start non-zero
    d.dw0 = rand_floats(&r, d.wn);
    d.db0 = rand_floats(&r, (size_t)c->C_out);
    return d;
}

static void data_free(Data *d)
{
    free(d->x); free(d->w); free(d->b); free(d->dy); free(d->dx0); free(d->dw0); free(d->db0);
}

static float *copy_floats(const float *src, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    memcpy(p, src, n * sizeof *p);
    return p;
}

// Outputs of one rung on all passes; `bias` false passes b = NULL and db = NULL.
// forward overwrites y, so y starts as all NaN: an element the rung does not write stays NaN
// and fails the comparison (a fresh malloc could hand back the previous rung's freed y with
// the right values still in it). backward_data and backward_weight ADD into dx, dw and db, so
// these start from the known random dx0, dw0, db0 (not zero): an element the rung skips keeps
// its starting value and misses the gradient that the reference added.
typedef struct Out {
    float *y, *dx, *dw, *db;
} Out;

static Out run_rung(const ConvImpl *impl, const Data *d, bool bias)
{
    Out o = {malloc(d->yn * sizeof(float)), copy_floats(d->dx0, d->xn),
             copy_floats(d->dw0, d->wn), copy_floats(d->db0, (size_t)d->s.C_out)};
    ck_assert_ptr_nonnull(o.y);
    for (size_t i = 0; i < d->yn; i++) o.y[i] = NAN;
    size_t ws = impl->workspace(&d->s);
    float *work = ws ? malloc(ws * sizeof(float)) : NULL;   // exact size: ASan sees overruns
    impl->forward(&d->s, d->x, d->w, bias ? d->b : NULL, o.y, work);
    impl->backward_data(&d->s, d->dy, d->w, o.dx, work);
    impl->backward_weight(&d->s, d->x, d->dy, o.dw, bias ? o.db : NULL, work);
    free(work);
    return o;
}

static void out_free(Out *o)
{
    free(o->y); free(o->dx); free(o->dw); free(o->db);
}

// Each output is a sum of n products of values in [-1, 1): float rounding grows like
// sqrt(n)·eps·|terms|, hence atol = 1e-5·sqrt(n) (STYLE.md §5) and rtol 1e-4.
static double atol_for(double n_terms)
{
    return DL_ATOL * sqrt(n_terms > 1 ? n_terms : 1);
}

static void check_case(const Case *c, bool bias)
{
    Data d = data_make(c, 7000u + (unsigned)(c->B * 131 + c->C_in * 17 + c->H * 7 + c->W));
    Out want = run_rung(conv_impl(&CONV_LADDER.rungs[0]), &d, bias);
    const ConvShape *s = &d.s;
    // The reference itself writes every y (a NaN left in want.y would be matched by a NaN in
    // the rung's y, as dl_ck_close requires NaN where want has NaN).
    for (size_t i = 0; i < d.yn; i++)
        ck_assert_msg(isfinite(want.y[i]), "v0_direct left y[%zu] unwritten (%g)", i, want.y[i]);
    double n_fwd = (double)s->C_in * s->KH * s->KW + 1;          // + bias
    double n_bd = (double)s->C_out * s->KH * s->KW + 1;          // + the starting dx
    double n_bw = (double)s->B * s->H_out * s->W_out + 1;        // + the starting dw
    for (int k = 1; k < CONV_LADDER.n_rungs; k++) {
        Out got = run_rung(conv_impl(&CONV_LADDER.rungs[k]), &d, bias);
        char what[200];
        int len = snprintf(what, sizeof what, "%s vs v0_direct, B=%d C_in=%d %dx%d C_out=%d "
                           "kernel %dx%d stride %d pad %d bias %d: ", CONV_LADDER.rungs[k].name, c->B,
                           c->C_in, c->H, c->W, c->C_out, c->KH, c->KW, c->stride, c->pad, bias);
        snprintf(what + len, sizeof what - (size_t)len, "forward y");
        dl_ck_close(what, got.y, want.y, d.yn, atol_for(n_fwd), DL_RTOL);
        snprintf(what + len, sizeof what - (size_t)len, "backward_data dx");
        dl_ck_close(what, got.dx, want.dx, d.xn, atol_for(n_bd), DL_RTOL);
        snprintf(what + len, sizeof what - (size_t)len, "backward_weight dw");
        dl_ck_close(what, got.dw, want.dw, d.wn, atol_for(n_bw), DL_RTOL);
        snprintf(what + len, sizeof what - (size_t)len, "backward_weight db");
        dl_ck_close(what, got.db, want.db, (size_t)c->C_out, atol_for(n_bw), DL_RTOL);
        out_free(&got);
    }
    if (!bias)   // db = NULL: the starting db is untouched
        for (int k = 0; k < c->C_out; k++) ck_assert_float_eq(want.db[k], d.db0[k]);
    out_free(&want);
    data_free(&d);
}

START_TEST(test_conv_rungs_match_direct_with_bias)
{
    for (int i = 0; i < N_CASES; i++) check_case(&CASES[i], true);
}
END_TEST

START_TEST(test_conv_rungs_match_direct_without_bias)
{
    for (int i = 0; i < N_CASES; i++) check_case(&CASES[i], false);
}
END_TEST

START_TEST(test_conv_rungs_match_direct_on_two_threads)
{
    threads_set(2);
    for (int i = 0; i < N_CASES; i++) check_case(&CASES[i], true);
    threads_set(1);
}
END_TEST

// The direct rung itself against one hand-computed value: x = 1..9 (3x3), w all ones 2x2,
// valid conv → y[0][0] = 1 + 2 + 4 + 5 = 12, y[1][1] = 5 + 6 + 8 + 9 = 28.
START_TEST(test_conv_direct_hand_example)
{
    ConvShape s;
    ck_assert_ptr_null(conv_shape_init(&s, 1, 1, 3, 3, 1, 2, 2, 1, 0));
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 1, 1, 1}, b[1] = {0.5f}, y[4];
    conv_impl(&CONV_LADDER.rungs[0])->forward(&s, x, w, b, y, NULL);
    ck_assert_float_eq(y[0], 12.5f);
    ck_assert_float_eq(y[1], 16.5f);
    ck_assert_float_eq(y[2], 24.5f);
    ck_assert_float_eq(y[3], 28.5f);
    // im2col of the same: row (r·2 + t), column p·2 + q holds x[p + r][q + t]
    float col[16];
    conv_im2col(&s, x, col);
    const float want[16] = {1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9};
    for (int i = 0; i < 16; i++) ck_assert_float_eq(col[i], want[i]);
}
END_TEST

// <col2im(a), b> = <a, im2col(b)> for random a (col-shaped) and b (image-shaped): col2im is
// the transpose of the linear map im2col, padding included (sums in double; rel 1e-6 since
// each side is one dot product of a few hundred float products).
START_TEST(test_conv_col2im_is_adjoint_of_im2col)
{
    for (int i = 0; i < N_CASES; i++) {
        const Case *c = &CASES[i];
        ConvShape s;
        ck_assert_ptr_null(conv_shape_init(&s, 1, c->C_in, c->H, c->W, c->C_out, c->KH, c->KW,
                                           c->stride, c->pad));
        size_t cn = conv_im2col_floats(&s), xn = (size_t)c->C_in * c->H * c->W;
        Rng r;
        rng_seed(&r, 500u + (unsigned)i);
        float *a = rand_floats(&r, cn), *b = rand_floats(&r, xn);
        float *ca = calloc(xn, sizeof *ca), *ib = malloc(cn * sizeof *ib);
        ck_assert_ptr_nonnull(ca);
        ck_assert_ptr_nonnull(ib);
        conv_col2im(&s, a, ca);
        conv_im2col(&s, b, ib);
        double lhs = 0, rhs = 0, mag = 0;
        for (size_t e = 0; e < xn; e++) lhs += (double)ca[e] * b[e];
        for (size_t e = 0; e < cn; e++) {
            rhs += (double)a[e] * ib[e];
            mag += fabs((double)a[e] * ib[e]);
        }
        ck_assert_msg(fabs(lhs - rhs) <= 1e-6 * (mag + 1), "case %d: <col2im(a), b> = %.9g but "
                      "<a, im2col(b)> = %.9g", i, lhs, rhs);
        free(a); free(b); free(ca); free(ib);
    }
}
END_TEST

// Every rung's results are bitwise the same on 1, 2 and 3 threads (the workspace is queried
// again after threads_set, as its size may depend on the thread count).
START_TEST(test_conv_threads_bitwise_identical)
{
    // conv2-like; conv1-like; stride 2 (v2's GEMM fallback); 17 images = 3 chunks of v2's
    // backward_weight, so 2 and 3 threads really split them
    static const Case cs[] = {{5, 32, 14, 14, 64, 3, 3, 1, 1}, {3, 1, 28, 28, 32, 3, 3, 1, 1},
                              {9, 3, 7, 9, 5, 3, 3, 2, 1}, {17, 16, 6, 6, 32, 3, 3, 1, 1}};
    for (int i = 0; i < 4; i++) {
        Data d = data_make(&cs[i], 900u + (unsigned)i);
        for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
            threads_set(1);
            Out one = run_rung(conv_impl(&CONV_LADDER.rungs[k]), &d, true);
            for (int T = 2; T <= 3; T++) {
                threads_set(T);
                Out many = run_rung(conv_impl(&CONV_LADDER.rungs[k]), &d, true);
                ck_assert_msg(!memcmp(one.y, many.y, d.yn * sizeof(float)) &&
                              !memcmp(one.dx, many.dx, d.xn * sizeof(float)) &&
                              !memcmp(one.dw, many.dw, d.wn * sizeof(float)) &&
                              !memcmp(one.db, many.db, (size_t)d.s.C_out * sizeof(float)),
                              "%s, case %d: results on %d threads differ from 1 thread",
                              CONV_LADDER.rungs[k].name, i, T);
                out_free(&many);
            }
            out_free(&one);
        }
        threads_set(1);
        data_free(&d);
    }
}
END_TEST

START_TEST(test_conv_shape_errors_name_the_fix)
{
    ConvShape s;
    const char *e = conv_shape_init(&s, 1, 1, 3, 3, 1, 5, 5, 1, 0);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "kernel 5x5 is larger than the padded input 3x3") &&
                  strstr(e, "use a smaller kernel or more padding"), "got: %s", e);
    e = conv_shape_init(&s, 1, 1, 3, 3, 1, 3, 3, 0, 1);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "stride 0 must be >= 1"), "got: %s", e);
    e = conv_shape_init(&s, 1, 1, 3, 3, 1, 3, 3, 1, -1);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "padding -1 must be >= 0"), "got: %s", e);
    e = conv_shape_init(&s, 0, 1, 3, 3, 1, 3, 3, 1, 1);
    ck_assert_ptr_nonnull(e);
    ck_assert_msg(strstr(e, "sizes must be >= 1"), "got: %s", e);
    // 5x5 on 3x3 fits once padded by 1: valid, 1x1 output
    ck_assert_ptr_null(conv_shape_init(&s, 1, 1, 3, 3, 1, 5, 5, 1, 1));
    ck_assert_int_eq(s.H_out, 1);
    ck_assert_int_eq(s.W_out, 1);
}
END_TEST

START_TEST(test_conv_out_size_lecture_cases)
{
    ck_assert_int_eq(conv_out_size(28, 3, 1, 1), 28);   // "same": K = 3, P = 1
    ck_assert_int_eq(conv_out_size(28, 3, 1, 0), 26);   // "valid"
    ck_assert_int_eq(conv_out_size(28, 2, 2, 0), 14);   // K = 2, S = 2 halves the size
    ck_assert_int_eq(conv_out_size(7, 3, 2, 1), 4);     // ⌊(7 + 2 − 3)/2⌋ + 1
    ck_assert_int_eq(conv_out_size(3, 5, 1, 0), 0);     // does not fit
    ck_assert_int_eq(conv_out_size(3, 3, 0, 0), 0);     // stride 0
    ck_assert_int_eq(conv_out_size(3, 3, 1, -1), 0);    // negative pad
    ConvShape s;
    ck_assert_ptr_null(conv_shape_init(&s, 64, 32, 14, 14, 64, 3, 3, 1, 1));
    ck_assert_double_eq(conv_flops(&s), 2.0 * 64 * 64 * 14 * 14 * 32 * 9);   // 462 MFLOP
    ck_assert_uint_eq(conv_im2col_floats(&s), (size_t)32 * 9 * 14 * 14);
}
END_TEST

// The conv ladder answers to full names, version numbers, naive and auto; a bad name changes
// nothing.
START_TEST(test_conv_ladder_select_by_name)
{
    ck_assert(ladder_select(&CONV_LADDER, "naive"));
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v0_direct");
    ck_assert(ladder_select(&CONV_LADDER, "v1"));
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v1_im2col");
    ck_assert(ladder_select(&CONV_LADDER, "v2_implicit_threads"));
    ck_assert(ladder_select(&CONV_LADDER, "v0_direct"));
    ck_assert(ladder_select(&CONV_LADDER, "auto"));
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v2_implicit_threads");
    ck_assert(!ladder_select(&CONV_LADDER, "fast"));      // the old --conv words are gone
    ck_assert(!ladder_select(&CONV_LADDER, "v9"));
    ck_assert(!ladder_select(&CONV_LADDER, NULL));
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v2_implicit_threads");
    ck_assert_str_eq(CONV_LADDER.rungs[0].name, "v0_direct");
    ck_assert_str_eq(CONV_LADDER.rungs[1].name, "v1_im2col");
    // each rung's own name selects exactly that rung (the "every rung" tests select by name)
    for (int k = 0; k < CONV_LADDER.n_rungs; k++) {
        ck_assert(ladder_select(&CONV_LADDER, CONV_LADDER.rungs[k].name));
        ck_assert_ptr_eq(ladder_selected(&CONV_LADDER), &CONV_LADDER.rungs[k]);
    }
    ck_assert(ladder_select(&CONV_LADDER, "auto"));
}
END_TEST

static Suite *conv_suite(void)
{
    Suite *s = suite_create("conv");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_conv_rungs_match_direct_with_bias);
    tcase_add_test(tc, test_conv_rungs_match_direct_without_bias);
    tcase_add_test(tc, test_conv_rungs_match_direct_on_two_threads);
    tcase_add_test(tc, test_conv_direct_hand_example);
    tcase_add_test(tc, test_conv_col2im_is_adjoint_of_im2col);
    tcase_add_test(tc, test_conv_threads_bitwise_identical);
    tcase_add_test(tc, test_conv_shape_errors_name_the_fix);
    tcase_add_test(tc, test_conv_out_size_lecture_cases);
    tcase_add_test(tc, test_conv_ladder_select_by_name);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(conv_suite)
