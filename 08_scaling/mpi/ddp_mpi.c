/* 08_scaling/mpi/ddp_mpi.c — data-parallel training of chapter 7's GPT over MPI: the program
 * 08_scaling/mpi/ddp (built by mpi.mk with mpicc; run it with mpirun -np P).
 *
 * Distributed data parallelism (Li et al. 2020, "PyTorch Distributed"; Goyal et al. 2017):
 * every rank holds the whole model (rank 0's initial weights, broadcast), and each step
 *   1. every rank draws the same global batch of B windows (one data generator, same seed on
 *      every rank) and keeps its shard: rows [r·B/P, (r+1)·B/P) — so the run sees the same
 *      data whatever P is;
 *   2. forward and backward on its B/P rows: the gradient of its shard's mean loss;
 *   3. the gradients, flattened into one vector of N floats, are summed by an all-reduce and
 *      divided by P: the gradient of the global batch's mean loss (the shards are equal);
 *   4. every rank clips and takes the same AdamW step on the same gradient: the replicas stay
 *      identical without ever sending weights.
 * The all-reduce is --allreduce ring (ring.h's schedule over MPI_Sendrecv: reduce-scatter then
 * all-gather, 2(P−1)/P·N floats sent per rank, counted and printed) or --allreduce mpi
 * (MPI_Allreduce); --check runs both every step and prints the largest difference of the
 * averaged gradients (they sum in different orders: equal to float rounding, not bitwise).
 *
 * Output (rank 0 only; 08_scaling/ddp.c and tests/test_ddp.c parse these lines):
 *   ddp ranks P batch B local L steps S params N allreduce ring|mpi
 *   step K loss X compute_ms C comm_ms M tok_s R
 *   check max_abs_diff D                      (with --check)
 *   summary tok_s R compute_s C comm_s M bytes_sent_per_rank Y formula_bytes Z
 *   saved FILE                                (with --save: rank 0 alone writes, atomically)
 * Errors: "error: …" on stderr from rank 0, exit status 2 for a bad command line (a rank count
 * that does not divide the batch), 1 for bad data.
 */
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/tape.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/files.h"
#include "base/rng.h"
#include "base/threads.h"
#include "data/text.h"
#include "nn/params.h"
#include "nn/transformer.h"
#include "ops/loss.h"
#include "optim/clip.h"
#include "optim/optimizer.h"
#include "train/checkpoint.h"
#include "train/model.h"

#include "ring.h"

#define SHAKESPEARE_FILE "tinyshakespeare.txt"   // chapter 7's corpus (07_transformer/transformer.h)

typedef struct Args {
    int steps, batch, T, layers, width, heads, threads;
    float lr;
    unsigned long long seed;
    bool ring, check;
    char save[512], data[512], text[512];
} Args;

static int g_rank, g_p;

#if defined(__SANITIZE_ADDRESS__)
// The sanitizer build (make SANITIZE=1): Open MPI keeps allocations until the process exits,
// which LeakSanitizer reports. Its plug-ins stay loaded (OMPI_MCA_mca_base_component_disable_
// dlclose, set in main) so their frames have names, and leaks through Open MPI's libraries
// are suppressed; a leak of this program's own is still reported.
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }   // whole stacks
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libmpi.so\nleak:libopen-pal.so\nleak:libopen-rte.so\nleak:mca_\n"
           "leak:libpmix\nleak:libhwloc\nleak:libevent\n";
}
#endif

// Rank 0 prints the error; every rank leaves with the same status, so mpirun fails too.
static _Noreturn void fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void fail(int status, const char *fmt, ...)
{
    if (g_rank == 0) {
        va_list ap;
        va_start(ap, fmt);
        fputs("error: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    MPI_Finalize();
    exit(status);
}

static void usage(void)
{
    if (g_rank != 0) return;
    printf("usage: mpirun -np P 08_scaling/mpi/ddp [flags]\n"
           "  --steps N        optimizer steps (20)\n"
           "  --batch B        global batch, windows per step, split B/P per rank (8)\n"
           "  --T N            context length (32)\n"
           "  --layers N --width C --heads H   the GPT (2, 64, 4)\n"
           "  --lr X           AdamW learning rate (1e-3)\n"
           "  --seed N         weights and batches (42)\n"
           "  --allreduce ring|mpi   the all-reduce used (ring)\n"
           "  --check          run both all-reduces every step and print their difference\n"
           "  --threads N      threads per rank (1)\n"
           "  --data DIR       folder of tinyshakespeare.txt (data)\n"
           "  --text FILE      train on this text instead\n"
           "  --save FILE      rank 0 writes the checkpoint (atomically)\n");
}

static long parse_int(const char *flag, const char *v, long lo, long hi)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == 0 || *end != 0 || x < lo || x > hi)
        fail(2, "%s expects an integer in [%ld, %ld], got '%s'", flag, lo, hi, v);
    return x;
}

