/* common/data/idx.h — LeCun's IDX format (MNIST, Fashion-MNIST): big-endian header, then
 * unsigned bytes.
 *
 * Loaders validate everything they read and never die: they return false and write a message
 * that names the file, the problem and the fix into err (e.g. "data/mnist/train-images-idx3-
 * ubyte: file is 1000 bytes, expected 47040016 for 60000 images of 28x28 (truncated download?
 * run: make data)"). tests/fuzz/fuzz_idx.c feeds them random bytes.
 */
#ifndef DL_DATA_IDX_H
#define DL_DATA_IDX_H

#include <stdbool.h>
#include <stddef.h>

#include "data/dataset.h"

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
 * (the --dataset flag of report/cli.h). Same errors as mnist_load, naming the missing folder. */
bool image_dataset_load(const char *data_dir, const char *dataset, bool train, Dataset *d,
                        char *err, size_t errlen);

#endif
