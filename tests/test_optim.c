/* tests/test_optim.c — the optimizers, schedules and clipping of common/optim/, and the
 * Adam kernel ladder of common/kernels/adam.h.
 *
 * References: torch.optim 1.13 (tests/fixtures/optim_torch.txt, made by
 * scripts/gen_fixtures_optim.py): θ after each of 20 steps on a fixed gradient sequence, in
 * float64 and in float32. Errors in θ are absolute roundings of the largest terms summed into
 * it, so besides rtol every comparison has an atol proportional to A = max|θ| over the
 * reference trajectory (A ≈ 2 … 6 here); a θ that passes near 0 keeps the absolute error of
 * the O(A) terms that cancelled into it.
 *  - against torch's float32 run (the primary reference, as the C code runs in float32):
 *    rtol 1e-6, atol 1e-7·A (one or two ulp of A). The operations are the same float32 ones
 *    in the same order; they differ where torch's vectorised kernels fuse a·b + c (its
 *    add-with-alpha uses FMA) or a hyper-parameter rounds differently. Observed worst: 3.6e-7
 *    absolute, 8.7e-7 relative for |θ| > 0.1.
 *  - against torch's float64 run: rtol 1e-6, atol 1e-6·A. float32 cannot hold 1e-6 relative
 *    to the exact trajectory for every optimizer: rounding θ and the momentum buffer at each
 *    of 20 steps, amplified up to 1/(1−μ) = 10x by momentum, gives 1.5e-6 relative
 *    (Nesterov, observed); without momentum the worst is 6e-7.
 *  - Adam rungs against v0: m and v bitwise (same arithmetic), θ within 2 ulp-ish:
 *    atol 1e-7 + rtol 1e-6 (v0 divides m and v by the bias corrections first).
 */
#include "testutil.h"
#include "fixture.h"

#include <unistd.h>

#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/threads.h"
#include "kernels/adam.h"
#include "nn/params.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"

#define FIX "tests/fixtures/optim_torch.txt"
#define STEPS 20
#define NP 9   // w (2,3) + b (3)

// ---- helpers ----

typedef struct Model { Arena arena; Tensor *w, *b; Params p; } Model;

static void model_init(Model *mo, const float *theta0)
{
    arena_init(&mo->arena, "params");
    mo->w = tensor_param(&mo->arena, 2, (int[]){2, 3}, "w");
    mo->b = tensor_param(&mo->arena, 1, (int[]){3}, "b");
    tensor_copy_from(mo->w, theta0, 6);
    tensor_copy_from(mo->b, theta0 + 6, 3);
    params_init(&mo->p, &mo->arena);
    params_add(&mo->p, mo->w);
    params_add(&mo->p, mo->b);
}

static void model_set_grad(Model *mo, const float *g)
{
    memcpy(mo->w->grad, g, 6 * sizeof(float));
    memcpy(mo->b->grad, g + 6, 3 * sizeof(float));
}

static void model_theta(const Model *mo, float *out)
{
    memcpy(out, mo->w->data, 6 * sizeof(float));
    memcpy(out + 6, mo->b->data, 3 * sizeof(float));
}

// The kind of a fixture config name: "adam_l2" -> OPT_ADAM, "rmsprop_momentum" -> OPT_RMSPROP.
static OptKind kind_of(const char *cfg)
{
    char base[32];
    snprintf(base, sizeof base, "%s", cfg);
    char *us = strchr(base, '_');
    if (us) *us = '\0';
    OptKind k;
    ck_assert_msg(optim_kind_from_name(base, &k), "fixture config %s: unknown optimizer", cfg);
    return k;
}

static OptConfig config_of(Fixture *f, const char *cfg)
{
    char name[64];
    snprintf(name, sizeof name, "%s.config", cfg);
    const float *c = fixture_get(f, name)->v;
    return (OptConfig){.kind = kind_of(cfg), .lr = c[0], .momentum = c[1], .beta1 = c[2],
                       .beta2 = c[3], .eps = c[4], .weight_decay = c[5]};
}

