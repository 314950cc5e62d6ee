/* common/base/files.h — folders, atomic writes, and reading a whole file.
 *
 * Every output of the course (metrics.tsv, plots, checkpoints, benchmark tables) is written
 * to "<path>.tmp" and renamed onto <path> when complete, so an interrupted run never leaves a
 * half-written file behind: a reader sees the old file or the new one.
 */
#ifndef DL_BASE_FILES_H
#define DL_BASE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DL_PATH_LEN 1024   // bytes for any path the course builds (out folders are < 512)

/* Copy path into dst[len]; false (dst untouched) when it does not fit. */
bool path_copy(char *dst, size_t len, const char *path);
/* True when path names a folder. */
bool path_is_dir(const char *path);
/* dst = dir/rest (plain "rest" when dir is "."); false when it does not fit in len bytes. */
bool path_join(char *dst, size_t len, const char *dir, const char *rest);
/* mkdir -p; returns false with errno set on failure. */
bool make_dirs(const char *path);
/* Open "<path>.tmp" for writing; finish with atomic_close(), which fcloses, checks for
 * write errors and renames onto path. Both return NULL/false and print why on failure. */
FILE *atomic_open(const char *path);
bool atomic_close(FILE *f, const char *path);
/* Give up on a file from atomic_open(): close it and remove "<path>.tmp"; path is untouched. */
void atomic_abort(FILE *f, const char *path);

/* The whole of the regular file at path in a malloc'ed buffer (*buf, *size bytes; free() it;
 * never NULL on success, also for an empty file). Errors (false, *buf NULL, err filled): a
 * missing file ("<path>: no such file (<missing_hint>)"), one that cannot be opened, is not a
 * regular file, has more than max_bytes ("… more than the <max_bytes> a <what> may have (the wrong
 * file?)"), or fails to read. The loaders of data/ read their files with it. */
bool file_read_all(const char *path, size_t max_bytes, const char *what,
                   const char *missing_hint, char **buf, size_t *size, char *err, size_t errlen);

#endif
