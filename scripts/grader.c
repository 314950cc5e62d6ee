/* scripts/grader.c — grade a chapter's exercises against its reference outputs.
 * Build: make build/default/grader (grade.mk bakes in the compiler, flags and library)
 * Run:   make grade [CHAPTER=2] [SOLUTIONS=1]    or    build/default/grader --help
 *
 * For every row of NN_topic/expected/exercises.tsv:
 *   values, speed  compile exercises/driver.c -DEXERCISE_<name> with the student's <name>.c,
 *                  run it in a child process (own process group, temporary working
 *                  directory, limits on memory, CPU time and wall-clock time, stdin from
 *                  /dev/null), read its results from a pipe on fd 3 (stdout and stderr go to
 *                  another pipe, kept only for the report), then compare every value with
 *                  expected/<name>.txt: |got - want| <= atol + rtol·|want| (STYLE.md §5).
 *                  The driver is compiled with -DEX_CHAPTER_DIR="<the chapter folder,
 *                  absolute>", so it can read a fixture of the chapter (05_rnn_lstm's
 *                  expected/torch_lstm_clip.txt) from its temporary working directory.
 *                  A speed exercise must also reach the speed-up over the naive version
 *                  stated in the tsv, measured by the driver in the same run.
 *   quiz           compare the answer in answers.txt with expected/quiz.txt.
 * All reference values are read before any student code runs, and only the grader (the
 * parent) decides; a crash, a hang, a memory blow-up, NaNs or junk printed by one exercise
 * cost that exercise its points and nothing else. This protects against accidents, not
 * malice: it is not a security sandbox.
 * Writes NN_topic/grade.tsv (exercise, points, max, status) and, when grading every
 * chapter, a summary grade.tsv at the top, each atomically (temp file, then rename).
 * --write-expected (make expected) runs the reference solutions and rewrites expected/.
 * Exit status: 0 when grading ran (whatever the score), 1 on a problem with the course
 * files or the machine, 2 on a bad command line.
 */
#define _DEFAULT_SOURCE    // wait4() (per-child peak memory); glibc
#define _DARWIN_C_SOURCE   // the same on macOS

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grader.h"

// Defaults baked in by grade.mk; each can be changed on the command line.
#ifndef GRADER_CC
#define GRADER_CC "cc"
#endif
#ifndef GRADER_CFLAGS
#define GRADER_CFLAGS "-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -O2 -ffp-contract=off -pthread"
#endif
#ifndef GRADER_LIB
#define GRADER_LIB "build/default/libdl.a"
#endif

#define MAX_ROWS 32
#define MAX_FILES 32
#define RESULTS_CAP (4u << 20)     // bytes of results a driver may write
#define CONSOLE_KEEP 2048          // bytes of stdout/stderr kept for the report
#define COMPILE_TIMEOUT 120        // seconds
#define SPEC_FIELDS 11

// ---- small helpers ----
static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("grader: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die(1, "out of memory (asked for %zu bytes)", n);
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// Whole file into a NUL-terminated buffer; NULL (errno set) on failure or when larger than cap.
static char *read_file(const char *path, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t size = 0, alloc = 4096;
    char *buf = xmalloc(alloc);
    for (;;) {
        if (size + 1 >= alloc) {
            alloc *= 2;
            char *nb = realloc(buf, alloc);
            if (!nb) die(1, "out of memory reading %s", path);
            buf = nb;
        }
        size_t n = fread(buf + size, 1, alloc - size - 1, f);
        size += n;
        if (size > cap) { free(buf); fclose(f); errno = EFBIG; return NULL; }
        if (n == 0) break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) { free(buf); errno = EIO; return NULL; }
    buf[size] = '\0';
    if (len) *len = size;
    return buf;
}

// Write `text` to path atomically: path.<pid>.tmp, then rename over path.
static void write_atomic(const char *path, const char *text)
{
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) die(1, "cannot write %s: %s", tmp, strerror(errno));
    bool ok = fputs(text, f) >= 0;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0 || errno == EINVAL) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        die(1, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
}

// A growing string.
typedef struct Buf { char *s; size_t len, cap; } Buf;

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = 2 * (b->len + (size_t)n + 1);
        char *ns = realloc(b->s, b->cap);
        if (!ns) die(1, "out of memory");
        b->s = ns;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

// Next line of a mutable text (terminator replaced by NUL); NULL at the end.
static char *next_line(char **cursor)
{
    char *s = *cursor;
    if (!s || !*s) return NULL;
    char *nl = strchr(s, '\n');
    if (nl) { *nl = '\0'; *cursor = nl + 1; } else { *cursor = s + strlen(s); }
    size_t n = strlen(s);
    if (n && s[n - 1] == '\r') s[n - 1] = '\0';
    return s;
}

static bool parse_double(const char *s, double *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (*end || errno == ERANGE) return false;
    *out = v;
    return true;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);                     // in case student code made it unreadable
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char *p = xasprintf("%s/%s", path, e->d_name);
                rm_rf(p);
                free(p);
            }
            closedir(d);
        }
        if (rmdir(path) != 0) fprintf(stderr, "grader: warning: cannot remove %s: %s\n", path, strerror(errno));
    } else if (unlink(path) != 0) {
        fprintf(stderr, "grader: warning: cannot remove %s: %s\n", path, strerror(errno));
    }
}

// mkdir -p: every missing directory on the path.
static void mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) die(1, "mkdir %s: %s", p, strerror(errno));
            *s = '/';
        }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) die(1, "mkdir %s: %s", p, strerror(errno));
    free(p);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGTERM: return "SIGTERM";
    case SIGPIPE: return "SIGPIPE";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "signal %d", sig);
        return buf;
    }
    }
}

// ---- options ----
typedef struct FileOverride { char *name, *path; } FileOverride;

