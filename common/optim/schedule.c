/* common/optim/schedule.c — learning-rate schedules; see optim/schedule.h. */
#include "optim/schedule.h"

#include <math.h>

#include "base/error.h"

#define DL_PI 3.14159265358979323846

/* The value at `step` >= 0. Warm-up (steps 0 … W−1): base·(step+1)/(W+1), a straight line
 * from 0 (exclusive) to base (reached at step W), as torch's LambdaLR with that factor. Then
 * base for D = delay_steps steps (W … W+D−1). From step W + D on, the kind runs on
 * s = step − W − D (torch's SequentialLR with milestone W + D):
 *   SCHED_STEP         base·γ^⌊s/step_size⌋                 (torch StepLR)
 *   SCHED_EXPONENTIAL  base·γ^s                             (torch ExponentialLR)
 *   SCHED_COSINE       min + (base − min)·(1 + cos(π·s/T))/2  for s <= T = total_steps
 *                      (torch CosineAnnealingLR; Loshchilov & Hutter, "SGDR", ICLR 2017);
 *                      after T it stays at min (torch's would rise again: a deliberate
 *                      difference, so that training past the end is safe).
 * Zaremba et al.'s PTB schedule (ptb_word_lm.py: lr_decay = 0.5 ** max(i + 1 − 4, 0) for the
 * 0-based epoch i, so epochs 0–3 at lr 1, epoch 4 at 0.5, epoch 5 at 0.25 …) is SCHED_STEP with
 * step_size = S steps per epoch, γ = 0.5 and D = 3·S: epoch i's steps have s = (i − 3)·S + j,
 * ⌊s / S⌋ = i − 3 for i >= 3. */
float schedule_lr(const Schedule *s, int step)
{
    DL_CHECK(step >= 0, "schedule_lr: step %d is negative; steps count from 0", step);
    DL_CHECK(isfinite(s->base_lr) && s->base_lr >= 0.0f,
             "schedule: base learning rate %g must be finite and >= 0", (double)s->base_lr);
    DL_CHECK(s->warmup_steps >= 0, "schedule: warmup_steps %d must be >= 0 (0 = no warm-up)",
             s->warmup_steps);
    double base = s->base_lr;
    DL_CHECK(s->delay_steps >= 0, "schedule: delay_steps %d must be >= 0 (0 = no delay)",
             s->delay_steps);
    if (step < s->warmup_steps) return (float)(base * (step + 1) / (s->warmup_steps + 1));
    int k = step - s->warmup_steps;
    if (k < s->delay_steps) return (float)base;
    k -= s->delay_steps;
    switch (s->kind) {
    case SCHED_CONSTANT: return (float)base;
    case SCHED_STEP:
        DL_CHECK(s->step_size >= 1, "step schedule: step_size %d must be >= 1", s->step_size);
        DL_CHECK(s->gamma > 0.0f && s->gamma <= 1.0f,
                 "step schedule: gamma %g must be in (0, 1], e.g. 0.1", (double)s->gamma);
        return (float)(base * pow(s->gamma, k / s->step_size));
    case SCHED_EXPONENTIAL:
        DL_CHECK(s->gamma > 0.0f && s->gamma <= 1.0f,
                 "exponential schedule: gamma %g must be in (0, 1], e.g. 0.95", (double)s->gamma);
        return (float)(base * pow(s->gamma, k));
    case SCHED_COSINE: {
        DL_CHECK(s->total_steps >= 1, "cosine schedule: total_steps %d must be >= 1 (the number "
                 "of steps after warm-up)", s->total_steps);
        DL_CHECK(s->min_lr >= 0.0f && s->min_lr <= s->base_lr,
                 "cosine schedule: min_lr %g must be in [0, base_lr = %g]", (double)s->min_lr,
                 (double)s->base_lr);
        if (k >= s->total_steps) return s->min_lr;
        double lo = s->min_lr;
        return (float)(lo + (base - lo) * (1.0 + cos(DL_PI * k / s->total_steps)) / 2.0);
    }
    }
    dl_die("schedule_lr: unknown schedule kind %d", (int)s->kind);
}
