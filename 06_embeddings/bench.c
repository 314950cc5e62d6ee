/* 06_embeddings/bench.c — the skip-gram kernel ladder timed (section 4 of the run) and --bench:
 * our skip-gram beside gensim's Word2Vec and fastText's, same corpus, same settings.
 *
 * Words/s everywhere = raw corpus words (every word of the text, kept by min-count or not) ×
 * epochs / training seconds, the building of the vocabulary excluded: gensim's model.train() is
 * timed inside scripts/bench_gensim_w2v.py; fastText's CLI is timed from outside, so its figure
 * also contains reading the corpus and building its dictionary (under a second here) — it is the
 * peer's lower bound. Accuracy = our 3CosAdd (evaluate.h) on every side's vectors, each saved in
 * word2vec's text format, restricted to the 30,000 most frequent words.
 */
#include "bench.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "report/cli.h"
#include "report/metrics.h"

#include "evaluate.h"

// ---- section 4: the ladder on a prefix ----
void w2v_ladder_section(Chapter *ch, const W2vCorpus *c)
{
    chapter_section("4. The skip-gram kernel: v0 scalar → v1 SIMD → v2 σ table + alias → "
                    "v3 Hogwild");
    double terr = w2v_sigmoid_table_max_error();
    printf("σ from word2vec.c's table (%d entries over ±%d): max |error| %.5f vs the exact "
           "1/(1+e^-x); SIMD: %s\n", W2V_EXP_TABLE_SIZE, W2V_MAX_EXP, terr, w2v_simd_isa());
    metrics_set(&ch->metrics, "w2v_sigmoid_table_max_err", terr);
    size_t n = ch->cli.quick ? 20000 : 200000;
    if (n > c->n) n = c->n;
    printf("one epoch of skip-gram (D 100, window 5, 5 negatives, sample 1e-4) on the first %zu "
           "words:\n  %-16s %7s %8s %12s %8s %9s\n", n, "rung", "threads", "seconds", "words/s",
           "speed-up", "loss");
    double v0_wps = 0;
    for (int k = 0; k < W2V_LADDER.n_rungs; k++) {
        const KernelRung *r = &W2V_LADDER.rungs[k];
        if (!rung_available(r)) continue;
        W2vConfig cfg = w2v_config_default(W2V_SKIPGRAM);
        cfg.epochs = 1;
        cfg.seed = ch->cli.seed;
        cfg.rung = r;
        cfg.threads = threads_get();
        WordVectors wv;
        W2vStats st;
        char err[512];
        if (!w2v_train(&c->vocab, c->ids, n, &cfg, &wv, &st, err, sizeof err)) {
            fprintf(stderr, "error: %s\n", err);
            exit(1);
        }
        if (k == 0) v0_wps = st.words_per_s;
        printf("  %-16s %7d %8.2f %12.0f %7.1fx %9.4f\n", r->name, st.threads, st.seconds,
               st.words_per_s, v0_wps > 0 ? st.words_per_s / v0_wps : 0, st.loss[0]);
        metrics_setf(&ch->metrics, st.words_per_s, "w2v_rung_%s_words_per_s", r->name);
        wordvec_free(&wv);
    }
    printf("  (v0 and v1 draw negatives from word2vec.c's 1e8-entry unigram table, 400 MB; v2 "
           "and v3 from an alias table of %d entries)\n", c->vocab.V);
}

// ---- peers ----
// The folder holding scripts/, found from the program's path as bench/peer.c does.
static bool scripts_dir(const char *argv0, char *dir, size_t len)
{
    char exe[1024];
    snprintf(exe, sizeof exe, "%s", argv0);
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    else snprintf(exe, sizeof exe, ".");
    static const char *const UP[3] = {"/..", "/../..", "/../../.."};
    for (int i = 0; i < 3; i++) {
        char cand[1200];
        snprintf(cand, sizeof cand, "%s%s/scripts/bench_gensim_w2v.py", exe, UP[i]);
        if (access(cand, R_OK) == 0) {
            snprintf(dir, len, "%s%s/scripts", exe, UP[i]);
            return true;
        }
    }
    return false;
}

