/* common/report/cli.h — the command line every chapter shares.
 *
 * Every chapter's `run` takes the same common flags (--quick, --full, --bench, --seed,
 * --threads, --kernel, --data, --dataset, --out) plus its own (CliExtra), and prints them with
 * their defaults for --help.
 */
#ifndef DL_REPORT_CLI_H
#define DL_REPORT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Cli {
    bool quick;           // --quick: seconds, for tests and CI
    bool full;            // --full: the long, paper-scale run
    bool bench;           // --bench: run the kernel benchmarks instead of training
    uint64_t seed;        // --seed N (default 42)
    int threads;          // --threads N (default: number of online CPUs, at most 64)
    char kernel[128];     // --kernel SPEC (default auto): rungs of the kernel ladders,
                          // applied while parsing (kernels/ladder.h has the grammar)
    char data_dir[512];   // --data DIR (default: <repo>/data, found from argv[0])
    char dataset[16];     // --dataset mnist|fashion, or --data mnist|fashion for short;
                          // "" (default): MNIST, else Fashion-MNIST when only that is present
    char out_dir[512];    // --out DIR (default: <chapter folder>/out, from argv[0])
    char save_path[512];  // --save FILE: checkpoint of the main run ("" = none)
    char resume_path[512];// --resume FILE: continue a run from its checkpoint ("" = none)
    int argc;             // the command line, for messages such as "resume with: …"
    char **argv;
} Cli;

/* A chapter-specific flag: "--name VALUE" stored into *dest (type 'i' int, 'f' float,
 * 's' char[dest_len] string) or "--name" alone (type 'b', bool set to true). */
typedef struct CliExtra {
    const char *name;     // without the dashes: "epochs"
    char type;            // 'i' | 'f' | 's' | 'b'
    void *dest;
    size_t dest_len;      // for 's' only
    const char *help;     // one line, shown by --help with the default value
} CliExtra;

/* Parse argv into cli (defaults first) and the extras; --kernel is applied at once
 * (kernels_select), so a bad rung name is reported here. Returns 0 on success, 1 when
 * --help was given (usage already printed on stdout), -1 on a bad flag or value with
 * err filled ("unknown flag '--foo' (see --help)", "--seed expects a non-negative
 * integer, got 'abc'"). `about` is the first line of the usage text. */
int cli_parse_args(Cli *cli, int argc, char **argv, const char *about,
                   const CliExtra *extras, int n_extras, char *err, size_t errlen);

/* cli_parse_args for main(): exits 0 after --help, exits DL_EXIT_USAGE with
 * "error: <err>" on stderr for a bad flag. Then applies --threads (threads_set) and creates
 * out_dir. (--kernel takes effect while parsing: kernels_select.) */
void cli_parse(Cli *cli, int argc, char **argv, const char *about, const CliExtra *extras,
               int n_extras);

/* Whether --<name> (without the dashes) is on cli's command line: for an extra whose value 0
 * means "the default" only when the flag is absent (--epochs 0 given is an error). */
bool cli_flag_given(const Cli *cli, const char *name);

/* <out_dir>/<name> into path (len bytes), created when missing: the folder of a run's second
 * set of outputs (--bench writes <out>/bench/ so it never replaces the training run's
 * metrics.tsv). Dies naming the folder when the path is too long or cannot be created. */
void cli_out_subdir(const Cli *cli, const char *name, char *path, size_t len);

#endif
