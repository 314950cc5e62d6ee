/* common/report/plot.c — gnuplot plots; see report/plot.h.
 *
 * Plots: each plot is three files in the out folder: <name>.dat (the numbers), <name>.gp (a
 * complete gnuplot script that reads the .dat from its own folder) and <name>.png. The
 * script writes <name>.png.tmp and renames it when done, so a reader never sees half a PNG,
 * and it can be rerun by hand from any folder (`gnuplot 01_perceptron/out/loss.gp`) or by
 * `make plots` (scripts/plots.sh).
 */
#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"

// ---- plots ----

static char gnuplot_path[DL_PATH_LEN];   // set by plot_available()

bool plot_available(void)
{
    static int state = -1;   // -1 not checked yet, 0 missing, 1 found
    if (state >= 0) return state == 1;
    state = 0;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    // Walk PATH like execvp does ("" means the current folder).
    while (state == 0) {
        size_t n = strcspn(path, ":");
        int w = n ? snprintf(gnuplot_path, sizeof gnuplot_path, "%.*s/gnuplot", (int)n, path)
                  : snprintf(gnuplot_path, sizeof gnuplot_path, "./gnuplot");
        if (w > 0 && (size_t)w < sizeof gnuplot_path && access(gnuplot_path, X_OK) == 0 &&
            !path_is_dir(gnuplot_path))
            state = 1;
        if (!path[n]) break;
        path += n + 1;
    }
    if (!state) {
        gnuplot_path[0] = '\0';
        return false;
    }
    // A relative PATH entry is made absolute: gnuplot runs after a chdir into the out folder.
    char cwd[DL_PATH_LEN], rel[DL_PATH_LEN];
    if (gnuplot_path[0] != '/' && path_copy(rel, sizeof rel, gnuplot_path)) {
        int w = getcwd(cwd, sizeof cwd) ? snprintf(gnuplot_path, sizeof gnuplot_path, "%s/%s",
                                                   cwd, rel) : -1;
        if (w < 0 || (size_t)w >= sizeof gnuplot_path) state = 0;
    }
    return state == 1;
}

// A plot name becomes file names and appears in the generated script, so keep it plain.
static void check_plot_name(const char *name)
{
    size_t n = strlen(name);
    DL_CHECK(n > 0 && n <= 100 && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                "0123456789_-.") == n && name[0] != '.',
             "plot name '%s': use 1 to 100 letters, digits, '_', '-' or '.' (not first)", name);
}

static bool plot_path(char *buf, const char *out_dir, const char *name, const char *ext)
{
    int n = snprintf(buf, DL_PATH_LEN, "%s/%s%s", out_dir, name, ext);
    if (n < 0 || n >= DL_PATH_LEN) {
        fprintf(stderr, "error: plot '%s': the output folder path is too long\n", name);
        return false;
    }
    return true;
}

// Write s as a gnuplot single-quoted string ('' is a quote; newlines become spaces).
static void gp_string(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'') fputs("''", f);
        else fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('\'', f);
}

// Data values: %.9g, and NaN (which gnuplot skips) for anything non-finite.
static void dat_num(FILE *f, double v, char sep)
{
    if (isfinite(v)) fprintf(f, "%.9g%c", v, sep);
    else fprintf(f, "NaN%c", sep);
}

// The script's opening: find its folder, choose a PNG terminal, label the axes.
static void gp_begin(FILE *gp, const char *name, const char *title, const char *xlabel,
                     const char *ylabel)
{
    fprintf(gp,
            "# %s.gp: draws %s.png from %s.dat, both in this script's folder.\n"
            "# Redraw with `gnuplot path/to/%s.gp` from any folder, or `make plots`.\n"
            "if (exists(\"ARG0\") && strstrt(ARG0, \"/\") > 0) {   # cd to this script's folder\n"
            "    dir = ARG0; i = strlen(dir)\n"
            "    while (substr(dir, i, i) ne \"/\") { i = i - 1 }\n"
            "    cd dir[1:i]\n"
            "}\n"
            "if (strstrt(GPVAL_TERMINALS, \" pngcairo \") > 0) {\n"
            "    set terminal pngcairo noenhanced size 900,600 font \",11\"\n"
            "} else {\n"
            "    set terminal png noenhanced size 900,600\n"
            "}\n"
            "set output '%s.png.tmp'   # renamed to %s.png at the end: never half a PNG\n",
            name, name, name, name, name, name);
    if (title) { fputs("set title ", gp); gp_string(gp, title); fputc('\n', gp); }
    if (xlabel) { fputs("set xlabel ", gp); gp_string(gp, xlabel); fputc('\n', gp); }
    if (ylabel) { fputs("set ylabel ", gp); gp_string(gp, ylabel); fputc('\n', gp); }
}

