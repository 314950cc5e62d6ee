/* tests/test_ddp.c — chapter 8's data-parallel training (section 5, 08_scaling/mpi/).
 *
 * Without MPI: the ring all-reduce's schedule (08_scaling/mpi/ring.c) — chunks that tile the
 * vector, 2(p−1)/p·N floats sent per rank, every rank ending with the sum when the schedule is
 * run in memory — the cost model's formula, and the parser of mpi/ddp's output.
 * With Open MPI (mpirun on PATH and 08_scaling/mpi/ddp built, else skipped with a notice): 2
 * ranks give the losses of 1 rank on the same global batch (within 1e-4 nats), the ring equals
 * MPI_Allreduce, a rank count that does not divide the batch is an error, and rank 0 alone
 * writes the checkpoint.
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "train/checkpoint.h"

#include "../08_scaling/ddp.c"
#include "../08_scaling/mpi/ring.c"

#define DDP_BIN BINDIR "/08_scaling/mpi/ddp"

START_TEST(test_ring_chunks_tile_the_vector_and_count_the_bytes)
{
    const size_t ns[] = {0, 1, 5, 7, 12, 100, 101, 1000003};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (int p = 1; p <= 9; p++) {
            size_t n = ns[i], next = 0, total = 0;
            for (int c = 0; c < p; c++) {
                size_t off, len;
                ring_chunk(n, p, c, &off, &len);
                ck_assert_uint_eq(off, next);               // contiguous, in order
                ck_assert(len == n / p || len == n / p + 1); // near-equal
                next = off + len;
            }
            ck_assert_uint_eq(next, n);                     // the whole vector
            // every chunk is sent p − 1 times in each phase: 2(p−1)·n floats by all ranks
            for (int r = 0; r < p; r++) total += ring_floats_sent(n, p, r);
            ck_assert_uint_eq(total, 2 * (size_t)(p - 1) * n);
            if (n % (size_t)p == 0)
                for (int r = 0; r < p; r++)
                    ck_assert_uint_eq(ring_floats_sent(n, p, r), 2 * (size_t)(p - 1) * n / p);
        }
    // GPT-2 small over 4 ranks: 2·3/4·124,439,808 floats = 746,638,848 bytes per rank
    ck_assert_uint_eq(ring_floats_sent(124439808, 4, 0) * 4, 746638848u);
    // the schedule's neighbours: what rank r receives at step s is what r − 1 sends
    for (int p = 2; p <= 6; p++)
        for (int s = 0; s < p - 1; s++)
            for (int r = 0; r < p; r++) {
                ck_assert_int_eq(ring_rs_recv(r, s, p), ring_rs_send((r + p - 1) % p, s, p));
                ck_assert_int_eq(ring_ag_recv(r, s, p), ring_ag_send((r + p - 1) % p, s, p));
            }
}
END_TEST

START_TEST(test_ring_schedule_in_memory_leaves_the_sum_on_every_rank)
{
    Rng rng;
    rng_seed(&rng, 7);
    const size_t ns[] = {1, 3, 10, 257};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (int p = 1; p <= 7; p++) {
            size_t n = ns[i];
            float *buf[7];
            float *want = dl_malloc(n * sizeof *want, "want");
            double *sum = dl_malloc(n * sizeof *sum, "sum");
            memset(sum, 0, n * sizeof *sum);
            for (int r = 0; r < p; r++) {
                buf[r] = dl_malloc(n * sizeof *buf[r], "buf");
                for (size_t j = 0; j < n; j++) {
                    buf[r][j] = rng_uniform_range(&rng, -1, 1);
                    sum[j] += buf[r][j];
                }
            }
            for (size_t j = 0; j < n; j++) want[j] = (float)sum[j];
            ring_allreduce_sim(buf, p, n);
            for (int r = 0; r < p; r++) {
                dl_ck_close("ring sum", buf[r], want, n, 1e-5, 1e-5);
                // every rank holds the same bits: each chunk was summed once and copied
                ck_assert(memcmp(buf[r], buf[0], n * sizeof(float)) == 0);
            }
            for (int r = 0; r < p; r++) free(buf[r]);
            free(want);
            free(sum);
        }
}
END_TEST

START_TEST(test_cost_model)
{
    // bandwidth term: 2(p−1)/p·N·bytes/bw; p = 2, 1e6 floats at 1 GB/s: 4 ms
    ck_assert_double_eq_tol(ddp_allreduce_seconds(1e6, 4, 2, 0, 1e9), 4e-3, 1e-12);
    // latency term: 2(p−1)·α
    ck_assert_double_eq_tol(ddp_allreduce_seconds(1, 4, 1024, 1e-6, 1e30), 2 * 1023 * 1e-6, 1e-12);
    ck_assert_double_eq(ddp_allreduce_seconds(1e6, 4, 1, 1, 1), 0);
    // tends to 2N·β: GPT-2 small on 1 Gb/s Ethernet, about 7.96 s at p = 1024
    double t = ddp_allreduce_seconds(124439808, 4, 1024, 0, 1e9 / 8);
    ck_assert_double_eq_tol(t, 2.0 * 1023 / 1024 * 124439808 * 4 / 125e6, 1e-9);
    ck_assert(t < 2.0 * 124439808 * 4 / 125e6 && t > 7.9);
}
END_TEST

START_TEST(test_parse_output)
{
    const char *out =
        "some warning from mpirun\n"
        "ddp ranks 2 batch 8 local 4 steps 3 params 104832 allreduce ring T 32 threads 1\n"
        "step 1 loss 4.1801534 compute_ms 3.9 comm_ms 0.5 tok_s 58386.3\n"
        "step 2 loss 4.0622213 compute_ms 2.1 comm_ms 39.8 tok_s 6089.2\n"
        "step 3 loss 3.9718821 compute_ms 2.0 comm_ms 34.1 tok_s 7078.4\n"
        "check max_abs_diff 1.500e-09\n"
        "summary tok_s 7222.7 compute_s 0.0235 comm_s 0.2955 bytes_sent_per_rank 419328 formula_bytes 419328\n"
        "saved /tmp/x.ckpt (rank 0)\n";
    DdpRun r;
    ck_assert(ddp_parse(out, &r));
    ck_assert_int_eq(r.ranks, 2);
    ck_assert_int_eq(r.batch, 8);
    ck_assert_uint_eq(r.params, 104832);
    ck_assert_int_eq(r.n_loss, 3);
    ck_assert_double_eq_tol(r.loss[2], 3.9718821, 1e-9);
    ck_assert(r.has_check && r.max_diff == 1.5e-9);
    ck_assert_double_eq_tol(r.tok_s, 7222.7, 1e-9);
    ck_assert_double_eq(r.bytes_sent, 419328);
    ck_assert(r.saved);
    ck_assert(!ddp_parse("step 1 loss 3\n", &r));   // no header, no summary
}
END_TEST

// ---- with Open MPI ----

static bool have_mpi(void)
{
    return ddp_have_mpirun() && access(DDP_BIN, X_OK) == 0;
}

// The end of a long output, for a failure message (Check's messages are limited).
static const char *tail(const char *out)
{
    size_t n = strlen(out);
    return n > 3000 ? out + n - 3000 : out;
}

static void run_ok(int np, const char *args, DdpRun *r)
{
    static char out[65536];
    int st = ddp_mpirun(DDP_BIN, np, args, out, sizeof out);
    ck_assert_msg(st == 0, "mpirun -np %d %s %s: exit status %d\n%s", np, DDP_BIN, args, st, tail(out));
    ck_assert_msg(ddp_parse(out, r), "unexpected output:\n%s", tail(out));
}

START_TEST(test_two_ranks_equal_one_and_ring_equals_mpi_allreduce)
{
    const char *args = "--check --steps 6 --batch 8 --T 16 --width 32 --layers 2 --data data";
    DdpRun one, two, two_mpi;
    run_ok(1, args, &one);
    run_ok(2, args, &two);
    ck_assert_int_eq(one.n_loss, 6);
    ck_assert_int_eq(two.n_loss, 6);
    double d = ddp_max_loss_diff(&one, &two);
    ck_assert_msg(d <= DDP_LOSS_TOL, "losses of 1 and 2 ranks differ by %g", d);
    // the runs learn: the loss falls (so equal losses are not two constants)
    ck_assert(two.loss[5] < two.loss[0]);
    // ring against MPI_Allreduce on the same gradients, every step
    ck_assert(two.has_check);
    ck_assert_msg(two.max_diff <= DDP_GRAD_TOL, "ring vs MPI_Allreduce: %g", two.max_diff);
    // the ring's bytes, counted by the MPI code, are the schedule's 2(p−1)/p·N·4
    ck_assert_double_eq(two.bytes_sent, 2.0 * 1 / 2 * (double)two.params * 4);
    ck_assert_double_eq(two.bytes_sent, two.formula_bytes);
    // MPI_Allreduce as the all-reduce used: the same losses
    run_ok(2, "--allreduce mpi --steps 6 --batch 8 --T 16 --width 32 --layers 2 --data data", &two_mpi);
    ck_assert(ddp_max_loss_diff(&two, &two_mpi) <= DDP_LOSS_TOL);
}
END_TEST

START_TEST(test_rank_count_not_dividing_the_batch_is_an_error)
{
    static char out[16384];
    int st = ddp_mpirun(DDP_BIN, 2, "--batch 7 --steps 1 --data data", out, sizeof out);
    ck_assert_msg(st != 0, "exit status 0 for batch 7 on 2 ranks:\n%s", tail(out));
    ck_assert_msg(strstr(out, "global batch 7 does not split among 2 ranks"), "%s", tail(out));
    ck_assert_msg(!strstr(out, "step 1 loss"), "it trained anyway:\n%s", tail(out));
}
END_TEST

START_TEST(test_rank_zero_alone_writes_the_checkpoint)
{
    char dir[64], args[512], path[128];
    dl_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ddp.ckpt", dir);
    snprintf(args, sizeof args, "--steps 2 --batch 4 --T 16 --width 32 --layers 1 --data data --save %s", path);
    DdpRun r;
    run_ok(2, args, &r);
    ck_assert(r.saved);
    // one file in the folder (no temporary left, no second writer's file)
    int files = 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d)); )
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) files++;
    closedir(d);
    ck_assert_int_eq(files, 1);
    Checkpoint c;
    char err[1024];
    ck_assert_msg(checkpoint_read(path, &c, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.model, "08_scaling/ddp");
    ck_assert_ptr_nonnull(checkpoint_find(&c, "wte.weight"));
    ck_assert_ptr_nonnull(checkpoint_find(&c, "optim.t"));
    checkpoint_free(&c);
    // a checkpoint rank 0 cannot write: an error naming the file, and a non-zero exit (the
    // other rank, waiting at a barrier, is aborted rather than left hanging)
    static char out[65536];
    snprintf(args, sizeof args, "--steps 1 --batch 2 --T 8 --width 16 --layers 1 --data data "
             "--save %s/no/such/folder/x.ckpt", dir);
    int st = ddp_mpirun(DDP_BIN, 2, args, out, sizeof out);
    ck_assert_msg(st != 0, "exit status 0 for an unwritable --save:\n%s", tail(out));
    ck_assert_msg(strstr(out, "error: --save") && strstr(out, "no/such/folder"), "%s", tail(out));
    dl_rm_rf(dir);
}
END_TEST

static Suite *ddp_suite(void)
{
    Suite *s = suite_create("ddp");
    TCase *tc = tcase_create("ring");
    tcase_add_test(tc, test_ring_chunks_tile_the_vector_and_count_the_bytes);
    tcase_add_test(tc, test_ring_schedule_in_memory_leaves_the_sum_on_every_rank);
    tcase_add_test(tc, test_cost_model);
    tcase_add_test(tc, test_parse_output);
    suite_add_tcase(s, tc);
    TCase *mpi = tcase_create("mpi");
    tcase_set_timeout(mpi, 60);
    const bool ok = have_mpi();
    const char *why = "Open MPI is not installed or " DDP_BIN " is not built "
                      "(apt-get install openmpi-bin libopenmpi-dev; make ddp)";
    dl_tcase_add_test_if(mpi, test_two_ranks_equal_one_and_ring_equals_mpi_allreduce, ok, why);
    dl_tcase_add_test_if(mpi, test_rank_count_not_dividing_the_batch_is_an_error, ok, why);
    dl_tcase_add_test_if(mpi, test_rank_zero_alone_writes_the_checkpoint, ok, why);
    suite_add_tcase(s, mpi);
    return s;
}

DL_TEST_MAIN(ddp_suite)
