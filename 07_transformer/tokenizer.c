/* 07_transformer/tokenizer.c — section 5: a byte-level BPE tokenizer trained in C, and
 * SentencePiece's BPE on the same text side by side.
 *
 * Byte-pair encoding (Sennrich, Haddow & Birch 2016) as GPT-2 uses it on bytes (Radford et al.
 * 2019), in the form of Karpathy's minbpe: start from the 256 byte values, merge the most
 * frequent adjacent pair into a new token, repeat (common/data/bpe.h). Because merge k only
 * builds on earlier ones, one training to V gives every smaller tokenizer as its first merges:
 * the compression curve (bytes per token against V) costs one training and a few encodings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "bench/peer.h"
#include "base/threads.h"
#include "report/plot.h"
#include "transformer.h"

/* A token's bytes as a quoted C-style string: '\n', ' ' and non-printing bytes escaped. */
static const char *show_bytes(const uint8_t *b, int n, char *buf, size_t cap)
{
    size_t k = 0;
    buf[k++] = '"';
    for (int i = 0; i < n && k + 6 < cap; i++) {
        if (b[i] == '\n') k += (size_t)snprintf(buf + k, cap - k, "\\n");
        else if (b[i] == '"' || b[i] == '\\') k += (size_t)snprintf(buf + k, cap - k, "\\%c", b[i]);
        else if (b[i] < 32 || b[i] >= 127) k += (size_t)snprintf(buf + k, cap - k, "\\x%02x", b[i]);
        else buf[k++] = (char)b[i];
    }
    buf[k++] = '"';
    buf[k] = '\0';
    return buf;
}

/* The tokenizer made of the first k merges of t: shares t's tables (do not free). */
static Bpe bpe_prefix(const Bpe *t, int k)
{
    Bpe p = *t;
    p.n_merges = k;
    p.V = 256 + k;
    return p;
}

// The lecture's example, computed: "aaabdaaabac" with 3 merges → [258, 100, 258, 97, 99].
static void lecture_example(Chapter *ch)
{
    const char *s = "aaabdaaabac";
    Bpe t;
    char err[256], buf[64];
    if (!bpe_train(&t, (const uint8_t *)s, strlen(s), 259, err, sizeof err)) dl_die("%s", err);
    int ids[16];
    size_t n = bpe_encode(&t, (const uint8_t *)s, strlen(s), ids);
    printf("The lecture's example, \"%s\" with 3 merges:\n ", s);
    for (int i = 0; i < t.n_merges; i++)
        printf(" (%d, %d) → %d %s%s", t.merges[i][0], t.merges[i][1], 256 + i,
               show_bytes(t.bytes[256 + i], t.len[256 + i], buf, sizeof buf),
               i + 1 < t.n_merges ? ";" : "\n");
    printf("  tokens:");
    for (size_t i = 0; i < n; i++) printf(" %d", ids[i]);
    static const int want[5] = {258, 100, 258, 97, 99};
    bool ok = n == 5 && memcmp(ids, want, sizeof want) == 0;
    printf("   (the lecture: 258 100 258 97 99 — %s)\n", ok ? "the same" : "DIFFERENT");
    metrics_set(&ch->metrics, "bpe_lecture_ok", ok);
    bpe_free(&t);
}

/* SentencePiece's BPE on the same training and validation text (scripts/peer_spm.py); prints
 * a line of the comparison or why it is skipped. Returns its bytes per token (a line end
 * counted as a token), 0 when skipped. */
