/* common/base/arena.h — bump allocators for tensors, graph nodes and temporaries.
 *
 * A run uses two arenas (see ARCHITECTURE in README.md):
 *   params — parameters, their gradients and optimizer state; lives for the run;
 *   step   — activations, tape nodes and scratch; arena_reset() after every optimizer step.
 * Nothing in a training loop calls malloc, so a per-step leak is impossible by construction.
 * An arena is a chain of blocks: when the current block is full a new one is malloc'ed
 * (at least DL_ARENA_BLOCK bytes); arena_reset() rewinds to the first block and keeps the
 * others for reuse, so after the first step the training loop allocates nothing from the OS.
 */
#ifndef DL_ARENA_H
#define DL_ARENA_H

#include <stddef.h>

#define DL_ARENA_ALIGN 64              // cache line; also enough for AVX-512 loads
#define DL_ARENA_BLOCK ((size_t)1 << 22) // 4 MiB: default block size

typedef struct ArenaBlock {
    struct ArenaBlock *next;
    size_t size, used;
    char *data;                        // DL_ARENA_ALIGN-aligned
} ArenaBlock;

typedef struct Arena {
    const char *name;                  // "params" or "step": used in error messages
    ArenaBlock *first, *cur;
    size_t peak;                       // high-water mark in bytes, for reports
} Arena;

/* Make an empty arena; no memory is taken until the first alloc. */
void arena_init(Arena *a, const char *name);

/* `bytes` of zeroed memory aligned to DL_ARENA_ALIGN. On allocation failure prints
 * "error: out of memory in arena '<name>' (asked for N bytes)" and exits with status 1. */
void *arena_alloc(Arena *a, size_t bytes);

/* As arena_alloc, but the memory is NOT zeroed: for buffers the caller overwrites in full
 * (kernel workspaces, index arrays), where zeroing megabytes every step would cost time.
 * Sanitizer builds fill it with 0xFF bytes (NaN as floats) to catch reads before writes. */
void *arena_alloc_uninit(Arena *a, size_t bytes);

/* Forget every allocation (memory is kept for reuse). */
void arena_reset(Arena *a);

/* Bytes handed out since the last reset. */
size_t arena_used(const Arena *a);

/* Return all blocks to the OS. */
void arena_free(Arena *a);

#endif
