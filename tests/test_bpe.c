/* tests/test_bpe.c — the byte-level BPE tokenizer (common/data/bpe.h): the lecture's
 * "aaabdaaabac" with 3 merges; merges and ids equal to an independent minbpe-style Python BPE
 * (tests/fixtures/bpe_minbpe.txt, scripts/gen_fixtures_bpe.py); round trips on arbitrary bytes
 * (all 256 values, NULs) and text; save/load identical; every kind of corrupt file rejected
 * with a message naming the file, the line and the problem; bad vocabulary sizes.
 */
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/rng.h"
#include "data/bpe.h"
#include "fixture.h"

START_TEST(test_lecture_example)
{
    const char *s = "aaabdaaabac";
    Bpe t;
    char err[256];
    ck_assert_msg(bpe_train(&t, (const uint8_t *)s, strlen(s), 259, err, sizeof err), "%s", err);
    ck_assert_int_eq(t.V, 259);
    ck_assert_int_eq(t.n_merges, 3);
    const int want_merges[3][2] = {{97, 97}, {256, 97}, {257, 98}};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(t.merges[i][0], want_merges[i][0]);
        ck_assert_int_eq(t.merges[i][1], want_merges[i][1]);
    }
    ck_assert_int_eq(t.len[258], 4);
    ck_assert(memcmp(t.bytes[258], "aaab", 4) == 0);
    int ids[16];
    size_t n = bpe_encode(&t, (const uint8_t *)s, strlen(s), ids);
    const int want[] = {258, 100, 258, 97, 99};
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(ids[i], want[i]);
    uint8_t back[16];
    ck_assert_int_eq(bpe_decode(&t, ids, n, back, sizeof back, err, sizeof err), 11);
    ck_assert(memcmp(back, s, 11) == 0);
    bpe_free(&t);
}
END_TEST

static void fix_bytes(Fixture *f, const char *name, uint8_t **out, size_t *n)
{
    FixBlock *b = fixture_get(f, name);
    *n = b->n;
    *out = malloc(b->n + 1);
    for (size_t i = 0; i < b->n; i++) (*out)[i] = (uint8_t)b->v[i];
}

static void check_ids(const Bpe *t, const uint8_t *text, size_t n, const FixBlock *want)
{
    int *ids = malloc(n * sizeof *ids);
    size_t k = bpe_encode(t, text, n, ids);
    ck_assert_msg(k == want->n, "%s: %zu tokens, minbpe gives %zu", want->name, k, want->n);
    for (size_t i = 0; i < k; i++)
        ck_assert_msg(ids[i] == (int)want->v[i], "%s[%zu]: %d, minbpe gives %d", want->name, i,
                      ids[i], (int)want->v[i]);
    free(ids);
}

START_TEST(test_matches_python_minbpe)
{
    Fixture f;
    fixture_load(&f, "tests/fixtures/bpe_minbpe.txt");
    uint8_t *text, *held;
    size_t n, n_held;
    fix_bytes(&f, "train_text", &text, &n);
    fix_bytes(&f, "held_text", &held, &n_held);
    FixBlock *m = fixture_get(&f, "merges");
    int n_merges = m->shape[0];
    Bpe t;
    char err[256];
    ck_assert_msg(bpe_train(&t, text, n, 256 + n_merges, err, sizeof err), "%s", err);
    for (int i = 0; i < n_merges; i++)
        ck_assert_msg(t.merges[i][0] == (int)m->v[2 * i] && t.merges[i][1] == (int)m->v[2 * i + 1],
                      "merge %d: (%d %d), minbpe (%d %d)", i, t.merges[i][0], t.merges[i][1],
                      (int)m->v[2 * i], (int)m->v[2 * i + 1]);
    check_ids(&t, text, n, fixture_get(&f, "train_ids"));
    check_ids(&t, held, n_held, fixture_get(&f, "held_ids"));
    bpe_free(&t);
    free(text);
    free(held);
    fixture_free(&f);
}
END_TEST

