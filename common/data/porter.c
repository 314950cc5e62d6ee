/* common/data/porter.c — the Porter stemmer; see data/porter.h.
 *
 * Source: M. F. Porter, "An algorithm for suffix stripping", Program 14(3):130–137, 1980, in the
 * formulation of Snowball's porter.sbl (snowballstem.org/algorithms/porter/stemmer.html), which
 * is what Debian's `stemwords -l porter` runs. Snowball marks the regions once, on the whole word:
 *   R1 = what follows the first non-vowel that follows a vowel  (a suffix in R1 ⇔ m > 0 before it)
 *   R2 = the same rule applied again inside R1                   (a suffix in R2 ⇔ m > 1 before it)
 * where the vowels are a e i o u, and y when it does not follow a vowel (a 'y' that starts the word
 * or follows a vowel is a consonant; Snowball writes it 'Y' while stemming). Every step looks for
 * the LONGEST suffix of its list that ends the word, and applies it only when its condition holds
 * (no shorter suffix is tried after a failed condition).
 */
#include "data/porter.h"

#include <stdbool.h>
#include <string.h>

// The word being stemmed: w[0 … n) with consonant y's written 'Y'; p1, p2: R1 and R2's starts.
typedef struct Stem {
    char *w;
    size_t n, p1, p2;
} Stem;

