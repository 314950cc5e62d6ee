/* tests/test_ch01.c — chapter 1: the perceptron, the binary models on the library's training
 * loop, the collapse of linear layers, the activation derivatives, the dot/matvec ladder, and a
 * golden --quick run of the program (with Ctrl-C and --resume).
 *
 * The chapter is compiled in with NO_MAIN (perceptron.c, dot.c and bench.c are #included), so
 * its static functions are tested directly.
 * Kernel tolerances:
 *  - integer inputs in [-3, 3]: every product and every partial sum is an integer of size
 *    <= 9·n < 2^24, so float arithmetic is exact in ANY summation order and every rung must
 *    equal v0 bit for bit (tolerance 0); a skipped or doubled element cannot hide;
 *  - U(-1, 1) inputs: rungs sum in different orders; compared with v0 at
 *    atol = 1e-5·sqrt(n) (STYLE.md §5, sums of n terms).
 * Golden run: tests/fixtures/golden_ch01_<data>.tsv (scripts/make_golden.sh 01_perceptron ch01;
 * its first line is the command). Tolerances, by key (RULES below): counts exact but the
 * perceptron's epochs ±1 (the dot rung in use — AVX2 or not — rounds its sums differently,
 * which can move one update); accuracies ±0.5 percentage point; losses rtol 1e-3 (the GEMM
 * rung differs between machines: AVX-512, AVX2, portable); the rounding-level errors of
 * sections 4 and 5 within 1e-6 / 1e-7 (they claim "float32 rounding"), the O(1) ones rtol 1e-4.
 */
#include "testutil.h"
#include "golden.h"

#define NO_MAIN
#include "../01_perceptron/perceptron.c"
#include "../01_perceptron/dot.c"
#include "../01_perceptron/bench.c"

#include <unistd.h>

// Sections that need MNIST or take seconds are covered by the golden run of the program.
__attribute__((unused)) static void covered_by_golden_run(void)
{
    (void)section_mnist01;
    (void)section_softmax;
    (void)section_kernels;
}

// A Chapter whose plots and metrics go to a fresh temporary directory (no checkpoints: no
// --save or --resume).
static Chapter *test_chapter_new(void)
{
    Chapter *ch = calloc(1, sizeof *ch);
    ck_assert_ptr_nonnull(ch);
    if (!freopen("/dev/null", "w", stdout)) perror("freopen");   // the sections narrate
    ch->name = "01_perceptron";
    dl_tmpdir(ch->cli.out_dir, sizeof ch->cli.out_dir);
    ch->cli.seed = 42;
    metrics_init(&ch->metrics, ch->cli.out_dir);
    return ch;
}

static void test_chapter_free(Chapter *ch)
{
    metrics_free(&ch->metrics);
    dl_rm_rf(ch->cli.out_dir);
    free(ch);
}

static double metric(const Metrics *m, const char *key)
{
    double v = NAN;
    ck_assert_msg(metrics_get(m, key, &v), "metric '%s' was not set", key);
    return v;
}

// ---- perceptron ----

START_TEST(test_perceptron_converges_on_blobs)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        Rng r;
        rng_seed(&r, seed);
        Dataset d;
        dataset_blobs(&d, 200, 1.0f, &r);
        BinaryModel pm;
        int mistakes[50];
        int epochs = perceptron_fit(&pm, "test", &d, 50, &r, mistakes);
        ck_assert_msg(mistakes[epochs - 1] == 0 && epochs <= 20,
                      "seed %d: perceptron not converged after %d epochs (%d mistakes in the "
                      "last); separable blobs with gap 1 should need <= 20", (int)seed, epochs,
                      mistakes[epochs - 1]);
        ck_assert_double_eq(binary_acc_pct(&pm, &d), 100.0);
        model_free(&pm.m);
        dataset_free(&d);
    }
}
END_TEST

START_TEST(test_blobs_section_perceptron_and_logreg_separate)
{
    Chapter *ch = test_chapter_new();
    section_blobs(ch);
    ck_assert_double_eq(metric(&ch->metrics, "blobs_perceptron_acc_pct"), 100.0);
    ck_assert_double_eq(metric(&ch->metrics, "blobs_logreg_acc_pct"), 100.0);
    ck_assert_double_lt(metric(&ch->metrics, "blobs_logreg_loss"), 0.05);
    test_chapter_free(ch);
}
END_TEST