static void parse_args(int argc, char **argv, Args *a)
{
    *a = (Args){.steps = 20, .batch = 8, .T = 32, .layers = 2, .width = 64, .heads = 4,
                .threads = 1, .lr = 1e-3f, .seed = 42, .ring = true};
    snprintf(a->data, sizeof a->data, "data");
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) { usage(); MPI_Finalize(); exit(0); }
        if (!strcmp(f, "--check")) { a->check = true; continue; }
        if (i + 1 >= argc) fail(2, "%s expects a value (see --help)", f);
        const char *v = argv[++i];
        if (!strcmp(f, "--steps")) a->steps = (int)parse_int(f, v, 1, 1000000);
        else if (!strcmp(f, "--batch")) a->batch = (int)parse_int(f, v, 1, 65536);
        else if (!strcmp(f, "--T")) a->T = (int)parse_int(f, v, 1, 4096);
        else if (!strcmp(f, "--layers")) a->layers = (int)parse_int(f, v, 1, 64);
        else if (!strcmp(f, "--width")) a->width = (int)parse_int(f, v, 1, 8192);
        else if (!strcmp(f, "--heads")) a->heads = (int)parse_int(f, v, 1, 256);
        else if (!strcmp(f, "--threads")) a->threads = (int)parse_int(f, v, 1, 64);
        else if (!strcmp(f, "--seed")) a->seed = (unsigned long long)parse_int(f, v, 0, 2147483647L);
        else if (!strcmp(f, "--lr")) {
            char *end;
            a->lr = strtof(v, &end);
            if (*v == 0 || *end != 0 || !(a->lr >= 0) || !isfinite(a->lr))
                fail(2, "--lr expects a non-negative number, got '%s'", v);
        } else if (!strcmp(f, "--allreduce")) {
            if (!strcmp(v, "ring")) a->ring = true;
            else if (!strcmp(v, "mpi")) a->ring = false;
            else fail(2, "--allreduce expects ring or mpi, got '%s'", v);
        } else if (!strcmp(f, "--save")) snprintf(a->save, sizeof a->save, "%s", v);
        else if (!strcmp(f, "--data")) snprintf(a->data, sizeof a->data, "%s", v);
        else if (!strcmp(f, "--text")) snprintf(a->text, sizeof a->text, "%s", v);
        else fail(2, "unknown flag '%s' (see --help)", f);
    }
    if (a->batch % g_p != 0)
        fail(2, "the global batch %d does not split among %d ranks (%d %% %d = %d): every rank "
             "must get the same number of rows, or the averaged gradient is not the global "
             "batch's; give --batch a multiple of %d or run mpirun -np with a divisor of %d",
             a->batch, g_p, a->batch, g_p, a->batch % g_p, g_p, a->batch);
}

// ---- the all-reduces ----

