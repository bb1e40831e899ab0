/*
 * parts.h - the part files of the run-many engine (batch.c): OUT.partial.K, found by exact
 * name; the sections of rows they hold; and the digest of every row, by which a part file
 * whose bytes were damaged is found before its rows are trusted.
 *
 * Digests.  A part file is written in place and unfiltered (no Fletcher-32), so it carries its
 * own check: /SECTION/digest [job] (uint64, 0 until written) holds, for every row written, a
 * 64-bit FNV-1a hash of the row as the file holds it (the job index, its status, its outputs'
 * bytes, its error text, its run time), written with the outputs and before the status.  A row
 * whose status says it is there must match its digest; a part file that does not, or that the
 * HDF5 library cannot read whole (tyndau_h5_probe), is damaged: it is renamed aside to
 * NAME.damaged (never deleted) and its jobs run again.
 */
#ifndef TYNDAU_PARTS_H
#define TYNDAU_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "h5.h"
#include "many.h"

/* The rows of a file in sections: /runs holds jobs 0 .. n_jobs-1, an extra group (if any) the
 * next n_extra; a section's group, its timing dataset and the jobs it holds. */
typedef struct {
    char group[64], seconds[96];
    size_t first, n;
} part_section;

/* The sections of a study (1 or 2). */
size_t part_sections(size_t n_jobs, const char *extra, size_t n_extra, part_section sec[2]);

/* The part files of an output, by name, sorted (byte order). */
typedef struct {
    char **v;
    size_t n;
} part_list;

/* Every OUT.partial.K (K digits) beside OUT: 0 some, 1 none, -1 out of memory. */
int part_list_of(const char *out, part_list *pl);
void part_list_free(part_list *pl);

/* The digest of one row: job index, status, n_out outputs, error text (up to its NUL; NULL or
 * a status of 0: empty, as the file holds it), run time. */
uint64_t part_row_digest(size_t job, int status, const double *y, size_t n_out, const char *error, double seconds);

/* Check every row of an open part file whose status is set against its digest.  0: sound;
 * 1: damaged, with why (a row's job, a missing digest, HDF5's reason) in why[len]; -1 out of
 * memory.  A read that fails is a damage too (h->st is then set, and why says so). */
int part_verify(tyndau_h5 *h, const part_section *sec, size_t n_sec, size_t n_out, char *why, size_t len);

/* Probe (tyndau_h5_probe), open and verify the part file `path`; a damaged one is renamed to
 * PATH.damaged (PATH.damaged.N if that exists) and *aside gets that name.  0 sound, 1 damaged
 * and set aside (why[len] says why), -1 damaged but not renamed (why says why), -2 a failure
 * of the environment (out of memory, no fork: why says which).  want_fp: the study's fingerprint; a part of another study (another fingerprint) is
 * left for the caller to refuse, as sound. */
int part_screen(const char *path, const char *want_fp, const part_section *sec, size_t n_sec, size_t n_out,
                char *aside, size_t aside_len, char *why, size_t len);

#endif
