/* common/data/imdb.c — the IMDb review folders (Maas et al. 2011); see data/imdb.h.
 *
 * A class folder is listed with opendir/readdir (entries that start with '.' are ignored, every
 * other entry must be a review file), the names are checked and sorted by id, and the first
 * per_class files are read and checked (size, NUL bytes). Labels follow the folder, ratings and
 * ids the file name.
 */
#include "data/imdb.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"

#define IMDB_MAX_BYTES (1 << 20)     // a review longer than 1 MB is not a review
#define IMDB_MAX_ID    999999999     // 9 digits

// Parse the decimal digits s[0 … n) (1–9 digits, no sign) into *v.
static bool parse_uint(const char *s, size_t n, int *v)
{
    if (n == 0 || n > 9) return false;
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

// The name part of imdb_check_review: "<id>_<rating>.txt" with the rating in the folder's range.
static bool check_name(const char *name, bool pos, int *id, int *rating, char *err, size_t errlen)
{
    const char *us = strchr(name, '_');
    size_t len = strlen(name);
    if (!us || len < 4 || strcmp(name + len - 4, ".txt") != 0 ||
        !parse_uint(name, (size_t)(us - name), id) ||
        !parse_uint(us + 1, (size_t)(name + len - 4 - (us + 1)), rating)) {
        snprintf(err, errlen, "'%s' is not an IMDb review file name (expected <id>_<rating>.txt, "
                 "e.g. 123_8.txt; remove the file or run: make data)", name);
        return false;
    }
    bool ok = pos ? *rating >= 7 && *rating <= 10 : *rating >= 1 && *rating <= 4;
    if (!ok) {
        snprintf(err, errlen, "'%s': rating %d does not belong in %s/ (negative reviews are rated "
                 "1–4, positive 7–10; the folder is damaged: run make data again)", name, *rating,
                 pos ? "pos" : "neg");
        return false;
    }
    return true;
}

bool imdb_check_review(const char *name, const char *bytes, size_t n, bool pos, int *id,
                       int *rating, char *err, size_t errlen)
{
    if (!check_name(name, pos, id, rating, err, errlen)) return false;
    if (n == 0 || n > IMDB_MAX_BYTES) {
        snprintf(err, errlen, "'%s': %zu bytes (a review has 1 byte … 1 MB; the file is damaged: "
                 "run make data again)", name, n);
        return false;
    }
    const char *z = memchr(bytes, 0, n);
    if (z) {
        snprintf(err, errlen, "'%s': a NUL byte at offset %zu (not a text file; the folder is "
                 "damaged: run make data again)", name, (size_t)(z - bytes));
        return false;
    }
    return true;
}

typedef struct Entry {
    int id, rating;
    char *name;
} Entry;

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void free_entries(Entry *e, int n)
{
    for (int i = 0; i < n; i++) free(e[i].name);
    free(e);
}

// The checked, id-sorted review names of one class folder (*out, *n); false + err on any problem.
static bool list_class(const char *path, bool pos, Entry **out, int *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open the folder (%s) (run: make data)", path,
                 strerror(errno));
        return false;
    }
    int cap = 1024, cnt = 0;
    Entry *e = dl_malloc((size_t)cap * sizeof *e, "IMDb file names");
    struct dirent *de;
    bool ok = true;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        Entry x;
        char msg[384];
        if (!check_name(de->d_name, pos, &x.id, &x.rating, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", path, msg);
            ok = false;
            break;
        }
        if (cnt == cap) {
            Entry *g = dl_malloc((size_t)cap * 2 * sizeof *g, "IMDb file names");
            memcpy(g, e, (size_t)cnt * sizeof *e);
            free(e);
            e = g;
            cap *= 2;
        }
        size_t len = strlen(de->d_name);
        x.name = dl_malloc(len + 1, "an IMDb file name");
        memcpy(x.name, de->d_name, len + 1);
        e[cnt++] = x;
    }
    closedir(d);
    if (ok && cnt == 0) {
        snprintf(err, errlen, "%s: no reviews in the folder (run: make data)", path);
        ok = false;
    }
    if (ok) {
        qsort(e, (size_t)cnt, sizeof *e, cmp_entry);
        for (int i = 1; i < cnt; i++)
            if (e[i].id == e[i - 1].id) {
                snprintf(err, errlen, "%s: two reviews with id %d ('%s' and '%s'; the folder is "
                         "damaged: run make data again)", path, e[i].id, e[i - 1].name, e[i].name);
                ok = false;
                break;
            }
    }
    if (!ok) {
        free_entries(e, cnt);
        return false;
    }
    *out = e;
    *n = cnt;
    return true;
}

