/* 07_transformer/exercises/solutions/ex4_bpe_merge.c — reference solution of exercise 4.
 * Counting: for each position, how often its pair occurs, counted once per distinct pair at
 * its first occurrence — O(n²), which is plenty for an exercise (bpe.c counts incrementally). */
#include "exercises.h"

int ex_bpe_merge(int *ids, int n, int new_id, int *pair)
{
    int best = -1, best_count = 0;
    for (int i = 0; i + 1 < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = ids[j] == ids[i] && ids[j + 1] == ids[i + 1];
        if (seen) continue;                     // counted at its first occurrence
        int count = 0;
        for (int j = i; j + 1 < n; j++) count += ids[j] == ids[i] && ids[j + 1] == ids[i + 1];
        if (count > best_count) { best = i; best_count = count; }   // '>': the first wins a tie
    }
    pair[0] = ids[best];
    pair[1] = ids[best + 1];
    int m = 0;
    for (int i = 0; i < n;) {
        if (i + 1 < n && ids[i] == pair[0] && ids[i + 1] == pair[1]) { ids[m++] = new_id; i += 2; }
        else ids[m++] = ids[i++];
    }
    return m;
}
