/* tests/test_regularize.c — the regularisers as differentiable ops: L1 and L2 penalties,
 * inverted dropout and batch normalisation (common/ops/regularize.h, ops/norm.h, nn/batchnorm.h).
 *
 * Gradients: finite differences (common/gradcheck.h) inside L = Σ w ⊙ op(x) with a fixed
 * random w, as tests/test_autograd.c, and with the same tolerance and reasoning:
 * rel < 2e-3 with h = 1e-2 in float32 (truncation O(h²) ~ 1e-4, rounding ~ 6e-8·|L|/h ~ 1e-5;
 * a wrong derivative gives rel ~ 0.1 … 1). Values: PyTorch in float64
 * (tests/fixtures/regularize_torch.txt, scripts/gen_fixtures_regularize.py). Dropout's mask
 * comes from our own generator, so it is checked by its statistics, with limits of 5 standard
 * deviations computed from the binomial model (a false alarm has probability ~ 6e-7).
 */
#include "testutil.h"
#include "gradcheck_util.h"
#include "fixture.h"

#include <unistd.h>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "nn/batchnorm.h"
#include "nn/params.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/regularize.h"


// ---- helpers ----

// Inputs (B, K) in ±[0.1, 1.5]: away from 0, where |x| has its kink.
static Tensor *rand_input(Arena *a, Rng *r, int B, int K)
{
    Tensor *t = tensor_param(a, 2, (int[]){B, K}, "x");
    for (size_t i = 0; i < t->size; i++) {
        float m = rng_uniform_range(r, 0.1f, 1.5f);
        t->data[i] = rng_uniform(r) < 0.5f ? m : -m;
    }
    return t;
}

// ---- gradient checks ----

// L = 0.7·op(x): the factor makes the upstream gradient differ from 1.
static Tensor *penalty_fn(Tape *tp, Tensor **in, int n, void *ctx)
{
    (void)n;
    Tensor *(*op)(Tape *, Tensor *) = *(Tensor *(**)(Tape *, Tensor *))ctx;
    return op_scale(tp, op(tp, in[0]), 0.7f);
}

START_TEST(test_gradcheck_l1_l2)
{
    static const char *names[] = {"l1", "l2"};
    Tensor *(*ops[])(Tape *, Tensor *) = {op_l1, op_l2};
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 11);
    for (int k = 0; k < 2; k++) {
        Tensor *x = rand_input(&params, &r, 4, 6);
        assert_gradcheck(names[k], gradcheck(&tp, penalty_fn, &x, 1, &ops[k], GC_H));
    }
    arena_free(&step);
    arena_free(&params);
}
END_TEST

typedef struct { float p; uint64_t seed; Tensor *w; } DropoutCtx;

// The mask must be the same in every evaluation the checker makes, so the generator is
// reseeded inside the function: f is then a fixed linear map of x.
static Tensor *dropout_fn(Tape *tp, Tensor **in, int n, void *ctx)
{
    (void)n;
    DropoutCtx *c = ctx;
    Rng r;
    rng_seed(&r, c->seed);
    return project(tp, op_dropout(tp, in[0], c->p, &r, true), c->w);
}

START_TEST(test_gradcheck_dropout_train)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 12);
    Tensor *x = rand_input(&params, &r, 5, 7);
    DropoutCtx c = {0.4f, 99, tensor_2d(&params, 5, 7)};
    tensor_fill_uniform(c.w, &r, -1.0f, 1.0f);
    assert_gradcheck("dropout (train, p = 0.4)", gradcheck(&tp, dropout_fn, &x, 1, &c, GC_H));
    // And the gradient is exactly the mask: 0 where dropped, 1/(1-p) · w where kept.
    tensor_zero_grad(x);
    Rng rm;
    rng_seed(&rm, c.seed);
    Tensor *y = op_dropout(&tp, x, c.p, &rm, true);
    tape_backward(&tp, project(&tp, y, c.w));
    int dropped = 0;
    for (size_t i = 0; i < x->size; i++) {
        float want = y->data[i] == 0.0f ? 0.0f : c.w->data[i] / (1.0f - c.p);
        dropped += y->data[i] == 0.0f;
        dl_ck_close1("dropout dx = w·mask/(1-p)", x->grad[i], want, DL_ATOL, DL_RTOL);
    }
    ck_assert_msg(dropped > 0 && dropped < (int)x->size,
                  "35 draws at p = 0.4 should drop some and keep some, dropped %d", dropped);
    arena_free(&step);
    arena_free(&params);
}
END_TEST

