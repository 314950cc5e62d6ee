/* 06_embeddings/embed.c — word and document representations: from one-hot and TF-IDF to
 * Word2Vec, GloVe and FastText, on real text (IMDb reviews, the text8 prefix of Wikipedia).
 * Build: make chapter6    Run: ./06_embeddings/run --quick    Bench: ./06_embeddings/run --bench
 * Sections (lecture order): 1 the text pipeline (pipeline.c), 2 sparse representations and
 *   logistic regression on IMDb (classic.c, logreg.c), 3 Word2Vec with its evaluation
 *   (word2vec_sections.c, word2vec.c, evaluate.c), 4 the skip-gram kernel ladder (bench.c),
 *   5 GloVe (glove.c), 6 FastText (word2vec.c), 7 the methods side by side (here), 8 document
 *   vectors (documents.c), 9 retrieval (retrieval.c). --bench: bench.c and classic_bench.
 * The library parts live in common/: the tokenizer and Porter stemmer, the IMDb and evaluation
 * loaders, sparse CSR features, word vocabularies and vectors (data/), the skip-gram update
 * ladder (kernels/word2vec.c), the ops of the document models (ops/).
 * Shapes: word vectors (V, D) row-major, the row order = descending corpus frequency; document
 * batches (B, T) token ids, −1 = padding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "data/imdb.h"
#include "base/files.h"
#include "base/threads.h"
#include "report/metrics.h"
#include "report/cli.h"
#include "train/chapter.h"

#include "embed.h"
#include "bench.h"
#include "classic.h"
#include "evaluate.h"
#include "documents.h"
#include "glove.h"
#include "pipeline.h"
#include "word2vec.h"

// region: flags

// Check the chapter's flags (exit 2 naming the flag) and resolve their defaults, once.
void resolve_flags(const Cli *cli, Flags *f)
{
    const struct { const char *flag; int *v, lo, hi, def; } ints[] = {
        {"epochs", &f->epochs, 1, W2V_MAX_EPOCHS, cli->quick ? 1 : 15},
        {"dim", &f->dim, 1, 1000, 100},
        {"window", &f->window, 1, 50, 5},
        {"negative", &f->negative, 1, W2V_MAX_TARGETS - 1, 5},
        {"min-count", &f->min_count, 1, 1000000, 5},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int v = *ints[i].v;
        if (v == 0 && !cli_flag_given(cli, ints[i].flag)) { *ints[i].v = ints[i].def; continue; }
        if (v < ints[i].lo || v > ints[i].hi)
            dl_die_status(DL_EXIT_USAGE, "--%s must be %d … %d, got %d", ints[i].flag,
                          ints[i].lo, ints[i].hi, v);
    }
    if (!(f->sample >= 0 && f->sample < 1))
        dl_die_status(DL_EXIT_USAGE, "--sample must be in [0, 1) (0: no subsampling), got %g",
                      (double)f->sample);
    if (f->save_vectors[0]) {   // the folder must exist and be writable before minutes of training
        char dir[512];
        snprintf(dir, sizeof dir, "%s", f->save_vectors);
        char *slash = strrchr(dir, '/');
        if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
        else snprintf(dir, sizeof dir, ".");
        if (access(dir, W_OK) != 0)
            dl_die_status(DL_EXIT_USAGE, "--save-vectors %s: cannot write into folder %s (%s)",
                          f->save_vectors, dir, strerror(errno));
    }
}

// region: data

// The IMDb splits (--quick: the 1,000 lowest ids of each class); per_class is what was asked.
static void load_imdb(const Cli *cli, ImdbSplit *train, ImdbSplit *test, int *per_class)
{
    char path[1024], err[1024];
    path_join(path, sizeof path, cli->data_dir, IMDB_DIR);
    *per_class = cli->quick ? 1000 : 0;
    if (!imdb_load(path, "train", *per_class, train, err, sizeof err) ||
        !imdb_load(path, "test", *per_class, test, err, sizeof err))
        dl_die("%s", err);
    printf("IMDb: %d training and %d test reviews from %s\n", train->n, test->n, path);
}

static void load_word_eval(const Cli *cli, WordEval *ev)
{
    char err[1024];
    if (!word_eval_load(ev, cli->data_dir, err, sizeof err)) dl_die("%s", err);
}

// region: comparison

// One cell of a table: the metric's value in fmt, or "-" when the run did not record it.
static const char *cell(const Metrics *mt, const char *key, const char *fmt, char *buf, size_t n)
{
    double v;
    if (!metrics_get(mt, key, &v)) snprintf(buf, n, "-");
    else snprintf(buf, n, fmt, v);
    return buf;
}

// Section 7: the lecture's method comparison, every cell from this run's metrics.
void comparison_section(Chapter *ch)
{
    static const struct { const char *name, *prefix, *oov, *training; } ROWS[] = {
        {"one-hot / TF-IDF", NULL, "no (unknown word: zero vector)", "counting, no training"},
        {"Word2Vec skip-gram", "w2v_sg", "no", "local windows, SGNS"},
        {"Word2Vec CBOW", "w2v_cbow", "no", "local windows, SGNS"},
        {"GloVe", "glove", "no", "global counts, weighted LSQ"},
        {"FastText", "fasttext", "yes (character n-grams)", "local windows + subwords"},
    };
    const Metrics *mt = &ch->metrics;
    printf("%-20s %9s %9s %9s %9s %8s  %-31s %s\n", "method", "analogy", "semantic", "syntactic",
           "WordSim", "train s", "out-of-vocabulary words", "training");
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char key[96], a[4][32], t[32];
        const char *p = ROWS[i].prefix;
        if (!p) {
            printf("%-20s %9s %9s %9s %9s %8s  %-31s %s\n", ROWS[i].name, "n/a", "n/a", "n/a",
                   "n/a", "-", ROWS[i].oov, ROWS[i].training);
            continue;
        }
        static const char *const SUFFIX[4] = {"analogy_acc_pct", "analogy_sem_acc_pct",
                                              "analogy_syn_acc_pct", "wordsim_spearman"};
        for (int k = 0; k < 4; k++) {
            snprintf(key, sizeof key, "%s_%s", p, SUFFIX[k]);
            cell(mt, key, k < 3 ? "%.2f%%" : "%.3f", a[k], sizeof a[k]);
        }
        snprintf(key, sizeof key, "%s_%s", p, strcmp(p, "glove") == 0 ? "train_s" : "seconds");
        printf("%-20s %9s %9s %9s %9s %8s  %-31s %s\n", ROWS[i].name, a[0], a[1], a[2], a[3],
               cell(mt, key, "%.1f", t, sizeof t), ROWS[i].oov, ROWS[i].training);
    }
    printf("(analogy: 3CosAdd on the Google set within the 30,000 most frequent words; WordSim: "
           "Spearman's rho on WordSim-353. One-hot: n/a — every two different words have cosine 0 "
           "(section 2), so 3CosAdd has no answer with a positive cosine and rho is undefined)\n");
}

// After section 8: every IMDb accuracy of the chapter in one table, with training seconds.
void imdb_table(const Chapter *ch)
{
    static const char *const ROWS[][3] = {
        {"bag of words (counts) + logistic regression", "sparse_bow", "_train_s"},
        {"TF-IDF + logistic regression", "sparse_tfidf", "_train_s"},
        {"TF-IDF + bigrams + logistic regression", "sparse_tfidf_bigram", "_train_s"},
        {"mean-pooled word vectors + logistic regression", "docs_mean", "_s"},
        {"TF-IDF-pooled word vectors + logistic regression", "docs_tfidf", "_s"},
        {"Deep Averaging Network (Iyyer et al. 2015)", "docs_dan", "_s"},
        {"1-D CNN over word vectors (Kim 2014)", "docs_cnn", "_s"},
    };
    printf("\nIMDb test accuracy, every representation of this chapter (25,000 test reviews; "
           "--quick: 2,000):\n  %-50s %9s %9s\n", "features + classifier", "accuracy", "train s");
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char key[96], acc[32], sec[32];
        snprintf(key, sizeof key, "%s_acc_pct", ROWS[i][1]);
        cell(&ch->metrics, key, "%.2f%%", acc, sizeof acc);
        snprintf(key, sizeof key, "%s%s", ROWS[i][1], ROWS[i][2]);
        printf("  %-50s %9s %9s\n", ROWS[i][0], acc, cell(&ch->metrics, key, "%.1f", sec,
                                                            sizeof sec));
    }
    printf("  anchors: TF-IDF + LR ≈ 89–90 %% (the lecture); NBSVM with bigrams 91.2 %% (Wang & "
           "Manning 2012); DAN 89.4 %% (Iyyer et al. 2015)\n");
}

#ifndef NO_MAIN
int main(int argc, char **argv)
{
    Flags f = {.sample = 1e-4f};
    const CliExtra extras[] = {
        {"corpus", 's', f.corpus, sizeof f.corpus, "train word2vec on this text (words separated "
                                                   "by white space) instead of the text8 prefix"},
        {"save-vectors", 's', f.save_vectors, sizeof f.save_vectors,
         "write the skip-gram vectors here in word2vec's text format"},
        {"epochs", 'i', &f.epochs, 0, "word2vec's epochs (0: 15, 1 --quick)"},
        {"dim", 'i', &f.dim, 0, "vector width D (0: 100)"},
        {"window", 'i', &f.window, 0, "maximum context distance (0: 5)"},
        {"negative", 'i', &f.negative, 0, "noise words per positive pair (0: 5)"},
        {"min-count", 'i', &f.min_count, 0, "drop words seen fewer times (0: 5)"},
        {"sample", 'f', &f.sample, 0, "frequent-word subsampling threshold t"},
    };
    kernels_register(&W2V_LADDER);      // --kernel w2v=… (before the flags are parsed)
    Chapter ch;
    chapter_begin(&ch, "06_embeddings", argc, argv, "Chapter 6: representations of words and "
                  "documents — TF-IDF and logistic regression on IMDb, Word2Vec (skip-gram, CBOW, "
                  "negative sampling), GloVe, FastText, document vectors and retrieval; --bench: "
                  "the skip-gram ladder vs gensim, fastText and scikit-learn", extras,
                  (int)(sizeof extras / sizeof extras[0]));
    const Cli *cli = &ch.cli;
    resolve_flags(cli, &f);
    char path[1024], err[1024];        // data first: a missing file costs no time
    if (f.corpus[0]) snprintf(path, sizeof path, "%s", f.corpus);
    else path_join(path, sizeof path, cli->data_dir, TEXT8_FILE);
    W2vCorpus corpus;                  // --quick: the corpus's first 1 MB
    if (!w2v_corpus_load(&corpus, path, cli->quick ? (size_t)1 << 20 : 0, f.min_count, err,
                         sizeof err))
        dl_die("%s", err);
    WordEval ev;
    load_word_eval(cli, &ev);
    ImdbSplit train, test;
    int per_class;
    load_imdb(cli, &train, &test, &per_class);
    printf("data: %s from %s; %d thread(s), seed %llu, skip-gram rung %s%s\n", corpus.path,
           cli->data_dir, threads_get(), (unsigned long long)cli->seed,
           ladder_selected(&W2V_LADDER)->name, cli->quick ? ", --quick" : "");
    if (cli->bench) {                  // --bench: the ladder and its peers, then TF-IDF's (bench.h)
        bench_run(&ch, &corpus, &ev);
        classic_bench(cli, &ch.metrics, &train, &test, per_class);
    } else {
        chapter_section("1. The text pipeline: from raw reviews to tokens");
        pipeline_section(&ch, &train);
        chapter_section("2. Sparse representations: one-hot, bag of words, n-grams, TF-IDF");
        sparse_section(&ch, &train, &test);
        WordVectors sg, iv;            // sections 3–6 print their own titles
        word2vec_section(&ch, &f, &corpus, &ev, &sg);
        w2v_ladder_section(&ch, &corpus);
        glove_section(&ch, &corpus.vocab, corpus.ids, corpus.n, &ev, NULL);
        fasttext_section(&ch, &f, &corpus, &ev, &sg);
        chapter_section("7. The methods side by side");
        comparison_section(&ch);
        chapter_section("8. Document vectors: pooling, a Deep Averaging Network, a text CNN");
        imdb_word_vectors(&ch, &f, &train, &iv);
        DocSpace space;
        documents_section(&ch, &train, &test, &iv, &space);
        imdb_table(&ch);
        chapter_section("9. Retrieval: the nearest reviews to a query (the first step of RAG)");
        retrieval_section(&ch, &test, &space);
        doc_space_free(&space);
        wordvec_free(&iv);
        wordvec_free(&sg);
    }
    imdb_free(&test);
    imdb_free(&train);
    word_eval_free(&ev);
    w2v_corpus_free(&corpus);
    return chapter_end(&ch);
}
#endif
