/* tests/test_ch03.c — chapter 3: the test functions' gradients, the two momentum conventions,
 * divergence detection inside the training loop, the diagnostics table, the imbalanced-task
 * metrics, and a golden --quick run of the built program with its bad-input exits.
 *
 * Builds 03_optimizers/optimizers.c with -DNO_MAIN (by #including it) to test its functions;
 * the golden and error-path tests run the program itself (dl_chapter_bin). The update rules
 * themselves are checked against torch.optim in tests/test_optim.c.
 * Golden run: tests/fixtures/golden_ch03_<data>.tsv (first line: the command that made it).
 */
#include "testutil.h"
#include "golden.h"

#define NO_MAIN
#include "../03_optimizers/optimizers.c"
#include "data/synthetic.h"

// ---- 1. test functions and momentum ----

// Central differences in double, h = 1e-6: truncation O(h²·f''') ~ 1e-9 relative, rounding
// ~ 1e-16·|f|/h ~ 1e-8 for Rosenbrock's |f| ~ 100, so 1e-6 relative is a safe bound.
START_TEST(test_test_fn_gradients_match_central_differences)
{
    const double pts[][2] = {{-1.2, 1.0}, {0.3, -0.7}, {1.0, 1.0}, {1.7, 2.9}, {-0.05, 0.02}};
    for (int k = 0; k < FN_COUNT; k++)
        for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
            double x = pts[i][0], y = pts[i][1], gx, gy, h = 1e-6;
            test_fn_grad((FnKind)k, x, y, &gx, &gy);
            double nx = (test_fn(k, x + h, y) - test_fn(k, x - h, y)) / (2 * h);
            double ny = (test_fn(k, x, y + h) - test_fn(k, x, y - h)) / (2 * h);
            ck_assert_msg(fabs(gx - nx) <= 1e-6 * (1 + fabs(nx)) &&
                          fabs(gy - ny) <= 1e-6 * (1 + fabs(ny)),
                          "%s at (%g, %g): analytic (%.10g, %.10g), numeric (%.10g, %.10g)",
                          TEST_FNS[k].name, x, y, gx, gy, nx, ny);
        }
    ck_assert(test_fn(FN_ROSENBROCK, 1.0, 1.0) == 0.0);
}
END_TEST

// v_t = −α u_t by induction, so the paths agree to rounding (doubles: 1e-12); the library's
// float momentum follows the PyTorch rule to float rounding over 200 steps (1e-4 absolute on
// coordinates of size ~1). Halving α must make them differ, or the demonstration is empty.
START_TEST(test_momentum_conventions_agree_for_constant_lr_only)
{
    MomentumCompare c = momentum_compare(2e-4, 0.9, 200, 0);
    ck_assert_msg(c.max_dtheta < 1e-12, "max |Δθ| = %g with a constant lr", c.max_dtheta);
    dl_ck_close1("v/u", c.v_ratio, -2e-4, 0, 1e-9);
    ck_assert_msg(c.max_dtheta_lib < 1e-4, "common/optim momentum vs the torch rule: %g",
                  c.max_dtheta_lib);
    MomentumCompare h = momentum_compare(2e-4, 0.9, 200, 100);
    ck_assert_msg(h.max_dtheta > 1e-6, "halving the lr should separate the conventions, got %g",
                  h.max_dtheta);
}
END_TEST

START_TEST(test_adam_path_reaches_the_quadratic_minimum)
{
    static float xy[2 * (100 + 1)];
    int n = path_run(FN_QUADRATIC, OPT_ADAM, 0.3f, xy);
    ck_assert_int_eq(n, TEST_FNS[FN_QUADRATIC].steps + 1);
    double f0 = test_fn(FN_QUADRATIC, xy[0], xy[1]);
    double f = test_fn(FN_QUADRATIC, xy[2 * n - 2], xy[2 * n - 1]);
    ck_assert_msg(f < 1e-2 * f0, "Adam: f %g -> %g in 100 steps", f0, f);
}
END_TEST

// ---- 2. divergence ----

START_TEST(test_loss_diverged_flags_nan_inf_and_growth)
{
    ck_assert(!loss_diverged(2.3f, 2.3f));
    ck_assert(!loss_diverged(22.9f, 2.3f));
    ck_assert(loss_diverged(23.1f, 2.3f));
    ck_assert(loss_diverged(NAN, 2.3f));
    ck_assert(loss_diverged(INFINITY, 2.3f));
}
END_TEST

