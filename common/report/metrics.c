/* common/report/metrics.c — metrics.tsv; see report/metrics.h. */
#include "report/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"

void metrics_init(Metrics *m, const char *out_dir)
{
    *m = (Metrics){0};
    if (!path_join(m->path, sizeof m->path, out_dir, "metrics.tsv"))
        dl_die("metrics: the output folder path '%s' is too long (at most %zu bytes)", out_dir,
               sizeof m->path - sizeof "/metrics.tsv");
}

void metrics_set(Metrics *m, const char *key, double value)
{
    size_t len = strlen(key);
    DL_CHECK(len > 0 && len < sizeof m->items[0].key && !strpbrk(key, " \t\n\r"),
             "metrics: bad key '%s': use 1 to %zu characters with no white space", key,
             sizeof m->items[0].key - 1);
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].key, key) == 0) {
            m->items[i].value = value;
            return;
        }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        Metric *items = realloc(m->items, cap * sizeof *items);
        DL_CHECK(items, "metrics: out of memory for %zu keys", cap);
        m->items = items;
        m->cap = cap;
    }
    memcpy(m->items[m->n].key, key, len + 1);
    m->items[m->n++].value = value;
}

void metrics_setf(Metrics *m, double value, const char *key_fmt, ...)
{
    char key[sizeof m->items[0].key];
    va_list ap;
    va_start(ap, key_fmt);
    int len = vsnprintf(key, sizeof key, key_fmt, ap);
    va_end(ap);
    DL_CHECK(len >= 0 && (size_t)len < sizeof key, "metrics: key '%s…' is longer than %zu "
             "characters", key, sizeof key - 1);
    metrics_set(m, key, value);
}

bool metrics_get(const Metrics *m, const char *key, double *value)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].key, key) == 0) {
            *value = m->items[i].value;
            return true;
        }
    return false;
}

bool metrics_write(const Metrics *m)
{
    FILE *f = atomic_open(m->path);
    if (!f) return false;
    for (size_t i = 0; i < m->n; i++) fprintf(f, "%s\t%.9g\n", m->items[i].key, m->items[i].value);
    return atomic_close(f, m->path);
}

void metrics_free(Metrics *m)
{
    free(m->items);
    m->items = NULL;
    m->n = m->cap = 0;
}

bool metrics_read(const char *path, const char *key, double *value)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[256];
    size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        bool whole = n > 0 && line[n - 1] == '\n';
        if (!whole && !feof(f)) {   // longer than any line we write: skip the rest of it
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {}
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, key, klen) != 0 || line[klen] != '\t') continue;
        char *end;
        double v = strtod(line + klen + 1, &end);
        if (end == line + klen + 1 || *end) continue;   // malformed value
        *value = v;
        found = true;
    }
    fclose(f);
    return found;
}
