/*
 * text.h - whole text files, read the one way: scenario files, survey targets, and the
 * studies' INI and CSV files.
 */
#ifndef TYNDAU_TEXT_H
#define TYNDAU_TEXT_H

#include <stddef.h>

#include "error.h"

/* The most any text file may hold (a scenario, a CSV design of a million rows, ...): what is
 * larger is refused before it is read, not read until memory runs out. */
#define TYNDAU_TEXT_MAX_BYTES ((size_t)256 << 20)

/* The file at path as one NUL-terminated string in *text (the caller frees it), at most
 * max_bytes long (0, or more than TYNDAU_TEXT_MAX_BYTES: that).  Every text file tyndau reads
 * (scenarios, survey targets, the studies' INI and CSV files) is read here.  Only a regular
 * file is read: a directory, a FIFO (which would block) or a device (/dev/zero, read for ever)
 * is refused.  On failure *text is NULL and the status TYNDAU_EINPUT "PATH: cannot read WHAT:
 * why" (`what` NULL: "PATH: cannot read: why"), "PATH: cannot read WHAT: is a FIFO, expected a
 * regular file", "PATH: cannot read WHAT: expected at most N bytes, the file has M",
 * "PATH:LINE: unexpected NUL byte: expected a text file", or TYNDAU_EINTERNAL when out of
 * memory. */
tyndau_status tyndau_text_read(char **text, const char *path, const char *what, size_t max_bytes, tyndau_error *err);

/* A line of an INI file (scenario, sweep, calibration file) that inih would misread: NULL when
 * it is fine, else what is wrong with it, for "FILE:LINE: WHY".  Refused: text after a section
 * header's ']' (inih ignores it: "[state] corruption_mean = 0.9" set nothing), an empty section
 * name "[]", and a UTF-8 byte-order mark anywhere but at the start of the file (it would be
 * part of a key's name).  `line` holds len bytes, without its line ending, and without the
 * file's leading byte-order mark on its first line. */
const char *tyndau_text_ini_problem(const char *line, size_t len);

#endif