typedef struct { BatchNorm *bn; Tensor *w; bool train; } BnCtx;

static Tensor *batchnorm_fn(Tape *tp, Tensor **in, int n, void *ctx)
{
    (void)n;
    BnCtx *c = ctx;
    return project(tp, batchnorm_forward(tp, c->bn, in[0], c->train), c->w);
}

START_TEST(test_gradcheck_batchnorm_train_and_eval)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 13);
    const int B = 6, K = 4;
    BatchNorm bn;
    batchnorm_init(&bn, &params, K, NULL);
    tensor_fill_uniform(bn.gamma, &r, 0.5f, 1.5f);
    tensor_fill_uniform(bn.beta, &r, -0.5f, 0.5f);
    for (int j = 0; j < K; j++) {
        bn.running_mean[j] = rng_uniform_range(&r, -0.3f, 0.3f);
        bn.running_var[j] = rng_uniform_range(&r, 0.5f, 2.0f);
    }
    Tensor *x = rand_input(&params, &r, B, K);
    // A random w: with a w constant down a column, Σ w ⊙ BN(x) would not depend on x at all
    // in train mode (the output of each feature sums to B·β), and the x-gradient would be 0.
    BnCtx c = {&bn, tensor_2d(&params, B, K), true};
    tensor_fill_uniform(c.w, &r, -1.0f, 1.0f);
    Tensor *in[] = {x, bn.gamma, bn.beta};
    assert_gradcheck("batchnorm train (x, gamma, beta)", gradcheck(&tp, batchnorm_fn, in, 3, &c, GC_H));
    c.train = false;
    assert_gradcheck("batchnorm eval (x, gamma, beta)", gradcheck(&tp, batchnorm_fn, in, 3, &c, GC_H));
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// ---- against PyTorch ----

#define CK_FIX(what, got, f, name, atol) do { \
    FixBlock *w_ = fixture_get(f, name); \
    dl_ck_close(what, got, w_->v, w_->n, atol, DL_RTOL); } while (0)

