/* 03_optimizers/net.h — the networks chapter 3 trains, and how its sections train them.
 *
 *   Net        Linear layers with ReLU between them and, optionally, batch norm before every
 *              ReLU and (inverted) dropout after it; logits out (region `net` of net.c)
 *   net_train  one run: a fresh Model "03_optimizers/<name>", a Net with He-normal weights
 *              drawn from a generator seeded with --seed (so every run of a section starts
 *              from the same weights), a shuffled Batcher, and one train_run of the library
 *              (common/train/loop.h) with the section's TrainConfig (region `train`)
 *   compare    several runs that differ in their optimizer or batch size, side by side: one
 *              table row, one set of metric keys and one curve each (sections 3 and 4)
 *   opt_from_flags  the optimizer of sections 6-7 (the main run's), from the command line
 * Built into 03_optimizers/run with the lesson, optimizers.c, and its --bench, bench.c.
 * Shapes: x (B, C_in), logits (B, C_out); Linear w (C_in, C_out).
 */
#ifndef CH03_NET_H
#define CH03_NET_H

#include <stdbool.h>

#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "train/chapter.h"
#include "train/loop.h"
#include "train/model.h"

#define NET_MAX_LAYERS 12
#define EVAL_BATCH 1000   // examples per evaluation batch (eval_classifier)

typedef struct Net {
    int n_layers;
    Linear fc[NET_MAX_LAYERS];
    BatchNorm bn[NET_MAX_LAYERS];         // used when use_bn: after every hidden Linear
    bool use_bn;
    float dropout;                        // p on every hidden activation (0: none)
} Net;

// The layer sizes (C_in, hidden widths …, classes), batch norm or not, dropout p (0: none).
typedef struct NetSpec { const int *sizes; int n_sizes; bool bn; float dropout; } NetSpec;

/* Build the layers of s in `params`, weights drawn with `init` from rng, and add them to list
 * under the names fc1.…, bn1.… (checkpoints name every tensor). */
void net_init(Net *n, const NetSpec *s, Init init, Arena *params, Rng *rng, Params *list);

/* logits (B, C_out). train selects dropout masks and batch statistics; hidden, if not NULL,
 * receives every hidden activation (n_layers - 1 tensors). */
Tensor *net_forward(Tape *tp, Net *n, Tensor *x, bool train, Rng *rng, Tensor **hidden);

// The Net as the training loop and eval_classifier call it (train/model.h ForwardFn).
Tensor *net_batch_forward(void *net, Tape *tp, const Batch *b, bool train, Rng *rng);

/* √Σw² over the weight matrices (not the biases, not batch norm's scales); *near_zero gets
 * the fraction of their entries with |w| < 1e-3 (what L1 drives to zero). */
double net_weight_norm(const Net *n, double *near_zero);

typedef struct NetRun {   // one trained network: its model, its layers and its history
    Model m;
    Net net;
    Rng rng;              // weights, shuffles and dropout masks
    TrainLog log;
} NetRun;

/* Train a fresh Net of `spec` on tr in shuffled batches of `batch` with tc, as the run `name`
 * of the chapter. Fills in tc's label, cli (Ctrl-C, --resume; --save when tc->save), the
 * evaluation batch and the divergence policy of every run of the chapter: a loss that is NaN,
 * Inf or above 10x the first step's stops the run and is recorded in nr->log. */
void net_train(NetRun *nr, const char *name, NetSpec spec, const Dataset *tr, int batch,
               TrainConfig *tc, const Cli *cli);
void net_run_free(NetRun *nr);

/* The optimizer the flags name (--optimizer, --lr: 0 keeps the optimizer's default; --beta1,
 * --beta2, --momentum: NAN keeps it); exits with status 2 naming the flag on a bad value. */
OptConfig opt_from_flags(const char *name, float lr, const float betas[3]);

typedef struct Contender {   // one run of a comparison: what differs between the runs
    char tag[24];            // names its model and keys: <section>_<tag>
    char title[32];          // in the table and in the plots' legends
    OptKind kind;            // the optimizer (optim_defaults) with learning rate lr
    float lr;
    int batch;
} Contender;

typedef struct Comparison {  // what the runs of a comparison share
    const char *section;     // "batch", "race": the first word of their names and keys
    const int *sizes;        // a Net of 3 sizes (one hidden layer), no batch norm or dropout
    const Dataset *tr, *val;
    int epochs;
    const char *plot, *title;   // <plot>.png: the training-set loss of every run by epoch
    const char *time_plot, *time_title;   // and, unless NULL, by training time (seconds)
} Comparison;

/* Train one Net per contender from the same weights (tr also evaluated in eval mode after
 * every epoch), print a table row each, set the keys <section>_<tag>_steps_per_epoch,
 * …_train_eval_loss, …_val_loss, …_val_acc_pct and …_train_s, and draw the plots. */
void compare(Chapter *ch, const Comparison *cmp, const Contender *c, int n);

#endif
