/* common/kernels/ladder.h — one table type for every kernel ladder, and picking a rung by name.
 *
 * A ladder is one kernel's versions side by side, oldest first: v0 the readable reference
 * (never optimised, never deleted), then each rewrite that is faster for a reason its comment
 * names (loop order, cache blocking, SIMD, threads). Every ladder — GEMM (kernels/gemm.h),
 * convolution (kernels/conv.h), the Adam step (kernels/adam.h), and a chapter's own (chapter
 * 1's dot product) — is a KernelLadder of KernelRungs, so the benchmarks, the tests and the
 * command line treat them alike: a rung is found by its name, never by its index.
 *
 * The command line (report/cli.h) has one spelling for picking rungs, --kernel SPEC:
 *   --kernel auto                  every ladder's fastest rung (the default)
 *   --kernel naive                 every ladder's v0: the reference loops everywhere
 *   --kernel gemm=v2_blocked       one ladder's rung by its full name …
 *   --kernel gemm=v3,conv=v1       … or by its version number (the newest rung of that
 *                                  number this CPU can run: gemm=v3 is v3_avx512 or v3_avx2)
 * Items are comma-separated; a later item wins. `--help` lists every ladder and its rungs.
 */
#ifndef DL_KERNELS_LADDER_H
#define DL_KERNELS_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct KernelRung {
    const char *name;            // "v2_blocked": the version number, then what it does
    const void *impl;            // the ladder's own entry points (a GemmImpl, ConvImpl, …)
    bool (*available)(void);     // false when this CPU lacks the instructions; NULL: always
} KernelRung;

typedef struct KernelLadder {
    const char *name;            // "gemm": the word before '=' in --kernel
    const char *what;            // one line for --help, e.g. "C = A·B, every matmul"
    const KernelRung *rungs;     // (n_rungs), oldest first
    int n_rungs;
    const char *auto_rung;       // the name of the rung "auto" picks (the fastest)
    const KernelRung *selected;  // the rung in use; NULL until chosen: the auto rung
} KernelLadder;

/* True when rung r can run on this CPU. */
bool rung_available(const KernelRung *r);

/* The rung called `name` in l: its full name ("v2_blocked"), its version ("v2"; the newest
 * available rung with that number), "naive" (v0) or "auto". NULL when l has no such rung or
 * this CPU cannot run it. */
const KernelRung *ladder_find(const KernelLadder *l, const char *name);

/* Make ladder_find(l, name) the rung in use; false (nothing changed) when there is none. */
bool ladder_select(KernelLadder *l, const char *name);

/* The rung in use. */
const KernelRung *ladder_selected(const KernelLadder *l);

// ---- every ladder of the program ----
/* Add a chapter's own ladder to the ones --kernel knows (gemm, conv and adam are there from
 * the start). Call before cli_parse. Dies when a ladder of the same name is registered. */
void kernels_register(KernelLadder *l);

/* Apply a --kernel SPEC (grammar at the top of this file). Returns false with err filled
 * ("--kernel gemm=v9: gemm has no rung 'v9'; its rungs are v0_naive, …") and nothing changed
 * on a bad spec. */
bool kernels_select(const char *spec, char *err, size_t errlen);

/* One line per registered ladder: "gemm: v0_naive v1_ikj … (in use: v4_threads)" — for
 * --help and the header line chapters print. Rungs this CPU cannot run are marked "(n/a)". */
void kernels_describe(FILE *out);

/* The registered ladder called name, or NULL. */
KernelLadder *kernels_ladder(const char *name);

#endif