static bool is_v(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// non-v_WXY: not a vowel, not w, x or consonant Y.
static bool is_nv_wxy(char c) { return !is_v(c) && c != 'w' && c != 'x' && c != 'Y'; }

static bool ends(const Stem *s, const char *suf)
{
    size_t k = strlen(suf);
    return k <= s->n && memcmp(s->w + s->n - k, suf, k) == 0;
}

// shortv at position end (the stem w[0 … end)): consonant (not w x Y), vowel, consonant.
static bool shortv(const Stem *s, size_t end)
{
    return end >= 3 && is_nv_wxy(s->w[end - 1]) && is_v(s->w[end - 2]) && !is_v(s->w[end - 3]);
}

// Replace the last k bytes by rep (rep no longer than the word has room for: callers only
// shorten or add one byte where the input had a removed suffix of at least that length).
static void set_to(Stem *s, size_t k, const char *rep)
{
    size_t r = strlen(rep);
    memcpy(s->w + s->n - k, rep, r);
    s->n = s->n - k + r;
}

// A suffix and its length (known at compile time: SUF("tional")).
typedef struct Suf {
    const char *s;
    size_t k;
} Suf;
#define SUF(lit) {lit, sizeof lit - 1}
#define N_OF(a) ((int)(sizeof a / sizeof a[0]))

// The longest suffix of list[0 … n) that ends the word: its index, or -1. (The last letter is
// compared first: most suffixes fail there.)
static int longest(const Stem *s, const Suf *list, int n)
{
    if (s->n == 0) return -1;
    const char last = s->w[s->n - 1];
    int best = -1;
    size_t blen = 0;
    for (int i = 0; i < n; i++) {
        size_t k = list[i].k;
        if (k > blen && k <= s->n && list[i].s[k - 1] == last &&
            memcmp(s->w + s->n - k, list[i].s, k) == 0) {
            best = i;
            blen = k;
        }
    }
    return best;
}

static void step_1a(Stem *s)
{
    static const Suf L[] = {SUF("sses"), SUF("ies"), SUF("ss"), SUF("s")};
    switch (longest(s, L, N_OF(L))) {
    case 0: s->n -= 2; break;          // sses → ss
    case 1: set_to(s, 3, "i"); break;  // ies → i
    case 3: s->n -= 1; break;          // s → (nothing); ss stays
    default: break;
    }
}

static void step_1b(Stem *s)
{
    static const Suf L[] = {SUF("eed"), SUF("ed"), SUF("ing")};
    int i = longest(s, L, N_OF(L));
    if (i < 0) return;
    if (i == 0) {                                           // eed → ee in R1
        if (s->p1 <= s->n - 3) s->n -= 1;
        return;
    }
    size_t k = i == 1 ? 2 : 3, stem = s->n - k;
    bool vowel = false;
    for (size_t j = 0; j < stem; j++) vowel |= is_v(s->w[j]);
    if (!vowel) return;
    s->n = stem;                                            // (*v*) ed, ing → (nothing)
    if (ends(s, "at") || ends(s, "bl") || ends(s, "iz")) {
        s->w[s->n++] = 'e';
    } else if (s->n >= 2 && s->w[s->n - 1] == s->w[s->n - 2] &&
               strchr("bdfgmnprt", s->w[s->n - 1])) {
        s->n -= 1;                                          // hopp → hop (not ll ss zz)
    } else if (s->n == s->p1 && shortv(s, s->n)) {
        s->w[s->n++] = 'e';                                 // (m = 1 and *o) → e
    }
}

static void step_1c(Stem *s)
{
    if (s->n == 0 || (s->w[s->n - 1] != 'y' && s->w[s->n - 1] != 'Y')) return;
    for (size_t j = 0; j + 1 < s->n; j++)
        if (is_v(s->w[j])) { s->w[s->n - 1] = 'i'; return; }
}

// One of steps 2–4: the longest suffix of from[]; when it starts at or after region, → to[].
static void replace_in(Stem *s, const Suf *from, int n_from, const char *const *to, size_t region)
{
    int i = longest(s, from, n_from);
    if (i < 0) return;
    size_t k = from[i].k;
    if (s->n - k >= region) set_to(s, k, to[i]);
}

static void step_2(Stem *s)
{
    static const Suf F[] = {SUF("tional"), SUF("enci"), SUF("anci"), SUF("abli"), SUF("entli"),
                            SUF("izer"), SUF("ization"), SUF("ational"), SUF("ation"), SUF("ator"),
                            SUF("alli"), SUF("alism"), SUF("aliti"), SUF("fulness"), SUF("ousli"),
                            SUF("ousness"), SUF("iveness"), SUF("iviti"), SUF("biliti"),
                            SUF("eli")};
    static const char *const T[] = {"tion", "ence", "ance", "able", "ent", "ize", "ize",
                                    "ate", "ate", "ate", "al", "al", "al",
                                    "ful", "ous", "ous", "ive", "ive", "ble", "e"};
    replace_in(s, F, N_OF(F), T, s->p1);
}

static void step_3(Stem *s)
{
    static const Suf F[] = {SUF("icate"), SUF("ative"), SUF("alize"), SUF("iciti"), SUF("ical"),
                            SUF("ful"), SUF("ness")};
    static const char *const T[] = {"ic", "", "al", "ic", "ic", "", ""};
    replace_in(s, F, N_OF(F), T, s->p1);
}

static void step_4(Stem *s)
{
    static const Suf F[] = {SUF("al"), SUF("ance"), SUF("ence"), SUF("er"), SUF("ic"), SUF("able"),
                            SUF("ible"), SUF("ant"), SUF("ement"), SUF("ment"), SUF("ent"),
                            SUF("ou"), SUF("ism"), SUF("ate"), SUF("iti"), SUF("ous"), SUF("ive"),
                            SUF("ize"), SUF("ion")};
    int i = longest(s, F, N_OF(F));
    if (i < 0) return;
    size_t k = F[i].k, at = s->n - k;
    if (at < s->p2) return;
    bool ion = i == N_OF(F) - 1;                            // "ion": only after s or t
    if (ion && !(at > 0 && (s->w[at - 1] == 's' || s->w[at - 1] == 't')))
        return;
    s->n = at;
}

static void step_5(Stem *s)
{
    if (s->n > 0 && s->w[s->n - 1] == 'e') {                // 5a
        size_t at = s->n - 1;
        if (at >= s->p2 || (at >= s->p1 && !shortv(s, at))) s->n = at;
    }
    if (s->n >= 2 && s->w[s->n - 1] == 'l' && s->n - 1 >= s->p2 && s->w[s->n - 2] == 'l')
        s->n -= 1;                                          // 5b: ll → l in R2
}

size_t porter_stem(char *w, size_t n)
{
    Stem s = {.w = w, .n = n, .p1 = n, .p2 = n};
    bool y_found = false;
    for (size_t i = 0; i < n; i++)          // consonant y: first letter, or after a vowel
        if (w[i] == 'y' && (i == 0 || is_v(w[i - 1]))) { w[i] = 'Y'; y_found = true; }
    size_t i = 0;
    while (i < n && !is_v(w[i])) i++;       // R1: after the first non-vowel after a vowel
    while (i < n && is_v(w[i])) i++;
    if (i < n) {
        s.p1 = i + 1;
        i++;
        while (i < n && !is_v(w[i])) i++;
        while (i < n && is_v(w[i])) i++;
        if (i < n) s.p2 = i + 1;
    }
    step_1a(&s);
    step_1b(&s);
    step_1c(&s);
    step_2(&s);
    step_3(&s);
    step_4(&s);
    step_5(&s);
    if (y_found)
        for (size_t j = 0; j < s.n; j++) if (w[j] == 'Y') w[j] = 'y';
    return s.n;
}
