/* tests/test_ch08.c — chapter 8, the built program: a golden --quick run (the laws fitted on
 * Epoch AI's Chinchilla runs, the tiny sweep, the ring all-reduce model and the 2-rank MPI run,
 * inference-time compute, bf16), the same numbers with 1 and 2 threads, and the bad-input exits
 * (--points with a CSV missing a column, a non-positive N or D, a NaN, an empty file, a missing
 * file; a bad flag or --boot; missing data).
 *
 * The parts are tested where they live: the loader in test_scaling_data.c, L-BFGS and the fits
 * against scipy in test_fit.c, the counted FLOPs in test_sweep.c, the ring and the 2-rank run in
 * test_ddp.c (with the rank count that does not divide the batch), the inference-time parts in
 * test_infer.c, bf16 in test_bf16.c.
 * Golden run: tests/fixtures/golden_ch08_chinchilla.tsv (scripts/make_golden.sh 08_scaling
 * ch08); first line: the command that made it. Without Open MPI the section-5 keys of the 2-rank
 * run are absent (the run says why): they are then skipped, the rest still checked.
 */
#include "testutil.h"
#include "golden.h"

#include <unistd.h>

#include "report/metrics.h"

#define CHAPTER_BIN dl_chapter_bin("08_scaling")
#define GOLDEN "tests/fixtures/golden_ch08_chinchilla.tsv"

static bool have_data(void)
{
    return access("data/chinchilla/svg_extracted_data.csv", R_OK) == 0 &&
           access("data/text8_prefix.txt", R_OK) == 0 && access("data/tinyshakespeare.txt", R_OK) == 0;
}

// Tolerances (the last rule whose pattern a key contains applies). The --quick run is
// deterministic for a seed on one build; -march=native, the portable and sanitizer builds and
// the bf16 rungs (AVX512-BF16 or the portable one) round differently.
static const GoldenRule RULES[] = {
    {"", 2e-3, 2e-3},                  // losses of short trainings, anything else
    {"laws_", 1e-6, 1e-4},             // the Chinchilla fit: L-BFGS to its tolerance
    {"laws_boot_", 1e-4, 2e-3},        // 20 refits from resampled points
    {"laws_fit_evals", 0, 0.2},        // how many evaluations L-BFGS took: rounding moves it
    {"laws_points", 0, 0},
    {"laws_boot_n", 0, 0},
    {"sweep_", 2e-3, 2e-3},            // the sweep's losses
    {"_N", 0, 1e-9},                   // the runs' parameter and token counts (sweep_run3_N)
    {"_D", 0, 1e-9},
    {"_flops", 0, 1e-9},               // and their counted FLOPs
    {"sweep_runs", 0, 0},
    {"sweep_budgets", 0, 0},
    {"sweep_max_data_frac", 0, 1e-6},
    {"sweep_a3_", 1e-3, 0.5},          // 5 parameters from 6 noisy points: ill-posed, so loose
    {"sweep_pred_", 1e-3, 0.5},        // … and what it predicts
    {"sweep_pred_C", 0, 1e-9},
    {"kaplan_", 0, 1e-9},              // the published laws evaluated: formulae
    {"alloc_", 0, 1e-3},               // derived from the Chinchilla fit
    {"models_", 1e-4, 1e-3},
    {"iso_", 1e-4, 1e-3},
    {"ddp_", 1e-6, 1e-6},
    {"ddp_loss_max_diff", 1e-5, 0},    // equal to float rounding
    {"ddp_ring_vs_mpi", 1e-6, 0},
    {"ddp_loss_final", 2e-3, 2e-3},
    {"ddp_mpi_available", 0, 0},
    {"infer_", 2e-3, 2e-3},            // section 6: the two models' training losses
    {"_acc_pct", 12.5, 0},             // accuracies on 24 problems: 3 answers may flip between
                                       //   builds (a sampled token near a tie)
    {"infer_match_n", 2, 0},           // the n at which the small model catches up
    {"infer_test_problems", 0, 0},
    {"infer_samples", 0, 0},
    {"bf16_", 2e-3, 2e-3},
    {"_rel_err", 1e-4, 0.1},           // the bf16 GEMM's error: rung-dependent rounding
};
#define N_RULES (sizeof RULES / sizeof RULES[0])

static const char *const TIMING[] = {"_s", "_ms", "_seconds", "_per_s", "_gflops", "_gbs",
                                     "_speedup", "^time_", "^bench_", "^ddp_efficiency_ratio"};

static bool is_timing(const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < sizeof TIMING / sizeof TIMING[0]; i++) {
        const char *t = TIMING[i];
        size_t tl = strlen(t);
        if (t[0] == '^' ? strncmp(key, t + 1, tl - 1) == 0
                        : kl >= tl && strcmp(key + kl - tl, t) == 0)
            return true;
    }
    return false;
}

