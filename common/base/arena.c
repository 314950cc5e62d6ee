/* common/base/arena.c — see base/arena.h. */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

void arena_init(Arena *a, const char *name)
{
    a->name = name;
    a->first = a->cur = NULL;
    a->peak = 0;
}

static ArenaBlock *block_new(const Arena *a, size_t min_bytes)
{
    size_t size = min_bytes > DL_ARENA_BLOCK ? round_up(min_bytes, DL_ARENA_ALIGN) : DL_ARENA_BLOCK;
    ArenaBlock *b = malloc(sizeof *b);
    void *data = NULL;
    if (!b || posix_memalign(&data, DL_ARENA_ALIGN, size) != 0) {
        free(b);
        dl_die("out of memory in arena '%s' (asked the OS for %zu bytes)", a->name, size);
    }
    b->next = NULL;
    b->size = size;
    b->used = 0;
    b->data = data;
    return b;
}

// Take `bytes` (rounded up to the alignment) from the arena, contents unspecified.
static void *arena_take(Arena *a, size_t bytes)
{
    if (bytes == 0) bytes = 1;
    if (bytes > SIZE_MAX - DL_ARENA_ALIGN)
        dl_die("out of memory in arena '%s' (asked for %zu bytes)", a->name, bytes);
    size_t need = round_up(bytes, DL_ARENA_ALIGN);
    // Find room in the current block or one after it (kept from before the last reset).
    while (a->cur && a->cur->used + need > a->cur->size) {
        if (!a->cur->next) break;
        a->cur = a->cur->next;
        a->cur->used = 0;
    }
    if (!a->cur || a->cur->used + need > a->cur->size) {
        ArenaBlock *b = block_new(a, need);
        if (!a->first) {
            a->first = b;
        } else {
            // Insert after cur so the blocks already past it stay reachable.
            b->next = a->cur->next;
            a->cur->next = b;
        }
        a->cur = b;
    }
    void *p = a->cur->data + a->cur->used;
    a->cur->used += need;
    size_t used = arena_used(a);
    if (used > a->peak) a->peak = used;
    return p;
}

void *arena_alloc(Arena *a, size_t bytes)
{
    void *p = arena_take(a, bytes);
    memset(p, 0, bytes);
    return p;
}

void *arena_alloc_uninit(Arena *a, size_t bytes)
{
    void *p = arena_take(a, bytes);
#ifdef DL_POISON_UNINIT
    // Sanitizer builds (make SANITIZE=1 defines DL_POISON_UNINIT) fill with 0xFF bytes (a float NaN) so that code which wrongly relies
    // on zeroed memory fails the tests instead of passing by luck.
    memset(p, 0xFF, bytes);
#endif
    return p;
}

void arena_reset(Arena *a)
{
    for (ArenaBlock *b = a->first; b; b = b->next) b->used = 0;
    a->cur = a->first;
}

size_t arena_used(const Arena *a)
{
    size_t n = 0;
    for (ArenaBlock *b = a->first; b; b = b->next) {
        n += b->used;
        if (b == a->cur) break;
    }
    return n;
}

void arena_free(Arena *a)
{
    ArenaBlock *b = a->first;
    while (b) {
        ArenaBlock *next = b->next;
        free(b->data);
        free(b);
        b = next;
    }
    a->first = a->cur = NULL;
}
