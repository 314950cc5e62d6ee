/* tests/golden.h — the golden --quick run of a chapter program, and its missing-data exit.
 *
 * Runs `<bin> --quick --seed 42 --data data --out <tmp>`, then compares every key of the
 * reference file tests/fixtures/golden_<tag>_<data>.tsv (<data> = mnist, or fashion-mnist when
 * the run reports data_fashion = 1, i.e. make data fell back to it) with the run's
 * metrics.tsv. Each key takes the tolerance of the LAST rule whose pattern is a substring
 * of it; a key that no rule covers fails the test, so a new metric needs a stated tolerance.
 */
#ifndef DL_TEST_GOLDEN_H
#define DL_TEST_GOLDEN_H

#include "report/metrics.h"
#include "testutil.h"

typedef struct GoldenRule {
    const char *pattern;  // substring of the key
    double atol, rtol;
} GoldenRule;

/* Compare the metrics.tsv in dir with the reference file golden (see the top of this file). */
static inline void dl_check_golden_metrics(const char *dir, const char *golden,
                                           const GoldenRule *rules, size_t n_rules, int min_keys)
{
    char metrics_path[600];
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.tsv", dir);
    FILE *f = fopen(golden, "r");
    ck_assert_msg(f, "cannot open %s (run the tests from the repository root)", golden);
    char line[256];
    int checked = 0;
    while (fgets(line, sizeof line, f)) {
        char key[64];
        double want, got;
        if (line[0] == '#' || sscanf(line, "%63s %lf", key, &want) != 2) continue;
        const GoldenRule *rule = NULL;
        for (size_t i = 0; i < n_rules; i++)
            if (strstr(key, rules[i].pattern)) rule = &rules[i];
        ck_assert_msg(rule, "%s: no tolerance rule for key '%s'", golden, key);
        ck_assert_msg(metrics_read(metrics_path, key, &got), "metrics.tsv lacks key '%s'", key);
        dl_ck_close1(key, got, want, rule->atol, rule->rtol);
        checked++;
    }
    fclose(f);
    ck_assert_int_ge(checked, min_keys);
}

/* Run `<bin> --quick --seed 42 --data data --out <dir>`, which must exit 0; dir is a new
 * temporary folder (dl_tmpdir) that the caller removes. */
static inline void dl_run_quick(const char *bin, char *dir, size_t dir_len)
{
    char cmd[512];
    static char out[16384];
    dl_tmpdir(dir, dir_len);
    snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --data data --out %s", bin, dir);
    int status = dl_run(cmd, out, sizeof out);
    ck_assert_msg(status == 0, "'%s' exited with %d:\n%s", cmd, status, out);
}

static inline void dl_check_golden_run(const char *bin, const char *tag, const GoldenRule *rules,
                                       size_t n_rules, int min_keys)
{
    char dir[64], metrics_path[600], golden[128];
    dl_run_quick(bin, dir, sizeof dir);
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.tsv", dir);
    double fashion = 0;
    ck_assert_msg(metrics_read(metrics_path, "data_fashion", &fashion),
                  "%s has no data_fashion key", metrics_path);
    snprintf(golden, sizeof golden, "tests/fixtures/golden_%s_%s.tsv", tag,
             fashion != 0 ? "fashion-mnist" : "mnist");
    dl_check_golden_metrics(dir, golden, rules, n_rules, min_keys);
    dl_rm_rf(dir);
}

/* Bad input: `<bin> <args> --out <a new temporary folder>` must exit with status `want` and print
 * `needle` — a message naming the flag or file and the problem. */
static inline void dl_expect_error(const char *bin, const char *args, int want, const char *needle)
{
    char dir[64], cmd[1024];
    static char out[16384];
    dl_tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "%s %s --out %s", bin, args, dir);
    int status = dl_run(cmd, out, sizeof out);
    dl_rm_rf(dir);
    ck_assert_msg(status == want, "'%s' exited with %d, expected %d:\n%s", cmd, status, want, out);
    ck_assert_msg(strstr(out, needle), "'%s': message lacks '%s':\n%s", cmd, needle, out);
}

/* The chapter program run with an empty --data folder must fail (non-zero exit) with a message
 * that names the command that gets the data, "make data". */
static inline void dl_check_missing_data(const char *bin)
{
    char dir[64], cmd[512], out[8192];
    dl_tmpdir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "%s --quick --data %s --out %s/out", bin, dir, dir);
    int status = dl_run(cmd, out, sizeof out);
    dl_rm_rf(dir);
    ck_assert_msg(status != 0, "exit status 0 with an empty --data directory:\n%s", out);
    ck_assert_msg(strstr(out, "make data"), "the message should name 'make data':\n%s", out);
}

