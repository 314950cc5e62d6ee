/* tests/test_grader.c — the grader (scripts/grader.c) works both ways.
 * Claims: the reference solutions of chapters 01 to 08 score full marks (and compile with
 * -Werror); the untouched stubs score 0 without upsetting the grader; each deliberately broken
 * solution in tests/fixtures/grader/ is reported with its own status (crash, timeout, memory,
 * NaN, wrong value, too slow, compile error, early exit) while the exercises next to it keep
 * their points; the reference outputs of chapters 5 to 8 agree with their independent references
 * (PyTorch, numpy, finite differences, the driver's float64 definition); a fresh student edition has no
 * solutions and its grader still works.
 * Each case runs the real grader binary (GRADER_BIN, passed in by grade.mk) and reads the
 * grade.tsv it writes into a temporary folder. Broken fixtures run with --timeout 2.
 */
#include <unistd.h>

#include "testutil.h"

#ifndef GRADER_BIN
#define GRADER_BIN "build/default/grader"
#endif
#define FX "tests/fixtures/grader/"

static char out_[1 << 16];

// Run the grader with `args`, reports into a fresh temp dir (returned in dir); returns the status.
static int grade(char *dir, size_t dirlen, const char *args)
{
    dl_tmpdir(dir, dirlen);
    char cmd[1536];
    snprintf(cmd, sizeof cmd, "%s --report-dir %s/rep %s", GRADER_BIN, dir, args);
    int st = dl_run(cmd, out_, sizeof out_);
    if (getenv("DL_TEST_VERBOSE")) printf("$ %s\n%s\n", cmd, out_);   // the grader's report
    return st;
}

// Field `col` (0-based) of the row for `exercise` in <dir>/rep/<chapter>/grade.tsv, into buf.
static const char *cell(const char *dir, const char *chapter, const char *exercise, int col, char *buf,
                        size_t len)
{
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/rep/%s/grade.tsv", dir, chapter);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "the grader wrote no %s", path);
    buf[0] = '\0';
    size_t n = strlen(exercise);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, exercise, n) || line[n] != '\t') continue;
        line[strcspn(line, "\n")] = '\0';
        char *p = line;
        for (int c = 0; c < col && p; c++) { p = strchr(p, '\t'); if (p) p++; }
        ck_assert_msg(p != NULL, "%s: row %s has no column %d", path, exercise, col);
        size_t k = strcspn(p, "\t");
        snprintf(buf, len, "%.*s", (int)k, p);
        break;
    }
    fclose(f);
    ck_assert_msg(buf[0] || col == 4, "%s: no row for %s", path, exercise);
    return buf;
}

static void expect_status(const char *dir, const char *chapter, const char *exercise, const char *want)
{
    char got[128];
    cell(dir, chapter, exercise, 3, got, sizeof got);
    ck_assert_msg(strncmp(got, want, strlen(want)) == 0,
                  "%s %s: status '%s', expected '%s'; the grader's report:\n%s", chapter, exercise,
                  got, want, out_);
}

static void expect_total(const char *dir, const char *chapter, int points, int max)
{
    char p[32], m[32];
    cell(dir, chapter, "total", 1, p, sizeof p);
    cell(dir, chapter, "total", 2, m, sizeof m);
    ck_assert_msg(atoi(p) == points && (max < 0 || atoi(m) == max), "%s: total %s/%s, expected %d/%d",
                  chapter, p, m, points, max);
}

