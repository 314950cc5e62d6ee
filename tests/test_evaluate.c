/* tests/test_evaluate.c — the word-vector evaluation of chapter 6 (06_embeddings/evaluate.h) and
 * its file loaders (common/data/wordeval.h): 3CosAdd on hand-made vectors whose answers are
 * known (exclusion of a, b, c; the 30,000-row cut; case-blind lookup; compute-accuracy's
 * "positive cosine" rule), the same accuracy as gensim's evaluate_word_analogies and the same
 * Spearman ρ as gensim's evaluate_word_pairs on a small trained model
 * (tests/fixtures/evaluate_*, scripts/gen_fixtures_evaluate.py), answers independent of the
 * thread count, Spearman's ρ with ties against scipy, nearest neighbours, PCA on data of known
 * rank, evaluate_vectors' metric keys; the loaders on good and bad files and, when `make data`
 * fetched them, the real sets' counts (19,544 questions, 353 and 999 pairs).
 */
#include "testutil.h"
#include "fixture.h"

#include <math.h>
#include <unistd.h>

#include "base/threads.h"

#include "../06_embeddings/evaluate.c"

// V words of D values from a flat array.
static void make_vectors(WordVectors *wv, int V, int D, char *const *words, const float *v)
{
    wordvec_init(wv, V, D, words);
    memcpy(wv->vec, v, (size_t)V * D * sizeof *v);
}

static void parse_questions(AnalogySet *a, const char *text)
{
    char err[256];
    ck_assert_msg(analogy_parse(text, strlen(text), "q.txt", a, err, sizeof err), "%s", err);
}

// ---- 3CosAdd ----