// Read path into a fresh 0-terminated buffer (*bytes, *n); files over the limit are not read.
static bool read_review(const char *path, char **bytes, size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s) (run: make data)", path, strerror(errno));
        if (f) fclose(f);
        return false;
    }
    size_t size = st.st_size > IMDB_MAX_BYTES ? IMDB_MAX_BYTES + 1 : (size_t)st.st_size;
    char *b = dl_malloc(size + 1, "an IMDb review");
    size_t got = fread(b, 1, size, f);
    fclose(f);
    b[got] = 0;
    *bytes = b;
    *n = st.st_size > IMDB_MAX_BYTES ? (size_t)st.st_size : got;
    return true;
}

bool imdb_load(const char *dir, const char *split, int per_class, ImdbSplit *out, char *err,
               size_t errlen)
{
    DL_CHECK(dir && split && out && per_class >= 0, "imdb_load: bad arguments");
    memset(out, 0, sizeof *out);
    Entry *cls[2] = {NULL, NULL};
    int cnt[2] = {0, 0};
    char path[4096];
    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof path, "%s/%s/%s", dir, split, c ? "pos" : "neg");
        if (!list_class(path, c == 1, &cls[c], &cnt[c], err, errlen)) {
            if (c) free_entries(cls[0], cnt[0]);
            return false;
        }
        if (per_class > 0 && cnt[c] > per_class) {
            for (int i = per_class; i < cnt[c]; i++) free(cls[c][i].name);
            cnt[c] = per_class;
        }
    }
    int n = cnt[0] + cnt[1];
    out->text = dl_malloc((size_t)n * sizeof *out->text, "IMDb texts");
    out->len = dl_malloc((size_t)n * sizeof *out->len, "IMDb lengths");
    out->label = dl_malloc((size_t)n * sizeof *out->label, "IMDb labels");
    out->rating = dl_malloc((size_t)n * sizeof *out->rating, "IMDb ratings");
    out->id = dl_malloc((size_t)n * sizeof *out->id, "IMDb ids");
    bool ok = true;
    for (int c = 0; c < 2 && ok; c++)
        for (int i = 0; i < cnt[c]; i++) {
            snprintf(path, sizeof path, "%s/%s/%s/%s", dir, split, c ? "pos" : "neg",
                     cls[c][i].name);
            char *bytes;
            size_t len;
            char msg[512];
            int id, rating;
            if (!read_review(path, &bytes, &len, err, errlen)) { ok = false; break; }
            if (!imdb_check_review(cls[c][i].name, bytes, len, c == 1, &id, &rating, msg,
                                   sizeof msg)) {
                snprintf(err, errlen, "%s/%s/%s: %s", dir, split, c ? "pos" : "neg", msg);
                free(bytes);
                ok = false;
                break;
            }
            out->text[out->n] = bytes;
            out->len[out->n] = len;
            out->label[out->n] = c;
            out->rating[out->n] = rating;
            out->id[out->n] = id;
            out->n++;
        }
    free_entries(cls[0], cnt[0]);
    free_entries(cls[1], cnt[1]);
    if (!ok) imdb_free(out);
    return ok;
}

void imdb_free(ImdbSplit *s)
{
    if (s->text)
        for (int i = 0; i < s->n; i++) free(s->text[i]);
    free(s->text);
    free(s->len);
    free(s->label);
    free(s->rating);
    free(s->id);
    memset(s, 0, sizeof *s);
}
