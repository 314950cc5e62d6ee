/* tests/test_csv.c — the CSV reader (data/csv.h), op_time_step (ops/shape.h) and the pieces of
 * chapter 5's time-series section (05_rnn_lstm/forecast.h): ACF, window rule, split, scaling,
 * the least-squares AR fit, and the section itself on a small synthetic series.
 * Run from the repo root (make test does): the real-series test reads
 * <data>/timeseries/monthly-sunspots.csv (data/ or $DL_DATA), which `make data` fills; it is
 * skipped, and says so, when that folder is absent.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "autograd/gradcheck.h"
#include "base/arena.h"
#include "base/rng.h"
#include "data/csv.h"
#include "gradcheck_util.h"
#include "ops/activation.h"
#include "ops/shape.h"

#include "../05_rnn_lstm/forecast.c"

// ---- helpers ----

/* csv_parse of a C string; err receives the message. */
static bool parse(const char *text, int column, CsvColumn *c, char *err, size_t errlen)
{
    err[0] = '\0';
    return csv_parse(text, strlen(text), "t.csv", column, c, err, errlen);
}

/* The text must be refused with a message containing each of the non-NULL strings. */
static void expect_error(const char *text, int column, const char *a, const char *b,
                         const char *c3)
{
    CsvColumn c;
    char err[512];
    ck_assert_msg(!parse(text, column, &c, err, sizeof err), "accepted: %s", text);
    ck_assert_msg(c.n == 0 && !c.values && !c.labels, "a refused column must be empty");
    const char *want[3] = {a, b, c3};
    for (int i = 0; i < 3; i++)
        ck_assert_msg(!want[i] || strstr(err, want[i]), "message for %s should contain '%s', "
                      "got: %s", text, want[i], err);
    csv_free(&c);
}

static const char *data_dir(void)
{
    const char *env = getenv("DL_DATA");
    return env && *env ? env : "data";
}

