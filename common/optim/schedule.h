/* common/optim/schedule.h — learning-rate schedules (lecture 3), as torch.optim.lr_scheduler. */
#ifndef DL_OPTIM_SCHEDULE_H
#define DL_OPTIM_SCHEDULE_H

/* ---- learning-rate schedules ----------------------------------------------------------- */

typedef enum { SCHED_CONSTANT, SCHED_STEP, SCHED_EXPONENTIAL, SCHED_COSINE } SchedKind;

typedef struct Schedule {
    SchedKind kind;
    float base_lr;
    int step_size;       // SCHED_STEP: multiply by gamma every step_size steps
    float gamma;         // SCHED_STEP, SCHED_EXPONENTIAL
    int total_steps;     // SCHED_COSINE: T_max (steps after warm-up)
    float min_lr;        // SCHED_COSINE: eta_min
    int warmup_steps;    // linear warm-up from 0 (0 = none)
    int delay_steps;     // after warm-up, hold base_lr this many steps before the kind starts
                         // (0 = none). Zaremba et al. 2014, lr 1 for 4 epochs then halved
                         // every epoch: SCHED_STEP, step_size = steps per epoch, gamma 0.5,
                         // delay_steps = 3 · steps per epoch
} Schedule;

/* lr at step (0-based); linear warm-up base_lr·(step+1)/(warmup_steps+1)… see optim/schedule.c for
 * the exact form, then base_lr for delay_steps steps, then the kind with torch StepLR /
 * ExponentialLR / CosineAnnealingLR semantics counted from the end of warm-up and delay. */
float schedule_lr(const Schedule *s, int step);

#endif
