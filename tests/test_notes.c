/* tests/test_notes.c — the notes point at code that exists (STYLE.md §6).
 *
 * Claim: every symbol, region, file, flag and make target that a chapter's notes (README.md
 * and exercises/EXERCISES.md) or the top-level README.md name in backticks exists, so a
 * rename or a move in the code cannot leave the notes pointing at nothing. On failure a test
 * prints every missing reference as "README:line: kind `text`: why", then fails. Runs from the
 * repository root (make test does); alone: build/default/tests/test_notes (DL_TEST_VERBOSE=1
 * also lists every reference read, with its class and verdict). libc and Check only; ~0.1 s.
 *
 * What is read
 *   - inline code spans (`x`, ``x``) outside fenced blocks (``` or ~~~). A fenced block is
 *     quoted code or output: only its `// region: name` lines are checked;
 *   - the text "region: name" anywhere (prose, spans, fenced blocks);
 *   - relative Markdown link targets, [text](path).
 *   Indented code blocks are not recognised (the notes use fences).
 *
 * The code it is checked against ("the corpus")
 *   common/, tests/, scripts/ (recursively) and the chapter's folder (program, exercises/,
 *   solutions/); for the top-level README every chapter folder. From the .c/.h files: the
 *   identifiers outside comments, the words inside string literals (names printed,
 *   registered or looked up by name: "v0_naive", "cblas_sgemm"), the string literals, the
 *   `// region: name` lines; from every file: its name. (The planted READMEs of this file's
 *   self-tests, region `planted`, are left out.)
 *
 * Classes, the first that applies to a span
 *   region    a span in the first column of a table whose header cell is "region"; right after
 *             the word "region" ("region `train`"); right before it ("`im2col` region",
 *             optionally followed by "in `cnn.c`"); in brackets "[`name`]" (not a link); the
 *             text "region: name". The file named, else one of the chapter's top-level .c files
 *             (its program, not exercises/), must have a line `// region: name`.
 *   make      `make [VAR=value] [target…]`, up to && ; | or #: each target is a rule or .PHONY
 *             name of ./Makefile, the root *.mk files or the chapter's Makefile; each VAR
 *             occurs in one of them.
 *   variable  `VAR=value`, VAR in capitals (`PORTABLE=1`, `DL_TEST_VERBOSE=1`): VAR occurs in
 *             a makefile or is a word of the corpus (an environment variable the code reads).
 *   flag      a span that starts with --: each --name in it (--a/--b lists, --name=value too)
 *             is a string literal "name" or "--name" of common/report/cli.c (the common
 *             flags) or of the chapter's program (its CliExtra table).
 *   run       `./NN_topic/run args`, `./run args`: the folder exists, each --flag as above
 *             (with that chapter's program).
 *   symbol    a C identifier, optionally with (): a word of the corpus; a file name without
 *             its extension (the exercise `ex1_momentum`); a first-column key of the chapter's
 *             tests/fixtures/golden_chNN_*.tsv; or the whole of a string literal read as a
 *             printf pattern (each %d %s %zu %g … a wildcard) whose first 3 characters are
 *             fixed: "softmax_train_loss_epoch%d" accepts softmax_train_loss_epochN, "%s_acc"
 *             accepts nothing. Skipped: one or two characters (math: x, W, lr, w1); and, when not
 *             found, TOOLS and LIBC below and INTRODUCED below (names the notes ask the reader
 *             to write); a name right after "torch's" or "PyTorch's" (PyTorch's, not ours).
 *             Then, when followed by "in `path`", "from `path`" or "(`path`)" with an existing
 *             path: the name must occur in that file, its .c/.h twin, or under that folder
 *             (kind "symbol in": `adam_bench` from `common/kernels/adam.c` fails once it moved).
 *   call      `name(args)` with name of 3 characters or more: each `ident(` in it of 3 or more
 *             characters is a symbol (`schedule_lr(&s, step)`, `op_relu(op_batchnorm2d(…))`;
 *             math such as `P(y = 1)` is left alone).
 *   key       an identifier with placeholders <name>, … or *, each bounded by _ or an end
 *             (`act_<name>_grad_diff`, `…_train_acc`, `bench_*`): a golden key, or a string
 *             literal with >= 3 fixed identifier characters (printf wildcards), matches it;
 *             placeholders match any text ("%s_%s_gbs" matches `dot_<rung>_gbs`).
 *   path      no spaces and an extension .c .h .py .sh .md .tsv .txt .png .gp .dat .mk, or a
 *             trailing '/', or a '/' after a first component that is a folder (of the root or
 *             the chapter) or out, data, build; link targets too. It must exist relative to the
 *             root, the notes' folder (../ resolved), the chapter folder (for the top-level
 *             README: any chapter) or common/ (as #include writes it: `kernels/gemm.c`); '*'
 *             globs. A bare file name may also be any corpus file's name (`peak.c`,
 *             `answers.txt`). Generated outputs — a path with an out/ component, or a .png .dat
 *             .gp .tsv .txt that is no file — must be written by the code: the name without its
 *             extension matches the last path component of a string literal (same extension
 *             dropped, printf wildcards, >= 3 fixed leading characters): "%s/gemm_bench.tsv"
 *             accepts `gemm_bench.tsv`, "paths_%s" accepts `out/paths_*.png`.
 *             Skipped: absolute paths and ../ leaving the repository; data/… and build/… (made
 *             by make data and make, git-ignored); output folders (`out/`, `out/bench/`); bare
 *             extensions (`.dat`); placeholders (a component NN_topic, exK_name, <name>, or an
 *             all-capital word like MIRROR); and in a student edition (no tests/test_grader.c)
 *             what scripts/student_edition.sh leaves out (solutions, the grader's fixtures;
 *             the symbol test_grader too).
 *   not code  everything else is not checked: shell commands (`cd 02_backprop/out && gnuplot
 *             loss.gp`), math and expressions (`x·W + b`, `dL/dw`, `x.grad`, `value_add/mul`),
 *             numbers, output text, package names (`python3-torch`), compiler flags
 *             (`-ffast-math`), quoted strings (`"auto"`).
 *
 * Chapters without a program yet (no .c in the folder: 05-08 today) describe code still to
 * be written: there symbols, calls, keys, regions and paths not into an existing folder are
 * skipped; make targets, variables, flags and paths into existing folders are checked.
 */
#include <ctype.h>
#include <dirent.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>

#include "testutil.h"

// External tools the notes name in backticks; not symbols of the code.
static const char *const TOOLS[] = {"gcc", "clang", "make", "gnuplot", "python3", "perf", "git",
                                    "sudo"};

// C standard library names the notes may mention without the code using them.
static const char *const LIBC[] = {"cosf", "cos", "sinf", "sin", "expf", "exp", "logf", "log",
                                   "powf", "pow", "sqrtf", "sqrt", "tanhf", "tanh", "fabsf",
                                   "fmaf", "erff", "erf", "malloc", "calloc", "free", "memset",
                                   "memcpy", "printf", "qsort", "errno"};

// Names a chapter's notes introduce on purpose: the reader is asked to write them.
typedef struct Introduced { const char *chapter, *name, *why; } Introduced;
static const Introduced INTRODUCED[] = {
    {"01_perceptron", "v2_avx512", "exercise 4: add this rung to the dot ladder"},
};

enum { WC = 1 };   // the wildcard character inside patterns
#define N_OF(a) (sizeof(a) / sizeof *(a))

// ---- containers: a list of strings and a set of strings ----