typedef struct Options {
    const char *root;          // repository root
    const char *src;           // --src DIR, or NULL: <chapter>/exercises
    bool solutions;            // --solutions: <chapter>/exercises/solutions
    FileOverride files[MAX_FILES];
    int n_files;
    const char *only;          // comma-separated exercise names, or NULL
    const char *report_dir;    // where grade.tsv files go, or NULL: the chapter folders
    double timeout_cap;        // 0 = none
    bool write_expected, strict, keep, verbose;
    const char *cc, *cflags, *lib;
} Options;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: grader [options] [CHAPTER...]\n"
        "Grades the exercises of each CHAPTER (1, 02, 02_backprop; default: every chapter with\n"
        "an expected/exercises.tsv), prints PASS/FAIL and points per exercise and writes\n"
        "<chapter>/grade.tsv (and a summary grade.tsv at the top when grading every chapter).\n"
        "  --solutions        grade exercises/solutions/ (the reference) instead of exercises/\n"
        "  --src DIR          take the exercise files and answers.txt from DIR\n"
        "  --file NAME=PATH   take exercise NAME's source (NAME=answers: the answers file) from\n"
        "                     PATH (repeatable; use with one chapter)\n"
        "  --only A,B         grade only these exercises\n"
        "  --report-dir DIR   write grade.tsv files under DIR instead of the chapter folders\n"
        "  --timeout S        cap every exercise's time limit at S seconds\n"
        "  --strict           compile with -Werror (CI: stubs and solutions must be clean)\n"
        "  --write-expected   instructors: run the reference solutions, rewrite expected/\n"
        "  --root DIR         repository root (default: .)\n"
        "  --cc CC  --cflags FLAGS  --lib PATH   how to compile (default: %s | %s | %s)\n"
        "  --keep             keep the build directory (printed) to debug a driver by hand\n"
        "  --verbose          print the compile and run commands\n",
        GRADER_CC, GRADER_CFLAGS, GRADER_LIB);
}

static void parse_args(int argc, char **argv, Options *o, const char **chapters, int *n_ch)
{
    *o = (Options){.root = ".", .cc = GRADER_CC, .cflags = GRADER_CFLAGS, .lib = GRADER_LIB};
    *n_ch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
#define NEXT() (has_next ? argv[++i] : (die(2, "%s needs a value (see --help)", a), ""))
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); exit(0); }
        else if (!strcmp(a, "--solutions")) o->solutions = true;
        else if (!strcmp(a, "--src")) o->src = NEXT();
        else if (!strcmp(a, "--file")) {
            const char *v = NEXT();
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1]) die(2, "--file expects NAME=PATH, got '%s'", v);
            if (o->n_files == MAX_FILES) die(2, "too many --file options (at most %d)", MAX_FILES);
            FileOverride *f = &o->files[o->n_files++];
            f->name = xstrdup(v);
            f->name[eq - v] = '\0';
            f->path = xstrdup(eq + 1);
        }
        else if (!strcmp(a, "--only")) o->only = NEXT();
        else if (!strcmp(a, "--report-dir")) o->report_dir = NEXT();
        else if (!strcmp(a, "--timeout")) {
            const char *v = NEXT();
            if (!parse_double(v, &o->timeout_cap) || !(o->timeout_cap > 0))
                die(2, "--timeout expects a positive number of seconds, got '%s'", v);
        }
        else if (!strcmp(a, "--strict")) o->strict = true;
        else if (!strcmp(a, "--write-expected")) o->write_expected = true;
        else if (!strcmp(a, "--root")) o->root = NEXT();
        else if (!strcmp(a, "--cc")) o->cc = NEXT();
        else if (!strcmp(a, "--cflags")) o->cflags = NEXT();
        else if (!strcmp(a, "--lib")) o->lib = NEXT();
        else if (!strcmp(a, "--keep")) o->keep = true;
        else if (!strcmp(a, "--verbose")) o->verbose = true;
        else if (a[0] == '-') die(2, "unknown option '%s' (see --help)", a);
        else if (*n_ch < 64) chapters[(*n_ch)++] = a;
        else die(2, "too many chapters on the command line");
#undef NEXT
    }
    if (o->src && o->solutions) die(2, "--src and --solutions exclude each other");
    if (o->write_expected && (o->src || o->n_files || o->only || o->solutions))
        die(2, "--write-expected always uses exercises/solutions/; drop --src/--file/--only/--solutions");
    if (!is_file(o->lib))
        die(1, "the course library %s is missing: build it first (make lib), or use 'make grade'", o->lib);
}

// ---- the per-chapter spec: expected/exercises.tsv ----
typedef enum { KIND_VALUES, KIND_SPEED, KIND_QUIZ } Kind;

typedef struct Row {
    char *name;                // ex1_sigmoid, q1, …
    int points;
    Kind kind;
    double atol, rtol, min_speedup, timeout_s;
    int mem_mib;
    char *cflags;              // extra compiler flags for this exercise (after the others), or NULL
    char *hint, *reason;
} Row;

typedef struct Expected {      // one reference file: labels and values, in order
    int n;
    char **label;
    double *value;
    char *text;                // the file's text, which the labels point into
} Expected;

typedef struct Chapter {
    char *dir;                 // <root>/02_backprop
    char *name;                // 02_backprop
    Row rows[MAX_ROWS];
    int n_rows;
    Expected expected[MAX_ROWS];   // per row (quiz rows: one value each, from quiz.txt)
} Chapter;

