/* common/report/progress.h — a one-line progress bar on stderr. */
#ifndef DL_REPORT_PROGRESS_H
#define DL_REPORT_PROGRESS_H

#include <stdbool.h>

/* One-line progress bar on stderr, redrawn in place; silent when stderr is not a
 * terminal. */
typedef struct Progress {
    const char *label;
    long total, done;
    double t0, last_draw;
    bool tty;
} Progress;
void progress_start(Progress *p, const char *label, long total);
/* Advance to `done`; `note` (may be NULL) is shown after the bar, e.g. "loss 0.231". */
void progress_update(Progress *p, long done, const char *note);
void progress_end(Progress *p);

#endif
