/* common/data/idx.h — LeCun's IDX format (MNIST, Fashion-MNIST): big-endian header, then
 * unsigned bytes.
 *
 * Loaders validate everything they read and never die: they return false and write a message
 * that names the file, the problem and the fix into err (e.g. "data/mnist/train-images-idx3-
 * ubyte: file is 1000 bytes, expected 47040016 for 60000 images of 28x28 (truncated download?
 * run: make data)"). All the checks live in idx_parse(), which works on bytes in memory;
 * idx_load() reads the files and calls it. tests/fuzz/fuzz_idx.c feeds it random bytes.
 */
#ifndef DL_DATA_IDX_H
#define DL_DATA_IDX_H

#include <stdbool.h>
#include <stddef.h>

#include "data/dataset.h"

/* Parse an IDX3 image file (magic 2051) and an IDX1 label file (magic 2049) held in memory,
 * images[0..images_len) and labels[0..labels_len), into d (pixels scaled to [0, 1]).
 * Checks: magic number, dimensions > 0 and within sanity limits, length == header + payload
 * exactly, image and label counts agree, labels < 10. On error returns false with err filled
 * (the two buffers are called "images" and "labels" in it) and d left empty (dataset_free on
 * it is harmless). Sets d->name to "idx". Any bytes at all are safe to pass: this is what the
 * fuzzer (tests/fuzz/fuzz_idx.c) calls. */
bool idx_parse(const unsigned char *images, size_t images_len, const unsigned char *labels,
               size_t labels_len, Dataset *d, char *err, size_t errlen);

/* Read the two files and idx_parse them: the same checks and messages, with the paths in
 * them, plus: the file opens and is a regular file. A file's header is checked against its
 * size before anything is allocated. */
bool idx_load(const char *images_path, const char *labels_path, Dataset *d, char *err,
              size_t errlen);

/* Load MNIST (or, when only that is present, Fashion-MNIST) from data_dir:
 * looks in <data_dir>/mnist/ then <data_dir>/fashion-mnist/ for the uncompressed files
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte. `train` picks the split. When neither
 * folder has the files, err says so and names the command that gets them (make data). */
bool mnist_load(const char *data_dir, bool train, Dataset *d, char *err, size_t errlen);

/* mnist_load for a named set: dataset "mnist" reads only <data_dir>/mnist/, "fashion" only
 * <data_dir>/fashion-mnist/ (d->name "fashion-mnist"), "" or NULL behaves as mnist_load
 * (the --dataset flag of report/cli.h). Same errors as mnist_load, naming the missing folder. */
bool image_dataset_load(const char *data_dir, const char *dataset, bool train, Dataset *d,
                        char *err, size_t errlen);

#endif
