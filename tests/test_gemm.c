/* tests/test_gemm.c — the GEMM ladder (common/kernels/gemm.c), the thread pool
 * (common/threads.c) and the measured ceilings (common/kernels/peak.c).
 * Build and run: make build/default/tests/test_gemm && build/default/tests/test_gemm
 * Claims: every rung the CPU can run equals v0_naive within atol = 1e-5·sqrt(K), rtol 1e-4
 * on awkward shapes, with padded strides and with accumulate; v4_threads is bitwise the same
 * on 1, 2 and 3 threads; parallel_for runs every index exactly once.
 */
#include "testutil.h"

#include "base/rng.h"
#include "base/threads.h"
#include "bench/peak.h"
#include "kernels/adam.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"

#include <stdatomic.h>

// Random (rows, cols) matrix with row stride ld >= cols; the padding holds a sentinel so a
// rung that writes past a row's end is caught.
#define SENTINEL 12345.0f
static float *rand_matrix(Rng *r, int rows, int cols, int ld)
{
    float *m = malloc(((size_t)rows * ld + 1) * sizeof *m);
    ck_assert_ptr_nonnull(m);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < ld; j++)
            m[(size_t)i * ld + j] = j < cols ? rng_uniform_range(r, -1.0f, 1.0f) : SENTINEL;
    return m;
}

// Whether rung k runs on this CPU; a rung that does not is named once on stdout (per test
// process), so a run on a machine without AVX-512 says what it did not check.
static bool rung_checked(int k)
{
    static bool noted[16];
    if (rung_available(&GEMM_LADDER.rungs[k])) return true;
    if (k < 16 && !noted[k]) {
        printf("note: gemm rung %s not checked (this CPU cannot run it)\n",
               GEMM_LADDER.rungs[k].name);
        fflush(stdout);
        noted[k] = true;
    }
    return false;
}

// One shape: every rung of GEMM_LADDER this CPU can run (both v3 rungs, AVX2 and AVX-512, on a
// CPU with both), called directly, vs v0, on A (M,K) lda, B (K,N) ldb, C (M,N) ldc.
static void check_shape(int M, int N, int K, int pad, bool accumulate)
{
    Rng r;
    rng_seed(&r, 1000u + (unsigned)(M * 7 + N * 13 + K * 17 + pad));
    int lda = K + pad, ldb = N + pad, ldc = N + pad;
    float *A = rand_matrix(&r, M, K, lda > 0 ? lda : 1);
    float *B = rand_matrix(&r, K, N, ldb);
    float *C0 = rand_matrix(&r, M, N, ldc);   // the starting C (used when accumulating)
    size_t cn = (size_t)M * ldc;
    float *want = malloc((cn + 1) * sizeof *want), *got = malloc((cn + 1) * sizeof *got);
    memcpy(want, C0, cn * sizeof *want);
    gemm_rung_fn(&GEMM_LADDER.rungs[0])(M, N, K, A, lda, B, ldb, want, ldc, accumulate);
    double atol = DL_ATOL * sqrt(K > 1 ? K : 1);
    for (int k = 1; k < GEMM_LADDER.n_rungs; k++) {
        if (!rung_checked(k)) continue;
        memcpy(got, C0, cn * sizeof *got);
        gemm_rung_fn(&GEMM_LADDER.rungs[k])(M, N, K, A, lda, B, ldb, got, ldc, accumulate);
        char what[160];
        snprintf(what, sizeof what, "%s vs v0_naive, M=%d N=%d K=%d pad=%d accumulate=%d",
                 GEMM_LADDER.rungs[k].name, M, N, K, pad, accumulate);
        dl_ck_close(what, got, want, cn, atol, DL_RTOL);
        for (int i = 0; i < M; i++)
            for (int j = N; j < ldc; j++)
                ck_assert_msg(got[(size_t)i * ldc + j] == SENTINEL,
                              "%s wrote into the padding at row %d col %d", what, i, j);
    }
    free(A); free(B); free(C0); free(want); free(got);
}

static const int SHAPES[][3] = {   // M, N, K
    {1, 1, 1}, {17, 33, 5}, {31, 37, 41}, {7, 65, 33}, {1, 100, 7}, {100, 1, 9},
    {15, 31, 1}, {14, 32, 512}, {29, 65, 1030}, {257, 129, 300}, {64, 64, 64},
};
#define N_SHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

