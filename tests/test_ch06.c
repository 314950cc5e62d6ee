/* tests/test_ch06.c — chapter 6, the built program: a golden --quick run (every section on the
 * text8 prefix, IMDb and the evaluation sets), the same numbers with 1 and 2 threads, the
 * vectors written by --save-vectors read back in word2vec's text format, and the bad-input
 * exits (flags, a missing or empty --corpus, an unwritable --save-vectors folder, missing data).
 *
 * The parts are tested where they live: the tokenizer, Porter and the IMDb loader in
 * test_tokenize.c, sparse features and logistic regression in test_sparse.c, the skip-gram
 * ladder and the trainer in test_word2vec.c, vectors and vocabularies in test_wordvec.c, the
 * evaluation in test_evaluate.c, GloVe in test_glove.c, the document models in
 * test_documents.c and test_docs_ops.c.
 * Golden run: tests/fixtures/golden_ch06_text8.tsv (scripts/make_golden.sh 06_embeddings ch06);
 * first line: the command that made it.
 */
#include "testutil.h"
#include "golden.h"

#include <unistd.h>

#include "data/wordvec.h"
#include "report/metrics.h"

#define CHAPTER_BIN dl_chapter_bin("06_embeddings")

// Whether data/ holds what the chapter reads (make data): else the run tests are skipped.
static bool have_data(void)
{
    return access("data/text8_prefix.txt", R_OK) == 0 &&
           access("data/imdb/aclImdb/test/pos", R_OK) == 0 &&
           access("data/questions-words.txt", R_OK) == 0;
}

// Tolerances. The --quick run is deterministic for a seed on one build (word2vec trains with
// v2_table_alias on one thread in --quick, every other part is thread-independent), but the
// SIMD paths of -march=native and the portable/sanitizer builds round differently, and word2vec's
// and the classifiers' training amplify a rounding into visible drifts on this small data.
static const GoldenRule RULES[] = {   // the last rule whose pattern a key contains applies
    {"pipeline_", 0, 1e-12},              // counts: exact
    {"sparse_", 1e-6, 1e-6},
    {"w2v_", 2e-3, 2e-3},
    {"glove_", 2e-3, 2e-3},
    {"fasttext_", 2e-3, 2e-3},
    {"docs_", 2e-3, 2e-3},
    {"_loss", 2e-3, 2e-3},
    {"_pct", 1.0, 0},                     // percentages of a few thousand reviews or questions
    {"_acc_pct", 1.0, 0},                 // up to 1 point: 20 of 2,000 reviews, a handful of
                                          // analogy questions
    {"_spearman", 0.03, 0},
    {"fasttext_oov_cos_mean", 0.02, 0},
    {"pipeline_", 0, 1e-12},
    {"_seen", 0, 0},                      // which questions are in the vocabulary: exact
    {"_vocab", 0, 0},
    {"_words", 0, 0},
    {"_features", 0, 0},
    {"_nnz", 0, 1e-9},
    {"_reviews", 0, 0},
    {"sigmoid_table_max_err", 1e-6, 1e-3},
};
#define N_RULES (sizeof RULES / sizeof RULES[0])

START_TEST(test_quick_run_matches_golden)
{
    char dir[64];
    dl_run_quick(CHAPTER_BIN, dir, sizeof dir);
    dl_check_golden_metrics(dir, "tests/fixtures/golden_ch06_text8.tsv", RULES, N_RULES, 60);
    dl_rm_rf(dir);
}
END_TEST

// --threads 1 and --threads 2 give the same --quick numbers (timing keys aside): compare each
// run's metrics.tsv with the other's, key by key, exactly.
START_TEST(test_quick_run_is_thread_independent)
{
    char dir[2][64], cmd[512];
    static char out[16384];
    for (int k = 0; k < 2; k++) {
        dl_tmpdir(dir[k], sizeof dir[k]);
        snprintf(cmd, sizeof cmd, "%s --quick --seed 7 --threads %d --data data --out %s",
                 CHAPTER_BIN, k + 1, dir[k]);
        int st = dl_run(cmd, out, sizeof out);
        ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    }
    char path[2][128], line[256];
    snprintf(path[0], sizeof path[0], "%s/metrics.tsv", dir[0]);
    snprintf(path[1], sizeof path[1], "%s/metrics.tsv", dir[1]);
    FILE *f = fopen(path[0], "r");
    ck_assert_ptr_nonnull(f);
    int compared = 0;
    while (fgets(line, sizeof line, f)) {
        char key[96];
        double a, b;
        if (sscanf(line, "%95s %lf", key, &a) != 2) continue;
        size_t n = strlen(key);
        bool timing = strncmp(key, "time_", 5) == 0 || (n > 2 && strcmp(key + n - 2, "_s") == 0) ||
                      strstr(key, "_per_s") || strstr(key, "_seconds");
        if (timing || strcmp(key, "threads") == 0) continue;
        ck_assert_msg(metrics_read(path[1], key, &b), "--threads 2 lacks %s", key);
        ck_assert_msg(a == b, "%s: %.9g with 1 thread, %.9g with 2", key, a, b);
        compared++;
    }
    fclose(f);
    ck_assert_int_ge(compared, 60);
    dl_rm_rf(dir[0]);
    dl_rm_rf(dir[1]);
}
END_TEST