// Run cmd (stderr merged), return its output (malloc'ed) and exit status.
static char *run_capture(const char *cmd, int *status)
{
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) { *status = -1; return NULL; }
    size_t cap = 4096, n = 0;
    char *out = dl_malloc(cap, "peer output");
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            char *t = realloc(out, cap);
            if (!t) dl_die("bench: out of memory for a peer's output");
            out = t;
        }
    }
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

// The number after "key " in out, or NAN.
static double find_value(const char *out, const char *key)
{
    const char *hit = out ? strstr(out, key) : NULL;
    return hit ? strtod(hit + strlen(key), NULL) : NAN;
}

// The last line of out without the progress noise, for a notice.
static void last_line(const char *out, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!out) return;
    const char *end = out + strlen(out);
    while (end > out && (end[-1] == '\n' || end[-1] == '\r')) end--;
    const char *start = end;
    while (start > out && start[-1] != '\n' && start[-1] != '\r') start--;
    snprintf(buf, len, "%.*s", (int)(end - start), start);
}

typedef struct BenchRow {
    char who[64];
    int threads;
    double seconds, words_per_s, acc, sem, syn;
} BenchRow;

static void score(BenchRow *r, const WordVectors *wv, const WordEval *ev)
{
    r->acc = r->sem = r->syn = NAN;
    if (!ev || ev->analogy.n == 0) return;
    AnalogyResult a = analogy_accuracy(wv, &ev->analogy, ANALOGY_RESTRICT, NULL);
    r->acc = a.acc_pct;
    r->sem = a.sem_acc_pct;
    r->syn = a.syn_acc_pct;
}

static void score_file(BenchRow *r, const char *path, const WordEval *ev)
{
    WordVectors wv;
    char err[512];
    r->acc = r->sem = r->syn = NAN;
    if (!wordvec_load_text(path, &wv, err, sizeof err)) {
        printf("  (could not score %s: %s)\n", r->who, err);
        return;
    }
    score(r, &wv, ev);
    wordvec_free(&wv);
}

static void print_row(const BenchRow *r, double ref_wps)
{
    char ratio[32] = "        -";
    if (ref_wps > 0) snprintf(ratio, sizeof ratio, "%8.2fx", r->words_per_s / ref_wps);
    printf("  %-34s %7d %8.1f %12.0f %s %8.2f%% %8.2f%% %8.2f%%\n", r->who, r->threads,
           r->seconds, r->words_per_s, ratio, r->acc, r->sem, r->syn);
}

static bool ours(Chapter *ch, const W2vCorpus *c, W2vArch arch, int threads, int epochs,
                 const WordEval *ev, BenchRow *row)
{
    W2vConfig cfg = w2v_config_default(arch);
    cfg.epochs = epochs;
    cfg.seed = ch->cli.seed;
    cfg.threads = threads;
    cfg.rung = ladder_find(&W2V_LADDER, "v3_hogwild");
    WordVectors wv;
    W2vStats st;
    char err[512];
    if (!w2v_train(&c->vocab, c->ids, c->n, &cfg, &wv, &st, err, sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        return false;
    }
    snprintf(row->who, sizeof row->who, "ours %s v3_hogwild",
             arch == W2V_FASTTEXT ? "FastText" : "skip-gram");
    row->threads = st.threads;
    row->seconds = st.seconds;
    row->words_per_s = (double)c->raw_words * epochs / st.seconds;
    score(row, &wv, ev);
    wordvec_free(&wv);
    return true;
}

static bool gensim(const char *scripts, const W2vCorpus *c, int threads, int epochs,
                   const char *vec, const WordEval *ev, BenchRow *row)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/bench_gensim_w2v.py' --threads %d --corpus "
             "'%s' --epochs %d --arch sg --save '%s' 2>&1", scripts, threads, c->path, epochs,
             vec);
    int status;
    char *out = run_capture(cmd, &status);
    double wps = find_value(out, "gensim_words_per_s "), secs = find_value(out, "gensim_seconds ");
    if (status != 0 || !(wps > 0)) {
        char why[512];
        last_line(out, why, sizeof why);
        printf("  gensim skipped: %s (exit status %d)\n", why[0] ? why : "no output", status);
        free(out);
        return false;
    }
    free(out);
    snprintf(row->who, sizeof row->who, "gensim %s skip-gram", "4.x");
    row->threads = threads;
    row->seconds = secs;
    row->words_per_s = wps;
    score_file(row, vec, ev);
    return true;
}

