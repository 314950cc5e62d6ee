/* tests/test_report.c — command-line flags, files, metrics.tsv, plots, progress bar.
 * Build and run: make build/default/tests/test_report && build/default/tests/test_report
 */
#define _XOPEN_SOURCE 700   // posix_openpt & co., for the progress-bar-on-a-terminal test

#include "testutil.h"

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "report/cli.h"
#include "report/metrics.h"
#include "report/plot.h"
#include "report/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// ---- helpers ----

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

// Whole file into buf (NUL-terminated); returns its length, or -1 if it cannot be read.
static long slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

static void path_in(char *buf, size_t len, const char *dir, const char *file)
{
    snprintf(buf, len, "%s/%s", dir, file);
}

// For tests that provoke an error message on purpose: keep the test log clean.
static void quiet_stderr(void)
{
    fflush(stderr);
    if (!freopen("/dev/null", "w", stderr)) perror("freopen");
}

// cli_parse_args on a NULL-terminated argument list; argv[0] is a program in /tmp/ch/.
static char err[256];
static int parse_(Cli *cli, const CliExtra *ex, int nex, char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    return cli_parse_args(cli, argc, argv, "test program", ex, nex, err, sizeof err);
}
#define PARSE(cli, ex, nex, ...) parse_((cli), (ex), (nex), (char *[]){"/tmp/ch/run", __VA_ARGS__, NULL})

// Expect cli_parse_args to fail with exactly `msg`.
#define EXPECT_ERROR(msg, ...) do { \
    Cli c_; \
    ck_assert_int_eq(PARSE(&c_, NULL, 0, __VA_ARGS__), -1); \
    ck_assert_str_eq(err, msg); } while (0)

// ---- command line ----

START_TEST(test_cli_defaults)
{
    Cli c;
    unsetenv("DL_DATA");
    ck_assert_int_eq(PARSE(&c, NULL, 0, NULL), 0);
    ck_assert(!c.quick && !c.full && !c.bench);
    ck_assert_uint_eq(c.seed, 42);
    ck_assert(c.threads >= 1 && c.threads <= 64);
    ck_assert_str_eq(c.kernel, "auto");
    ck_assert_str_eq(c.out_dir, "/tmp/ch/out");
    ck_assert(c.data_dir[0] != '\0');
}
END_TEST

START_TEST(test_cli_data_default_from_env_then_beside_program)
{
    Cli c;
    setenv("DL_DATA", "/some/where", 1);
    ck_assert_int_eq(PARSE(&c, NULL, 0, NULL), 0);
    ck_assert_str_eq(c.data_dir, "/some/where");
    unsetenv("DL_DATA");

    // <dir of argv[0]>/../data wins when it exists.
    char root[64], dir[128], data[128], prog[160];
    dl_tmpdir(root, sizeof root);
    path_in(dir, sizeof dir, root, "ch");
    path_in(data, sizeof data, root, "data");
    ck_assert(make_dirs(dir) && make_dirs(data));
    path_in(prog, sizeof prog, dir, "run");
    char *argv[] = {prog, NULL};
    ck_assert_int_eq(cli_parse_args(&c, 1, argv, "t", NULL, 0, err, sizeof err), 0);
    char want[200];
    snprintf(want, sizeof want, "%s/../data", dir);
    ck_assert_str_eq(c.data_dir, want);
    snprintf(want, sizeof want, "%s/out", dir);
    ck_assert_str_eq(c.out_dir, want);
    dl_rm_rf(root);
}
END_TEST

START_TEST(test_cli_every_flag_space_form)
{
    Cli c;
    ck_assert_int_eq(PARSE(&c, NULL, 0, "--quick", "--bench", "--seed", "7", "--threads", "3",
                           "--kernel", "gemm=v2_blocked", "--data", "/d", "--out", "/o"), 0);
    ck_assert(c.quick && !c.full && c.bench);
    ck_assert_uint_eq(c.seed, 7);
    ck_assert_int_eq(c.threads, 3);
    ck_assert_str_eq(c.kernel, "gemm=v2_blocked");
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v2_blocked");
    ck_assert(kernels_select("auto", NULL, 0));
    ck_assert_str_eq(c.data_dir, "/d");
    ck_assert_str_eq(c.out_dir, "/o");
    ck_assert_int_eq(PARSE(&c, NULL, 0, "--full"), 0);
    ck_assert(c.full && !c.quick);
}
END_TEST

