/* common/data/csv.c — one numeric column of a CSV file; see data/csv.h.
 *
 * The dialect is the one of RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180) that the files
 * of ../shared/data/timeseries/ use: fields separated by commas, a field optionally enclosed
 * in double quotes (a quote inside a quoted field written twice, ""), records ending in CRLF
 * or LF, the first record a header. Not supported (an error naming the line): a line break
 * inside a quoted field. Blank lines are accepted only at the end of the file.
 * Numbers are read with strtod (the C locale: a point as decimal separator); surrounding
 * spaces are allowed, anything else after the number is not, nor NaN or infinities.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   // fileno, fstat
#endif
#include "data/csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"

#define CSV_MAX_BYTES  ((size_t)1 << 28)   // 256 MB: far above any series of the course
#define CSV_MAX_FIELD  256                 // bytes of one field kept for parsing or a label

// ---- fields ----
// region: csv

/* One field of a line: its text (quotes removed, "" turned into "), truncated to
 * CSV_MAX_FIELD - 1 bytes (len is the full length). */
typedef struct Field {
    char text[CSV_MAX_FIELD];
    size_t len;
} Field;

/* Read the field starting at line[*pos] (line has n bytes, no line end) into f and move *pos
 * past it and its comma. Returns false (err filled, naming file, line and field k) on a quote
 * that is not closed or text after a closing quote. *more says whether a comma followed. */
static bool next_field(const char *line, size_t n, size_t *pos, Field *f, bool *more,
                       const char *file, size_t lineno, int k, char *err, size_t errlen)
{
    size_t i = *pos;
    f->len = 0;
    if (i < n && line[i] == '"') {
        i++;
        for (;;) {
            if (i >= n) {
                snprintf(err, errlen, "%s:%zu: field %d has an opening double quote but no "
                         "closing one on its line (a quote inside a field is written \"\"; a line "
                         "break inside a field is not supported)", file, lineno, k);
                return false;
            }
            char c = line[i++];
            if (c == '"') {
                if (i < n && line[i] == '"') i++;   // "" is one quote
                else break;
            }
            if (f->len + 1 < CSV_MAX_FIELD) f->text[f->len] = c;
            f->len++;
        }
        if (i < n && line[i] != ',') {
            snprintf(err, errlen, "%s:%zu: field %d has text after its closing double quote "
                     "(expected a comma or the end of the line)", file, lineno, k);
            return false;
        }
    } else {
        while (i < n && line[i] != ',') {
            if (f->len + 1 < CSV_MAX_FIELD) f->text[f->len] = line[i];
            f->len++;
            i++;
        }
    }
    f->text[f->len < CSV_MAX_FIELD ? f->len : CSV_MAX_FIELD - 1] = '\0';
    *more = i < n;       // line[i] == ','
    *pos = *more ? i + 1 : i;
    return true;
}

/* A printable copy of a field for messages: at most 40 bytes, other bytes than printable
 * ASCII shown as '?' (a fuzzed file may hold anything). */
static void printable(const Field *f, char *out, size_t len)
{
    size_t n = f->len < CSV_MAX_FIELD - 1 ? f->len : CSV_MAX_FIELD - 1, j = 0;
    for (size_t i = 0; i < n && j + 4 < len && i < 40; i++) {
        unsigned char c = (unsigned char)f->text[i];
        out[j++] = c >= 32 && c < 127 ? (char)c : '?';
    }
    if (n > 40 && j + 4 < len) { out[j++] = '.'; out[j++] = '.'; out[j++] = '.'; }
    out[j] = '\0';
}

/* The field as a finite number: optional spaces, a strtod number, optional spaces, nothing
 * else. (csv_parse has refused NUL bytes already; one would end the number early and fail.) */
static bool field_number(const Field *f, double *v)
{
    if (f->len == 0 || f->len >= CSV_MAX_FIELD || memchr(f->text, '\0', f->len)) return false;
    const char *s = f->text;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s) return false;
    while (*end == ' ' || *end == '\t') end++;
    if (*end || !isfinite(d) || errno == ERANGE) return false;
    *v = d;
    return true;
}

// ---- parse ----

/* Empty `out`, releasing what it holds. */
static void csv_clear(CsvColumn *c)
{
    if (c->labels)
        for (size_t i = 0; i < c->n; i++) free(c->labels[i]);
    free(c->labels);
    free(c->values);
    memset(c, 0, sizeof *c);
}

void csv_free(CsvColumn *c)
{
    if (c) csv_clear(c);
}

/* The next line of text[*pos .. len): its start and length without the LF or CRLF; moves
 * *pos past the line end. False at the end of the text. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= len) return false;
    const char *s = text + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t k = nl ? (size_t)(nl - s) : len - *pos;
    *pos += nl ? k + 1 : k;
    if (k > 0 && s[k - 1] == '\r') k--;
    *line = s;
    *n = k;
    return true;
}

/* Are all the remaining lines blank (empty or spaces/CRs only)? */
static bool rest_blank(const char *text, size_t len, size_t pos)
{
    for (size_t i = pos; i < len; i++)
        if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ' && text[i] != '\t') return false;
    return true;
}