static double sentencepiece_side_by_side(Chapter *ch, const CharCorpus *c, int V, double our_s)
{
    const uint8_t *val = c->text + c->n_train;
    size_t n_val = c->n - c->n_train;
    if (ch->cli.quick) {
        printf("  %-22s skipped with --quick (it takes a few seconds)\n", "SentencePiece BPE");
        return 0;
    }
    char dir[DL_PATH_LEN], train_path[DL_PATH_LEN], val_path[DL_PATH_LEN], vocab[16];
    cli_out_subdir(&ch->cli, "spm", dir, sizeof dir);
    if (!path_join(train_path, sizeof train_path, dir, "train.txt") ||
        !path_join(val_path, sizeof val_path, dir, "val.txt"))
        dl_die("the folder %s is too long for its files: give a shorter --out", dir);
    const char *paths[2] = {train_path, val_path};
    const uint8_t *parts[2] = {c->text, val};
    size_t sizes[2] = {c->n_train, n_val};
    for (int i = 0; i < 2; i++) {
        FILE *f = atomic_open(paths[i]);
        if (!f || fwrite(parts[i], 1, sizes[i], f) != sizes[i] || !atomic_close(f, paths[i]))
            dl_die("cannot write %s for SentencePiece: check the disk and --out", paths[i]);
    }
    snprintf(vocab, sizeof vocab, "%d", V);
    setenv("DL_SPM_TRAIN", train_path, 1);
    setenv("DL_SPM_VAL", val_path, 1);
    setenv("DL_SPM_VOCAB", vocab, 1);
    setenv("DL_SPM_DIR", dir, 1);
    static const char *const KEYS[] = {"spm_train_s", "spm_tokens", "spm_val_bytes"};
    double v[3] = {0};
    char why[600];
    if (peer_script_values(ch->cli.argv ? ch->cli.argv[0] : "./run", "peer_spm.py",
                           threads_get(), 3, KEYS, v, why, sizeof why) < 3) {
        printf("  %-22s skipped: %s\n", "SentencePiece BPE", why);
        return 0;
    }
    size_t lines = 0;
    for (size_t i = 0; i < n_val; i++) lines += val[i] == '\n';
    double with_nl = v[1] + (double)lines;
    printf("  %-22s %10.0f %12.3f %12.3f %10.2f\n", "SentencePiece BPE", v[1], v[1] / v[2],
           v[2] / v[1], v[0]);
    printf("  %-22s %10.0f %12.3f %12.3f\n", "  + 1 per line end", with_nl, with_nl / v[2],
           v[2] / with_nl);
    printf("  (SentencePiece splits at spaces, reads each line as a sentence — its newlines are "
           "not tokens — and\n   counts <unk> <s> </s> in V; ours crosses every boundary and "
           "encodes every byte. Training: ours %.2f s,\n   SentencePiece %.2f s, %.1f× %s.)\n",
           our_s, v[0], our_s < v[0] ? v[0] / our_s : our_s / v[0],
           our_s < v[0] ? "faster" : "slower");
    metrics_set(&ch->metrics, "spm_val_tokens_per_byte", v[1] / v[2]);
    metrics_set(&ch->metrics, "spm_val_tokens_per_byte_with_newlines", with_nl / v[2]);
    metrics_set(&ch->metrics, "spm_train_s", v[0]);
    return v[2] / with_nl;
}

