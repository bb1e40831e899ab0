/* text.c - whole text files (see text.h). */
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tyndau_status tyndau_text_read(char **text, const char *path, const char *what, size_t max_bytes, tyndau_error *err)
{
    *text = NULL;
    tyndau_shown name;
    const char *shown = tyndau_path_shown(path, &name);
    const char *sp = what != NULL ? " " : "", *w = what != NULL ? what : "";
    if (max_bytes == 0 || max_bytes > TYNDAU_TEXT_MAX_BYTES) max_bytes = TYNDAU_TEXT_MAX_BYTES;
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read%s%s: %s", shown, sp, w, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read%s%s: %s", shown, sp, w, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read%s%s: is %s, expected a regular file", shown, sp, w,
                          S_ISDIR(sb.st_mode) ? "a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO"
                          : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" : "not a regular file");
    }
    if ((uintmax_t)sb.st_size > (uintmax_t)max_bytes) {
        close(fd);
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read%s%s: expected at most %zu bytes, the file has %jd", shown,
                          sp, w, max_bytes, (intmax_t)sb.st_size);
    }
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        int e = errno;
        close(fd);
        return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot read%s%s: %s", shown, sp, w, strerror(e));
    }
    size_t cap = 4096, len = 0;
    char *buf = tyndau_calloc(cap, 1);
    tyndau_status st = buf == NULL ? TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", shown) : TYNDAU_OK;
    while (st == TYNDAU_OK) {
        if (len > max_bytes) { /* the file grew while read */
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read%s%s: expected at most %zu bytes", shown, sp, w,
                            max_bytes);
            break;
        }
        if (len + 1 >= cap) {
            char *grown = cap > SIZE_MAX / 2 ? NULL : tyndau_reallocarray(buf, cap, 2);
            if (grown == NULL) {
                st = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", shown);
                break;
            }
            buf = grown;
            cap *= 2;
        }
        errno = 0;
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f), saved = errno;
    fclose(f);
    if (st == TYNDAU_OK && bad)
        st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot read%s%s: %s", shown, sp, w, strerror(saved ? saved : EIO));
    if (st == TYNDAU_OK) {
        buf[len] = '\0';
        const char *nul = memchr(buf, '\0', len);
        if (nul != NULL) {
            int line = 1;
            for (const char *c = buf; c < nul; c++) line += *c == '\n';
            st = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s:%d: unexpected NUL byte: expected a text file", shown, line);
        }
    }
    if (st != TYNDAU_OK)
        free(buf);
    else
        *text = buf;
    return st;
}

const char *tyndau_text_ini_problem(const char *line, size_t len)
{
    const char *e = line + len;
    for (const char *c = line; c + 2 < e; c++)
        if (memcmp(c, "\xEF\xBB\xBF", 3) == 0) return "a UTF-8 byte-order mark inside the file (only its very start may have one)";
    const char *b = line;
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    if (b == e || *b != '[') return NULL;
    const char *close = memchr(b, ']', (size_t)(e - b));
    if (close == NULL) return NULL; /* inih's own "malformed line" */
    const char *n = b + 1;
    while (n < close && (*n == ' ' || *n == '\t')) n++;
    if (n == close) return "an empty section name '[]': expected '[NAME]'";
    for (const char *c = close + 1; c < e; c++) {
        if (*c == ';' || *c == '#') break;
        if (*c != ' ' && *c != '\t' && *c != '\r')
            return "text after the section header's ']': expected '[section]' alone on its line, and 'key = value' "
                   "on the next";
    }
    return NULL;
}
