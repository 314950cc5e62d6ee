/* common/data/tokenize.c — raw text to word tokens; see data/tokenize.h.
 *
 * Two passes over the text: clean (HTML tags, URLs, case, NUL bytes) into a scratch copy, then
 * split it Penn Treebank style (Marcus et al. 1993; NLTK's TreebankWordTokenizer): a word is a run
 * of letters, digits and bytes >= 0x80, with inner hyphens and apostrophes ("well-made",
 * "o'brien") and inner '.' ',' between digits ("3.5", "10,000"); the clitics 's 're 've 'll 'd 'm
 * and n't are split off its end ("don't" → "do" "n't", "can't" → "ca" "n't", as the Treebank
 * does); every other byte that is not white space is punctuation, and a run of the same mark
 * ("...", "!!") is one token. Stop words and stems are applied to the word tokens last.
 */
#include "data/tokenize.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/porter.h"

// scikit-learn's ENGLISH_STOP_WORDS (sklearn/feature_extraction/_stop_words.py), sorted (bsearch).
static const char *const STOP[] = {
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost",
    "alone", "along", "already", "also", "although", "always", "am", "among", "amongst",
    "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone", "anything", "anyway",
    "anywhere", "are", "around", "as", "at", "back", "be", "became", "because", "become",
    "becomes", "becoming", "been", "before", "beforehand", "behind", "being", "below", "beside",
    "besides", "between", "beyond", "bill", "both", "bottom", "but", "by", "call", "can",
    "cannot", "cant", "co", "con", "could", "couldnt", "cry", "de", "describe", "detail", "do",
    "done", "down", "due", "during", "each", "eg", "eight", "either", "eleven", "else",
    "elsewhere", "empty", "enough", "etc", "even", "ever", "every", "everyone", "everything",
    "everywhere", "except", "few", "fifteen", "fifty", "fill", "find", "fire", "first", "five",
    "for", "former", "formerly", "forty", "found", "four", "from", "front", "full", "further",
    "get", "give", "go", "had", "has", "hasnt", "have", "he", "hence", "her", "here",
    "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself", "his",
    "how", "however", "hundred", "i", "ie", "if", "in", "inc", "indeed", "interest", "into",
    "is", "it", "its", "itself", "keep", "last", "latter", "latterly", "least", "less", "ltd",
    "made", "many", "may", "me", "meanwhile", "might", "mill", "mine", "more", "moreover", "most",
    "mostly", "move", "much", "must", "my", "myself", "name", "namely", "neither", "never",
    "nevertheless", "next", "nine", "no", "nobody", "none", "noone", "nor", "not", "nothing",
    "now", "nowhere", "of", "off", "often", "on", "once", "one", "only", "onto", "or", "other",
    "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part", "per",
    "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed", "seeming",
    "seems", "serious", "several", "she", "should", "show", "side", "since", "sincere", "six",
    "sixty", "so", "some", "somehow", "someone", "something", "sometime", "sometimes",
    "somewhere", "still", "such", "system", "take", "ten", "than", "that", "the", "their",
    "them", "themselves", "then", "thence", "there", "thereafter", "thereby", "therefore",
    "therein", "thereupon", "these", "they", "thick", "thin", "third", "this", "those", "though",
    "three", "through", "throughout", "thru", "thus", "to", "together", "too", "top", "toward",
    "towards", "twelve", "twenty", "two", "un", "under", "until", "up", "upon", "us", "very",
    "via", "was", "we", "well", "were", "what", "whatever", "when", "whence", "whenever",
    "where", "whereafter", "whereas", "whereby", "wherein", "whereupon", "wherever", "whether",
    "which", "while", "whither", "who", "whoever", "whole", "whom", "whose", "why", "will",
    "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself",
    "yourselves"};
#define N_STOP ((int)(sizeof STOP / sizeof STOP[0]))

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool stopword_is(const char *w)
{
    return bsearch(&w, STOP, (size_t)N_STOP, sizeof STOP[0], cmp_str) != NULL;
}

// ---- character classes (bytes, not code points: UTF-8 sequences are word characters) ----
static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0;
}
static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_word(unsigned char c) { return is_alpha(c) || is_digit(c) || c >= 0x80; }
static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

// Does s[i … n) start with the ASCII prefix p, ignoring case?
static bool starts_ci(const unsigned char *s, size_t i, size_t n, const char *p)
{
    for (; *p; p++, i++)
        if (i >= n || lower(s[i]) != (unsigned char)*p) return false;
    return true;
}