/* decode(encode(s)) == s, with fewer tokens than bytes when merges apply. */
static size_t round_trip(const Bpe *t, const uint8_t *s, size_t n)
{
    int *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t k = bpe_encode(t, s, n, ids);
    ck_assert_uint_le(k, n);
    for (size_t i = 0; i < k; i++) ck_assert(ids[i] >= 0 && ids[i] < t->V);
    uint8_t *back = malloc(n + 1);
    char err[256];
    long got = bpe_decode(t, ids, k, back, n, err, sizeof err);
    ck_assert_msg(got == (long)n, "decoded %ld bytes of %zu: %s", got, n, err);
    ck_assert(memcmp(back, s, n) == 0);
    free(back);
    free(ids);
    return k;
}

START_TEST(test_round_trip_arbitrary_bytes_and_text)
{
    Rng r;
    rng_seed(&r, 12);
    size_t n = 20000;
    uint8_t *s = malloc(n);
    // skewed bytes: many repeats (so merges happen), every value 0 … 255 present, NULs
    for (size_t i = 0; i < n; i++) s[i] = i < 256 ? (uint8_t)i : (uint8_t)(rng_below(&r, 4) ? rng_below(&r, 8) : rng_below(&r, 256));
    Bpe t;
    char err[256];
    ck_assert_msg(bpe_train(&t, s, n, 400, err, sizeof err), "%s", err);
    ck_assert_uint_lt(round_trip(&t, s, n), 3 * n / 4);
    // other random bytes, uniform: round-trip with the same tokenizer
    for (size_t i = 0; i < n; i++) s[i] = (uint8_t)rng_below(&r, 256);
    round_trip(&t, s, n);
    round_trip(&t, s, 0);
    round_trip(&t, s, 1);
    const char *text = "To be, or not to be, that is the question:\nWhether 'tis nobler in the "
                       "mind to suffer\nThe slings and arrows of outrageous fortune,\n";
    round_trip(&t, (const uint8_t *)text, strlen(text));
    bpe_free(&t);

    ck_assert(bpe_train(&t, (const uint8_t *)text, strlen(text), 300, err, sizeof err));
    ck_assert_uint_lt(round_trip(&t, (const uint8_t *)text, strlen(text)), strlen(text) / 2);
    round_trip(&t, s, n);
    // V = 256: no merges, the ids are the bytes
    bpe_free(&t);
    ck_assert(bpe_train(&t, s, 10, 256, err, sizeof err));
    int ids[10];
    ck_assert_int_eq(bpe_encode(&t, s, 10, ids), 10);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(ids[i], s[i]);
    bpe_free(&t);
    free(s);
}
END_TEST

/* The chapter's compression curve relies on it: training to a smaller V gives the first merges
 * of a training to a larger one, and the first k merges of a tokenizer encode as a tokenizer
 * trained to 256 + k. */
START_TEST(test_smaller_vocab_is_a_prefix)
{
    Fixture f;
    fixture_load(&f, "tests/fixtures/bpe_minbpe.txt");
    uint8_t *text;
    size_t n;
    fix_bytes(&f, "train_text", &text, &n);
    Bpe big, small;
    char err[256];
    ck_assert(bpe_train(&big, text, n, 400, err, sizeof err));
    ck_assert(bpe_train(&small, text, n, 300, err, sizeof err));
    for (int i = 0; i < small.n_merges; i++) {
        ck_assert_int_eq(small.merges[i][0], big.merges[i][0]);
        ck_assert_int_eq(small.merges[i][1], big.merges[i][1]);
    }
    Bpe prefix = big;
    prefix.n_merges = small.n_merges;
    prefix.V = small.V;
    int *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    size_t ka = bpe_encode(&prefix, text, n, a), kb = bpe_encode(&small, text, n, b);
    ck_assert_uint_eq(ka, kb);
    ck_assert(memcmp(a, b, ka * sizeof *a) == 0);
    ck_assert_uint_lt(bpe_encode(&big, text, n, a), ka);   // more merges, fewer tokens
    free(a);
    free(b);
    free(text);
    bpe_free(&big);
    bpe_free(&small);
    fixture_free(&f);
}
END_TEST

