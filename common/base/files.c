/* common/base/files.c — folders, atomic writes, reading a whole file; see base/files.h. */
#include "base/files.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

bool file_read_all(const char *path, size_t max_bytes, const char *what,
                   const char *missing_hint, char **buf, size_t *size, char *err, size_t errlen)
{
    *buf = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT)
            snprintf(err, errlen, "%s: no such file (%s)", path, missing_hint);
        else
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(fp);
        return false;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        snprintf(err, errlen, "%s: %lld bytes, more than the %zu a %s may have (the wrong file?)",
                 path, (long long)st.st_size, max_bytes, what);
        fclose(fp);
        return false;
    }
    size_t n = (size_t)st.st_size;
    char *b = malloc(n ? n : 1);
    if (!b) {
        snprintf(err, errlen, "%s: out of memory for %zu bytes", path, n);
        fclose(fp);
        return false;
    }
    size_t got = fread(b, 1, n, fp);
    bool read_err = ferror(fp);
    fclose(fp);
    if (read_err || got != n) {
        snprintf(err, errlen, "%s: read %zu of %zu bytes%s", path, got, n,
                 read_err ? ": read error" : " (did the file change while being read?)");
        free(b);
        return false;
    }
    *buf = b;
    *size = n;
    return true;
}
