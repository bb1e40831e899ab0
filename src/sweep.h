/*
 * sweep.h - `tyndau sweep`, `tyndau merge` (sweep.c) and `tyndau sensitivity` (senscmd.c); docs/hpc.md.
 */
#ifndef TYNDAU_SWEEP_H
#define TYNDAU_SWEEP_H

int tyndau_cmd_sweep(int argc, char **argv, const char *command_line);
int tyndau_cmd_merge(int argc, char **argv, const char *command_line);
int tyndau_cmd_sensitivity(int argc, char **argv, const char *command_line);

#endif
