/* common/report/cli.c — the command line every chapter shares; see report/cli.h. */
#include "report/cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "base/threads.h"
#include "kernels/ladder.h"

#define MAX_THREADS 64



// Folder of the program: "build/x/run" -> "build/x", "run" -> ".", "/run" -> "/".
static void program_dir(const char *argv0, char *dir, size_t len)
{
    const char *slash = strrchr(argv0, '/');
    if (!slash) {
        snprintf(dir, len, ".");
    } else if (slash == argv0) {
        snprintf(dir, len, "/");
    } else {
        size_t n = (size_t)(slash - argv0);
        if (n >= len) n = len - 1;   // absurdly long; the caller's join then fails loudly
        memcpy(dir, argv0, n);
        dir[n] = '\0';
    }
}

static int online_cpus(void)
{
    long n = 1;
#ifdef _SC_NPROCESSORS_ONLN
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

// Defaults; a default path too long for its buffer is left empty, and reported only if the
// user does not override it (see cli_parse_args).
static void cli_defaults(Cli *cli, const char *argv0)
{
    memset(cli, 0, sizeof *cli);
    cli->seed = 42;
    cli->threads = online_cpus();
    snprintf(cli->kernel, sizeof cli->kernel, "auto");

    char dir[512];
    program_dir(argv0, dir, sizeof dir);
    if (!path_join(cli->out_dir, sizeof cli->out_dir, dir, "out")) cli->out_dir[0] = '\0';

    const char *env = getenv("DL_DATA");
    if (env && *env) {
        if (!path_copy(cli->data_dir, sizeof cli->data_dir, env)) cli->data_dir[0] = '\0';
        return;
    }
    // The repository's data/ folder: next to the chapter folders that hold the programs,
    // or under the current folder (running from the repo root), or one up (from a chapter).
    char beside[512];
    if (!path_join(beside, sizeof beside, dir, "../data")) beside[0] = '\0';
    const char *candidates[] = {beside, "data", "../data"};
    for (int i = 0; i < 3; i++) {
        if (candidates[i][0] && path_is_dir(candidates[i])) {
            path_copy(cli->data_dir, sizeof cli->data_dir, candidates[i]);
            return;
        }
    }
    path_copy(cli->data_dir, sizeof cli->data_dir, beside);   // reported missing by the loader
}

// The whole of s as a base-10 integer in [lo, hi] (no leading spaces, no trailing junk).
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (!*s || isspace((unsigned char)*s)) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static void print_usage(const Cli *cli, const char *argv0, const char *about,
                        const CliExtra *extras, int n_extras)
{
    printf("%s\n\nusage: %s [flags]\n\ncommon flags:\n", about ? about : "", argv0);
    printf("  %-18s %s\n", "--quick", "a run of seconds, for tests and CI");
    printf("  %-18s %s\n", "--full", "the long, paper-scale run");
    printf("  %-18s %s\n", "--bench", "run the kernel benchmarks instead of training");
    printf("  %-18s random seed (default %llu)\n", "--seed N", (unsigned long long)cli->seed);
    printf("  %-18s worker threads, 1 to %d (default %d, the online CPUs)\n", "--threads N",
           MAX_THREADS, cli->threads);
    printf("  %-18s kernel rungs: auto (the fastest, default), naive (every v0), or\n"
           "  %-18s LADDER=RUNG[,…] with a rung's name or version, e.g. gemm=v2_blocked,conv=v1\n",
           "--kernel SPEC", "");
    kernels_describe(stdout);
    printf("  %-18s data folder (default %s; or set DL_DATA)\n", "--data DIR", cli->data_dir);
    printf("  %-18s mnist|fashion: which image set (default: MNIST, else Fashion-MNIST when\n"
           "  %-18s only that is in the data folder); --data mnist|fashion is short for it\n",
           "--dataset NAME", "");
    printf("  %-18s output folder (default %s)\n", "--out DIR", cli->out_dir);
    printf("  %-18s write a checkpoint of the main training run to FILE when it ends (and of\n"
           "  %-18s the run in progress on Ctrl-C; default then <out>/interrupted.ckpt)\n",
           "--save FILE", "");
    printf("  %-18s continue the training run saved in FILE (train/checkpoint.h): the run\n"
           "  %-18s goes on with exactly the numbers an uninterrupted one would print\n",
           "--resume FILE", "");
    printf("  %-18s %s\n", "--help", "this text");
    if (n_extras > 0) printf("\nflags of this program:\n");
    for (int i = 0; i < n_extras; i++) {
        const CliExtra *e = &extras[i];
        char flag[64];
        const char *arg = e->type == 'i' ? " N" : e->type == 'f' ? " X" : e->type == 's' ? " S" : "";
        snprintf(flag, sizeof flag, "--%s%s", e->name, arg);
        printf("  %-18s %s (default ", flag, e->help ? e->help : "");
        switch (e->type) {
        case 'i': printf("%d)\n", *(const int *)e->dest); break;
        case 'f': printf("%g)\n", (double)*(const float *)e->dest); break;
        case 's': printf("'%s')\n", (const char *)e->dest); break;
        default: printf("%s)\n", *(const bool *)e->dest ? "on" : "off"); break;
        }
    }
    printf("\nValues go as --flag VALUE or --flag=VALUE.\n");
}

int cli_parse_args(Cli *cli, int argc, char **argv, const char *about,
                   const CliExtra *extras, int n_extras, char *err, size_t errlen)
{
    const char *argv0 = argc > 0 && argv[0] ? argv[0] : "run";
    cli_defaults(cli, argv0);
    cli->argc = argc;
    cli->argv = argv;
    if (errlen) err[0] = '\0';
    if (n_extras > 0 && !extras) n_extras = 0;
    for (int i = 0; i < n_extras; i++) {
        const CliExtra *e = &extras[i];
        if (!e->name || !e->dest || !strchr("ifsb", e->type) || !e->type ||
            (e->type == 's' && e->dest_len == 0)) {
            snprintf(err, errlen, "bad CliExtra #%d ('%s'): needs a name, a dest, type i|f|s|b "
                     "and dest_len for 's'", i, e->name ? e->name : "(null)");
            return -1;
        }
    }

    // --help wins wherever it is, and shows the defaults, not values parsed before it.
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(cli, argv0, about, extras, n_extras);
            return 1;
        }
    }

    // The common flags, looked up before the chapter's extras.
    enum { F_QUICK, F_FULL, F_BENCH, F_SEED, F_THREADS, F_KERNEL, F_DATA, F_OUT, F_DATASET,
           F_SAVE, F_RESUME, N_COMMON };
    static const char *const COMMON[N_COMMON] = {
        "quick", "full", "bench", "seed", "threads", "kernel", "data", "out", "dataset", "save",
        "resume",
    };
    bool data_set = false, out_set = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s': flags start with -- (see --help)", arg);
            return -1;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        int nl = (int)nlen;   // for "%.*s"

        int flag = 0;
        while (flag < N_COMMON && !(strlen(COMMON[flag]) == nlen &&
                                    strncmp(name, COMMON[flag], nlen) == 0))
            flag++;
        const CliExtra *extra = NULL;
        for (int k = 0; flag == N_COMMON && !extra && k < n_extras; k++)
            if (strlen(extras[k].name) == nlen && strncmp(name, extras[k].name, nlen) == 0)
                extra = &extras[k];
        if (flag == N_COMMON && !extra) {
            snprintf(err, errlen, "unknown flag '--%.*s' (see --help)", nl, name);
            return -1;
        }

        bool *switch_dest = extra ? (extra->type == 'b' ? (bool *)extra->dest : NULL)
                            : flag == F_QUICK ? &cli->quick
                            : flag == F_FULL  ? &cli->full
                            : flag == F_BENCH ? &cli->bench : NULL;
        if (switch_dest) {
            if (eq) {
                snprintf(err, errlen, "--%.*s takes no value, got '%s'", nl, name, arg);
                return -1;
            }
            *switch_dest = true;
            continue;
        }

        // A value: after '=' or the next argument (which must not be another flag).
        const char *val;
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "--%.*s expects a value (see --help)", nl, name);
            return -1;
        }
        bool starts_ok = *val && !isspace((unsigned char)*val);   // strto* skip spaces
        char *end = NULL;
        long l;

        if (extra && extra->type == 'i') {
            if (!parse_long(val, INT_MIN, INT_MAX, &l)) {
                snprintf(err, errlen, "--%s expects an integer, got '%s'", extra->name, val);
                return -1;
            }
            *(int *)extra->dest = (int)l;
        } else if (extra && extra->type == 'f') {
            float f = starts_ok ? strtof(val, &end) : NAN;
            if (!starts_ok || *end || !isfinite(f)) {
                snprintf(err, errlen, "--%s expects a finite number, got '%s'", extra->name, val);
                return -1;
            }
            *(float *)extra->dest = f;
        } else if (extra) {   // 's'
            if (!path_copy(extra->dest, extra->dest_len, val)) {
                snprintf(err, errlen, "--%s expects at most %zu characters, got %zu",
                         extra->name, extra->dest_len - 1, strlen(val));
                return -1;
            }
        } else if (flag == F_SEED) {
            // strtoull would accept "-1" (as 2^64 - 1), so insist on a leading digit.
            errno = 0;
            unsigned long long v = isdigit((unsigned char)*val) ? strtoull(val, &end, 10) : 0;
            if (!isdigit((unsigned char)*val) || *end || errno == ERANGE) {
                snprintf(err, errlen, "--seed expects a non-negative integer, got '%s'", val);
                return -1;
            }
            cli->seed = (uint64_t)v;
        } else if (flag == F_THREADS) {
            if (!parse_long(val, 1, MAX_THREADS, &l)) {
                snprintf(err, errlen, "--threads expects an integer from 1 to %d, got '%s'",
                         MAX_THREADS, val);
                return -1;
            }
            cli->threads = (int)l;
        } else if (flag == F_KERNEL) {
            if (!kernels_select(val, err, errlen)) return -1;
            if (!path_copy(cli->kernel, sizeof cli->kernel, val)) {
                snprintf(err, errlen, "--kernel: the spec is too long (at most %zu characters)",
                         sizeof cli->kernel - 1);
                return -1;
            }
        } else if (flag == F_SAVE || flag == F_RESUME) {
            char *dst = flag == F_SAVE ? cli->save_path : cli->resume_path;
            if (!*val || !path_copy(dst, sizeof cli->save_path, val)) {
                snprintf(err, errlen, "--%s expects a file name of 1 to %zu characters",
                         COMMON[flag], sizeof cli->save_path - 1);
                return -1;
            }
        } else if (flag == F_DATASET ||
                   (flag == F_DATA && (strcmp(val, "mnist") == 0 || strcmp(val, "fashion") == 0))) {
            // --dataset NAME, and --data NAME as its short form (a folder named "mnist" or
            // "fashion" can still be given as ./mnist).
            if (strcmp(val, "mnist") != 0 && strcmp(val, "fashion") != 0) {
                snprintf(err, errlen, "--dataset expects mnist or fashion, got '%s'", val);
                return -1;
            }
            snprintf(cli->dataset, sizeof cli->dataset, "%s", val);
        } else {   // F_DATA, F_OUT
            const char *what = flag == F_DATA ? "data" : "out";
            char *dst = flag == F_DATA ? cli->data_dir : cli->out_dir;
            if (!*val) {
                snprintf(err, errlen, "--%s expects a folder, got ''", what);
                return -1;
            }
            if (!path_copy(dst, sizeof cli->data_dir, val)) {
                snprintf(err, errlen, "--%s: the path is too long (%zu bytes, at most %zu)", what,
                         strlen(val), sizeof cli->data_dir - 1);
                return -1;
            }
            *(flag == F_DATA ? &data_set : &out_set) = true;
        }
    }

    if (cli->quick && cli->full) {
        snprintf(err, errlen, "--quick and --full cannot be used together (pick one)");
        return -1;
    }
    if ((!data_set && !cli->data_dir[0]) || (!out_set && !cli->out_dir[0])) {
        snprintf(err, errlen, "the default %s folder path is too long; pass --%s DIR",
                 !out_set && !cli->out_dir[0] ? "output" : "data",
                 !out_set && !cli->out_dir[0] ? "out" : "data");
        return -1;
    }
    return 0;
}

