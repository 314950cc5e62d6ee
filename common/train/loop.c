/* common/train/loop.c — see train/loop.h. */
#include "train/loop.h"

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "data/stream.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/regularize.h"
#include "optim/clip.h"
#include "report/plot.h"
#include "report/progress.h"
#include "train/checkpoint.h"
#include "train/eval.h"

#define DEFAULT_DIVERGE_FACTOR 10.0f

// ---- Ctrl-C, and the checkpoint --resume names (one per process) ----

static volatile sig_atomic_t interrupted;
static long process_steps;            // steps of every run with a Cli so far (the test hook)

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

// DL_INTERRUPT_AT_STEP=N: raise SIGINT after the N-th step of the process (0: never). Read at
// every step (a getenv is nothing next to a training step), so a forked test child sees its own.
static long interrupt_at(void)
{
    const char *s = getenv("DL_INTERRUPT_AT_STEP");
    long at = s && *s ? strtol(s, NULL, 10) : 0;
    return at > 0 ? at : 0;
}

static struct {
    bool read, used;
    Checkpoint ckpt;
} resume;

// The --resume checkpoint, read and checked once (dies with the reader's message).
static const Checkpoint *resume_checkpoint(const Cli *cli)
{
    if (!cli || !cli->resume_path[0]) return NULL;
    if (!resume.read || strcmp(resume.ckpt.path, cli->resume_path) != 0) {
        char err[700];
        if (resume.read) checkpoint_free(&resume.ckpt);
        resume.read = resume.used = false;
        if (!checkpoint_read(cli->resume_path, &resume.ckpt, err, sizeof err))
            dl_die("--resume: %s", err);
        resume.read = true;
    }
    return &resume.ckpt;
}

bool train_check_resumed(const Cli *cli)
{
    const Checkpoint *c = resume_checkpoint(cli);
    if (!c || resume.used) return true;
    fprintf(stderr, "error: --resume %s: the checkpoint is of model '%s', and no training run of "
            "this program has that name (a checkpoint of another chapter, or of a run this "
            "configuration skips?); nothing was resumed\n", cli->resume_path, c->model);
    return false;
}

static const char *val_name(const TrainConfig *cfg)
{
    return cfg->val_name ? cfg->val_name : "val";
}

// A validation set or a validation token stream is evaluated every epoch.
static bool has_val(const TrainConfig *cfg)
{
    return cfg->val || cfg->val_tokens;
}

// ---- the history ----

static float *nan_floats(size_t n, const char *what)
{
    float *x = dl_malloc(n * sizeof *x, what);
    for (size_t i = 0; i < n; i++) x[i] = NAN;
    return x;
}

static void log_alloc(TrainLog *log, int epochs, int spe, long cap)
{
    *log = (TrainLog){.epochs = epochs, .steps_per_epoch = spe};
    size_t E = (size_t)epochs + 1;
    log->step_loss = nan_floats((size_t)cap, "step losses");
    log->step_seconds = calloc((size_t)cap ? (size_t)cap : 1, sizeof *log->step_seconds);
    DL_CHECK(log->step_seconds, "train_run: out of memory for %ld step times", cap);
    log->train_loss = nan_floats(E, "epoch losses");
    log->train_eval_loss = nan_floats(E, "epoch losses");
    log->val_loss = nan_floats(E, "epoch losses");
    log->val_acc_pct = dl_malloc(E * sizeof *log->val_acc_pct, "epoch accuracies");
    for (size_t e = 0; e < E; e++) log->val_acc_pct[e] = NAN;
    log->seconds = dl_malloc(E * sizeof *log->seconds, "epoch times");
    for (size_t e = 0; e < E; e++) log->seconds[e] = 0;
}

void train_log_free(TrainLog *log)
{
    free(log->step_loss);
    free(log->step_seconds);
    free(log->train_loss);
    free(log->train_eval_loss);
    free(log->val_loss);
    free(log->val_acc_pct);
    free(log->seconds);
    *log = (TrainLog){0};
}