static void gp_end(FILE *gp, const char *name)
{
    fprintf(gp, "set output\nsystem \"mv -f '%s.png.tmp' '%s.png'\"\n", name, name);
}

// Run gnuplot on <name>.gp inside out_dir, its output captured and shown only on failure.
static bool run_gnuplot(const char *out_dir, const char *name)
{
    char script[128], png[DL_PATH_LEN], tmp[DL_PATH_LEN];
    snprintf(script, sizeof script, "%s.gp", name);   // name is at most 100 chars
    if (!plot_path(png, out_dir, name, ".png") || !plot_path(tmp, out_dir, name, ".png.tmp"))
        return false;

    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "warning: plot '%s': cannot run gnuplot: pipe: %s\n", name, strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "warning: plot '%s': cannot run gnuplot: fork: %s\n", name, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {   // child: only async-signal-safe calls until exec
        static const char cd_msg[] = "cannot enter the output folder\n";
        static const char ex_msg[] = "cannot execute gnuplot\n";
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        if (fds[1] > STDERR_FILENO) close(fds[1]);
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) { dup2(in, STDIN_FILENO); if (in > STDERR_FILENO) close(in); }
        if (chdir(out_dir) != 0) {
            if (write(STDERR_FILENO, cd_msg, sizeof cd_msg - 1) < 0) {}
            _exit(126);
        }
        char arg0[] = "gnuplot";
        char *args[] = {arg0, script, NULL};
        execv(gnuplot_path, args);
        if (write(STDERR_FILENO, ex_msg, sizeof ex_msg - 1) < 0) {}
        _exit(127);
    }

    close(fds[1]);
    char out[2048];
    size_t len = 0;
    for (;;) {   // read everything (so gnuplot never blocks on a full pipe), keep the start
        char chunk[512];
        ssize_t r = read(fds[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        size_t keep = (size_t)r < sizeof out - 1 - len ? (size_t)r : sizeof out - 1 - len;
        memcpy(out + len, chunk, keep);
        len += keep;
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) { status = -1; break; }
    }

    bool exited_ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    // The script renames its .png.tmp itself (via mv, for runs by hand); finish the job in
    // case that could not happen.
    if (exited_ok && access(tmp, F_OK) == 0 && rename(tmp, png) != 0) exited_ok = false;
    if (exited_ok && access(png, F_OK) == 0) return true;
    char why[64];
    if (status == -1) snprintf(why, sizeof why, "lost track of it: %s", strerror(errno));
    else if (WIFSIGNALED(status)) snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
    else if (!exited_ok) snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
    else snprintf(why, sizeof why, "no %s.png written", name);
    fprintf(stderr, "warning: gnuplot could not draw %s (%s); its output:\n%s%s"
            "(the data and script are in %s/%s.dat and .gp)\n", png, why,
            len ? out : "(none)\n", len && out[len - 1] != '\n' ? "\n" : "", out_dir, name);
    remove(tmp);
    return false;
}

// Close the .dat and .gp, then draw (or explain, once, why not).
static bool plot_finish(const char *out_dir, const char *name, FILE *dat, const char *dat_path,
                        FILE *gp, const char *gp_path)
{
    bool ok = atomic_close(dat, dat_path);
    ok = atomic_close(gp, gp_path) && ok;
    if (!ok) return false;
    char png[DL_PATH_LEN];
    if (!plot_path(png, out_dir, name, ".png")) return false;
    if (!plot_available()) {
        static bool noticed = false;
        if (!noticed) {
            fprintf(stderr, "notice: gnuplot not found: plots skipped (wrote %s/%s.dat/.gp); "
                    "install with apt-get install gnuplot-nox, then run make plots\n",
                    out_dir, name);
            noticed = true;
        }
        remove(png);   // a PNG from an earlier run would no longer match the data
        return false;
    }
    if (!run_gnuplot(out_dir, name)) { remove(png); return false; }
    return true;
}