START_TEST(test_perceptron_never_converges_on_xor)
{
    Rng r;
    rng_seed(&r, 7);
    Dataset d;
    dataset_xor(&d, 200, 0.25f, &r);
    BinaryModel pm;
    int mistakes[50];
    int epochs = perceptron_fit(&pm, "test", &d, 50, &r, mistakes);
    ck_assert_int_eq(epochs, 50);
    ck_assert_int_gt(mistakes[epochs - 1], 0);
    double acc = binary_acc_pct(&pm, &d);
    ck_assert_msg(acc <= 80.0, "a line classifies XOR with accuracy %.1f%% > 80%%?", acc);
    model_free(&pm.m);
    dataset_free(&d);
}
END_TEST

START_TEST(test_mlp_solves_xor)
{
    Chapter *ch = test_chapter_new();
    section_xor(ch);
    ck_assert_double_eq(metric(&ch->metrics, "xor_mlp_acc_pct"), 100.0);
    ck_assert_double_le(metric(&ch->metrics, "xor_logreg_acc_pct"), 80.0);
    test_chapter_free(ch);
}
END_TEST

// ---- the binary models on the library's loop and evaluation ----

// binary_fit (train_run: full batch in order, OPT_SGD) must take exactly the steps of the
// plain loop the chapter used to have: zero grads, BCE of σ(x·w + b), backward, sgd_step.
START_TEST(test_binary_fit_takes_the_plain_gradient_descent_steps)
{
    enum { STEPS = 50 };
    Chapter *ch = test_chapter_new();
    Rng r;
    rng_seed(&r, 3);
    Dataset d;
    dataset_moons(&d, 100, 0.2f, &r);
    // the library's loop
    BinaryModel bm;
    Linear *l = binary_init(&bm, "test_logreg", logreg_score, sizeof *l);
    linear_init(l, &bm.m.params, 2, 1, INIT_XAVIER_UNIFORM, &r, &bm.m.p);
    // the same start, by hand
    Model ref;
    model_init(&ref, "ref");
    Linear lr_ref;
    linear_init(&lr_ref, &ref.params, 2, 1, INIT_ZERO, NULL, &ref.p);
    memcpy(lr_ref.w->data, l->w->data, 2 * sizeof(float));
    lr_ref.b->data[0] = l->b->data[0];
    float loss = binary_fit(ch, &bm, &d, STEPS, 0.5f, &r);

    Tensor *y = tensor_2d(&ref.params, d.n, 1);
    for (int i = 0; i < d.n; i++) y->data[i] = (float)d.y[i];
    Tensor x = {.ndim = 2, .shape = {d.n, 2}, .size = (size_t)d.n * 2, .data = d.x};
    float loss_ref = 0;
    for (int s = 0; s < STEPS; s++) {
        params_zero_grad(&ref.p);
        Tensor *bce = op_bce(&ref.tp, op_sigmoid(&ref.tp, linear_forward(&ref.tp, &lr_ref, &x)), y);
        loss_ref = tensor_item(bce);
        tape_backward(&ref.tp, bce);
        sgd_step(&ref.p, 0.5f);
        tape_reset(&ref.tp);
    }
    dl_ck_close1("last loss", loss, loss_ref, 0.0, 0.0);
    dl_ck_close("w", l->w->data, lr_ref.w->data, 2, 0.0, 0.0);
    dl_ck_close1("b", l->b->data[0], lr_ref.b->data[0], 0.0, 0.0);
    model_free(&ref);
    model_free(&bm.m);
    dataset_free(&d);
    test_chapter_free(ch);
}
END_TEST