static void load_spec(Chapter *c)
{
    char *path = xasprintf("%s/expected/exercises.tsv", c->dir);
    char *text = read_file(path, 1 << 20, NULL);
    if (!text) die(1, "cannot read %s: %s", path, strerror(errno));
    char *cur = text, *line;
    int lineno = 0;
    while ((line = next_line(&cur))) {
        lineno++;
        if (!line[0] || line[0] == '#') continue;
        char *f[SPEC_FIELDS];
        int nf = 0;
        for (char *p = line; nf < SPEC_FIELDS; nf++) {
            f[nf] = p;
            char *t = strchr(p, '\t');
            if (!t) { nf++; break; }
            *t = '\0';
            p = t + 1;
        }
        if (nf != SPEC_FIELDS)
            die(1, "%s line %d: %d tab-separated fields, expected %d (exercise points kind atol rtol "
                "min_speedup timeout_s memory_mib cflags hint reason)", path, lineno, nf, SPEC_FIELDS);
        if (!strcmp(f[0], "exercise")) continue;           // the header row
        if (c->n_rows == MAX_ROWS) die(1, "%s: more than %d rows", path, MAX_ROWS);
        Row *r = &c->rows[c->n_rows++];
        r->name = xstrdup(f[0]);
        for (const char *p = r->name; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '_')
                die(1, "%s line %d: exercise name '%s' must be letters, digits and _", path, lineno, r->name);
        double pts, mem;
        if (!parse_double(f[1], &pts) || pts < 0 || pts != floor(pts) || pts > 1000)
            die(1, "%s line %d: bad points '%s'", path, lineno, f[1]);
        r->points = (int)pts;
        if (!strcmp(f[2], "values")) r->kind = KIND_VALUES;
        else if (!strcmp(f[2], "speed")) r->kind = KIND_SPEED;
        else if (!strcmp(f[2], "quiz")) r->kind = KIND_QUIZ;
        else die(1, "%s line %d: kind '%s' is not values|speed|quiz", path, lineno, f[2]);
        if (!parse_double(f[3], &r->atol) || r->atol < 0) die(1, "%s line %d: bad atol '%s'", path, lineno, f[3]);
        if (!parse_double(f[4], &r->rtol) || r->rtol < 0) die(1, "%s line %d: bad rtol '%s'", path, lineno, f[4]);
        if (!parse_double(f[5], &r->min_speedup) || r->min_speedup < 0)
            die(1, "%s line %d: bad min_speedup '%s'", path, lineno, f[5]);
        if ((r->kind == KIND_SPEED) != (r->min_speedup > 0))
            die(1, "%s line %d: min_speedup must be > 0 exactly for speed exercises", path, lineno);
        if (!parse_double(f[6], &r->timeout_s) || !(r->timeout_s > 0) || r->timeout_s > 3600)
            die(1, "%s line %d: bad timeout_s '%s'", path, lineno, f[6]);
        if (!parse_double(f[7], &mem) || mem < 16 || mem > 65536)
            die(1, "%s line %d: bad memory_mib '%s' (16 .. 65536)", path, lineno, f[7]);
        r->mem_mib = (int)mem;
        r->cflags = strcmp(f[8], "-") ? xstrdup(f[8]) : NULL;
        r->hint = xstrdup(f[9]);
        r->reason = xstrdup(f[10]);
    }
    if (!c->n_rows) die(1, "%s has no exercises", path);
    free(text);
    free(path);
}

// Parse "label<TAB>value" lines (comments '#', the "end" marker and "speedup" excluded).
// Returns false with a message in err on a malformed line.
static bool parse_values(char *text, Expected *e, bool *saw_end, double *speedup, char *err, size_t errlen)
{
    int cap = 64;
    e->n = 0;
    e->label = xmalloc((size_t)cap * sizeof *e->label);
    e->value = xmalloc((size_t)cap * sizeof *e->value);
    if (saw_end) *saw_end = false;
    if (speedup) *speedup = NAN;
    char *cur = text, *line;
    int lineno = 0;
    while ((line = next_line(&cur))) {
        lineno++;
        if (!line[0] || line[0] == '#') continue;
        if (!strcmp(line, "end")) { if (saw_end) *saw_end = true; break; }
        char *tab = strchr(line, '\t');
        double v;
        if (!tab || !parse_double(tab + 1, &v)) {
            snprintf(err, errlen, "line %d is not 'label<TAB>number': '%.60s'", lineno, line);
            return false;
        }
        *tab = '\0';
        if (!strcmp(line, "speedup")) { if (speedup) *speedup = v; continue; }
        if (e->n == cap) {
            cap *= 2;
            char **nl = realloc(e->label, (size_t)cap * sizeof *e->label);
            double *nv = realloc(e->value, (size_t)cap * sizeof *e->value);
            if (!nl || !nv) die(1, "out of memory");
            e->label = nl;
            e->value = nv;
        }
        e->label[e->n] = line;     // points into text, which the caller keeps
        e->value[e->n++] = v;
    }
    return true;
}

