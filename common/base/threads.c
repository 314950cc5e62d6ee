/* common/base/threads.c — see base/threads.h.
 *
 * The pool: threads_get() - 1 worker threads plus the caller. parallel_for publishes a job
 * (fn, ctx, n) and bumps a generation counter; worker t (1 .. T-1) runs the indices
 * [n·t/T, n·(t+1)/T), the caller runs the first range itself, then waits until every worker
 * has checked in. Waiting is a short spin (the next job often follows within microseconds,
 * e.g. one GEMM per layer) and then a condition-variable sleep, so an idle pool burns no CPU.
 *
 * Safety nets: a parallel_for made from inside a job (nested) or while another thread is
 * inside one runs as a plain loop in its caller; a fork()ed child (Check runs each test in
 * one) starts with an empty pool and builds its own on first use.
 */
#include "base/threads.h"

#include "base/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64
#define SPIN_ITERS 2000   // polls before sleeping: ~10 µs; ~130 µs on Skylake+ (slow PAUSE)

typedef struct Pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;    // workers sleep here waiting for a new generation
    pthread_cond_t done_cv;    // the caller sleeps here waiting for pending == 0
    pthread_t tid[MAX_THREADS];
    int nworkers;              // threads started (the caller is not counted)
    bool running;
    atomic_uint generation;    // bumped once per job (release); workers acquire it
    atomic_int pending;        // workers that have not finished the current job
    atomic_bool quit;
    unsigned start_gen;        // generation when the workers were started
    // the current job, written before `generation` is bumped
    ParallelFn fn;
    void *ctx;
    int n, nthreads;
} Pool;

static Pool pool = {.mu = PTHREAD_MUTEX_INITIALIZER,
                    .work_cv = PTHREAD_COND_INITIALIZER,
                    .done_cv = PTHREAD_COND_INITIALIZER};
static int n_threads = 1;                     // what threads_set asked for
static atomic_flag busy = ATOMIC_FLAG_INIT;   // a parallel_for is in flight
static _Thread_local bool in_job;             // this thread is running a job's fn

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Indices of thread t out of T: the static schedule [n·t/T, n·(t+1)/T).
static void run_range(ParallelFn fn, void *ctx, int n, int t, int T)
{
    int lo = (int)((long long)n * t / T), hi = (int)((long long)n * (t + 1) / T);
    in_job = true;
    for (int i = lo; i < hi; i++) fn(ctx, i);
    in_job = false;
}

static void *worker_main(void *arg)
{
    int t = (int)(intptr_t)arg;   // 1 .. nworkers
    unsigned seen = pool.start_gen;   // not a fresh load: the first job may already be out
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen &&
               !atomic_load(&pool.quit) && spins < SPIN_ITERS) {
            cpu_relax();
            spins++;
        }
        if (g == seen && !atomic_load(&pool.quit)) {
            pthread_mutex_lock(&pool.mu);
            while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen &&
                   !atomic_load(&pool.quit))
                pthread_cond_wait(&pool.work_cv, &pool.mu);
            pthread_mutex_unlock(&pool.mu);
        }
        if (atomic_load(&pool.quit)) return NULL;
        seen = g;
        if (t < pool.nthreads) run_range(pool.fn, pool.ctx, pool.n, t, pool.nthreads);
        if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool.mu);   // the caller may be asleep: wake it
            pthread_cond_signal(&pool.done_cv);
            pthread_mutex_unlock(&pool.mu);
        }
    }
}

// In a fork()ed child only the forking thread exists: forget the parent's workers.
static void after_fork_child(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.work_cv, NULL);
    pthread_cond_init(&pool.done_cv, NULL);
    pool.nworkers = 0;
    pool.running = false;
    atomic_store(&pool.quit, false);
    atomic_store(&pool.pending, 0);
    atomic_flag_clear(&busy);
}

static void pool_start(int nworkers)
{
    static bool registered = false;
    if (!registered) {
        atexit(threads_shutdown);
        pthread_atfork(NULL, NULL, after_fork_child);
        registered = true;
    }
    atomic_store(&pool.quit, false);
    pool.start_gen = atomic_load(&pool.generation);
    pool.nworkers = 0;
    for (int t = 1; t <= nworkers; t++) {
        int rc = pthread_create(&pool.tid[t], NULL, worker_main, (void *)(intptr_t)t);
        if (rc != 0)
            dl_die("could not start thread %d of %d (%s); run with fewer threads "
                   "(--threads %d)", t + 1, nworkers + 1, strerror(rc), t);
        pool.nworkers = t;
    }
    pool.running = true;
}

void threads_shutdown(void)
{
    if (!pool.running) return;
    pthread_mutex_lock(&pool.mu);
    atomic_store(&pool.quit, true);
    pthread_cond_broadcast(&pool.work_cv);
    pthread_mutex_unlock(&pool.mu);
    for (int t = 1; t <= pool.nworkers; t++) pthread_join(pool.tid[t], NULL);
    pool.nworkers = 0;
    pool.running = false;
}

void threads_set(int n)
{
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    if (n == n_threads) return;
    // The pool is (re)built lazily by the next parallel_for with the new size.
    if (pool.running && pool.nworkers != n - 1) threads_shutdown();
    n_threads = n;
}

int threads_get(void) { return n_threads; }

void parallel_for(int n, ParallelFn fn, void *ctx)
{
    if (n <= 0) return;
    int T = n_threads < n ? n_threads : n;   // never more threads than indices
    // Plain loop: one thread, one index, a nested call, or another thread's job in flight.
    if (T == 1 || in_job || atomic_flag_test_and_set(&busy)) {
        bool was = in_job;
        in_job = true;
        for (int i = 0; i < n; i++) fn(ctx, i);
        in_job = was;
        return;
    }
    if (!pool.running) pool_start(n_threads - 1);

    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.nthreads = T;
    atomic_store_explicit(&pool.pending, pool.nworkers, memory_order_relaxed);
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.work_cv);
    pthread_mutex_unlock(&pool.mu);

    run_range(fn, ctx, n, 0, T);

    for (int spins = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) != 0 &&
                        spins < SPIN_ITERS; spins++)
        cpu_relax();
    if (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0)
            pthread_cond_wait(&pool.done_cv, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
    atomic_flag_clear(&busy);
}

// ---- zeroing big buffers ----
typedef struct ZeroJob {
    float *p;
    size_t n, chunk;
} ZeroJob;

static void zero_task(void *ctx, int i)
{
    const ZeroJob *j = ctx;
    size_t lo = (size_t)i * j->chunk, hi = lo + j->chunk < j->n ? lo + j->chunk : j->n;
    if (lo < hi) memset(j->p + lo, 0, (hi - lo) * sizeof(float));
}

void parallel_zero(float *p, size_t n)
{
    const size_t min = (size_t)1 << 18;   // 1 MiB: below it one thread is as fast
    if (n_threads < 2 || n < min) {
        if (n) memset(p, 0, n * sizeof *p);
        return;
    }
    size_t chunk = ((n + (size_t)n_threads - 1) / (size_t)n_threads + 15) / 16 * 16;
    ZeroJob j = {p, n, chunk};
    parallel_for((int)((n + chunk - 1) / chunk), zero_task, &j);
}
