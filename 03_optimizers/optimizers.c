/* 03_optimizers/optimizers.c — from SGD to AdamW: optimizer paths, the learning rate, batch
 * size, seven optimizers on MNIST, initialisation, regularisation and training diagnostics.
 * Build: make chapter3    Run: ./03_optimizers/run --quick    Bench: ./03_optimizers/run --bench
 * cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Icommon 03_optimizers/optimizers.c 03_optimizers/net.c 03_optimizers/bench.c $(find common -name '*.c') -lm -pthread -o 03_optimizers/run
 * Sections (lecture order): 1 test_functions + paths + momentum_conventions, 2 lr_sweep,
 *   3 batch_size, 4 optimizer_race, 5 init_study, 6 regularisation + diagnostics,
 *   7 imbalanced. Beside this lesson: net.c (the networks; every run is one train_run of the
 *   library, the main run being section 6's baseline) and bench.c (--bench: the Adam ladder).
 * Shapes: images x (B, 784), logits (B, C); Linear w (C_in, C_out), b (C_out).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/threads.h"
#include "data/idx.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/linalg.h"
#include "ops/loss.h"
#include "ops/regularize.h"
#include "report/plot.h"
#include "train/chapter.h"
#include "train/eval.h"
#include "train/loop.h"
#include "net.h"   // Net, net_train, compare: the chapter's networks and how they train

#define MAX_EPOCHS 100   // --epochs at most (and the per-epoch plot arrays)

// What every section reads: the flags and metrics, the --optimizer, the data.
typedef struct Run {
    Chapter ch;
    Metrics *m;           // &ch.metrics
    const char *out;      // ch.cli.out_dir: the plots
    OptConfig base;       // sections 6–7: --optimizer, --lr, --beta1, --beta2, --momentum
    int race_epochs;      // section 4: --epochs
    Dataset val;          // the last images of the training file: never trained on
    Dataset small, mid, race_tr;   // its first 300, 1000, 1000 (--quick) or 1000, 5000, 10000
} Run;

// region: test_functions
// Three 2-D losses that show what an optimizer does with curvature:
//   Rosenbrock (1960)  f = (1 - x)² + 100 (y - x²)²   a curved valley, minimum f(1, 1) = 0
//   saddle             f = x² - y²                     a stationary point that is no minimum
//   ill-conditioned    f = ½ (x² + κ y²), κ = 20       the Hessian's eigenvalues are 1 and 20
typedef enum { FN_ROSENBROCK, FN_SADDLE, FN_QUADRATIC, FN_COUNT } FnKind;
#define QUAD_KAPPA 20.0

typedef struct TestFn {
    const char *name;
    double x0, y0;                        // start of every path
    double xlo, xhi, ylo, yhi;            // plotting box (a path stops when it leaves it)
    int steps;
} TestFn;

static const TestFn TEST_FNS[FN_COUNT] = {
    [FN_ROSENBROCK] = {"rosenbrock", -1.2, 1.0, -2.0, 2.0, -1.0, 3.0, 2000},
    [FN_SADDLE] = {"saddle", -1.0, 1e-3, -1.5, 1.5, -1.5, 1.5, 100},
    [FN_QUADRATIC] = {"quadratic", -4.0, 1.0, -5.0, 5.0, -2.0, 2.0, 100},
};

double test_fn(FnKind k, double x, double y)
{
    switch (k) {
    case FN_ROSENBROCK: return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    case FN_SADDLE: return x * x - y * y;
    default: return 0.5 * (x * x + QUAD_KAPPA * y * y);
    }
}

// ∇f by hand: ∂/∂x (1-x)² = -2(1-x), ∂/∂x 100(y-x²)² = -400 x (y-x²), ∂/∂y = 200 (y-x²).
void test_fn_grad(FnKind k, double x, double y, double *gx, double *gy)
{
    switch (k) {
    case FN_ROSENBROCK:
        *gx = -2 * (1 - x) - 400 * x * (y - x * x);
        *gy = 200 * (y - x * x);
        break;
    case FN_SADDLE: *gx = 2 * x; *gy = -2 * y; break;
    default: *gx = x; *gy = QUAD_KAPPA * y; break;
    }
}
// endregion

// region: paths
// Every optimizer of common/optim/ on the same function from the same start. The point
// θ = (x, y) is a 2-element parameter; its gradient is written by hand, then optim_step runs.
// The learning rates are per function (a rate that is right for κ = 20 is wrong for the
// Rosenbrock valley, whose curvature reaches ~1000): each is a round value that converges.
static const struct { OptKind kind; float lr[FN_COUNT]; } PATH_RUNS[] = {
    {OPT_SGD, {1e-3f, 0.05f, 0.09f}},       // SGD on κ = 20 zig-zags: |1 - 0.09·20| = 0.8
    {OPT_MOMENTUM, {2e-4f, 0.01f, 0.01f}},  // torch convention, μ = 0.9: steps ~10x larger
    {OPT_NESTEROV, {2e-4f, 0.01f, 0.01f}}, {OPT_ADAGRAD, {0.5f, 0.1f, 1.0f}},
    {OPT_RMSPROP, {0.01f, 0.01f, 0.1f}}, {OPT_ADAM, {0.05f, 0.05f, 0.3f}},
};
#define N_PATH_RUNS (int)(sizeof PATH_RUNS / sizeof PATH_RUNS[0])

// θ = (x, y): the one parameter, shape (2), of the fresh model m, with the optimizer cfg on it.
static Tensor *point_init(Model *m, Optimizer *opt, const OptConfig *cfg, double x, double y)
{
    model_init(m, "03_optimizers/point");
    Tensor *p = tensor_param(&m->params, 1, (int[]){2}, "xy");
    p->data[0] = (float)x;
    p->data[1] = (float)y;
    params_add(&m->p, p);
    optim_init(opt, cfg, &m->p, &m->state);
    return p;
}

// One step on f from θ = p with learning rate lr: the gradient by hand, then the update rule.
static void point_step(Optimizer *opt, Tensor *p, FnKind k, float lr)
{
    double gx, gy;
    test_fn_grad(k, p->data[0], p->data[1], &gx, &gy);
    p->grad[0] = (float)gx;
    p->grad[1] = (float)gy;
    optim_step(opt, lr);
}

/* Optimizer `kind` with learning rate lr on f for fn->steps steps: the visited points go to
 * x, y (steps + 1 each); returns how many (a path stops when it leaves the plotting box). */
