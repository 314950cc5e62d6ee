/* tests/test_ch02.c — chapter 2: the hand example, the scalar autograd, the MLP's gradients
 * against PyTorch, and a golden --quick run of the built program.
 *
 * Builds 02_backprop/backprop.c with -DNO_MAIN (by #including it) to test its functions;
 * the golden and error-path tests run the program itself (dl_chapter_bin). Reference files:
 *   tests/fixtures/ch02_mlp_grads.txt         scripts/gen_fixtures_ch02.py (PyTorch)
 *   tests/fixtures/golden_ch02_<data>.tsv     the first line names the command that made it
 */
#include "testutil.h"
#include "golden.h"

#define NO_MAIN
#include "../02_backprop/backprop.c"

#define FIXTURE_MLP "tests/fixtures/ch02_mlp_grads.txt"

// ---- fixture files: "@ name d0 d1 ..." then prod(d) values, one per line ----

// Read block `name` (exactly n values) into out; fails the test if it is missing or short.
static void fixture_block(const char *path, const char *name, float *out, size_t n)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f, "cannot open %s (run from the repository root; regenerate with "
                     "/usr/bin/python3 scripts/gen_fixtures_ch02.py)", path);
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char tag[128];
        if (line[0] != '@' || sscanf(line, "@ %127s", tag) != 1 || strcmp(tag, name) != 0) continue;
        found = true;
        size_t want = 1;
        int pos = 0, d;
        sscanf(line, "@ %*s%n", &pos);
        for (const char *p = line + pos; sscanf(p, "%d%n", &d, &pos) == 1; p += pos) want *= (size_t)d;
        ck_assert_msg(want == n, "%s: block '%s' has %zu values, the test expects %zu", path, name,
                      want, n);
        for (size_t i = 0; i < n; i++) {
            double v;
            ck_assert_msg(fgets(line, sizeof line, f) && sscanf(line, "%lf", &v) == 1,
                          "%s: block '%s' ends after %zu of %zu values", path, name, i, n);
            out[i] = (float)v;
        }
    }
    fclose(f);
    ck_assert_msg(found, "%s: no block '%s'", path, name);
}

// ---- 1. the hand example ----

START_TEST(test_hand_example_matches_the_lecture)
{
    HandPass p = hand_pass(HAND);
    dl_ck_close1("z", p.z, 1.0, 1e-6, 0);
    dl_ck_close1("h", p.h, 1.0, 1e-6, 0);
    dl_ck_close1("y_hat", p.yhat, 1.0, 1e-6, 0);
    dl_ck_close1("loss", p.loss, 4.0, 1e-6, 0);
    dl_ck_close1("dL/dy_hat", p.dyhat, -4.0, 1e-6, 0);
    dl_ck_close1("dL/dw2", p.dw2, -4.0, 1e-6, 0);
    dl_ck_close1("dL/dw1", p.dw1, -8.0, 1e-6, 0);
    HandNet n = HAND;
    n.w2 -= HAND_LR * p.dw2;
    dl_ck_close1("w2 after one step", n.w2, 1.4, 1e-6, 0);
    dl_ck_close1("y_hat after the w2 step", hand_pass(n).yhat, 1.4, 1e-6, 0);
    dl_ck_close1("loss after the w2 step", hand_pass(n).loss, 2.56, 1e-6, 0);
    n.w1 -= HAND_LR * p.dw1;   // w1 = 1.3, w2 = 1.4: ŷ = 1.4·relu(2.6) = 3.64
    dl_ck_close1("loss after stepping both weights", hand_pass(n).loss, 0.64 * 0.64, 1e-6, 0);
}
END_TEST