// fastText's CLI; subwords: minn 3, maxn 6 (its defaults) or none (-maxn 0).
static bool fasttext(const W2vCorpus *c, int threads, int epochs, bool subwords,
                     const char *prefix, const WordEval *ev, BenchRow *row)
{
    if (access("/usr/bin/fasttext", X_OK) != 0) {
        printf("  fastText skipped: /usr/bin/fasttext not installed (apt install fasttext)\n");
        return false;
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/fasttext skipgram -input '%s' -output '%s' -dim 100 -ws 5 "
             "-neg 5 -t 1e-4 -minCount 5 -epoch %d -thread %d -lr %s %s -verbose 1 2>&1",
             c->path, prefix, epochs, threads, subwords ? "0.05" : "0.025",
             subwords ? "-minn 3 -maxn 6" : "-maxn 0");
    double t0 = now_seconds();
    int status;
    char *out = run_capture(cmd, &status);
    double secs = now_seconds() - t0;
    if (status != 0) {
        char why[512];
        last_line(out, why, sizeof why);
        printf("  fastText skipped: %s (exit status %d)\n", why, status);
        free(out);
        return false;
    }
    free(out);
    snprintf(row->who, sizeof row->who, "fastText skipgram%s", subwords ? " (n-grams 3-6)" : " -maxn 0");
    row->threads = threads;
    row->seconds = secs;
    row->words_per_s = (double)c->raw_words * epochs / secs;
    char vec[PATH_MAX + 8];
    snprintf(vec, sizeof vec, "%s.vec", prefix);
    score_file(row, vec, ev);
    char bin[PATH_MAX + 8];
    snprintf(bin, sizeof bin, "%s.bin", prefix);
    remove(bin);
    return true;
}

