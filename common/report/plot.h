/* common/report/plot.h — plots with gnuplot, as PNG.
 *
 * Every plot is three files in the out folder: <name>.dat (the numbers), <name>.gp (a complete
 * gnuplot script that reads the .dat from its own folder) and <name>.png, so a plot can be
 * restyled without re-training (`gnuplot out/name.gp`, or `make plots`). Without gnuplot the
 * .dat and .gp are still written and the first plot says once how to install it.
 */
#ifndef DL_REPORT_PLOT_H
#define DL_REPORT_PLOT_H

#include <stdbool.h>

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

/* Contour lines of a function sampled on a grid, with curves on top — e.g. a loss surface and
 * the paths optimizers take over it (chapter 3), or loss against model and data size. z (gh, gw)
 * holds the values, row i at y = y0 + i·(y1 − y0)/(gh − 1), column j at x = x0 +
 * j·(x1 − x0)/(gw − 1); gnuplot traces `levels` contour lines (grey), then draws every series
 * (x and y both given, in the grid's coordinates; an empty one is left out). <name>.dat holds
 * the grid (index 0) and one block per series; .gp and, with gnuplot, .png as plot_lines. */
bool plot_contour(const char *out_dir, const char *name, const char *title, const char *xlabel,
                  const char *ylabel, const float *z, int gh, int gw, float x0, float x1,
                  float y0, float y1, int levels, const PlotSeries *s, int n_series);

/* A grid of grey-scale images — learned filters, feature maps, misclassified digits:
 * imgs (n, h, w) row-major, laid out in `cols` columns (row 0 of an image at the top).
 * per_image=true scales each image to its own min..max (filters, feature maps), false uses
 * one range for all (pixels). labels (n) may be NULL; else a short caption under each image
 * ("7→1"). Writes <name>.dat, .gp and, with gnuplot, .png, as plot_lines. */
bool plot_image_grid(const char *out_dir, const char *name, const char *title, const float *imgs,
                     int n, int h, int w, int cols, bool per_image, const char *const *labels);

/* Points xy (n, 2) each with its text label beside it — words in a 2-D projection of their
 * vectors (chapter 6). Labels are written to the .dat in double quotes (a '"' or white space
 * inside becomes '_'). Writes <name>.dat, .gp and, with gnuplot, .png, as plot_lines. */
bool plot_labelled_points(const char *out_dir, const char *name, const char *title,
                          const char *xlabel, const char *ylabel, const float *xy, int n,
                          const char *const *labels);

/* True when a gnuplot executable was found (checked once). When it is missing, the first
 * plot prints one notice on stderr saying plots are skipped and how to install gnuplot. */
bool plot_available(void);

#endif
