/* common/train/loop.h — the one training loop of the course.
 *
 * Every chapter trains through train_run(). One step reads top to bottom as the lecture draws
 * it (lecture 2, "the training loop"):
 *
 *   batch = next(data)                     the data source (data/batch.h)
 *   zero the parameters' grads
 *   out   = forward(net, batch, train)     the chapter's network (train/model.h ForwardFn)
 *   loss  = loss(out, batch)               cross-entropy unless the task gives its own
 *           (+ l1·Σ|θ| + l2·½Σθ² on every trained parameter, when asked)
 *   check the loss (NaN, Inf, or > diverge_factor × the first step's loss: diverged)
 *   backward(loss)                         autograd/tape.h
 *   clip the global gradient norm          optim/clip.h, when clip_norm > 0
 *   optimizer step with schedule(step)     optim/optimizer.h, optim/schedule.h
 *   rewind the step arena                  nothing is allocated after the first step
 *
 * Around the steps: epochs over the data; an evaluation after every epoch (and before the
 * first, when asked) on a validation set (or, for a language model, a validation token stream)
 * and, optionally, on the training set in eval mode;
 * a progress bar; one printed line and metric keys per epoch; early stopping with a snapshot
 * of the parameters AND buffers (BatchNorm running statistics) of the best validation epoch,
 * restored at the end; and checkpoints (train/checkpoint.h):
 *   --save FILE     the run marked `save` (the chapter's main run) writes FILE when it ends;
 *   Ctrl-C          (SIGINT) finishes the step in progress, writes a checkpoint of the run in
 *                   progress (to --save FILE, else <out>/interrupted.ckpt) and exits with status
 *                   130, printing the command that resumes it;
 *   --resume FILE   the run whose model has the checkpoint's name loads it and continues:
 *                   parameters, buffers, optimizer state, step, epoch, RNG, the data source's
 *                   position and the history so far, so it prints exactly the numbers an
 *                   uninterrupted run prints. Runs before it in the program are run again
 *                   (they are deterministic); a checkpoint that no run of the program matches
 *                   is reported by train_check_resumed().
 * Test hook: the environment variable DL_INTERRUPT_AT_STEP=N raises SIGINT after the N-th
 * optimizer step of the process (counting across the runs that have a cfg.cli), to test the
 * Ctrl-C path exactly where a user's Ctrl-C would land.
 */
#ifndef DL_TRAIN_LOOP_H
#define DL_TRAIN_LOOP_H

#include <stdbool.h>

#include "base/rng.h"
#include "data/batch.h"
#include "data/dataset.h"
#include "nn/params.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "train/model.h"

/* A task's own loss from the network's outputs and the batch (a scalar on tp). NULL in a
 * TrainTask means the mean cross-entropy of the outputs (logits) against b->y. */
typedef Tensor *(*LossFn)(void *net, Tape *tp, Tensor *out, const Batch *b);

typedef struct TrainTask {
    Model *model;         // arenas, tape, parameters and buffers; its name labels checkpoints
    void *net;            // the chapter's network, passed to forward and loss
    ForwardFn forward;
    LossFn loss;          // NULL: cross-entropy
    Params *trainable;    // the parameters to train; NULL: all of model->p (transfer learning
                          // trains a classifier head only)
} TrainTask;

