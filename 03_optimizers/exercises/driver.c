/* 03_optimizers/exercises/driver.c — runs one chapter 3 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I03_optimizers/exercises \
 *      -DEXERCISE_ex2_adam_bias_correction 03_optimizers/exercises/driver.c <your file> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/<exercise>.txt.
 * Inputs are fixed (seeded); outputs that must be written start as NaN, so a forgotten one
 * shows up as "produced NaN"; gradients start non-zero, so a backward that overwrites instead
 * of adding (+=) is caught.
 */
#include <math.h>
#include <stdio.h>

#include "exercises.h"
#include "grader.h"
#include "base/rng.h"

#if defined(EXERCISE_ex1_momentum)
// A 6-parameter θ driven by 12 fixed gradients (seed 31), from θ = 1 and a zero velocity,
// in both conventions side by side. Case 0: constant learning rate (lr = α = 0.05,
// μ = β = 0.9): the two conventions follow the same θ. Case 1: the learning rate is halved
// after step 6, as a step schedule does: torch's form applies the new lr to the whole velocity
// at once, the lecture's only to new gradients, so the paths part there.
enum { N1 = 6, STEPS1 = 12 };

static void run_case(int c, const float g[STEPS1][N1])
{
    float theta[N1], v[N1], theta_l[N1], u[N1];
    for (int i = 0; i < N1; i++) { theta[i] = theta_l[i] = 1.0f; v[i] = u[i] = 0.0f; }
    char name[32];
    for (int s = 0; s < STEPS1; s++) {
        float lr = c == 1 && s >= STEPS1 / 2 ? 0.025f : 0.05f;
        ex_momentum_step(theta, v, g[s], N1, lr, 0.9f);
        ex_momentum_step_lecture(theta_l, u, g[s], N1, lr, 0.9f);
        snprintf(name, sizeof name, "case%d_step%d_theta", c, s + 1);
        ex_put_array(name, theta, N1);
        snprintf(name, sizeof name, "case%d_step%d_theta_lecture", c, s + 1);
        ex_put_array(name, theta_l, N1);
    }
    snprintf(name, sizeof name, "case%d_v", c);
    ex_put_array(name, v, N1);
    snprintf(name, sizeof name, "case%d_u", c);
    ex_put_array(name, u, N1);
}

static void run(void)
{
    float g[STEPS1][N1];
    Rng r;
    rng_seed(&r, 31);
    for (int s = 0; s < STEPS1; s++)
        for (int i = 0; i < N1; i++) g[s][i] = rng_normal(&r);
    for (int s = 0; s < STEPS1; s++) g[s][0] = 1.0f;   // a constant gradient: the velocity builds up
    for (int c = 0; c < 2; c++) run_case(c, g);
}

#elif defined(EXERCISE_ex2_adam_bias_correction)
// Two runs of Adam from θ = 0.5, reporting θ after every step and m, v at the end.
// Case 0: torch's default β = (0.9, 0.999) and ε = 1e-8 with lr 0.01, 10 steps, four kinds
// of gradient: constant 1 (the first step is lr·sign(g) with the correction, ~3.2·lr
// without), noisy (seed 32), alternating ±2, and tiny (~1e-8, comparable to ε: ε's place,
// outside the square root, decides the step). Case 1: β = (0.5, 0.9), lr 0.1, ε 1e-6, 6 steps
// of noisy gradients (seed 33) on 5 parameters.
static void adam_case(int c, int n, int steps, float lr, float b1, float b2, float eps, Rng *r)
{
    float theta[8], m[8], v[8], g[8];
    for (int i = 0; i < n; i++) { theta[i] = 0.5f; m[i] = v[i] = 0.0f; }
    char name[40];
    for (int t = 1; t <= steps; t++) {
        for (int i = 0; i < n; i++) g[i] = rng_normal(r);
        if (c == 0) {
            g[0] = 1.0f;
            g[2] = t % 2 ? 2.0f : -2.0f;
            g[3] = 1e-8f * (1.0f + 0.5f * g[3]);
        }
        ex_adam_step(theta, m, v, g, n, t, lr, b1, b2, eps);
        snprintf(name, sizeof name, "case%d_step%d_theta", c, t);
        ex_put_array(name, theta, n);
    }
    snprintf(name, sizeof name, "case%d_m", c);
    ex_put_array(name, m, n);
    snprintf(name, sizeof name, "case%d_v", c);
    ex_put_array(name, v, n);
}

static void run(void)
{
    Rng r;
    rng_seed(&r, 32);
    adam_case(0, 4, 10, 0.01f, 0.9f, 0.999f, 1e-8f, &r);
    rng_seed(&r, 33);
    adam_case(1, 5, 6, 0.1f, 0.5f, 0.9f, 1e-6f, &r);
}

#elif defined(EXERCISE_ex3_cosine_schedule)
// Every step of two short schedules, through both ends of each phase and past the end, then
// sampled steps of a long one (warm-up 100, annealing 900).
static void schedule_case(int c, float base, float min, int W, int T, const int *steps, int n)
{
    char name[32];
    snprintf(name, sizeof name, "case%d_lr", c);
    for (int k = 0; k < n; k++) ex_put(name, k, ex_cosine_lr(steps[k], base, min, W, T));
}

static void run(void)
{
    int all[32];
    for (int s = 0; s < 32; s++) all[s] = s;
    schedule_case(0, 0.1f, 0.001f, 5, 20, all, 30);   // warm-up 0..4, cosine 5..24, min after
    schedule_case(1, 1.0f, 0.0f, 0, 10, all, 13);     // no warm-up: starts at base_lr
    static const int sampled[] = {0, 1, 49, 98, 99, 100, 101, 325, 550, 775, 998, 999, 1000, 5000};
    schedule_case(2, 3e-4f, 3e-5f, 100, 900, sampled, (int)(sizeof sampled / sizeof *sampled));
}

#elif defined(EXERCISE_ex4_inverted_dropout)
// Forward and backward for 24 inputs (seed 34) with fixed uniforms, including u = p exactly
// (kept: drop only when u < p): p = 0.5, 0.2 and 0.9 in training, p = 0 in training (nothing
// dropped) and p = 0.5 in evaluation (the identity).
enum { N4 = 24 };

static void run(void)
{
    static const struct { float p; bool train; } cases[] = {
        {0.5f, true}, {0.2f, true}, {0.9f, true}, {0.0f, true}, {0.5f, false},
    };
    float x[N4], u[N4], dy[N4];
    Rng r;
    rng_seed(&r, 34);
    for (int i = 0; i < N4; i++) { x[i] = rng_normal(&r); dy[i] = rng_normal(&r); u[i] = rng_uniform(&r); }
    for (int c = 0; c < 5; c++) {
        float p = cases[c].p, y[N4], scale[N4], dx[N4];
        u[c] = p;                                 // the boundary: kept
        for (int i = 0; i < N4; i++) { y[i] = scale[i] = NAN; dx[i] = 0.25f; }
        ex_dropout_forward(x, u, y, scale, N4, p, cases[c].train);
        ex_dropout_backward(dy, scale, dx, N4);
        char name[32];
        snprintf(name, sizeof name, "case%d_y", c);
        ex_put_array(name, y, N4);
        snprintf(name, sizeof name, "case%d_dx", c);
        ex_put_array(name, dx, N4);
    }
}

#else
#error "build with -DEXERCISE_<name> (the grader does: make grade)"
#endif

int main(void)
{
    run();
    ex_end();
    return 0;
}