// --save-vectors FILE: word2vec's text format, V rows of D values, read back by our loader.
START_TEST(test_save_vectors_writes_word2vec_text)
{
    char dir[64], cmd[512], path[128], err[512];
    static char out[16384];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/vectors.txt", dir);
    snprintf(cmd, sizeof cmd, "%s --quick --dim 32 --data data --out %s --save-vectors %s",
             CHAPTER_BIN, dir, path);
    int st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    WordVectors wv;
    ck_assert_msg(wordvec_load_text(path, &wv, err, sizeof err), "%s", err);
    char metrics[128];
    snprintf(metrics, sizeof metrics, "%s/metrics.tsv", dir);
    double V = 0;
    ck_assert(metrics_read(metrics, "w2v_vocab", &V));
    ck_assert_int_eq(wv.V, (int)V);
    ck_assert_int_eq(wv.D, 32);
    ck_assert_int_eq(wordvec_id(&wv, "the"), 0);   // rows by descending frequency
    wordvec_free(&wv);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_bad_input_exits_with_message)
{
    char dir[64], path[128], args[400];
    dl_tmpdir(dir, sizeof dir);
    dl_expect_error(CHAPTER_BIN, "--frobnicate", 2, "--frobnicate");
    dl_expect_error(CHAPTER_BIN, "--kernel w2v=v9_magic", 2, "v9_magic");
    dl_expect_error(CHAPTER_BIN, "--quick --dim 0", 2, "--dim");
    dl_expect_error(CHAPTER_BIN, "--quick --epochs -3", 2, "--epochs");
    dl_expect_error(CHAPTER_BIN, "--quick --window 500", 2, "--window");
    dl_expect_error(CHAPTER_BIN, "--quick --sample 1.5", 2, "--sample");
    dl_expect_error(CHAPTER_BIN, "--quick --save-vectors /nonexistent-dir/v.txt", 2,
                    "/nonexistent-dir");
    snprintf(args, sizeof args, "--quick --data data --corpus %s/none.txt", dir);
    dl_expect_error(CHAPTER_BIN, args, 1, "none.txt");
    snprintf(path, sizeof path, "%s/empty.txt", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    snprintf(args, sizeof args, "--quick --data data --corpus %s", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "empty");
    snprintf(path, sizeof path, "%s/small.txt", dir);
    f = fopen(path, "w");
    fputs("the cat sat on the mat\n", f);
    fclose(f);
    snprintf(args, sizeof args, "--quick --data data --corpus %s --min-count 50", path);
    dl_expect_error(CHAPTER_BIN, args, 1, "min-count");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_missing_data_fails_naming_make_data)
{
    dl_check_missing_data(CHAPTER_BIN);
}
END_TEST

static Suite *ch06_suite(void)
{
    Suite *s = suite_create("ch06_embeddings");
    TCase *runs = tcase_create("runs");
    tcase_set_timeout(runs, 1200);   // the sanitizer build on a busy 2-core machine
    const bool data = have_data();
    dl_tcase_add_test_if(runs, test_quick_run_matches_golden, data,
                         "no text8 prefix, IMDb or analogy set in data/ (make data)");
    dl_tcase_add_test_if(runs, test_quick_run_is_thread_independent, data,
                         "no text8 prefix, IMDb or analogy set in data/ (make data)");
    dl_tcase_add_test_if(runs, test_save_vectors_writes_word2vec_text, data,
                         "no text8 prefix, IMDb or analogy set in data/ (make data)");
    dl_tcase_add_test_if(runs, test_bad_input_exits_with_message, data,
                         "no text8 prefix, IMDb or analogy set in data/ (make data)");
    tcase_add_test(runs, test_missing_data_fails_naming_make_data);
    suite_add_tcase(s, runs);
    return s;
}

DL_TEST_MAIN(ch06_suite)