// Tolerances: outputs use the STYLE defaults; the batch-reduced quantities (dx, dγ, dβ: sums
// of B = 8 terms; running statistics: means over B) use atol = 1e-5·sqrt(B), STYLE §5.
START_TEST(test_batchnorm_matches_pytorch)
{
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/regularize_torch.txt");
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Tensor *x = fixture_tensor(&step, f, "bn.x", true);
    const int B = x->shape[0], K = x->shape[1];
    const double atol_sum = DL_ATOL * sqrt((double)B);
    BatchNorm bn;
    Params list;
    params_init(&list, &params);
    batchnorm_init(&bn, &params, K, &list);
    ck_assert_int_eq(list.n, 2);
    tensor_copy_from(bn.gamma, fixture_get(f, "bn.gamma")->v, (size_t)K);
    tensor_copy_from(bn.beta, fixture_get(f, "bn.beta")->v, (size_t)K);

    // Train mode, first step: output and the gradients of L = Σ out ⊙ dy.
    Tensor *y = batchnorm_forward(&tp, &bn, x, true);
    CK_FIX("batchnorm train forward vs PyTorch", y->data, f, "bn.out.f64", DL_ATOL);
    tape_backward(&tp, project(&tp, y, fixture_tensor(&step, f, "bn.dy", false)));
    CK_FIX("batchnorm train dL/dx vs PyTorch", x->grad, f, "bn.dx.f64", atol_sum);
    CK_FIX("batchnorm dL/dgamma vs PyTorch", bn.gamma->grad, f, "bn.dgamma.f64", atol_sum);
    CK_FIX("batchnorm dL/dbeta vs PyTorch", bn.beta->grad, f, "bn.dbeta.f64", atol_sum);
    tape_reset(&tp);

    // Two more train steps (without recording: the statistics update all the same, as torch's
    // running stats do under no_grad), then the running statistics.
    tape_set_recording(&tp, false);
    batchnorm_forward(&tp, &bn, fixture_tensor(&step, f, "bn.x2", false), true);
    batchnorm_forward(&tp, &bn, fixture_tensor(&step, f, "bn.x3", false), true);
    tape_set_recording(&tp, true);
    CK_FIX("batchnorm running_mean after 3 steps vs PyTorch", bn.running_mean, f,
           "bn.running_mean.f64", atol_sum);
    CK_FIX("batchnorm running_var (unbiased) after 3 steps vs PyTorch", bn.running_var, f,
           "bn.running_var.f64", atol_sum);

    // Eval mode: normalised with the running statistics; dx = γ/σ·dy.
    tape_reset(&tp);
    Tensor *xe = fixture_tensor(&step, f, "bn.xe", true);
    float rm0 = bn.running_mean[0], rv0 = bn.running_var[0];
    Tensor *ye = batchnorm_forward(&tp, &bn, xe, false);
    ck_assert_msg(bn.running_mean[0] == rm0 && bn.running_var[0] == rv0,
                  "eval mode must not change the running statistics");
    CK_FIX("batchnorm eval forward vs PyTorch", ye->data, f, "bn.eval_out.f64", DL_ATOL);
    tape_backward(&tp, project(&tp, ye, fixture_tensor(&step, f, "bn.dye", false)));
    CK_FIX("batchnorm eval dL/dx vs PyTorch", xe->grad, f, "bn.eval_dx.f64", DL_ATOL);

    arena_free(&step);
    arena_free(&params);
    fixture_free(f);
}
END_TEST

// L = dy·op(x) for a scalar dy. The sum of 12 terms: atol 1e-5·sqrt(12) for the values.
START_TEST(test_l1_l2_match_pytorch)
{
    Fixture fx, *f = &fx;
    fixture_load(f, "tests/fixtures/regularize_torch.txt");
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    static const char *names[] = {"l1", "l2"};
    for (int k = 0; k < 2; k++) {
        char name[32], what[64];
        snprintf(name, sizeof name, "%s.x", names[k]);
        Tensor *x = fixture_tensor(&step, f, name, true);
        Tensor *v = k == 0 ? op_l1(&tp, x) : op_l2(&tp, x);
        snprintf(name, sizeof name, "%s.out.f64", names[k]);
        snprintf(what, sizeof what, "%s value vs PyTorch", names[k]);
        CK_FIX(what, v->data, f, name, DL_ATOL * sqrt(12.0));
        snprintf(name, sizeof name, "%s.dy", names[k]);
        tape_backward(&tp, op_scale(&tp, v, fixture_get(f, name)->v[0]));
        snprintf(name, sizeof name, "%s.dx.f64", names[k]);
        snprintf(what, sizeof what, "%s dL/dx vs PyTorch", names[k]);
        CK_FIX(what, x->grad, f, name, DL_ATOL);
        tape_reset(&tp);
    }
    // The subgradient at 0 is 0.
    Tensor *z = tensor_param(&step, 1, (int[]){3}, "z");
    tensor_copy_from(z, (float[]){0.0f, -2.0f, 3.0f}, 3);
    tape_backward(&tp, op_l1(&tp, z));
    const float want[] = {0.0f, -1.0f, 1.0f};
    dl_ck_close("l1 subgradient sign(x), 0 at 0", z->grad, want, 3, DL_ATOL, DL_RTOL);
    arena_free(&step);
    fixture_free(f);
}
END_TEST

// ---- batch-norm properties ----

