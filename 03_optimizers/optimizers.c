/* 03_optimizers/optimizers.c — from SGD to AdamW: optimizer paths, the learning rate, batch
 * size, seven optimizers on MNIST, initialisation, regularisation and training diagnostics.
 * Build: make chapter3    Run: ./03_optimizers/run --quick    Bench: ./03_optimizers/run --bench
 * cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Icommon 03_optimizers/optimizers.c $(find common -name '*.c') -lm -pthread -o 03_optimizers/run
 * Sections (lecture order): 1 test_functions + paths + momentum_conventions, 2 lr_sweep,
 *   3 batch_size, 4 optimizer_race, 5 init_study, 6 regularisation + diagnostics,
 *   7 imbalanced; bench: the Adam kernel ladder (common/kernels/adam.c).
 * The update rules themselves live in common/optim.c; this file uses them.
 * Shapes: images x (B, 784), logits (B, classes); Linear w (in, out), b (out).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "bench/adam_bench.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "kernels/adam.h"
#include "nn/batchnorm.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/params.h"
#include "ops/activation.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/regularize.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"

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
// Every optimizer of common/optim.c on the same function from the same start. The point
// (x, y) is a 2-element parameter; its gradient is written by hand, then optim_step runs.
// The learning rates are per function (a rate that is right for κ = 20 is wrong for the
// Rosenbrock valley, whose curvature reaches ~1000): each is a round value that converges.

typedef struct PathRun {
    OptKind kind;
    float lr[FN_COUNT];
} PathRun;

static const PathRun PATH_RUNS[] = {
    {OPT_SGD, {1e-3f, 0.05f, 0.09f}},       // SGD on κ = 20 zig-zags: |1 - 0.09·20| = 0.8
    {OPT_MOMENTUM, {2e-4f, 0.01f, 0.01f}},  // torch convention, μ = 0.9: steps ~10x larger
    {OPT_NESTEROV, {2e-4f, 0.01f, 0.01f}},
    {OPT_ADAGRAD, {0.5f, 0.1f, 1.0f}},
    {OPT_RMSPROP, {0.01f, 0.01f, 0.1f}},
    {OPT_ADAM, {0.05f, 0.05f, 0.3f}},
};
#define N_PATH_RUNS (int)(sizeof PATH_RUNS / sizeof PATH_RUNS[0])

/* Run optimizer `kind` with learning rate lr on f for fn->steps steps; write the visited
 * points into xy (2 · (steps + 1)) and return how many there are (a path stops early when it
 * leaves the plotting box, e.g. down the saddle). */
int path_run(FnKind k, OptKind kind, float lr, float *xy)
{
    const TestFn *fn = &TEST_FNS[k];
    Arena params, state;
    arena_init(&params, "params");
    arena_init(&state, "state");
    Tensor *p = tensor_param(&params, 1, (int[]){2}, "xy");
    p->data[0] = (float)fn->x0;
    p->data[1] = (float)fn->y0;
    Params list;
    params_init(&list, &params);
    params_add(&list, p);
    OptConfig cfg = optim_defaults(kind);
    cfg.lr = lr;
    Optimizer opt;
    optim_init(&opt, &cfg, &list, &state);
    xy[0] = p->data[0];
    xy[1] = p->data[1];
    int n = 1;
    for (int s = 0; s < fn->steps; s++) {
        double gx, gy;
        test_fn_grad(k, p->data[0], p->data[1], &gx, &gy);
        p->grad[0] = (float)gx;
        p->grad[1] = (float)gy;
        optim_step(&opt, lr);
        xy[2 * n] = p->data[0];
        xy[2 * n + 1] = p->data[1];
        n++;
        if (!(p->data[0] >= fn->xlo && p->data[0] <= fn->xhi && p->data[1] >= fn->ylo &&
              p->data[1] <= fn->yhi))
            break;
    }
    arena_free(&state);
    arena_free(&params);
    return n;
}

// Run gnuplot on <dir>/<name>.gp from inside dir (as report.c does for its own plots).
static bool run_gnuplot_script(const char *dir, const char *name)
{
    if (!plot_available()) return false;
    char script[600];
    snprintf(script, sizeof script, "%s.gp", name);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        if (chdir(dir) != 0) _exit(127);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "warning: gnuplot could not draw %s/%s.png\n", dir, name);
        return false;
    }
    return true;
}

/* Contour plot of test function k with the paths on top: <name>.dat holds the grid
 * (index 0: x y z with z = log10(1 + f - fmin) for Rosenbrock, f otherwise) and one block
 * per path; <name>.gp turns the grid into contour lines (set table) and draws the paths. */
bool plot_paths(const char *dir, const char *name, FnKind k, float *const *paths,
                const int *lens, const char *const *titles, int n_paths)
{
    const TestFn *fn = &TEST_FNS[k];
    char dat_path[700], gp_path[700];
    snprintf(dat_path, sizeof dat_path, "%s/%s.dat", dir, name);
    snprintf(gp_path, sizeof gp_path, "%s/%s.gp", dir, name);
    FILE *dat = atomic_open(dat_path), *gp = dat ? atomic_open(gp_path) : NULL;
    if (!dat || !gp) return false;
    const int G = 80;   // grid points per side
    fprintf(dat, "# %s.dat: index 0 = grid x y z (z is the contoured value); then one block "
            "per path: x y\n", name);
    for (int i = 0; i < G; i++) {
        double x = fn->xlo + (fn->xhi - fn->xlo) * i / (G - 1);
        for (int j = 0; j < G; j++) {
            double y = fn->ylo + (fn->yhi - fn->ylo) * j / (G - 1), f = test_fn(k, x, y);
            fprintf(dat, "%.6g %.6g %.6g\n", x, y, k == FN_ROSENBROCK ? log10(1 + f) : f);
        }
        fputc('\n', dat);
    }
    for (int p = 0; p < n_paths; p++) {
        fprintf(dat, "\n\n");
        for (int i = 0; i < lens[p]; i++)
            fprintf(dat, "%.7g %.7g\n", paths[p][2 * i], paths[p][2 * i + 1]);
    }
    fprintf(gp,
            "# %s.gp: contours of the %s function and optimizer paths, from %s.dat.\n"
            "# Redraw with `gnuplot %s.gp` inside this folder, or `make plots`.\n"
            "if (exists(\"ARG0\") && strstrt(ARG0, \"/\") > 0) {\n"
            "    dir = ARG0; i = strlen(dir)\n"
            "    while (substr(dir, i, i) ne \"/\") { i = i - 1 }\n"
            "    cd dir[1:i]\n"
            "}\n"
            "set view map; unset surface; set contour base; set cntrparam levels 18\n"
            "set table $contours\n"
            "splot '%s.dat' index 0 using 1:2:3 with lines\n"
            "unset table\n"
            "if (strstrt(GPVAL_TERMINALS, \" pngcairo \") > 0) {\n"
            "    set terminal pngcairo noenhanced size 900,700 font \",11\"\n"
            "} else {\n"
            "    set terminal png noenhanced size 900,700\n"
            "}\n"
            "set output '%s.png.tmp'\n"
            "set title 'Optimizer paths on the %s function%s'\n"
            "set xlabel 'x'; set ylabel 'y'; set key outside right\n"
            "set xrange [%g:%g]; set yrange [%g:%g]\n"
            "plot $contours with lines lc rgb '#c0c0c0' notitle",
            name, fn->name, name, name, name, name, fn->name,
            k == FN_ROSENBROCK ? " (contours of log10(1 + f))" : "", fn->xlo, fn->xhi, fn->ylo,
            fn->yhi);
    for (int p = 0; p < n_paths; p++)
        fprintf(gp, ", \\\n     '%s.dat' index %d using 1:2 with linespoints pt 7 ps 0.3 "
                "title '%s'", name, p + 1, titles[p]);
    fprintf(gp, "\nset output\nsystem \"mv -f '%s.png.tmp' '%s.png'\"\n", name, name);
    bool ok = atomic_close(dat, dat_path);
    ok = atomic_close(gp, gp_path) && ok;
    return ok && run_gnuplot_script(dir, name);
}