START_TEST(test_3cosadd_known_answers_and_exclusions)
{
    char *w[] = {"man", "king", "woman", "queen", "apple", "x", "y"};
    const float v[] = {
        1, 0, 0.1f,     // man
        1, 0, 1,        // king
        0, 1, 0.1f,     // woman
        0, 1, 1,        // queen  = king − man + woman exactly
        0.2f, 0.1f, -1, // apple
        1, 1, 0,        // x
        1, 1, 0.2f,     // y: y − x + x = y, which is excluded: the answer is the next best
    };
    WordVectors wv;
    make_vectors(&wv, 7, 3, w, v);
    AnalogySet a;
    parse_questions(&a, ": family\nman king woman queen\n"
                        ": gram-test\nx y x queen\nx y x x\nMan King Woman QUEEN\n");
    int pred[4];
    AnalogyResult r = analogy_accuracy(&wv, &a, 0, pred);
    ck_assert_int_eq(pred[0], 3);
    // b − a + c = y = (1, 1, 0.2): after x and y, the best is king (cos 0.78 > queen's 0.78?):
    // compute it by hand
    float q[3] = {1, 1, 0.2f};
    int best = -1;
    double bc = 0;
    for (int i = 0; i < 7; i++) {
        if (i == 5 || i == 6) continue;
        double d = 0, n = 0;
        for (int k = 0; k < 3; k++) {
            d += v[3 * i + k] * q[k];
            n += v[3 * i + k] * v[3 * i + k];
        }
        if (d / sqrt(n) > bc) bc = d / sqrt(n), best = i;
    }
    ck_assert_int_eq(pred[1], best);
    ck_assert_int_ne(pred[1], 6);
    ck_assert_int_ne(pred[2], 5);   // d = x is a question word: it can never be the answer
    ck_assert_int_eq(pred[3], 3);   // capitals are matched case-blind
    ck_assert_int_eq(r.total, 4);
    ck_assert_int_eq(r.seen, 4);
    ck_assert_int_eq(r.correct, 2 + (best == 3));
    ck_assert_int_eq(r.sem_seen, 1);
    ck_assert_int_eq(r.sem_correct, 1);
    ck_assert_int_eq(r.syn_seen, 3);   // "gram-test" is syntactic
    dl_ck_close1("accuracy", r.acc_pct, 100.0 * r.correct / 4, 1e-9, 0);
    analogy_free(&a);
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_3cosadd_restriction_skips_and_hides_rows)
{
    // rows: a b c d then "far" (row 4) = the exact answer b − a + c of the unit rows
    char *w[] = {"a", "b", "c", "d", "far"};
    const float v[] = {1, 0, 0, 0,   1, 1, 0, 0,   0, 0, 1, 0,   0, 0.9f, 1, 0.1f,
                       -0.2929f, 0.7071f, 1, 0};
    WordVectors wv;
    make_vectors(&wv, 5, 4, w, v);
    AnalogySet a;
    parse_questions(&a, ": s\na b c d\na b c far\nfar b c d\n");
    int pred[3];
    AnalogyResult all = analogy_accuracy(&wv, &a, 0, pred);   // no cut: far wins both
    ck_assert_int_eq(all.seen, 3);
    ck_assert_int_eq(pred[0], 4);
    ck_assert_int_eq(pred[1], 4);
    ck_assert_int_eq(all.correct, 1);
    AnalogyResult cut = analogy_accuracy(&wv, &a, 4, pred);   // far is outside the cut
    ck_assert_int_eq(cut.total, 3);
    ck_assert_int_eq(cut.seen, 1);
    ck_assert_int_eq(pred[0], 3);    // the next best inside the cut
    ck_assert_int_eq(pred[1], -1);   // skipped: the answer is outside
    ck_assert_int_eq(pred[2], -1);   // skipped: a question word is outside
    ck_assert_int_eq(cut.correct, 1);
    dl_ck_close1("seen %", cut.seen_pct, 100.0 / 3, 1e-9, 0);
    analogy_free(&a);
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_3cosadd_needs_a_positive_cosine_and_frequent_case_variant)
{
    // every candidate has cosine <= 0 with b − a + c: compute-accuracy answers nothing
    char *w[] = {"Paris", "a", "b", "c", "d", "paris"};
    const float v[] = {0, 0, 1,   1, 0, 0,   0, 1, 0,   1, 0.001f, 0,   -1, -1, 0,   0, 0, 1};
    WordVectors wv;
    make_vectors(&wv, 6, 3, w, v);
    AnalogySet a;
    parse_questions(&a, ": s\na b c d\na b c paris\n");
    int pred[2];
    AnalogyResult r = analogy_accuracy(&wv, &a, 0, pred);
    ck_assert_int_eq(pred[0], -2);
    ck_assert_int_eq(pred[1], -2);   // "paris" → row 0 ("Paris", the more frequent variant)
    ck_assert_int_eq(r.seen, 2);
    ck_assert_int_eq(r.correct, 0);
    analogy_free(&a);
    wordvec_free(&wv);
}
END_TEST

static void load_fixture_set(WordVectors *wv, AnalogySet *a, SimPairs *p)
{
    char err[512];
    ck_assert_msg(wordvec_load_text("tests/fixtures/evaluate_vectors.txt", wv, err, sizeof err),
                  "%s", err);
    ck_assert_msg(analogy_load("tests/fixtures/evaluate_questions.txt", a, err, sizeof err), "%s",
                  err);
    if (p)
        ck_assert_msg(simpairs_load("tests/fixtures/evaluate_pairs.tsv", p, err, sizeof err), "%s",
                      err);
}

static double fix1(Fixture *f, const char *name)
{
    return fixture_get(f, name)->v[0];
}