START_TEST(test_grader_reference_solutions_score_full_marks)
{
    char dir[64], max[32];
    ck_assert_int_eq(grade(dir, sizeof dir, "--solutions --strict 1 2 3 4 5 6 7 8"), 0);
    const char *ch[] = {"01_perceptron", "02_backprop", "03_optimizers", "04_cnn", "05_rnn_lstm",
                        "06_embeddings", "07_transformer", "08_scaling"};
    for (int i = 0; i < 8; i++) {
        cell(dir, ch[i], "total", 2, max, sizeof max);
        ck_assert_msg(atoi(max) > 0, "%s: no points to score", ch[i]);
        expect_total(dir, ch[i], atoi(max), atoi(max));
    }
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_grader_untouched_stubs_score_zero)
{
    char dir[64];
    // (Fails if you have started the exercises in this checkout: it grades exercises/.)
    ck_assert_int_eq(grade(dir, sizeof dir, "--strict 1 2 3 4 5 6 7 8"), 0);
    expect_total(dir, "01_perceptron", 0, -1);
    expect_total(dir, "02_backprop", 0, -1);
    expect_total(dir, "03_optimizers", 0, -1);
    expect_total(dir, "04_cnn", 0, -1);
    expect_status(dir, "01_perceptron", "ex1_sigmoid", "not implemented");
    expect_status(dir, "02_backprop", "ex4_gemm_blocked", "not implemented");
    expect_status(dir, "02_backprop", "q1", "not answered");
    expect_status(dir, "03_optimizers", "ex2_adam_bias_correction", "not implemented");
    expect_status(dir, "03_optimizers", "q6", "not answered");
    expect_status(dir, "04_cnn", "ex4_conv_speed", "not implemented");
    expect_status(dir, "04_cnn", "q6", "not answered");
    expect_total(dir, "05_rnn_lstm", 0, -1);
    expect_status(dir, "05_rnn_lstm", "ex3_lstm_cell", "not implemented");
    expect_status(dir, "05_rnn_lstm", "ex4_clip_grad_norm", "not implemented");
    expect_status(dir, "05_rnn_lstm", "q8", "not answered");
    expect_total(dir, "06_embeddings", 0, -1);
    expect_status(dir, "06_embeddings", "ex1_tfidf", "not implemented");
    expect_status(dir, "06_embeddings", "ex3_cosine_analogy", "not implemented");
    expect_status(dir, "06_embeddings", "ex4_subword_ngrams", "not implemented");
    expect_status(dir, "06_embeddings", "q7", "not answered");
    expect_total(dir, "07_transformer", 0, -1);
    expect_status(dir, "07_transformer", "ex1_attention", "not implemented");
    expect_status(dir, "07_transformer", "ex4_bpe_merge", "not implemented");
    expect_status(dir, "07_transformer", "q7", "not answered");
    expect_total(dir, "08_scaling", 0, -1);
    expect_status(dir, "08_scaling", "ex1_power_law", "not implemented");
    expect_status(dir, "08_scaling", "ex4_ring_allreduce", "not implemented");
    expect_status(dir, "08_scaling", "q7", "not answered");
    ck_assert_msg(strstr(out_, "TOTAL: 0/"), "no grand total in the report");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_grader_reports_crash_timeout_nan_junk_and_bad_answers_ch01)
{
    char dir[64];
    ck_assert_int_eq(grade(dir, sizeof dir, "--solutions --timeout 2"
                           " --file ex1_sigmoid=" FX "ch01_ex1_nan.c"
                           " --file ex2_perceptron_update=" FX "ch01_ex2_segfault.c"
                           " --file ex3_dot_unrolled=" FX "ch01_ex3_infinite_loop.c"
                           " --file ex4_softmax_xent=" FX "ch01_ex4_junk_output.c"
                           " --file answers=" FX "ch01_answers_bad.txt 1"), 0);
    const char *ch = "01_perceptron";
    expect_status(dir, ch, "ex1_sigmoid", "produced NaN");
    expect_status(dir, ch, "ex2_perceptron_update", "crashed (SIGSEGV)");
    expect_status(dir, ch, "ex3_dot_unrolled", "timed out after 2 s");
    expect_status(dir, ch, "ex4_softmax_xent", "PASS");     // 20 MB of junk, right values
    expect_status(dir, ch, "q1", "PASS");
    expect_status(dir, ch, "q2", "wrong answer");
    expect_status(dir, ch, "q3", "not a number");
    expect_status(dir, ch, "q4", "not answered");
    expect_status(dir, ch, "q5", "PASS");                   // 2.3026 vs ln 10, rtol 1e-3
    expect_total(dir, ch, 3 + 1 + 1, -1);
    ck_assert_msg(strstr(out_, "hint: read 01_perceptron/README.md"), "no hint in the report");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_grader_reports_early_exit_and_division_by_zero_ch01)
{
    char dir[64];
    ck_assert_int_eq(grade(dir, sizeof dir, "--solutions --timeout 2"
                           " --only ex1_sigmoid,ex2_perceptron_update,ex4_softmax_xent"
                           " --file ex1_sigmoid=" FX "ch01_ex1_exit_early.c"
                           " --file ex2_perceptron_update=" FX "ch01_ex2_divide_by_zero.c 1"), 0);
    const char *ch = "01_perceptron";
    expect_status(dir, ch, "ex1_sigmoid", "stopped early");
#if defined(__x86_64__) || defined(__i386__)
    expect_status(dir, ch, "ex2_perceptron_update", "crashed (SIGFPE)");
#else
    expect_total(dir, ch, 3, 8);   // (integer division by zero does not trap on every CPU)
#endif
    expect_status(dir, ch, "ex4_softmax_xent", "PASS");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_grader_reports_compile_error_memory_tolerance_and_speed_ch02)
{
    char dir[64];
    ck_assert_int_eq(grade(dir, sizeof dir, "--solutions --timeout 2"
                           " --file ex1_hand_backprop=" FX "ch02_ex1_compile_error.c"
                           " --file ex2_relu_backward=" FX "ch02_ex2_memory_bomb.c"
                           " --file ex3_linear_backward=" FX "ch02_ex3_off_by_tolerance.c"
                           " --file ex4_gemm_blocked=" FX "ch02_ex4_slow.c 2"), 0);
    const char *ch = "02_backprop";
    expect_status(dir, ch, "ex1_hand_backprop", "does not compile");
    expect_status(dir, ch, "ex2_relu_backward", "out of memory (limit 256 MiB)");
    expect_status(dir, ch, "ex3_linear_backward", "wrong value");
    expect_status(dir, ch, "ex4_gemm_blocked", "too slow");
    expect_status(dir, ch, "ex5_mlp_step", "PASS");
    expect_total(dir, ch, 3 + 5, 20);
    // The first mismatch is shown with its index, both values and the tolerance.
    ck_assert_msg(strstr(out_, "first mismatch: case0_dw[0]") && strstr(out_, "expected ") &&
                  strstr(out_, "got ") && strstr(out_, "tolerance"), "no first-mismatch line");
    ck_assert_msg(strstr(out_, "undeclared_name"), "the compiler's message is not shown");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_grader_catches_wrong_rnn_lstm_and_clipping_ch05)
{
    char dir[64];
    ck_assert_int_eq(grade(dir, sizeof dir, "--solutions --timeout 5"
                           " --file ex1_rnn_forward=" FX "ch05_ex1_transposed_whh.c"
                           " --file ex2_rnn_backward=" FX "ch05_ex2_no_accumulate.c"
                           " --file ex3_lstm_cell=" FX "ch05_ex3_gate_order.c"
                           " --file ex4_clip_grad_norm=" FX "ch05_ex4_per_tensor_norm.c"
                           " --file answers=" FX "ch05_answers_bad.txt 5"), 0);
    const char *ch = "05_rnn_lstm";
    expect_status(dir, ch, "ex1_rnn_forward", "wrong value");      // h_prev · W_hhᵀ
    expect_status(dir, ch, "ex2_rnn_backward", "wrong value");     // dW = instead of +=
    expect_status(dir, ch, "ex3_lstm_cell", "wrong value");        // gates i, f, o, g
    expect_status(dir, ch, "ex4_clip_grad_norm", "wrong value");   // one norm per grad
    expect_status(dir, ch, "q1", "wrong answer");                  // ln V, not V
    expect_status(dir, ch, "q2", "PASS");
    expect_status(dir, ch, "q3", "not a number");
    expect_status(dir, ch, "q4", "wrong answer");                  // one bias vector
    expect_status(dir, ch, "q5", "wrong answer");
    expect_status(dir, ch, "q7", "not answered");
    expect_total(dir, ch, 3, 22);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_grader_catches_wrong_tfidf_sgns_analogy_and_ngrams_ch06)
{
    char dir[64];
    ck_assert_int_eq(grade(dir, sizeof dir, "--solutions --timeout 5"
                           " --file ex1_tfidf=" FX "ch06_ex1_sklearn_idf.c"
                           " --file ex2_sgns_step=" FX "ch06_ex2_updated_v.c"
                           " --file ex3_cosine_analogy=" FX "ch06_ex3_no_exclusion.c"
                           " --file ex4_subword_ngrams=" FX "ch06_ex4_unsigned_hash.c"
                           " --file answers=" FX "ch06_answers_bad.txt 6"), 0);
    const char *ch = "06_embeddings";
    expect_status(dir, ch, "ex1_tfidf", "wrong value");            // ln((1+N)/(1+df)) + 1
    expect_status(dir, ch, "ex2_sgns_step", "wrong value");        // u stepped with the new v
    expect_status(dir, ch, "ex3_cosine_analogy", "wrong value");   // a query word as the answer
    expect_status(dir, ch, "ex4_subword_ngrams", "wrong value");   // unsigned bytes in the hash
    expect_status(dir, ch, "q1", "wrong answer");                  // raw frequencies
    expect_status(dir, ch, "q2", "wrong answer");                  // keep, not discard
    expect_status(dir, ch, "q3", "PASS");
    expect_status(dir, ch, "q4", "wrong answer");                  // the word counted
    expect_status(dir, ch, "q5", "not a number");
    expect_status(dir, ch, "q6", "PASS");
    expect_status(dir, ch, "q7", "not answered");
    expect_total(dir, ch, 2, 20);
    dl_rm_rf(dir);
}
END_TEST