bool csv_parse(const char *text, size_t len, const char *file, int column, CsvColumn *out,
               char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    DL_CHECK(column >= 0, "csv_parse: column %d asked; columns are numbered from 0", column);
    if (!file) file = "(csv)";
    size_t pos = 0, lineno = 1, n;
    const char *line;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;   // a UTF-8 byte order mark

    const char *nul = memchr(text, '\0', len);
    if (nul) {
        size_t at = 1;
        for (const char *q = text; q < nul; q++) at += *q == '\n';
        snprintf(err, errlen, "%s:%zu: a NUL byte: not a text file (a CSV file holds text; "
                 "the wrong file? run: make data)", file, at);
        return false;
    }

    // ---- the header ----
    if (!next_line(text, len, &pos, &line, &n) || n == 0) {
        snprintf(err, errlen, "%s: %s; expected a header row and then one row per observation "
                 "(run: make data)", file, len == 0 ? "the file is empty" : "line 1 (the header) "
                 "is empty");
        return false;
    }
    Field f;
    bool more = true;
    size_t p = 0;
    int fields = 0;
    while (more) {
        if (!next_field(line, n, &p, &f, &more, file, lineno, fields + 1, err, errlen))
            return false;
        if (fields == column) {
            if (f.len == 0 || f.len >= sizeof out->name) {
                snprintf(err, errlen, "%s:1: column %d of the header %s; a column needs a name "
                         "of 1 to %zu bytes", file, column + 1, f.len ? "is too long" : "is empty",
                         sizeof out->name - 1);
                return false;
            }
            memcpy(out->name, f.text, f.len + 1);
        }
        fields++;
    }
    if (fields <= column) {
        snprintf(err, errlen, "%s:1: the header has %d field%s, so there is no column %d "
                 "(columns are counted from 1 here; the program asked for column %d)", file,
                 fields, fields == 1 ? "" : "s", column + 1, column + 1);
        memset(out->name, 0, sizeof out->name);
        return false;
    }

    // ---- the rows ----
    size_t cap = 0;
    while (next_line(text, len, &pos, &line, &n)) {
        lineno++;
        if (n == 0 || rest_blank(line, n, 0)) {
            if (rest_blank(text, len, pos)) break;   // blank lines at the end: fine
            snprintf(err, errlen, "%s:%zu: blank line in the middle of the data (only the last "
                     "lines may be blank)", file, lineno);
            goto fail;
        }
        if (out->n == cap) {
            size_t nc = cap ? 2 * cap : 256;
            double *v = realloc(out->values, nc * sizeof *v);
            if (v) out->values = v;
            char **lb = column > 0 ? realloc(out->labels, nc * sizeof *lb) : NULL;
            if (lb) out->labels = lb;
            if (!v || (column > 0 && !lb)) {
                snprintf(err, errlen, "%s: out of memory at line %zu (%zu rows)", file, lineno,
                         out->n);
                goto fail;
            }
            cap = nc;
        }
        p = 0;
        more = true;
        int k = 0;
        double value = NAN;
        char *label = NULL;
        while (more) {
            if (!next_field(line, n, &p, &f, &more, file, lineno, k + 1, err, errlen)) {
                free(label);
                goto fail;
            }
            if (k == 0 && column > 0) {
                size_t m = f.len < CSV_MAX_FIELD - 1 ? f.len : CSV_MAX_FIELD - 1;
                label = malloc(m + 1);
                if (!label) {
                    snprintf(err, errlen, "%s: out of memory at line %zu", file, lineno);
                    goto fail;
                }
                memcpy(label, f.text, m);
                label[m] = '\0';
            }
            if (k == column && !field_number(&f, &value)) {
                char shown[64];
                printable(&f, shown, sizeof shown);
                snprintf(err, errlen, "%s:%zu: field %d (%s) is \"%s\", not a finite number "
                         "(expected e.g. 58.0; a corrupt file? run: make data)", file, lineno,
                         k + 1, out->name, shown);
                free(label);
                goto fail;
            }
            k++;
        }
        if (k != fields) {
            snprintf(err, errlen, "%s:%zu: %d field%s, but the header has %d (too %s fields)",
                     file, lineno, k, k == 1 ? "" : "s", fields, k < fields ? "few" : "many");
            free(label);
            goto fail;
        }
        out->values[out->n] = value;
        if (column > 0) out->labels[out->n] = label;
        out->n++;
    }
    if (out->n == 0) {
        snprintf(err, errlen, "%s: a header but no rows of data (truncated download? run: make "
                 "data)", file);
        goto fail;
    }
    return true;

fail:
    csv_clear(out);
    return false;
}

// ---- load ----

bool csv_load(const char *path, int column, CsvColumn *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *buf;
    size_t size;
    if (!file_read_all(path, CSV_MAX_BYTES, "CSV of this course",
                       "run: make data", &buf, &size, err, errlen))
        return false;
    bool ok = csv_parse(buf, size, path, column, out, err, errlen);
    free(buf);
    return ok;
}
