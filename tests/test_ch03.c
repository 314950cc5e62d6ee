/* tests/test_ch03.c — chapter 3: the test functions' gradients, the two momentum conventions,
 * the chapter's networks and their runs through the library's loop (divergence recorded with
 * finite weights, early stopping), the diagnostics table, the imbalanced-task metrics, and the
 * built program: a golden --quick run, Ctrl-C and --resume, and its bad-input exits.
 *
 * Builds 03_optimizers/optimizers.c with -DNO_MAIN and net.c (by #including them) to test
 * their functions; the golden and error-path tests run the program itself (dl_chapter_bin).
 * The update rules are checked against torch.optim in tests/test_optim.c, the training loop
 * in tests/test_train.c. Golden run: tests/fixtures/golden_ch03_<data>.tsv, made by
 * scripts/make_golden.sh 03_optimizers ch03 (its first line names the command).
 */
#include "testutil.h"
#include "golden.h"

#define NO_MAIN
#include "../03_optimizers/optimizers.c"
#include "../03_optimizers/net.c"
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
    static float x[100 + 1], y[100 + 1];
    int n = path_run(FN_QUADRATIC, OPT_ADAM, 0.3f, x, y);
    ck_assert_int_eq(n, TEST_FNS[FN_QUADRATIC].steps + 1);
    double f0 = test_fn(FN_QUADRATIC, x[0], y[0]), f = test_fn(FN_QUADRATIC, x[n - 1], y[n - 1]);
    ck_assert_msg(f < 1e-2 * f0, "Adam: f %g -> %g in 100 steps", f0, f);
}
END_TEST

// A path stops at the first point outside the plotting box, and that point is its last.
START_TEST(test_path_stops_when_it_leaves_the_box)
{
    static float x[100 + 1], y[100 + 1];
    const TestFn *fn = &TEST_FNS[FN_SADDLE];
    int n = path_run(FN_SADDLE, OPT_ADAM, 0.05f, x, y);
    ck_assert_msg(n >= 2 && n <= fn->steps, "the saddle path should leave the box, n = %d", n);
    ck_assert_msg(y[n - 1] > fn->yhi || y[n - 1] < fn->ylo, "last point (%g, %g) is inside",
                  (double)x[n - 1], (double)y[n - 1]);
    for (int i = 0; i < n - 1; i++)
        ck_assert_msg(y[i] <= fn->yhi && y[i] >= fn->ylo, "point %d (%g) already outside", i,
                      (double)y[i]);
}
END_TEST

// ---- 2. the chapter's networks and their runs ----

// Parameters and buffers are named by layer, so a checkpoint names every tensor.
START_TEST(test_net_names_its_parameters_and_buffers)
{
    Model m;
    model_init(&m, "03_optimizers/test");
    Rng rng;
    rng_seed(&rng, 1);
    Net net;
    static const int sizes[] = {6, 5, 4, 3};
    net_init(&net, &(NetSpec){sizes, 4, true, 0.5f}, INIT_HE_NORMAL, &m.params, &rng, &m.p);
    static const char *want[] = {"fc1.linear.w", "fc1.linear.b", "bn1.batchnorm.gamma",
                                 "bn1.batchnorm.beta", "fc2.linear.w", "fc2.linear.b",
                                 "bn2.batchnorm.gamma", "bn2.batchnorm.beta", "fc3.linear.w",
                                 "fc3.linear.b"};
    ck_assert_int_eq(m.p.n, 10);
    for (int i = 0; i < 10; i++) ck_assert_str_eq(m.p.names[i], want[i]);
    ck_assert_int_eq(m.p.n_buffers, 4);
    ck_assert_str_eq(m.p.buffers[3].name, "bn2.batchnorm.running_var");
    ck_assert_int_eq(params_count(&m.p), 6 * 5 + 5 + 2 * 5 + 5 * 4 + 4 + 2 * 4 + 4 * 3 + 3);
    model_free(&m);
}
END_TEST

