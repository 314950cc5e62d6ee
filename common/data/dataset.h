/* common/data/dataset.h — a labelled dataset in memory, and the ways chapters cut it.
 *
 * A Dataset is n examples of `dim` floats with integer class labels, in one malloc'ed block
 * owned by the Dataset (dataset_free releases it). Loaders (data/idx.h) fill one from a file;
 * data/synthetic.h makes small 2-D ones; data/batch.h cuts one into mini-batches. Token
 * streams for language models (chapters 5–7) are a second kind of data beside this one; the
 * training loop reads both through the same Batch (data/batch.h).
 */
#ifndef DL_DATA_DATASET_H
#define DL_DATA_DATASET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Dataset {
    char name[32];        // "mnist", "fashion-mnist", "xor", "spirals", …
    int n;                // examples
    int dim;              // features per example (784 for MNIST)
    int rows, cols;       // image size when the examples are images (28, 28), else (1, dim)
    int n_classes;
    float *x;             // (n, dim), row-major; MNIST pixels scaled to [0, 1]
    int *y;               // (n), labels in [0, n_classes)
} Dataset;

/* An uninitialised dataset of n examples of dim features (rows 1, cols dim) named `name`;
 * dies with the size asked for when memory runs out. */
void dataset_alloc(Dataset *d, const char *name, int n, int dim, int n_classes);
void dataset_free(Dataset *d);

// ---- slicing ----
/* Copy examples [start, start + count) of src into a new dataset. */
void dataset_slice(const Dataset *src, int start, int count, Dataset *out);
/* The first n_first examples of src into first, and the last n_last into last (a training
 * set and the validation set held out at the end of the file). Dies when they would overlap. */
void dataset_split(const Dataset *src, int n_first, int n_last, Dataset *first, Dataset *last);
/* Keep only the examples whose label is in classes[0..k); relabel classes[i] -> i. */
void dataset_filter_classes(const Dataset *src, const int *classes, int k, Dataset *out);

// ---- class imbalance (chapter 4) ----
/* counts (n_classes): how many examples of each class d holds. */
void dataset_class_counts(const Dataset *d, int *counts);
/* An imbalanced subset: the first counts[c] examples of each class c of src, in their original
 * order (fewer when src has fewer). counts has src->n_classes entries; dies if one is < 0. */
void dataset_subsample_per_class(const Dataset *src, const int *counts, Dataset *out);

#endif