typedef struct StrList { char **v; int n, cap; } StrList;

// Out of memory: no recovery (the helpers also run while the suite is built, outside any test,
// where Check's asserts cannot report).
static void *need(void *p)
{
    if (!p) {
        fprintf(stderr, "test_notes: out of memory\n");
        exit(1);
    }
    return p;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = need(malloc(n + 1));
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void sl_push_n(StrList *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = need(realloc(l->v, (size_t)l->cap * sizeof *l->v));
    }
    l->v[l->n++] = dup_n(s, n);
}
static void sl_push(StrList *l, const char *s) { sl_push_n(l, s, strlen(s)); }

static void sl_free(StrList *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

typedef struct StrSet { char **slot; size_t cap, n; } StrSet;

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static bool set_has_n(const StrSet *s, const char *k, size_t n)
{
    if (!s->cap) return false;
    for (size_t i = fnv1a(k, n) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slot[i]) return false;
        if (strlen(s->slot[i]) == n && memcmp(s->slot[i], k, n) == 0) return true;
    }
}
static bool set_has(const StrSet *s, const char *k) { return set_has_n(s, k, strlen(k)); }

static void set_add_n(StrSet *s, const char *k, size_t n)
{
    if (set_has_n(s, k, n)) return;
    if (2 * (s->n + 1) > s->cap) {   // grow to keep the load below 1/2
        size_t cap = s->cap ? 2 * s->cap : 1024;
        StrSet g = {need(calloc(cap, sizeof(char *))), cap, 0};
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) {
                size_t j = fnv1a(s->slot[i], strlen(s->slot[i])) & (g.cap - 1);
                while (g.slot[j]) j = (j + 1) & (g.cap - 1);
                g.slot[j] = s->slot[i];
                g.n++;
            }
        free(s->slot);
        *s = g;
    }
    size_t j = fnv1a(k, n) & (s->cap - 1);
    while (s->slot[j]) j = (j + 1) & (s->cap - 1);
    s->slot[j] = dup_n(k, n);
    s->n++;
}

static void set_free(StrSet *s)
{
    for (size_t i = 0; i < s->cap; i++) free(s->slot[i]);
    free(s->slot);
    memset(s, 0, sizeof *s);
}

// ---- files ----

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = need(malloc(cap));
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            buf = need(realloc(buf, cap *= 2));
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

// Every regular file under dir (recursively; hidden entries, out/ and build/ left out).
static void walk(const char *dir, StrList *files)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        if (nm[0] == '.' || !strcmp(nm, "out") || !strcmp(nm, "build")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (is_dir(path)) walk(path, files);
        else sl_push(files, path);
    }
    closedir(d);
}

// The chapter folders NN_topic of the root, sorted.
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}
static void list_chapters(StrList *out)
{
    DIR *d = opendir(".");
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (isdigit((unsigned char)e->d_name[0]) && isdigit((unsigned char)e->d_name[1]) &&
            e->d_name[2] == '_' && is_dir(e->d_name))
            sl_push(out, e->d_name);
    closedir(d);
    if (out->n) qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_str);
}

// A chapter's program files: the .c files directly in its folder.
static bool chapter_has_code(const char *chapter)
{
    DIR *d = opendir(chapter);
    if (!d) return false;
    bool any = false;
    struct dirent *e;
    while ((e = readdir(d))) any = any || has_suffix(e->d_name, ".c");
    closedir(d);
    return any;
}

static bool is_program_file(const char *path)   // "04_cnn/cnn.c": one '/', a chapter folder
{
    const char *slash = strchr(path, '/');
    return slash && !strchr(slash + 1, '/') && isdigit((unsigned char)path[0]) &&
           isdigit((unsigned char)path[1]) && path[2] == '_' && has_suffix(path, ".c");
}

// ---- patterns: WC matches any run of characters, on either side ----

static bool gmatch(const char *a, const char *b)
{
    while (*a && *b && *a != WC && *b != WC) {
        if (*a != *b) return false;
        a++, b++;
    }
    if (*a == WC) return gmatch(a + 1, b) || (*b && gmatch(a, b + 1));
    if (*b == WC) return gmatch(a, b + 1) || (*a && gmatch(a + 1, b));
    return *a == *b;
}

// A string literal as a pattern: each printf conversion becomes WC, %% a '%'. Returns the
// number of wildcards.
static int printf_pattern(const char *lit, char *out, size_t len)
{
    size_t o = 0;
    int wc = 0;
    for (const char *p = lit; *p && o + 1 < len; p++) {
        if (*p != '%') { out[o++] = *p; continue; }
        if (p[1] == '%') { out[o++] = '%'; p++; continue; }
        const char *q = p + 1;
        while (*q && strchr("-+ #0123456789.*", *q)) q++;
        while (*q && strchr("hlLqjzt", *q)) q++;
        if (*q && strchr("diouxXeEfFgGaAcsp", *q)) {
            out[o++] = WC;
            wc++;
            p = q;
        } else {
            out[o++] = '%';
        }
    }
    out[o] = '\0';
    return wc;
}

// Leading characters of a pattern before its first wildcard.
static size_t fixed_lead(const char *pat)
{
    size_t n = 0;
    while (pat[n] && pat[n] != WC) n++;
    return n;
}

// ---- the corpus ----

typedef struct Corpus {
    char chapter[64];        // "01_perceptron"; "" for the top-level README
    bool has_code;           // the chapter folder has a program
    StrSet words;            // identifiers outside comments, words inside string literals
    StrSet stems;            // file names without extension (exercise stubs: ex1_momentum)
    StrSet golden;           // first column of the chapter's golden files
    StrSet flags;            // string literals of report/cli.c and of the chapter's program
    StrSet make_targets, make_words;
    StrList literals;        // every string literal (raw, escapes kept)
    StrList patterns;        // the literals with a printf wildcard and >= 3 fixed lead chars
    StrList files;           // every file of the corpus folders
    StrList regions;         // "path\tname" of each // region: line
} Corpus;

static bool is_id0(int c) { return isalpha(c) || c == '_'; }
static bool is_id(int c) { return isalnum(c) || c == '_'; }

static void add_words(StrSet *set, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (is_id0((unsigned char)s[i])) {
            size_t j = i;
            while (j < n && is_id((unsigned char)s[j])) j++;
            set_add_n(set, s + i, j - i);
            i = j;
        } else {
            i++;
        }
    }
}

// Read one C file: region lines, identifiers outside comments, string literals.
static void scan_c(Corpus *c, const char *path, StrSet *flag_set)
{
    char *t = read_all(path);
    if (!t) return;
    if (!strcmp(path, "tests/test_notes.c")) {   // blank the planted READMEs of the self-tests
        char *a = strstr(t, "\n// region: planted\n"), *b = a ? strstr(a, "\n// endregion") : NULL;
        if (b) memset(a, ' ', (size_t)(b - a));
    }
    for (const char *line = t; *line;) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncmp(p, "//", 2)) {
            p += 2;
            while (*p == ' ') p++;
            if (!strncmp(p, "region:", 7)) {
                p += 7;
                while (*p == ' ') p++;
                size_t k = 0;
                while (is_id((unsigned char)p[k])) k++;
                if (k) {
                    char entry[1200];
                    snprintf(entry, sizeof entry, "%s\t%.*s", path, (int)k, p);
                    sl_push(&c->regions, entry);
                }
            }
        }
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    for (const char *p = t; *p;) {
        if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n') p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            const char *s = p;
            while (*p && *p != q && *p != '\n') p += (*p == '\\' && p[1]) ? 2 : 1;
            if (q == '"') {
                sl_push_n(&c->literals, s, (size_t)(p - s));
                add_words(&c->words, s, (size_t)(p - s));
                if (flag_set) set_add_n(flag_set, s, (size_t)(p - s));
            }
            if (*p == q) p++;
        } else if (is_id0((unsigned char)*p)) {
            const char *s = p;
            while (is_id((unsigned char)*p)) p++;
            set_add_n(&c->words, s, (size_t)(p - s));
        } else {
            p++;
        }
    }
    free(t);
}

