/* tests/testutil.h — shared helpers for the Check suites.
 *
 * One comparison rule everywhere (STYLE.md §5): |got - want| <= atol + rtol·|want|,
 * reported through dl_ck_close(), which on failure names the worst index, both values
 * and the limit (NaN and infinities must match in kind). A test that this machine cannot run
 * is registered with dl_tcase_add_test_if() and reported as skipped, never as passed. Each
 * tests/test_*.c ends with DL_TEST_MAIN(its_suite).
 */
#ifndef DL_TESTUTIL_H
#define DL_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DL_ATOL 1e-5
#define DL_RTOL 1e-4

/* How far got is outside the tolerance around want: > 0 means out of tolerance. NaN and the
 * infinities are compared by kind, because NaN limits compare false: a NaN want needs a NaN
 * got (and a NaN got a NaN want), an infinite want needs the same infinity, and a finite
 * want a finite got within atol + rtol·|want|. Mismatched kinds give +INFINITY, matched
 * non-finite values -INFINITY. */
static inline double dl_close_excess_(double g, double w, double atol, double rtol)
{
    if (isnan(w) || isnan(g)) return isnan(w) && isnan(g) ? -INFINITY : INFINITY;
    if (isinf(w) || isinf(g)) return g == w ? -INFINITY : INFINITY;
    return fabs(g - w) - (atol + rtol * fabs(w));
}

/* Fails the current test if any got[i] is not close to want[i] (dl_close_excess_ > 0:
 * |got - want| > atol + rtol·|want|, or a NaN or infinity where want has none, or the other
 * way round), printing the worst index. `what` names the quantity. */
static inline void dl_ck_close_(const char *file, int line, const char *what, const float *got,
                                const float *want, size_t n, double atol, double rtol)
{
    size_t worst = 0;
    double worst_excess = -INFINITY;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double excess = dl_close_excess_(got[i], want[i], atol, rtol);
        if (excess > 0) bad++;
        if (excess > worst_excess) { worst_excess = excess; worst = i; }
    }
    if (bad) {
        double g = got[worst], w = want[worst];
        if (!isfinite(g) || !isfinite(w))
            ck_abort_msg("%s:%d: %s: %d of %zu values out of tolerance; worst [%zu]: got %.9g, "
                         "want %.9g (a NaN or infinity must be matched by the same)",
                         file, line, what, bad, n, worst, g, w);
        ck_abort_msg("%s:%d: %s: %d of %zu values out of tolerance; worst [%zu]: got %.9g, "
                     "want %.9g, |diff| %.3g > limit %.3g (atol %.1g, rtol %.1g)",
                     file, line, what, bad, n, worst, g, w, fabs(g - w),
                     atol + rtol * fabs(w), atol, rtol);
    }
}
#define dl_ck_close(what, got, want, n, atol, rtol) \
    dl_ck_close_(__FILE__, __LINE__, what, got, want, n, atol, rtol)

/* Scalar version. */
#define dl_ck_close1(what, got, want, atol, rtol) do { \
    float g_ = (float)(got), w_ = (float)(want); \
    dl_ck_close_(__FILE__, __LINE__, what, &g_, &w_, 1, atol, rtol); } while (0)

/* Path of a built chapter program, e.g. dl_chapter_bin("01_perceptron"): BINDIR is set by
 * the Makefile ("." for the default build, "build/asan" for SANITIZE=1). */
#ifndef BINDIR
#define BINDIR "."
#endif
#define dl_chapter_bin(chapter) BINDIR "/" chapter "/run"

/* A fresh empty temporary directory (mkdtemp) for a test's outputs; the caller removes it
 * with dl_rm_rf. */
char *mkdtemp(char *);
static inline void dl_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/dltest.XXXXXX");
    if (!mkdtemp(buf)) { perror("mkdtemp"); exit(1); }
}
static inline void dl_rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

/* Run a shell command, capturing stdout+stderr into out (truncated to len); returns the
 * exit status (or -1 if it did not exit normally). */
#include <sys/wait.h>
FILE *popen(const char *, const char *);
int pclose(FILE *);
static inline int dl_run(const char *cmd, char *out, size_t len)
{
    char full[2048];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, len ? len - 1 : 0, p);
    if (len) out[n] = '\0';
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {}
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run fn() in a child process with its stderr captured into out (truncated to len); returns
 * the child's exit status (-1 if it did not exit normally). For "bad input must exit with a
 * message" tests that also check the message text. */
#include <unistd.h>
static inline int dl_run_child(void (*fn)(void), char *out, size_t len)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fileno(f), 2);
        fn();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    rewind(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A bad-input case: fn() must exit with status 1 and print an "error: " message that contains
 * both strings of `says` (the problem and the fix, or the names it must mention). */
typedef struct DlDeathCase {
    const char *what;                  // for the failure message: "dropout p = 1"
    void (*fn)(void);
    const char *says[2];
} DlDeathCase;

/* Run every case in its own child process (dl_run_child) and check exit status and message. */
static inline void dl_check_deaths(const DlDeathCase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[1024];
        int st = dl_run_child(cases[i].fn, out, sizeof out);
        ck_assert_msg(st == 1, "%s: exit status %d, want 1; stderr: %s", cases[i].what, st, out);
        for (int k = 0; k < 2; k++)
            ck_assert_msg(strstr(out, "error: ") && strstr(out, cases[i].says[k]),
                          "%s: the message should contain '%s', got: %s", cases[i].what,
                          cases[i].says[k], out);
    }
}

/* ---- tests that cannot run here are skipped, not passed ----
 * A test that needs something this machine may lack (gnuplot, /dev/full, a pseudo-terminal,
 * Check's fork mode) is registered with dl_tcase_add_test_if(tc, test_fn, cond, "why"): `cond`
 * is evaluated once, when the suite is built; when it is false the test is NOT added (so it
 * is neither run nor counted as passed) and one line
 *     SKIPPED: test_fn: why
 * goes to stdout, which scripts/run_tests.sh counts and lists before its total. The test body
 * itself asserts what it needs instead of returning early. */
static inline void dl_report_skip_(const char *test_name, const char *why)
{
    printf("SKIPPED: %s: %s\n", test_name, why);
    fflush(stdout);
}
#define dl_tcase_add_test_if(tc, test_fn, cond, why) do { \
    if (cond) tcase_add_test((tc), test_fn); \
    else dl_report_skip_(#test_fn, (why)); } while (0)

/* True unless CK_FORK=no: Check then runs every test in one process, so a test that relies on
 * a fresh process (a cache not yet filled, an environment change) cannot run. */
static inline int dl_check_forks(void)
{
    const char *mode = getenv("CK_FORK");
    return !(mode && strcmp(mode, "no") == 0);
}

/* main(): run one suite, print Check's summary, exit non-zero on any failure. */
#define DL_TEST_MAIN(suite_fn) \
    int main(void) { \
        SRunner *sr_ = srunner_create(suite_fn()); \
        srunner_run_all(sr_, CK_NORMAL); \
        int failed_ = srunner_ntests_failed(sr_); \
        srunner_free(sr_); \
        return failed_ ? EXIT_FAILURE : EXIT_SUCCESS; \
    }

#endif