static bool have_timeseries(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/timeseries", data_dir());
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

// ---- the CSV reader ----

START_TEST(test_csv_header_quotes_crlf)
{
    CsvColumn c;
    char err[512];
    ck_assert_msg(parse("\"Month\",\"Sunspots\"\r\n\"1749-01\",58.0\r\n\"1749-02\",62.6\r\n"
                        "\"1749-03\",-1e-2\r\n", 1, &c, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.name, "Sunspots");
    ck_assert_uint_eq(c.n, 3);
    ck_assert(c.values[0] == 58.0 && c.values[1] == 62.6 && c.values[2] == -0.01);
    ck_assert_ptr_nonnull(c.labels);
    ck_assert_str_eq(c.labels[0], "1749-01");
    ck_assert_str_eq(c.labels[2], "1749-03");
    csv_free(&c);
    ck_assert(c.n == 0 && !c.values && !c.labels);

    // LF only, no quotes, the first column (no labels), no line end after the last row
    ck_assert_msg(parse("x,name\n1.5,a\n 2 ,b", 0, &c, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.name, "x");
    ck_assert_uint_eq(c.n, 2);
    ck_assert(c.values[0] == 1.5 && c.values[1] == 2.0 && c.labels == NULL);
    csv_free(&c);

    // a quote inside a quoted field is written twice; commas inside quotes are text
    ck_assert_msg(parse("\"a,\"\"b\"\"\",\"v \"\"x\"\"\"\n\"p,q\",3\n", 1, &c, err, sizeof err),
                  "%s", err);
    ck_assert_str_eq(c.name, "v \"x\"");
    ck_assert_str_eq(c.labels[0], "p,q");
    ck_assert(c.values[0] == 3.0);
    csv_free(&c);
}
END_TEST

START_TEST(test_csv_blank_last_lines)
{
    CsvColumn c;
    char err[512];
    const char *ok[] = {"d,v\n1,2\n3,4\n", "d,v\n1,2\n3,4\n\n", "d,v\r\n1,2\r\n3,4\r\n\r\n",
                        "d,v\n1,2\n3,4\n\n\n  \n"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        ck_assert_msg(parse(ok[i], 1, &c, err, sizeof err), "case %zu: %s", i, err);
        ck_assert_uint_eq(c.n, 2);
        ck_assert(c.values[1] == 4.0);
        csv_free(&c);
    }
    expect_error("d,v\n1,2\n\n3,4\n", 1, "t.csv:3:", "blank", NULL);
}
END_TEST

START_TEST(test_csv_bad_input_names_file_line_field)
{
    expect_error("d,v\n1,2\n3,x4\n", 1, "t.csv:3:", "field 2 (v)", "\"x4\"");
    expect_error("d,v\n1,2\n3,nan\n", 1, "t.csv:3:", "not a finite number", NULL);
    expect_error("d,v\n1,1e999\n", 1, "t.csv:2:", "not a finite number", NULL);
    expect_error("d,v\n1,\n", 1, "t.csv:2:", "field 2", NULL);
    expect_error("d,v\n1,2\n3\n", 1, "t.csv:3:", "too few fields", NULL);
    expect_error("d,v\n1,2,3\n", 1, "t.csv:2:", "too many fields", NULL);
    expect_error("", 1, "t.csv", "empty", "make data");
    expect_error("d,v\r\n", 1, "t.csv", "no rows", "make data");
    expect_error("\n1,2\n", 1, "t.csv", "header", NULL);
    expect_error("d,v\n1,2\n", 2, "t.csv:1:", "no column 3", NULL);
    expect_error("d,\n1,2\n", 1, "t.csv:1:", "empty", NULL);
    expect_error("\"d,v\n1,2\n", 1, "t.csv:1:", "closing", NULL);
    expect_error("\"d\"x,v\n1,2\n", 1, "t.csv:1:", "after its closing", NULL);
    CsvColumn c;
    char err[512];
    const char nul[] = "d,v\n1,2\n3,4\0" "5\n";
    ck_assert(!csv_parse(nul, sizeof nul - 1, "t.csv", 1, &c, err, sizeof err));
    ck_assert_msg(strstr(err, "t.csv:3:") && strstr(err, "NUL"), "%s", err);
}
END_TEST

START_TEST(test_csv_load_missing_file)
{
    CsvColumn c;
    char err[512];
    ck_assert(!csv_load("/nonexistent/dir/x.csv", 1, &c, err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/dir/x.csv: no such file (run: make data)"), "%s", err);
    ck_assert(c.n == 0 && !c.values);
}
END_TEST

START_TEST(test_csv_real_sunspots)
{
    char path[600], err[512];
    snprintf(path, sizeof path, "%s/timeseries/monthly-sunspots.csv", data_dir());
    CsvColumn c;
    ck_assert_msg(csv_load(path, 1, &c, err, sizeof err), "%s", err);
    ck_assert_uint_eq(c.n, 2820);
    ck_assert(c.values[0] == 58.0);
    ck_assert(c.values[2819] == 33.4);
    ck_assert_str_eq(c.labels[0], "1749-01");
    ck_assert_str_eq(c.labels[2819], "1983-12");
    ck_assert_str_eq(c.name, "Sunspots");
    csv_free(&c);
}
END_TEST

// ---- op_time_step ----

START_TEST(test_time_step_forward)
{
    Arena a;
    arena_init(&a, "t");
    Tape tp;
    tape_init(&tp, &a);
    Tensor *x = tensor_new(&a, 3, (int[]){2, 3, 2});
    for (size_t i = 0; i < x->size; i++) x->data[i] = (float)i;   // x[b, t, c] = 6b + 2t + c
    Tensor *y = op_time_step(&tp, x, 2);
    ck_assert(y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 2);
    const float want[] = {4, 5, 10, 11};
    dl_ck_close("x[:, 2]", y->data, want, 4, 0, 0);
    y = op_time_step(&tp, x, 0);
    const float want0[] = {0, 1, 6, 7};
    dl_ck_close("x[:, 0]", y->data, want0, 4, 0, 0);
    arena_free(&a);
}
END_TEST

typedef struct { int t; Tensor *w; } TsCtx;

// L = Σ w ⊙ tanh(x)[:, t] — tanh first, so the gradient is not a constant the check could
// pass by accident, and steps other than t must get exactly 0.
static Tensor *time_step_fn(Tape *tp, Tensor **in, int n_in, void *ctx)
{
    (void)n_in;
    TsCtx *c = ctx;
    return project(tp, op_time_step(tp, op_tanh(tp, in[0]), c->t), c->w);
}

START_TEST(test_gradcheck_time_step)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 7);
    for (int t = 0; t < 4; t++) {
        Tensor *x = tensor_param(&params, 3, (int[]){3, 4, 5}, "x");
        tensor_fill_uniform(x, &r, -1.5f, 1.5f);
        TsCtx c = {t, tensor_new(&params, 2, (int[]){3, 5})};
        tensor_fill_uniform(c.w, &r, -1.0f, 1.0f);
        char what[32];
        snprintf(what, sizeof what, "time_step t=%d", t);
        assert_gradcheck(what, gradcheck(&tp, time_step_fn, &x, 1, &c, GC_H));
        // and only step t receives a gradient
        tensor_zero_grad(x);
        Tensor *l = time_step_fn(&tp, &x, 1, &c);
        tape_backward(&tp, l);
        for (int b = 0; b < 3; b++)
            for (int s = 0; s < 4; s++)
                for (int k = 0; k < 5; k++) {
                    float g = x->grad[(b * 4 + s) * 5 + k];
                    ck_assert_msg(s == t ? g != 0.0f : g == 0.0f, "t=%d: grad at step %d is %g",
                                  t, s, (double)g);
                }
        tape_reset(&tp);
    }
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// ---- the section's arithmetic ----

START_TEST(test_acf_known_series)
{
    // ±1 alternating, n = 10, mean 0: acf[k] = (−1)^k (10 − k) / 10
    double y[10], acf[6];
    for (int t = 0; t < 10; t++) y[t] = t % 2 ? -1.0 : 1.0;
    ts_acf(y, 10, 5, acf);
    for (int k = 0; k <= 5; k++) {
        double want = (k % 2 ? -1.0 : 1.0) * (10 - k) / 10.0;
        ck_assert_msg(fabs(acf[k] - want) < 1e-12, "acf[%d] = %g, want %g", k, acf[k], want);
    }
    // y = 1, 2, 3, 4 (mean 2.5, Σd² = 5): acf[1] = (−1.5·−0.5 + −0.5·0.5 + 0.5·1.5)/5 = 0.25
    double lin[4] = {1, 2, 3, 4}, a2[3];
    ts_acf(lin, 4, 2, a2);
    ck_assert(fabs(a2[1] - 0.25) < 1e-12);
    ck_assert(fabs(a2[2] - (-1.5 * 0.5 + -0.5 * 1.5) / 5.0) < 1e-12);   // −0.3
    // the window rule
    const double a[] = {1.0, 0.9, 0.7, 0.5, 0.49, 0.2};
    ck_assert_int_eq(ts_first_lag_below(a, 5, 0.5), 4);   // 0.5 itself is not below
    ck_assert_int_eq(ts_first_lag_below(a, 3, 0.5), -1);
    ck_assert_int_eq(ts_first_lag_below(acf, 5, 0.5), 1);
}
END_TEST

START_TEST(test_split_and_scaling)
{
    TsSplit s = ts_split(2820);
    ck_assert(s.n_train == 1974 && s.n_val == 423 && s.n_test == 423);
    s = ts_split(10);
    ck_assert(s.n_train == 7 && s.n_val == 1 && s.n_test == 2);
    for (int n = 1; n < 200; n++) {
        s = ts_split(n);
        ck_assert(s.n_train + s.n_val + s.n_test == n && s.n_test >= s.n_val);
    }
    // fitted on the training part only: later values fall outside [0, 1]
    const double y[] = {10, 20, 30, 15, 25, 50, 5};
    s = ts_split(7);   // 4 train
    MinMax m = ts_minmax_fit(y, s.n_train);
    ck_assert(m.lo == 10 && m.hi == 30);
    ck_assert(ts_scale(m, 10) == 0.0 && ts_scale(m, 30) == 1.0);
    ck_assert(fabs(ts_scale(m, 50) - 2.0) < 1e-12 && fabs(ts_scale(m, 5) + 0.25) < 1e-12);
    for (int i = 0; i < 7; i++) ck_assert(fabs(ts_unscale(m, ts_scale(m, y[i])) - y[i]) < 1e-12);
    m = ts_minmax_fit((const double[]){3, 3}, 2);   // constant: still defined
    ck_assert(ts_scale(m, 3) == 0.0 && isfinite(ts_scale(m, 4)));
}
END_TEST

START_TEST(test_cholesky_and_ar_fit)
{
    // A = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]], x = (1, −2, 0.5) → b = A x
    double A[9] = {4, 2, 0.4, 2, 5, 1, 0.4, 1, 3}, x[3] = {1, -2, 0.5}, b[3];
    for (int i = 0; i < 3; i++) b[i] = A[i * 3] * x[0] + A[i * 3 + 1] * x[1] + A[i * 3 + 2] * x[2];
    ck_assert(ts_cholesky_solve(A, b, 3));
    for (int i = 0; i < 3; i++) ck_assert_msg(fabs(b[i] - x[i]) < 1e-12, "x[%d] = %g", i, b[i]);
    double N[4] = {1, 2, 2, 1}, nb[2] = {1, 1};   // indefinite
    ck_assert(!ts_cholesky_solve(N, nb, 2));

    // AR(2): y_t = 0.5 + 0.6 y_{t−1} − 0.3 y_{t−2} + ε, ε ~ N(0, 0.1²)
    enum { n = 6000 };
    static double y[n];
    Rng r;
    rng_seed(&r, 11);
    y[0] = y[1] = 0.7;
    for (int t = 2; t < n; t++) y[t] = 0.5 + 0.6 * y[t - 1] - 0.3 * y[t - 2] + 0.1 * rng_normal(&r);
    double c2[3], c4[5];
    ck_assert(ts_ar_fit(y, n, 2, c2));
    ck_assert_msg(fabs(c2[0] - 0.5) < 0.03 && fabs(c2[1] - 0.6) < 0.03 && fabs(c2[2] + 0.3) < 0.03,
                  "AR(2) fit: c %.4f a1 %.4f a2 %.4f, want 0.5 0.6 −0.3", c2[0], c2[1], c2[2]);
    ck_assert(ts_ar_fit(y, n, 4, c4));   // extra lags come out near 0
    ck_assert_msg(fabs(c4[3]) < 0.03 && fabs(c4[4]) < 0.03, "a3 %.4f a4 %.4f", c4[3], c4[4]);
    // its one-step forecasts: RMSE near the noise level 0.1, far below persistence's
    double pa[n], pp[n], tr[n];
    for (int t = 2; t < n; t++) {
        pa[t - 2] = ts_ar_predict(c2, 2, y, t);
        pp[t - 2] = y[t - 1];
        tr[t - 2] = y[t];
    }
    double ra = ts_rmse(pa, tr, n - 2), rp = ts_rmse(pp, tr, n - 2);
    ck_assert_msg(fabs(ra - 0.1) < 0.01 && rp > 1.2 * ra, "AR rmse %.4f, persistence %.4f", ra, rp);
    ck_assert(!ts_ar_fit(y, 4, 2, c2));   // 2 targets for 3 coefficients
}
END_TEST

// ---- the section on small files ----

static char tmp[64];

/* A Chapter whose data and out folders are tmp, --quick, seed 3. */
static void fake_chapter(Chapter *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->name = "05_rnn_lstm";
    ch->cli.quick = true;
    ch->cli.seed = 3;
    snprintf(ch->cli.data_dir, sizeof ch->cli.data_dir, "%s", tmp);
    snprintf(ch->cli.out_dir, sizeof ch->cli.out_dir, "%s", tmp);
    metrics_init(&ch->metrics, tmp);
}

START_TEST(test_section_without_data_records_nothing)
{
    dl_tmpdir(tmp, sizeof tmp);
    Chapter ch;
    fake_chapter(&ch);
    forecast_section(&ch);
    ck_assert_uint_eq(ch.metrics.n, 0);
    metrics_free(&ch.metrics);
    dl_rm_rf(tmp);
}
END_TEST

/* A noiseless sine of period 24 months, amplitude 50 around 60, 600 months. An AR model of
 * order W >= 2 is exact on it (sin obeys y_t = 2cos(ω) y_{t−1} − y_{t−2} + const), so its RMSE
 * must be ~0, persistence's is not; the LSTM's must be finite, and the run deterministic. */
static void run_sine(double *lstm_test, double *ar_test, double *pers_test, double *window)
{
    Chapter ch;
    fake_chapter(&ch);
    forecast_section(&ch);
    ck_assert(metrics_get(&ch.metrics, "ts_lstm_test_rmse", lstm_test));
    ck_assert(metrics_get(&ch.metrics, "ts_ar_test_rmse", ar_test));
    ck_assert(metrics_get(&ch.metrics, "ts_persistence_test_rmse", pers_test));
    ck_assert(metrics_get(&ch.metrics, "ts_window", window));
    double n;
    ck_assert(metrics_get(&ch.metrics, "ts_n_train", &n) && n == 420);
    metrics_free(&ch.metrics);
}

START_TEST(test_section_on_a_sine)
{
    dl_tmpdir(tmp, sizeof tmp);
    char dir[128], path[160];
    snprintf(dir, sizeof dir, "%s/timeseries", tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/monthly-sunspots.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "\"Month\",\"Sunspots\"\r\n");
    for (int t = 0; t < 600; t++)
        fprintf(f, "\"%d-%02d\",%.6f\r\n", 1900 + t / 12, t % 12 + 1,
                60 + 50 * sin(2 * 3.14159265358979323846 * t / 24.0));
    ck_assert_int_eq(fclose(f), 0);
    double l1, a1, p1, w1, l2, a2, p2, w2;
    run_sine(&l1, &a1, &p1, &w1);
    // the ACF of a sine of period 24 is ≈ cos(2πk/24)·(n − k)/n: 0.503 at k = 4 (cos = 0.5
    // exactly, on 17.5 periods the sample mean is not the sine's), 0.26 at k = 5
    ck_assert_msg(w1 == 5, "window %g, want 5", w1);
    ck_assert_msg(a1 < 1e-3 && p1 > 5, "AR rmse %g (want ~0), persistence %g", a1, p1);
    ck_assert(isfinite(l1) && l1 > 0);
    run_sine(&l2, &a2, &p2, &w2);
    ck_assert_msg(l1 == l2 && a1 == a2 && p1 == p2, "the same seed must give the same numbers");
    char png[200];
    snprintf(png, sizeof png, "%s/ts_forecast.dat", tmp);
    ck_assert_msg(access(png, F_OK) == 0, "no %s", png);
    dl_rm_rf(tmp);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *c = tcase_create("csv");
    tcase_add_test(c, test_csv_header_quotes_crlf);
    tcase_add_test(c, test_csv_blank_last_lines);
    tcase_add_test(c, test_csv_bad_input_names_file_line_field);
    tcase_add_test(c, test_csv_load_missing_file);
    dl_tcase_add_test_if(c, test_csv_real_sunspots, have_timeseries(),
                         "no <data>/timeseries folder (make data copies the series there)");
    suite_add_tcase(s, c);
    TCase *o = tcase_create("time_step");
    tcase_add_test(o, test_time_step_forward);
    tcase_add_test(o, test_gradcheck_time_step);
    suite_add_tcase(s, o);
    TCase *f = tcase_create("forecast");
    tcase_set_timeout(f, 60);
    tcase_add_test(f, test_acf_known_series);
    tcase_add_test(f, test_split_and_scaling);
    tcase_add_test(f, test_cholesky_and_ar_fit);
    tcase_add_test(f, test_section_without_data_records_nothing);
    tcase_add_test(f, test_section_on_a_sine);
    suite_add_tcase(s, f);
    return s;
}

DL_TEST_MAIN(csv_suite)