void cli_parse(Cli *cli, int argc, char **argv, const char *about, const CliExtra *extras,
               int n_extras)
{
    char err[640];
    int rc = cli_parse_args(cli, argc, argv, about, extras, n_extras, err, sizeof err);
    if (rc == 1) exit(0);
    if (rc != 0) dl_die_status(DL_EXIT_USAGE, "%s", err);
    if (!make_dirs(cli->out_dir))
        dl_die("cannot create the output folder '%s': %s (pass --out DIR with a folder you "
               "can write to)", cli->out_dir, strerror(errno));
    // --threads takes effect here, once for every chapter (--kernel did while parsing).
    threads_set(cli->threads);
}

void cli_out_subdir(const Cli *cli, const char *name, char *path, size_t len)
{
    if (!path_join(path, len, cli->out_dir, name))
        dl_die("the folder name '%s/%s' is too long (pass a shorter --out DIR)", cli->out_dir,
               name);
    if (!make_dirs(path))
        dl_die("cannot create the folder '%s': %s (pass --out DIR with a folder you can write "
               "to)", path, strerror(errno));
}

bool cli_flag_given(const Cli *cli, const char *name)
{
    for (int i = 1; i < cli->argc; i++)
        if (strncmp(cli->argv[i], "--", 2) == 0 && strcmp(cli->argv[i] + 2, name) == 0) return true;
    return false;
}
