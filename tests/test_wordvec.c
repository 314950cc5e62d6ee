/* tests/test_wordvec.c — word vocabularies and word vectors (common/data/wordvec.h): the
 * vocabulary's order (count, then first appearance), min-count, encode dropping unknown words,
 * bad corpora; vectors saved and loaded back (word2vec's text format), a file written by gensim
 * (tests/fixtures/wordvec_gensim.txt, scripts/gen_fixtures_wordvec.py) read value by value, our
 * file read by gensim itself when /usr/bin/python3 has it, word2vec.c's trailing spaces and CRLF,
 * and every malformed file rejected with a message that names the problem.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/wordvec.h"

// ---- vocabulary ----

START_TEST(test_vocab_order_counts_and_min_count)
{
    const char *s = "b a c a\tb a\n d  e e\r\n";   // a:3 b:2 e:2 c:1 d:1
    WordVocab v;
    char err[256];
    ck_assert_msg(word_vocab_build(&v, s, strlen(s), 1, err, sizeof err), "%s", err);
    const char *want[] = {"a", "b", "e", "c", "d"};   // ties by first appearance
    const int64_t cnt[] = {3, 2, 2, 1, 1};
    ck_assert_int_eq(v.V, 5);
    ck_assert_int_eq(v.n_tokens, 9);
    for (int i = 0; i < 5; i++) {
        ck_assert_str_eq(v.words[i], want[i]);
        ck_assert_int_eq(v.count[i], cnt[i]);
        ck_assert_int_eq(word_vocab_id(&v, want[i]), i);
    }
    ck_assert_int_eq(word_vocab_id(&v, "f"), -1);
    ck_assert_int_eq(word_vocab_id(&v, "ab"), -1);
    ck_assert_int_eq(word_vocab_id(&v, ""), -1);
    word_vocab_free(&v);

    ck_assert(word_vocab_build(&v, s, strlen(s), 2, err, sizeof err));
    ck_assert_int_eq(v.V, 3);
    ck_assert_int_eq(v.n_tokens, 9);   // all tokens are counted, kept or not
    ck_assert_int_eq(word_vocab_id(&v, "c"), -1);
    ck_assert_int_eq(word_vocab_id(&v, "e"), 2);

    int *ids;
    size_t n_ids, dropped;
    const char *t = "a c e zz b";
    ck_assert(word_vocab_encode(&v, t, strlen(t), &ids, &n_ids, &dropped, err, sizeof err));
    ck_assert_int_eq(n_ids, 3);
    ck_assert_int_eq(dropped, 2);
    ck_assert_int_eq(ids[0], 0);
    ck_assert_int_eq(ids[1], 2);
    ck_assert_int_eq(ids[2], 1);
    free(ids);
    ck_assert(word_vocab_encode(&v, "zz q", 4, &ids, &n_ids, &dropped, err, sizeof err));
    ck_assert_int_eq(n_ids, 0);
    ck_assert_int_eq(dropped, 2);
    free(ids);
    ck_assert(!word_vocab_encode(&v, "a\0b", 3, &ids, &n_ids, &dropped, err, sizeof err));
    ck_assert_msg(strstr(err, "NUL"), "%s", err);
    ck_assert_ptr_null(ids);
    word_vocab_free(&v);
}
END_TEST

START_TEST(test_vocab_from_tokens_matches_text)
{
    char *tok[] = {"it", "'s", "good", "", "it", "'s", "not", "good", "good"};
    WordVocab v;
    char err[256];
    ck_assert(word_vocab_build_tokens(&v, tok, 9, 1, err, sizeof err));
    ck_assert_int_eq(v.V, 4);
    ck_assert_int_eq(v.n_tokens, 8);   // the empty token is no word
    ck_assert_str_eq(v.words[0], "good");
    ck_assert_str_eq(v.words[1], "it");
    ck_assert_str_eq(v.words[2], "'s");
    ck_assert_str_eq(v.words[3], "not");
    word_vocab_free(&v);
}
END_TEST

START_TEST(test_vocab_grows_past_its_first_table)
{
    // 5000 distinct words force the counting table to rehash several times.
    size_t cap = 5000 * 8, n = 0;
    char *s = malloc(cap);
    for (int i = 0; i < 5000; i++) n += (size_t)snprintf(s + n, cap - n, "w%d ", 2500 + i % 2500);
    WordVocab v;
    char err[256];
    ck_assert(word_vocab_build(&v, s, n, 1, err, sizeof err));
    ck_assert_int_eq(v.V, 2500);   // w2500 … w4999, each seen twice
    ck_assert_str_eq(v.words[0], "w2500");
    ck_assert_int_eq(v.count[2499], 2);
    for (int i = 0; i < 2500; i++) ck_assert_int_eq(word_vocab_id(&v, v.words[i]), i);
    word_vocab_free(&v);
    free(s);
}
END_TEST

START_TEST(test_vocab_bad_corpora_say_why)
{
    WordVocab v;
    char err[256];
    ck_assert(!word_vocab_build(&v, " \n\t ", 4, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "no word"), "%s", err);
    ck_assert(!word_vocab_build(&v, "", 0, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "no word"), "%s", err);
    ck_assert(!word_vocab_build(&v, "a b a c", 7, 5, err, sizeof err));
    ck_assert_msg(strstr(err, "min-count = 5") && strstr(err, "\"a\"") &&
                  strstr(err, "lower --min-count"), "%s", err);
    ck_assert(!word_vocab_build(&v, "a b", 3, 0, err, sizeof err));
    ck_assert_msg(strstr(err, "min-count = 0"), "%s", err);
    ck_assert(!word_vocab_build(&v, "a\nb\0c", 5, 1, err, sizeof err));
    ck_assert_msg(strstr(err, "NUL") && strstr(err, "line 2"), "%s", err);
    ck_assert_int_eq(v.V, 0);
    ck_assert_ptr_null(v.words);
}
END_TEST

// ---- vectors ----

static void fill(WordVectors *wv)
{
    for (int i = 0; i < wv->V; i++)
        for (int d = 0; d < wv->D; d++)
            wv->vec[(size_t)i * wv->D + d] = sinf((float)(i * wv->D + d + 1)) * powf(10, (float)(d % 5 - 2));
}

START_TEST(test_vectors_init_id_unit_rows)
{
    char *w[] = {"x", "y", "z"};
    WordVectors wv;
    wordvec_init(&wv, 3, 2, w);
    ck_assert_int_eq(wordvec_id(&wv, "y"), 1);
    ck_assert_int_eq(wordvec_id(&wv, "q"), -1);
    for (int i = 0; i < 6; i++) ck_assert(wv.vec[i] == 0.0f);
    wv.vec[0] = 3;
    wv.vec[1] = 4;
    wv.vec[2] = -2;
    float u[6];
    wordvec_unit_rows(&wv, u);
    const float want[6] = {0.6f, 0.8f, -1.0f, 0.0f, 0.0f, 0.0f};   // the zero row stays zero
    dl_ck_close("unit rows", u, want, 6, 1e-7, 1e-6);
    wordvec_free(&wv);
}
END_TEST

static void init_repeated(void)
{
    char *w[] = {"x", "y", "x"};
    WordVectors wv;
    wordvec_init(&wv, 3, 2, w);
}

START_TEST(test_vectors_init_repeated_word_dies)
{
    const DlDeathCase cases[] = {{"repeated word", init_repeated, {"\"x\"", "distinct"}}};
    dl_check_deaths(cases, 1);
}
END_TEST

START_TEST(test_save_load_round_trip)
{
    char dir[64], path[128], err[512];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/v.txt", dir);
    char *w[] = {"the", "naïve", "it's", "<unk>"};
    WordVectors wv, back;
    wordvec_init(&wv, 4, 6, w);
    fill(&wv);
    ck_assert_msg(wordvec_save_text(&wv, path, err, sizeof err), "%s", err);
    ck_assert_msg(wordvec_load_text(path, &back, err, sizeof err), "%s", err);
    ck_assert_int_eq(back.V, 4);
    ck_assert_int_eq(back.D, 6);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(back.words[i], w[i]);
        ck_assert_int_eq(wordvec_id(&back, w[i]), i);
    }
    dl_ck_close("vectors after %.6g", back.vec, wv.vec, 24, 0, 1e-5);   // 6 significant digits
    wordvec_free(&back);
    // a word with white space cannot be stored
    free(wv.words[1]);
    wv.words[1] = strdup("two words");
    ck_assert(!wordvec_save_text(&wv, path, err, sizeof err));
    ck_assert_msg(strstr(err, "two words") && strstr(err, "white space"), "%s", err);
    wordvec_free(&wv);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_reads_gensim_file)
{
    WordVectors wv;
    char err[512];
    ck_assert_msg(wordvec_load_text("tests/fixtures/wordvec_gensim.txt", &wv, err, sizeof err),
                  "%s", err);
    const char *words[] = {"the", "of", "and", "naïve", "café", "it's", "u.s.", "king", "queen",
                           "x1", "brilliant", "awful"};
    ck_assert_int_eq(wv.V, 12);
    ck_assert_int_eq(wv.D, 7);
    float want[12 * 7];
    for (int i = 0; i < 12; i++) {
        ck_assert_str_eq(wv.words[i], words[i]);
        for (int d = 0; d < 7; d++) want[i * 7 + d] = (float)sin((double)(i * 7 + d + 1));
    }
    // gensim prints float32 with repr, which round-trips: the values are exact
    dl_ck_close("gensim's vectors", wv.vec, want, 84, 0, 0);
    ck_assert_int_eq(wordvec_id(&wv, "café"), 4);
    wordvec_free(&wv);
}
END_TEST

static bool have_gensim(void)
{
    char out[256];
    return dl_run("/usr/bin/python3 -c 'import gensim'", out, sizeof out) == 0;
}

START_TEST(test_gensim_reads_our_file)
{
    char dir[64], path[128], err[512], cmd[1024], out[1024];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/v.txt", dir);
    char *w[] = {"king", "queen", "naïve"};
    WordVectors wv;
    wordvec_init(&wv, 3, 4, w);
    fill(&wv);
    ck_assert(wordvec_save_text(&wv, path, err, sizeof err));
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"from gensim.models import KeyedVectors as K; "
             "k = K.load_word2vec_format('%s', binary=False); "
             "print(len(k), k.vector_size, '%%.6g' %% k['naïve'][3], '%%.6g' %% k['king'][0])\"",
             path);
    ck_assert_msg(dl_run(cmd, out, sizeof out) == 0, "gensim failed: %s", out);
    char want[256];
    snprintf(want, sizeof want, "3 4 %.6g %.6g\n", (double)wv.vec[2 * 4 + 3], (double)wv.vec[0]);
    ck_assert_str_eq(out, want);
    wordvec_free(&wv);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_parses_word2vec_c_trailing_spaces_and_crlf)
{
    // word2vec.c writes "%lf " after every value; Windows tools write CRLF.
    const char *s = "2 3\r\nab 1.000000 -2.5 3e-2 \r\nc\t4 5 6\n\n";
    WordVectors wv;
    char err[256];
    ck_assert_msg(wordvec_parse_text(s, strlen(s), "w.txt", &wv, err, sizeof err), "%s", err);
    const float want[6] = {1, -2.5f, 0.03f, 4, 5, 6};
    dl_ck_close("values", wv.vec, want, 6, 0, 0);
    ck_assert_str_eq(wv.words[1], "c");
    wordvec_free(&wv);
}
END_TEST

START_TEST(test_bad_files_say_why)
{
    static const struct {
        const char *text, *says1, *says2;
    } cases[] = {
        {"", "header", "V D"},
        {"abc\n", "header", "V D"},
        {"2\na 1\n", "header", "V D"},
        {"2 2 2\na 1 2\n", "header", "V D"},
        {"0 3\n", "0 words", "1 … 10000000"},
        {"2 20000\na 1\n", "20000 values", "1 … 10000"},
        {"99999 3\na 1 2 3\n", "99999 words", "truncated"},
        {"2 2\na 1.5 2.5\nb 3.5\n", "line 3", "has 1 values, expected 2"},
        {"2 2\na 1 2 5\nb 3 4\n", "line 2", "more than 2 values"},
        {"2 2\na 1 x\nb 3 4\n", "\"x\"", "finite number"},
        {"2 2\na 1 nan\nb 3 4\n", "\"nan\"", "finite number"},
        {"2 2\na 1 1e99\nb 3 4\n", "\"1e99\"", "finite number"},
        {"2 2\na 1 2\na 3 4\n", "\"a\" is repeated", "lines 2 and 3"},
        {"3 1\na 10.5\nb 20.5\n", "ends after 2 of the 3", "truncated"},
        {"2 1\na 1\n\nb 2\n", "line 3", "empty"},
        {"1 1\na 1\nb 2\n", "more lines than the 1 words", "line 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        WordVectors wv;
        char err[512] = "";
        bool ok = wordvec_parse_text(cases[i].text, strlen(cases[i].text), "v.txt", &wv, err,
                                     sizeof err);
        ck_assert_msg(!ok, "case %zu accepted: %s", i, cases[i].text);
        ck_assert_msg(strstr(err, "v.txt:") && strstr(err, cases[i].says1) &&
                      strstr(err, cases[i].says2), "case %zu: '%s' should say '%s' and '%s'", i,
                      err, cases[i].says1, cases[i].says2);
        ck_assert_ptr_null(wv.vec);
        ck_assert_int_eq(wv.V, 0);
    }
    WordVectors wv;
    char err[512];
    ck_assert(!wordvec_parse_text("1 1\na\0 1\n", 9, "v.bin", &wv, err, sizeof err));
    ck_assert_msg(strstr(err, "NUL") && strstr(err, "binary"), "%s", err);
    ck_assert(!wordvec_load_text("/nonexistent/v.txt", &wv, err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/v.txt"), "%s", err);
}
END_TEST

static Suite *wordvec_suite(void)
{
    Suite *s = suite_create("wordvec");
    TCase *tc = tcase_create("vocab");
    tcase_add_test(tc, test_vocab_order_counts_and_min_count);
    tcase_add_test(tc, test_vocab_from_tokens_matches_text);
    tcase_add_test(tc, test_vocab_grows_past_its_first_table);
    tcase_add_test(tc, test_vocab_bad_corpora_say_why);
    suite_add_tcase(s, tc);
    tc = tcase_create("vectors");
    tcase_add_test(tc, test_vectors_init_id_unit_rows);
    tcase_add_test(tc, test_vectors_init_repeated_word_dies);
    tcase_add_test(tc, test_save_load_round_trip);
    tcase_add_test(tc, test_reads_gensim_file);
    dl_tcase_add_test_if(tc, test_gensim_reads_our_file, have_gensim(),
                         "/usr/bin/python3 has no gensim (apt install python3-gensim)");
    tcase_add_test(tc, test_parses_word2vec_c_trailing_spaces_and_crlf);
    tcase_add_test(tc, test_bad_files_say_why);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(wordvec_suite)