void train_log_plot(const TrainLog *log, const char *out_dir, const char *loss_name,
                    const char *acc_name, const char *title, bool steps)
{
    const int E = log->epochs_run;
    const bool has_val = E > 0 && !isnan(log->val_loss[E]);   // a validation set was evaluated
    float *ex = dl_malloc(((size_t)E + 1 + (size_t)log->steps) * sizeof *ex, "plot x values");
    float *sx = ex + E + 1;
    for (int e = 0; e <= E; e++) ex[e] = (float)e;
    for (long k = 0; k < log->steps; k++) sx[k] = (float)(k + 1) / log->steps_per_epoch;
    char val_title[64], ylab[32];
    snprintf(val_title, sizeof val_title, "%s loss", log->val_name);
    PlotSeries s[3];
    int n = 0;
    if (steps) s[n++] = (PlotSeries){"training loss, every step", sx, log->step_loss,
                                     (int)log->steps, "lines lc rgb '#b0b0b0'"};
    s[n++] = (PlotSeries){"training loss, epoch mean", ex + 1, log->train_loss + 1, E,
                          "linespoints lw 2 pt 7"};
    int v0 = isnan(log->val_loss[0]) ? 1 : 0;   // epoch 0 when it was evaluated
    if (has_val) s[n++] = (PlotSeries){val_title, ex + v0, log->val_loss + v0, E + 1 - v0,
                                        "linespoints lw 2 pt 5"};
    plot_lines(out_dir, loss_name, title, "epoch", "cross-entropy (nats)", s, n, true);
    if (acc_name && has_val && !isnan(log->val_acc_pct[E])) {
        snprintf(val_title, sizeof val_title, "%s accuracy", log->val_name);
        snprintf(ylab, sizeof ylab, "%s accuracy (%%)", log->val_name);
        float *acc = dl_malloc(((size_t)E + 1) * sizeof *acc, "plot values");
        for (int e = 0; e <= E; e++) acc[e] = (float)log->val_acc_pct[e];
        PlotSeries a = {val_title, ex + v0, acc + v0, E + 1 - v0, "linespoints lw 2 pt 7"};
        plot_lines(out_dir, acc_name, title, "epoch", ylab, &a, 1, false);
        free(acc);
    }
    free(ex);
}

// ---- one run's state, as a checkpoint sees it ----

typedef struct RunState {
    const TrainTask *task;
    const TrainConfig *cfg;
    Params *trainable;
    Optimizer *opt;
    BatchSource *data;
    Rng *rng;
    TrainLog *log;
    long cap;             // room in log->step_loss
    float *best;          // snapshot of the best val epoch (parameters and buffers), or NULL
    int epoch;            // the epoch in progress (or the next one, between epochs)
    bool in_epoch;        // steps of `epoch` have been taken
    double epoch_sum;     // Σ loss·B over the epoch's steps so far
    long epoch_seen;      // Σ B
    float first_loss;     // the first step's loss (the divergence test's reference)
    double t_train;       // training seconds so far
} RunState;

