/* common/bench/peer.h — running a peer's benchmark script (PyTorch, …) beside ours, in the same
 * run (chapter 4 and 5's --bench). The scripts live in scripts/ and print one result line
 * "<key><number>"; anything else they print (a notice that torch is missing, an error) becomes
 * the reason the peer is skipped.
 */
#ifndef DL_BENCH_PEER_H
#define DL_BENCH_PEER_H

#include <stddef.h>

/* Run `/usr/bin/python3 scripts/<script> --threads <threads>` — the script found from the
 * program's own path argv0 (its chapter folder's parent, or up to three levels up, as
 * build/<x>/<chapter>/run sits) — and return the number after `key` in its output. Returns 0
 * with the reason in why (not found, could not run, or the script's output and exit status) when
 * there is no result line. */
double peer_script_value(const char *argv0, const char *script, int threads, const char *key,
                         char *why, size_t why_len);

/* peer_script_value for several keys in one run of the script: values[i] is the number after
 * keys[i] (0 when missing). Returns how many keys were found; when fewer than n_keys, why says
 * what the script printed instead. */
int peer_script_values(const char *argv0, const char *script, int threads, int n_keys,
                       const char *const *keys, double *values, char *why, size_t why_len);

#endif
