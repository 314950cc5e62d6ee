/* common/train/chapter.c — see train/chapter.h. */
#include "train/chapter.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "data/idx.h"
#include "report/plot.h"
#include "train/loop.h"

void chapter_begin(Chapter *ch, const char *name, int argc, char **argv, const char *about,
                   const CliExtra *extras, int n_extras)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(ch, 0, sizeof *ch);
    ch->name = name;
    cli_parse(&ch->cli, argc, argv, about, extras, n_extras);
    ch->t_start = now_seconds();
    metrics_init(&ch->metrics, ch->cli.out_dir);
    metrics_set(&ch->metrics, "seed", (double)ch->cli.seed);
}

void chapter_load_images(Chapter *ch, bool train, Dataset *d)
{
    char err[700];
    if (!image_dataset_load(ch->cli.data_dir, ch->cli.dataset, train, d, err, sizeof err))
        dl_die("%s", err);
    metrics_set(&ch->metrics, "data_fashion", strcmp(d->name, "fashion-mnist") == 0);
}

void chapter_section(const char *title)
{
    printf("\n== %s ", title);
    for (int i = (int)strlen(title); i < 72; i++) putchar('=');
    putchar('\n');
}

int chapter_end(Chapter *ch)
{
    double total = now_seconds() - ch->t_start;
    metrics_set(&ch->metrics, "time_total_s", total);
    bool ok = metrics_write(&ch->metrics);
    if (ok)
        printf("\nwrote %s%s; total %.1f s\n", ch->metrics.path,
               plot_available() ? " and the plots (PNG, with their .dat and .gp) beside it" : "",
               total);
    else
        fprintf(stderr, "error: could not write %s\n", ch->metrics.path);
    metrics_free(&ch->metrics);
    ok = train_check_resumed(&ch->cli) && ok;
    return ok ? 0 : DL_EXIT_ERROR;
}