/* The reference outputs of chapters 5 and 6 carry, beside the values, their distance to an
 * independent reference (labels *_maxdiff*: the driver's float64 definition, or PyTorch's and
 * numpy's values in expected/torch_lstm_clip.txt and expected/references.txt; *_gradcheck:
 * central finite differences; analogy_wrong, *_wrong_gensim: answers that differ from the
 * float64 ones or from gensim's fastText n-grams). The
 * grader only compares with expected/, so these must be ~0 there: expected/ made from a wrong
 * reference solution (or a fixture the driver misread) would fail here. */
START_TEST(test_ch05_ch06_expected_agree_with_independent_references)
{
    static const struct { const char *file; int min_checks; } want[] = {
        {"05_rnn_lstm/expected/ex1_rnn_forward.txt", 5}, {"05_rnn_lstm/expected/ex2_rnn_backward.txt", 4},
        {"05_rnn_lstm/expected/ex3_lstm_cell.txt", 3}, {"05_rnn_lstm/expected/ex4_clip_grad_norm.txt", 2},
        {"06_embeddings/expected/ex1_tfidf.txt", 2}, {"06_embeddings/expected/ex2_sgns_step.txt", 4},
        {"06_embeddings/expected/ex3_cosine_analogy.txt", 2}, {"06_embeddings/expected/ex4_subword_ngrams.txt", 11},
        {"07_transformer/expected/ex1_attention.txt", 8}, {"07_transformer/expected/ex2_causal_mask.txt", 8},
        {"07_transformer/expected/ex3_positional_encoding.txt", 4}, {"07_transformer/expected/ex4_bpe_merge.txt", 7},
        {"08_scaling/expected/ex1_power_law.txt", 8}, {"08_scaling/expected/ex2_chinchilla_optimal.txt", 15},
        {"08_scaling/expected/ex3_gpt_flops.txt", 8}, {"08_scaling/expected/ex4_ring_allreduce.txt", 13},
    };
    for (int i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
        FILE *f = fopen(want[i].file, "r");
        ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", want[i].file);
        char line[256];
        int checks = 0;
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#' || (!strstr(line, "maxdiff") && !strstr(line, "gradcheck") &&
                                   !strstr(line, "_wrong"))) continue;
            char *tab = strchr(line, '\t');
            ck_assert_msg(tab != NULL, "%s: bad line %s", want[i].file, line);
            double v = strtod(tab + 1, NULL);
            ck_assert_msg(v >= 0 && v < 5e-6, "%s: %.*s = %g: the reference solution disagrees with the "
                          "independent reference (PyTorch / finite differences / float64)", want[i].file,
                          (int)(tab - line), line, v);
            checks++;
        }
        fclose(f);
        ck_assert_msg(checks >= want[i].min_checks, "%s: %d independent checks, expected >= %d", want[i].file,
                      checks, want[i].min_checks);
    }
}
END_TEST