int path_run(FnKind k, OptKind kind, float lr, float *x, float *y)
{
    const TestFn *fn = &TEST_FNS[k];
    OptConfig cfg = optim_defaults(kind);
    cfg.lr = lr;
    Model m;
    Optimizer opt;
    Tensor *p = point_init(&m, &opt, &cfg, fn->x0, fn->y0);
    int n = 0;
    for (bool inside = true; inside && n <= fn->steps; n++) {
        if (n) point_step(&opt, p, k, lr);
        x[n] = p->data[0];
        y[n] = p->data[1];
        inside = x[n] >= fn->xlo && x[n] <= fn->xhi && y[n] >= fn->ylo && y[n] <= fn->yhi;
    }
    model_free(&m);
    return n;
}

void section_paths(Run *R)
{
    enum { G = 80 };   // contour grid points per side
    static float z[G * G];
    const int cap = TEST_FNS[FN_ROSENBROCK].steps + 1;   // the longest path
    float *buf = dl_malloc((size_t)N_PATH_RUNS * 2 * cap * sizeof(float), "paths");
    for (int k = 0; k < FN_COUNT; k++) {
        const TestFn *fn = &TEST_FNS[k];
        PlotSeries paths[N_PATH_RUNS];
        printf("%s from (%g, %g), at most %d steps:\n  optimizer       lr  steps            x"
               "            y        f(x, y)\n", fn->name, fn->x0, fn->y0, fn->steps);
        for (int r = 0; r < N_PATH_RUNS; r++) {
            const char *opt = optim_kind_name(PATH_RUNS[r].kind);
            float *x = buf + (size_t)r * 2 * cap, *y = x + cap, lr = PATH_RUNS[r].lr[k];
            int n = path_run((FnKind)k, PATH_RUNS[r].kind, lr, x, y);
            double f = test_fn((FnKind)k, x[n - 1], y[n - 1]);
            printf("  %-9s %8g %6d %12.5g %12.5g %14.6g%s\n", opt, (double)lr, n - 1,
                   (double)x[n - 1], (double)y[n - 1], f, n <= fn->steps ? "  (left the box)" : "");
            metrics_setf(R->m, f, "path_%s_%s_f", fn->name, opt);
            if (k == FN_SADDLE)   // how fast each one escapes the saddle
                metrics_setf(R->m, n - 1, "path_saddle_%s_steps", opt);
            paths[r] = (PlotSeries){opt, x, y, n, "linespoints pt 7 ps 0.3"};
        }
        // The contours: of log10(1 + f) for Rosenbrock, whose valley spans 4 decades.
        for (int i = 0; i < G; i++)
            for (int j = 0; j < G; j++) {
                double f = test_fn((FnKind)k, fn->xlo + (fn->xhi - fn->xlo) * j / (G - 1),
                                   fn->ylo + (fn->yhi - fn->ylo) * i / (G - 1));
                z[i * G + j] = (float)(k == FN_ROSENBROCK ? log10(1 + f) : f);
            }
        char name[32], title[96];
        snprintf(name, sizeof name, "paths_%s", fn->name);
        snprintf(title, sizeof title, "Optimizer paths on the %s function%s", fn->name,
                 k == FN_ROSENBROCK ? " (contours of log10(1 + f))" : "");
        plot_contour(R->out, name, title, "x", "y", z, G, G, (float)fn->xlo, (float)fn->xhi,
                     (float)fn->ylo, (float)fn->yhi, 18, paths, N_PATH_RUNS);
    }
    free(buf);
}
// endregion

// region: momentum_conventions
// Two ways to write momentum (in double, by hand, on Rosenbrock):
//   lecture:  v ← β v − α ∇L,   θ ← θ + v
//   PyTorch:  u ← μ u + ∇L,     θ ← θ − α u
// With a constant α and β = μ, induction gives v_t = −α u_t: the same method, with v scaled.
// They part ways when α changes during training: the lecture's v keeps the old α inside it,
// while PyTorch applies the new α to the whole accumulated u.
typedef struct MomentumCompare {
    double max_dtheta;                    // max over steps of |θ_lecture − θ_torch|
    double v_ratio;                       // v / u at the last step (= −α when α is constant)
    double max_dtheta_lib;                // max |θ_torch − θ from common/optim (float)|
} MomentumCompare;

/* Run both conventions for `steps` steps from the Rosenbrock start with momentum beta and
 * learning rate alpha, halved at step `halve_at` (never if halve_at <= 0). */
MomentumCompare momentum_compare(double alpha, double beta, int steps, int halve_at)
{
    const TestFn *fn = &TEST_FNS[FN_ROSENBROCK];
    double a[2] = {fn->x0, fn->y0}, b[2] = {fn->x0, fn->y0}, v[2] = {0, 0}, u[2] = {0, 0};
    MomentumCompare r = {0};
    OptConfig cfg = optim_defaults(OPT_MOMENTUM);
    cfg.lr = (float)alpha;
    cfg.momentum = (float)beta;
    Model m;
    Optimizer opt;
    Tensor *p = point_init(&m, &opt, &cfg, fn->x0, fn->y0);
    for (int s = 0; s < steps; s++) {
        double lr = halve_at > 0 && s >= halve_at ? alpha / 2 : alpha, ga[2], gb[2];
        test_fn_grad(FN_ROSENBROCK, a[0], a[1], &ga[0], &ga[1]);
        test_fn_grad(FN_ROSENBROCK, b[0], b[1], &gb[0], &gb[1]);
        point_step(&opt, p, FN_ROSENBROCK, (float)lr);
        for (int i = 0; i < 2; i++) {
            v[i] = beta * v[i] - lr * ga[i];
            a[i] += v[i];
            u[i] = beta * u[i] + gb[i];
            b[i] -= lr * u[i];
            r.max_dtheta = fmax(r.max_dtheta, fabs(a[i] - b[i]));
            r.max_dtheta_lib = fmax(r.max_dtheta_lib, fabs(b[i] - p->data[i]));
        }
    }
    r.v_ratio = v[0] / u[0];
    model_free(&m);
    return r;
}