/* Every numeric key of <dir_a>/metrics.tsv must be in <dir_b>/metrics.tsv with the same value
 * (bit for bit; NaN equals NaN), except the keys skip() accepts (wall-clock figures) and "threads":
 * the check that a run's numbers do not depend on its thread count. `what_b` names the second run
 * in messages ("--threads 1"). At least min_keys keys must be compared. */
static inline void dl_check_same_metrics(const char *dir_a, const char *dir_b,
                                         bool (*skip)(const char *key), const char *what_b,
                                         int min_keys)
{
    char pa[160], pb[160], line[256];
    snprintf(pa, sizeof pa, "%s/metrics.tsv", dir_a);
    snprintf(pb, sizeof pb, "%s/metrics.tsv", dir_b);
    FILE *f = fopen(pa, "r");
    ck_assert_msg(f, "no %s", pa);
    int compared = 0;
    while (fgets(line, sizeof line, f)) {
        char key[96];
        double a, b;
        if (sscanf(line, "%95s %lf", key, &a) != 2) continue;
        if (skip(key) || strcmp(key, "threads") == 0) continue;
        ck_assert_msg(metrics_read(pb, key, &b), "%s lacks %s", what_b, key);
        ck_assert_msg(a == b || (isnan(a) && isnan(b)), "%s: %.9g, with %s %.9g", key, a,
                      what_b, b);
        compared++;
    }
    fclose(f);
    ck_assert_int_ge(compared, min_keys);
}

/* Ctrl-C and --resume on the real program: a --quick run interrupted after step `step` (the
 * DL_INTERRUPT_AT_STEP test hook raises a real SIGINT there) must exit with status 130, write
 * <out>/interrupted.ckpt and print the command that resumes it; the resumed run must then end
 * with every metric equal to an uninterrupted run's — exactly, not within a tolerance — except
 * the wall-clock keys: those that END with one of the `timing` suffixes ("_s", "_ms", …) or,
 * for an entry that starts with '^', BEGIN with the rest of it ("^time_"). Suffixes, not
 * substrings: "_s" must not also skip "mlp_loss_step_50". */
static inline void dl_check_interrupt_resume(const char *bin, long step, const char *const *timing,
                                             size_t n_timing)
{
    char a[64], b[64], cmd[1024];
    static char out[16384];
    dl_tmpdir(a, sizeof a);
    dl_tmpdir(b, sizeof b);
    snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --data data --out %s", bin, a);
    int st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    snprintf(cmd, sizeof cmd, "DL_INTERRUPT_AT_STEP=%ld %s --quick --seed 42 --data data --out %s",
             step, bin, b);
    st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 130, "'%s' exited with %d, want 130 (interrupted):\n%s", cmd, st, out);
    char ckpt[128], hint[160];
    snprintf(ckpt, sizeof ckpt, "%s/interrupted.ckpt", b);
    snprintf(hint, sizeof hint, "--resume %s", ckpt);
    ck_assert_msg(strstr(out, "interrupted: run '") && strstr(out, "resume with:") &&
                  strstr(out, hint), "the message should say how to resume:\n%s", out);
    snprintf(cmd, sizeof cmd, "%s --quick --seed 42 --data data --out %s --resume %s", bin, b,
             ckpt);
    st = dl_run(cmd, out, sizeof out);
    ck_assert_msg(st == 0, "'%s' exited with %d:\n%s", cmd, st, out);
    ck_assert_msg(strstr(out, "resumed '"), "the resumed run should say so:\n%s", out);
    char pa[128], pb[128], line[256];
    snprintf(pa, sizeof pa, "%s/metrics.tsv", a);
    snprintf(pb, sizeof pb, "%s/metrics.tsv", b);
    FILE *f = fopen(pa, "r");
    ck_assert_msg(f, "no %s", pa);
    int compared = 0;
    while (fgets(line, sizeof line, f)) {
        char key[64];
        double want, got;
        if (sscanf(line, "%63s %lf", key, &want) != 2) continue;
        bool is_timing = false;
        size_t kl = strlen(key);
        for (size_t i = 0; i < n_timing; i++) {
            const char *t = timing[i];
            size_t tl = strlen(t);
            is_timing = is_timing || (t[0] == '^' ? strncmp(key, t + 1, tl - 1) == 0
                                                  : kl >= tl && strcmp(key + kl - tl, t) == 0);
        }
        if (is_timing) continue;
        ck_assert_msg(metrics_read(pb, key, &got), "the resumed run lacks key '%s'", key);
        ck_assert_msg(got == want || (isnan(got) && isnan(want)), "key '%s': uninterrupted %.9g, "
                      "interrupted at step %ld and resumed %.9g", key, want, step, got);
        compared++;
    }
    fclose(f);
    ck_assert_int_ge(compared, 10);
    dl_rm_rf(a);
    dl_rm_rf(b);
}

#endif
