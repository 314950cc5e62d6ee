/* 07_transformer/exercises/driver.c — runs one chapter 7 exercise on fixed inputs.
 * The grader builds it once per exercise, with the student's file:
 *   cc <flags> -Icommon -Iscripts -I07_transformer/exercises -DEX_CHAPTER_DIR='"<abs path>"' \
 *      -DEXERCISE_ex1_attention 07_transformer/exercises/driver.c <your ex1_attention.c> libdl.a -lm
 * and compares what it reports (ex_put, scripts/grader.h) with expected/ex1_attention.txt.
 * Besides the values themselves, each exercise reports how far they are from an independent
 * reference, which must come out near 0 (the same tolerance applies): PyTorch's attention
 * (ex1, ex2), numpy's positional table (ex3) and minbpe's merge (ex4), all in
 * expected/references.txt, written by scripts/gen_fixtures_ex07.py and read here from
 * EX_CHAPTER_DIR.
 * Outputs that must be written start as NaN, so a forgotten one shows up as "produced NaN".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grader.h"
#include "exercises.h"

#ifndef EX_CHAPTER_DIR
#define EX_CHAPTER_DIR "07_transformer"   // run by hand from the repository root
#endif

#define EX_FIXTURE_SCRIPT "scripts/gen_fixtures_ex07.py"
#include "driver_fixture.h"

#if defined(EXERCISE_ex1_attention) || defined(EXERCISE_ex2_causal_mask)
// Four cases (T × d = 4×3, 7×8, 12×16 with scores beyond ±100, and a single position 1×5).
// Reported: P and out, and <case>_P_maxdiff_torch, <case>_out_maxdiff_torch = the largest
// |yours − PyTorch's float64| (~0).
static void run(void)
{
#if defined(EXERCISE_ex1_attention)
    const char *pn = "P.f64", *on = "out.f64";
#else
    const char *pn = "Pc.f64", *on = "outc.f64";
#endif
    Fixture fx = fixture_load();
    static const char *const cases[] = {"attn_a", "attn_b", "attn_c", "attn_d"};
    char name[48];
    for (int c = 0; c < 4; c++) {
        const char *p = cases[c];
        const double *cfg = fixture_get(&fx, p, "cfg", 2);
        int T = (int)cfg[0], d = (int)cfg[1];
        size_t nq = (size_t)T * d, np = (size_t)T * T;
        float *q = floats_of(fixture_get(&fx, p, "q", nq), nq);
        float *k = floats_of(fixture_get(&fx, p, "k", nq), nq);
        float *v = floats_of(fixture_get(&fx, p, "v", nq), nq);
        float *P = alloc_floats(np, NAN), *out = alloc_floats(nq, NAN);
#if defined(EXERCISE_ex1_attention)
        ex_attention(q, k, v, T, d, P, out);
#else
        ex_causal_attention(q, k, v, T, d, P, out);
#endif
        snprintf(name, sizeof name, "%s_P", p);
        ex_put_array(name, P, (int)np);
        snprintf(name, sizeof name, "%s_out", p);
        ex_put_array(name, out, (int)nq);
        snprintf(name, sizeof name, "%s_P_maxdiff_torch", p);
        ex_put(name, 0, max_abs_diff(P, fixture_get(&fx, p, pn, np), np));
        snprintf(name, sizeof name, "%s_out_maxdiff_torch", p);
        ex_put(name, 0, max_abs_diff(out, fixture_get(&fx, p, on, nq), nq));
        free(q); free(k); free(v); free(P); free(out);
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex3_positional_encoding)
// Four tables (T × d = 8×6, 50×16, 20×7 with an odd width, 3×1). Reported: every value and
// <case>_maxdiff_numpy (~0).
static void run(void)
{
    Fixture fx = fixture_load();
    static const char *const cases[] = {"pe_a", "pe_b", "pe_c", "pe_d"};
    char name[48];
    for (int c = 0; c < 4; c++) {
        const char *p = cases[c];
        const double *cfg = fixture_get(&fx, p, "cfg", 2);
        int T = (int)cfg[0], d = (int)cfg[1];
        size_t n = (size_t)T * d;
        float *pe = alloc_floats(n, NAN);
        ex_positional_encoding(T, d, pe);
        snprintf(name, sizeof name, "%s_pe", p);
        ex_put_array(name, pe, (int)n);
        snprintf(name, sizeof name, "%s_maxdiff_numpy", p);
        ex_put(name, 0, max_abs_diff(pe, fixture_get(&fx, p, "pe.f64", n), n));
        free(pe);
    }
    fixture_free(&fx);
}

#elif defined(EXERCISE_ex4_bpe_merge)
// Seven sequences ("aaabdaaabac", ties, runs like 5 5 5 5 5 where occurrences overlap, two ids,
// 200 random ids). Reported: the pair, the new length and ids, and <case>_wrong_minbpe = how
// many of those differ from minbpe's (0).
static void run(void)
{
    Fixture fx = fixture_load();
    char name[48];
    for (int c = 0; c < 7; c++) {
        char p[16];
        snprintf(p, sizeof p, "bpe_%d", c);
        const double *cfg = fixture_get(&fx, p, "cfg", 2);
        int n = (int)cfg[0], new_id = (int)cfg[1];
        const double *in = fixture_get(&fx, p, "ids", (size_t)n);
        const double *want_pair = fixture_get(&fx, p, "pair", 2);
        const Block *wb = fixture_block(&fx, p, "out", 0);
        int *ids = malloc(sizeof(int) * (size_t)n);
        if (!ids) { fprintf(stderr, "driver: out of memory\n"); exit(1); }
        for (int i = 0; i < n; i++) ids[i] = (int)in[i];
        int pair[2] = {-1, -1};
        int m = ex_bpe_merge(ids, n, new_id, pair);
        double wrong = (pair[0] != (int)want_pair[0]) + (pair[1] != (int)want_pair[1]);
        if (m < 0 || m > n || (size_t)m != wb->n) wrong += 1000 + fabs((double)m - (double)wb->n);
        else
            for (int i = 0; i < m; i++) wrong += ids[i] != (int)wb->v[i];
        snprintf(name, sizeof name, "%s_pair", p);
        ex_put(name, 0, pair[0]);
        ex_put(name, 1, pair[1]);
        snprintf(name, sizeof name, "%s_len", p);
        ex_put(name, 0, m);
        snprintf(name, sizeof name, "%s_ids", p);
        for (int i = 0; i < m && i < n; i++) ex_put(name, i, ids[i]);
        snprintf(name, sizeof name, "%s_wrong_minbpe", p);
        ex_put(name, 0, wrong);
        free(ids);
    }
    fixture_free(&fx);
}

#else
#error "build with -DEXERCISE_<name> (the grader does: make grade)"
#endif

int main(void)
{
    run();
    ex_end();
    return 0;
}