void section_momentum(Run *R)
{
    const double alpha = 2e-4, beta = 0.9;
    const int steps = 200;
    MomentumCompare c = momentum_compare(alpha, beta, steps, 0);
    MomentumCompare h = momentum_compare(alpha, beta, steps, steps / 2);
    printf("\nmomentum, lecture (v = βv − α∇L, θ += v) vs PyTorch (u = μu + ∇L, θ −= αu), "
           "α = %g, β = μ = %g, %d steps on Rosenbrock:\n  constant α:      max |θ_lecture − "
           "θ_torch| = %.3g,  v/u at the end = %.9g (−α = %g)\n  α halved at %d: max "
           "|θ_lecture − θ_torch| = %.3g  (the conventions differ once α changes)\n  "
           "common/optim OPT_MOMENTUM (float) vs the PyTorch rule in double: max |Δθ| = %.3g\n",
           alpha, beta, steps, c.max_dtheta, c.v_ratio, -alpha, steps / 2, h.max_dtheta,
           c.max_dtheta_lib);
    metrics_set(R->m, "momentum_conventions_max_dtheta", c.max_dtheta);
    metrics_set(R->m, "momentum_conventions_v_ratio", c.v_ratio);
    metrics_set(R->m, "momentum_conventions_halved_max_dtheta", h.max_dtheta);
}
// endregion

// region: lr_sweep
// One MLP, SGD, three learning rates: too small (barely moves), about right, too large (the
// loss explodes; the loop stops the run and records at which step).
void section_lr(Run *R)
{
    static const float LRS[3] = {1e-3f, 0.1f, 5.0f};
    static const char *NAMES[3] = {"too_small", "right", "too_large"};
    static const int SIZES[] = {784, 128, 10};
    const int steps = R->ch.cli.quick ? 60 : 300, spe = (R->mid.n + 63) / 64;
    NetRun nr[3];
    PlotSeries s[3];
    char titles[3][48];
    printf("SGD, batch 64, MLP 784-128-10, at most %d steps on %d images; a run stops when the "
           "loss is not finite or > 10x the first step's:\n", steps, R->mid.n);
    for (int r = 0; r < 3; r++) {
        char name[32];
        snprintf(name, sizeof name, "lr_%s", NAMES[r]);
        TrainConfig tc = {.epochs = (steps + spe - 1) / spe, .max_steps = steps,
                          .opt = optim_defaults(OPT_SGD), .val = &R->val};
        tc.opt.lr = LRS[r];
        net_train(&nr[r], name, (NetSpec){SIZES, 3, false, 0}, &R->mid, 64, &tc, &R->ch.cli);
        const TrainLog *lg = &nr[r].log;
        int n = (int)lg->steps;
        metrics_setf(R->m, lg->diverged, "%s_diverged", name);
        if (lg->diverged) {
            printf("  lr %-6g %-9s DIVERGED at step %ld (loss %g, first step %.4f): run stopped\n",
                   (double)LRS[r], NAMES[r], lg->diverged_step, (double)lg->diverged_loss,
                   (double)lg->step_loss[0]);
            metrics_setf(R->m, lg->diverged_step, "%s_diverged_step", name);
            n -= !isfinite(lg->step_loss[n - 1]);   // a NaN or Inf is not drawn
        } else {
            printf("  lr %-6g %-9s loss %.4f -> %.4f, val accuracy %.2f%%\n", (double)LRS[r],
                   NAMES[r], (double)lg->step_loss[0], (double)lg->step_loss[n - 1],
                   lg->val_acc_pct[lg->epochs_run]);
            metrics_setf(R->m, lg->step_loss[n - 1], "%s_final_loss", name);
            metrics_setf(R->m, lg->val_acc_pct[lg->epochs_run], "%s_val_acc_pct", name);
        }
        snprintf(titles[r], sizeof titles[r], "lr %g%s", (double)LRS[r],
                 lg->diverged ? " (diverged)" : "");
        s[r] = (PlotSeries){titles[r], NULL, lg->step_loss, n, "lines"};
    }
    plot_lines(R->out, "lr_sweep", "Learning rate: too small, right, too large (SGD)",
               "step", "mini-batch loss", s, 3, true);
    for (int r = 0; r < 3; r++) net_run_free(&nr[r]);

    // The schedules of common/optim/schedule.c over 1000 steps (drawn, no training).
    enum { S = 1000 };
    static float curve[4][S];
    const Schedule sch[4] = {
        {.kind = SCHED_STEP, .base_lr = 0.1f, .step_size = 300, .gamma = 0.5f},
        {.kind = SCHED_EXPONENTIAL, .base_lr = 0.1f, .gamma = 0.997f},
        {.kind = SCHED_COSINE, .base_lr = 0.1f, .total_steps = S, .min_lr = 0.001f},
        {.kind = SCHED_COSINE, .base_lr = 0.1f, .total_steps = S - 100, .min_lr = 0.001f,
         .warmup_steps = 100},
    };
    static const char *SN[4] = {"step (x0.5 every 300)", "exponential (x0.997 per step)",
                                "cosine to 0.001", "cosine + 100 warm-up steps"};
    static const char *SK[4] = {"step", "exp", "cosine", "warm-up+cosine"};
    PlotSeries ss[4];
    printf("schedules at step 0 / 500 / 999:");
    for (int k = 0; k < 4; k++) {
        for (int t = 0; t < S; t++) curve[k][t] = schedule_lr(&sch[k], t);
        ss[k] = (PlotSeries){SN[k], NULL, curve[k], S, "lines lw 2"};
        printf("%s %s %.4g %.4g %.4g", k ? "," : "", SK[k], curve[k][0], curve[k][500],
               curve[k][999]);
    }
    printf("\n");
    plot_lines(R->out, "schedules", "Learning-rate schedules (common/optim/"
               "schedule.c schedule_lr)", "step", "learning rate", ss, 4, false);
}
// endregion

