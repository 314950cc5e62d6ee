/* common/report/metrics.h — out/metrics.tsv: every number a run reports, one per line.
 *
 * The file is `key<TAB>value` lines in the order the keys were first set, written atomically.
 * Keys follow one convention (README, "Conventions"): <section>_<quantity>[_<unit>], per epoch
 * <section>_<quantity>_epoch_<n>; accuracy always in percent (_acc_pct), perplexity _ppl,
 * losses in nats unless the key says _bits, times _s or _ms. There is no limit on the number
 * of keys: the table grows as needed.
 */
#ifndef DL_REPORT_METRICS_H
#define DL_REPORT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Metric {
    char key[64];
    double value;
} Metric;

typedef struct Metrics {
    char path[600];       // <out_dir>/metrics.tsv
    Metric *items;        // (n), malloc'ed; grows by doubling
    size_t n, cap;
} Metrics;

/* Metrics that metrics_write() will save to <out_dir>/metrics.tsv. */
void metrics_init(Metrics *m, const char *out_dir);
/* Set key to value (a later set of the same key replaces it, keeping its place). Dies on a
 * key longer than 63 characters or one with white space (it would break the file format). */
void metrics_set(Metrics *m, const char *key, double value);
/* metrics_set with a printf-style key: metrics_setf(m, v, "race_%s_val_acc_pct", name). */
void metrics_setf(Metrics *m, double value, const char *key_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The value of key, or false when it was never set. */
bool metrics_get(const Metrics *m, const char *key, double *value);
/* Write all keys in insertion order, "%s\t%.9g\n", atomically. Returns false on error. */
bool metrics_write(const Metrics *m);
/* Release the table. */
void metrics_free(Metrics *m);
/* Read back a metrics.tsv value (tests, graders); returns false if key or file is missing. */
bool metrics_read(const char *path, const char *key, double *value);

#endif
