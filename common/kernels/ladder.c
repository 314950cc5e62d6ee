/* common/kernels/ladder.c — see kernels/ladder.h. */
#include "kernels/ladder.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "kernels/adam.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"

#define MAX_LADDERS 16

bool rung_available(const KernelRung *r)
{
    return !r->available || r->available();
}

// "v3" for "v3_avx2": the version part of a rung name, into buf.
static void version_of(const char *name, char *buf, size_t len)
{
    size_t n = strcspn(name, "_");
    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), name);
}

const KernelRung *ladder_find(const KernelLadder *l, const char *name)
{
    if (!name) return NULL;
    if (strcmp(name, "auto") == 0) name = l->auto_rung;
    if (strcmp(name, "naive") == 0) name = "v0";
    const KernelRung *hit = NULL;
    for (int i = 0; i < l->n_rungs; i++) {
        const KernelRung *r = &l->rungs[i];
        char v[16];
        version_of(r->name, v, sizeof v);
        if (strcmp(r->name, name) == 0) return rung_available(r) ? r : NULL;
        if (strcmp(v, name) == 0 && rung_available(r)) hit = r;   // the newest one wins
    }
    return hit;
}

bool ladder_select(KernelLadder *l, const char *name)
{
    const KernelRung *r = ladder_find(l, name);
    if (!r) return false;
    l->selected = r;
    return true;
}

const KernelRung *ladder_selected(const KernelLadder *l)
{
    if (l->selected) return l->selected;
    const KernelRung *r = ladder_find(l, l->auto_rung);
    DL_CHECK(r, "kernel ladder '%s': its auto rung '%s' is not in the table", l->name,
             l->auto_rung);
    return r;
}

// ---- the registry ----

static KernelLadder *ladders[MAX_LADDERS] = {&GEMM_LADDER, &CONV_LADDER, &ADAM_LADDER};
static int n_ladders = 3;

void kernels_register(KernelLadder *l)
{
    DL_CHECK(!kernels_ladder(l->name), "kernels_register: a ladder named '%s' is registered "
             "already", l->name);
    DL_CHECK(n_ladders < MAX_LADDERS, "kernels_register: more than %d ladders", MAX_LADDERS);
    ladders[n_ladders++] = l;
}

KernelLadder *kernels_ladder(const char *name)
{
    for (int i = 0; i < n_ladders; i++)
        if (strcmp(ladders[i]->name, name) == 0) return ladders[i];
    return NULL;
}

// "v0_naive, v1_ikj, …" into buf.
static void rung_list(const KernelLadder *l, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n_rungs && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s%s", i ? ", " : "", l->rungs[i].name,
                         rung_available(&l->rungs[i]) ? "" : " (n/a)");
        if (w < 0) break;
        used += (size_t)w;
    }
}

bool kernels_select(const char *spec, char *err, size_t errlen)
{
    char buf[256];
    if (!spec || !*spec || strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "--kernel expects auto, naive or LADDER=RUNG[,LADDER=RUNG…] "
                 "(see --help), got '%s'", spec ? spec : "");
        return false;
    }
    const KernelRung *pick[MAX_LADDERS];
    for (int i = 0; i < n_ladders; i++) pick[i] = ladder_selected(ladders[i]);
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {   // a bare word: every ladder (only auto and naive make sense everywhere)
            if (strcmp(item, "auto") != 0 && strcmp(item, "naive") != 0) {
                snprintf(err, errlen, "--kernel %s: a bare word must be auto or naive; pick one "
                         "ladder's rung as LADDER=RUNG, e.g. gemm=%s (see --help)", item, item);
                return false;
            }
            for (int i = 0; i < n_ladders; i++) {
                const KernelRung *r = ladder_find(ladders[i], item);
                if (r) pick[i] = r;
            }
            continue;
        }
        *eq = '\0';
        const char *rung = eq + 1;
        int k = -1;
        for (int i = 0; i < n_ladders; i++)
            if (strcmp(ladders[i]->name, item) == 0) k = i;
        if (k < 0) {
            char names[128] = "";
            for (int i = 0; i < n_ladders; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         i ? ", " : "", ladders[i]->name);
            snprintf(err, errlen, "--kernel %s=%s: no kernel ladder '%s'; this program has %s",
                     item, rung, item, names);
            return false;
        }
        const KernelRung *r = ladder_find(ladders[k], rung);
        if (!r) {
            char list[192];
            rung_list(ladders[k], list, sizeof list);
            snprintf(err, errlen, "--kernel %s=%s: %s has no rung '%s' that this CPU can run; "
                     "its rungs are %s (or a version number, naive, auto)", item, rung, item,
                     rung, list);
            return false;
        }
        pick[k] = r;
    }
    for (int i = 0; i < n_ladders; i++) ladders[i]->selected = pick[i];
    return true;
}

void kernels_describe(FILE *out)
{
    for (int i = 0; i < n_ladders; i++) {
        char list[192];
        rung_list(ladders[i], list, sizeof list);
        fprintf(out, "  %-6s %s: %s (in use: %s)\n", ladders[i]->name, ladders[i]->what, list,
                ladder_selected(ladders[i])->name);
    }
}
