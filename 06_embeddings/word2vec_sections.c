/* 06_embeddings/word2vec_sections.c — the chapter's Word2Vec and FastText sections (declared in
 * word2vec.h): train, time, evaluate, compare.
 *
 * Which rung trains: the one --kernel w2v=… picked; by default (auto) v3_hogwild on the run's
 * threads — except with --quick, where the default is v2_table_alias on one thread, so that the
 * golden --quick run gives the same numbers for a seed whatever the thread count (Hogwild's
 * threads race by design, kernels/word2vec.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/threads.h"
#include "data/tokenize.h"
#include "report/metrics.h"

#include "evaluate.h"
#include "word2vec.h"

// The rung the sections train with (see the top of this file).
static const KernelRung *section_rung(const Chapter *ch)
{
    if (W2V_LADDER.selected == NULL && ch->cli.quick)
        return ladder_find(&W2V_LADDER, "v2_table_alias");
    return ladder_selected(&W2V_LADDER);
}

static W2vConfig config_from_flags(const Chapter *ch, const Flags *f, W2vArch arch)
{
    W2vConfig c = w2v_config_default(arch);
    c.D = f->dim > 0 ? f->dim : 100;
    c.window = f->window > 0 ? f->window : 5;
    c.negative = f->negative > 0 ? f->negative : 5;
    c.epochs = f->epochs > 0 ? f->epochs : (ch->cli.quick ? 1 : 15);
    c.sample = f->sample;
    c.seed = ch->cli.seed;
    c.threads = threads_get();
    c.rung = section_rung(ch);
    if (ch->cli.quick) c.buckets = 100000;
    return c;
}

static const char *arch_name(W2vArch a)
{
    return a == W2V_SKIPGRAM ? "skip-gram" : a == W2V_CBOW ? "CBOW" : "FastText";
}

// Print the loss curves and the speed of one training run; record <prefix>_seconds,
// _words_per_s, _loss_first, _loss_last, _fixed_loss_first, _fixed_loss_last.
static void report_run(Chapter *ch, const char *prefix, const W2vConfig *c, const W2vCorpus *cp,
                       const W2vStats *st)
{
    printf("%s: D %d, window %d, %d negatives, sample %g, lr %g, %d epoch(s); rung %s on %d "
           "thread(s)\n", arch_name(c->arch), c->D, c->window, c->negative, c->sample, c->lr,
           c->epochs, st->rung, st->threads);
    printf("  mean SGNS loss per epoch, online (each pair before its update):");
    for (int e = 0; e < st->epochs; e++) printf(" %.4f", st->loss[e]);
    printf("\n  the same loss on a fixed sample after each epoch, weights frozen:");
    for (int e = 0; e < st->epochs; e++) printf(" %.4f", st->fixed_loss[e]);
    double raw_wps = st->seconds > 0 ? (double)cp->raw_words * st->epochs / st->seconds : 0;
    printf("\n  %.1f s, %.0f words/s (raw corpus words × epochs / s), %lld updates, %.1f%% of "
           "the tokens kept by subsampling\n", st->seconds, raw_wps, (long long)st->pairs,
           100.0 * (double)st->kept / ((double)cp->n * st->epochs));
    metrics_setf(&ch->metrics, st->seconds, "%s_seconds", prefix);
    metrics_setf(&ch->metrics, raw_wps, "%s_words_per_s", prefix);
    metrics_setf(&ch->metrics, st->loss[0], "%s_loss_first", prefix);
    metrics_setf(&ch->metrics, st->loss[st->epochs - 1], "%s_loss_last", prefix);
    metrics_setf(&ch->metrics, st->fixed_loss[0], "%s_fixed_loss_first", prefix);
    metrics_setf(&ch->metrics, st->fixed_loss[st->epochs - 1], "%s_fixed_loss_last", prefix);
}

static bool have_eval(const WordEval *ev)
{
    return ev && (ev->analogy.n > 0 || ev->wordsim.n > 0 || ev->simlex.n > 0);
}

static const char *const PROBES[] = {"king", "france", "computer", "three", "good", "running"};
#define N_PROBES ((int)(sizeof PROBES / sizeof PROBES[0]))

static const char *const PCA_WORDS[] = {
    "france", "paris", "germany", "berlin", "italy", "rome", "spain", "madrid",
    "japan", "tokyo", "china", "beijing", "russia", "moscow",
    "king", "queen", "man", "woman", "boy", "girl",
};

static bool train_or_die(const W2vCorpus *cp, const W2vConfig *c, WordVectors *wv, W2vStats *st)
{
    char err[512];
    if (!w2v_train(&cp->vocab, cp->ids, cp->n, c, wv, st, err, sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        exit(1);
    }
    return true;
}

void word2vec_section(Chapter *ch, const Flags *f, const W2vCorpus *cp, const WordEval *ev,
                      WordVectors *sg_out)
{
    chapter_section("3. Word2Vec: skip-gram and CBOW with negative sampling");
    printf("corpus %s: %lld words, %d distinct kept (min-count), %zu dropped; trained on %zu\n",
           cp->path, (long long)cp->raw_words, cp->vocab.V, cp->n_dropped, cp->n);
    metrics_set(&ch->metrics, "w2v_vocab", cp->vocab.V);
    metrics_set(&ch->metrics, "w2v_corpus_words", (double)cp->raw_words);

    // skip-gram
    W2vConfig sg = config_from_flags(ch, f, W2V_SKIPGRAM);
    W2vStats st;
    train_or_die(cp, &sg, sg_out, &st);
    report_run(ch, "w2v_sg", &sg, cp, &st);
    if (have_eval(ev)) evaluate_vectors(ch, sg_out, ev, "w2v_sg", true);
    print_neighbours(sg_out, NULL, PROBES, N_PROBES, 5);
    if (f->save_vectors[0]) {
        char err[512];
        if (!wordvec_save_text(sg_out, f->save_vectors, err, sizeof err))
            dl_die("--save-vectors: %s", err);
        printf("skip-gram vectors saved to %s (word2vec text format)\n", f->save_vectors);
    }
    plot_words_pca(ch->cli.out_dir, "w2v_pca", "skip-gram vectors, first two principal "
                   "components", sg_out, PCA_WORDS, (int)(sizeof PCA_WORDS / sizeof PCA_WORDS[0]),
                   false);

    // CBOW
    W2vConfig cb = config_from_flags(ch, f, W2V_CBOW);
    WordVectors cbv;
    train_or_die(cp, &cb, &cbv, &st);
    report_run(ch, "w2v_cbow", &cb, cp, &st);
    if (have_eval(ev)) evaluate_vectors(ch, &cbv, ev, "w2v_cbow", true);
    print_neighbours(&cbv, NULL, PROBES, 3, 5);
    wordvec_free(&cbv);

    // The noise distribution: unigram^0.75 against uniform and raw frequency (skip-gram, a
    // third of the epochs, all of them with --full). Measured at 5 epochs on the text8 prefix
    // (2 Hogwild threads): 3.65 %, 1.20 %, 3.80 % — uniform noise is clearly worse; between
    // unigram^0.75 and raw unigram the gap is inside the run-to-run spread (±0.5 points).
    if (!have_eval(ev) || ev->analogy.n == 0) return;
    static const struct { NoiseKind k; const char *name, *key; } NOISE[] = {
        {NOISE_UNIGRAM75, "unigram^0.75", "u075"},
        {NOISE_UNIFORM, "uniform", "uniform"},
        {NOISE_UNIGRAM, "unigram", "unigram"},
    };
    W2vConfig nc = sg;
    nc.epochs = ch->cli.full ? sg.epochs : sg.epochs >= 3 ? sg.epochs / 3 : 1;   // --full: all
    printf("\nnoise distribution for the negatives (skip-gram, %d epoch(s)), analogy accuracy:\n"
           "  %-14s %9s %9s %9s %8s\n", nc.epochs, "noise", "overall", "semantic", "syntactic",
           "loss");
    for (int k = 0; k < 3; k++) {
        nc.noise = NOISE[k].k;
        WordVectors wv;
        train_or_die(cp, &nc, &wv, &st);
        AnalogyResult a = analogy_accuracy(&wv, &ev->analogy, ANALOGY_RESTRICT, NULL);
        printf("  %-14s %8.2f%% %8.2f%% %8.2f%% %8.4f\n", NOISE[k].name, a.acc_pct,
               a.sem_acc_pct, a.syn_acc_pct, st.loss[st.epochs - 1]);
        metrics_setf(&ch->metrics, a.acc_pct, "w2v_noise_%s_acc_pct", NOISE[k].key);
        wordvec_free(&wv);
    }
    printf("  (the loss is not comparable across rows: each row's negatives come from its own "
           "distribution)\n");
}

// Misspelled and unseen words: FastText builds their vectors from n-grams.
static const char *const OOV_WORDS[][2] = {
    {"goverment", "government"}, {"langauge", "language"},  {"recieve", "receive"},
    {"reinterpretations", "interpretation"}, {"computerized", "computer"},
    {"unfriendliness", "friendly"},
};
#define N_OOV ((int)(sizeof OOV_WORDS / sizeof OOV_WORDS[0]))

static float cosine(const float *a, const float *b, int D)
{
    double ab = 0, aa = 0, bb = 0;
    for (int d = 0; d < D; d++) {
        ab += (double)a[d] * b[d];
        aa += (double)a[d] * a[d];
        bb += (double)b[d] * b[d];
    }
    return aa > 0 && bb > 0 ? (float)(ab / sqrt(aa * bb)) : 0.0f;
}

void fasttext_section(Chapter *ch, const Flags *f, const W2vCorpus *cp, const WordEval *ev,
                      const WordVectors *sg)
{
    chapter_section("6. FastText: subword vectors (character n-grams)");
    W2vConfig c = config_from_flags(ch, f, W2V_FASTTEXT);
    char err[512];
    W2vModel m;
    W2vStats st;
    if (!w2v_train_model(&cp->vocab, cp->ids, cp->n, &c, &m, &st, err, sizeof err)) {
        fprintf(stderr, "error: %s\n", err);
        exit(1);
    }
    printf("n-grams %d … %d of \"<word>\", hashed (FNV-1a) into %d rows beside the %d word rows "
           "(fastText: 2,000,000)\n", c.minn, c.maxn, c.buckets, m.V);
    report_run(ch, "fasttext", &c, cp, &st);
    WordVectors ft;
    w2v_model_vectors(&m, &cp->vocab, &ft);
    if (have_eval(ev)) evaluate_vectors(ch, &ft, ev, "fasttext", true);
    if (have_eval(ev) && ev->analogy.n > 0 && sg) {
        AnalogyResult a = analogy_accuracy(sg, &ev->analogy, ANALOGY_RESTRICT, NULL);
        AnalogyResult b = analogy_accuracy(&ft, &ev->analogy, ANALOGY_RESTRICT, NULL);
        printf("\nanalogies (3CosAdd, %d most frequent words): %9s %9s %9s\n", ANALOGY_RESTRICT,
               "semantic", "syntactic", "overall");
        printf("  %-42s %8.2f%% %8.2f%% %8.2f%%\n", "skip-gram (words only)", a.sem_acc_pct,
               a.syn_acc_pct, a.acc_pct);
        printf("  %-42s %8.2f%% %8.2f%% %8.2f%%\n", "FastText (word + n-grams)", b.sem_acc_pct,
               b.syn_acc_pct, b.acc_pct);
        printf("  syntactic lift %+.2f points: the morphology (-ly, -est, -ing, plurals) is in the "
               "shared n-grams\n", b.syn_acc_pct - a.syn_acc_pct);
        metrics_set(&ch->metrics, "fasttext_syn_lift_pct", b.syn_acc_pct - a.syn_acc_pct);
    }

    // vectors for words never seen in training
    float *unit = dl_malloc((size_t)ft.V * ft.D * sizeof *unit, "fasttext unit rows");
    wordvec_unit_rows(&ft, unit);
    float *x = dl_malloc((size_t)ft.D * sizeof *x, "fasttext oov");
    float *y = dl_malloc((size_t)ft.D * sizeof *y, "fasttext oov");
    printf("\nwords outside the vocabulary (skip-gram has no vector for them):\n");
    double cos_sum = 0;
    int n_cos = 0;
    for (int i = 0; i < N_OOV; i++) {
        const char *w = OOV_WORDS[i][0], *ref = OOV_WORDS[i][1];
        fasttext_word_vector(&m, &cp->vocab, w, x);
        int ids[5];
        float cs[5];
        int k = nearest_cosine(unit, ft.V, ft.D, x, 5, NULL, 0, ids, cs);
        printf("  %-15s%s →", w, word_vocab_id(&cp->vocab, w) >= 0 ? " (in vocab)" : "");
        for (int j = 0; j < k; j++) printf(" %s %.2f%s", ft.words[ids[j]], cs[j], j + 1 < k ? "," : "");
        if (word_vocab_id(&cp->vocab, ref) >= 0) {
            fasttext_word_vector(&m, &cp->vocab, ref, y);
            float cr = cosine(x, y, ft.D);
            printf("   [cos with %s %.2f]", ref, cr);
            cos_sum += cr;
            n_cos++;
        }
        printf("\n");
    }
    if (n_cos > 0) metrics_set(&ch->metrics, "fasttext_oov_cos_mean", cos_sum / n_cos);
    free(unit);
    free(x);
    free(y);
    wordvec_free(&ft);
    w2v_model_free(&m);
}

// region: imdb vectors

void imdb_word_vectors(Chapter *ch, const Flags *f, const ImdbSplit *train, WordVectors *out)
{
    // The reviews through the chapter's pipeline (tokenize.h), joined into one text: a space
    // between tokens, a line end between reviews (word2vec reads both as white space).
    double t0 = now_seconds();
    TokenList tl = {0};
    size_t cap = 1 << 20, n = 0;
    char *text = dl_malloc(cap, "IMDb token text");
    for (int r = 0; r < train->n; r++) {
        tokenize(train->text[r], train->len[r], &TOKENIZE_DEFAULT, &tl);
        for (int i = 0; i < tl.n; i++) {
            size_t len = strlen(tl.tok[i]);
            if (n + len + 2 > cap) {
                while (n + len + 2 > cap) cap *= 2;
                char *grown = realloc(text, cap);
                if (!grown) dl_die("out of memory: %zu bytes for the IMDb token text", cap);
                text = grown;
            }
            memcpy(text + n, tl.tok[i], len);
            n += len;
            text[n++] = i + 1 < tl.n ? ' ' : '\n';
        }
    }
    token_list_free(&tl);
    W2vCorpus cp = {0};
    char err[512];
    if (!word_vocab_build(&cp.vocab, text, n, f->min_count, err, sizeof err) ||
        !word_vocab_encode(&cp.vocab, text, n, &cp.ids, &cp.n, &cp.n_dropped, err, sizeof err))
        dl_die("IMDb training reviews: %s", err);
    free(text);
    cp.raw_words = cp.vocab.n_tokens;
    snprintf(cp.path, sizeof cp.path, "the IMDb training reviews");
    W2vConfig c = config_from_flags(ch, f, W2V_SKIPGRAM);
    c.epochs = ch->cli.quick ? 1 : ch->cli.full ? 15 : 5;
    printf("skip-gram vectors of the %d IMDb training reviews (%lld tokens, %d words seen >= %d "
           "times), for the document models:\n", train->n, (long long)cp.raw_words, cp.vocab.V,
           f->min_count);
    W2vStats st;
    train_or_die(&cp, &c, out, &st);
    report_run(ch, "docs_w2v", &c, &cp, &st);
    metrics_set(&ch->metrics, "docs_w2v_vocab", cp.vocab.V);
    metrics_set(&ch->metrics, "docs_w2v_total_s", now_seconds() - t0);
    w2v_corpus_free(&cp);
}
