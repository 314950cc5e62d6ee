/* tests/test_ch01.c — chapter 1: the perceptron, the collapse of linear layers, the
 * activation derivatives, the dot/matvec ladder, and a golden --quick run of the program.
 *
 * The chapter is compiled in with NO_MAIN, so its static functions are tested directly.
 * Kernel tolerances:
 *  - integer inputs in [-3, 3]: every product and every partial sum is an integer of size
 *    <= 9·n < 2^24, so float arithmetic is exact in ANY summation order and every rung must
 *    equal v0 bit for bit (tolerance 0); a skipped or doubled element cannot hide;
 *  - U(-1, 1) inputs: rungs sum in different orders; compared with v0 at
 *    atol = 1e-5·sqrt(n) (STYLE.md §5, sums of n terms).
 * Golden run: tests/fixtures/golden_ch01_<data>.tsv (first line: the command that made it);
 * accuracies within ±0.5 percentage point, losses within rtol 1e-3 (gcc, clang and the
 * sanitizer build round alike thanks to -ffp-contract=off, but the GEMM rung may differ
 * between machines), epoch counts within ±1 (AVX2 and scalar dot products round
 * differently, which can move one perceptron update).
 */
#include "testutil.h"
#include "golden.h"

#define NO_MAIN
#include "../01_perceptron/perceptron.c"

#include <unistd.h>

// Sections that need MNIST or take seconds are covered by the golden run of the program.
__attribute__((unused)) static void covered_by_golden_run(void)
{
    (void)load_mnist;
    (void)section_mnist01;
    (void)section_softmax;
    (void)section_kernels;
    (void)run_bench;
}

// A Run whose plots and metrics go to a fresh temporary directory.
typedef struct TestRun {
    Cli cli;
    Metrics metrics;
    Run run;
    char dir[64];
} TestRun;

static TestRun *test_run_new(void)
{
    TestRun *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    if (!freopen("/dev/null", "w", stdout)) perror("freopen");   // the sections narrate
    dl_tmpdir(t->dir, sizeof t->dir);
    snprintf(t->cli.out_dir, sizeof t->cli.out_dir, "%s", t->dir);
    t->cli.seed = 42;
    metrics_init(&t->metrics, t->dir);
    t->run = (Run){.cli = &t->cli, .metrics = &t->metrics};
    arena_init(&t->run.params, "params");
    arena_init(&t->run.step, "step");
    tape_init(&t->run.tp, &t->run.step);
    return t;
}

static void test_run_free(TestRun *t)
{
    arena_free(&t->run.params);
    arena_free(&t->run.step);
    metrics_free(t->run.metrics);
    dl_rm_rf(t->dir);
    free(t);
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
    TestRun *t = test_run_new();
    for (uint64_t seed = 1; seed <= 5; seed++) {
        Rng r;
        rng_seed(&r, seed);
        Dataset d;
        dataset_blobs(&d, 200, 1.0f, &r);
        Perceptron p;
        perceptron_init(&p, &t->run.params, 2);
        int mistakes[50];
        int epochs = perceptron_train(&p, &d, 50, &r, mistakes);
        ck_assert_msg(mistakes[epochs - 1] == 0 && epochs <= 20,
                      "seed %d: perceptron not converged after %d epochs (%d mistakes in the "
                      "last); separable blobs with gap 1 should need <= 20", (int)seed, epochs,
                      mistakes[epochs - 1]);
        ck_assert_double_eq(binary_accuracy(&t->run, perceptron_forward, &p, &d), 1.0);
        dataset_free(&d);
    }
    test_run_free(t);
}
END_TEST

START_TEST(test_blobs_section_perceptron_and_logreg_separate)
{
    TestRun *t = test_run_new();
    section_blobs(&t->run);
    ck_assert_double_eq(metric(&t->metrics, "perceptron_blobs_acc"), 1.0);
    ck_assert_double_eq(metric(&t->metrics, "logreg_blobs_acc"), 1.0);
    ck_assert_double_lt(metric(&t->metrics, "logreg_blobs_loss"), 0.05);
    test_run_free(t);
}
END_TEST

START_TEST(test_perceptron_never_converges_on_xor)
{
    TestRun *t = test_run_new();
    Rng r;
    rng_seed(&r, 7);
    Dataset d;
    dataset_xor(&d, 200, 0.25f, &r);
    Perceptron p;
    perceptron_init(&p, &t->run.params, 2);
    int mistakes[50];
    int epochs = perceptron_train(&p, &d, 50, &r, mistakes);
    ck_assert_int_eq(epochs, 50);
    ck_assert_int_gt(mistakes[epochs - 1], 0);
    double acc = binary_accuracy(&t->run, perceptron_forward, &p, &d);
    ck_assert_msg(acc <= 0.8, "a line classifies XOR with accuracy %.3f > 0.8?", acc);
    dataset_free(&d);
    test_run_free(t);
}
END_TEST

START_TEST(test_mlp_solves_xor)
{
    TestRun *t = test_run_new();
    section_xor(&t->run);
    ck_assert_double_eq(metric(&t->metrics, "xor_mlp_acc"), 1.0);
    ck_assert_double_le(metric(&t->metrics, "xor_logreg_acc"), 0.8);
    test_run_free(t);
}
END_TEST