static void save_checkpoint(const RunState *s, const char *path)
{
    const Model *m = s->task->model;
    const TrainLog *log = s->log;
    CkptWriter w;
    ckpt_writer_init(&w, m->name);
    // parameters with their shapes, then buffers, then the optimizer
    for (int i = 0; i < m->p.n; i++) {
        const Tensor *t = m->p.items[i];
        ckpt_put(&w, m->p.names[i], DL_CKPT_F32, t->data, t->ndim, t->shape);
    }
    for (int i = 0; i < m->p.n_buffers; i++)
        ckpt_put_f32(&w, m->p.buffers[i].name, m->p.buffers[i].data, m->p.buffers[i].n);
    const Optimizer *o = s->opt;
    ckpt_put_u64(&w, "optim.kind", (uint64_t)o->cfg.kind);
    ckpt_put_u64(&w, "optim.t", (uint64_t)o->t);
    for (int i = 0; i < s->trainable->n; i++) {
        char name[64];
        snprintf(name, sizeof name, "optim.m.%d", i);
        if (o->m[i]) ckpt_put_f32(&w, name, o->m[i], s->trainable->items[i]->size);
        snprintf(name, sizeof name, "optim.v.%d", i);
        if (o->v[i]) ckpt_put_f32(&w, name, o->v[i], s->trainable->items[i]->size);
    }
    // where the run is, and what it has printed so far
    ckpt_put_u64(&w, "train.epochs", (uint64_t)log->epochs);
    ckpt_put_u64(&w, "train.steps_per_epoch", (uint64_t)log->steps_per_epoch);
    ckpt_put_u64(&w, "train.epoch", (uint64_t)s->epoch);
    ckpt_put_u64(&w, "train.in_epoch", (uint64_t)s->in_epoch);
    ckpt_put_u64(&w, "train.steps", (uint64_t)log->steps);
    ckpt_put_u64(&w, "train.epochs_run", (uint64_t)log->epochs_run);
    ckpt_put_u64(&w, "train.best_epoch", (uint64_t)log->best_epoch);
    ckpt_put_u64(&w, "train.diverged", (uint64_t)log->diverged);
    ckpt_put_u64(&w, "train.diverged_step", (uint64_t)log->diverged_step);
    double scal[4] = {s->epoch_sum, (double)s->epoch_seen, s->first_loss, log->diverged_loss};
    ckpt_put_f64(&w, "train.scalars", scal, 4);
    size_t E = (size_t)log->epochs + 1;
    ckpt_put_f32(&w, "train.step_loss", log->step_loss, (size_t)log->steps);
    ckpt_put_f32(&w, "train.train_loss", log->train_loss, E);
    ckpt_put_f32(&w, "train.train_eval_loss", log->train_eval_loss, E);
    ckpt_put_f32(&w, "train.val_loss", log->val_loss, E);
    ckpt_put_f64(&w, "train.val_acc_pct", log->val_acc_pct, E);
    ckpt_put_f64(&w, "train.seconds", log->seconds, E);
    if (s->best) ckpt_put_f32(&w, "train.best", s->best, params_snapshot_size(&m->p));
    // the random generator and the data source's position
    ckpt_put_u64(&w, "rng.state", s->rng->state);
    ckpt_put_u64(&w, "rng.inc", s->rng->inc);
    ckpt_put_u64(&w, "rng.has_spare", (uint64_t)s->rng->has_spare);
    ckpt_put_f64(&w, "rng.spare", &s->rng->spare, 1);
    ckpt_put_i32(&w, "data.state", s->data->state, s->data->n_state);
    char err[700];
    if (!ckpt_writer_save(&w, path, err, sizeof err)) dl_die("%s", err);
}

// Read one u64 record into *v; dies with the reader's message.
static uint64_t get_u64(const Checkpoint *c, const char *name)
{
    uint64_t v;
    char err[700];
    if (!checkpoint_get(c, name, DL_CKPT_U64, &v, 1, err, sizeof err))
        dl_die("--resume: %s", err);
    return v;
}

static void get_or_die(const Checkpoint *c, const char *name, CkptType type, void *dst,
                       size_t count)
{
    char err[700];
    if (!checkpoint_get(c, name, type, dst, count, err, sizeof err)) dl_die("--resume: %s", err);
}

