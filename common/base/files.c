/* common/base/files.c — folders and atomic writes; see base/files.h. */
#include "base/files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_copy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len) return false;
    memcpy(dst, src, n + 1);
    return true;
}

bool path_join(char *dst, size_t len, const char *dir, const char *rest)
{
    int n = strcmp(dir, ".") == 0 ? snprintf(dst, len, "%s", rest)
                                  : snprintf(dst, len, "%s/%s", dir, rest);
    return n >= 0 && (size_t)n < len;
}

bool make_dirs(const char *path)
{
    char buf[DL_PATH_LEN];
    if (!*path) { errno = ENOENT; return false; }
    if (!path_copy(buf, sizeof buf, path)) { errno = ENAMETOOLONG; return false; }
    // Create each prefix ending before a '/', then the whole path.
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return false;
        *p = c;
        if (c == '\0') break;
    }
    if (!path_is_dir(path)) { errno = ENOTDIR; return false; }
    return true;
}

static bool tmp_path(char *buf, size_t len, const char *path)
{
    int n = snprintf(buf, len, "%s.tmp", path);
    return n >= 0 && (size_t)n < len;
}

FILE *atomic_open(const char *path)
{
    char tmp[DL_PATH_LEN];
    if (!tmp_path(tmp, sizeof tmp, path)) {
        fprintf(stderr, "error: cannot write '%s': the path is too long\n", path);
        return NULL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) fprintf(stderr, "error: cannot write '%s': %s\n", tmp, strerror(errno));
    return f;
}

bool atomic_close(FILE *f, const char *path)
{
    if (!f) return false;
    char tmp[DL_PATH_LEN];
    tmp_path(tmp, sizeof tmp, path);   // fits: atomic_open built the same name
    // fflush and fclose report errors the earlier buffered writes could not (disk full).
    // No fsync: this keeps readers from seeing half a file, it is not a guard against power loss.
    errno = 0;
    bool ok = !ferror(f);
    int saved = errno;
    if (fflush(f) != 0) { ok = false; saved = errno; }
    if (fclose(f) != 0 && ok) { ok = false; saved = errno; }
    if (!ok) {
        fprintf(stderr, "error: writing '%s' failed: %s\n", tmp,
                saved ? strerror(saved) : "write error");
        remove(tmp);
        return false;
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "error: cannot rename '%s' to '%s': %s\n", tmp, path, strerror(errno));
        remove(tmp);
        return false;
    }
    return true;
}

void atomic_abort(FILE *f, const char *path)
{
    char tmp[DL_PATH_LEN];
    if (f) fclose(f);
    if (tmp_path(tmp, sizeof tmp, path)) remove(tmp);
}
