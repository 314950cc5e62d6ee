/* tests/test_ch07.c — chapter 7, the built program: a golden --quick run (every section on tiny
 * Shakespeare), the same numbers with 1 and 2 threads, --save then --sample --resume, Ctrl-C
 * and --resume giving the uninterrupted run's numbers, and the bad-input exits (a prompt longer
 * than the context or with characters outside the vocabulary, a corrupt checkpoint, n_head not
 * dividing d_model, a missing --text, missing data).
 *
 * The parts are tested where they live: attention in test_attention.c, the GPT against PyTorch
 * in test_gpt.c, BPE in test_bpe.c, decoding in test_decode.c, the random-window sampler in
 * test_window.c.
 * Golden run: tests/fixtures/golden_ch07_tinyshakespeare.tsv (scripts/make_golden.sh
 * 07_transformer ch07); first line: the command that made it.
 */
#include "testutil.h"
#include "golden.h"

#include <unistd.h>

#include "report/metrics.h"

#define CHAPTER_BIN dl_chapter_bin("07_transformer")

static bool have_data(void)
{
    return access("data/tinyshakespeare.txt", R_OK) == 0;
}

// Tolerances. The --quick run is deterministic for a seed on one build; the SIMD paths of
// -march=native and the portable/sanitizer builds round differently, and 40 AdamW steps
// amplify a rounding a little.
static const GoldenRule RULES[] = {   // the last rule whose pattern a key contains applies
    {"", 2e-3, 2e-3},                     // anything else a section records: a loss, a ratio
    {"_pct", 0.5, 0},                     // accuracies in percent of ~100,000 predictions
    {"_loss", 2e-3, 2e-3},
    {"_ppl", 0, 5e-3},
    {"_bits", 2e-3, 2e-3},
    {"_err", 1e-4, 0},                    // errors against a reference: tiny, not exact
    {"_maxdiff", 1e-4, 0},
    {"params", 0, 0},                     // parameter counts: exact
    {"_formula", 0, 0},
    {"_built", 0, 0},
    {"_vocab", 0, 0},                     // counts of the tokenizer: exact
    {"_tokens", 0, 0},
    {"_merges", 0, 0},
    {"attn_l", 0.02, 0},                  // attention statistics of the trained heads
    {"attn_best_prev", 0.02, 0},
};
#define N_RULES (sizeof RULES / sizeof RULES[0])

static const char *const TIMING[] = {"_s", "_ms", "_seconds", "_per_s", "_speedup", "^time_",
                                     "^bench_", "_seconds_0", "_seconds_1", "_seconds_2"};

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
    return strstr(key, "_per_s") != NULL;
}

// Two --quick runs (the runs are the slow part, so one test shares them):
//   A: --seed 42 --threads 2 --save A/gpt.ckpt  → every key against the golden file;
//   B: --seed 42 --threads 1                   → every key of A exactly (timing keys aside);
//   then --sample --resume A/gpt.ckpt generates from the checkpoint without training or data,
//   and checks the prompt against the checkpoint's own vocabulary.
START_TEST(test_quick_runs_golden_threads_save_and_sample)
{
    char dir[2][64], cmd[1024], ckpt[128], args[512];
    static char out[65536];
    for (int k = 0; k < 2; k++) {
        dl_tmpdir(dir[k], sizeof dir[k]);
        snprintf(ckpt, sizeof ckpt, "%s/gpt.ckpt", dir[0]);
        snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --threads %d --data data --out %s%s%s",
                 CHAPTER_BIN, 2 - k, dir[k], k == 0 ? " --save " : "", k == 0 ? ckpt : "");
        int st = dl_run(cmd, out, sizeof out);
        ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    }
    dl_check_golden_metrics(dir[0], "tests/fixtures/golden_ch07_tinyshakespeare.tsv", RULES,
                            N_RULES, 60);
    // 1 and 2 threads: the same numbers, exactly
    dl_check_same_metrics(dir[0], dir[1], is_timing, "--threads 1", 60);
    // --sample --resume: an empty data folder (dir[1]) is enough
    ck_assert_msg(access(ckpt, R_OK) == 0, "no checkpoint %s", ckpt);
    snprintf(cmd, sizeof cmd, "%s --sample --resume %s --prompt 'KING:' --tokens 50 --data %s "
             "--out %s/sample", CHAPTER_BIN, ckpt, dir[1], dir[1]);
    int st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    ck_assert_msg(strstr(out, "a 2-layer GPT") && strstr(out, "--- sample:"), "%s", out);
    const char *s = strstr(out, "---\nKING:");   // the prompt, then 50 characters
    ck_assert_msg(s, "%s", out);
    ck_assert_int_ge((int)strlen(s), 4 + 5 + 50);
    snprintf(args, sizeof args, "--sample --resume %s --prompt 'KING@' --data %s", ckpt, dir[1]);
    dl_expect_error(CHAPTER_BIN, args, 2, "--prompt");
    snprintf(args, sizeof args, "--sample --resume %s --prompt '%s' --data %s", ckpt,
             "a prompt of more than thirty-two characters", dir[1]);
    dl_expect_error(CHAPTER_BIN, args, 2, "context");
    snprintf(args, sizeof args, "--sample --data %s", dir[1]);
    dl_expect_error(CHAPTER_BIN, args, 2, "--resume");
    dl_rm_rf(dir[0]);
    dl_rm_rf(dir[1]);
}
END_TEST