// Run `cfg` for `steps` steps on the fixture's gradients; traj gets θ after each step.
static void run_traj(Fixture *f, const OptConfig *cfg, int steps, float *traj)
{
    Model mo;
    model_init(&mo, fixture_get(f, "theta0")->v);
    const float *grads = fixture_get(f, "grads")->v;
    Optimizer o;
    optim_init(&o, cfg, &mo.p, &mo.arena);
    for (int k = 0; k < steps; k++) {
        model_set_grad(&mo, grads + (size_t)k * NP);
        optim_step(&o, cfg->lr);
        model_theta(&mo, traj + (size_t)k * NP);
    }
    ck_assert_int_eq(o.t, steps);
    arena_free(&mo.arena);
}

// ---- trajectories against torch.optim ----

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)x[i]));
    return m;
}

static const char *const CONFIGS[] = {
    "sgd", "sgd_wd", "momentum", "momentum_wd", "nesterov", "adagrad", "adagrad_wd",
    "rmsprop", "rmsprop_momentum", "adam", "adam_l2", "adamw",
};

START_TEST(test_trajectories_match_torch_optim)
{
    Fixture f;
    fixture_load(&f, FIX);
    for (size_t c = 0; c < sizeof CONFIGS / sizeof CONFIGS[0]; c++) {
        OptConfig cfg = config_of(&f, CONFIGS[c]);
        float traj[STEPS * NP];
        run_traj(&f, &cfg, STEPS, traj);
        char name[64], what[96];
        snprintf(name, sizeof name, "%s.theta.f32", CONFIGS[c]);
        snprintf(what, sizeof what, "%s: θ over %d steps vs torch float32", CONFIGS[c], STEPS);
        const float *want = fixture_get(&f, name)->v;
        double A = max_abs(want, STEPS * NP);
        dl_ck_close(what, traj, want, STEPS * NP, 1e-7 * A, 1e-6);
        snprintf(name, sizeof name, "%s.theta.f64", CONFIGS[c]);
        snprintf(what, sizeof what, "%s: θ over %d steps vs torch float64", CONFIGS[c], STEPS);
        want = fixture_get(&f, name)->v;
        dl_ck_close(what, traj, want, STEPS * NP, 1e-6 * max_abs(want, STEPS * NP), 1e-6);
    }
    fixture_free(&f);
}
END_TEST

// The same data, our own claims: decoupled decay is not L2 once wd > 0, and is when wd = 0.
START_TEST(test_adamw_differs_from_adam_l2_unless_wd_zero)
{
    Fixture f;
    fixture_load(&f, FIX);
    OptConfig a = optim_defaults(OPT_ADAM), w = optim_defaults(OPT_ADAMW);
    a.lr = w.lr = 0.01f;
    a.weight_decay = w.weight_decay = 0.1f;
    float ta[STEPS * NP], tw[STEPS * NP];
    run_traj(&f, &a, STEPS, ta);
    run_traj(&f, &w, STEPS, tw);
    double maxdiff = 0;
    for (int i = 0; i < STEPS * NP; i++) maxdiff = fmax(maxdiff, fabs((double)ta[i] - tw[i]));
    // L2 enters m and v, so it is normalised away by √v; the decoupled decay is not:
    // after 20 steps of lr 0.01 they differ by ~lr·wd·|θ|·steps, far above rounding.
    ck_assert_msg(maxdiff > 1e-3, "AdamW and Adam+L2 should differ, max |Δθ| = %g", maxdiff);
    a.weight_decay = w.weight_decay = 0.0f;
    run_traj(&f, &a, STEPS, ta);
    run_traj(&f, &w, STEPS, tw);
    ck_assert_msg(memcmp(ta, tw, sizeof ta) == 0, "with wd = 0 AdamW must equal Adam bitwise");
    fixture_free(&f);
}
END_TEST

// optim/optimizer.c's claim: the lecture's v ← βv − α∇L, θ ← θ + v is PyTorch's u ← μu + g, θ ← θ − lr·u.
START_TEST(test_momentum_conventions_give_same_trajectory)
{
    Fixture f;
    fixture_load(&f, FIX);
    OptConfig cfg = optim_defaults(OPT_MOMENTUM);
    cfg.lr = 0.1f;
    cfg.momentum = 0.9f;
    float torch_form[STEPS * NP], lecture[STEPS * NP];
    run_traj(&f, &cfg, STEPS, torch_form);
    const float *th0 = fixture_get(&f, "theta0")->v, *grads = fixture_get(&f, "grads")->v;
    float th[NP], v[NP] = {0};
    memcpy(th, th0, sizeof th);
    for (int k = 0; k < STEPS; k++)
        for (int i = 0; i < NP; i++) {
            v[i] = cfg.momentum * v[i] - cfg.lr * grads[k * NP + i];
            th[i] += v[i];
            lecture[k * NP + i] = th[i];
        }
    // Same math, different float rounding (v = −lr·u is rounded): rtol 1e-6, atol 1e-7·A as
    // for the float32 trajectories above.
    dl_ck_close("lecture momentum vs torch momentum", lecture, torch_form, STEPS * NP,
                1e-7 * max_abs(torch_form, STEPS * NP), 1e-6);
    fixture_free(&f);
}
END_TEST