void tokenizer_section(Chapter *ch, const Flags *f, const CharCorpus *c, Bpe *bpe)
{
    chapter_section("5. Tokenisation: a byte-level BPE trained in C");
    int V = f->bpe_vocab > 0 ? f->bpe_vocab : 512;
    lecture_example(ch);

    // Train on the training part of the corpus.
    char err[512], buf[96], lb[48], rb[48];
    double t0 = now_seconds();
    if (!bpe_train(bpe, c->text, c->n_train, V, err, sizeof err))
        dl_die("%s: %s (or lower --bpe-vocab)", c->path, err);
    double train_s = now_seconds() - t0;
    printf("\nTrained on the first %zu bytes of %s (the training part): %d merges to V = %d in "
           "%.2f s.\nThe first merges (the most frequent pairs):\n", c->n_train, c->path,
           bpe->n_merges, V, train_s);
    for (int i = 0; i < 12 && i < bpe->n_merges; i++) {
        int a = bpe->merges[i][0], b = bpe->merges[i][1];
        printf("  %3d: %-8s + %-8s → %s%s", 256 + i, show_bytes(bpe->bytes[a], bpe->len[a], lb,
               sizeof lb), show_bytes(bpe->bytes[b], bpe->len[b], rb, sizeof rb),
               show_bytes(bpe->bytes[256 + i], bpe->len[256 + i], buf, sizeof buf),
               i % 2 ? "\n" : "    ");
    }
    int longest = 256;
    for (int i = 257; i < bpe->V; i++) longest = bpe->len[i] > bpe->len[longest] ? i : longest;
    printf("  … the longest of the %d tokens: %s (%d bytes)\n", V,
           show_bytes(bpe->bytes[longest], bpe->len[longest], buf, sizeof buf),
           bpe->len[longest]);

    // Compression against vocabulary size: the first k merges of this one training.
    const uint8_t *val = c->text + c->n_train;
    size_t n_val = c->n - c->n_train;
    DL_CHECK(n_val > 0, "tokenizer_section: the corpus %s has no validation part", c->path);
    int *ids = dl_malloc(c->n * sizeof *ids, "BPE ids");
    enum { MAX_POINTS = 64 };
    float xs[MAX_POINTS], ys[MAX_POINTS];
    int n_points = 0, step = (V - 256 + MAX_POINTS - 2) / (MAX_POINTS - 1);
    step = step < 1 ? 1 : step;
    printf("\nBytes per token on the validation part (%zu bytes):\n ", n_val);
    for (int k = 0;; k += step) {
        k = k > bpe->n_merges ? bpe->n_merges : k;
        Bpe p = bpe_prefix(bpe, k);
        size_t n_tok = bpe_encode(&p, val, n_val, ids);
        xs[n_points] = (float)p.V;
        ys[n_points] = (float)((double)n_val / (double)n_tok);
        if (n_points % ((n_points < 8) ? 2 : 8) == 0 || k == bpe->n_merges)
            printf(" V %d: %.3f%s", p.V, ys[n_points], k == bpe->n_merges ? "\n" : ";");
        n_points++;
        if (k == bpe->n_merges) break;
    }

    // Round trip and speed on the validation text, speed on the training text too (1 MB).
    t0 = now_seconds();
    size_t n_tok = bpe_encode(bpe, c->text, c->n, ids);
    double enc_s = now_seconds() - t0;
    uint8_t *back = dl_malloc(c->n, "BPE round trip");
    t0 = now_seconds();
    long got = bpe_decode(bpe, ids, n_tok, back, c->n, err, sizeof err);
    double dec_s = now_seconds() - t0;
    if (got < 0) dl_die("bpe_decode: %s", err);
    size_t val_tok = bpe_encode(bpe, val, n_val, ids);
    uint8_t *val_back = dl_malloc(n_val, "BPE round trip");
    long got_val = bpe_decode(bpe, ids, val_tok, val_back, n_val, err, sizeof err);
    bool same = got == (long)c->n && memcmp(back, c->text, c->n) == 0 &&
                got_val == (long)n_val && memcmp(val_back, val, n_val) == 0;
    double bpt = (double)n_val / (double)val_tok;
    printf("At V = %d: %zu tokens for %zu validation bytes, %.3f bytes per token (%.3f tokens "
           "per byte);\n  decode(encode(text)) == text: %s; encode %.1f MB/s, decode %.0f MB/s "
           "(the whole %zu bytes)\n", V, val_tok, n_val, bpt, 1.0 / bpt,
           same ? "identical" : "DIFFERENT", (double)c->n / 1e6 / (enc_s > 1e-9 ? enc_s : 1e-9),
           (double)c->n / 1e6 / (dec_s > 1e-9 ? dec_s : 1e-9), c->n);
    metrics_set(&ch->metrics, "bpe_vocab", V);
    metrics_set(&ch->metrics, "bpe_train_s", train_s);
    metrics_set(&ch->metrics, "bpe_val_bytes_per_token", bpt);
    metrics_set(&ch->metrics, "bpe_roundtrip_ok", same);
    metrics_set(&ch->metrics, "bpe_encode_mb_s", (double)c->n / 1e6 / (enc_s > 1e-9 ? enc_s : 1e-9));
    metrics_set(&ch->metrics, "bpe_decode_mb_s", (double)c->n / 1e6 / (dec_s > 1e-9 ? dec_s : 1e-9));
    if (!same) dl_die("the BPE round trip changed the text: a bug in common/data/bpe.c");

    printf("\nSide by side on the same validation text, V = %d:\n", V);
    printf("  %-22s %10s %12s %12s %10s\n", "", "tokens", "tokens/byte", "bytes/token",
           "train s");
    printf("  %-22s %10zu %12.3f %12.3f %10.2f\n", "ours (byte-level BPE)", val_tok, 1.0 / bpt,
           bpt, train_s);
    float spm_x = (float)V, spm_y = (float)sentencepiece_side_by_side(ch, c, V, train_s);
    PlotSeries s[2] = {
        {"byte-level BPE (validation text)", xs, ys, n_points, "linespoints pt 7 ps 0.6"},
        {"SentencePiece BPE at V (a line end counted as a token)", &spm_x, &spm_y, 1,
         "points pt 9 ps 2"},
    };
    plot_lines(ch->cli.out_dir, "bpe_compression", "BPE compression against vocabulary size",
               "vocabulary size V", "bytes per token", s, spm_y > 0 ? 2 : 1, false);

    char path[DL_PATH_LEN];
    if (!path_join(path, sizeof path, ch->cli.out_dir, "bpe.txt"))
        dl_die("the folder %s is too long for bpe.txt: give a shorter --out", ch->cli.out_dir);
    if (!bpe_save(bpe, path, err, sizeof err)) dl_die("%s", err);
    printf("Tokenizer saved to %s (bpe_load reads it back).\n", path);
    free(val_back);
    free(back);
    free(ids);
}