START_TEST(test_decode_errors)
{
    Bpe t;
    char err[256];
    const char *s = "aaabdaaabac";
    ck_assert(bpe_train(&t, (const uint8_t *)s, strlen(s), 259, err, sizeof err));
    int bad[] = {97, 259, 98};
    uint8_t out[32];
    ck_assert_int_eq(bpe_decode(&t, bad, 3, out, sizeof out, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "259") && strstr(err, "position 1"), "%s", err);
    int ok[] = {258, 258};
    ck_assert_int_eq(bpe_decode(&t, ok, 2, out, 7, err, sizeof err), -1);   // needs 8
    ck_assert_msg(strstr(err, "7 bytes"), "%s", err);
    ck_assert_int_eq(bpe_decode(&t, ok, 2, out, 8, err, sizeof err), 8);
    bpe_free(&t);
}
END_TEST

START_TEST(test_bad_vocab_and_short_text)
{
    Bpe t;
    char err[256];
    const char *s = "abcabc";
    ck_assert(!bpe_train(&t, (const uint8_t *)s, 6, 255, err, sizeof err));
    ck_assert_msg(strstr(err, "255") && strstr(err, "256"), "%s", err);
    ck_assert_ptr_null(t.merges);
    ck_assert(!bpe_train(&t, (const uint8_t *)s, 6, 70000, err, sizeof err));
    ck_assert_msg(strstr(err, "70000"), "%s", err);
    // "abcabc" has pairs for 5 merges at most: ab, c(ab)… then one symbol is left
    ck_assert(!bpe_train(&t, (const uint8_t *)s, 6, 300, err, sizeof err));
    ck_assert_msg(strstr(err, "ran out of pairs") && strstr(err, "6 bytes"), "%s", err);
    ck_assert_int_eq(t.V, 0);
}
END_TEST