static void load_checkpoint(RunState *s, const Checkpoint *c)
{
    Model *m = s->task->model;
    TrainLog *log = s->log;
    const char *P = c->path;
    // Everything that fixes the shape of the run must agree before anything is copied.
    for (int i = 0; i < m->p.n; i++) {
        const Tensor *t = m->p.items[i];
        const CkptRecord *r = checkpoint_find(c, m->p.names[i]);
        char have[64], want[64] = "(";
        if (!r)
            dl_die("--resume: %s has no parameter '%s' (tensor %d of model '%s'): it was saved "
                   "by another architecture", P, m->p.names[i], i, m->name);
        bool same = r->type == DL_CKPT_F32 && r->ndim == t->ndim;
        for (int d = 0; d < r->ndim; d++) {
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? ", " : "",
                     r->shape[d]);
            same = same && d < t->ndim && r->shape[d] == t->shape[d];
        }
        strcat(want, ")");
        if (!same)
            dl_die("--resume: %s: parameter '%s' has shape %s in the checkpoint and %s in this "
                   "model (saved with other layer sizes or flags?)", P, m->p.names[i], want,
                   tensor_shape_str(t, have, sizeof have));
    }
    if (get_u64(c, "train.epochs") != (uint64_t)log->epochs)
        dl_die("--resume: %s was saved by a run of %" PRIu64 " epochs, this one has %d: resume "
               "with the same --epochs (and the same other flags)", P, get_u64(c, "train.epochs"),
               log->epochs);
    if (get_u64(c, "train.steps_per_epoch") != (uint64_t)log->steps_per_epoch)
        dl_die("--resume: %s was saved with %" PRIu64 " steps per epoch, this run has %d: resume "
               "with the same data and batch size (and --quick/--full as before)", P,
               get_u64(c, "train.steps_per_epoch"), log->steps_per_epoch);
    if (get_u64(c, "optim.kind") != (uint64_t)s->opt->cfg.kind)
        dl_die("--resume: %s was saved by a run with optimizer %s, this one uses %s", P,
               optim_kind_name((OptKind)get_u64(c, "optim.kind")),
               optim_kind_name(s->opt->cfg.kind));
    // The counters index the history arrays: a file that passed its checksum but holds values
    // no run of this shape can reach (a hand-edited or foreign file) is refused, not trusted.
    const uint64_t steps64 = get_u64(c, "train.steps"), n_epochs = (uint64_t)log->epochs;
    const uint64_t epoch = get_u64(c, "train.epoch"), run = get_u64(c, "train.epochs_run");
    const uint64_t best = get_u64(c, "train.best_epoch"), dstep = get_u64(c, "train.diverged_step");
    if (steps64 > (uint64_t)s->cap || epoch < 1 || epoch > n_epochs + 1 || run > n_epochs ||
        run >= epoch ||
        best > run || dstep > steps64 || (uint64_t)(s->data->n_state) == 0)
        dl_die("--resume: %s is inconsistent (step %llu of at most %ld, epoch %llu, %llu epochs "
               "done, best %llu, in a run of %llu epochs): not a checkpoint this program wrote "
               "for this run", P, (unsigned long long)steps64, s->cap, (unsigned long long)epoch,
               (unsigned long long)run, (unsigned long long)best, (unsigned long long)n_epochs);
    long steps = (long)steps64;
    // parameters, buffers, optimizer
    for (int i = 0; i < m->p.n; i++)
        get_or_die(c, m->p.names[i], DL_CKPT_F32, m->p.items[i]->data, m->p.items[i]->size);
    for (int i = 0; i < m->p.n_buffers; i++)
        get_or_die(c, m->p.buffers[i].name, DL_CKPT_F32, m->p.buffers[i].data, m->p.buffers[i].n);
    s->opt->t = (long)get_u64(c, "optim.t");
    for (int i = 0; i < s->trainable->n; i++) {
        char name[64];
        snprintf(name, sizeof name, "optim.m.%d", i);
        if (s->opt->m[i])
            get_or_die(c, name, DL_CKPT_F32, s->opt->m[i], s->trainable->items[i]->size);
        snprintf(name, sizeof name, "optim.v.%d", i);
        if (s->opt->v[i])
            get_or_die(c, name, DL_CKPT_F32, s->opt->v[i], s->trainable->items[i]->size);
    }
    // the run's position and history
    s->epoch = (int)epoch;
    s->in_epoch = get_u64(c, "train.in_epoch") != 0;
    log->steps = steps;
    log->epochs_run = (int)run;
    log->best_epoch = (int)best;
    log->diverged = get_u64(c, "train.diverged") != 0;
    log->diverged_step = (long)dstep;
    double scal[4];
    get_or_die(c, "train.scalars", DL_CKPT_F64, scal, 4);
    s->epoch_sum = scal[0];
    s->epoch_seen = (long)scal[1];
    s->first_loss = (float)scal[2];
    log->diverged_loss = (float)scal[3];
    size_t E = (size_t)log->epochs + 1;
    get_or_die(c, "train.step_loss", DL_CKPT_F32, log->step_loss, (size_t)steps);
    get_or_die(c, "train.train_loss", DL_CKPT_F32, log->train_loss, E);
    get_or_die(c, "train.train_eval_loss", DL_CKPT_F32, log->train_eval_loss, E);
    get_or_die(c, "train.val_loss", DL_CKPT_F32, log->val_loss, E);
    get_or_die(c, "train.val_acc_pct", DL_CKPT_F64, log->val_acc_pct, E);
    get_or_die(c, "train.seconds", DL_CKPT_F64, log->seconds, E);
    if (s->best) get_or_die(c, "train.best", DL_CKPT_F32, s->best, params_snapshot_size(&m->p));
    s->rng->state = get_u64(c, "rng.state");
    s->rng->inc = get_u64(c, "rng.inc");
    s->rng->has_spare = (int)get_u64(c, "rng.has_spare");
    get_or_die(c, "rng.spare", DL_CKPT_F64, &s->rng->spare, 1);
    get_or_die(c, "data.state", DL_CKPT_I32, s->data->state, s->data->n_state);
    s->t_train = log->seconds[log->epochs_run];
    log->resumed = true;
}