START_TEST(test_cli_every_flag_equals_form)
{
    Cli c;
    ck_assert_int_eq(PARSE(&c, NULL, 0, "--seed=18446744073709551615", "--threads=64",
                           "--kernel=conv=v1", "--data=/d2", "--out=/o2"), 0);
    ck_assert_uint_eq(c.seed, UINT64_MAX);
    ck_assert_int_eq(c.threads, 64);
    ck_assert_str_eq(c.kernel, "conv=v1");
    ck_assert_str_eq(ladder_selected(&CONV_LADDER)->name, "v1_im2col");
    ck_assert_str_eq(c.data_dir, "/d2");
    ck_assert_str_eq(c.out_dir, "/o2");
    const char *kernels[] = {"naive", "gemm=v1_ikj", "gemm=v2", "gemm=v3", "adam=v2_simd",
                             "auto"};
    for (int i = 0; i < 6; i++) {
        char arg[32];
        snprintf(arg, sizeof arg, "--kernel=%s", kernels[i]);
        ck_assert_int_eq(PARSE(&c, NULL, 0, arg), 0);
        ck_assert_str_eq(c.kernel, kernels[i]);
    }
    ck_assert_str_eq(ladder_selected(&GEMM_LADDER)->name, "v4_threads");   // auto came last
    ck_assert_int_eq(PARSE(&c, NULL, 0, "--seed", "0", "--seed", "5"), 0);   // last one wins
    ck_assert_uint_eq(c.seed, 5);
}
END_TEST

START_TEST(test_cli_errors_name_the_problem)
{
    EXPECT_ERROR("unknown flag '--foo' (see --help)", "--foo");
    EXPECT_ERROR("unknown flag '--foo' (see --help)", "--foo=3");
    EXPECT_ERROR("unexpected argument 'extra': flags start with -- (see --help)", "extra");
    EXPECT_ERROR("unexpected argument '-q': flags start with -- (see --help)", "-q");
    EXPECT_ERROR("--seed expects a value (see --help)", "--seed");
    EXPECT_ERROR("--out expects a value (see --help)", "--out", "--quick");
    EXPECT_ERROR("--seed expects a non-negative integer, got 'abc'", "--seed", "abc");
    EXPECT_ERROR("--seed expects a non-negative integer, got '-1'", "--seed", "-1");
    EXPECT_ERROR("--seed expects a non-negative integer, got '12x'", "--seed=12x");
    EXPECT_ERROR("--seed expects a non-negative integer, got ''", "--seed=");
    EXPECT_ERROR("--seed expects a non-negative integer, got ' 5'", "--seed", " 5");
    EXPECT_ERROR("--seed expects a non-negative integer, got '18446744073709551616'",
                 "--seed", "18446744073709551616");
    EXPECT_ERROR("--threads expects an integer from 1 to 64, got 'x'", "--threads", "x");
    EXPECT_ERROR("--threads expects an integer from 1 to 64, got '0'", "--threads", "0");
    EXPECT_ERROR("--threads expects an integer from 1 to 64, got '65'", "--threads=65");
    EXPECT_ERROR("--threads expects an integer from 1 to 64, got '2.5'", "--threads=2.5");
    EXPECT_ERROR("--kernel fast: a bare word must be auto or naive; pick one ladder's rung as "
                 "LADDER=RUNG, e.g. gemm=fast (see --help)", "--kernel", "fast");
    {
        Cli c_;
        ck_assert_int_eq(PARSE(&c_, NULL, 0, "--kernel", "gemm=v9"), -1);
        const char *want = "--kernel gemm=v9: gemm has no rung 'v9' that this CPU can run; its "
                           "rungs are v0_naive, v1_ikj, v2_blocked, v3_avx2";
        ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got: %s", err);
    }
    EXPECT_ERROR("--quick and --full cannot be used together (pick one)", "--quick", "--full");
    EXPECT_ERROR("--quick takes no value, got '--quick=1'", "--quick=1");
    EXPECT_ERROR("--out expects a folder, got ''", "--out=");
    char long_path[700];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    EXPECT_ERROR("--data: the path is too long (699 bytes, at most 511)", "--data", long_path);
}
END_TEST