static void scan_golden(Corpus *c, const char *path)
{
    char *t = read_all(path);
    if (!t) return;
    for (char *line = t; *line;) {
        size_t k = strcspn(line, "\t\n");
        if (line[0] != '#' && k) set_add_n(&c->golden, line, k);
        line += strcspn(line, "\n");
        if (*line) line++;
    }
    free(t);
}

// Targets (words before a rule's ':', and .PHONY's list) and every word of a makefile.
static void scan_makefile(Corpus *c, const char *path)
{
    char *t = read_all(path);
    if (!t) return;
    for (char *line = t; *line;) {
        char *end = line + strcspn(line, "\n");
        char save = *end;
        *end = '\0';
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        for (char *p = line; *p;) {   // every word, recipes too, for VAR=value checks
            if (is_id((unsigned char)*p)) {
                char *s = p;
                while (is_id((unsigned char)*p)) p++;
                set_add_n(&c->make_words, s, (size_t)(p - s));
            } else {
                p++;
            }
        }
        if (line[0] != '\t') {
            char *colon = strchr(line, ':');
            char *eq = strchr(line, '=');
            if (colon && colon[1] != '=' && (!eq || eq > colon)) {
                bool phony = strstr(line, ".PHONY") != NULL;
                char *from = phony ? colon + 1 : line, *to = phony ? line + strlen(line) : colon;
                for (char *p = from; p < to;) {
                    while (p < to && isspace((unsigned char)*p)) p++;
                    char *s = p;
                    while (p < to && !isspace((unsigned char)*p)) p++;
                    size_t k = (size_t)(p - s);
                    if (k && !memchr(s, '$', k) && !memchr(s, '%', k))
                        set_add_n(&c->make_targets, s, k);
                }
            }
        }
        *end = save;
        line = *end ? end + 1 : end;
    }
    free(t);
}

// A script (Python, shell): every identifier in it counts as a word of the code (a peer
// script's OMP_NUM_THREADS, a generator's function names).
static void scan_script(Corpus *c, const char *path)
{
    char *t = read_all(path);
    if (!t) return;
    add_words(&c->words, t, strlen(t));
    free(t);
}

static void scan_tree_c(Corpus *c, const char *dir, bool own_chapter)
{
    StrList files = {0};
    walk(dir, &files);
    for (int i = 0; i < files.n; i++) {
        const char *f = files.v[i];
        sl_push(&c->files, f);
        const char *base = strrchr(f, '/') ? strrchr(f, '/') + 1 : f;
        set_add_n(&c->stems, base, strcspn(base, "."));
        if (has_suffix(f, ".c") || has_suffix(f, ".h"))
            scan_c(c, f, (!strcmp(f, "common/report/cli.c") || (own_chapter && is_program_file(f)))
                             ? &c->flags : NULL);
        else if (has_suffix(f, ".py") || has_suffix(f, ".sh"))
            scan_script(c, f);
    }
    sl_free(&files);
}

static void add_glob(const char *pattern, void (*fn)(Corpus *, const char *), Corpus *c)
{
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) fn(c, g.gl_pathv[i]);
    globfree(&g);
}

// The corpus for one chapter ("" = the top-level README: every chapter).
static void corpus_build(Corpus *c, const char *chapter)
{
    memset(c, 0, sizeof *c);
    snprintf(c->chapter, sizeof c->chapter, "%s", chapter);
    scan_tree_c(c, "common", false);
    scan_tree_c(c, "tests", false);
    scan_tree_c(c, "scripts", false);
    scan_makefile(c, "Makefile");
    add_glob("*.mk", scan_makefile, c);
    char pat[128];
    if (chapter[0]) {
        c->has_code = chapter_has_code(chapter);
        scan_tree_c(c, chapter, true);
        snprintf(pat, sizeof pat, "%s/Makefile", chapter);
        scan_makefile(c, pat);
        snprintf(pat, sizeof pat, "tests/fixtures/golden_ch%.2s_*.tsv", chapter);
        add_glob(pat, scan_golden, c);
    } else {
        c->has_code = true;
        StrList chs = {0};
        list_chapters(&chs);
        for (int i = 0; i < chs.n; i++) scan_tree_c(c, chs.v[i], true);
        sl_free(&chs);
        add_glob("tests/fixtures/golden_ch*.tsv", scan_golden, c);
    }
    for (int i = 0; i < c->literals.n; i++) {
        char p[512];
        if (printf_pattern(c->literals.v[i], p, sizeof p) > 0 && fixed_lead(p) >= 3)
            sl_push(&c->patterns, p);
    }
}

static void corpus_free(Corpus *c)
{
    set_free(&c->words);
    set_free(&c->stems);
    set_free(&c->golden);
    set_free(&c->flags);
    set_free(&c->make_targets);
    set_free(&c->make_words);
    sl_free(&c->literals);
    sl_free(&c->patterns);
    sl_free(&c->files);
    sl_free(&c->regions);
}

// ---- the report ----

typedef struct Miss { int line; char kind[16]; char text[200]; char why[300]; } Miss;

typedef struct Report {
    const char *readme;      // "04_cnn/README.md", for the messages
    char dir[256];           // its folder with a '/' ("04_cnn/exercises/"), "" for the root
    Miss *v;
    int n, cap;
    int checked, skipped;
    bool verbose;
} Report;

static void verdict(Report *r, int line, const char *kind, const char *text, int ok,
                    const char *fmt, ...)
{
    char why[300] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
    }
    if (ok < 0) r->skipped++;
    else r->checked++;
    if (r->verbose)
        printf("%s:%d: %-9s `%s`: %s%s%s\n", r->readme, line, kind, text,
               ok > 0 ? "ok" : ok < 0 ? "skipped" : "MISSING", why[0] ? " — " : "", why);
    if (ok != 0) return;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = need(realloc(r->v, (size_t)r->cap * sizeof *r->v));
    }
    Miss *m = &r->v[r->n++];
    m->line = line;
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    snprintf(m->text, sizeof m->text, "%s", text);
    snprintf(m->why, sizeof m->why, "%s", why);
}

static bool verbose(void) { return getenv("DL_TEST_VERBOSE") != NULL; }

// scripts/student_edition.sh leaves out the solutions and the grader's self-test.
static bool student_edition(void) { return !exists("tests/test_grader.c"); }

// ---- checks, one per class ----

static const char *const SKIP_NO_CODE = "the chapter has no program yet";

static bool region_exists(const Corpus *c, const char *name, const char *file)
{
    size_t fl = file ? strlen(file) : 0;
    for (int i = 0; i < c->regions.n; i++) {
        const char *e = c->regions.v[i], *tab = strchr(e, '\t');
        if (strcmp(tab + 1, name)) continue;
        size_t pl = (size_t)(tab - e);
        if (file) {   // the path ends with the file named ("cnn.c", "04_cnn/cnn.c")
            if (pl >= fl && !strncmp(e + pl - fl, file, fl) && (pl == fl || e[pl - fl - 1] == '/'))
                return true;
        } else if (!c->chapter[0]) {
            return true;
        } else {
            char prog[1024];
            snprintf(prog, sizeof prog, "%.*s", (int)pl, e);
            if (is_program_file(prog) && !strncmp(prog, c->chapter, strlen(c->chapter)) &&
                prog[strlen(c->chapter)] == '/')
                return true;
        }
    }
    return false;
}

