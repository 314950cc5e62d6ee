/* common/base/clock.h — wall-clock time for timings and progress bars. */
#ifndef DL_BASE_CLOCK_H
#define DL_BASE_CLOCK_H

/* Seconds from a monotonic clock (CLOCK_MONOTONIC): only differences mean anything. */
double now_seconds(void);

#endif