// The answers file: "q1 = 938" lines, '#' comments. Finds `name`; returns
// 1 with *v set, 0 when missing or blank ("not answered"), -1 when not a number.
static int find_answer(const char *text, const char *name, double *v, char *raw, size_t rawlen)
{
    size_t nlen = strlen(name);
    raw[0] = '\0';
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *s = p;
        while (s < p + len && isspace((unsigned char)*s)) s++;
        if (s + nlen <= p + len && !strncmp(s, name, nlen)) {
            const char *q = s + nlen;
            while (q < p + len && (*q == ' ' || *q == '\t')) q++;
            if (q < p + len && (*q == '=' || *q == ':')) {
                q++;
                size_t vlen = (size_t)(p + len - q);
                const char *hash = memchr(q, '#', vlen);
                if (hash) vlen = (size_t)(hash - q);
                snprintf(raw, rawlen, "%.*s", (int)(vlen < rawlen ? vlen : rawlen - 1), q);
                char *t = raw + strlen(raw);
                while (t > raw && isspace((unsigned char)t[-1])) *--t = '\0';
                char *h = raw;
                while (isspace((unsigned char)*h)) h++;
                memmove(raw, h, strlen(h) + 1);
                if (!raw[0]) return 0;
                return parse_double(raw, v) && isfinite(*v) ? 1 : -1;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

static void load_expected(Chapter *c)
{
    char *quiz_text = NULL;
    for (int i = 0; i < c->n_rows; i++) {
        Row *r = &c->rows[i];
        char err[200];
        if (r->kind == KIND_QUIZ) {
            char *path = xasprintf("%s/expected/quiz.txt", c->dir);
            if (!quiz_text && !(quiz_text = read_file(path, 1 << 20, NULL)))
                die(1, "cannot read %s: %s (instructors: make expected)", path, strerror(errno));
            Expected all;
            char *copy = xstrdup(quiz_text);
            if (!parse_values(copy, &all, NULL, NULL, err, sizeof err)) die(1, "%s: %s", path, err);
            c->expected[i] = (Expected){0};
            for (int k = 0; k < all.n; k++)
                if (!strcmp(all.label[k], r->name)) {
                    c->expected[i].n = 1;
                    c->expected[i].label = xmalloc(sizeof(char *));
                    c->expected[i].value = xmalloc(sizeof(double));
                    c->expected[i].label[0] = r->name;
                    c->expected[i].value[0] = all.value[k];
                }
            if (!c->expected[i].n) die(1, "%s has no answer for %s (instructors: make expected)", path, r->name);
            free(all.label);
            free(all.value);
            free(copy);
            free(path);
            continue;
        }
        char *path = xasprintf("%s/expected/%s.txt", c->dir, r->name);
        char *text = read_file(path, 64 << 20, NULL);
        if (!text) die(1, "cannot read %s: %s (instructors: make expected)", path, strerror(errno));
        if (!parse_values(text, &c->expected[i], NULL, NULL, err, sizeof err) || !c->expected[i].n)
            die(1, "%s: %s", path, c->expected[i].n ? err : "no values");
        c->expected[i].text = text;
        free(path);
    }
    free(quiz_text);
}

// ---- running a program under limits ----
typedef struct RunResult {
    bool started, reaped, timed_out;
    int status;                    // from wait4
    long maxrss_kib;
    double seconds;
    char *results;                 // what fd 3 received (NUL-terminated)
    size_t results_len;
    bool results_overflow;
    char console[CONSOLE_KEEP + 1];// the first bytes of stdout + stderr
    size_t console_len, console_total;
} RunResult;

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    setrlimit(resource, &rl);
}

static void set_cloexec(int fd)
{
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Run argv (argv[0] looked up in PATH) with cwd (NULL: ours). mem_mib > 0 also sets the
 * memory, CPU, file-size and core limits and opens the results pipe on fd 3. */
static void run_process(char *const *argv, const char *cwd, double timeout_s, int mem_mib, RunResult *rr)
{
    memset(rr, 0, sizeof *rr);
    int res[2] = {-1, -1}, con[2];
    bool limited = mem_mib > 0;
    if (pipe(con) != 0 || (limited && pipe(res) != 0)) die(1, "pipe: %s", strerror(errno));
    set_cloexec(con[0]); set_cloexec(con[1]);
    if (limited) { set_cloexec(res[0]); set_cloexec(res[1]); }
    fflush(NULL);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) die(1, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);                                  // so a timeout kills its children too
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(con[1], 1);
        dup2(con[1], 2);
        if (limited) {
            if (res[1] == EX_RESULT_FD) fcntl(res[1], F_SETFD, 0);
            else dup2(res[1], EX_RESULT_FD);
            rlim_t cpu = (rlim_t)ceil(timeout_s) + 1;
            set_limit(RLIMIT_CPU, cpu, cpu + 1);
            set_limit(RLIMIT_AS, (rlim_t)mem_mib << 20, (rlim_t)mem_mib << 20);
            set_limit(RLIMIT_FSIZE, (rlim_t)64 << 20, (rlim_t)64 << 20);
            set_limit(RLIMIT_CORE, 0, 0);
        }
        if (cwd && chdir(cwd) != 0) _exit(126);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);                                   // (either side may win the race)
    rr->started = true;
    close(con[1]);
    if (limited) close(res[1]);
    int fds[2] = {con[0], res[0]};
    int nfd = limited ? 2 : 1;
    for (int k = 0; k < nfd; k++) fcntl(fds[k], F_SETFL, fcntl(fds[k], F_GETFL) | O_NONBLOCK);
    size_t rcap = 65536;
    rr->results = xmalloc(rcap);
    double deadline = t0 + timeout_s;
    bool killed = false;
    for (;;) {
        struct pollfd p[2];
        int np = 0;
        for (int k = 0; k < nfd; k++)
            if (fds[k] >= 0) p[np++] = (struct pollfd){.fd = fds[k], .events = POLLIN};
        if (!np && rr->reaped) break;
        double left = deadline - now_s();
        int ms = left <= 0 ? 0 : left > 0.05 ? 50 : (int)(left * 1000) + 1;
        poll(p, (nfds_t)np, ms);
        for (int k = 0; k < nfd; k++) {
            if (fds[k] < 0) continue;
            for (;;) {
                char chunk[65536];
                ssize_t n = read(fds[k], chunk, sizeof chunk);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) break;                                   // EAGAIN: nothing now
                if (n == 0) { close(fds[k]); fds[k] = -1; break; }  // EOF
                if (k == 0) {                                       // console: keep the start
                    size_t keep = CONSOLE_KEEP - rr->console_len;
                    if (keep > (size_t)n) keep = (size_t)n;
                    memcpy(rr->console + rr->console_len, chunk, keep);
                    rr->console_len += keep;
                    rr->console_total += (size_t)n;
                } else if (rr->results_len + (size_t)n > RESULTS_CAP) {
                    rr->results_overflow = true;
                    if (!killed) { kill(-pid, SIGKILL); killed = true; }
                } else {
                    while (rr->results_len + (size_t)n + 1 > rcap) rcap *= 2;
                    char *nr = realloc(rr->results, rcap);
                    if (!nr) die(1, "out of memory");
                    rr->results = nr;
                    memcpy(rr->results + rr->results_len, chunk, (size_t)n);
                    rr->results_len += (size_t)n;
                }
            }
        }
        if (!rr->reaped) {
            struct rusage ru;
            pid_t w = wait4(pid, &rr->status, WNOHANG, &ru);
            if (w == pid) {
                rr->reaped = true;
                rr->seconds = now_s() - t0;
                rr->maxrss_kib = ru.ru_maxrss;
                kill(-pid, SIGKILL);       // leftovers of its process group, if any
            } else if (now_s() >= deadline && !killed) {
                rr->timed_out = true;
                kill(-pid, SIGKILL);
                killed = true;
            }
        } else if (now_s() >= deadline + 5) {
            // A grandchild outside the group keeps a pipe open: stop listening.
            for (int k = 0; k < nfd; k++) if (fds[k] >= 0) { close(fds[k]); fds[k] = -1; }
        }
    }
    rr->results[rr->results_len] = '\0';
    rr->console[rr->console_len] = '\0';
}

// ---- compiling ----
static char **split_words(const char *s, int *n)
{
    char *copy = xstrdup(s);
    char **w = xmalloc((strlen(s) / 2 + 2) * sizeof *w);
    *n = 0;
    for (char *t = strtok(copy, " \t"); t; t = strtok(NULL, " \t")) w[(*n)++] = t;
    return w;
}

/* Compile the driver with `src` into `bin`. Returns true on success; the compiler's output
 * (first lines) is left in rr->console either way. */
