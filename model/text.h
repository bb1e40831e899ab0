/*
 * text.h - whole text files, read the one way: scenario files, survey targets, and the
 * studies' INI and CSV files.
 */
#ifndef TYNDAU_TEXT_H
#define TYNDAU_TEXT_H

#include <stddef.h>

#include "error.h"

/* The file at path as one NUL-terminated string in *text (the caller frees it), at most
 * max_bytes long (0: no limit).  On failure *text is NULL and the status TYNDAU_EINPUT "PATH: cannot read WHAT: why" (`what`
 * NULL: "PATH: cannot read: why"), "PATH: cannot read WHAT: expected at most N bytes",
 * "PATH:LINE: unexpected NUL byte: expected a text file", or TYNDAU_EINTERNAL when out of
 * memory. */
tyndau_status tyndau_text_read(char **text, const char *path, const char *what, size_t max_bytes, tyndau_error *err);

#endif