// region: batch_size
// Full-batch gradient descent, SGD with batch 1, and mini-batches, on the same slice for the
// same number of epochs: an epoch is one pass over the data, ceil(N / B) steps. Compared: the
// loss of the whole training set (in eval mode) after every epoch, per epoch and per second.
void section_batch(Run *R)
{
    static const int SIZES[] = {784, 64, 10};
    const int batches[4] = {R->small.n, 1, 32, 256};
    const float lrs[4] = {0.5f, 0.01f, 0.1f, 0.3f};
    Contender c[4];
    printf("iterations per epoch = ceil(N / B): the lecture's 1000 documents / batch 50 = %d\n",
           (1000 + 49) / 50);
    for (int r = 0; r < 4; r++) {
        c[r] = (Contender){.kind = OPT_SGD, .lr = lrs[r], .batch = batches[r]};
        snprintf(c[r].tag, sizeof c[r].tag, r ? "%d" : "full", batches[r]);
        snprintf(c[r].title, sizeof c[r].title, r ? "B = %d" : "full batch (B = %d)", batches[r]);
    }
    compare(&R->ch, &(Comparison){"batch", SIZES, &R->small, &R->val, R->ch.cli.quick ? 2 :
            R->ch.cli.full ? 20 : 8, "batch_epochs", "Batch size: training loss per epoch",
            "batch_time", "Batch size: training loss against wall-clock"}, c, 4);
}
// endregion

// region: optimizer_race
// The seven optimizers of common/optim/ train the same MLP, from the same initial weights,
// for the same number of epochs. Each gets a learning rate from the usual range for it
// (SGD ~0.1, momentum ~0.01 in PyTorch's convention, the adaptive ones ~1e-3).
static const struct { OptKind kind; float lr; } RACE[] = {
    {OPT_SGD, 0.1f}, {OPT_MOMENTUM, 0.01f}, {OPT_NESTEROV, 0.01f}, {OPT_ADAGRAD, 0.01f},
    {OPT_RMSPROP, 1e-3f}, {OPT_ADAM, 1e-3f}, {OPT_ADAMW, 1e-3f},
};
#define N_RACE (int)(sizeof RACE / sizeof RACE[0])

// The race on tr, validated on val; `data` ("mnist", "fashion") names its runs and plot.
void race(Run *R, const Dataset *tr, const Dataset *val, const char *data)
{
    static const int SIZES[] = {784, 256, 10};
    Contender c[N_RACE];
    char plot[32], title[96];
    printf("%s: %d train / %d validation images, MLP 784-256-10, batch 64, %d epochs, same "
           "initial weights\n", tr->name, tr->n, val->n, R->race_epochs);
    for (int r = 0; r < N_RACE; r++) {
        c[r] = (Contender){.kind = RACE[r].kind, .lr = RACE[r].lr, .batch = 64};
        snprintf(c[r].title, sizeof c[r].title, "%s", optim_kind_name(RACE[r].kind));
        snprintf(c[r].tag, sizeof c[r].tag, "%s_%s", data, optim_kind_name(RACE[r].kind));
    }
    snprintf(plot, sizeof plot, "race_%s", data);
    snprintf(title, sizeof title, "Seven optimizers, same MLP, same budget (%s)", tr->name);
    compare(&R->ch, &(Comparison){.section = "race", .sizes = SIZES, .tr = tr, .val = val,
            .epochs = R->race_epochs, .plot = plot, .title = title}, c, N_RACE);
}

// The race on the --dataset images, then (full-size runs on MNIST) on Fashion-MNIST too: the
// same numbers of training and validation images, from that file.
void section_race(Run *R)
{
    bool fashion = strcmp(R->race_tr.name, "fashion-mnist") == 0;
    race(R, &R->race_tr, &R->val, fashion ? "fashion" : "mnist");
    Dataset all, tr, val;
    char err[700];
    if (fashion || R->ch.cli.quick) return;
    if (!image_dataset_load(R->ch.cli.data_dir, "fashion", true, &all, err, sizeof err)) {
        printf("(no Fashion-MNIST: its race is skipped; make data fetches it)\n");
        return;
    }
    dataset_split(&all, R->race_tr.n, R->val.n, &tr, &val);
    race(R, &tr, &val, "fashion");
    dataset_free(&all), dataset_free(&tr), dataset_free(&val);
}
// endregion

// region: init_study
// A 10-layer ReLU network, one forward and backward pass on one batch, five initialisations.
// Per layer: the std of the activations and of the weight gradient. He (2/fan_in) keeps the
// activation scale through ReLUs; Xavier (2/(fan_in+fan_out), made for tanh) halves the
// variance at every ReLU layer; N(0, 0.01²) vanishes; N(0, 1) explodes; zeros never start.
#define INIT_LAYERS 10

// The weights: drawn with `init` or, when sd > 0, from N(0, sd²).
typedef struct InitCase { const char *name, *title; Init init; float sd; } InitCase;

static const InitCase INITS[] = {
    {"zeros", "zeros", INIT_ZERO, 0}, {"small", "N(0, 0.01²)", INIT_ZERO, 0.01f},
    {"large", "N(0, 1)", INIT_ZERO, 1.0f}, {"xavier", "Xavier uniform", INIT_XAVIER_UNIFORM, 0},
    {"he", "He normal", INIT_HE_NORMAL, 0},
};
#define N_INITS (int)(sizeof INITS / sizeof INITS[0])

static double std_of(const float *v, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) s += v[i], s2 += (double)v[i] * v[i];
    double mean = s / n, var = s2 / n - mean * mean;
    return var > 0 ? sqrt(var) : 0;
}

/* act_std and grad_std (INIT_LAYERS each): std of layer l's output (post-ReLU for hidden
 * layers, the logits for the last) and of ∂L/∂W_l, for the first `batch` images of d. */
