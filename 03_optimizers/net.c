/* 03_optimizers/net.c — see net.h: the chapter's networks and how its sections train them. */
#include "net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "ops/activation.h"
#include "ops/regularize.h"
#include "report/plot.h"

// region: net
// Linear → (BatchNorm) → ReLU → (dropout) for every hidden layer, then a Linear to the logits:
// batch norm normalises the pre-activation, dropout drops the activation the next layer reads.
void net_init(Net *n, const NetSpec *s, Init init, Arena *params, Rng *rng, Params *list)
{
    DL_CHECK(s->n_sizes >= 2 && s->n_sizes - 1 <= NET_MAX_LAYERS, "net_init: %d sizes, need 2 "
             "to %d", s->n_sizes, NET_MAX_LAYERS + 1);
    *n = (Net){.n_layers = s->n_sizes - 1, .use_bn = s->bn, .dropout = s->dropout};
    for (int i = 0; i < n->n_layers; i++) {
        char scope[16];
        snprintf(scope, sizeof scope, "fc%d", i + 1);
        params_scope(list, scope);
        linear_init(&n->fc[i], params, s->sizes[i], s->sizes[i + 1], init, rng, list);
        if (!s->bn || i + 1 == n->n_layers) continue;
        snprintf(scope, sizeof scope, "bn%d", i + 1);
        params_scope(list, scope);
        batchnorm_init(&n->bn[i], params, s->sizes[i + 1], list);
    }
    params_scope(list, NULL);
}

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

Tensor *net_batch_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng)
{
    return net_forward(tp, net, batch_input(tp, b), train, rng, NULL);
}

double net_weight_norm(const Net *n, double *near_zero)
{
    double s = 0;
    size_t z = 0, total = 0;
    for (int i = 0; i < n->n_layers; i++) {
        const Tensor *w = n->fc[i].w;   // (C_in, C_out)
        for (size_t j = 0; j < w->size; j++) {
            s += (double)w->data[j] * w->data[j];
            z += fabsf(w->data[j]) < 1e-3f;
        }
        total += w->size;
    }
    *near_zero = (double)z / total;
    return sqrt(s);
}
// endregion

// region: train
// Every training run of the chapter is this one call of train_run, with the section's config.
void net_train(NetRun *nr, const char *name, NetSpec spec, const Dataset *tr, int batch,
               TrainConfig *tc, const Cli *cli)
{
    char full[DL_MODEL_NAME];
    snprintf(full, sizeof full, "03_optimizers/%.40s", name);
    model_init(&nr->m, full);
    rng_seed(&nr->rng, cli->seed);
    net_init(&nr->net, &spec, INIT_HE_NORMAL, &nr->m.params, &nr->rng, &nr->m.p);
    Batcher bt;
    batcher_init(&bt, tr, batch, true, &nr->rng);
    tc->label = name;
    tc->cli = cli;
    tc->stop_on_divergence = true;
    tc->diverge_factor = 10;
    tc->eval_batch = EVAL_BATCH;
    TrainTask task = {&nr->m, &nr->net, net_batch_forward, NULL, NULL};
    train_run(&task, &bt.src, tc, &nr->rng, &nr->log);
    batcher_free(&bt);
}

void net_run_free(NetRun *nr)
{
    train_log_free(&nr->log);
    model_free(&nr->m);
}

OptConfig opt_from_flags(const char *name, float lr, const float betas[3])
{
    static const char *FLAGS[3] = {"--beta1", "--beta2", "--momentum"};
    OptKind kind;
    if (!optim_kind_from_name(name, &kind))
        dl_die_status(DL_EXIT_USAGE, "--optimizer: unknown optimizer '%s'; choose sgd, momentum, "
                      "nesterov, adagrad, rmsprop, adam or adamw", name);
    OptConfig c = optim_defaults(kind);
    if (lr != 0 && !(lr > 0))
        dl_die_status(DL_EXIT_USAGE, "--lr must be a positive finite number, got %g", (double)lr);
    if (lr != 0) c.lr = lr;
    float *dst[3] = {&c.beta1, &c.beta2, &c.momentum};
    for (int i = 0; i < 3; i++) {
        if (isnan(betas[i])) continue;   // not given (cli_parse rejects a NaN value)
        if (!(betas[i] >= 0 && betas[i] < 1))
            dl_die_status(DL_EXIT_USAGE, "%s must be in [0, 1), got %g (1 or more never forgets "
                          "and diverges)", FLAGS[i], (double)betas[i]);
        *dst[i] = betas[i];
    }
    return c;
}


void compare(Chapter *ch, const Comparison *cmp, const Contender *c, int n)
{
    static const char *KEYS[5] = {"steps_per_epoch", "train_eval_loss", "val_loss",
                                  "val_acc_pct", "train_s"};
    enum { MAX_RUNS = 16 };
    NetRun nr[MAX_RUNS];
    PlotSeries by_epoch[MAX_RUNS] = {0}, by_time[MAX_RUNS] = {0};
    DL_CHECK(n <= MAX_RUNS, "compare: %d runs, at most %d", n, MAX_RUNS);
    printf("  %-20s %8s %8s %10s %9s %8s %8s\n", "run", "lr", "steps/ep", "train loss",
           "val loss", "val acc", "train s");
    for (int r = 0; r < n; r++) {
        char name[48];
        snprintf(name, sizeof name, "%s_%s", cmp->section, c[r].tag);
        TrainConfig tc = {.epochs = cmp->epochs, .opt = optim_defaults(c[r].kind),
                          .val = cmp->val, .train_eval = cmp->tr, .eval_before = true};
        tc.opt.lr = c[r].lr;
        net_train(&nr[r], name, (NetSpec){cmp->sizes, 3, false, 0}, cmp->tr, c[r].batch, &tc,
                  &ch->cli);
        const TrainLog *lg = &nr[r].log;
        const int E = lg->epochs_run;
        const double v[5] = {lg->steps_per_epoch, lg->train_eval_loss[E], lg->val_loss[E],
                             lg->val_acc_pct[E], lg->seconds[E]};
        printf("  %-20s %8g %8.0f %10.4f %9.4f %7.2f%% %8.2f%s\n", c[r].title, (double)c[r].lr,
               v[0], v[1], v[2], v[3], v[4], lg->diverged ? "  diverged" : "");
        for (int k = 0; k < 5; k++) metrics_setf(&ch->metrics, v[k], "%s_%s", name, KEYS[k]);
        by_epoch[r] = (PlotSeries){c[r].title, NULL, lg->train_eval_loss, E + 1,
                                   "linespoints pt 7"};
        by_time[r] = by_epoch[r];   // x: the cumulative training seconds, as floats
        float *t = dl_malloc((size_t)(E + 1) * sizeof *t, "plot times");
        for (int e = 0; e <= E; e++) t[e] = (float)lg->seconds[e];
        by_time[r].x = t;
    }
    plot_lines(ch->cli.out_dir, cmp->plot, cmp->title, "epoch", "training loss", by_epoch, n,
               true);
    if (cmp->time_plot)
        plot_lines(ch->cli.out_dir, cmp->time_plot, cmp->time_title, "training time (s)",
                   "training loss", by_time, n, true);
    for (int r = 0; r < n; r++) {
        free((float *)by_time[r].x);
        net_run_free(&nr[r]);
    }
}
// endregion
