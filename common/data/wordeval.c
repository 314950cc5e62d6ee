/* common/data/wordeval.c — the analogy and word-similarity sets; see data/wordeval.h.
 *
 * The questions file is read line by line, as word2vec.c's compute-accuracy reads it with
 * scanf("%s") (Mikolov et al. 2013): ": name" starts a section, four words make a question,
 * and words are compared case-blind (compute-accuracy upper-cases both sides; lower-casing
 * here is the same comparison). gensim's evaluate_word_analogies reads it the same way and,
 * like this loader, rejects a question before the first section.
 */
#include "data/wordeval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/text.h"

#define MAX_FIELDS 8        // more fields than any valid line has, to name the count
#define MAX_NUMBER 64       // bytes of a score's text

// One line of the file, split into fields at spaces and tabs.
typedef struct Line {
    size_t no;                       // 1-based line number
    int n_fields;                    // fields found (at most MAX_FIELDS are stored)
    const char *f[MAX_FIELDS];
    size_t len[MAX_FIELDS];
} Line;

/* The next line of bytes[*i … n) into *ln (without its '\n' and a '\r' before it); false at
 * the end. */
static bool next_line(const char *bytes, size_t n, size_t *i, Line *ln)
{
    if (*i >= n) return false;
    size_t s = *i, e = s;
    while (e < n && bytes[e] != '\n') e++;
    *i = e < n ? e + 1 : e;
    ln->no++;
    ln->n_fields = 0;
    size_t k = s;
    while (k < e) {
        while (k < e && (bytes[k] == ' ' || bytes[k] == '\t' || bytes[k] == '\r' ||
                         bytes[k] == '\v' || bytes[k] == '\f'))
            k++;
        if (k >= e) break;
        size_t start = k;
        while (k < e && !(bytes[k] == ' ' || bytes[k] == '\t' || bytes[k] == '\r' ||
                          bytes[k] == '\v' || bytes[k] == '\f'))
            k++;
        if (ln->n_fields < MAX_FIELDS) {
            ln->f[ln->n_fields] = bytes + start;
            ln->len[ln->n_fields] = k - start;
        }
        ln->n_fields++;
    }
    return true;
}