void init_stats(const InitCase *ic, int width, const Dataset *d, int batch, uint64_t seed,
                double *act_std, double *grad_std)
{
    int sizes[INIT_LAYERS + 1] = {d->dim};
    for (int i = 1; i < INIT_LAYERS; i++) sizes[i] = width;
    sizes[INIT_LAYERS] = d->n_classes;
    Rng rng;
    rng_seed(&rng, seed);
    Model m;
    model_init(&m, "03_optimizers/init");
    Net net;
    net_init(&net, &(NetSpec){sizes, INIT_LAYERS + 1, false, 0}, ic->init, &m.params, &rng,
             &m.p);
    for (int i = 0; ic->sd > 0 && i < INIT_LAYERS; i++)
        tensor_fill_normal(net.fc[i].w, &rng, 0, ic->sd);
    Batch b = {.B = batch, .dim = d->dim, .x = d->x, .y = d->y};
    Tensor *hidden[NET_MAX_LAYERS];
    Tensor *logits = net_forward(&m.tp, &net, batch_input(&m.tp, &b), true, &rng, hidden);
    hidden[INIT_LAYERS - 1] = logits;
    tape_backward(&m.tp, op_cross_entropy(&m.tp, logits, b.y));
    for (int l = 0; l < INIT_LAYERS; l++) {
        act_std[l] = std_of(hidden[l]->data, hidden[l]->size);
        grad_std[l] = std_of(net.fc[l].w->grad, net.fc[l].w->size);
    }
    model_free(&m);
}

void section_init(Run *R)
{
    const int width = R->ch.cli.quick ? 64 : 256, batch = width;
    static float lx[INIT_LAYERS], ay[N_INITS][INIT_LAYERS], gy[N_INITS][INIT_LAYERS];
    PlotSeries sa[N_INITS], sg[N_INITS];
    printf("10 layers, 784-%d-...-%d-10, ReLU, one batch of %d images; std per layer (activations "
           "| weight gradients):\n  init               act L1     act L5    act L10 |    grad L1 "
           "   grad L5   grad L10\n", width, width, batch);
    for (int k = 0; k < N_INITS; k++) {
        const InitCase *ic = &INITS[k];
        double a[INIT_LAYERS], g[INIT_LAYERS];
        init_stats(ic, width, &R->mid, batch, R->ch.cli.seed, a, g);
        printf("  %-14s %10.3g %10.3g %10.3g | %10.3g %10.3g %10.3g\n", ic->title, a[0], a[4],
               a[9], g[0], g[4], g[9]);
        for (int l = 0; l < INIT_LAYERS; l++)
            lx[l] = (float)l + 1, ay[k][l] = (float)a[l], gy[k][l] = (float)g[l];
        sa[k] = (PlotSeries){ic->title, lx, ay[k], INIT_LAYERS, "linespoints pt 7"};
        sg[k] = (PlotSeries){ic->title, lx, gy[k], INIT_LAYERS, "linespoints pt 7"};
        metrics_setf(R->m, a[0], "init_%s_act_std_layer_1", ic->name);
        metrics_setf(R->m, a[9], "init_%s_act_std_layer_10", ic->name);
        metrics_setf(R->m, g[0], "init_%s_grad_std_layer_1", ic->name);
    }
    printf("  (zeros: every activation and weight gradient is exactly 0 — only the last bias "
           "learns, and all units of a layer stay identical: symmetry is never broken; "
           "a log axis cannot draw 0)\n");
    plot_lines(R->out, "init_activations", "Activation std per layer, 10-layer ReLU "
               "net", "layer", "std of activations", sa, N_INITS, true);
    plot_lines(R->out, "init_gradients", "Weight-gradient std per layer, 10-layer "
               "ReLU net", "layer", "std of dL/dW", sg, N_INITS, true);
}
// endregion

// region: diagnostics
// The lecture's table, applied to real curves. Thresholds for 10-class cross-entropy
// (chance = ln 10 ≈ 2.30): a training loss above 0.5 is high; a final validation loss more
// than 10 % above its best means it is rising; a train/val gap above 0.3 is large.
typedef enum { DIAG_GOOD, DIAG_UNDERFIT, DIAG_OVERFIT, DIAG_HIGH_VARIANCE, DIAG_DIVERGED } Diagnosis;

static const char *const DIAG_TEXT[] = {
    [DIAG_GOOD] = "good fit",
    [DIAG_UNDERFIT] = "underfitting (high bias): bigger model, train longer, less regularisation",
    [DIAG_OVERFIT] = "overfitting: val loss rising: regularise, stop early, more data",
    [DIAG_HIGH_VARIANCE] = "high variance (large gap): more data or regularisation",
    [DIAG_DIVERGED] = "diverged: lower the learning rate",
};

Diagnosis diagnose(double train_loss, double val_loss, double best_val_loss)
{
    if (!isfinite(train_loss) || !isfinite(val_loss)) return DIAG_DIVERGED;
    if (train_loss > 0.5) return DIAG_UNDERFIT;
    if (val_loss > 1.1 * best_val_loss) return DIAG_OVERFIT;
    if (val_loss - train_loss > 0.3) return DIAG_HIGH_VARIANCE;
    return DIAG_GOOD;
}
// endregion

// region: regularisation
// A deliberately over-fitting setup (few training images, a wide network, many epochs),
// then the cures, each a separate run from the same initial weights. The first, `baseline`,
// is the chapter's main run: the --optimizer's, printed epoch by epoch, saved by --save.
typedef struct RegRun {   // kind: OPT_ADAMW for the AdamW cures, else the --optimizer's
    const char *name, *setting;
    OptKind kind;
    float l1, l2, weight_decay, dropout;
    bool bn;
    int patience;
} RegRun;