START_TEST(test_analogy_accuracy_equals_gensim)
{
    WordVectors wv;
    AnalogySet a;
    load_fixture_set(&wv, &a, NULL);
    Fixture f;
    fixture_load(&f, "tests/fixtures/evaluate_gensim.txt");
    AnalogyResult r = analogy_accuracy(&wv, &a, (int)fix1(&f, "restrict"), NULL);
    ck_assert_int_eq(r.total, (int)fix1(&f, "total"));
    ck_assert_int_eq(r.seen, (int)fix1(&f, "seen"));
    ck_assert_int_eq(r.correct, (int)fix1(&f, "correct"));
    ck_assert_int_eq(r.sem_seen, (int)fix1(&f, "sem_seen"));
    ck_assert_int_eq(r.sem_correct, (int)fix1(&f, "sem_correct"));
    ck_assert_int_eq(r.syn_seen, (int)fix1(&f, "syn_seen"));
    ck_assert_int_eq(r.syn_correct, (int)fix1(&f, "syn_correct"));
    ck_assert_int_gt(r.correct, 20);   // a test with something to get right
    ck_assert_int_lt(r.seen, r.total);
    fixture_free(&f);
    analogy_free(&a);
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_analogy_answers_do_not_depend_on_threads)
{
    WordVectors wv;
    AnalogySet a;
    load_fixture_set(&wv, &a, NULL);
    int *p1 = malloc((size_t)a.n * sizeof *p1), *p2 = malloc((size_t)a.n * sizeof *p2);
    int saved = threads_get();
    threads_set(1);
    AnalogyResult r1 = analogy_accuracy(&wv, &a, 0, p1);
    threads_set(2);
    AnalogyResult r2 = analogy_accuracy(&wv, &a, 0, p2);
    threads_set(saved);
    ck_assert_int_eq(r1.correct, r2.correct);
    for (int i = 0; i < a.n; i++) ck_assert_int_eq(p1[i], p2[i]);
    free(p1);
    free(p2);
    analogy_free(&a);
    wordvec_free(&wv);
}
END_TEST

// ---- similarity ----

START_TEST(test_spearman_with_ties_matches_scipy)
{
    Fixture f;
    fixture_load(&f, "tests/fixtures/evaluate_gensim.txt");
    FixBlock *x = fixture_get(&f, "spearman_x"), *y = fixture_get(&f, "spearman_y");
    int n = (int)x->n;
    double *dx = malloc((size_t)n * sizeof *dx), *dy = malloc((size_t)n * sizeof *dy);
    int ties = 0;
    for (int i = 0; i < n; i++) {
        dx[i] = x->v[i];
        dy[i] = y->v[i];
        for (int j = 0; j < i; j++) ties += dy[j] == dy[i];
    }
    ck_assert_int_gt(ties, 10);   // the fixture does exercise ties
    dl_ck_close1("spearman", spearman(dx, dy, n), fix1(&f, "spearman_rho"), 1e-6, 0);
    free(dx);
    free(dy);
    fixture_free(&f);
    // by hand: ranks of (1, 2, 2, 3) are (1, 2.5, 2.5, 4)
    const double a[4] = {1, 2, 2, 3}, b[4] = {4, 3, 2, 1}, c[4] = {5, 5, 5, 5};
    dl_ck_close1("rho", spearman(a, b, 4), -0.9486832980505138, 1e-12, 0);
    dl_ck_close1("rho", spearman(a, a, 4), 1.0, 1e-12, 0);
    ck_assert(isnan(spearman(a, c, 4)));
    ck_assert(isnan(spearman(a, b, 1)));
}
END_TEST

START_TEST(test_similarity_equals_gensim)
{
    WordVectors wv;
    AnalogySet a;
    SimPairs p;
    load_fixture_set(&wv, &a, &p);
    Fixture f;
    fixture_load(&f, "tests/fixtures/evaluate_gensim.txt");
    SimResult r = similarity_spearman(&wv, &p);
    ck_assert_int_eq(r.total, (int)fix1(&f, "pairs_total"));
    ck_assert_int_eq(r.used, (int)fix1(&f, "pairs_used"));
    dl_ck_close1("rho vs gensim", r.rho, fix1(&f, "pairs_spearman"), 1e-5, 0);
    fixture_free(&f);
    simpairs_free(&p);
    analogy_free(&a);
    wordvec_free(&wv);
}
END_TEST

// ---- neighbours ----