// In train mode every feature of the output has mean β and (biased) standard deviation
// γ·sqrt(v/(v+eps)) ≈ γ, whatever the input's scale and offset.
START_TEST(test_batchnorm_train_output_has_beta_mean_gamma_std)
{
    Arena params, step;
    arena_init(&params, "params");
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 14);
    const int B = 64, K = 3;
    BatchNorm bn;
    batchnorm_init(&bn, &params, K, NULL);
    const float gamma[] = {2.0f, 0.5f, 1.0f}, beta[] = {-1.0f, 0.0f, 3.0f};
    tensor_copy_from(bn.gamma, gamma, K);
    tensor_copy_from(bn.beta, beta, K);
    Tensor *x = tensor_2d(&step, B, K);
    for (int i = 0; i < B; i++) {   // feature j: offset 100·j, scale 10^(j-1)
        x->data[i * K + 0] = 0.1f * rng_normal(&r);
        x->data[i * K + 1] = 100.0f + rng_normal(&r);
        x->data[i * K + 2] = 200.0f + 10.0f * rng_normal(&r);
    }
    Tensor *y = batchnorm_forward(&tp, &bn, x, true);
    for (int j = 0; j < K; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < B; i++) m += y->data[i * K + j];
        m /= B;
        for (int i = 0; i < B; i++) v += (y->data[i * K + j] - m) * (y->data[i * K + j] - m);
        // Normalising float32 inputs of magnitude 200 loses ~200·6e-8/σ relative: 1e-4 covers it.
        dl_ck_close1("batchnorm output mean = beta", m, beta[j], 1e-4, 1e-4);
        dl_ck_close1("batchnorm output std = gamma", sqrt(v / B), gamma[j], 1e-4, 1e-3);
    }
    arena_free(&step);
    arena_free(&params);
}
END_TEST

// ---- dropout ----

START_TEST(test_dropout_statistics_p03_100k)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 15);
    const int n = 100000;
    const float p = 0.3f;
    Tensor *x = tensor_1d(&step, n);
    tensor_fill_uniform(x, &r, 0.5f, 1.5f);
    Tensor *y = op_dropout(&tp, x, p, &r, true);
    // Kept count ~ Binomial(n, 1-p): sd sqrt(n p (1-p)) / n on the fraction.
    // Output mean: Σ y_i = Σ x_i m_i / (1-p) with m_i ~ Bernoulli(1-p), so given x it has
    // mean Σ x_i and variance Σ x_i² p / (1-p).
    long kept = 0;
    double sx = 0, sy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        if (y->data[i] != 0.0f) {
            kept++;
            dl_ck_close1("kept value = x/(1-p)", y->data[i], x->data[i] / (1.0f - p), DL_ATOL, DL_RTOL);
        }
        sx += x->data[i];
        sy += y->data[i];
        sxx += (double)x->data[i] * x->data[i];
    }
    double frac = (double)kept / n, sd_frac = sqrt(p * (1.0 - p) / n);
    ck_assert_msg(fabs(frac - (1.0 - p)) < 5.0 * sd_frac,
                  "kept fraction %.5f, want 0.7 ± %.5f (5 sd)", frac, 5.0 * sd_frac);
    double sd_mean = sqrt(sxx * p / (1.0 - p)) / n;
    ck_assert_msg(fabs(sy / n - sx / n) < 5.0 * sd_mean,
                  "mean of output %.5f vs mean of input %.5f: differ by more than 5 sd = %.5f",
                  sy / n, sx / n, 5.0 * sd_mean);
    arena_free(&step);
}
END_TEST

START_TEST(test_dropout_eval_and_p0_are_identity)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r, untouched;
    rng_seed(&r, 16);
    Tensor *x = rand_input(&step, &r, 3, 4);
    untouched = r;
    ck_assert_ptr_eq(op_dropout(&tp, x, 0.5f, &r, false), x);   // eval
    ck_assert_ptr_eq(op_dropout(&tp, x, 0.0f, &r, true), x);    // p = 0
    ck_assert_ptr_eq(op_dropout(&tp, x, 0.5f, NULL, false), x); // eval needs no generator
    ck_assert_msg(r.state == untouched.state, "identity dropout must not draw random numbers");
    // Gradients flow straight through.
    tape_backward(&tp, op_sum(&tp, op_dropout(&tp, x, 0.5f, &r, false)));
    for (size_t i = 0; i < x->size; i++) ck_assert_float_eq(x->grad[i], 1.0f);
    arena_free(&step);
}
END_TEST