// A huge learning rate on a small problem: the run must stop with diverged set (the chapter's
// policy, set by net_train: stop and record at 10x the first loss), and no NaN or Inf may reach
// the weights (the diverging step is never applied). The same problem at a sane rate trains.
START_TEST(test_divergent_run_stops_with_finite_weights)
{
    Rng rng;
    rng_seed(&rng, 7);
    Dataset d;
    dataset_blobs(&d, 256, 1.0f, &rng);
    static const int sizes[] = {2, 32, 2};
    Cli cli = {.seed = 7};
    NetRun nr;
    TrainConfig tc = {.epochs = 50, .opt = optim_defaults(OPT_SGD), .val = &d};
    tc.opt.lr = 1e4f;
    net_train(&nr, "diverge", (NetSpec){sizes, 3, false, 0}, &d, 16, &tc, &cli);
    ck_assert(tc.stop_on_divergence && tc.diverge_factor == 10 && tc.cli == &cli);
    ck_assert_msg(nr.log.diverged, "lr 1e4 did not diverge (%ld steps)", nr.log.steps);
    ck_assert_int_ge(nr.log.diverged_step, 2);
    ck_assert_int_eq(nr.log.steps, nr.log.diverged_step);
    for (int i = 0; i < nr.m.p.n; i++)
        for (size_t j = 0; j < nr.m.p.items[i]->size; j++)
            ck_assert_msg(isfinite(nr.m.p.items[i]->data[j]), "param %d[%zu] = %g", i, j,
                          (double)nr.m.p.items[i]->data[j]);
    net_run_free(&nr);
    tc = (TrainConfig){.epochs = 5, .opt = optim_defaults(OPT_SGD), .val = &d,
                       .eval_before = true};
    tc.opt.lr = 0.1f;
    net_train(&nr, "sane", (NetSpec){sizes, 3, false, 0}, &d, 16, &tc, &cli);
    ck_assert(!nr.log.diverged);
    ck_assert_msg(nr.log.val_loss[5] < nr.log.val_loss[0], "loss %g -> %g",
                  (double)nr.log.val_loss[0], (double)nr.log.val_loss[5]);
    net_run_free(&nr);
    dataset_free(&d);
}
END_TEST