// The two-logit view (0, z): eval_classifier's arg-max is the class of σ(z) > 0.5 and its
// cross-entropy is the BCE of σ(z).
START_TEST(test_two_logit_view_scores_like_the_probability)
{
    Rng r;
    rng_seed(&r, 5);
    Dataset d;
    dataset_xor(&d, 300, 0.25f, &r);
    BinaryModel bm;
    Mlp *m = binary_init(&bm, "test_mlp", mlp_score, sizeof *m);
    linear_init(&m->l1, &bm.m.params, 2, 8, INIT_XAVIER_UNIFORM, &r, &bm.m.p);
    linear_init(&m->l2, &bm.m.params, 8, 1, INIT_XAVIER_UNIFORM, &r, &bm.m.p);
    ClassifierEval e;
    eval_classifier(&bm.m, &bm, binary_logits, &d, d.n, false, &e);

    Tape *tp = &bm.m.tp;
    tape_set_recording(tp, false);
    Batch b = {.B = d.n, .dim = 2, .x = d.x, .y = d.y};
    Tensor *p = op_sigmoid(tp, mlp_score(m, tp, &b, false, NULL));
    Tensor *y = tensor_2d(tp->arena, d.n, 1);
    int correct = 0;
    for (int i = 0; i < d.n; i++) {
        y->data[i] = (float)d.y[i];
        correct += (p->data[i] > 0.5f) == (d.y[i] == 1);
    }
    double bce = tensor_item(op_bce(tp, p, y));
    tape_reset(tp);
    ck_assert_msg(correct > d.n / 5 && correct < d.n, "the untrained MLP should get some "
                  "but not all right (%d of %d): the comparison would be weak", correct, d.n);
    dl_ck_close1("accuracy (%)", e.acc_pct, 100.0 * correct / d.n, 0.0, 0.0);
    dl_ck_close1("loss", e.loss, bce, 1e-6, 1e-5);
    model_free(&bm.m);
    dataset_free(&d);
}
END_TEST

// ---- collapse and activations ----

START_TEST(test_linear_layers_collapse_to_one)
{
    Chapter *ch = test_chapter_new();
    section_collapse(ch);
    // Outputs are O(1): a few float32 roundings, ~1e-7 each.
    ck_assert_double_lt(metric(&ch->metrics, "collapse_max_err"), 1e-5);
    ck_assert_double_lt(metric(&ch->metrics, "collapse_affine_err"), 1e-5);
    ck_assert_double_gt(metric(&ch->metrics, "collapse_relu_max_err"), 0.1);
    ck_assert_double_gt(metric(&ch->metrics, "collapse_relu_affine_err"), 0.1);
    test_chapter_free(ch);
}
END_TEST

START_TEST(test_activation_grads_match_closed_forms)
{
    Chapter *ch = test_chapter_new();
    section_activations(ch);
    // Derivatives are <= 1.13 in size: float32 evaluation errs by a few ulps, ~1e-7.
    ck_assert_double_lt(metric(&ch->metrics, "act_grad_max_diff"), 1e-6);
    test_chapter_free(ch);
}
END_TEST

// ---- dot / matvec ladder ----

static const size_t AWKWARD[] = {1, 7, 33, 65, 1000003};
enum { N_AWKWARD = sizeof AWKWARD / sizeof AWKWARD[0] };

static float *int_floats(size_t n, Rng *r)
{
    float *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++) v[i] = (float)rng_below(r, 7) - 3.0f;   // in [-3, 3]
    return v;
}

// Every rung of the ladder but v0 that this CPU runs, in order; returns how many.
static int fast_rungs(const KernelRung **out)
{
    const KernelRung *naive = ladder_find(&DOT_LADDER, "naive");
    int n = 0;
    for (int i = 0; i < DOT_LADDER.n_rungs; i++)
        if (&DOT_LADDER.rungs[i] != naive && rung_available(&DOT_LADDER.rungs[i]))
            out[n++] = &DOT_LADDER.rungs[i];
    ck_assert_msg(n >= 2, "the dot ladder should have at least v1_unroll4 and v3_threads");
    return n;
}

