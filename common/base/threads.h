/* common/base/threads.h — a small persistent pthread pool for data-parallel loops.
 *
 * parallel_for(n, fn, ctx) calls fn(ctx, i) for every i in [0, n), spreading the i over
 * the pool's threads with a static schedule (thread t gets a fixed contiguous range), so
 * the assignment — and therefore every result — depends only on n and the thread count,
 * never on timing. With 1 thread (the default) it is a plain loop in the caller.
 */
#ifndef DL_THREADS_H
#define DL_THREADS_H

#include <stddef.h>

typedef void (*ParallelFn)(void *ctx, int i);

/* Use n threads (the caller counts as one; clamped to [1, 64]). Idempotent. */
void threads_set(int n);
int threads_get(void);

/* Run fn(ctx, i) for i in [0, n) and return when all are done. Not reentrant: fn must not
 * call parallel_for. */
void parallel_for(int n, ParallelFn fn, void *ctx);

/* Set n floats at p to zero, split among the threads when there are more than 2^18 (a big
 * gradient buffer: one core alone cannot always saturate the memory bus). */
void parallel_zero(float *p, size_t n);

/* Join and free the pool's threads (called automatically at exit). */
void threads_shutdown(void);

#endif
