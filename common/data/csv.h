/* common/data/csv.h — one numeric column of a CSV file (time series, chapter 5; scaling-law
 * points, chapter 8).
 *
 * The files of ../shared/data/timeseries/: a header row, then one row per observation, fields
 * separated by commas, optionally in double quotes, LF or CRLF line ends, an optional blank last
 * line. csv_parse works on bytes in memory (tests/fuzz/fuzz_csv.c feeds it random bytes);
 * csv_load reads a file and calls it. A field that is not a finite number, a row with too few
 * fields, a missing column name or a file without rows is an error naming the file, the line
 * (1-based, the header is line 1) and the field.
 */
#ifndef DL_DATA_CSV_H
#define DL_DATA_CSV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct CsvColumn {
    char name[64];          // the column's header
    double *values;         // (n) malloc'ed
    size_t n;
    char **labels;          // (n) the first column of every row as text (a date), malloc'ed;
                            // NULL when the wanted column is the first
} CsvColumn;

/* Column `column` (0-based) of a CSV text; `file` names it in messages. */
bool csv_parse(const char *text, size_t len, const char *file, int column, CsvColumn *out,
               char *err, size_t errlen);
/* The same from a file ("…: no such file (run: make data)" when missing). */
bool csv_load(const char *path, int column, CsvColumn *out, char *err, size_t errlen);
void csv_free(CsvColumn *c);

#endif