// Where Ctrl-C writes: --save FILE, else <out>/interrupted.ckpt.
static void interrupt_path(const Cli *cli, char *path, size_t len)
{
    if (cli->save_path[0]) snprintf(path, len, "%s", cli->save_path);
    else if (!path_join(path, len, cli->out_dir, "interrupted.ckpt"))
        dl_die("the output folder path '%s' is too long for a checkpoint name", cli->out_dir);
}

_Noreturn static void stop_interrupted(RunState *s)
{
    const Cli *cli = s->cfg->cli;
    char path[600];
    interrupt_path(cli, path, sizeof path);
    save_checkpoint(s, path);
    fflush(stdout);
    fprintf(stderr, "\ninterrupted: run '%s' stopped after step %ld (epoch %d of %d); its state "
            "is saved in %s\nresume with:", s->task->model->name, s->log->steps, s->epoch,
            s->log->epochs, path);
    for (int i = 0; i < cli->argc; i++) {
        if (strcmp(cli->argv[i], "--resume") == 0) { i++; continue; }   // the old one goes
        if (strncmp(cli->argv[i], "--resume=", 9) == 0) continue;
        fprintf(stderr, " %s", cli->argv[i]);
    }
    fprintf(stderr, " --resume %s\n", path);
    exit(130);   // 128 + SIGINT, as a shell reports a Ctrl-C
}

// ---- printing ----

static void print_header(const TrainConfig *cfg)
{
    char vl[32], va[32];
    snprintf(vl, sizeof vl, "%s loss", val_name(cfg));
    snprintf(va, sizeof va, "%s %s", val_name(cfg), cfg->val ? "acc" : "ppl");
    printf("  %5s %10s %11s", "epoch", "lr", "train loss");
    if (cfg->train_eval) printf(" %11s", "train(eval)");
    if (has_val(cfg)) printf(" %10s %9s", vl, va);
    printf(" %8s\n", "time");
}

static void print_epoch(const TrainConfig *cfg, const TrainLog *log, int e, float lr)
{
    if (e == 0) printf("  %5d %10s %11s", 0, "", "");
    else printf("  %5d %10.4g %11.4f", e, (double)lr, (double)log->train_loss[e]);
    if (cfg->train_eval) printf(" %11.4f", (double)log->train_eval_loss[e]);
    if (cfg->val) printf(" %10.4f %8.2f%%", (double)log->val_loss[e], (double)log->val_acc_pct[e]);
    else if (cfg->val_tokens)
        printf(" %10.4f %9.2f", (double)log->val_loss[e], exp((double)log->val_loss[e]));
    if (e > 0) printf(" %7.1fs", log->seconds[e] - log->seconds[e - 1]);
    putchar('\n');
}

static void epoch_metrics(const TrainConfig *cfg, const TrainLog *log, int e)
{
    if (!cfg->metrics || !cfg->prefix) return;
    const char *p = cfg->prefix, *v = val_name(cfg);
    metrics_setf(cfg->metrics, log->train_loss[e], "%s_train_loss_epoch_%d", p, e);
    if (cfg->train_eval)
        metrics_setf(cfg->metrics, log->train_eval_loss[e], "%s_train_eval_loss_epoch_%d", p, e);
    if (cfg->val) {
        metrics_setf(cfg->metrics, log->val_loss[e], "%s_%s_loss_epoch_%d", p, v, e);
        metrics_setf(cfg->metrics, log->val_acc_pct[e], "%s_%s_acc_pct_epoch_%d", p, v, e);
    } else if (cfg->val_tokens) {
        metrics_setf(cfg->metrics, log->val_loss[e], "%s_%s_loss_epoch_%d", p, v, e);
        metrics_setf(cfg->metrics, exp((double)log->val_loss[e]), "%s_%s_ppl_epoch_%d", p, v, e);
    }
}