static void check_region(const Corpus *c, Report *r, int line, const char *name, const char *file)
{
    char text[300];
    snprintf(text, sizeof text, "%s%s%s", name, file ? " in " : "", file ? file : "");
    if (!c->has_code) { verdict(r, line, "region", text, -1, "%s", SKIP_NO_CODE); return; }
    bool ok = region_exists(c, name, file);
    verdict(r, line, "region", text, ok, ok ? NULL : "no line `// region: %s` in %s%s", name,
            file ? file : c->chapter[0] ? c->chapter : "the code",
            file ? "" : c->chapter[0] ? "/*.c (the chapter's program)" : "");
}

static bool in_list(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s)) return true;
    return false;
}

static const char *introduced(const Corpus *c, const char *name)
{
    for (size_t i = 0; i < N_OF(INTRODUCED); i++)
        if ((!c->chapter[0] || !strcmp(INTRODUCED[i].chapter, c->chapter)) &&
            !strcmp(INTRODUCED[i].name, name))
            return INTRODUCED[i].why;
    return NULL;
}

static bool symbol_exists(const Corpus *c, const char *name)
{
    if (set_has(&c->words, name) || set_has(&c->golden, name) || set_has(&c->stems, name))
        return true;
    for (int i = 0; i < c->patterns.n; i++)
        if (gmatch(c->patterns.v[i], name)) return true;
    return false;
}

static void check_symbol(const Corpus *c, Report *r, int line, const char *name)
{
    const char *why, *k = "symbol";
    if (!c->has_code) verdict(r, line, k, name, -1, "%s", SKIP_NO_CODE);
    else if (strlen(name) <= 2) verdict(r, line, k, name, -1, "one or two characters: math");
    else if (symbol_exists(c, name)) verdict(r, line, k, name, 1, NULL);
    else if (student_edition() && !strcmp(name, "test_grader"))
        verdict(r, line, k, name, -1, "left out of the student edition");
    else if (in_list(TOOLS, N_OF(TOOLS), name)) verdict(r, line, k, name, -1, "an external tool");
    else if (in_list(LIBC, N_OF(LIBC), name)) verdict(r, line, k, name, -1, "the C library's");
    else if ((why = introduced(c, name))) verdict(r, line, k, name, -1, "introduced: %s", why);
    else verdict(r, line, k, name, 0, "not in the code (common/, tests/, scripts/, %s), nor a file "
                 "name, a golden key or a printf pattern of a string literal",
                 c->chapter[0] ? c->chapter : "the chapters");
}

// pat: the README's key with its placeholders already turned into WC.
static void check_key(const Corpus *c, Report *r, int line, const char *text, const char *pat)
{
    if (!c->has_code) { verdict(r, line, "key", text, -1, "%s", SKIP_NO_CODE); return; }
    bool ok = false;
    for (size_t i = 0; !ok && i < c->golden.cap; i++)
        ok = c->golden.slot[i] && gmatch(pat, c->golden.slot[i]);
    for (int i = 0; !ok && i < c->literals.n; i++) {
        char p[512];
        printf_pattern(c->literals.v[i], p, sizeof p);
        size_t fixed_id = 0;
        for (const char *q = p; *q; q++) fixed_id += is_id((unsigned char)*q);
        if (fixed_id >= 3) ok = gmatch(pat, p);
    }
    verdict(r, line, "key", text, ok, ok ? NULL : "no golden key and no string literal matches it");
}

static bool flag_known(const StrSet *flags, const char *name)
{
    char dashed[200];
    snprintf(dashed, sizeof dashed, "--%s", name);
    return set_has(flags, name) || set_has(flags, dashed);
}

// Every --name token of s (split on spaces and '/', value after '=' dropped).
static void check_flags(Report *r, int line, const char *s, const StrSet *flags, const char *owner)
{
    for (const char *p = s; *p;) {
        while (*p == ' ' || *p == '/') p++;
        const char *tok = p;
        while (*p && *p != ' ' && *p != '/') p++;
        if (p - tok < 3 || strncmp(tok, "--", 2)) continue;
        size_t k = strcspn(tok + 2, "= /");
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)k, tok + 2);
        char text[140];
        snprintf(text, sizeof text, "--%s", name);
        bool ok = flag_known(flags, name);
        verdict(r, line, "flag", text, ok, ok ? NULL : "neither a common flag "
                "(common/report/cli.c) nor a string of %s's program (its CliExtra table)", owner);
    }
}

// The flags of another chapter's program, for `./NN_topic/run --flag`.
static void flags_of(StrSet *flags, const char *chapter)
{
    Corpus tmp;
    memset(&tmp, 0, sizeof tmp);
    scan_c(&tmp, "common/report/cli.c", flags);
    StrList files = {0};
    walk(chapter, &files);
    for (int i = 0; i < files.n; i++)
        if (is_program_file(files.v[i])) scan_c(&tmp, files.v[i], flags);
    sl_free(&files);
    corpus_free(&tmp);
}

static void check_run(const Corpus *c, Report *r, int line, const char *s)
{
    size_t k = strcspn(s, " ");
    char dir[256] = "";
    if (k > 6) snprintf(dir, sizeof dir, "%.*s", (int)(k - 6), s + 2);   // ./X/run -> X
    if (dir[0] && !is_dir(dir)) {
        verdict(r, line, "path", dir, 0, "no folder %s for %.*s", dir, (int)k, s);
        return;
    }
    if (!dir[0] || !strcmp(dir, c->chapter)) {
        check_flags(r, line, s + k, &c->flags, c->chapter[0] ? c->chapter : "any chapter");
        return;
    }
    StrSet other = {0};
    flags_of(&other, dir);
    check_flags(r, line, s + k, &other, dir);
    set_free(&other);
}

static void check_make(const Corpus *c, Report *r, int line, const char *s)
{
    const char *p = s + 4;   // after "make"
    bool skip_next = false;
    while (*p) {
        while (*p == ' ') p++;
        const char *tok = p;
        while (*p && *p != ' ') p++;
        size_t k = (size_t)(p - tok);
        if (!k) break;
        char w[200];
        snprintf(w, sizeof w, "%.*s", (int)k, tok);
        if (!strcmp(w, "&&") || !strcmp(w, "||") || !strcmp(w, ";") || !strcmp(w, "|") ||
            w[0] == '#')
            break;
        if (skip_next) { skip_next = false; continue; }
        if (w[0] == '-') { skip_next = !strcmp(w, "-C") || !strcmp(w, "-f"); continue; }
        if (strpbrk(w, "<[…")) { verdict(r, line, "make", w, -1, "placeholder"); continue; }
        char *eq = strchr(w, '=');
        if (eq) {
            *eq = '\0';
            bool ok = set_has(&c->make_words, w);
            verdict(r, line, "variable", w, ok, ok ? NULL : "no variable %s in the makefiles", w);
        } else {
            bool ok = set_has(&c->make_targets, w);
            verdict(r, line, "make", w, ok, ok ? NULL : "no target %s in Makefile, *.mk%s", w,
                    c->chapter[0] ? " or the chapter's Makefile" : "");
        }
    }
}