// Open <name>.dat and <name>.gp for writing (both or neither).
static bool plot_open(const char *out_dir, const char *name, char *dat_path, FILE **dat,
                      char *gp_path, FILE **gp)
{
    check_plot_name(name);
    if (!plot_path(dat_path, out_dir, name, ".dat") || !plot_path(gp_path, out_dir, name, ".gp"))
        return false;
    *dat = atomic_open(dat_path);
    if (!*dat) return false;
    *gp = atomic_open(gp_path);
    if (!*gp) {
        atomic_abort(*dat, dat_path);
        return false;
    }
    return true;
}

// Series s as data block `block` of the .dat (after two blank lines unless it is the first)
// and its clause of the .gp's plot command (after a comma unless it is the first).
static void put_series(FILE *dat, FILE *gp, const char *name, int block, const PlotSeries *s)
{
    if (block) fputs("\n\n", dat);
    fprintf(dat, "# series %d: %s\n", block, s->title ? s->title : "");
    for (int i = 0; i < s->n; i++) {
        dat_num(dat, s->x ? s->x[i] : i, ' ');
        dat_num(dat, s->y[i], '\n');
    }
    fprintf(gp, "%s '%s.dat' index %d using 1:2 with %s ", block ? ", \\\n    " : "", name,
            block, s->style ? s->style : "lines lw 2");
    if (s->title) { fputs("title ", gp); gp_string(gp, s->title); }
    else fputs("notitle", gp);
}

bool plot_lines(const char *out_dir, const char *name, const char *title, const char *xlabel,
                const char *ylabel, const PlotSeries *s, int n_series, bool logy)
{
    DL_CHECK(n_series >= 0 && (n_series == 0 || s), "plot_lines '%s': need a series array "
             "and n_series >= 0 (got %d)", name, n_series);
    for (int k = 0; k < n_series; k++)
        DL_CHECK(s[k].n >= 0 && (s[k].n == 0 || s[k].y), "plot_lines '%s': series %d needs "
                 "n >= 0 and y (n %d)", name, k, s[k].n);
    char dat_path[DL_PATH_LEN], gp_path[DL_PATH_LEN];
    FILE *dat, *gp;
    if (!plot_open(out_dir, name, dat_path, &dat, gp_path, &gp)) return false;

    int n_nonempty = 0;   // gnuplot cannot plot an empty block, so those are left out
    for (int k = 0; k < n_series; k++) n_nonempty += s[k].n > 0;

    gp_begin(gp, name, title, xlabel, ylabel);
    fputs("set grid\nset key top right\n", gp);
    if (n_nonempty == 0) {   // an empty frame that says so, rather than a gnuplot error
        fputs("set label 1 'no data' at graph 0.5, 0.5 center\nplot [0:1] [0:1] -1 notitle", gp);
    } else {
        if (logy) fputs("set logscale y\n", gp);
        fputs("plot", gp);
    }
    // One data block per series, separated by two blank lines: gnuplot's `index k`.
    fprintf(dat, "# %s.dat: one block per series (gnuplot index 0, 1, ...); columns x y\n", name);
    int block = 0;
    for (int k = 0; k < n_series; k++)
        if (s[k].n > 0) put_series(dat, gp, name, block++, &s[k]);
    fputc('\n', gp);
    gp_end(gp, name);
    return plot_finish(out_dir, name, dat, dat_path, gp, gp_path);
}