// A huge learning rate on a small problem: the run must stop with diverged set, and no
// NaN or Inf may reach the weights (the diverging step is never applied).
START_TEST(test_divergent_run_stops_with_finite_weights)
{
    Rng rng;
    rng_seed(&rng, 7);
    Dataset d;
    dataset_blobs(&d, 256, 1.0f, &rng);
    static const int sizes[] = {2, 32, 2};
    Model md;
    model_init(&md, sizes, 3, INIT_HE_NORMAL, false, 0, &rng);
    RunConfig cfg = {.opt = optim_defaults(OPT_SGD), .epochs = 50, .batch = 16};
    cfg.opt.lr = 1e4f;
    RunLog *log = calloc(1, sizeof *log);
    ck_assert_ptr_nonnull(log);
    train_run(&md.net, &md.list, &md.state, &md.tp, &d, &d, &d, &cfg, &rng, log);
    ck_assert_msg(log->diverged, "lr 1e4 did not diverge (%d steps)", log->steps);
    ck_assert_int_ge(log->diverged_step, 2);
    for (int i = 0; i < md.list.n; i++)
        for (size_t j = 0; j < md.list.items[i]->size; j++)
            ck_assert_msg(isfinite(md.list.items[i]->data[j]), "param %d[%zu] = %g", i, j,
                          (double)md.list.items[i]->data[j]);
    // The same problem at a sane rate trains without a divergence flag.
    Model ok;
    model_init(&ok, sizes, 3, INIT_HE_NORMAL, false, 0, &rng);
    cfg.opt.lr = 0.1f;
    cfg.epochs = 5;
    train_run(&ok.net, &ok.list, &ok.state, &ok.tp, &d, &d, &d, &cfg, &rng, log);
    ck_assert(!log->diverged);
    ck_assert_msg(log->train_loss[5] < log->train_loss[0], "loss %g -> %g",
                  (double)log->train_loss[0], (double)log->train_loss[5]);
    free(log);
    model_free(&md);
    model_free(&ok);
    dataset_free(&d);
}
END_TEST

// Early stopping keeps the weights of the best validation epoch: evaluating after the run
// must give exactly the logged best validation loss.
START_TEST(test_early_stopping_restores_best_weights)
{
    Rng rng;
    rng_seed(&rng, 3);
    Dataset tr, val;
    dataset_moons(&tr, 64, 0.35f, &rng);
    dataset_moons(&val, 200, 0.35f, &rng);
    static const int sizes[] = {2, 64, 64, 2};
    Model md;
    model_init(&md, sizes, 4, INIT_HE_NORMAL, false, 0, &rng);
    RunConfig cfg = {.opt = optim_defaults(OPT_ADAM), .epochs = 60, .batch = 8, .patience = 3};
    cfg.opt.lr = 0.01f;
    RunLog *log = calloc(1, sizeof *log);
    ck_assert_ptr_nonnull(log);
    train_run(&md.net, &md.list, &md.state, &md.tp, &tr, &tr, &val, &cfg, &rng, log);
    ck_assert_int_ge(log->best_epoch, 1);
    ck_assert(log->epochs_run == cfg.epochs || log->epochs_run - log->best_epoch == cfg.patience);
    double l, a;
    evaluate(&md.tp, &md.net, &val, &l, &a);
    dl_ck_close1("val loss after restore", l, log->val_loss[log->best_epoch], 1e-6, 1e-6);
    free(log);
    model_free(&md);
    dataset_free(&tr);
    dataset_free(&val);
}
END_TEST

// ---- 3. diagnostics and metrics ----

START_TEST(test_diagnose_follows_the_lecture_table)
{
    ck_assert_int_eq(diagnose(NAN, 2.0, 2.0), DIAG_DIVERGED);
    ck_assert_int_eq(diagnose(1.2, 1.3, 1.3), DIAG_UNDERFIT);       // both high
    ck_assert_int_eq(diagnose(0.01, 0.6, 0.3), DIAG_OVERFIT);       // val rose from 0.3
    ck_assert_int_eq(diagnose(0.01, 0.45, 0.44), DIAG_HIGH_VARIANCE);   // flat, but far apart
    ck_assert_int_eq(diagnose(0.08, 0.12, 0.12), DIAG_GOOD);
}
END_TEST