// Ring all-reduce (sum) of buf (n floats) in place over MPI_Sendrecv; tmp holds one chunk.
// Returns the bytes this rank sent.
static size_t ring_allreduce(float *buf, size_t n, float *tmp)
{
    const int right = (g_rank + 1) % g_p, left = (g_rank + g_p - 1) % g_p;
    size_t sent = 0;
    for (int phase = 0; phase < 2; phase++)
        for (int s = 0; s < g_p - 1; s++) {
            size_t so, sl, ro, rl;
            ring_chunk(n, g_p, phase == 0 ? ring_rs_send(g_rank, s, g_p) : ring_ag_send(g_rank, s, g_p), &so, &sl);
            ring_chunk(n, g_p, phase == 0 ? ring_rs_recv(g_rank, s, g_p) : ring_ag_recv(g_rank, s, g_p), &ro, &rl);
            // reduce-scatter adds what arrives; all-gather overwrites with it (received in place)
            float *dst = phase == 0 ? tmp : buf + ro;
            MPI_Sendrecv(buf + so, (int)sl, MPI_FLOAT, right, 100 + phase, dst, (int)rl, MPI_FLOAT,
                         left, 100 + phase, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (phase == 0)
                for (size_t i = 0; i < rl; i++) buf[ro + i] += tmp[i];
            sent += sl * sizeof(float);
        }
    return sent;
}

static void grads_flatten(const Params *p, float *flat)
{
    size_t k = 0;
    for (int i = 0; i < p->n; i++) {
        memcpy(flat + k, p->items[i]->grad, p->items[i]->size * sizeof *flat);
        k += p->items[i]->size;
    }
}

static void grads_unflatten(Params *p, const float *flat, float scale)
{
    size_t k = 0;
    for (int i = 0; i < p->n; i++) {
        Tensor *t = p->items[i];
        for (size_t j = 0; j < t->size; j++) t->grad[j] = flat[k + j] * scale;
        k += t->size;
    }
}

// ---- the data: every rank draws the same global batch and keeps its rows ----

static void draw_shard(Rng *rng, const int *ids, size_t n, int B, int T, int r0, int rows,
                       int *x, int *y)
{
    for (int b = 0; b < B; b++) {
        size_t off = rng_below(rng, (uint32_t)(n - (size_t)T - 1));
        if (b < r0 || b >= r0 + rows) continue;   // another rank's row: drawn, not kept
        int *xr = x + (size_t)(b - r0) * T, *yr = y + (size_t)(b - r0) * T;
        for (int t = 0; t < T; t++) { xr[t] = ids[off + t]; yr[t] = ids[off + t + 1]; }
    }
}

static void save_checkpoint(const char *path, Model *m, const Optimizer *o, int steps)
{
    CkptWriter w;
    char name[DL_CKPT_NAME], err[1024];
    ckpt_writer_init(&w, m->name);
    for (int i = 0; i < m->p.n; i++) {
        const Tensor *t = m->p.items[i];
        ckpt_put(&w, m->p.names[i], DL_CKPT_F32, t->data, t->ndim, t->shape);
    }
    for (int i = 0; i < m->p.n; i++) {
        snprintf(name, sizeof name, "optim.m.%d", i);
        ckpt_put_f32(&w, name, o->m[i], m->p.items[i]->size);
        snprintf(name, sizeof name, "optim.v.%d", i);
        ckpt_put_f32(&w, name, o->v[i], m->p.items[i]->size);
    }
    ckpt_put_u64(&w, "optim.t", (uint64_t)o->t);
    ckpt_put_u64(&w, "train.step", (uint64_t)steps);
    if (!ckpt_writer_save(&w, path, err, sizeof err)) {
        // only rank 0 gets here, the others wait at a barrier: abort them all
        fprintf(stderr, "error: --save %s: %s\n", path, err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

int main(int argc, char **argv)
{
#if defined(__SANITIZE_ADDRESS__)
    setenv("OMPI_MCA_mca_base_component_disable_dlclose", "1", 0);
    setenv("PMIX_MCA_mca_base_component_disable_dlclose", "1", 0);
#endif
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_p);
    setvbuf(stdout, NULL, _IOLBF, 0);
    Args a;
    parse_args(argc, argv, &a);
    threads_set(a.threads);

    // the text: --text FILE or <data>/tinyshakespeare.txt, characters as tokens (chapter 7)
    char path[1100], err[1024];
    if (a.text[0]) snprintf(path, sizeof path, "%s", a.text);
    else if (!path_join(path, sizeof path, a.data, SHAKESPEARE_FILE)) fail(2, "--data %s is too long", a.data);
    Text text;
    if (!text_load(path, &text, err, sizeof err))
        fail(1, "%s (the ddp program trains on tiny Shakespeare: run `make data`, or give --text FILE)", err);
    Vocab voc;
    if (!vocab_build_chars(&voc, text.bytes, text.n, err, sizeof err)) fail(1, "%s: %s", path, err);
    int *ids = dl_malloc(text.n * sizeof *ids, "character ids");
    if (!vocab_encode_chars(&voc, text.bytes, text.n, ids, err, sizeof err)) fail(1, "%s: %s", path, err);
    const size_t n_train = text.n - text.n / 10;
    if (n_train < (size_t)a.T + 2) fail(1, "%s: %zu characters is shorter than one window of %d", path, text.n, a.T + 1);

    GptConfig cfg = {.V = voc.V, .T = a.T, .L = a.layers, .NH = a.heads, .C = a.width,
                     .bias = false, .causal = true, .pos = POS_LEARNED};
    if (!gpt_config_check(&cfg, err, sizeof err)) fail(2, "%s", err);
    Rng rng;
    rng_seed(&rng, a.seed);
    Model m;
    model_init(&m, "08_scaling/ddp");
    Gpt g;
    gpt_init(&g, &m, &cfg, &rng);
    // every replica starts from rank 0's weights (they are equal anyway: same seed; the
    // broadcast is what a real run does, where ranks may be built differently)
    for (int i = 0; i < m.p.n; i++)
        MPI_Bcast(m.p.items[i]->data, (int)m.p.items[i]->size, MPI_FLOAT, 0, MPI_COMM_WORLD);

    OptConfig oc = optim_defaults(OPT_ADAMW);
    oc.lr = a.lr;
    oc.beta2 = 0.99f;
    oc.weight_decay = 0.1f;
    oc.decay_min_ndim = 2;
    Optimizer opt;
    optim_init(&opt, &oc, &m.p, &m.state);

    const size_t N = params_count(&m.p);
    const int rows = a.batch / g_p, r0 = g_rank * rows;
    float *flat = dl_malloc(N * sizeof *flat, "gradients");
    float *flat2 = a.check ? dl_malloc(N * sizeof *flat2, "gradients (check)") : NULL;
    float *tmp = dl_malloc((N / (size_t)g_p + 1) * sizeof *tmp, "ring chunk");
    int *x = dl_malloc((size_t)rows * a.T * sizeof *x, "batch"), *y = dl_malloc((size_t)rows * a.T * sizeof *y, "targets");
    Rng data_rng;
    rng_seed(&data_rng, a.seed * 2654435761ULL + 1);   // the same stream on every rank
    if (g_rank == 0)
        printf("ddp ranks %d batch %d local %d steps %d params %zu allreduce %s T %d threads %d\n",
               g_p, a.batch, rows, a.steps, N, a.ring ? "ring" : "mpi", a.T, a.threads);

    double compute_s = 0, comm_s = 0, timed_s = 0, max_diff = 0;
    size_t ring_bytes = 0;   // bytes this rank sent in one ring all-reduce, counted
    const float inv_p = 1.0f / (float)g_p;
    for (int step = 1; step <= a.steps; step++) {
        MPI_Barrier(MPI_COMM_WORLD);   // the step's time starts together on every rank
        double t0 = now_seconds();
        draw_shard(&data_rng, ids, n_train, a.batch, a.T, r0, rows, x, y);
        Batch b = {.B = rows, .T = a.T, .tokens = x, .y = y};
        params_zero_grad(&m.p);
        Tensor *logits = gpt_forward(&g, &m.tp, &b, true, NULL);
        Tensor *l = op_cross_entropy(&m.tp, logits, y);
        double local_loss = l->data[0];
        tape_backward(&m.tp, l);
        grads_flatten(&m.p, flat);
        double t1 = now_seconds();
        if (a.check) memcpy(flat2, flat, N * sizeof *flat);
        if (a.ring) ring_bytes = ring_allreduce(flat, N, tmp);
        else MPI_Allreduce(MPI_IN_PLACE, flat, (int)N, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double loss = 0;
        MPI_Allreduce(&local_loss, &loss, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        loss /= g_p;
        double t2 = now_seconds();
        if (a.check) {   // the other all-reduce on the same local gradients (untimed)
            if (a.ring) MPI_Allreduce(MPI_IN_PLACE, flat2, (int)N, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            else ring_bytes = ring_allreduce(flat2, N, tmp);
            double d = 0;
            for (size_t i = 0; i < N; i++) {
                double e = fabs((double)flat[i] * inv_p - (double)flat2[i] * inv_p);
                if (e > d) d = e;
            }
            MPI_Allreduce(MPI_IN_PLACE, &d, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (d > max_diff) max_diff = d;
        }
        double t3 = now_seconds();
        grads_unflatten(&m.p, flat, inv_p);
        clip_grad_norm(&m.p, 1.0f);
        optim_step(&opt, a.lr);
        tape_reset(&m.tp);
        double t4 = now_seconds();
        double comp = (t1 - t0) + (t4 - t3), comm = t2 - t1;
        double tok_s = (double)a.batch * a.T / (comp + comm);
        if (step > 1 || a.steps == 1) { compute_s += comp; comm_s += comm; timed_s += comp + comm; }
        if (g_rank == 0)
            printf("step %d loss %.7f compute_ms %.3f comm_ms %.3f tok_s %.1f\n", step, loss,
                   comp * 1e3, comm * 1e3, tok_s);
    }
    int timed = a.steps > 1 ? a.steps - 1 : 1;   // the first step (warm-up) is not timed
    if (g_rank == 0) {
        if (a.check) printf("check max_abs_diff %.3e\n", max_diff);
        double formula = g_p > 1 ? 2.0 * (g_p - 1) / g_p * (double)N * sizeof(float) : 0;
        printf("summary tok_s %.1f compute_s %.4f comm_s %.4f bytes_sent_per_rank %zu "
               "formula_bytes %.0f\n", (double)timed * a.batch * a.T / timed_s, compute_s,
               comm_s, ring_bytes, formula);
    }
    if (a.save[0]) {
        if (g_rank == 0) {   // one writer: the replicas are identical
            save_checkpoint(a.save, &m, &opt, a.steps);
            printf("saved %s (rank 0)\n", a.save);
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    free(flat); free(flat2); free(tmp); free(x); free(y); free(ids);
    vocab_free(&voc);
    text_free(&text);
    model_free(&m);
    threads_shutdown();
    MPI_Finalize();
    return 0;
}
