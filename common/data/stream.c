/* common/data/stream.c — a token stream in B parallel rows cut into BPTT windows; see
 * data/stream.h. The layout is that of ptb_iterator in Zaremba et al.'s reader
 * (tensorflow/models, ptb/reader.py): data = stream[0 … B·L) viewed as (B, L), batch k =
 * data[:, kT : kT+T] and its targets data[:, kT+1 : kT+T+1], for k < ⌊(L − 1) / T⌋. */
#include "data/stream.h"

#include <limits.h>
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
