/* common/data/scaling.c — scaling-law points (N, D, C, loss) from a CSV file; see
 * data/scaling.h.
 *
 * The header row is split here only to find the columns by name (the same quoting rules as
 * data/csv.c: a field optionally in double quotes, "" for a quote); every wanted column is then
 * read by csv_parse, which checks the whole file (field counts, numbers, NUL bytes, blank
 * lines) and names the line of any problem. Epoch AI's file gives N and C; D = C / (6N) is
 * Epoch's rule (Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt", §2).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   // fileno, fstat
#endif
#include "data/scaling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"
#include "data/csv.h"

#define SCALING_MAX_BYTES ((size_t)1 << 26)   // 64 MB: millions of runs, far above any sweep
#define SCALING_MAX_COLS  256                  // header fields looked at by name

/* Where a header field named `name` sits (0-based), or -1. The header is the first line of
 * text (after a UTF-8 byte order mark); names are compared exactly after removing quotes and
 * surrounding spaces. Fields past SCALING_MAX_COLS are not looked at. */
static int header_column(const char *text, size_t len, const char *name)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    size_t want = strlen(name);
    for (int col = 0; col < SCALING_MAX_COLS && i <= len; col++) {
        char buf[128];
        size_t n = 0;
        bool quoted = false;
        while (i < len && (text[i] == ' ' || text[i] == '\t')) i++;
        if (i < len && text[i] == '"') {
            quoted = true;
            i++;
            while (i < len && text[i] != '\n') {
                if (text[i] == '"') {
                    if (i + 1 < len && text[i + 1] == '"') i++;
                    else { i++; break; }
                }
                if (n + 1 < sizeof buf) buf[n] = text[i];
                n++;
                i++;
            }
        }
        while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
            if (!quoted) {
                if (n + 1 < sizeof buf) buf[n] = text[i];
                n++;
            }
            i++;
        }
        if (n < sizeof buf) {
            while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
            if (n == want && memcmp(buf, name, n) == 0) return col;
        }
        if (i >= len || text[i] != ',') break;   // end of the header line
        i++;
    }
    return -1;
}

/* Column `col` as numbers (n rows) through csv_parse, or false with err filled. */
static bool read_column(const char *text, size_t len, const char *file, int col, double **v,
                        size_t *n, char *err, size_t errlen)
{
    CsvColumn c;
    if (!csv_parse(text, len, file, col, &c, err, errlen)) return false;
    *v = c.values;
    *n = c.n;
    c.values = NULL;     // kept; the labels go
    csv_free(&c);
    return true;
}

void scaling_free(ScalingSet *s)
{
    if (!s) return;
    free(s->p);
    s->p = NULL;
    s->n = 0;
}

bool scaling_parse(const char *text, size_t len, const char *file, ScalingSet *out, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!file) file = "(scaling csv)";
    snprintf(out->path, sizeof out->path, "%s", file);
    if (len == 0) {
        snprintf(err, errlen, "%s: the file is empty; expected a header row (Epoch AI's "
                 "\"Model Size\",\"Training FLOP\",\"loss\" or the sweep's N,D,flops,loss) and "
                 "one row per training run (run: make data)", file);
        return false;
    }

    // ---- the layout, from the header's names ----
    static const char *const epoch_cols[3] = {"Model Size", "Training FLOP", "loss"};
    static const char *const ours_cols[4] = {"N", "D", "flops", "loss"};
    int ce[3], co[4];
    for (int k = 0; k < 3; k++) ce[k] = header_column(text, len, epoch_cols[k]);
    for (int k = 0; k < 4; k++) co[k] = header_column(text, len, ours_cols[k]);
    bool epoch = ce[0] >= 0 || ce[1] >= 0;
    bool ours = !epoch && (co[0] >= 0 || co[1] >= 0 || co[2] >= 0);
    if (!epoch && !ours) {
        // Let csv_parse name a structural problem (NUL bytes, an empty header) first.
        CsvColumn c;
        if (!csv_parse(text, len, file, 0, &c, err, errlen)) {
            if (strstr(err, "NUL byte") || strstr(err, "empty")) return false;
        }
        csv_free(&c);
        snprintf(err, errlen, "%s:1: the header has neither Epoch AI's columns (\"Model Size\", "
                 "\"Training FLOP\", \"loss\") nor the sweep's (N, D, flops, loss); not a "
                 "scaling-law CSV (the wrong file? run: make data)", file);
        return false;
    }
    const char *const *names = epoch ? epoch_cols : ours_cols;
    int *cols = epoch ? ce : co, ncols = epoch ? 3 : 4;
    for (int k = 0; k < ncols; k++) {
        if (cols[k] < 0) {
            snprintf(err, errlen, "%s:1: no column '%s' in the header (%s layout: %s); add it "
                     "or use a file written by %s", file, names[k],
                     epoch ? "Epoch AI's" : "the sweep's",
                     epoch ? "\"Model Size\", \"Training FLOP\", \"loss\"" : "N, D, flops, loss",
                     epoch ? "Epoch AI (run: make data)" : "08_scaling's sweep");
            return false;
        }
    }

    // ---- the columns ----
    double *v[4] = {NULL, NULL, NULL, NULL};
    size_t n = 0;
    bool ok = true;
    for (int k = 0; k < ncols && ok; k++) {
        size_t nk;
        ok = read_column(text, len, file, cols[k], &v[k], &nk, err, errlen);
        if (ok) n = nk;   // every column has the same rows (csv_parse checks field counts)
    }
    if (ok) {
        out->p = dl_malloc(n * sizeof *out->p, "scaling points");
        out->n = n;
        for (size_t i = 0; i < n && ok; i++) {
            ScalingPoint *p = &out->p[i];
            if (epoch) {
                p->N = v[0][i];
                p->C = v[1][i];
                p->loss = v[2][i];
                p->D = p->N > 0 && p->C > 0 ? p->C / (6.0 * p->N) : 0.0;
            } else {
                p->N = v[0][i];
                p->D = v[1][i];
                p->C = v[2][i];
                p->loss = v[3][i];
            }
            const char *bad = NULL;
            double val = 0;
            if (!(p->N > 0)) { bad = epoch ? "Model Size (N)" : "N"; val = p->N; }
            else if (!(p->C > 0)) { bad = epoch ? "Training FLOP (C)" : "flops"; val = p->C; }
            else if (!(p->D > 0) || !isfinite(p->D)) { bad = "D"; val = p->D; }
            else if (!(p->loss > 0)) { bad = "loss"; val = p->loss; }
            if (bad) {
                snprintf(err, errlen, "%s:%zu: %s is %g; N, D, the FLOPs and the loss of a "
                         "training run must be positive (a corrupt row? fix or delete it)",
                         file, i + 2, bad, val);
                ok = false;
            }
        }
    }
    for (int k = 0; k < 4; k++) free(v[k]);
    if (!ok) {
        scaling_free(out);
        return false;
    }
    return true;
}

bool scaling_load(const char *path, ScalingSet *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *buf;
    size_t size;
    if (!file_read_all(path, SCALING_MAX_BYTES, "scaling-law CSV", "Epoch AI's Chinchilla "
                       "points: run: make data; a sweep's CSV: run the sweep first", &buf, &size,
                       err, errlen))
        return false;
    bool ok = scaling_parse(buf, size, path, out, err, errlen);
    free(buf);
    snprintf(out->path, sizeof out->path, "%s", path);
    return ok;
}
