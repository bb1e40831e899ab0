/*
 * fuzz_readers.c - a libFuzzer target for every reader of text that a user hands tyndau: the
 * scenario reader, the survey targets (CSV), the calibration file (INI), the sweep's CSV
 * design and the sweep file (INI) with the design it makes.  `make fuzz` builds it with clang's -fsanitize=fuzzer,address,undefined and runs it
 * for FUZZ_SECONDS on the seed corpus tests/fuzz/; CI runs it briefly.
 *
 * The first byte of an input chooses the reader (its value mod 5), the rest is the file.  What
 * is checked is what libFuzzer and the sanitizers check: no crash, no leak, no undefined
 * behaviour, whatever the bytes; and that a failure always comes with a message.  The files
 * go through a temporary file where the reader takes a path (the calibration file and the CSV
 * design), so that tyndau_text_read (regular files, NUL bytes, the size cap) is fuzzed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate/calib.h"
#include "scenario.h"
#include "sweep/sweep.h"
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed read must say why. */
static void must_say(tyndau_status st, const tyndau_error *e)
{
    if (st != TYNDAU_OK && e->msg[0] == '\0') abort();
}

static int to_file(const uint8_t *data, size_t size, char *path, size_t len)
{
    snprintf(path, len, "%s/tyndau-fuzz-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    int ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    if (!ok) unlink(path);
    return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int which = data[0] % 5;
    data++, size--;
    tyndau_error e;
    tyndau_error_clear(&e);
    if (which == 0 || which == 1) {
        char *text = malloc(size + 1);
        if (text == NULL) return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (which == 0) {
            tyndau_params p;
            tyndau_params_default(&p);
            tyndau_scenario s;
            memset(&s, 0, sizeof s);
            tyndau_status st = tyndau_scenario_load_text(&s, &p, text, "fuzz.ini", &e);
            if (st == TYNDAU_OK) st = tyndau_scenario_check(&s, &p, &e);
            must_say(st, &e);
            tyndau_scenario_free(&s);
        } else {
            tyndau_targets t = {NULL, 0};
            must_say(tyndau_targets_parse(&t, text, "fuzz.csv", NULL, &e), &e);
            tyndau_targets_free(&t);
        }
        free(text);
        return 0;
    }
    char path[256];
    if (to_file(data, size, path, sizeof path) != 0) return 0;
    if (which == 2) {
        static calib_cfg c; /* large: not on the stack */
        memset(&c, 0, sizeof c);
        must_say(calib_config_load(&c, path, &e), &e);
        free(c.file.text);
    } else if (which == 4) {
        static sweep_cfg c;
        tyndau_status st = sweep_config_load(&c, path, &e);
        must_say(st, &e);
        /* the design too, where it is small enough to make at once (a large one is only memory
           and time: max_runs caps it for the program) */
        if (st == TYNDAU_OK && c.points <= 4096 && c.design != D_CSV) {
            double *x = NULL, *u = NULL;
            size_t P = 0;
            must_say(sweep_design(&c, &x, &u, &P, &e), &e);
            free(x), free(u);
        }
        free(c.file.text), free(c.csv_text), free(c.csv_line);
    } else {
        static sweep_cfg c;
        memset(&c, 0, sizeof c);
        c.design = D_CSV; /* load_sweep's defaults */
        c.layout = -1;
        c.replicates = 1;
        c.levels = 4;
        c.max_runs = 1000000;
        c.file.path = "fuzz_sweep.ini";
        snprintf(c.csv, sizeof c.csv, "%s", path);
        double *x = NULL, *u = NULL;
        size_t P = 0;
        must_say(sweep_design(&c, &x, &u, &P, &e), &e);
        free(x), free(u), free(c.csv_text), free(c.csv_line);
    }
    unlink(path);
    return 0;
}