static bool compile(const Options *o, const Chapter *c, const Row *r, const char *src,
                    const char *bin, RunResult *rr)
{
    int ncc, ncf, nx = 0;
    char **cc = split_words(o->cc, &ncc), **cf = split_words(o->cflags, &ncf);
    char **cx = r->cflags ? split_words(r->cflags, &nx) : NULL;
    char *argv[160];
    int n = 0;
    if (ncc + ncf + nx + 16 > 160) die(2, "--cc/--cflags: too many words");
    for (int i = 0; i < ncc; i++) argv[n++] = cc[i];
    for (int i = 0; i < ncf; i++) argv[n++] = cf[i];
    for (int i = 0; i < nx; i++) argv[n++] = cx[i];
    if (o->strict) argv[n++] = "-Werror";
    char *inc[3] = {xasprintf("-I%s/common", o->root), xasprintf("-I%s/scripts", o->root),
                    xasprintf("-I%s/exercises", c->dir)};
    for (int i = 0; i < 3; i++) argv[n++] = inc[i];
    char *def = xasprintf("-DEXERCISE_%s", r->name);
    char *driver = xasprintf("%s/exercises/driver.c", c->dir);
    // The chapter folder, absolute: the program runs in a temporary directory, and a driver
    // that reads a file of the chapter (a PyTorch fixture in expected/) opens it from there.
    char *absdir = realpath(c->dir, NULL);
    if (!absdir) die(1, "cannot resolve %s: %s", c->dir, strerror(errno));
    if (strpbrk(absdir, "\"\\\n")) die(1, "the course's path %s has a quote, backslash or newline in it", absdir);
    char *chdef = xasprintf("-DEX_CHAPTER_DIR=\"%s\"", absdir);
    free(absdir);
    argv[n++] = def;
    argv[n++] = chdef;
    argv[n++] = "-o";
    argv[n++] = (char *)bin;
    argv[n++] = driver;
    argv[n++] = (char *)src;
    argv[n++] = (char *)o->lib;
    argv[n++] = "-lm";
    argv[n++] = "-pthread";
    argv[n] = NULL;
    if (o->verbose) {
        for (int i = 0; i < n; i++) printf("%s%s", i ? " " : "    $ ", argv[i]);
        printf("\n");
    }
    run_process(argv, NULL, COMPILE_TIMEOUT, 0, rr);
    bool ok = rr->reaped && !rr->timed_out && WIFEXITED(rr->status) && WEXITSTATUS(rr->status) == 0;
    for (int i = 0; i < 3; i++) free(inc[i]);
    free(def);
    free(chdef);
    free(driver);
    free(cc[0]);
    free(cc);
    free(cf[0]);
    free(cf);
    if (cx) { free(cx[0]); free(cx); }
    return ok;
}

// First `max_lines` lines of s, each indented, into b.
static void indent_lines(Buf *b, const char *s, int max_lines, const char *prefix)
{
    int lines = 0;
    while (*s && lines < max_lines) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        if (len > 300) len = 300;
        buf_printf(b, "%s%.*s\n", prefix, (int)len, s);
        lines++;
        if (!eol) break;
        s = eol + 1;
    }
    if (*s && lines == max_lines) buf_printf(b, "%s…\n", prefix);
}

// ---- grading one exercise ----
typedef struct Outcome {
    bool pass;
    int points;
    char status[96];               // short, for grade.tsv: "PASS", "crashed (SIGSEGV)", …
    Buf detail;                    // longer explanation for the report
} Outcome;

static void set_status(Outcome *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_status(Outcome *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->status, sizeof out->status, fmt, ap);
    va_end(ap);
}

static const char *source_for(const Options *o, const Chapter *c, const char *name, const char *file)
{
    for (int i = 0; i < o->n_files; i++)
        if (!strcmp(o->files[i].name, name)) return xstrdup(o->files[i].path);
    if (o->src) return xasprintf("%s/%s", o->src, file);
    if (o->solutions || o->write_expected) return xasprintf("%s/exercises/solutions/%s", c->dir, file);
    return xasprintf("%s/exercises/%s", c->dir, file);
}

static void grade_quiz(const Chapter *c, int i, const char *answers, const char *answers_path, Outcome *out)
{
    const Row *r = &c->rows[i];
    double want = c->expected[i].value[0], got;
    char raw[64];
    int found = answers ? find_answer(answers, r->name, &got, raw, sizeof raw) : 0;
    if (!answers) {
        set_status(out, "no answers file");
        buf_printf(&out->detail, "cannot read %s\n", answers_path);
    } else if (found == 0) {
        set_status(out, "not answered");
        buf_printf(&out->detail, "write your answer on the line '%s = ' of %s\n", r->name, answers_path);
    } else if (found < 0) {
        set_status(out, "not a number");
        buf_printf(&out->detail, "'%s = %s': the answer must be a plain number (e.g. 938 or 0.25)\n", r->name, raw);
    } else {
        double lim = r->atol + r->rtol * fabs(want);
        if (fabs(got - want) <= lim) {
            out->pass = true;
        } else {
            set_status(out, "wrong answer");
            buf_printf(&out->detail, "your answer %.9g is not within %.3g of the expected value\n", got, lim);
        }
    }
}