START_TEST(test_gemm_rungs_match_naive_odd_shapes)
{
    for (int s = 0; s < N_SHAPES; s++)
        check_shape(SHAPES[s][0], SHAPES[s][1], SHAPES[s][2], 0, false);
}
END_TEST

START_TEST(test_gemm_rungs_match_naive_padded_strides)
{
    for (int s = 0; s < N_SHAPES; s++)
        check_shape(SHAPES[s][0], SHAPES[s][1], SHAPES[s][2], 5, false);
}
END_TEST

START_TEST(test_gemm_rungs_match_naive_accumulate)
{
    for (int s = 0; s < N_SHAPES; s++)
        check_shape(SHAPES[s][0], SHAPES[s][1], SHAPES[s][2], 3, true);
}
END_TEST

START_TEST(test_gemm_rungs_threaded_match_naive)
{
    threads_set(2);   // v4 really splits the work (products >= 2^23 FLOP)
    check_shape(257, 129, 300, 0, false);
    check_shape(130, 200, 170, 2, true);
    threads_set(3);
    check_shape(100, 300, 150, 1, false);
    threads_set(1);
}
END_TEST

START_TEST(test_gemm_zero_sizes)
{
    float c[4] = {1, 2, 3, 4}, a[1] = {5}, b[1] = {6};
    for (int k = 0; k < GEMM_LADDER.n_rungs; k++) {
        gemm_rung_fn(&GEMM_LADDER.rungs[k])(2, 2, 0, a, 1, b, 2, c, 2, true);   // K = 0, accumulate: C unchanged
        ck_assert_msg(c[0] == 1 && c[3] == 4, "%s changed C for K=0 with accumulate",
                      GEMM_LADDER.rungs[k].name);
    }
    for (int k = 0; k < GEMM_LADDER.n_rungs; k++) {
        float z[4] = {1, 2, 3, 4};
        gemm_rung_fn(&GEMM_LADDER.rungs[k])(2, 2, 0, a, 1, b, 2, z, 2, false);   // K = 0: C = 0
        ck_assert_msg(z[0] == 0 && z[1] == 0 && z[2] == 0 && z[3] == 0,
                      "%s did not zero C for K=0", GEMM_LADDER.rungs[k].name);
        gemm_rung_fn(&GEMM_LADDER.rungs[k])(0, 2, 1, a, 1, b, 2, z, 2, false);   // M = 0: nothing to do
    }
}
END_TEST

// v4 on 1, 2 and 3 threads must agree bit for bit (same KC blocks, same kernel per tile).
START_TEST(test_gemm_threads_bitwise_identical)
{
    const KernelRung *v4 = NULL;
    for (int k = 0; k < GEMM_LADDER.n_rungs; k++)
        if (strcmp(GEMM_LADDER.rungs[k].name, "v4_threads") == 0) v4 = &GEMM_LADDER.rungs[k];
    ck_assert_ptr_nonnull(v4);
    static const int shapes[][3] = {{257, 129, 300}, {150, 200, 700}, {45, 800, 129}};
    for (int s = 0; s < 3; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        Rng r;
        rng_seed(&r, 7 + s);
        float *A = rand_matrix(&r, M, K, K), *B = rand_matrix(&r, K, N, N);
        float *C1 = rand_matrix(&r, M, N, N);
        size_t cn = (size_t)M * N;
        float *Ct = malloc(cn * sizeof *Ct), *Cstart = malloc(cn * sizeof *Cstart);
        memcpy(Cstart, C1, cn * sizeof *C1);
        for (int acc = 0; acc < 2; acc++) {
            memcpy(C1, Cstart, cn * sizeof *C1);
            threads_set(1);
            gemm_rung_fn(v4)(M, N, K, A, K, B, N, C1, N, acc);
            for (int T = 2; T <= 3; T++) {
                memcpy(Ct, Cstart, cn * sizeof *Ct);
                threads_set(T);
                gemm_rung_fn(v4)(M, N, K, A, K, B, N, Ct, N, acc);
                for (size_t i = 0; i < cn; i++)
                    ck_assert_msg(memcmp(&Ct[i], &C1[i], sizeof(float)) == 0,
                                  "v4_threads M=%d N=%d K=%d acc=%d: %d threads give %.9g at "
                                  "[%zu], 1 thread gives %.9g", M, N, K, acc, T, Ct[i], i, C1[i]);
            }
        }
        threads_set(1);
        free(A); free(B); free(C1); free(Ct); free(Cstart);
    }
}
END_TEST