START_TEST(test_names_and_defaults)
{
    for (int k = OPT_SGD; k <= OPT_ADAMW; k++) {
        OptKind back;
        ck_assert(optim_kind_from_name(optim_kind_name((OptKind)k), &back));
        ck_assert_int_eq(back, k);
    }
    OptKind dummy = OPT_SGD;
    ck_assert(!optim_kind_from_name("adamx", &dummy));
    ck_assert(!optim_kind_from_name("", &dummy));
    ck_assert(!optim_kind_from_name(NULL, &dummy));
    ck_assert_int_eq(dummy, OPT_SGD);
    // torch.optim defaults.
    OptConfig a = optim_defaults(OPT_ADAM), w = optim_defaults(OPT_ADAMW);
    ck_assert(a.lr == 1e-3f && a.beta1 == 0.9f && a.beta2 == 0.999f && a.eps == 1e-8f &&
              a.weight_decay == 0.0f);
    ck_assert(w.lr == 1e-3f && w.weight_decay == 1e-2f);
    ck_assert(optim_defaults(OPT_RMSPROP).beta2 == 0.99f);
    ck_assert(optim_defaults(OPT_ADAGRAD).eps == 1e-10f);
    ck_assert(optim_defaults(OPT_MOMENTUM).momentum == 0.9f);
}
END_TEST

// ---- schedules and clipping against torch ----

START_TEST(test_schedules_match_torch)
{
    static const struct { const char *name; SchedKind kind; } S[] = {
        {"constant", SCHED_CONSTANT}, {"step", SCHED_STEP}, {"exponential", SCHED_EXPONENTIAL},
        {"cosine", SCHED_COSINE}, {"warmup_cosine", SCHED_COSINE}, {"warmup_step", SCHED_STEP},
    };
    Fixture f;
    fixture_load(&f, FIX);
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "sched.%s.config", S[i].name);
        const float *c = fixture_get(&f, name)->v;
        Schedule s = {.kind = S[i].kind, .base_lr = c[0], .step_size = (int)c[1], .gamma = c[2],
                      .total_steps = (int)c[3], .min_lr = c[4], .warmup_steps = (int)c[5]};
        snprintf(name, sizeof name, "sched.%s", S[i].name);
        FixBlock *want = fixture_get(&f, name);
        float got[64];
        ck_assert_uint_le(want->n, 64);
        for (size_t k = 0; k < want->n; k++) got[k] = schedule_lr(&s, (int)k);
        // One float rounding of a double formula: rtol 1e-6, atol 1e-9 (lr >= 1e-3 here).
        dl_ck_close(name, got, want->v, want->n, 1e-9, 1e-6);
    }
    // Past the end, cosine holds min_lr (torch's would climb back; see optim/schedule.c).
    Schedule cs = {.kind = SCHED_COSINE, .base_lr = 0.1f, .total_steps = 10, .min_lr = 0.001f};
    ck_assert(schedule_lr(&cs, 10) == 0.001f && schedule_lr(&cs, 1000) == 0.001f);
    ck_assert(schedule_lr(&cs, 0) == 0.1f);
    fixture_free(&f);
}
END_TEST

