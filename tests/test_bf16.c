/* tests/test_bf16.c — bfloat16 conversion, the bf16 GEMM ladder and gemm_set_bf16
 * (common/kernels/gemm_bf16.c, the hook in common/kernels/gemm.c).
 * Build and run: make build/default/tests/test_bf16 && build/default/tests/test_bf16
 * Claims:
 *  - bf16_from_float is torch's .bfloat16() bit for bit on tests/fixtures/bf16_torch.txt (ties,
 *    carries, max float → inf, subnormals, ±0, ±inf, 2000 random values; written by
 *    scripts/gen_fixtures_bf16.py); a NaN stays a NaN (torch's NaN bits depend on its code path);
 *    every bf16 survives bf16 → float → bf16.
 *  - each rung of GEMM_BF16_LADDER equals a float64 product of the same bf16 operands within the
 *    float32 summation bound |err| <= K·2^-23·sum_k |a_ik·b_kj| (twice the classic γ_K bound),
 *    on odd shapes (edge tiles, odd K, several KC blocks); v1 is bitwise the same on 1 and 2
 *    threads.
 *  - against the float32 GEMM of the unrounded operands (uniform in [-1, 1), 256³) the bf16
 *    product's error per element is at most 2^-8·sum_k |a_ik·b_kj| (two roundings of 2^-9 each),
 *    and its relative Frobenius error is about 2^-9 (measured and printed; asserted within
 *    [2^-12, 2^-7], so a GEMM that forgot to round fails).
 *  - gemm_set_bf16(true): gemm() and gemm_ex() (all four transpose cases) equal the float32
 *    GEMM of copies rounded to bf16, bit for bit; off again, gemm() is the float32 GEMM again.
 */
#include "testutil.h"

#include "base/rng.h"
#include "base/threads.h"
#include "kernels/gemm.h"
#include "kernels/gemm_bf16.h"

#include <stdint.h>

#define FIXTURE "tests/fixtures/bf16_torch.txt"

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

START_TEST(test_bf16_rounding_matches_torch)
{
    FILE *in = fopen(FIXTURE, "r");
    ck_assert_msg(in != NULL, "cannot open %s (run the tests from the repository root)", FIXTURE);
    char line[128];
    int n = 0, nans = 0;
    while (fgets(line, sizeof line, in)) {
        if (line[0] == '#') continue;
        unsigned x, want;
        ck_assert_msg(sscanf(line, "%x %x", &x, &want) == 2, "%s: bad line '%s'", FIXTURE, line);
        float f = float_of(x);
        bf16 got = bf16_from_float(f);
        if (isnan(f)) {
            ck_assert_msg(isnan(bf16_to_float(got)), "NaN 0x%08x gave 0x%04x, not a NaN", x, got);
            nans++;
        } else {
            ck_assert_msg(got == want, "bf16_from_float(0x%08x = %.9g) = 0x%04x, torch 0x%04x",
                          x, (double)f, got, want);
        }
        bf16 arr;
        bf16_from_floats(&f, &arr, 1);
        ck_assert_uint_eq(arr, got);
        n++;
    }
    fclose(in);
    ck_assert_msg(n > 2000 && nans >= 4, "%s: only %d values (%d NaN)", FIXTURE, n, nans);
}
END_TEST

START_TEST(test_bf16_round_trip_every_value)
{
    for (uint32_t h = 0; h < 65536; h++) {
        float f = bf16_to_float((bf16)h);
        ck_assert_uint_eq(bits_of(f), h << 16);
        if (isnan(f)) continue;
        ck_assert_msg(bf16_from_float(f) == h, "0x%04x did not survive the round trip", h);
    }
}
END_TEST

// Random bf16 (rows, cols) from uniform [-1, 1); also the float32 values before rounding.
static bf16 *rand_bf16(Rng *r, int rows, int cols, float **unrounded)
{
    size_t n = (size_t)rows * cols;
    float *f = malloc((n + 1) * sizeof *f);
    bf16 *h = malloc((n + 1) * sizeof *h);
    ck_assert(f && h);
    for (size_t i = 0; i < n; i++) f[i] = rng_uniform_range(r, -1.0f, 1.0f);
    bf16_from_floats(f, h, n);
    if (unrounded) *unrounded = f;
    else free(f);
    return h;
}

// Float64 C of the bf16 operands and S = sum_k |a_ik·b_kj| (the scale of the rounding bound).
static void ref_f64(int M, int N, int K, const bf16 *A, const bf16 *B, double *C, double *S)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double c = 0, s = 0;
            for (int k = 0; k < K; k++) {
                double p = (double)bf16_to_float(A[(size_t)i * K + k]) *
                           bf16_to_float(B[(size_t)k * N + j]);
                c += p;
                s += fabs(p);
            }
            C[(size_t)i * N + j] = c;
            S[(size_t)i * N + j] = s;
        }
}

