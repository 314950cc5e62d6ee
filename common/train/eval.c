/* common/train/eval.c — see train/eval.h. */
#include "train/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/stream.h"
#include "ops/loss.h"
#include "report/plot.h"

// Index of the largest of row[0 … C) (the first one on ties).
static int arg_max(const float *row, int C)
{
    int best = 0;
    for (int j = 1; j < C; j++) best = row[j] > row[best] ? j : best;
    return best;
}

void eval_classifier(Model *m, void *net, ForwardFn forward, const Dataset *d, int eval_batch,
                     bool detail, ClassifierEval *e)
{
    const int EB = eval_batch > 0 ? eval_batch : 1000, C = d->n_classes;
    DL_CHECK(d->n >= 1 && C >= 1, "eval_classifier: dataset '%s' has %d examples and %d classes",
             d->name, d->n, C);
    *e = (ClassifierEval){.n = d->n, .n_classes = C};
    if (detail) {
        e->confusion = calloc((size_t)C * C, sizeof *e->confusion);
        e->pred = dl_malloc((size_t)d->n * sizeof *e->pred, "predictions");
        DL_CHECK(e->confusion, "eval_classifier: out of memory for a %dx%d confusion matrix", C, C);
    }
    Tape *tp = &m->tp;
    bool was = tp->recording;
    tape_set_recording(tp, false);
    double total = 0;
    long correct = 0;
    for (int start = 0; start < d->n; start += EB) {
        int B = d->n - start < EB ? d->n - start : EB;
        Batch b = {.B = B, .dim = d->dim, .x = d->x + (size_t)start * d->dim, .y = d->y + start};
        Tensor *logits = forward(net, tp, &b, false, NULL);
        DL_CHECK(logits->ndim == 2 && logits->shape[0] == B && logits->shape[1] == C,
                 "eval_classifier: the model's output is not (%d, %d) logits for %d classes", B,
                 C, C);
        total += (double)tensor_item(op_cross_entropy(tp, logits, b.y)) * B;
        for (int i = 0; i < B; i++) {
            int p = arg_max(logits->data + (size_t)i * C, C);
            correct += p == b.y[i];
            if (detail) {
                e->pred[start + i] = p;
                e->confusion[b.y[i] * C + p]++;
            }
        }
        tape_reset(tp);
    }
    tape_set_recording(tp, was);
    e->loss = total / d->n;
    e->acc_pct = 100.0 * (double)correct / d->n;
}

void eval_free(ClassifierEval *e)
{
    free(e->confusion);
    free(e->pred);
    e->confusion = NULL;
    e->pred = NULL;
}

double eval_class_scores(const ClassifierEval *e, ClassScores *scores)
{
    DL_CHECK(e->confusion, "eval_class_scores: evaluate with detail=true first");
    const int C = e->n_classes;
    double macro = 0;
    for (int c = 0; c < C; c++) {
        int tp = e->confusion[c * C + c], predicted = 0, actual = 0;
        for (int k = 0; k < C; k++) {
            predicted += e->confusion[k * C + c];
            actual += e->confusion[c * C + k];
        }
        ClassScores s = {.support = actual};
        s.precision = predicted ? (double)tp / predicted : 0;
        s.recall = actual ? (double)tp / actual : 0;
        s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall)
                                          : 0;
        scores[c] = s;
        macro += s.f1;
    }
    return macro / C;
}

double eval_report_classes(const ClassifierEval *e, const char *const *names, Metrics *m,
                           const char *prefix)
{
    const int C = e->n_classes;
    ClassScores *sc = dl_malloc((size_t)C * sizeof *sc, "class scores");
    double macro = eval_class_scores(e, sc);
    printf("  %-10s %10s %8s %8s %8s\n", "class", "precision", "recall", "F1", "support");
    for (int c = 0; c < C; c++) {
        char name[16];
        if (!names) snprintf(name, sizeof name, "%d", c);
        printf("  %-10s %10.4f %8.4f %8.4f %8d\n", names ? names[c] : name, sc[c].precision,
               sc[c].recall, sc[c].f1, sc[c].support);
        if (m) {
            metrics_setf(m, sc[c].precision, "%s_precision_c%d", prefix, c);
            metrics_setf(m, sc[c].recall, "%s_recall_c%d", prefix, c);
            metrics_setf(m, sc[c].f1, "%s_f1_c%d", prefix, c);
        }
    }
    printf("  macro F1 %.4f\n", macro);
    if (m) metrics_setf(m, macro, "%s_macro_f1", prefix);
    free(sc);
    return macro;
}