// ---- collapse and activations ----

START_TEST(test_linear_layers_collapse_to_one)
{
    TestRun *t = test_run_new();
    section_collapse(&t->run);
    // Outputs are O(1): a few float32 roundings, ~1e-7 each.
    ck_assert_double_lt(metric(&t->metrics, "collapse_max_err"), 1e-5);
    ck_assert_double_lt(metric(&t->metrics, "collapse_affine_err"), 1e-5);
    ck_assert_double_gt(metric(&t->metrics, "collapse_relu_max_err"), 0.1);
    ck_assert_double_gt(metric(&t->metrics, "collapse_relu_affine_err"), 0.1);
    test_run_free(t);
}
END_TEST

START_TEST(test_activation_grads_match_closed_forms)
{
    TestRun *t = test_run_new();
    section_activations(&t->run);
    // Derivatives are <= 1.13 in size: float32 evaluation errs by a few ulps, ~1e-7.
    ck_assert_double_lt(metric(&t->metrics, "act_grad_max_diff"), 1e-6);
    test_run_free(t);
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

START_TEST(test_dot_rungs_equal_naive_exactly_on_integers_awkward_sizes)
{
    threads_set(2);   // v3 must give the same result whatever the thread count
    Rng r;
    rng_seed(&r, 11);
    for (int k = 0; k < N_AWKWARD; k++) {
        size_t n = AWKWARD[k];
        float *a = int_floats(n, &r), *b = int_floats(n, &r);
        float want = dot_naive(a, b, n);
        for (int v = 1; v < N_VEC_IMPLS; v++) {
            if (!VEC_IMPLS[v].available()) continue;
            char what[64];
            snprintf(what, sizeof what, "%s dot, n=%zu", VEC_IMPLS[v].name, n);
            float got = VEC_IMPLS[v].dot(a, b, n);
            dl_ck_close(what, &got, &want, 1, 0.0, 0.0);
        }
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_dot_rungs_match_naive_random_awkward_sizes)
{
    Rng r;
    rng_seed(&r, 12);
    for (int k = 0; k < N_AWKWARD; k++) {
        size_t n = AWKWARD[k];
        float *a = random_floats(n, &r), *b = random_floats(n, &r);
        float want = dot_naive(a, b, n);
        for (int v = 1; v < N_VEC_IMPLS; v++) {
            if (!VEC_IMPLS[v].available()) continue;
            char what[64];
            snprintf(what, sizeof what, "%s dot, n=%zu", VEC_IMPLS[v].name, n);
            float got = VEC_IMPLS[v].dot(a, b, n);
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
    Rng r;
    rng_seed(&r, 13);
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        int M = SHAPES[s][0], N = SHAPES[s][1];
        float *A = int_floats((size_t)M * N, &r), *x = int_floats((size_t)N, &r);
        float *want = malloc((size_t)M * sizeof *want), *got = malloc((size_t)M * sizeof *got);
        ck_assert(want && got);
        matvec_naive(A, x, want, M, N);
        for (int v = 1; v < N_VEC_IMPLS; v++) {
            if (!VEC_IMPLS[v].available()) continue;
            char what[64];
            snprintf(what, sizeof what, "%s matvec, %dx%d", VEC_IMPLS[v].name, M, N);
            memset(got, 0xff, (size_t)M * sizeof *got);   // NaN: an unwritten row fails
            VEC_IMPLS[v].matvec(A, x, got, M, N);
            dl_ck_close(what, got, want, (size_t)M, 0.0, 0.0);
        }
        free(A);
        free(x);
        free(want);
        free(got);
    }
}
END_TEST

// ---- golden run of the program ----

#define CHAPTER_BIN dl_chapter_bin("01_perceptron")

static const GoldenRule RULES[] = {
    {"_acc", 0.005, 0.0},   // accuracies: ±0.5 percentage point
    {"loss", 0.0, 1e-3},    // losses: relative 1e-3
    {"_epochs", 1.0, 0.0},  // epoch counts: ±1
};

START_TEST(test_quick_run_matches_golden)
{
    dl_check_golden_run(CHAPTER_BIN, "ch01", RULES, sizeof RULES / sizeof RULES[0], 10);
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
    tcase_add_test(units, test_linear_layers_collapse_to_one);
    tcase_add_test(units, test_activation_grads_match_closed_forms);
    tcase_add_test(units, test_dot_rungs_equal_naive_exactly_on_integers_awkward_sizes);
    tcase_add_test(units, test_dot_rungs_match_naive_random_awkward_sizes);
    tcase_add_test(units, test_matvec_rungs_equal_naive_exactly_awkward_shapes);
    suite_add_tcase(s, units);
    TCase *golden = tcase_create("golden");
    tcase_set_timeout(golden, 600);   // the sanitizer build on a busy 2-core machine
    tcase_add_test(golden, test_quick_run_matches_golden);
    tcase_add_test(golden, test_unknown_flag_exits_2_with_message);
    tcase_add_test(golden, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, golden);
    return s;
}

DL_TEST_MAIN(ch01_suite)