// ---- evaluation ----

static void evaluate(RunState *s, int e)
{
    const TrainConfig *cfg = s->cfg;
    const TrainTask *t = s->task;
    ClassifierEval ev;
    if (cfg->train_eval) {
        eval_classifier(t->model, t->net, t->forward, cfg->train_eval, cfg->eval_batch, false, &ev);
        s->log->train_eval_loss[e] = (float)ev.loss;
    }
    if (cfg->val) {
        eval_classifier(t->model, t->net, t->forward, cfg->val, cfg->eval_batch, false, &ev);
        s->log->val_loss[e] = (float)ev.loss;
        s->log->val_acc_pct[e] = ev.acc_pct;
    } else if (cfg->val_tokens) {
        LmEval lm = eval_lm(t->model, t->net, t->forward, cfg->val_tokens, cfg->n_val_tokens,
                            cfg->val_B, cfg->val_T);
        s->log->val_loss[e] = (float)lm.loss;
    }
}

// ---- one step ----

// The loss to minimise (the data loss plus the penalties); *data_loss is what the log keeps.
static Tensor *step_loss(RunState *s, const Batch *b, float *data_loss)
{
    const TrainTask *t = s->task;
    const TrainConfig *cfg = s->cfg;
    Tape *tp = &t->model->tp;
    Tensor *out = t->forward(t->net, tp, b, true, s->rng);
    Tensor *loss = t->loss ? t->loss(t->net, tp, out, b) : op_cross_entropy(tp, out, b->y);
    *data_loss = tensor_item(loss);
    for (int i = 0; i < s->trainable->n && (cfg->l1 > 0 || cfg->l2 > 0); i++) {
        Tensor *w = s->trainable->items[i];
        if (cfg->l1 > 0) loss = op_add(tp, loss, op_scale(tp, op_l1(tp, w), cfg->l1));
        if (cfg->l2 > 0) loss = op_add(tp, loss, op_scale(tp, op_l2(tp, w), cfg->l2));
    }
    return loss;
}

static bool diverged(const TrainConfig *cfg, float loss, float first)
{
    float f = cfg->diverge_factor > 0 ? cfg->diverge_factor : DEFAULT_DIVERGE_FACTOR;
    return !isfinite(loss) || loss > f * first;
}

// One optimizer step on batch b; false when the loss diverged (nothing updated).
static bool take_step(RunState *s, const Batch *b, const Schedule *sch)
{
    const TrainConfig *cfg = s->cfg;
    TrainLog *log = s->log;
    Tape *tp = &s->task->model->tp;
    params_zero_grad(s->trainable);
    float lv;
    Tensor *loss = step_loss(s, b, &lv);
    if (log->steps == 0) s->first_loss = lv;
    log->step_loss[log->steps++] = lv;
    s->in_epoch = true;
    if (diverged(cfg, lv, s->first_loss)) {
        tape_reset(tp);
        if (!cfg->stop_on_divergence) {
            char what[32];
            if (isnan(lv)) snprintf(what, sizeof what, "NaN");
            else if (isinf(lv)) snprintf(what, sizeof what, "Inf");
            else snprintf(what, sizeof what, "%g", (double)lv);
            dl_die("%s: training diverged at step %ld (epoch %d): the loss is %s, the first "
                   "step's was %.4f; the learning rate %g is too large here: try --lr %g or "
                   "smaller", cfg->label, log->steps, s->epoch, what, (double)s->first_loss,
                   (double)cfg->opt.lr, (double)cfg->opt.lr / 10);
        }
        log->diverged = true;
        log->diverged_step = log->steps;
        log->diverged_loss = lv;
        return false;
    }
    s->epoch_sum += (double)lv * b->B;
    s->epoch_seen += b->B;
    tape_backward(tp, loss);
    if (cfg->clip_norm > 0) clip_grad_norm(s->trainable, cfg->clip_norm);
    optim_step(s->opt, schedule_lr(sch, (int)(log->steps - 1)));
    tape_reset(tp);
    return true;
}

