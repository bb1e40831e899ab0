/*
 * tmpdir.h - a fresh temporary directory for a unit test's files, and its removal with
 * everything the test wrote in it (one level: the tests write no subdirectories).
 */
#ifndef TYNDAU_TESTS_TMPDIR_H
#define TYNDAU_TESTS_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Makes /tmp/STEM.XXXXXX into dir (n bytes); 0 on success, -1 if it cannot. */
static inline int tmpdir_make(char *dir, size_t n, const char *stem)
{
    snprintf(dir, n, "/tmp/%s.XXXXXX", stem);
    return mkdtemp(dir) != NULL ? 0 : -1;
}

/* How many entries dir holds, "." and ".." aside (0 when it cannot be read). */
static inline int tmpdir_count(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d != NULL) closedir(d);
    return n;
}

/* Removes the files in dir, then dir itself. */
static inline void tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

#endif
