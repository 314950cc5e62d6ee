/* tests/test_scaling_data.c — the scaling-law point loader (common/data/scaling.h): Epoch AI's
 * layout (D = C / 6N), the sweep's layout (columns in any order, extra columns ignored), and
 * each kind of bad input (empty file, no rows, a missing column, NaN, text, a non-positive N, D,
 * C or loss, a missing file), each an error naming the file and, for a row, its line.
 */
#include "testutil.h"

#include <unistd.h>

#include "data/scaling.h"

static bool parse(const char *text, ScalingSet *s, char *err, size_t len)
{
    return scaling_parse(text, strlen(text), "pts.csv", s, err, len);
}

START_TEST(test_epoch_layout)
{
    const char *t = "x,y,color,Model Size,Training FLOP,hex_color,loss\r\n"
                    "1.5,2,#fff,1e9,6e18,#fff,2.5\r\n"
                    "1.5,2,#fff,2e8,1.2e18,#fff,3.25\r\n\r\n";
    ScalingSet s;
    char err[512] = "";
    ck_assert_msg(parse(t, &s, err, sizeof err), "%s", err);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_double_eq(s.p[0].N, 1e9);
    ck_assert_double_eq(s.p[0].C, 6e18);
    ck_assert_double_eq_tol(s.p[0].D, 1e9, 1e-3);        // 6e18 / (6 · 1e9)
    ck_assert_double_eq(s.p[0].loss, 2.5);
    ck_assert_double_eq_tol(s.p[1].D, 1e9, 1e-3);
    ck_assert_double_eq(s.p[1].loss, 3.25);
    ck_assert_str_eq(s.path, "pts.csv");
    scaling_free(&s);
}
END_TEST

START_TEST(test_our_layout_any_order)
{
    const char *t = "\"loss\",run,flops,D,N\n3.5,a,1.5e15,2e6,1.25e8\n3.0,b,3e15,4e6,1.25e8\n";
    ScalingSet s;
    char err[512] = "";
    ck_assert_msg(parse(t, &s, err, sizeof err), "%s", err);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_double_eq(s.p[1].N, 1.25e8);
    ck_assert_double_eq(s.p[1].D, 4e6);
    ck_assert_double_eq(s.p[1].C, 3e15);     // as given, not 6ND
    ck_assert_double_eq(s.p[1].loss, 3.0);
    scaling_free(&s);
}
END_TEST

/* Each bad input: rejected, err names the file and contains `want`, the set left empty. */
static void bad(const char *text, const char *want)
{
    ScalingSet s;
    char err[512] = "";
    ck_assert_msg(!parse(text, &s, err, sizeof err), "accepted: %s", text);
    ck_assert_msg(strncmp(err, "pts.csv", 7) == 0, "no file name in: %s", err);
    ck_assert_msg(strstr(err, want), "'%s' not in: %s", want, err);
    ck_assert_ptr_null(s.p);
    ck_assert_uint_eq(s.n, 0);
}

START_TEST(test_bad_inputs)
{
    bad("", "empty");
    bad("N,D,flops,loss\n", "no rows");
    bad("N,D,loss\n1,2,3\n", "no column 'flops'");
    bad("Model Size,Training FLOP\n1e9,6e18\n", "no column 'loss'");
    bad("a,b,c\n1,2,3\n", "neither");
    bad("N,D,flops,loss\n1e6,1e7,6e13,nan\n", ":2:");
    bad("N,D,flops,loss\n1e6,1e7,6e13,2\n1e6,1e7,6e13,NaN\n", ":3:");
    bad("N,D,flops,loss\n1e6,1e7,6e13,inf\n", "not a finite number");
    bad("N,D,flops,loss\n1e6,lots,6e13,2\n", "not a finite number");
    bad("N,D,flops,loss\n0,1e7,6e13,2\n", "N is 0");
    bad("N,D,flops,loss\n1e6,-1e7,6e13,2\n", "D is -1e+07");
    bad("N,D,flops,loss\n1e6,1e7,0,2\n", "flops is 0");
    bad("N,D,flops,loss\n1e6,1e7,6e13,0\n", "loss is 0");
    bad("Model Size,Training FLOP,loss\n1e9,-6e18,2\n", "Training FLOP (C) is");
    bad("N,D,flops,loss\n1e6,1e7,6e13\n", "too few fields");
    bad("N,D,flops,loss\n1e6,1e7,6e13,2\n\n1e6,1e7,6e13,2\n", "blank line");
}
END_TEST

START_TEST(test_load_missing_and_real)
{
    ScalingSet s;
    char err[512] = "";
    ck_assert(!scaling_load("no/such/points.csv", &s, err, sizeof err));
    ck_assert_msg(strstr(err, "no/such/points.csv") && strstr(err, "make data"), "%s", err);
    const char *paths[2] = {"data/chinchilla/svg_extracted_data.csv",
                            "../shared/data/chinchilla/svg_extracted_data.csv"};
    for (int k = 0; k < 2; k++) {
        if (access(paths[k], R_OK) != 0) continue;
        ck_assert_msg(scaling_load(paths[k], &s, err, sizeof err), "%s", err);
        ck_assert_uint_eq(s.n, 245);                        // Epoch's 245 runs
        ck_assert_double_eq_tol(s.p[0].N, 6795600349.289497, 1e-3);
        ck_assert_double_eq_tol(s.p[0].loss, 5.005581996196243, 1e-12);
        ck_assert_double_eq_tol(s.p[0].D * 6 * s.p[0].N / s.p[0].C, 1.0, 1e-12);
        scaling_free(&s);
        break;
    }
}
END_TEST

static Suite *scaling_data_suite(void)
{
    Suite *s = suite_create("scaling_data");
    TCase *c = tcase_create("scaling_data");
    tcase_add_test(c, test_epoch_layout);
    tcase_add_test(c, test_our_layout_any_order);
    tcase_add_test(c, test_bad_inputs);
    tcase_add_test(c, test_load_missing_and_real);
    suite_add_tcase(s, c);
    return s;
}

DL_TEST_MAIN(scaling_data_suite)
