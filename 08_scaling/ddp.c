/* 08_scaling/ddp.c — section 5: when one machine is not enough, data-parallel training.
 *
 * Data parallelism replicates the model on p workers, gives each a shard of every batch and
 * averages their gradients with an all-reduce before the (identical) optimizer step, so p
 * workers compute exactly the step one worker would on the whole batch. What it costs is the
 * all-reduce of N gradient values every step. The ring all-reduce (mpi/ring.h: reduce-scatter,
 * then all-gather, p − 1 steps each) sends 2(p−1)/p·N values per worker, so with per-message
 * latency α and per-byte time β (Thakur, Rabenseifner & Gropp 2005; Patarasuk & Yuan 2009)
 *     T ≈ 2(p−1)·α + 2(p−1)/p · N·β,
 * whose bandwidth term tends to 2N·β whatever p: adding workers does not make the all-reduce
 * slower per step, but it never becomes cheaper than moving every gradient twice.
 * The section tabulates T for GPT-2 small's 124,439,808 fp32 gradients and GPT-2 XL's on
 * common networks, then (when Open MPI is installed) runs mpi/ddp with 1 and 2 ranks on the
 * same global batch: the same losses to float rounding, ring = MPI_Allreduce, and the scaling
 * efficiency on this machine.
 */
#include "ddp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/files.h"
#include "nn/transformer.h"
#include "report/metrics.h"
#include "scaling.h"

// The losses of 1 and 2 ranks must agree this closely (nats): the 2-rank gradient sums the
// two halves' gradients after each is reduced over its own rows, the 1-rank run reduces all
// rows in one pass — the same sum in another order, equal to float rounding (~1e-7 relative
// per step), which Adam's steps carry on; 1e-4 leaves two orders of magnitude of room.
#define DDP_LOSS_TOL 1e-4
// Ring against MPI_Allreduce on the same gradients: other summation orders for p > 2 (for
// p = 2 both add the same two numbers, so they agree exactly); the averaged gradients are
// ~1e-3 at most, float rounding is ~1e-10 of that.
#define DDP_GRAD_TOL 1e-6

double ddp_allreduce_seconds(double n, double bytes, int p, double alpha, double bw)
{
    if (p <= 1) return 0;
    return 2.0 * (p - 1) * alpha + 2.0 * (p - 1) / p * n * bytes / bw;
}

// ---- running mpi/ddp ----

bool ddp_parse(const char *out, DdpRun *r)
{
    memset(r, 0, sizeof *r);
    bool header = false;
    for (const char *line = out; line && *line; ) {
        const char *nl = strchr(line, '\n');
        char buf[512];
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len >= sizeof buf) len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = 0;
        int k;
        double x;
        if (sscanf(buf, "ddp ranks %d batch %d local %*d steps %d params %zu", &r->ranks,
                   &r->batch, &r->steps, &r->params) == 4)
            header = true;
        else if (sscanf(buf, "step %d loss %lf", &k, &x) == 2) {
            if (k == r->n_loss + 1 && r->n_loss < DDP_MAX_STEPS) r->loss[r->n_loss++] = x;
        } else if (sscanf(buf, "check max_abs_diff %lf", &x) == 1) {
            r->has_check = true;
            r->max_diff = x;
        } else if (sscanf(buf, "summary tok_s %lf compute_s %lf comm_s %lf bytes_sent_per_rank %lf "
                          "formula_bytes %lf", &r->tok_s, &r->compute_s, &r->comm_s,
                          &r->bytes_sent, &r->formula_bytes) == 5)
            r->has_summary = true;
        else if (!strncmp(buf, "saved ", 6))
            r->saved = true;
        line = nl ? nl + 1 : NULL;
    }
    return header && r->has_summary;
}

static bool is_executable(const char *path) { return access(path, X_OK) == 0; }

bool ddp_find_binary(char *path, size_t len)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            if (path_join(path, len, exe, "mpi/ddp") && is_executable(path)) return true;
        }
    }
    snprintf(path, len, "08_scaling/mpi/ddp");
    return is_executable(path);
}

bool ddp_have_mpirun(void)
{
    const char *p = getenv("PATH");
    if (!p) return false;
    char dir[1024], full[1100];
    while (*p) {
        size_t k = strcspn(p, ":");
        if (k > 0 && k < sizeof dir) {
            memcpy(dir, p, k);
            dir[k] = 0;
            snprintf(full, sizeof full, "%s/mpirun", dir);
            if (is_executable(full)) return true;
        }
        p += k;
        if (*p == ':') p++;
    }
    return false;
}

