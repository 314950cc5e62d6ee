/* 08_scaling/ddp.h — section 5's pieces that tests/test_ddp.c also uses: the all-reduce cost
 * model, and running mpi/ddp under mpirun and reading its output lines.
 */
#ifndef CH08_DDP_H
#define CH08_DDP_H

#include <stdbool.h>
#include <stddef.h>

#define DDP_MAX_STEPS 256

/* Seconds of one ring all-reduce of n values of `bytes` bytes each over p ranks, links with
 * latency alpha (s) and bandwidth bw (bytes/s): T = 2(p−1)·α + 2(p−1)/p · n·bytes / bw
 * (Thakur, Rabenseifner & Gropp 2005; Patarasuk & Yuan 2009). 0 for p = 1. */
double ddp_allreduce_seconds(double n, double bytes, int p, double alpha, double bw);

/* What one run of mpi/ddp printed (its rank 0's lines; see mpi/ddp_mpi.c). */
typedef struct DdpRun {
    int ranks, batch, steps;         // from the "ddp …" line
    size_t params;
    int n_loss;                      // "step K loss X …" lines read
    double loss[DDP_MAX_STEPS];
    bool has_check;
    double max_diff;                 // "check max_abs_diff D": ring against MPI_Allreduce
    bool has_summary;
    double tok_s, compute_s, comm_s; // "summary …" (the first, warm-up step not timed)
    double bytes_sent, formula_bytes;
    bool saved;                      // a "saved FILE" line
} DdpRun;

/* Parse mpi/ddp's output; false when the "ddp" header or the summary is missing. */
bool ddp_parse(const char *out, DdpRun *r);

/* The path of mpi/ddp next to the running program (<dir of /proc/self/exe>/mpi/ddp), else
 * 08_scaling/mpi/ddp from the current folder; false when neither is an executable. */
bool ddp_find_binary(char *path, size_t len);

/* True when `mpirun` is an executable in PATH. */
bool ddp_have_mpirun(void);

/* Run `mpirun -np np bin args` (with Open MPI's root permission variables and
 * --oversubscribe), stdout and stderr into out (truncated to len); the exit status (−1 when it
 * could not start). */
int ddp_mpirun(const char *bin, int np, const char *args, char *out, size_t len);

/* Largest |a.loss[k] − b.loss[k]| over the steps both have (NAN when none). */
double ddp_max_loss_diff(const DdpRun *a, const DdpRun *b);

#endif