// Early stopping (patience) keeps the weights of the best validation epoch: evaluating after
// the run gives exactly the logged best validation loss, and the run stopped `patience`
// epochs after its best one (or ran to the end).
START_TEST(test_early_stopping_restores_best_weights)
{
    Rng rng;
    rng_seed(&rng, 3);
    Dataset tr, val;
    dataset_moons(&tr, 64, 0.35f, &rng);
    dataset_moons(&val, 200, 0.35f, &rng);
    static const int sizes[] = {2, 64, 64, 2};
    Cli cli = {.seed = 3};
    NetRun nr;
    TrainConfig tc = {.epochs = 60, .opt = optim_defaults(OPT_ADAM), .val = &val, .patience = 3};
    tc.opt.lr = 0.01f;
    net_train(&nr, "early", (NetSpec){sizes, 4, false, 0}, &tr, 8, &tc, &cli);
    const TrainLog *lg = &nr.log;
    ck_assert_int_ge(lg->best_epoch, 1);
    ck_assert_msg(lg->epochs_run - lg->best_epoch == 3, "stopped at epoch %d, best %d",
                  lg->epochs_run, lg->best_epoch);
    ClassifierEval ev;
    eval_classifier(&nr.m, &nr.net, net_batch_forward, &val, EVAL_BATCH, false, &ev);
    ck_assert_msg(ev.loss < lg->val_loss[lg->epochs_run], "the last epoch's weights are in use");
    dl_ck_close1("val loss after restore", ev.loss, lg->val_loss[lg->best_epoch], 1e-6, 1e-6);
    net_run_free(&nr);
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

// The lecture's point, on eval_binary as section 7 uses it: the same accuracy, very different
// precision, recall and F1.
START_TEST(test_binary_metrics_expose_the_always_negative_classifier)
{
    int y[20] = {0}, none[20] = {0}, pred[20] = {0};
    y[3] = y[11] = 1;                               // 2 positives in 20
    BinaryScores t = eval_binary(none, y, 20);
    dl_ck_close1("accuracy", t.acc_pct, 90, 1e-12, 0);
    ck_assert(t.precision == 0 && t.recall == 0 && t.f1 == 0);
    pred[3] = pred[5] = 1;                          // TP 1, FP 1, FN 1
    BinaryScores b = eval_binary(pred, y, 20);
    ck_assert_int_eq(b.tp, 1);
    ck_assert_int_eq(b.fp, 1);
    ck_assert_int_eq(b.fn, 1);
    ck_assert_int_eq(b.tn, 17);
    dl_ck_close1("precision", b.precision, 0.5, 1e-12, 0);
    dl_ck_close1("recall", b.recall, 0.5, 1e-12, 0);
    dl_ck_close1("F1", b.f1, 0.5, 1e-12, 0);
    dl_ck_close1("accuracy", b.acc_pct, 90, 1e-12, 0);     // same accuracy, very different F1
}
END_TEST

// ---- golden run of the program ----

#define CHAPTER_BIN dl_chapter_bin("03_optimizers")

// Every key of the golden files, with the LAST rule whose pattern it contains. The sanitizer,
// clang and portable builds of this repository reproduce the golden values bit for bit on an
// AVX-512 machine (measured); another CPU picks other GEMM/Adam rungs, i.e. other summation
// orders, which `--kernel naive` imitates: it moved no count, accuracy or diagnosis, losses by
// at most 4e-5 relative, the 2-D paths by 4e-7, the init stds and weight norms by 1e-7. The
// tolerances leave 10-25x that; an accuracy may move by two images of 500 (0.4 point).
static const GoldenRule RULES[] = {
    {"", 0, 0},                              // counts, steps, epochs, diagnoses, flags: exact
    {"loss", 1e-6, 1e-3},                    // every loss (nats), per epoch too
    {"path_", 1e-5, 1e-4},                   // f at the end of a 2-D path (float optimizers)
    {"_steps", 0, 0},                        // …but the saddle's escape steps stay exact
    {"momentum_conventions_", 1e-12, 1e-9},  // double-precision arithmetic, no kernel
    {"_std_layer_", 0, 1e-4},                // init study (zeros: exactly 0)
    {"weight_norm", 0, 1e-4},
    {"near_zero_frac", 1e-3, 0},             // |w| < 1e-3 among >= 100k weights
    {"dropout_mc_rel_diff", 0, 1e-4},
    {"dropout_conventions_", 1e-5, 0},       // 0 here: both sides round alike
    {"imb_", 0.025, 0},                      // precision, recall, F1: one image of 48 is 0.021
    {"_acc_pct", 0.5, 0},                    // accuracies in %, imbalanced task too
    {"_diverged_step", 1, 0},                // only where the run diverged (lr_*_diverged: exact)
};

START_TEST(test_quick_run_matches_golden)
{
    dl_check_golden_run(CHAPTER_BIN, "ch03", RULES, sizeof RULES / sizeof RULES[0], 200);
}
END_TEST

// Ctrl-C after step 1047 of the process: the 75th of the main run's 150 (section 6's baseline,
// mid-epoch 8; 972 steps of sections 2-4 come first), then --resume: every metric equals an
// uninterrupted run's except the wall-clock ones (batch_*_train_s, race_*_train_s,
// time_total_s).
START_TEST(test_interrupt_and_resume_give_the_uninterrupted_numbers)
{
    static const char *const TIMING[] = {"_train_s", "time_total_s"};
    dl_check_interrupt_resume(CHAPTER_BIN, 1047, TIMING, 2);
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
    tcase_add_test(units, test_path_stops_when_it_leaves_the_box);
    tcase_add_test(units, test_net_names_its_parameters_and_buffers);
    tcase_add_test(units, test_divergent_run_stops_with_finite_weights);
    tcase_add_test(units, test_early_stopping_restores_best_weights);
    tcase_add_test(units, test_diagnose_follows_the_lecture_table);
    tcase_add_test(units, test_binary_metrics_expose_the_always_negative_classifier);
    suite_add_tcase(s, units);
    TCase *golden = tcase_create("golden");
    tcase_set_timeout(golden, 600);   // the sanitizer build on a busy 2-core machine
    tcase_add_test(golden, test_quick_run_matches_golden);
    tcase_add_test(golden, test_interrupt_and_resume_give_the_uninterrupted_numbers);
    tcase_add_test(golden, test_bad_input_exits_2_with_message);
    tcase_add_test(golden, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, golden);
    return s;
}

DL_TEST_MAIN(ch03_suite)