// A stride smaller than the row is a caller bug: a clear error and exit status 1, no crash.
START_TEST(test_gemm_bad_stride_exits_with_message)
{
    float a[6] = {0}, b[6] = {0}, c[4] = {0};
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));   // the expected message
    gemm(2, 2, 3, a, 2 /* lda < K */, b, 2, c, 2, false);
}
END_TEST

// Rungs by full name, by version (v3: the newest v3 this CPU runs), naive and auto; a bad name
// changes nothing.
START_TEST(test_gemm_ladder_select_by_name_and_version)
{
    ck_assert(ladder_select(&GEMM_LADDER, "naive"));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v0_naive");
    ck_assert(ladder_select(&GEMM_LADDER, "v1_ikj"));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v1_ikj");
    ck_assert(ladder_select(&GEMM_LADDER, "v2"));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v2_blocked");
    const KernelRung *avx2 = NULL, *avx512 = NULL;
    for (int k = 0; k < GEMM_LADDER.n_rungs; k++) {
        if (strcmp(GEMM_LADDER.rungs[k].name, "v3_avx2") == 0) avx2 = &GEMM_LADDER.rungs[k];
        if (strcmp(GEMM_LADDER.rungs[k].name, "v3_avx512") == 0) avx512 = &GEMM_LADDER.rungs[k];
    }
    ck_assert(avx2 && avx512);
    const KernelRung *v3 = rung_available(avx512) ? avx512 : rung_available(avx2) ? avx2 : NULL;
    ck_assert_ptr_eq(ladder_find(&GEMM_LADDER, "v3"), v3);
    if (rung_available(avx2)) {   // both v3 rungs are reachable by their full names
        ck_assert(ladder_select(&GEMM_LADDER, "v3_avx2"));
        ck_assert_ptr_eq(ladder_selected(&GEMM_LADDER), avx2);
    }
    ck_assert(ladder_select(&GEMM_LADDER, "auto"));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v4_threads");
    ck_assert(!ladder_select(&GEMM_LADDER, "simd"));   // the old --kernel words are gone
    ck_assert(!ladder_select(&GEMM_LADDER, "fastest"));
    ck_assert(!ladder_select(&GEMM_LADDER, NULL));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v4_threads");   // unchanged
}
END_TEST

// --kernel SPEC: bare auto/naive for every ladder, LADDER=RUNG items, all or nothing.
START_TEST(test_kernels_select_spec)
{
    char err[256];
    ck_assert(kernels_select("naive", err, sizeof err));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v0_naive");
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v0_direct");
    ck_assert_str_eq(ladder_selected(&ADAM_LADDER)->name, "v0_naive");
    ck_assert(kernels_select("auto,gemm=v2_blocked,conv=v1", err, sizeof err));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v2_blocked");
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v1_im2col");
    ck_assert_str_eq(ladder_selected(&ADAM_LADDER)->name, "v3_threads");
    // a bad item anywhere leaves every ladder as it was, and the message names the fix
    ck_assert(!kernels_select("gemm=v0,conv=v7", err, sizeof err));
    ck_assert_msg(strstr(err, "conv has no rung 'v7'") && strstr(err, "v1_im2col"), "%s", err);
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v2_blocked");
    ck_assert(!kernels_select("fft=v1", err, sizeof err));
    ck_assert_msg(strstr(err, "no kernel ladder 'fft'") && strstr(err, "gemm"), "%s", err);
    ck_assert(!kernels_select("blocked", err, sizeof err));
    ck_assert_msg(strstr(err, "gemm=blocked"), "%s", err);
    ck_assert(!kernels_select("", err, sizeof err));
    ck_assert(kernels_select("auto", err, sizeof err));
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v4_threads");
    ck_assert_ptr_eq(kernels_ladder("adam"), &ADAM_LADDER);
    ck_assert_ptr_null(kernels_ladder("fft"));
}
END_TEST

// ---- threads.c ----
#define MAX_N 20000
static atomic_int hits[MAX_N];
static void count_hit(void *ctx, int i)
{
    (void)ctx;
    atomic_fetch_add(&hits[i], 1);
}

static void check_cover(int n, int T)
{
    threads_set(T);
    ck_assert_int_eq(threads_get(), T);
    for (int i = 0; i < n; i++) atomic_store(&hits[i], 0);
    parallel_for(n, count_hit, NULL);
    for (int i = 0; i < n; i++)
        ck_assert_msg(atomic_load(&hits[i]) == 1, "parallel_for(n=%d) on %d threads ran index "
                      "%d %d times", n, T, i, atomic_load(&hits[i]));
}