START_TEST(test_cli_help_returns_1_and_lists_extras_with_defaults)
{
    char dir[64], path[128], text[8192];
    dl_tmpdir(dir, sizeof dir);
    path_in(path, sizeof path, dir, "help.txt");
    int epochs = 10;
    float lr = 0.25f;
    char opt[16] = "adam";
    bool verbose = false;
    CliExtra ex[] = {
        {"epochs", 'i', &epochs, 0, "passes over the data"},
        {"lr", 'f', &lr, 0, "learning rate"},
        {"optim", 's', opt, sizeof opt, "optimizer"},
        {"verbose", 'b', &verbose, 0, "print more"},
    };
    Cli c;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    ck_assert(freopen(path, "w", stdout) != NULL);
    int rc = PARSE(&c, ex, 4, "--epochs", "3", "--help");
    int rc_short = PARSE(&c, NULL, 0, "-h");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ck_assert_int_eq(rc, 1);
    ck_assert_int_eq(epochs, 10);   // --help shows (and keeps) the defaults
    ck_assert(slurp(path, text, sizeof text) > 0);
    const char *want[] = {"test program", "--quick", "--full", "--bench", "--seed N",
                          "(default 42)", "--threads N", "--kernel SPEC", "gemm=v2_blocked",
                          "v4_threads", "--save FILE", "--resume FILE", "--data DIR",
                          "--out DIR", "(default /tmp/ch/out)", "--help", "--epochs N",
                          "passes over the data (default 10)", "--lr X", "(default 0.25)",
                          "--optim S", "(default 'adam')", "--verbose", "(default off)"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]), "usage text lacks '%s':\n%s", want[i], text);
    ck_assert_int_eq(rc_short, 1);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_cli_extras_of_each_type)
{
    int epochs = 10;
    float lr = 0.1f;
    char opt[8] = "sgd";
    bool verbose = false;
    CliExtra ex[] = {
        {"epochs", 'i', &epochs, 0, "passes"},
        {"lr", 'f', &lr, 0, "learning rate"},
        {"optim", 's', opt, sizeof opt, "optimizer"},
        {"verbose", 'b', &verbose, 0, "print more"},
    };
    Cli c;
    ck_assert_int_eq(PARSE(&c, ex, 4, "--epochs", "-5", "--lr=3e-4", "--optim", "adamw",
                           "--verbose", "--seed", "9"), 0);
    ck_assert_int_eq(epochs, -5);
    ck_assert_float_eq(lr, 3e-4f);
    ck_assert_str_eq(opt, "adamw");
    ck_assert(verbose);
    ck_assert_uint_eq(c.seed, 9);
    ck_assert_int_eq(PARSE(&c, ex, 4, "--epochs=7", "--lr", "2", "--optim=m"), 0);
    ck_assert_int_eq(epochs, 7);
    ck_assert_float_eq(lr, 2.0f);
    ck_assert_str_eq(opt, "m");

    struct { const char *arg, *val, *msg; } bad[] = {
        {"--epochs", "3.5", "--epochs expects an integer, got '3.5'"},
        {"--epochs", "99999999999", "--epochs expects an integer, got '99999999999'"},
        {"--epochs", "", "--epochs expects an integer, got ''"},
        {"--lr", "abc", "--lr expects a finite number, got 'abc'"},
        {"--lr", "inf", "--lr expects a finite number, got 'inf'"},
        {"--lr", "nan", "--lr expects a finite number, got 'nan'"},
        {"--lr", "1e50", "--lr expects a finite number, got '1e50'"},
        {"--lr", "0.1x", "--lr expects a finite number, got '0.1x'"},
        {"--optim", "toolongname", "--optim expects at most 7 characters, got 11"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(PARSE(&c, ex, 4, (char *)bad[i].arg, (char *)bad[i].val), -1);
        ck_assert_str_eq(err, bad[i].msg);
    }
    ck_assert_int_eq(PARSE(&c, ex, 4, "--verbose=yes"), -1);
    ck_assert_str_eq(err, "--verbose takes no value, got '--verbose=yes'");
    ck_assert_int_eq(PARSE(&c, ex, 4, "--epochs"), -1);
    ck_assert_str_eq(err, "--epochs expects a value (see --help)");
}
END_TEST

START_TEST(test_cli_parse_creates_out_dir)
{
    char dir[64], out[128];
    dl_tmpdir(dir, sizeof dir);
    path_in(out, sizeof out, dir, "a/b/out");
    char *argv[] = {"/tmp/ch/run", "--out", out, NULL};
    Cli c;
    cli_parse(&c, 3, argv, "t", NULL, 0);
    struct stat st;
    ck_assert(stat(out, &st) == 0 && S_ISDIR(st.st_mode));
    dl_rm_rf(dir);
}
END_TEST

static void subdir_into_8_bytes(void)
{
    Cli c = {0};
    snprintf(c.out_dir, sizeof c.out_dir, "/tmp/some/out");
    char tiny[8];
    cli_out_subdir(&c, "bench", tiny, sizeof tiny);
}

static void subdir_under_a_file(void)
{
    Cli c = {0};
    snprintf(c.out_dir, sizeof c.out_dir, "/dev/null");
    char path[64];
    cli_out_subdir(&c, "bench", path, sizeof path);
}

START_TEST(test_cli_out_subdir_creates_it_under_out)
{
    char dir[64], out[128], sub[256];
    dl_tmpdir(dir, sizeof dir);
    path_in(out, sizeof out, dir, "out");
    char *argv[] = {"/tmp/ch/run", "--out", out, NULL};
    Cli c;
    cli_parse(&c, 3, argv, "t", NULL, 0);
    cli_out_subdir(&c, "bench", sub, sizeof sub);
    char want[200];
    snprintf(want, sizeof want, "%s/bench", out);
    ck_assert_str_eq(sub, want);
    struct stat st;
    ck_assert(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    cli_out_subdir(&c, "bench", sub, sizeof sub);   // already there: fine
    ck_assert_str_eq(sub, want);
    dl_rm_rf(dir);
    static const DlDeathCase deaths[] = {
        {"a path longer than the buffer", subdir_into_8_bytes, {"/tmp/some/out/bench", "too long"}},
        {"a folder under a file", subdir_under_a_file, {"/dev/null/bench", "cannot create"}},
    };
    dl_check_deaths(deaths, 2);
}
END_TEST

START_TEST(test_cli_parse_bad_flag_exits_usage)
{
    quiet_stderr();
    char *argv[] = {"/tmp/ch/run", "--nope", NULL};
    Cli c;
    cli_parse(&c, 2, argv, "t", NULL, 0);
}
END_TEST

// cli_parse on --help (or -h) in a child process, stdout into help_out: it must print the
// usage and exit 0 itself. Were it to return, the child goes on to _exit(HELP_RETURNED), a
// status no exit path of cli_parse uses, so "returned" and "exited 0" cannot be confused.
#define HELP_RETURNED 3
static char help_out[128];
static const char *help_flag;
static void cli_parse_help_child(void)
{
    if (!freopen(help_out, "w", stdout)) _exit(4);
    char *argv[] = {"/tmp/ch/run", "--seed", "7", (char *)help_flag, NULL};
    Cli c;
    cli_parse(&c, 4, argv, "about this program", NULL, 0);
    _exit(HELP_RETURNED);   // no fflush: only an exit from cli_parse delivers the usage text
}

START_TEST(test_cli_parse_help_prints_usage_and_exits_0_without_returning)
{
    char dir[64], text[8192], errs[1024];
    dl_tmpdir(dir, sizeof dir);
    path_in(help_out, sizeof help_out, dir, "stdout.txt");
    const char *flags[] = {"--help", "-h"};
    for (int i = 0; i < 2; i++) {
        help_flag = flags[i];
        int st = dl_run_child(cli_parse_help_child, errs, sizeof errs);
        ck_assert_msg(st != HELP_RETURNED, "cli_parse returned after %s instead of exiting 0",
                      flags[i]);
        ck_assert_msg(st == 0, "cli_parse %s: exit status %d, want 0; stderr: %s", flags[i], st,
                      errs);
        ck_assert_msg(slurp(help_out, text, sizeof text) > 0, "cli_parse %s printed nothing",
                      flags[i]);
        const char *want[] = {"about this program", "usage: /tmp/ch/run [flags]", "--quick",
                              "--seed N", "(default 42)", "--help"};
        for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
            ck_assert_msg(strstr(text, want[k]), "%s: usage text lacks '%s':\n%s", flags[i],
                          want[k], text);
        ck_assert_msg(errs[0] == '\0', "%s wrote to stderr: %s", flags[i], errs);
    }
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_cli_parse_unwritable_out_dies)
{
    quiet_stderr();
    char *argv[] = {"/tmp/ch/run", "--out", "/proc/no/such/dir", NULL};
    Cli c;
    cli_parse(&c, 3, argv, "t", NULL, 0);
}
END_TEST

// ---- files ----

START_TEST(test_make_dirs_nested_existing_and_through_a_file)
{
    char dir[64], deep[128], file[128], through[160];
    dl_tmpdir(dir, sizeof dir);
    path_in(deep, sizeof deep, dir, "x/y/z/");
    ck_assert(make_dirs(deep));
    ck_assert(make_dirs(deep));   // already there: fine
    path_in(file, sizeof file, dir, "f");
    FILE *f = fopen(file, "w");
    ck_assert(f != NULL);
    fclose(f);
    path_in(through, sizeof through, file, "sub");
    errno = 0;
    ck_assert(!make_dirs(through));
    ck_assert_int_ne(errno, 0);
    ck_assert(!make_dirs(file));   // exists, but is not a folder
    ck_assert_int_eq(errno, ENOTDIR);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_atomic_write_leaves_no_tmp)
{
    char dir[64], path[128], tmp[140], text[64];
    dl_tmpdir(dir, sizeof dir);
    path_in(path, sizeof path, dir, "file.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = atomic_open(path);
    ck_assert(f != NULL);
    fputs("hello\n", f);
    ck_assert(exists(tmp) && !exists(path));   // invisible until closed
    ck_assert(atomic_close(f, path));
    ck_assert(!exists(tmp));
    ck_assert_int_eq(slurp(path, text, sizeof text), 6);
    ck_assert_str_eq(text, "hello\n");

    char missing[128];
    quiet_stderr();
    path_in(missing, sizeof missing, dir, "no/such/dir/file.txt");
    ck_assert(atomic_open(missing) == NULL);
    ck_assert(!atomic_close(NULL, missing));
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_atomic_close_reports_write_error)
{
    quiet_stderr();   // registered only where /dev/full (fails every write) is writable
    char dir[64], link[128];
    dl_tmpdir(dir, sizeof dir);
    path_in(link, sizeof link, dir, "out");
    char tmp[140];
    snprintf(tmp, sizeof tmp, "%s.tmp", link);
    ck_assert(symlink("/dev/full", tmp) == 0);   // atomic_open writes through the link
    FILE *f = atomic_open(link);
    ck_assert(f != NULL);
    fputs("data", f);
    ck_assert(!atomic_close(f, link));
    ck_assert(!exists(link));
    dl_rm_rf(dir);
}
END_TEST

// ---- metrics.tsv ----

START_TEST(test_metrics_round_trip_and_replace)
{
    char dir[64], path[128], text[512];
    dl_tmpdir(dir, sizeof dir);
    Metrics *m = malloc(sizeof *m);
    ck_assert(m != NULL);
    metrics_init(m, dir);
    metrics_set(m, "loss", 0.123456789012);
    metrics_set(m, "accuracy", 0.5);
    metrics_set(m, "loss", 0.25);   // replaces, keeps its place
    metrics_set(m, "steps", 1000);
    metrics_set(m, "tiny", -1.5e-30);
    ck_assert_int_eq(m->n, 4);
    ck_assert(metrics_write(m));

    path_in(path, sizeof path, dir, "metrics.tsv");
    ck_assert_str_eq(m->path, path);
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert_str_eq(text, "loss\t0.25\naccuracy\t0.5\nsteps\t1000\ntiny\t-1.5e-30\n");
    double v;
    ck_assert(metrics_read(path, "loss", &v) && v == 0.25);
    ck_assert(metrics_read(path, "steps", &v) && v == 1000);
    ck_assert(metrics_read(path, "tiny", &v) && v == -1.5e-30);
    ck_assert(!metrics_read(path, "los", &v));   // a prefix is not a key
    ck_assert(!metrics_read(path, "missing", &v));
    char tmp[140];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert(!exists(tmp));

    // %.9g keeps a double to 9 significant digits.
    metrics_set(m, "pi", 3.14159265358979);
    ck_assert(metrics_write(m));
    ck_assert(metrics_read(path, "pi", &v));
    ck_assert_double_eq_tol(v, 3.14159265358979, 1e-8);
    metrics_free(m);
    free(m);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_metrics_read_missing_file_and_bad_lines)
{
    char dir[64], path[128];
    dl_tmpdir(dir, sizeof dir);
    path_in(path, sizeof path, dir, "metrics.tsv");
    double v = 7;
    ck_assert(!metrics_read(path, "loss", &v));
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("garbage line\nloss\tnot-a-number\nacc\t0.75\r\nlast\t2", f);
    fclose(f);
    ck_assert(!metrics_read(path, "loss", &v));
    ck_assert_double_eq(v, 7);
    ck_assert(metrics_read(path, "acc", &v) && v == 0.75);
    ck_assert(metrics_read(path, "last", &v) && v == 2);   // no final newline
    dl_rm_rf(dir);
}
END_TEST

// No cap on the number of keys (chapter 2 once dropped per-epoch keys at 256): 5,000 keys
// keep their insertion order, a key set again keeps its place, and all reach the file.
START_TEST(test_metrics_keeps_thousands_of_keys_in_order)
{
    char dir[64], path[128];
    dl_tmpdir(dir, sizeof dir);
    Metrics m;
    metrics_init(&m, dir);
    for (int i = 0; i < 5000; i++) metrics_setf(&m, i, "k_%d", i);
    metrics_set(&m, "k_17", -1.5);
    ck_assert_uint_eq(m.n, 5000);
    ck_assert_str_eq(m.items[17].key, "k_17");
    ck_assert(metrics_write(&m));
    snprintf(path, sizeof path, "%s/metrics.tsv", dir);
    double v = 0;
    ck_assert(metrics_read(path, "k_4999", &v) && v == 4999);
    ck_assert(metrics_read(path, "k_17", &v) && v == -1.5);
    ck_assert(metrics_get(&m, "k_256", &v) && v == 256);
    ck_assert(!metrics_get(&m, "k_5000", &v));
    metrics_free(&m);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_metrics_long_key_dies)
{
    quiet_stderr();
    static Metrics m;
    metrics_init(&m, "/tmp");
    char key[100];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    metrics_set(&m, key, 1);
}
END_TEST

// ---- plots ----

// The PNG signature: \x89 P N G.
static bool is_png(const char *path)
{
    unsigned char sig[4] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(sig, 1, 4, f);
    fclose(f);
    return n == 4 && sig[0] == 0x89 && sig[1] == 'P' && sig[2] == 'N' && sig[3] == 'G';
}

// After a plot call: .dat and .gp exist, the script reads the .dat by a relative path (when
// there is data), and there is a PNG exactly when gnuplot is installed.
static void check_plot_files_(const char *dir, const char *name, bool made, bool has_data)
{
    char path[256], text[16384], abs_ref[256];
    snprintf(path, sizeof path, "%s/%s.dat", dir, name);
    ck_assert_msg(exists(path), "%s missing", path);
    snprintf(path, sizeof path, "%s/%s.gp", dir, name);
    ck_assert(slurp(path, text, sizeof text) > 0);
    snprintf(abs_ref, sizeof abs_ref, "'%s.dat'", name);
    ck_assert_msg(!has_data || strstr(text, abs_ref), "%s does not read %s", path, abs_ref);
    ck_assert_msg(!strstr(text, dir), "%s names its folder; paths must be relative", path);
    ck_assert(strstr(text, "pngcairo noenhanced size 900,600"));
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    ck_assert_int_eq(made, plot_available());
    ck_assert_int_eq(is_png(path), plot_available());
    snprintf(path, sizeof path, "%s/%s.png.tmp", dir, name);
    ck_assert(!exists(path));
}
#define check_plot_files(dir, name, made) check_plot_files_(dir, name, made, true)

START_TEST(test_plot_lines_writes_dat_gp_png)
{
    char dir[64], path[128], text[4096];
    dl_tmpdir(dir, sizeof dir);
    float x[3] = {10, 20, 30}, y1[4] = {4, 3, 2, 1}, y2[3] = {5, 2.5f, 1.25f};
    PlotSeries s[3] = {
        {"train's loss", NULL, y1, 4, NULL},
        {"empty", NULL, NULL, 0, NULL},
        {"test", x, y2, 3, "points pt 7"},
    };
    bool made = plot_lines(dir, "loss", "Loss", "step", "loss", s, 3, true);
    check_plot_files(dir, "loss", made);
    path_in(path, sizeof path, dir, "loss.dat");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "0 4\n1 3\n2 2\n3 1\n\n\n# series 1: test\n10 5\n20 2.5\n30 1.25\n"));
    path_in(path, sizeof path, dir, "loss.gp");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "set logscale y"));
    ck_assert(strstr(text, "index 1 using 1:2 with points pt 7 title 'test'"));
    ck_assert(strstr(text, "title 'train''s loss'"));   // quotes escaped for gnuplot
    ck_assert(!strstr(text, "empty"));                 // an empty series is left out
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_plot_lines_without_data_still_draws)
{
    char dir[64];
    dl_tmpdir(dir, sizeof dir);
    bool made = plot_lines(dir, "nothing", NULL, NULL, NULL, NULL, 0, false);
    check_plot_files_(dir, "nothing", made, false);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_plot_heatmap_prints_integers_as_integers)
{
    char dir[64], path[128], text[16384];
    dl_tmpdir(dir, sizeof dir);
    float cm[100];
    for (int i = 0; i < 100; i++) cm[i] = i / 10 == i % 10 ? 950 : (float)(i % 7);
    bool made = plot_heatmap(dir, "confusion", "Confusion", "predicted", "true", cm, 10, 10);
    check_plot_files(dir, "confusion", made);
    path_in(path, sizeof path, dir, "confusion.dat");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "\n0 0 950 \"950\" "));
    ck_assert(strstr(text, "\n2 0 2 \"2\" "));
    ck_assert(!strstr(text, "950.0"));

    float frac[6] = {0.5f, 0.25f, 0.125f, 0.9f, 0.01f, 1};
    made = plot_heatmap(dir, "frac", "Fractions", NULL, NULL, frac, 2, 3);
    check_plot_files(dir, "frac", made);
    path_in(path, sizeof path, dir, "frac.dat");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "\"0.25\"") && strstr(text, "\"0.125\"") && strstr(text, "\"1\""));
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_plot_decision_writes_grid_and_points)
{
    char dir[64], path[128], text[65536];
    dl_tmpdir(dir, sizeof dir);
    enum { GH = 21, GW = 31 };
    float prob[GH * GW];
    for (int i = 0; i < GH; i++)
        for (int j = 0; j < GW; j++) {
            float x = -1 + 2.0f * j / (GW - 1), y = -1 + 2.0f * i / (GH - 1);
            prob[i * GW + j] = 1 / (1 + expf(-4 * (x + y)));
        }
    float pts[8] = {-0.5f, -0.5f, 0.5f, 0.5f, -0.8f, 0.1f, 0.7f, 0.2f};
    int lab[4] = {0, 1, 0, 1};
    bool made = plot_decision(dir, "boundary", "Boundary", prob, GH, GW, -1, 1, -1, 1, pts, lab, 4);
    check_plot_files(dir, "boundary", made);
    path_in(path, sizeof path, dir, "boundary.dat");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "\n-1 -1 0.000335350138\n"));   // row 0 is y0, column 0 is x0
    ck_assert(strstr(text, "# class 0\n-0.5 -0.5\n-0.800000012 0.100000001\n"));
    ck_assert(strstr(text, "# class 1\n0.5 0.5\n0.699999988 0.200000003\n"));
    path_in(path, sizeof path, dir, "boundary.gp");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "set cntrparam levels discrete 0.5"));
    ck_assert(strstr(text, "with image"));
    dl_rm_rf(dir);
}
END_TEST