static void grade_program(const Options *o, const Chapter *c, int i, const char *workdir, Outcome *out)
{
    const Row *r = &c->rows[i];
    const Expected *want = &c->expected[i];
    char *file = xasprintf("%s.c", r->name);
    char *src = (char *)source_for(o, c, r->name, file);
    char *bin = xasprintf("%s/%s.bin", workdir, r->name);
    char *cwd = xasprintf("%s/%s.cwd", workdir, r->name);
    RunResult rr;
    free(file);
    if (!is_file(src)) {
        set_status(out, "file missing");
        buf_printf(&out->detail, "%s does not exist\n", src);
        goto done;
    }
    if (!compile(o, c, r, src, bin, &rr)) {
        set_status(out, "does not compile");
        buf_printf(&out->detail, "compiling %s failed:\n", src);
        indent_lines(&out->detail, rr.console, 12, "    | ");
        free(rr.results);
        goto done;
    }
    free(rr.results);
    if (mkdir(cwd, 0700) != 0) die(1, "mkdir %s: %s", cwd, strerror(errno));
    double timeout = r->timeout_s;
    if (o->timeout_cap > 0 && o->timeout_cap < timeout) timeout = o->timeout_cap;
    char *argv[] = {bin, NULL};
    if (o->verbose) printf("    $ (cd %s && %s)   [limits: %g s, %d MiB]\n", cwd, bin, timeout, r->mem_mib);
    run_process(argv, cwd, timeout, r->mem_mib, &rr);

    bool memory = rr.maxrss_kib >= (long)r->mem_mib * 1024 / 2 ||
                  strstr(rr.console, "out of memory") || strstr(rr.console, "Cannot allocate");
    bool console_shown = false;
    if (rr.timed_out) {
        set_status(out, "timed out after %g s", timeout);
        buf_printf(&out->detail, "still running after %g s (an endless loop?); it was stopped\n", timeout);
    } else if (WIFSIGNALED(rr.status)) {
        int sig = WTERMSIG(rr.status);
        if (sig == SIGXCPU || (sig == SIGKILL && !memory)) {
            set_status(out, "timed out after %g s", timeout);
            buf_printf(&out->detail, "used more than %g s of CPU time; it was stopped\n", timeout);
        } else if (memory) {
            set_status(out, "out of memory (limit %d MiB)", r->mem_mib);
            buf_printf(&out->detail, "crashed (%s) after using %ld MiB: the limit is %d MiB "
                       "(an allocation in a loop? a size computed wrong?)\n",
                       signal_name(sig), rr.maxrss_kib / 1024, r->mem_mib);
        } else {
            set_status(out, "crashed (%s)", signal_name(sig));
            buf_printf(&out->detail, "the program was killed by %s%s\n", signal_name(sig),
                       sig == SIGSEGV || sig == SIGBUS ? " (an out-of-bounds index or a bad pointer?)"
                       : sig == SIGFPE ? " (an integer division by zero?)"
                       : sig == SIGABRT ? " (a failed assert, or memory corruption?)" : "");
        }
    } else if (WIFEXITED(rr.status) && WEXITSTATUS(rr.status) == EX_STATUS_TODO) {
        set_status(out, "not implemented");
        buf_printf(&out->detail, "%s still has its EX_TODO line: implement the function, then delete it\n", src);
        console_shown = true;                      // (the stub's own message adds nothing)
    } else if (WIFEXITED(rr.status) && WEXITSTATUS(rr.status) != 0) {
        if (memory) set_status(out, "out of memory (limit %d MiB)", r->mem_mib);
        else set_status(out, "exited with status %d", WEXITSTATUS(rr.status));
        buf_printf(&out->detail, "the program exited with status %d before finishing\n", WEXITSTATUS(rr.status));
    } else if (rr.results_overflow) {
        set_status(out, "too much output");
        buf_printf(&out->detail, "more than %u bytes of results: stopped\n", RESULTS_CAP);
    } else {
        Expected got;
        bool saw_end;
        double speedup;
        char err[200];
        if (!parse_values(rr.results, &got, &saw_end, &speedup, err, sizeof err)) {
            set_status(out, "garbled results");
            buf_printf(&out->detail, "the results could not be read: %s\n", err);
        } else if (!saw_end) {
            set_status(out, "stopped early");
            buf_printf(&out->detail, "the program exited (status 0) after %d of %d results: "
                       "does the exercise call exit()?\n", got.n, want->n);
        } else if (got.n != want->n) {
            set_status(out, "wrong number of results");
            buf_printf(&out->detail, "%d results, expected %d\n", got.n, want->n);
        } else {
            int bad = 0, first = -1, nonfinite = -1, layout = -1;
            for (int k = 0; k < got.n; k++) {
                if (strcmp(got.label[k], want->label[k])) { if (layout < 0) layout = k; continue; }
                double g = got.value[k], w = want->value[k];
                if (!isfinite(g)) { if (nonfinite < 0) nonfinite = k; bad++; continue; }
                if (fabs(g - w) > r->atol + r->rtol * fabs(w)) { if (first < 0) first = k; bad++; }
            }
            if (layout >= 0) {
                set_status(out, "garbled results");
                buf_printf(&out->detail, "result %d is labelled '%s', expected '%s'\n", layout + 1,
                           got.label[layout], want->label[layout]);
            } else if (nonfinite >= 0) {
                int k = nonfinite;
                set_status(out, "produced %s", isnan(got.value[k]) ? "NaN" : "Inf");
                buf_printf(&out->detail, "%s = %s (expected %.9g); %d of %d values wrong "
                           "(overflow in exp? a 0/0?)\n", got.label[k], isnan(got.value[k]) ? "NaN" : got.value[k] > 0 ? "Inf" : "-Inf", want->value[k],
                           bad, got.n);
            } else if (first >= 0) {
                int k = first;
                double g = got.value[k], w = want->value[k], lim = r->atol + r->rtol * fabs(w);
                set_status(out, "wrong value");
                buf_printf(&out->detail, "first mismatch: %s (value %d of %d): expected %.9g, got %.9g, "
                           "|diff| %.3g > tolerance %.3g (atol %g + rtol %g·|expected|); %d of %d values wrong\n",
                           got.label[k], k + 1, got.n, w, g, fabs(g - w), lim, r->atol, r->rtol, bad, got.n);
            } else if (r->kind == KIND_SPEED && !(speedup >= r->min_speedup)) {
                set_status(out, "too slow (%.2gx, needs %gx)", isnan(speedup) ? 0.0 : speedup, r->min_speedup);
                buf_printf(&out->detail, "correct, but %.2fx as fast as the naive version measured in the "
                           "same run; it must be at least %gx\n", isnan(speedup) ? 0.0 : speedup, r->min_speedup);
            } else {
                out->pass = true;
                if (r->kind == KIND_SPEED)
                    buf_printf(&out->detail, "speed-up over naive: %.2fx (needs %gx)\n", speedup, r->min_speedup);
            }
        }
        free(got.label);
        free(got.value);
    }
    if (!console_shown && rr.console_total) {
        if (out->pass) {
            buf_printf(&out->detail, "(it printed %zu bytes on stdout/stderr; ignored)\n", rr.console_total);
        } else {
            buf_printf(&out->detail, "its output (%zu bytes), first lines:\n", rr.console_total);
            indent_lines(&out->detail, rr.console, 6, "    | ");
        }
    }
    free(rr.results);
done:
    free(src);
    free(bin);
    free(cwd);
}