START_TEST(test_clip_grad_norm_matches_torch)
{
    Fixture f;
    fixture_load(&f, FIX);
    for (int c = 0; c < 2; c++) {
        const char *cs = c ? "above" : "below";
        char name[64];
        snprintf(name, sizeof name, "clip.%s.grads", cs);
        Model mo;
        float zero[NP] = {0};
        model_init(&mo, zero);
        model_set_grad(&mo, fixture_get(&f, name)->v);
        snprintf(name, sizeof name, "clip.%s.max_norm", cs);
        float max_norm = fixture_get(&f, name)->v[0];
        float norm = clip_grad_norm(&mo.p, max_norm);
        snprintf(name, sizeof name, "clip.%s.norm", cs);
        dl_ck_close1(name, norm, fixture_get(&f, name)->v[0], 1e-7, 1e-6);
        float got[NP];
        memcpy(got, mo.w->grad, 6 * sizeof(float));
        memcpy(got + 6, mo.b->grad, 3 * sizeof(float));
        snprintf(name, sizeof name, "clip.%s.clipped", cs);
        dl_ck_close(name, got, fixture_get(&f, name)->v, NP, 1e-7, 1e-6);
        if (c == 0) {   // below the limit: untouched, bit for bit
            snprintf(name, sizeof name, "clip.%s.grads", cs);
            ck_assert(memcmp(got, fixture_get(&f, name)->v, sizeof got) == 0);
        }
        arena_free(&mo.arena);
    }
    fixture_free(&f);
}
END_TEST

// ---- the Adam ladder ----

static float unit(uint32_t *s)   // [-1, 1), xorshift32
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (float)((double)(*s >> 8) / (double)(1u << 23) - 1.0);
}

typedef struct State { float *th, *g, *m, *v; } State;

static State state_new(size_t n, uint32_t seed)
{
    State s = {malloc((n + 1) * 4), malloc((n + 1) * 4), malloc((n + 1) * 4), malloc((n + 1) * 4)};
    ck_assert(s.th && s.g && s.m && s.v);
    for (size_t i = 0; i < n; i++) {
        s.th[i] = unit(&seed);
        s.g[i] = unit(&seed);
        s.m[i] = 0.1f * unit(&seed);
        float q = unit(&seed);
        s.v[i] = 0.01f * q * q;
    }
    return s;
}

static void state_free(State *s)
{
    free(s->th); free(s->g); free(s->m); free(s->v);
}

// Two steps (t = 1, then t = 7) with one rung; decoupled selects AdamW.
static void ladder_run(const AdamImpl *im, State *s, size_t n, bool decoupled)
{
    im->fn(s->th, s->g, s->m, s->v, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, 1);
    im->fn(s->th, s->g, s->m, s->v, n, 3e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, 7);
}

START_TEST(test_adam_rungs_match_v0_awkward_sizes)
{
    static const size_t sizes[] = {0, 1, 7, 33, 1000003};
    threads_set(2);   // v3 really splits the largest size
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int dec = 0; dec < 2; dec++) {
            size_t n = sizes[si];
            State ref = state_new(n, 12345u + (uint32_t)si);
            ladder_run(adam_impl(&ADAM_LADDER.rungs[0]), &ref, n, dec);
            State fast1 = {0};
            for (int k = 1; k < ADAM_LADDER.n_rungs; k++) {
                State s = state_new(n, 12345u + (uint32_t)si);
                ladder_run(adam_impl(&ADAM_LADDER.rungs[k]), &s, n, dec);
                char what[96];
                snprintf(what, sizeof what, "%s θ vs v0, n = %zu, %s", ADAM_LADDER.rungs[k].name, n,
                         dec ? "AdamW" : "Adam+L2");
                dl_ck_close(what, s.th, ref.th, n, 1e-7, 1e-6);
                if (dec) {   // m and v do not depend on θ: the same arithmetic, the same bits
                    ck_assert_msg(memcmp(s.m, ref.m, n * 4) == 0 && memcmp(s.v, ref.v, n * 4) == 0,
                                  "%s: m and v must equal v0's bitwise", what);
                } else {     // L2 feeds θ (which differs by rounding after step 1) into m, v
                    dl_ck_close(what, s.m, ref.m, n, 1e-7, 1e-6);
                    dl_ck_close(what, s.v, ref.v, n, 1e-7, 1e-6);
                }
                if (k == 1) {
                    fast1 = s;
                } else {   // v2 (any ISA) and v3 give v1's bits exactly
                    ck_assert_msg(memcmp(s.th, fast1.th, n * 4) == 0,
                                  "%s: θ differs from v1_fused's bits", what);
                    state_free(&s);
                }
            }
            state_free(&fast1);
            state_free(&ref);
        }
    threads_set(1);
}
END_TEST