// A contour plot: the grid is block 0 (row 0 at y0, column 0 at x0), every non-empty series a
// block after it, in the order given, and the script traces the contours, then draws them.
START_TEST(test_plot_contour_writes_grid_then_series)
{
    char dir[64], path[128], text[65536];
    dl_tmpdir(dir, sizeof dir);
    enum { GH = 11, GW = 21 };
    float z[GH * GW];
    for (int i = 0; i < GH; i++)
        for (int j = 0; j < GW; j++) {
            float x = -2 + 4.0f * j / (GW - 1), y = -1 + 2.0f * i / (GH - 1);
            z[i * GW + j] = x * x + 10 * y * y + y;   // not symmetric: row order shows
        }
    float px[3] = {-2, -1, 0}, py[3] = {1, 0.5f, 0}, qx[1] = {1}, qy[1] = {1};
    PlotSeries s[3] = {
        {"sgd", px, py, 3, "linespoints pt 7"},
        {"nothing", qx, qy, 0, NULL},
        {"adam's", qx, qy, 1, NULL},
    };
    bool made = plot_contour(dir, "bowl", "Bowl", "x", "y", z, GH, GW, -2, 2, -1, 1, 12, s, 3);
    check_plot_files(dir, "bowl", made);
    path_in(path, sizeof path, dir, "bowl.dat");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "\n-2 -1 13\n-1.8 -1 12.2399998\n"));   // row 0: y = y0
    ck_assert(strstr(text, "\n2 1 15\n\n"));                       // the last grid point
    ck_assert(strstr(text, "# series 1: sgd\n-2 1\n-1 0.5\n0 0\n\n\n# series 2: adam's\n1 1\n"));
    ck_assert(!strstr(text, "nothing"));                           // empty: left out
    path_in(path, sizeof path, dir, "bowl.gp");
    ck_assert(slurp(path, text, sizeof text) > 0);
    ck_assert(strstr(text, "set cntrparam levels 12"));
    ck_assert(strstr(text, "splot 'bowl.dat' index 0 using 1:2:3"));
    ck_assert(strstr(text, "index 1 using 1:2 with linespoints pt 7 title 'sgd'"));
    ck_assert(strstr(text, "index 2 using 1:2 with lines lw 2 title 'adam''s'"));
    dl_rm_rf(dir);
}
END_TEST