#define REG_L2 1e-3f
static const RegRun REG_RUNS[] = {
    {"baseline", "none", OPT_ADAM, 0, 0, 0, 0, false, 0},
    {"l2", "L2 1e-3", OPT_ADAM, 0, REG_L2, 0, 0, false, 0},
    {"adamw", "AdamW wd 1e-3", OPT_ADAMW, 0, 0, REG_L2, 0, false, 0},
    {"adamw_strong", "AdamW wd 1", OPT_ADAMW, 0, 0, 1.0f, 0, false, 0},
    {"l1", "L1 1e-4", OPT_ADAM, 1e-4f, 0, 0, 0, false, 0},
    {"dropout", "dropout p 0.5", OPT_ADAM, 0, 0, 0, 0.5f, false, 0},
    {"batchnorm", "batch norm", OPT_ADAM, 0, 0, 0, 0, true, 0},
    {"early_stop", "patience 3", OPT_ADAM, 0, 0, 0, 0, false, 3},
    {"l2_heavy", "L2 0.1", OPT_ADAM, 0, 0.1f, 0, 0, false, 0},
};
#define N_REG (int)(sizeof REG_RUNS / sizeof REG_RUNS[0])

// Inverted dropout vs the lecture's "scale by 1 − p at inference", on the first hidden layer:
// E[mask/(1−p) ⊙ h] = h (averaged over many masks), and a net trained with the lecture's
// convention and weights W/(1−p) computes, at inference, (1−p)·h·W/(1−p) = h·W: the same.
static void dropout_equivalence(NetRun *nr, const Dataset *d, Metrics *m)
{
    const int B = 16, draws = 200;
    Net *n = &nr->net;
    Tape *tp = &nr->m.tp;
    const float p = n->dropout;
    tape_set_recording(tp, false);
    Tensor *x = batch_input(tp, &(Batch){.B = B, .dim = d->dim, .x = d->x});
    Tensor *h = op_relu(tp, linear_forward(tp, &n->fc[0], x));   // (B, C), eval values
    float *mean = arena_alloc(tp->arena, h->size * sizeof(float));
    for (int k = 0; k < draws; k++) {
        Tensor *dh = op_dropout(tp, h, p, &nr->rng, true);
        for (size_t i = 0; i < h->size; i++) mean[i] += dh->data[i] / draws;
    }
    double num = 0, den = 0, worst = 0;
    for (size_t i = 0; i < h->size; i++) {
        num += (mean[i] - h->data[i]) * (double)(mean[i] - h->data[i]);
        den += (double)h->data[i] * h->data[i];
    }
    // Next layer at inference: inverted (identity, W) vs lecture ((1−p)·h, W/(1−p)).
    Tensor *inv = linear_forward(tp, &n->fc[1], h), *w2 = tensor_new(tp->arena, 2,
                                                                     n->fc[1].w->shape);
    for (size_t i = 0; i < w2->size; i++) w2->data[i] = n->fc[1].w->data[i] / (1 - p);
    Tensor *lecture = op_bias_add(tp, op_matmul(tp, op_scale(tp, h, 1 - p), w2), n->fc[1].b);
    for (size_t i = 0; i < inv->size; i++)
        worst = fmax(worst, fabs(inv->data[i] - lecture->data[i]) / (fabs(inv->data[i]) + 1e-6));
    tape_reset(tp);
    tape_set_recording(tp, true);
    double rel = sqrt(num / den);
    // Each kept element is h/(1−p) with probability 1−p: variance h²·p/(1−p) per draw.
    printf("  dropout p = %g: the mean of %d train-mode masks of layer 1 differs from the "
           "eval-mode activations by %.3g\n  (relative; sampling noise predicts "
           "sqrt(p/((1-p)·%d)) = %.3g); inference with 'scale by 1-p' and weights W/(1-p)\n"
           "  vs inverted dropout with W: max relative difference %.3g\n", (double)p, draws,
           rel, draws, sqrt(p / ((1.0 - p) * draws)), worst);
    metrics_set(m, "dropout_mc_rel_diff", rel);
    metrics_set(m, "dropout_conventions_max_rel_diff", worst);
}

// Batch norm: eval mode (running statistics) vs train mode (this batch's statistics) on the
// validation set, and the first BN layer's running mean against the true mean of its input.
static void batchnorm_report(NetRun *nr, const Dataset *val, Metrics *m)
{
    Net *n = &nr->net;
    Tape *tp = &nr->m.tp;
    ClassifierEval ev;
    eval_classifier(&nr->m, n, net_batch_forward, val, EVAL_BATCH, false, &ev);
    const int B = val->n < 500 ? val->n : 500, C = n->bn[0].C;
    tape_set_recording(tp, false);
    Tensor *x = batch_input(tp, &(Batch){.B = B, .dim = val->dim, .x = val->x});
    // Train mode would update the running statistics: momentum 0 leaves them as they are.
    const float momentum = n->bn[0].momentum;
    for (int l = 0; l + 1 < n->n_layers; l++) n->bn[l].momentum = 0;
    Tensor *logits = net_forward(tp, n, x, true, NULL, NULL);
    double train_mode_loss = tensor_item(op_cross_entropy(tp, logits, val->y));
    for (int l = 0; l + 1 < n->n_layers; l++) n->bn[l].momentum = momentum;
    // The true mean of the first BN layer's input (the first Linear's output) on those images.
    Tensor *z = linear_forward(tp, &n->fc[0], x);   // (B, C)
    double gap = 0, scale = 0;
    for (int j = 0; j < C; j++) {
        double mu = 0;
        for (int i = 0; i < B; i++) mu += z->data[(size_t)i * C + j] / B;
        gap += fabs(mu - n->bn[0].running_mean[j]);
        scale += fabs(mu);
    }
    tape_reset(tp);
    tape_set_recording(tp, true);
    printf("  batch norm: validation loss in eval mode (running stats) %.4f, in train mode "
           "(batch stats, %d images) %.4f;\n  layer-1 running mean vs the mean over those "
           "images: mean |difference| %.3g (mean |mean| %.3g)\n", ev.loss, B,
           train_mode_loss, gap / C, scale / C);
    metrics_set(m, "bn_val_loss_eval_mode", ev.loss);
    metrics_set(m, "bn_val_loss_train_mode", train_mode_loss);
}