typedef struct TrainConfig {
    const char *label;    // names the run on the progress bar and in messages ("DigitCNN")
    int epochs;           // passes over the data, >= 1
    long max_steps;       // stop after this many optimizer steps in all (0: no limit)
    OptConfig opt;        // the optimizer (optim_defaults(...) then changes)
    Schedule schedule;    // the learning rate of each step; kind SCHED_CONSTANT (the zero
                          // value) keeps opt.lr; base_lr 0 means opt.lr
    float clip_norm;      // clip the global gradient norm to this after backward (0: off)
    float l1, l2;         // penalties l1·Σ|θ| + l2·½Σθ² over the trained parameters (0: off);
                          // the logged step loss is the data loss alone
    float diverge_factor; // a step loss that is NaN, Inf or above this × the first step's has
                          // diverged (0: 10)
    bool stop_on_divergence; // true: stop the run and record it in the log; false (default):
                          // exit with a message naming the step, the loss and the fix
    // ---- evaluation after every epoch ----
    const Dataset *val;   // validation (or test) set: loss and accuracy; NULL: none
    const char *val_name; // "val" (default) or "test": column and metric names
    const int *val_tokens; // language models, instead of val: a validation token stream
    size_t n_val_tokens;  // (n_val_tokens, not owned) scored by eval_lm (train/eval.h) in
    int val_B, val_T;     // val_B rows and windows of val_T: the val loss in nats per token
                          // and its perplexity; no accuracy (NULL: none)
    const Dataset *train_eval; // also evaluated in eval mode each epoch (NULL: none)
    int eval_batch;       // evaluation batch size (0: 1000)
    bool eval_before;     // evaluate before the first step too (epoch 0)
    int patience;         // early stopping: stop after this many epochs without a lower val
                          // loss (0: off); implies keep_best
    bool keep_best;       // at the end, restore the parameters and buffers of the epoch with the
                          // lowest val loss
    // ---- what the run tells ----
    bool print;           // one line per epoch on stdout
    Metrics *metrics;     // per-epoch keys <prefix>_train_loss_epoch_<n>,
    const char *prefix;   // <prefix>_<val_name>_loss_epoch_<n>, …_acc_pct_epoch_<n> (val) or
                          // …_ppl_epoch_<n> (val_tokens) (NULL: none)
    const Cli *cli;       // --save, --resume, --out; NULL: no checkpoints at all
    bool save;            // the chapter's main run: --save FILE writes its checkpoint at the end
} TrainConfig;

typedef struct TrainLog {
    int epochs;           // the configured epochs (the arrays below have epochs + 1 entries)
    int epochs_run;       // epochs completed
    int steps_per_epoch;
    long steps;           // steps taken (a diverged step is counted, its update is not made)
    int best_epoch;       // epoch (>= 1) with the lowest val loss; 0 without val(_tokens)
    bool diverged;
    long diverged_step;   // 1-based step whose loss diverged
    float diverged_loss;
    float *step_loss;     // (steps) data loss of every step, nats
    float *step_seconds;  // (steps) wall time of every step, batch included (0 for the steps a
                          // resumed run took before its checkpoint)
    // per epoch; index 0 = before training; NAN where nothing was measured
    float *train_loss;    // mean loss of the epoch's mini-batches (weighted by batch size)
    float *train_eval_loss; // cfg.train_eval in eval mode
    float *val_loss;      // cfg.val or cfg.val_tokens (then nats per token: perplexity is
                          // exp(val_loss))
    double *val_acc_pct;   // percent (double: 89.2 stays 89.2); NAN for val_tokens
    double *seconds;      // cumulative training time (evaluation excluded), seconds
    char val_name[16];    // cfg.val_name ("val", "test"): for plots and tables
    bool resumed;         // this run continued a checkpoint (--resume)
} TrainLog;

/* Train task->model on data for cfg->epochs epochs (fewer with max_steps, early stopping or a
 * divergence), drawing shuffles, samples and dropout masks from rng (which the data source
 * must share), and fill log (train_log_free releases it). Dies with a message naming the
 * problem on a bad configuration, a divergence (unless stop_on_divergence) or a checkpoint
 * that does not fit the model. */
void train_run(const TrainTask *task, BatchSource *data, const TrainConfig *cfg, Rng *rng,
               TrainLog *log);

void train_log_free(TrainLog *log);

/* The run's curves by epoch: <out_dir>/<loss_name>.png with the loss of every step (thin,
 * when steps is true), the epochs' mean training loss and the validation loss; and, when acc_name
 * is not NULL and there was a validation set with accuracies (not val_tokens), <acc_name>.png
 * with its accuracy (%). */
void train_log_plot(const TrainLog *log, const char *out_dir, const char *loss_name,
                    const char *acc_name, const char *title, bool steps);

/* After the last run of a program: when --resume named a checkpoint that no run loaded (a
 * model name this program does not train), print an error naming it and return false. */
bool train_check_resumed(const Cli *cli);

#endif