static const int SHAPES[][3] = {   // M, N, K
    {1, 1, 1}, {17, 33, 5}, {14, 32, 512}, {29, 65, 1031}, {100, 70, 600}, {3, 200, 2},
    {85, 31, 7}, {64, 64, 64},
};

START_TEST(test_bf16_rungs_match_f64_reference)
{
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        int M = SHAPES[s][0], N = SHAPES[s][1], K = SHAPES[s][2];
        Rng r;
        rng_seed(&r, 77u + (unsigned)s);
        bf16 *A = rand_bf16(&r, M, K, NULL), *B = rand_bf16(&r, K, N, NULL);
        size_t mn = (size_t)M * N;
        double *want = malloc(mn * sizeof *want), *S = malloc(mn * sizeof *S);
        float *got = malloc((mn + 1) * sizeof *got);
        ref_f64(M, N, K, A, B, want, S);
        for (int k = 0; k < GEMM_BF16_LADDER.n_rungs; k++) {
            const KernelRung *rung = &GEMM_BF16_LADDER.rungs[k];
            if (!rung_available(rung)) {
                printf("note: gemm_bf16 rung %s not checked (this CPU cannot run it)\n",
                       rung->name);
                continue;
            }
            for (size_t i = 0; i < mn; i++) got[i] = NAN;   // every element must be written
            ((const GemmBf16Impl *)rung->impl)->fn(M, N, K, A, B, got);
            for (size_t i = 0; i < mn; i++) {
                double lim = K * ldexp(1.0, -23) * S[i] + 1e-30;
                ck_assert_msg(fabs(got[i] - want[i]) <= lim,
                              "%s M=%d N=%d K=%d [%zu]: got %.9g, f64 %.9g, |diff| %.3g > %.3g",
                              rung->name, M, N, K, i, (double)got[i], want[i],
                              fabs(got[i] - want[i]), lim);
            }
        }
        free(A); free(B); free(want); free(S); free(got);
    }
}
END_TEST

START_TEST(test_bf16_v1_threads_bitwise_identical)
{
    const KernelRung *v1 = ladder_find(&GEMM_BF16_LADDER, "v1_avx512bf16");
    ck_assert_ptr_nonnull(v1);
    enum { M = 300, N = 200, K = 530 };   // 2·M·N·K > 2^23: threaded
    Rng r;
    rng_seed(&r, 5);
    bf16 *A = rand_bf16(&r, M, K, NULL), *B = rand_bf16(&r, K, N, NULL);
    float *c1 = malloc(sizeof(float) * M * N), *c2 = malloc(sizeof(float) * M * N);
    GemmBf16Fn fn = ((const GemmBf16Impl *)v1->impl)->fn;
    threads_set(1);
    fn(M, N, K, A, B, c1);
    threads_set(2);
    fn(M, N, K, A, B, c2);
    threads_set(1);
    ck_assert_msg(memcmp(c1, c2, sizeof(float) * M * N) == 0, "1 and 2 threads differ");
    free(A); free(B); free(c1); free(c2);
}
END_TEST

START_TEST(test_bf16_error_vs_fp32)
{
    enum { M = 256, N = 256, K = 256 };
    Rng r;
    rng_seed(&r, 11);
    float *af, *bfl;
    bf16 *A = rand_bf16(&r, M, K, &af), *B = rand_bf16(&r, K, N, &bfl);
    float *c32 = malloc(sizeof(float) * M * N), *c16 = malloc(sizeof(float) * M * N);
    gemm(M, N, K, af, K, bfl, N, c32, N, false);
    gemm_bf16(M, N, K, A, B, c16);
    double num = 0, den = 0, worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) s += fabs((double)af[i * K + k] * bfl[k * N + j]);
            double d = c16[i * N + j] - (double)c32[i * N + j];
            num += d * d;
            den += (double)c32[i * N + j] * c32[i * N + j];
            if (fabs(d) / s > worst) worst = fabs(d) / s;
        }
    double rel = sqrt(num / den);
    printf("bf16 GEMM vs fp32 of the unrounded operands (256^3, uniform [-1,1)): relative "
           "Frobenius error %.3g = 2^%.2f, max |err|/sum|a·b| %.3g = 2^%.2f\n", rel, log2(rel),
           worst, log2(worst));
    ck_assert_msg(worst <= ldexp(1.0, -8), "max normwise error %.3g > 2^-8", worst);
    ck_assert_msg(rel >= ldexp(1.0, -12) && rel <= ldexp(1.0, -7),
                  "relative error %.3g not near 2^-9: were the operands rounded?", rel);
    free(A); free(B); free(af); free(bfl); free(c32); free(c16);
}
END_TEST