/* A lower-cased (ASCII) malloc'ed copy of p[0 … len). */
static char *lower_copy(const char *p, size_t len)
{
    char *s = dl_malloc(len + 1, "an evaluation word");
    for (size_t k = 0; k < len; k++) {
        char c = p[k];
        s[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    s[len] = '\0';
    return s;
}

static bool check_no_nul(const char *bytes, size_t n, const char *name, char *err, size_t errlen)
{
    const char *nul = memchr(bytes, 0, n);
    if (!nul) return true;
    size_t off = (size_t)(nul - bytes), line = 1;
    for (size_t k = 0; k < off; k++) line += bytes[k] == '\n';
    snprintf(err, errlen, "%s: a NUL byte at line %zu: not a text file (a corrupt download? "
             "run: make data)", name, line);
    return false;
}

// Grow a malloc'ed array to hold at least need elements of size bytes (capacity doubles).
static void *grow(void *p, int *cap, int need, size_t size, const char *what)
{
    if (need <= *cap) return p;
    int c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(p, (size_t)c * size);
    DL_CHECK(q, "out of memory: %d %s", c, what);
    *cap = c;
    return q;
}

// ---- analogies ----
// region: analogy

bool analogy_parse(const char *bytes, size_t n, const char *name, AnalogySet *a, char *err,
                   size_t errlen)
{
    *a = (AnalogySet){0};
    if (!check_no_nul(bytes, n, name, err, errlen)) return false;
    AnalogySet s = {0};
    int cap_q = 0, cap_s = 0;
    Line ln = {0};
    size_t i = 0;
    while (next_line(bytes, n, &i, &ln)) {
        if (ln.n_fields == 0) continue;
        if (ln.len[0] >= 1 && ln.f[0][0] == ':') {   // ": name" (also ":name")
            const char *nm = NULL;
            size_t nlen = 0;
            if (ln.len[0] > 1 && ln.n_fields == 1) nm = ln.f[0] + 1, nlen = ln.len[0] - 1;
            else if (ln.len[0] == 1 && ln.n_fields == 2) nm = ln.f[1], nlen = ln.len[1];
            if (!nm) {
                snprintf(err, errlen, "%s: line %zu: a section line is \": name\" (one name "
                         "without spaces), got %d fields", name, ln.no, ln.n_fields);
                goto fail;
            }
            int c0 = cap_s;   // the flags follow the names' capacity
            s.section_name = grow(s.section_name, &cap_s, s.n_sections + 1,
                                  sizeof *s.section_name, "section names");
            if (cap_s != c0) {
                s.syntactic = realloc(s.syntactic, (size_t)cap_s * sizeof *s.syntactic);
                DL_CHECK(s.syntactic, "out of memory: %d sections", cap_s);
            }
            s.section_name[s.n_sections] = lower_copy(nm, nlen);
            s.syntactic[s.n_sections] = strncmp(s.section_name[s.n_sections], "gram", 4) == 0;
            s.n_sections++;
            continue;
        }
        if (s.n_sections == 0) {
            snprintf(err, errlen, "%s: line %zu: a question before the first section line "
                     "\": name\" (not an analogy file like questions-words.txt?)", name, ln.no);
            goto fail;
        }
        if (ln.n_fields != 4) {
            snprintf(err, errlen, "%s: line %zu has %s%d words, expected 4 (a b c d: a is to b "
                     "as c is to d)", name, ln.no, ln.n_fields > MAX_FIELDS ? "more than " : "",
                     ln.n_fields > MAX_FIELDS ? MAX_FIELDS : ln.n_fields);
            goto fail;
        }
        int c0 = cap_q;   // the sections follow the questions' capacity
        s.q = grow(s.q, &cap_q, s.n + 1, sizeof *s.q, "analogy questions");
        if (cap_q != c0) {
            s.section = realloc(s.section, (size_t)cap_q * sizeof *s.section);
            DL_CHECK(s.section, "out of memory: %d analogy questions", cap_q);
        }
        for (int k = 0; k < 4; k++) s.q[s.n][k] = lower_copy(ln.f[k], ln.len[k]);
        s.section[s.n] = s.n_sections - 1;
        s.n++;
    }
    if (s.n == 0) {
        snprintf(err, errlen, "%s: no question in the file (%d section line(s)): expected "
                 "questions-words.txt's \": section\" lines and \"a b c d\" questions (run: make "
                 "data)", name, s.n_sections);
        goto fail;
    }
    *a = s;
    return true;
fail:
    analogy_free(&s);
    return false;
}

bool analogy_load(const char *path, AnalogySet *a, char *err, size_t errlen)
{
    *a = (AnalogySet){0};
    Text t;
    if (!text_load(path, &t, err, errlen)) return false;
    bool ok = analogy_parse((const char *)t.bytes, t.n, path, a, err, errlen);
    text_free(&t);
    return ok;
}

void analogy_free(AnalogySet *a)
{
    for (int i = 0; i < a->n; i++)
        for (int k = 0; k < 4; k++) free(a->q[i][k]);
    for (int s = 0; s < a->n_sections; s++) free(a->section_name[s]);
    free(a->q);
    free(a->section);
    free(a->section_name);
    free(a->syntactic);
    *a = (AnalogySet){0};
}

// ---- similarity pairs ----
// region: simpairs

bool simpairs_parse(const char *bytes, size_t n, const char *name, SimPairs *p, char *err,
                    size_t errlen)
{
    *p = (SimPairs){0};
    if (!check_no_nul(bytes, n, name, err, errlen)) return false;
    SimPairs s = {0};
    int cap = 0;
    Line ln = {0};
    size_t i = 0;
    while (next_line(bytes, n, &i, &ln)) {
        if (ln.n_fields == 0 || ln.f[0][0] == '#') continue;
        if (ln.n_fields != 3) {
            snprintf(err, errlen, "%s: line %zu has %s%d fields, expected 3: word, word, score "
                     "(separated by tabs)", name, ln.no, ln.n_fields > MAX_FIELDS ? "more than " : "",
                     ln.n_fields > MAX_FIELDS ? MAX_FIELDS : ln.n_fields);
            goto fail;
        }
        char buf[MAX_NUMBER + 1], *end = buf;
        float score = 0;
        size_t len = ln.len[2];
        if (len <= MAX_NUMBER) {
            memcpy(buf, ln.f[2], len);
            buf[len] = '\0';
            score = strtof(buf, &end);
        }
        if (len > MAX_NUMBER || end != buf + len || !isfinite(score)) {
            snprintf(err, errlen, "%s: line %zu: the score \"%.*s\" is not a finite number",
                     name, ln.no, (int)(len < 40 ? len : 40), ln.f[2]);
            goto fail;
        }
        int c0 = cap;
        s.w1 = grow(s.w1, &cap, s.n + 1, sizeof *s.w1, "similarity pairs");
        if (cap != c0) {
            s.w2 = realloc(s.w2, (size_t)cap * sizeof *s.w2);
            s.score = realloc(s.score, (size_t)cap * sizeof *s.score);
            DL_CHECK(s.w2 && s.score, "out of memory: %d similarity pairs", cap);
        }
        s.w1[s.n] = lower_copy(ln.f[0], ln.len[0]);
        s.w2[s.n] = lower_copy(ln.f[1], ln.len[1]);
        s.score[s.n] = score;
        s.n++;
    }
    if (s.n == 0) {
        snprintf(err, errlen, "%s: no word pair in the file: expected lines \"word<TAB>word"
                 "<TAB>score\" after '#' comments (run: make data)", name);
        goto fail;
    }
    *p = s;
    return true;
fail:
    simpairs_free(&s);
    return false;
}

bool simpairs_load(const char *path, SimPairs *p, char *err, size_t errlen)
{
    *p = (SimPairs){0};
    Text t;
    if (!text_load(path, &t, err, errlen)) return false;
    bool ok = simpairs_parse((const char *)t.bytes, t.n, path, p, err, errlen);
    text_free(&t);
    return ok;
}

void simpairs_free(SimPairs *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->w1[i]);
        free(p->w2[i]);
    }
    free(p->w1);
    free(p->w2);
    free(p->score);
    *p = (SimPairs){0};
}