void paths_section(const char *out_dir, Metrics *m)
{
    int max_steps = 0;
    for (int k = 0; k < FN_COUNT; k++)
        if (TEST_FNS[k].steps > max_steps) max_steps = TEST_FNS[k].steps;
    float *buf = malloc((size_t)N_PATH_RUNS * 2 * (max_steps + 1) * sizeof(float));
    DL_CHECK(buf, "paths: out of memory");
    for (int k = 0; k < FN_COUNT; k++) {
        const TestFn *fn = &TEST_FNS[k];
        float *paths[N_PATH_RUNS];
        int lens[N_PATH_RUNS];
        const char *titles[N_PATH_RUNS];
        printf("%s from (%g, %g), at most %d steps:\n  %-9s %8s %6s %12s %12s %14s\n",
               fn->name, fn->x0, fn->y0, fn->steps, "optimizer", "lr", "steps", "x", "y",
               "f(x, y)");
        for (int r = 0; r < N_PATH_RUNS; r++) {
            paths[r] = buf + (size_t)r * 2 * (max_steps + 1);
            titles[r] = optim_kind_name(PATH_RUNS[r].kind);
            lens[r] = path_run((FnKind)k, PATH_RUNS[r].kind, PATH_RUNS[r].lr[k], paths[r]);
            float x = paths[r][2 * lens[r] - 2], y = paths[r][2 * lens[r] - 1];
            double f = test_fn((FnKind)k, x, y);
            printf("  %-9s %8g %6d %12.5g %12.5g %14.6g%s\n", titles[r],
                   (double)PATH_RUNS[r].lr[k], lens[r] - 1, (double)x, (double)y, f,
                   lens[r] <= fn->steps ? "  (left the box)" : "");
            char key[64];
            snprintf(key, sizeof key, "path_%s_%s_f", fn->name, titles[r]);
            metrics_set(m, key, f);
            if (k == FN_SADDLE) {   // how fast each one escapes the saddle
                snprintf(key, sizeof key, "path_saddle_%s_steps", titles[r]);
                metrics_set(m, key, lens[r] - 1);
            }
        }
        char name[32];
        snprintf(name, sizeof name, "paths_%s", fn->name);
        plot_paths(out_dir, name, (FnKind)k, paths, lens, titles, N_PATH_RUNS);
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
    Arena params, state;
    arena_init(&params, "params");
    arena_init(&state, "state");
    Tensor *p = tensor_param(&params, 1, (int[]){2}, "xy");
    p->data[0] = (float)fn->x0;
    p->data[1] = (float)fn->y0;
    Params list;
    params_init(&list, &params);
    params_add(&list, p);
    OptConfig cfg = optim_defaults(OPT_MOMENTUM);
    cfg.lr = (float)alpha;
    cfg.momentum = (float)beta;
    Optimizer opt;
    optim_init(&opt, &cfg, &list, &state);
    for (int s = 0; s < steps; s++) {
        double lr = halve_at > 0 && s >= halve_at ? alpha / 2 : alpha, ga[2], gb[2];
        test_fn_grad(FN_ROSENBROCK, a[0], a[1], &ga[0], &ga[1]);
        test_fn_grad(FN_ROSENBROCK, b[0], b[1], &gb[0], &gb[1]);
        double gx, gy;
        test_fn_grad(FN_ROSENBROCK, p->data[0], p->data[1], &gx, &gy);
        p->grad[0] = (float)gx;
        p->grad[1] = (float)gy;
        optim_step(&opt, (float)lr);
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
    arena_free(&state);
    arena_free(&params);
    return r;
}

void momentum_section(Metrics *m)
{
    const double alpha = 2e-4, beta = 0.9;
    const int steps = 200;
    MomentumCompare c = momentum_compare(alpha, beta, steps, 0);
    MomentumCompare h = momentum_compare(alpha, beta, steps, steps / 2);
    printf("\nmomentum, lecture (v = βv − α∇L, θ += v) vs PyTorch (u = μu + ∇L, θ −= αu), "
           "α = %g, β = μ = %g, %d steps on Rosenbrock:\n", alpha, beta, steps);
    printf("  constant α:      max |θ_lecture − θ_torch| = %.3g,  v/u at the end = %.9g "
           "(−α = %g)\n", c.max_dtheta, c.v_ratio, -alpha);
    printf("  α halved at %d: max |θ_lecture − θ_torch| = %.3g  (the conventions differ once "
           "α changes)\n", steps / 2, h.max_dtheta);
    printf("  common/optim OPT_MOMENTUM (float) vs the PyTorch rule in double: max |Δθ| = "
           "%.3g\n", c.max_dtheta_lib);
    metrics_set(m, "momentum_conventions_max_dtheta", c.max_dtheta);
    metrics_set(m, "momentum_conventions_v_ratio", c.v_ratio);
    metrics_set(m, "momentum_conventions_halved_max_dtheta", h.max_dtheta);
}
// endregion

// region: net
// The networks of sections 2-7: Linear layers; between them optional batch norm, ReLU, and
// optional (inverted) dropout. Logits out.
#define NET_MAX_LAYERS 12

typedef struct Net {
    int n_layers;
    Linear fc[NET_MAX_LAYERS];
    BatchNorm bn[NET_MAX_LAYERS];         // used when use_bn: after every hidden Linear
    bool use_bn;
    float dropout;                        // p on every hidden activation (0: none)
} Net;

void net_init(Net *n, Arena *params, const int *sizes, int n_sizes, Init init, bool use_bn,
              float dropout, Rng *rng, Params *list)
{
    DL_CHECK(n_sizes >= 2 && n_sizes - 1 <= NET_MAX_LAYERS, "net_init: %d sizes, need 2 to %d",
             n_sizes, NET_MAX_LAYERS + 1);
    memset(n, 0, sizeof *n);
    n->n_layers = n_sizes - 1;
    n->use_bn = use_bn;
    n->dropout = dropout;
    for (int i = 0; i < n->n_layers; i++) {
        linear_init(&n->fc[i], params, sizes[i], sizes[i + 1], init, rng, list);
        if (use_bn && i + 1 < n->n_layers) batchnorm_init(&n->bn[i], params, sizes[i + 1], list);
    }
}

/* logits (B, out). train selects dropout masks and batch statistics; hidden, if not NULL,
 * receives every hidden activation (n_layers - 1 tensors). */
Tensor *net_forward(Tape *tp, Net *n, Tensor *x, bool train, Rng *rng, Tensor **hidden)
{
    Tensor *h = x;
    for (int i = 0; i < n->n_layers; i++) {
        h = linear_forward(tp, &n->fc[i], h);
        if (i + 1 == n->n_layers) break;
        if (n->use_bn) h = batchnorm_forward(tp, &n->bn[i], h, train);
        h = op_relu(tp, h);
        if (n->dropout > 0) h = op_dropout(tp, h, n->dropout, rng, train);
        if (hidden) hidden[i] = h;
    }
    return h;
}

static Tensor rows_view(float *data, int rows, int cols)
{
    return (Tensor){.ndim = 2, .shape = {rows, cols}, .size = (size_t)rows * (size_t)cols,
                    .data = data};
}

// Mean cross-entropy and accuracy of n on d in eval mode (no dropout, running BN stats).
void evaluate(Tape *tp, Net *n, const Dataset *d, double *loss, double *acc)
{
    bool was = tp->recording;
    tape_set_recording(tp, false);
    double total = 0;
    int correct = 0;
    for (int start = 0; start < d->n; start += 1000) {
        int B = d->n - start < 1000 ? d->n - start : 1000;
        Tensor x = rows_view(d->x + (size_t)start * d->dim, B, d->dim);
        const int *y = d->y + start;
        Tensor *logits = net_forward(tp, n, &x, false, NULL, NULL);
        total += (double)tensor_item(op_cross_entropy(tp, logits, y)) * B;
        int V = logits->shape[1];
        for (int i = 0; i < B; i++) {
            const float *row = logits->data + (size_t)i * V;
            int best = 0;
            for (int j = 1; j < V; j++) best = row[j] > row[best] ? j : best;
            correct += best == y[i];
        }
        tape_reset(tp);
    }
    tape_set_recording(tp, was);
    *loss = total / d->n;
    *acc = (double)correct / d->n;
}
// endregion

// region: train
#define MAX_EPOCHS 100
#define DIVERGE_FACTOR 10.0f

/* Divergence test of a training step: the loss is NaN or ±Inf, or has grown above
 * DIVERGE_FACTOR times the first step's loss. A run that diverges is stopped there. */
bool loss_diverged(float loss, float first_loss)
{
    return !isfinite(loss) || loss > DIVERGE_FACTOR * first_loss;
}

typedef struct RunConfig {
    OptConfig opt;
    int epochs, batch;
    float l1, l2;           // loss += l1·Σ|θ| + l2·½Σθ² over every parameter (0: off)
    int patience;           // early stopping: stop after this many epochs without a new best
                            // validation loss and restore the best weights (0: off)
    int max_steps;          // stop after this many steps (0: no limit)
} RunConfig;

typedef struct RunLog {
    int epochs_run, steps, best_epoch;
    bool diverged;
    int diverged_step;      // 1-based step at which the loss diverged
    float diverged_loss;
    float train_loss[MAX_EPOCHS + 1];    // on the training set (eval mode); [0] = before
    float val_loss[MAX_EPOCHS + 1], val_acc[MAX_EPOCHS + 1];
    float seconds[MAX_EPOCHS + 1];       // cumulative training time (no evaluation)
    float *step_loss;       // (step_cap) mini-batch losses, if the caller gives a buffer
    int step_cap;
} RunLog;

/* Train n on tr with cfg, evaluating on tr_eval (the training set, or a slice of it) and val
 * after every epoch. Per step: zero grads, forward, loss (+ penalties), backward, optimizer,
 * tape_reset: the step arena is rewound, so the loop itself never calls malloc. */
void train_run(Net *n, Params *params, Arena *state, Tape *tp, const Dataset *tr,
               const Dataset *tr_eval, const Dataset *val, const RunConfig *cfg, Rng *rng,
               RunLog *log)
{
    DL_CHECK(cfg->epochs >= 1 && cfg->epochs <= MAX_EPOCHS, "train_run: %d epochs, need 1..%d",
             cfg->epochs, MAX_EPOCHS);
    Optimizer opt;
    optim_init(&opt, &cfg->opt, params, state);
    Batcher bt;
    batcher_init(&bt, tr, cfg->batch, true, rng);
    float *xbuf = malloc((size_t)cfg->batch * tr->dim * sizeof(float));   // (batch, dim)
    int *ybuf = malloc((size_t)cfg->batch * sizeof(int));
    float *best = cfg->patience ? malloc(params_snapshot_size(params) * sizeof(float)) : NULL;   // best weights
    DL_CHECK(xbuf && ybuf && (best || !cfg->patience), "train_run: out of memory");
    double l, a, t_train = 0;
    evaluate(tp, n, tr_eval, &l, &a);
    log->train_loss[0] = (float)l;
    evaluate(tp, n, val, &l, &a);
    log->val_loss[0] = (float)l;
    log->val_acc[0] = (float)a;
    log->seconds[0] = 0;
    log->epochs_run = log->steps = log->best_epoch = 0;
    log->diverged = false;
    float first = NAN;
    for (int epoch = 1; epoch <= cfg->epochs && !log->diverged; epoch++) {
        double t0 = now_seconds();
        int B;
        while ((B = batcher_next(&bt, xbuf, ybuf)) > 0) {
            // After a divergence or the step limit, drain the epoch's batches unused.
            if (log->diverged || (cfg->max_steps && log->steps >= cfg->max_steps)) continue;
            Tensor x = rows_view(xbuf, B, tr->dim);
            params_zero_grad(params);
            Tensor *data_loss = op_cross_entropy(tp, net_forward(tp, n, &x, true, rng, NULL), ybuf);
            Tensor *loss = data_loss;
            for (int i = 0; i < params->n; i++) {   // the penalties, on every parameter
                Tensor *w = params->items[i];
                if (cfg->l1 > 0) loss = op_add(tp, loss, op_scale(tp, op_l1(tp, w), cfg->l1));
                if (cfg->l2 > 0) loss = op_add(tp, loss, op_scale(tp, op_l2(tp, w), cfg->l2));
            }
            float lv = tensor_item(data_loss);
            if (log->steps == 0) first = lv;
            log->steps++;
            if (log->step_loss && log->steps <= log->step_cap) log->step_loss[log->steps - 1] = lv;
            if (loss_diverged(lv, first)) {   // stop the run here: no NaN reaches the weights
                log->diverged = true;
                log->diverged_step = log->steps;
                log->diverged_loss = lv;
                tape_reset(tp);
                continue;
            }
            tape_backward(tp, loss);
            optim_step(&opt, cfg->opt.lr);
            tape_reset(tp);
        }
        t_train += now_seconds() - t0;
        if (log->diverged) break;
        log->epochs_run = epoch;
        log->seconds[epoch] = (float)t_train;
        evaluate(tp, n, tr_eval, &l, &a);
        log->train_loss[epoch] = (float)l;
        evaluate(tp, n, val, &l, &a);
        log->val_loss[epoch] = (float)l;
        log->val_acc[epoch] = (float)a;
        if (log->val_loss[epoch] < log->val_loss[log->best_epoch] || log->best_epoch == 0) {
            log->best_epoch = epoch;
            if (best) params_snapshot(params, best);
        }
        if (cfg->patience && epoch - log->best_epoch >= cfg->patience) break;
        if (cfg->max_steps && log->steps >= cfg->max_steps) break;
    }
    if (best) {   // early stopping: keep the weights of the best validation epoch
        params_restore(params, best);
        free(best);
    }
    free(xbuf);
    free(ybuf);
    batcher_free(&bt);
}

/* A fresh network + optimizer state, trained with cfg: the arenas live for this run only. */
typedef struct Model {
    Arena params, state, step;
    Tape tp;
    Params list;
    Net net;
} Model;

void model_init(Model *m, const int *sizes, int n_sizes, Init init, bool bn, float dropout,
                Rng *rng)
{
    arena_init(&m->params, "params");
    arena_init(&m->state, "optimizer state");
    arena_init(&m->step, "step");
    tape_init(&m->tp, &m->step);
    params_init(&m->list, &m->params);
    net_init(&m->net, &m->params, sizes, n_sizes, init, bn, dropout, rng, &m->list);
}

void model_free(Model *m)
{
    arena_free(&m->step);
    arena_free(&m->state);
    arena_free(&m->params);
}

// √Σθ² over the weight matrices (not biases, not BN scales).
double weight_norm(const Net *n)
{
    double s = 0;
    for (int i = 0; i < n->n_layers; i++) {
        const Tensor *w = n->fc[i].w;
        for (size_t j = 0; j < w->size; j++) s += (double)w->data[j] * w->data[j];
    }
    return sqrt(s);
}
// endregion

// region: lr_sweep
// One MLP, SGD, three learning rates: too small (barely moves), about right, too large (the
// loss explodes; loss_diverged() stops the run and says at which step).
void lr_section(const Dataset *tr, const Dataset *val, bool quick, uint64_t seed,
                const char *out_dir, Metrics *m)
{
    static const float LRS[3] = {1e-3f, 0.1f, 5.0f};
    static const char *NAMES[3] = {"too_small", "right", "too_large"};
    static const int SIZES[] = {784, 128, 10};
    const int steps = quick ? 60 : 300;
    float *curves = malloc(3 * (size_t)steps * sizeof(float));
    DL_CHECK(curves, "out of memory");
    PlotSeries s[3];
    char titles[3][48];
    printf("SGD, batch 64, MLP 784-128-10, at most %d steps on %d images; a run stops when the "
           "loss is not finite or > %gx the first step's:\n", steps, tr->n,
           (double)DIVERGE_FACTOR);
    for (int r = 0; r < 3; r++) {
        Rng rng;
        rng_seed(&rng, seed);
        Model md;
        model_init(&md, SIZES, 3, INIT_HE_NORMAL, false, 0, &rng);
        RunConfig cfg = {.opt = optim_defaults(OPT_SGD), .epochs = MAX_EPOCHS, .batch = 64,
                         .max_steps = steps};
        cfg.opt.lr = LRS[r];
        RunLog *log = calloc(1, sizeof *log);
        DL_CHECK(log, "out of memory");
        log->step_loss = curves + (size_t)r * steps;
        log->step_cap = steps;
        train_run(&md.net, &md.list, &md.state, &md.tp, tr, val, val, &cfg, &rng, log);
        int n_pts = log->steps < steps ? log->steps : steps;
        char key[64];
        if (log->diverged) {
            printf("  lr %-6g %-9s DIVERGED at step %d (loss %g, first step %.4f): run stopped\n",
                   (double)LRS[r], NAMES[r], log->diverged_step, (double)log->diverged_loss,
                   (double)log->step_loss[0]);
            n_pts = log->diverged_step;
            if (!isfinite(curves[(size_t)r * steps + n_pts - 1])) n_pts--;   // not drawable
        } else {
            printf("  lr %-6g %-9s loss %.4f -> %.4f, val accuracy %.2f%%\n", (double)LRS[r],
                   NAMES[r], (double)log->step_loss[0], (double)log->step_loss[n_pts - 1],
                   100.0 * log->val_acc[log->epochs_run]);
            snprintf(key, sizeof key, "lr_%s_final_loss", NAMES[r]);
            metrics_set(m, key, log->step_loss[n_pts - 1]);
        }
        snprintf(key, sizeof key, "lr_%s_diverged_step", NAMES[r]);
        metrics_set(m, key, log->diverged ? log->diverged_step : 0);
        snprintf(titles[r], sizeof titles[r], "lr %g%s", (double)LRS[r],
                 log->diverged ? " (diverged)" : "");
        s[r] = (PlotSeries){titles[r], NULL, curves + (size_t)r * steps, n_pts, "lines"};
        free(log);
        model_free(&md);
    }
    plot_lines(out_dir, "lr_sweep", "Learning rate: too small, right, too large (SGD)", "step",
               "mini-batch loss", s, 3, true);
    free(curves);

    // The schedules of common/optim.c over 1000 steps (drawn, no training).
    enum { S = 1000 };
    static float lr_curve[4][S];
    Schedule sch[4] = {
        {.kind = SCHED_STEP, .base_lr = 0.1f, .step_size = 300, .gamma = 0.5f},
        {.kind = SCHED_EXPONENTIAL, .base_lr = 0.1f, .gamma = 0.997f},
        {.kind = SCHED_COSINE, .base_lr = 0.1f, .total_steps = S, .min_lr = 0.001f},
        {.kind = SCHED_COSINE, .base_lr = 0.1f, .total_steps = S - 100, .min_lr = 0.001f,
         .warmup_steps = 100},
    };
    static const char *SN[4] = {"step (x0.5 every 300)", "exponential (x0.997 per step)",
                                "cosine to 0.001", "cosine + 100 warm-up steps"};
    PlotSeries ss[4];
    for (int k = 0; k < 4; k++) {
        for (int t = 0; t < S; t++) lr_curve[k][t] = schedule_lr(&sch[k], t);
        ss[k] = (PlotSeries){SN[k], NULL, lr_curve[k], S, "lines lw 2"};
    }
    printf("schedules at step 0 / 500 / 999: step %.4g %.4g %.4g, exp %.4g %.4g %.4g, cosine "
           "%.4g %.4g %.4g, warm-up+cosine %.4g %.4g %.4g\n",
           lr_curve[0][0], lr_curve[0][500], lr_curve[0][999], lr_curve[1][0], lr_curve[1][500],
           lr_curve[1][999], lr_curve[2][0], lr_curve[2][500], lr_curve[2][999], lr_curve[3][0],
           lr_curve[3][500], lr_curve[3][999]);
    plot_lines(out_dir, "schedules", "Learning-rate schedules (common/optim.c schedule_lr)",
               "step", "learning rate", ss, 4, false);
}
// endregion

// region: batch_size
// Full-batch gradient descent, SGD with batch 1, and mini-batches, on the same slice for the
// same number of epochs: an epoch is one pass over the data, ceil(n / B) steps.
void batch_section(const Dataset *tr, const Dataset *val, int epochs, uint64_t seed,
                   const char *out_dir, Metrics *m)
{
    static const int SIZES[] = {784, 64, 10};
    const int batches[4] = {tr->n, 1, 32, 256};
    const float lrs[4] = {0.5f, 0.01f, 0.1f, 0.3f};
    printf("iterations per epoch = ceil(N / B): the lecture's 1000 documents / batch 50 = %d\n",
           (1000 + 49) / 50);
    static float ex[4][MAX_EPOCHS + 1], ey[4][MAX_EPOCHS + 1], tx[4][MAX_EPOCHS + 1];
    PlotSeries by_epoch[4], by_time[4];
    char titles[4][48];
    printf("  %-14s %8s %8s %10s %12s %10s\n", "run", "lr", "steps/ep", "train loss",
           "val acc", "train s");
    for (int r = 0; r < 4; r++) {
        Rng rng;
        rng_seed(&rng, seed);
        Model md;
        model_init(&md, SIZES, 3, INIT_HE_NORMAL, false, 0, &rng);
        RunConfig cfg = {.opt = optim_defaults(OPT_SGD), .epochs = epochs, .batch = batches[r]};
        cfg.opt.lr = lrs[r];
        RunLog *log = calloc(1, sizeof *log);
        DL_CHECK(log, "out of memory");
        train_run(&md.net, &md.list, &md.state, &md.tp, tr, tr, val, &cfg, &rng, log);
        int spe = (tr->n + batches[r] - 1) / batches[r];
        snprintf(titles[r], sizeof titles[r], r == 0 ? "full batch (GD, B=%d)" : "B = %d",
                 batches[r]);
        printf("  %-14s %8g %8d %10.4f %11.2f%% %10.2f\n", r == 0 ? "full batch" : titles[r],
               (double)lrs[r], spe, (double)log->train_loss[log->epochs_run],
               100.0 * log->val_acc[log->epochs_run], (double)log->seconds[log->epochs_run]);
        for (int e = 0; e <= log->epochs_run; e++) {
            ex[r][e] = (float)e;
            ey[r][e] = log->train_loss[e];
            tx[r][e] = log->seconds[e];
        }
        int n_pts = log->epochs_run + 1;
        by_epoch[r] = (PlotSeries){titles[r], ex[r], ey[r], n_pts, "linespoints pt 7"};
        by_time[r] = (PlotSeries){titles[r], tx[r], ey[r], n_pts, "linespoints pt 7"};
        char key[64];
        snprintf(key, sizeof key, "batch_%d_iters_per_epoch", batches[r]);
        metrics_set(m, key, spe);
        snprintf(key, sizeof key, "batch_%d_train_loss", r == 0 ? 0 : batches[r]);
        metrics_set(m, key, log->train_loss[log->epochs_run]);
        snprintf(key, sizeof key, "batch_%d_train_seconds", r == 0 ? 0 : batches[r]);
        metrics_set(m, key, log->seconds[log->epochs_run]);
        free(log);
        model_free(&md);
    }
    printf("(batch 0 in metrics.tsv = the full batch; the same epochs cost very different "
           "numbers of steps and seconds)\n");
    plot_lines(out_dir, "batch_epochs", "Batch size: training loss per epoch", "epoch",
               "training loss", by_epoch, 4, true);
    plot_lines(out_dir, "batch_time", "Batch size: training loss against wall-clock",
               "training time (s)", "training loss", by_time, 4, true);
}
// endregion

// region: optimizer_race
// The seven optimizers of common/optim.c train the same MLP, from the same initial weights,
// for the same number of epochs. Each gets a learning rate from the usual range for it
// (SGD ~0.1, momentum ~0.01 in PyTorch's convention, the adaptive ones ~1e-3).
typedef struct RaceEntry {
    OptKind kind;
    float lr;
} RaceEntry;

static const RaceEntry RACE[] = {
    {OPT_SGD, 0.1f}, {OPT_MOMENTUM, 0.01f}, {OPT_NESTEROV, 0.01f}, {OPT_ADAGRAD, 0.01f},
    {OPT_RMSPROP, 1e-3f}, {OPT_ADAM, 1e-3f}, {OPT_ADAMW, 1e-3f},
};
#define N_RACE (int)(sizeof RACE / sizeof RACE[0])

void race_section(const Dataset *tr, const Dataset *val, int epochs, uint64_t seed,
                  const char *tag, const char *out_dir, Metrics *m)
{
    static const int SIZES[] = {784, 256, 10};
    static float ex[MAX_EPOCHS + 1], ey[N_RACE][MAX_EPOCHS + 1];
    PlotSeries s[N_RACE];
    printf("%s: %d train / %d validation images, MLP 784-256-10, batch 64, %d epochs, same "
           "initial weights\n", tr->name, tr->n, val->n, epochs);
    printf("  %-9s %8s %12s %10s %9s %9s\n", "optimizer", "lr", "train loss", "val loss",
           "val acc", "train s");
    for (int r = 0; r < N_RACE; r++) {
        Rng rng;
        rng_seed(&rng, seed);
        Model md;
        model_init(&md, SIZES, 3, INIT_HE_NORMAL, false, 0, &rng);
        RunConfig cfg = {.opt = optim_defaults(RACE[r].kind), .epochs = epochs, .batch = 64};
        cfg.opt.lr = RACE[r].lr;
        RunLog *log = calloc(1, sizeof *log);
        DL_CHECK(log, "out of memory");
        train_run(&md.net, &md.list, &md.state, &md.tp, tr, tr, val, &cfg, &rng, log);
        const char *name = optim_kind_name(RACE[r].kind);
        int E = log->epochs_run;
        printf("  %-9s %8g %12.4f %10.4f %8.2f%% %9.2f%s\n", name, (double)RACE[r].lr,
               (double)log->train_loss[E], (double)log->val_loss[E], 100.0 * log->val_acc[E],
               (double)log->seconds[E], log->diverged ? "  diverged" : "");
        for (int e = 0; e <= E; e++) {
            ex[e] = (float)e;
            ey[r][e] = log->train_loss[e];
        }
        s[r] = (PlotSeries){name, ex, ey[r], E + 1, "linespoints pt 7"};
        char key[64];
        snprintf(key, sizeof key, "race_%s_%s_val_acc_pct", tag, name);
        metrics_set(m, key, 100.0 * log->val_acc[E]);
        snprintf(key, sizeof key, "race_%s_%s_train_loss", tag, name);
        metrics_set(m, key, log->train_loss[E]);
        free(log);
        model_free(&md);
    }
    char name[48], title[96];
    snprintf(name, sizeof name, "race_%s", tag);
    snprintf(title, sizeof title, "Seven optimizers, same MLP, same budget (%s)", tr->name);
    plot_lines(out_dir, name, title, "epoch", "training loss", s, N_RACE, true);
}
// endregion

// region: init_study
// A 10-layer ReLU network, one forward and backward pass on one batch, five initialisations.
// Per layer: the std of the activations and of the weight gradient. He (2/fan_in) keeps the
// activation scale through ReLUs; Xavier (2/(fan_in+fan_out), made for tanh) halves the
// variance at every ReLU layer; N(0, 0.01²) vanishes; N(0, 1) explodes; zeros never start.
#define INIT_LAYERS 10

static double std_of(const float *v, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) { s += v[i]; s2 += (double)v[i] * v[i]; }
    double mean = s / n, var = s2 / n - mean * mean;
    return var > 0 ? sqrt(var) : 0;
}

/* act_std and grad_std (INIT_LAYERS each): std of layer l's output (post-ReLU for hidden
 * layers, the logits for the last) and of ∂L/∂W_l, for one batch of d. */
void init_stats(const char *init, int width, const Dataset *d, int batch, uint64_t seed,
                double *act_std, double *grad_std)
{
    int sizes[INIT_LAYERS + 1];
    sizes[0] = d->dim;
    for (int i = 1; i < INIT_LAYERS; i++) sizes[i] = width;
    sizes[INIT_LAYERS] = d->n_classes;
    Rng rng;
    rng_seed(&rng, seed);
    Init kind = strcmp(init, "xavier") == 0 ? INIT_XAVIER_UNIFORM
              : strcmp(init, "he") == 0 ? INIT_HE_NORMAL : INIT_ZERO;
    Model md;
    model_init(&md, sizes, INIT_LAYERS + 1, kind, false, 0, &rng);
    float sd = strcmp(init, "small") == 0 ? 0.01f : strcmp(init, "large") == 0 ? 1.0f : 0;
    for (int i = 0; sd > 0 && i < INIT_LAYERS; i++) tensor_fill_normal(md.net.fc[i].w, &rng, 0, sd);
    Tensor x = rows_view(d->x, batch, d->dim);
    Tensor *hidden[NET_MAX_LAYERS];
    params_zero_grad(&md.list);
    Tensor *logits = net_forward(&md.tp, &md.net, &x, true, &rng, hidden);
    hidden[INIT_LAYERS - 1] = logits;
    tape_backward(&md.tp, op_cross_entropy(&md.tp, logits, d->y));
    for (int l = 0; l < INIT_LAYERS; l++) {
        act_std[l] = std_of(hidden[l]->data, hidden[l]->size);
        grad_std[l] = std_of(md.net.fc[l].w->grad, md.net.fc[l].w->size);
    }
    model_free(&md);
}

void init_section(const Dataset *d, int width, int batch, uint64_t seed, const char *out_dir,
                  Metrics *m)
{
    static const char *INITS[5] = {"zeros", "small", "large", "xavier", "he"};
    static const char *TITLES[5] = {"zeros", "N(0, 0.01²)", "N(0, 1)", "Xavier uniform",
                                    "He normal"};
    static float lx[INIT_LAYERS], ay[5][INIT_LAYERS], gy[5][INIT_LAYERS];
    PlotSeries sa[5], sg[5];
    printf("10 layers, 784-%d-...-%d-10, ReLU, one batch of %d images; std per layer "
           "(activations | weight gradients):\n", width, width, batch);
    printf("  %-14s %10s %10s %10s | %10s %10s %10s\n", "init", "act L1", "act L5", "act L10",
           "grad L1", "grad L5", "grad L10");
    for (int k = 0; k < 5; k++) {
        double a[INIT_LAYERS], g[INIT_LAYERS];
        init_stats(INITS[k], width, d, batch, seed, a, g);
        printf("  %-14s %10.3g %10.3g %10.3g | %10.3g %10.3g %10.3g\n", TITLES[k], a[0], a[4],
               a[9], g[0], g[4], g[9]);
        for (int l = 0; l < INIT_LAYERS; l++) {
            lx[l] = (float)(l + 1);
            ay[k][l] = (float)a[l];
            gy[k][l] = (float)g[l];
        }
        sa[k] = (PlotSeries){TITLES[k], lx, ay[k], INIT_LAYERS, "linespoints pt 7"};
        sg[k] = (PlotSeries){TITLES[k], lx, gy[k], INIT_LAYERS, "linespoints pt 7"};
        char key[64];
        snprintf(key, sizeof key, "init_%s_act_std_l1", INITS[k]);
        metrics_set(m, key, a[0]);
        snprintf(key, sizeof key, "init_%s_act_std_l10", INITS[k]);
        metrics_set(m, key, a[9]);
        snprintf(key, sizeof key, "init_%s_grad_std_l1", INITS[k]);
        metrics_set(m, key, g[0]);
    }
    printf("  (zeros: every activation and weight gradient is exactly 0 — only the last bias "
           "learns, and all units of a layer stay identical: symmetry is never broken; "
           "a log axis cannot draw 0)\n");
    plot_lines(out_dir, "init_activations", "Activation std per layer, 10-layer ReLU net",
               "layer", "std of activations", sa, 5, true);
    plot_lines(out_dir, "init_gradients", "Weight-gradient std per layer, 10-layer ReLU net",
               "layer", "std of dL/dW", sg, 5, true);
}
// endregion

// region: diagnostics
// The lecture's table, applied to real curves. Thresholds for 10-class cross-entropy
// (chance = ln 10 ≈ 2.30): a training loss above 0.5 is high; a final validation loss more
// than 10 % above its best means it is rising; a train/val gap above 0.3 is large.
typedef enum {
    DIAG_GOOD, DIAG_UNDERFIT, DIAG_OVERFIT, DIAG_HIGH_VARIANCE, DIAG_DIVERGED
} Diagnosis;

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
// then the cures, each a separate run from the same initial weights.
typedef struct RegRun {
    const char *name, *setting;
    OptKind kind;           // OPT_ADAMW for the AdamW cures; otherwise the --optimizer one
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

// Fraction of weight-matrix entries with |w| < 1e-3.
static double near_zero_fraction(const Net *n)
{
    size_t z = 0, total = 0;
    for (int i = 0; i < n->n_layers; i++) {
        for (size_t j = 0; j < n->fc[i].w->size; j++) z += fabsf(n->fc[i].w->data[j]) < 1e-3f;
        total += n->fc[i].w->size;
    }
    return (double)z / total;
}

// Inverted dropout vs the lecture's "scale by 1 − p at inference", on the first hidden layer:
// E[mask/(1−p) ⊙ h] = h (averaged over many masks), and a net trained with the lecture's
// convention and weights W/(1−p) computes, at inference, (1−p)·h·W/(1−p) = h·W: the same.
static void dropout_equivalence(Net *n, const Dataset *d, Tape *tp, Rng *rng, Metrics *m)
{
    const int B = 16, draws = 200;
    const float p = n->dropout;
    Tensor x = rows_view(d->x, B, d->dim);
    tape_set_recording(tp, false);
    Tensor *h = op_relu(tp, linear_forward(tp, &n->fc[0], &x));   // (B, width), eval values
    float *mean = arena_alloc(tp->arena, h->size * sizeof(float));
    for (int k = 0; k < draws; k++) {
        Tensor *dh = op_dropout(tp, h, p, rng, true);
        for (size_t i = 0; i < h->size; i++) mean[i] += dh->data[i] / draws;
    }
    double num = 0, den = 0, worst = 0;
    for (size_t i = 0; i < h->size; i++) {
        num += (mean[i] - h->data[i]) * (double)(mean[i] - h->data[i]);
        den += (double)h->data[i] * h->data[i];
    }
    // Next layer at inference: inverted (identity, W) vs lecture ((1−p)·h, W/(1−p)).
    Tensor *inv = linear_forward(tp, &n->fc[1], h);
    Tensor *scaled = op_scale(tp, h, 1 - p);
    Tensor w2 = *n->fc[1].w;
    w2.data = arena_alloc(tp->arena, w2.size * sizeof(float));
    w2.grad = NULL;
    for (size_t i = 0; i < w2.size; i++) w2.data[i] = n->fc[1].w->data[i] / (1 - p);
    Linear lec = n->fc[1];
    lec.w = &w2;
    Tensor *lecture = linear_forward(tp, &lec, scaled);
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
static void batchnorm_report(Net *n, const Dataset *val, Tape *tp, Metrics *m)
{
    double eval_loss, acc;
    evaluate(tp, n, val, &eval_loss, &acc);
    int B = val->n < 500 ? val->n : 500, K = n->bn[0].C;
    Tensor x = rows_view(val->x, B, val->dim);
    tape_set_recording(tp, false);
    // Train mode would update the running statistics: momentum 0 leaves them as they are.
    const float momentum = n->bn[0].momentum;
    for (int l = 0; l + 1 < n->n_layers; l++) n->bn[l].momentum = 0;
    Tensor *logits = net_forward(tp, n, &x, true, NULL, NULL);
    double train_mode_loss = tensor_item(op_cross_entropy(tp, logits, val->y));
    for (int l = 0; l + 1 < n->n_layers; l++) n->bn[l].momentum = momentum;
    // The true mean of the first BN layer's input (the first Linear's output) on those images.
    Tensor *z = linear_forward(tp, &n->fc[0], &x);
    double gap = 0, scale = 0;
    for (int j = 0; j < K; j++) {
        double mu = 0;
        for (int i = 0; i < B; i++) mu += z->data[(size_t)i * K + j] / B;
        gap += fabs(mu - n->bn[0].running_mean[j]);
        scale += fabs(mu);
    }
    tape_reset(tp);
    tape_set_recording(tp, true);
    printf("  batch norm: validation loss in eval mode (running stats) %.4f, in train mode "
           "(batch stats, %d images) %.4f;\n  layer-1 running mean vs the mean over those "
           "images: mean |difference| %.3g (mean |mean| %.3g)\n", eval_loss, B,
           train_mode_loss, gap / K, scale / K);
    metrics_set(m, "bn_val_loss_eval_mode", eval_loss);
    metrics_set(m, "bn_val_loss_train_mode", train_mode_loss);
}

void regularisation_section(const Dataset *tr, const Dataset *val, int width, int epochs,
                            const OptConfig *base, uint64_t seed, const char *out_dir,
                            Metrics *m)
{
    int sizes[4] = {784, width, width, 10};
    static float ex[MAX_EPOCHS + 1], tr_y[MAX_EPOCHS + 1], va_y[MAX_EPOCHS + 1];
    static float cy[N_REG][MAX_EPOCHS + 1];
    PlotSeries cures[N_REG];
    printf("over-fitting setup: %d training images, MLP 784-%d-%d-10, %s lr %g, batch 32, %d "
           "epochs; validation on %d images\n", tr->n, width, width,
           optim_kind_name(base->kind), (double)base->lr, epochs, val->n);
    printf("  %-13s %-15s %10s %9s %9s %6s %8s %7s %8s  %s\n", "run", "setting", "train loss",
           "val loss", "best val", "epoch", "val acc", "||W||", "|w|<1e-3", "diagnosis");
    for (int r = 0; r < N_REG; r++) {
        const RegRun *rr = &REG_RUNS[r];
        Rng rng;
        rng_seed(&rng, seed);
        Model md;
        model_init(&md, sizes, 4, INIT_HE_NORMAL, rr->bn, rr->dropout, &rng);
        RunConfig cfg = {.opt = *base, .epochs = epochs, .batch = 32, .l1 = rr->l1,
                         .l2 = rr->l2, .patience = rr->patience};
        if (rr->kind == OPT_ADAMW) {
            cfg.opt.kind = OPT_ADAMW;
            cfg.opt.weight_decay = rr->weight_decay;
        }
        RunLog *log = calloc(1, sizeof *log);
        DL_CHECK(log, "out of memory");
        train_run(&md.net, &md.list, &md.state, &md.tp, tr, tr, val, &cfg, &rng, log);
        int E = log->epochs_run, b = log->best_epoch;
        // early stopping restored the best weights: report those
        float tl = rr->patience ? log->train_loss[b] : log->train_loss[E];
        float vl = rr->patience ? log->val_loss[b] : log->val_loss[E];
        float va = rr->patience ? log->val_acc[b] : log->val_acc[E];
        Diagnosis dg = diagnose(tl, vl, log->val_loss[b]);
        double nz = near_zero_fraction(&md.net), wn = weight_norm(&md.net);
        printf("  %-13s %-15s %10.4f %9.4f %9.4f %6d %7.2f%% %7.2f %7.1f%%  %s\n", rr->name,
               rr->setting, (double)tl, (double)vl, (double)log->val_loss[b], b, 100.0 * va, wn,
               100 * nz, DIAG_TEXT[dg]);
        if (rr->patience && E < epochs)
            printf("  %-13s (stopped after epoch %d; the weights of epoch %d restored)\n", "",
                   E, b);
        char key[64];
        const char *fields[] = {"train_loss", "val_loss", "best_val_loss", "val_acc_pct",
                                "weight_norm"};
        double vals[] = {tl, vl, log->val_loss[b], 100.0 * va, wn};
        for (int f = 0; f < 5; f++) {
            snprintf(key, sizeof key, "reg_%s_%s", rr->name, fields[f]);
            metrics_set(m, key, vals[f]);
        }
        snprintf(key, sizeof key, "reg_%s_diagnosis", rr->name);
        metrics_set(m, key, dg);
        if (rr->l1 > 0 || r == 0) {
            snprintf(key, sizeof key, "reg_%s_near_zero_frac", rr->name);
            metrics_set(m, key, nz);
        }
        for (int e = 0; e <= E; e++) {
            ex[e] = (float)e;
            cy[r][e] = log->val_loss[e];
            if (r == 0) { tr_y[e] = log->train_loss[e]; va_y[e] = log->val_loss[e]; }
        }
        cures[r] = (PlotSeries){rr->name, ex, cy[r], E + 1,
                                r == 0 ? "linespoints pt 7 lw 2" : "lines lw 2"};
        if (r == 0) {
            PlotSeries s[2] = {{"train loss", ex, tr_y, E + 1, "linespoints pt 7"},
                               {"validation loss", ex, va_y, E + 1, "linespoints pt 5"}};
            plot_lines(out_dir, "overfit", "Over-fitting: train loss falls, validation loss rises",
                       "epoch", "cross-entropy", s, 2, true);
        }
        if (rr->dropout > 0) dropout_equivalence(&md.net, val, &md.tp, &rng, m);
        if (rr->bn) batchnorm_report(&md.net, val, &md.tp, m);
        free(log);
        model_free(&md);
    }
    if (base->kind == OPT_ADAM)
        printf("  Adam + L2 vs AdamW at the same λ = %g: Adam divides L2's gradient λθ by √v̂ "
               "like any gradient,\n  so it pulls hardest on weights whose gradients are small; "
               "AdamW shrinks every weight by the factor 1 − lr·λ = %.9g per step\n  (over %d "
               "steps: %.4f), whatever its gradient history: compare their ||W|| above.\n",
               (double)REG_L2, 1.0 - (double)base->lr * REG_L2, epochs * ((tr->n + 31) / 32),
               pow(1.0 - (double)base->lr * REG_L2, epochs * ((tr->n + 31) / 32)));
    plot_lines(out_dir, "regularisation", "Validation loss: the over-fitting run and its cures",
               "epoch", "validation cross-entropy", cures, N_REG, true);
}
// endregion

// region: imbalanced
// One digit against the rest: ~10 % positives. A classifier that always answers "no" is
// ~90 % accurate and useless; precision, recall and F1 say so.
typedef struct BinaryMetrics {
    int tp, fp, fn, tn;
    double accuracy, precision, recall, f1;
} BinaryMetrics;

/* Counts and scores of predictions pred (n) against labels y (n), 1 = positive. Precision
 * with no positive prediction, and recall with no positive label, are 0 (as scikit-learn's
 * zero_division=0). */
BinaryMetrics binary_metrics(const int *pred, const int *y, int n)
{
    BinaryMetrics b = {0};
    for (int i = 0; i < n; i++) {
        if (pred[i] && y[i]) b.tp++;
        else if (pred[i]) b.fp++;
        else if (y[i]) b.fn++;
        else b.tn++;
    }
    b.accuracy = (double)(b.tp + b.tn) / n;
    b.precision = b.tp + b.fp ? (double)b.tp / (b.tp + b.fp) : 0;
    b.recall = b.tp + b.fn ? (double)b.tp / (b.tp + b.fn) : 0;
    b.f1 = b.precision + b.recall > 0 ? 2 * b.precision * b.recall / (b.precision + b.recall) : 0;
    return b;
}

static void one_vs_rest(const Dataset *src, int digit, Dataset *out)
{
    dataset_slice(src, 0, src->n, out);
    for (int i = 0; i < out->n; i++) out->y[i] = out->y[i] == digit;
    out->n_classes = 2;
}

void imbalanced_section(const Dataset *tr_all, const Dataset *val_all, int digit, int epochs,
                        const OptConfig *base, uint64_t seed, const char *out_dir, Metrics *m)
{
    Dataset tr, val;
    one_vs_rest(tr_all, digit, &tr);
    one_vs_rest(val_all, digit, &val);
    int pos = 0;
    for (int i = 0; i < val.n; i++) pos += val.y[i];
    Rng rng;
    rng_seed(&rng, seed);
    static const int SIZES[] = {784, 64, 2};
    Model md;
    model_init(&md, SIZES, 3, INIT_HE_NORMAL, false, 0, &rng);
    RunConfig cfg = {.opt = *base, .epochs = epochs, .batch = 64};
    RunLog *log = calloc(1, sizeof *log);
    int *pred = malloc((size_t)val.n * sizeof(int)), *none = calloc((size_t)val.n, sizeof(int));
    DL_CHECK(log && pred && none, "out of memory");
    train_run(&md.net, &md.list, &md.state, &md.tp, &tr, &tr, &val, &cfg, &rng, log);
    tape_set_recording(&md.tp, false);
    for (int start = 0; start < val.n; start += 1000) {
        int B = val.n - start < 1000 ? val.n - start : 1000;
        Tensor x = rows_view(val.x + (size_t)start * val.dim, B, val.dim);
        Tensor *lg = net_forward(&md.tp, &md.net, &x, false, NULL, NULL);
        for (int i = 0; i < B; i++) pred[start + i] = lg->data[2 * i + 1] > lg->data[2 * i];
        tape_reset(&md.tp);
    }
    BinaryMetrics triv = binary_metrics(none, val.y, val.n);
    BinaryMetrics net = binary_metrics(pred, val.y, val.n);
    printf("'%d' vs the rest: %d of %d validation images positive (%.1f%%)\n", digit, pos,
           val.n, 100.0 * pos / val.n);
    printf("  %-22s %9s %10s %8s %8s %6s %6s %6s\n", "classifier", "accuracy", "precision",
           "recall", "F1", "TP", "FP", "FN");
    const BinaryMetrics *rows[2] = {&triv, &net};
    const char *names[2] = {"always 'no'", "MLP 784-64-2"};
    float bars[2][4];
    for (int r = 0; r < 2; r++) {
        const BinaryMetrics *b = rows[r];
        printf("  %-22s %8.2f%% %10.4f %8.4f %8.4f %6d %6d %6d\n", names[r], 100 * b->accuracy,
               b->precision, b->recall, b->f1, b->tp, b->fp, b->fn);
        bars[r][0] = (float)b->accuracy;
        bars[r][1] = (float)b->precision;
        bars[r][2] = (float)b->recall;
        bars[r][3] = (float)b->f1;
        const char *tag = r == 0 ? "trivial" : "trained";
        char key[64];
        snprintf(key, sizeof key, "imb_%s_accuracy_pct", tag);
        metrics_set(m, key, 100 * b->accuracy);
        snprintf(key, sizeof key, "imb_%s_precision", tag);
        metrics_set(m, key, b->precision);
        snprintf(key, sizeof key, "imb_%s_recall", tag);
        metrics_set(m, key, b->recall);
        snprintf(key, sizeof key, "imb_%s_f1", tag);
        metrics_set(m, key, b->f1);
    }
    plot_heatmap(out_dir, "imbalanced",
                 "Always-no vs trained (columns: accuracy, precision, recall, F1)", "metric",
                 "0 = always no, 1 = trained", &bars[0][0], 2, 4);
    free(pred);
    free(none);
    free(log);
    model_free(&md);
    dataset_free(&tr);
    dataset_free(&val);
}
// endregion

// region: adam_bench
// --bench: the Adam update ladder (common/kernels/adam.c) from 1 M to 100 M parameters, GB/s
// against the memory bandwidth measured in the same run.
// Figures and a plot go to <out>/bench/ so they do not replace the training run's metrics.
void bench_run(const Cli *cli)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/bench", cli->out_dir);
    if (!make_dirs(dir)) dl_die("cannot create the folder %s", dir);
    AdamBenchResult res;
    adam_bench(cli->threads, cli->quick, stdout, &res);
    Metrics m;
    metrics_init(&m, dir);
    metrics_set(&m, "threads", res.threads);
    metrics_set(&m, "triad_gbs", res.triad_gbs);
    metrics_set(&m, "update_gbs", res.update_gbs);
    static float x[ADAM_BENCH_MAX_SIZES], y[ADAM_BENCH_MAX_RUNGS + 1][ADAM_BENCH_MAX_SIZES];
    PlotSeries s[ADAM_BENCH_MAX_RUNGS + 1];
    const int R = ADAM_LADDER.n_rungs < ADAM_BENCH_MAX_RUNGS ? ADAM_LADDER.n_rungs : ADAM_BENCH_MAX_RUNGS;
    int n = 0;
    for (int i = 0; i < res.n_rows; i++)
        if (!res.rows[i].skipped) x[n++] = (float)(res.rows[i].n / 1e6);
    for (int j = 0; j < R; j++) {
        for (int i = 0, k = 0; i < res.n_rows; i++) {
            if (res.rows[i].skipped) continue;
            y[j][k++] = (float)res.rows[i].gbs[j];
            char key[64];
            snprintf(key, sizeof key, "gbs_%s_%zuM", ADAM_LADDER.rungs[j].name, res.rows[i].n / 1000000);
            metrics_set(&m, key, res.rows[i].gbs[j]);
        }
        s[j] = (PlotSeries){ADAM_LADDER.rungs[j].name, x, y[j], n, "linespoints pt 7"};
    }
    for (int k = 0; k < n; k++) y[R][k] = (float)res.update_gbs;
    s[R] = (PlotSeries){"in-place update bandwidth (measured)", x, y[R], n,
                                   "lines dt 2"};
    if (!metrics_write(&m)) dl_die("could not write %s", m.path);
    metrics_free(&m);
    plot_lines(dir, "adam_ladder", "Adam update: GB/s against measured memory bandwidth",
               "parameters (millions)", "GB/s", s, R + 1, false);
    printf("\nwrote %s and the plot adam_ladder.png to %s/\n", m.path, dir);
}
// endregion

#ifndef NO_MAIN
// region: main
static void section(const char *title)
{
    printf("\n== %s ", title);
    for (int i = (int)strlen(title); i < 72; i++) putchar('=');
    putchar('\n');
}

// <data>/fashion-mnist/ as a second data set for section 4 (when MNIST is the main one).
static bool load_fashion(const char *data_dir, bool train, Dataset *d)
{
    char img[700], lab[700], err[600];
    snprintf(img, sizeof img, "%s/fashion-mnist/%s-images-idx3-ubyte", data_dir,
             train ? "train" : "t10k");
    snprintf(lab, sizeof lab, "%s/fashion-mnist/%s-labels-idx1-ubyte", data_dir,
             train ? "train" : "t10k");
    if (access(img, R_OK) != 0 || access(lab, R_OK) != 0) return false;
    if (!idx_load(img, lab, d, err, sizeof err)) dl_die("%s", err);
    snprintf(d->name, sizeof d->name, "fashion-mnist");
    return true;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    Cli cli;
    char opt_name[16] = "adam";
    float lr = 0, beta1 = NAN, beta2 = NAN, momentum = NAN;
    int epochs = 0;
    const CliExtra extras[] = {
        {"optimizer", 's', opt_name, sizeof opt_name,
         "optimizer of sections 6-7: sgd | momentum | nesterov | adagrad | rmsprop | adam | adamw"},
        {"lr", 'f', &lr, 0, "its learning rate; 0: torch.optim's default (Adam, AdamW 1e-3; "
                            "others 0.01)"},
        {"beta1", 'f', &beta1, 0, "Adam/AdamW β1 in [0, 1); nan: torch's 0.9"},
        {"beta2", 'f', &beta2, 0, "Adam/AdamW β2, RMSprop's ρ, in [0, 1); nan: torch's 0.999 "
                                  "(RMSprop 0.99)"},
        {"momentum", 'f', &momentum, 0, "momentum μ in [0, 1) (momentum, nesterov, rmsprop); "
                                        "nan: 0.9 (RMSprop 0)"},
        {"epochs", 'i', &epochs, 0, "epochs of section 4's optimizer race; 0: 5, 2 with "
                                    "--quick, 15 with --full"},
    };
    cli_parse(&cli, argc, argv, "Chapter 3: optimizers — SGD to AdamW, learning rates, batch "
              "size, initialisation, regularisation, diagnostics", extras,
              (int)(sizeof extras / sizeof extras[0]));
    OptKind kind;
    if (!optim_kind_from_name(opt_name, &kind))
        dl_die_status(DL_EXIT_USAGE, "--optimizer: unknown optimizer '%s'; choose sgd, momentum, "
                      "nesterov, adagrad, rmsprop, adam or adamw", opt_name);
    OptConfig base = optim_defaults(kind);
    if (lr != 0) {
        if (!(lr > 0))
            dl_die_status(DL_EXIT_USAGE, "--lr must be a positive finite number, got %g",
                          (double)lr);
        base.lr = lr;
    }
    const struct { const char *flag; float v; float *dst; } betas[] = {
        {"--beta1", beta1, &base.beta1}, {"--beta2", beta2, &base.beta2},
        {"--momentum", momentum, &base.momentum}};
    for (int i = 0; i < 3; i++) {
        if (isnan(betas[i].v)) continue;   // not given (cli_parse rejects a NaN value)
        if (!(betas[i].v >= 0 && betas[i].v < 1))
            dl_die_status(DL_EXIT_USAGE, "%s must be in [0, 1), got %g (1 or more never forgets "
                          "and diverges)", betas[i].flag, (double)betas[i].v);
        *betas[i].dst = betas[i].v;
    }
    if (epochs < 0 || epochs > MAX_EPOCHS)
        dl_die_status(DL_EXIT_USAGE, "--epochs must be in 1..%d (0: default), got %d", MAX_EPOCHS,
                      epochs);
    if (epochs == 0) epochs = cli.quick ? 2 : cli.full ? 15 : 5;
    if (cli.bench) {
        bench_run(&cli);
        return 0;
    }
    double t_start = now_seconds();

    // Only the training file: this chapter compares training methods on held-out validation
    // images (the last ones of the file) and never needs the test set.
    Dataset train_all;
    char err[600];
    if (!mnist_load(cli.data_dir, true, &train_all, err, sizeof err)) dl_die("%s", err);
    bool fashion = strcmp(train_all.name, "fashion-mnist") == 0;
    printf("data: %s from %s%s; %d thread(s), seed %llu%s\n", train_all.name, cli.data_dir,
           fashion ? " -- Fashion-MNIST, not MNIST: the digit figures in README do not apply" : "",
           threads_get(), (unsigned long long)cli.seed, cli.quick ? ", --quick" : "");
    Metrics metrics;
    metrics_init(&metrics, cli.out_dir);
    metrics_set(&metrics, "data_fashion", fashion);
    // Validation: the last images of the training file, never trained on.
    int n_val = cli.quick ? 500 : 2000;
    Dataset val, small, mid, race_tr;
    dataset_slice(&train_all, train_all.n - n_val, n_val, &val);
    dataset_slice(&train_all, 0, cli.quick ? 300 : 1000, &small);
    dataset_slice(&train_all, 0, cli.quick ? 1000 : 5000, &mid);
    dataset_slice(&train_all, 0, cli.quick ? 1000 : cli.full ? train_all.n - n_val : 10000,
                  &race_tr);

    section("1. Optimizer paths on 2-D test functions");
    paths_section(cli.out_dir, &metrics);
    momentum_section(&metrics);

    section("2. The learning rate: too small, right, too large");
    lr_section(&mid, &val, cli.quick, cli.seed, cli.out_dir, &metrics);

    section("3. Batch size: full batch, 1, 32, 256");
    batch_section(&small, &val, cli.quick ? 2 : cli.full ? 20 : 8, cli.seed, cli.out_dir,
                  &metrics);

    section("4. Seven optimizers, one MLP, the same budget");
    race_section(&race_tr, &val, epochs, cli.seed, "main", cli.out_dir, &metrics);
    Dataset f_train;
    if (!fashion && !cli.quick && load_fashion(cli.data_dir, true, &f_train)) {
        Dataset f_tr, f_val;
        dataset_slice(&f_train, 0, race_tr.n, &f_tr);
        dataset_slice(&f_train, f_train.n - n_val, n_val, &f_val);
        race_section(&f_tr, &f_val, epochs, cli.seed, "fashion", cli.out_dir, &metrics);
        dataset_free(&f_tr);
        dataset_free(&f_val);
        dataset_free(&f_train);
    }

    section("5. Initialisation of a 10-layer network");
    init_section(&mid, cli.quick ? 64 : 256, cli.quick ? 64 : 256, cli.seed, cli.out_dir,
                 &metrics);

    section("6. Regularisation and the diagnostics table");
    regularisation_section(&small, &val, cli.quick ? 128 : 256, cli.quick ? 15 : cli.full ? 60 : 30,
                           &base, cli.seed, cli.out_dir, &metrics);

    section("7. An imbalanced task: accuracy misleads");
    imbalanced_section(&mid, &val, 3, cli.quick ? 2 : 3, &base, cli.seed, cli.out_dir, &metrics);

    double wall = now_seconds() - t_start;
    metrics_set(&metrics, "wall_seconds", wall);
    if (!metrics_write(&metrics)) dl_die("could not write %s", metrics.path);
    metrics_free(&metrics);
    printf("\nwrote %s and the plots to %s/; total %.1f s\n", metrics.path, cli.out_dir, wall);
    dataset_free(&val);
    dataset_free(&small);
    dataset_free(&mid);
    dataset_free(&race_tr);
    dataset_free(&train_all);
    return 0;
}
// endregion
#endif
