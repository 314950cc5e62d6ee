/* common/train/eval.h — how good a trained model is: classifiers and language models.
 *
 * Every evaluation runs the model in eval mode (train=false: no dropout, BatchNorm with its
 * running statistics) with the tape not recording — values only, no nodes, no grads — in
 * batches whose activations fit in memory, and rewinds the step arena after every batch.
 *   classifier:      mean cross-entropy (nats), accuracy in percent, the confusion matrix,
 *                    per-class precision / recall / F1 (lecture 3, "metrics beyond accuracy")
 *   binary task:     TP FP FN TN, accuracy, precision, recall, F1 of a positive class
 *   language model:  mean next-token cross-entropy, its perplexity exp(CE) and bits per token
 */
#ifndef DL_TRAIN_EVAL_H
#define DL_TRAIN_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "data/dataset.h"
#include "report/metrics.h"
#include "train/model.h"

typedef struct ClassifierEval {
    double loss;          // mean cross-entropy over the examples, nats
    double acc_pct;       // percent of examples whose arg-max class is the label
    int n, n_classes;
    int *confusion;       // (n_classes, n_classes) counts, row = true class, col = predicted;
                          // NULL unless asked for (then malloc'ed: eval_free)
    int *pred;            // (n) the predicted classes; NULL unless asked for
} ClassifierEval;

/* Evaluate the classifier `forward` (logits (B, n_classes)) on d in batches of eval_batch
 * (0: 1000). detail=true also fills confusion and pred. The model's tape is left as it was
 * (recording or not) and empty. */
void eval_classifier(Model *m, void *net, ForwardFn forward, const Dataset *d, int eval_batch,
                     bool detail, ClassifierEval *e);
void eval_free(ClassifierEval *e);

typedef struct ClassScores {
    double precision;     // TP / predicted as the class (0 when nothing was, as scikit-learn's
                          // zero_division=0)
    double recall;        // TP / examples of the class (0 when there are none)
    double f1;            // their harmonic mean
    int support;          // examples of the class
} ClassScores;

/* Per-class scores (n_classes) from a confusion matrix (detail=true); returns the macro F1. */
double eval_class_scores(const ClassifierEval *e, ClassScores *scores);

/* Print the per-class table (precision, recall, F1, support; class k named names[k], or its
 * number when names is NULL) and, when m is not NULL, set <prefix>_precision_c<k>,
 * <prefix>_recall_c<k>, <prefix>_f1_c<k> and <prefix>_macro_f1. Returns the macro F1. */
double eval_report_classes(const ClassifierEval *e, const char *const *names, Metrics *m,
                           const char *prefix);

/* The confusion matrix (detail=true) as a heat map <out_dir>/<name>.png (rows: true class). */
bool eval_plot_confusion(const ClassifierEval *e, const char *out_dir, const char *name,
                         const char *title);

/* The misclassified examples of d (an image set: d->rows × d->cols = d->dim; e from
 * eval_classifier on d with detail=true), the first max of them in the order of d, as a grid
 * <out_dir>/<name>.png captioned "true→predicted" with the class names (names[k], or the class
 * numbers when names is NULL). Returns how many examples were misclassified in all; *shown (if
 * not NULL) receives how many the grid shows. No file is written when there is no mistake. */
int eval_plot_mistakes(const ClassifierEval *e, const Dataset *d, const char *const *names,
                       int max, const char *out_dir, const char *name, int *shown);

typedef struct BinaryScores {
    int tp, fp, fn, tn;
    double acc_pct, precision, recall, f1;
} BinaryScores;

/* Scores of predictions pred (n) against labels y (n), 1 = positive (precision 0 with no
 * positive prediction and recall 0 with no positive label, as scikit-learn's zero_division=0). */
BinaryScores eval_binary(const int *pred, const int *y, int n);

typedef struct LmEval {
    double loss;          // mean next-token cross-entropy, nats per token
    double ppl;           // perplexity exp(loss)
    double bits;          // loss / ln 2, bits per token
    long tokens;          // predictions scored
} LmEval;

/* A language model on a token stream, in the layout of data/stream.h (Zaremba et al.'s PTB
 * evaluation): the stream is split into B rows of L = ⌊n_tokens / B⌋ tokens (the last
 * n_tokens − B·L dropped), and batch k = 0 … K−1, K = ⌊(L − 1) / T⌋, holds tokens (B, T) =
 * row_b[kT … kT+T) and targets y (B, T) = row_b[kT+1 … kT+T], with Batch.reset_state on batch 0
 * only, so a recurrent model carries its state from window to window through the whole stream.
 * forward returns logits (B·T, V) row-major by (row, position). Scored: the B·K·T targets
 * row_b[1 … KT] of every row (the first token of each row is never a target, the last L−1−KT
 * are left out), each once; loss is their mean cross-entropy. Dies when the stream is too short
 * for one window per row (n_tokens < B·(T + 1)) or B, T < 1. */
LmEval eval_lm(Model *m, void *net, ForwardFn forward, const int *tokens, size_t n_tokens,
               int B, int T);

#endif