START_TEST(test_hand_example_scalar_tensor_and_finite_differences_agree)
{
    HandGrads s = hand_scalar_autograd(HAND), t = hand_tensor_autograd(HAND);
    HandGrads f = hand_finite_diff(HAND, 1e-5);
    const HandGrads *all[] = {&s, &t, &f};
    const char *who[] = {"scalar autograd", "tensor autograd", "finite differences"};
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(fabs(all[i]->loss - 4.0) < 1e-6, "%s: loss %.9g, want 4", who[i], all[i]->loss);
        ck_assert_msg(fabs(all[i]->dw1 + 8.0) < 1e-6, "%s: dL/dw1 %.9g, want -8", who[i], all[i]->dw1);
        ck_assert_msg(fabs(all[i]->dw2 + 4.0) < 1e-6, "%s: dL/dw2 %.9g, want -4", who[i], all[i]->dw2);
    }
}
END_TEST

// ---- 2. the scalar autograd ----

// f(a, b) = exp(tanh(a·b)) + relu(a)^3 - b²: every Value op at least once, a used twice.
static double scalar_f(double a, double b, double *da, double *db)
{
    Arena ar;
    arena_init(&ar, "scalar");
    Value *va = value(&ar, a), *vb = value(&ar, b);
    Value *f = value_sub(&ar,
                         value_add(&ar, value_exp(&ar, value_tanh(&ar, value_mul(&ar, va, vb))),
                                   value_pow(&ar, value_relu(&ar, va), 3.0)),
                         value_pow(&ar, vb, 2.0));
    value_backward(f);
    double out = f->data;
    if (da) *da = va->grad;
    if (db) *db = vb->grad;
    arena_free(&ar);
    return out;
}

START_TEST(test_scalar_autograd_matches_finite_differences)
{
    // Central differences on the double function: h = 1e-5, rel error < 1e-6 (STYLE §5).
    const double pts[][2] = {{0.7, -0.3}, {1.3, 0.4}, {-0.6, 1.1}};
    const double h = 1e-5;
    for (int i = 0; i < 3; i++) {
        double a = pts[i][0], b = pts[i][1], da, db;
        scalar_f(a, b, &da, &db);
        double na = (scalar_f(a + h, b, NULL, NULL) - scalar_f(a - h, b, NULL, NULL)) / (2 * h);
        double nb = (scalar_f(a, b + h, NULL, NULL) - scalar_f(a, b - h, NULL, NULL)) / (2 * h);
        double rel = sqrt((da - na) * (da - na) + (db - nb) * (db - nb)) /
                     (sqrt(da * da + db * db) + sqrt(na * na + nb * nb));
        ck_assert_msg(rel < 1e-6, "at (%g, %g): autograd (%.9g, %.9g) vs finite differences "
                      "(%.9g, %.9g): rel %.3g >= 1e-6", a, b, da, db, na, nb, rel);
    }
}
END_TEST

START_TEST(test_scalar_autograd_equals_tensor_autograd_on_tiny_net)
{
    TinyNetCheck r = tiny_net_check(42);
    dl_ck_close1("tiny net loss (tensor vs scalar)", r.loss_tensor, r.loss_scalar, 1e-6, 1e-6);
    const char *names[4] = {"w1", "b1", "w2", "b2"};
    for (int k = 0; k < 4; k++)
        ck_assert_msg(r.max_diff[k] < 1e-6, "tiny net: d%s differs between the scalar and the "
                      "tensor autograd by %.3g (limit 1e-6)", names[k], r.max_diff[k]);
}
END_TEST

// ---- 3. every op passes the gradient check ----

START_TEST(test_gradcheck_every_op)
{
    Rng rng;
    rng_seed(&rng, 42);
    for (int id = 0; id < OC_COUNT; id++) {
        GradcheckResult g = op_check_run((OpId)id, &rng);
        ck_assert_msg(g.rel_error < GC_TOL, "%s: rel error %.3g >= %g (autograd %.6g vs finite "
                      "difference %.6g at input %d [%d])", OP_CHECKS[id].name, g.rel_error, GC_TOL,
                      g.worst_analytic, g.worst_numeric, g.worst_input, g.worst_index);
    }
}
END_TEST

// ---- 4. the MLP ----