// The steps of one epoch (the rest of it, after a resume), until the source ends the epoch,
// max_steps is reached or the loss diverges; returns true when the run must stop there.
static bool run_steps(RunState *s, const Schedule *sch)
{
    const TrainConfig *cfg = s->cfg;
    TrainLog *log = s->log;
    const int spe = log->steps_per_epoch;
    Progress pg;
    char label[96];
    snprintf(label, sizeof label, "%s epoch %d/%d", cfg->label, s->epoch, cfg->epochs);
    progress_start(&pg, label, spe);
    const double t0 = now_seconds();
    double ts = t0;   // when the step being timed began
    bool stop = false;
    Batch b;
    while (!stop && s->data->next(s->data, &b) > 0) {
        bool ok = take_step(s, &b, sch);
        double te = now_seconds();
        log->step_seconds[log->steps - 1] = (float)(te - ts);
        ts = te;
        stop = !ok || (cfg->max_steps && log->steps >= cfg->max_steps);
        if (!ok) break;
        if (cfg->cli && interrupt_at() && ++process_steps == interrupt_at()) raise(SIGINT);
        if (interrupted && cfg->cli) {
            s->t_train += now_seconds() - t0;
            progress_end(&pg);
            stop_interrupted(s);
        }
        if ((log->steps & 7) == 0) {
            char note[48];
            snprintf(note, sizeof note, "loss %.4f", s->epoch_sum / s->epoch_seen);
            progress_update(&pg, log->steps - (long)(s->epoch - 1) * spe, note);
        }
    }
    progress_end(&pg);
    s->t_train += now_seconds() - t0;
    return stop;
}

// The epoch is over (or cut short by max_steps): its mean loss, the evaluation, the best
// epoch so far (and its snapshot), the printed line and the metric keys.
static void end_epoch(RunState *s, const Schedule *sch)
{
    const TrainConfig *cfg = s->cfg;
    TrainLog *log = s->log;
    const int e = s->epoch;
    log->epochs_run = e;
    log->train_loss[e] = s->epoch_seen ? (float)(s->epoch_sum / s->epoch_seen) : NAN;
    log->seconds[e] = s->t_train;
    evaluate(s, e);
    if (has_val(cfg) &&
        (log->best_epoch == 0 || log->val_loss[e] < log->val_loss[log->best_epoch])) {
        log->best_epoch = e;
        if (s->best) params_snapshot(&s->task->model->p, s->best);
    }
    s->epoch_sum = 0;
    s->epoch_seen = 0;
    s->in_epoch = false;
    if (cfg->print) print_epoch(cfg, log, e, schedule_lr(sch, (int)log->steps - 1));
    epoch_metrics(cfg, log, e);
}

// ---- the run ----

static void check_config(const TrainTask *t, const BatchSource *data, const TrainConfig *c)
{
    const char *who = c->label ? c->label : "train_run";
    DL_CHECK(t && t->model && t->forward, "%s: the task needs a model and a forward function",
             who);
    DL_CHECK(c->label, "train_run: the config needs a label (it names the run in messages)");
    DL_CHECK(c->epochs >= 1 && c->epochs <= 100000, "%s: epochs = %d; use 1 to 100000", who,
             c->epochs);
    DL_CHECK(c->max_steps >= 0, "%s: max_steps = %ld must be >= 0 (0: no limit)", who,
             c->max_steps);
    DL_CHECK(c->clip_norm >= 0 && isfinite(c->clip_norm), "%s: clip_norm = %g must be >= 0 "
             "(0: off)", who, (double)c->clip_norm);
    DL_CHECK(c->l1 >= 0 && c->l2 >= 0, "%s: the penalties l1 = %g, l2 = %g must be >= 0", who,
             (double)c->l1, (double)c->l2);
    DL_CHECK(c->patience >= 0 && c->eval_batch >= 0, "%s: patience and eval_batch must be >= 0",
             who);
    DL_CHECK(!(c->val && c->val_tokens), "%s: give a validation set (cfg.val) or a validation "
             "token stream (cfg.val_tokens), not both", who);
    if (c->val_tokens) {   // the stream must hold one window per row, checked before training
        TokenBatcher tb;
        char err[300];
        if (!token_batcher_init(&tb, c->val_tokens, c->n_val_tokens, c->val_B, c->val_T, err,
                                sizeof err))
            dl_die("%s: the validation token stream: %s", who, err);
        token_batcher_free(&tb);
    }
    DL_CHECK(!(c->patience || c->keep_best) || has_val(c), "%s: early stopping and keep_best "
             "need a validation set (cfg.val or cfg.val_tokens)", who);
    DL_CHECK(data && data->next && data->steps_per_epoch >= 1, "%s: the data source yields no "
             "batches", who);
}

