/*
 * commands.h - the commands of the tyndau program other than run, survey and params (which
 * are main.c's own): one study each (src/calibrate, src/sweep, src/compare).
 *
 * Each takes the command's arguments (argv[0] is the command's name) and the command line as
 * typed (for the file's provenance), and returns the exit status: 0, 1 internal error, 2 bad
 * input.
 */
#ifndef TYNDAU_COMMANDS_H
#define TYNDAU_COMMANDS_H

int tyndau_cmd_calibrate(int argc, char **argv, const char *command_line); /* calibrate/calibrate.c */
int tyndau_cmd_compare(int argc, char **argv, const char *command_line);   /* compare/compare.c */
int tyndau_cmd_sweep(int argc, char **argv, const char *command_line);     /* sweep/sweep.c */
int tyndau_cmd_merge(int argc, char **argv, const char *command_line);     /* sweep/merge.c */
int tyndau_cmd_sensitivity(int argc, char **argv, const char *command_line); /* sweep/sensitivity.c */

#endif