START_TEST(test_nearest_cosine_order_ties_exclusion)
{
    const float unit[] = {1, 0,   0.6f, 0.8f,   0.6f, 0.8f,   0, 1,   -1, 0};
    const float q[2] = {3, 4};   // not unit: cosine divides by its length
    int ids[3];
    float cos[3];
    int ex = 1;
    int got = nearest_cosine(unit, 5, 2, q, 3, &ex, 1, ids, cos);
    ck_assert_int_eq(got, 3);
    ck_assert_int_eq(ids[0], 2);   // row 1 excluded, its twin row 2 first
    ck_assert_int_eq(ids[1], 3);   // 0.8
    ck_assert_int_eq(ids[2], 0);   // 0.6
    dl_ck_close1("cos", cos[0], 1.0f, 1e-6, 0);
    dl_ck_close1("cos", cos[1], 0.8f, 1e-6, 0);
    got = nearest_cosine(unit, 5, 2, q, 3, NULL, 0, ids, cos);
    ck_assert_int_eq(ids[0], 1);   // a tie keeps the lower row first
    ck_assert_int_eq(ids[1], 2);
    got = nearest_cosine(unit, 2, 2, q, 3, NULL, 0, ids, cos);
    ck_assert_int_eq(got, 2);
}
END_TEST

// ---- PCA ----

START_TEST(test_pca_recovers_a_plane)
{
    // 8 points on a 2-D plane inside 5-D: PCA keeps every distance and all the variance
    enum { N = 8, D = 5 };
    const float e1[D] = {0.6f, 0.8f, 0, 0, 0}, e2[D] = {0, 0, 0.6f, 0, 0.8f};
    // s and t uncorrelated, s of the larger variance
    const float s[N] = {3, -3, 1, -1, 3, -3, 1, -1}, t[N] = {1, 1, -1, -1, -1, -1, 1, 1};
    float x[N * D], out[N * 2];
    for (int i = 0; i < N; i++)
        for (int d = 0; d < D; d++) x[i * D + d] = 7 + s[i] * e1[d] + t[i] * e2[d];
    double ex[2];
    pca_2d(x, N, D, out, ex);
    dl_ck_close1("explained total", ex[0] + ex[1], 1.0, 1e-5, 0);
    ck_assert(ex[0] >= ex[1]);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++) {
            double d0 = 0, d1 = 0;
            for (int d = 0; d < D; d++) d0 += (x[i * D + d] - x[j * D + d]) * (x[i * D + d] - x[j * D + d]);
            for (int k = 0; k < 2; k++) d1 += (out[2 * i + k] - out[2 * j + k]) * (out[2 * i + k] - out[2 * j + k]);
            dl_ck_close1("distance", sqrt(d1), sqrt(d0), 1e-4, 1e-4);
        }
    double m0 = 0, m1 = 0;
    for (int i = 0; i < N; i++) m0 += out[2 * i], m1 += out[2 * i + 1];
    dl_ck_close1("centred", m0 / N, 0, 1e-5, 0);
    dl_ck_close1("centred", m1 / N, 0, 1e-5, 0);
    // the first axis is s's direction: coordinate = ±(s − mean)
    double ms = 0;
    for (int i = 0; i < N; i++) ms += s[i];
    ms /= N;
    double sign = out[0] * (s[0] - ms) > 0 ? 1 : -1;
    for (int i = 0; i < N; i++) dl_ck_close1("PC1", out[2 * i], sign * (s[i] - ms), 1e-4, 1e-4);
}
END_TEST

