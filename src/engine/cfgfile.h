/*
 * cfgfile.h - what the studies' INI files (calibration, sweep) share: reading the file,
 * feeding libinih one physical line at a time so that errors can name their line, messages
 * "FILE:LINE: ...", and the small value parsers.
 *
 * A cfg_file holds the file's text and parse state.  cfg_parse calls the handler for every
 * key; the handler reports a problem with cfg_error (the first one is kept, in f->err, as
 * TYNDAU_EINPUT), which makes cfg_parse fail.  A malformed line (no '=', an unclosed section
 * header) or a line longer than CFG_MAX_LINE is also reported with its line.
 */
#ifndef TYNDAU_CFGFILE_H
#define TYNDAU_CFGFILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "prior.h"

#define CFG_MAX_LINE 1000

typedef struct {
    const char *path;
    char *text;          /* the whole file, owned */
    char dir[PATH_MAX];  /* the file's directory ("" for the current one) */
    int lineno;          /* the line inih is on */
    tyndau_error err;    /* the first problem */
    const char *pos;     /* reading position */
    char seen[96][80];   /* "section/key" already set, for duplicates */
    int n_seen;
    const char *const *sections; /* cfg_parse's */
} cfg_file;

/* Record "PATH:LINE: message" (TYNDAU_EINPUT) unless a problem is recorded already; returns 0
 * (inih's failure, for handlers). */
int cfg_error(cfg_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 if section/key was seen before in this file (and records it otherwise). */
int cfg_seen(cfg_file *f, const char *section, const char *key);

/* Read `path` and run libinih over it with `handler`; on failure f->err says where.  The caller
 * frees f->text. */
typedef int (*cfg_handler)(void *user, const char *section, const char *name, const char *value);
/* sections: the names the file may have, NULL-terminated; a header of any other, even one
 * without keys (which the handler never sees), is reported with its line. */
tyndau_status cfg_parse(cfg_file *f, const char *path, const char *const *sections, cfg_handler handler, void *user);

/* A path from the file, relative to the file's directory unless absolute: 0, or -1 if too long. */
int cfg_path(const cfg_file *f, const char *value, char *dst, size_t len);

/* FNV-1a over s (NULL counts as empty), continuing from h (start with CFG_HASH_START); a
 * separator is mixed in after each string.  For fingerprints of input texts (--resume). */
#define CFG_HASH_START 0xcbf29ce484222325ull
uint64_t cfg_hash(uint64_t h, const char *s);
/* The same over n bytes (a design's points, say), then the separator. */
uint64_t cfg_hash_bytes(uint64_t h, const void *p, size_t n);

/* Whole numbers: decimal digits only, inside [lo, hi].  0 on success, -1 otherwise. */
int cfg_count(const char *s, size_t lo, size_t hi, size_t *out);
int cfg_u64(const char *s, uint64_t *out);

/* For an ini handler: parse `value` of `key` into *out, or record "key 'KEY': expected ..., got
 * 'VALUE'".  Return 1 on success, 0 (inih's failure) after an error. */
int cfg_key_count(cfg_file *f, const char *key, const char *value, size_t lo, size_t hi, size_t *out);
int cfg_key_u64(cfg_file *f, const char *key, const char *value, uint64_t *out);
/* A path (cfg_path) into dst[PATH_MAX]. */
int cfg_key_path(cfg_file *f, const char *key, const char *value, char *dst);
/* A quantity `key` with a distribution `value` (prior.h) over [pmin, pmax]. */
int cfg_key_prior(cfg_file *f, const char *key, const char *value, double pmin, double pmax, prior_t *pr);

/* A model parameter `name` with a distribution `value` (prior.h) into *pr: an unknown name (with
 * the nearest known one), a parameter that is not real-valued or a bad distribution is an error.
 * `what` completes "only real-valued parameters can be ..." (calibrated, swept). */
int cfg_key_param(cfg_file *f, const char *name, const char *value, const char *what, prior_t *pr);

#endif
