/* scripts/grader.h — what exercise files and their drivers share with the grader.
 *
 * A chapter's exercises/driver.c calls one exercise on fixed inputs and reports every output
 * value through ex_put()/ex_put_array(); scripts/grader.c runs it in a child process and
 * compares the values with the chapter's expected/. Results go to file descriptor 3 (a pipe
 * the grader opens), so anything the student's code prints on stdout or stderr cannot be
 * mistaken for a result. Run by hand (no fd 3), a driver prints its results on stdout.
 *
 * A stub marks itself unfinished with EX_TODO(args...): it exits with EX_STATUS_TODO, which
 * the grader reports as "not implemented" (0 points) — an untouched stub can never pass by
 * accident, and it compiles cleanly because EX_TODO "uses" the parameters it is given.
 */
#ifndef DL_GRADER_H
#define DL_GRADER_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#define EX_STATUS_TODO 86      // exit status of a stub that still has its TODO
#define EX_RESULT_FD 3         // where drivers write results when the grader runs them

// ---- for exercise files ----
static inline void ex_unused_(int dummy, ...) { (void)dummy; }

_Noreturn static inline void ex_todo_(const char *func)
{
    fprintf(stderr, "%s: not implemented yet (the TODO is still there)\n", func);
    fflush(stderr);
    _Exit(EX_STATUS_TODO);
}

/* Delete this line when you implement the function. The arguments are the parameters the
 * stub does not use yet (so that it compiles without warnings). */
#define EX_TODO(...) do { ex_unused_(0, __VA_ARGS__); ex_todo_(__func__); } while (0)

// ---- for drivers ----
/* The results stream: fd EX_RESULT_FD when the grader opened it, else stdout. */
static inline FILE *ex_out(void)
{
    static FILE *out;
    if (!out) {
        if (fcntl(EX_RESULT_FD, F_GETFD) != -1) out = fdopen(EX_RESULT_FD, "w");
        if (!out) out = stdout;
    }
    return out;
}

/* One result line: "name[i]<TAB>value" with value printed as %.9g (exact for a float). */
static inline void ex_put(const char *name, int i, double v)
{
    fprintf(ex_out(), "%s[%d]\t%.9g\n", name, i, v);
}

static inline void ex_put_array(const char *name, const float *v, int n)
{
    for (int i = 0; i < n; i++) ex_put(name, i, v[i]);
}

/* The measured speed-up of a speed exercise (not compared with expected/: the grader
 * checks it against the factor stated in expected/exercises.tsv). */
static inline void ex_put_speedup(double ratio)
{
    fprintf(ex_out(), "speedup\t%.3f\n", ratio);
}

/* The last line: without it the grader reports that the program stopped early. */
static inline void ex_end(void)
{
    fprintf(ex_out(), "end\n");
    fflush(ex_out());
}

#endif
