/* 08_scaling/mpi/ring.h — the ring all-reduce's schedule as plain arithmetic (no MPI).
 *
 * p ranks in a ring, each holding a vector of N floats; all want the element-wise sum
 * (Patarasuk & Yuan 2009, "Bandwidth optimal all-reduce algorithms for clusters of
 * workstations"; Baidu's ring all-reduce, Gibiansky 2017; what NCCL's ring does). The vector is
 * cut into p chunks (chunk c: ring_chunk), then two phases of p − 1 steps each, every rank
 * sending one chunk to its right neighbour (rank + 1) and receiving one from its left:
 *
 *   reduce-scatter, step s = 0 … p−2: rank r sends chunk (r − s) mod p and adds the chunk
 *       (r − s − 1) mod p it receives into its own; after it rank r holds the full sum of
 *       chunk (r + 1) mod p.
 *   all-gather, step s = 0 … p−2: rank r sends chunk (r + 1 − s) mod p (complete) and
 *       overwrites chunk (r − s) mod p with the one it receives.
 *
 * Each rank sends 2(p − 1) chunks: 2(p − 1)/p · N floats when p divides N — independent of p
 * for large p (the bandwidth term of T ≈ 2(p−1)·α + 2(p−1)/p · N·β), which is why the ring is
 * bandwidth-optimal. ring_allreduce_sim runs the schedule on p buffers in memory, so the
 * arithmetic is tested without MPI (tests/test_ddp.c); mpi/ddp.c runs it over MPI_Sendrecv.
 */
#ifndef CH08_MPI_RING_H
#define CH08_MPI_RING_H

#include <stddef.h>

/* Chunk c (0 … p−1) of a vector of n floats cut in p near-equal parts: the first n mod p
 * chunks have ⌊n/p⌋ + 1 floats, the rest ⌊n/p⌋; *off is its first index, *len its length. */
void ring_chunk(size_t n, int p, int c, size_t *off, size_t *len);

/* The chunks rank r sends and receives at step s (0 … p−2) of each phase (see above). */
int ring_rs_send(int r, int s, int p);
int ring_rs_recv(int r, int s, int p);
int ring_ag_send(int r, int s, int p);
int ring_ag_recv(int r, int s, int p);

/* Floats rank r sends in the whole all-reduce (both phases) of n floats over p ranks, counted
 * from the schedule: 2(p − 1)·n/p when p divides n (0 for p = 1). */
size_t ring_floats_sent(size_t n, int p, int r);

/* The schedule run on p buffers buf[0 … p) of n floats each, in memory: afterwards every
 * buffer holds the element-wise sum (summed in the ring's order, chunk by chunk). */
void ring_allreduce_sim(float **buf, int p, size_t n);

#endif