// A placeholder component: NN_topic, exK_name(.c), <name>, or an all-capital word (MIRROR).
static bool is_placeholder(const char *comp, size_t n)
{
    if (memchr(comp, '<', n)) return true;
    if (n >= 8 && (!strncmp(comp, "NN_topic", 8) || !strncmp(comp, "exK_name", 8))) return true;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)comp[i]) && comp[i] != '_') return false;
    return n >= 2;   // MIRROR, DIR (README.md has a dot: a real name)
}

static const char *const OUT_EXT[] = {".png", ".dat", ".gp", ".tsv", ".txt"};

// The file name `base` (no folder) is written by the code: its stem matches the last path
// component of a string literal (same extension dropped, >= 3 fixed characters).
static bool written_by_code(const Corpus *c, const char *base)
{
    char stem[900];
    snprintf(stem, sizeof stem, "%s", base);
    const char *dot = strrchr(base, '.');
    const char *ext = dot && dot != base ? dot : "";
    if (*ext) stem[dot - base] = '\0';
    for (char *q = stem; *q; q++)
        if (*q == '*') *q = WC;
    for (int i = 0; i < c->literals.n; i++) {
        char p[512];
        printf_pattern(c->literals.v[i], p, sizeof p);
        char *tail = strrchr(p, '/');
        tail = tail ? tail + 1 : p;
        if (*ext && has_suffix(tail, ext)) tail[strlen(tail) - strlen(ext)] = '\0';
        else if (strchr(tail, '.')) continue;   // another extension: a different file
        if (strchr(tail, WC) && fixed_lead(tail) < 3) continue;
        if (*tail && gmatch(tail, stem)) return true;
    }
    return false;
}

// Every existing file or folder the relative path p can mean: from the root, the chapter
// folder (any chapter for the top-level README), common/ ('*' globs); a bare file name also
// every corpus file of that name.
static void resolve(const Corpus *c, const Report *r, const char *p, StrList *hits)
{
    StrList bases = {0};
    sl_push(&bases, "");
    if (r->dir[0]) sl_push(&bases, r->dir);
    sl_push(&bases, "common/");
    if (c->chapter[0]) {
        char b[80];
        snprintf(b, sizeof b, "%s/", c->chapter);
        sl_push(&bases, b);
    } else {
        StrList chs = {0};
        list_chapters(&chs);
        for (int i = 0; i < chs.n; i++) {
            char b[300];
            snprintf(b, sizeof b, "%s/", chs.v[i]);
            sl_push(&bases, b);
        }
        sl_free(&chs);
    }
    for (int i = 0; i < bases.n; i++) {
        char try[1100];
        snprintf(try, sizeof try, "%s%s", bases.v[i], p);
        glob_t g;
        if (glob(try, 0, NULL, &g) == 0)
            for (size_t k = 0; k < g.gl_pathc; k++) sl_push(hits, g.gl_pathv[k]);
        globfree(&g);
    }
    sl_free(&bases);
    if (!strchr(p, '/'))
        for (int i = 0; i < c->files.n; i++) {
            const char *f = strrchr(c->files.v[i], '/');
            if (f && !strcmp(f + 1, p)) sl_push(hits, c->files.v[i]);
        }
}

static void check_path(const Corpus *c, Report *r, int line, const char *kind, const char *path)
{
    if (path[0] == '/') {
        verdict(r, line, kind, path, -1, "absolute: outside the repository");
        return;
    }
    char norm[900];   // ../x from the notes' folder, as a path from the root
    snprintf(norm, sizeof norm, "%s", !strncmp(path, "./", 2) ? path + 2 : path);
    if (!strncmp(norm, "../", 3)) {
        char dir[256];
        snprintf(dir, sizeof dir, "%s", r->dir);
        const char *q = norm;
        while (!strncmp(q, "../", 3)) {
            size_t dl = strlen(dir);
            if (!dl) { verdict(r, line, kind, path, -1, "outside the repository"); return; }
            dir[dl - 1] = '\0';   // drop the trailing '/', then the last component
            char *slash = strrchr(dir, '/');
            if (slash) slash[1] = '\0';
            else dir[0] = '\0';
            q += 3;
        }
        size_t dl = strlen(dir), ql = strlen(q);   // norm = dir + q (q points into norm)
        if (dl + ql >= sizeof norm) { verdict(r, line, kind, path, -1, "too long"); return; }
        memmove(norm + dl, q, ql + 1);
        memcpy(norm, dir, dl);
    }
    if (norm[0] == '.' && norm[1] && !strchr(norm, '/')) {
        verdict(r, line, kind, path, -1, "a bare extension");
        return;
    }
    const char *p = norm;
    // components: placeholders, generated folders, out/
    bool out = false, placeholder = false;
    for (const char *s = p; *s;) {
        size_t k = strcspn(s, "/");
        if (is_placeholder(s, k)) placeholder = true;
        if (k == 3 && !strncmp(s, "out", 3)) out = true;
        s += k;
        if (*s) s++;
    }
    if (placeholder) { verdict(r, line, kind, path, -1, "a placeholder"); return; }
    if (!strncmp(p, "data/", 5) || !strcmp(p, "data") || !strncmp(p, "build/", 6)) {
        verdict(r, line, kind, path, -1, "made by make data / make, git-ignored");
        return;
    }
    if (student_edition() &&
        (strstr(p, "exercises/solutions") || !strncmp(p, "tests/fixtures/grader", 21) ||
         !strcmp(p, "tests/test_grader.c"))) {
        verdict(r, line, kind, path, -1, "left out of the student edition");
        return;
    }
    const char *base = strrchr(p, '/');
    bool dir_only = has_suffix(p, "/");
    if (out && dir_only) { verdict(r, line, kind, path, -1, "an output folder"); return; }
    base = base && base[1] ? base + 1 : p;

    bool first_exists;   // for chapters without code: only paths into existing folders
    {
        char first[256];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(p, "/"), p);
        first_exists = strchr(p, '/') && is_dir(first) && strcmp(first, c->chapter);
    }
    if (!c->has_code && !first_exists) {
        verdict(r, line, kind, path, -1, "%s", SKIP_NO_CODE);
        return;
    }

    StrList hits = {0};
    resolve(c, r, p, &hits);
    bool ok = hits.n > 0;
    sl_free(&hits);
    if (ok) { verdict(r, line, kind, path, 1, NULL); return; }
    bool out_ext = false;
    for (size_t i = 0; i < N_OF(OUT_EXT); i++) out_ext = out_ext || has_suffix(p, OUT_EXT[i]);
    if ((out || out_ext) && !dir_only) {
        ok = written_by_code(c, base);
        verdict(r, line, kind, path, ok, ok ? "an output the code writes" :
                "no such file, and no string literal of the code names it as an output");
        return;
    }
    verdict(r, line, kind, path, 0, "no such %s (tried the root, %s%scommon/%s)",
            dir_only ? "folder" : "file", c->chapter, c->chapter[0] ? "/, " : "",
            strchr(p, '/') ? "" : " and the file names of the corpus");
}

// ---- classification of one code span ----

static const char *const PATH_EXT[] = {".c", ".h", ".py", ".sh", ".md", ".tsv", ".txt", ".png",
                                       ".gp", ".dat", ".mk"};

static bool all_id(const char *s, size_t n)
{
    if (!n || !is_id0((unsigned char)s[0])) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_id((unsigned char)s[i])) return false;
    return true;
}

