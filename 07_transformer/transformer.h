/* 07_transformer/transformer.h — what the chapter's files share: its flags, the data paths and
 * the sections, which transformer.c's main() calls in lecture order.
 *
 *   lessons.c    1–4  attention from scratch (√d_k, saturation, the causal mask), multi-head
 *                     attention and positions (sinusoidal, learned, permutation equivariance),
 *                     the block (LayerNorm, pre-LN vs post-LN, FFN/GELU, residuals), parameter
 *                     counts (one block, BERT-base, GPT-2 small)
 *   tokenizer.c  5    byte-level BPE trained in C; SentencePiece's BPE side by side
 *   transformer.c 6–8 main(); the character GPT (nanoGPT's CPU configuration), attention
 *                     heat-maps, the GPT on BPE tokens
 *   bert.c       9    an encoder trained with BERT's masked-LM objective
 *   decoding.c   10   greedy, temperature, top-k, top-p, beam search; the KV cache
 *   lora.c       11   LoRA fine-tuning of the Shakespeare GPT on the King James Bible
 *   bench.c      --bench: the attention ladder, training and generation against PyTorch
 */
#ifndef CH07_TRANSFORMER_H
#define CH07_TRANSFORMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/bpe.h"
#include "data/text.h"
#include "nn/transformer.h"
#include "train/chapter.h"

// Data files under --data DIR (`make data` writes them).
#define SHAKESPEARE_FILE "tinyshakespeare.txt"   // Karpathy's char-rnn corpus, 1,115,394 bytes
#define KJV_FILE         "bible-kjv.txt"         // Debian's bible-kjv-text, one verse a line

// The chapter's own flags (main() fills them from the command line; 0 / "" = the default,
// resolved once in main() before any section runs).
typedef struct Flags {
    char text[512];       // --text FILE: train the GPT on this text instead of tiny Shakespeare
    char finetune[512];   // --finetune FILE: LoRA's text instead of data/bible-kjv.txt
    char prompt[256];     // --prompt TEXT: the start of the samples ("ROMEO:" by default)
    bool sample;          // --sample: with --resume FILE, only generate from the checkpoint
    int iters;            // --iters N: the char GPT's optimizer steps (0: 2000; --quick 40)
    int tokens;           // --tokens N: characters/tokens to generate per sample (0: 300)
    int bpe_vocab;        // --bpe-vocab V: the BPE vocabulary (0: 512)
    int lora_rank;        // --lora-rank r (0: 8)
    int n_head;           // --n-head H: the GPT's (and BERT's) heads (0: 4)
    int d_model;          // --d-model C: their width (0: 128; --quick 64)
} Flags;

// The corpus of sections 6–11: the text, its characters and their ids.
typedef struct CharCorpus {
    char path[1024];
    uint8_t *text;        // (n) bytes
    size_t n;
    Vocab chars;          // the characters of text, sorted (data/text.h)
    int *ids;             // (n)
    size_t n_train;       // the first 90 % train, the rest validation (nanoGPT's split)
} CharCorpus;

/* The chapter's GPT for a vocabulary of V: nanoGPT's CPU configuration for tiny Shakespeare
 * (L 4, NH 4, C 128, T 64, no bias, tied head, learned positions, pre-LN), --n-head/--d-model
 * applied; --quick: L 2, C 64, T 32. Section 8's BPE model and section 9's encoder reuse the
 * sizes (transformer.c). */
GptConfig chapter_gpt_config(const Flags *f, bool quick, int V);

/* The validation characters sections 6–9 score: the whole last 10 % (--quick: its first
 * 32,768). */
size_t chapter_eval_chars(const CharCorpus *c, bool quick);

/* Next-token accuracy (%) and mean cross-entropy (nats/token, into *loss) of g on the stream
 * tokens (n) cut into rows of B and windows of T (eval_lm's layout, train/eval.h): every scored
 * position predicts the token after it from the tokens before it in its window. */
double gpt_stream_accuracy(Gpt *g, const int *tokens, size_t n, int B, int T, double *loss);

// Section functions (each prints its own title with chapter_section, fills ch->metrics).
void lessons_section(Chapter *ch, const Flags *f);                           // lessons.c, 1–4
void tokenizer_section(Chapter *ch, const Flags *f, const CharCorpus *c, Bpe *bpe); // 5: trains bpe
void gpt_section(Chapter *ch, const Flags *f, const CharCorpus *c, Gpt *g,
                 double *next_char_acc);                                      // transformer.c, 6
void attention_maps_section(Chapter *ch, const CharCorpus *c, Gpt *g);        // 7
void bpe_gpt_section(Chapter *ch, const Flags *f, const CharCorpus *c, const Bpe *bpe,
                     double char_val_loss);                                  // 8
void bert_section(Chapter *ch, const Flags *f, const CharCorpus *c, double gpt_next_char_acc);
void decoding_section(Chapter *ch, const Flags *f, Gpt *g, const CharCorpus *c); // 10
void lora_section(Chapter *ch, const Flags *f, Gpt *g, const CharCorpus *c);     // 11
void bench_section(Chapter *ch, const Flags *f, const CharCorpus *c);            // --bench

#endif