// ---- a chapter ----
static bool selected(const Options *o, const char *name)
{
    if (!o->only) return true;
    size_t n = strlen(name);
    for (const char *p = o->only; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return true;
        p += len + (comma ? 1 : 0);
    }
    return false;
}

typedef struct Totals { int points, max; } Totals;

static void grade_chapter(const Options *o, Chapter *c, const char *workroot, Buf *summary, Totals *tot)
{
    load_expected(c);
    const char *from = o->src ? o->src : o->solutions ? "exercises/solutions/" : "exercises/";
    printf("== %s: grading %s%s ==\n", c->name, from, o->n_files ? " (with --file overrides)" : "");
    char *workdir = xasprintf("%s/%s", workroot, c->name);
    if (mkdir(workdir, 0700) != 0) die(1, "mkdir %s: %s", workdir, strerror(errno));
    char *answers_path = (char *)source_for(o, c, "answers", "answers.txt");
    char *answers = read_file(answers_path, 1 << 16, NULL);
    Buf tsv = {0};
    buf_printf(&tsv, "exercise\tpoints\tmax\tstatus\n");
    Totals t = {0, 0};
    for (int i = 0; i < c->n_rows; i++) {
        const Row *r = &c->rows[i];
        if (!selected(o, r->name)) continue;
        Outcome out = {0};
        if (r->kind == KIND_QUIZ) grade_quiz(c, i, answers, answers_path, &out);
        else grade_program(o, c, i, workdir, &out);
        if (out.pass) { out.points = r->points; set_status(&out, "PASS"); }
        t.points += out.points;
        t.max += r->points;
        char score[32];
        snprintf(score, sizeof score, "%d/%d", out.points, r->points);
        printf("  %-24s %s %5s%s%s\n", r->name, out.pass ? "PASS" : "FAIL", score, out.pass ? "" : "   ",
               out.pass ? "" : out.status);
        if (out.detail.len) {
            Buf ind = {0};
            indent_lines(&ind, out.detail.s, 40, "        ");
            fputs(ind.s, stdout);
            free(ind.s);
        }
        if (!out.pass) printf("        hint: read %s/%s\n", c->name, r->hint);
        buf_printf(&tsv, "%s\t%d\t%d\t%s\n", r->name, out.points, r->points, out.status);
        if (summary) buf_printf(summary, "%s\t%s\t%d\t%d\t%s\n", c->name, r->name, out.points, r->points, out.status);
        free(out.detail.s);
        fflush(stdout);
    }
    buf_printf(&tsv, "total\t%d\t%d\t\n", t.points, t.max);
    printf("  total %s: %d/%d points\n\n", c->name, t.points, t.max);
    char *path;
    if (o->report_dir) {
        char *dir = xasprintf("%s/%s", o->report_dir, c->name);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) die(1, "mkdir %s: %s", dir, strerror(errno));
        path = xasprintf("%s/grade.tsv", dir);
        free(dir);
    } else {
        path = xasprintf("%s/grade.tsv", c->dir);
    }
    write_atomic(path, tsv.s);
    printf("  wrote %s\n\n", path);
    tot->points += t.points;
    tot->max += t.max;
    free(path);
    free(tsv.s);
    free(answers);
    free(answers_path);
    free(workdir);
}

// ---- make expected ----
static void write_expected(const Options *o, Chapter *c, const char *workroot)
{
    char *soldir = xasprintf("%s/exercises/solutions", c->dir);
    if (!is_dir(soldir))
        die(1, "%s is missing: this looks like the student edition, which has no reference solutions "
            "(its expected/ files are already there; 'make grade' works without them)", soldir);
    char *workdir = xasprintf("%s/%s", workroot, c->name);
    if (mkdir(workdir, 0700) != 0) die(1, "mkdir %s: %s", workdir, strerror(errno));
    printf("== %s: writing expected/ from exercises/solutions/ ==\n", c->name);
    Buf quiz = {0};
    buf_printf(&quiz, "# %s/expected/quiz.txt — answers from exercises/solutions/answers.txt; "
               "made by: make expected CHAPTER=%s\n", c->name, c->name);
    char *answers_path = xasprintf("%s/answers.txt", soldir);
    char *answers = read_file(answers_path, 1 << 16, NULL);
    for (int i = 0; i < c->n_rows; i++) {
        Row *r = &c->rows[i];
        if (r->kind == KIND_QUIZ) {
            double v;
            char raw[64];
            if (!answers) die(1, "cannot read %s: %s", answers_path, strerror(errno));
            if (find_answer(answers, r->name, &v, raw, sizeof raw) != 1)
                die(1, "%s: no numeric answer for %s", answers_path, r->name);
            buf_printf(&quiz, "%s\t%.9g\n", r->name, v);
            printf("  %-24s %.9g\n", r->name, v);
            continue;
        }
        char *src = xasprintf("%s/%s.c", soldir, r->name);
        char *bin = xasprintf("%s/%s.bin", workdir, r->name);
        char *cwd = xasprintf("%s/%s.cwd", workdir, r->name);
        RunResult rr;
        if (!compile(o, c, r, src, bin, &rr)) die(1, "the reference %s does not compile:\n%s", src, rr.console);
        free(rr.results);
        if (mkdir(cwd, 0700) != 0) die(1, "mkdir %s: %s", cwd, strerror(errno));
        char *argv[] = {bin, NULL};
        run_process(argv, cwd, r->timeout_s, r->mem_mib, &rr);
        if (rr.timed_out || !WIFEXITED(rr.status) || WEXITSTATUS(rr.status) != 0)
            die(1, "the reference %s failed (timed out, crashed or exit status != 0):\n%s", src, rr.console);
        Expected e;
        bool saw_end;
        double speedup;
        char err[200];
        if (!parse_values(rr.results, &e, &saw_end, &speedup, err, sizeof err) || !saw_end || !e.n)
            die(1, "the reference %s: bad results (%s)", src, saw_end ? err : "no end marker");
        Buf b = {0};
        buf_printf(&b, "# %s/expected/%s.txt — %d values of exercises/solutions/%s.c run by "
                   "exercises/driver.c (-DEXERCISE_%s), label<TAB>value (%%.9g); made by: make expected "
                   "CHAPTER=%s\n", c->name, r->name, e.n, r->name, r->name, c->name);
        for (int k = 0; k < e.n; k++) {
            if (!isfinite(e.value[k])) die(1, "the reference %s produced %s = %g", src, e.label[k], e.value[k]);
            buf_printf(&b, "%s\t%.9g\n", e.label[k], e.value[k]);
        }
        char *path = xasprintf("%s/expected/%s.txt", c->dir, r->name);
        write_atomic(path, b.s);
        printf("  %-24s %d values -> %s", r->name, e.n, path);
        if (r->kind == KIND_SPEED) {
            printf("   (speed-up %.2fx; graded against %gx)", speedup, r->min_speedup);
            if (!(speedup >= r->min_speedup))
                fprintf(stderr, "grader: warning: the reference %s reached only %.2fx here, below the "
                        "stated %gx: lower the factor in exercises.tsv or check the machine's load\n",
                        src, speedup, r->min_speedup);
        }
        printf("\n");
        free(b.s);
        free(e.label);
        free(e.value);
        free(rr.results);
        free(path);
        free(src);
        free(bin);
        free(cwd);
    }
    bool has_quiz = false;
    for (int i = 0; i < c->n_rows; i++) has_quiz |= c->rows[i].kind == KIND_QUIZ;
    if (has_quiz) {
        char *path = xasprintf("%s/expected/quiz.txt", c->dir);
        write_atomic(path, quiz.s);
        free(path);
    }
    printf("\n");
    free(quiz.s);
    free(answers);
    free(answers_path);
    free(workdir);
    free(soldir);
}

