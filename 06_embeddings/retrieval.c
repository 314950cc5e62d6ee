/* 06_embeddings/retrieval.c — section 9: retrieval by cosine over TF-IDF-pooled review vectors,
 * the first step of retrieval-augmented generation (Lewis et al., "Retrieval-Augmented Generation
 * for Knowledge-Intensive NLP Tasks", NeurIPS 2020); see documents.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/tokenize.h"
#include "report/metrics.h"

#include "documents.h"

int doc_embed_query(const DocSpace *space, const char *text, float *q)
{
    DocIds d;
    char *texts[1] = {(char *)text};
    size_t len[1] = {strlen(text)};
    doc_ids_build(&d, texts, len, NULL, 1, space->wv, 0);
    int n = d.start[1];
    doc_pool(space->wv, d.ids, n, space->idf, q);
    doc_unit_rows(q, 1, space->D);
    doc_ids_free(&d);
    return n;
}

// The first `chars` characters of a review on one line: tags dropped, white space collapsed.
static void print_snippet(const char *s, size_t n, int chars)
{
    int shown = 0;
    bool space = false;
    for (size_t i = 0; i < n && shown < chars; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<') {   // an HTML tag such as <br />
            while (i < n && s[i] != '>') i++;
            space = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { space = true; continue; }
        if (c < 0x20 || c == 0x7f) continue;
        if (space && shown) { putchar(' '); shown++; }
        space = false;
        putchar(c);
        if ((c & 0xC0) != 0x80) shown++;   // count characters, not UTF-8 continuation bytes
        if (shown == chars) {              // finish the character's continuation bytes
            while (i + 1 < n && ((unsigned char)s[i + 1] & 0xC0) == 0x80) putchar(s[++i]);
        }
    }
    if (shown >= chars) printf("…");
}

void retrieval_section(Chapter *ch, const ImdbSplit *test, const DocSpace *space)
{
    static const struct { const char *text; int label; } queries[] = {
        {"a brilliant and moving film", 1},
        {"boring waste of time", 0},
        {"one of the best movies i have ever seen", 1},
        {"wonderful acting and a beautiful story", 1},
        {"a masterpiece , superb performances", 1},
        {"the worst movie ever made", 0},
        {"terrible acting and a stupid plot", 0},
        {"i want my money back , awful", 0},
    };
    enum { NQ = sizeof queries / sizeof queries[0], SHOW = 5, K = 10 };
    printf("index: %d test reviews as TF-IDF-pooled unit vectors (D = %d); a query is embedded "
           "the same way and the reviews are ranked by cosine. Retrieval-augmented generation "
           "(RAG) starts here: the retrieved texts would be handed to a language model as "
           "context.\n", space->n, space->D);
    float *q = dl_malloc((size_t)space->D * sizeof *q, "query");
    int idx[K];
    float sim[K];
    double p_sum = 0;
    int counted = 0;
    for (int i = 0; i < (int)NQ; i++) {
        int words = doc_embed_query(space, queries[i].text, q);
        if (!words) {
            printf("query \"%s\": no word has a vector; skipped\n", queries[i].text);
            continue;
        }
        const int k = K < space->n ? K : space->n;
        doc_top_k(space->vec, space->n, space->D, q, k, idx, sim);
        int agree = 0;
        for (int j = 0; j < k; j++) agree += space->label[idx[j]] == queries[i].label;
        double p = 100.0 * agree / k;
        p_sum += p;
        counted++;
        if (i < 2) {
            printf("\nquery \"%s\" (%s):\n", queries[i].text, queries[i].label ? "positive"
                                                                                 : "negative");
            for (int j = 0; j < SHOW && j < k; j++) {
                int r = space->index[idx[j]];
                printf("  %d. %s %.3f  ", j + 1, test->label[r] ? "pos" : "neg", (double)sim[j]);
                print_snippet(test->text[r], test->len[r], 100);
                printf("\n");
            }
        } else if (i == 2) {
            printf("\n");
        }
        printf("precision@%d of \"%s\" (%s): %.0f %%\n", k, queries[i].text,
               queries[i].label ? "pos" : "neg", p);
    }
    double p_mean = counted ? p_sum / counted : 0;
    printf("mean precision@%d (label agreement) over %d queries: %.1f %%\n", K, counted, p_mean);
    metrics_set(&ch->metrics, "docs_retrieval_p_at_10_pct", p_mean);
    free(q);
}