START_TEST(test_threads_parallel_for_covers_each_index_once)
{
    static const int ns[] = {0, 1, 2, 3, 5, 1000, MAX_N};
    for (int T = 1; T <= 4; T++)
        for (int s = 0; s < 7; s++) check_cover(ns[s], T);
    for (int rep = 0; rep < 200; rep++) check_cover(7, 2);   // many back-to-back jobs
    threads_set(0);   // clamped
    ck_assert_int_eq(threads_get(), 1);
    threads_set(1000);
    ck_assert_int_eq(threads_get(), 64);
    threads_set(1);
}
END_TEST

// A nested parallel_for must not deadlock: it runs as a plain loop in the calling thread.
static void nested(void *ctx, int i)
{
    (void)ctx;
    parallel_for(10, count_hit, NULL);
    (void)i;
}
START_TEST(test_threads_nested_parallel_for_runs_inline)
{
    threads_set(2);
    for (int i = 0; i < 10; i++) atomic_store(&hits[i], 0);
    parallel_for(4, nested, NULL);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(atomic_load(&hits[i]), 4);
    threads_set(1);
}
END_TEST

// v4 called from inside parallel_for jobs (e.g. one product per batch item): each thread
// packs into its own buffers and the inner parallel_for runs inline, so results are right.
typedef struct PerItem { const float *A, *B; float *C; int M, N, K; } PerItem;
static void gemm_item(void *ctx, int i)
{
    const PerItem *p = ctx;
    gemm(p->M, p->N, p->K, p->A, p->K, p->B, p->N, p->C + (size_t)i * p->M * p->N, p->N, false);
}
START_TEST(test_gemm_inside_parallel_for_matches_naive)
{
    enum { ITEMS = 4, M = 150, N = 130, K = 260 };   // 2·M·N·K > 2^23: v4 would thread
    Rng r;
    rng_seed(&r, 99);
    float *A = rand_matrix(&r, M, K, K), *B = rand_matrix(&r, K, N, N);
    float *C = malloc((size_t)ITEMS * M * N * sizeof *C);
    float *want = malloc((size_t)M * N * sizeof *want);
    gemm_rung_fn(&GEMM_LADDER.rungs[0])(M, N, K, A, K, B, N, want, N, false);
    ck_assert(ladder_select(&GEMM_LADDER, "auto"));
    threads_set(2);
    PerItem p = {A, B, C, M, N, K};
    parallel_for(ITEMS, gemm_item, &p);
    threads_set(1);
    for (int i = 0; i < ITEMS; i++)
        dl_ck_close("v4 inside parallel_for vs v0", C + (size_t)i * M * N, want, (size_t)M * N,
                    DL_ATOL * sqrt(K), DL_RTOL);
    free(A); free(B); free(C); free(want);
}
END_TEST

// ---- peak.c: sanity only, no timing assertions ----
START_TEST(test_peak_measurements_positive)
{
    double g = peak_gflops(1);
    ck_assert_msg(g > 0 && isfinite(g), "peak_gflops(1) = %g", g);
    double bw = stream_triad_gbs(1, 8);
    ck_assert_msg(bw > 0 && isfinite(bw), "stream_triad_gbs(1, 8) = %g", bw);
    const char *isa = peak_isa();
    ck_assert(!strcmp(isa, "avx512") || !strcmp(isa, "avx2+fma") || !strcmp(isa, "scalar"));
}
END_TEST

static Suite *gemm_suite(void)
{
    Suite *s = suite_create("gemm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_gemm_rungs_match_naive_odd_shapes);
    tcase_add_test(tc, test_gemm_rungs_match_naive_padded_strides);
    tcase_add_test(tc, test_gemm_rungs_match_naive_accumulate);
    tcase_add_test(tc, test_gemm_rungs_threaded_match_naive);
    tcase_add_test(tc, test_gemm_zero_sizes);
    tcase_add_test(tc, test_gemm_threads_bitwise_identical);
    tcase_add_test(tc, test_gemm_ladder_select_by_name_and_version);
    tcase_add_test(tc, test_kernels_select_spec);
    tcase_add_exit_test(tc, test_gemm_bad_stride_exits_with_message, 1);
    tcase_add_test(tc, test_threads_parallel_for_covers_each_index_once);
    tcase_add_test(tc, test_threads_nested_parallel_for_runs_inline);
    tcase_add_test(tc, test_gemm_inside_parallel_for_matches_naive);
    tcase_add_test(tc, test_peak_measurements_positive);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(gemm_suite)
