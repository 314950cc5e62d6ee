/* tests/test_programs.c — every built chapter program's command line, run from outside as a
 * student runs it (popen, as tests/golden.h does).
 * Build and run: make build/default/tests/test_programs && build/default/tests/test_programs
 * Each program is started through a symbolic link <tmp>/ch/run, so its default output folder
 * is <tmp>/ch/out (cli.c derives it from argv[0]) and any folder it creates is seen.
 * Claims: `<program> --help` exits 0, prints the usage with every common flag on stdout and
 * nothing on stderr, and creates no output folder (--help needs no out/); an unknown flag
 * exits 2 (DL_EXIT_USAGE) with "error: unknown flag '--…'" on stderr, nothing on stdout,
 * and creates no output folder either.
 */
#define _XOPEN_SOURCE 700   // realpath

#include "testutil.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"

// The finished chapters (the Makefile's CHAPTERS); BINDIR comes from the Makefile.
static const char *const PROGRAMS[] = {
    dl_chapter_bin("01_perceptron"), dl_chapter_bin("02_backprop"),
    dl_chapter_bin("03_optimizers"), dl_chapter_bin("04_cnn"),
};
#define N_PROGRAMS (sizeof PROGRAMS / sizeof PROGRAMS[0])

static int path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

// Whole file into buf (NUL-terminated; "" if it cannot be read).
static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

// A fresh temporary folder `dir` holding ch/run, a link to the built program `bin`; prog gets
// the link's path, default_out the program's default output folder, dir/ch/out.
static void link_program(const char *bin, char *dir, size_t dlen, char *prog, size_t plen,
                         char *default_out, size_t olen)
{
    char target[PATH_MAX], ch[160];
    ck_assert_msg(realpath(bin, target), "%s not found: build it first (make test-build)", bin);
    dl_tmpdir(dir, dlen);
    snprintf(ch, sizeof ch, "%s/ch", dir);
    ck_assert_msg(mkdir(ch, 0755) == 0, "mkdir %s", ch);
    snprintf(prog, plen, "%s/run", ch);
    ck_assert_msg(symlink(target, prog) == 0, "symlink %s -> %s", prog, target);
    snprintf(default_out, olen, "%s/out", ch);
}

START_TEST(test_programs_help_prints_usage_exits_0_and_creates_nothing)
{
    for (size_t p = 0; p < N_PROGRAMS; p++) {
        const char *bin = PROGRAMS[p];
        char dir[64], prog[200], default_out[200], out_dir[128], err_path[128], cmd[1024];
        char err[4096];
        static char text[16384];
        link_program(bin, dir, sizeof dir, prog, sizeof prog, default_out, sizeof default_out);
        snprintf(out_dir, sizeof out_dir, "%s/out", dir);
        snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
        // The subshell sends the program's stderr to a file, so dl_run captures stdout alone.
        // (--help is checked once alone, once after an --out that must not be created either.)
        snprintf(cmd, sizeof cmd, "(%s --help 2>%s && %s --out %s --help 2>>%s)", prog,
                 err_path, prog, out_dir, err_path);
        int status = dl_run(cmd, text, sizeof text);
        slurp(err_path, err, sizeof err);
        ck_assert_msg(status == 0, "'%s' exited with %d (built? make test-build)\nstdout: %s\n"
                      "stderr: %s", cmd, status, text, err);
        char usage[256];
        snprintf(usage, sizeof usage, "\nusage: %s [flags]\n", prog);
        ck_assert_msg(strstr(text, usage), "%s --help: stdout lacks '%s':\n%s", bin, usage + 1,
                      text);
        ck_assert_msg(text[0] != '\n', "%s --help: the usage should open with what the program "
                      "does:\n%s", bin, text);
        const char *flags[] = {"--quick", "--full", "--bench", "--seed N", "(default 42)",
                               "--threads N", "--kernel SPEC", "--data DIR", "--dataset NAME",
                               "--out DIR", "--help"};
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            ck_assert_msg(strstr(text, flags[k]), "%s --help: usage lacks '%s':\n%s", bin,
                          flags[k], text);
        ck_assert_msg(err[0] == '\0', "%s --help wrote to stderr: %s", bin, err);
        ck_assert_msg(!path_exists(default_out), "%s --help created its default output folder "
                      "(%s here)", bin, default_out);
        ck_assert_msg(!path_exists(out_dir), "%s --out DIR --help created the folder", bin);
        dl_rm_rf(dir);
    }
}
END_TEST

START_TEST(test_programs_unknown_flag_exits_2_and_names_it)
{
    for (size_t p = 0; p < N_PROGRAMS; p++) {
        const char *bin = PROGRAMS[p];
        char dir[64], prog[200], default_out[200], out_path[128], cmd[1024], err[4096];
        char text[4096];
        link_program(bin, dir, sizeof dir, prog, sizeof prog, default_out, sizeof default_out);
        snprintf(out_path, sizeof out_path, "%s/stdout.txt", dir);
        // Here stdout goes to a file and dl_run captures stderr.
        snprintf(cmd, sizeof cmd, "(%s --quick --no-such-flag >%s)", prog, out_path);
        int status = dl_run(cmd, err, sizeof err);
        slurp(out_path, text, sizeof text);
        ck_assert_msg(status == DL_EXIT_USAGE, "'%s' exited with %d, want %d (usage error)\n"
                      "stderr: %s", cmd, status, DL_EXIT_USAGE, err);
        ck_assert_msg(strstr(err, "error: unknown flag '--no-such-flag'"),
                      "%s: stderr should say \"error: unknown flag '--no-such-flag'\", got: %s",
                      bin, err);
        ck_assert_msg(strstr(err, "--help"), "%s: the message should point at --help: %s", bin,
                      err);
        ck_assert_msg(text[0] == '\0', "%s with a bad flag wrote to stdout: %s", bin, text);
        ck_assert_msg(!path_exists(default_out), "%s with a bad flag created its output folder",
                      bin);
        dl_rm_rf(dir);
    }
}
END_TEST

static Suite *programs_suite(void)
{
    Suite *s = suite_create("programs");
    TCase *tc = tcase_create("command_line");
    tcase_set_timeout(tc, 60);   // a few short program starts (slower under the sanitizers)
    tcase_add_test(tc, test_programs_help_prints_usage_exits_0_and_creates_nothing);
    tcase_add_test(tc, test_programs_unknown_flag_exits_2_and_names_it);
    suite_add_tcase(s, tc);
    return s;
}

DL_TEST_MAIN(programs_suite)