// A key pattern: identifier characters and placeholders (<x>, …, *), each placeholder bounded
// by '_' or an end, at least one placeholder and one '_'. Writes the WC form into pat.
static bool key_pattern(const char *s, char *pat, size_t len)
{
    size_t o = 0;
    int holes = 0;
    bool under = false;
    for (const char *p = s; *p; ) {
        const char *h = NULL;
        if (*p == '<') { h = strchr(p, '>'); if (!h) return false; h++; }
        else if (!strncmp(p, "…", strlen("…"))) h = p + strlen("…");
        else if (*p == '*') h = p + 1;
        if (h) {
            if ((p != s && p[-1] != '_') || (*h && *h != '_')) return false;
            if (o + 1 >= len) return false;
            pat[o++] = WC;
            holes++;
            p = h;
            continue;
        }
        if (!is_id((unsigned char)*p)) return false;
        under = under || *p == '_';
        if (o + 1 >= len) return false;
        pat[o++] = *p++;
    }
    pat[o] = '\0';
    return holes > 0 && under;
}

static bool looks_like_path(const Corpus *c, const char *s)
{
    if (!*s || strpbrk(s, " \t()[]{}=,;:'\"`|&$")) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80 && strncmp((const char *)p, "…", strlen("…"))) return false;
    for (size_t i = 0; i < N_OF(PATH_EXT); i++)
        if (has_suffix(s, PATH_EXT[i])) return true;
    const char *slash = strchr(s, '/');
    if (!slash) return false;
    if (has_suffix(s, "/") || s[0] == '/' || !strncmp(s, "./", 2) || !strncmp(s, "../", 3))
        return true;
    char first[256], in_ch[600];
    snprintf(first, sizeof first, "%.*s", (int)(slash - s), s);
    snprintf(in_ch, sizeof in_ch, "%s/%s", c->chapter[0] ? c->chapter : ".", first);
    return is_dir(first) || is_dir(in_ch) || !strcmp(first, "out") || !strcmp(first, "data") ||
           !strcmp(first, "build") || is_placeholder(first, strlen(first));
}

static void check_span(const Corpus *c, Report *r, int line, const char *s)
{
    size_t n = strlen(s);
    char pat[512];
    if (!strncmp(s, "region:", 7) || !strncmp(s, "// region:", 10)) return;   // the region scan
    if (!strncmp(s, "make", 4) && (s[4] == ' ' || !s[4])) { check_make(c, r, line, s); return; }
    if (!strncmp(s, "--", 2) && is_id((unsigned char)s[2])) {
        check_flags(r, line, s, &c->flags, c->chapter[0] ? c->chapter : "any chapter");
        return;
    }
    if (!strncmp(s, "./", 2)) {   // ./NN_topic/run args, ./run args
        size_t k = strcspn(s, " ");
        if (k >= 5 && !strncmp(s + k - 4, "/run", 4) && !strpbrk(s, "&|;")) {
            check_run(c, r, line, s);
            return;
        }
    }
    const char *eq = strchr(s, '=');
    if (eq && eq > s && !strchr(s, ' ')) {   // VAR=value
        bool caps = true;
        for (const char *p = s; p < eq; p++)
            caps = caps && (isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_');
        if (caps && isupper((unsigned char)s[0])) {
            char var[128];
            snprintf(var, sizeof var, "%.*s", (int)(eq - s), s);
            bool ok = set_has(&c->make_words, var) || set_has(&c->words, var);
            verdict(r, line, "variable", var, ok, ok ? NULL : "no variable %s in Makefile or *.mk, "
                    "and the code reads no such environment variable", var);
            return;
        }
    }
    if (all_id(s, n)) { check_symbol(c, r, line, s); return; }
    if (n > 2 && !strcmp(s + n - 2, "()") && all_id(s, n - 2)) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(n - 2), s);
        check_symbol(c, r, line, name);
        return;
    }
    if (is_id0((unsigned char)s[0]) && s[n - 1] == ')') {   // a call: name(args)
        size_t k = 0;
        while (is_id((unsigned char)s[k])) k++;
        if (s[k] == '(' && k >= 3) {
            for (size_t i = 0; i < n;) {   // every ident( of 3 characters or more
                if (is_id0((unsigned char)s[i]) && (i == 0 || !is_id((unsigned char)s[i - 1]))) {
                    size_t j = i;
                    while (is_id((unsigned char)s[j])) j++;
                    if (s[j] == '(' && j - i >= 3) {
                        char name[256];
                        snprintf(name, sizeof name, "%.*s", (int)(j - i), s + i);
                        check_symbol(c, r, line, name);
                    }
                    i = j;
                } else {
                    i++;
                }
            }
            return;
        }
    }
    if (key_pattern(s, pat, sizeof pat)) { check_key(c, r, line, s, pat); return; }
    if (looks_like_path(c, s)) { check_path(c, r, line, "path", s); return; }
    if (r->verbose) printf("%s:%d: %-9s `%s`\n", r->readme, line, "not code", s);
}

// ---- reading the README ----

// Per line: inside a fence? a row (not the header) of a table whose first header cell is
// "region"?
typedef struct Lines { int n; size_t *start; bool *fenced, *region_row; } Lines;

static void split_lines(const char *t, Lines *L)
{
    size_t n = 1;
    for (const char *p = t; *p; p++) n += *p == '\n';
    L->start = need(calloc(n + 1, sizeof *L->start));
    L->fenced = need(calloc(n + 1, sizeof *L->fenced));
    L->region_row = need(calloc(n + 1, sizeof *L->region_row));
    L->n = 0;
    L->start[L->n++] = 0;
    for (const char *p = t; *p; p++)
        if (*p == '\n' && p[1]) L->start[L->n++] = (size_t)(p + 1 - t);
    char fence = 0;
    size_t fence_len = 0;
    bool in_table = false, region_table = false;
    for (int i = 0; i < L->n; i++) {
        const char *s = t + L->start[i];
        size_t ind = 0;
        while (ind < 4 && s[ind] == ' ') ind++;
        const char *q = s + ind;
        size_t run = 0;
        if (ind < 4 && (*q == '`' || *q == '~'))
            while (q[run] == *q) run++;
        if (fence) {
            L->fenced[i] = true;
            if (run >= fence_len && *q == fence) fence = 0;
            continue;
        }
        if (run >= 3) {
            fence = *q;
            fence_len = run;
            L->fenced[i] = true;
            in_table = false;
            continue;
        }
        if (*q == '|') {
            if (!in_table) {   // the header: its first cell
                const char *c = q + 1;
                while (*c == ' ') c++;
                size_t k = strcspn(c, "|\n");
                while (k && c[k - 1] == ' ') k--;
                region_table = k == 6 && !strncasecmp(c, "region", 6);
                in_table = true;
            } else {
                L->region_row[i] = region_table;
            }
        } else {
            in_table = false;
        }
    }
}

static int line_of(const Lines *L, size_t pos)
{
    int lo = 0, hi = L->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (L->start[mid] <= pos) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

// The span's text, trimmed, newlines as spaces; false if too long.
static bool span_text(const char *s, size_t n, char *out, size_t len)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n + 1 > len) return false;
    for (size_t i = 0; i < n; i++) out[i] = s[i] == '\n' ? ' ' : s[i];
    out[n] = '\0';
    return true;
}