void train_run(const TrainTask *task, BatchSource *data, const TrainConfig *cfg, Rng *rng,
               TrainLog *log)
{
    check_config(task, data, cfg);
    Model *m = task->model;
    Params *trainable = task->trainable ? task->trainable : &m->p;
    Optimizer opt;
    optim_init(&opt, &cfg->opt, trainable, &m->state);
    Schedule sch = cfg->schedule;
    if (sch.base_lr == 0) sch.base_lr = cfg->opt.lr;
    const int spe = data->steps_per_epoch;
    long cap = (long)cfg->epochs * spe;
    if (cfg->max_steps && cfg->max_steps < cap) cap = cfg->max_steps;
    log_alloc(log, cfg->epochs, spe, cap);
    snprintf(log->val_name, sizeof log->val_name, "%s", val_name(cfg));
    RunState s = {.task = task, .cfg = cfg, .trainable = trainable, .opt = &opt, .data = data,
                  .rng = rng, .log = log, .cap = cap, .epoch = 1, .first_loss = NAN};
    if (cfg->keep_best || cfg->patience)
        s.best = dl_malloc(params_snapshot_size(&m->p) * sizeof *s.best, "best snapshot");

    const Checkpoint *ck = resume_checkpoint(cfg->cli);
    bool resuming = ck && !resume.used && strcmp(ck->model, m->name) == 0;
    if (resuming) {
        load_checkpoint(&s, ck);
        resume.used = true;
        printf("  resumed '%s' from %s at epoch %d, step %ld\n", m->name, ck->path, s.epoch,
               log->steps);
    } else if (cfg->eval_before && (has_val(cfg) || cfg->train_eval)) {
        evaluate(&s, 0);
    }
    if (cfg->print) {   // a resumed run prints the epochs it had done, as the first process did
        print_header(cfg);
        if (cfg->eval_before) print_epoch(cfg, log, 0, 0);
        for (int e = 1; e <= log->epochs_run; e++)
            print_epoch(cfg, log, e, schedule_lr(&sch, e * spe - 1));
    }
    for (int e = 1; e <= log->epochs_run; e++) epoch_metrics(cfg, log, e);

    struct sigaction old, sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    if (cfg->cli) sigaction(SIGINT, &sa, &old);
    bool stop = log->diverged || (cfg->max_steps && log->steps >= cfg->max_steps) ||
                (cfg->patience && log->epochs_run - log->best_epoch >= cfg->patience);
    for (; s.epoch <= cfg->epochs; s.epoch++) {
        if (stop && !s.in_epoch) break;   // nothing left to run, nor an epoch to finish
        if (!stop) stop = run_steps(&s, &sch);
        if (log->diverged) break;
        end_epoch(&s, &sch);              // evaluate and record it (even when cut short)
        if (cfg->patience && s.epoch - log->best_epoch >= cfg->patience) stop = true;
        if (interrupted && cfg->cli && !stop && s.epoch < cfg->epochs) {   // between epochs
            s.epoch++;
            stop_interrupted(&s);
        }
    }
    if (cfg->cli) sigaction(SIGINT, &old, NULL);
    if (s.best && log->best_epoch > 0) params_restore(&m->p, s.best);
    if (cfg->save && cfg->cli && cfg->cli->save_path[0]) {
        s.in_epoch = false;
        s.epoch = cfg->epochs + 1;   // nothing left to run: --resume reproduces the end
        save_checkpoint(&s, cfg->cli->save_path);
        printf("  checkpoint of '%s' written to %s\n", m->name, cfg->cli->save_path);
    }
    free(s.best);
}
