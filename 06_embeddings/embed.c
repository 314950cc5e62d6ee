/* 06_embeddings/embed.c — word and document representations: from one-hot and TF-IDF to
 * Word2Vec, GloVe and FastText, on real text (IMDb reviews, the text8 prefix of Wikipedia).
 * Build: make chapter6    Run: ./06_embeddings/run --quick    Bench: ./06_embeddings/run --bench
 * Sections (lecture order): 1 text pipeline, 2 sparse representations and logistic regression
 *   on IMDb, 3 Word2Vec, 4 evaluation, 5 the skip-gram kernel ladder, 6 GloVe, 7 FastText,
 *   8 the method comparison, 9 document vectors, 10 retrieval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "data/imdb.h"
#include "base/threads.h"
#include "report/cli.h"
#include "train/chapter.h"

#include "embed.h"
#include "bench.h"
#include "classic.h"
#include "evaluate.h"
#include "pipeline.h"
#include "word2vec.h"

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
    printf("data: %s; %d thread(s), seed %llu%s\n", ch.cli.data_dir, threads_get(),
           (unsigned long long)ch.cli.seed, ch.cli.quick ? ", --quick" : "");
    // defaults resolved once (embed.h)
    if (f.epochs <= 0) f.epochs = ch.cli.quick ? 1 : 15;
    if (f.dim <= 0) f.dim = 100;
    if (f.window <= 0) f.window = 5;
    if (f.negative <= 0) f.negative = 5;
    if (f.min_count <= 0) f.min_count = 5;
    // Word2Vec's corpus: --corpus, else the text8 prefix; --quick trains on its first 1 MB
    char path[1024], err[1024];
    if (f.corpus[0]) snprintf(path, sizeof path, "%s", f.corpus);
    else snprintf(path, sizeof path, "%s/%s", ch.cli.data_dir, TEXT8_FILE);
    W2vCorpus corpus;
    if (!w2v_corpus_load(&corpus, path, ch.cli.quick ? (size_t)1 << 20 : 0, f.min_count, err,
                         sizeof err))
        dl_die("%s", err);
    if (ch.cli.bench) {          // --bench: the skip-gram ladder and its peers (bench.h)
        WordEval bev;
        if (!word_eval_load(&bev, ch.cli.data_dir, err, sizeof err)) dl_die("%s", err);
        bench_run(&ch, &corpus, &bev);
        word_eval_free(&bev);
        w2v_corpus_free(&corpus);
        return chapter_end(&ch);
    }
    // The IMDb training split (--quick: the 1,000 lowest ids of each class).
    snprintf(path, sizeof path, "%s/%s", ch.cli.data_dir, IMDB_DIR);
    ImdbSplit train;
    if (!imdb_load(path, "train", ch.cli.quick ? 1000 : 0, &train, err, sizeof err))
        dl_die("%s", err);
    printf("IMDb: %d training reviews from %s\n", train.n, path);
    chapter_section("1. The text pipeline: from raw reviews to tokens");
    pipeline_section(&ch, &train);
    ImdbSplit test;
    if (!imdb_load(path, "test", ch.cli.quick ? 1000 : 0, &test, err, sizeof err)) dl_die("%s", err);
    chapter_section("2. Sparse representations: one-hot, bag of words, n-grams, TF-IDF");
    sparse_section(&ch, &train, &test);
    // sections are added here as their parts land
    // 3-7. Word2Vec, the skip-gram ladder, FastText on the text8 prefix (or --corpus)
    WordEval ev;
    if (!word_eval_load(&ev, ch.cli.data_dir, err, sizeof err)) dl_die("%s", err);
    WordVectors sg;
    word2vec_section(&ch, &f, &corpus, &ev, &sg);
    w2v_ladder_section(&ch, &corpus);
    fasttext_section(&ch, &f, &corpus, &ev, &sg);
    wordvec_free(&sg);
    word_eval_free(&ev);
    w2v_corpus_free(&corpus);
    imdb_free(&test);
    imdb_free(&train);
    return chapter_end(&ch);
}
#endif