// Run `rr` of the over-fitting setup: its row of the table and its keys reg_<name>_….
void reg_run(Run *R, const RegRun *rr, NetRun *nr, const int *sizes, int epochs)
{
    static const char *KEYS[] = {"train_eval_loss", "val_loss", "best_val_loss", "best_epoch",
                                 "val_acc_pct", "weight_norm", "diagnosis", "near_zero_frac",
                                 "epochs_run"};
    const bool main_run = rr == &REG_RUNS[0];
    char name[32];
    snprintf(name, sizeof name, "reg_%s", rr->name);
    TrainConfig tc = {.epochs = epochs, .opt = R->base, .l1 = rr->l1, .l2 = rr->l2,
                      .val = &R->val, .train_eval = &R->small, .eval_before = true,
                      .patience = rr->patience, .print = main_run, .save = main_run,
                      .metrics = main_run ? R->m : NULL, .prefix = name};
    if (rr->kind == OPT_ADAMW) tc.opt.kind = OPT_ADAMW, tc.opt.weight_decay = rr->weight_decay;
    net_train(nr, name, (NetSpec){sizes, 4, rr->bn, rr->dropout}, &R->small, 32, &tc,
              &R->ch.cli);
    const TrainLog *lg = &nr->log;
    // early stopping restored the weights of the best epoch: report that epoch
    const int E = lg->epochs_run, b = lg->best_epoch, at = rr->patience ? b : E;
    const double tl = lg->diverged ? NAN : lg->train_eval_loss[at], vl = lg->val_loss[at];
    const Diagnosis dg = diagnose(tl, vl, lg->val_loss[b]);
    double nz, wn = net_weight_norm(&nr->net, &nz);
    if (main_run) {
        train_log_plot(lg, R->out, "overfit", NULL, "Over-fitting: train loss "
                       "falls, validation loss rises", false);
        printf("  %-13s %-15s %10s %9s %9s %6s %8s %7s %8s  %s\n", "run", "setting",
               "train loss", "val loss", "best val", "epoch", "val acc", "||W||", "|w|<1e-3",
               "diagnosis");
    }
    printf("  %-13s %-15s %10.4f %9.4f %9.4f %6d %7.2f%% %7.2f %7.1f%%  %s\n", rr->name,
           rr->setting, tl, vl, (double)lg->val_loss[b], b, lg->val_acc_pct[at], wn, 100 * nz,
           DIAG_TEXT[dg]);
    if (rr->patience && E < epochs)
        printf("  %-13s (stopped after epoch %d; the weights of epoch %d restored)\n", "", E, b);
    const double v[] = {tl, vl, lg->val_loss[b], b, lg->val_acc_pct[at], wn, dg, nz, E};
    for (int k = 0; k < 9; k++)   // |w| < 1e-3 where L1 is the point; where training stopped
        if ((k != 7 || rr->l1 > 0 || main_run) && (k != 8 || rr->patience))
            metrics_setf(R->m, v[k], "%s_%s", name, KEYS[k]);
    if (rr->dropout > 0) dropout_equivalence(nr, &R->val, R->m);
    if (rr->bn) batchnorm_report(nr, &R->val, R->m);
}

void section_regularisation(Run *R)
{
    const int width = R->ch.cli.quick ? 128 : 256, n = R->small.n, sizes[4] = {784, width,
                                                                                 width, 10};
    const int epochs = R->ch.cli.quick ? 15 : R->ch.cli.full ? 60 : 30;
    const double lr = R->base.lr, steps = epochs * ((n + 31) / 32);
    NetRun nr[N_REG];
    PlotSeries cures[N_REG];
    printf("over-fitting setup: %d training images, MLP 784-%d-%d-10, %s lr %g, batch 32, %d "
           "epochs; validation on %d images. The baseline, epoch by epoch:\n", n, width, width,
           optim_kind_name(R->base.kind), lr, epochs, R->val.n);
    for (int r = 0; r < N_REG; r++) {
        reg_run(R, &REG_RUNS[r], &nr[r], sizes, epochs);
        cures[r] = (PlotSeries){REG_RUNS[r].name, NULL, nr[r].log.val_loss,
                                nr[r].log.epochs_run + 1, r ? "lines lw 2" : "linespoints pt 7 lw 2"};
    }
    if (R->base.kind == OPT_ADAM)
        printf("  Adam + L2 vs AdamW at the same λ = %g: Adam divides L2's gradient λθ by √v̂ "
               "like any gradient,\n  so it pulls hardest on weights whose gradients are small; "
               "AdamW shrinks every weight by the factor 1 − lr·λ = %.9g per step\n  (over %.0f "
               "steps: %.4f), whatever its gradient history: compare their ||W|| above.\n",
               (double)REG_L2, 1.0 - lr * REG_L2, steps, pow(1.0 - lr * REG_L2, steps));
    plot_lines(R->out, "regularisation", "Validation loss: the over-fitting run and "
               "its cures", "epoch", "validation cross-entropy", cures, N_REG, true);
    for (int r = 0; r < N_REG; r++) net_run_free(&nr[r]);
}
// endregion

// region: imbalanced
// One digit against the rest: ~10 % positives. A classifier that always answers "no" is
// ~90 % accurate and useless; precision, recall and F1 (eval_binary) say so.
static void one_vs_rest(const Dataset *src, int digit, Dataset *out)
{
    dataset_slice(src, 0, src->n, out);
    for (int i = 0; i < out->n; i++) out->y[i] = out->y[i] == digit;
    out->n_classes = 2;
}