static void chapter_free(Chapter *c)
{
    for (int i = 0; i < c->n_rows; i++) {
        Row *r = &c->rows[i];
        free(r->name);
        free(r->cflags);
        free(r->hint);
        free(r->reason);
        free(c->expected[i].label);
        free(c->expected[i].value);
        free(c->expected[i].text);
    }
    free(c->dir);
    free(c->name);
}

// ---- main ----
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Chapter folder for "2", "02", "02_backprop" or "02_backprop/".
static char *resolve_chapter(const Options *o, const char *arg)
{
    char name[256];
    snprintf(name, sizeof name, "%s", arg);
    size_t n = strlen(name);
    while (n > 1 && name[n - 1] == '/') name[--n] = '\0';
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    bool digits = *base != '\0';
    for (const char *p = base; *p; p++) digits &= isdigit((unsigned char)*p) != 0;
    char prefix[16] = "";
    if (digits) snprintf(prefix, sizeof prefix, "%02d_", atoi(base) % 100);
    DIR *d = opendir(o->root);
    if (!d) die(1, "cannot open %s: %s", o->root, strerror(errno));
    char *found = NULL;
    struct dirent *e;
    while ((e = readdir(d)))
        if (digits ? !strncmp(e->d_name, prefix, strlen(prefix)) : !strcmp(e->d_name, base)) {
            free(found);
            found = xstrdup(e->d_name);
        }
    closedir(d);
    if (!found) die(2, "no chapter '%s' in %s (try 1, 02 or 02_backprop)", arg, o->root);
    return found;
}

int main(int argc, char **argv)
{
    Options o;
    const char *args[64];
    int n_args;
    parse_args(argc, argv, &o, args, &n_args);
    signal(SIGPIPE, SIG_IGN);

    // Which chapters: the ones named, else every NN_topic with an expected/exercises.tsv.
    char *names[100];
    int n = 0;
    bool all = n_args == 0;
    if (all) {
        DIR *d = opendir(o.root);
        if (!d) die(1, "cannot open %s: %s", o.root, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d)) && n < 100) {
            if (!isdigit((unsigned char)e->d_name[0]) || !isdigit((unsigned char)e->d_name[1]) || e->d_name[2] != '_')
                continue;
            char *spec = xasprintf("%s/%s/expected/exercises.tsv", o.root, e->d_name);
            if (is_file(spec)) names[n++] = xstrdup(e->d_name);
            free(spec);
        }
        closedir(d);
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        if (!n) die(1, "no chapter in %s has exercises (no NN_topic/expected/exercises.tsv)", o.root);
    } else {
        for (int i = 0; i < n_args; i++) names[n++] = resolve_chapter(&o, args[i]);
    }

    // The build area: a fresh temporary directory, never inside the course folders.
    const char *tmp = getenv("TMPDIR");
    char *workroot = xasprintf("%s/dlgrade.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(workroot)) die(1, "cannot create a temporary directory %s: %s", workroot, strerror(errno));

    Chapter *ch = xmalloc((size_t)n * sizeof *ch);
    for (int i = 0; i < n; i++) {
        memset(&ch[i], 0, sizeof ch[i]);
        ch[i].name = names[i];
        ch[i].dir = strcmp(o.root, ".") ? xasprintf("%s/%s", o.root, names[i]) : xstrdup(names[i]);
        char *spec = xasprintf("%s/expected/exercises.tsv", ch[i].dir);
        if (!is_file(spec)) die(1, "chapter %s has no exercises yet (no %s)", names[i], spec);
        free(spec);
        load_spec(&ch[i]);
    }
    if (o.report_dir) mkdir_p(o.report_dir);
    if (o.write_expected) {
        for (int i = 0; i < n; i++) write_expected(&o, &ch[i], workroot);
    } else {
        Buf summary = {0};
        buf_printf(&summary, "chapter\texercise\tpoints\tmax\tstatus\n");
        Totals tot = {0, 0};
        for (int i = 0; i < n; i++) grade_chapter(&o, &ch[i], workroot, &summary, &tot);
        buf_printf(&summary, "total\t\t%d\t%d\t\n", tot.points, tot.max);
        if (n > 1) printf("TOTAL: %d/%d points\n", tot.points, tot.max);
        if (all || o.report_dir) {
            char *path = xasprintf("%s/grade.tsv", o.report_dir ? o.report_dir : o.root);
            write_atomic(path, summary.s);
            printf("wrote %s\n", path);
            free(path);
        }
        free(summary.s);
    }
    if (o.keep) printf("build directory kept: %s\n", workroot);
    else rm_rf(workroot);
    for (int i = 0; i < n; i++) chapter_free(&ch[i]);
    free(ch);
    free(workroot);
    for (int i = 0; i < o.n_files; i++) { free(o.files[i].name); free(o.files[i].path); }
    return 0;
}
