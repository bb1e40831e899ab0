/*
 * outfile.h - the one way tyndau decides that a path may be written, and holds it while it
 * writes: every command (run, sweep, compare, calibrate, merge, sensitivity) calls
 * tyndau_outfile_claim before its first run, and the HDF5 layer calls tyndau_outfile_check
 * again before it creates and before it renames, so that nothing but a regular file (or a new
 * name) is ever replaced.
 *
 * What is refused, all TYNDAU_EINPUT, before any work:
 *   - a path that exists and is not a regular file (a directory, a device node such as
 *     /dev/null, a FIFO, a socket): "PATH: cannot write output: is a character device,
 *     expected a regular file or a new name";
 *   - a path that is one of the command's input files (the same file, by device and inode,
 *     whatever the name it was given by): "PATH: cannot write output: it is the input FILE";
 *   - a path whose directory is missing or cannot be written (a file is created there and
 *     removed at once to find out);
 *   - a path another process is writing: an fcntl write lock on PATH.lock, held for as long
 *     as the claim ("PATH: cannot write output: another tyndau (pid N) is writing it").
 */
#ifndef TYNDAU_OUTFILE_H
#define TYNDAU_OUTFILE_H

#include <stddef.h>

#include "error.h"

/* The path may be written: absent or a regular file, and none of the n inputs (NULL or ""
 * entries are skipped). */
tyndau_status tyndau_outfile_check(const char *path, const char *const *inputs, size_t n_inputs, tyndau_error *err);

/* A claim on an output: its lock file, held until tyndau_outfile_release. */
typedef struct {
    int fd;     /* the lock file's descriptor, -1 when none is held */
    char *lock; /* PATH.lock */
} tyndau_outfile;

#define TYNDAU_OUTFILE_NONE {.fd = -1, .lock = NULL}

/* tyndau_outfile_check, the directory probed by creating a file in it, then the lock taken.
 * On failure nothing is held and nothing is left behind. */
tyndau_status tyndau_outfile_claim(tyndau_outfile *o, const char *path, const char *const *inputs, size_t n_inputs,
                                   tyndau_error *err);
/* Give the claim back (the lock file removed); safe on TYNDAU_OUTFILE_NONE and twice. */
void tyndau_outfile_release(tyndau_outfile *o);

#endif
