/* tests/test_tensor.c — arenas, tensors and the random number generator. */
#include "testutil.h"

#include <stdint.h>

#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"

START_TEST(test_arena_alignment_zeroing_and_reuse)
{
    Arena a;
    arena_init(&a, "test");
    char *p = arena_alloc(&a, 3);
    float *q = arena_alloc(&a, 100 * sizeof(float));
    ck_assert_uint_eq((uintptr_t)p % DL_ARENA_ALIGN, 0);
    ck_assert_uint_eq((uintptr_t)q % DL_ARENA_ALIGN, 0);
    for (int i = 0; i < 100; i++) ck_assert_float_eq(q[i], 0.0f);
    q[5] = 7.0f;
    // Larger than a block, then reset: the same memory comes back, zeroed.
    void *big = arena_alloc(&a, DL_ARENA_BLOCK * 2);
    ck_assert_ptr_nonnull(big);
    size_t used = arena_used(&a);
    ck_assert_uint_ge(used, DL_ARENA_BLOCK * 2);
    arena_reset(&a);
    ck_assert_uint_eq(arena_used(&a), 0);
    ck_assert_uint_ge(a.peak, used);
    char *p2 = arena_alloc(&a, 3);
    float *q2 = arena_alloc(&a, 100 * sizeof(float));
    ck_assert_ptr_eq(p, p2);
    ck_assert_ptr_eq(q, q2);
    ck_assert_float_eq(q2[5], 0.0f);
    // Many steps of the same allocations do not grow the arena.
    for (int step = 0; step < 100; step++) {
        arena_reset(&a);
        for (int k = 0; k < 10; k++) arena_alloc(&a, DL_ARENA_BLOCK / 3);
    }
    int blocks = 0;
    for (ArenaBlock *b = a.first; b; b = b->next) blocks++;
    ck_assert_int_le(blocks, 5);
    arena_free(&a);
}
END_TEST

START_TEST(test_tensor_shapes_and_helpers)
{
    Arena a;
    arena_init(&a, "test");
    Tensor *t = tensor_new(&a, 3, (int[]){2, 3, 4});
    ck_assert_uint_eq(t->size, 24);
    ck_assert_ptr_null(t->grad);
    char s[64];
    ck_assert_str_eq(tensor_shape_str(t, s, sizeof s), "(2, 3, 4)");
    Tensor *sc = tensor_scalar(&a, 2.5f);
    ck_assert_int_eq(sc->ndim, 0);
    ck_assert_float_eq(tensor_item(sc), 2.5f);
    ck_assert_str_eq(tensor_shape_str(sc, s, sizeof s), "()");
    Tensor *p = tensor_param(&a, 2, (int[]){2, 2}, "w");
    ck_assert_ptr_nonnull(p->grad);
    ck_assert(p->requires_grad);
    ck_assert(!tensor_same_shape(t, p));
    ck_assert(tensor_same_shape(p, tensor_2d(&a, 2, 2)));
    tensor_fill(p, 3.0f);
    ck_assert_float_eq(p->data[3], 3.0f);
    arena_free(&a);
}
END_TEST

START_TEST(test_tensor_bad_shape_exits)
{
    Arena a;
    arena_init(&a, "test");
    tensor_new(&a, 2, (int[]){3, 0});
}
END_TEST

START_TEST(test_tensor_item_of_matrix_exits)
{
    Arena a;
    arena_init(&a, "test");
    tensor_item(tensor_2d(&a, 2, 2));
}
END_TEST

START_TEST(test_rng_same_seed_same_stream)
{
    Rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = rng_u32(&a), y = rng_u32(&b), z = rng_u32(&c);
        ck_assert_uint_eq(x, y);
        differ += x != z;
    }
    ck_assert_int_gt(differ, 990);
}
END_TEST

START_TEST(test_rng_known_values)
{
    // Pinned outputs: a change to the generator or its seeding changes every experiment, so
    // it must be deliberate (update these and the golden files together).
    Rng r;
    rng_seed(&r, 42);
    uint32_t got[4];
    for (int i = 0; i < 4; i++) got[i] = rng_u32(&r);
    Rng r2;
    rng_seed(&r2, 42);
    for (int i = 0; i < 4; i++) ck_assert_uint_eq(rng_u32(&r2), got[i]);
    // PCG32 reference check: the same state/increment as O'Neill's pcg32-demo
    // (initstate 42, initseq 54) gives 0xa15c02b7 first.
    Rng demo = {.state = 0, .inc = (54u << 1) | 1u};
    rng_u32(&demo);
    demo.state += 42;
    rng_u32(&demo);
    ck_assert_uint_eq(rng_u32(&demo), 0xa15c02b7u);
    ck_assert_uint_eq(rng_u32(&demo), 0x7b47f409u);
}
END_TEST

START_TEST(test_rng_distributions)
{
    Rng r;
    rng_seed(&r, 7);
    const int n = 200000;
    double su = 0, sn = 0, sn2 = 0;
    int counts[7] = {0};
    for (int i = 0; i < n; i++) {
        float u = rng_uniform(&r);
        ck_assert(u >= 0.0f && u < 1.0f);
        su += u;
        double z = rng_normal(&r);
        sn += z;
        sn2 += z * z;
        counts[rng_below(&r, 7)]++;
    }
    // Means within ~5 standard errors: uniform sd 0.289/sqrt(n), normal 1/sqrt(n).
    ck_assert_double_le(fabs(su / n - 0.5), 5 * 0.289 / sqrt(n));
    ck_assert_double_le(fabs(sn / n), 5.0 / sqrt(n));
    ck_assert_double_le(fabs(sn2 / n - 1.0), 5 * sqrt(2.0 / n));
    for (int k = 0; k < 7; k++) ck_assert_int_le(abs(counts[k] - n / 7), 5 * (int)sqrt(n / 7.0));
}
END_TEST

START_TEST(test_rng_shuffle_is_a_permutation)
{
    Rng r;
    rng_seed(&r, 9);
    int idx[101], seen[101] = {0};
    for (int i = 0; i < 101; i++) idx[i] = i;
    rng_shuffle(&r, idx, 101);
    int moved = 0;
    for (int i = 0; i < 101; i++) {
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 101; i++) ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 80);
}
END_TEST

static Suite *tensor_suite(void)
{
    Suite *s = suite_create("tensor");
    TCase *t = tcase_create("arena+tensor");
    tcase_add_test(t, test_arena_alignment_zeroing_and_reuse);
    tcase_add_test(t, test_tensor_shapes_and_helpers);
    tcase_add_exit_test(t, test_tensor_bad_shape_exits, 1);
    tcase_add_exit_test(t, test_tensor_item_of_matrix_exits, 1);
    suite_add_tcase(s, t);
    TCase *r = tcase_create("rng");
    tcase_add_test(r, test_rng_same_seed_same_stream);
    tcase_add_test(r, test_rng_known_values);
    tcase_add_test(r, test_rng_distributions);
    tcase_add_test(r, test_rng_shuffle_is_a_permutation);
    suite_add_tcase(s, r);
    return s;
}

DL_TEST_MAIN(tensor_suite)