START_TEST(test_binary_metrics_expose_the_always_negative_classifier)
{
    int y[20] = {0}, none[20] = {0}, pred[20] = {0};
    y[3] = y[11] = 1;                               // 2 positives in 20
    BinaryMetrics t = binary_metrics(none, y, 20);
    dl_ck_close1("accuracy", t.accuracy, 0.9, 1e-12, 0);
    ck_assert(t.precision == 0 && t.recall == 0 && t.f1 == 0);
    pred[3] = pred[5] = 1;                          // TP 1, FP 1, FN 1
    BinaryMetrics b = binary_metrics(pred, y, 20);
    ck_assert_int_eq(b.tp, 1);
    ck_assert_int_eq(b.fp, 1);
    ck_assert_int_eq(b.fn, 1);
    ck_assert_int_eq(b.tn, 17);
    dl_ck_close1("precision", b.precision, 0.5, 1e-12, 0);
    dl_ck_close1("recall", b.recall, 0.5, 1e-12, 0);
    dl_ck_close1("F1", b.f1, 0.5, 1e-12, 0);
    dl_ck_close1("accuracy", b.accuracy, 0.9, 1e-12, 0);   // same accuracy, very different F1
}
END_TEST

// ---- golden run of the program ----

#define CHAPTER_BIN dl_chapter_bin("03_optimizers")

// The sanitizer and portable builds pick other GEMM/Adam rungs (other summation orders), and
// over hundreds of Adam steps those roundings grow: losses get 2 % relative, accuracies
// ±1 point. Quantities without GEMM in them (the 2-D paths, counts) are held tighter.
static const GoldenRule RULES[] = {
    {"data_fashion", 0, 0},
    {"path_", 1e-5, 1e-3},                   // float optimizer on a 2-D function
    {"momentum_conventions_max_dtheta", 1e-9, 0},
    {"momentum_conventions_v_ratio", 0, 1e-6},
    {"momentum_conventions_halved", 0, 1e-3},
    {"loss", 1e-3, 2e-2},
    {"_acc", 1.0, 0},                        // accuracies in %: ±1 point
    {"diverged_step", 2, 0},
    {"iters_per_epoch", 0, 0},
    {"std", 1e-12, 2e-2},
    {"weight_norm", 0, 2e-2},
    {"near_zero_frac", 0.01, 0},
    {"diagnosis", 0, 0},
    {"dropout_mc_rel_diff", 0, 0.05},
    {"dropout_conventions", 1e-5, 0},
    {"imb_", 0.02, 0},
    {"accuracy_pct", 1.0, 0},
};

START_TEST(test_quick_run_matches_golden)
{
    dl_check_golden_run(CHAPTER_BIN, "ch03", RULES, sizeof RULES / sizeof RULES[0], 50);
}
END_TEST

// Bad input: exit status 2 and a message naming the flag and the problem.
static void expect_usage_error(const char *args, const char *needle)
{
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "%s %s --out /tmp/dltest_ch03_unused", CHAPTER_BIN, args);
    int status = dl_run(cmd, out, sizeof out);
    ck_assert_msg(status == 2, "'%s' exited with %d, expected 2:\n%s", cmd, status, out);
    ck_assert_msg(strstr(out, needle), "'%s': message lacks '%s':\n%s", cmd, needle, out);
}

START_TEST(test_bad_input_exits_2_with_message)
{
    expect_usage_error("--frobnicate", "--frobnicate");
    expect_usage_error("--optimizer adamm", "adamm");
    expect_usage_error("--lr -0.1", "--lr");
    expect_usage_error("--lr nan", "--lr");
    expect_usage_error("--beta1 1", "--beta1");
    expect_usage_error("--beta2=-0.5", "--beta2");
    expect_usage_error("--beta1=nan", "--beta1");
    expect_usage_error("--momentum 1.5", "--momentum");
    dl_rm_rf("/tmp/dltest_ch03_unused");
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch03_suite(void)
{
    Suite *s = suite_create("ch03_optimizers");
    TCase *units = tcase_create("units");
    tcase_set_timeout(units, 120);
    tcase_add_test(units, test_test_fn_gradients_match_central_differences);
    tcase_add_test(units, test_momentum_conventions_agree_for_constant_lr_only);
    tcase_add_test(units, test_adam_path_reaches_the_quadratic_minimum);
    tcase_add_test(units, test_loss_diverged_flags_nan_inf_and_growth);
    tcase_add_test(units, test_divergent_run_stops_with_finite_weights);
    tcase_add_test(units, test_early_stopping_restores_best_weights);
    tcase_add_test(units, test_diagnose_follows_the_lecture_table);
    tcase_add_test(units, test_binary_metrics_expose_the_always_negative_classifier);
    suite_add_tcase(s, units);
    TCase *golden = tcase_create("golden");
    tcase_set_timeout(golden, 600);   // the sanitizer build on a busy 2-core machine
    tcase_add_test(golden, test_quick_run_matches_golden);
    tcase_add_test(golden, test_bad_input_exits_2_with_message);
    tcase_add_test(golden, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, golden);
    return s;
}

DL_TEST_MAIN(ch03_suite)
