/* common/bench/peer.c — running a peer's benchmark script; see bench/peer.h. */
#include "bench/peer.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

int peer_script_values(const char *argv0, const char *script, int threads, int n_keys,
                       const char *const *keys, double *values, char *why, size_t why_len)
{
    for (int i = 0; i < n_keys; i++) values[i] = 0;
    char exe[PATH_MAX], path[PATH_MAX + 128] = "";
    snprintf(exe, sizeof exe, "%s", argv0);
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    else snprintf(exe, sizeof exe, ".");   // run through PATH from its folder
    static const char *const UP[3] = {"/..", "/../..", "/../../.."};   // NN_topic/, build/x/NN_topic/
    for (int i = 0; i < 3; i++) {
        char c[PATH_MAX + 128];
        snprintf(c, sizeof c, "%s%s/scripts/%s", exe, UP[i], script);
        if (access(c, R_OK) == 0) { snprintf(path, sizeof path, "%s", c); break; }
    }
    if (!path[0]) {
        snprintf(why, why_len, "scripts/%s not found next to %.300s", script, exe);
        return 0;
    }
    char cmd[PATH_MAX + 256], line[512], all[2048] = "";
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --threads %d 2>&1", path, threads);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, why_len, "could not run %.300s", cmd);
        return 0;
    }
    int found = 0;
    while (fgets(line, sizeof line, p)) {
        bool used = false;
        for (int i = 0; i < n_keys && !used; i++) {
            char *hit = strstr(line, keys[i]);
            if (!hit) continue;
            values[i] = strtod(hit + strlen(keys[i]), NULL);
            used = true;
        }
        if (!used && strlen(all) + strlen(line) < sizeof all) strcat(all, line);
    }
    int st = pclose(p);
    for (int i = 0; i < n_keys; i++) found += values[i] > 0;
    if (found < n_keys) {
        size_t n = strlen(all);
        while (n && (all[n - 1] == '\n' || all[n - 1] == '\r')) all[--n] = '\0';
        snprintf(why, why_len, "%.400s (exit status %d)", n ? all : "no result line",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    return found;
}

double peer_script_value(const char *argv0, const char *script, int threads, const char *key,
                         char *why, size_t why_len)
{
    double value = 0;
    peer_script_values(argv0, script, threads, 1, &key, &value, why, why_len);
    return value;
}
