/* tests/test_window.c — the random-window sampler (data/stream.h WindowSampler, nanoGPT's
 * get_batch): every window is a contiguous run of the stream with its targets one token on,
 * every offset in [0, n − T − 1] is drawn and none outside it, an epoch is steps_per_epoch
 * batches then 0, the draws are the rng's (same seed, same batches; a saved position and rng
 * state continue exactly), and the size errors name the numbers.
 */
#include "testutil.h"

#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "data/stream.h"

// tokens[i] = i: a window's first token is its offset.
static int *iota(int n)
{
    int *t = dl_malloc((size_t)n * sizeof *t, "iota");
    for (int i = 0; i < n; i++) t[i] = i;
    return t;
}

START_TEST(test_windows_are_contiguous_with_shifted_targets_and_cover_the_range)
{
    const int n = 20, B = 3, T = 4, steps = 5;
    int *tok = iota(n);
    Rng rng;
    rng_seed(&rng, 1);
    WindowSampler ws;
    char err[256];
    ck_assert_msg(window_sampler_init(&ws, tok, n, B, T, steps, &rng, err, sizeof err), "%s", err);
    ck_assert_int_eq(ws.src.steps_per_epoch, steps);
    int seen[20] = {0};
    Batch b;
    for (int epoch = 0; epoch < 40; epoch++) {
        for (int k = 0; k < steps; k++) {
            ck_assert_int_eq(ws.src.next(&ws.src, &b), B);
            ck_assert_int_eq(b.B, B);
            ck_assert_int_eq(b.T, T);
            ck_assert(!b.reset_state);
            for (int r = 0; r < B; r++) {
                const int o = b.tokens[r * T];
                ck_assert_int_ge(o, 0);
                ck_assert_int_le(o, n - T - 1);   // the last target is tokens[n − 1] at most
                seen[o]++;
                for (int t = 0; t < T; t++) {
                    ck_assert_int_eq(b.tokens[r * T + t], o + t);
                    ck_assert_int_eq(b.y[r * T + t], o + t + 1);
                }
            }
        }
        ck_assert_int_eq(ws.src.next(&ws.src, &b), 0);   // the end of the epoch
    }
    for (int o = 0; o <= n - T - 1; o++) ck_assert_msg(seen[o] > 0, "offset %d never drawn", o);
    window_sampler_free(&ws);
    free(tok);
}
END_TEST

// Same seed, same batches; and a copy of (position, rng) taken mid-epoch continues with the
// same batches as the original: what a checkpoint restores.
START_TEST(test_windows_are_deterministic_and_resumable)
{
    const int n = 1000, B = 2, T = 8, steps = 6;
    int *tok = iota(n);
    Rng r1, r2;
    rng_seed(&r1, 7);
    rng_seed(&r2, 7);
    WindowSampler a, c;
    char err[256];
    ck_assert(window_sampler_init(&a, tok, n, B, T, steps, &r1, err, sizeof err));
    ck_assert(window_sampler_init(&c, tok, n, B, T, steps, &r2, err, sizeof err));
    Batch ba, bc;
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(a.src.next(&a.src, &ba), B);
        ck_assert_int_eq(c.src.next(&c.src, &bc), B);
        ck_assert_mem_eq(ba.tokens, bc.tokens, (size_t)B * T * sizeof(int));
    }
    ck_assert_int_eq(a.src.state[0], 3);
    // resume: a fresh sampler given the saved position and rng state
    Rng saved = r1;
    WindowSampler d;
    ck_assert(window_sampler_init(&d, tok, n, B, T, steps, &saved, err, sizeof err));
    d.src.state[0] = a.src.state[0];
    int got_a = 0, got_d = 0;
    for (int k = 0; k < 5; k++) {
        got_a += a.src.next(&a.src, &ba) > 0;
        got_d += d.src.next(&d.src, &bc) > 0;
        if (ba.B && bc.B) ck_assert_mem_eq(ba.tokens, bc.tokens, (size_t)B * T * sizeof(int));
    }
    ck_assert_int_eq(got_a, got_d);
    ck_assert_int_eq(got_a, 4);   // steps 3, 4, 5, then the end of the epoch, then a new one
    window_sampler_free(&a);
    window_sampler_free(&c);
    window_sampler_free(&d);
    free(tok);
}
END_TEST

START_TEST(test_window_sampler_errors_name_the_numbers)
{
    int *tok = iota(10);
    Rng rng;
    rng_seed(&rng, 1);
    WindowSampler ws;
    char err[256];
    ck_assert(window_sampler_init(&ws, tok, 10, 1, 8, 1, &rng, err, sizeof err));   // n = T + 2
    Batch b;
    for (int k = 0; k < 20; k++) {
        ws.src.state[0] = 0;
        ck_assert_int_eq(ws.src.next(&ws.src, &b), 1);
        ck_assert(b.tokens[0] == 0 || b.tokens[0] == 1);
    }
    window_sampler_free(&ws);
    ck_assert(!window_sampler_init(&ws, tok, 9, 1, 8, 1, &rng, err, sizeof err));
    ck_assert_msg(strstr(err, "shorter than one window") && strstr(err, "9 tokens") &&
                  strstr(err, "T = 8"), "%s", err);
    ck_assert(!window_sampler_init(&ws, tok, 10, 0, 3, 1, &rng, err, sizeof err));
    ck_assert_msg(strstr(err, "B = 0"), "%s", err);
    ck_assert(!window_sampler_init(&ws, tok, 10, 1, 0, 1, &rng, err, sizeof err));
    ck_assert_msg(strstr(err, "T = 0"), "%s", err);
    ck_assert(!window_sampler_init(&ws, tok, 10, 1, 3, 0, &rng, err, sizeof err));
    ck_assert_msg(strstr(err, "steps per epoch 0"), "%s", err);
    free(tok);
}
END_TEST

static Suite *window_suite(void)
{
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("sampler");
    tcase_add_test(tc, test_windows_are_contiguous_with_shifted_targets_and_cover_the_range);
    tcase_add_test(tc, test_windows_are_deterministic_and_resumable);
    tcase_add_test(tc, test_window_sampler_errors_name_the_numbers);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(window_suite)
