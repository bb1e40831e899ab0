/*
 * h5_private.h - what the three files of the HDF5 layer share (h5.c: errors, files, attributes,
 * provenance; h5data.c: datasets and dimension scales; h5read.c: reading; h5probe.c: the
 * probe of a file read back and the content digest).  Not for use
 * outside them: the layer's interface is h5.h.
 */
#ifndef TYNDAU_H5_PRIVATE_H
#define TYNDAU_H5_PRIVATE_H

#include "h5.h"

#define DETAIL_LEN 320 /* HDF5's reason for a failure, as one line */
#define OBJ_LEN 200    /* an object's name in messages */

/* HDF5's error stack as one line, then cleared.  Must run right after the failing call. */
void tyndau_h5_reason(char *buf, size_t len);
/* 1 for a handle that only reads (its failures are the file's: TYNDAU_EINPUT). */
int tyndau_h5_reading(const tyndau_h5 *h);
/* tyndau_h5_check for a call on the object obj, whose name is looked up only when the call
 * failed (attributes are written by the hundred: a name per call would cost more than it). */
int tyndau_h5_check_obj(tyndau_h5 *h, int64_t rc, hid_t obj, const char *attr);
void tyndau_h5_oom(tyndau_h5 *h, const char *object);
/* "/group/name" of `name` under loc, for messages. */
void tyndau_h5_where(hid_t loc, const char *name, char *buf, size_t len);
/* Memory and file type of a kind; *owned is a type to close afterwards (or -1). */
void tyndau_h5_types(tyndau_h5 *h, tyndau_h5_kind k, hid_t compound, size_t len, hid_t *mem, hid_t *file,
                     hid_t *owned);

/* The root attribute that holds a file's content digest (h5probe.c). */
#define TYNDAU_H5_DIGEST_ATTR "content_digest"
/* FNV-1a 64 over everything the file holds, read in a fixed order (objects and attributes by
 * name; values as stored; the root's content_digest left out): 0, or -1 when a read failed. */
int tyndau_h5_content_digest(hid_t file, uint64_t *digest);

#endif