void section_imbalanced(Run *R)
{
    static const int SIZES[] = {784, 64, 2}, DIGIT = 3;
    static const char *NAMES[2] = {"always 'no'", "MLP 784-64-2"}, *TAGS[2] = {"trivial",
                                                                              "trained"};
    static const char *Q[4] = {"acc_pct", "precision", "recall", "f1"};
    Dataset tr, val;
    one_vs_rest(&R->mid, DIGIT, &tr);
    one_vs_rest(&R->val, DIGIT, &val);
    int pos = 0, *none = dl_malloc((size_t)val.n * sizeof(int), "predictions");
    for (int i = 0; i < val.n; i++) pos += val.y[i], none[i] = 0;
    TrainConfig tc = {.epochs = R->ch.cli.quick ? 2 : 3, .opt = R->base};
    NetRun nr;
    net_train(&nr, "imbalanced", (NetSpec){SIZES, 3, false, 0}, &tr, 64, &tc, &R->ch.cli);
    ClassifierEval ev;   // detail: the predictions, class 1 where its logit is the larger
    eval_classifier(&nr.m, &nr.net, net_batch_forward, &val, EVAL_BATCH, true, &ev);
    const BinaryScores rows[2] = {eval_binary(none, val.y, val.n),
                                  eval_binary(ev.pred, val.y, val.n)};
    printf("'%d' vs the rest: %d of %d validation images positive (%.1f%%)%s\n  classifier     "
           "         accuracy  precision   recall       F1     TP     FP     FN\n", DIGIT, pos,
           val.n, 100.0 * pos / val.n, nr.log.diverged ? "; the training diverged" : "");
    float cells[2][4];
    for (int r = 0; r < 2; r++) {
        const BinaryScores *b = &rows[r];
        printf("  %-22s %8.2f%% %10.4f %8.4f %8.4f %6d %6d %6d\n", NAMES[r], b->acc_pct,
               b->precision, b->recall, b->f1, b->tp, b->fp, b->fn);
        const double v[4] = {b->acc_pct, b->precision, b->recall, b->f1};
        for (int q = 0; q < 4; q++) {
            cells[r][q] = (float)(q ? v[q] : v[q] / 100);   // one scale, 0 … 1, for the map
            metrics_setf(R->m, v[q], "imb_%s_%s", TAGS[r], Q[q]);
        }
    }
    plot_heatmap(R->out, "imbalanced", "Always-no vs trained (columns: accuracy, "
                 "precision, recall, F1)", "metric", "0 = always no, 1 = trained", &cells[0][0],
                 2, 4);
    free(none), eval_free(&ev), net_run_free(&nr), dataset_free(&tr), dataset_free(&val);
}
// endregion

#ifndef NO_MAIN
// region: main
void bench_run(const Cli *cli);   // bench.c: the Adam step ladder against memory bandwidth

int main(int argc, char **argv)
{
    static const struct { const char *title; void (*run)(Run *); } SECTIONS[] = {
        {"1. Optimizer paths on 2-D test functions", section_paths}, {NULL, section_momentum},
        {"2. The learning rate: too small, right, too large", section_lr},
        {"3. Batch size: full batch, 1, 32, 256", section_batch},
        {"4. Seven optimizers, one MLP, the same budget", section_race},
        {"5. Initialisation of a 10-layer network", section_init},
        {"6. Regularisation and the diagnostics table", section_regularisation},
        {"7. An imbalanced task: accuracy misleads", section_imbalanced},
    };
    char opt_name[16] = "adam";
    float lr = 0, betas[3] = {NAN, NAN, NAN};
    Run R = {.race_epochs = 0};
    const CliExtra extras[] = {
        {"optimizer", 's', opt_name, sizeof opt_name, "optimizer of sections 6-7 (section 6's "
         "baseline is the main run): sgd | momentum | nesterov | adagrad | rmsprop | adam | adamw"},
        {"lr", 'f', &lr, 0, "its learning rate; 0: torch.optim's default (Adam, AdamW 1e-3; "
         "others 0.01)"},
        {"beta1", 'f', &betas[0], 0, "Adam/AdamW β1 in [0, 1); nan: torch's 0.9"},
        {"beta2", 'f', &betas[1], 0, "Adam/AdamW β2, RMSprop's ρ, in [0, 1); nan: torch's 0.999 "
         "(RMSprop 0.99)"},
        {"momentum", 'f', &betas[2], 0, "momentum μ in [0, 1) (momentum, nesterov, rmsprop); nan: "
         "0.9 (RMSprop 0)"},
        {"epochs", 'i', &R.race_epochs, 0, "epochs of section 4's optimizer race; 0: 5, 2 with "
         "--quick, 15 with --full"},
    };
    chapter_begin(&R.ch, "03_optimizers", argc, argv, "Chapter 3: optimizers — SGD to AdamW, "
                  "learning rates, batch size, initialisation, regularisation, diagnostics",
                  extras, (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &R.ch.cli;
    R.m = &R.ch.metrics;
    R.out = cli->out_dir;
    R.base = opt_from_flags(opt_name, lr, betas);   // exits 2 on a bad value
    if (R.race_epochs < 0 || R.race_epochs > MAX_EPOCHS)
        dl_die_status(DL_EXIT_USAGE, "--epochs must be in 1..%d (0: default), got %d", MAX_EPOCHS,
                      R.race_epochs);
    if (R.race_epochs == 0) R.race_epochs = cli->quick ? 2 : cli->full ? 15 : 5;
    if (cli->bench) {
        bench_run(cli);
        metrics_free(&R.ch.metrics);
        return 0;
    }
    // Only the training file: this chapter compares training methods on held-out validation
    // images (the last ones of the file) and never needs the test set.
    Dataset all;
    chapter_load_images(&R.ch, true, &all);
    printf("data: %s from %s%s; %d thread(s), seed %llu%s\n", all.name, cli->data_dir,
           strcmp(all.name, "fashion-mnist") == 0 ? " -- Fashion-MNIST, not MNIST: the digit "
           "figures in README do not apply" : "", threads_get(), (unsigned long long)cli->seed,
           cli->quick ? ", --quick" : "");
    const int n_val = cli->quick ? 500 : 2000;
    dataset_split(&all, cli->quick ? 1000 : cli->full ? all.n - n_val : 10000, n_val, &R.race_tr,
                  &R.val);
    dataset_slice(&all, 0, cli->quick ? 300 : 1000, &R.small);
    dataset_slice(&all, 0, cli->quick ? 1000 : 5000, &R.mid);
    dataset_free(&all);
    for (size_t i = 0; i < sizeof SECTIONS / sizeof SECTIONS[0]; i++) {
        if (SECTIONS[i].title) chapter_section(SECTIONS[i].title);
        SECTIONS[i].run(&R);
    }
    dataset_free(&R.val), dataset_free(&R.small), dataset_free(&R.mid), dataset_free(&R.race_tr);
    return chapter_end(&R.ch);
}
// endregion
#endif