bool plot_heatmap(const char *out_dir, const char *name, const char *title, const char *xlabel,
                  const char *ylabel, const float *m, int rows, int cols)
{
    DL_CHECK(m && rows > 0 && cols > 0, "plot_heatmap '%s': need a matrix with rows, cols > 0 "
             "(got %d x %d)", name, rows, cols);
    char dat_path[DL_PATH_LEN], gp_path[DL_PATH_LEN];
    FILE *dat, *gp;
    if (!plot_open(out_dir, name, dat_path, &dat, gp_path, &gp)) return false;

    // Colour range, and whether every value is a whole number (counts print as "12").
    double lo = INFINITY, hi = -INFINITY;
    bool whole = true;
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++) {
        double v = m[i];
        if (!isfinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (v != floor(v) || fabs(v) >= 1e9) whole = false;
    }
    if (!(lo <= hi)) { lo = 0; hi = 1; }   // no finite value
    if (hi == lo) hi = lo + 1;
    // Values are printed in the cells only while they stay readable.
    bool labels = rows <= 30 && cols <= 30;

    fprintf(dat, "# %s.dat: %d x %d matrix; columns: col row value label text_colour\n", name,
            rows, cols);
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            double v = m[(size_t)i * cols + j];
            fprintf(dat, "%d %d ", j, i);
            dat_num(dat, v, ' ');
            if (!isfinite(v)) fprintf(dat, "\"\" 0\n");
            else if (whole) fprintf(dat, "\"%.0f\" ", v);
            else fprintf(dat, "\"%.3g\" ", v);
            // White text on the dark half of the palette, black on the light half.
            if (isfinite(v)) fprintf(dat, "%d\n", (v - lo) / (hi - lo) > 0.5 ? 0xffffff : 0);
        }
        fputc('\n', dat);
    }

    gp_begin(gp, name, title, xlabel, ylabel);
    int xstep = cols > 20 ? (cols + 19) / 20 : 1, ystep = rows > 20 ? (rows + 19) / 20 : 1;
    fprintf(gp,
            "set xrange [-0.5:%d.5]\n"
            "set yrange [%d.5:-0.5]   # row 0 at the top, as the matrix is written\n"
            "set xtics 0,%d out nomirror\nset ytics 0,%d out nomirror\n"
            "set cbrange [%.9g:%.9g]\n"
            "set palette defined (0 '#f7fbff', 0.5 '#6baed6', 1 '#08306b')\n"
            "set size ratio -1\nunset key\n"
            "plot '%s.dat' using 1:2:3 with image",
            cols - 1, rows - 1, xstep, ystep, lo, hi, name);
    if (labels) fprintf(gp, ", \\\n     '' using 1:2:4:5 with labels tc rgb variable");
    fputc('\n', gp);
    gp_end(gp, name);
    return plot_finish(out_dir, name, dat, dat_path, gp, gp_path);
}

// plot_open, then the .dat's first line and its block 0: a grid of values z (gh, gw) over
// [x0, x1] x [y0, y1], row i at y0 + i·dy, as "x y z" lines, one scan line per row with a blank
// line between rows, as gnuplot's contouring and images need. zname and rest name, in the
// first line, the grid's values and the blocks that follow it.
static bool plot_open_grid(const char *out_dir, const char *name, char *dat_path, FILE **datp,
                           char *gp_path, FILE **gp, const float *z, int gh, int gw, float x0,
                           float x1, float y0, float y1, const char *zname, const char *rest)
{
    if (!plot_open(out_dir, name, dat_path, datp, gp_path, gp)) return false;
    FILE *dat = *datp;
    fprintf(dat, "# %s.dat: index 0: grid x y %s, %d rows of %d; then %s: x y\n", name, zname,
            gh, gw, rest);
    double dx = ((double)x1 - x0) / (gw - 1), dy = ((double)y1 - y0) / (gh - 1);
    for (int i = 0; i < gh; i++) {
        for (int j = 0; j < gw; j++) {
            dat_num(dat, x0 + j * dx, ' ');
            dat_num(dat, y0 + i * dy, ' ');
            dat_num(dat, z[(size_t)i * gw + j], '\n');
        }
        fputc('\n', dat);
    }
    return true;
}