// A copy of the stored (rows, cols) operand with stride ld, rounded to bf16, dense.
static float *rounded(const float *x, int rows, int cols, int ld)
{
    float *y = malloc(((size_t)rows * cols + 1) * sizeof *y);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            y[(size_t)i * cols + j] = bf16_to_float(bf16_from_float(x[(size_t)i * ld + j]));
    return y;
}

START_TEST(test_gemm_set_bf16_on_off)
{
    enum { M = 37, N = 45, K = 70, PAD = 3 };
    Rng r;
    rng_seed(&r, 21);
    int big = K > M ? (K > N ? K : N) : (M > N ? M : N);
    size_t cap = (size_t)big * (big + PAD);
    float *A = malloc(cap * sizeof *A), *B = malloc(cap * sizeof *B);
    for (size_t i = 0; i < cap; i++) {
        A[i] = rng_uniform_range(&r, -1.0f, 1.0f);
        B[i] = rng_uniform_range(&r, -1.0f, 1.0f);
    }
    float *want = malloc(sizeof(float) * M * N), *got = malloc(sizeof(float) * M * N);
    float *plain = malloc(sizeof(float) * M * N);
    ck_assert(!gemm_bf16_enabled());
    for (int rung = 0; rung < 2; rung++) {   // the threaded packed path and a plain rung
        ck_assert(ladder_select(&GEMM_LADDER, rung == 0 ? "auto" : "v1_ikj"));
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int ra = ta ? K : M, ca = ta ? M : K, rb = tb ? N : K, cb = tb ? K : N;
                int lda = ca + PAD, ldb = cb + PAD;
                float *a = rounded(A, ra, ca, lda), *b = rounded(B, rb, cb, ldb);
                gemm_set_bf16(false);
                gemm_ex(ta, tb, M, N, K, a, ca, b, cb, want, N, false);
                gemm_ex(ta, tb, M, N, K, A, lda, B, ldb, plain, N, false);
                gemm_set_bf16(true);
                ck_assert(gemm_bf16_enabled());
                gemm_ex(ta, tb, M, N, K, A, lda, B, ldb, got, N, false);
                ck_assert_msg(memcmp(got, want, sizeof(float) * M * N) == 0,
                              "gemm_ex bf16 mode (ta=%d tb=%d rung %d) is not the GEMM of the "
                              "rounded operands", ta, tb, rung);
                ck_assert_msg(memcmp(got, plain, sizeof(float) * M * N) != 0,
                              "bf16 mode changed nothing (ta=%d tb=%d)", ta, tb);
                if (!ta && !tb) {
                    gemm(M, N, K, A, lda, B, ldb, got, N, false);
                    ck_assert(memcmp(got, want, sizeof(float) * M * N) == 0);
                    gemm_set_bf16(false);
                    gemm(M, N, K, A, lda, B, ldb, got, N, false);
                    ck_assert(memcmp(got, plain, sizeof(float) * M * N) == 0);
                }
                gemm_set_bf16(false);
                free(a); free(b);
            }
    }
    ck_assert(ladder_select(&GEMM_LADDER, "auto"));
    free(A); free(B); free(want); free(got); free(plain);
}
END_TEST

START_TEST(test_bf16_ladder_auto_and_zero_sizes)
{
    const KernelRung *a = ladder_selected(&GEMM_BF16_LADDER);
    ck_assert(rung_available(a));
    ck_assert_ptr_nonnull(ladder_find(&GEMM_BF16_LADDER, "v0"));
    ck_assert_ptr_nonnull(ladder_find(&GEMM_BF16_LADDER, "naive"));
    float c[4] = {1, 2, 3, 4};
    bf16 one = bf16_from_float(1.0f);
    gemm_bf16(2, 2, 0, &one, &one, c);   // K = 0: C = 0
    for (int i = 0; i < 4; i++) ck_assert(c[i] == 0.0f);
    gemm_bf16(0, 2, 3, NULL, &one, NULL);   // empty: nothing read or written
}
END_TEST

static Suite *bf16_suite(void)
{
    Suite *s = suite_create("bf16");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bf16_rounding_matches_torch);
    tcase_add_test(tc, test_bf16_round_trip_every_value);
    tcase_add_test(tc, test_bf16_rungs_match_f64_reference);
    tcase_add_test(tc, test_bf16_error_vs_fp32);
    tcase_add_test(tc, test_gemm_set_bf16_on_off);
    tcase_add_test(tc, test_bf16_ladder_auto_and_zero_sizes);
    dl_tcase_add_test_if(tc, test_bf16_v1_threads_bitwise_identical,
                         rung_available(&GEMM_BF16_LADDER.rungs[1]),
                         "this CPU has no AVX512-BF16");
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(bf16_suite)