START_TEST(test_param_count_is_235146)
{
    static const int sizes[] = {784, 256, 128, 10};
    ck_assert_uint_eq(mlp_param_count(sizes, 4, false), 235146);
    Arena a;
    arena_init(&a, "params");
    Rng rng;
    rng_seed(&rng, 1);
    Params list;
    params_init(&list, &a);
    Mlp m;
    mlp_init(&m, &a, sizes, 4, INIT_HE_NORMAL, &rng, &list);
    ck_assert_uint_eq(params_count(&list), 235146);
    ck_assert_int_eq(list.n, 6);
    arena_free(&a);
}
END_TEST

// The fixture's MLP 6->5->4->3 with PyTorch's weights: loss, every dW, db and dx against
// torch in float64 (atol 1e-6, rtol 1e-5: these sums have <= 6 terms of size ~1, so float32
// rounding stays near 1e-7) and against torch in float32.
START_TEST(test_mlp_gradients_match_pytorch)
{
    static const int sizes[] = {6, 5, 4, 3};
    enum { B = 4 };
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Params list;
    params_init(&list, &params);
    Mlp m;
    mlp_init(&m, &params, sizes, 4, INIT_ZERO, NULL, &list);
    Tensor *x = tensor_param(&params, 2, (int[]){B, sizes[0]}, "x");
    float yf[B];
    int y[B];
    fixture_block(FIXTURE_MLP, "x", x->data, x->size);
    fixture_block(FIXTURE_MLP, "y", yf, B);
    for (int i = 0; i < B; i++) y[i] = (int)yf[i];
    for (int l = 0; l < 3; l++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", l + 1);
        fixture_block(FIXTURE_MLP, name, m.layers[l].w->data, m.layers[l].w->size);
        snprintf(name, sizeof name, "b%d", l + 1);
        fixture_block(FIXTURE_MLP, name, m.layers[l].b->data, m.layers[l].b->size);
    }
    params_zero_grad(&list);
    Tensor *loss = op_cross_entropy(&tp, mlp_forward(&tp, &m, x), y);
    tape_backward(&tp, loss);

    static const char *tags[] = {"f64", "f32"};
    for (int t = 0; t < 2; t++) {
        float want[64], got;
        char name[32];
        snprintf(name, sizeof name, "loss.%s", tags[t]);
        fixture_block(FIXTURE_MLP, name, want, 1);
        got = tensor_item(loss);
        dl_ck_close(name, &got, want, 1, 1e-6, 1e-5);
        for (int l = 0; l < 3; l++) {
            Tensor *p[2] = {m.layers[l].w, m.layers[l].b};
            const char *pn[2] = {"dw", "db"};
            for (int k = 0; k < 2; k++) {
                snprintf(name, sizeof name, "%s%d.%s", pn[k], l + 1, tags[t]);
                fixture_block(FIXTURE_MLP, name, want, p[k]->size);
                dl_ck_close(name, p[k]->grad, want, p[k]->size, 1e-6, 1e-5);
            }
        }
        snprintf(name, sizeof name, "dx.%s", tags[t]);
        fixture_block(FIXTURE_MLP, name, want, x->size);
        dl_ck_close(name, x->grad, want, x->size, 1e-6, 1e-5);
    }
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// ---- 5. the program: a golden --quick run and its error paths ----

// Every key of the golden file needs a tolerance (the last matching pattern wins). The
// sanitizer, portable and clang builds may pick another GEMM rung, i.e. another summation
// order: losses then agree to ~1e-4 relative, so rtol 1e-3; accuracies and per-class
// figures of the 1,000-image quick test set to ±0.5 point (one or two images); the gradient
// checks' relative errors are rounding-level numbers, held only to the pass limit 2e-3.
static const GoldenRule RULES[] = {
    {"", 0, 0},                                  // counts (params, epochs, steps): exact
    {"data_fashion", 0, 0},
    {"loss", 0, 1e-3},                           // the MLP's losses
    {"hand_", 1e-6, 0},                          // the lecture's numbers, in double (after
    {"hand_max_disagreement", 1e-6, 0},          //   "loss": hand_loss… are these, not MLP losses)
    {"tiny_net_max_grad_diff", 1e-6, 0},
    {"gradcheck_rel_", 2e-3, 0},
    {"_precision_c", 0.01, 0},
    {"_recall_c", 0.01, 0},
    {"_f1_c", 0.01, 0},
    {"macro_f1", 0.01, 0},
    {"acc_pct", 0.5, 0},
};

START_TEST(test_golden_quick_run_matches_reference)
{
    dl_check_golden_run(dl_chapter_bin("02_backprop"), "ch02", RULES, sizeof RULES / sizeof RULES[0], 60);
}
END_TEST

// Ctrl-C after step 50 of the MLP's 158 (inside epoch 1 of 2), then --resume: the same metrics.
START_TEST(test_interrupt_and_resume_give_the_uninterrupted_numbers)
{
    static const char *const TIMING[] = {"_s", "_ms", "_speedup"};   // wall-clock keys
    dl_check_interrupt_resume(dl_chapter_bin("02_backprop"), 50, TIMING, 3);
}
END_TEST

START_TEST(test_diverging_lr_dies_naming_nan_or_inf)
{
    char dir[64], cmd[512], out[8192];
    dl_tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "%s --quick --lr 1e9 --out %s --data data", dl_chapter_bin("02_backprop"), dir);
    int status = dl_run(cmd, out, sizeof out);
    ck_assert_msg(status != 0, "--lr 1e9 should stop with an error, got exit 0:\n%s", out);
    ck_assert_msg(strstr(out, "diverged") && (strstr(out, "NaN") || strstr(out, "Inf") ||
                                              strstr(out, "e+")),
                  "the message should say the run diverged and show the loss:\n%s", out);
    ck_assert_msg(strstr(out, "--lr"), "the message should suggest a lower --lr:\n%s", out);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_missing_data_says_make_data)
{
    dl_check_missing_data(dl_chapter_bin("02_backprop"));
}
END_TEST