bool plot_decision(const char *out_dir, const char *name, const char *title, const float *prob,
                   int gh, int gw, float x0, float x1, float y0, float y1, const float *pts,
                   const int *lab, int n)
{
    DL_CHECK(prob && gh >= 2 && gw >= 2, "plot_decision '%s': need a probability grid of at "
             "least 2 x 2 (got %d x %d)", name, gh, gw);
    DL_CHECK(x1 > x0 && y1 > y0, "plot_decision '%s': need x0 < x1 and y0 < y1 (got [%g, %g] "
             "x [%g, %g])", name, x0, x1, y0, y1);
    DL_CHECK(n >= 0 && (n == 0 || (pts && lab)), "plot_decision '%s': need n >= 0 points with "
             "pts and lab (n %d)", name, n);
    int count[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        DL_CHECK(lab[i] == 0 || lab[i] == 1, "plot_decision '%s': point %d has label %d; "
                 "expected 0 or 1", name, i, lab[i]);
        count[lab[i]]++;
    }
    char dat_path[DL_PATH_LEN], gp_path[DL_PATH_LEN];
    FILE *dat, *gp;
    // Block 0: the grid. Blocks 1, 2: the points of class 0 and of class 1 (those that exist).
    if (!plot_open_grid(out_dir, name, dat_path, &dat, gp_path, &gp, prob, gh, gw, x0, x1, y0,
                        y1, "P(class 1)", "the points of each class present"))
        return false;
    int index_of[2] = {-1, -1}, blocks = 1;
    for (int c = 0; c < 2; c++) {
        if (!count[c]) continue;
        index_of[c] = blocks++;
        fprintf(dat, "\n\n# class %d\n", c);
        for (int i = 0; i < n; i++) {
            if (lab[i] != c) continue;
            dat_num(dat, pts[2 * i], ' ');
            dat_num(dat, pts[2 * i + 1], '\n');
        }
    }

    gp_begin(gp, name, title, "x1", "x2");
    fprintf(gp,
            "# The 0.5 contour of the grid, traced by gnuplot into a datablock.\n"
            "set contour base\nset cntrparam levels discrete 0.5\nunset surface\n"
            "set table $boundary\nsplot '%s.dat' index 0 using 1:2:3 with lines notitle\n"
            "unset table\nunset contour\nset surface\n"
            "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n"
            "set cbrange [0:1]\nset cblabel 'P(class 1)'\n"
            "set palette defined (0 '#4575b4', 0.5 '#f7f7f7', 1 '#d73027')\n"
            "set key tmargin center horizontal\n"
            "plot '%s.dat' index 0 using 1:2:3 with image notitle, \\\n"
            "     $boundary using 1:2 with lines lw 2 lc rgb 'black' title 'P = 0.5'",
            name, (double)x0, (double)x1, (double)y0, (double)y1, name);
    static const char *const COLOUR[2] = {"#08519c", "#a50f15"};
    for (int c = 0; c < 2; c++) {
        if (index_of[c] < 0) continue;
        fprintf(gp, ", \\\n     '%s.dat' index %d using 1:2 with points pt 7 ps 1.3 lc rgb '%s' "
                "title 'class %d', \\\n     '' index %d using 1:2 with points pt 6 ps 1.3 "
                "lc rgb 'black' notitle", name, index_of[c], COLOUR[c], c, index_of[c]);
    }
    fputc('\n', gp);
    gp_end(gp, name);
    return plot_finish(out_dir, name, dat, dat_path, gp, gp_path);
}

bool plot_contour(const char *out_dir, const char *name, const char *title, const char *xlabel,
                  const char *ylabel, const float *z, int gh, int gw, float x0, float x1,
                  float y0, float y1, int levels, const PlotSeries *s, int n_series)
{
    DL_CHECK(z && gh >= 2 && gw >= 2 && x1 > x0 && y1 > y0 && levels >= 1, "plot_contour '%s': "
             "need a grid of at least 2 x 2 over x0 < x1, y0 < y1 and levels >= 1 (got %d x %d "
             "over [%g, %g] x [%g, %g], %d levels)", name, gh, gw, x0, x1, y0, y1, levels);
    for (int k = 0; k < n_series; k++)
        DL_CHECK(s[k].n >= 0 && (s[k].n == 0 || (s[k].x && s[k].y)), "plot_contour '%s': "
                 "series %d needs n >= 0 and both x and y (n %d)", name, k, s[k].n);
    char dat_path[DL_PATH_LEN], gp_path[DL_PATH_LEN];
    FILE *dat, *gp;
    if (!plot_open_grid(out_dir, name, dat_path, &dat, gp_path, &gp, z, gh, gw, x0, x1, y0, y1,
                        "z", "one block per series"))
        return false;
    gp_begin(gp, name, title, xlabel, ylabel);
    fprintf(gp,
            "# The contour lines of the grid, traced by gnuplot into a datablock.\n"
            "set contour base\nset cntrparam levels %d\nunset surface\nset view map\n"
            "set table $contours\nsplot '%s.dat' index 0 using 1:2:3 with lines notitle\n"
            "unset table\nunset contour\nset surface\n"
            "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\nset key outside right\n"
            "plot $contours using 1:2 with lines lc rgb '#c0c0c0' notitle",
            levels, name, (double)x0, (double)x1, (double)y0, (double)y1);
    int block = 1;   // one data block per non-empty series, after the grid (block 0)
    for (int k = 0; k < n_series; k++)
        if (s[k].n > 0) put_series(dat, gp, name, block++, &s[k]);
    fputc('\n', gp);
    gp_end(gp, name);
    return plot_finish(out_dir, name, dat, dat_path, gp, gp_path);
}