void bench_run(Chapter *ch, const W2vCorpus *c, const WordEval *ev)
{
    chapter_section("--bench: the skip-gram ladder, then gensim and fastText side by side");
    printf("corpus %s: %lld words, vocabulary %d (min-count 5)\n", c->path,
           (long long)c->raw_words, c->vocab.V);
    // 1. every rung, one epoch of the whole corpus
    printf("\nevery rung, 1 epoch of skip-gram:\n  %-16s %7s %8s %12s %8s\n", "rung", "threads",
           "seconds", "words/s", "speed-up");
    double v0 = 0;
    for (int k = 0; k < W2V_LADDER.n_rungs; k++) {
        const KernelRung *r = &W2V_LADDER.rungs[k];
        if (!rung_available(r)) continue;
        for (int T = 1; T <= (w2v_impl(r)->hogwild ? 2 : 1); T++) {
            W2vConfig cfg = w2v_config_default(W2V_SKIPGRAM);
            cfg.epochs = 1;
            cfg.seed = ch->cli.seed;
            cfg.threads = T;
            cfg.rung = r;
            WordVectors wv;
            W2vStats st;
            char err[512];
            size_t n = ch->cli.quick && c->n > 100000 ? 100000 : c->n;
            if (!w2v_train(&c->vocab, c->ids, n, &cfg, &wv, &st, err, sizeof err)) {
                fprintf(stderr, "error: %s\n", err);
                exit(1);
            }
            wordvec_free(&wv);
            double wps = (double)c->raw_words * ((double)n / (double)c->n) / st.seconds;
            if (k == 0) v0 = wps;
            printf("  %-16s %7d %8.2f %12.0f %7.1fx\n", r->name, st.threads, st.seconds, wps,
                   wps / v0);
            metrics_setf(&ch->metrics, wps, "bench_w2v_%s_t%d_words_per_s", r->name, T);
        }
    }

    // 2. side by side
    int E = ch->cli.quick ? 1 : ch->cli.full ? 15 : 5;
    char scripts[1200], dir[1024];
    bool have_scripts = scripts_dir(ch->cli.argv[0], scripts, sizeof scripts);
    cli_out_subdir(&ch->cli, "bench", dir, sizeof dir);
    printf("\nskip-gram, %d epoch(s), D 100, window 5, 5 negatives, sample 1e-4, min-count 5; "
           "words/s = raw words × epochs / training s;\naccuracy: 3CosAdd on %d questions, 30k "
           "most frequent words, our evaluation for every side\n", E, ev ? ev->analogy.n : 0);
    printf("  %-34s %7s %8s %12s %9s %9s %9s %9s\n", "who", "threads", "seconds", "words/s",
           "vs gensim", "overall", "semantic", "syntactic");
    for (int T = 1; T <= 2; T++) {
        BenchRow me, gs = {.words_per_s = 0}, ft;
        if (!ours(ch, c, W2V_SKIPGRAM, T, E, ev, &me)) exit(1);
        char vec[1200], prefix[1200];
        snprintf(vec, sizeof vec, "%s/gensim_sg_t%d.vec", dir, T);
        bool g = have_scripts && gensim(scripts, c, T, E, vec, ev, &gs);
        if (!have_scripts) printf("  gensim skipped: scripts/bench_gensim_w2v.py not found\n");
        double ref = g ? gs.words_per_s : 0;
        print_row(&me, ref);
        metrics_setf(&ch->metrics, me.words_per_s, "bench_w2v_sg_t%d_words_per_s", T);
        metrics_setf(&ch->metrics, me.acc, "bench_w2v_sg_t%d_acc_pct", T);
        if (g) {
            print_row(&gs, ref);
            metrics_setf(&ch->metrics, gs.words_per_s, "bench_gensim_sg_t%d_words_per_s", T);
            metrics_setf(&ch->metrics, gs.acc, "bench_gensim_sg_t%d_acc_pct", T);
            metrics_setf(&ch->metrics, me.words_per_s / gs.words_per_s,
                         "bench_w2v_vs_gensim_t%d", T);
        }
        snprintf(prefix, sizeof prefix, "%s/fasttext_sg_t%d", dir, T);
        if (fasttext(c, T, E, false, prefix, ev, &ft)) {
            print_row(&ft, ref);
            metrics_setf(&ch->metrics, ft.words_per_s, "bench_fasttext_sg_t%d_words_per_s", T);
            metrics_setf(&ch->metrics, ft.acc, "bench_fasttext_sg_t%d_acc_pct", T);
        }
    }

    // 3. FastText with subwords: ours against fastText's, 2 threads
    printf("\nFastText with subwords (n-grams 3-6), %d epoch(s), lr 0.05:\n", E);
    BenchRow mf, ff;
    if (ours(ch, c, W2V_FASTTEXT, 2, E, ev, &mf)) {
        print_row(&mf, 0);
        metrics_set(&ch->metrics, "bench_w2v_fasttext_t2_words_per_s", mf.words_per_s);
        metrics_set(&ch->metrics, "bench_w2v_fasttext_t2_acc_pct", mf.acc);
    }
    char prefix[1200];
    snprintf(prefix, sizeof prefix, "%s/fasttext_sub_t2", dir);
    if (fasttext(c, 2, E, true, prefix, ev, &ff)) {
        print_row(&ff, 0);
        metrics_set(&ch->metrics, "bench_fasttext_sub_t2_words_per_s", ff.words_per_s);
        metrics_set(&ch->metrics, "bench_fasttext_sub_t2_acc_pct", ff.acc);
    }
}
