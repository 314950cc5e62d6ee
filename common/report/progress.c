/* common/report/progress.c — the progress bar; see report/progress.h. */
#include "report/progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"

// "7.3s", "2m05s", "1h02m".
static void fmt_duration(char *buf, size_t len, double s)
{
    if (!(s >= 0)) s = 0;
    if (s < 60) snprintf(buf, len, "%.1fs", s);
    else if (s < 3600) snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
}

void progress_start(Progress *p, const char *label, long total)
{
    p->label = label ? label : "";
    p->total = total;
    p->done = 0;
    p->t0 = now_seconds();
    p->last_draw = -1e30;
    p->tty = isatty(STDERR_FILENO) == 1;
}

void progress_update(Progress *p, long done, const char *note)
{
    p->done = done;
    if (!p->tty) return;
    double now = now_seconds();
    bool last = p->total > 0 && done >= p->total;
    if (!last && now - p->last_draw < 0.1) return;   // at most ~10 redraws a second
    p->last_draw = now;

    enum { WIDTH = 30 };
    char bar[WIDTH + 1], elapsed[16], eta[16] = "?";
    double frac = p->total > 0 ? (double)done / (double)p->total : 0;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    int fill = (int)(frac * WIDTH);
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    double t = now - p->t0;
    fmt_duration(elapsed, sizeof elapsed, t);
    if (done > 0 && p->total > 0) fmt_duration(eta, sizeof eta, t * (p->total - done) / done);
    // \r returns to the line start; \033[K clears what a longer previous line left behind.
    fprintf(stderr, "\r%s [%s] %ld/%ld  %s  ETA %s%s%s\033[K", p->label, bar, done, p->total,
            elapsed, eta, note ? "  " : "", note ? note : "");
    fflush(stderr);
}

void progress_end(Progress *p)
{
    if (p->tty) fputc('\n', stderr);
}