START_TEST(test_adam_threads_bitwise_identical)
{
    const size_t n = 1000003;
    const KernelRung *rung = ladder_find(&ADAM_LADDER, "v3_threads");
    ck_assert_ptr_nonnull(rung);
    const AdamImpl *v3 = adam_impl(rung);
    State one = state_new(n, 99u);
    threads_set(1);
    ladder_run(v3, &one, n, true);
    for (int T = 2; T <= 3; T++) {
        State s = state_new(n, 99u);
        threads_set(T);
        ladder_run(v3, &s, n, true);
        ck_assert_msg(memcmp(s.th, one.th, n * 4) == 0 && memcmp(s.m, one.m, n * 4) == 0 &&
                      memcmp(s.v, one.v, n * 4) == 0,
                      "v3_threads with %d threads differs from 1 thread", T);
        state_free(&s);
    }
    threads_set(1);
    state_free(&one);
}
END_TEST

// ---- bad input: a message naming the problem and the fix, exit status 1 ----


static void init_with(OptConfig c)
{
    Model mo;
    float z[NP] = {0};
    model_init(&mo, z);
    Optimizer o;
    optim_init(&o, &c, &mo.p, &mo.arena);
}

static void bad_negative_lr(void)
{
    OptConfig c = optim_defaults(OPT_SGD);
    c.lr = -0.1f;
    init_with(c);
}

static void bad_beta1_one(void)
{
    OptConfig c = optim_defaults(OPT_ADAM);
    c.beta1 = 1.0f;
    init_with(c);
}

static void bad_rmsprop_alpha(void)
{
    OptConfig c = optim_defaults(OPT_RMSPROP);
    c.beta2 = 1.5f;
    init_with(c);
}

static void bad_nan_lr_at_step(void)
{
    Model mo;
    float z[NP] = {0};
    model_init(&mo, z);
    OptConfig c = optim_defaults(OPT_ADAMW);
    Optimizer o;
    optim_init(&o, &c, &mo.p, &mo.arena);
    optim_step(&o, NAN);
}

static void bad_eps_zero(void)
{
    OptConfig c = optim_defaults(OPT_ADAM);
    c.eps = 0.0f;
    init_with(c);
}

static void bad_cosine_total(void)
{
    Schedule s = {.kind = SCHED_COSINE, .base_lr = 0.1f, .total_steps = 0};
    schedule_lr(&s, 3);
}

START_TEST(test_bad_config_exits_with_message)
{
    static const DlDeathCase C[] = {
        {"bad_negative_lr", bad_negative_lr, {"learning rate -0.1 is negative", ">= 0"}},
        {"bad_beta1_one", bad_beta1_one, {"beta1 = 1 is outside [0, 1)", "0.9"}},
        {"bad_rmsprop_alpha", bad_rmsprop_alpha, {"alpha", "outside [0, 1)"}},
        {"bad_nan_lr_at_step", bad_nan_lr_at_step, {"learning rate nan is NaN", "finite"}},
        {"bad_eps_zero", bad_eps_zero, {"eps = 0", "1e-8"}},
        {"bad_cosine_total", bad_cosine_total, {"total_steps 0", ">= 1"}},
    };
    dl_check_deaths(C, sizeof C / sizeof C[0]);
}
END_TEST

static Suite *optim_suite(void)
{
    Suite *s = suite_create("optim");
    TCase *t = tcase_create("torch");
    tcase_add_test(t, test_trajectories_match_torch_optim);
    tcase_add_test(t, test_adamw_differs_from_adam_l2_unless_wd_zero);
    tcase_add_test(t, test_momentum_conventions_give_same_trajectory);
    tcase_add_test(t, test_names_and_defaults);
    tcase_add_test(t, test_schedules_match_torch);
    tcase_add_test(t, test_clip_grad_norm_matches_torch);
    suite_add_tcase(s, t);
    TCase *k = tcase_create("adam_kernel");
    tcase_set_timeout(k, 60);
    tcase_add_test(k, test_adam_rungs_match_v0_awkward_sizes);
    tcase_add_test(k, test_adam_threads_bitwise_identical);
    suite_add_tcase(s, k);
    TCase *e = tcase_create("errors");
    tcase_add_test(e, test_bad_config_exits_with_message);
    suite_add_tcase(s, e);
    return s;
}

DL_TEST_MAIN(optim_suite)