/* Every key of the golden file against the run in dir, as dl_check_golden_metrics, except that
 * the keys of the 2-rank MPI run may be missing when the run had no Open MPI. */
static void check_golden(const char *dir)
{
    char metrics_path[600], line[256];
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.tsv", dir);
    double mpi = 0;
    ck_assert_msg(metrics_read(metrics_path, "ddp_mpi_available", &mpi), "no ddp_mpi_available");
    FILE *f = fopen(GOLDEN, "r");
    ck_assert_msg(f, "cannot open %s (run the tests from the repository root)", GOLDEN);
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        char key[64];
        double want, got;
        if (line[0] == '#' || sscanf(line, "%63s %lf", key, &want) != 2) continue;
        const GoldenRule *rule = NULL;
        for (size_t i = 0; i < N_RULES; i++)
            if (strstr(key, RULES[i].pattern)) rule = &RULES[i];
        ck_assert_msg(rule, "%s: no tolerance rule for key '%s'", GOLDEN, key);
        if (!metrics_read(metrics_path, key, &got)) {
            ck_assert_msg(mpi == 0 && strncmp(key, "ddp_", 4) == 0, "metrics.tsv lacks key '%s'",
                          key);
            continue;
        }
        if (strcmp(key, "ddp_mpi_available") == 0 && mpi == 0) continue;   // no Open MPI here
        dl_ck_close1(key, got, want, rule->atol, rule->rtol);
        checked++;
    }
    fclose(f);
    ck_assert_int_ge(checked, 100);
}

// Two --quick runs: --threads 2 against the golden file, --threads 1 against it exactly.
START_TEST(test_quick_runs_golden_and_threads)
{
    char dir[2][64], cmd[1024];
    static char out[65536];
    for (int k = 0; k < 2; k++) {
        dl_tmpdir(dir[k], sizeof dir[k]);
        snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --threads %d --data data --out %s",
                 CHAPTER_BIN, 2 - k, dir[k]);
        int st = dl_run(cmd, out, sizeof out);
        ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    }
    ck_assert_msg(strstr(out, "Summary: is my result normal?"), "no summary table:\n%s", out);
    check_golden(dir[0]);
    dl_check_same_metrics(dir[0], dir[1], is_timing, "--threads 1", 100);
    dl_rm_rf(dir[0]);
    dl_rm_rf(dir[1]);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

// --points FILE with bad contents: exit 1 before any section, naming the file and the problem.
START_TEST(test_bad_points_exit_with_message)
{
    static const struct { const char *name, *text, *needle; } cases[] = {
        {"nocol.csv", "N,D,flops\n1e6,2e7,1.2e14\n", "loss"},
        {"zeroN.csv", "N,D,flops,loss\n0,2e7,1.2e14,3.1\n", "N"},
        {"negD.csv", "N,D,flops,loss\n1e6,-2e7,1.2e14,3.1\n", "D"},
        {"nan.csv", "N,D,flops,loss\n1e6,2e7,1.2e14,nan\n", "nan.csv"},
        {"empty.csv", "", "empty.csv"},
    };
    char dir[64], path[160], args[400];
    dl_tmpdir(dir, sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].name);
        write_file(path, cases[i].text);
        snprintf(args, sizeof args, "--quick --data data --points %s", path);
        dl_expect_error(CHAPTER_BIN, args, 1, cases[i].name);
        dl_expect_error(CHAPTER_BIN, args, 1, cases[i].needle);
    }
    snprintf(args, sizeof args, "--quick --data data --points %s/none.csv", dir);
    dl_expect_error(CHAPTER_BIN, args, 1, "none.csv");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_bad_flags_exit_with_message)
{
    dl_expect_error(CHAPTER_BIN, "--frobnicate", 2, "--frobnicate");
    dl_expect_error(CHAPTER_BIN, "--quick --boot -3", 2, "--boot");
    dl_expect_error(CHAPTER_BIN, "--quick --boot 0", 2, "--boot");
    dl_expect_error(CHAPTER_BIN, "--kernel gemm_bf16=v9_magic", 2, "v9_magic");
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch08_suite(void)
{
    Suite *s = suite_create("ch08_scaling");
    TCase *runs = tcase_create("runs");
    tcase_set_timeout(runs, 1200);   // the sanitizer build on a busy 2-core machine
    const bool data = have_data();
    const char *why = "no data/chinchilla/svg_extracted_data.csv, text8_prefix.txt or "
                      "tinyshakespeare.txt (make data)";
    dl_tcase_add_test_if(runs, test_quick_runs_golden_and_threads, data, why);
    dl_tcase_add_test_if(runs, test_bad_points_exit_with_message, data, why);
    tcase_add_test(runs, test_bad_flags_exit_with_message);
    tcase_add_test(runs, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, runs);
    return s;
}

DL_TEST_MAIN(ch08_suite)