// Registered only when gnuplot is installed (gnuplot_installed).
START_TEST(test_plot_gnuplot_failure_returns_false_and_cleans_up)
{
    ck_assert(plot_available());
    char dir[64], path[128];
    dl_tmpdir(dir, sizeof dir);
    float zeros[3] = {0, 0, 0};   // nothing to draw on a log axis: gnuplot fails
    PlotSeries s = {"zeros", NULL, zeros, 3, NULL};
    quiet_stderr();   // gnuplot's complaint
    ck_assert(!plot_lines(dir, "bad", NULL, NULL, NULL, &s, 1, true));
    path_in(path, sizeof path, dir, "bad.png");
    ck_assert(!exists(path));
    path_in(path, sizeof path, dir, "bad.png.tmp");
    ck_assert(!exists(path));
    dl_rm_rf(dir);
}
END_TEST

// Without gnuplot on PATH: .dat and .gp are still written, no PNG (a stale one is removed),
// and one notice (not one per plot) says how to install gnuplot. Relies on Check running
// each test in its own process, so that plot_available() has not looked yet (registered only
// in fork mode).
START_TEST(test_plot_without_gnuplot_writes_files_and_one_notice)
{
    char dir[64], bin[128], log[128], path[128], text[4096];
    dl_tmpdir(dir, sizeof dir);
    path_in(bin, sizeof bin, dir, "emptybin");
    ck_assert(make_dirs(bin));
    char old_path[4096];
    snprintf(old_path, sizeof old_path, "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", bin, 1);
    path_in(path, sizeof path, dir, "loss.png");
    FILE *stale = fopen(path, "w");
    ck_assert(stale != NULL);
    fclose(stale);

    path_in(log, sizeof log, dir, "stderr.txt");
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    ck_assert(freopen(log, "w", stderr) != NULL);
    float y[3] = {1, 2, 3};
    PlotSeries s = {"y", NULL, y, 3, NULL};
    bool a = plot_lines(dir, "loss", NULL, NULL, NULL, &s, 1, false);
    bool b = plot_heatmap(dir, "heat", NULL, NULL, NULL, y, 1, 3);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    setenv("PATH", old_path, 1);   // for dl_rm_rf's rm; plot_available() already decided

    ck_assert(!plot_available());
    ck_assert(!a && !b);
    check_plot_files(dir, "loss", a);
    check_plot_files(dir, "heat", b);
    ck_assert(!exists(path));   // the stale PNG is gone
    ck_assert(slurp(log, text, sizeof text) > 0);
    char want[256];
    snprintf(want, sizeof want, "notice: gnuplot not found: plots skipped (wrote %s/loss.dat/.gp); "
             "install with apt-get install gnuplot-nox, then run make plots\n", dir);
    ck_assert_str_eq(text, want);
    dl_rm_rf(dir);
}
END_TEST