START_TEST(test_dropout_deterministic_for_seed)
{
    Arena step;
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    Rng r;
    rng_seed(&r, 17);
    Tensor *x = rand_input(&step, &r, 10, 10);
    Rng a, b;
    rng_seed(&a, 5);
    rng_seed(&b, 5);
    Tensor *ya = op_dropout(&tp, x, 0.5f, &a, true), *yb = op_dropout(&tp, x, 0.5f, &b, true);
    ck_assert_mem_eq(ya->data, yb->data, x->size * sizeof(float));
    Tensor *yc = op_dropout(&tp, x, 0.5f, &a, true);   // the stream moved on: a new mask
    ck_assert_msg(memcmp(ya->data, yc->data, x->size * sizeof(float)) != 0,
                  "two consecutive masks of 100 elements were identical");
    arena_free(&step);
}
END_TEST

// The lecture's dropout keeps x (no scaling) in training and multiplies by (1-p) at inference;
// inverted dropout scales the kept units by 1/(1-p) in training and does nothing at inference.
// For the same mask the two training outputs differ by the constant 1/(1-p), and each
// convention's inference output equals the expectation of its own training output, so the
// next layer sees the same expected pre-activation in training and at inference either way.
// Checked on z = w·dropout(x) over S masks: z_lecture = (1-p)·z_inverted mask by mask, and the
// two averages land within 5 sd (sd² = Σ w²x² p/(1-p) / S for the inverted z) of w·x and
// (1-p)·w·x, the two inference values.
START_TEST(test_dropout_inverted_equals_scale_at_inference)
{
    Arena data, step;
    arena_init(&data, "data");   // x outlives the per-sample tape_reset of the step arena
    arena_init(&step, "step");
    Tape tp;
    tape_init(&tp, &step);
    tape_set_recording(&tp, false);
    Rng r;
    rng_seed(&r, 18);
    const int n = 64, S = 20000;
    const float p = 0.3f;
    Tensor *x = tensor_1d(&data, n);
    tensor_fill_uniform(x, &r, 0.5f, 1.5f);   // activations after a ReLU: positive, nonzero
    float w[64];
    for (int i = 0; i < n; i++) w[i] = rng_uniform_range(&r, -1.0f, 1.0f);
    double z_infer_inv = 0, var1 = 0;
    for (int i = 0; i < n; i++) {
        z_infer_inv += (double)w[i] * x->data[i];   // inverted: inference uses x as is
        var1 += (double)w[i] * w[i] * x->data[i] * x->data[i] * p / (1.0 - p);
    }
    double z_infer_lecture = (1.0 - p) * z_infer_inv;   // lecture: inference uses (1-p)·x
    double mean_inv = 0, mean_lecture = 0;
    for (int s = 0; s < S; s++) {
        Tensor *y = op_dropout(&tp, x, p, &r, true);
        double zi = 0, zl = 0;
        for (int i = 0; i < n; i++) {
            zi += (double)w[i] * y->data[i];
            zl += y->data[i] != 0.0f ? (double)w[i] * x->data[i] : 0.0;   // same mask, unscaled
        }
        dl_ck_close1("lecture z = (1-p)·inverted z, same mask", zl, (1.0 - p) * zi, DL_ATOL, DL_RTOL);
        mean_inv += zi / S;
        mean_lecture += zl / S;
        tape_reset(&tp);
    }
    double sd = sqrt(var1 / S);
    ck_assert_msg(fabs(mean_inv - z_infer_inv) < 5.0 * sd,
                  "inverted: E[train z] %.5f vs inference z %.5f (5 sd = %.5f)", mean_inv,
                  z_infer_inv, 5.0 * sd);
    ck_assert_msg(fabs(mean_lecture - z_infer_lecture) < 5.0 * (1.0 - p) * sd,
                  "scale-at-inference: E[train z] %.5f vs inference z %.5f (5 sd = %.5f)",
                  mean_lecture, z_infer_lecture, 5.0 * (1.0 - p) * sd);
    arena_free(&step);
    arena_free(&data);
}
END_TEST