int ddp_mpirun(const char *bin, int np, const char *args, char *out, size_t len)
{
    char cmd[2048];
    // Open MPI refuses to start as root (CI runs as root) without these two variables;
    // --oversubscribe lets 2 ranks start on a machine that reports fewer slots.
    snprintf(cmd, sizeof cmd, "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
             "mpirun --oversubscribe -np %d '%s' %s 2>&1", np, bin, args);
    FILE *p = popen(cmd, "r");
    if (!p) { if (len) out[0] = 0; return -1; }
    size_t n = 0;
    int c;
    while ((c = fgetc(p)) != EOF)
        if (n + 1 < len) out[n++] = (char)c;
    if (len) out[n] = 0;
    int st = pclose(p);
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

double ddp_max_loss_diff(const DdpRun *a, const DdpRun *b)
{
    int n = a->n_loss < b->n_loss ? a->n_loss : b->n_loss;
    if (n == 0) return NAN;
    double d = 0;
    for (int k = 0; k < n; k++) d = fmax(d, fabs(a->loss[k] - b->loss[k]));
    return d;
}

// ---- the cost model ----

typedef struct Network {
    const char *name, *tag;
    double gbit_s;      // link bandwidth, Gb/s (one direction)
    double alpha_us;    // per-message latency, µs (assumed, order of magnitude)
} Network;

static const Network NETS[] = {
    {"1 Gb/s Ethernet (TCP)", "eth1g", 1, 50},
    {"10 Gb/s Ethernet (TCP)", "eth10g", 10, 20},
    {"25 Gb/s Ethernet (RoCE)", "eth25g", 25, 5},
    {"100 Gb/s Ethernet (RoCE)", "eth100g", 100, 3},
    {"200 Gb/s InfiniBand HDR", "ib200g", 200, 1.5},
    {"NVLink 3 (A100, 300 GB/s)", "nvlink", 2400, 2},
};
#define N_NETS (sizeof NETS / sizeof NETS[0])

static void cost_table(Chapter *ch, const char *model, const char *tag, double n)
{
    static const int P[] = {2, 4, 16, 64, 256, 1024};
    const int np = (int)(sizeof P / sizeof P[0]);
    printf("\n%s: %.0f gradients, fp32 = %.1f MB per worker; seconds per ring all-reduce:\n",
           model, n, n * 4 / 1e6);
    printf("  %-26s %5s", "network", "α µs");
    for (int i = 0; i < np; i++) {
        char h[16];
        snprintf(h, sizeof h, "p=%d", P[i]);
        printf(" %8s", h);
    }
    printf(" %9s\n", "2N·β");
    for (size_t k = 0; k < N_NETS; k++) {
        const Network *w = &NETS[k];
        double bw = w->gbit_s * 1e9 / 8, alpha = w->alpha_us * 1e-6;
        printf("  %-26s %5.1f", w->name, w->alpha_us);
        for (int i = 0; i < np; i++) {
            double t = ddp_allreduce_seconds(n, 4, P[i], alpha, bw);
            printf(" %8.3g", t);
            if (P[i] == 1024) metrics_setf(&ch->metrics, t, "ddp_%s_%s_p1024_s", tag, w->tag);
        }
        printf(" %9.3g\n", 2 * n * 4 / bw);
    }
}

static void cost_model(Chapter *ch)
{
    GptConfig small = {.V = 50257, .T = 1024, .L = 12, .NH = 12, .C = 768, .bias = true,
                       .causal = true, .pos = POS_LEARNED};
    GptConfig xl = small;
    xl.L = 48; xl.NH = 25; xl.C = 1600;
    double n_small = (double)gpt_param_count(&small), n_xl = (double)gpt_param_count(&xl);
    printf("Ring all-reduce: T ≈ 2(p−1)·α + 2(p−1)/p · N·β (α: latency per message, β: seconds "
           "per byte).\nThe bandwidth term tends to 2N·β as p grows: each worker sends (and "
           "receives) every gradient\nabout twice, whatever p. Latencies are assumed (orders of "
           "magnitude); bandwidths are the\nlinks' nominal rates, one direction.\n");
    cost_table(ch, "GPT-2 small", "gpt2s", n_small);
    cost_table(ch, "GPT-2 XL", "gpt2xl", n_xl);
    metrics_set(&ch->metrics, "ddp_gpt2s_params", n_small);
    printf("\nOn 1 Gb/s Ethernet GPT-2 small's all-reduce alone takes %.1f s a step at p = 1024; "
           "on 200 Gb/s\nInfiniBand %.3f s. The latency term 2(p−1)·α matters only for small "
           "models or thousands of\nworkers. Real systems overlap the all-reduce with the "
           "backward pass (bucketed, Li et al. 2020)\nand halve it with bf16 gradients "
           "(section 7).\n", ddp_allreduce_seconds(n_small, 4, 1024, 50e-6, 1e9 / 8),
           ddp_allreduce_seconds(n_small, 4, 1024, 1.5e-6, 200e9 / 8));
}

// ---- the runs on this machine ----

static bool run_one(const char *bin, int np, const char *args, DdpRun *r)
{
    static char out[65536];
    int st = ddp_mpirun(bin, np, args, out, sizeof out);
    if (st != 0 || !ddp_parse(out, r)) {
        printf("mpirun -np %d %s %s failed (exit status %d); its output:\n%s\n"
               "(skipping the runs of this section)\n", np, bin, args, st, out);
        return false;
    }
    return true;
}

static void runs(Chapter *ch)
{
    const bool quick = ch->cli.quick;
    char bin[1100];
    if (!ddp_have_mpirun() || !ddp_find_binary(bin, sizeof bin)) {
        printf("\nOpen MPI is not installed (or 08_scaling/mpi/ddp is not built): the 1- and 2-rank "
               "runs are skipped.\nInstall it with `apt-get install openmpi-bin libopenmpi-dev`, "
               "then `make ddp`.\n");
        metrics_set(&ch->metrics, "ddp_mpi_available", 0);
        return;
    }
    metrics_set(&ch->metrics, "ddp_mpi_available", 1);
    char args[1024];
    const int steps = quick ? 5 : 40;
    snprintf(args, sizeof args, "--check --steps %d --seed %llu --data '%s' %s", steps,
             (unsigned long long)ch->cli.seed, ch->cli.data_dir,
             quick ? "--batch 8 --T 32 --layers 2 --width 64"
                   : "--batch 16 --T 64 --layers 4 --width 128");
    printf("\nmpi/ddp: chapter 7's GPT, the same global batch of %d windows split over the "
           "ranks, 1 thread\nper rank:\n  mpirun -np 1|2 %s %s\n", quick ? 8 : 16, bin, args);
    DdpRun one, two;
    if (!run_one(bin, 1, args, &one) || !run_one(bin, 2, args, &two)) return;
    printf("\n  %-5s %13s %13s %12s\n", "step", "loss 1 rank", "loss 2 ranks", "|diff|");
    int n = one.n_loss < two.n_loss ? one.n_loss : two.n_loss;
    for (int k = 0; k < n; k++)
        if (quick || k < 3 || (k + 1) % 10 == 0 || k == n - 1)
            printf("  %-5d %13.7f %13.7f %12.3e\n", k + 1, one.loss[k], two.loss[k],
                   fabs(one.loss[k] - two.loss[k]));
    double d = ddp_max_loss_diff(&one, &two);
    printf("max |loss difference| over %d steps: %.3e (tolerance %.0e: the same sum in another "
           "order,\nequal to float rounding) — %s\n", n, d, DDP_LOSS_TOL,
           d <= DDP_LOSS_TOL ? "equal" : "NOT EQUAL");
    printf("ring all-reduce vs MPI_Allreduce, averaged gradients, max |difference| over all "
           "steps:\n%.3e (tolerance %.0e; for p = 2 both add the same two numbers) — %s\n", two.max_diff, DDP_GRAD_TOL,
           two.has_check && two.max_diff <= DDP_GRAD_TOL ? "equal" : "NOT EQUAL");
    printf("bytes sent per rank per all-reduce: %.0f counted, 2(p−1)/p·N·4 = %.0f (N = %zu)\n",
           two.bytes_sent, two.formula_bytes, two.params);
    double eff = two.tok_s / (2 * one.tok_s);
    printf("\n  %-8s %12s %12s %12s\n", "ranks", "tokens/s", "compute s", "comm s");
    printf("  %-8d %12.0f %12.3f %12.3f\n", 1, one.tok_s, one.compute_s, one.comm_s);
    printf("  %-8d %12.0f %12.3f %12.3f\n", 2, two.tok_s, two.compute_s, two.comm_s);
    printf("scaling efficiency tokens/s(2) / (2 × tokens/s(1)) = %.2f. On this 2-core machine "
           "the two ranks\nshare the cores with everything else running (and with Open MPI's "
           "busy-polling while a rank\nwaits), so 'comm' includes waiting for the slower rank: "
           "the number measures this box, not\nthe method (1.0 would be perfect scaling).\n",
           eff);
    metrics_set(&ch->metrics, "ddp_loss_max_diff", d);
    metrics_set(&ch->metrics, "ddp_ring_vs_mpi_max_diff", two.max_diff);
    metrics_set(&ch->metrics, "ddp_ring_bytes_per_rank", two.bytes_sent);
    metrics_set(&ch->metrics, "ddp_loss_final_np1", one.loss[one.n_loss - 1]);
    metrics_set(&ch->metrics, "ddp_loss_final_np2", two.loss[two.n_loss - 1]);
    metrics_set(&ch->metrics, "ddp_np1_tok_per_s", one.tok_s);
    metrics_set(&ch->metrics, "ddp_np2_tok_per_s", two.tok_s);
    metrics_set(&ch->metrics, "ddp_efficiency_ratio", eff);
}

void ddp_section(Chapter *ch, const Flags *f)
{
    (void)f;
    chapter_section("5. When one machine is not enough: data-parallel training (MPI)");
    cost_model(ch);
    runs(ch);
}