START_TEST(test_save_load_identical)
{
    char dir[64], path[128];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bpe.txt", dir);
    Fixture f;
    fixture_load(&f, "tests/fixtures/bpe_minbpe.txt");
    uint8_t *text;
    size_t n;
    fix_bytes(&f, "train_text", &text, &n);
    Bpe t, u;
    char err[256];
    ck_assert(bpe_train(&t, text, n, 350, err, sizeof err));
    ck_assert_msg(bpe_save(&t, path, err, sizeof err), "%s", err);
    ck_assert_msg(bpe_load(&u, path, err, sizeof err), "%s", err);
    ck_assert_int_eq(u.V, t.V);
    ck_assert_int_eq(u.n_merges, t.n_merges);
    for (int i = 0; i < t.n_merges; i++) {
        ck_assert_int_eq(u.merges[i][0], t.merges[i][0]);
        ck_assert_int_eq(u.merges[i][1], t.merges[i][1]);
    }
    for (int i = 0; i < t.V; i++) {
        ck_assert_int_eq(u.len[i], t.len[i]);
        ck_assert(memcmp(u.bytes[i], t.bytes[i], (size_t)t.len[i]) == 0);
    }
    int *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    size_t ka = bpe_encode(&t, text, n, a), kb = bpe_encode(&u, text, n, b);
    ck_assert_uint_eq(ka, kb);
    ck_assert(memcmp(a, b, ka * sizeof *a) == 0);
    // the file is the documented format
    FILE *in = fopen(path, "r");
    char line[64];
    ck_assert(fgets(line, sizeof line, in));
    ck_assert_str_eq(line, "dl-bpe 1 350\n");
    fclose(in);
    free(a);
    free(b);
    free(text);
    bpe_free(&t);
    bpe_free(&u);
    fixture_free(&f);
    ck_assert(!bpe_load(&u, "/nonexistent/bpe.txt", err, sizeof err));
    ck_assert_msg(strstr(err, "/nonexistent/bpe.txt"), "%s", err);
    snprintf(path, sizeof path, "%s/no/such/dir/bpe.txt", dir);
    ck_assert(!bpe_save(&t, path, err, sizeof err));
    ck_assert_msg(strstr(err, path), "%s", err);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_corrupt_files_say_why)
{
    struct { const char *what, *file, *says[2]; } cases[] = {
        {"empty", "", {"line 1", "header"}},
        {"bad magic", "gpt-bpe 1 258\n97 97\n256 97\n", {"line 1", "dl-bpe 1 V"}},
        {"version 2", "dl-bpe 2 258\n97 97\n256 97\n", {"line 1", "version 2"}},
        {"no V", "dl-bpe 1 \n", {"line 1", "vocabulary size"}},
        {"V letters", "dl-bpe 1 25x\n", {"line 1", "vocabulary size"}},
        {"V < 256", "dl-bpe 1 255\n", {"line 1", "255"}},
        {"V huge", "dl-bpe 1 999999999\n", {"line 1", "out of range"}},
        {"truncated", "dl-bpe 1 259\n97 97\n256 97\n", {"truncated", "line 4"}},
        {"truncated mid-line", "dl-bpe 1 258\n97 97\n256", {"line 3", "left right"}},
        {"out-of-range id", "dl-bpe 1 258\n97 97\n257 97\n", {"line 3", "uses id 257"}},
        {"self reference", "dl-bpe 1 257\n256 97\n", {"line 2", "below 256"}},
        {"negative id", "dl-bpe 1 257\n-1 97\n", {"line 2", "left right"}},
        {"one id", "dl-bpe 1 257\n97\n", {"line 2", "left right"}},
        {"three ids", "dl-bpe 1 257\n97 98 99\n", {"line 2", "left right"}},
        {"repeat", "dl-bpe 1 258\n97 98\n97 98\n", {"line 3", "repeats merge 0"}},
        {"trailing", "dl-bpe 1 257\n97 98\n\n", {"line 3", "trailing"}},
        {"garbage", "dl-bpe 1 257\n97 98\nxyz", {"line 3", "trailing"}},
        {"binary", "\x7f" "ELF\x02\x01\x01\0\0\0", {"line 1", "header"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Bpe t;
        char err[512] = "";
        // the last case holds NULs: its length is its 10 bytes, not strlen
        size_t len = i == sizeof cases / sizeof cases[0] - 1 ? 10 : strlen(cases[i].file);
        bool ok = bpe_parse(&t, cases[i].file, len, "tok.txt", err, sizeof err);
        ck_assert_msg(!ok, "%s: accepted", cases[i].what);
        ck_assert_msg(t.V == 0 && !t.merges && !t.bytes, "%s: a rejected file leaves t empty",
                      cases[i].what);
        for (int k = 0; k < 2; k++)
            ck_assert_msg(strstr(err, "tok.txt") && strstr(err, cases[i].says[k]),
                          "%s: want '%s' in: %s", cases[i].what, cases[i].says[k], err);
    }
    // accepted: no final newline, CRLF line ends, V = 256
    const char *good[] = {"dl-bpe 1 258\n97 97\n256 97", "dl-bpe 1 258\r\n97 97\r\n256 97\r\n",
                          "dl-bpe 1 256\n"};
    for (int i = 0; i < 3; i++) {
        Bpe t;
        char err[512];
        ck_assert_msg(bpe_parse(&t, good[i], strlen(good[i]), "ok.txt", err, sizeof err),
                      "%d: %s", i, err);
        if (i < 2) ck_assert(t.len[257] == 3 && memcmp(t.bytes[257], "aaa", 3) == 0);
        bpe_free(&t);
    }
}
END_TEST

static Suite *bpe_suite(void)
{
    Suite *s = suite_create("bpe");
    TCase *tc = tcase_create("bpe");
    tcase_add_test(tc, test_lecture_example);
    tcase_add_test(tc, test_matches_python_minbpe);
    tcase_add_test(tc, test_round_trip_arbitrary_bytes_and_text);
    tcase_add_test(tc, test_smaller_vocab_is_a_prefix);
    tcase_add_test(tc, test_decode_errors);
    tcase_add_test(tc, test_bad_vocab_and_short_text);
    tcase_add_test(tc, test_save_load_identical);
    tcase_add_test(tc, test_corrupt_files_say_why);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(bpe_suite)