// The next code span at or after p (in prose: fenced lines blanked): [*a, *b) is its content.
static const char *next_span(const char *p, const char **a, const char **b)
{
    while ((p = strchr(p, '`'))) {
        size_t k = 0;
        while (p[k] == '`') k++;
        for (const char *q = p + k; (q = strchr(q, '`'));) {
            size_t m = 0;
            while (q[m] == '`') m++;
            if (m == k) {
                *a = p + k;
                *b = q;
                return q + m;
            }
            q += m;
        }
        p += k;
    }
    return NULL;
}

// Is `word` right before pos (spaces between), as a whole word?
static bool word_before(const char *text, const char *pos, const char *word)
{
    size_t n = strlen(word);
    const char *p = pos;
    while (p > text && (p[-1] == ' ' || p[-1] == '\n')) p--;
    return (size_t)(p - text) >= n && !strncasecmp(p - n, word, n) &&
           ((size_t)(p - text) == n || !is_id((unsigned char)p[-(long)n - 1]));
}

static bool file_has_word(const char *path, const char *word)
{
    char *t = read_all(path);
    if (!t) return false;
    size_t n = strlen(word);
    bool found = false;
    for (const char *p = t; !found && (p = strstr(p, word)); p += n)
        found = (p == t || !is_id((unsigned char)p[-1])) && !is_id((unsigned char)p[n]);
    free(t);
    return found;
}

// "`name` in `file`", "`name` from `file`", "`name` (`file`)": the symbol (an identifier or a
// call's callee) must occur in that file, its .c/.h twin, or under that folder.
static void check_in_file(const Corpus *c, Report *r, int line, const char *s, const char *after)
{
    size_t k = 0, n = strlen(s);
    while (is_id((unsigned char)s[k])) k++;
    bool call = s[k] == '(' && s[n - 1] == ')';
    if (!c->has_code || k <= 2 || !is_id0((unsigned char)s[0]) || (s[k] && !call)) return;
    const char *p = after;
    while (*p == ' ' || *p == '\n') p++;
    if (!strncmp(p, "in ", 3)) p += 3;
    else if (!strncmp(p, "from ", 5)) p += 5;
    else if (*p == '(') p++;
    else return;
    while (*p == ' ' || *p == '\n') p++;
    const char *fa, *fb;
    char f[256], name[128];
    if (*p != '`' || p[1] == '`' || !next_span(p, &fa, &fb) || fa != p + 1 ||
        !span_text(fa, (size_t)(fb - fa), f, sizeof f) || !looks_like_path(c, f))
        return;
    snprintf(name, sizeof name, "%.*s", (int)k, s);
    StrList hits = {0};
    resolve(c, r, f, &hits);
    bool found = false;
    for (int i = 0; !found && i < hits.n; i++) {
        const char *h = hits.v[i];
        size_t hl = strlen(h);
        if (is_dir(h)) {
            while (hl && h[hl - 1] == '/') hl--;
            for (int j = 0; !found && j < c->files.n; j++)
                found = !strncmp(c->files.v[j], h, hl) && c->files.v[j][hl] == '/' &&
                        file_has_word(c->files.v[j], name);
        } else {
            char twin[1100];
            snprintf(twin, sizeof twin, "%s", h);
            if (has_suffix(h, ".c")) twin[hl - 1] = 'h';
            else if (has_suffix(h, ".h")) twin[hl - 1] = 'c';
            found = file_has_word(h, name) || file_has_word(twin, name);
        }
    }
    if (hits.n) {
        char text[400];
        snprintf(text, sizeof text, "%s in %s", name, f);
        verdict(r, line, "symbol in", text, found, found ? NULL : "%s is not in %s (moved?)", name,
                f);
    }
    sl_free(&hits);
}

// Check the text of one notes file (r->readme, in folder r->dir) against the corpus c.
static void notes_check_text(const Corpus *c, Report *r, const char *text)
{
    Lines L;
    split_lines(text, &L);
    // 1. "region: name" anywhere (fenced blocks included).
    for (const char *p = text; (p = strstr(p, "region:")); p += 7) {
        if (p > text && is_id((unsigned char)p[-1])) continue;
        const char *s = p + 7;
        while (*s == ' ') s++;
        size_t k = 0;
        while (is_id((unsigned char)s[k])) k++;
        if (!k) continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)k, s);
        check_region(c, r, line_of(&L, (size_t)(p - text)) + 1, name, NULL);
    }
    // 2. The prose: fenced lines blanked.
    char *prose = dup_n(text, strlen(text));
    for (int i = 0; i < L.n; i++)
        if (L.fenced[i])
            for (char *q = prose + L.start[i]; *q && *q != '\n'; q++) *q = ' ';
    const char *a, *b;
    for (const char *p = prose; (p = next_span(p, &a, &b));) {
        char s[512];
        int line = line_of(&L, (size_t)(a - prose));
        if (!span_text(a, (size_t)(b - a), s, sizeof s) || !s[0]) continue;
        const char *open = a, *close = b;
        while (open > prose && open[-1] == '`') open--;
        while (*close == '`') close++;
        const char *ls = prose + L.start[line];
        // region contexts
        bool region = false;
        char file[256] = "";
        const char *cell1 = ls + strspn(ls, " ") + 1;   // the first cell, after the leading '|'
        if (L.region_row[line] && !memchr(cell1, '|', (size_t)(open - cell1))) region = true;
        if (word_before(prose, open, "region")) region = true;
        if (open > prose && open[-1] == '[' && *close == ']' && close[1] != '(') region = true;
        if (!strncasecmp(close, " region", 7) && !is_id((unsigned char)close[7])) {
            region = true;
            const char *fa, *fb;
            const char *in = close + 7;   // " in `file`"
            if (!strncmp(in, " in `", 5) && next_span(in + 4, &fa, &fb) && fa == in + 5)
                span_text(fa, (size_t)(fb - fa), file, sizeof file);
        }
        if (region && all_id(s, strlen(s))) {
            check_region(c, r, line + 1, s, file[0] ? file : NULL);
        } else if (word_before(prose, open, "torch's") || word_before(prose, open, "PyTorch's")) {
            verdict(r, line + 1, "symbol", s, -1, "PyTorch's name, not ours");
        } else {
            check_span(c, r, line + 1, s);
            check_in_file(c, r, line + 1, s, close);
        }
    }
    // 3. Relative link targets.
    for (const char *p = prose; (p = strstr(p, "](")); p += 2) {
        const char *t = p + 2;
        size_t k = strcspn(t, ") \n");
        if (t[k] != ')' || !strncmp(t, "http", 4) || !strncmp(t, "mailto:", 7)) continue;
        k = strcspn(t, ")#");   // drop an #anchor; a link to an anchor alone has no path
        if (!k) continue;
        char path[512];
        snprintf(path, sizeof path, "%.*s", (int)k, t);
        check_path(c, r, line_of(&L, (size_t)(p - prose)) + 1, "link", path);
    }
    free(prose);
    free(L.start);
    free(L.fenced);
    free(L.region_row);
}

static void print_misses(const Report *r)
{
    for (int i = 0; i < r->n; i++)
        fprintf(stderr, "%s:%d: %s `%s`: %s\n", r->readme, r->v[i].line, r->v[i].kind, r->v[i].text,
                r->v[i].why);
}