// A caption goes into the .dat as a double-quoted gnuplot string: no '"' or newlines inside.
static void dat_caption(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) fputc(*s == '"' ? '\'' : *s == '\n' || *s == '\r' ? ' ' : *s, f);
    fputc('"', f);
}

bool plot_image_grid(const char *out_dir, const char *name, const char *title, const float *imgs,
                     int n, int h, int w, int cols, bool per_image, const char *const *labels)
{
    DL_CHECK(imgs && n >= 1 && h >= 1 && w >= 1 && cols >= 1, "plot_image_grid '%s': need n >= 1 "
             "images of h x w >= 1 x 1 and cols >= 1 (got n %d, %d x %d, cols %d)", name, n, h, w,
             cols);
    DL_CHECK(h <= 4096 && w <= 4096 && n <= 100000, "plot_image_grid '%s': %d images of %d x %d "
             "is too many pixels for a plot; pass a subset", name, n, h, w);
    char dat_path[DL_PATH_LEN], gp_path[DL_PATH_LEN];
    FILE *dat, *gp;
    if (!plot_open(out_dir, name, dat_path, &dat, gp_path, &gp)) return false;

    // Layout in pixel units: image k sits in cell (k / cols, k % cols) of pitch (pw, ph), its
    // pixel (i, j) at x = cell_col·pw + j, y = cell_row·ph + i, y growing downwards.
    if (cols > n) cols = n;
    int grid_rows = (n + cols - 1) / cols;
    int gap = w >= 8 ? (w + 7) / 8 : 1;                    // ~1/8 of an image between cells
    int cap = labels ? (h >= 16 ? h / 4 : 4) : 0;           // room for a caption line
    int pw = w + gap, ph = h + gap + cap;
    size_t hw = (size_t)h * w;

    // Display value in [0, 1] (column 3) from one range for all images or one per image;
    // the raw value stays in column 4.
    double glo = INFINITY, ghi = -INFINITY;
    for (size_t i = 0; i < (size_t)n * hw; i++) {
        double v = imgs[i];
        if (!isfinite(v)) continue;
        if (v < glo) glo = v;
        if (v > ghi) ghi = v;
    }
    fprintf(dat, "# %s.dat: %d images of %d x %d in %d columns; block k (gnuplot index k) is "
            "image k: columns x y shown value, shown = value scaled to [0, 1] (%s)", name, n, h,
            w, cols, per_image ? "each image to its own min..max" : "one min..max for all");
    if (labels) fprintf(dat, "; index %d: captions x y \"text\"", n);
    fputc('\n', dat);
    for (int k = 0; k < n; k++) {
        const float *img = imgs + (size_t)k * hw;
        double lo = glo, hi = ghi;
        if (per_image) {
            lo = INFINITY; hi = -INFINITY;
            for (size_t i = 0; i < hw; i++) {
                double v = img[i];
                if (!isfinite(v)) continue;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
        }
        double scale = hi > lo ? 1.0 / (hi - lo) : 0.0;   // a constant image shows as black
        if (k) fputs("\n\n", dat);
        fprintf(dat, "# image %d: range [%.9g, %.9g]\n", k, isfinite(lo) ? lo : 0,
                isfinite(hi) ? hi : 0);
        int x0 = (k % cols) * pw, y0 = (k / cols) * ph;
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double v = img[(size_t)i * w + j];
                fprintf(dat, "%d %d ", x0 + j, y0 + i);
                dat_num(dat, isfinite(v) ? (v - lo) * scale : NAN, ' ');
                dat_num(dat, v, '\n');
            }
            fputc('\n', dat);   // end of a scan line
        }
    }
    if (labels) {
        fputs("\n\n# captions\n", dat);
        for (int k = 0; k < n; k++) {
            // centre of the caption strip under image k
            fprintf(dat, "%.1f %.1f ", (k % cols) * pw + 0.5 * (w - 1),
                    (k / cols) * ph + h - 0.5 + 0.5 * cap);
            dat_caption(dat, labels[k] ? labels[k] : "");
            fputc('\n', dat);
        }
    }

    // PNG size: as wide as the other plots, as tall as the grid's aspect needs (within limits).
    double aspect = (double)(grid_rows * ph) / (double)(cols * pw);
    int top = title ? 50 : 15;
    int png_w = 900, png_h = (int)(900 * aspect) + top;
    if (png_h > 900) { png_h = 900; png_w = (int)((900 - top) / aspect); }
    if (png_h < 200) png_h = 200;
    if (png_w < 300) png_w = 300;

    gp_begin(gp, name, title, NULL, NULL);
    fprintf(gp,
            "# Resize the canvas to the grid's shape.\n"
            "if (strstrt(GPVAL_TERMINALS, \" pngcairo \") > 0) {\n"
            "    set terminal pngcairo noenhanced size %d,%d font \",11\"\n"
            "} else {\n"
            "    set terminal png noenhanced size %d,%d\n"
            "}\n"
            "set xrange [-0.5:%d.5]\n"
            "set yrange [%d.5:-0.5]   # row 0 at the top, as images are stored\n"
            "set size ratio -1\nunset tics\nunset border\nunset key\nunset colorbox\n"
            "set lmargin 1\nset rmargin 1\nset bmargin 1\n%s"
            "set cbrange [0:1]\nset palette gray   # 0 black .. 1 white\n"
            "# A thin frame around each image, so white pixels do not melt into the page.\n"
            "do for [k=0:%d] {\n"
            "    x0 = (k %% %d) * %d - 0.5; y0 = (k / %d) * %d - 0.5\n"
            "    set object k + 1 rectangle from x0, y0 to x0 + %d, y0 + %d front "
            "fillstyle empty border lc rgb '#6a8fc7' lw 1\n"
            "}\n"
            "plot for [k=0:%d] '%s.dat' index k using 1:2:3 with image",
            png_w, png_h, png_w, png_h, cols * pw - gap - 1, grid_rows * ph - gap - 1,
            title ? "" : "set tmargin 1\n", n - 1, cols, pw, cols, ph, w, h, n - 1, name);
    if (labels)
        fprintf(gp, ", \\\n     '%s.dat' index %d using 1:2:3 with labels center font \",%d\"",
                name, n, cols <= 8 ? 11 : cols <= 12 ? 9 : 8);
    fputc('\n', gp);
    gp_end(gp, name);
    return plot_finish(out_dir, name, dat, dat_path, gp, gp_path);
}

