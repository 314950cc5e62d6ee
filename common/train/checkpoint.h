/* common/train/checkpoint.h — one binary file format for every model's training state.
 *
 * A checkpoint holds everything a training run needs to continue exactly where it stopped:
 * the parameters, the buffers (BatchNorm running statistics), the optimizer's state, the step
 * and epoch, the random generator, the data source's position and the history so far
 * (train/loop.c writes and reads them). The file, all integers little-endian:
 *
 *   magic    8 bytes   "DLCKPT\r\n" (the \r\n catches a text-mode copy, as PNG's does)
 *   version  u32       DL_CKPT_VERSION
 *   model    u16 length + bytes: the model's name ("04_cnn/digitcnn")
 *   records  u32 count, then per record, in the order written:
 *            name (u16 length + bytes), dtype u8 (DL_CKPT_F32 …), ndim u8 (0 … 4),
 *            shape (ndim × u32), then the values (count × element size)
 *   checksum u32       CRC-32 (IEEE 802.3, as zlib and PNG) of every byte before it
 *
 * Records come in the order: parameters by name with their shapes ("fc1.linear.w"), buffers
 * ("bn1.batchnorm.running_mean"), optimizer state ("optim.m.<i>", "optim.v.<i>", "optim.t"),
 * then "train.*" (step, epoch, the history, the best snapshot), "rng.*" and "data.state".
 * Files are written atomically (base/files.h). The reader checks everything: a file that is
 * truncated, corrupt (checksum), of another format version or of another model is refused with
 * a message that names the file and the problem; the caller checks names, types and shapes of
 * the records it reads (checkpoint_get). tests/fuzz/fuzz_checkpoint.c feeds the parser random
 * bytes.
 */
#ifndef DL_TRAIN_CHECKPOINT_H
#define DL_TRAIN_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DL_CKPT_VERSION 1
#define DL_CKPT_NAME 96          // bytes of a record or model name, with its terminating 0
#define DL_CKPT_MAX_DIMS 4

typedef enum { DL_CKPT_F32 = 1, DL_CKPT_I32 = 2, DL_CKPT_F64 = 3, DL_CKPT_U64 = 4 } CkptType;

// ---- writing ----
typedef struct CkptWriter {
    uint8_t *buf;                // the file being built, in memory
    size_t len, cap;
    uint32_t n_records;
    size_t count_at;             // where the record count goes
} CkptWriter;

/* Start a checkpoint of the model called `model`. */
void ckpt_writer_init(CkptWriter *w, const char *model);
/* Append a record of count values of `type` (ndim 0 … 4 dimensions whose product is count;
 * ndim 0 is a scalar). Dies on a bad name or shape. */
void ckpt_put(CkptWriter *w, const char *name, CkptType type, const void *values, int ndim,
              const int *shape);
/* Shorthands: a 1-D array of n floats / ints / doubles / u64s, and one value. */
void ckpt_put_f32(CkptWriter *w, const char *name, const float *x, size_t n);
void ckpt_put_i32(CkptWriter *w, const char *name, const int *x, size_t n);
void ckpt_put_f64(CkptWriter *w, const char *name, const double *x, size_t n);
void ckpt_put_u64(CkptWriter *w, const char *name, uint64_t v);
/* Add the checksum and write the file atomically to path; false with err filled on failure.
 * Frees the writer either way. */
bool ckpt_writer_save(CkptWriter *w, const char *path, char *err, size_t errlen);

// ---- reading ----
typedef struct CkptRecord {
    char name[DL_CKPT_NAME];
    CkptType type;
    int ndim;
    int shape[DL_CKPT_MAX_DIMS];
    size_t count;                // product of the shape
    const uint8_t *data;         // count little-endian values, inside Checkpoint.buf
} CkptRecord;

typedef struct Checkpoint {
    char path[512];              // for messages
    char model[DL_CKPT_NAME];
    uint32_t version;
    uint8_t *buf;                // the whole file (owned)
    size_t len;
    CkptRecord *records;         // (n_records), owned
    int n_records;
} Checkpoint;

/* Parse a checkpoint from memory (a copy of buf is kept). Checks the magic, the version, the
 * structure of every record and the checksum; false with err naming `path` and the problem.
 * Never reads outside buf, whatever its contents. */
bool checkpoint_parse(const uint8_t *buf, size_t len, const char *path, Checkpoint *c,
                      char *err, size_t errlen);
/* Read and parse the file at path (same checks); false with err on any problem. */
bool checkpoint_read(const char *path, Checkpoint *c, char *err, size_t errlen);
void checkpoint_free(Checkpoint *c);

/* The record called name, or NULL. */
const CkptRecord *checkpoint_find(const Checkpoint *c, const char *name);
/* Copy record `name` into dst, which has room for exactly `count` values of `type`: false
 * with err ("<file>: record 'fc1.linear.w' has 8192 values, the model has 4096") when it is
 * missing, of another type or of another size. */
bool checkpoint_get(const Checkpoint *c, const char *name, CkptType type, void *dst,
                    size_t count, char *err, size_t errlen);

/* CRC-32 (IEEE 802.3 polynomial, reflected, as zlib's crc32()) of n bytes, continuing from
 * crc (start with 0). */
uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n);

#endif