// Check one notes file against the corpus of `chapter` ("" = the top level), printing every
// missing reference; returns how many there are.
static int check_notes(const char *readme, const char *chapter)
{
    char *text = read_all(readme);
    ck_assert_msg(text != NULL, "cannot read %s (run the tests from the repository root)", readme);
    Corpus c;
    corpus_build(&c, chapter);
    Report r = {.readme = readme, .verbose = verbose()};
    const char *slash = strrchr(readme, '/');
    if (slash) snprintf(r.dir, sizeof r.dir, "%.*s", (int)(slash + 1 - readme), readme);
    notes_check_text(&c, &r, text);
    print_misses(&r);
    ck_assert_msg(r.checked > 0 || !c.has_code, "%s: no reference was checked: is the parser broken?",
                  readme);
    int missing = r.n;
    free(r.v);
    corpus_free(&c);
    free(text);
    return missing;
}

// ---- tests ----

static StrList chapters_;

START_TEST(test_chapter_readme_references_exist)
{
    ck_assert_int_lt(_i, chapters_.n);
    const char *ch = chapters_.v[_i];
    char readme[300], sheet[300];
    snprintf(readme, sizeof readme, "%s/README.md", ch);
    snprintf(sheet, sizeof sheet, "%s/exercises/EXERCISES.md", ch);   // the exercise sheet
    int missing = 0;
    if (exists(readme)) missing += check_notes(readme, ch);
    if (exists(sheet)) missing += check_notes(sheet, ch);
    ck_assert_msg(missing == 0, "%s: the notes name %d things that do not exist (listed above)", ch,
                  missing);
}
END_TEST

START_TEST(test_top_readme_references_exist)
{
    int missing = check_notes("README.md", "");
    ck_assert_msg(missing == 0, "README.md names %d things that do not exist (listed above)", missing);
}
END_TEST

// The planted READMEs of the checker's own tests. Their string literals are not code: the
// corpus skips this region (scan_c), so the mistakes stay mistakes.
// region: planted
typedef struct Want { int line; const char *kind, *text; } Want;

// One stale reference of each kind among good ones, for chapter 4.
static const char *const PLANTED =
    "# Planted\n"                                                                         // 1
    "The conv op `op_conv2d` and `ladder_select()` live in `common/kernels/conv.c`;\n"       // 2
    "the layer is `Conv2d`, the step `op_conv2d_unheard_of` (a bad symbol).\n"             // 3
    "One training step (region `train`), and region `no_such_region`.\n"                   // 4
    "See `common/ops_cnn.c` (moved), `tests/test_ch04.c` and `cnn.c`.\n"                   // 5
    "Flags: `--quick`, `--conv-k 5 --conv-stride 2`, `--no-such-flag`, `make chapter4`.\n" // 6
    "```c\n"                                                                               // 7
    "// region: train\n"                                                                   // 8
    "x = `not_a_symbol_but_quoted`;\n"                                                     // 9
    "```\n"                                                                                // 10
    "Math `x·W + b`, `dL/dw`; output `loss.png`; key `main_test_acc_pct`.\n";              // 11
static const Want PLANTED_WANT[] = {
    {3, "symbol", "op_conv2d_unheard_of"},
    {4, "region", "no_such_region"},
    {5, "path", "common/ops_cnn.c"},
    {6, "flag", "--no-such-flag"},
};

// A symbol named with a file it has left, for chapter 4.
static const char *const MOVED =
    "`conv_bench` from `common/kernels/conv.c`,\n"
    "`conv_bench` from `common/bench/conv_bench.c`,\n"
    "`op_conv2d` in `common/ops/`.\n";
static const Want MOVED_WANT[] = {{1, "symbol in", "conv_bench in common/kernels/conv.c"}};

// The notes of a chapter without a program (99_future does not exist).
static const char *const COMING =
    "`lstm_forward` (region `lstm`) in `lstm.c`, key `lstm_<n>_ppl`;\n"
    "`make run`, `make chapter99`,\n"
    "`--quick`, `--hidden 128`, `common/ops/`, `common/ops/lstm.c`.\n";
static const Want COMING_WANT[] = {
    {2, "make", "chapter99"},
    {3, "flag", "--hidden"},
    {3, "path", "common/ops/lstm.c"},
};
// endregion

// Check `text` as the notes `readme` of `chapter`; the misses must be exactly `want`.
static void expect_misses(const char *chapter, const char *readme, const char *text,
                          const Want *want, int n_want, int min_checked, int min_skipped)
{
    Corpus c;
    corpus_build(&c, chapter);
    Report r = {.readme = readme, .verbose = verbose()};
    snprintf(r.dir, sizeof r.dir, "%s/", chapter);
    notes_check_text(&c, &r, text);
    bool as_planted = r.n == n_want;
    for (int i = 0; as_planted && i < n_want; i++)
        as_planted = r.v[i].line == want[i].line && !strcmp(r.v[i].kind, want[i].kind) &&
                     !strcmp(r.v[i].text, want[i].text);
    if (!as_planted) print_misses(&r);
    ck_assert_int_eq(r.n, n_want);
    for (int i = 0; i < n_want; i++) {
        ck_assert_int_eq(r.v[i].line, want[i].line);
        ck_assert_str_eq(r.v[i].kind, want[i].kind);
        ck_assert_str_eq(r.v[i].text, want[i].text);
    }
    ck_assert_int_ge(r.checked, min_checked);
    ck_assert_int_ge(r.skipped, min_skipped);
    free(r.v);
    corpus_free(&c);
}

// The checker itself: of a README with one stale symbol, region, path and flag among good
// references (and a quoted one in a fenced block), exactly those four are reported, with
// their lines.
START_TEST(test_checker_reports_planted_mistakes)
{
    expect_misses("04_cnn", "04_cnn/planted.md", PLANTED, PLANTED_WANT, N_OF(PLANTED_WANT), 14, 0);
}
END_TEST

// A symbol named with the file it lives in must be in that file; a chapter without a program
// has its own names skipped, and its make targets, flags and library paths still checked.
START_TEST(test_checker_moved_symbol_and_chapter_without_code)
{
    expect_misses("04_cnn", "04_cnn/moved.md", MOVED, MOVED_WANT, N_OF(MOVED_WANT), 5, 0);
    expect_misses("99_future", "99_future/README.md", COMING, COMING_WANT, N_OF(COMING_WANT), 5, 4);
}
END_TEST

START_TEST(test_patterns_match_printf_literals)
{
    char p[128];
    ck_assert_int_eq(printf_pattern("race_%s_%s_val_acc_pct", p, sizeof p), 2);
    ck_assert(gmatch(p, "race_main_sgd_val_acc_pct"));
    ck_assert(!gmatch(p, "race_main_sgd_val_acc"));
    ck_assert_int_eq(printf_pattern("bench_dot_%zu_%-8s_gbs 100%%", p, sizeof p), 2);
    ck_assert(gmatch(p, "bench_dot_4096_v0_gbs 100%"));
    char q[] = "bench_dot_?_gbs 100%";
    *strchr(q, '?') = WC;
    ck_assert(gmatch(p, q));   // wildcards on both sides
    ck_assert_int_eq(fixed_lead(p), 10);
}
END_TEST

static Suite *notes_suite(void)
{
    Suite *s = suite_create("notes");
    list_chapters(&chapters_);
    TCase *ch = tcase_create("chapters");
    tcase_add_loop_test(ch, test_chapter_readme_references_exist, 0, chapters_.n);
    tcase_add_test(ch, test_top_readme_references_exist);
    suite_add_tcase(s, ch);
    TCase *self = tcase_create("checker");
    tcase_add_test(self, test_checker_reports_planted_mistakes);
    tcase_add_test(self, test_checker_moved_symbol_and_chapter_without_code);
    tcase_add_test(self, test_patterns_match_printf_literals);
    suite_add_tcase(s, self);
    return s;
}

DL_TEST_MAIN(notes_suite)
