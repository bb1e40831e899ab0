/*
 * outfile.c - outputs checked and claimed (see outfile.h).
 *
 * The lock is an fcntl write lock on PATH.lock.  The lock file is removed when the claim is
 * given back, so a claimant that opened it just before could lock a file that no longer has
 * the name: after locking, the descriptor and the name must still be the same file (device and
 * inode), else the claim starts again on the new one.
 */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

tyndau_status tyndau_outfile_check(const char *path, const char *const *inputs, size_t n_inputs, tyndau_error *err)
{
    tyndau_shown sb;
    if (path == NULL || path[0] == '\0') return TYNDAU_ERR(err, TYNDAU_EINPUT, "an empty output name");
    struct stat out;
    if (stat(path, &out) != 0) {
        if (errno == ENOENT) return TYNDAU_OK; /* a new name (the directory is the probe's) */
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: %s", tyndau_path_shown(path, &sb), strerror(errno));
    }
    if (!S_ISREG(out.st_mode))
        return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: is %s, expected a regular file or a new name",
                          tyndau_path_shown(path, &sb), kind_of(out.st_mode));
    for (size_t k = 0; k < n_inputs; k++) {
        struct stat in;
        if (inputs[k] == NULL || inputs[k][0] == '\0' || stat(inputs[k], &in) != 0) continue;
        if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: it is the input %s; choose another name",
                              tyndau_path_shown(path, &sb), inputs[k]);
    }
    return TYNDAU_OK;
}

/* The directory of path can be written: a file made there and removed. */
static tyndau_status probe_dir(const char *path, tyndau_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *probe = tyndau_calloc(dlen + 32, 1);
    tyndau_shown sb;
    if (probe == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", path);
    snprintf(probe, dlen + 32, "%.*s/.tyndau-probe-XXXXXX", (int)dlen, slash == NULL ? "." : path);
    int fd = mkstemp(probe);
    tyndau_status rc = TYNDAU_OK;
    if (fd < 0) {
        rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: %s", tyndau_path_shown(path, &sb), strerror(errno));
    } else {
        close(fd);
        unlink(probe);
    }
    free(probe);
    return rc;
}

/* name is base + ".tmp-XXXXXX", base + ".partial.tmp-XXXXXX" or base + ".partial.K.tmp-XXXXXX" (K digits):
 * a temporary file of the HDF5 layer (h5.c: the output, calibrate's partial file, a part file)
 * whose writer was killed before it could remove it. */
static int stale_tmp(const char *name, const char *base)
{
    size_t n = strlen(base), len = strlen(name);
    if (len < n + 11 || strncmp(name, base, n) != 0 || name[n] != '.') return 0;
    const char *t = name + len - 11; /* ".tmp-XXXXXX" */
    if (strncmp(t, ".tmp-", 5) != 0) return 0;
    for (int k = 5; k < 11; k++)
        if (!((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= '0' && t[k] <= '9'))) return 0;
    const char *m = name + n; /* "" or ".partial" or ".partial.K", up to t */
    if (m == t) return 1;
    if ((size_t)(t - m) < 8 || strncmp(m, ".partial", 8) != 0) return 0;
    m += 8;
    if (m == t) return 1;
    if (*m++ != '.' || m == t) return 0;
    for (; m < t; m++)
        if (*m < '0' || *m > '9') return 0;
    return 1;
}

/* Remove the stale temporary files of path (stale_tmp): called with its lock held, so no living
 * tyndau is writing them; a resumed study would otherwise leave a killed one's for ever. */
static void remove_stale(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t dlen = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = tyndau_calloc(dlen + 1, 1);
    if (dir == NULL) return;
    memcpy(dir, slash == NULL ? "." : path, dlen);
    DIR *d = opendir(dir);
    if (d != NULL) {
        int dfd = dirfd(d);
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            if (stale_tmp(e->d_name, base)) {
                struct stat st;
                if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                    unlinkat(dfd, e->d_name, 0);
            }
        closedir(d);
    }
    free(dir);
}

tyndau_status tyndau_outfile_claim(tyndau_outfile *o, const char *path, const char *const *inputs, size_t n_inputs,
                                   tyndau_error *err)
{
    o->fd = -1;
    o->lock = NULL;
    tyndau_shown sb, sl;
    tyndau_status rc = tyndau_outfile_check(path, inputs, n_inputs, err);
    if (rc == TYNDAU_OK) rc = probe_dir(path, err);
    if (rc != TYNDAU_OK) return rc;
    size_t len = strlen(path) + sizeof ".lock";
    o->lock = tyndau_calloc(len, 1);
    if (o->lock == NULL) return TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: out of memory", path);
    snprintf(o->lock, len, "%s.lock", path);
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(o->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) {
            rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: cannot create its lock %s: %s", tyndau_path_shown(path, &sb), tyndau_path_shown(o->lock, &sl),
                            strerror(errno));
            break;
        }
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_SETLK, &fl) != 0) {
            int e = errno;
            struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            long pid = fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK ? (long)who.l_pid : 0;
            close(fd);
            if (e == EACCES || e == EAGAIN) {
                if (pid > 0)
                    rc = TYNDAU_ERR(err, TYNDAU_EINPUT,
                                    "%s: cannot write output: another tyndau (pid %ld) is writing it (it holds %s)",
                                    tyndau_path_shown(path, &sb), pid, tyndau_path_shown(o->lock, &sl));
                else
                    rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: another tyndau is writing it (it "
                                    "holds %s)", tyndau_path_shown(path, &sb), tyndau_path_shown(o->lock, &sl));
            } else {
                rc = TYNDAU_ERR(err, TYNDAU_EINPUT, "%s: cannot write output: cannot lock %s: %s", tyndau_path_shown(path, &sb), tyndau_path_shown(o->lock, &sl),
                                strerror(e));
            }
            break;
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(o->lock, &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino) {
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            /* the pid is for people reading the file; the lock is what counts */
            if (ftruncate(fd, 0) == 0 && write(fd, pid, (size_t)n) != n) errno = 0;
            o->fd = fd;
            remove_stale(path);
            return TYNDAU_OK;
        }
        close(fd); /* the file was removed (and perhaps made again) by its last holder: again */
    }
    if (rc == TYNDAU_OK) rc = TYNDAU_ERR(err, TYNDAU_EINTERNAL, "%s: cannot lock %s: it keeps changing", path, o->lock);
    free(o->lock);
    o->lock = NULL;
    return rc;
}

void tyndau_outfile_release(tyndau_outfile *o)
{
    if (o->fd >= 0) {
        unlink(o->lock); /* while still held: a waiting claimant then sees another file and retries */
        close(o->fd);
    }
    free(o->lock);
    o->fd = -1;
    o->lock = NULL;
}