bool eval_plot_confusion(const ClassifierEval *e, const char *out_dir, const char *name,
                         const char *title)
{
    DL_CHECK(e->confusion, "eval_plot_confusion: evaluate with detail=true first");
    const int C = e->n_classes;
    float *cm = dl_malloc((size_t)C * C * sizeof *cm, "confusion matrix");
    for (int i = 0; i < C * C; i++) cm[i] = (float)e->confusion[i];
    bool ok = plot_heatmap(out_dir, name, title, "predicted class", "true class", cm, C, C);
    free(cm);
    return ok;
}

int eval_plot_mistakes(const ClassifierEval *e, const Dataset *d, const char *const *names,
                       int max, const char *out_dir, const char *name, int *shown)
{
    DL_CHECK(e->pred && e->n == d->n && d->rows * d->cols == d->dim && max >= 1,
             "eval_plot_mistakes: needs the predictions of an image set (detail=true, %d "
             "examples of %d x %d = %d values) and max >= 1 (got %d)", d->n, d->rows, d->cols,
             d->dim, max);
    int wrong = 0, n = 0;
    for (int i = 0; i < d->n; i++) wrong += e->pred[i] != d->y[i];
    const int show = wrong < max ? wrong : max;
    if (shown) *shown = show;
    if (show == 0) return 0;
    float *img = dl_malloc((size_t)show * d->dim * sizeof *img, "misclassified images");
    char (*cap)[64] = dl_malloc((size_t)show * sizeof *cap, "captions");
    const char **lab = dl_malloc((size_t)show * sizeof *lab, "captions");
    for (int i = 0; i < d->n && n < show; i++) {
        int t = d->y[i], p = e->pred[i];
        if (p == t) continue;
        memcpy(img + (size_t)n * d->dim, d->x + (size_t)i * d->dim, (size_t)d->dim * sizeof *img);
        if (names) snprintf(cap[n], sizeof cap[n], "%s→%s", names[t], names[p]);
        else snprintf(cap[n], sizeof cap[n], "%d→%d", t, p);
        lab[n] = cap[n];
        n++;
    }
    char title[160];
    snprintf(title, sizeof title, "%d of the %d misclassified %s images (true→predicted)", show,
             wrong, d->name);
    // about twice as wide as high: 36 images in 4 rows of 9
    plot_image_grid(out_dir, name, title, img, show, d->rows, d->cols,
                    (int)ceil(sqrt(2.0 * show)), false, lab);
    free(img);
    free(cap);
    free(lab);
    return wrong;
}

BinaryScores eval_binary(const int *pred, const int *y, int n)
{
    DL_CHECK(n >= 1, "eval_binary: no examples");
    BinaryScores b = {0};
    for (int i = 0; i < n; i++) {
        if (pred[i] && y[i]) b.tp++;
        else if (pred[i]) b.fp++;
        else if (y[i]) b.fn++;
        else b.tn++;
    }
    b.acc_pct = 100.0 * (b.tp + b.tn) / n;
    b.precision = b.tp + b.fp ? (double)b.tp / (b.tp + b.fp) : 0;
    b.recall = b.tp + b.fn ? (double)b.tp / (b.tp + b.fn) : 0;
    b.f1 = b.precision + b.recall > 0 ? 2 * b.precision * b.recall / (b.precision + b.recall) : 0;
    return b;
}

LmEval eval_lm(Model *m, void *net, ForwardFn forward, const int *tokens, size_t n_tokens,
               int B, int T)
{
    TokenBatcher tb;
    char err[300];
    if (!token_batcher_init(&tb, tokens, n_tokens, B, T, err, sizeof err))
        dl_die("eval_lm: %s", err);
    Tape *tp = &m->tp;
    bool was = tp->recording;
    tape_set_recording(tp, false);
    double total = 0;
    long scored = 0;
    Batch b;
    while (tb.src.next(&tb.src, &b) > 0) {
        Tensor *logits = forward(net, tp, &b, false, NULL);
        DL_CHECK(logits->ndim == 2 && logits->shape[0] == B * T,
                 "eval_lm: the model's output is not (B·T = %d, V) logits", B * T);
        total += (double)tensor_item(op_cross_entropy(tp, logits, b.y)) * B * T;
        scored += (long)B * T;
        tape_reset(tp);
    }
    tape_set_recording(tp, was);
    token_batcher_free(&tb);
    LmEval e = {.loss = total / scored, .tokens = scored};
    e.ppl = exp(e.loss);
    e.bits = e.loss / log(2.0);
    return e;
}