bool plot_labelled_points(const char *out_dir, const char *name, const char *title,
                          const char *xlabel, const char *ylabel, const float *xy, int n,
                          const char *const *labels)
{
    DL_CHECK(n >= 1 && xy && labels, "plot_labelled_points '%s': need n >= 1 points with labels "
             "(got %d)", name, n);
    char dat_path[DL_PATH_LEN], gp_path[DL_PATH_LEN];
    FILE *dat, *gp;
    if (!plot_open(out_dir, name, dat_path, &dat, gp_path, &gp)) return false;
    fprintf(dat, "# %s.dat: columns x y \"label\"\n", name);
    for (int i = 0; i < n; i++) {
        dat_num(dat, xy[2 * i], ' ');
        dat_num(dat, xy[2 * i + 1], ' ');
        fputc('"', dat);
        for (const char *s = labels[i]; *s; s++)
            fputc(*s == '"' || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ? '_' : *s, dat);
        fputs("\"\n", dat);
    }
    gp_begin(gp, name, title, xlabel, ylabel);
    fprintf(gp, "set grid\nunset key\nset offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08\n"
            "plot '%s.dat' using 1:2 with points pt 7 ps 1 lc rgb '#3465a4', \\\n"
            "     '%s.dat' using 1:2:3 with labels left offset 0.8, 0.4 font \",10\"\n", name, name);
    gp_end(gp, name);
    return plot_finish(out_dir, name, dat, dat_path, gp, gp_path);
}