START_TEST(test_unknown_flag_exits_2)
{
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "%s --no-such-flag", dl_chapter_bin("02_backprop"));
    int status = dl_run(cmd, out, sizeof out);
    ck_assert_msg(status == DL_EXIT_USAGE, "exit %d, want %d:\n%s", status, DL_EXIT_USAGE, out);
    ck_assert_msg(strstr(out, "--no-such-flag"), "the message should name the flag:\n%s", out);
}
END_TEST

static Suite *ch02_suite(void)
{
    Suite *s = suite_create("ch02_backprop");
    TCase *unit = tcase_create("unit");
    tcase_add_test(unit, test_hand_example_matches_the_lecture);
    tcase_add_test(unit, test_hand_example_scalar_tensor_and_finite_differences_agree);
    tcase_add_test(unit, test_scalar_autograd_matches_finite_differences);
    tcase_add_test(unit, test_scalar_autograd_equals_tensor_autograd_on_tiny_net);
    tcase_add_test(unit, test_gradcheck_every_op);
    tcase_add_test(unit, test_param_count_is_235146);
    tcase_add_test(unit, test_mlp_gradients_match_pytorch);
    suite_add_tcase(s, unit);
    // The program runs take seconds (minutes under the sanitizers): Check's default is 4 s.
    TCase *prog = tcase_create("program");
    tcase_set_timeout(prog, 600);
    tcase_add_test(prog, test_golden_quick_run_matches_reference);
    tcase_add_test(prog, test_interrupt_and_resume_give_the_uninterrupted_numbers);
    tcase_add_test(prog, test_diverging_lr_dies_naming_nan_or_inf);
    tcase_add_test(prog, test_missing_data_says_make_data);
    tcase_add_test(prog, test_unknown_flag_exits_2);
    suite_add_tcase(s, prog);
    return s;
}

DL_TEST_MAIN(ch02_suite)