START_TEST(test_plot_bad_name_dies)
{
    quiet_stderr();
    float y[1] = {1};
    PlotSeries s = {"y", NULL, y, 1, NULL};
    plot_lines("/tmp", "../escape", NULL, NULL, NULL, &s, 1, false);
}
END_TEST

// ---- progress and time ----

START_TEST(test_now_seconds_is_monotonic)
{
    double t0 = now_seconds();
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double t1 = now_seconds();
    ck_assert_msg(t1 - t0 >= 0.019 && t1 - t0 < 5, "slept 20 ms, measured %g s", t1 - t0);
}
END_TEST

START_TEST(test_progress_silent_when_not_a_terminal)
{
    char dir[64], log[128], text[256];
    dl_tmpdir(dir, sizeof dir);
    path_in(log, sizeof log, dir, "stderr.txt");
    ck_assert(freopen(log, "w", stderr) != NULL);
    Progress p;
    progress_start(&p, "train", 10);
    ck_assert(!p.tty);
    for (long i = 1; i <= 10; i++) progress_update(&p, i, "loss 0.5");
    progress_end(&p);
    ck_assert_int_eq(p.done, 10);
    fflush(stderr);
    ck_assert_int_eq(slurp(log, text, sizeof text), 0);
    dl_rm_rf(dir);
}
END_TEST

