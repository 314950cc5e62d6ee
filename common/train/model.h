/* common/train/model.h — a model bundle: its arenas, its tape and its state, under one name.
 *
 * Every network a chapter trains lives in a Model: the parameters, their grads and the
 * buffers (BatchNorm running statistics) in the `params` arena, the optimizer's moments in
 * `state`, and the activations and tape nodes of one step in `step`, which the tape rewinds
 * after every optimizer step (autograd/tape.h) — so training allocates nothing from the OS
 * after its first step and cannot leak. The layers themselves are the chapter's own struct
 * (an MLP, the DigitCNN, …), built into m->params with m->p as their Params list (nn/params.h).
 *
 * The name identifies the model in checkpoints (train/checkpoint.h): "<chapter>/<run>", e.g.
 * "04_cnn/digitcnn". A checkpoint is only ever loaded into a model of the same name.
 */
#ifndef DL_TRAIN_MODEL_H
#define DL_TRAIN_MODEL_H

#include <stdbool.h>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "base/arena.h"
#include "base/rng.h"
#include "data/batch.h"
#include "nn/params.h"

#define DL_MODEL_NAME 64

typedef struct Model {
    char name[DL_MODEL_NAME];  // "04_cnn/digitcnn"
    Arena params;              // parameters, grads, buffers: for the model's life
    Arena state;               // optimizer state
    Arena step;                // one step's activations, tape nodes and scratch
    Tape tp;                   // records into `step`
    Params p;                  // every parameter and buffer, in the order the layers added them
} Model;

/* The forward pass of a network: the batch's input → its outputs (logits (B, V), or
 * probabilities for a binary model), on tape tp. train selects training behaviour (dropout
 * masks from rng, BatchNorm batch statistics); evaluation passes train=false, rng=NULL. */
typedef Tensor *(*ForwardFn)(void *net, Tape *tp, const Batch *b, bool train, Rng *rng);

/* Empty arenas, a recording tape, an empty parameter list. Dies if name does not fit. */
void model_init(Model *m, const char *name);

/* Return every arena to the OS. */
void model_free(Model *m);

/* The batch's features as a (B, dim) tensor that views b->x (no copy, no grad): the input of
 * most forward functions (an image model reshapes it, op_reshape). Allocated on tp. */
Tensor *batch_input(Tape *tp, const Batch *b);

#endif
