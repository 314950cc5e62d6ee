/* common/data/tokenize.h — turning raw text into word tokens (chapter 6's text pipeline).
 *
 * The steps, each switchable (TokenizeOptions), in this order:
 *   1. strip_html    HTML tags (IMDb's "<br />") become a space
 *   2. strip_urls    "http://…", "https://…", "www.…" up to the next white space (or HTML tag)
 *                    become a space
 *   3. lowercase     ASCII A–Z → a–z (bytes >= 0x80 are kept as they are)
 *   4. split on white space and punctuation, Penn Treebank style: clitics split off
 *      ("it's" → "it" "'s", "don't" → "do" "n't", "they're" → "they" "'re", also 'll 've 'd 'm),
 *      punctuation marks become their own tokens ("good." → "good" "."; a run of one mark such
 *      as "..." or "!!!" is one token), words with inner hyphens or apostrophes stay whole
 *      ("well-made", "o'brien"); digits are kept, with inner '.' and ',' between digits
 *      ("3.5", "10,000"); bytes >= 0x80 (UTF-8) are word characters
 *   5. drop_punct    tokens with no letter or digit are dropped
 *   6. drop_stopwords  tokens in the English stop-word list (stopword_is) are dropped — the
 *      lecture's caveat: the list holds "not" and "no", so "not good" becomes "good"
 *   7. stem          every token made only of a–z through the Porter stemmer (data/porter.h);
 *                    a token whose stem would be empty ("s") is kept as it is
 * Source: the Penn Treebank tokenizer's conventions (Marcus et al. 1993; NLTK's
 * TreebankWordTokenizer); the stop-word list is scikit-learn's ENGLISH_STOP_WORDS (from the
 * Glasgow Information Retrieval Group).
 */
#ifndef DL_DATA_TOKENIZE_H
#define DL_DATA_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct TokenizeOptions {
    bool strip_html, strip_urls, lowercase, drop_punct, drop_stopwords, stem;
} TokenizeOptions;

// The chapter's default pipeline: everything but stop-word removal and stemming.
#define TOKENIZE_DEFAULT \
    ((TokenizeOptions){.strip_html = true, .strip_urls = true, .lowercase = true, \
                       .drop_punct = true, .drop_stopwords = false, .stem = false})

// Tokens of one text: tok[i] points into buf (0-terminated each).
typedef struct TokenList {
    int n;                 // tokens
    char **tok;            // (n)
    char *buf;             // their bytes
    int cap_tok;           // capacities (internal)
    size_t cap_buf;
} TokenList;

/* Tokenize text[0 … n) (any bytes; a NUL ends nothing: it is white space) into out, which is
 * reset first (its memory reused); out must be zeroed before the first call. Memory: about 3n
 * bytes plus a pointer per token, kept between calls (token_list_free releases it); n < 1 GB. */
void tokenize(const char *text, size_t n, const TokenizeOptions *o, TokenList *out);
void token_list_free(TokenList *t);

/* True when w (lower case) is an English stop word (scikit-learn's 318-word list). */
bool stopword_is(const char *w);

#endif