// ---- bad input: exit status 1 with a message ----



static void dropout_with(float p)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    Rng r;
    rng_seed(&r, 1);
    op_dropout(&tp, tensor_2d(&a, 2, 3), p, &r, true);
}
static void dropout_p1(void) { dropout_with(1.0f); }
static void dropout_negative(void) { dropout_with(-0.1f); }
static void dropout_nan(void) { dropout_with(NAN); }

static void batchnorm_on(int B, int K, bool train)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    BatchNorm bn;
    batchnorm_init(&bn, &a, 4, NULL);
    batchnorm_forward(&tp, &bn, tensor_2d(&a, B, K), train);
}
static void batchnorm_wrong_features(void) { batchnorm_on(8, 5, true); }
static void batchnorm_one_row_train(void) { batchnorm_on(1, 4, true); }
static void batchnorm_3d(void)
{
    Arena a;
    arena_init(&a, "step");
    Tape tp;
    tape_init(&tp, &a);
    BatchNorm bn;
    batchnorm_init(&bn, &a, 4, NULL);
    batchnorm_forward(&tp, &bn, tensor_new(&a, 3, (int[]){2, 4, 1}), false);
}

START_TEST(test_bad_input_exits_with_message)
{
    static const DlDeathCase cases[] = {
        {"dropout p = 1", dropout_p1, {"dropout", "[0, 1)"}},
        {"dropout p < 0", dropout_negative, {"dropout", "-0.1"}},
        {"dropout p = NaN", dropout_nan, {"dropout", "nan"}},
        {"batchnorm 5 features into a 4-feature layer", batchnorm_wrong_features, {"batchnorm", "expects 4"}},
        {"batchnorm train on one row", batchnorm_one_row_train, {"batchnorm", "at least 2"}},
        {"batchnorm on a 3-d tensor", batchnorm_3d, {"batchnorm", "(2, 4, 1)"}},
    };
    dl_check_deaths(cases, sizeof cases / sizeof cases[0]);
}
END_TEST

START_TEST(test_dropout_p1_exits) { dropout_p1(); }
END_TEST

START_TEST(test_batchnorm_wrong_shape_exits) { batchnorm_wrong_features(); }
END_TEST

static Suite *regularize_suite(void)
{
    Suite *s = suite_create("regularize");
    TCase *g = tcase_create("gradcheck");
    tcase_set_timeout(g, 60);
    tcase_add_test(g, test_gradcheck_l1_l2);
    tcase_add_test(g, test_gradcheck_dropout_train);
    tcase_add_test(g, test_gradcheck_batchnorm_train_and_eval);
    suite_add_tcase(s, g);
    TCase *t = tcase_create("pytorch");
    tcase_add_test(t, test_batchnorm_matches_pytorch);
    tcase_add_test(t, test_l1_l2_match_pytorch);
    tcase_add_test(t, test_batchnorm_train_output_has_beta_mean_gamma_std);
    suite_add_tcase(s, t);
    TCase *d = tcase_create("dropout");
    tcase_set_timeout(d, 60);
    tcase_add_test(d, test_dropout_statistics_p03_100k);
    tcase_add_test(d, test_dropout_eval_and_p0_are_identity);
    tcase_add_test(d, test_dropout_deterministic_for_seed);
    tcase_add_test(d, test_dropout_inverted_equals_scale_at_inference);
    suite_add_tcase(s, d);
    TCase *e = tcase_create("errors");
    tcase_set_timeout(e, 30);
    tcase_add_test(e, test_bad_input_exits_with_message);
    tcase_add_exit_test(e, test_dropout_p1_exits, 1);
    tcase_add_exit_test(e, test_batchnorm_wrong_shape_exits, 1);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(regularize_suite)
