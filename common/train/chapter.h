/* common/train/chapter.h — what every chapter program does around its lecture sections.
 *
 * A chapter's main() reads as its table of contents:
 *
 *   Chapter ch;
 *   chapter_begin(&ch, "02_backprop", argc, argv, "Chapter 2: …", extras, n_extras);
 *   … load data (chapter_load_images), then one section function per part of the lecture,
 *     each starting with chapter_section("4. An MLP on MNIST") …
 *   return chapter_end(&ch);
 *
 * chapter_begin parses the flags (report/cli.h), makes stdout line-buffered (a log file or a
 * pipe sees each line as it is printed), starts the clock and the metrics (out/metrics.tsv).
 * chapter_end records time_total_s, writes metrics.tsv, says where the outputs are and how
 * long the run took, and checks that a --resume checkpoint was used by some training run.
 */
#ifndef DL_TRAIN_CHAPTER_H
#define DL_TRAIN_CHAPTER_H

#include <stdbool.h>

#include "data/dataset.h"
#include "report/cli.h"
#include "report/metrics.h"

typedef struct Chapter {
    const char *name;     // "02_backprop": the folder; model names start with it
    Cli cli;
    Metrics metrics;
    double t_start;       // now_seconds() at chapter_begin
} Chapter;

/* Parse the command line (exits 0 after --help, 2 on a bad flag), then set everything up. */
void chapter_begin(Chapter *ch, const char *name, int argc, char **argv, const char *about,
                   const CliExtra *extras, int n_extras);

/* The training (train=true) or test split of the image set --dataset names (MNIST by default,
 * else Fashion-MNIST when only that is present); dies with the loader's message, which names
 * the file, the problem and `make data`. Records data_fashion (0/1) in the metrics. */
void chapter_load_images(Chapter *ch, bool train, Dataset *d);

/* "\n== <title> =====…" : the start of a lecture section in the program's output. */
void chapter_section(const char *title);

/* Record time_total_s, write metrics.tsv, print where the outputs are, release the metrics.
 * Returns the exit status for main: 0, or 1 when metrics.tsv could not be written or a
 * --resume checkpoint matched no training run. */
int chapter_end(Chapter *ch);

#endif
