/* 08_scaling/mpi/ring.c — the ring all-reduce's schedule (see ring.h): which chunk each rank
 * sends and receives at each step, the bytes that makes, and the schedule run in memory.
 * Source: Patarasuk & Yuan 2009 (J. Parallel Distrib. Comput. 69(2)), §3.
 */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"

static int mod(int a, int p) { return ((a % p) + p) % p; }

void ring_chunk(size_t n, int p, int c, size_t *off, size_t *len)
{
    size_t q = n / (size_t)p, rem = n % (size_t)p, uc = (size_t)c;
    *len = q + (uc < rem ? 1 : 0);
    *off = uc * q + (uc < rem ? uc : rem);
}

int ring_rs_send(int r, int s, int p) { return mod(r - s, p); }
int ring_rs_recv(int r, int s, int p) { return mod(r - s - 1, p); }
int ring_ag_send(int r, int s, int p) { return mod(r + 1 - s, p); }
int ring_ag_recv(int r, int s, int p) { return mod(r - s, p); }

size_t ring_floats_sent(size_t n, int p, int r)
{
    size_t total = 0, off, len;
    for (int s = 0; s < p - 1; s++) {
        ring_chunk(n, p, ring_rs_send(r, s, p), &off, &len);
        total += len;
        ring_chunk(n, p, ring_ag_send(r, s, p), &off, &len);
        total += len;
    }
    return total;
}

void ring_allreduce_sim(float **buf, int p, size_t n)
{
    // Every step is simultaneous on a real ring: all sends read the state before the step, so
    // each rank's outgoing chunk is copied first (a message), then delivered.
    size_t max_len = n / (size_t)p + 1;
    float *msgs = dl_malloc((size_t)p * max_len * sizeof *msgs, "ring messages");
    for (int phase = 0; phase < 2; phase++)
        for (int s = 0; s < p - 1; s++) {
            for (int r = 0; r < p; r++) {
                size_t off, len;
                int c = phase == 0 ? ring_rs_send(r, s, p) : ring_ag_send(r, s, p);
                ring_chunk(n, p, c, &off, &len);
                memcpy(msgs + (size_t)r * max_len, buf[r] + off, len * sizeof(float));
            }
            for (int r = 0; r < p; r++) {
                const float *msg = msgs + (size_t)mod(r - 1, p) * max_len;   // from the left
                size_t off, len;
                int c = phase == 0 ? ring_rs_recv(r, s, p) : ring_ag_recv(r, s, p);
                ring_chunk(n, p, c, &off, &len);
                if (phase == 0)
                    for (size_t i = 0; i < len; i++) buf[r][off + i] += msg[i];
                else
                    memcpy(buf[r] + off, msg, len * sizeof(float));
            }
        }
    free(msgs);
}
