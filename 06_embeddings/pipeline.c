/* 06_embeddings/pipeline.c — section 1: from raw review bytes to tokens, one step at a time.
 *
 * The steps are those of data/tokenize.h (lower-casing; HTML, URL and punctuation removal;
 * Penn Treebank clitics; stop words; the Porter stemmer, data/porter.h), measured on the IMDb
 * training split (Maas et al. 2011): how many tokens and distinct words each step leaves. The
 * caveat of the lecture: the stop-word list (scikit-learn's) holds "not" and "no", so "not good"
 * and "good" become the same thing — measured here by how negative the reviews holding each are.
 */
#include "pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/porter.h"
#include "data/tokenize.h"

// ---- a set of distinct strings (open addressing, FNV-1a) ----

typedef struct StrSet {
    char **keys;         // (cap) NULL = empty slot; malloc'ed copies
    size_t cap, n;
} StrSet;

static uint64_t fnv1a(const char *s, size_t k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < k; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void set_init(StrSet *s)
{
    s->cap = 1 << 16;
    s->n = 0;
    s->keys = dl_malloc(s->cap * sizeof *s->keys, "a word set");
    memset(s->keys, 0, s->cap * sizeof *s->keys);
}

static void set_free(StrSet *s)
{
    for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

static void set_put(StrSet *s, const char *w, size_t k);

static void set_grow(StrSet *s)
{
    StrSet g = {.cap = s->cap * 2};
    g.keys = dl_malloc(g.cap * sizeof *g.keys, "a word set");
    memset(g.keys, 0, g.cap * sizeof *g.keys);
    for (size_t i = 0; i < s->cap; i++)
        if (s->keys[i]) {
            size_t j = fnv1a(s->keys[i], strlen(s->keys[i])) & (g.cap - 1);
            while (g.keys[j]) j = (j + 1) & (g.cap - 1);
            g.keys[j] = s->keys[i];
            g.n++;
        }
    free(s->keys);
    *s = g;
}

// Add w[0 … k) (if new).
static void set_put(StrSet *s, const char *w, size_t k)
{
    if (2 * (s->n + 1) > s->cap) set_grow(s);
    size_t j = fnv1a(w, k) & (s->cap - 1);
    while (s->keys[j]) {
        if (strlen(s->keys[j]) == k && memcmp(s->keys[j], w, k) == 0) return;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = dl_malloc(k + 1, "a word");
    memcpy(s->keys[j], w, k);
    s->keys[j][k] = 0;
    s->n++;
}

// ---- the five levels ----

enum { RAW, LOWER, CLEAN, NOSTOP, STEM, LEVELS };
static const char *const LEVEL_KEY[LEVELS] = {"raw", "lower", "clean", "nostop", "stem"};
static const char *const LEVEL_NAME[LEVELS] = {
    "raw: split on white space",
    "+ lower case",
    "+ HTML, URLs, punctuation, clitics",
    "+ stop words removed",
    "+ Porter stemming",
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The tokens of text at a level, into t (RAW and LOWER: white-space split, as str.split()).
static void level_tokens(int level, const char *text, size_t n, TokenList *t)
{
    if (level >= CLEAN) {
        TokenizeOptions o = TOKENIZE_DEFAULT;
        o.drop_stopwords = level >= NOSTOP;
        o.stem = level >= STEM;
        tokenize(text, n, &o, t);
        return;
    }
    // Not a tokenizer mode: the baseline the steps are measured against. tokenize() with every
    // option off still splits punctuation, so the split is done here, into t's own buffers.
    TokenizeOptions none = {0};
    tokenize("", 0, &none, t);                      // reset
    size_t need = 2 * n + 2;
    if (t->cap_buf < need) {
        free(t->buf);
        t->buf = dl_malloc(need, "token bytes");
        t->cap_buf = need;
    }
    if ((size_t)t->cap_tok < n / 2 + 1) {      // white-space words: at most (n + 1) / 2
        free(t->tok);
        t->tok = dl_malloc((n / 2 + 1) * sizeof *t->tok, "token pointers");
        t->cap_tok = (int)(n / 2 + 1);
    }
    size_t used = 0;
    for (size_t i = 0; i < n;) {
        if (is_ws(text[i]) || text[i] == 0) { i++; continue; }
        size_t j = i;
        while (j < n && !is_ws(text[j]) && text[j] != 0) j++;
        char *dst = t->buf + used;
        for (size_t k = 0; k < j - i; k++) {
            char c = text[i + k];
            dst[k] = level == LOWER && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        dst[j - i] = 0;
        t->tok[t->n++] = dst;
        used += j - i + 1;
        i = j;
    }
}

static void print_tokens(const TokenList *t, int max)
{
    printf("  (%d)", t->n);
    for (int i = 0; i < t->n && i < max; i++) printf(" %s", t->tok[i]);
    printf("%s\n", t->n > max ? " …" : "");
}

// ---- the parts of the section ----

// The shortest review with "<br />", a clitic and (if any review has one) a URL.
static int pick_review(const ImdbSplit *s)
{
    int best = -1;
    for (int want_url = 1; want_url >= 0 && best < 0; want_url--)
        for (int i = 0; i < s->n; i++) {
            const char *t = s->text[i];
            if (!strstr(t, "<br />") || !(strstr(t, "'s ") || strstr(t, "n't "))) continue;
            if (want_url && !strstr(t, "http://") && !strstr(t, "www.")) continue;
            if (best < 0 || s->len[i] < s->len[best]) best = i;
        }
    return best;
}

static void show_review(const ImdbSplit *s, int r)
{
    printf("review %d_%d.txt (%s, %zu bytes):\n  %.*s%s\n", s->id[r], s->rating[r],
           s->label[r] ? "positive" : "negative", s->len[r], 600, s->text[r],
           s->len[r] > 600 ? " …" : "");
    TokenList t = {0};
    for (int l = 0; l < LEVELS; l++) {
        level_tokens(l, s->text[r], s->len[r], &t);
        printf("%s:\n", LEVEL_NAME[l]);
        print_tokens(&t, 40);
    }
    token_list_free(&t);
}

static void measure_levels(const ImdbSplit *s, Metrics *mt)
{
    TokenList t = {0};
    size_t tokens[LEVELS], vocab[LEVELS];
    printf("\nthe %d training reviews at each step:\n", s->n);
    printf("  %-38s %12s %10s %12s\n", "step", "tokens", "vocabulary", "vs previous");
    for (int l = 0; l < LEVELS; l++) {
        StrSet set;
        set_init(&set);
        size_t n = 0;
        for (int r = 0; r < s->n; r++) {
            level_tokens(l, s->text[r], s->len[r], &t);
            n += (size_t)t.n;
            for (int i = 0; i < t.n; i++) set_put(&set, t.tok[i], strlen(t.tok[i]));
        }
        tokens[l] = n;
        vocab[l] = set.n;
        set_free(&set);
        char rel[32] = "";
        if (l) snprintf(rel, sizeof rel, "%+.1f %%", 100.0 * ((double)vocab[l] / vocab[l - 1] - 1));
        printf("  %-38s %12zu %10zu %12s\n", LEVEL_NAME[l], tokens[l], vocab[l], rel);
        metrics_setf(mt, (double)tokens[l], "pipeline_tokens_%s", LEVEL_KEY[l]);
        metrics_setf(mt, (double)vocab[l], "pipeline_vocab_%s", LEVEL_KEY[l]);
    }
    double shrink = 100.0 * (1 - (double)vocab[STEM] / vocab[RAW]);
    printf("  the vocabulary shrinks %.1f %% from raw to stemmed (%zu → %zu words); stemming alone "
           "%.1f %%\n", shrink, vocab[RAW], vocab[STEM],
           100.0 * (1 - (double)vocab[STEM] / vocab[NOSTOP]));
    metrics_set(mt, "pipeline_vocab_shrink_pct", shrink);
    token_list_free(&t);
}

// The caveat: reviews holding "not <w>" against those holding <w>, and what stop-word removal
// leaves of "not <w>".
static void stopword_caveat(const ImdbSplit *s, Metrics *mt)
{
    static const char *const W[] = {"good", "bad", "great", "funny", "worth"};
    enum { NW = sizeof W / sizeof W[0] };
    int with_not[NW][2] = {{0}}, with_w[NW][2] = {{0}};
    TokenList t = {0};
    TokenizeOptions o = TOKENIZE_DEFAULT;
    for (int r = 0; r < s->n; r++) {
        tokenize(s->text[r], s->len[r], &o, &t);
        bool seen_not[NW] = {false}, seen_w[NW] = {false};
        for (int i = 0; i < t.n; i++)
            for (int k = 0; k < NW; k++)
                if (strcmp(t.tok[i], W[k]) == 0) {
                    if (i > 0 && strcmp(t.tok[i - 1], "not") == 0) seen_not[k] = true;
                    else seen_w[k] = true;
                }
        for (int k = 0; k < NW; k++) {
            with_not[k][s->label[r]] += seen_not[k];
            with_w[k][s->label[r]] += seen_w[k];
        }
    }
    printf("\nthe stop-word caveat: scikit-learn's list holds \"not\" and \"no\" (%s, %s):\n",
           stopword_is("not") ? "not: yes" : "not: no", stopword_is("no") ? "no: yes" : "no: no");
    TokenizeOptions ns = o;
    ns.drop_stopwords = true;
    const char *ex = "This movie is not good, and the ending is not funny at all.";
    tokenize(ex, strlen(ex), &o, &t);
    printf("  \"%s\"\n    tokens:           ", ex);
    for (int i = 0; i < t.n; i++) printf(" %s", t.tok[i]);
    tokenize(ex, strlen(ex), &ns, &t);
    printf("\n    stop words gone:  ");
    for (int i = 0; i < t.n; i++) printf(" %s", t.tok[i]);
    printf("\n  reviews holding the phrase, and the share of them that are negative:\n");
    printf("  %-10s %8s %8s   %-10s %8s %8s\n", "phrase", "reviews", "neg %", "word alone",
           "reviews", "neg %");
    for (int k = 0; k < NW; k++) {
        int a = with_not[k][0] + with_not[k][1], b = with_w[k][0] + with_w[k][1];
        double pa = a ? 100.0 * with_not[k][0] / a : 0, pb = b ? 100.0 * with_w[k][0] / b : 0;
        char phrase[32];
        snprintf(phrase, sizeof phrase, "not %s", W[k]);
        printf("  %-10s %8d %7.1f%%   %-10s %8d %7.1f%%\n", phrase, a, pa, W[k], b, pb);
        metrics_setf(mt, (double)a, "pipeline_not_%s_reviews", W[k]);
        metrics_setf(mt, pa, "pipeline_not_%s_neg_pct", W[k]);
        metrics_setf(mt, pb, "pipeline_%s_neg_pct", W[k]);
    }
    printf("  after stop-word removal every \"not good\" is a \"good\": a bag of words can no "
           "longer tell them apart;\n  for sentiment, keep the stop words (and let bigrams keep "
           "\"not good\" whole).\n");
    token_list_free(&t);
}

static void porter_examples(Metrics *mt)
{
    static const char *const GROUPS[][6] = {
        {"connect", "connected", "connecting", "connection", "connections", NULL},
        {"caresses", "ponies", "ties", "caress", "cats", NULL},
        {"relational", "conditional", "rational", "generalization", "oscillators", NULL},
        {"university", "universe", "universal", "news", "new", NULL},
        {"brilliant", "brilliantly", "awful", "awfully", "acting", NULL},
    };
    printf("\nthe Porter stemmer (1980) on the lecture's examples — conflation, and its "
           "mistakes:\n");
    int same = 0;
    for (size_t g = 0; g < sizeof GROUPS / sizeof GROUPS[0]; g++) {
        printf(" ");
        for (int i = 0; GROUPS[g][i]; i++) {
            char w[64];
            size_t n = strlen(GROUPS[g][i]);
            memcpy(w, GROUPS[g][i], n);
            n = porter_stem(w, n);
            w[n] = 0;
            printf(" %s→%s", GROUPS[g][i], w);
            if (g == 0) same += strcmp(w, "connect") == 0;
        }
        printf("\n");
    }
    printf("  (university and universe share \"univers\": over-stemming; generalization → "
           "\"gener\" loses its meaning;\n  news → \"new\" merges two words)\n");
    metrics_set(mt, "pipeline_porter_connect_family", same);
}

void pipeline_section(Chapter *ch, const ImdbSplit *train)
{
    DL_CHECK(train && train->n > 0, "pipeline_section: no reviews");
    int r = pick_review(train);
    if (r >= 0) show_review(train, r);
    else printf("(no review with \"<br />\" and a clitic among the %d loaded)\n", train->n);
    measure_levels(train, &ch->metrics);
    stopword_caveat(train, &ch->metrics);
    porter_examples(&ch->metrics);
}
