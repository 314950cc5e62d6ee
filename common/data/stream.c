/* common/data/stream.c — a token stream in B parallel rows cut into BPTT windows; see
 * data/stream.h. The layout is that of ptb_iterator in Zaremba et al.'s reader
 * (tensorflow/models, ptb/reader.py): data = stream[0 … B·L) viewed as (B, L), batch k =
 * data[:, kT : kT+T] and its targets data[:, kT+1 : kT+T+1], for k < ⌊(L − 1) / T⌋.
 * The random-window sampler is nanoGPT's get_batch (karpathy/nanoGPT, train.py):
 *   ix = torch.randint(len(data) - block_size, (batch_size,))
 *   x = data[i : i+block_size], y = data[i+1 : i+1+block_size] for i in ix. */
#include "data/stream.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

static int token_batcher_next(BatchSource *s, Batch *b)
{
    TokenBatcher *tb = (TokenBatcher *)s;
    int *k = &s->state[0];
    if (*k < 0 || *k >= s->steps_per_epoch) {   // end of the epoch: the next call starts over
        *k = 0;
        return 0;
    }
    const size_t T = (size_t)tb->T;
    for (int r = 0; r < tb->B; r++) {
        const int *row = tb->tokens + (size_t)r * tb->L + (size_t)*k * T;
        memcpy(tb->x + (size_t)r * T, row, T * sizeof *tb->x);
        memcpy(tb->y + (size_t)r * T, row + 1, T * sizeof *tb->y);
    }
    *b = (Batch){.B = tb->B, .T = tb->T, .tokens = tb->x, .y = tb->y, .reset_state = *k == 0};
    (*k)++;
    return tb->B;
}

bool token_batcher_init(TokenBatcher *tb, const int *tokens, size_t n, int B, int T, char *err,
                        size_t errlen)
{
    *tb = (TokenBatcher){0};
    if (B < 1 || T < 1) {
        snprintf(err, errlen, "batch size B = %d and sequence length T = %d must both be >= 1",
                 B, T);
        return false;
    }
    if (n / (size_t)B < (size_t)T + 1) {
        snprintf(err, errlen, "batch larger than the corpus allows: %d rows of T + 1 = %d tokens "
                 "need %zu tokens, the stream has %zu; use a smaller batch size or sequence "
                 "length (or a longer text)", B, T + 1, (size_t)B * ((size_t)T + 1), n);
        return false;
    }
    const size_t L = n / (size_t)B, steps = (L - 1) / (size_t)T;
    if (steps > INT_MAX || (size_t)B * (size_t)T > (size_t)INT_MAX) {
        snprintf(err, errlen, "%zu windows of B = %d by T = %d are too many to count in an int; "
                 "use a larger B or T", steps, B, T);
        return false;
    }
    *tb = (TokenBatcher){.tokens = tokens, .n = n, .B = B, .T = T, .L = L};
    tb->x = dl_malloc((size_t)B * T * sizeof *tb->x, "token batch inputs");
    tb->y = dl_malloc((size_t)B * T * sizeof *tb->y, "token batch targets");
    tb->src = (BatchSource){.next = token_batcher_next, .steps_per_epoch = (int)steps,
                            .state = &tb->pos, .n_state = 1};
    return true;
}

int token_batcher_steps(const TokenBatcher *tb)
{
    return tb->src.steps_per_epoch;
}

void token_batcher_free(TokenBatcher *tb)
{
    free(tb->x);
    free(tb->y);
    *tb = (TokenBatcher){0};
}

// ---- random windows (nanoGPT's get_batch) ----

static int window_sampler_next(BatchSource *s, Batch *b)
{
    WindowSampler *ws = (WindowSampler *)s;
    int *k = &s->state[0];
    if (*k < 0 || *k >= s->steps_per_epoch) {   // end of the "epoch": the loop evaluates
        *k = 0;
        return 0;
    }
    const size_t T = (size_t)ws->T;
    // offsets in [0, n − T − 1]: window and targets both inside the stream (nanoGPT draws
    // from [0, n − T), the same range)
    const uint32_t range = (uint32_t)(ws->n - T);
    for (int r = 0; r < ws->B; r++) {
        const size_t o = rng_below(ws->rng, range);
        memcpy(ws->x + (size_t)r * T, ws->tokens + o, T * sizeof *ws->x);
        memcpy(ws->y + (size_t)r * T, ws->tokens + o + 1, T * sizeof *ws->y);
    }
    *b = (Batch){.B = ws->B, .T = ws->T, .tokens = ws->x, .y = ws->y, .reset_state = false};
    (*k)++;
    return ws->B;
}

bool window_sampler_init(WindowSampler *ws, const int *tokens, size_t n, int B, int T,
                         int steps_per_epoch, Rng *rng, char *err, size_t errlen)
{
    *ws = (WindowSampler){0};
    if (B < 1 || T < 1 || steps_per_epoch < 1) {
        snprintf(err, errlen, "batch size B = %d, window T = %d and steps per epoch %d must all "
                 "be >= 1", B, T, steps_per_epoch);
        return false;
    }
    if (n < (size_t)T + 2) {
        snprintf(err, errlen, "the text is shorter than one window: %zu tokens, a window of "
                 "T = %d needs at least T + 2 = %d; use a shorter context (or a longer text)",
                 n, T, T + 2);
        return false;
    }
    if (n - (size_t)T > UINT32_MAX || (size_t)B * (size_t)T > (size_t)INT_MAX) {
        snprintf(err, errlen, "a stream of %zu tokens or batches of B = %d by T = %d are too "
                 "large to sample; use a smaller text or batch", n, B, T);
        return false;
    }
    DL_CHECK(rng != NULL, "window_sampler_init: rng is NULL");
    *ws = (WindowSampler){.tokens = tokens, .n = n, .B = B, .T = T, .rng = rng};
    ws->x = dl_malloc((size_t)B * T * sizeof *ws->x, "window batch inputs");
    ws->y = dl_malloc((size_t)B * T * sizeof *ws->y, "window batch targets");
    ws->src = (BatchSource){.next = window_sampler_next, .steps_per_epoch = steps_per_epoch,
                            .state = &ws->pos, .n_state = 1};
    return true;
}

void window_sampler_free(WindowSampler *ws)
{
    free(ws->x);
    free(ws->y);
    *ws = (WindowSampler){0};
}