START_TEST(test_plot_words_pca_writes_labels)
{
    char dir[64], path[128], buf[4096];
    dl_tmpdir(dir, sizeof dir);
    char *w[] = {"king", "queen", "man", "woman"};
    const float v[] = {1, 2, 0,   1, 0, 2,   0, 2, 0.1f,   0, 0, 2.2f};
    WordVectors wv;
    make_vectors(&wv, 4, 3, w, v);
    const char *ask[] = {"king", "nope", "queen", "man", "woman"};
    ck_assert_int_eq(plot_words_pca(dir, "pca", "words", &wv, ask, 5, false), 4);
    snprintf(path, sizeof path, "%s/pca.dat", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    ck_assert_msg(strstr(buf, "\"king\"") && strstr(buf, "\"woman\"") && !strstr(buf, "nope"),
                  "%s", buf);
    wordvec_free(&wv);
    dl_rm_rf(dir);
}
END_TEST

// ---- everything ----

START_TEST(test_evaluate_vectors_records_metrics)
{
    WordVectors wv;
    WordEval ev = {0};
    load_fixture_set(&wv, &ev.analogy, &ev.wordsim);
    Chapter ch = {0};
    metrics_init(&ch.metrics, "/tmp");
    EvalSummary s = evaluate_vectors(&ch, &wv, &ev, "t", false);
    double x;
    ck_assert(metrics_get(&ch.metrics, "t_analogy_acc_pct", &x));
    dl_ck_close1("acc", x, s.analogy.acc_pct, 1e-9, 0);
    ck_assert(metrics_get(&ch.metrics, "t_analogy_sem_acc_pct", &x));
    ck_assert(metrics_get(&ch.metrics, "t_analogy_syn_acc_pct", &x));
    ck_assert(metrics_get(&ch.metrics, "t_analogy_seen", &x));
    ck_assert_int_eq((int)x, s.analogy.seen);
    ck_assert(metrics_get(&ch.metrics, "t_wordsim_spearman", &x));
    dl_ck_close1("rho", x, s.wordsim.rho, 1e-9, 0);
    ck_assert(!metrics_get(&ch.metrics, "t_simlex_spearman", &x));   // not loaded: skipped
    metrics_free(&ch.metrics);
    word_eval_free(&ev);
    wordvec_free(&wv);
}
END_TEST

// ---- loaders ----

START_TEST(test_analogy_parse_sections_and_errors)
{
    AnalogySet a;
    char err[512];
    const char *ok = ": capital-common-countries\nAthens Greece Baghdad Iraq\n\n"
                     ":gram1-adjective-to-adverb\r\namazing amazingly apparent apparently\r\n"
                     ": empty\n";
    ck_assert_msg(analogy_parse(ok, strlen(ok), "q", &a, err, sizeof err), "%s", err);
    ck_assert_int_eq(a.n, 2);
    ck_assert_int_eq(a.n_sections, 3);
    ck_assert_str_eq(a.q[0][0], "athens");
    ck_assert_str_eq(a.q[0][3], "iraq");
    ck_assert_str_eq(a.q[1][3], "apparently");
    ck_assert_str_eq(a.section_name[1], "gram1-adjective-to-adverb");
    ck_assert(!a.syntactic[0] && a.syntactic[1]);
    ck_assert_int_eq(a.section[1], 1);
    analogy_free(&a);
    static const struct { const char *text, *says1, *says2; } bad[] = {
        {"a b c d\n", "line 1", "before the first section"},
        {": s\na b c\n", "line 2 has 3 words", "expected 4"},
        {": s\na b c d e f g h i j\n", "more than 8 words", "expected 4"},
        {": s\n: \n", "line 2", "section line"},
        {": s t\n", "line 1", "section line"},
        {": s\n\n", "no question", "make data"},
        {"", "no question", "make data"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!analogy_parse(bad[i].text, strlen(bad[i].text), "q.txt", &a, err, sizeof err),
                      "case %zu accepted", i);
        ck_assert_msg(strstr(err, "q.txt") && strstr(err, bad[i].says1) && strstr(err, bad[i].says2),
                      "case %zu: %s", i, err);
        ck_assert_int_eq(a.n, 0);
        ck_assert_ptr_null(a.q);
    }
    ck_assert(!analogy_parse(": s\na\0 b c d\n", 13, "q.txt", &a, err, sizeof err));
    ck_assert_msg(strstr(err, "NUL") && strstr(err, "line 2"), "%s", err);
}
END_TEST

START_TEST(test_simpairs_parse_and_errors)
{
    SimPairs p;
    char err[512];
    const char *ok = "# The WordSimilarity-353\n# Word 1\tWord 2\tHuman (mean)\nLove\tsex\t6.77\n"
                     "\ntiger cat 7.35\r\n";
    ck_assert_msg(simpairs_parse(ok, strlen(ok), "p", &p, err, sizeof err), "%s", err);
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(p.w1[0], "love");
    ck_assert_str_eq(p.w2[1], "cat");
    dl_ck_close1("score", p.score[1], 7.35f, 0, 0);
    simpairs_free(&p);
    static const struct { const char *text, *says1, *says2; } bad[] = {
        {"a\tb\n", "line 1 has 2 fields", "expected 3"},
        {"# c\na\tb\tc\td\n", "line 2 has 4 fields", "expected 3"},
        {"a\tb\tx\n", "\"x\"", "finite number"},
        {"a\tb\tinf\n", "\"inf\"", "finite number"},
        {"# only\n\n", "no word pair", "make data"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!simpairs_parse(bad[i].text, strlen(bad[i].text), "p.tsv", &p, err, sizeof err),
                      "case %zu accepted", i);
        ck_assert_msg(strstr(err, "p.tsv") && strstr(err, bad[i].says1) && strstr(err, bad[i].says2),
                      "case %zu: %s", i, err);
        ck_assert_int_eq(p.n, 0);
    }
    WordEval ev;
    ck_assert(!word_eval_load(&ev, "/nonexistent", err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/questions-words.txt") && strstr(err, "make data"),
                  "%s", err);
}
END_TEST

static bool have_eval_data(void)
{
    return access("data/" ANALOGY_FILE, R_OK) == 0 && access("data/" WORDSIM_FILE, R_OK) == 0 &&
           access("data/" SIMLEX_FILE, R_OK) == 0;
}

START_TEST(test_real_sets_counts)
{
    WordEval ev;
    char err[512];
    ck_assert_msg(word_eval_load(&ev, "data", err, sizeof err), "%s", err);
    ck_assert_int_eq(ev.analogy.n, 19544);
    ck_assert_int_eq(ev.analogy.n_sections, 14);
    int sem = 0;
    for (int i = 0; i < ev.analogy.n; i++) sem += !ev.analogy.syntactic[ev.analogy.section[i]];
    ck_assert_int_eq(sem, 8869);
    for (int s = 0; s < 14; s++) ck_assert(ev.analogy.syntactic[s] == (s >= 5));
    ck_assert_int_eq(ev.wordsim.n, 353);
    ck_assert_int_eq(ev.simlex.n, 999);
    word_eval_free(&ev);
}
END_TEST

static Suite *evaluate_suite(void)
{
    Suite *s = suite_create("evaluate");
    TCase *tc = tcase_create("analogy");
    tcase_add_test(tc, test_3cosadd_known_answers_and_exclusions);
    tcase_add_test(tc, test_3cosadd_restriction_skips_and_hides_rows);
    tcase_add_test(tc, test_3cosadd_needs_a_positive_cosine_and_frequent_case_variant);
    tcase_add_test(tc, test_analogy_accuracy_equals_gensim);
    tcase_add_test(tc, test_analogy_answers_do_not_depend_on_threads);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("similarity");
    tcase_add_test(tc, test_spearman_with_ties_matches_scipy);
    tcase_add_test(tc, test_similarity_equals_gensim);
    tcase_add_test(tc, test_nearest_cosine_order_ties_exclusion);
    tcase_add_test(tc, test_pca_recovers_a_plane);
    tcase_add_test(tc, test_plot_words_pca_writes_labels);
    tcase_add_test(tc, test_evaluate_vectors_records_metrics);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("loaders");
    tcase_add_test(tc, test_analogy_parse_sections_and_errors);
    tcase_add_test(tc, test_simpairs_parse_and_errors);
    dl_tcase_add_test_if(tc, test_real_sets_counts, have_eval_data(),
                         "data/questions-words.txt, wordsim353.tsv or simlex999.txt missing "
                         "(run: make data)");
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(evaluate_suite)