START_TEST(test_dot_rungs_equal_naive_exactly_on_integers_awkward_sizes)
{
    threads_set(2);   // v3 must give the same result whatever the thread count
    const KernelRung *rungs[8];
    int nr = fast_rungs(rungs);
    Rng r;
    rng_seed(&r, 11);
    for (int k = 0; k < N_AWKWARD; k++) {
        size_t n = AWKWARD[k];
        float *a = int_floats(n, &r), *b = int_floats(n, &r);
        float want = dot_naive(a, b, n);
        for (int v = 0; v < nr; v++) {
            char what[64];
            snprintf(what, sizeof what, "%s dot, n=%zu", rungs[v]->name, n);
            float got = vec_impl(rungs[v])->dot(a, b, n);
            dl_ck_close(what, &got, &want, 1, 0.0, 0.0);
        }
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_dot_rungs_match_naive_random_awkward_sizes)
{
    const KernelRung *rungs[8];
    int nr = fast_rungs(rungs);
    Rng r;
    rng_seed(&r, 12);
    for (int k = 0; k < N_AWKWARD; k++) {
        size_t n = AWKWARD[k];
        float *a = random_floats(n, &r), *b = random_floats(n, &r);
        float want = dot_naive(a, b, n);
        for (int v = 0; v < nr; v++) {
            char what[64];
            snprintf(what, sizeof what, "%s dot, n=%zu", rungs[v]->name, n);
            float got = vec_impl(rungs[v])->dot(a, b, n);
            dl_ck_close(what, &got, &want, 1, 1e-5 * sqrt((double)n), DL_RTOL);
        }
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_matvec_rungs_equal_naive_exactly_awkward_shapes)
{
    threads_set(2);
    // The last shape has > MATVEC_MIN_PARALLEL elements, so v3 really uses threads.
    static const int SHAPES[][2] = {{1, 1}, {7, 33}, {33, 65}, {65, 7}, {1, 1000003},
                                    {1031, 1033}};
    const KernelRung *rungs[8];
    int nr = fast_rungs(rungs);
    Rng r;
    rng_seed(&r, 13);
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        int M = SHAPES[s][0], N = SHAPES[s][1];
        float *A = int_floats((size_t)M * N, &r), *x = int_floats((size_t)N, &r);
        float *want = malloc((size_t)M * sizeof *want), *got = malloc((size_t)M * sizeof *got);
        ck_assert(want && got);
        matvec_naive(A, x, want, M, N);
        for (int v = 0; v < nr; v++) {
            char what[64];
            snprintf(what, sizeof what, "%s matvec, %dx%d", rungs[v]->name, M, N);
            memset(got, 0xff, (size_t)M * sizeof *got);   // NaN: an unwritten row fails
            vec_impl(rungs[v])->matvec(A, x, got, M, N);
            dl_ck_close(what, got, want, (size_t)M, 0.0, 0.0);
        }
        free(A);
        free(x);
        free(want);
        free(got);
    }
}
END_TEST

// --kernel dot=RUNG picks what the perceptron's dot() calls, by name; "auto" is v3_threads.
START_TEST(test_dot_ladder_is_selected_by_name)
{
    static float a[37], b[37];
    for (int i = 0; i < 37; i++) a[i] = b[i] = 1.0f / (float)(i + 1);   // rounding differs by rung
    if (!kernels_ladder("dot")) kernels_register(&DOT_LADDER);   // main() does, before the flags
    char err[256];
    ck_assert_msg(kernels_select("dot=v1_unroll4", err, sizeof err), "%s", err);
    ck_assert_str_eq(ladder_selected(&DOT_LADDER)->name, "v1_unroll4");
    ck_assert(dot(a, b, 37) == dot_unroll4(a, b, 37));
    ck_assert(kernels_select("naive", err, sizeof err));
    ck_assert_str_eq(ladder_selected(&DOT_LADDER)->name, "v0_naive");
    ck_assert(dot(a, b, 37) == dot_naive(a, b, 37));
    ck_assert(kernels_select("auto", err, sizeof err));
    ck_assert_str_eq(ladder_selected(&DOT_LADDER)->name, "v3_threads");
    ck_assert(!kernels_select("dot=v9_quantum", err, sizeof err));
    ck_assert_msg(strstr(err, "v1_unroll4"), "the message should list the rungs: %s", err);
}
END_TEST

// ---- golden run of the program ----

#define CHAPTER_BIN dl_chapter_bin("01_perceptron")

// The tolerance of a key is that of the LAST rule whose pattern it contains (golden.h).
static const GoldenRule RULES[] = {
    {"", 0, 0},                       // counts and flags (data_fashion): exact
    {"_epochs", 1, 0},                // perceptron epochs: ±1 (the dot rung's rounding)
    {"loss", 0, 1e-3},                // losses, nats: rtol 1e-3 (the GEMM rung's rounding)
    {"acc_pct", 0.5, 0},              // accuracies: ±0.5 percentage point
    {"collapse_", 0, 1e-4},           // the O(1) residuals with a ReLU in between
    {"collapse_max_err", 1e-6, 0},    // linear∘linear: float32 rounding (~2e-7)
    {"collapse_affine_err", 1e-6, 0},
    {"act_", 1e-7, 0},                // |autograd − closed form|, ~1e-7
};

START_TEST(test_quick_run_matches_golden)
{
    dl_check_golden_run(CHAPTER_BIN, "ch01", RULES, sizeof RULES / sizeof RULES[0], 40);
}
END_TEST

// Ctrl-C, then --resume: the same metrics as an uninterrupted run. The --quick run takes
// 2800 full-batch steps (blobs logreg 300, XOR logreg 500, XOR MLP 1000, moons MLP 1000), then
// the main run's 160 (5 epochs of 32): step 2880 is in the middle of its epoch 3; step 150 is
// half-way through the first run (each of its "epochs" is one full-batch step).
START_TEST(test_interrupt_and_resume_give_the_uninterrupted_numbers)
{
    static const char *const TIMING[] = {"^time_", "_gbs", "_speedup"};   // wall-clock keys
    dl_check_interrupt_resume(CHAPTER_BIN, 2880, TIMING, 3);
    dl_check_interrupt_resume(CHAPTER_BIN, 150, TIMING, 3);
}
END_TEST

START_TEST(test_unknown_flag_exits_2_with_message)
{
    char out[4096];
    int status = dl_run(CHAPTER_BIN " --frobnicate", out, sizeof out);
    ck_assert_int_eq(status, 2);
    ck_assert_msg(strstr(out, "--frobnicate"), "message does not name the flag:\n%s", out);
}
END_TEST

START_TEST(test_unknown_dot_rung_exits_2_listing_the_rungs)
{
    char out[4096];
    int status = dl_run(CHAPTER_BIN " --kernel dot=v7", out, sizeof out);
    ck_assert_int_eq(status, 2);
    ck_assert_msg(strstr(out, "dot=v7") && strstr(out, "v0_naive") && strstr(out, "v3_threads"),
                  "the message should name the spec and the dot rungs:\n%s", out);
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch01_suite(void)
{
    Suite *s = suite_create("ch01_perceptron");
    TCase *units = tcase_create("units");
    tcase_set_timeout(units, 120);
    tcase_add_test(units, test_perceptron_converges_on_blobs);
    tcase_add_test(units, test_blobs_section_perceptron_and_logreg_separate);
    tcase_add_test(units, test_perceptron_never_converges_on_xor);
    tcase_add_test(units, test_mlp_solves_xor);
    tcase_add_test(units, test_binary_fit_takes_the_plain_gradient_descent_steps);
    tcase_add_test(units, test_two_logit_view_scores_like_the_probability);
    tcase_add_test(units, test_linear_layers_collapse_to_one);
    tcase_add_test(units, test_activation_grads_match_closed_forms);
    tcase_add_test(units, test_dot_rungs_equal_naive_exactly_on_integers_awkward_sizes);
    tcase_add_test(units, test_dot_rungs_match_naive_random_awkward_sizes);
    tcase_add_test(units, test_matvec_rungs_equal_naive_exactly_awkward_shapes);
    tcase_add_test(units, test_dot_ladder_is_selected_by_name);
    suite_add_tcase(s, units);
    TCase *golden = tcase_create("golden");
    tcase_set_timeout(golden, 600);   // the sanitizer build on a busy 2-core machine
    tcase_add_test(golden, test_quick_run_matches_golden);
    tcase_add_test(golden, test_interrupt_and_resume_give_the_uninterrupted_numbers);
    tcase_add_test(golden, test_unknown_flag_exits_2_with_message);
    tcase_add_test(golden, test_unknown_dot_rung_exits_2_listing_the_rungs);
    tcase_add_test(golden, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, golden);
    return s;
}

DL_TEST_MAIN(ch01_suite)