// On a terminal (a pseudo-terminal here) the bar is drawn, throttled to ~10 redraws/s, and
// the final state is always shown.
START_TEST(test_progress_draws_on_a_terminal)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);   // registered only if pty_available()
    ck_assert_msg(master >= 0, "posix_openpt: %s", strerror(errno));
    ck_assert(grantpt(master) == 0 && unlockpt(master) == 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert(slave >= 0);
    fflush(stderr);
    ck_assert(dup2(slave, STDERR_FILENO) == STDERR_FILENO);

    Progress p;
    progress_start(&p, "train", 1000);
    ck_assert(p.tty);
    for (long i = 1; i <= 1000; i++) progress_update(&p, i, "loss 0.25");
    progress_end(&p);

    char text[8192];
    size_t len = 0;
    fcntl(master, F_SETFL, O_NONBLOCK);
    ssize_t r;
    while (len < sizeof text - 1 && (r = read(master, text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)r;
    text[len] = '\0';
    ck_assert_msg(strstr(text, "train [##############################] 1000/1000"), "%s", text);
    ck_assert(strstr(text, "ETA") && strstr(text, "loss 0.25"));
    ck_assert_msg(count_substr(text, "train [") <= 3, "redrawn too often:\n%s", text);
    ck_assert(strchr(text, '\n'));
    close(slave);
    close(master);
}
END_TEST

// ---- what this machine offers (asked once, while the suite is built) ----

// plot_available() in a child process: it caches its answer, and the tests forked from this
// process later must still find it unasked (test_plot_without_gnuplot_…).
static bool gnuplot_installed(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(plot_available() ? 0 : 1);
    int st;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool pty_available(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) return false;
    close(master);
    return true;
}

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *cli = tcase_create("cli");
    tcase_add_test(cli, test_cli_defaults);
    tcase_add_test(cli, test_cli_data_default_from_env_then_beside_program);
    tcase_add_test(cli, test_cli_every_flag_space_form);
    tcase_add_test(cli, test_cli_every_flag_equals_form);
    tcase_add_test(cli, test_cli_errors_name_the_problem);
    tcase_add_test(cli, test_cli_help_returns_1_and_lists_extras_with_defaults);
    tcase_add_test(cli, test_cli_extras_of_each_type);
    tcase_add_test(cli, test_cli_parse_creates_out_dir);
    tcase_add_test(cli, test_cli_out_subdir_creates_it_under_out);
    tcase_add_exit_test(cli, test_cli_parse_bad_flag_exits_usage, DL_EXIT_USAGE);
    tcase_add_test(cli, test_cli_parse_help_prints_usage_and_exits_0_without_returning);
    tcase_add_exit_test(cli, test_cli_parse_unwritable_out_dies, DL_EXIT_ERROR);
    suite_add_tcase(s, cli);

    TCase *files = tcase_create("files");
    tcase_add_test(files, test_make_dirs_nested_existing_and_through_a_file);
    tcase_add_test(files, test_atomic_write_leaves_no_tmp);
    dl_tcase_add_test_if(files, test_atomic_close_reports_write_error,
                         access("/dev/full", W_OK) == 0,
                         "no writable /dev/full (a device on which every write fails)");
    tcase_add_test(files, test_metrics_round_trip_and_replace);
    tcase_add_test(files, test_metrics_read_missing_file_and_bad_lines);
    tcase_add_test(files, test_metrics_keeps_thousands_of_keys_in_order);
    tcase_add_exit_test(files, test_metrics_long_key_dies, DL_EXIT_ERROR);
    suite_add_tcase(s, files);

    TCase *plots = tcase_create("plots");
    tcase_set_timeout(plots, 30);   // each plot runs gnuplot
    tcase_add_test(plots, test_plot_lines_writes_dat_gp_png);
    tcase_add_test(plots, test_plot_lines_without_data_still_draws);
    tcase_add_test(plots, test_plot_heatmap_prints_integers_as_integers);
    tcase_add_test(plots, test_plot_decision_writes_grid_and_points);
    tcase_add_test(plots, test_plot_contour_writes_grid_then_series);
    dl_tcase_add_test_if(plots, test_plot_gnuplot_failure_returns_false_and_cleans_up,
                         gnuplot_installed(), "gnuplot is not installed (the test makes gnuplot fail)");
    dl_tcase_add_test_if(plots, test_plot_without_gnuplot_writes_files_and_one_notice,
                         dl_check_forks(), "CK_FORK=no, and it needs a fresh process per test");
    tcase_add_exit_test(plots, test_plot_bad_name_dies, DL_EXIT_ERROR);
    suite_add_tcase(s, plots);

    TCase *progress = tcase_create("progress");
    tcase_add_test(progress, test_now_seconds_is_monotonic);
    tcase_add_test(progress, test_progress_silent_when_not_a_terminal);
    dl_tcase_add_test_if(progress, test_progress_draws_on_a_terminal, pty_available(),
                         "no pseudo-terminals here (posix_openpt fails)");
    suite_add_tcase(s, progress);
    return s;
}

DL_TEST_MAIN(report_suite)
