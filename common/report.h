/* common/report.h — what a run tells its user: command-line flags, metrics.tsv, gnuplot
 * plots, a progress bar, timers.
 *
 * Every chapter's `run` takes the same flags (cli_parse), writes out/metrics.tsv
 * (key<TAB>value, one number per key) and its plots as PNG next to the .dat and .gp that
 * made them, so a plot can be restyled without re-training (`gnuplot out/name.gp`).
 * Files are written atomically: to name.tmp, then rename().
 */
#ifndef DL_REPORT_H
#define DL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

// ---- command line ----
typedef struct Cli {
    bool quick;           // --quick: seconds, for tests and CI
    bool full;            // --full: the long, paper-scale run
    bool bench;           // --bench: run the kernel benchmarks instead of training
    uint64_t seed;        // --seed N (default 42)
    int threads;          // --threads N (default: number of online CPUs, at most 64)
    char kernel[16];      // --kernel naive|ikj|blocked|simd|threads|auto (default auto)
    char data_dir[512];   // --data DIR (default: <repo>/data, found from argv[0])
    char dataset[16];     // --dataset mnist|fashion, or --data mnist|fashion for short;
                          // "" (default): MNIST, else Fashion-MNIST when only that is present
    char out_dir[512];    // --out DIR (default: <chapter folder>/out, from argv[0])
} Cli;

/* A chapter-specific flag: "--name VALUE" stored into *dest (type 'i' int, 'f' float,
 * 's' char[dest_len] string) or "--name" alone (type 'b', bool set to true). */
typedef struct CliExtra {
    const char *name;     // without the dashes: "epochs"
    char type;            // 'i' | 'f' | 's' | 'b'
    void *dest;
    size_t dest_len;      // for 's' only
    const char *help;     // one line, shown by --help with the default value
} CliExtra;

/* Parse argv into cli (defaults first) and the extras. Returns 0 on success, 1 when
 * --help was given (usage already printed on stdout), -1 on a bad flag or value with
 * err filled ("unknown flag '--foo' (see --help)", "--seed expects a non-negative
 * integer, got 'abc'"). `about` is the first line of the usage text. */
int cli_parse_args(Cli *cli, int argc, char **argv, const char *about,
                   const CliExtra *extras, int n_extras, char *err, size_t errlen);

/* cli_parse_args for main(): exits 0 after --help, exits DL_EXIT_USAGE with
 * "error: <err>" on stderr for a bad flag. Then applies the kernel flags (threads_set,
 * gemm_select) and creates out_dir. */
void cli_parse(Cli *cli, int argc, char **argv, const char *about, const CliExtra *extras,
               int n_extras);

// ---- files ----
/* mkdir -p; returns false with errno set on failure. */
bool make_dirs(const char *path);
/* Open "<path>.tmp" for writing; finish with atomic_close(), which fcloses, checks for
 * write errors and renames onto path. Both return NULL/false and print why on failure. */
FILE *atomic_open(const char *path);
bool atomic_close(FILE *f, const char *path);

// ---- metrics.tsv ----
#define DL_MAX_METRICS 256
typedef struct Metrics {
    char path[600];
    int n;
    char keys[DL_MAX_METRICS][64];
    double values[DL_MAX_METRICS];
} Metrics;

/* Metrics that metrics_write() will save to <out_dir>/metrics.tsv. */
void metrics_init(Metrics *m, const char *out_dir);
/* Set key to value (a later set of the same key replaces it). */
void metrics_set(Metrics *m, const char *key, double value);
/* Write all keys in insertion order, "%s\t%.9g\n", atomically. Returns false on error. */
bool metrics_write(const Metrics *m);
/* Read back a metrics.tsv value (tests, graders); returns false if key or file is missing. */
bool metrics_read(const char *path, const char *key, double *value);

// ---- plots (gnuplot, PNG) ----
typedef struct PlotSeries {
    const char *title;
    const float *x;       // (n) or NULL for 0, 1, 2, …
    const float *y;       // (n)
    int n;
    const char *style;    // gnuplot "with …" clause, e.g. "lines", "points pt 7 ps 0.5"; NULL = lines
} PlotSeries;

/* Line/point plot of several series: writes <out_dir>/<name>.dat, .gp and, when gnuplot
 * is available, .png. Returns true when the PNG was made. `logy` uses a log y axis. */
bool plot_lines(const char *out_dir, const char *name, const char *title, const char *xlabel,
                const char *ylabel, const PlotSeries *s, int n_series, bool logy);

/* Heat map of a (rows, cols) matrix with its values printed in the cells (e.g. a
 * confusion matrix: rows = true class, cols = predicted). */
bool plot_heatmap(const char *out_dir, const char *name, const char *title, const char *xlabel,
                  const char *ylabel, const float *m, int rows, int cols);

/* Decision boundary of a 2-D classifier: prob (gh, gw) is P(class 1) on a grid spanning
 * [x0, x1] x [y0, y1] (row 0 = y0), drawn as a colour map with the 0.5 contour, and the
 * points pts (n, 2) with labels lab (n) on top. */
bool plot_decision(const char *out_dir, const char *name, const char *title, const float *prob,
                   int gh, int gw, float x0, float x1, float y0, float y1, const float *pts,
                   const int *lab, int n);

/* A grid of grey-scale images — learned filters, feature maps, misclassified digits:
 * imgs (n, h, w) row-major, laid out in `cols` columns (row 0 of an image at the top).
 * per_image=true scales each image to its own min..max (filters, feature maps), false uses
 * one range for all (pixels). labels (n) may be NULL; else a short caption under each image
 * ("7→1"). Writes <name>.dat, .gp and, with gnuplot, .png, as plot_lines. */
bool plot_image_grid(const char *out_dir, const char *name, const char *title, const float *imgs,
                     int n, int h, int w, int cols, bool per_image, const char *const *labels);

/* True when a gnuplot executable was found (checked once). When it is missing, the first
 * plot prints one notice on stderr saying plots are skipped and how to install gnuplot. */
bool plot_available(void);

// ---- progress and time ----
/* Seconds from a monotonic clock. */
double now_seconds(void);

/* One-line progress bar on stderr, redrawn in place; silent when stderr is not a
 * terminal. */
typedef struct Progress {
    const char *label;
    long total, done;
    double t0, last_draw;
    bool tty;
} Progress;
void progress_start(Progress *p, const char *label, long total);
/* Advance to `done`; `note` (may be NULL) is shown after the bar, e.g. "loss 0.231". */
void progress_update(Progress *p, long done, const char *note);
void progress_end(Progress *p);

#endif
