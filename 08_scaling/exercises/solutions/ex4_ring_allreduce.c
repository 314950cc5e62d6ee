/* 08_scaling/exercises/solutions/ex4_ring_allreduce.c — reference solution of exercise 4. */
#include <stdlib.h>
#include <string.h>

#include "exercises.h"

static int lo_of(int c, int p, int n) { return (int)((long)c * n / p); }

void ex_ring_allreduce(float *const *buf, int p, int n, double *bytes_sent)
{
    for (int r = 0; r < p; r++) bytes_sent[r] = 0;
    float *msg = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));  // every rank's outgoing chunk
    for (int phase = 0; phase < 2; phase++)
        for (int s = 0; s < p - 1; s++) {
            for (int r = 0; r < p; r++) {           // all sends of the step, before any receive
                int c = ((phase == 0 ? r - s : r + 1 - s) % p + p) % p;
                int lo = lo_of(c, p, n), hi = lo_of(c + 1, p, n);
                memcpy(msg + lo, buf[r] + lo, sizeof(float) * (size_t)(hi - lo));
                bytes_sent[r] += 4.0 * (hi - lo);
            }
            for (int r = 0; r < p; r++) {           // rank r+1 receives r's chunk
                int c = ((phase == 0 ? r - s : r + 1 - s) % p + p) % p;
                int lo = lo_of(c, p, n), hi = lo_of(c + 1, p, n);
                float *dst = buf[(r + 1) % p];
                for (int i = lo; i < hi; i++) dst[i] = phase == 0 ? dst[i] + msg[i] : msg[i];
            }
        }
    free(msg);
}
