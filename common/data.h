/* common/data.h — datasets: MNIST-format IDX files, synthetic 2-D sets, mini-batches.
 *
 * A Dataset is n examples of `dim` floats with integer class labels, in one malloc'ed
 * block owned by the Dataset (dataset_free releases it). Loaders validate everything
 * they read and never die: they return false and write a message that names the file,
 * the problem and the fix into err (e.g. "data/mnist/train-images-idx3-ubyte: file is
 * 1000 bytes, expected 47040016 for 60000 images of 28x28 (truncated download? run:
 * make data)").
 */
#ifndef DL_DATA_H
#define DL_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"

typedef struct Dataset {
    char name[32];        // "mnist", "fashion-mnist", "xor", "spirals", …
    int n;                // examples
    int dim;              // features per example (784 for MNIST)
    int rows, cols;       // image size when the examples are images (28, 28), else (1, dim)
    int n_classes;
    float *x;             // (n, dim), row-major; MNIST pixels scaled to [0, 1]
    int *y;               // (n), labels in [0, n_classes)
} Dataset;

// ---- IDX (LeCun's MNIST format: big-endian header, then unsigned bytes) ----
/* Read an IDX3 image file (magic 2051) and an IDX1 label file (magic 2049) into d.
 * Checks: file opens, magic number, dimensions > 0, file size == header + payload,
 * image and label counts agree, labels < 10. On error returns false with err filled and
 * d left empty (dataset_free on it is harmless). Sets d->name to "idx". */
bool idx_load(const char *images_path, const char *labels_path, Dataset *d, char *err,
              size_t errlen);

/* Load MNIST (or, when only that is present, Fashion-MNIST) from data_dir:
 * looks in <data_dir>/mnist/ then <data_dir>/fashion-mnist/ for the uncompressed files
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte. `train` picks the split. When neither
 * folder has the files, err says so and names the command that gets them (make data). */
bool mnist_load(const char *data_dir, bool train, Dataset *d, char *err, size_t errlen);

/* mnist_load for a named set: dataset "mnist" reads only <data_dir>/mnist/, "fashion" only
 * <data_dir>/fashion-mnist/ (d->name "fashion-mnist"), "" or NULL behaves as mnist_load
 * (the --dataset flag of report.h). Same errors as mnist_load, naming the missing folder. */
bool image_dataset_load(const char *data_dir, const char *dataset, bool train, Dataset *d,
                        char *err, size_t errlen);

// ---- synthetic 2-D sets (dim = 2, deterministic for a given Rng state) ----
void dataset_blobs(Dataset *d, int n, float gap, Rng *r);        // 2 linearly separable Gaussian blobs
void dataset_xor(Dataset *d, int n, float noise, Rng *r);        // 4 clusters at (±1, ±1), label = x·y < 0
void dataset_spirals(Dataset *d, int n, float noise, Rng *r);    // two interleaved spirals
void dataset_moons(Dataset *d, int n, float noise, Rng *r);      // two half-moons (as sklearn's make_moons)

// ---- slicing ----
/* Copy examples [start, start + count) of src into a new dataset. */
void dataset_slice(const Dataset *src, int start, int count, Dataset *out);
/* Keep only the examples whose label is in classes[0..k); relabel classes[i] -> i. */
void dataset_filter_classes(const Dataset *src, const int *classes, int k, Dataset *out);
void dataset_free(Dataset *d);

// ---- class imbalance (chapter 4) ----
/* counts (n_classes): how many examples of each class d holds. */
void dataset_class_counts(const Dataset *d, int *counts);
/* An imbalanced subset: the first counts[c] examples of each class c of src, in their original
 * order (fewer when src has fewer). counts has src->n_classes entries; dies if one is < 0. */
void dataset_subsample_per_class(const Dataset *src, const int *counts, Dataset *out);
/* Draw m indices in [0, n) with replacement, P(i) = weights[i] / Σ weights — torch's
 * WeightedRandomSampler(weights, m, replacement=True). Inverse-CDF sampling: a binary search
 * in the cumulative sums (kept in double). Dies if a weight is negative or not finite, or the
 * sum is 0. Deterministic for a given rng state. */
void sample_weighted(Rng *r, const float *weights, int n, int *out, int m);

// ---- shuffled mini-batches ----
typedef struct Batcher {
    const Dataset *d;
    int batch;            // batch size B
    int *perm;            // (n), a fresh permutation every epoch
    int pos;              // next position in perm
    bool shuffle;
    Rng *rng;
} Batcher;

/* Iterate over d in batches of `batch` (the last one of an epoch may be smaller), in a
 * new random order every epoch when shuffle is true (rng used; not owned). */
void batcher_init(Batcher *b, const Dataset *d, int batch, bool shuffle, Rng *rng);
/* Copy the next batch into x (batch, dim) and y (batch); returns its size, or 0 at the
 * end of the epoch (after which the next call starts a new, reshuffled epoch). */
int batcher_next(Batcher *b, float *x, int *y);
/* Number of batches per epoch: ceil(n / batch). */
int batcher_steps_per_epoch(const Batcher *b);
void batcher_free(Batcher *b);

#endif
