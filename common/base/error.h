/* common/base/error.h — one way to fail: a message that names the problem and the fix.
 *
 * Library code that meets bad input it cannot recover from (a shape mismatch, a NaN loss,
 * an unknown flag) calls dl_die(), which prints "error: <message>" on stderr and exits
 * with status DL_EXIT_ERROR. Code that can recover (file loaders) returns an error
 * message instead, so the caller decides; see data/idx.h.
 */
#ifndef DL_ERROR_H
#define DL_ERROR_H

#include <stddef.h>

#define DL_EXIT_ERROR 1   // bad input, bad data, numerical failure
#define DL_EXIT_USAGE 2   // bad command line

/* Print "error: " + the formatted message + newline on stderr, then exit(DL_EXIT_ERROR). */
_Noreturn void dl_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same, with a chosen exit status. */
_Noreturn void dl_die_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* malloc(bytes) (at least 1 byte), or dl_die() with "out of memory: <bytes> bytes for <what>":
 * for set-up code (datasets, batchers, logs), never inside a training step. */
void *dl_malloc(size_t bytes, const char *what);

/* dl_die() unless `cond` holds; the message should say what was expected. */
#define DL_CHECK(cond, ...) do { if (!(cond)) dl_die(__VA_ARGS__); } while (0)

#endif