START_TEST(test_interrupt_then_resume_matches_the_uninterrupted_run)
{
    dl_check_interrupt_resume(CHAPTER_BIN, 15, TIMING, sizeof TIMING / sizeof TIMING[0]);
}
END_TEST

START_TEST(test_bad_input_exits_with_message)
{
    char dir[64], path[128], args[600];
    dl_tmpdir(dir, sizeof dir);
    dl_expect_error(CHAPTER_BIN, "--frobnicate", 2, "--frobnicate");
    dl_expect_error(CHAPTER_BIN, "--kernel attn=v9_magic", 2, "v9_magic");
    dl_expect_error(CHAPTER_BIN, "--quick --iters -3", 2, "--iters");
    dl_expect_error(CHAPTER_BIN, "--quick --bpe-vocab 100", 2, "--bpe-vocab");
    // n_head must divide d_model
    dl_expect_error(CHAPTER_BIN, "--quick --data data --n-head 5", 2, "does not divide");
    dl_expect_error(CHAPTER_BIN, "--quick --data data --n-head 3 --d-model 128", 2,
                    "does not divide");
    // a prompt longer than the context (--quick: 32 characters)
    dl_expect_error(CHAPTER_BIN, "--quick --data data --prompt "
                    "'a prompt of more than thirty-two characters'", 2, "context");
    // characters outside the vocabulary of tiny Shakespeare
    dl_expect_error(CHAPTER_BIN, "--quick --data data --prompt 'ROMEO@{'", 2, "--prompt");
    // a missing --text
    snprintf(args, sizeof args, "--quick --data data --text %s/none.txt", dir);
    dl_expect_error(CHAPTER_BIN, args, 1, "none.txt");
    // a text too short for the windows
    snprintf(path, sizeof path, "%s/short.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("To be, or not to be, that is the question.\n", f);
    fclose(f);
    snprintf(args, sizeof args, "--quick --data data --text %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "too short");
    // a corrupt checkpoint: named, before any section runs
    snprintf(path, sizeof path, "%s/corrupt.ckpt", dir);
    f = fopen(path, "w");
    fputs("this is not a checkpoint, just some bytes of text\n", f);
    fclose(f);
    snprintf(args, sizeof args, "--quick --data data --resume %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "corrupt.ckpt");
    snprintf(args, sizeof args, "--sample --resume %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "corrupt.ckpt");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch07_suite(void)
{
    Suite *s = suite_create("ch07_transformer");
    TCase *runs = tcase_create("runs");
    tcase_set_timeout(runs, 1200);   // the sanitizer build on a busy 2-core machine
    const bool data = have_data();
    const char *why = "no data/tinyshakespeare.txt (make data)";
    dl_tcase_add_test_if(runs, test_quick_runs_golden_threads_save_and_sample, data, why);
    dl_tcase_add_test_if(runs, test_interrupt_then_resume_matches_the_uninterrupted_run, data,
                         why);
    dl_tcase_add_test_if(runs, test_bad_input_exits_with_message, data, why);
    tcase_add_test(runs, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, runs);
    return s;
}

DL_TEST_MAIN(ch07_suite)