START_TEST(test_student_edition_has_no_solutions_and_grades_its_stubs)
{
    char dir[64], ed[128], cmd[512], path[256];
    dl_tmpdir(dir, sizeof dir);
    snprintf(ed, sizeof ed, "%s/edition", dir);
    snprintf(cmd, sizeof cmd, "scripts/student_edition.sh %s", ed);
    ck_assert_msg(dl_run(cmd, out_, sizeof out_) == 0, "student_edition.sh failed: %s", out_);
    snprintf(path, sizeof path, "%s/02_backprop/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/03_optimizers/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/04_cnn/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/05_rnn_lstm/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/05_rnn_lstm/expected/torch_lstm_clip.txt", ed);   // ex3/ex4 read it
    ck_assert_msg(access(path, F_OK) == 0, "%s is missing from the student edition", path);
    snprintf(path, sizeof path, "%s/06_embeddings/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/06_embeddings/expected/references.txt", ed);   // ex1/ex2 read it
    ck_assert_msg(access(path, F_OK) == 0, "%s is missing from the student edition", path);
    snprintf(path, sizeof path, "%s/07_transformer/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/07_transformer/expected/references.txt", ed);   // every ex reads it
    ck_assert_msg(access(path, F_OK) == 0, "%s is missing from the student edition", path);
    snprintf(path, sizeof path, "%s/08_scaling/exercises/solutions", ed);
    ck_assert_msg(access(path, F_OK) != 0, "%s is in the student edition", path);
    snprintf(path, sizeof path, "%s/08_scaling/expected/references.txt", ed);   // every ex reads it
    ck_assert_msg(access(path, F_OK) == 0, "%s is missing from the student edition", path);
    snprintf(path, sizeof path, "%s/02_backprop/expected/ex4_gemm_blocked.txt", ed);
    ck_assert_msg(access(path, F_OK) == 0, "%s is missing from the student edition", path);
    snprintf(path, sizeof path, "%s/02_backprop/exercises/ex4_gemm_blocked.c", ed);
    ck_assert_msg(access(path, F_OK) == 0, "%s is missing from the student edition", path);

    char rep[64];
    snprintf(cmd, sizeof cmd, "--root %s --strict 1 2 3 4 5 6", ed);
    ck_assert_int_eq(grade(rep, sizeof rep, cmd), 0);
    expect_total(rep, "01_perceptron", 0, -1);
    expect_total(rep, "02_backprop", 0, -1);
    expect_total(rep, "03_optimizers", 0, -1);
    expect_total(rep, "04_cnn", 0, -1);
    expect_total(rep, "05_rnn_lstm", 0, -1);
    expect_total(rep, "06_embeddings", 0, -1);
    expect_status(rep, "02_backprop", "ex3_linear_backward", "not implemented");
    // `make expected` needs the solutions: it must say so, not crash or write anything.
    snprintf(cmd, sizeof cmd, "%s --root %s --write-expected 2", GRADER_BIN, ed);
    ck_assert_int_eq(dl_run(cmd, out_, sizeof out_), 1);
    ck_assert_msg(strstr(out_, "student edition"), "unclear message: %s", out_);
    dl_rm_rf(rep);
    dl_rm_rf(dir);
}
END_TEST

static Suite *grader_suite(void)
{
    Suite *s = suite_create("grader");
    TCase *tc = tcase_create("grader");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_grader_reference_solutions_score_full_marks);
    tcase_add_test(tc, test_grader_untouched_stubs_score_zero);
    tcase_add_test(tc, test_grader_reports_crash_timeout_nan_junk_and_bad_answers_ch01);
    tcase_add_test(tc, test_grader_reports_early_exit_and_division_by_zero_ch01);
    tcase_add_test(tc, test_grader_reports_compile_error_memory_tolerance_and_speed_ch02);
    tcase_add_test(tc, test_grader_catches_wrong_rnn_lstm_and_clipping_ch05);
    tcase_add_test(tc, test_grader_catches_wrong_tfidf_sgns_analogy_and_ngrams_ch06);
    tcase_add_test(tc, test_ch05_ch06_expected_agree_with_independent_references);
    tcase_add_test(tc, test_student_edition_has_no_solutions_and_grades_its_stubs);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(grader_suite)
