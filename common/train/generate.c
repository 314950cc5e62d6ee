/* common/train/generate.c — sampling a token; see train/generate.h. */
#include "train/generate.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/error.h"

int sample_token(const float *logits, int V, float temperature, int top_k, Rng *rng)
{
    DL_CHECK(V >= 1, "sample_token: V must be >= 1, got %d", V);
    DL_CHECK(temperature >= 0.0f, "sample_token: temperature must be >= 0, got %g",
             (double)temperature);
    int best = 0;
    for (int i = 1; i < V; i++) best = logits[i] > logits[best] ? i : best;
    if (temperature <= 1e-6f || top_k == 1) return best;
    // The k-th largest logit is the cut-off: a token is kept when it is larger, or equal and
    // among the first of the equal ones (so exactly k are kept).
    float cut = -INFINITY;
    int keep_equal = V;
    if (top_k > 0 && top_k < V) {
        float *sorted = dl_malloc((size_t)V * sizeof *sorted, "sample_token");
        for (int i = 0; i < V; i++) sorted[i] = logits[i];
        // partial selection sort of the k largest: k is small (40), V up to ~50k
        for (int j = 0; j < top_k; j++) {
            int m = j;
            for (int i = j + 1; i < V; i++) m = sorted[i] > sorted[m] ? i : m;
            float t = sorted[j];
            sorted[j] = sorted[m], sorted[m] = t;
        }
        cut = sorted[top_k - 1];
        int above = 0;
        for (int i = 0; i < V; i++) above += logits[i] > cut;
        keep_equal = top_k - above;    // how many logits equal to cut are kept
        free(sorted);
    }
    // p_i ∝ exp((l_i - l_max) / τ) over the kept tokens; inverse-CDF with one uniform draw
    double total = 0.0;
    int equal_seen = 0;
    double *w = dl_malloc((size_t)V * sizeof *w, "sample_token");
    for (int i = 0; i < V; i++) {
        bool kept = logits[i] > cut || (logits[i] == cut && equal_seen++ < keep_equal);
        w[i] = kept ? exp((double)(logits[i] - logits[best]) / temperature) : 0.0;
        total += w[i];
    }
    double u = rng_uniform(rng) * total, acc = 0.0;
    int pick = best;
    for (int i = 0; i < V; i++) {
        if (w[i] == 0.0) continue;
        acc += w[i];
        pick = i;
        if (u < acc) break;
    }
    free(w);
    return pick;
}