// An HTML tag at s[i] ('<'): '<' then a letter, '/' or '!', then a '>' within 256 bytes with no
// '<' or newline before it. Returns the index after '>' or 0 when this '<' is not a tag.
static size_t html_tag_end(const unsigned char *s, size_t i, size_t n)
{
    if (i + 1 >= n || !(is_alpha(s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!')) return 0;
    for (size_t j = i + 1; j < n && j < i + 256; j++) {
        if (s[j] == '>') return j + 1;
        if (s[j] == '<' || s[j] == '\n') return 0;
    }
    return 0;
}

// Grow a token list's bytes for a text of n bytes: at most n tokens, each 0-terminated
// (<= 2n bytes), plus the n-byte cleaned copy after them. The pointers grow as tokens come
// (push_token): English text has about one token per 5 bytes, far fewer than n.
static void reserve(TokenList *t, size_t n)
{
    DL_CHECK(n < (size_t)1 << 30, "tokenize: a text of %zu bytes is too long (limit 1 GB)", n);
    size_t need = 3 * n + 2;
    if (t->cap_buf < need) {
        free(t->buf);
        t->buf = dl_malloc(need, "token bytes");
        t->cap_buf = need;
    }
}

static void push_token(TokenList *t, char *w)
{
    if (t->n == t->cap_tok) {
        int cap = t->cap_tok ? 2 * t->cap_tok : 64;
        char **g = dl_malloc((size_t)cap * sizeof *g, "token pointers");
        if (t->n) memcpy(g, t->tok, (size_t)t->n * sizeof *g);
        free(t->tok);
        t->tok = g;
        t->cap_tok = cap;
    }
    t->tok[t->n++] = w;
}

static const char *const CLITICS[] = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"};

// Length of the clitic that ends word w[0 … k) (case-insensitive), 0 if none; the word must keep
// at least one byte in front of it.
static size_t clitic_len(const unsigned char *w, size_t k)
{
    for (size_t c = 0; c < sizeof CLITICS / sizeof CLITICS[0]; c++) {
        size_t m = strlen(CLITICS[c]);
        if (k > m && starts_ci(w, k - m, k, CLITICS[c])) return m;
    }
    return 0;
}

// Is w[0 … k) exactly a clitic?
static bool is_clitic(const unsigned char *w, size_t k)
{
    for (size_t c = 0; c < sizeof CLITICS / sizeof CLITICS[0]; c++)
        if (strlen(CLITICS[c]) == k && starts_ci(w, 0, k, CLITICS[c])) return true;
    return false;
}

// Append w[0 … k) as a token (filtered by the options).
static void emit(TokenList *t, size_t *used, const unsigned char *w, size_t k,
                 const TokenizeOptions *o)
{
    bool word = false, letters = true;
    for (size_t i = 0; i < k; i++) {
        word |= is_word(w[i]);
        letters &= w[i] >= 'a' && w[i] <= 'z';
    }
    if (o->drop_punct && !word) return;
    char *dst = t->buf + *used;
    memcpy(dst, w, k);
    dst[k] = 0;
    if (o->drop_stopwords && stopword_is(dst)) return;
    if (o->stem && letters) {
        size_t ks = porter_stem(dst, k);
        if (ks > 0) k = ks;                 // Porter stems "s" to "": the token stays "s"
        else memcpy(dst, w, k);
        dst[k] = 0;
    }
    push_token(t, dst);
    *used += k + 1;
}

void tokenize(const char *text, size_t n, const TokenizeOptions *o, TokenList *out)
{
    DL_CHECK(out && o && (text || n == 0), "tokenize: NULL argument");
    out->n = 0;
    reserve(out, n);
    const unsigned char *in = (const unsigned char *)text;
    unsigned char *s = (unsigned char *)out->buf + 2 * n + 1;   // the cleaned copy
    // 1–3: clean into s; NUL bytes become spaces.
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t e;
        if (o->strip_html && in[i] == '<' && (e = html_tag_end(in, i, n)) > 0) {
            s[m++] = ' ';
            i = e;
        } else if (o->strip_urls && (i == 0 || !is_word(in[i - 1])) &&
                   (starts_ci(in, i, n, "http://") || starts_ci(in, i, n, "https://") ||
                    starts_ci(in, i, n, "www."))) {
            while (i < n && !is_space(in[i]) && !(o->strip_html && in[i] == '<' &&
                                                  html_tag_end(in, i, n) > 0))
                i++;
            s[m++] = ' ';
        } else {
            unsigned char c = in[i++];
            s[m++] = c == 0 ? ' ' : o->lowercase ? lower(c) : c;
        }
    }
    // 4–7: split.
    size_t used = 0;
    for (size_t i = 0; i < m;) {
        unsigned char c = s[i];
        if (is_space(c)) { i++; continue; }
        if (is_word(c)) {
            size_t j = i + 1;
            for (;;) {
                if (j < m && is_word(s[j])) { j++; continue; }
                // inner joiners: - and ' between word bytes; . and , between digits
                if (j + 1 < m && is_word(s[j + 1]) &&
                    (s[j] == '-' || s[j] == '\'' ||
                     ((s[j] == '.' || s[j] == ',') && is_digit(s[j - 1]) && is_digit(s[j + 1])))) {
                    j += 2;
                    continue;
                }
                break;
            }
            size_t k = j - i, cl = clitic_len(s + i, k);
            emit(out, &used, s + i, k - cl, o);
            if (cl) emit(out, &used, s + j - cl, cl, o);
            i = j;
        } else {
            size_t j = i + 1;
            while (j < m && s[j] == c) j++;
            // a leading apostrophe clitic ("'s" after a space, "'ll") stays one token
            if (c == '\'' && j == i + 1 && j < m && is_alpha(s[j])) {
                size_t w = j;
                while (w < m && is_word(s[w])) w++;
                if (is_clitic(s + i, w - i)) j = w;
            }
            emit(out, &used, s + i, j - i, o);
            i = j;
        }
    }
}

void token_list_free(TokenList *t)
{
    free(t->tok);
    free(t->buf);
    memset(t, 0, sizeof *t);
}
