/* tests/test_tokenize.c — chapter 6's text layer: the tokenizer (common/data/tokenize.h) on
 * hand-written cases (clitics, punctuation, "<br />", URLs, case, stop words and the "not good"
 * caveat, empty input, bytes >= 0x80, NUL bytes); the Porter stemmer (data/porter.h) against
 * Snowball's `stemwords -l porter` on every line of tests/fixtures/porter_voc.txt (written by
 * scripts/gen_fixtures_porter.sh); the IMDb loader (data/imdb.h) on a fake tree written here
 * (good files, a bad name, a bad rating, a NUL byte, a missing folder, the per-class limit and
 * order) and, when `make data` fetched it, on the real data set (12,500 reviews per folder).
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/imdb.h"
#include "data/porter.h"
#include "data/tokenize.h"

// Tokenize s with o and compare with the space-separated expectation want.
static void check_tokens(const char *s, size_t n, TokenizeOptions o, const char *want)
{
    TokenList t = {0};
    tokenize(s, n, &o, &t);
    char got[4096] = "";
    size_t used = 0;
    for (int i = 0; i < t.n; i++)
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%s", i ? " " : "", t.tok[i]);
    ck_assert_msg(strcmp(got, want) == 0, "tokenize(\"%.*s\"):\n  got  [%s]\n  want [%s]", (int)n,
                  s, got, want);
    token_list_free(&t);
}
#define TOK(s, o, want) check_tokens(s, strlen(s), o, want)

static const TokenizeOptions RAW = {0};

START_TEST(test_clitics_split_penn_treebank_style)
{
    TOK("it's don't they're we'll I've she'd I'm can't won't", TOKENIZE_DEFAULT,
        "it 's do n't they 're we 'll i 've she 'd i 'm ca n't wo n't");
    TOK("the dogs' bone, o'brien's well-made rock'n'roll", TOKENIZE_DEFAULT,
        "the dogs bone o'brien 's well-made rock'n'roll");
    TOK("IT'S", RAW, "IT 'S");                   // no lower-casing: the clitic keeps its case
    TOK("' 's 'em", TOKENIZE_DEFAULT, "'s em");  // a lone clitic stays; a lone quote goes
}
END_TEST

START_TEST(test_punctuation_is_split_and_dropped)
{
    TokenizeOptions keep = TOKENIZE_DEFAULT;
    keep.drop_punct = false;
    TOK("Good. Bad!!! (really?) \"yes\"...", keep, "good . bad !!! ( really ? ) \" yes \" ...");
    TOK("Good. Bad!!! (really?) \"yes\"...", TOKENIZE_DEFAULT, "good bad really yes");
    TOK("3.5 stars, 10,000 votes in 1999; 7/10", TOKENIZE_DEFAULT,
        "3.5 stars 10,000 votes in 1999 7 10");
    TOK("end-- -dash a-", keep, "end -- - dash a -");
}
END_TEST

START_TEST(test_html_and_urls_are_removed)
{
    TOK("Great film.<br /><br />See it", TOKENIZE_DEFAULT, "great film see it");
    TOK("<i>Italic</i> and <a href=\"x\">link</a>", TOKENIZE_DEFAULT, "italic and link");
    TOK("a < b and c > d", TOKENIZE_DEFAULT, "a b and c d");   // not tags: only the marks go
    TOK("see http://www.imdb.com/title/tt0111161/ or www.example.org, HTTPS://X.Y/z?q=1 ok",
        TOKENIZE_DEFAULT, "see or ok");
    TOK("url http://a.b/c<br />next", TOKENIZE_DEFAULT, "url next");
    TokenizeOptions keep = RAW;
    keep.lowercase = true;
    keep.drop_punct = true;
    TOK("x<br />y http://a.b", keep, "x br y http a b");   // without the stripping steps
}
END_TEST

START_TEST(test_stop_words_and_the_not_good_caveat)
{
    ck_assert(stopword_is("not") && stopword_is("no") && stopword_is("the") &&
              stopword_is("yourselves") && stopword_is("a"));
    ck_assert(!stopword_is("good") && !stopword_is("") && !stopword_is("The") &&
              !stopword_is("brilliant") && !stopword_is("zzz"));
    TokenizeOptions o = TOKENIZE_DEFAULT;
    o.drop_stopwords = true;
    TOK("This movie is not good", TOKENIZE_DEFAULT, "this movie is not good");
    TOK("This movie is not good", o, "movie good");   // the caveat: the negation is gone
    TOK("No, it was NOT bad at all", o, "bad");
    o.stem = true;
    TOK("The actors were brilliantly conditioned, hopping and running", o,
        "actor brilliantli condit hop run");
    o.drop_stopwords = false;
    TOK("it's caresses 3rd café", o, "it 's caress 3rd café");   // only a–z tokens are stemmed
    TOK("U.S. is", o, "u s i");                 // "s" would stem to "": no empty token
}
END_TEST

START_TEST(test_empty_high_bytes_and_nul_bytes)
{
    TOK("", TOKENIZE_DEFAULT, "");
    TOK("   \n\t ", TOKENIZE_DEFAULT, "");
    TOK("!!! ... ---", TOKENIZE_DEFAULT, "");
    TOK("Caf\xc3\xa9 \xc3\x89T\xc3\x89 na\xc3\xafve", TOKENIZE_DEFAULT,
        "caf\xc3\xa9 \xc3\x89t\xc3\x89 na\xc3\xafve");             // bytes >= 0x80 kept as they are
    TOK("\xff\xfe x", TOKENIZE_DEFAULT, "\xff\xfe x");
    check_tokens("one\0two\0\0three", 15, TOKENIZE_DEFAULT, "one two three");   // NUL = space
    check_tokens("a\0", 2, RAW, "a");
    // the list is reused across calls (shorter then longer text)
    TokenList t = {0};
    TokenizeOptions o = TOKENIZE_DEFAULT;
    tokenize("a b c d e f", 11, &o, &t);
    ck_assert_int_eq(t.n, 6);
    tokenize("x", 1, &o, &t);
    ck_assert_int_eq(t.n, 1);
    ck_assert_str_eq(t.tok[0], "x");
    tokenize(NULL, 0, &o, &t);
    ck_assert_int_eq(t.n, 0);
    const char *long_text = "the quick brown fox jumps over the lazy dog's back, doesn't it?";
    tokenize(long_text, strlen(long_text), &o, &t);
    ck_assert_int_eq(t.n, 14);
    ck_assert_str_eq(t.tok[12], "n't");
    token_list_free(&t);
}
END_TEST

START_TEST(test_stop_words_are_scikit_learns_318)
{
    FILE *f = fopen("tests/fixtures/stopwords_sklearn.txt", "r");
    ck_assert_msg(f, "tests/fixtures/stopwords_sklearn.txt is missing "
                  "(scripts/gen_fixtures_stopwords.sh)");
    static char list[400][32];
    int n = 0;
    while (n < 400 && fgets(list[n], sizeof list[n], f)) {
        list[n][strcspn(list[n], "\n")] = 0;
        ck_assert_msg(stopword_is(list[n]), "'%s' is in scikit-learn's list, not in ours", list[n]);
        n++;
    }
    fclose(f);
    ck_assert_int_eq(n, 318);
    // ... and nothing else: of the 10,099 words of the Porter fixture, those stopword_is takes
    // are exactly those in the file
    FILE *v = fopen("tests/fixtures/porter_voc.txt", "r");
    ck_assert(v);
    char line[256];
    int listed = 0;
    while (fgets(line, sizeof line, v)) {
        line[strcspn(line, " \n")] = 0;
        bool theirs = false;
        for (int i = 0; i < n && !theirs; i++) theirs = strcmp(list[i], line) == 0;
        ck_assert_msg(stopword_is(line) == theirs, "'%s': stopword_is says %d, scikit-learn %d",
                      line, stopword_is(line), theirs);
        listed += theirs;
    }
    fclose(v);
    ck_assert_int_gt(listed, 250);   // most of the list is among text8's frequent words
}
END_TEST

// ---- Porter ----

START_TEST(test_porter_matches_snowball_on_the_fixture)
{
    FILE *f = fopen("tests/fixtures/porter_voc.txt", "r");
    ck_assert_msg(f, "tests/fixtures/porter_voc.txt is missing (scripts/gen_fixtures_porter.sh)");
    char line[256], word[128], stem[128];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        // "word stem\n"; the stem can be empty ("s" → "")
        char *sp = strchr(line, ' ');
        ck_assert_msg(sp && sp > line && sp - line < 127 && strlen(sp) < 128,
                      "bad fixture line: %s", line);
        memcpy(word, line, (size_t)(sp - line));
        word[sp - line] = 0;
        strcpy(stem, sp + 1);
        stem[strcspn(stem, "\n")] = 0;
        char w[128];
        size_t len = strlen(word);
        memcpy(w, word, len);
        size_t k = porter_stem(w, len);
        ck_assert(k <= len);
        w[k] = 0;
        if (strcmp(w, stem) != 0 && bad++ < 20)
            fprintf(stderr, "porter: %s → %s, Snowball %s\n", word, w, stem);
        n++;
    }
    fclose(f);
    ck_assert_int_ge(n, 10000);
    ck_assert_msg(bad == 0, "%d of %d words stemmed differently from Snowball's porter", bad, n);
}
END_TEST

START_TEST(test_porter_examples_of_the_paper)
{
    const char *cases[][2] = {
        {"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"cats", "cat"},
        {"feed", "feed"}, {"agreed", "agre"}, {"plastered", "plaster"}, {"motoring", "motor"},
        {"sing", "sing"}, {"conflated", "conflat"}, {"hopping", "hop"}, {"falling", "fall"},
        {"filing", "file"}, {"happy", "happi"}, {"sky", "sky"}, {"relational", "relat"},
        {"generalizations", "gener"}, {"oscillators", "oscil"}, {"controll", "control"},
        {"is", "i"}, {"s", ""}, {"a", "a"}, {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char w[64];
        size_t len = strlen(cases[i][0]);
        memcpy(w, cases[i][0], len + 1);
        size_t k = porter_stem(w, len);
        w[k] = 0;
        ck_assert_msg(strcmp(w, cases[i][1]) == 0, "%s → %s, want %s", cases[i][0], w, cases[i][1]);
    }
    char buf[] = "runningXYZ";   // only w[0 … n) is read and written
    ck_assert_uint_eq(porter_stem(buf, 7), 3);
    ck_assert(memcmp(buf, "run", 3) == 0 && strcmp(buf + 7, "XYZ") == 0);
}
END_TEST

// ---- IMDb ----

static void write_file(const char *dir, const char *sub, const char *name, const char *bytes,
                       size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
}
#define WRITE(dir, sub, name, s) write_file(dir, sub, name, s, strlen(s))

static void make_tree(char *dir, size_t len)
{
    dl_tmpdir(dir, len);
    const char *subs[] = {"train", "train/neg", "train/pos"};
    char path[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subs[i]);
        ck_assert(mkdir(path, 0755) == 0);
    }
    WRITE(dir, "train/neg", "10_1.txt", "Awful.<br />Just awful.");
    WRITE(dir, "train/neg", "2_4.txt", "Not good.");
    WRITE(dir, "train/neg", "7_3.txt", "Meh");
    WRITE(dir, "train/pos", "5_10.txt", "Brilliant!");
    WRITE(dir, "train/pos", "0_7.txt", "It's fine.");
    WRITE(dir, "train/pos", ".hidden", "ignored");
}

START_TEST(test_imdb_loads_a_fake_tree_in_order)
{
    char dir[256], err[512];
    make_tree(dir, sizeof dir);
    ImdbSplit s;
    ck_assert_msg(imdb_load(dir, "train", 0, &s, err, sizeof err), "%s", err);
    ck_assert_int_eq(s.n, 5);
    const int id[] = {2, 7, 10, 0, 5}, rating[] = {4, 3, 1, 7, 10}, label[] = {0, 0, 0, 1, 1};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(s.id[i], id[i]);
        ck_assert_int_eq(s.rating[i], rating[i]);
        ck_assert_int_eq(s.label[i], label[i]);
        ck_assert_uint_eq(s.len[i], strlen(s.text[i]));
    }
    ck_assert_str_eq(s.text[2], "Awful.<br />Just awful.");
    ck_assert_str_eq(s.text[3], "It's fine.");
    imdb_free(&s);
    // a limit per class takes the lowest ids
    ck_assert_msg(imdb_load(dir, "train", 2, &s, err, sizeof err), "%s", err);
    ck_assert_int_eq(s.n, 4);
    ck_assert_int_eq(s.id[0], 2);
    ck_assert_int_eq(s.id[1], 7);
    ck_assert_int_eq(s.id[2], 0);
    ck_assert_int_eq(s.id[3], 5);
    imdb_free(&s);
    dl_rm_rf(dir);
}
END_TEST

// Load dir's train split expecting failure with a message containing each of want1, want2.
static void load_fails(const char *dir, const char *split, const char *want1, const char *want2)
{
    char err[512] = "";
    ImdbSplit s;
    ck_assert(!imdb_load(dir, split, 0, &s, err, sizeof err));
    ck_assert_int_eq(s.n, 0);
    ck_assert_msg(strstr(err, want1) && strstr(err, want2), "error '%s' lacks '%s' / '%s'", err,
                  want1, want2);
}

START_TEST(test_imdb_names_every_bad_input)
{
    char dir[256], path[512];
    make_tree(dir, sizeof dir);
    load_fails(dir, "test", "test/neg", "make data");                     // missing folder
    WRITE(dir, "train/neg", "11_x.txt", "text");                           // bad name
    load_fails(dir, "train", "11_x.txt", "<id>_<rating>.txt");
    snprintf(path, sizeof path, "%s/train/neg/11_x.txt", dir);
    unlink(path);
    WRITE(dir, "train/pos", "12_4.txt", "text");                           // the other class's rating
    load_fails(dir, "train", "12_4.txt", "rating 4");
    snprintf(path, sizeof path, "%s/train/pos/12_4.txt", dir);
    unlink(path);
    write_file(dir, "train/pos", "13_8.txt", "ab\0cd", 5);                 // a NUL byte
    load_fails(dir, "train", "13_8.txt", "NUL byte at offset 2");
    snprintf(path, sizeof path, "%s/train/pos/13_8.txt", dir);
    unlink(path);
    WRITE(dir, "train/pos", "14_9.txt", "");                               // empty
    load_fails(dir, "train", "14_9.txt", "0 bytes");
    snprintf(path, sizeof path, "%s/train/pos/14_9.txt", dir);
    unlink(path);
    WRITE(dir, "train/pos", "5_9.txt", "dup");                             // a second id 5
    load_fails(dir, "train", "id 5", "5_9.txt");
    snprintf(path, sizeof path, "%s/train/pos/5_9.txt", dir);
    unlink(path);
    const char *neg[] = {"10_1.txt", "2_4.txt", "7_3.txt"};                 // an empty class
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/train/neg/%s", dir, neg[i]);
        unlink(path);
    }
    load_fails(dir, "train", "train/neg", "no reviews");
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_imdb_check_review_cases)
{
    char err[512];
    int id = -1, rating = -1;
    ck_assert(imdb_check_review("123_8.txt", "ok", 2, true, &id, &rating, err, sizeof err));
    ck_assert_int_eq(id, 123);
    ck_assert_int_eq(rating, 8);
    ck_assert(imdb_check_review("0_1.txt", "x", 1, false, &id, &rating, err, sizeof err));
    const char *bad_names[] = {"123_8.txt.bak", "_8.txt", "123_.txt", "123-8.txt", "a_8.txt",
                               "123_8", "1234567890_8.txt", "12_+8.txt", "12_8_1.txt", "",
                               ".txt", "1_11.txt"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        ck_assert_msg(!imdb_check_review(bad_names[i], "x", 1, true, &id, &rating, err, sizeof err),
                      "'%s' accepted", bad_names[i]);
    ck_assert(!imdb_check_review("1_5.txt", "x", 1, false, &id, &rating, err, sizeof err));
    ck_assert(!imdb_check_review("1_6.txt", "x", 1, true, &id, &rating, err, sizeof err));
    ck_assert(!imdb_check_review("1_7.txt", "x", 1, false, &id, &rating, err, sizeof err));
    ck_assert(!imdb_check_review("1_4.txt", "x", 1, true, &id, &rating, err, sizeof err));
    ck_assert(!imdb_check_review("1_7.txt", "x", (1 << 20) + 1, true, &id, &rating, err,
                                 sizeof err));
    ck_assert(strstr(err, "1 MB"));
}
END_TEST

#define REAL_IMDB "data/imdb/aclImdb"

START_TEST(test_real_imdb_has_12500_reviews_per_folder)
{
    const char *splits[] = {"train", "test"};
    for (int k = 0; k < 2; k++) {
        ImdbSplit s;
        char err[512];
        ck_assert_msg(imdb_load(REAL_IMDB, splits[k], 0, &s, err, sizeof err), "%s", err);
        ck_assert_int_eq(s.n, 25000);
        int pos = 0;
        for (int i = 0; i < s.n; i++) pos += s.label[i];
        ck_assert_int_eq(pos, 12500);
        ck_assert_int_eq(s.id[0], 0);           // ids 0 … 12499 in each folder
        ck_assert_int_eq(s.id[12499], 12499);
        ck_assert_int_eq(s.id[12500], 0);
        imdb_free(&s);
    }
}
END_TEST

static Suite *tokenize_suite(void)
{
    Suite *s = suite_create("tokenize");
    TCase *tok = tcase_create("tokenize");
    tcase_add_test(tok, test_clitics_split_penn_treebank_style);
    tcase_add_test(tok, test_punctuation_is_split_and_dropped);
    tcase_add_test(tok, test_html_and_urls_are_removed);
    tcase_add_test(tok, test_stop_words_and_the_not_good_caveat);
    tcase_add_test(tok, test_stop_words_are_scikit_learns_318);
    tcase_add_test(tok, test_empty_high_bytes_and_nul_bytes);
    suite_add_tcase(s, tok);
    TCase *por = tcase_create("porter");
    tcase_add_test(por, test_porter_matches_snowball_on_the_fixture);
    tcase_add_test(por, test_porter_examples_of_the_paper);
    suite_add_tcase(s, por);
    TCase *imdb = tcase_create("imdb");
    tcase_set_timeout(imdb, 30);
    tcase_add_test(imdb, test_imdb_loads_a_fake_tree_in_order);
    tcase_add_test(imdb, test_imdb_names_every_bad_input);
    tcase_add_test(imdb, test_imdb_check_review_cases);
    dl_tcase_add_test_if(imdb, test_real_imdb_has_12500_reviews_per_folder,
                         access(REAL_IMDB "/train/pos", R_OK) == 0,
                         REAL_IMDB " is absent (make data could not get it)");
    suite_add_tcase(s, imdb);
    return s;
}

DL_TEST_MAIN(tokenize_suite)
